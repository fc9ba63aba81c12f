package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// keepAliveOpts is what a TCP socket says of its keep-alive settings.
type keepAliveOpts struct{ on, idle, intvl, cnt int }

// peerSocketOpts finds the socket of process pid whose local port is
// lport (0: any) and whose peer port is rport, and reads its keep-alive
// options through a duplicate taken with pidfd_getfd(2).
func peerSocketOpts(pid, lport, rport int) (keepAliveOpts, error) {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return keepAliveOpts{}, fmt.Errorf("pidfd_open: %w", err)
	}
	defer unix.Close(pidfd)
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return keepAliveOpts{}, err
	}
	for _, e := range ents {
		target, _ := os.Readlink(filepath.Join(fmt.Sprintf("/proc/%d/fd", pid), e.Name()))
		if len(target) < 7 || target[:7] != "socket:" {
			continue
		}
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		fd, err := unix.PidfdGetfd(pidfd, n, 0)
		if err != nil {
			return keepAliveOpts{}, fmt.Errorf("pidfd_getfd: %w", err)
		}
		o, ok := func() (keepAliveOpts, bool) {
			defer unix.Close(fd)
			la, err1 := unix.Getsockname(fd)
			ra, err2 := unix.Getpeername(fd)
			l4, ok1 := la.(*unix.SockaddrInet4)
			r4, ok2 := ra.(*unix.SockaddrInet4)
			if err1 != nil || err2 != nil || !ok1 || !ok2 || r4.Port != rport || (lport != 0 && l4.Port != lport) {
				return keepAliveOpts{}, false
			}
			var o keepAliveOpts
			o.on, _ = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE)
			o.idle, _ = unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE)
			o.intvl, _ = unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL)
			o.cnt, _ = unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT)
			return o, true
		}()
		if ok {
			return o, nil
		}
	}
	return keepAliveOpts{}, fmt.Errorf("no socket of pid %d with peer port %d", pid, rport)
}

// TestTCPKeepAliveLikeHaproxy: the client and server sockets carry the
// same keep-alive settings as haproxy's for option clitcpka/srvtcpka/tcpka
// and the *tcpka-idle/-intvl/-cnt keywords, and none without them.
func TestTCPKeepAliveLikeHaproxy(t *testing.T) {
	testenv.RequireRoot(t) // pidfd_getfd on another process
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	origin, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer origin.Close()
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := origin.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	oport := origin.Addr().(*net.TCPAddr).Port
	variants := []struct{ name, opts string }{
		{"none", ""},
		{"clitcpka", "  option clitcpka\n"},
		{"srvtcpka", "  option srvtcpka\n"},
		{"tcpka with values", "  option tcpka\n  clitcpka-idle 30\n  clitcpka-intvl 7s\n  clitcpka-cnt 4\n  srvtcpka-idle 1m\n  srvtcpka-intvl 3\n  srvtcpka-cnt 5\n"},
		{"values without option", "  clitcpka-idle 30\n  srvtcpka-idle 45\n"},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			got := map[string][2]keepAliveOpts{}
			for _, p := range []struct{ name, bin string }{{"haproxy", oracle}, {"gohaproxy", ours}} {
				port := freePort(t)
				cfg := filepath.Join(t.TempDir(), "h.cfg")
				os.WriteFile(cfg, []byte(fmt.Sprintf("global\n  nbthread 1\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n%slisten l\n  bind 127.0.0.1:%d\n  server s1 127.0.0.1:%d\n", v.opts, port, oport)), 0o644)
				cmd := startProxy(t, p.bin, "-db", "-f", cfg)
				addr := fmt.Sprintf("127.0.0.1:%d", port)
				var c net.Conn
				var sc net.Conn
				deadline := time.Now().Add(10 * time.Second)
				for c == nil && time.Now().Before(deadline) {
					if c, err = net.DialTimeout("tcp", addr, time.Second); err != nil {
						time.Sleep(50 * time.Millisecond)
					}
				}
				if c == nil {
					t.Fatalf("%s: nothing listens on %s", p.name, addr)
				}
				select {
				case sc = <-accepted:
				case <-time.After(10 * time.Second):
					t.Fatalf("%s: the connection never reached the server", p.name)
				}
				// A byte through the proxy: by then its connect has returned
				// and the server socket's options are set.
				c.Write([]byte("x"))
				sc.SetReadDeadline(time.Now().Add(10 * time.Second))
				if _, err := sc.Read(make([]byte, 1)); err != nil {
					t.Fatalf("%s: nothing forwarded: %v", p.name, err)
				}
				cli, err := peerSocketOpts(cmd.Process.Pid, port, c.LocalAddr().(*net.TCPAddr).Port)
				if err != nil {
					t.Fatalf("%s: client side: %v", p.name, err)
				}
				srv, err := peerSocketOpts(cmd.Process.Pid, 0, oport)
				if err != nil {
					t.Fatalf("%s: server side: %v", p.name, err)
				}
				got[p.name] = [2]keepAliveOpts{cli, srv}
				c.Close()
				sc.Close()
			}
			if got["haproxy"] != got["gohaproxy"] {
				t.Errorf("keep-alive (client side, server side) {SO_KEEPALIVE, idle, intvl, cnt}:\nhaproxy   %+v\ngohaproxy %+v", got["haproxy"], got["gohaproxy"])
			}
		})
	}
}
