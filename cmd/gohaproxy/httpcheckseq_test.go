package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// TestHTTPCheckSequencesLikeHaproxy runs http-check rule lists with several
// "connect, send, expect" sequences (the first send completing "option
// httpchk") and requires haproxy's DOWN and log-health-checks lines.
func TestHTTPCheckSequencesLikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	nf := notFoundServer(t)
	ok := newCtlServer(t, "ok", nil).addr
	_, nfPort, _ := net.SplitHostPort(nf)
	_, okPort, _ := net.SplitHostPort(ok)
	const sections = `backend a
  option httpchk
  http-check connect
  http-check send meth GET uri /a
  http-check expect status 200
  http-check connect port %[3]s
  http-check send meth GET uri /b
  http-check expect status 200 comment second
  server s1 %[2]s check inter 300ms fall 1
backend b
  option httpchk GET /x
  option log-health-checks
  http-check connect
  http-check send hdr x-a 1
  http-check expect status 200
  http-check connect port %[4]s
  http-check send uri /y
  http-check expect string ok
  server s2 %[2]s check inter 300ms fall 1
backend c
  option httpchk
  http-check connect
  http-check send meth GET uri /c
  http-check expect status 404
  http-check connect port %[4]s
  http-check send meth HEAD
  http-check expect status 500-599 on-error "not 5xx"
  server s3 %[1]s check inter 300ms fall 1
backend d
  option httpchk
  http-check comment first
  http-check connect port %[4]s
  http-check send meth GET
  http-check expect status 200
  http-check comment next
  http-check connect port %[3]s
  http-check send meth GET
  http-check expect string foo
  server s4 %[1]s check inter 300ms fall 1
`
	const n = 4
	got := map[string][]string{}
	for _, p := range []struct{ name, bin string }{{"haproxy", oracle}, {"gohaproxy", ours}} {
		port := freePort(t)
		text := "global\n  nbthread 1\ndefaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n  timeout check 1s\n" +
			fmt.Sprintf("frontend fe\n  bind 127.0.0.1:%d\n  default_backend a\n", port) +
			fmt.Sprintf(sections, nf, ok, nfPort, okPort)
		cfg := filepath.Join(t.TempDir(), "c.cfg")
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		log := startLogged(t, p.bin, "-db", "-f", cfg)
		var lines []string
		testenv.WaitFor(15*time.Second, func() bool {
			lines = lines[:0]
			for _, l := range checkLines(log) {
				if strings.Contains(l, " is DOWN") || strings.Contains(l, "Health check for") {
					lines = append(lines, l)
				}
			}
			return len(lines) >= n
		})
		if len(lines) < n {
			t.Logf("%s output:\n%s", p.name, log.b.String())
		}
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
