// Package oracletest runs the real haproxy 2.6 for side-by-side tests of
// the observability packages: it starts haproxy on a configuration, and
// captures what it sends to UDP syslog listeners.
package oracletest

import (
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// UDP is a syslog listener on loopback that keeps every datagram.
type UDP struct {
	Addr  string // 127.0.0.1:PORT
	Lines chan []byte
}

// ListenUDP opens a UDP listener on a free loopback port; it is closed at
// the end of the test.
func ListenUDP(t testing.TB) *UDP {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &UDP{Addr: pc.LocalAddr().String(), Lines: make(chan []byte, 1024)}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 70000)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			select {
			case u.Lines <- append([]byte(nil), buf[:n]...):
			default:
			}
		}
	}()
	t.Cleanup(func() { pc.Close(); wg.Wait() })
	return u
}

// Next waits up to timeout for the next datagram.
func (u *UDP) Next(t testing.TB, timeout time.Duration) []byte {
	t.Helper()
	select {
	case b := <-u.Lines:
		return b
	case <-time.After(timeout):
		t.Fatalf("no datagram on %s within %s", u.Addr, timeout)
		return nil
	}
}

// Drain returns the datagrams that arrive within d.
func (u *UDP) Drain(d time.Duration) [][]byte {
	var out [][]byte
	deadline := time.After(d)
	for {
		select {
		case b := <-u.Lines:
			out = append(out, b)
		case <-deadline:
			return out
		}
	}
}

// HAProxy runs /usr/sbin/haproxy in the foreground on cfg and returns its
// pid; it is killed at the end of the test. ready, when not empty, is a
// TCP address haproxy must accept connections on before HAProxy returns.
func HAProxy(t testing.TB, cfg, ready string) int {
	t.Helper()
	bin := testenv.Oracle(t, "haproxy")
	dir := t.TempDir()
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", path)
	var out strings.Builder
	var mu sync.Mutex
	cmd.Stdout = &lockedWriter{w: &out, mu: &mu}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			mu.Lock()
			t.Logf("haproxy output:\n%s", out.String())
			mu.Unlock()
		}
	})
	if ready != "" {
		ok := testenv.WaitFor(15*time.Second, func() bool {
			select {
			case <-exited:
				return true
			default:
			}
			c, err := net.DialTimeout("tcp", ready, time.Second)
			if err != nil {
				return false
			}
			c.Close()
			return true
		})
		select {
		case <-exited:
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("haproxy exited: %s", out.String())
		default:
		}
		if !ok {
			t.Fatalf("haproxy does not listen on %s", ready)
		}
	}
	return cmd.Process.Pid
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// EchoServer runs a TCP server on loopback that echoes what it reads; it
// is closed at the end of the test.
func EchoServer(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}
