package proxy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/healthcheck"
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
	if px.Kind == haproxycfg.KindBackend || px.Kind == haproxycfg.KindListen {
		if o, ok := px.Options["log-health-checks"]; ok && o.Enabled {
			return &UnsupportedError{o.Pos, "'option log-health-checks'"}
		}
	}
	for _, d := range px.Other {
		if d.Args[0] == "email-alert" {
			return &UnsupportedError{d.Pos, "'email-alert' (mail alerts come with pkg/notify)"}
		}
		if d.Args[0] == "http-check" && len(d.Args) > 1 && d.Args[1] == "disable-on-404" {
			return &UnsupportedError{d.Pos, "'http-check disable-on-404'"}
		}
	}
	byName := map[string]*server{}
	for _, s := range be.servers {
		byName[s.name] = s
	}
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
		srv.check = spec
	}
	return nil
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
	sched := checks.NewScheduler(ctx, checks.Options{})
	byName := map[string]item{}
	for i, it := range all {
		c := it.srv.check.Check(names[i])
		c.InitialDelay = maxInter * time.Duration(i) / time.Duration(len(all))
		byName[names[i]] = it
		if err := sched.Add(c); err != nil {
			rt.log.Error(fmt.Sprintf("cannot start the health check of server %s: %v", names[i], err))
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
			rt.setServerState(it.be, it.srv, ev.New == checks.Up, ev.Result)
		}
	}()
	return func() {
		cancel()
		sched.Stop()
		<-done
	}
}

// setServerState marks srv up or down after a check result and logs it as
// haproxy does.
func (rt *Runtime) setServerState(be *backend, srv *server, up bool, r checks.Result) {
	if srv.down.Load() == !up {
		return
	}
	srv.down.Store(!up)
	be.picker.algo.SetUp(be.picker.toB[srv], up)
	act, bck := be.usableCounts()
	var b strings.Builder
	if srv.backup {
		b.WriteString("Backup ")
	}
	state := "UP"
	if !up {
		state = "DOWN"
	}
	fmt.Fprintf(&b, "Server %s/%s is %s", be.name, srv.name, state)
	b.WriteString(checkStatusText(r))
	running := ""
	if bck > 0 && act == 0 {
		running = " Running on backup."
	}
	if up {
		fmt.Fprintf(&b, ". %d active and %d backup servers online.%s 0 sessions requeued, 0 total in queue.", act, bck, running)
	} else {
		fmt.Fprintf(&b, ". %d active and %d backup servers left.%s %d sessions active, 0 requeued, 0 remaining in queue.", act, bck, running, srv.cur.Load())
	}
	rt.log.Warn(b.String())
	if !up && act == 0 && bck == 0 {
		rt.log.Error(fmt.Sprintf("%s '%s' has no server available!", be.kindWord, be.name))
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
	if r.Info != "" {
		b.WriteString(`, info: "`)
		for i := 0; i < len(r.Info); i++ {
			c := r.Info[i]
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
		if s.down.Load() || s.weight == 0 {
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
