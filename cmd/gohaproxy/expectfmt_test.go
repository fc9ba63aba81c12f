package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// fixedServer answers every HTTP request (and any bytes followed by an
// empty line) with resp and closes.
func fixedServer(t *testing.T, resp string) string {
	t.Helper()
	return headAnswerServer(t, func() string { return resp })
}

// TestExpectFormatsLikeHaproxy runs the expect options that compute the
// reported code and info (status-code, on-success/on-error log-format
// strings with res.hdr, status, int and str, string-lf, name-lf) and the
// "-m reg" header matches, on http-check and tcp-check, and ok-status /
// error-status L7OKC (the server passes conditionally and stops taking
// traffic: "is stopping"), and requires haproxy 2.6's lines.
func TestExpectFormatsLikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	srv := fixedServer(t, "HTTP/1.1 503 Service Unavailable\r\nX-Info: hello world\r\nX-Code: 42\r\nX-List: a, b,c\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nokbye")
	const sections = `backend a
  option httpchk
  option log-health-checks
  http-check expect status 200 status-code res.hdr(x-info) on-error "m=%[res.hdr(x-missing)] n=%[res.hdr(x-info)]%% c=%[status]"
  server s1 SRV check inter 300ms fall 1
backend b
  option httpchk
  option log-health-checks
  http-check expect status 200 status-code res.hdr(x-missing) comment hi
  server s2 SRV check inter 300ms fall 1
backend c
  option tcp-check
  option log-health-checks
  tcp-check send "GET / HTTP/1.0\r\n\r\n"
  tcp-check expect string okbye on-success "tcp %[int(5)] ok" status-code int(7)
  server s3 SRV check inter 300ms fall 1 rise 1
backend d
  option tcp-check
  option log-health-checks
  tcp-check send "GET / HTTP/1.0\r\n\r\n"
  tcp-check expect string nope error-status L7OKC on-error "cond" status-code int(9)
  server s4 SRV check inter 300ms fall 1 rise 1
backend e
  option tcp-check
  option log-health-checks
  tcp-check send "GET / HTTP/1.0\r\n\r\n"
  tcp-check expect string okbye ok-status L7OKC
  server s5 SRV check inter 300ms fall 1 rise 1
backend f
  option httpchk
  option log-health-checks
  http-check expect ! string-lf "ok%[str(bye)]" on-error "lf %[res.hdr(x-list)] %[res.hdr(x-list,1)] %[res.fhdr(x-list)]"
  server s6 SRV check inter 300ms fall 1
backend g
  option httpchk
  option log-health-checks
  http-check expect ! hdr name-lf "x-%[str(info)]" value -m reg "^hel+o" on-error "name-lf"
  server s7 SRV check inter 300ms fall 1
backend h
  option httpchk
  option log-health-checks
  http-check expect status 503 status-code "str(12abc)" on-success "%[status] %[res.hdr(x-code,1)]"
  http-check expect ! hdr name -m reg ^x-c.*e$ value -m reg ^4 on-error "reg %[res.hdr(x-code)]" status-code int(77)
  server s8 SRV check inter 300ms fall 1
backend i
  option httpchk
  http-check expect ok-status L7OKC status 503 on-success "okc %[res.hdr(x-code)]"
  server s9 SRV check inter 300ms fall 1 rise 1
backend j
  option httpchk
  option log-health-checks
  http-check expect status 200 error-status L7OKC
  server s10 SRV check inter 300ms fall 1 rise 1
backend k
  option httpchk
  option log-health-checks
  http-check expect fhdr name -m reg "^X-L" value -m reg 'b,c$' ok-status L4OK on-success "fhdr %[status]"
  server s11 SRV check inter 300ms fall 1 rise 1
`
	// b, f, g, h fail (check and DOWN lines); a fails with fall 1 too;
	// c, e, k change status once; d, e, i, j stop; i logs no check line.
	want := map[string]int{"a/s1": 2, "b/s2": 2, "c/s3": 1, "d/s4": 2, "e/s5": 2, "f/s6": 2, "g/s7": 2, "h/s8": 2, "i/s9": 1, "j/s10": 2, "k/s11": 1}
	n := 0
	for _, v := range want {
		n += v
	}
	got := map[string][]string{}
	for _, p := range []struct{ name, bin string }{{"haproxy", oracle}, {"gohaproxy", ours}} {
		port := freePort(t)
		text := "global\n  nbthread 1\ndefaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n  timeout check 1s\n" +
			fmt.Sprintf("frontend fe\n  bind 127.0.0.1:%d\n  default_backend a\n", port) +
			strings.ReplaceAll(sections, "SRV", srv)
		cfg := filepath.Join(t.TempDir(), "c.cfg")
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		log := startLogged(t, p.bin, "-db", "-f", cfg)
		var lines []string
		testenv.WaitFor(20*time.Second, func() bool {
			lines = lines[:0]
			for _, l := range checkLines(log) {
				if strings.Contains(l, " is DOWN") || strings.Contains(l, " is stopping") || strings.Contains(l, "Health check for") {
					lines = append(lines, l)
				}
			}
			return len(lines) >= n
		})
		time.Sleep(time.Second) // nothing more may come
		lines = lines[:0]
		for _, l := range checkLines(log) {
			if strings.Contains(l, " is DOWN") || strings.Contains(l, " is stopping") || strings.Contains(l, "Health check for") {
				lines = append(lines, l)
			}
		}
		sort.Strings(lines)
		got[p.name] = lines
	}
	w, g := strings.Join(got["haproxy"], "\n"), strings.Join(got["gohaproxy"], "\n")
	if len(got["haproxy"]) != n || w != g {
		t.Errorf("check lines differ (want %d)\nhaproxy:\n%s\ngohaproxy:\n%s", n, w, g)
	} else {
		t.Logf("same lines:\n%s", g)
	}
}

