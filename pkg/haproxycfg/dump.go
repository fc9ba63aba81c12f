package haproxycfg

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Dump writes a stable, readable rendering of what was understood from the
// configuration: one line per value, sections in file order, defaults
// already resolved into each proxy. Golden files pin it.
func (c *Config) Dump(w io.Writer) {
	d := dumper{w: w}
	g := c.Global
	d.line(0, "global")
	d.kv(1, "daemon", g.Daemon)
	d.kv(1, "master-worker", g.MasterWork)
	d.kv(1, "maxconn", g.Maxconn)
	d.kv(1, "ulimit-n", g.UlimitN)
	d.kv(1, "nbthread", g.Nbthread)
	d.kv(1, "pidfile", g.Pidfile)
	d.kv(1, "user", g.User)
	d.kv(1, "group", g.Group)
	d.kv(1, "uid", g.UID)
	d.kv(1, "gid", g.GID)
	d.kv(1, "chroot", g.Chroot)
	d.kv(1, "log-tag", g.LogTag)
	for _, l := range g.Logs {
		d.log(1, l)
	}
	for _, b := range g.StatsSocket {
		d.bind(1, "stats socket", b)
	}
	d.kv(1, "stats timeout", g.StatsTimeout)
	d.kv(1, "stats maxconn", g.StatsMaxconn)
	for _, k := range sortedKeys(g.Tune) {
		d.kv(1, k, g.Tune[k])
	}
	for _, e := range g.Env {
		d.line(1, strings.Join(e.Args, " "))
	}
	for _, o := range g.Other {
		d.line(1, strings.Join(o.Args, " "))
	}
	for _, px := range c.Defaults {
		d.proxy(px)
	}
	for _, px := range c.Proxies {
		d.proxy(px)
	}
	for _, u := range c.Userlists {
		d.line(0, "userlist "+u.Name)
		for _, x := range u.Users {
			d.line(1, strings.Join(x.Args, " "))
		}
		for _, x := range u.Groups {
			d.line(1, strings.Join(x.Args, " "))
		}
	}
	for _, m := range c.Mailers {
		d.line(0, "mailers "+m.Name)
		d.kv(1, "timeout mail", m.Timeout)
		for _, x := range m.Mailers {
			d.line(1, strings.Join(x.Args, " "))
		}
	}
	for _, h := range c.HTTPErrors {
		d.line(0, "http-errors "+h.Name)
		for _, code := range sortedIntKeys(h.Errorfiles) {
			d.line(1, fmt.Sprintf("errorfile %d %s", code, h.Errorfiles[code]))
		}
	}
	for _, list := range [][]*Section{c.Peers, c.Resolvers, c.Caches, c.Programs, c.Rings} {
		for _, s := range list {
			d.line(0, s.Kind+" "+s.Name)
			for _, x := range s.Directives {
				d.line(1, strings.Join(x.Args, " "))
			}
		}
	}
}

type dumper struct{ w io.Writer }

func (d dumper) line(indent int, s string) {
	fmt.Fprintf(d.w, "%s%s\n", strings.Repeat("  ", indent), s)
}

// kv prints a value unless it is the zero value.
func (d dumper) kv(indent int, k string, v any) {
	switch x := v.(type) {
	case bool:
		if !x {
			return
		}
		d.line(indent, k)
		return
	case int:
		if x == 0 {
			return
		}
	case string:
		if x == "" {
			return
		}
	case time.Duration:
		if x == 0 {
			return
		}
	}
	d.line(indent, fmt.Sprintf("%s %v", k, v))
}

