package proxy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/healthcheck"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/stats"
)

// The state of servers lives in server.down (read by the balancer adapter,
// the ACL fetches and the logs) and in the balancer, which the health
// goroutine tells about every change; only that goroutine changes them.

// attachChecks builds the health checks of the servers of backend px.
func (rt *Runtime) attachChecks(cfg *haproxycfg.Config, px *haproxycfg.Proxy, be *backend) error {
	be.kindWord = "backend"
	if px.Kind == haproxycfg.KindListen {
		be.kindWord = "proxy"
	}
	logChecks, ok := px.Options["log-health-checks"]
	be.logChecks = ok && logChecks.Enabled
	var err error
	if be.mail, err = emailAlerts(cfg, px); err != nil {
		return err
	}
	disable404 := false
	for _, d := range px.Other {
		if d.Args[0] == "http-check" && len(d.Args) > 1 && d.Args[1] == "disable-on-404" {
			disable404 = true
		}
	}
	byName := map[string]*server{}
	for _, s := range be.servers {
		byName[s.name] = s
	}
	var ids *stats.Proxy // haproxy's ids, for external checks

	for _, cs := range px.Servers {
		srv := byName[cs.Name]
		if srv == nil {
			continue
		}
		spec, err := healthcheck.Build(cfg.Global, px, cs)
		if err != nil {
			if ue, ok := err.(*healthcheck.UnsupportedError); ok {
				return &UnsupportedError{ue.Pos, ue.Feature}
			}
			return err
		}
		if spec != nil && spec.Ext != nil {
			if ids == nil {
				ids = proxyIDs(cfg, px.Name)
			}
			spec.Ext.Info.ProxyID = ids.ID
			for _, ss := range ids.Servers {
				if ss.Name == cs.Name {
					spec.Ext.Info.ServerID = ss.ID
				}
			}
			spec.Ext.CurConn = func() int { return int(srv.cur.Load()) }
			spec.Ext.OnKill = func(pid int) { rt.log.Warn(fmt.Sprintf("kill %d", pid)) }
		}
		if spec != nil && spec.Probe != nil && srv.tls != nil {
			spec.Probe.TLSBase = srv.tls.base // check-ssl reuses the server's ssl settings (tls.go)
		}
		if spec != nil && spec.Probe != nil && spec.Ext == nil && disable404 {
			// a 404 means "stopping" only while the server is not down
			spec.Probe.Disable404 = func() bool { return !srv.down.Load() }
		}
		srv.check = spec
		srv.agentWeight.Store(-1)
		// which addresses "set server ... addr" leaves alone (cli_server.go)
		_, srv.chkOwnHost = cs.Options["addr"]
		_, srv.chkOwnPort = cs.Options["port"]
		_, srv.agOwnHost = cs.Options["agent-addr"]
		srv.agOwnHost = srv.agOwnHost || srv.chkOwnHost
		if spec != nil {
			if srv.agent, err = healthcheck.BuildAgent(px, cs, spec.Inter); err != nil {
				if ue, ok := err.(*healthcheck.UnsupportedError); ok {
					return &UnsupportedError{ue.Pos, ue.Feature}
				}
				return err
			}
			srv.mainUp = true
			if srv.agent != nil && be.logChecks {
				return &UnsupportedError{logChecks.Pos, "'option log-health-checks' with 'agent-check' servers"}
			}
			if srv.agent != nil {
				srv.agentHealth = checks.NewHealth(spec.Rise, spec.Fall, checks.Up)
			}
		}
	}
	return nil
}

// proxyIDs returns the numbered proxy name as the stats show it (ids of
// the proxy and its servers).
func proxyIDs(cfg *haproxycfg.Config, name string) *stats.Proxy {
	snap := stats.FromConfig(cfg, 0)
	for i := range snap.Proxies {
		if snap.Proxies[i].Name == name {
			return &snap.Proxies[i]
		}
	}
	return &stats.Proxy{Name: name}
}

