package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/gohaproxy/gohaproxy/pkg/keepalivedconf"
	"github.com/gohaproxy/gohaproxy/pkg/notify"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/lvs"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/lvs/ipvs"
)

// ipvsProc exists when the kernel has IPVS.
const ipvsProc = "/proc/net/ip_vs"

// vsRuntime is keepalived's healthcheck half for the configuration's
// virtual_servers: one lvs.Manager per virtual server (the real servers'
// checkers) driving one data plane: the kernel's IPVS where the kernel
// has it (/proc/net/ip_vs), programmed over generic netlink as keepalived
// does, else the userspace forwarder. The choice is logged:
//
//	Using kernel IPVS v1.2.1 for virtual servers (/proc/net/ip_vs found)
//	Using the userspace forwarder for virtual servers (no kernel IPVS: /proc/net/ip_vs not found)
//	Using the userspace forwarder for virtual servers (forced by lvs_userspace in FILE:LINE)
//
// global_defs lvs_userspace (ours) on forces the userspace forwarder;
// off asks for the kernel's IPVS and refuses to start without it. A
// configuration the userspace forwarder cannot run (lb_kind DR/TUN,
// fwmark services, protocol SCTP) is an error naming file:line.
type vsRuntime struct {
	ctx    context.Context
	cancel context.CancelFunc
	dp     lvs.Dataplane
	// userspace is set when dp is the userspace forwarder (its limits
	// apply to the configuration).
	userspace bool
	// closeDP waits for the data plane's goroutines and releases it.
	closeDP func()
	opts    lvs.Options
	logf    func(string, ...any)
	lg      *zap.Logger
	// entries are the running virtual servers in configuration order.
	entries []*vsEntry
	// close ends the notify runner and the mailer (bounded).
	closeHooks func()
	once       sync.Once
}

// vsEntry is one running virtual server.
type vsEntry struct {
	svc  *lvs.Service
	id   string // the virtual server's identity (keepalived's vs_exist)
	spec string // its whole configuration, positions left out
	mgr  *lvs.Manager
	// reloaded is set when the entry was kept over a reload.
	reloaded bool
	cancel   context.CancelFunc
	done     chan struct{}
}

// dataplane is a chosen data plane: dp, whether it is the userspace
// forwarder, and what ends it.
type dataplane struct {
	dp        lvs.Dataplane
	userspace bool
	close     func()
	// choice is the start-up line saying which data plane runs and why.
	choice string
}

// chooseDataplane picks the kernel's IPVS or the userspace forwarder
// (see vsRuntime); the line saying so is logged once the configuration
// is accepted.
func chooseDataplane(ctx context.Context, cfg *keepalivedconf.Config, logf func(string, ...any)) (*dataplane, error) {
	_, statErr := os.Stat(ipvsProc)
	hasIPVS := statErr == nil
	forced, pos, isSet := userspaceForced(cfg)
	if hasIPVS && !(isSet && forced) {
		conn, err := ipvs.Open()
		if err != nil {
			// keepalived: "IPVS: Can't initialize ipvs: %s"
			return nil, fmt.Errorf("IPVS: Can't initialize ipvs: %v (%s exists but the IPVS netlink family does not answer: load ip_vs or set lvs_userspace on)", err, ipvsProc)
		}
		version := ""
		if info, err := conn.Info(); err == nil {
			version = " v" + info.VersionString()
		}
		k := lvs.NewKernel(conn, logf)
		if globalSetting(cfg.Global, "lvs_flush") != nil {
			if err := k.Flush(); err != nil {
				logf("%s", err)
			}
		}
		flushOnStop := globalSetting(cfg.Global, "lvs_flush_on_stop") != nil
		return &dataplane{dp: k, close: func() {
			if flushOnStop {
				_ = k.Flush()
			}
			_ = conn.Close()
		}, choice: fmt.Sprintf("Using kernel IPVS%s for virtual servers (%s found)", version, ipvsProc)}, nil
	}
	why := "no kernel IPVS: " + ipvsProc + " not found"
	if isSet {
		if !forced {
			return nil, &lvs.Error{Pos: pos, Msg: "lvs_userspace off asks for kernel IPVS, which this kernel lacks (" + ipvsProc + " not found): load the ip_vs module, or remove the line or set it on"}
		}
		why = fmt.Sprintf("forced by lvs_userspace in %s:%d", pos.File, pos.Line)
	}
	fw := lvs.NewForwarder(ctx, lvs.ForwarderOptions{Logf: logf})
	return &dataplane{dp: fw, userspace: true, close: fw.Wait,
		choice: fmt.Sprintf("Using the userspace forwarder for virtual servers (%s)", why)}, nil
}

// startVirtualServers starts the virtual servers of cfg; stop ends the
// checkers and the data plane (real servers are logged out and taken out
// of the table as keepalived does at shutdown) and waits for them.
func startVirtualServers(parent context.Context, cfg *keepalivedconf.Config, lg *zap.Logger, logf func(string, ...any)) (*vsRuntime, error) {
	ctx, cancel := context.WithCancel(parent)
	d, err := chooseDataplane(ctx, cfg, logf)
	if err != nil {
		cancel()
		return nil, err
	}
	return startWith(ctx, cancel, cfg, lg, logf, d)
}

