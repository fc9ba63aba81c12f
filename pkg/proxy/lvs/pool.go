package lvs

import (
	"errors"
	"fmt"
	"sync"
)

// Table is the data plane the Manager keeps in step with the checkers: a
// kernel IPVS table or the userspace Forwarder. Weights are >= 0; weight 0
// means "no new connections" (inhibit_on_failure).
type Table interface {
	AddService(s *Service) error
	RemoveService(s *Service) error
	AddDest(s *Service, d *Dest, weight int) error
	EditDest(s *Service, d *Dest, weight int) error
	RemoveDest(s *Service, d *Dest) error
}

// Alert is an smtp_alert the Manager asks the daemon to mail, with
// keepalived's fields: the real server (nil for a virtual server's
// quorum alert), the new state ("UP"/"DOWN") and the message line.
type Alert struct {
	Service *Service
	Dest    *Dest
	State   string
	Message string
}

// Hooks are what the daemon provides. Every field may be nil.
type Hooks struct {
	// Logf writes one log line (keepalived's words).
	Logf func(format string, args ...any)
	// Notify runs a notify_up/notify_down/quorum_up/quorum_down script
	// (the command line as written); it must not block.
	Notify func(script string)
	// Alert sends an smtp_alert mail; it must not block.
	Alert func(Alert)
}

// rsState is keepalived's real_server_t run-time part.
type rsState struct {
	d         *Dest
	alive     bool // ISALIVE: in the pool
	set       bool // present in the table (maybe with weight 0)
	failed    int  // num_failed_checkers
	weight    int  // effective_weight
	smtpAlert bool
}

type vsState struct {
	s        *Service
	quorumUp bool
	rs       []*rsState
	sorry    *rsState
}

// pool is the keepalived logic of ipwrapper.c: which destinations are in
// the table, with which weight, given the checkers' verdicts, quorum,
// hysteresis, inhibit_on_failure and the sorry server. It is pure: no
// goroutines, no clock; the Manager serialises calls.
type pool struct {
	mu    sync.Mutex
	table Table
	hooks Hooks
	vs    []*vsState
	byD   map[*Dest]*rsState
	byDvs map[*Dest]*vsState
}

func newPool(svcs []*Service, t Table, h Hooks) *pool {
	p := &pool{table: t, hooks: h, byD: map[*Dest]*rsState{}, byDvs: map[*Dest]*vsState{}}
	for _, s := range svcs {
		v := &vsState{s: s}
		for _, d := range s.Reals {
			r := &rsState{d: d, weight: d.Weight, smtpAlert: d.SmtpAlert}
			v.rs = append(v.rs, r)
			p.byD[d] = r
			p.byDvs[d] = v
		}
		if s.Sorry != nil {
			v.sorry = &rsState{d: s.Sorry, weight: s.Sorry.Weight}
		}
		p.vs = append(p.vs, v)
	}
	return p
}

func (p *pool) logf(format string, args ...any) {
	if p.hooks.Logf != nil {
		p.hooks.Logf(format, args...)
	}
}

func (p *pool) notify(script string) {
	if script != "" && p.hooks.Notify != nil {
		p.hooks.Notify(script)
	}
}

func (p *pool) alert(a Alert) {
	if p.hooks.Alert != nil {
		p.hooks.Alert(a)
	}
}

func realWeight(w int) int {
	if w < 0 {
		return 0
	}
	return w
}

func (v *vsState) liveWeight() int {
	n := 0
	for _, r := range v.rs {
		if r.alive {
			n += realWeight(r.weight)
		}
	}
	return n
}

// add is ipvs_cmd(ADD_DEST): an inhibited destination already in the
// table gets its weight back; zero puts it in with weight 0 (an
// inhibited server whose checkers have not succeeded yet).
func (p *pool) add(v *vsState, r *rsState, zero bool) {
	w := realWeight(r.weight)
	if zero {
		w = 0
	}
	var err error
	if r.set {
		err = p.table.EditDest(v.s, r.d, w)
	} else {
		err = p.table.AddDest(v.s, r.d, w)
	}
	if err != nil {
		p.logf("%s", err)
		return
	}
	r.set = true
}