// initViews sets the state records "show stat" and "show servers state"
// read: every server starts with its health at its rise value (2 when it
// is not checked), as haproxy's do.
func (rt *Runtime) initViews(start time.Time) {
	for _, name := range rt.backendOrder {
		be := rt.backends[name]
		be.view.init(1, 1, start)
		for _, srv := range be.servers {
			rise, fall := 2, 3
			if srv.check != nil {
				rise, fall = srv.check.Rise, srv.check.Fall
			}
			srv.view.init(rise, fall, start)
			if srv.agent != nil {
				srv.agentView.init(1, 1, start)
			}
		}
	}
}

// startChecks runs the health checks of every backend under ctx and
// applies their state changes; the returned function stops them and waits.
func (rt *Runtime) startChecks(ctx context.Context) (stop func()) {
	type item struct {
		be  *backend
		srv *server
	}
	var all []item
	var names []string
	for _, name := range rt.backendOrder {
		be := rt.backends[name]
		for _, s := range be.servers {
			if s.check != nil {
				all = append(all, item{be, s})
				names = append(names, be.name+"/"+s.name)
			}
		}
	}
	if len(all) == 0 {
		return func() {}
	}
	// haproxy spreads the first checks of all servers evenly over the
	// longest first interval.
	var maxInter time.Duration
	for _, it := range all {
		iv := it.srv.check.Inter
		if it.srv.check.FastInter > 0 {
			iv = it.srv.check.FastInter
		}
		maxInter = max(maxInter, iv)
	}
	ctx, cancel := context.WithCancel(ctx)
	stopMailers := rt.startMailers(ctx)
	byName := map[string]item{}
	agents := map[string]item{}
	var sched *checks.Scheduler
	defer func() { rt.sched.Store(sched) }() // set server ... health (cli_server.go)
	sched = checks.NewScheduler(ctx, checks.Options{OnResult: func(name string, r checks.Result) {
		if it, ok := agents[name]; ok {
			rt.applyAgent(sched, it.be, it.srv, r)
		}
	}, OnObserve: func(name string, r checks.Result, oldHealth, newHealth int, _ checks.State) {
		if it, ok := agents[name]; ok {
			it.srv.agentView.observe(r, oldHealth, newHealth)
		}
		if it, ok := byName[name]; ok {
			it.srv.view.observe(r, oldHealth, newHealth)
			// haproxy logs the check before the state change it causes
			if it.be.logChecks {
				rt.logCheck(it.be, it.srv, r, oldHealth, newHealth)
			}
			rt.observeStopping(it.be, it.srv, r)
		}
	}})
	for i, it := range all {
		byName[names[i]] = it
		if a := it.srv.agent; a != nil {
			agents[agentPrefix+names[i]] = it
		}
	}
	for i, it := range all {
		c := it.srv.check.Check(names[i])
		c.Probe = &liveProbe{p: c.Probe, srv: it.srv} // set server check-addr... (cli_server.go)
		c.InitialDelay = maxInter * time.Duration(i) / time.Duration(len(all))
		if err := sched.Add(c); err != nil {
			rt.log.Error(fmt.Sprintf("cannot start the health check of server %s: %v", names[i], err))
		}
		if a := it.srv.agent; a != nil {
			c := checks.Check{Name: agentPrefix + names[i], Target: checks.Target{Addr: a.Addr}, Probe: &liveProbe{p: a.Probe, srv: it.srv, agent: true},
				Intervals: checks.Intervals{Inter: a.Inter}, Rise: 1, Fall: 1, Timeout: a.Inter, Initial: checks.Up, FixedRate: true}
			// haproxy runs a server's agent after its regular check in
			// the same turn; half an interval later keeps that order
			// whatever each probe takes
			c.InitialDelay = maxInter*time.Duration(i)/time.Duration(len(all)) + a.Inter/2
			if err := sched.Add(c); err != nil {
				rt.log.Error(fmt.Sprintf("cannot start the agent check of server %s: %v", names[i], err))
			}
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range sched.Events() {
			it, ok := byName[ev.Name]
			if !ok {
				continue
			}
			it.be.stateMu.Lock()
			up := ev.New == checks.Up
			it.srv.mainUp = up
			// a server whose agent reported it down comes back only
			// through its agent
			if !up || it.srv.agentHealth == nil || it.srv.agentHealth.State() == checks.Up {
				rt.setServerState(it.be, it.srv, up, ev.Result)
			}
			it.be.stateMu.Unlock()
		}
	}()
	return func() {
		sched.Stop()
		<-done
		stopMailers()
		cancel()
	}
}

// setServerState marks srv up or down after a check result and logs it as
// haproxy does. be.stateMu is held.
func (rt *Runtime) setServerState(be *backend, srv *server, up bool, r checks.Result) {
	if srv.down.Load() == !up {
		return
	}
	srv.down.Store(!up)
	if !up && srv.stopping.Load() {
		// a stopping server that fails goes down and stops stopping
		srv.stopping.Store(false)
		be.picker.algo.SetDrain(be.picker.toB[srv], srv.drain.Load())
	}
	srv.view.changed(up, time.Now())
	if srv.maint.Load() {
		return // haproxy says nothing of a server in maintenance
	}
	be.picker.algo.SetUp(be.picker.toB[srv], up)
	state := "UP"
	if !up {
		state = "DOWN"
	}
	if up && r.OK && r.Status == checks.StatusL7OKC && srv.check != nil && srv.check.Probe != nil &&
		(srv.check.Probe.Disable404 != nil || srv.check.Probe.CondPass) {
		// rising on a conditional pass: haproxy puts the server in the
		// stopping state at once
		srv.stopping.Store(true)
		be.picker.algo.SetDrain(be.picker.toB[srv], true)
		state = "stopping"
	}
	rt.announceState(be, srv, state, up, r)
}

// observeStopping applies haproxy's NOLB state of "http-check
// disable-on-404": a conditionally passed check (404) puts an up server in
// the stopping state, out of load balancing; a passed check brings it
// back. It runs on the server's check goroutine.
func (rt *Runtime) observeStopping(be *backend, srv *server, r checks.Result) {
	if srv.check == nil || srv.check.Probe == nil || (srv.check.Probe.Disable404 == nil && !srv.check.Probe.CondPass) {
		return
	}
	be.stateMu.Lock()
	defer be.stateMu.Unlock()
	if srv.down.Load() || !r.OK {
		return
	}
	stopping := r.Status == checks.StatusL7OKC
	if srv.stopping.Load() == stopping {
		return
	}
	srv.stopping.Store(stopping)
	if srv.maint.Load() {
		return
	}
	be.picker.algo.SetDrain(be.picker.toB[srv], stopping || srv.drain.Load())
	state := "UP"
	if stopping {
		state = "stopping"
	}
	rt.announceState(be, srv, state, true, r)
}

// announceState logs haproxy's message for server srv that changed to
// state ("UP", "DOWN" or "stopping"; up says whether it still runs) after
// check result r, and the "no server available" alert when none is left.
// be.stateMu is held.
func (rt *Runtime) announceState(be *backend, srv *server, state string, up bool, r checks.Result) {
	why := ""
	if !be.logChecks {
		// with log-health-checks the check line already said why
		why = checkStatusText(r)
	}
	rt.announceStateWhy(be, srv, state, up, why, true)
}

// announceStateWhy is announceState with the reason given as text;
// wasUsable says whether srv took traffic before (the "no server
// available" alert comes only when the last usable one leaves).
func (rt *Runtime) announceStateWhy(be *backend, srv *server, state string, up bool, why string, wasUsable bool) {
	xferred, pending := be.requeue(srv)
	act, bck := be.usableCounts()
	var b strings.Builder
	if srv.backup {
		b.WriteString("Backup ")
	}
	fmt.Fprintf(&b, "Server %s/%s is %s", be.name, srv.name, state)
	b.WriteString(why)
	running := ""
	if bck > 0 && act == 0 {
		running = " Running on backup."
	}
	if up {
		fmt.Fprintf(&b, ". %d active and %d backup servers online.%s %d sessions requeued, %d total in queue.", act, bck, running, xferred, pending)
	} else {
		fmt.Fprintf(&b, ". %d active and %d backup servers left.%s %d sessions active, %d requeued, %d remaining in queue.", act, bck, running, srv.cur.Load(), xferred, pending)
	}
	switch {
	case state == "stopping":
		rt.srvMsg(be, levelNotice, b.String())
	case up:
		rt.srvMsg(be, levelNotice, b.String())
		if act+bck == 1 {
			be.view.changed(true, time.Now()) // the backend is back
		}
	default:
		rt.srvMsg(be, levelAlert, b.String())
	}
	if (!up || state == "stopping") && act == 0 && bck == 0 && wasUsable {
		rt.noServerLeft(be)
	}
}

// checkStatusText is haproxy's ", reason: ..., code: ..., info: "...",
// check duration: Nms" part of a state change message.
func checkStatusText(r checks.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, ", reason: %s", r.Status.Text())
	switch r.Status {
	case checks.StatusL7OK, checks.StatusL7OKC, checks.StatusL7STS, checks.StatusPROCERR, checks.StatusPROCTOUT, checks.StatusPROCOK:
		fmt.Fprintf(&b, ", code: %d", r.Code)
	}
	info := r.Info
	if i := strings.IndexByte(info, 0); i >= 0 {
		info = info[:i] // haproxy's info is a C string
	}
	if info != "" {
		b.WriteString(`, info: "`)
		for i := 0; i < len(info); i++ {
			c := info[i]
			if c < 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' {
				fmt.Fprintf(&b, "<%02X>", c)
				continue
			}
			b.WriteByte(c)
		}
		b.WriteByte('"')
	}
	fmt.Fprintf(&b, ", check duration: %dms", r.Duration.Milliseconds())
	return b.String()
}

