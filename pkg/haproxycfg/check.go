package haproxycfg

import (
	"fmt"
	"strings"
)

// checkProxies runs the checks haproxy makes once every section is read.
func (p *parser) checkProxies() {
	for _, r := range p.pendingRefs {
		switch {
		case r.userlist != "":
			if p.cfg.findUserlist(r.userlist) == nil {
				p.diags.Rawf(SevAlert, r.pos, "parsing [%s:%d]: unable to find userlist '%s' referenced in arg %d of ACL keyword '%s' in proxy '%s'.",
					r.pos.File, r.pos.Line, r.userlist, r.argN, r.kw, r.proxy.Name)
			}
		case r.table != "":
			if !p.cfg.hasTable(r.table) {
				p.diags.Rawf(SevAlert, r.pos, "parsing [%s:%d]: unable to find table '%s' referenced in arg %d of ACL keyword '%s' in proxy '%s'.",
					r.pos.File, r.pos.Line, r.table, r.argN, r.kw, r.proxy.Name)
			}
		case r.server != "":
			be, srv, ok := strings.Cut(r.server, "/")
			var bp *Proxy
			if !ok {
				bp, srv = r.proxy, be
			} else {
				bp = p.cfg.findBackend(be)
			}
			if bp == nil || bp.findServer(srv) == nil {
				p.diags.Rawf(SevAlert, r.pos, "parsing [%s:%d]: unable to find server '%s' referenced in arg %d of ACL keyword '%s' in proxy '%s'.",
					r.pos.File, r.pos.Line, r.server, r.argN, r.kw, r.proxy.Name)
			}
		default:
			if be := p.cfg.findBackend(r.backend); be == nil {
				p.diags.Rawf(SevAlert, r.pos, "parsing [%s:%d]: unable to find backend '%s' referenced in arg %d of ACL keyword '%s' in proxy '%s'.",
					r.pos.File, r.pos.Line, r.backend, r.argN, r.kw, r.proxy.Name)
			}
		}
	}
	p.checkUserlists()
	p.checkGlobalRefs()
	if p.postResolveFailed {
		p.diags.Rawf(SevAlert, Pos{}, "Failed to initialize server(s) addr.")
	}
	for _, px := range p.cfg.Proxies {
		if px.Disabled {
			continue
		}
		p.checkBackendRef(px, px.DefaultBackend, "default_backend")
		for _, ub := range px.UseBackends {
			p.checkBackendRef(px, &ub.BackendRef, "use_backend")
		}
		p.checkProxyRefs(px)
		p.checkProxyConsistency(px)
		{
			for _, us := range px.UseServers {
				if px.findServer(us.Server) == nil {
					p.diags.Rawf(SevAlert, us.Pos, "%s '%s' : unable to find server '%s' referenced in a 'use-server' rule.", px.Kind, px.Name, us.Server)
				}
			}
		}
		if px.Kind == KindFrontend && len(px.Binds) == 0 {
			p.diags.Rawf(SevWarning, px.Pos, "%s '%s' has no 'bind' directive. Please declare it as a backend if this was intended.", px.Kind, px.Name)
		}
		if px.Kind.IsFrontend() && px.hasLogFormat() && p.logTargets(px) == 0 {
			p.diags.Rawf(SevWarning, px.Pos, "log format ignored for %s '%s' since it has no log address.", px.Kind, px.Name)
		}
	}
}

// hasLogFormat says whether px logs with a format: "log-format" or one of
// the log options.
func (px *Proxy) hasLogFormat() bool {
	if px.LogFormat != "" {
		return true
	}
	for _, o := range []string{"httplog", "httpslog", "tcplog"} {
		if px.OptionEnabled(o) {
			return true
		}
	}
	return false
}

// logTargets counts the log targets of px, "log global" standing for the
// global section's.
func (p *parser) logTargets(px *Proxy) int {
	n := 0
	for _, lt := range px.Logs {
		if lt.Global {
			n += len(p.cfg.Global.Logs)
		} else {
			n++
		}
	}
	return n
}

func (c *Config) findUserlist(name string) *Userlist {
	for _, u := range c.Userlists {
		if u.Name == name {
			return u
		}
	}
	return nil
}

// hasTable reports whether a stick table of that name exists (a proxy with
// a stick-table line, or a table of a peers section).
func (c *Config) hasTable(name string) bool {
	for _, px := range c.Proxies {
		if px.Name == name && px.hasStickTable() {
			return true
		}
	}
	for _, s := range c.Peers {
		for _, d := range s.Directives {
			if d.Args[0] == "table" && len(d.Args) > 1 && (d.Args[1] == name || s.Name+"/"+d.Args[1] == name) {
				return true
			}
		}
	}
	return false
}

func (px *Proxy) hasStickTable() bool {
	for _, d := range px.Other {
		if d.Args[0] == "stick-table" {
			return true
		}
	}
	return false
}

func (p *parser) checkUserlists() {
	for _, u := range p.cfg.Userlists {
		groups := map[string]bool{}
		for _, g := range u.Groups {
			groups[g.Args[1]] = true
		}
		for _, usr := range u.Users {
			for i := 2; i+1 < len(usr.Args); i += 2 {
				if usr.Args[i] != "groups" {
					continue
				}
				for _, g := range strings.Split(usr.Args[i+1], ",") {
					if !groups[g] {
						p.diags.Rawf(SevAlert, usr.Pos, "userlist '%s': no such group '%s' specified in user '%s'", u.Name, g, usr.Args[1])
					}
				}
			}
		}
	}
}