func (d dumper) proxy(px *Proxy) {
	head := px.Kind.String()
	if px.Name != "" {
		head += " " + px.Name
	}
	if px.From != "" {
		head += " from " + px.From
	}
	d.line(0, head)
	d.kv(1, "mode", string(px.Mode))
	d.kv(1, "disabled", px.Disabled)
	d.kv(1, "id", px.ID)
	d.kv(1, "description", px.Desc)
	for _, b := range px.Binds {
		d.bind(1, "bind", b)
	}
	if px.Balance != nil {
		b := px.Balance
		s := "balance " + b.Algorithm
		if b.Param != "" {
			s += " param=" + b.Param
		}
		if b.Algorithm == "random" {
			s += fmt.Sprintf(" draws=%d", b.Draws)
		}
		if len(b.Options) > 0 {
			s += " " + strings.Join(b.Options, " ")
		}
		d.line(1, s)
	}
	if h := px.HashType; h != nil {
		s := "hash-type " + h.Method + " " + h.Function
		if h.Avalanche {
			s += " avalanche"
		}
		d.line(1, s)
	}
	t := px.Timeouts
	for _, kv := range []struct {
		k string
		v time.Duration
	}{{"client", t.Client}, {"client-fin", t.ClientFin}, {"connect", t.Connect}, {"server", t.Server},
		{"server-fin", t.ServerFin}, {"queue", t.Queue}, {"check", t.Check}, {"http-request", t.HTTPRequest},
		{"http-keep-alive", t.HTTPKeepAlive}, {"tunnel", t.Tunnel}, {"tarpit", t.Tarpit}} {
		d.kv(1, "timeout "+kv.k, kv.v)
	}
	for _, name := range sortedKeys(px.Options) {
		o := px.Options[name]
		s := "option " + name
		if !o.Enabled {
			s = "no " + s
		}
		if len(o.Args) > 0 {
			s += " " + strings.Join(o.Args, " ")
		}
		d.line(1, s)
	}
	d.kv(1, "maxconn", px.Maxconn)
	d.kv(1, "fullconn", px.Fullconn)
	d.kv(1, "retries", px.Retries)
	d.kv(1, "backlog", px.Backlog)
	if px.DefaultServer != nil {
		d.server(1, "default-server", px.DefaultServer)
	}
	for _, s := range px.Servers {
		d.server(1, "server "+s.Name, s)
	}
	for _, a := range px.ACLs {
		d.line(1, "acl "+a.Name+" "+a.Expr.String())
	}
	if px.DefaultBackend != nil {
		d.line(1, "default_backend "+px.DefaultBackend.Name)
	}
	for _, ub := range px.UseBackends {
		d.line(1, "use_backend "+ub.Name+ub.Cond.suffix())
	}
	for _, us := range px.UseServers {
		d.line(1, "use-server "+us.Server+us.Cond.suffix())
	}
	for _, rs := range sortedKeys(px.Rules) {
		for _, r := range px.Rules[rs] {
			s := rs + " " + r.Action
			if len(r.Args) > 0 {
				s += " " + strings.Join(r.Args, " ")
			}
			d.line(1, s+r.Cond.suffix())
		}
	}
	for _, l := range px.Logs {
		d.log(1, l)
	}
	d.kv(1, "log-format", px.LogFormat)
	if st := px.Stats; st != nil {
		d.kv(1, "stats enabled", st.Enabled)
		d.kv(1, "stats uri", st.URI)
		d.kv(1, "stats realm", st.Realm)
		for _, a := range st.Auth {
			d.line(1, "stats auth "+a)
		}
		d.kv(1, "stats refresh", st.Refresh)
		d.kv(1, "stats hide-version", st.HideVersion)
		d.kv(1, "stats show-legends", st.ShowLegends)
		d.kv(1, "stats show-node", st.ShowNode)
		d.kv(1, "stats show-desc", st.ShowDesc)
		for _, s := range st.Scope {
			d.line(1, "stats scope "+s)
		}
		for _, c := range st.Admin {
			d.line(1, "stats admin"+c.suffix())
		}
		for _, o := range st.Other {
			d.line(1, strings.Join(o.Args, " "))
		}
	}
	if px.Cookie != nil {
		d.line(1, strings.Join(px.Cookie.Args, " "))
	}
	for _, code := range sortedIntKeys(px.Errorfiles) {
		d.line(1, fmt.Sprintf("errorfile %d %s", code, px.Errorfiles[code]))
	}
	for _, o := range px.Other {
		d.line(1, strings.Join(o.Args, " "))
	}
}

func (d dumper) bind(indent int, kw string, b *Bind) {
	d.line(indent, kw+" "+b.Addr.String()+optsString(b.Options))
}

func (d dumper) server(indent int, head string, s *Server) {
	line := head
	if s.Addr.Raw != "" {
		line += " " + s.Addr.String()
	}
	if s.Template > 0 {
		line += fmt.Sprintf(" template=%d", s.Template)
	}
	line += fmt.Sprintf(" weight=%d", s.Weight)
	d.line(indent, line+optsString(s.Options))
}

func (d dumper) log(indent int, l *LogTarget) {
	if l.Global {
		d.line(indent, "log global")
		return
	}
	s := "log " + l.Address
	if l.Length > 0 {
		s += fmt.Sprintf(" len %d", l.Length)
	}
	if l.Format != "" {
		s += " format " + l.Format
	}
	if l.Sample != "" {
		s += " sample " + l.Sample
	}
	s += " " + l.Facility
	if l.Level != "" {
		s += " " + l.Level
	}
	if l.MinLevel != "" {
		s += " " + l.MinLevel
	}
	d.line(indent, s)
}

func optsString(m map[string][]string) string {
	var b strings.Builder
	for _, k := range sortedKeys(m) {
		if (k == "crt" || k == "crt-list") && len(m[k]) > 1 {
			// repeated on a bind line: one value each
			for _, v := range m[k] {
				b.WriteString(" " + k + " " + v)
			}
			continue
		}
		b.WriteString(" " + k)
		for _, v := range m[k] {
			b.WriteString(" " + v)
		}
	}
	return b.String()
}

func sortedIntKeys(m map[int]string) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

// String renders an address with its family, e.g. "ipv4:0.0.0.0:80".
func (a Address) String() string {
	s := string(a.Family)
	if a.Proto != "" {
		s += "/" + a.Proto
	}
	s += ":" + a.Host
	if a.HasPort {
		switch {
		case a.Offset:
			s += fmt.Sprintf(":%+d", a.PortLow)
		case a.PortHigh != a.PortLow:
			s += fmt.Sprintf(":%d-%d", a.PortLow, a.PortHigh)
		default:
			s += fmt.Sprintf(":%d", a.PortLow)
		}
	}
	return s
}

// String renders an ACL expression as written.
func (e *ACLExpr) String() string {
	if e == nil {
		return ""
	}
	s := e.Fetch
	if len(e.FetchArg) > 0 {
		s += "(" + strings.Join(e.FetchArg, ",") + ")"
	}
	for _, c := range e.Convs {
		s += "," + c
	}
	if e.Match != "" {
		s += " match=" + e.Match
	}
	for _, f := range e.Flags {
		s += " " + f
	}
	for _, p := range e.Patterns {
		s += " " + p
	}
	return s
}

func (c *Cond) suffix() string {
	if c == nil {
		return ""
	}
	s := " if"
	if c.Unless {
		s = " unless"
	}
	for i, conj := range c.Terms {
		if i > 0 {
			s += " ||"
		}
		for _, t := range conj {
			s += " "
			if t.Negate {
				s += "!"
			}
			if t.Anon != nil {
				s += "{ " + t.Anon.String() + " }"
			} else {
				s += t.Name
			}
		}
	}
	return s
}
