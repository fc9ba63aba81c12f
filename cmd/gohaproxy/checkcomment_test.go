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

// notFoundServer answers every request with a 404 "File not found" and
// closes; it never answers a client that sends no request.
func notFoundServer(t *testing.T) string {
	t.Helper()
	return fixedServer(t, "HTTP/1.0 404 File not found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
}

// TestCheckCommentsLikeHaproxy makes checks whose steps carry comments
// (tcp-check and http-check "comment" lines and options, http-check
// connect) fail in several ways and requires the same DOWN lines as
// haproxy's.
func TestCheckCommentsLikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	srv := notFoundServer(t)
	_, srvPort, _ := net.SplitHostPort(srv)
	refused := freePort(t)
	const sections = `listen a
  bind 127.0.0.1:%[1]d
  option tcp-check
  tcp-check comment "first comment"
  tcp-check connect port %[3]d
  server s1 %[2]s check inter 200ms fall 1
listen b
  bind 127.0.0.1:%[4]d
  option tcp-check
  tcp-check comment cm1
  tcp-check send "GET / HTTP/1.0\r\n\r\n"
  tcp-check comment cm2
  tcp-check expect string HTTP
  tcp-check expect string foo
  server s2 %[2]s check inter 200ms fall 1
listen c
  bind 127.0.0.1:%[5]d
  option tcp-check
  tcp-check comment cm1
  tcp-check connect
  tcp-check send "GET / HTTP/1.0\r\n\r\n"
  tcp-check expect string foo
  server s3 %[2]s check inter 200ms fall 1
listen d
  bind 127.0.0.1:%[6]d
  option tcp-check
  tcp-check comment cm1
  tcp-check expect string foo
  server s4 %[2]s check inter 200ms fall 1
listen e
  bind 127.0.0.1:%[7]d
  option tcp-check
  tcp-check send "GET / HTTP/1.0\r\n\r\n"
  tcp-check comment cm2
  tcp-check expect ! string HTTP comment inline
  server s5 %[2]s check inter 200ms fall 1
listen f
  bind 127.0.0.1:%[8]d
  option httpchk
  http-check comment hc1
  http-check connect port %[9]s
  http-check send meth GET uri /nope
  http-check comment hc2
  http-check expect status 200
  server s6 127.0.0.1:%[3]d check inter 200ms fall 1
listen g
  bind 127.0.0.1:%[10]d
  option httpchk
  http-check comment hc1
  http-check connect port %[3]d
  http-check send meth GET uri /
  http-check expect status 200
  server s7 %[2]s check inter 200ms fall 1
listen h
  bind 127.0.0.1:%[11]d
  option httpchk
  http-check send meth GET uri /
  http-check expect status 404
  http-check expect string foo comment body-c
  server s8 %[2]s check inter 200ms fall 1
`
	const n = 8
	got := map[string][]string{}
	for _, p := range []struct{ name, bin string }{{"haproxy", oracle}, {"gohaproxy", ours}} {
		var ports [9]any
		for i := range ports {
			ports[i] = freePort(t)
		}
		text := "global\n  nbthread 1\ndefaults\n  mode tcp\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n  timeout check 1s\n" +
			fmt.Sprintf(sections, ports[0], srv, refused, ports[1], ports[2], ports[3], ports[4], ports[5], srvPort, ports[6], ports[7])
		cfg := filepath.Join(t.TempDir(), "c.cfg")
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		log := startLogged(t, p.bin, "-db", "-f", cfg)
		deadline := time.Now().Add(20 * time.Second)
		var down []string
		for {
			down = down[:0]
			for _, l := range log.stateLines() {
				if strings.Contains(l, " is DOWN") {
					down = append(down, l)
				}
			}
			if len(down) >= n || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		sort.Strings(down)
		got[p.name] = down
	}
	w, g := strings.Join(got["haproxy"], "\n"), strings.Join(got["gohaproxy"], "\n")
	if len(got["haproxy"]) != n || w != g {
		t.Errorf("DOWN lines differ\nhaproxy:\n%s\ngohaproxy:\n%s", w, g)
	} else {
		t.Logf("same DOWN lines:\n%s", g)
	}
}
