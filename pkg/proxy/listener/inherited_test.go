package listener

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// serveOnce answers one _getsocks command on a fresh unix socket with socks
// and returns the socket's path.
func serveOnce(t *testing.T, socks []Exported) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "stats.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		c, err := ln.AcceptUnix()
		if err != nil {
			errc <- err
			return
		}
		defer c.Close()
		cmd := make([]byte, len(GetsocksCommand))
		if _, err := c.Read(cmd); err != nil || string(cmd) != GetsocksCommand {
			errc <- fmt.Errorf("command %q %v", cmd, err)
			return
		}
		errc <- ServeGetsocks(c, socks)
		// drain acknowledgements until the client hangs up
		buf := make([]byte, 64)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("server: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("server did not finish")
		}
	})
	return path
}

// TestGetsocksRoundTrip hands listeners from one Config to another through
// ServeGetsocks and GetSockets, as two gohaproxy processes do on reload.
func TestGetsocksRoundTrip(t *testing.T) {
	dir := t.TempDir()
	port := freePorts(t, 2)
	lines := []string{
		fmt.Sprintf("127.0.0.1:%d-%d", port, port+1),
		fmt.Sprintf(":::%d v6only", port),
		dir + "/u.sock mode 600",
		"abns@gohaproxy-rt-" + strconv.Itoa(os.Getpid()),
	}
	binds, _ := parseBinds(t, lines...)
	old, err := (&Config{NoReusePort: true}).OpenAll(context.Background(), binds)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, l := range old {
			l.Close()
		}
	}()
	ex, err := Export(old)
	if err != nil {
		t.Fatal(err)
	}
	path := serveOnce(t, ex)
	in, err := GetSockets(context.Background(), path)
	for _, e := range ex {
		e.File.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Sockets) != len(old) {
		t.Fatalf("received %d sockets, want %d: %s", len(in.Sockets), len(old), in)
	}
	// without the pool, new sockets could not bind (no SO_REUSEPORT)
	nw, err := (&Config{NoReusePort: true, Inherited: in}).OpenAll(context.Background(), binds)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, l := range nw {
			l.Close()
		}
	}()
	for i, l := range nw {
		if l.Inherited != "getsocks" {
			t.Errorf("%s: created, not taken from the pool", l.Address)
		}
		if l.Address != old[i].Address {
			t.Errorf("socket %d: %s, want %s", i, l.Address, old[i].Address)
		}
	}
	if n := in.CloseUnused(); n != 0 {
		t.Errorf("%d sockets unused", n)
	}
	roundTrip(t, nw[0], "tcp4", fmt.Sprintf("127.0.0.1:%d", port))
	roundTrip(t, nw[2], "tcp6", fmt.Sprintf("[::1]:%d", port))
	roundTrip(t, nw[3], "unix", dir+"/u.sock")
}

// TestGetsocksBatches sends more sockets than fit in one message.
func TestGetsocksBatches(t *testing.T) {
	var ex []Exported
	for i := 0; i < maxSendFD+47; i++ {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			t.Fatal(err)
		}
		unix.Listen(fd, 1)
		f := os.NewFile(uintptr(fd), "s")
		defer f.Close()
		ex = append(ex, Exported{File: f, Interface: fmt.Sprintf("if%d", i%3), Namespace: strings.Repeat("n", i%2)})
	}
	in, err := GetSockets(context.Background(), serveOnce(t, ex))
	if err != nil {
		t.Fatal(err)
	}
	defer in.CloseUnused()
	if len(in.Sockets) != len(ex) {
		t.Fatalf("got %d sockets, want %d", len(in.Sockets), len(ex))
	}
	for i, s := range in.Sockets {
		if s.Interface != fmt.Sprintf("if%d", i%3) || s.Namespace != strings.Repeat("n", i%2) {
			t.Fatalf("socket %d: interface %q namespace %q", i, s.Interface, s.Namespace)
		}
	}
}

func TestGetsocksErrors(t *testing.T) {
	if _, err := GetSockets(context.Background(), filepath.Join(t.TempDir(), "none.sock")); err == nil ||
		!strings.Contains(err.Error(), "Failed to connect to the old process socket") {
		t.Errorf("missing socket: %v", err)
	}
	in, err := GetSockets(context.Background(), serveOnce(t, nil))
	if err != nil || len(in.Sockets) != 0 {
		t.Errorf("no sockets: %v %v", in, err)
	}
}

