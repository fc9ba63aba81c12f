package haproxycfg

import (
	"strings"
)

// beginProxy opens a defaults, frontend, backend or listen section.
func (p *parser) beginProxy(ln Line) {
	kw := ln.Args[0]
	kind := map[string]ProxyKind{"defaults": KindDefaults, "frontend": KindFrontend, "backend": KindBackend, "listen": KindListen}[kw]
	name := ""
	args := ln.Args[1:]
	if len(args) > 0 && args[0] != "from" {
		name = args[0]
		args = args[1:]
	}
	if name == "" && kind != KindDefaults {
		p.diags.Alertf(ln.Pos, "'%s' expects an <id> argument", kw)
		p.cur.kind = "unsupported" // swallow the section's lines as haproxy does
		return
	}
	if r := invalidNameChar(name); r != 0 {
		p.diags.Alertf(ln.Pos, "character '%c' is not permitted in '%s' name '%s'.", r, kw, name)
	}
	from := ""
	hasFrom := false
	var legacyBinds []string
	switch {
	case len(args) == 0:
	case args[0] == "from":
		hasFrom = true
		if len(args) < 2 || args[1] == "" {
			p.diags.Alertf(ln.Pos, "please use the 'bind' keyword for listening addresses.")
		} else {
			from = args[1]
			if len(args) > 2 {
				p.diags.Alertf(ln.Pos, "please use the 'bind' keyword for listening addresses.")
			}
		}
	case (kind == KindListen || kind == KindFrontend) && len(args) == 1:
		// haproxy 1.x accepted "listen NAME ADDR[,ADDR]"; 2.x refuses it.
		legacyBinds = strings.Split(args[0], ",")
		p.diags.Warnf(ln.Pos, "a listening address on the '%s' line was removed in HAProxy 2.x; gohaproxy maps it to 'bind %s' (write it that way to run on haproxy 2.6).", kw, args[0])
	default:
		p.diags.Alertf(ln.Pos, "please use the 'bind' keyword for listening addresses.")
	}

	var base *Proxy
	if hasFrom {
		if from != "" {
			base = p.findDefaults(from)
			if base == nil {
				p.diags.Alertf(ln.Pos, "defaults section '%s' not found for %s '%s'.", from, kw, name)
			} else if all := p.defaultsNamed(from); len(all) > 1 {
				p.diags.Alertf(ln.Pos, "ambiguous defaults section name '%s' referenced by %s '%s' exists at least at %s:%d and %s:%d.",
					from, proxyWord(kind), name, all[0].Pos.File, all[0].Pos.Line, all[1].Pos.File, all[1].Pos.Line)
			}
		}
	} else if kind != KindDefaults {
		base = p.lastDefaults
	}

	if base != nil && kind != KindDefaults && len(base.Rules) > 0 {
		if kind == KindListen || (base.usedByFE && kind == KindBackend) || (base.usedByBE && kind == KindFrontend) {
			p.diags.tightf(SevAlert, ln.Pos, "frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules (defaults section at %s:%d).", base.Pos.File, base.Pos.Line)
		}
		if kind.IsFrontend() {
			base.usedByFE = true
		}
		if kind.IsBackend() {
			base.usedByBE = true
		}
	}
	px := inherit(base, kind, name, ln.Pos)
	px.From = from
	if kind == KindDefaults {
		p.cfg.Defaults = append(p.cfg.Defaults, px)
	} else {
		p.checkDuplicateProxy(px)
		p.cfg.Proxies = append(p.cfg.Proxies, px)
	}
	p.cur.proxy = px
	for _, b := range legacyBinds {
		p.bindLine(px, Line{Pos: ln.Pos, Args: []string{"bind", b}})
	}
}

// defaultsNamed counts the defaults sections named name.
func (p *parser) defaultsNamed(name string) []*Proxy {
	var out []*Proxy
	for _, d := range p.cfg.Defaults {
		if d.Name == name {
			out = append(out, d)
		}
	}
	return out
}

func (p *parser) findDefaults(name string) *Proxy {
	for i := len(p.cfg.Defaults) - 1; i >= 0; i-- {
		if p.cfg.Defaults[i].Name == name {
			return p.cfg.Defaults[i]
		}
	}
	return nil
}

