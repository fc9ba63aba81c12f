// Package listener opens haproxy's listening sockets from bind lines: one
// socket per address and port (port ranges give several), with the socket
// options haproxy sets (SO_REUSEADDR, SO_REUSEPORT, IPV6_V6ONLY as v4v6 and
// v6only ask, IP_TRANSPARENT, SO_BINDTODEVICE, TCP_MAXSEG, TCP_DEFER_ACCEPT,
// TCP_FASTOPEN, TCP_USER_TIMEOUT), unix sockets created haproxy's way
// (bound to a temporary name, then renamed over the final one so a reload
// never leaves a moment without the socket), abstract sockets, and sockets
// inherited from a parent (fd@N, systemd socket activation) or from the
// previous process during a seamless reload (haproxy's -x and "_getsocks").
package listener

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// Listener is one listening socket of a bind line.
type Listener struct {
	net.Listener // *net.TCPListener or *net.UnixListener

	Bind      *haproxycfg.Bind
	Address   string // as haproxy prints it: "127.0.0.1:80", ":::80", "/run/x.sock", "abns@name"
	Family    haproxycfg.AddressFamily
	Port      int    // 0 for unix sockets
	Inherited string // "" when created here; "fd", "systemd" or "getsocks" otherwise
	Interface string
	Namespace string
	Name      string // the bind's "name" option
	Backlog   int
	// Warnings are the non-fatal problems met while opening the socket:
	// haproxy prints them (as [WARNING], or [ALERT] when their Severity
	// is SevAlert) and keeps the socket.
	Warnings []*BindError

	pause pauseState
}

// Config carries what a bind line does not say itself.
type Config struct {
	Kind  string // proxy kind for messages ("frontend", "listen"); default "frontend"
	Proxy string // proxy name for messages

	// Defaults for the listen backlog, taken in haproxy's order: the bind's
	// backlog, the proxy's backlog, the bind's maxconn, the proxy's
	// maxconn, the global maxconn, then the kernel's limit.
	ProxyBacklog  int
	ProxyMaxconn  int
	GlobalMaxconn int

	// UnixBind holds the global "unix-bind" defaults (may be nil).
	UnixBind *UnixBind

	// NoReusePort disables SO_REUSEPORT (haproxy's "noreuseport").
	NoReusePort bool

	// Inherited sockets to take before creating new ones (may be nil).
	Inherited *Inherited

	// PID names the unix sockets' temporary files; default os.Getpid().
	PID int

	// LookupUser and LookupGroup resolve user/group names of unix binds;
	// default os/user.
	LookupUser  func(name string) (int, error)
	LookupGroup func(name string) (int, error)
}

// UnixBind is the global "unix-bind" line: a path prefix and default
// mode and owner for unix sockets; a bind line's own settings win.
// Values are as written in the configuration ("" when not set).
type UnixBind struct {
	Prefix     string
	Mode       string
	User, UID  string
	Group, GID string
}

// Open opens bind's sockets with default settings, taking matching sockets
// from inherited first (inherited may be nil).
func Open(ctx context.Context, bind *haproxycfg.Bind, inherited *Inherited) ([]*Listener, error) {
	c := &Config{Inherited: inherited}
	return c.Open(ctx, bind)
}

