package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logsink/oracletest"
)

// echoHeadServer answers every request with its head, as received, in
// the body of a 200 that carries a Server and an X-Drop-Me header.
func echoHeadServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveEach(t, ln, func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			var head strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				head.WriteString(l)
				if l == "\r\n" {
					break
				}
			}
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nServer: echo\r\nX-Drop-Me: 1\r\nContent-Length: %d\r\n\r\n%s", head.Len(), head.String())
		}
	})
}

func httpRulesConfig(fe, be string) string {
	return fmt.Sprintf(`defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend f
    bind %s
    http-request deny if { path /deny }
    http-request deny deny_status 429 if { path /deny429 }
    http-request allow if { path /allowed }
    http-request redirect location /new if { path /loc }
    http-request redirect prefix https://example.com code 301 if { path_beg /pre }
    http-request redirect scheme https if { path /sch }
    http-request return status 200 content-type text/plain string "hello" if { path /ret }
    http-request return status 404 if { path /ret404 }
    http-request set-header X-Set yes
    http-request add-header X-Add one
    http-request del-header X-Del
    http-request set-path /rewritten if { path /rw }
    http-response set-header X-Resp r1
    http-response del-header X-Drop-Me
    http-response set-status 202 if { path /st }
    use_backend bst if { path /st2 }
    default_backend b
backend b
    http-request add-header X-Backend b
    http-response add-header X-Backend-Resp b
    server s1 %s
backend bst
    http-response set-status 299 reason Fine
    http-response set-header X-Unless yes unless { path /st2 }
    server s1 %s
`, fe, be, be)
}

// httpRulesExchanges are sent on one connection each; the whole answer
// must be the same bytes from both products.
var httpRulesExchanges = []string{
	"GET /deny HTTP/1.1\r\nHost: h\r\n\r\nGET /plain HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /deny429 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /allowed HTTP/1.1\r\nHost: h\r\nX-Del: 1\r\nConnection: close\r\n\r\n",
	"GET /loc HTTP/1.1\r\nHost: h\r\n\r\nGET /plain HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /pre/x?y=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /sch?a=b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /ret HTTP/1.1\r\nHost: h\r\n\r\nGET /ret404 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /ret HTTP/1.0\r\n\r\n",
	"GET /plain HTTP/1.1\r\nHost: h\r\nX-Del: gone\r\nX-Set: old\r\nConnection: close\r\n\r\n",
	"GET /rw?q=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /st HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /st2 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"POST /deny HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /plain HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
}

func runHTTPRules(t *testing.T, start func(cfg, ready string), be string) []string {
	fe := testenv.FreeLoopbackAddr(t)
	start(httpRulesConfig(fe, be), fe)
	var out []string
	for _, x := range httpRulesExchanges {
		c, err := net.DialTimeout("tcp", fe, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(4 * time.Second))
		io.WriteString(c, x)
		b, _ := io.ReadAll(c)
		c.Close()
		out = append(out, string(b))
	}
	return out
}

// TestHTTPRulesLikeHaproxy sends the same requests through haproxy 2.6
// and gohaproxy with the same http-request and http-response rules
// (deny, allow, redirect, return, header edits, set-path, set-status in
// the frontend and the backend): the answers, and the heads the server
// received (echoed back), must be the same bytes.
func TestHTTPRulesLikeHaproxy(t *testing.T) {
	testenv.RequireRoot(t)
	bin := testenv.Binary(t, "gohaproxy")
	be := echoHeadServer(t)
	var theirs, ours []string
	t.Run("run", func(t *testing.T) {
		t.Run("haproxy", func(t *testing.T) {
			t.Parallel()
			theirs = runHTTPRules(t, func(cfg, ready string) { oracletest.HAProxy(t, cfg, ready) }, be)
		})
		t.Run("gohaproxy", func(t *testing.T) {
			t.Parallel()
			ours = runHTTPRules(t, func(cfg, ready string) { startGohaproxy(t, bin, cfg, ready) }, be)
		})
	})
	if len(theirs) != len(httpRulesExchanges) || len(ours) != len(httpRulesExchanges) {
		t.Fatal("a run did not finish")
	}
	for i, x := range httpRulesExchanges {
		if theirs[i] != ours[i] {
			t.Errorf("%q:\nhaproxy:   %q\ngohaproxy: %q", x, theirs[i], ours[i])
		}
	}
}

// TestPrometheusLikeHaproxy fetches /metrics from haproxy 2.6's exporter
// and from gohaproxy's with the same configuration: the same response
// head, and the same metric families, HELP and TYPE lines and label sets
// in the same order (values differ with uptime and traffic).
func TestPrometheusLikeHaproxy(t *testing.T) {
	testenv.RequireRoot(t)
	bin := testenv.Binary(t, "gohaproxy")
	be := echoHeadServer(t)
	fetch := func(t *testing.T, start func(cfg, ready string)) (head string, lines []string) {
		fe := testenv.FreeLoopbackAddr(t)
		cfg := fmt.Sprintf("defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nfrontend prom\n    bind %s\n    http-request use-service prometheus-exporter if { path /metrics }\n    default_backend bk\nbackend bk\n    server s1 %s\n    server s2 %s disabled\n", fe, be, be)
		start(cfg, fe)
		c, err := net.Dial("tcp", fe)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		b, _ := io.ReadAll(c)
		h, body, _ := strings.Cut(string(b), "\r\n\r\n")
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, "haproxy_") || strings.HasPrefix(l, "# ") {
				if i := strings.LastIndexByte(l, ' '); i > 0 && !strings.HasPrefix(l, "# ") {
					l = l[:i] // the value
				}
				if strings.HasPrefix(l, "haproxy_process_build_info{") {
					l = "haproxy_process_build_info{version=...}" // Debian's package suffix
				}
				lines = append(lines, l)
			}
		}
		return h, lines
	}
	var th, oh string
	var tl, ol []string
	t.Run("run", func(t *testing.T) {
		t.Run("haproxy", func(t *testing.T) {
			t.Parallel()
			th, tl = fetch(t, func(cfg, ready string) { oracletest.HAProxy(t, cfg, ready) })
		})
		t.Run("gohaproxy", func(t *testing.T) {
			t.Parallel()
			oh, ol = fetch(t, func(cfg, ready string) { startGohaproxy(t, bin, cfg, ready) })
		})
	})
	if th != oh {
		t.Errorf("response head:\nhaproxy:   %q\ngohaproxy: %q", th, oh)
	}
	if len(tl) < 100 {
		t.Fatalf("haproxy's exporter printed %d lines", len(tl))
	}
	if strings.Join(tl, "\n") != strings.Join(ol, "\n") {
		for i := 0; i < len(tl) && i < len(ol); i++ {
			if tl[i] != ol[i] {
				t.Fatalf("line %d:\nhaproxy:   %s\ngohaproxy: %s", i, tl[i], ol[i])
			}
		}
		t.Fatalf("haproxy printed %d lines, gohaproxy %d", len(tl), len(ol))
	}
}