// usableCounts returns haproxy's srv_act and srv_bck: the servers up with
// a non-zero weight.
func (be *backend) usableCounts() (act, bck int) {
	for _, s := range be.servers {
		if s.down.Load() || s.maint.Load() || s.drain.Load() || s.stopping.Load() || s.effectiveWeight() == 0 {
			continue
		}
		if s.backup {
			bck++
		} else {
			act++
		}
	}
	return act, bck
}

// agentPrefix names the agent check of a server in the scheduler.
const agentPrefix = "agent:"

// effectiveWeight is the configured weight, or the one the agent set.
func (s *server) effectiveWeight() int {
	if w := s.agentWeight.Load(); w >= 0 {
		return int(w)
	}
	return s.weight
}

// applyAgent applies one agent-check answer: administrative state, weight,
// then health, with haproxy 2.6's messages.
func (rt *Runtime) applyAgent(sched *checks.Scheduler, be *backend, srv *server, r checks.Result) {
	if !r.OK {
		// an unreachable agent or an incomplete line changes nothing
		return
	}
	a := healthcheck.ParseAgentReply(r.Info)
	be.stateMu.Lock()
	defer be.stateMu.Unlock()
	rt.setAdminState(be, srv, a.Admin)
	bs := be.picker.toB[srv]
	if a.Weight != "" {
		if pct, ok := healthcheck.WeightPercent(a.Weight); ok {
			w := min(srv.weight*pct/100, 256)
			srv.agentWeight.Store(int32(w))
			be.picker.algo.SetWeight(bs, w)
		}
	}
	wrn := ""
	if a.HasMaxconn {
		n, msg := healthcheck.AgentMaxconn(a.Maxconn)
		if msg == "" {
			be.setServerMaxconn(srv, n)
		} else if wrn == "" {
			wrn = msg
		}
	}
	if a.Admin != "" || a.Weight != "" {
		be.serverStateChanged(srv)
	}
	if a.Health == "" {
		// a reply without health word counts as a passed agent check
		if srv.agentHealth.Observe(true) && srv.mainUp {
			st := checks.StatusL7OK
			rt.setServerState(be, srv, true, checks.Result{Status: st, Reason: st.Text(), Duration: r.Duration})
		}
		return
	}
	up := strings.EqualFold(a.Health, "up")
	srv.agentHealth.Observe(up)
	st := checks.StatusL7STS
	if up {
		st = checks.StatusL7OK
	}
	// haproxy reports the description, but an error word or a warning
	// first when the agent says up or gave no description
	msg := a.Desc
	if msg == "" || up {
		if a.Err != "" {
			msg = a.Err
		} else if wrn != "" {
			msg = wrn
		}
	}
	info := "via agent : " + a.Health
	if msg != "" {
		info += " (" + msg + ")"
	}
	res := checks.Result{Status: st, Reason: st.Text(), Info: info, Duration: r.Duration}
	want := checks.Down
	if up {
		want = checks.Up
	}
	sched.Force(strings.TrimPrefix(agentNameOf(be, srv), agentPrefix), want)
	srv.mainUp = up
	rt.setServerState(be, srv, up, res)
}