// Open creates one listening socket per address and port of bind. On error
// no socket stays open; the error is a *BindError (haproxy's text plus a hint).
func (c *Config) Open(ctx context.Context, bind *haproxycfg.Bind) ([]*Listener, error) {
	a := bind.Addr
	if a.Proto == "udp" || a.Proto == "quic" {
		return nil, c.alert(bind, a.Raw, false, nil,
			fmt.Sprintf("cannot bind '%s': %s listeners are not supported by gohaproxy", a.Raw, a.Proto),
			"use a TCP or unix address on this bind line")
	}
	switch a.Family {
	case haproxycfg.FamilyUnix, haproxycfg.FamilyAbstract:
		l, err := c.openUnix(bind)
		if err != nil {
			return nil, err
		}
		return []*Listener{l}, nil
	case haproxycfg.FamilyFD:
		l, err := c.openFD(bind)
		if err != nil {
			return nil, err
		}
		return []*Listener{l}, nil
	case haproxycfg.FamilySockPair:
		return nil, c.alert(bind, a.Raw, false, nil,
			fmt.Sprintf("cannot use '%s': sockpair@ listeners are not supported by gohaproxy", a.Raw),
			"pass a listening socket with fd@N instead")
	}
	ip, err := c.resolve(ctx, bind)
	if err != nil {
		return nil, err
	}
	if !a.HasPort {
		return nil, c.alert(bind, a.Raw, false, nil, fmt.Sprintf("missing port number: '%s'", a.Raw), "add :port to the address")
	}
	var out []*Listener
	for port := a.PortLow; port <= a.PortHigh; port++ {
		l, err := c.openInet(bind, ip, port)
		if err != nil {
			for _, o := range out {
				o.Close()
			}
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// OpenAll opens every bind line of a proxy. Like haproxy it tries them
// all and reports every failure (as Errors, one *BindError per failing
// bind line); on failure it closes what it opened.
func (c *Config) OpenAll(ctx context.Context, binds []*haproxycfg.Bind) ([]*Listener, error) {
	var out []*Listener
	var errs Errors
	for _, b := range binds {
		ls, err := c.Open(ctx, b)
		if err != nil {
			var be *BindError
			if errors.As(err, &be) {
				errs = append(errs, be)
			} else {
				errs = append(errs, c.alert(b, b.Addr.Raw, false, err, err.Error(), ""))
			}
			continue
		}
		out = append(out, ls...)
	}
	if len(errs) > 0 {
		for _, o := range out {
			o.Close()
		}
		return nil, errs
	}
	return out, nil
}

func (c *Config) alert(bind *haproxycfg.Bind, addr string, unixSock bool, err error, msg, hint string) *BindError {
	return &BindError{Severity: SevAlert, Pos: bind.Pos, Kind: c.Kind, Proxy: c.Proxy,
		Msg: msg, Addr: addr, Unix: unixSock, Err: err, Hint: hint}
}

func (c *Config) warn(bind *haproxycfg.Bind, addr string, err error, msg, hint string) *BindError {
	return &BindError{Severity: SevWarning, Pos: bind.Pos, Kind: c.Kind, Proxy: c.Proxy,
		Msg: msg, Addr: addr, Err: err, Hint: hint}
}

func (b *Listener) String() string { return b.Address }

// File returns a duplicate of the listener's descriptor (for handing the
// socket to another process).
func (b *Listener) File() (*os.File, error) {
	type filer interface{ File() (*os.File, error) }
	f, ok := b.Listener.(filer)
	if !ok {
		return nil, fmt.Errorf("listener %s has no file descriptor", b.Address)
	}
	return f.File()
}

// optInt returns the integer argument of a bind option, 0 when absent.
func optInt(bind *haproxycfg.Bind, name string) (int, bool, error) {
	v, ok := bind.Options[name]
	if !ok {
		return 0, false, nil
	}
	if len(v) == 0 {
		return 0, true, fmt.Errorf("'%s' expects an integer argument", name)
	}
	n, err := strconv.Atoi(v[0])
	if err != nil {
		return 0, true, fmt.Errorf("'%s' expects an integer argument, got '%s'", name, v[0])
	}
	return n, true, nil
}

func hasOpt(bind *haproxycfg.Bind, name string) bool {
	_, ok := bind.Options[name]
	return ok
}

func optStr(bind *haproxycfg.Bind, name string) string {
	if v := bind.Options[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// backlog computes listen()'s backlog in haproxy's order.
func (c *Config) backlog(bind *haproxycfg.Bind) int {
	if n, _, _ := optInt(bind, "backlog"); n > 0 {
		return n
	}
	if c.ProxyBacklog > 0 {
		return c.ProxyBacklog
	}
	if n, _, _ := optInt(bind, "maxconn"); n > 0 {
		return n
	}
	if c.ProxyMaxconn > 0 {
		return c.ProxyMaxconn
	}
	if c.GlobalMaxconn > 0 {
		return c.GlobalMaxconn
	}
	return 65535 // the kernel clamps it to net.core.somaxconn
}

// resolve turns the bind's host into an IP of the right family.
func (c *Config) resolve(ctx context.Context, bind *haproxycfg.Bind) (netip.Addr, error) {
	a := bind.Addr
	switch a.Family {
	case haproxycfg.FamilyIPv4:
		if a.Host == "" || a.Host == "*" {
			return netip.IPv4Unspecified(), nil
		}
	case haproxycfg.FamilyIPv6:
		if a.Host == "" || a.Host == "*" {
			return netip.IPv6Unspecified(), nil
		}
	case haproxycfg.FamilyHost:
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", a.Host)
		if err != nil || len(ips) == 0 {
			return netip.Addr{}, c.alert(bind, a.Raw, false, err,
				fmt.Sprintf("invalid address: '%s' in '%s'", a.Host, a.Raw),
				"the name does not resolve: use an IP address or fix the name")
		}
		// haproxy takes the resolver's first answer, preferring IPv4 like getaddrinfo.
		for _, ip := range ips {
			if ip.Unmap().Is4() {
				return ip.Unmap(), nil
			}
		}
		return ips[0], nil
	default:
		return netip.Addr{}, c.alert(bind, a.Raw, false, nil,
			fmt.Sprintf("unsupported address family in '%s'", a.Raw), "use an IPv4, IPv6 or unix address")
	}
	ip, err := netip.ParseAddr(strings.Trim(a.Host, "[]"))
	if err != nil {
		return netip.Addr{}, c.alert(bind, a.Raw, false, err,
			fmt.Sprintf("invalid address: '%s' in '%s'", a.Host, a.Raw), "use an IP address")
	}
	if a.Family == haproxycfg.FamilyIPv4 {
		ip = ip.Unmap()
	}
	return ip, nil
}

// inetAddrText renders ip:port as haproxy does (IPv6 without brackets).
func inetAddrText(ip netip.Addr, port int) string {
	return fmt.Sprintf("%s:%d", ip.String(), port)
}

func sockaddrOf(ip netip.Addr, port int) (unix.Sockaddr, int) {
	if ip.Is4() {
		return &unix.SockaddrInet4{Port: port, Addr: ip.As4()}, unix.AF_INET
	}
	return &unix.SockaddrInet6{Port: port, Addr: ip.As16()}, unix.AF_INET6
}

// v6onlyDefault is the kernel's net.ipv6.bindv6only, read as haproxy does
// from a fresh socket.
func v6onlyDefault() bool {
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	v, err := unix.GetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY)
	return err == nil && v > 0
}

// wantV6Only is haproxy's rule: v6only wins, else v4v6 forces dual stack,
// else the kernel's default applies.
func wantV6Only(bind *haproxycfg.Bind) bool {
	return hasOpt(bind, "v6only") || (v6onlyDefault() && !hasOpt(bind, "v4v6"))
}

func (c *Config) openInet(bind *haproxycfg.Bind, ip netip.Addr, port int) (*Listener, error) {
	sa, family := sockaddrOf(ip, port)
	text := inetAddrText(ip, port)
	fam := haproxycfg.FamilyIPv4
	if family == unix.AF_INET6 {
		fam = haproxycfg.FamilyIPv6
	}
	iface := optStr(bind, "interface")
	ns := optStr(bind, "namespace")
	transparent := hasOpt(bind, "transparent")
	backlog := c.backlog(bind)
	l := &Listener{Bind: bind, Address: text, Family: fam, Port: port, Interface: iface, Namespace: ns,
		Name: optStr(bind, "name"), Backlog: backlog}

	v6only := family == unix.AF_INET6 && wantV6Only(bind)
	if s := c.Inherited.take(func(s *Socket) bool {
		return s.matchInet(family, sa, v6only, transparent, iface, ns)
	}); s != nil {
		// haproxy still applies the TCP options and listens if needed
		c.tcpOptions(bind, s.FD, text, backlog, l)
		if acc, err := unix.GetsockoptInt(s.FD, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err != nil || acc == 0 {
			if err := unix.Listen(s.FD, backlog); err != nil {
				s.File.Close()
				return nil, c.alert(bind, text, false, err, "cannot listen to socket ("+strerror(err)+")", "")
			}
		}
		nl, err := net.FileListener(s.File)
		s.File.Close()
		if err != nil {
			return nil, c.alert(bind, text, false, err, "cannot use inherited socket ("+err.Error()+")", "")
		}
		noAcceptKeepAlive(nl)
		l.Listener = nl
		l.Inherited = s.Source
		return l, nil
	}

	fd, err := socketIn(ns, family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		var nse *nsError
		if errors.As(err, &nse) {
			return nil, c.alert(bind, text, false, err, "cannot create receiving socket ("+err.Error()+")",
				fmt.Sprintf("create the namespace with 'ip netns add %s' or fix the name; entering it needs root", ns))
		}
		return nil, c.alert(bind, text, false, err, "cannot create receiving socket ("+strerror(err)+")", hintFor(err, ip.String(), port, false))
	}
	ok := false
	defer func() {
		if !ok {
			unix.Close(fd)
		}
	}()
	// haproxy reports these two as alerts but keeps the socket
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		l.Warnings = append(l.Warnings, c.alert(bind, text, false, err, "cannot do so_reuseaddr", ""))
	}
	if !c.NoReusePort {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1) // haproxy ignores failures
	}
	if transparent && !makeForeign(fd, family) {
		l.Warnings = append(l.Warnings, c.alert(bind, text, false, syscall.EPERM, "cannot make receiving socket transparent",
			"'transparent' needs CAP_NET_ADMIN (run as root) or a kernel with IP_FREEBIND"))
	}
	if iface != "" {
		if err := unix.SetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, iface); err != nil {
			l.Warnings = append(l.Warnings, c.warn(bind, text, err,
				fmt.Sprintf("cannot bind receiver to device '%s' (%s)", iface, strerror(err)),
				"check the interface name; binding to a device needs CAP_NET_RAW"))
		}
	}
	if family == unix.AF_INET6 {
		v := 0
		if v6only {
			v = 1
		}
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v)
	}
	if err := unix.Bind(fd, sa); err != nil {
		return nil, c.alert(bind, text, false, err, "cannot bind socket ("+strerror(err)+")", hintFor(err, ip.String(), port, false))
	}
	c.tcpOptions(bind, fd, text, backlog, l)
	if err := unix.Listen(fd, backlog); err != nil {
		return nil, c.alert(bind, text, false, err, "cannot listen to socket ("+strerror(err)+")", hintFor(err, ip.String(), port, false))
	}
	nl, err := fdListener(fd, text)
	if err != nil {
		return nil, c.alert(bind, text, false, err, "cannot use socket ("+err.Error()+")", "")
	}
	ok = true
	noAcceptKeepAlive(nl)
	l.Listener = nl
	return l, nil
}

// fdListener wraps fd into a net.Listener and closes fd (the listener
// holds its own duplicate).
func fdListener(fd int, name string) (net.Listener, error) {
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	return net.FileListener(f)
}

// makeForeign lets fd bind a non-local address as haproxy does:
// IP_TRANSPARENT (or IPV6_TRANSPARENT), else IP_FREEBIND.
func makeForeign(fd, family int) bool {
	if family == unix.AF_INET {
		if unix.SetsockoptInt(fd, unix.SOL_IP, unix.IP_TRANSPARENT, 1) == nil {
			return true
		}
	} else if unix.SetsockoptInt(fd, unix.SOL_IPV6, unix.IPV6_TRANSPARENT, 1) == nil {
		return true
	}
	return unix.SetsockoptInt(fd, unix.SOL_IP, unix.IP_FREEBIND, 1) == nil
}

// tcpOptions applies mss, tcp-ut, defer-accept and tfo; failures are
// warnings, as in haproxy.
func (c *Config) tcpOptions(bind *haproxycfg.Bind, fd int, text string, backlog int, l *Listener) {
	if mss, ok, err := optInt(bind, "mss"); ok {
		if mss < 0 {
			mss = -mss
		}
		if err == nil && mss > 0 {
			err = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_MAXSEG, mss)
		}
		if err != nil {
			l.Warnings = append(l.Warnings, c.warn(bind, text, err, "cannot set MSS", "check the 'mss' value"))
		}
	}
	if v := optStr(bind, "tcp-ut"); v != "" {
		ms, err := parseMillis(v)
		if err == nil {
			err = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, ms)
		}
		if err != nil {
			l.Warnings = append(l.Warnings, c.warn(bind, text, err, "cannot set TCP User Timeout", "check the 'tcp-ut' value"))
		}
	}
	if hasOpt(bind, "defer-accept") {
		// haproxy defers the accept by up to one second
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT, 1); err != nil {
			l.Warnings = append(l.Warnings, c.warn(bind, text, err, "cannot enable DEFER_ACCEPT", ""))
		}
	}
	if hasOpt(bind, "tfo") {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_FASTOPEN, backlog); err != nil {
			l.Warnings = append(l.Warnings, c.warn(bind, text, err, "cannot enable TCP_FASTOPEN",
				"enable server-side TCP Fast Open with sysctl net.ipv4.tcp_fastopen=3"))
		}
	}
}

