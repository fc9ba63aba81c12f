package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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

// TestPauseResumeLikeHaproxy: SIGTTOU stops the listeners (TCP clients are
// refused), SIGTTIN starts them again, with haproxy's messages, and a
// second SIGTTOU/SIGTTIN in a row says nothing.
func TestPauseResumeLikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	var outputs []string
	for _, bin := range []string{oracle, ours} {
		name := filepath.Base(bin)
		dir := t.TempDir()
		port := freePorts(t, 2)
		dead := freePort(t)
		cfg := filepath.Join(dir, "pause.cfg")
		text := fmt.Sprintf(`global
    stats socket %s/stats.sock
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend f
    bind 127.0.0.1:%d
    default_backend b
backend b
    server s 127.0.0.1:%d
listen l
    bind 127.0.0.1:%d
    server s 127.0.0.1:%d
`, dir, port, dead, port+1, dead)
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		buf := &logBuf{}
		cmd := startWithOutput(t, buf, bin, "-db", "-f", cfg)
		addrs := []string{fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("127.0.0.1:%d", port+1)}
		for _, a := range addrs {
			waitListeningRaw(t, a)
		}
		waitFor := func(what string) {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(buf.String(), what) {
				if time.Now().After(deadline) {
					t.Fatalf("%s: no %q in its output:\n%s", name, what, buf.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		dial := func(a string) error {
			c, err := net.DialTimeout("tcp", a, 5*time.Second)
			if err == nil {
				c.Close()
			}
			return err
		}
		cmd.Process.Signal(syscall.SIGTTOU)
		waitFor("Paused frontend GLOBAL.")
		for _, a := range addrs {
			if err := dial(a); !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("%s: paused, a connection to %s gave %v, want connection refused", name, a, err)
			}
		}
		cmd.Process.Signal(syscall.SIGTTOU) // already paused: silent
		// signals of different numbers may be taken in any order: let
		// this one land before the next
		time.Sleep(300 * time.Millisecond)
		cmd.Process.Signal(syscall.SIGTTIN)
		waitFor("Resumed frontend GLOBAL.")
		cmd.Process.Signal(syscall.SIGTTIN) // already running: silent
		for _, a := range addrs {
			if err := dial(a); err != nil {
				t.Errorf("%s: resumed, a connection to %s failed: %v", name, a, err)
			}
		}
		time.Sleep(300 * time.Millisecond) // let a wrong extra message show
		var lines []string
		for _, l := range strings.Split(buf.String(), "\n") {
			if strings.Contains(l, "Paused") || strings.Contains(l, "Resumed") {
				lines = append(lines, pidRe.ReplaceAllString(l, "(PID) : "))
			}
		}
		outputs = append(outputs, strings.Join(lines, "\n"))
	}
	if outputs[0] != outputs[1] {
		t.Errorf("messages differ:\nhaproxy:\n%s\ngohaproxy:\n%s", outputs[0], outputs[1])
	}
}

func (b *logBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestIdentityLikeHaproxy: after binding, the serving process takes the
// configured user and group (the Uid, Gid and Groups lines of
// /proc/PID/status match haproxy's) and chroots.
func TestIdentityLikeHaproxy(t *testing.T) {
	testenv.RequireRoot(t)
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	for _, lines := range []string{
		"user nobody",
		"user nobody\n    group nogroup",
		"uid 65534\n    gid 65534",
		"gid 65534",
		"chroot CHROOT\n    user nobody",
	} {
		var got []string
		for _, bin := range []string{oracle, ours} {
			name := filepath.Base(bin)
			dir := t.TempDir()
			root := filepath.Join(dir, "root")
			if err := os.Mkdir(root, 0o755); err != nil {
				t.Fatal(err)
			}
			port := freePort(t)
			cfg := filepath.Join(dir, "id.cfg")
			text := fmt.Sprintf(`global
    %s
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
listen l
    bind 127.0.0.1:%d
    server s 127.0.0.1:%d
`, strings.ReplaceAll(lines, "CHROOT", root), port, freePort(t))
			if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			buf := &logBuf{}
			cmd := startWithOutput(t, buf, bin, "-db", "-f", cfg)
			waitListeningRaw(t, fmt.Sprintf("127.0.0.1:%d", port))
			// the identity changes after binding: wait for it to settle
			var state string
			deadline := time.Now().Add(10 * time.Second)
			for {
				b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
				if err != nil {
					t.Fatalf("%s: %v\n%s", name, err, buf.String())
				}
				var keep []string
				for _, l := range strings.Split(string(b), "\n") {
					if strings.HasPrefix(l, "Uid:") || strings.HasPrefix(l, "Gid:") || strings.HasPrefix(l, "Groups:") {
						keep = append(keep, strings.Join(strings.Fields(l), " "))
					}
				}
				rootLink, _ := os.Readlink(fmt.Sprintf("/proc/%d/root", cmd.Process.Pid))
				state = strings.Join(keep, "\n") + "\nroot " + strings.ReplaceAll(rootLink, root, "CHROOT")
				settled := !strings.HasPrefix(state, "Uid: 0")
				if !strings.Contains(lines, "user") && !strings.Contains(lines, "uid") {
					settled = !strings.Contains(state, "Gid: 0")
				}
				if settled || time.Now().After(deadline) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			got = append(got, state)
		}
		t.Logf("%q: %q", lines, got[1])
		if got[0] != got[1] {
			t.Errorf("%q:\nhaproxy:\n%s\ngohaproxy:\n%s", lines, got[0], got[1])
		}
	}
}
