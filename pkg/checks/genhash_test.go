package checks

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// genhash runs keepalived's genhash (Debian's keepalived package) against
// addr and returns the MD5 it prints for the page at path.
func genhash(t *testing.T, tls bool, addr, path string) (string, string) {
	t.Helper()
	bin, err := exec.LookPath("genhash")
	if err != nil {
		bin = "/usr/bin/genhash"
	}
	host, port, _ := net.SplitHostPort(addr)
	args := []string{"-s", host, "-p", port, "-u", path, "-t", "10"}
	if tls {
		args = append([]string{"-S"}, args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	m := regexp.MustCompile(`(?m)^([0-9a-f]{32})$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("genhash %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(m[1]), string(out)
}

// page answers every request with the raw response resp.
func page(resp string) func(net.Conn) {
	return func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			l, err := br.ReadString('\n')
			if err != nil || l == "\r\n" || l == "\n" {
				break
			}
		}
		c.Write([]byte(resp))
	}
}

// TestDigestMatchesGenhash checks that the HTTP probe's Digest is the
// MD5 keepalived's genhash prints for the same page, over HTTPS (SSL_GET,
// genhash -S) and plain HTTP (HTTP_GET).
func TestDigestMatchesGenhash(t *testing.T) {
	if _, err := os.Stat("/usr/bin/genhash"); err != nil {
		testenv.Unavailable(t, "keepalived's genhash (/usr/bin/genhash, Debian package keepalived) is not installed")
	}
	big := make([]byte, 100_000)
	for i := range big {
		big[i] = byte(i*7 + i/251)
	}
	pages := map[string]string{
		"length":       "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello",
		"close":        "HTTP/1.0 200 OK\r\n\r\n<html>ok</html>\n",
		"chunked":      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n",
		"short length": "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nhello",
		"empty":        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		"binary":       "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + string(big),
	}
	for name, resp := range pages {
		for _, useTLS := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/tls=%v", name, useTLS), func(t *testing.T) {
				ln := listen(t)
				if useTLS {
					ln, _ = tlsListener(t)
				}
				addr := server(t, ln, page(resp))
				want, out := genhash(t, useTLS, addr, "/index.html")
				p := HTTP{Path: "/index.html", TLS: useTLS, Digest: want}
				if r := run(p, addr, 10*time.Second); !r.OK {
					t.Errorf("probe with genhash's digest %s failed: %v\ngenhash said:\n%s", want, r, out)
				}
				p.Digest = strings.Repeat("0", 32)
				r := run(p, addr, 10*time.Second)
				if r.OK || r.Info != "digest mismatch: "+want {
					t.Errorf("wrong digest: got %v, want a mismatch reporting %s", r, want)
				}
			})
		}
	}
}