func (p *parser) checkDuplicateProxy(px *Proxy) {
	for _, o := range p.cfg.Proxies {
		if o.Name != px.Name {
			continue
		}
		overlap := (o.Kind.IsFrontend() && px.Kind.IsFrontend()) || (o.Kind.IsBackend() && px.Kind.IsBackend())
		if !overlap {
			continue
		}
		what := o.Kind.String()
		if o.Kind == KindListen {
			what = "proxy"
		}
		p.diags.Rawf(SevAlert, px.Pos, "Parsing [%s:%d]: %s '%s' has the same name as %s '%s' declared at %s:%d.",
			px.Pos.File, px.Pos.Line, px.Kind, px.Name, what, o.Name, o.Pos.File, o.Pos.Line)
		return
	}
}

func proxyWord(k ProxyKind) string {
	if k == KindDefaults {
		return "defaults"
	}
	return "proxy"
}

// inherit makes a new proxy that starts with the settings of the defaults
// section base (nil for none), as haproxy copies a defaults section into
// each proxy declared after it.
func inherit(base *Proxy, kind ProxyKind, name string, pos Pos) *Proxy {
	px := &Proxy{Kind: kind, Name: name, Pos: pos, Options: map[string]Option{}, Rules: map[string][]*Rule{}, Errorfiles: map[int]string{}, Mode: ModeTCP}
	if base == nil {
		return px
	}
	px.Mode = base.Mode
	px.Balance = base.Balance
	px.HashType = base.HashType
	px.Timeouts = base.Timeouts
	for k, v := range base.Options {
		px.Options[k] = v
	}
	px.Maxconn = base.Maxconn
	px.Fullconn = base.Fullconn
	px.Retries = base.Retries
	px.Backlog = base.Backlog
	px.Logs = append([]*LogTarget(nil), base.Logs...)
	px.LogFormat = base.LogFormat
	px.LogFormatPos = base.LogFormatPos
	if base.Stats != nil {
		st := *base.Stats
		px.Stats = &st
	}
	px.Cookie = base.Cookie
	for k, v := range base.Errorfiles {
		px.Errorfiles[k] = v
	}
	if base.DefaultServer != nil {
		ds := *base.DefaultServer
		ds.Options = copyOpts(base.DefaultServer.Options)
		px.DefaultServer = &ds
	}
	if kind.IsFrontend() {
		px.DefaultBackend = base.DefaultBackend
	}
	// Rules of a named defaults section are inherited by proxies that name
	// it with "from" (haproxy 2.5+); they are evaluated first.
	for k, v := range base.Rules {
		px.Rules[k] = append([]*Rule(nil), v...)
	}
	for _, d := range base.Other {
		if inheritedOther[d.Args[0]] {
			px.Other = append(px.Other, d)
		}
	}
	return px
}

// inheritedOther lists the generic keywords a defaults section passes on.
var inheritedOther = map[string]bool{
	"http-check": true, "tcp-check": true, "monitor-uri": true, "compression": true,
	"unique-id-format": true, "unique-id-header": true, "http-reuse": true, "retry-on": true,
	"source": true, "email-alert": true, "log-tag": true, "max-keep-alive-queue": true,
	"rate-limit": true, "persist": true, "hash-balance-factor": true, "http-send-name-header": true,
	"load-server-state-from-file": true, "server-state-file-name": true, "external-check": true,
	"errorloc": true, "errorloc302": true, "errorloc303": true, "errorfiles": true, "http-error": true,
	"clitcpka-cnt": true, "clitcpka-idle": true, "clitcpka-intvl": true,
	"srvtcpka-cnt": true, "srvtcpka-idle": true, "srvtcpka-intvl": true, "log-format-sd": true,
	"error-log-format": true, "declare": true,
}