// parseMillis reads a haproxy time value (default unit: milliseconds).
func parseMillis(s string) (int, error) {
	units := []struct {
		suffix string
		d      time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}, {"d", 24 * time.Hour}}
	mult := time.Millisecond
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.d
			break
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid time value")
	}
	return int((time.Duration(n) * mult) / time.Millisecond), nil
}

// unix sockets

func (c *Config) lookupUser(name string) (int, error) {
	if c.LookupUser != nil {
		return c.LookupUser(name)
	}
	u, err := user.Lookup(name)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(u.Uid)
}

func (c *Config) lookupGroup(name string) (int, error) {
	if c.LookupGroup != nil {
		return c.LookupGroup(name)
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(g.Gid)
}

// unixOwner returns the uid, gid (-1 to keep) and mode (0 to keep) of a unix bind.
func (c *Config) unixOwner(bind *haproxycfg.Bind, text string) (uid, gid int, mode uint32, err error) {
	uid, gid = -1, -1
	ub := c.UnixBind
	if ub == nil {
		ub = &UnixBind{}
	}
	pick := func(opt, def string) string {
		if v := optStr(bind, opt); v != "" {
			return v
		}
		return def
	}
	userV, uidV, groupV, gidV := pick("user", ""), pick("uid", ""), pick("group", ""), pick("gid", "")
	if userV == "" && uidV == "" {
		userV, uidV = ub.User, ub.UID
	}
	if groupV == "" && gidV == "" {
		groupV, gidV = ub.Group, ub.GID
	}
	if v := uidV; v != "" {
		if uid, err = strconv.Atoi(v); err != nil {
			return 0, 0, 0, c.alert(bind, text, true, err, fmt.Sprintf("'uid' : invalid value '%s'", v), "give a numeric user id")
		}
	}
	if v := userV; v != "" {
		if uid, err = c.lookupUser(v); err != nil {
			return 0, 0, 0, c.alert(bind, text, true, err, fmt.Sprintf("'user' : unknown user '%s'", v), "create the user or fix the name")
		}
	}
	if v := gidV; v != "" {
		if gid, err = strconv.Atoi(v); err != nil {
			return 0, 0, 0, c.alert(bind, text, true, err, fmt.Sprintf("'gid' : invalid value '%s'", v), "give a numeric group id")
		}
	}
	if v := groupV; v != "" {
		if gid, err = c.lookupGroup(v); err != nil {
			return 0, 0, 0, c.alert(bind, text, true, err, fmt.Sprintf("'group' : unknown group '%s'", v), "create the group or fix the name")
		}
	}
	if v := pick("mode", ub.Mode); v != "" {
		m, perr := strconv.ParseUint(v, 8, 32)
		if perr != nil {
			return 0, 0, 0, c.alert(bind, text, true, perr, fmt.Sprintf("'mode' : invalid octal value '%s'", v), "write the mode in octal, e.g. 660")
		}
		mode = uint32(m)
	}
	return uid, gid, mode, nil
}

func (c *Config) openUnix(bind *haproxycfg.Bind) (*Listener, error) {
	a := bind.Addr
	abstract := a.Family == haproxycfg.FamilyAbstract
	path := a.Host
	if !abstract && c.UnixBind != nil {
		path = c.UnixBind.Prefix + path
	}
	text := path
	if abstract {
		text = "abns@" + path
	}
	backlog := c.backlog(bind)
	l := &Listener{Bind: bind, Address: text, Family: a.Family, Name: optStr(bind, "name"), Backlog: backlog}
	if s := c.Inherited.take(func(s *Socket) bool { return s.matchUnix(path, abstract) }); s != nil {
		nl, err := net.FileListener(s.File)
		s.File.Close()
		if err != nil {
			return nil, c.alert(bind, text, true, err, "cannot use inherited socket ("+err.Error()+")", "")
		}
		l.Listener, l.Inherited = nl, s.Source
		return l, nil
	}
	uid, gid, mode, err := c.unixOwner(bind, text)
	if err != nil {
		return nil, err
	}
	pid := c.PID
	if pid == 0 {
		pid = os.Getpid()
	}
	var sa *unix.SockaddrUnix
	tempname := fmt.Sprintf("%s.%d.tmp", path, pid)
	backname := fmt.Sprintf("%s.%d.bak", path, pid)
	if abstract {
		sa = &unix.SockaddrUnix{Name: "@" + path}
		if len(path)+1 > 108 {
			return nil, c.alert(bind, text, true, nil, "name too long for UNIX socket (limit usually 97)", "use a shorter name")
		}
	} else {
		if len(tempname) >= 108 {
			return nil, c.alert(bind, text, true, nil, "name too long for UNIX socket (limit usually 97)", "use a shorter path")
		}
		if err := unix.Unlink(tempname); err != nil && err != unix.ENOENT {
			return nil, c.alert(bind, text, true, err, "error when trying to unlink previous UNIX socket ("+strerror(err)+")", hintFor(err, "", 0, true))
		}
		if err := unix.Unlink(backname); err != nil && err != unix.ENOENT {
			return nil, c.alert(bind, text, true, err, "error when trying to unlink previous UNIX socket ("+strerror(err)+")", hintFor(err, "", 0, true))
		}
		// keep the old socket reachable under backname until the new one
		// has replaced it
		if err := unix.Link(path, backname); err != nil && err != unix.ENOENT {
			return nil, c.alert(bind, text, true, err, "error when trying to preserve previous UNIX socket ("+strerror(err)+")", hintFor(err, "", 0, true))
		}
		sa = &unix.SockaddrUnix{Name: tempname}
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		if !abstract {
			unix.Unlink(backname)
		}
		return nil, c.alert(bind, text, true, err, "cannot create receiving socket ("+strerror(err)+")", "")
	}
	fail := func(stage string, err error, rollback bool) error {
		unix.Close(fd)
		if !abstract {
			if rollback {
				// put the old socket back, or remove ours if there was none
				if rerr := unix.Rename(backname, path); rerr == unix.ENOENT {
					unix.Unlink(path)
				}
			}
			unix.Unlink(tempname)
			unix.Unlink(backname)
		}
		return c.alert(bind, text, true, err, stage+" ("+strerror(err)+")", hintFor(err, "", 0, true))
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		if !abstract {
			unix.Unlink(backname)
		}
		msg := "cannot bind UNIX socket (" + strerror(err) + ")"
		if err == unix.EADDRINUSE {
			msg = "cannot bind UNIX socket (already in use)"
		}
		return nil, c.alert(bind, text, true, err, msg, hintFor(err, "", 0, true))
	}
	if !abstract {
		if uid != -1 || gid != -1 {
			if err := unix.Chown(tempname, uid, gid); err != nil {
				return nil, fail("cannot change UNIX socket ownership", err, false)
			}
		}
		if mode != 0 {
			if err := unix.Chmod(tempname, mode); err != nil {
				return nil, fail("cannot change UNIX socket ownership", err, false)
			}
		}
		if err := unix.Rename(tempname, path); err != nil {
			return nil, fail("cannot switch final and temporary UNIX sockets", err, true)
		}
		unix.Unlink(backname)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		return nil, fail("cannot listen to UNIX socket", err, false)
	}
	nl, err := fdListener(fd, text)
	if err != nil {
		return nil, c.alert(bind, text, true, err, "cannot use socket ("+err.Error()+")", "")
	}
	if ul, ok := nl.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false) // a reload hands the path to the next process
	}
	l.Listener = nl
	return l, nil
}

