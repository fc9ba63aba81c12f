package lvs

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
)

// failure classes a probe result maps to, each with keepalived's words.
type attempt struct {
	ok bool
	// reason is the failure line keepalived logs with log_all_failures
	// (complete, without the trailing period where keepalived has none).
	reason string
	// detail feeds the alert of SMTP_CHECK ("=> CHECK failed on service : %s <=").
	detail string
	// successes are the per-url success lines (HTTP_GET/SSL_GET) logged
	// while the checker is down.
	successes []string
	// weight is the dynamic weight of MISC_CHECK with misc_dynamic (-1: none).
	weight int
	// misc is MISC_CHECK's "exited with status N" part.
	misc string
	// note is a line keepalived logs whatever log_all_failures says.
	note string
}

// checker runs one checker block with keepalived 2.2.7's retry and
// logging rules. Its fields are owned by its goroutine.
type checker struct {
	spec  *CheckerSpec
	svc   *Service
	dest  *Dest
	m     *Manager
	name  string // FMT_CHK: the real server as keepalived prints it
	probe func(ctx context.Context) attempt

	isUp, hasRun bool
	retryIt      int

	// FILE_CHECK: the last value read, the weight it adds (its status
	// when not FAULT) and the last invalid-number line logged.
	fileVal int64
	fileCur int
	fileBad string

	// cancel stops the checker's goroutine, which closes done.
	cancel context.CancelFunc
	done   chan struct{}
}

func (m *Manager) newChecker(s *Service, d *Dest, cs *CheckerSpec) *checker {
	c := &checker{spec: cs, svc: s, dest: d, m: m, name: s.FmtDest(d), isUp: !cs.Alpha}
	t := checks.Target{Addr: cs.Connect.String(), Source: cs.BindTo}
	hostport := fmt.Sprintf("[%s]:%d", cs.Connect.Addr(), cs.Connect.Port())
	switch cs.Type {
	case "TCP_CHECK":
		c.probe = func(ctx context.Context) attempt {
			r := checks.TCPConnect{}.Run(ctx, t)
			if r.OK {
				return attempt{ok: true, weight: -1}
			}
			if r.Status == checks.StatusL4TOUT {
				return attempt{reason: fmt.Sprintf("TCP connection to %s timeout.", c.name), weight: -1}
			}
			return attempt{reason: fmt.Sprintf("TCP connection to %s failed.", c.name), weight: -1}
		}
	case "HTTP_GET", "SSL_GET":
		c.probe = c.httpProbe(t)
	case "UDP_CHECK":
		c.probe = c.udpProbe(t)
	case "PING_CHECK":
		c.probe = c.pingProbe(t)
	case "FILE_CHECK":
		c.fileInit()
	case "SMTP_CHECK":
		helo := cs.Helo
		if helo == "" {
			helo = "smtpchecker.keepalived.org"
		}
		c.probe = func(ctx context.Context) attempt {
			r := checks.SMTP{Helo: helo}.Run(ctx, t)
			if r.OK {
				return attempt{ok: true, weight: -1}
			}
			var msg string
			switch {
			case r.Status == checks.StatusL4TOUT:
				msg = "Connection timeout to server %s"
			case r.Status == checks.StatusL4CON:
				msg = "Error connecting to server %s"
			case r.Status == checks.StatusL7TOUT:
				msg = "Read timeout from server %s"
			case r.Status == checks.StatusL7STS && r.Info == "greeting":
				msg = "Bad greeting banner from server %s"
			case r.Status == checks.StatusL7STS:
				msg = "Bad HELO response from server %s"
			default:
				msg = "Read failure from server %s"
			}
			d := fmt.Sprintf(msg, hostport)
			return attempt{reason: d, detail: d, weight: -1}
		}
	case "DNS_CHECK":
		typ, _ := checks.DNSType(cs.DNSType)
		c.probe = func(ctx context.Context) attempt {
			r := checks.DNS{Type: typ, Name: cs.DNSName}.Run(ctx, t)
			if r.OK {
				return attempt{ok: true, weight: -1}
			}
			var why string
			switch r.Status {
			case checks.StatusL7TOUT, checks.StatusL4TOUT:
				why = "read timeout from socket"
			case checks.StatusL4CON:
				why = "connection error."
			default:
				why = r.Info
			}
			return attempt{reason: fmt.Sprintf("DNS_CHECK (%s) %s", c.name, why), weight: -1}
		}
	case "MISC_CHECK":
		argv := splitCommand(cs.MiscPath)
		c.probe = func(ctx context.Context) attempt {
			if len(argv) == 0 {
				return attempt{weight: -1}
			}
			r := checks.Exec{Path: argv[0], Args: argv[1:], MiscDynamic: cs.MiscDynamic, Timeout: cs.MiscTimeout}.Run(ctx, t)
			a := attempt{ok: r.OK, weight: r.Weight}
			switch {
			case r.Status == checks.StatusPROCTOUT:
				a.misc = " (timed out)"
			case r.Code != 0:
				a.misc = fmt.Sprintf(" (exited with status %d)", r.Code)
			}
			return a
		}
	}
	return c
}

