package proxy

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// TestComputeFDLimits pins haproxy 2.6's sizing, as measured on the real
// haproxy (a hard limit of 20000, "Cannot raise FD limit to N"): two
// descriptors per connection plus three per thread, one per listening
// socket and checked server, 1+10 per stats socket, and ten.
func TestComputeFDLimits(t *testing.T) {
	for _, c := range []struct {
		global, proxy       string
		maxconn, maxsock, u int
	}{
		{"    nbthread 1\n    maxconn 50000\n", "", 50000, 100014, 100014},
		{"    nbthread 2\n    maxconn 50000\n", "", 50000, 100017, 100017},
		{"    nbthread 4\n    maxconn 50000\n", "", 50000, 100023, 100023},
		{"    nbthread 1\n    maxconn 50000\n", "    bind 127.0.0.1:23457\n", 50000, 100015, 100015},
		{"    nbthread 1\n    maxconn 50000\n    stats socket /x.sock\n", "", 50000, 100025, 100025},
		{"    nbthread 1\n    maxconn 50000\n    stats socket /x.sock\n    stats maxconn 20\n", "", 50000, 100035, 100035},
		{"    nbthread 2\n    stats socket /x.sock\n", "", 9986, 20000, 20000},
		{"    nbthread 2\n    stats socket /x.sock\n    ulimit-n 4000\n", "", 9986, 20000, 4000},
	} {
		text := "global\n" + c.global + "defaults\n    mode tcp\n    timeout client 5s\n    timeout server 5s\n    timeout connect 5s\n" +
			"listen a\n    bind 127.0.0.1:23456\n" + c.proxy + "    server s 127.0.0.1:1\n"
		path := filepath.Join(t.TempDir(), "h.cfg")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, _, err := haproxycfg.Load([]string{path}, haproxycfg.Options{})
		if err != nil {
			t.Fatal(err)
		}
		l := computeFDLimits(cfg, 20000, 20000)
		if l.Maxconn != c.maxconn || l.Maxsock != c.maxsock || l.UlimitN != c.u || !l.Strict {
			t.Errorf("%q: got %+v, want maxconn %d maxsock %d ulimit-n %d", c.global+c.proxy, l, c.maxconn, c.maxsock, c.u)
		}
	}
}