// startWith starts the virtual servers of cfg on the data plane d.
func startWith(ctx context.Context, cancel context.CancelFunc, cfg *keepalivedconf.Config, lg *zap.Logger, logf func(string, ...any), d *dataplane) (*vsRuntime, error) {
	svcs, err := lvs.Services(cfg, d.userspace)
	if err != nil {
		cancel()
		d.close()
		return nil, err
	}
	if len(svcs) > 0 && d.choice != "" {
		logf("%s", d.choice)
	}
	hooks, opts, closeHooks := checkerHooks(cfg, lg, logf)
	rt := &vsRuntime{ctx: ctx, cancel: cancel, logf: logf, lg: lg, closeHooks: closeHooks,
		dp: d.dp, userspace: d.userspace, closeDP: d.close}
	opts.Table, opts.Hooks, opts.AddrLocal = d.dp, hooks, addrLocal
	rt.opts = opts
	var firstErr error
	for _, s := range svcs {
		e, err := rt.startOne(s)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		rt.entries = append(rt.entries, e)
	}
	if firstErr != nil {
		rt.stop()
		return nil, firstErr
	}
	return rt, nil
}

// userspaceForced reads global_defs lvs_userspace (ours): on forces the
// userspace forwarder, off the kernel's IPVS.
func userspaceForced(cfg *keepalivedconf.Config) (on bool, pos keepalivedconf.Pos, ok bool) {
	if s := globalSetting(cfg.Global, "lvs_userspace"); s != nil {
		return boolArg(s), s.Pos, true
	}
	return false, keepalivedconf.Pos{}, false
}

// lvsUserspaceNote is what -t says of lvs_userspace.
func lvsUserspaceNote(on bool) string {
	if on {
		return "lvs_userspace is gokeepalived's own keyword (keepalived 2.2.7 refuses it): virtual servers run in the userspace forwarder even where the kernel has IPVS"
	}
	return "lvs_userspace off is gokeepalived's own keyword (keepalived 2.2.7 refuses it): it asks for kernel IPVS, and the healthcheck child refuses to start where the kernel lacks it (" + ipvsProc + " not found)"
}

// startOne programs one virtual server and starts its checkers.
func (rt *vsRuntime) startOne(s *lvs.Service) (*vsEntry, error) {
	ctx, cancel := context.WithCancel(rt.ctx)
	e := &vsEntry{svc: s, id: serviceID(s), spec: lvs.Spec(s), cancel: cancel, done: make(chan struct{})}
	e.mgr = lvs.NewManager([]*lvs.Service{s}, rt.opts)
	err := e.mgr.Start()
	go func() {
		defer close(e.done)
		e.mgr.Run(ctx)
	}()
	return e, err
}

// serviceID is what makes two virtual servers the same one across a
// reload, as keepalived's vs_exist compares them: the address or group
// or fwmark, the port and the protocol.
func serviceID(s *lvs.Service) string {
	return fmt.Sprintf("%s|%s|%d|%v", s.String(), s.Protocol, s.Fwmark, s.Addrs)
}

// reload is keepalived's clear_diff_services: the virtual servers that
// are unchanged keep running (their checkers' states, the forwarder's
// listeners and connections); those whose real servers alone changed keep
// running too, with their unchanged real servers (lvs.Manager.ReloadReals);
// the ones gone are removed ("Removing Virtual Server [..]"); others
// (other virtual server settings changed, or new) (re)start. It returns the
// first error of the new configuration; what could start runs.
func (rt *vsRuntime) reload(cfg *keepalivedconf.Config) error {
	svcs, err := lvs.Services(cfg, rt.userspace)
	if err != nil {
		return err
	}
	old := map[string]*vsEntry{}
	for _, e := range rt.entries {
		old[e.id] = e
	}
	keep := map[*vsEntry]bool{}
	var next []*vsEntry
	var starts []*lvs.Service
	for _, s := range svcs {
		e := old[serviceID(s)]
		switch {
		case e == nil || keep[e]:
		case e.spec == lvs.Spec(s):
			keep[e] = true
			e.reloaded = true
			next = append(next, e)
			continue
		case lvs.SpecWithoutReals(e.svc) == lvs.SpecWithoutReals(s) && e.mgr.ReloadReals(s):
			// Only real servers changed: the others keep running.
			keep[e] = true
			e.reloaded = true
			e.spec = lvs.Spec(e.svc)
			next = append(next, e)
			continue
		}
		next = append(next, nil)
		starts = append(starts, s)
	}
	// Removed and changed ones leave first: a changed one takes its
	// address again.
	for _, e := range rt.entries {
		if keep[e] {
			continue
		}
		if e.svc.Group != "" {
			rt.logf("Removing Virtual Server Group [%s]", e.svc.Group)
		} else {
			rt.logf("Removing Virtual Server %s", e.svc)
		}
		e.cancel()
		<-e.done
	}
	var firstErr error
	for i := range next {
		if next[i] != nil {
			continue
		}
		s := starts[0]
		starts = starts[1:]
		e, err := rt.startOne(s)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		next[i] = e
	}
	rt.entries = next
	return firstErr
}

