package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/forward"
)

// Options tunes a Runtime.
type Options struct {
	Logger *zap.Logger
}

// Runtime is a running set of proxies built from one configuration.
type Runtime struct {
	log       *zap.Logger
	frontends []*frontend
	backends  map[string]*backend
	pool      *forward.BufPool

	mu        sync.Mutex
	listeners []net.Listener
	sessions  sync.WaitGroup
	hardStop  context.CancelFunc
	hardCtx   context.Context
}

// UnsupportedError says which configured feature the run time cannot honour
// yet, and where it was written.
type UnsupportedError struct {
	Pos     haproxycfg.Pos
	Feature string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("parsing [%s:%d] : %s is not supported by gohaproxy's run time yet (gohaproxy -c accepts it; serving it comes in a later release)", e.Pos.File, e.Pos.Line, e.Feature)
}

// New builds the run time of cfg. It refuses, with the line at fault, any
// part of the configuration it cannot serve as haproxy would.
func New(cfg *haproxycfg.Config, opt Options) (*Runtime, error) {
	log := opt.Logger
	if log == nil {
		log = zap.NewNop()
	}
	bufsize := 0
	if v, ok := cfg.Global.Tune["tune.bufsize"]; ok {
		fmt.Sscanf(v, "%d", &bufsize)
	}
	rt := &Runtime{log: log, backends: map[string]*backend{}, pool: forward.NewBufPool(bufsize)}
	rt.hardCtx, rt.hardStop = context.WithCancel(context.Background())
	var errs []error
	for _, px := range cfg.Proxies {
		if px.Disabled {
			continue
		}
		if px.Mode != haproxycfg.ModeTCP {
			errs = append(errs, &UnsupportedError{px.Pos, fmt.Sprintf("'mode %s' (%s '%s')", px.Mode, px.Kind, px.Name)})
			continue
		}
		if px.Kind.IsBackend() {
			be, err := newBackend(px)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			rt.backends[px.Name] = be
		}
	}
	for _, px := range cfg.Proxies {
		if px.Disabled || px.Mode != haproxycfg.ModeTCP || !px.Kind.IsFrontend() || len(px.Binds) == 0 {
			continue
		}
		fe, err := rt.newFrontend(px)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rt.frontends = append(rt.frontends, fe)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return rt, nil
}

// Listen opens every listening socket. SO_REUSEPORT is set as haproxy sets
// it, so that a new process can bind the same addresses while the old one
// drains (reload with -sf).
func (rt *Runtime) Listen() error {
	lc := net.ListenConfig{Control: reuseControl}
	for _, fe := range rt.frontends {
		for _, b := range fe.binds {
			for port := b.Addr.PortLow; port <= b.Addr.PortHigh; port++ {
				addr := net.JoinHostPort(b.Addr.Host, fmt.Sprint(port))
				network := "tcp"
				switch b.Addr.Family {
				case haproxycfg.FamilyIPv4:
					network = "tcp4"
				case haproxycfg.FamilyIPv6:
					network = "tcp6"
					if _, v6only := b.Options["v6only"]; !v6only && b.Addr.Host == "::" {
						network = "tcp"
					}
				case haproxycfg.FamilyUnix:
					network, addr = "unix", b.Addr.Host
				}
				ln, err := lc.Listen(context.Background(), network, addr)
				if err != nil {
					rt.closeListeners()
					return fmt.Errorf("Starting %s %s: cannot bind socket (%s) [%s]", fe.kind, fe.name, sysReason(err), addr)
				}
				rt.mu.Lock()
				rt.listeners = append(rt.listeners, ln)
				rt.mu.Unlock()
				fe.listeners = append(fe.listeners, ln)
			}
		}
	}
	return nil
}

func sysReason(err error) string {
	var se syscall.Errno
	if errors.As(err, &se) {
		s := se.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return err.Error()
}

func reuseControl(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
		if serr == nil {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, 0xf /* SO_REUSEPORT */, 1)
		}
	})
	if err != nil {
		return err
	}
	return serr
}

// Addrs returns the addresses actually listened on, in bind order.
func (rt *Runtime) Addrs() []net.Addr {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	out := make([]net.Addr, len(rt.listeners))
	for i, ln := range rt.listeners {
		out[i] = ln.Addr()
	}
	return out
}

// Serve accepts connections until ctx is done (soft stop: listeners close,
// running sessions finish) or HardStop is called.
func (rt *Runtime) Serve(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, fe := range rt.frontends {
		for _, ln := range fe.listeners {
			wg.Add(1)
			go func(fe *frontend, ln net.Listener) {
				defer wg.Done()
				fe.acceptLoop(rt, ln)
			}(fe, ln)
		}
	}
	select {
	case <-ctx.Done():
	case <-rt.hardCtx.Done():
	}
	rt.closeListeners()
	wg.Wait()
	rt.sessions.Wait()
	return nil
}

// HardStop ends every session at once (haproxy's SIGTERM).
func (rt *Runtime) HardStop() {
	rt.hardStop()
}

func (rt *Runtime) closeListeners() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for _, ln := range rt.listeners {
		ln.Close()
	}
}

// dialTimeout bounds a connect when no "timeout connect" is set, so that a
// black-holed server cannot hold a session forever.
const dialTimeout = 30 * time.Second
