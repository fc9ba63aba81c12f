package proxy

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/stats"
)

// checkView is what "show stat" and the stats page show of a server's
// health check (or agent check): the last result, the health counter, and
// the state history.
type checkView struct {
	mu         sync.Mutex
	last       checks.Result
	seen       bool // a check has run
	health     int
	rise, fall int
	chkFail    int64 // failed checks while the server was up
	chkDown    int64 // transitions to DOWN
	lastChange time.Time
	downSince  time.Time // zero while up
	downtime   time.Duration
}

func (v *checkView) init(rise, fall int, start time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.rise, v.fall, v.health, v.lastChange = rise, fall, rise, start
}

// observe records one check result and the health counter after it.
func (v *checkView) observe(r checks.Result, oldHealth, newHealth int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.last, v.seen = r, true
	if !r.OK && oldHealth > 0 {
		v.chkFail++ // haproxy counts a failure while health is above 0
	}
	v.health = newHealth
}

// changed records a transition of the server's state.
func (v *checkView) changed(up bool, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.lastChange = now
	if up {
		if !v.downSince.IsZero() {
			v.downtime += now.Sub(v.downSince)
			v.downSince = time.Time{}
		}
		return
	}
	v.chkDown++
	if v.downSince.IsZero() {
		v.downSince = now
	}
}

// adminChanged records a change of administrative state: entering
// maintenance resets the health counter, as haproxy does.
func (v *checkView) adminChanged(maint bool, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.lastChange = now
	if maint {
		v.health = 0
	}
}

// fill sets a row's check fields.
func (v *checkView) fill(dst *stats.Check) {
	v.mu.Lock()
	defer v.mu.Unlock()
	*dst = stats.Check{Status: "INI", Code: -1, Duration: -1, Desc: checks.StatusINI.Text(),
		Rise: int64(v.rise), Fall: int64(v.fall), Health: int64(v.health)}
	if !v.seen {
		return
	}
	r := v.last
	dst.Status, dst.Desc = string(r.Status), r.Status.Text()
	if r.Status != checks.StatusUNK && r.Status != checks.StatusINI {
		dst.Duration = r.Duration.Milliseconds()
	}
	switch r.Status {
	case checks.StatusL7OK, checks.StatusL7OKC, checks.StatusL7STS, checks.StatusL7RSP, checks.StatusPROCERR, checks.StatusPROCTOUT, checks.StatusPROCOK:
		if r.Code != 0 {
			dst.Code = int64(r.Code)
		}
	}
	info := r.Info
	if i := strings.IndexByte(info, 0); i >= 0 {
		info = info[:i]
	}
	dst.Last = info
}

// history returns chkfail, chkdown, seconds since the last change and the
// total downtime in seconds.
func (v *checkView) history(now time.Time) (fail, down, lastChg, downtime int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	d := v.downtime
	if !v.downSince.IsZero() {
		d += now.Sub(v.downSince)
	}
	return v.chkFail, v.chkDown, int64(now.Sub(v.lastChange).Seconds()), int64(d.Seconds())
}

// fillServerState sets the state columns of a server row with haproxy's
// status words: "UP", "UP 1/3" (going down), "DOWN", "DOWN 1/2" (going
// up), "DRAIN" (also "DRAIN 1/3" and "DRAIN (agent)"), "MAINT", "no
// check"; its weight, check and agent fields and their history.
func (rt *Runtime) fillServerState(sv *stats.Server, s *server, now time.Time) {
	w := int64(s.effectiveWeight())
	sv.Weight, sv.UWeight = w, w
	sv.Limit = s.maxconn // read under be.q.mu (statsSnapshot)
	_, _, sv.LastChange, _ = s.view.history(now)
	if s.check != nil {
		sv.Check = &stats.Check{}
		s.view.fill(sv.Check)
		sv.CheckFail, sv.CheckDown, _, sv.Downtime = s.view.history(now)
	}
	if s.agent != nil {
		sv.Agent = &stats.Check{}
		s.agentView.fill(sv.Agent)
	}
	health, rise, fall := s.view.counter()
	down := s.down.Load()
	going := s.check != nil && health < rise+fall-1
	switch {
	case s.maint.Load():
		sv.Status = "MAINT"
	case !down && s.drain.Load() && s.agent != nil:
		sv.Status = "DRAIN (agent)"
	case !down && s.drain.Load() && going:
		sv.Status = fmt.Sprintf("DRAIN %d/%d", health-rise+1, fall)
	case !down && s.drain.Load():
		sv.Status = "DRAIN"
	case !down && s.stopping.Load() && going:
		sv.Status = fmt.Sprintf("NOLB %d/%d", health-rise+1, fall)
	case !down && s.stopping.Load():
		sv.Status = "NOLB"
	case !down && going:
		sv.Status = fmt.Sprintf("UP %d/%d", health-rise+1, fall)
	case !down && s.check == nil:
		sv.Status = "no check"
	case !down:
		sv.Status = "UP"
	case s.check != nil && health > 0:
		sv.Status = fmt.Sprintf("DOWN %d/%d", health, rise)
	default:
		sv.Status = "DOWN"
	}
}

// counter returns the health counter and its rise and fall.
func (v *checkView) counter() (health, rise, fall int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.health, v.rise, v.fall
}

// haproxy's check status numbers, as its server state file writes them.
var stateFileStatus = map[checks.Status]int{
	checks.StatusUNK: 0, checks.StatusINI: 1, checks.StatusSOCKERR: 5,
	checks.StatusL4OK: 6, checks.StatusL4TOUT: 7, checks.StatusL4CON: 8,
	checks.StatusL6OK: 9, checks.StatusL6TOUT: 10, checks.StatusL6RSP: 11,
	checks.StatusL7TOUT: 12, checks.StatusL7RSP: 13, checks.StatusL7OK: 15,
	checks.StatusL7OKC: 16, checks.StatusL7STS: 17, checks.StatusPROCERR: 18,
	checks.StatusPROCTOUT: 19, checks.StatusPROCOK: 20,
}

// stateFileCheck returns the check's status, result and state numbers of
// "show servers state": result 0 unknown, 2 failed, 3 passed, 4
// conditionally passed; state 6 for a configured, enabled check.
func (v *checkView) stateFileCheck(checked bool) (status, result, state int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !checked || !v.seen {
		if checked {
			return 1, 0, 6
		}
		return 1, 0, 0
	}
	status = stateFileStatus[v.last.Status]
	switch {
	case v.last.Status == checks.StatusL7OKC:
		result = 4
	case v.last.OK:
		result = 3
	default:
		result = 2
	}
	return status, result, 6
}

// healthValue returns the health counter.
func (v *checkView) healthValue() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.health
}
