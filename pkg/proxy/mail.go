package proxy

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/notify"
)

// Syslog levels haproxy mails its server messages at.
const (
	levelAlert  = 1 // a server goes down
	levelNotice = 5 // a server comes up, drain and maintenance changes
	levelInfo   = 6 // log-health-checks lines
)

// mailSpec is a backend's "email-alert" settings.
type mailSpec struct {
	cfg   notify.MailerConfig
	level int
}

// emailAlerts reads the email-alert lines of px; nil when it mails
// nothing (haproxy needs mailers, from and to).
func emailAlerts(cfg *haproxycfg.Config, px *haproxycfg.Proxy) (*mailSpec, error) {
	var mailers, from, to, host string
	level := "alert"
	var pos haproxycfg.Pos
	for _, d := range px.Other {
		if d.Args[0] != "email-alert" || len(d.Args) < 3 {
			continue
		}
		pos = d.Pos
		switch d.Args[1] {
		case "mailers":
			mailers = d.Args[2]
		case "from":
			from = d.Args[2]
		case "to":
			to = d.Args[2]
		case "level":
			level = d.Args[2]
		case "myhostname":
			host = d.Args[2]
		}
	}
	if mailers == "" && from == "" && to == "" {
		return nil, nil
	}
	if mailers == "" || from == "" || to == "" {
		return nil, &UnsupportedError{pos, "'email-alert' without all of 'mailers', 'from' and 'to' (haproxy then mails nothing: complete or remove it)"}
	}
	var ms *haproxycfg.Mailers
	for _, m := range cfg.Mailers {
		if m.Name == mailers {
			ms = m
		}
	}
	if ms == nil {
		return nil, &UnsupportedError{pos, "'email-alert mailers " + mailers + "' (no such mailers section)"}
	}
	lv, ok := notify.ParseLevel(level)
	if !ok {
		return nil, &UnsupportedError{pos, "'email-alert level " + level + "'"}
	}
	if host == "" {
		host = notify.Hostname()
	}
	spec := &mailSpec{level: lv, cfg: notify.MailerConfig{Style: notify.HAProxy, HeloName: host, From: from, To: []string{to}, Timeout: ms.Timeout}}
	for _, d := range ms.Mailers {
		if len(d.Args) >= 3 && d.Args[0] == "mailer" {
			spec.cfg.Servers = append(spec.cfg.Servers, d.Args[2])
		}
	}
	return spec, nil
}

// startMailers starts the mailers of the backends that mail alerts; the
// returned function delivers what is queued (for a few seconds at most)
// and stops them.
func (rt *Runtime) startMailers(ctx context.Context) func() {
	var started []*notify.Mailer
	for _, name := range rt.backendOrder {
		be := rt.backends[name]
		if be.mail == nil {
			continue
		}
		c := be.mail.cfg
		c.Logger = rt.log
		m, err := notify.NewMailer(ctx, c)
		if err != nil {
			rt.log.Warn("email alerts of backend '"+be.name+"' disabled", zap.Error(err))
			continue
		}
		be.mailer = m
		started = append(started, m)
	}
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, m := range started {
			m.Close(sctx)
		}
	}
}

// alert mails msg if the backend's email-alert level lets it through.
func (be *backend) alert(level int, msg string) {
	if be.mailer == nil || !notify.HAProxyWants(level, be.mail.level) {
		return
	}
	be.mailer.Send(notify.HAProxyServerMail(msg))
}