func (p *parser) checkGlobalRefs() {
	if len(p.cfg.Programs) > 0 && !p.cfg.Global.MasterWork && !p.masterWorkerFlag {
		p.diags.Rawf(SevAlert, Pos{}, "Can't use a 'program' section without master worker mode.")
	}
}

// checkProxyRefs checks the names a proxy refers to: tables, mailers,
// http-errors sections, resolvers, tracked servers, caches.
func (p *parser) checkProxyRefs(px *Proxy) {
	for _, d := range px.Other {
		switch d.Args[0] {
		case "stick":
			table := px.Name
			for i := 2; i+1 < len(d.Args); i++ {
				if d.Args[i] == "table" {
					table = d.Args[i+1]
				}
			}
			if !p.cfg.hasTable(table) {
				p.diags.Rawf(SevAlert, d.Pos, "Proxy '%s': unable to find stick-table '%s'.", px.Name, table)
			}
		case "email-alert":
			if d.Args[1] == "mailers" && p.cfg.findMailers(d.Args[2]) == nil {
				p.diags.Rawf(SevAlert, d.Pos, "Proxy '%s': unable to find mailers '%s'.", px.Name, d.Args[2])
			}
		case "errorfiles":
			if p.cfg.findHTTPErrors(d.Args[1]) == nil {
				p.diags.Rawf(SevAlert, d.Pos, "proxy '%s': unknown http-errors section '%s' (at %s:%d).", px.Name, d.Args[1], d.Pos.File, d.Pos.Line)
			}
		}
	}
	for rs, rules := range px.Rules {
		for _, r := range rules {
			base := r.Action
			if strings.HasPrefix(base, "track-sc") {
				table := px.Name
				for i := 1; i+1 < len(r.Args); i++ {
					if r.Args[i] == "table" {
						table = r.Args[i+1]
					}
				}
				if !p.cfg.hasTable(table) {
					p.diags.Rawf(SevAlert, r.Pos, "Proxy '%s': unable to find table '%s' referenced by %s.", px.Name, table, base)
				}
			}
			if (base == "cache-use" || base == "cache-store") && len(r.Args) > 0 && p.cfg.findSection(p.cfg.Caches, r.Args[0]) == nil {
				p.diags.Rawf(SevAlert, r.Pos, "Proxy '%s': unable to find the cache '%s' referenced by '%s %s'.", px.Name, r.Args[0], rs, base)
			}
		}
	}
	for _, s := range px.Servers {
		if v, ok := s.Options["resolvers"]; ok && p.cfg.findSection(p.cfg.Resolvers, v[0]) == nil {
			p.diags.Rawf(SevAlert, s.Pos, "%s '%s', server '%s': unable to find required resolvers '%s'", px.Kind, px.Name, s.Name, v[0])
		}
		if v, ok := s.Options["track"]; ok {
			be, name, found := strings.Cut(v[0], "/")
			bp := px
			if found {
				bp = p.cfg.findBackend(be)
			} else {
				name = be
			}
			var t *Server
			if bp != nil {
				t = bp.findServer(name)
			}
			where := fmt.Sprintf("[%s:%d] : 'server %s/%s'", s.Pos.File, s.Pos.Line, px.Name, s.Name)
			switch {
			case t == nil:
				p.diags.Rawf(SevAlert, s.Pos, "%s : unable to find required server '%s' for tracking.", where, v[0])
			case !t.Check && t.Options["agent-check"] == nil:
				p.diags.Rawf(SevAlert, s.Pos, "%s : unable to use %s/%s for tracking as it does not have any check nor agent enabled.", where, bp.Name, t.Name)
			}
		}
	}
}

func (c *Config) findMailers(name string) *Mailers {
	for _, m := range c.Mailers {
		if m.Name == name {
			return m
		}
	}
	return nil
}

func (c *Config) findHTTPErrors(name string) *HTTPErrors {
	for _, h := range c.HTTPErrors {
		if h.Name == name {
			return h
		}
	}
	return nil
}

func (c *Config) findSection(list []*Section, name string) *Section {
	for _, s := range list {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func (p *parser) checkBackendRef(px *Proxy, ref *BackendRef, kw string) {
	if ref == nil || ref.Dynamic {
		return
	}
	be := p.cfg.findBackend(ref.Name)
	switch {
	case be == nil:
		p.diags.Rawf(SevAlert, ref.Pos, "Proxy '%s': unable to find required %s: '%s'.", px.Name, kw, ref.Name)
	case be == px:
		p.diags.Rawf(SevAlert, ref.Pos, "Proxy '%s': loop detected for %s: '%s'.", px.Name, kw, ref.Name)
	}
}

// findBackend returns the proxy with backend capability named name.
func (c *Config) findBackend(name string) *Proxy {
	for _, px := range c.Proxies {
		if px.Name == name && px.Kind.IsBackend() {
			return px
		}
	}
	return nil
}

func (px *Proxy) findServer(name string) *Server {
	for _, s := range px.Servers {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// HasListeners reports whether the configuration listens anywhere; haproxy
// exits with status 2 when it does not ("no listener").
func (c *Config) HasListeners() bool {
	for _, px := range c.Proxies {
		if !px.Disabled && px.Kind.IsFrontend() && len(px.Binds) > 0 {
			return true
		}
	}
	if len(c.Global.StatsSocket) > 0 {
		return true
	}
	for _, s := range c.Peers {
		for _, d := range s.Directives {
			if d.Args[0] == "bind" || d.Args[0] == "peer" {
				return true
			}
		}
	}
	return false
}

// ZeroWarning reports whether the global section asks to treat warnings as
// errors ("zero-warning").
func (c *Config) ZeroWarning() bool {
	for _, d := range c.Global.Other {
		if d.Args[0] == "zero-warning" {
			return true
		}
	}
	return false
}
