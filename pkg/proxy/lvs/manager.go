package lvs

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"regexp"
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

	// runMu guards the running checkers once Run started (a reload
	// adds and removes some): cks, runCtx, wg, stopping.
	runMu    sync.Mutex
	runCtx   context.Context
	wg       sync.WaitGroup
	stopping bool
	running  chan struct{} // closed once Run started the checkers
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
	m.running = make(chan struct{})
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
					c := m.newChecker(s, d, cs)
					m.fileStart(c, alpha)
					m.cks = append(m.cks, c)
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
			if c.spec.Type == "FILE_CHECK" {
				continue // no checker thread, no line
			}
			prefix := "A"
			if m.haDown[c.svc] {
				prefix = "Dea"
			}
			m.pool.logf("%sctivating healthchecker for service %s for VS %s", prefix, c.name, c.svc)
		}
	})
	return m.startErr
}

// fileStart accounts for a FILE_CHECK's first reading: a fault counts as
// a failed checker at start (set_track_file_checkers_down) and the
// weight it adds goes to the real server (set_track_file_weights).
func (m *Manager) fileStart(c *checker, failed map[*Dest]int) {
	if c.spec.Type != "FILE_CHECK" {
		return
	}
	if !c.isUp {
		failed[c.dest]++
	}
	if c.fileCur != 0 {
		m.pool.adjustWeight(c.dest, c.fileCur)
	}
}

// Run runs the checkers until ctx is done, then takes every destination
// and service out of the table (keepalived's shutdown).
func (m *Manager) Run(ctx context.Context) {
	m.Start()
	for _, s := range m.svcs {
		if s.HaSuspend {
			m.wg.Add(1)
			go func() {
				defer m.wg.Done()
				m.watchHaSuspend(ctx)
			}()
			break
		}
	}
	m.runMu.Lock()
	m.runCtx = ctx
	for _, c := range m.cks {
		m.spawn(c)
	}
	m.runMu.Unlock()
	close(m.running)
	<-ctx.Done()
	m.runMu.Lock()
	m.stopping = true
	m.runMu.Unlock()
	m.wg.Wait()
	m.pool.stop()
}

// spawn runs one checker in its own goroutine with its own context (a
// reload stops it alone). runMu is held.
func (m *Manager) spawn(c *checker) {
	ctx, cancel := context.WithCancel(m.runCtx)
	c.cancel, c.done = cancel, make(chan struct{})
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer close(c.done)
		c.run(ctx)
	}()
}

// ReloadReals applies a reload to the Manager's virtual server when only
// its real servers changed (the caller compares the rest), as
// keepalived's clear_diff_services does: a real server whose address and
// settings are unchanged keeps running with its checkers' states; one
// gone leaves the table ("Removing service [..] from VS [..]", its
// notify_down when it was up); a new one starts as at start-up (in the
// table unless an alpha checker holds it back) with its checkers. ns is
// the new configuration of the service; the Manager keeps its own
// Service, whose Reals become the new list. It reports false (nothing
// done) when the Manager does not run exactly one service or has
// stopped: the caller then restarts the virtual server.
func (m *Manager) ReloadReals(ns *Service) bool {
	if len(m.svcs) != 1 {
		return false
	}
	select {
	case <-m.running:
	default:
		return false
	}
	m.runMu.Lock()
	defer m.runMu.Unlock()
	if m.stopping || m.runCtx.Err() != nil {
		return false
	}
	old := m.svcs[0]
	byAddr := map[netip.AddrPort]*Dest{}
	for _, d := range old.Reals {
		byAddr[d.Addr] = d
	}
	kept := map[*Dest]bool{}
	var reals, added []*Dest
	for _, nd := range ns.Reals {
		if od := byAddr[nd.Addr]; od != nil && !kept[od] && destSpec(od) == destSpec(nd) {
			kept[od] = true
			reals = append(reals, od)
			continue
		}
		reals = append(reals, nd)
		added = append(added, nd)
	}
	// The checkers of the real servers that go stop first.
	var cks []*checker
	for _, c := range m.cks {
		if c.svc == old && !kept[c.dest] {
			c.cancel()
			<-c.done
			continue
		}
		cks = append(cks, c)
	}
	for _, d := range old.Reals {
		if !kept[d] {
			m.pool.removeDest(d)
		}
	}
	old.Reals = reals
	for _, d := range added {
		alpha := 0
		var nc []*checker
		for _, cs := range d.Checkers {
			if cs.Alpha {
				alpha++
			}
			c := m.newChecker(old, d, cs)
			if cs.Type == "FILE_CHECK" && !c.isUp {
				alpha++
			}
			nc = append(nc, c)
		}
		m.pool.addDest(old, d, alpha)
		for _, c := range nc {
			if c.spec.Type == "FILE_CHECK" && c.fileCur != 0 {
				m.pool.adjustWeight(d, c.fileCur)
			}
		}
		for _, c := range nc {
			if c.spec.Type == "FILE_CHECK" {
				m.spawn(c)
				cks = append(cks, c)
				continue
			}
			prefix := "A"
			if m.suspended(old) {
				prefix = "Dea"
			}
			m.pool.logf("%sctivating healthchecker for service %s for VS %s", prefix, c.name, old)
			m.spawn(c)
			cks = append(cks, c)
		}
	}
	m.pool.reorder(old)
	m.cks = cks
	return true
}

// destSpec is a real server's whole configuration without the positions
// of its lines.
func destSpec(d *Dest) string {
	b, err := json.Marshal(d)
	if err != nil {
		return ""
	}
	return posField.ReplaceAllString(string(b), "")
}

// posField matches the file:line fields of a JSON-encoded value.
var posField = regexp.MustCompile(`"Pos":\{[^{}]*\}`)

// SpecWithoutReals is the virtual server's configuration without its
// real servers and the positions of its lines: a reload that changes
// nothing else can go through ReloadReals.
func SpecWithoutReals(s *Service) string {
	c := *s
	c.Reals = nil
	b, err := json.Marshal(&c)
	if err != nil {
		return ""
	}
	return posField.ReplaceAllString(string(b), "")
}

// Spec is the virtual server's whole configuration without the
// positions of its lines: equal specs mean nothing to change at reload.
func Spec(s *Service) string {
	b, err := json.Marshal(s)
	if err != nil {
		return ""
	}
	return posField.ReplaceAllString(string(b), "")
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
			m.runMu.Lock()
			for _, c := range m.cks {
				if c.svc == s {
					m.pool.logf("%sing healthchecker for service %s for VS %s", verb, c.name, s)
				}
			}
			m.runMu.Unlock()
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
