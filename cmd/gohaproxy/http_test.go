package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// recBackend is an HTTP/1.1 origin for the differential tests: it records
// every byte it receives and answers by path.
type recBackend struct {
	ln  net.Listener
	mu  sync.Mutex
	got bytes.Buffer
	wg  sync.WaitGroup
}

func newRecBackend(t *testing.T) *recBackend {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &recBackend{ln: ln}
	var conns sync.Map
	t.Cleanup(func() {
		ln.Close()
		conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
		b.wg.Wait()
	})
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Store(c, true)
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				defer conns.Delete(c)
				defer c.Close()
				b.serve(c)
			}()
		}
	}()
	return b
}

func (b *recBackend) addr() string { return b.ln.Addr().String() }

// take returns and clears what was received.
func (b *recBackend) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.got.String()
	b.got.Reset()
	return s
}

type recReader struct {
	b *recBackend
	c net.Conn
}

func (r recReader) Read(p []byte) (int, error) {
	n, err := r.c.Read(p)
	r.b.mu.Lock()
	r.b.got.Write(p[:n])
	r.b.mu.Unlock()
	return n, err
}

func (b *recBackend) serve(c net.Conn) {
	br := bufio.NewReader(recReader{b, c})
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			return
		}
		path := f[1]
		cl, chunked, expect := 0, false, false
		for {
			h, err := br.ReadString('\n')
			if err != nil {
				return
			}
			h = strings.TrimRight(h, "\r\n")
			if h == "" {
				break
			}
			k, v, _ := strings.Cut(h, ":")
			v = strings.TrimSpace(v)
			switch strings.ToLower(k) {
			case "content-length":
				cl, _ = strconv.Atoi(v)
			case "transfer-encoding":
				chunked = strings.Contains(strings.ToLower(v), "chunked")
			case "expect":
				expect = strings.EqualFold(v, "100-continue")
			}
		}
		if expect {
			io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n")
		}
		n := 0
		if chunked {
			for {
				sz, err := br.ReadString('\n')
				if err != nil {
					return
				}
				k, _ := strconv.ParseInt(strings.TrimSpace(strings.Split(sz, ";")[0]), 16, 64)
				if k == 0 {
					for {
						tl, err := br.ReadString('\n')
						if err != nil || tl == "\r\n" || tl == "\n" {
							break
						}
					}
					break
				}
				io.CopyN(io.Discard, br, k+2)
				n += int(k)
			}
		} else if cl > 0 {
			io.CopyN(io.Discard, br, int64(cl))
			n = cl
		}
		body := fmt.Sprintf("path=%s body=%d\n", path, n)
		switch {
		case strings.HasPrefix(path, "/close"):
			io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Mode: close\r\n\r\n"+body)
			return
		case strings.HasPrefix(path, "/chunked"):
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\nX-Trailer: t\r\n\r\n", len(body), body)
		case strings.HasPrefix(path, "/garbage"):
			io.WriteString(c, "GARBAGE\r\n\r\n")
			return
		case strings.HasPrefix(path, "/slow"):
			time.Sleep(2500 * time.Millisecond)
			return
		case strings.HasPrefix(path, "/hangup"):
			return
		case strings.HasPrefix(path, "/bigresp"):
			big := strings.Repeat("x", 300000)
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(big), big)
		case strings.HasPrefix(path, "/clte"):
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
		case strings.HasPrefix(path, "/103"):
			io.WriteString(c, "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		case strings.HasPrefix(path, "/wsbad"):
			io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
			return
		case strings.HasPrefix(path, "/ws"):
			io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
			buf := make([]byte, 100)
			n, _ := br.Read(buf)
			c.Write(append([]byte("echo:"), buf[:n]...))
			return
		case strings.HasPrefix(path, "/bighead"):
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nX-Big: %s\r\nContent-Length: 2\r\n\r\nok", strings.Repeat("b", 17000))
		case strings.HasPrefix(path, "/shortbody"):
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
			return
		case strings.HasPrefix(path, "/204"):
			io.WriteString(c, "HTTP/1.1 204 No Content\r\n\r\n")
		case strings.HasPrefix(path, "/http10"):
			io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
			return
		default:
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		}
	}
}

