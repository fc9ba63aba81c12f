package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logsink/oracletest"
)

// garbageServer answers anything with bytes that are no HTTP response.
func garbageServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			b := make([]byte, 4096)
			c.Read(b)
			io.WriteString(c, "this is no response\r\n\r\n")
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

// errorfilePages writes the pages of the test: CRLF and bare-LF ones,
// one without a reason phrase, an empty one.
func errorfilePages(t *testing.T) map[string]string {
	dir := t.TempDir()
	pages := map[string]string{
		"400":  "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 8\r\nX-Custom: four-hundred\r\n\r\nbad req\n",
		"403":  "HTTP/1.0 403 Forbidden\nCache-Control: no-cache\nConnection: close\nContent-Type: text/html\n\n<html><body>go away</body></html>\n",
		"502":  "HTTP/1.1 502\r\nContent-Length: 4\r\n\r\nbad\n",
		"503":  "HTTP/1.1 503 Sorry\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nRetry-After: 30\r\n\r\nback later.\n",
		"504":  "",
		"s503": "HTTP/1.1 503 From Section\r\nContent-Length: 3\r\n\r\nsec",
		"s502": "HTTP/1.1 502 Section Bad\nX-A: 1\n\n",
	}
	out := map[string]string{}
	for code, p := range pages {
		path := filepath.Join(dir, code+".http")
		if err := os.WriteFile(path, []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
		out[code] = path
	}
	return out
}

func errorfileConfig(logAddr, fe, garbage, dead, silent string, pages map[string]string) string {
	return fmt.Sprintf(`defaults
    mode http
    log %s local0
    option httplog
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend f
    bind %s
    errorfile 400 %s
    errorfile 403 %s
    errorfile 502 %s
    http-request deny if { path /deny }
    http-request deny deny_status 503 if { path /deny503 }
    use_backend nosrv if { path_beg /nosrv }
    use_backend slow if { path_beg /slow }
    use_backend imp if { path_beg /imp }
    use_backend impall if { path_beg /all }
    default_backend bad
backend bad
    server s1 %s
backend nosrv
    errorfile 503 %s
    server s1 %s
backend slow
    timeout server 300ms
    errorfile 504 %s
    server s1 %s
backend imp
    errorfiles site 503 504
    server s1 %s
backend impall
    errorfiles site
    server s1 %s
http-errors site
    errorfile 503 %s
    errorfile 502 %s
`, logAddr, fe, pages["400"], pages["403"], pages["502"], garbage, pages["503"], dead, pages["504"], silent, dead, garbage, pages["s503"], pages["s502"])
}

var errorfileExchanges = []string{
	"GET /deny HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /deny HTTP/1.1\r\nHost: h\r\n\r\nGET /deny HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	"GET /deny503 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GARBAGE\r\n\r\n",
	"GET /nosrv HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /bad HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /bad HTTP/1.0\r\n\r\n",
	"GET /slow HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /nosrv HTTP/1.0\r\n\r\n",
	"GET /imp HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /all HTTP/1.1\r\nHost: h\r\n\r\n",
}

func runErrorfiles(t *testing.T, start func(cfg, ready string), garbage, dead, silent string, pages map[string]string) (answers, logs []string) {
	udp := oracletest.ListenUDP(t)
	fe := testenv.FreeLoopbackAddr(t)
	start(errorfileConfig(udp.Addr, fe, garbage, dead, silent, pages), fe)
	udp.Drain(500 * time.Millisecond)
	for _, x := range errorfileExchanges {
		time.Sleep(100 * time.Millisecond)
		c, err := net.DialTimeout("tcp", fe, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(4 * time.Second))
		io.WriteString(c, x)
		b, _ := io.ReadAll(c)
		c.Close()
		answers = append(answers, string(b))
		n := strings.Count(x, "HTTP/1.") + strings.Count(x, "GARBAGE")
		var got []string
		deadline := time.Now().Add(5 * time.Second)
		for len(got) < n && time.Now().Before(deadline) {
			select {
			case l := <-udp.Lines:
				got = append(got, normalizeLogLine(string(l)))
			case <-time.After(100 * time.Millisecond):
			}
		}
		logs = append(logs, strings.Join(got, "\n"))
	}
	return answers, logs
}

// TestErrorfileLikeHaproxy: "errorfile" pages of the frontend and the
// backends, and "errorfiles" imports of an http-errors section (CRLF and bare-LF files, no reason phrase, an empty file)
// replace haproxy's own for deny, a bad request, no server, a bad
// response; the answers and the log lines (status, byte counts,
// termination states) must be haproxy 2.6's.
func TestErrorfileLikeHaproxy(t *testing.T) {
	testenv.RequireRoot(t)
	bin := testenv.Binary(t, "gohaproxy")
	garbage := garbageServer(t)
	dead := testenv.FreeLoopbackAddr(t)
	silent := silentServer(t)
	pages := errorfilePages(t)
	var ta, tl, oa, ol []string
	t.Run("run", func(t *testing.T) {
		t.Run("haproxy", func(t *testing.T) {
			t.Parallel()
			ta, tl = runErrorfiles(t, func(cfg, ready string) { oracletest.HAProxy(t, cfg, ready) }, garbage, dead, silent, pages)
		})
		t.Run("gohaproxy", func(t *testing.T) {
			t.Parallel()
			oa, ol = runErrorfiles(t, func(cfg, ready string) { startGohaproxy(t, bin, cfg, ready) }, garbage, dead, silent, pages)
		})
	})
	if len(ta) != len(errorfileExchanges) || len(oa) != len(errorfileExchanges) {
		t.Fatal("a run did not finish")
	}
	for i, x := range errorfileExchanges {
		if ta[i] != oa[i] {
			t.Errorf("%q:\nhaproxy:   %q\ngohaproxy: %q", x, ta[i], oa[i])
		}
		if tl[i] != ol[i] {
			t.Errorf("%q log:\nhaproxy:   %s\ngohaproxy: %s", x, tl[i], ol[i])
		}
	}
}
