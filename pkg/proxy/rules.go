package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sort"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/acl"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logfmt"
)

// tcpRule is a compiled "tcp-request connection|content accept|reject".
type tcpRule struct {
	reject bool
	cond   *acl.Cond
}

// switchRule is a compiled "use_backend NAME [cond]".
type switchRule struct {
	be   *backend
	cond *acl.Cond
	// name, for a dynamic use_backend, is the log-format of the backend
	// name, looked up in backends per request
	name     *logfmt.Format
	backends map[string]*backend
}

// compileRules compiles the layer-4 rules and switching rules of px into fe.
func (rt *Runtime) compileRules(fe *frontend, px *haproxycfg.Proxy) error {
	cp := &acl.Compiler{Proxy: px}
	compile := func(pos haproxycfg.Pos, c *haproxycfg.Cond) (*acl.Cond, error) {
		cc, err := cp.Compile(c)
		if err != nil {
			var u *acl.Unsupported
			if errors.As(err, &u) {
				return nil, &UnsupportedError{pos, u.What + " in a condition"}
			}
			return nil, err
		}
		return cc, nil
	}
	sets := make([]string, 0, len(px.Rules))
	for rs := range px.Rules {
		sets = append(sets, rs)
	}
	sort.Strings(sets)
	for _, rs := range sets {
		if px.Mode == haproxycfg.ModeHTTP && (rs == "http-request" || rs == "http-response" || rs == "redirect") {
			continue // httprules.go
		}
		for _, r := range px.Rules[rs] {
			if rs != "tcp-request connection" && rs != "tcp-request content" {
				return &UnsupportedError{r.Pos, "'" + rs + "' rules"}
			}
			if (r.Action != "accept" && r.Action != "reject") || len(r.Args) > 0 {
				return &UnsupportedError{r.Pos, fmt.Sprintf("'%s %s'", rs, r.Action)}
			}
		}
	}
	for _, rs := range []string{"tcp-request connection", "tcp-request content"} {
		for _, r := range px.Rules[rs] {
			c, err := compile(r.Pos, r.Cond)
			if err != nil {
				return err
			}
			if rs == "tcp-request connection" && c.NeedsContent() {
				return &UnsupportedError{r.Pos, "content fetch in 'tcp-request connection'"}
			}
			tr := tcpRule{reject: r.Action == "reject", cond: c}
			if rs == "tcp-request connection" {
				fe.connRules = append(fe.connRules, tr)
			} else {
				fe.contentRules = append(fe.contentRules, tr)
			}
		}
	}
	for _, d := range px.Other {
		if len(d.Args) >= 3 && d.Args[0] == "tcp-request" && d.Args[1] == "inspect-delay" {
			v, err := time.ParseDuration(d.Args[2] + "ms")
			if !isDigits(d.Args[2]) {
				v, err = time.ParseDuration(d.Args[2])
			}
			if err != nil {
				return &UnsupportedError{d.Pos, fmt.Sprintf("inspect-delay '%s'", d.Args[2])}
			}
			fe.inspectDelay = v
		}
	}
	for _, ub := range px.UseBackends {
		if ub.Dynamic {
			f, err := logfmt.CompileValue(ub.Name)
			if err == nil {
				err = f.BindSamples(func(expr string) (*acl.Sample, error) {
					smp, err := cp.CompileSample(expr)
					if err == nil && (smp.NeedsContent() || smp.NeedsResponse()) {
						err = fmt.Errorf("sample '%s' is not available when the backend is chosen", expr)
					}
					return smp, err
				})
			}
			if err == nil && len(f.Vars()) > 0 {
				err = fmt.Errorf("%%-variables are not supported in a backend name")
			}
			if err != nil {
				return &UnsupportedError{ub.Pos, fmt.Sprintf("dynamic 'use_backend %s' (%v)", ub.Name, err)}
			}
			c, err := compile(ub.Pos, ub.Cond)
			if err != nil {
				return err
			}
			fe.switching = append(fe.switching, switchRule{cond: c, name: f, backends: rt.backends})
			continue
		}
		be := rt.backends[ub.Name]
		if be == nil {
			return &UnsupportedError{ub.Pos, fmt.Sprintf("'use_backend %s' (backend not served)", ub.Name)}
		}
		c, err := compile(ub.Pos, ub.Cond)
		if err != nil {
			return err
		}
		fe.switching = append(fe.switching, switchRule{be: be, cond: c})
	}
	return nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// sampleCtx is the sample context of a session before content inspection.
func (fe *frontend) sampleCtx(rt *Runtime, src, dst netip.AddrPort) *acl.Context {
	return &acl.Context{Src: src, Dst: dst, Frontend: fe.name, Backend: fe.name, BufSize: rt.bufsize, Proxies: rtProxies{rt}}
}

// fillSampleCtx resets c to the sample context of a session before
// content inspection, without allocating.
func (fe *frontend) fillSampleCtx(c *acl.Context, rt *Runtime, src, dst netip.AddrPort) {
	*c = acl.Context{Src: src, Dst: dst, Frontend: fe.name, Backend: fe.name, BufSize: rt.bufsize, Proxies: rtProxies{rt}}
}

// connectionAccepted runs the "tcp-request connection" rules, which see
// no content: every condition is final.
func (fe *frontend) connectionAccepted(ctx *acl.Context) bool {
	ctx.Final = true
	for _, r := range fe.connRules {
		if ok, _ := r.cond.Match(ctx); ok {
			return !r.reject
		}
	}
	return true
}

// inspect runs the "tcp-request content" rules, reading client data into
// ctx.Payload while a rule cannot decide and the inspect delay runs. It
// returns whether the session goes on.
func (fe *frontend) inspect(c net.Conn, ctx *acl.Context, limit int) (bool, error) {
	if len(fe.contentRules) == 0 {
		return true, nil
	}
	var deadline time.Time
	if fe.inspectDelay > 0 {
		deadline = time.Now().Add(fe.inspectDelay)
	}
	var tmp []byte
	eof := false
	for {
		ctx.Final = fe.inspectDelay == 0 || eof || len(ctx.Payload) >= limit || !time.Now().Before(deadline)
		verdict, decided := fe.evalContent(ctx)
		if decided {
			return verdict, nil
		}
		if tmp == nil {
			tmp = make([]byte, limit)
		}
		// the client timeout (inactivity) runs during the inspection
		// too: when it strikes first, haproxy aborts the session
		rd, idle := deadline, false
		if fe.client > 0 {
			if cd := time.Now().Add(fe.client); cd.Before(rd) {
				rd, idle = cd, true
			}
		}
		c.SetReadDeadline(rd)
		n, err := c.Read(tmp[:limit-len(ctx.Payload)])
		ctx.Payload = append(ctx.Payload, tmp[:n]...)
		if err != nil {
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout():
				if idle {
					return false, nil
				}
				// the delay expired: decide with what is there
			case n == 0 && isEOF(err):
				eof = true
			default:
				return false, err
			}
		}
	}
}

