package listener

import (
	"errors"
	"net"
	"sync"

	"golang.org/x/sys/unix"
)

// pauseState is a listener's paused/resumed state (haproxy's SIGTTOU and
// SIGTTIN). The zero value is a running listener.
type pauseState struct {
	mu      sync.Mutex
	paused  bool
	closed  bool
	resumed chan struct{} // closed on Resume or Close; nil while running
}

// Pause stops accepting, as haproxy does on SIGTTOU: a TCP socket stops
// listening (clients are refused) until Resume; other sockets keep their
// backlog, their connections waiting until Resume. It reports whether the
// listener was running (false when it was already paused or closed).
func (l *Listener) Pause() (bool, error) {
	st := &l.pause
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.paused || st.closed {
		return false, nil
	}
	st.paused = true
	st.resumed = make(chan struct{})
	if tl, ok := l.Listener.(*net.TCPListener); ok {
		return true, control(tl, func(fd int) error { return unix.Shutdown(fd, unix.SHUT_RD) })
	}
	return true, nil
}

// Resume accepts again after Pause (haproxy's SIGTTIN). It reports whether
// the listener was paused.
func (l *Listener) Resume() (bool, error) {
	st := &l.pause
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.paused || st.closed {
		return false, nil
	}
	var err error
	if tl, ok := l.Listener.(*net.TCPListener); ok {
		backlog := l.Backlog
		if backlog <= 0 {
			backlog = 65535 // the kernel caps it at net.core.somaxconn
		}
		err = control(tl, func(fd int) error { return unix.Listen(fd, backlog) })
	}
	st.paused = false
	close(st.resumed)
	st.resumed = nil
	return true, err
}

// Paused reports whether the listener is paused.
func (l *Listener) Paused() bool {
	l.pause.mu.Lock()
	defer l.pause.mu.Unlock()
	return l.pause.paused
}

func control(tl *net.TCPListener, fn func(fd int) error) error {
	rc, err := tl.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// Accept waits for the next connection; while the listener is paused it
// waits for Resume (or Close) first, and a connection the kernel handed
// over meanwhile is kept for then.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		if wait := l.pausedWait(); wait != nil {
			<-wait
			continue
		}
		c, err := l.Listener.Accept()
		wait := l.pausedWait()
		if wait == nil {
			return c, err
		}
		if err == nil {
			<-wait
			if l.isClosed() {
				c.Close()
				return nil, net.ErrClosed
			}
			return c, nil
		}
		if errors.Is(err, net.ErrClosed) {
			return nil, err
		}
		// a paused TCP socket fails accept(2): wait for Resume
	}
}

// pausedWait returns a channel closed on Resume or Close while paused,
// nil when running or closed.
func (l *Listener) pausedWait() chan struct{} {
	l.pause.mu.Lock()
	defer l.pause.mu.Unlock()
	if l.pause.closed || !l.pause.paused {
		return nil
	}
	return l.pause.resumed
}

func (l *Listener) isClosed() bool {
	l.pause.mu.Lock()
	defer l.pause.mu.Unlock()
	return l.pause.closed
}

// Close closes the socket, also waking an Accept waiting for Resume.
func (l *Listener) Close() error {
	st := &l.pause
	st.mu.Lock()
	if !st.closed {
		st.closed = true
		if st.resumed != nil {
			close(st.resumed)
			st.resumed = nil
		}
	}
	st.mu.Unlock()
	return l.Listener.Close()
}