// setAdminState applies an administrative state ("ready", "drain" or
// "maint", from the agent, the runtime API or the stats page) with
// haproxy 2.6's messages. be.stateMu is held.
func (rt *Runtime) setAdminState(be *backend, srv *server, state string) {
	wasMaint, wasDrain := srv.maint.Load(), srv.drain.Load()
	defer func() {
		if srv.maint.Load() != wasMaint || srv.drain.Load() != wasDrain {
			srv.view.adminChanged(srv.maint.Load(), time.Now())
		}
	}()
	bs := be.picker.toB[srv]
	prefix := fmt.Sprintf("Server %s/%s", be.name, srv.name)
	if srv.backup {
		prefix = "Backup " + prefix
	}
	switch state {
	case "drain":
		if srv.maint.Load() {
			// from maintenance straight to drain
			srv.maint.Store(false)
			srv.drain.Store(true)
			be.picker.algo.SetDrain(bs, true)
			be.picker.algo.SetUp(bs, !srv.down.Load())
			state := "UP/DRAIN"
			if srv.down.Load() {
				state = "DOWN"
			}
			rt.srvMsg(be, levelNotice, fmt.Sprintf("%s is %s (leaving forced maintenance).", prefix, state))
			rt.srvMsg(be, levelNotice, prefix+" remains in forced drain mode.")
		}
		if !srv.drain.Load() {
			srv.drain.Store(true)
			be.picker.algo.SetDrain(bs, true)
			act, bck := be.usableCounts()
			rt.srvMsg(be, levelNotice, fmt.Sprintf("%s enters drain state. %d active and %d backup servers online.%s 0 sessions requeued, 0 total in queue.", prefix, act, bck, runningOnBackup(act, bck)))
			if act == 0 && bck == 0 {
				rt.noServerLeft(be)
			}
		}
	case "maint":
		// entering maintenance ends a forced drain, silently
		if srv.drain.Load() {
			srv.drain.Store(false)
			be.picker.algo.SetDrain(bs, srv.stopping.Load())
		}
		if !srv.maint.Load() {
			srv.maint.Store(true)
			be.picker.algo.SetUp(bs, false)
			act, bck := be.usableCounts()
			rt.srvMsg(be, levelNotice, fmt.Sprintf("%s is going DOWN for maintenance. %d active and %d backup servers left.%s %d sessions active, 0 requeued, 0 remaining in queue.", prefix, act, bck, runningOnBackup(act, bck), srv.cur.Load()))
			if act == 0 && bck == 0 {
				rt.noServerLeft(be)
			}
		}
	case "ready":
		if srv.maint.Load() {
			srv.maint.Store(false)
			be.picker.algo.SetUp(bs, !srv.down.Load())
			state := "UP/READY"
			if srv.down.Load() {
				state = "DOWN"
			}
			rt.srvMsg(be, levelNotice, fmt.Sprintf("%s is %s (leaving forced maintenance).", prefix, state))
		}
		if srv.drain.Load() {
			srv.drain.Store(false)
			be.picker.algo.SetDrain(bs, srv.stopping.Load())
			rt.srvMsg(be, levelNotice, fmt.Sprintf("%s is UP (leaving forced drain).", prefix))
		}
	}
}

