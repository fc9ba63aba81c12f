package listener

import (
	"net"
	"testing"

	"golang.org/x/sys/unix"
)

// TestAcceptedConnsHaveNoKeepAlive: like haproxy without option clitcpka,
// accepted connections send no TCP keep-alive probes.
func TestAcceptedConnsHaveNoKeepAlive(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 16); err != nil {
		t.Fatal(err)
	}
	ln, err := fdListener(fd, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if !noAcceptKeepAlive(ln) {
		t.Fatal("could not turn keep-alive off for accepted connections (has net.TCPListener changed?)")
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	rc, err := a.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var ka int
	var gerr error
	rc.Control(func(fd uintptr) { ka, gerr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_KEEPALIVE) })
	if gerr != nil || ka != 0 {
		t.Fatalf("SO_KEEPALIVE on the accepted connection: %d (%v), want 0", ka, gerr)
	}
	if noAcceptKeepAlive(nil) {
		t.Fatal("a nil listener must be left alone")
	}
}