// del is ipvs_cmd(DEL_DEST): with inhibit_on_failure the destination
// stays with weight 0 unless force.
func (p *pool) del(v *vsState, r *rsState, force bool) {
	if !r.set {
		return
	}
	if r.d.Inhibit && !force {
		if err := p.table.EditDest(v.s, r.d, 0); err != nil {
			p.logf("%s", err)
		}
		return
	}
	if err := p.table.RemoveDest(v.s, r.d); err != nil {
		p.logf("%s", err)
	}
	r.set = false
}

// start is init_services: the services go in, real servers whose
// checkers are all up (not alpha) are added, inhibited ones with weight
// 0, and the sorry server when the quorum is down.
func (p *pool) start(alphaFailed map[*Dest]int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, v := range p.vs {
		if err := p.table.AddService(v.s); err != nil {
			errs = append(errs, err)
			continue
		}
		for _, r := range v.rs {
			r.failed = alphaFailed[r.d]
			if (r.failed == 0 && !r.alive) || (r.d.Inhibit && !r.set) {
				p.add(v, r, r.failed > 0)
				if r.failed == 0 {
					r.alive = true
				}
			}
		}
		v.quorumUp = v.liveWeight() >= v.s.Quorum+v.s.Hysteresis
		p.updateQuorum(v, true)
		if s := v.sorry; s != nil && s.d.Inhibit && !s.set {
			p.add(v, s, true)
		}
	}
	return errors.Join(errs...)
}

// performQuorum is perform_quorum_state: alive real servers in or out.
func (p *pool) performQuorum(v *vsState, add bool) {
	if add {
		p.logf("Adding alive servers to the pool for VS %s", v.s)
	} else {
		p.logf("Removing alive servers from the pool for VS %s", v.s)
	}
	for _, r := range v.rs {
		if !r.alive {
			continue
		}
		if add {
			p.add(v, r, false)
		} else {
			p.del(v, r, false)
		}
	}
}

// updateQuorum is update_quorum_state.
func (p *pool) updateQuorum(v *vsState, init bool) {
	sum := v.liveWeight()
	s := v.s
	if !v.quorumUp {
		threshold := s.Quorum + s.Hysteresis
		if sum >= threshold {
			v.quorumUp = true
			p.logf("Gained quorum %d+%d=%d <= %d for VS %s", s.Quorum, s.Hysteresis, threshold, sum, s)
			if ss := v.sorry; ss != nil && ss.alive {
				verb := "Removing"
				if ss.d.Inhibit {
					verb = "Disabling"
				}
				p.logf("%s sorry server %s from VS %s", verb, s.FmtDest(ss.d), s)
				p.del(v, ss, false)
				ss.alive = false
				p.performQuorum(v, true)
			}
			p.vsNotifies(v, init, threshold, sum)
			return
		}
		if !(init && v.sorry != nil && !v.sorry.alive) {
			return
		}
		p.lostQuorum(v, init, threshold, sum)
		return
	}
	threshold := s.Quorum - s.Hysteresis
	if sum == 0 || sum < threshold {
		p.lostQuorum(v, init, threshold, sum)
	}
}

func (p *pool) lostQuorum(v *vsState, init bool, threshold, sum int) {
	s := v.s
	v.quorumUp = false
	what := "Lost quorum"
	if init {
		what = "Starting with quorum down"
	}
	p.logf("%s %d-%d=%d > %d for VS %s", what, s.Quorum, s.Hysteresis, threshold, sum, s)
	if ss := v.sorry; ss != nil && !ss.alive {
		verb := "Adding"
		if ss.d.Inhibit {
			verb = "Enabling"
		}
		p.logf("%s sorry server %s to VS %s", verb, s.FmtDest(ss.d), s)
		p.performQuorum(v, false)
		p.add(v, ss, false)
		ss.alive = true
	}
	p.vsNotifies(v, init, threshold, sum)
}

// vsNotifies is do_vs_notifies: quorum_up/quorum_down and the VS alert.
func (p *pool) vsNotifies(v *vsState, init bool, threshold, sum int) {
	s := v.s
	if v.quorumUp {
		p.notify(s.QuorumUp)
	} else {
		p.notify(s.QuorumDown)
	}
	if s.SmtpAlert {
		var what, state string
		switch {
		case v.quorumUp && init:
			what, state = "Starting with quorum up", "UP"
		case v.quorumUp:
			what, state = "Gained quorum", "UP"
		case init:
			what, state = "Starting with quorum down", "DOWN"
		default:
			what, state = "Lost quorum", "DOWN"
		}
		p.alert(Alert{Service: s, State: state, Message: fmt.Sprintf("=> %s %d+%d=%d <= %d <=", what, s.Quorum, s.Hysteresis, threshold, sum)})
	}
}

