package logfmt

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logsink/oracletest"
)

const httpResponse = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"

// httpServer answers every connection with httpResponse after reading the
// request head.
func httpServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			r := bufio.NewReader(c)
			for {
				l, err := r.ReadString('\n')
				if err != nil || l == "\r\n" {
					break
				}
			}
			c.Write([]byte(httpResponse))
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func mustTime(t *testing.T, layout, s string) time.Time {
	tm, err := time.ParseInLocation(layout, s, time.Local)
	if err != nil {
		t.Fatalf("haproxy's date %q: %v", s, err)
	}
	return tm
}

// TestOracleDefaultFormats runs haproxy 2.6 with option tcplog, option
// httplog and option httplog clf, sends the same connections through it,
// and renders the equivalent events: the lines must be identical once the
// values only haproxy knows (dates, timers, byte counts) are taken from
// its own line.
func TestOracleDefaultFormats(t *testing.T) {
	testenv.RequireRoot(t)
	raw := oracletest.ListenUDP(t)
	echo := oracletest.EchoServer(t)
	web := httpServer(t)
	ft := testenv.FreeLoopbackAddr(t)
	fh := testenv.FreeLoopbackAddr(t)
	fc := testenv.FreeLoopbackAddr(t)
	cfg := fmt.Sprintf(`global
    log %s format raw daemon
defaults
    log global
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend ft
    mode tcp
    option tcplog
    bind %s
    default_backend bt
backend bt
    mode tcp
    server s1 %s
frontend fh
    mode http
    option httplog
    bind %s
    capture request header Host len 20
    capture request header X-Absent len 10
    capture response header Content-Type len 20
    default_backend bh
frontend fc
    mode http
    option httplog clf
    bind %s
    capture request header Host len 20
    capture response header Content-Type len 20
    default_backend bh
backend bh
    mode http
    server h1 %s
`, raw.Addr, ft, echo, fh, fc, web)
	pid := oracletest.HAProxy(t, cfg, fc)
	_ = pid
	for _, a := range []string{ft, fh} {
		c, err := net.Dial("tcp", a)
		if err == nil {
			c.Close()
		}
	}
	// The readiness probes (three frontends) are logged; skip them.
	raw.Drain(2 * time.Second)

	tcpl := MustCompile(t, TCPLog)
	httpl := MustCompile(t, HTTPLog)
	clfl := MustCompile(t, CLFLog)

	// TCP
	c, err := net.Dial("tcp", ft)
	if err != nil {
		t.Fatal(err)
	}
	client := netip.MustParseAddrPort(c.LocalAddr().String())
	c.Write([]byte("hello\n"))
	io.ReadFull(c, make([]byte, 6))
	c.Close()
	got := bytes.TrimSuffix(raw.Next(t, 10*time.Second), []byte("\n"))
	m := regexp.MustCompile(`\[([^\]]+)\] \S+ \S+ (-?\d+)/(-?\d+)/(\+?-?\d+) (\d+) \S+ (\d+)/(\d+)/(\d+)/(\d+)/(\d+) (\d+)/(\d+)$`).FindSubmatch(got)
	if m == nil {
		t.Fatalf("unexpected tcplog line %q", got)
	}
	ev := &Event{
		Accept: mustTime(t, "02/Jan/2006:15:04:05.000", string(m[1])),
		Client: client, Frontend: "ft", Backend: "bt", Server: "s1",
		Tw: atoi(string(m[2])), Tc: atoi(string(m[3])), Tt: atoi(string(m[4])), BytesRead: atoi(string(m[5])),
		ActConn: int(atoi(string(m[6]))), FeConn: int(atoi(string(m[7]))), BeConn: int(atoi(string(m[8]))),
		SrvConn: int(atoi(string(m[9]))), Retries: int(atoi(string(m[10]))), SrvQueue: int(atoi(string(m[11]))), BeQueue: int(atoi(string(m[12]))),
		Th: -1, Ti: -1, TR: -1, Tr: -1, Ta: -1, Tu: -1,
	}
	if want := tcpl.Append(nil, ev); !bytes.Equal(got, want) {
		t.Errorf("tcplog:\nhaproxy: %q\nours:    %q", got, want)
	}
	if ev.BytesRead != 6 {
		t.Errorf("haproxy counted %d bytes, the echo sent 6", ev.BytesRead)
	}

	request := "GET /x?y=1 HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n"
	doHTTP := func(addr string) netip.AddrPort {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.Write([]byte(request))
		io.ReadAll(c)
		return netip.MustParseAddrPort(c.LocalAddr().String())
	}
	// HTTP
	client = doHTTP(fh)
	got = bytes.TrimSuffix(raw.Next(t, 10*time.Second), []byte("\n"))
	m = regexp.MustCompile(`\[([^\]]+)\] \S+ \S+ (-?\d+)/(-?\d+)/(-?\d+)/(-?\d+)/(\+?-?\d+) \d+ (\d+) .* (\d+)/(\d+)/(\d+)/(\d+)/(\d+) (\d+)/(\d+) \{`).FindSubmatch(got)
	if m == nil {
		t.Fatalf("unexpected httplog line %q", got)
	}
	ev = &Event{
		Request: mustTime(t, "02/Jan/2006:15:04:05.000", string(m[1])),
		Client:  client, Frontend: "fh", Backend: "bh", Server: "h1",
		TR: atoi(string(m[2])), Tw: atoi(string(m[3])), Tc: atoi(string(m[4])), Tr: atoi(string(m[5])), Ta: atoi(string(m[6])),
		Status: 200, BytesRead: atoi(string(m[7])),
		ActConn: int(atoi(string(m[8]))), FeConn: int(atoi(string(m[9]))), BeConn: int(atoi(string(m[10]))),
		SrvConn: int(atoi(string(m[11]))), Retries: int(atoi(string(m[12]))), SrvQueue: int(atoi(string(m[13]))), BeQueue: int(atoi(string(m[14]))),
		ReqCaptures: [][]byte{[]byte("example.com"), nil}, ResCaptures: [][]byte{[]byte("text/plain")},
		RequestLine: []byte("GET /x?y=1 HTTP/1.1"),
	}
	if want := httpl.Append(nil, ev); !bytes.Equal(got, want) {
		t.Errorf("httplog:\nhaproxy: %q\nours:    %q", got, want)
	}

	// CLF
	client = doHTTP(fc)
	got = bytes.TrimSuffix(raw.Next(t, 10*time.Second), []byte("\n"))
	m = regexp.MustCompile(`\[([^\]]+)\] "GET /x\?y=1 HTTP/1.1" 200 (\d+) "" "" \d+ (\d+) "fc" "bh" "h1" (-?\d+) (-?\d+) (-?\d+) (-?\d+) (\+?-?\d+) ---- (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) `).FindSubmatch(got)
	if m == nil {
		t.Fatalf("unexpected clf line %q", got)
	}
	req := mustTime(t, "02/Jan/2006:15:04:05 -0700", string(m[1]))
	acc := req.Add(time.Duration(atoi(string(m[3]))) * time.Millisecond)
	ev = &Event{
		Accept: acc, Request: req,
		Client: client, Frontend: "fc", Backend: "bh", Server: "h1",
		BytesRead: atoi(string(m[2])),
		TR:        atoi(string(m[4])), Tw: atoi(string(m[5])), Tc: atoi(string(m[6])), Tr: atoi(string(m[7])), Ta: atoi(string(m[8])),
		Status:  200,
		ActConn: int(atoi(string(m[9]))), FeConn: int(atoi(string(m[10]))), BeConn: int(atoi(string(m[11]))),
		SrvConn: int(atoi(string(m[12]))), Retries: int(atoi(string(m[13]))), SrvQueue: int(atoi(string(m[14]))), BeQueue: int(atoi(string(m[15]))),
		ReqCaptures: [][]byte{[]byte("example.com")}, ResCaptures: [][]byte{[]byte("text/plain")},
		RequestLine: []byte("GET /x?y=1 HTTP/1.1"),
	}
	if want := clfl.Append(nil, ev); !bytes.Equal(got, want) {
		t.Errorf("clf:\nhaproxy: %q\nours:    %q", got, want)
	}
}

func MustCompile(t testing.TB, s string) *Format {
	f, err := Compile(s)
	if err != nil {
		t.Fatalf("Compile(%q): %v", s, err)
	}
	return f
}
