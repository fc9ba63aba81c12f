package main

import (
	"context"
	"errors"
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
)

// ipvsProc exists when the kernel has IPVS.
const ipvsProc = "/proc/net/ip_vs"

// startVirtualServers runs keepalived's healthcheck half for the
// configuration's virtual_servers: the real servers' checkers (pkg/proxy/lvs
// Manager) driving the userspace forwarder. gokeepalived does not program
// kernel IPVS yet, so the userspace forwarder is used whether or not the
// kernel has IPVS; the choice is logged:
//
//	Using the userspace forwarder for virtual servers (no kernel IPVS: /proc/net/ip_vs not found)
//	Using the userspace forwarder for virtual servers (kernel IPVS present but not driven by gokeepalived yet)
//
// A configuration the userspace forwarder cannot run (lb_kind DR/TUN,
// fwmark services, protocol SCTP) is an error naming file:line.
// stop ends the checkers and the forwarder (real servers are logged out
// as keepalived does at shutdown) and waits for them; it may be called
// more than once. vrrpOnly (-P) runs nothing.
func startVirtualServers(parent context.Context, cfg *keepalivedconf.Config, vrrpOnly bool, lg *zap.Logger, logf func(string, ...any)) (stop func(), err error) {
	if len(cfg.VirtualServers) == 0 || vrrpOnly {
		return func() {}, nil
	}
	why := "no kernel IPVS: " + ipvsProc + " not found"
	if _, err := os.Stat(ipvsProc); err == nil {
		why = "kernel IPVS present but not driven by gokeepalived yet"
	}
	svcs, err := lvs.Services(cfg, true)
	if err != nil {
		return nil, err
	}
	logf("Using the userspace forwarder for virtual servers (%s)", why)

	ctx, cancel := context.WithCancel(parent)
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
	logAll, noCheckerEmails := false, false
	for _, s := range g.Settings {
		switch s.Keyword {
		case "checker_log_all_failures":
			logAll = s.Arg(0) == "" || s.Arg(0) == "on" || s.Arg(0) == "true" || s.Arg(0) == "yes"
		case "no_checker_emails":
			noCheckerEmails = true
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
	fw := lvs.NewForwarder(ctx, lvs.ForwarderOptions{Logf: logf})
	mgr := lvs.NewManager(svcs, lvs.Options{Table: fw, Hooks: hooks, LogAllFailures: logAll, NoCheckerEmails: noCheckerEmails,
		AddrLocal: addrLocal})
	if err := mgr.Start(); err != nil {
		cancel()
		fw.Wait()
		ncancel()
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		mgr.Run(ctx)
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
			fw.Wait()
			// the notify scripts and mails of the shutdown go out
			// (bounded) before the daemon reports "Stopped"
			cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer ccancel()
			if mailer != nil {
				_ = mailer.Close(cctx)
			}
			_ = runner.Close(cctx)
			ncancel()
		})
	}, nil
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
