package listener

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Socket is a listening socket received from elsewhere: from systemd
// (LISTEN_FDS) or from the previous process (haproxy's _getsocks).
type Socket struct {
	File   *os.File
	FD     int    // the descriptor number File holds
	Source string // "systemd" or "getsocks"
	Name   string // systemd's LISTEN_FDNAMES entry, if any

	// What haproxy sends along with each socket (namespace and interface
	// names), or what the socket itself says when nothing was sent.
	Namespace string
	Interface string

	// Read from the socket.
	Family  int // unix.AF_INET, AF_INET6, AF_UNIX
	Type    int // unix.SOCK_STREAM, SOCK_DGRAM
	Addr    unix.Sockaddr
	V6Only  bool
	Foreign bool // IP_TRANSPARENT / IPV6_TRANSPARENT / IP_FREEBIND set

	used bool
}

// Inherited is a pool of received sockets that Open takes from before
// creating new ones.
type Inherited struct {
	mu      sync.Mutex
	Sockets []*Socket
}

// take returns the first unused socket that match accepts and marks it
// used. A nil pool holds nothing.
func (in *Inherited) take(match func(*Socket) bool) *Socket {
	if in == nil {
		return nil
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, s := range in.Sockets {
		if !s.used && match(s) {
			s.used = true
			return s
		}
	}
	return nil
}

// Unused returns the sockets no bind line took.
func (in *Inherited) Unused() []*Socket {
	if in == nil {
		return nil
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []*Socket
	for _, s := range in.Sockets {
		if !s.used {
			out = append(out, s)
		}
	}
	return out
}

// CloseUnused closes the sockets no bind line took (haproxy closes the
// received sockets it did not reuse) and returns how many.
func (in *Inherited) CloseUnused() int {
	n := 0
	for _, s := range in.Unused() {
		in.mu.Lock()
		s.used = true
		in.mu.Unlock()
		s.File.Close()
		n++
	}
	return n
}

// Add puts a descriptor into the pool, reading its address and options
// from the socket itself. The pool owns fd from then on.
func (in *Inherited) Add(fd int, source, name, namespace, iface string) (*Socket, error) {
	s, err := inspect(fd)
	if err != nil {
		return nil, err
	}
	s.Source, s.Name, s.Namespace = source, name, namespace
	if iface != "" {
		s.Interface = iface
	}
	s.File = os.NewFile(uintptr(fd), fmt.Sprintf("%s fd %d", source, fd))
	in.mu.Lock()
	in.Sockets = append(in.Sockets, s)
	in.mu.Unlock()
	return s, nil
}

// inspect reads what matching needs from a socket, as haproxy does for
// the sockets it receives.
func inspect(fd int) (*Socket, error) {
	s := &Socket{FD: fd}
	var err error
	if s.Type, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE); err != nil {
		return nil, fmt.Errorf("fd %d: %s", fd, strerror(err))
	}
	if s.Addr, err = unix.Getsockname(fd); err != nil {
		return nil, fmt.Errorf("fd %d: getsockname: %s", fd, strerror(err))
	}
	switch s.Addr.(type) {
	case *unix.SockaddrInet4:
		s.Family = unix.AF_INET
		if v, _ := unix.GetsockoptInt(fd, unix.SOL_IP, unix.IP_TRANSPARENT); v > 0 {
			s.Foreign = true
		}
		if v, _ := unix.GetsockoptInt(fd, unix.SOL_IP, unix.IP_FREEBIND); v > 0 {
			s.Foreign = true
		}
	case *unix.SockaddrInet6:
		s.Family = unix.AF_INET6
		if v, _ := unix.GetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY); v > 0 {
			s.V6Only = true
		}
		if v, _ := unix.GetsockoptInt(fd, unix.SOL_IPV6, unix.IPV6_TRANSPARENT); v > 0 {
			s.Foreign = true
		}
		if v, _ := unix.GetsockoptInt(fd, unix.SOL_IP, unix.IP_FREEBIND); v > 0 {
			s.Foreign = true
		}
	case *unix.SockaddrUnix:
		s.Family = unix.AF_UNIX
	default:
		s.Family = -1
	}
	if s.Family == unix.AF_INET || s.Family == unix.AF_INET6 {
		if dev, err := unix.GetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE); err == nil {
			s.Interface = strings.TrimRight(dev, "\x00")
		}
	}
	unix.CloseOnExec(fd)
	return s, nil
}