// TestCondPassTransitionsLikeHaproxy: with "error-status L7OKC" a server
// answering 503 passes conditionally and goes to the stopping state, an
// answer 200 brings it back UP, a refused connection takes it DOWN, it
// rises into the stopping state on 503s and is UP again on 200: the same
// lines as haproxy 2.6's.
func TestCondPassTransitionsLikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	got := map[string]string{}
	for _, p := range []struct{ name, bin string }{{"haproxy", oracle}, {"gohaproxy", ours}} {
		srv := newCtlServer(t, "s1", nil)
		port := freePort(t)
		text := "global\n  nbthread 1\ndefaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n  timeout check 1s\n" +
			fmt.Sprintf("frontend fe\n  bind 127.0.0.1:%d\n  default_backend c\n", port) +
			"backend c\n  option httpchk\n  option log-health-checks\n  http-check expect status 200 error-status L7OKC on-error \"cond %[status]\"\n" +
			"  server s1 " + srv.addr + " check inter 200ms fall 2 rise 2\n"
		cfg := filepath.Join(t.TempDir(), "c.cfg")
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		log := startLogged(t, p.bin, "-db", "-f", cfg)
		lines := func() []string {
			var out []string
			for _, l := range checkLines(log) {
				if strings.Contains(l, "Server c/s1") || strings.Contains(l, "Health check for") {
					out = append(out, l)
				}
			}
			return out
		}
		waitFor := func(what string, n int) {
			t.Helper()
			if !testenv.WaitFor(20*time.Second, func() bool {
				c := 0
				for _, l := range lines() {
					if strings.Contains(l, what) {
						c++
					}
				}
				return c >= n
			}) {
				t.Fatalf("%s: no %q (x%d):\n%s", p.name, what, n, strings.Join(lines(), "\n"))
			}
		}
		time.Sleep(time.Second)
		srv.setMode("503")
		waitFor("Server c/s1 is stopping", 1)
		srv.setMode("ok")
		waitFor("Server c/s1 is UP", 1)
		srv.setMode("closed")
		waitFor("Server c/s1 is DOWN", 1)
		srv.setMode("503")
		waitFor("Server c/s1 is stopping", 2)
		srv.setMode("ok")
		waitFor("Server c/s1 is UP", 2)
		time.Sleep(time.Second)
		got[p.name] = strings.Join(lines(), "\n")
	}
	if got["haproxy"] != got["gohaproxy"] {
		t.Errorf("lines differ\nhaproxy:\n%s\ngohaproxy:\n%s", got["haproxy"], got["gohaproxy"])
	} else {
		t.Logf("same lines:\n%s", got["gohaproxy"])
	}
}
