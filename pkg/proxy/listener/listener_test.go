package listener

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

func TestOpenInet(t *testing.T) {
	type check struct {
		level, opt, want int
		min              bool // want is a lower bound
	}
	tests := []struct {
		name   string
		bind   string // %d is the port
		n      int    // sockets expected
		addrs  []string
		dial   [][2]string // network, address (%d port) that must reach the first socket
		nodial [][2]string
		opts   []check
	}{
		{name: "ipv4", bind: "127.0.0.1:%d", n: 1, addrs: []string{"127.0.0.1:%d"},
			dial: [][2]string{{"tcp4", "127.0.0.1:%d"}},
			opts: []check{{unix.SOL_SOCKET, unix.SO_REUSEADDR, 1, false}, {unix.SOL_SOCKET, unix.SO_REUSEPORT, 1, false}}},
		{name: "any-star", bind: "*:%d", n: 1, addrs: []string{"0.0.0.0:%d"}, dial: [][2]string{{"tcp4", "127.0.0.1:%d"}}},
		{name: "any-empty", bind: ":%d", n: 1, addrs: []string{"0.0.0.0:%d"}},
		{name: "range", bind: "127.0.0.1:%d-%d", n: 3, addrs: []string{"127.0.0.1:%d", "127.0.0.1:%d", "127.0.0.1:%d"}},
		{name: "ipv6-loopback", bind: "ipv6@::1:%d", n: 1, addrs: []string{"::1:%d"}, dial: [][2]string{{"tcp6", "[::1]:%d"}}},
		{name: "ipv6-dual-stack", bind: ":::%d", n: 1, addrs: []string{":::%d"},
			dial: [][2]string{{"tcp6", "[::1]:%d"}, {"tcp4", "127.0.0.1:%d"}},
			opts: []check{{unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0, false}}},
		{name: "ipv6-v4v6", bind: ":::%d v4v6", n: 1, addrs: []string{":::%d"},
			dial: [][2]string{{"tcp4", "127.0.0.1:%d"}},
			opts: []check{{unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0, false}}},
		{name: "ipv6-v6only", bind: ":::%d v6only", n: 1, addrs: []string{":::%d"},
			dial: [][2]string{{"tcp6", "[::1]:%d"}}, nodial: [][2]string{{"tcp4", "127.0.0.1:%d"}},
			opts: []check{{unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1, false}}},
		{name: "defer-accept", bind: "127.0.0.1:%d defer-accept", n: 1, addrs: []string{"127.0.0.1:%d"},
			opts: []check{{unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT, 1, true}}},
		{name: "mss", bind: "127.0.0.1:%d mss 1300", n: 1, addrs: []string{"127.0.0.1:%d"},
			opts: []check{{unix.IPPROTO_TCP, unix.TCP_MAXSEG, 1300, false}}},
		{name: "tfo", bind: "127.0.0.1:%d tfo backlog 42", n: 1, addrs: []string{"127.0.0.1:%d"},
			opts: []check{{unix.IPPROTO_TCP, unix.TCP_FASTOPEN, 42, false}}},
		{name: "tcp-ut", bind: "127.0.0.1:%d tcp-ut 3s", n: 1, addrs: []string{"127.0.0.1:%d"},
			opts: []check{{unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, 3000, false}}},
		{name: "accepted-options", bind: "127.0.0.1:%d accept-proxy name web id 7 maxconn 10 process 1 thread 1", n: 1, addrs: []string{"127.0.0.1:%d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := freePorts(t, 3)
			line := tt.bind
			if strings.Count(line, "%d") == 2 {
				line = fmt.Sprintf(line, port, port+2)
			} else {
				line = fmt.Sprintf(line, port)
			}
			ls := openT(t, &Config{}, parseBind(t, line))
			if len(ls) != tt.n {
				t.Fatalf("%d sockets, want %d", len(ls), tt.n)
			}
			for i, a := range tt.addrs {
				if want := fmt.Sprintf(a, port+i); ls[i].Address != want {
					t.Errorf("socket %d is %q, want %q", i, ls[i].Address, want)
				}
				if ls[i].Port != port+i {
					t.Errorf("socket %d port %d", i, ls[i].Port)
				}
				if len(ls[i].Warnings) > 0 {
					t.Errorf("warnings: %v", ls[i].Warnings)
				}
			}
			for _, c := range tt.opts {
				got := sockopt(t, ls[0], c.level, c.opt)
				if (c.min && got < c.want) || (!c.min && got != c.want) {
					t.Errorf("option %d/%d = %d, want %d", c.level, c.opt, got, c.want)
				}
			}
			for _, d := range tt.dial {
				roundTrip(t, ls[0], d[0], fmt.Sprintf(d[1], port))
			}
			for _, d := range tt.nodial {
				if c, err := net.Dial(d[0], fmt.Sprintf(d[1], port)); err == nil {
					c.Close()
					t.Errorf("%s %s reached the socket", d[0], d[1])
				}
			}
		})
	}
}

