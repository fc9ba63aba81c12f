package listener

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// parseBinds writes a frontend "fe" with the given bind lines (each
// without the "bind" keyword) and returns its parsed binds and the file.
func parseBinds(t *testing.T, lines ...string) ([]*haproxycfg.Bind, string) {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("defaults\n  mode tcp\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nfrontend fe\n")
	for _, l := range lines {
		b.WriteString("  bind " + l + "\n")
	}
	b.WriteString("  default_backend be\nbackend be\n  server s 127.0.0.1:1\n")
	path := filepath.Join(dir, "t.cfg")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags, err := haproxycfg.Load([]string{path}, haproxycfg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diags.HasAlerts() {
		t.Fatalf("config does not parse: %v\n%s", diags, b.String())
	}
	return cfg.Proxy("fe").Binds, path
}

func parseBind(t *testing.T, line string) *haproxycfg.Bind {
	t.Helper()
	bs, _ := parseBinds(t, line)
	if len(bs) != 1 {
		t.Fatalf("%q gives %d binds", line, len(bs))
	}
	return bs[0]
}

// freePorts returns the first of n consecutive loopback ports that are
// free for IPv4 and IPv6 right now.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	for try := 0; try < 200; try++ {
		base := 20000 + rand.IntN(40000)
		ok := true
		for p := base; p < base+n && ok; p++ {
			for _, a := range []string{"127.0.0.1", "[::1]"} {
				l, err := net.Listen("tcp", fmt.Sprintf("%s:%d", a, p))
				if err != nil {
					ok = false
					break
				}
				l.Close()
			}
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free ports")
	return 0
}

func openT(t *testing.T, c *Config, b *haproxycfg.Bind) []*Listener {
	t.Helper()
	ls, err := c.Open(context.Background(), b)
	if err != nil {
		t.Fatalf("Open(%s): %v", b.Addr.Raw, err)
	}
	t.Cleanup(func() {
		for _, l := range ls {
			l.Close()
		}
	})
	return ls
}

// sockopt reads an integer socket option of a listener.
func sockopt(t *testing.T, l *Listener, level, opt int) int {
	t.Helper()
	sc, ok := l.Listener.(syscall.Conn)
	if !ok {
		t.Fatalf("%T has no SyscallConn", l.Listener)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	rc.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), level, opt) })
	if gerr != nil {
		t.Fatalf("getsockopt(%d,%d): %v", level, opt, gerr)
	}
	return v
}

// roundTrip dials addr and checks l accepts the connection.
func roundTrip(t *testing.T, l net.Listener, network, addr string) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			_, err = c.Write([]byte("hi"))
			c.Close()
		}
		done <- err
	}()
	c, err := net.Dial(network, addr)
	if err != nil {
		t.Fatalf("dial %s %s: %v", network, addr, err)
	}
	defer c.Close()
	buf := make([]byte, 2)
	if _, err := c.Read(buf); err != nil || string(buf) != "hi" {
		t.Fatalf("read from %s: %q %v", addr, buf, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("accept on %s: %v", addr, err)
	}
}