func httpDiffConfig(port int, be, down string) string {
	return fmt.Sprintf(`global
    maxconn 100
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 1s
    timeout http-request 1s
    timeout http-keep-alive 2s
frontend fe
    bind 127.0.0.1:%d
    option forwardfor
    acl is_down path_beg /down
    use_backend down if is_down
    default_backend web
frontend fe_server_close
    bind 127.0.0.1:%d
    option http-server-close
    default_backend web
frontend fe_close
    bind 127.0.0.1:%d
    option httpclose
    use_backend web if { hdr(host) -i x }
backend web
    server s1 %s
backend down
    server s1 %s
`, port, port+1, port+2, be, down)
}

// freePorts finds n consecutive free ports.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		p := freePort(t)
		ok := true
		for i := 1; i < n && ok; i++ {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+i))
			if err != nil {
				ok = false
				continue
			}
			ln.Close()
		}
		if ok {
			return p
		}
	}
	t.Fatal("no free consecutive ports")
	return 0
}

// shut as a piece's data half-closes the client connection instead.
const shut = "\x00shut"

// piece is a part of a raw request sent after a pause.
type piece struct {
	pause time.Duration
	data  string
}

// exchange sends the pieces on a new connection and returns what came
// back until the proxy closed or stayed silent for quiet.
func exchange(addr string, pieces []piece, quiet time.Duration) (string, bool) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "dial: " + err.Error(), false
	}
	defer c.Close()
	go func() {
		for _, p := range pieces {
			time.Sleep(p.pause)
			if p.data == shut {
				c.(*net.TCPConn).CloseWrite()
				continue
			}
			c.Write([]byte(p.data))
		}
	}()
	var out bytes.Buffer
	buf := make([]byte, 65536)
	closed := false
	for {
		c.SetReadDeadline(time.Now().Add(quiet))
		n, err := c.Read(buf)
		out.Write(buf[:n])
		if out.Len() > 1<<20 {
			return out.String()[:200] + "... (more than 1 MiB)", false
		}
		if err != nil {
			closed = err == io.EOF || !isTimeout(err)
			break
		}
	}
	return out.String(), closed
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// TestHTTPLikeHaproxy sends the same raw requests through haproxy 2.6 and
// gohaproxy with the same configuration, each in front of its own
// recording origin, and compares byte for byte what the client got back,
// whether the connection was closed, and what the origin received.
func TestHTTPLikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	dead := freePort(t) // nothing listens there: the "down" backend
	type side struct {
		name  string
		be    *recBackend
		addrs []string // fe, fe_server_close, fe_close
	}
	var sides []*side
	for _, bin := range []string{oracle, ours} {
		be := newRecBackend(t)
		port := freePorts(t, 3)
		cfg := filepath.Join(t.TempDir(), "http.cfg")
		if err := os.WriteFile(cfg, []byte(httpDiffConfig(port, be.addr(), fmt.Sprintf("127.0.0.1:%d", dead))), 0o644); err != nil {
			t.Fatal(err)
		}
		startProxy(t, bin, "-db", "-f", cfg)
		var addrs []string
		for i := 0; i < 3; i++ {
			addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", port+i))
			waitListeningRaw(t, addrs[i])
		}
		sides = append(sides, &side{name: filepath.Base(bin), be: be, addrs: addrs})
	}
	one := func(s string) []piece { return []piece{{0, s}} }
	big := strings.Repeat("0123456789abcdef", 20000)
	cases := []struct {
		name   string
		pieces []piece
		quiet  time.Duration
		fe     int
	}{
		{"server-close", one("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"), 0, 1},
		{"httpclose", one("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 2},
		{"httpclose no backend", one("GET / HTTP/1.1\r\nHost: y\r\n\r\n"), 0, 2},
		{"keep-alive timeout", one("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 3500 * time.Millisecond, 0},
		{"big upload", one("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: " + fmt.Sprint(len(big)) + "\r\n\r\n" + big), 0, 0},
		{"big chunked upload", one("POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + fmt.Sprintf("%x\r\n", len(big)) + big + "\r\n0\r\n\r\n"), 0, 0},
		{"big response", one("GET /bigresp HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"pipelined with a bad second", one("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /a b HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"response CL and TE", one("GET /clte HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"103 early hints", one("GET /103 HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"head", one("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"websocket upgrade", []piece{{0, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"}, {200 * time.Millisecond, "hello"}}, 0, 0},
		{"websocket without accept", one("GET /wsbad HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"), 0, 0},
		{"websocket without key", one("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"), 0, 0},
		{"options star", one("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"partial head then close", []piece{{0, "GET / HTTP/1.1\r\nHost"}, {100 * time.Millisecond, shut}}, 0, 0},
		{"request then half-close", []piece{{0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"}, {0, shut}}, 0, 0},
		{"partial body then close", []piece{{0, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"}, {100 * time.Millisecond, shut}}, 0, 0},
		{"response head too large", one("GET /bighead HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"response body cut short", one("GET /shortbody HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"TE chunked in 1.0", one("POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), 0, 0},
		{"CONNECT", one("CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n"), 0, 0},
		{"leading empty lines", one("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"absolute uri default port", one("GET http://x:80/p HTTP/1.1\r\nHost: x:80\r\n\r\n"), 0, 0},
		{"absolute https default port", one("GET https://x:443/p?q HTTP/1.1\r\nHost: x:443\r\n\r\n"), 0, 0},
		{"absolute uri other port", one("GET http://x:443/p HTTP/1.1\r\nHost: x:443\r\n\r\n"), 0, 0},
		{"authority replaces host", one("GET http://X:80 HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"absolute uri without host", one("GET http://x/p HTTP/1.1\r\n\r\n"), 0, 0},
		{"origin form keeps host port", one("GET / HTTP/1.1\r\nHost: x:80\r\n\r\n"), 0, 0},
		{"502 to 1.0 client", one("GET /garbage HTTP/1.0\r\nHost: x\r\n\r\n"), 0, 0},
		{"get", one("GET /a?b=1 HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\n"), 0, 0},
		{"get 1.0", one("GET / HTTP/1.0\r\nHost: x\r\n\r\n"), 0, 0},
		{"get 1.0 keep-alive", one("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), 0, 0},
		{"connection close", one("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), 0, 0},
		{"connection tokens", one("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\nFoo: 1\r\n\r\n"), 0, 0},
		{"post", one("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"), 0, 0},
		{"pipelined", one("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"keep-alive in steps", []piece{{0, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"}, {200 * time.Millisecond, "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n"}}, 0, 0},
		{"chunked upload", []piece{{0, "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhel"}, {100 * time.Millisecond, "lo\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"}}, 0, 0},
		{"chunked response", one("GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"close-delimited response", one("GET /close HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"head close-delimited", one("HEAD /close HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"204", one("GET /204 HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"1.0 response", one("GET /http10 HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"100-continue", []piece{{0, "POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"}, {300 * time.Millisecond, "body"}}, 0, 0},
		{"folded header", one("GET / HTTP/1.1\r\nHost: x\r\nX-F: a\r\n  b\r\n\r\n"), 0, 0},
		{"bare LF", one("GET / HTTP/1.1\nHost: x\nX-A:  v  \n\n"), 0, 0},
		{"absolute uri", one("GET http://x/p HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"xff appended", one("GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n"), 0, 0},
		{"duplicate identical CL", one("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"), 0, 0},
		{"CL list", one("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc"), 0, 0},
		{"CL and TE", one("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), 0, 0},
		// hostile
		{"conflicting CL", one("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"), 0, 0},
		{"signed CL", one("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc"), 0, 0},
		{"TE not chunked", one("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"), 0, 0},
		{"TE chunked not last", one("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"), 0, 0},
		{"TE gzip, chunked", one("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"), 0, 0},
		{"double TE chunked", one("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 0, 0},
		{"bad chunk size", one("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"), 0, 0},
		{"bad method char", one("G(T / HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"space in uri", one("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"fragment in uri", one("GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"8-bit uri", one("GET /\xe9 HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"bad header name", one("GET / HTTP/1.1\r\nHost: x\r\nX Y: 1\r\n\r\n"), 0, 0},
		{"space before colon", one("GET / HTTP/1.1\r\nHost: x\r\nX-Y : 1\r\n\r\n"), 0, 0},
		{"conflicting hosts", one("GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"), 0, 0},
		{"uri host mismatch", one("GET http://y/ HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"http/0.9", one("GET /\r\n\r\n"), 0, 0},
		{"lowercase version", one("GET / http/1.1\r\n\r\n"), 0, 0},
		{"oversize header", one("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 15300) + "\r\n\r\n"), 0, 0},
		{"header just fits", one("GET / HTTP/1.1\r\nX: " + strings.Repeat("a", 15254) + "\r\n\r\n"), 0, 0},
		{"slow headers", []piece{{0, "GET / HTTP/1.1\r\n"}, {300 * time.Millisecond, "Host: x\r\n"}}, 2500 * time.Millisecond, 0},
		{"idle connection", nil, 2500 * time.Millisecond, 0},
		// server side failures
		{"no server", one("GET /down HTTP/1.1\r\nHost: x\r\n\r\n"), 4500 * time.Millisecond, 0},
		{"garbage response", one("GET /garbage HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"server hangs up", one("GET /hangup HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0},
		{"server timeout", one("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"), 2500 * time.Millisecond, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			quiet := c.quiet
			if quiet == 0 {
				quiet = 1200 * time.Millisecond
			}
			type result struct {
				resp     string
				closed   bool
				received string
			}
			res := make([]result, len(sides))
			var wg sync.WaitGroup
			for i, s := range sides {
				s.be.take()
				wg.Add(1)
				go func(i int, s *side) {
					defer wg.Done()
					r, closed := exchange(s.addrs[c.fe], c.pieces, quiet)
					res[i] = result{resp: r, closed: closed}
				}(i, s)
			}
			wg.Wait()
			time.Sleep(50 * time.Millisecond)
			for i, s := range sides {
				res[i].received = s.be.take()
			}
			if res[0].resp != res[1].resp {
				t.Errorf("client got\nhaproxy:   %q\ngohaproxy: %q", res[0].resp, res[1].resp)
			}
			if res[0].closed != res[1].closed {
				t.Errorf("connection closed: haproxy %v, gohaproxy %v", res[0].closed, res[1].closed)
			}
			if strings.HasPrefix(c.name, "big chunked") {
				// chunk boundaries follow the buffers' filling: compare
				// the payload
				for i := range res {
					res[i].received = dechunk(res[i].received)
				}
			}
			if res[0].received != res[1].received {
				t.Errorf("origin received\nhaproxy:   %q\ngohaproxy: %q", res[0].received, res[1].received)
			}
		})
	}
}

// dechunk replaces the chunked body after the head of a request by its
// payload.
func dechunk(s string) string {
	head, body, ok := strings.Cut(s, "\r\n\r\n")
	if !ok {
		return s
	}
	var out strings.Builder
	for {
		line, rest, ok := strings.Cut(body, "\r\n")
		if !ok {
			return s
		}
		n, err := strconv.ParseInt(strings.TrimSpace(line), 16, 64)
		if err != nil || int64(len(rest)) < n+2 {
			return s
		}
		if n == 0 {
			return head + "\r\n\r\n[dechunked]" + out.String() + "|" + rest
		}
		out.WriteString(rest[:n])
		body = rest[n+2:]
	}
}
