package haproxycfg

// checkProxies runs the checks haproxy makes once every section is read.
func (p *parser) checkProxies() {
	for _, r := range p.pendingRefs {
		if be := p.cfg.findBackend(r.backend); be == nil {
			p.diags.Rawf(SevAlert, r.pos, "parsing [%s:%d]: unable to find backend '%s' referenced in arg %d of ACL keyword '%s' in proxy '%s'.",
				r.pos.File, r.pos.Line, r.backend, r.argN, r.kw, r.proxy.Name)
		}
	}
	if p.postResolveFailed {
		p.diags.Rawf(SevAlert, Pos{}, "Failed to initialize server(s) addr.")
	}
	for _, px := range p.cfg.Proxies {
		if px.Disabled {
			continue
		}
		if px.Kind.IsFrontend() {
			p.checkBackendRef(px, px.DefaultBackend, "default_backend")
			for _, ub := range px.UseBackends {
				p.checkBackendRef(px, &ub.BackendRef, "use_backend")
			}
		}
		if px.Kind.IsBackend() {
			for _, us := range px.UseServers {
				if px.findServer(us.Server) == nil {
					p.diags.Rawf(SevAlert, us.Pos, "%s '%s' : unable to find server '%s' referenced in a 'use-server' rule.", px.Kind, px.Name, us.Server)
				}
			}
		}
		if px.Kind == KindFrontend && len(px.Binds) == 0 {
			p.diags.Rawf(SevWarning, px.Pos, "%s '%s' has no 'bind' directive. Please declare it as a backend if this was intended.", px.Kind, px.Name)
		}
	}
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
