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

// TestHTTPCheckExpectOptionsLikeHaproxy runs "http-check expect" lines
// with the options haproxy 2.6 accepts around the pattern (ok-status,
// error-status, tout-status, on-success, on-error, min-recv, comment, '!')
// and the hdr/fhdr patterns (the Connection header is never seen)
// against a 404 server, a 200 server and a silent one, and requires the
// same DOWN and log-health-checks lines as haproxy's.
func TestHTTPCheckExpectOptionsLikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	nf := notFoundServer(t)
	ok := newCtlServer(t, "ok", nil).addr
	silent := holdServer(t)
	const sections = `backend a
  option httpchk
  http-check expect status 200 error-status L7RSP on-error "bad status" comment c1
  server s1 %[1]s check inter 300ms fall 1
backend b
  option httpchk
  http-check expect comment c2 ! status 404
  server s2 %[1]s check inter 300ms fall 1
backend c
  option httpchk
  http-check expect min-recv 3 string foo error-status L4CON
  server s3 %[1]s check inter 300ms fall 1
backend d
  option httpchk
  http-check expect ! string ok
  server s4 %[2]s check inter 300ms fall 1
backend e
  option httpchk
  http-check expect status 200 tout-status L6TOUT
  server s5 %[3]s check inter 300ms fall 1
backend f
  option httpchk
  option log-health-checks
  http-check expect ok-status L4OK on-success "all good" status 200
  server s6 %[2]s check inter 300ms fall 1
backend g
  option httpchk
  option log-health-checks
  http-check expect status 200 on-error "no luck" error-status L7STS
  server s7 %[1]s check inter 300ms fall 1
backend h
  option httpchk
  http-check expect rstring ^o on-error "odd body" ok-status l7ok
  http-check expect ! string ok comment c8
  server s8 %[2]s check inter 300ms fall 1
backend i
  option httpchk
  http-check expect hdr name content-type value text/html comment c9
  server s9 %[1]s check inter 300ms fall 1
backend j
  option httpchk
  option log-health-checks
  http-check expect fhdr name -m beg CONTENT value -m sub "2"
  http-check expect ! hdr name -m sub x-nope
  server s10 %[2]s check inter 300ms fall 1
backend l
  option httpchk
  http-check expect hdr name connection
  server s12 %[2]s check inter 300ms fall 1
backend k
  option httpchk
  http-check expect ! hdr name content-length value -m end 0 error-status L7RSP
  server s11 %[1]s check inter 300ms fall 1
`
	const n = 12
	got := map[string][]string{}
	for _, p := range []struct{ name, bin string }{{"haproxy", oracle}, {"gohaproxy", ours}} {
		port := freePort(t)
		text := "global\n  nbthread 1\ndefaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n  timeout check 1s\n" +
			fmt.Sprintf("frontend fe\n  bind 127.0.0.1:%d\n  default_backend a\n", port) +
			fmt.Sprintf(sections, nf, ok, silent)
		cfg := filepath.Join(t.TempDir(), "c.cfg")
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		log := startLogged(t, p.bin, "-db", "-f", cfg)
		var lines []string
		testenv.WaitFor(20*time.Second, func() bool {
			lines = lines[:0]
			for _, l := range checkLines(log) {
				if strings.Contains(l, " is DOWN") || strings.Contains(l, "Health check for") {
					lines = append(lines, l)
				}
			}
			return len(lines) >= n
		})
		sort.Strings(lines)
		got[p.name] = lines
	}
	w, g := strings.Join(got["haproxy"], "\n"), strings.Join(got["gohaproxy"], "\n")
	if len(got["haproxy"]) != n || w != g {
		t.Errorf("check lines differ\nhaproxy:\n%s\ngohaproxy:\n%s", w, g)
	} else {
		t.Logf("same lines:\n%s", g)
	}
}

// checkLines returns the server state lines and the log-health-checks
// lines of a process's output, PIDs and check durations normalised.
func checkLines(b *logBuf) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, l := range strings.Split(b.b.String(), "\n") {
		if !strings.Contains(l, "Server ") && !strings.Contains(l, "Health check for ") {
			continue
		}
		l = pidRe.ReplaceAllString(l, "(PID) : ")
		out = append(out, durationRe.ReplaceAllString(l, "check duration: Nms"))
	}
	return out
}
