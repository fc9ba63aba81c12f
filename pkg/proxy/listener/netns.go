package listener

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// NetnsDir is where named network namespaces live (as "ip netns" and
// haproxy use them).
var NetnsDir = "/var/run/netns"

// socketIn creates a socket inside the named network namespace, as
// haproxy's "namespace" bind option does: only the socket() call happens
// in the namespace; the socket stays there for its whole life. An empty
// name is the current namespace.
func socketIn(ns string, domain, typ, proto int) (int, error) {
	if ns == "" {
		return unix.Socket(domain, typ, proto)
	}
	target, err := unix.Open(NetnsDir+"/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &nsError{ns: ns, err: err}
	}
	defer unix.Close(target)

	type result struct {
		fd  int
		err error
	}
	ch := make(chan result, 1)
	// A dedicated, locked goroutine: if the thread cannot be switched
	// back, it stays locked and dies with the goroutine instead of
	// running other goroutines in the wrong namespace.
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ch <- result{-1, fmt.Errorf("cannot open the current network namespace: %w", err)}
			return
		}
		defer unix.Close(orig)
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{-1, &nsError{ns: ns, err: err}}
			return
		}
		fd, serr := unix.Socket(domain, typ, proto)
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			if fd >= 0 {
				unix.Close(fd)
			}
			ch <- result{-1, fmt.Errorf("cannot return from namespace '%s': %w", ns, err)}
			return // the thread stays locked and is discarded
		}
		runtime.UnlockOSThread()
		ch <- result{fd, serr}
	}()
	r := <-ch
	return r.fd, r.err
}

type nsError struct {
	ns  string
	err error
}

func (e *nsError) Error() string {
	return fmt.Sprintf("Cannot open namespace '%s' (%s)", e.ns, strerror(e.err))
}

func (e *nsError) Unwrap() error { return e.err }
