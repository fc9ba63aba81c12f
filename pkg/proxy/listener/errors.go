package listener

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// Severity of a BindError, as haproxy grades listener start-up problems:
// an alert stops the start, a warning is reported and the socket is kept.
type Severity int

const (
	SevAlert Severity = iota
	SevWarning
)

// BindError is one problem met while opening a bind line's socket. Its
// message reproduces haproxy's (as printed by haproxy 2.6 at start-up):
//
//	Binding [a.cfg:7] for frontend fe: cannot bind socket (Address already in use) for [127.0.0.1:80]
//
// followed, in Error(), by a hint saying what to change.
type BindError struct {
	Severity Severity
	Pos      haproxycfg.Pos
	Kind     string // "frontend", "listen", … ("" when unknown)
	Proxy    string // proxy name ("" when unknown)
	Msg      string // haproxy's reason, e.g. "cannot bind socket (Address already in use)"
	Addr     string // haproxy's rendering of the address, e.g. "127.0.0.1:80", ":::80", "/run/x.sock"
	Unix     bool   // unix-family messages put the path in brackets without "for"
	Err      error  // the system error, when there is one
	Hint     string // what to change, in plain words ("" when none applies)
}

// HAProxyText is the message exactly as haproxy prints it after
// "[ALERT]    (pid) : ".
func (e *BindError) HAProxyText() string {
	var b strings.Builder
	b.WriteString("Binding ")
	if e.Pos.File != "" {
		fmt.Fprintf(&b, "[%s:%d] ", e.Pos.File, e.Pos.Line)
	}
	kind := e.Kind
	if kind == "" {
		kind = "frontend"
	}
	fmt.Fprintf(&b, "for %s %s: %s", kind, e.Proxy, e.Msg)
	if e.Unix {
		fmt.Fprintf(&b, " [%s]", e.Addr)
	} else {
		fmt.Fprintf(&b, " for [%s]", e.Addr)
	}
	return b.String()
}

// Error is haproxy's text plus the hint.
func (e *BindError) Error() string {
	if e.Hint == "" {
		return e.HAProxyText()
	}
	return e.HAProxyText() + " (" + e.Hint + ")"
}

func (e *BindError) Unwrap() error { return e.Err }

// Errors is what OpenAll returns when bind lines fail: one alert per
// failing bind line, in order.
type Errors []*BindError

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap lets errors.Is and errors.As look at every error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// strerror renders err as glibc's strerror does ("Address already in use").
func strerror(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		if s, ok := glibcErrno[en]; ok {
			return s
		}
		s := en.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return err.Error()
}

// glibcErrno holds the strerror texts whose capitalisation differs from
// Go's syscall texts or which matter most for listeners.
var glibcErrno = map[syscall.Errno]string{
	syscall.EADDRINUSE:    "Address already in use",
	syscall.EADDRNOTAVAIL: "Cannot assign requested address",
	syscall.EACCES:        "Permission denied",
	syscall.EPERM:         "Operation not permitted",
	syscall.ENOENT:        "No such file or directory",
	syscall.ENODEV:        "No such device",
	syscall.EAFNOSUPPORT:  "Address family not supported by protocol",
	syscall.EBADF:         "Bad file descriptor",
	syscall.ENOTSOCK:      "Socket operation on non-socket",
	syscall.EINVAL:        "Invalid argument",
	syscall.EMFILE:        "Too many open files",
	syscall.ENOTDIR:       "Not a directory",
	syscall.EROFS:         "Read-only file system",
	syscall.ENAMETOOLONG:  "File name too long",
}

// hintFor says what the user can change for the common failures.
func hintFor(err error, addr string, port int, unixSock bool) string {
	var en syscall.Errno
	if !errors.As(err, &en) {
		return ""
	}
	switch en {
	case syscall.EADDRINUSE:
		if unixSock {
			return "another process holds this socket name: stop it or choose another path"
		}
		return fmt.Sprintf("another process already listens on port %d: stop it, or change the port of this bind line", port)
	case syscall.EACCES, syscall.EPERM:
		if unixSock {
			return "the directory is not writable for this user: run as a user allowed to create it or choose another path"
		}
		if start := unprivilegedPortStart(); port > 0 && port < start {
			return fmt.Sprintf("ports below %d need root or CAP_NET_BIND_SERVICE: run as root or pick a port above %d", start, start-1)
		}
		return "not permitted for this user: run as root or with the needed capability"
	case syscall.EADDRNOTAVAIL:
		return fmt.Sprintf("no local interface has address %s: configure it on an interface, use '*' or add 'transparent' (with net.ipv4.ip_nonlocal_bind or IP_FREEBIND)", addr)
	case syscall.ENOENT:
		if unixSock {
			return "the directory does not exist: create it first"
		}
	case syscall.ENODEV:
		return "no network interface has that name: check 'interface'"
	case syscall.EAFNOSUPPORT:
		return "this address family is not enabled in the kernel"
	case syscall.EMFILE:
		return "raise the open file limit (ulimit -n)"
	}
	return ""
}

// unprivilegedPortStart is net.ipv4.ip_unprivileged_port_start (1024 when
// it cannot be read).
func unprivilegedPortStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		return 1024
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 1024
	}
	return n
}