// snapshot is every real server's live state, in configuration order.
func (rt *vsRuntime) snapshot() []lvs.DestState {
	var out []lvs.DestState
	for _, e := range rt.entries {
		out = append(out, e.mgr.Snapshot()...)
	}
	return out
}

// serviceStates is every virtual server's live state.
func (rt *vsRuntime) serviceStates() []lvs.ServiceState {
	var out []lvs.ServiceState
	for _, e := range rt.entries {
		out = append(out, e.mgr.ServiceStates()...)
	}
	return out
}

// reloadedSet are the virtual servers kept over a reload.
func (rt *vsRuntime) reloadedSet() map[*lvs.Service]bool {
	out := map[*lvs.Service]bool{}
	for _, e := range rt.entries {
		if e.reloaded {
			out[e.svc] = true
		}
	}
	return out
}

// services are the running virtual servers in configuration order.
func (rt *vsRuntime) services() []*lvs.Service {
	out := make([]*lvs.Service, 0, len(rt.entries))
	for _, e := range rt.entries {
		out = append(out, e.svc)
	}
	return out
}

// stop ends every checker and the forwarder and waits for them; the
// shutdown's notify scripts and mails go out (bounded). It may be called
// more than once.
func (rt *vsRuntime) stop() {
	if rt == nil {
		return
	}
	rt.once.Do(func() {
		rt.cancel()
		for _, e := range rt.entries {
			<-e.done
		}
		rt.closeDP()
		rt.closeHooks()
	})
}

// checkerHooks builds the notify scripts' runner and the smtp_alert mailer
// of the checkers from the global definitions.
func checkerHooks(cfg *keepalivedconf.Config, lg *zap.Logger, logf func(string, ...any)) (lvs.Hooks, lvs.Options, func()) {
	// scripts and mails outlive the checkers: the shutdown ones still go
	nctx, ncancel := context.WithCancel(context.Background())
	runner := notify.NewRunner(nctx, notify.RunnerConfig{Logger: lg})
	g := cfg.Global
	routerID := g.RouterID
	if routerID == "" {
		routerID = notify.Hostname()
	}
	var mailer *notify.Mailer
	if g.SMTPServer != "" && len(g.NotificationEmail) > 0 {
		port := g.SMTPPort
		if port == 0 {
			port = 25
		}
		from := g.EmailFrom
		if from == "" {
			from = "keepalived@" + notify.Hostname()
		}
		mc := notify.MailerConfig{Style: notify.Keepalived, Servers: []string{net.JoinHostPort(g.SMTPServer, strconv.Itoa(port))},
			From: from, To: g.NotificationEmail, Logger: lg}
		if g.SMTPConnectTimeout > 0 {
			mc.Timeout = time.Duration(g.SMTPConnectTimeout) * time.Second
		}
		for _, s := range g.Settings {
			if s.Keyword == "smtp_helo_name" {
				mc.HeloName = s.Arg(0)
			}
		}
		m, err := notify.NewMailer(nctx, mc)
		if err != nil && !errors.Is(err, notify.ErrNoServer) {
			lg.Error(err.Error())
		}
		mailer = m
	}
	var opts lvs.Options
	for _, s := range g.Settings {
		switch s.Keyword {
		case "checker_log_all_failures":
			opts.LogAllFailures = s.Arg(0) == "" || s.Arg(0) == "on" || s.Arg(0) == "true" || s.Arg(0) == "yes"
		case "no_checker_emails":
			opts.NoCheckerEmails = true
		}
	}
	hooks := lvs.Hooks{
		Logf: logf,
		Notify: func(script string) {
			argv, err := notify.SplitCommand(script)
			if err != nil || len(argv) == 0 {
				lg.Error("notify script " + strconv.Quote(script) + ": " + errString(err))
				return
			}
			_ = runner.Run(notify.Script{Argv: argv})
		},
		Alert: func(a lvs.Alert) {
			if mailer == nil {
				return
			}
			var m notify.Mail
			if a.Dest != nil {
				m = notify.RealServerMail(routerID, a.Service.FmtDest(a.Dest), a.Service.String(), a.State == "UP", a.Message)
			} else {
				m = notify.VirtualServerMail(routerID, a.Service.String(), a.State, a.Message)
			}
			_ = mailer.Send(m)
		},
	}
	return hooks, opts, func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer ccancel()
		if mailer != nil {
			_ = mailer.Close(cctx)
		}
		_ = runner.Close(cctx)
		ncancel()
	}
}

// addrLocal reports whether a is configured on an interface (ha_suspend).
func addrLocal(a netip.Addr) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return true
	}
	for _, x := range addrs {
		if p, err := netip.ParsePrefix(x.String()); err == nil && p.Addr().Unmap() == a {
			return true
		}
	}
	return false
}

func errString(err error) string {
	if err == nil {
		return "empty command"
	}
	return err.Error()
}