func isEOF(err error) bool { return errors.Is(err, io.EOF) }

// evalContent evaluates the content rules once: decided is false when a
// rule needs more data.
func (fe *frontend) evalContent(ctx *acl.Context) (verdict, decided bool) {
	for _, r := range fe.contentRules {
		ok, dec := r.cond.Match(ctx)
		if !dec {
			return false, false
		}
		if ok {
			return !r.reject, true
		}
	}
	return true, true
}

// chooseBackend runs the switching rules (their conditions are final, as
// haproxy evaluates them) and falls back to the default backend.
func (fe *frontend) chooseBackend(ctx *acl.Context) *backend {
	ctx.Final = true
	for i := range fe.switching {
		r := &fe.switching[i]
		if ok, _ := r.cond.Match(ctx); !ok {
			continue
		}
		if r.name == nil {
			return r.be
		}
		// a dynamic name: an unknown backend ends the rules, and the
		// default backend serves
		var buf [128]byte
		ev := logfmt.Event{Ctx: ctx}
		name := r.name.Append(buf[:0], &ev)
		if be := r.backends[string(name)]; be != nil {
			return be
		}
		return fe.backend
	}
	return fe.backend
}

// rtProxies answers the ACL fetches about proxies and servers.
type rtProxies struct{ rt *Runtime }

func (p rtProxies) NbSrv(name string) int {
	be := p.rt.backends[name]
	if be == nil {
		return 0
	}
	act, bck := 0, 0
	for _, s := range be.servers {
		if s.weight == 0 || s.down.Load() {
			continue
		}
		if s.backup {
			bck++
		} else {
			act++
		}
	}
	if act > 0 {
		return act
	}
	if bck > 0 && !be.allBackups {
		return 1 // the first backup only
	}
	return bck
}