// changed is update_svr_checker_state for a checker whose state flips
// (up is the new state). It returns whether the real server was alive
// before and after.
func (p *pool) changed(d *Dest, up bool) (wasAlive, alive bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, v := p.byD[d], p.byDvs[d]
	if r == nil {
		return false, false
	}
	wasAlive = r.alive
	if up {
		if r.failed <= 1 {
			p.svrState(v, r, true)
		}
		if r.failed > 0 {
			r.failed--
		}
		return wasAlive, r.alive
	}
	if r.failed == 0 {
		p.svrState(v, r, false)
	}
	r.failed++
	return wasAlive, r.alive
}

// firstRun reports a checker's first verdict when it does not change the
// checker's state (keepalived runs the notify script for an alpha checker
// that succeeds or a checker that fails at once).
func (p *pool) firstRun(d *Dest, up, alpha bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, v := p.byD[d], p.byDvs[d]
	if r == nil {
		return
	}
	if alpha || !up {
		p.rsNotifies(v, r)
	}
}

// svrState is perform_svr_state.
func (p *pool) svrState(v *vsState, r *rsState, alive bool) {
	if r.alive == alive {
		return
	}
	s := v.s
	var verb, prep string
	switch {
	case alive && r.d.Inhibit:
		verb, prep = "Enabling", "of"
	case alive:
		verb, prep = "Adding", "to"
	case r.d.Inhibit:
		verb, prep = "Disabling", "of"
	default:
		verb, prep = "Removing", "from"
	}
	p.logf("%s service %s %s VS %s", verb, s.FmtDest(r.d), prep, s)
	if v.quorumUp || v.sorry == nil || !v.sorry.alive {
		if alive {
			p.add(v, r, false)
		} else {
			p.del(v, r, false)
		}
	}
	r.alive = alive
	p.rsNotifies(v, r)
	p.updateQuorum(v, false)
}

func (p *pool) rsNotifies(v *vsState, r *rsState) {
	if r.alive {
		p.notify(r.d.NotifyUp)
	} else {
		p.notify(r.d.NotifyDown)
	}
}

// setWeight is update_svr_wgt (misc_dynamic).
func (p *pool) setWeight(d *Dest, w int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, v := p.byD[d], p.byDvs[d]
	if r == nil {
		return
	}
	old, nw := realWeight(r.weight), realWeight(w)
	r.weight = w
	if old == nw {
		return
	}
	in := ""
	if !r.alive {
		in = "in"
	}
	p.logf("Changing weight from %d to %d for %sactive service %s of VS %s", old, nw, in, v.s.FmtDest(d), v.s)
	if r.set && r.alive && (v.quorumUp || v.sorry == nil || !v.sorry.alive) {
		if err := p.table.EditDest(v.s, d, nw); err != nil {
			p.logf("%s", err)
		}
	}
	p.updateQuorum(v, false)
}

// stop is clear_services: every destination and service leaves the
// table; with omega the down notifications run.
func (p *pool) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, v := range p.vs {
		if ss := v.sorry; ss != nil && ss.set {
			p.del(v, ss, true)
			ss.alive = false
		}
		for _, r := range v.rs {
			if !r.set {
				continue
			}
			inh := ""
			if r.d.Inhibit && !r.alive {
				inh = "(inhibited) "
			}
			p.logf("Shutting down %sservice %s from VS %s", inh, v.s.FmtDest(r.d), v.s)
			p.del(v, r, true)
			if !r.alive {
				continue
			}
			r.alive = false
			if v.s.Omega {
				p.rsNotifies(v, r)
				if r.smtpAlert {
					p.alert(Alert{Service: v.s, Dest: r.d, State: "DOWN", Message: "=> Shutting down <="})
				}
			}
		}
		if v.s.Omega {
			v.quorumUp = false
			p.notify(v.s.QuorumDown)
			if v.s.SmtpAlert {
				p.alert(Alert{Service: v.s, State: "DOWN", Message: "=> Shutting down <="})
			}
		}
		if err := p.table.RemoveService(v.s); err != nil {
			p.logf("%s", err)
		}
	}
}

