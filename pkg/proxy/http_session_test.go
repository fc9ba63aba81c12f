package proxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestHTTPSessionInProcess runs an HTTP mode Runtime in the test process
// (for the race detector) in front of a net/http origin: keep-alive,
// a chunked upload, a chunked response, then a hard stop that must end
// the idle session.
func TestHTTPSessionInProcess(t *testing.T) {
	origin := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/chunked" {
			w.(http.Flusher).Flush() // no length: chunked
		}
		fmt.Fprintf(w, "%s %s %d %s", r.Method, r.URL.Path, len(b), r.Header.Get("X-Forwarded-For"))
	})}
	oln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go origin.Serve(oln)
	t.Cleanup(func() { origin.Close() })
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pln.Addr().(*net.TCPAddr).Port
	pln.Close()
	cfg := load(t, fmt.Sprintf("defaults\n  mode http\n  timeout client 5s\n  timeout server 5s\n  timeout connect 1s\nfrontend fe\n  bind 127.0.0.1:%d\n  option forwardfor\n  use_backend b1 if { path_beg /chunked }\n  default_backend b1\nbackend b1\n  server s1 %s\n", port, oln.Addr()))
	rt, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Listen(nil); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { rt.Serve(context.Background()); close(done) }()
	t.Cleanup(func() {
		rt.HardStop()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after a hard stop")
		}
	})
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	for i, tc := range []struct{ req, want string }{
		{"GET /a HTTP/1.1\r\nHost: x\r\n\r\n", "GET /a 0 127.0.0.1"},
		{"POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", "POST /b 5 127.0.0.1"},
		{"GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n", "GET /chunked 0 127.0.0.1"},
	} {
		io.WriteString(c, tc.req)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != tc.want || resp.Close {
			t.Errorf("request %d: %d %q close=%v", i, resp.StatusCode, body, resp.Close)
		}
		if tc.req[:12] == "GET /chunked" && !strings.EqualFold(strings.Join(resp.TransferEncoding, ","), "chunked") {
			t.Errorf("chunked response arrived as %v", resp.TransferEncoding)
		}
	}
	// the connection is idle now: a hard stop closes it
	rt.HardStop()
	if _, err := br.ReadByte(); err == nil {
		t.Error("the idle connection stayed open after a hard stop")
	}
}

// TestHTTPSoftStopClosesIdle: on a soft stop an idle keep-alive client
// connection is closed and Serve returns without waiting for the
// keep-alive timeout.
func TestHTTPSoftStopClosesIdle(t *testing.T) {
	origin := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	oln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go origin.Serve(oln)
	t.Cleanup(func() { origin.Close() })
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pln.Addr().(*net.TCPAddr).Port
	pln.Close()
	cfg := load(t, fmt.Sprintf("defaults\n  mode http\n  timeout client 60s\n  timeout server 60s\n  timeout connect 1s\n  timeout http-keep-alive 60s\nlisten web\n  bind 127.0.0.1:%d\n  server s1 %s\n", port, oln.Addr()))
	rt, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Listen(nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rt.Serve(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		rt.HardStop()
		<-done
	})
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	cancel()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("Serve still waits on an idle keep-alive session after a soft stop")
	}
	if _, err := br.ReadByte(); err == nil {
		t.Error("the idle connection stayed open after a soft stop")
	}
}

// TestHTTPBalanceOnRequest: balance hdr() and uri send the same key to the
// same server, and different keys over both.
func TestHTTPBalanceOnRequest(t *testing.T) {
	var addrs []string
	for i := 0; i < 2; i++ {
		name := fmt.Sprint("o", i)
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name) })}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		addrs = append(addrs, ln.Addr().String())
	}
	for _, bal := range []string{"hdr(x-user)", "uri"} {
		t.Run(bal, func(t *testing.T) {
			pln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			port := pln.Addr().(*net.TCPAddr).Port
			pln.Close()
			cfg := load(t, fmt.Sprintf("defaults\n  mode http\n  timeout client 5s\n  timeout server 5s\n  timeout connect 1s\nlisten web\n  bind 127.0.0.1:%d\n  balance %s\n  server s0 %s\n  server s1 %s\n", port, bal, addrs[0], addrs[1]))
			serveRuntime(t, cfg)
			get := func(user string) string {
				c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				fmt.Fprintf(c, "GET /%s HTTP/1.1\r\nHost: x\r\nX-User: %s\r\nConnection: close\r\n\r\n", user, user)
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				return string(b)
			}
			seen := map[string]bool{}
			for i := 0; i < 20; i++ {
				u := fmt.Sprint("user", i)
				first := get(u)
				if again := get(u); again != first {
					t.Fatalf("%s went to %s then %s", u, first, again)
				}
				seen[first] = true
			}
			if len(seen) != 2 {
				t.Errorf("20 keys all went to %v", seen)
			}
		})
	}
}

// TestHTTPServerClosedIdle: a server that closes its connection after a
// response (without saying so) costs the next request nothing: a new
// connection carries it.
func TestHTTPServerClosedIdle(t *testing.T) {
	oln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { oln.Close() })
	go func() {
		for {
			c, err := oln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				br := bufio.NewReader(c)
				for {
					l, err := br.ReadString('\n')
					if err != nil || l == "\r\n" {
						break
					}
				}
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}()
		}
	}()
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pln.Addr().(*net.TCPAddr).Port
	pln.Close()
	cfg := load(t, fmt.Sprintf("defaults\n  mode http\n  timeout client 5s\n  timeout server 5s\n  timeout connect 1s\nlisten web\n  bind 127.0.0.1:%d\n  server s1 %s\n", port, oln.Addr()))
	serveRuntime(t, cfg)
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	for i := 0; i < 3; i++ {
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
		time.Sleep(100 * time.Millisecond) // the server's FIN arrives
	}
}
