package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// TestFinTimeoutsLikeHaproxy: once one side has sent its FIN, the wait on
// the other side is bounded by that side's fin timeout (client-fin 1s,
// server-fin 3s) rather than by timeout client/server (30s), in haproxy
// and in gohaproxy alike.
func TestFinTimeoutsLikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	for _, bin := range []string{oracle, ours} {
		srv, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		port := freePort(t)
		cfg := filepath.Join(t.TempDir(), "fin.cfg")
		text := fmt.Sprintf(`defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout client-fin 1s
    timeout server-fin 3s
listen fin
    bind 127.0.0.1:%d
    server s %s
`, port, srv.Addr())
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		startProxy(t, bin, "-db", "-f", cfg)
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		waitListeningRaw(t, addr)
		for _, shutter := range []string{"client", "server"} {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write([]byte("x"))
			srv.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
			s, err := srv.Accept()
			if err != nil {
				t.Fatalf("%s: backend accept: %v", bin, err)
			}
			defer s.Close()
			s.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := s.Read(make([]byte, 1)); err != nil {
				t.Fatalf("%s: backend read: %v", bin, err)
			}
			// The FIN reaches the silent side at once; the side that shut
			// first sees the proxy close once the silent side's fin
			// timeout expires.
			shut, silent, want, lo, hi := c, s, "server-fin", 2*time.Second, 15*time.Second
			if shutter == "server" {
				shut, silent, want, lo, hi = s, c, "client-fin", 500*time.Millisecond, 2500*time.Millisecond
			}
			start := time.Now()
			shut.(*net.TCPConn).CloseWrite()
			silent.SetReadDeadline(time.Now().Add(10 * time.Second))
			if n, err := silent.Read(make([]byte, 1)); n != 0 || err == nil || isTimeout(err) {
				t.Fatalf("%s: %s shut first: the other side read %d bytes, err %v; want the forwarded FIN", filepath.Base(bin), shutter, n, err)
			}
			shut.SetReadDeadline(time.Now().Add(25 * time.Second))
			n, err := shut.Read(make([]byte, 1))
			took := time.Since(start)
			if n != 0 || err == nil || isTimeout(err) {
				t.Fatalf("%s: %s shut first: it read %d bytes, err %v; want the proxy's close", filepath.Base(bin), shutter, n, err)
			}
			if took < lo || took > hi {
				t.Errorf("%s: %s shut first: the proxy closed after %v, want %s (between %v and %v)", filepath.Base(bin), shutter, took, want, lo, hi)
			}
		}
	}
}