// DestState is a real server's live state for dumps.
type DestState struct {
	Service *Service
	Dest    *Dest
	Alive   bool
	InTable bool
	Weight  int
	// Failed is the number of failing checkers.
	Failed int
}

// ServiceState is a virtual server's live state for dumps.
type ServiceState struct {
	Service  *Service
	QuorumUp bool
	// Alive is the number of real servers in the pool.
	Alive int
}

// snapshot returns every destination's state.
func (p *pool) snapshot() []DestState {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []DestState
	for _, v := range p.vs {
		for _, r := range v.rs {
			out = append(out, DestState{Service: v.s, Dest: r.d, Alive: r.alive, InTable: r.set, Weight: realWeight(r.weight), Failed: r.failed})
		}
		if ss := v.sorry; ss != nil {
			out = append(out, DestState{Service: v.s, Dest: ss.d, Alive: ss.alive, InTable: ss.set, Weight: realWeight(ss.weight)})
		}
	}
	return out
}

// serviceStates returns every service's state.
func (p *pool) serviceStates() []ServiceState {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]ServiceState, 0, len(p.vs))
	for _, v := range p.vs {
		st := ServiceState{Service: v.s, QuorumUp: v.quorumUp}
		for _, r := range v.rs {
			if r.alive {
				st.Alive++
			}
		}
		out = append(out, st)
	}
	return out
}

// removeDest is clear_service_rs at reload for a real server that is no
// longer configured: out of the table, its notify_down when it was up,
// then the quorum is looked at again.
func (p *pool) removeDest(d *Dest) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, v := p.byD[d], p.byDvs[d]
	if r == nil {
		return
	}
	if r.set {
		inh := ""
		if r.d.Inhibit && !r.alive {
			inh = "(inhibited) "
		}
		p.logf("Removing %sservice %s from VS %s", inh, v.s.FmtDest(d), v.s)
		p.del(v, r, true)
	}
	wasAlive := r.alive
	r.alive = false
	if wasAlive {
		p.rsNotifies(v, r)
	}
	for i, x := range v.rs {
		if x == r {
			v.rs = append(v.rs[:i:i], v.rs[i+1:]...)
			break
		}
	}
	delete(p.byD, d)
	delete(p.byDvs, d)
	p.updateQuorum(v, false)
}

// addDest is init_service_rs at reload for a new real server of s: in
// the table at once unless alpha checkers hold it back (an inhibited one
// with weight 0), then the quorum is looked at again.
func (p *pool) addDest(s *Service, d *Dest, alphaFailed int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var v *vsState
	for _, x := range p.vs {
		if x.s == s {
			v = x
		}
	}
	if v == nil {
		return
	}
	r := &rsState{d: d, weight: d.Weight, smtpAlert: d.SmtpAlert, failed: alphaFailed}
	v.rs = append(v.rs, r)
	p.byD[d], p.byDvs[d] = r, v
	if r.failed == 0 || d.Inhibit {
		if v.quorumUp || v.sorry == nil || !v.sorry.alive {
			p.add(v, r, r.failed > 0)
		}
		if r.failed == 0 {
			r.alive = true
			p.rsNotifies(v, r)
		}
	}
	p.updateQuorum(v, false)
}

// reorder puts the real servers' states in the order of s.Reals (the
// order of the configuration, for dumps).
func (p *pool) reorder(s *Service) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, v := range p.vs {
		if v.s != s {
			continue
		}
		rs := make([]*rsState, 0, len(v.rs))
		for _, d := range s.Reals {
			if r := p.byD[d]; r != nil {
				rs = append(rs, r)
			}
		}
		v.rs = rs
	}
}

// adjustWeight changes a destination's effective weight by delta without
// touching the table or logging (track files entering or leaving FAULT
// change rs->effective_weight silently in keepalived), and returns the
// new weight.
func (p *pool) adjustWeight(d *Dest, delta int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.byD[d]
	if r == nil {
		return 0
	}
	r.weight += delta
	return r.weight
}

// weightOf is a destination's effective weight.
func (p *pool) weightOf(d *Dest) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.byD[d]; r != nil {
		return r.weight
	}
	return d.Weight
}