func copyOpts(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// endProxy runs the checks haproxy makes when a proxy section ends.
func (p *parser) endProxy(px *Proxy) {
	if px.Kind == KindDefaults {
		p.lastDefaults = px
	}
}

// proxyLine parses one keyword line of a proxy section.
func (p *parser) proxyLine(ln Line) {
	px := p.cur.proxy
	if px == nil {
		return
	}
	kw := ln.Args[0]
	if kw == "no" || kw == "default" {
		if len(ln.Args) > 1 && ln.Args[1] == "option" {
			p.optionLine(px, ln)
			return
		}
		if kw == "no" && len(ln.Args) > 1 && ln.Args[1] == "log" {
			p.noLogLine(px, ln)
			return
		}
		next := ""
		if len(ln.Args) > 1 {
			next = ln.Args[1]
		}
		p.diags.Alertf(ln.Pos, "negation/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping (got '%s %s').", kw, next)
		return
	}
	k := proxyKeywords[kw]
	if k == nil {
		if lg, ok := legacyProxyKeywords[kw]; ok {
			lg(p, px, ln)
			return
		}
		if _, known := oracleProxyKeywords[kw]; known {
			p.unsupported(ln.Pos, kw, "'"+px.Kind.String()+"' section")
			return
		}
		p.diags.Alertf(ln.Pos, "unknown keyword '%s' in '%s' section", kw, px.Kind)
		return
	}
	if !p.checkCaps(px, ln, kw, k) {
		return
	}
	k.fn(p, px, ln)
}

// checkCaps applies haproxy's rules for a keyword written in a section that
// lacks the capability it needs. It returns false when the line must not be
// parsed further.
func (p *parser) checkCaps(px *Proxy, ln Line, kw string, k *proxyKeyword) bool {
	if px.Kind == KindDefaults {
		if k.caps&capDefaults == 0 {
			switch {
			case k.defaultsMsg != "":
				p.diags.Alertf(ln.Pos, k.defaultsMsg, kw)
			case px.Name == "" && k.namedDefaults:
				p.diags.Alertf(ln.Pos, "'%s' not allowed in anonymous 'defaults' section.", kw)
			case k.namedDefaults:
				return true
			default:
				p.diags.Alertf(ln.Pos, "'%s' not allowed in 'defaults' section.", kw)
			}
			return false
		}
		return true
	}
	need := ""
	if k.caps&(capFrontend|capListen) != 0 && k.caps&capBackend == 0 && !px.Kind.IsFrontend() {
		need = "frontend"
	}
	if k.caps&capBackend != 0 && k.caps&capFrontend == 0 && !px.Kind.IsBackend() {
		need = "backend"
	}
	if need == "" {
		return true
	}
	if k.strictCaps {
		p.diags.Rawf(SevAlert, ln.Pos, "[%s:%d] : parsing [%s:%d] : '%s' not allowed because %s '%s' has no %s capability.",
			ln.Pos.File, ln.Pos.Line, ln.Pos.File, ln.Pos.Line, kw, px.Kind, px.Name, need)
		return false
	}
	p.diags.Warnf(ln.Pos, "'%s' ignored because %s '%s' has no %s capability.", kw, px.Kind, px.Name, need)
	// haproxy still parses the line (and reports its errors) in most cases.
	return k.parseWhenIgnored
}

// proxyKeyword describes a keyword of proxy sections.
type proxyKeyword struct {
	caps proxyCaps
	// strictCaps: a wrong-capability use is an error, not a warning.
	strictCaps bool
	// parseWhenIgnored: still validate the arguments when ignored.
	parseWhenIgnored bool
	// namedDefaults: allowed in named defaults sections only.
	namedDefaults bool
	defaultsMsg   string
	fn            func(p *parser, px *Proxy, ln Line)
	note          string
}

const (
	capAll   = capDefaults | capFrontend | capListen | capBackend
	capFE    = capDefaults | capFrontend | capListen
	capBE    = capDefaults | capListen | capBackend
	capFEnoD = capFrontend | capListen
	capBEnoD = capListen | capBackend
	capFEBE  = capFrontend | capListen | capBackend
)

// expectArgs checks that a keyword has between min and max arguments
// (max < 0: no limit).
func (p *parser) expectArgs(ln Line, min, max int, what string) bool {
	n := len(ln.Args) - 1
	if n < min || (max >= 0 && n > max) {
		if what == "" {
			p.diags.Alertf(ln.Pos, "'%s' expects %d argument(s).", ln.Args[0], min)
		} else {
			p.diags.Alertf(ln.Pos, "'%s' expects %s.", ln.Args[0], what)
		}
		return false
	}
	return true
}

// keep stores the line as a validated generic directive.
func keep(px *Proxy, ln Line) {
	px.Other = append(px.Other, Directive{Pos: ln.Pos, Args: ln.Args})
}

// findCondStart returns the index of the first "if" or "unless" word at or
// after from, or -1.
func findCondStart(args []string, from int) int {
	for i := from; i < len(args); i++ {
		if args[i] == "if" || args[i] == "unless" {
			return i
		}
	}
	return -1
}