// matchInet is haproxy's test for reusing a received socket: same family,
// address and port, same v6only and transparent settings, same interface.
func (s *Socket) matchInet(family int, sa unix.Sockaddr, v6only, foreign bool, iface, ns string) bool {
	if s.Family != family || s.Type != unix.SOCK_STREAM || s.Namespace != ns {
		return false
	}
	if s.Interface != iface || s.Foreign != foreign {
		return false
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		b, ok := s.Addr.(*unix.SockaddrInet4)
		return ok && a.Port == b.Port && a.Addr == b.Addr
	case *unix.SockaddrInet6:
		b, ok := s.Addr.(*unix.SockaddrInet6)
		return ok && a.Port == b.Port && a.Addr == b.Addr && s.V6Only == v6only
	}
	return false
}

// tmpSuffix is what a unix socket bound haproxy's way still reports as its
// name: the temporary name it was bound to before the rename.
var tmpSuffix = regexp.MustCompile(`\.[0-9]+\.(tmp|bak)$`)

func (s *Socket) matchUnix(path string, abstract bool) bool {
	if s.Family != unix.AF_UNIX || s.Type != unix.SOCK_STREAM {
		return false
	}
	a, ok := s.Addr.(*unix.SockaddrUnix)
	if !ok {
		return false
	}
	name := a.Name
	if abstract {
		return strings.HasPrefix(name, "@") && name[1:] == path
	}
	if strings.HasPrefix(name, "@") || name == "" {
		return false
	}
	return tmpSuffix.ReplaceAllString(name, "") == path
}

// FromSystemd collects the sockets systemd passes with socket activation:
// LISTEN_PID must be this process, LISTEN_FDS sockets start at fd 3, and
// LISTEN_FDNAMES (colon separated) names them. With unsetEnv the three
// variables are removed so that children do not see them. No variables
// means an empty pool.
func FromSystemd(unsetEnv bool) (*Inherited, error) {
	in := &Inherited{}
	pid, fds, names := os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDS"), os.Getenv("LISTEN_FDNAMES")
	if unsetEnv {
		os.Unsetenv("LISTEN_PID")
		os.Unsetenv("LISTEN_FDS")
		os.Unsetenv("LISTEN_FDNAMES")
	}
	if fds == "" {
		return in, nil
	}
	if pid != "" {
		p, err := strconv.Atoi(pid)
		if err != nil {
			return in, fmt.Errorf("LISTEN_PID=%q is not a number", pid)
		}
		if p != os.Getpid() {
			return in, nil // meant for another process
		}
	}
	n, err := strconv.Atoi(fds)
	if err != nil || n < 0 {
		return in, fmt.Errorf("LISTEN_FDS=%q is not a number", fds)
	}
	var nameList []string
	if names != "" {
		nameList = strings.Split(names, ":")
	}
	for i := 0; i < n; i++ {
		fd := 3 + i
		name := ""
		if i < len(nameList) {
			name = nameList[i]
		}
		if _, err := in.Add(fd, "systemd", name, "", ""); err != nil {
			return in, fmt.Errorf("systemd socket %d (LISTEN_FDS): %v", fd, err)
		}
	}
	return in, nil
}

// Merge appends the sockets of other to in.
func (in *Inherited) Merge(other *Inherited) {
	if other == nil {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.Sockets = append(in.Sockets, other.Sockets...)
}

// String lists the pool for logs.
func (in *Inherited) String() string {
	if in == nil {
		return "none"
	}
	var b bytes.Buffer
	for i, s := range in.Sockets {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s fd %d %s", s.Source, s.FD, sockaddrText(s.Addr))
	}
	return b.String()
}

func sockaddrText(sa unix.Sockaddr) string {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return inetAddrText(netip.AddrFrom4(a.Addr), a.Port)
	case *unix.SockaddrInet6:
		return inetAddrText(netip.AddrFrom16(a.Addr), a.Port)
	case *unix.SockaddrUnix:
		return a.Name
	}
	return "?"
}