func (p rtProxies) BeConn(name string) int {
	be := p.rt.backends[name]
	if be == nil {
		return 0
	}
	n := 0
	for _, s := range be.servers {
		n += int(s.cur.Load())
	}
	return n
}

func (p rtProxies) FeConn(name string) int {
	for _, fe := range p.rt.frontends {
		if fe.name == name {
			return int(fe.cur.Load())
		}
	}
	return 0
}

func (p rtProxies) SrvIsUp(bname, sname string) bool {
	be := p.rt.backends[bname]
	if be == nil {
		return false
	}
	for _, s := range be.servers {
		if s.name == sname {
			return !s.down.Load()
		}
	}
	return false
}

// prefixConn is a client connection whose first bytes were already read
// during content inspection: reads return them first.
type prefixConn struct {
	net.Conn
	pre []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.pre) > 0 {
		n := copy(b, p.pre)
		p.pre = p.pre[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// CloseWrite passes a half-close to the underlying connection.
func (p *prefixConn) CloseWrite() error {
	if hc, ok := p.Conn.(interface{ CloseWrite() error }); ok {
		return hc.CloseWrite()
	}
	return nil
}

func (fe *frontend) hasRules() bool {
	return len(fe.connRules) > 0 || len(fe.contentRules) > 0 || len(fe.switching) > 0
}

// inspectLimit is how much client data content inspection holds before
// the buffer counts as full: tune.bufsize less the rewrite reserve
// (tune.maxrewrite: half the buffer, at most 1024).
func (rt *Runtime) inspectLimit() int {
	r := rt.bufsize / 2
	if r > 1024 {
		r = 1024
	}
	return rt.bufsize - r
}

// lingerZero makes the close of a rejected connection a reset, as haproxy
// closes connections refused by "tcp-request connection reject".
func lingerZero(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
}

// useServerRule is a compiled "use-server SRV [cond]".
type useServerRule struct {
	srv  *server
	cond *acl.Cond
}

func (be *backend) compileUseServers(px *haproxycfg.Proxy) error {
	if len(px.UseServers) == 0 {
		return nil
	}
	cp := &acl.Compiler{Proxy: px}
	for _, us := range px.UseServers {
		var srv *server
		for _, s := range be.servers {
			if s.name == us.Server {
				srv = s
			}
		}
		if srv == nil {
			return &UnsupportedError{us.Pos, fmt.Sprintf("'use-server %s' (server not served)", us.Server)}
		}
		c, err := cp.Compile(us.Cond)
		if err != nil {
			var u *acl.Unsupported
			if errors.As(err, &u) {
				return &UnsupportedError{us.Pos, u.What + " in a condition"}
			}
			return err
		}
		be.useServers = append(be.useServers, useServerRule{srv: srv, cond: c})
	}
	return nil
}

// forcedServer runs the use-server rules: the first that applies names
// the server, to claim without the balancing algorithm (nil: none applies).
func (be *backend) forcedServer(ctx *acl.Context) *server {
	ctx.Final = true
	for _, r := range be.useServers {
		if ok, _ := r.cond.Match(ctx); ok {
			if r.srv.down.Load() && !be.persist {
				// haproxy goes on with the next rules
				continue
			}
			return r.srv
		}
	}
	return nil
}

// decision is the backend and server of a session chosen at accept.
type decision struct {
	be    *backend
	first *claim
}

// decideAtAccept runs the connection rules, the switching rules and the
// server choice of a session that needs no content; nil when the
// connection is rejected.
func (fe *frontend) decideAtAccept(rt *Runtime, c net.Conn) *decision {
	src, dst := addrPort(c.RemoteAddr()), addrPort(c.LocalAddr())
	if len(fe.connRules) == 0 && len(fe.switching) == 0 && (fe.backend == nil || len(fe.backend.useServers) == 0) {
		// the common case: no condition to evaluate
		d := &decision{be: fe.backend}
		if d.be != nil {
			d.first = d.be.pick(src)
		}
		return d
	}
	ctx := fe.sampleCtx(rt, src, dst)
	if !fe.connectionAccepted(ctx) {
		return nil
	}
	d := &decision{be: fe.chooseBackend(ctx)}
	if d.be != nil {
		ctx.Backend = d.be.name
		d.first = d.be.claim(d.be.key(src, nil), d.be.forcedServer(ctx))
	}
	return d
}