func agentNameOf(be *backend, srv *server) string { return agentPrefix + be.name + "/" + srv.name }

func runningOnBackup(act, bck int) string {
	if bck > 0 && act == 0 {
		return " Running on backup."
	}
	return ""
}

// logCheck writes haproxy's "option log-health-checks" line for a check
// result that changed the health counter or the status. It runs on the
// server's check goroutine only, which alone touches srv.lastStatus.
func (rt *Runtime) logCheck(be *backend, srv *server, r checks.Result, oldHealth, newHealth int) {
	prev := srv.lastStatus
	srv.lastStatus = r.Status
	if r.Status == prev && oldHealth == newHealth {
		return
	}
	spec := srv.check
	var b strings.Builder
	b.WriteString("Health check for ")
	if srv.backup {
		b.WriteString("backup ")
	}
	verdict := "failed"
	switch {
	case r.OK && r.Status == checks.StatusL7OKC:
		verdict = "conditionally succeeded"
	case r.OK:
		verdict = "succeeded"
	}
	fmt.Fprintf(&b, "server %s/%s %s", be.name, srv.name, verdict)
	b.WriteString(checkStatusText(r))
	if newHealth >= spec.Rise {
		state := "UP"
		if srv.effectiveWeight() == 0 {
			state = "DRAIN"
		}
		fmt.Fprintf(&b, ", status: %d/%d %s.", newHealth-spec.Rise+1, spec.Fall, state)
	} else {
		fmt.Fprintf(&b, ", status: %d/%d DOWN.", newHealth, spec.Rise)
	}
	rt.srvMsg(be, levelInfo, b.String())
}