func TestBacklog(t *testing.T) {
	tests := []struct {
		bind string
		cfg  Config
		want int
	}{
		{"127.0.0.1:1", Config{}, 65535},
		{"127.0.0.1:1", Config{GlobalMaxconn: 3000}, 3000},
		{"127.0.0.1:1 maxconn 77", Config{GlobalMaxconn: 3000}, 77},
		{"127.0.0.1:1 maxconn 77 backlog 55", Config{}, 55},
		{"127.0.0.1:1", Config{ProxyMaxconn: 200, GlobalMaxconn: 3000}, 200},
		{"127.0.0.1:1 maxconn 77", Config{ProxyMaxconn: 200}, 77},
		{"127.0.0.1:1 maxconn 77", Config{ProxyBacklog: 300}, 300},
	}
	for _, tt := range tests {
		if got := tt.cfg.backlog(parseBind(t, tt.bind)); got != tt.want {
			t.Errorf("%s %+v: backlog %d, want %d", tt.bind, tt.cfg, got, tt.want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	taken, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	tport := taken.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	tests := []struct {
		name  string
		bind  string
		text  string // HAProxyText after "Binding [file:line] "
		hint  string
		errno syscall.Errno
	}{
		{"in-use", fmt.Sprintf("127.0.0.1:%d", tport),
			fmt.Sprintf("for frontend fe: cannot bind socket (Address already in use) for [127.0.0.1:%d]", tport),
			"another process already listens", syscall.EADDRINUSE},
		{"not-local", "192.0.2.1:18080",
			"for frontend fe: cannot bind socket (Cannot assign requested address) for [192.0.2.1:18080]",
			"no local interface has address 192.0.2.1", syscall.EADDRNOTAVAIL},
		{"unix-no-dir", "unix@" + dir + "/nodir/x.sock",
			"for frontend fe: cannot bind UNIX socket (No such file or directory) [" + dir + "/nodir/x.sock]",
			"directory does not exist", syscall.ENOENT},
		{"namespace", "127.0.0.1:18080 namespace gohaproxy-nosuchns",
			"for frontend fe: cannot create receiving socket (Cannot open namespace 'gohaproxy-nosuchns' (No such file or directory)) for [127.0.0.1:18080]",
			"ip netns add gohaproxy-nosuchns", syscall.ENOENT},
		{"sockpair", "sockpair@0", "for frontend fe: cannot use 'sockpair@0': sockpair@ listeners are not supported by gohaproxy for [sockpair@0]", "fd@N", 0},
		{"fd-closed", "fd@987", "for frontend fe: cannot use file descriptor '987' (Bad file descriptor) [fd 987]", "open listening socket", syscall.EBADF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := parseBind(t, tt.bind)
			c := &Config{Kind: "frontend", Proxy: "fe"}
			ls, err := c.Open(context.Background(), b)
			if err == nil {
				for _, l := range ls {
					l.Close()
				}
				t.Fatal("no error")
			}
			var be *BindError
			if !errors.As(err, &be) {
				t.Fatalf("%T %v", err, err)
			}
			want := fmt.Sprintf("Binding [%s:%d] %s", b.Pos.File, b.Pos.Line, tt.text)
			if be.HAProxyText() != want {
				t.Errorf("text\n got %s\nwant %s", be.HAProxyText(), want)
			}
			if !strings.Contains(err.Error(), tt.hint) {
				t.Errorf("hint missing %q: %s", tt.hint, err)
			}
			if tt.errno != 0 && !errors.Is(err, tt.errno) {
				t.Errorf("not %v: %v", tt.errno, be.Err)
			}
		})
	}
}

func TestHints(t *testing.T) {
	tests := []struct {
		err  error
		port int
		unix bool
		want string
	}{
		{syscall.EACCES, 80, false, "pick a port above"},
		{syscall.EACCES, 8080, false, "not permitted"},
		{syscall.EACCES, 0, true, "not writable"},
		{syscall.EADDRINUSE, 80, false, "port 80"},
		{syscall.ENODEV, 80, false, "interface"},
		{errors.New("other"), 80, false, ""},
	}
	for _, tt := range tests {
		got := hintFor(tt.err, "1.2.3.4", tt.port, tt.unix)
		if (tt.want == "" && got != "") || !strings.Contains(got, tt.want) {
			t.Errorf("%v %d %v: %q, want %q", tt.err, tt.port, tt.unix, got, tt.want)
		}
	}
}

func TestOpenUnix(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		bind     string
		mode     os.FileMode
		uid, gid int // -1: not checked
		root     bool
	}{
		{"path", dir + "/a.sock", 0, -1, -1, false},
		{"unix-prefix-mode", "unix@" + dir + "/b.sock mode 600", 0o600, -1, -1, false},
		{"mode-660", dir + "/c.sock mode 660", 0o660, -1, -1, false},
		{"uid-gid", dir + "/d.sock uid 65534 gid 65534 mode 640", 0o640, 65534, 65534, true},
		{"user-group", dir + "/e.sock user nobody group nogroup mode 600", 0o600, 65534, 65534, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root {
				testenv.RequireRoot(t)
			}
			b := parseBind(t, tt.bind)
			ls := openT(t, &Config{}, b)
			path := b.Addr.Host
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode()&os.ModeSocket == 0 {
				t.Errorf("%s is not a socket: %v", path, st.Mode())
			}
			if tt.mode != 0 && st.Mode().Perm() != tt.mode {
				t.Errorf("mode %o, want %o", st.Mode().Perm(), tt.mode)
			}
			sys := st.Sys().(*syscall.Stat_t)
			if tt.uid >= 0 && int(sys.Uid) != tt.uid {
				t.Errorf("uid %d, want %d", sys.Uid, tt.uid)
			}
			if tt.gid >= 0 && int(sys.Gid) != tt.gid {
				t.Errorf("gid %d, want %d", sys.Gid, tt.gid)
			}
			roundTrip(t, ls[0], "unix", path)
			// no temporary or backup names left behind
			left, _ := filepath.Glob(path + ".*")
			if len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

// TestUnixReplace opens the same path twice, as a reload does: the second
// socket replaces the first under the same name, and the first keeps
// accepting on its own (now unnamed) socket until closed.
func TestUnixReplace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.sock")
	b := parseBind(t, path)
	old := openT(t, &Config{PID: 1111}, b)
	roundTrip(t, old[0], "unix", path)
	nw := openT(t, &Config{PID: 2222}, b)
	roundTrip(t, nw[0], "unix", path)
	old[0].Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("closing the old listener removed the path: %v", err)
	}
	roundTrip(t, nw[0], "unix", path)
	if left, _ := filepath.Glob(path + ".*"); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestOpenAbstract(t *testing.T) {
	name := fmt.Sprintf("gohaproxy-test-%d", os.Getpid())
	ls := openT(t, &Config{}, parseBind(t, "abns@"+name))
	if ls[0].Address != "abns@"+name {
		t.Errorf("addr %q", ls[0].Address)
	}
	roundTrip(t, ls[0], "unix", "@"+name)
	_, err := (&Config{}).Open(context.Background(), parseBind(t, "abns@"+name))
	if err == nil || !strings.Contains(err.Error(), "cannot bind UNIX socket (already in use)") {
		t.Errorf("second bind: %v", err)
	}
}

// dupTo duplicates l's descriptor onto a free number and returns it.
func dupTo(t *testing.T, f *os.File) int {
	t.Helper()
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 200)
	if err != nil {
		t.Fatal(err)
	}
	return fd
}

func TestOpenFD(t *testing.T) {
	src, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := src.Addr().(*net.TCPAddr).Port
	f, _ := src.(*net.TCPListener).File()
	src.Close()
	fd := dupTo(t, f)
	f.Close()
	ls := openT(t, &Config{}, parseBind(t, fmt.Sprintf("fd@%d", fd)))
	if ls[0].Address != fmt.Sprintf("127.0.0.1:%d", port) || ls[0].Inherited != "fd" || ls[0].Family != haproxycfg.FamilyIPv4 {
		t.Errorf("got %+v", ls[0])
	}
	roundTrip(t, ls[0], "tcp4", fmt.Sprintf("127.0.0.1:%d", port))
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
		t.Errorf("fd %d still open after being taken", fd)
	}

	// bound but not listening: haproxy calls listen() itself
	sfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	// port 0: the kernel picks a free port (a port picked beforehand may
	// be taken by another test in the meantime)
	if err := unix.Bind(sfd, &unix.SockaddrInet4{Port: 0, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(sfd)
	if err != nil {
		t.Fatal(err)
	}
	port2 := sa.(*unix.SockaddrInet4).Port
	ls2 := openT(t, &Config{}, parseBind(t, fmt.Sprintf("fd@%d", sfd)))
	roundTrip(t, ls2[0], "tcp4", fmt.Sprintf("127.0.0.1:%d", port2))

	// not a socket
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	_, err = (&Config{}).Open(context.Background(), parseBind(t, fmt.Sprintf("fd@%d", r.Fd())))
	if err == nil || !strings.Contains(err.Error(), "Socket operation on non-socket") {
		t.Errorf("pipe: %v", err)
	}
}

// TestTransparentInterface needs root: IP_TRANSPARENT and SO_BINDTODEVICE.
func TestTransparentInterface(t *testing.T) {
	testenv.RequireRoot(t)
	port := freePorts(t, 1)
	tests := []struct {
		bind  string
		check func(t *testing.T, l *Listener)
	}{
		{fmt.Sprintf("192.0.2.77:%d transparent", port), func(t *testing.T, l *Listener) {
			if v := sockopt(t, l, unix.SOL_IP, unix.IP_TRANSPARENT); v != 1 {
				t.Errorf("IP_TRANSPARENT = %d", v)
			}
		}},
		{fmt.Sprintf("ipv6@2001:db8::77:%d transparent", port), func(t *testing.T, l *Listener) {
			if v := sockopt(t, l, unix.SOL_IPV6, unix.IPV6_TRANSPARENT); v != 1 {
				t.Errorf("IPV6_TRANSPARENT = %d", v)
			}
		}},
		{fmt.Sprintf("127.0.0.1:%d interface lo", port), func(t *testing.T, l *Listener) {
			roundTrip(t, l, "tcp4", fmt.Sprintf("127.0.0.1:%d", port))
			if l.Interface != "lo" {
				t.Errorf("interface %q", l.Interface)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.bind, func(t *testing.T) {
			ls := openT(t, &Config{}, parseBind(t, tt.bind))
			if len(ls[0].Warnings) > 0 {
				t.Errorf("warnings: %v", ls[0].Warnings)
			}
			tt.check(t, ls[0])
			ls[0].Close()
		})
	}
	// an unknown interface is a warning, as in haproxy
	ls := openT(t, &Config{Kind: "frontend", Proxy: "fe"}, parseBind(t, fmt.Sprintf("127.0.0.1:%d interface nosuchif0", port)))
	if len(ls[0].Warnings) != 1 || !strings.Contains(ls[0].Warnings[0].HAProxyText(),
		fmt.Sprintf("cannot bind receiver to device 'nosuchif0' (No such device) for [127.0.0.1:%d]", port)) {
		t.Errorf("warnings: %v", ls[0].Warnings)
	}
}

func TestOpenAllClosesOnError(t *testing.T) {
	port := freePorts(t, 1)
	taken, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	binds, _ := parseBinds(t, fmt.Sprintf("127.0.0.1:%d", port), taken.Addr().String())
	if _, err := (&Config{NoReusePort: true}).OpenAll(context.Background(), binds); err == nil {
		t.Fatal("no error")
	}
	// the first socket must have been closed again
	l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("port %d still held: %v", port, err)
	}
	l.Close()
}

func TestOpenAllReportsEveryFailure(t *testing.T) {
	dir := t.TempDir()
	binds, _ := parseBinds(t, "192.0.2.1:18080", dir+"/nodir/a.sock", fmt.Sprintf("127.0.0.1:%d", freePorts(t, 1)))
	_, err := (&Config{Kind: "listen", Proxy: "l"}).OpenAll(context.Background(), binds)
	var es Errors
	if !errors.As(err, &es) || len(es) != 2 {
		t.Fatalf("want 2 errors, got %v", err)
	}
	if !errors.Is(err, syscall.ENOENT) || !errors.Is(err, syscall.EADDRNOTAVAIL) {
		t.Errorf("errno lost: %v", err)
	}
	if !strings.HasPrefix(es[0].HAProxyText(), "Binding ["+binds[0].Pos.File+":7] for listen l: cannot bind socket") {
		t.Errorf("text: %s", es[0].HAProxyText())
	}
}

// TestNamespace binds inside a network namespace the test creates.
func TestNamespace(t *testing.T) {
	ns := testenv.NewNetNS(t)
	port := freePorts(t, 1)
	ls := openT(t, &Config{}, parseBind(t, fmt.Sprintf("127.0.0.1:%d namespace %s name inns", port, ns.Name)))
	if ls[0].Namespace != ns.Name || ls[0].Name != "inns" {
		t.Errorf("got %+v", ls[0])
	}
	// from the host's namespace nothing listens there
	if c, err := net.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
		c.Close()
		t.Errorf("reachable from the host namespace")
	}
	// a client socket created in the namespace reaches it
	fd, err := socketIn(ns.Name, unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("connect inside the namespace: %v", err)
	}
	c, err := ls[0].Accept()
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestUnixBindDefaults(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		ub   UnixBind
		bind string
		path string
		mode os.FileMode
		root bool
	}{
		{"prefix-and-mode", UnixBind{Prefix: dir + "/", Mode: "640"}, "p1.sock", dir + "/p1.sock", 0o640, false},
		{"bind-mode-wins", UnixBind{Prefix: dir + "/", Mode: "640"}, "p2.sock mode 600", dir + "/p2.sock", 0o600, false},
		{"owner", UnixBind{UID: "65534", Group: "nogroup", Mode: "660"}, dir + "/p3.sock", dir + "/p3.sock", 0o660, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root {
				testenv.RequireRoot(t)
			}
			// haproxy's parser wants a path; the prefix makes it absolute
			b := parseBind(t, "unix@"+tt.bind)
			ub := tt.ub
			openT(t, &Config{UnixBind: &ub}, b)
			st, err := os.Stat(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != tt.mode {
				t.Errorf("mode %o, want %o", st.Mode().Perm(), tt.mode)
			}
			if tt.root {
				sys := st.Sys().(*syscall.Stat_t)
				if sys.Uid != 65534 || sys.Gid != 65534 {
					t.Errorf("owner %d:%d", sys.Uid, sys.Gid)
				}
			}
		})
	}
}
