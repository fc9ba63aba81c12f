package lvs

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
)

// Options configure a Manager.
type Options struct {
	Table Table
	Hooks Hooks
	// Clock drives the checkers' timers (default: real time).
	Clock checks.Clock
	// Rand returns a value in [0,1) for warmup (default math/rand/v2).
	Rand func() float64
	// LogAllFailures is global_defs checker_log_all_failures: every
	// failed attempt of an up checker is logged with its reason.
	LogAllFailures bool
	// NoCheckerEmails is global_defs no_checker_emails: checker alerts
	// only when the real server's state changes.
	NoCheckerEmails bool
	// AddrLocal reports whether an address is configured on the host
	// (ha_suspend); nil: every address is.
	AddrLocal func(netip.Addr) bool
	// HaPoll is how often ha_suspend looks at the host's addresses
	// (default 1 s).
	HaPoll time.Duration
}

// Manager runs every real server's checkers and keeps the Table in step,
// as keepalived's healthcheck child does.
type Manager struct {
	svcs            []*Service
	pool            *pool
	clock           checks.Clock
	rand            func() float64
	logAllFailures  bool
	noCheckerEmails bool

	startOnce sync.Once
	startErr  error
	cks       []*checker

	addrLocal func(netip.Addr) bool
	haPoll    time.Duration
	haMu      sync.Mutex
	haDown    map[*Service]bool
}

// NewManager returns a Manager for the services (from Services).
func NewManager(svcs []*Service, opts Options) *Manager {
	m := &Manager{svcs: svcs, clock: opts.Clock, rand: opts.Rand,
		logAllFailures: opts.LogAllFailures, noCheckerEmails: opts.NoCheckerEmails}
	if m.clock == nil {
		m.clock = realClock{}
	}
	if m.rand == nil {
		m.rand = rand.Float64
	}
	m.addrLocal, m.haPoll, m.haDown = opts.AddrLocal, opts.HaPoll, map[*Service]bool{}
	if m.addrLocal == nil {
		m.addrLocal = func(netip.Addr) bool { return true }
	}
	if m.haPoll <= 0 {
		m.haPoll = time.Second
	}
	t := opts.Table
	if t == nil {
		t = nopTable{}
	}
	m.pool = newPool(svcs, t, opts.Hooks)
	return m
}

// Start programs the table (keepalived's init_services) and logs the
// "Activating healthchecker" lines; the checkers run from Run. Calling it
// is optional: Run starts the Manager when it was not. The error reports
// the services the table refused (e.g. an address already in use); the
// other services run.
func (m *Manager) Start() error {
	m.startOnce.Do(func() {
		alpha := map[*Dest]int{}
		for _, s := range m.svcs {
			for _, d := range s.Reals {
				for _, cs := range d.Checkers {
					if cs.Alpha {
						alpha[d]++
					}
					m.cks = append(m.cks, m.newChecker(s, d, cs))
				}
			}
		}
		m.startErr = m.pool.start(alpha)
		for _, s := range m.svcs {
			if s.HaSuspend && !m.haLocal(s) {
				m.haDown[s] = true
			}
		}
		for _, c := range m.cks {
			prefix := "A"
			if m.haDown[c.svc] {
				prefix = "Dea"
			}
			m.pool.logf("%sctivating healthchecker for service %s for VS %s", prefix, c.name, c.svc)
		}
	})
	return m.startErr
}

// Run runs the checkers until ctx is done, then takes every destination
// and service out of the table (keepalived's shutdown).
func (m *Manager) Run(ctx context.Context) {
	m.Start()
	var wg sync.WaitGroup
	for _, s := range m.svcs {
		if s.HaSuspend {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m.watchHaSuspend(ctx)
			}()
			break
		}
	}
	for _, c := range m.cks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.run(ctx)
		}()
	}
	<-ctx.Done()
	wg.Wait()
	m.pool.stop()
}

// Snapshot returns every real server's live state and weight.
func (m *Manager) Snapshot() []DestState { return m.pool.snapshot() }

// ServiceStates returns every virtual server's live state.
func (m *Manager) ServiceStates() []ServiceState { return m.pool.serviceStates() }

// suspended is ha_suspend: the service's checkers pause while none of
// its virtual addresses is on the host.
func (m *Manager) suspended(s *Service) bool {
	m.haMu.Lock()
	defer m.haMu.Unlock()
	return m.haDown[s]
}

// haLocal reports whether one of the service's addresses is local.
func (m *Manager) haLocal(s *Service) bool {
	for _, a := range s.Addrs {
		if m.addrLocal(a.Addr()) {
			return true
		}
	}
	return len(s.Addrs) == 0
}

// watchHaSuspend polls the host's addresses for the ha_suspend services
// and suspends or activates their checkers, with keepalived's lines.
func (m *Manager) watchHaSuspend(ctx context.Context) {
	for {
		if m.clock.Sleep(ctx, m.haPoll) != nil {
			return
		}
		for _, s := range m.svcs {
			if !s.HaSuspend {
				continue
			}
			local := m.haLocal(s)
			m.haMu.Lock()
			changed := m.haDown[s] == local
			m.haDown[s] = !local
			m.haMu.Unlock()
			if !changed {
				continue
			}
			what, verb := "removed", "Suspend"
			if local {
				what, verb = "added", "Activat"
			}
			for _, a := range s.Addrs {
				m.pool.logf("Netlink reflector reports IP %s %s", a.Addr(), what)
			}
			for _, c := range m.cks {
				if c.svc == s {
					m.pool.logf("%sing healthchecker for service %s for VS %s", verb, c.name, s)
				}
			}
		}
	}
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type nopTable struct{}

func (nopTable) AddService(*Service) error           { return nil }
func (nopTable) RemoveService(*Service) error        { return nil }
func (nopTable) AddDest(*Service, *Dest, int) error  { return nil }
func (nopTable) EditDest(*Service, *Dest, int) error { return nil }
func (nopTable) RemoveDest(*Service, *Dest) error    { return nil }