// srvMsg logs a server message as haproxy's warnings, sends it to the
// backend's log targets and mails it when the backend's email-alert level
// lets it through. level is the mail's level; haproxy logs the health
// check lines (mailed at info) at notice.
func (rt *Runtime) srvMsg(be *backend, level int, msg string) {
	rt.log.Warn(msg)
	be.alert(level, msg)
	if level == levelInfo {
		level = levelNotice
	}
	be.slog.message(level, msg)
}

// noServerLeft says that the last server of be went away: on stderr the
// backend's name is quoted, in its logs (at emerg) it is not.
func (rt *Runtime) noServerLeft(be *backend) {
	be.view.changed(false, time.Now())
	rt.log.Error(fmt.Sprintf("%s '%s' has no server available!", be.kindWord, be.name))
	be.slog.message(levelEmerg, fmt.Sprintf("%s %s has no server available!", be.kindWord, be.name))
}

// requeue hands the queued sessions on after srv changed state (queue.go)
// and returns haproxy's counts for the message: the sessions moved (to
// the backend's queue when srv went down with "option redispatch", from
// it when srv came up) and those still waiting for srv.
func (be *backend) requeue(srv *server) (xferred, pending int) {
	be.q.mu.Lock()
	before, beBefore := srv.q.waiting.Len(), be.q.waiting.Len()
	be.q.mu.Unlock()
	be.serverStateChanged(srv)
	be.q.mu.Lock()
	defer be.q.mu.Unlock()
	pending = srv.q.waiting.Len()
	if n := before - pending; n > 0 && !be.picker.toB[srv].Usable() {
		xferred = n
	} else if n := beBefore - be.q.waiting.Len(); n > 0 {
		xferred = n
	}
	return xferred, pending
}
