package proxy

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startStatsRuntime runs cfgText (with %d for the stats port) in process
// and returns the stats address and the runtime.
func startStatsRuntime(t *testing.T, cfgText string) (string, *Runtime) {
	t.Helper()
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pln.Addr().(*net.TCPAddr).Port
	pln.Close()
	rt, err := New(load(t, fmt.Sprintf(cfgText, port)), Options{})
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
	return fmt.Sprintf("127.0.0.1:%d", port), rt
}

// TestStatsPageInProcess serves the stats page from an in-process
// Runtime: authentication, keep-alive over several answers, "stats admin
// if LOCALHOST", a drain applied through the form that the balancer
// honours, and the page that shows it.
func TestStatsPageInProcess(t *testing.T) {
	var hits [2]int
	var origins []string
	for i := range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits[i]++
			fmt.Fprintf(w, "s%d", i+1)
		})}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		origins = append(origins, ln.Addr().String())
	}
	addr, _ := startStatsRuntime(t, "defaults\n  mode http\n  timeout client 5s\n  timeout server 5s\n  timeout connect 1s\n"+
		"listen web\n  bind 127.0.0.1:%d\n  stats enable\n  stats uri /admin?stats\n  stats auth u:p\n  stats admin if LOCALHOST\n  balance roundrobin\n"+
		"  server s1 "+origins[0]+"\n  server s2 "+origins[1]+"\n")
	var c net.Conn
	var br *bufio.Reader
	dial := func() {
		t.Helper()
		var err error
		if c, err = net.Dial("tcp", addr); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(10 * time.Second))
		br = bufio.NewReader(c)
	}
	dial()
	auth := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("u:p")) + "\r\n"
	do := func(req string) (*http.Response, string) {
		t.Helper()
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%q: %v", req, err)
		}
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := do("GET /admin?stats HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 401 || resp.Header.Get("Www-Authenticate") != `Basic realm="HAProxy Statistics"` {
		t.Fatalf("401: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("the connection goes on after a 401 (haproxy closes it): %v", err)
	}
	dial()
	resp, body = do("GET /admin?stats HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n")
	if resp.StatusCode != 200 || !strings.Contains(body, `<input class='web-checkbox' type="checkbox" name="s" value="s2">`) || resp.Close {
		t.Fatalf("page: %d close=%v %.300q", resp.StatusCode, resp.Close, body)
	}
	form := "s=s2&action=drain&b=%23" + "1"
	resp, _ = do(fmt.Sprintf("POST /admin?stats HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", auth, len(form), form))
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/admin?stats;st=DONE" {
		t.Fatalf("POST: %d %v", resp.StatusCode, resp.Header)
	}
	_, body = do("GET /admin?stats;st=DONE HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n")
	if !strings.Contains(body, "Action processed successfully.") || !strings.Contains(body, `<tr class="active_draining"><td><input class='web-checkbox' type="checkbox" name="s" value="s2">`) {
		t.Errorf("after the drain: %q", body)
	}
	_, body = do("GET /admin?stats;csv HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n")
	if !strings.Contains(body, "web,s2,0,0,0,0,,0,0,0,,0,,0,0,0,0,DRAIN,") {
		t.Errorf("csv: %q", body)
	}
	// the drained server gets no new traffic
	hits = [2]int{}
	for range 4 {
		if _, b := do("GET /x HTTP/1.1\r\nHost: x\r\n\r\n"); b != "s1" {
			t.Errorf("a request went to %q while s2 drains", b)
		}
	}
	form = "s=s2&action=ready&b=web"
	do(fmt.Sprintf("POST /admin?stats HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\n\r\n%s", auth, len(form), form))
	seen := map[string]bool{}
	for range 4 {
		_, b := do("GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
		seen[b] = true
	}
	if !seen["s2"] {
		t.Errorf("s2 gets no traffic after ready: %v", seen)
	}
}

// TestStatsRefused: what the stats page cannot honour is refused with
// its line; the rest loads.
func TestStatsRefused(t *testing.T) {
	head := "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nlisten st\n  bind 127.0.0.1:8443\n  server s1 127.0.0.1:1\n"
	for _, tc := range []struct{ line, want string }{
		{"stats enable", ""},
		{"stats uri /s\n  stats auth a:b\n  stats realm R\n  stats refresh 5s\n  stats admin if LOCALHOST\n  stats hide-version\n  stats show-legends\n  stats show-node\n  stats show-desc x\n  stats scope .", ""},
		{"stats http-request deny", ":9] : 'stats http-request'"},
		{"stats admin if { ssl_fc }", ""},
		{"stats admin if { ssl_c_sha1 -m found }", ":9] : fetch 'ssl_c_sha1' in a 'stats admin' condition"},
	} {
		t.Run(tc.line, func(t *testing.T) {
			_, err := New(load(t, head+"  "+tc.line+"\n"), Options{})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestStatsPageKillSessions: the admin form's "Kill Sessions" (action
// shutdown) closes the sessions of the checked servers, as "shutdown
// sessions server" does, and leaves the other servers' sessions alone.
func TestStatsPageKillSessions(t *testing.T) {
	// two idle servers that accept and hold their connections
	var origins []string
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				t.Cleanup(func() { c.Close() })
			}
		}()
		origins = append(origins, ln.Addr().String())
	}
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcpAddr := pln.Addr().String()
	pln.Close()
	addr, rt := startStatsRuntime(t, "defaults\n  timeout client 30s\n  timeout server 30s\n  timeout connect 1s\n"+
		"listen st\n  mode http\n  bind 127.0.0.1:%d\n  stats enable\n  stats uri /st\n  stats admin if LOCALHOST\n"+
		"listen tcpl\n  mode tcp\n  bind "+tcpAddr+"\n  balance roundrobin\n  server s1 "+origins[0]+"\n  server s2 "+origins[1]+"\n")
	var clients []net.Conn
	for range 4 {
		c, err := net.Dial("tcp", tcpAddr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		clients = append(clients, c)
	}
	// wait until the four sessions reached their servers
	onServer := func() map[string]int {
		n := map[string]int{}
		for _, st := range rt.streams.all() {
			if s := st.srv.Load(); s != nil {
				n[s.name]++
			}
		}
		return n
	}
	deadline := time.Now().Add(10 * time.Second)
	for n := onServer(); n["s1"]+n["s2"] < 4; n = onServer() {
		if time.Now().After(deadline) {
			t.Fatalf("sessions on servers: %v", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	form := "s=s1&action=shutdown&b=tcpl"
	fmt.Fprintf(c, "POST /st HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", len(form), form)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/st;st=DONE" {
		t.Fatalf("POST: %d %v", resp.StatusCode, resp.Header)
	}
	// roundrobin put two sessions on each server: those of s1 end
	closed := 0
	for _, cl := range clients {
		cl.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := cl.Read(make([]byte, 1)); err == io.EOF {
			closed++
		}
	}
	if n := onServer(); closed != 2 || n["s1"] != 0 || n["s2"] != 2 {
		t.Errorf("%d client connections closed, sessions left on servers: %v (want 2 closed, s2 holding 2)", closed, n)
	}
}