// fd@N

func (c *Config) openFD(bind *haproxycfg.Bind) (*Listener, error) {
	a := bind.Addr
	text := a.Raw
	n, err := strconv.Atoi(a.Host)
	if err != nil || n < 0 {
		return nil, c.alert(bind, text, false, err, fmt.Sprintf("file descriptor '%s' is not a valid integer", a.Host), "write fd@N with N a number")
	}
	typ, err := unix.GetsockoptInt(n, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return nil, c.alert(bind, "fd "+a.Host, true, err,
			fmt.Sprintf("cannot use file descriptor '%d' (%s)", n, strerror(err)),
			"the process manager must pass an open listening socket as this descriptor")
	}
	if typ != unix.SOCK_STREAM {
		return nil, c.alert(bind, "fd "+a.Host, true, nil,
			fmt.Sprintf("cannot use file descriptor '%d' (not a stream socket)", n),
			"pass a TCP or unix stream socket")
	}
	sa, err := unix.Getsockname(n)
	if err != nil {
		return nil, c.alert(bind, "fd "+a.Host, true, err, fmt.Sprintf("cannot use file descriptor '%d' (%s)", n, strerror(err)), "")
	}
	l := &Listener{Bind: bind, Address: text, Inherited: "fd", Backlog: c.backlog(bind)}
	switch s := sa.(type) {
	case *unix.SockaddrInet4:
		l.Family, l.Port = haproxycfg.FamilyIPv4, s.Port
		l.Address = inetAddrText(netip.AddrFrom4(s.Addr), s.Port)
	case *unix.SockaddrInet6:
		l.Family, l.Port = haproxycfg.FamilyIPv6, s.Port
		l.Address = inetAddrText(netip.AddrFrom16(s.Addr), s.Port)
	case *unix.SockaddrUnix:
		l.Family = haproxycfg.FamilyUnix
		if strings.HasPrefix(s.Name, "@") {
			l.Family = haproxycfg.FamilyAbstract
		}
	default:
		return nil, c.alert(bind, "fd "+a.Host, true, nil,
			fmt.Sprintf("cannot use file descriptor '%d' (unsupported address family)", n), "pass an IPv4, IPv6 or unix socket")
	}
	// haproxy listens itself on a bound socket that is not listening yet
	if acc, err := unix.GetsockoptInt(n, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err != nil || acc == 0 {
		if err := unix.Listen(n, l.Backlog); err != nil {
			return nil, c.alert(bind, "fd "+a.Host, true, err, "cannot listen to socket ("+strerror(err)+")", "")
		}
	}
	// take it out of the inherited pool if it is there, so that its
	// *os.File is the only owner of the descriptor
	var f *os.File
	if s := c.Inherited.take(func(s *Socket) bool { return s.FD == n }); s != nil {
		f = s.File
	} else {
		f = os.NewFile(uintptr(n), text)
	}
	nl, err := net.FileListener(f)
	f.Close()
	if err != nil {
		return nil, c.alert(bind, "fd "+a.Host, true, err, "cannot use file descriptor ("+err.Error()+")", "")
	}
	noAcceptKeepAlive(nl)
	l.Listener = nl
	return l, nil
}
