package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/forward"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/listener"
)

// Options tunes a Runtime.
type Options struct {
	Logger *zap.Logger
}

// Runtime is a running set of proxies built from one configuration.
type Runtime struct {
	log       *zap.Logger
	pid       int // this process's, for the log lines (one getpid, not one per request)
	frontends []*frontend
	backends  map[string]*backend
	// backendOrder lists the backends in configuration order.
	backendOrder []string
	pool         *forward.BufPool
	bufsize      int // tune.bufsize: the most content inspection buffers

	globalMaxconn int
	globalSlots   *connLimit // global maxconn ("set maxconn global" changes it)
	noReusePort   bool
	statsBinds    []*haproxycfg.Bind
	actconn       atomic.Int64                     // sessions of every frontend (haproxy's actconn)
	cliTimeout    time.Duration                    // "stats timeout" (10s when unset)
	limits        FDLimits                         // maxconn, maxsock, ulimit-n (limits.go)
	stats         statsView                        // show info / show stat (cli_stats.go)
	streams       streamTable                      // live sessions: show sess, shutdown session (sessions.go)
	sched         atomic.Pointer[checks.Scheduler] // the running checks (set server ... health)

	mu             sync.Mutex
	listeners      []*listener.Listener
	statsListeners []*listener.Listener
	sessions       sync.WaitGroup
	hardStop       context.CancelFunc
	hardCtx        context.Context
	// softCtx ends when Serve stops listening: idle HTTP keep-alive
	// sessions close then.
	softCtx  context.Context
	softStop context.CancelFunc
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
	if bufsize <= 0 {
		bufsize = forward.DefaultBufSize
	}
	cur, max := processFDLimits()
	limits := computeFDLimits(cfg, cur, max)
	rt := &Runtime{log: log, pid: os.Getpid(), backends: map[string]*backend{}, pool: forward.NewBufPool(bufsize), bufsize: bufsize,
		globalMaxconn: limits.Maxconn, statsBinds: cfg.Global.StatsSocket, cliTimeout: cfg.Global.StatsTimeout, limits: limits}
	for _, d := range cfg.Global.Other {
		if d.Args[0] == "noreuseport" {
			rt.noReusePort = true
		}
		if d.Args[0] == "nosplice" {
			rt.pool.NoSplice = true
		}
	}
	rt.hardCtx, rt.hardStop = context.WithCancel(context.Background())
	rt.softCtx, rt.softStop = context.WithCancel(rt.hardCtx)
	var errs []error
	for _, d := range cfg.Defaults {
		for _, o := range d.Other {
			if len(o.Args) > 1 && o.Args[0] == "tcp-request" && o.Args[1] == "inspect-delay" {
				errs = append(errs, &UnsupportedError{o.Pos, "'tcp-request inspect-delay' in a defaults section"})
			}
		}
	}
	httpSet, httpRefused := map[*haproxycfg.Proxy]httpOpts{}, map[*haproxycfg.Proxy]bool{}
	for _, px := range cfg.Proxies {
		if px.Disabled {
			continue
		}
		if px.Mode != haproxycfg.ModeTCP && px.Mode != haproxycfg.ModeHTTP {
			errs = append(errs, &UnsupportedError{px.Pos, fmt.Sprintf("'mode %s' (%s '%s')", px.Mode, px.Kind, px.Name)})
			continue
		}
		var hopts httpOpts
		if px.Mode == haproxycfg.ModeHTTP {
			var err error
			if hopts, err = httpSetup(cfg, px); err != nil {
				errs = append(errs, err)
				httpRefused[px] = true
				continue
			}
			httpSet[px] = hopts
		}
		if px.Kind.IsBackend() {
			be, err := newBackend(px)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			be.http = hopts
			if err := be.setupTLS(cfg, px); err != nil { // tls.go
				errs = append(errs, err)
				continue
			}
			if px.Mode == haproxycfg.ModeTCP {
				if err := tcpModeHTTPFetches(nil, be); err != nil {
					errs = append(errs, err)
					continue
				}
			}
			if be.slog, err = newTrafficLog(cfg.Global, px); err != nil {
				errs = append(errs, err)
				continue
			}
			if err := rt.attachChecks(cfg, px, be); err != nil {
				errs = append(errs, err)
				continue
			}
			rt.backends[px.Name] = be
			rt.backendOrder = append(rt.backendOrder, px.Name)
		}
	}
	for _, px := range cfg.Proxies {
		if px.Disabled || (px.Mode != haproxycfg.ModeTCP && px.Mode != haproxycfg.ModeHTTP) || !px.Kind.IsFrontend() || len(px.Binds) == 0 || httpRefused[px] {
			continue
		}
		fe, err := rt.newFrontend(px)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := fe.setupTLS(cfg, px); err != nil { // tls.go
			errs = append(errs, err)
			continue
		}
		if fe.tlog, err = newTrafficLog(cfg.Global, px); err != nil {
			errs = append(errs, err)
			continue
		}
		if px.Mode == haproxycfg.ModeHTTP {
			err = fe.setupHTTP(px, httpSet[px])
		} else {
			err = tcpModeHTTPFetches(fe, nil)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rt.frontends = append(rt.frontends, fe)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	rt.setFullconns()
	rt.stats = newStatsView(cfg, rt.globalMaxconn)
	rt.initViews(rt.stats.start)
	rt.globalSlots = newConnLimit(int64(rt.globalMaxconn))
	return rt, nil
}

// Listen opens every listening socket, taking matching sockets from
// inherited first (from the previous process with -x, or from systemd);
// inherited may be nil. SO_REUSEPORT is set as haproxy sets it.
func (rt *Runtime) Listen(inherited *listener.Inherited) error {
	var errs []error
	open := func(kind, name string, binds []*haproxycfg.Bind, backlog, maxconn int) []*listener.Listener {
		lc := listener.Config{Kind: kind, Proxy: name, ProxyBacklog: backlog, ProxyMaxconn: maxconn,
			GlobalMaxconn: rt.globalMaxconn, Inherited: inherited, NoReusePort: rt.noReusePort}
		ls, err := lc.OpenAll(context.Background(), binds)
		if err != nil {
			errs = append(errs, err)
		}
		for _, l := range ls {
			for _, w := range l.Warnings {
				rt.log.Warn(w.HAProxyText())
			}
		}
		return ls
	}
	for _, fe := range rt.frontends {
		for _, l := range open(fe.kind, fe.name, fe.binds, fe.backlog, fe.maxconn) {
			fe.listeners = append(fe.listeners, l)
			rt.mu.Lock()
			rt.listeners = append(rt.listeners, l)
			rt.mu.Unlock()
		}
	}
	if len(rt.statsBinds) > 0 {
		for _, l := range open("frontend", "GLOBAL", rt.statsBinds, 0, 0) {
			rt.mu.Lock()
			rt.statsListeners = append(rt.statsListeners, l)
			rt.listeners = append(rt.listeners, l)
			rt.mu.Unlock()
		}
	}
	if err := errors.Join(errs...); err != nil {
		rt.closeListeners()
		return err
	}
	return nil
}

// Addrs returns the addresses actually listened on, in bind order.
func (rt *Runtime) Addrs() []net.Addr {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	out := make([]net.Addr, 0, len(rt.listeners))
	for _, ln := range rt.listeners {
		out = append(out, ln.Addr())
	}
	return out
}

// Serve accepts connections until ctx is done (soft stop: listeners close,
// running sessions finish) or HardStop is called.
func (rt *Runtime) Serve(ctx context.Context) error {
	stopChecks := rt.startChecks(rt.hardCtx)
	defer stopChecks()
	logs := rt.openTrafficLogs(context.Background())
	defer logs.close()
	var wg sync.WaitGroup
	for _, fe := range rt.frontends {
		for _, ln := range fe.listeners {
			wg.Add(1)
			go func(fe *frontend, ln *listener.Listener) {
				defer wg.Done()
				fe.acceptLoop(rt, ln)
			}(fe, ln)
		}
	}
	for i, l := range rt.statsListeners {
		wg.Add(1)
		go func(l *listener.Listener, lid int) {
			defer wg.Done()
			rt.serveCLI(l, lid)
		}(l, i+1)
	}
	select {
	case <-ctx.Done():
	case <-rt.hardCtx.Done():
	}
	rt.softStop()
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