// splitCommand splits a script line on blanks, honouring double quotes.
func splitCommand(s string) []string {
	var out []string
	var cur strings.Builder
	in, have := false, false
	for _, r := range s {
		switch {
		case r == '"':
			in, have = !in, true
		case (r == ' ' || r == '\t') && !in:
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if have {
		out = append(out, cur.String())
	}
	return out
}

func (c *checker) httpProbe(t checks.Target) func(ctx context.Context) attempt {
	cs := c.spec
	tlsOn := cs.Type == "SSL_GET"
	version, hdrs := "HTTP/1.0", [][2]string{{"User-Agent", "KeepAliveClient"}}
	switch cs.HTTPProto {
	case "1.1":
		version = "HTTP/1.1"
	case "1.0C", "1.0c":
		hdrs = append(hdrs, [2]string{"Connection", "close"})
	}
	type urlProbe struct {
		path  string
		probe checks.HTTP
	}
	var ups []urlProbe
	for _, u := range cs.URLs {
		host := u.VirtualHost
		if host == "" {
			host = cs.VirtualHost
		}
		hostHdr := host
		if hostHdr == "" {
			hostHdr = t.Addr
			if a, err := netip.ParseAddrPort(t.Addr); err == nil && a.Addr().Is6() {
				hostHdr = fmt.Sprintf("[%s]:%d", a.Addr(), a.Port())
			}
			if p := c.spec.Connect.Port(); (p == 80 && !tlsOn) || (p == 443 && tlsOn) {
				hostHdr = c.spec.Connect.Addr().String()
			}
		}
		p := checks.HTTP{Path: u.Path, Version: version, Host: hostHdr, Headers: hdrs, TLS: tlsOn, Digest: u.Digest}
		if tlsOn {
			p.TLSConfig = &tls.Config{InsecureSkipVerify: true}
			if cs.EnableSNI && host != "" {
				p.ServerName = host
			}
		}
		if len(u.Status) > 0 {
			for _, r := range u.Status {
				p.ExpectStatus = append(p.ExpectStatus, checks.StatusRange{Lo: r.Lo, Hi: r.Hi})
			}
		} else {
			// keepalived's default: any 2xx
			p.ExpectStatus = []checks.StatusRange{{Lo: 200, Hi: 299}}
		}
		if u.Regex != "" {
			if re, err := regexp.Compile(u.Regex); err == nil {
				p.ExpectBodyRegex, p.NegateBody = re, u.RegexNoMatch
			}
		}
		ups = append(ups, urlProbe{u.Path, p})
	}
	return func(ctx context.Context) attempt {
		var a attempt
		a.weight = -1
		for _, up := range ups {
			r := up.probe.Run(ctx, t)
			if !r.OK {
				var msg string
				switch {
				case r.Status == checks.StatusL4TOUT:
					msg = "Timeout connecting"
				case r.Status == checks.StatusL4CON || r.Status == checks.StatusSOCKERR:
					msg = "Error connecting"
				case r.Status == checks.StatusL6RSP || r.Status == checks.StatusL6TOUT:
					msg = "SSL handshake/communication error connecting to"
				case r.Status == checks.StatusL7STS:
					msg = "HTTP status code error to"
				case strings.HasPrefix(r.Info, "digest mismatch") || strings.HasPrefix(r.Info, "body too long"):
					msg = "MD5 digest error to"
				case strings.HasPrefix(r.Info, "body regex"):
					msg = "Regex match failed"
				case r.Status == checks.StatusL7TOUT && tlsOn:
					msg = "Timeout SSL read"
				case r.Status == checks.StatusL7TOUT:
					msg = "Timeout HTTP read"
				default:
					msg = "Read, no data received from "
				}
				a.reason = fmt.Sprintf("%s server %s.", msg, c.name)
				return a
			}
			what := "HTTP status code"
			switch {
			case up.probe.ExpectBodyRegex != nil:
				what = "Regex match"
			case up.probe.Digest != "":
				what = "MD5 digest"
			}
			a.successes = append(a.successes, fmt.Sprintf("%s success to %s url(%s)", what, c.name, up.path))
		}
		a.ok = true
		return a
	}
}

// run is the checker's goroutine.
func (c *checker) run(ctx context.Context) {
	cs := c.spec
	if cs.Type == "FILE_CHECK" {
		c.runFile(ctx)
		return
	}
	clk := c.m.clock
	first := bootstrapDelay
	if cs.Warmup > 0 {
		first += time.Duration(c.m.rand() * float64(cs.Warmup))
	}
	if clk.Sleep(ctx, first) != nil {
		return
	}
	for {
		if c.m.suspended(c.svc) {
			if clk.Sleep(ctx, cs.DelayLoop) != nil {
				return
			}
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, c.timeout())
		a := c.probe(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if clk.Sleep(ctx, c.outcome(a)) != nil {
			return
		}
	}
}

func (c *checker) timeout() time.Duration {
	if c.spec.Type == "MISC_CHECK" {
		return c.spec.MiscTimeout + time.Second
	}
	return c.spec.ConnectTimeout
}

func (c *checker) logf(format string, args ...any) { c.m.pool.logf(format, args...) }

// outcome applies one attempt's result with keepalived's rules and
// returns the delay before the next attempt.
func (c *checker) outcome(a attempt) time.Duration {
	cs := c.spec
	logAll := cs.LogAllFailures || c.m.logAllFailures
	switch cs.Type {
	case "TCP_CHECK", "DNS_CHECK":
		return c.simpleOutcome(a, logAll)
	case "SMTP_CHECK":
		return c.smtpOutcome(a, logAll)
	case "MISC_CHECK":
		return c.miscOutcome(a)
	case "UDP_CHECK", "PING_CHECK":
		return c.udpIcmpOutcome(a, logAll)
	}
	return c.httpOutcome(a, logAll)
}

// simpleOutcome is tcp_epilog (DNS_CHECK follows the same pattern).
func (c *checker) simpleOutcome(a attempt, logAll bool) time.Duration {
	cs := c.spec
	kind := strings.TrimSuffix(cs.Type, "_CHECK")
	if !a.ok && c.isUp && logAll && a.reason != "" {
		c.logf("%s", a.reason)
	}
	delay := cs.DelayLoop
	if a.ok || c.retryIt >= cs.Retry {
		c.retryIt = 0
		switch {
		case a.ok && (!c.isUp || !c.hasRun):
			if kind == "TCP" {
				c.logf("TCP connection to %s success.", c.name)
			} else {
				c.logf("DNS_CHECK (%s) succeeded.", c.name)
			}
			c.setState(true, fmt.Sprintf("=> %s CHECK succeed on service <=", kind))
		case !a.ok && (c.isUp || !c.hasRun):
			if kind == "TCP" {
				if cs.Retry > 0 && c.hasRun {
					c.logf("TCP_CHECK on service %s failed after %d retries.", c.name, cs.Retry)
				} else {
					c.logf("TCP_CHECK on service %s failed.", c.name)
				}
			} else if a.reason != "" {
				if cs.Retry > 0 && c.hasRun {
					c.logf("%s after %d retries", strings.TrimSuffix(a.reason, "."), cs.Retry)
				} else {
					c.logf("%s", a.reason)
				}
			}
			c.setState(false, fmt.Sprintf("=> %s CHECK failed on service <=", kind))
		}
	} else {
		delay = cs.DelayBeforeRetry
		c.retryIt++
	}
	c.hasRun = true
	return delay
}

// smtpOutcome is smtp_final.
func (c *checker) smtpOutcome(a attempt, logAll bool) time.Duration {
	cs := c.spec
	if a.ok {
		c.retryIt = 0
		if !c.isUp || !c.hasRun {
			c.logf("Remote SMTP server %s succeed on service.", c.name)
			c.setState(true, "=> CHECK succeed on service <=")
		}
		c.hasRun = true
		return cs.DelayLoop
	}
	if logAll && (c.isUp || !c.hasRun) {
		c.logf("%s", a.reason)
	}
	c.retryIt++
	if c.retryIt <= cs.Retry {
		return cs.DelayBeforeRetry
	}
	c.retryIt = 0
	if c.isUp || !c.hasRun {
		c.setState(false, fmt.Sprintf("=> CHECK failed on service : %s <=", a.detail))
	}
	c.hasRun = true
	return cs.DelayLoop
}

// miscOutcome is misc_check_child_thread's verdict handling.
func (c *checker) miscOutcome(a attempt) time.Duration {
	cs := c.spec
	if a.ok && a.weight >= 0 && cs.MiscDynamic {
		c.m.pool.setWeight(c.dest, c.dest.Weight+a.weight)
	}
	if a.ok {
		c.retryIt = 0
		if !c.isUp || !c.hasRun {
			c.logf("Misc check for [%s VS %s] by [%s] succeeded.", c.name, c.svc, cs.MiscPath)
			c.setState(true, "=> MISC CHECK succeed on service <=")
		}
		c.hasRun = true
		return cs.DelayLoop
	}
	if c.isUp || !c.hasRun {
		if c.retryIt < cs.Retry {
			c.retryIt++
			c.logf("Misc check for [%s VS %s] by [%s] failed on retry %d/%d%s.", c.name, c.svc, cs.MiscPath, c.retryIt, cs.Retry, a.misc)
			return cs.DelayBeforeRetry
		}
		if cs.Retry > 0 {
			c.logf("Misc check for [%s VS %s] by [%s] failed after %d %s%s.", c.name, c.svc, cs.MiscPath, cs.Retry, plural(cs.Retry, "retry", "retries"), a.misc)
		} else {
			c.logf("Misc check for [%s VS %s] by [%s] failed%s.", c.name, c.svc, cs.MiscPath, a.misc)
		}
		c.retryIt = 0
		c.setState(false, "=> MISC CHECK failed on service <=")
	}
	c.hasRun = true
	return cs.DelayLoop
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// httpOutcome is the HTTP_GET/SSL_GET epilog.
func (c *checker) httpOutcome(a attempt, logAll bool) time.Duration {
	cs := c.spec
	if a.ok {
		c.retryIt = 0
		if !c.isUp {
			for _, l := range a.successes {
				c.logf("%s", l)
			}
		}
		if !c.isUp || !c.hasRun {
			c.logf("Remote Web server %s succeed on service.", c.name)
			c.setState(true, "=> CHECK succeed on service <=")
			c.hasRun = true
		}
		return cs.DelayLoop
	}
	if !(c.isUp || !c.hasRun) {
		// known dead: no retry
		return max(cs.DelayBeforeRetry, cs.DelayLoop)
	}
	if logAll {
		c.logf("%s", a.reason)
	}
	c.hasRun = true
	c.retryIt++
	if c.retryIt <= cs.Retry {
		return cs.DelayBeforeRetry
	}
	if cs.Retry > 0 {
		c.logf("HTTP_CHECK on service %s failed after %d retries.", c.name, cs.Retry)
	} else {
		c.logf("HTTP_CHECK on service %s failed.", c.name)
	}
	c.retryIt = 0
	c.setState(false, "=> CHECK failed on service : HTTP request failed <=")
	return max(cs.DelayBeforeRetry, cs.DelayLoop)
}

// setState is update_svr_checker_state plus the checker's smtp_alert.
func (c *checker) setState(up bool, msg string) {
	wasUp := c.isUp
	firstRun := !c.hasRun
	c.hasRun = true
	if wasUp == up {
		if firstRun {
			c.m.pool.firstRun(c.dest, up, c.spec.Alpha)
		}
		return
	}
	c.isUp = up
	wasAlive, alive := c.m.pool.changed(c.dest, up)
	if c.dest.SmtpAlert && msg != "" && wasUp != up && (wasAlive != alive || !c.m.noCheckerEmails) {
		state := "DOWN"
		if up {
			state = "UP"
		}
		c.m.pool.alert(Alert{Service: c.svc, Dest: c.dest, State: state, Message: msg})
	}
}