// TestSystemd runs this test binary as a socket-activated child: fds 3 and
// 4 are listening sockets, named by LISTEN_FDNAMES.
func TestSystemd(t *testing.T) {
	if os.Getenv("GOHAPROXY_LISTENER_SYSTEMD_CHILD") != "" {
		systemdChild()
		return
	}
	port := freePorts(t, 1)
	path := filepath.Join(t.TempDir(), "sd.sock")
	tl, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	ul, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	tf, _ := tl.(*net.TCPListener).File()
	uf, _ := ul.(*net.UnixListener).File()
	defer tf.Close()
	defer uf.Close()
	defer tl.Close()
	defer ul.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSystemd$")
	cmd.ExtraFiles = []*os.File{tf, uf}
	cmd.Env = append(os.Environ(), "GOHAPROXY_LISTENER_SYSTEMD_CHILD=1", "LISTEN_FDS=2", "LISTEN_FDNAMES=web:admin",
		fmt.Sprintf("CHILD_TCP=127.0.0.1:%d", port), "CHILD_UNIX="+path)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "CHILD OK") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func systemdChild() {
	fail := func(f string, a ...any) {
		fmt.Printf("CHILD FAIL: "+f+"\n", a...)
		os.Exit(1)
	}
	os.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid())) // systemd sets it after fork
	in, err := FromSystemd(true)
	if err != nil {
		fail("%v", err)
	}
	if os.Getenv("LISTEN_FDS") != "" {
		fail("LISTEN_FDS not unset")
	}
	if len(in.Sockets) != 2 || in.Sockets[0].Name != "web" || in.Sockets[1].Name != "admin" || in.Sockets[0].FD != 3 {
		fail("pool %s", in)
	}
	binds := []string{os.Getenv("CHILD_TCP"), os.Getenv("CHILD_UNIX")}
	ctx := context.Background()
	for _, b := range binds {
		bind, err := loadBind(b)
		if err != nil {
			fail("%v", err)
		}
		ls, err := (&Config{NoReusePort: true, Inherited: in}).Open(ctx, bind)
		if err != nil {
			fail("%s: %v", b, err)
		}
		if ls[0].Inherited != "systemd" {
			fail("%s not taken from systemd", b)
		}
		network := "tcp4"
		if strings.HasPrefix(b, "/") {
			network = "unix"
		}
		c, err := net.Dial(network, b)
		if err != nil {
			fail("dial %s: %v", b, err)
		}
		a, err := ls[0].Accept()
		if err != nil {
			fail("accept %s: %v", b, err)
		}
		a.Close()
		c.Close()
	}
	fmt.Println("CHILD OK")
	os.Exit(0)
}

// loadBind parses one bind line outside of a test (in the child process).
func loadBind(line string) (*haproxycfg.Bind, error) {
	dir, err := os.MkdirTemp("", "lsn")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "c.cfg")
	os.WriteFile(path, []byte("frontend fe\n  bind "+line+"\n"), 0o644)
	cfg, diags, err := haproxycfg.Load([]string{path}, haproxycfg.Options{})
	if err != nil || diags.HasAlerts() {
		return nil, fmt.Errorf("parse %q: %v %v", line, err, diags)
	}
	return cfg.Proxy("fe").Binds[0], nil
}

// TestInheritedGetsOptions: a socket taken from the pool still gets the
// bind line's TCP options, and is made to listen when it was only bound.
func TestInheritedGetsOptions(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	// port 0: a port picked beforehand may be taken by a parallel test
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: 0, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port := sa.(*unix.SockaddrInet4).Port
	in := &Inherited{}
	if _, err := in.Add(fd, "systemd", "web", "", ""); err != nil {
		t.Fatal(err)
	}
	ls := openT(t, &Config{Inherited: in}, parseBind(t, fmt.Sprintf("127.0.0.1:%d mss 1300 defer-accept", port)))
	if ls[0].Inherited != "systemd" {
		t.Fatalf("not taken from the pool")
	}
	if v := sockopt(t, ls[0], unix.IPPROTO_TCP, unix.TCP_MAXSEG); v != 1300 {
		t.Errorf("TCP_MAXSEG %d", v)
	}
	if v := sockopt(t, ls[0], unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT); v < 1 {
		t.Errorf("TCP_DEFER_ACCEPT %d", v)
	}
	roundTrip(t, ls[0], "tcp4", fmt.Sprintf("127.0.0.1:%d", port))
}
