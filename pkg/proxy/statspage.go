package proxy

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/acl"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/h1"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/stats"
)

// statsPage is the "stats" configuration of an HTTP proxy that serves the
// statistics page (haproxy's uri_auth).
type statsPage struct {
	cfg   stats.PageConfig
	admin []*acl.Cond // "stats admin" rules; the first that matches grants
}

// defaultStatsURI is haproxy's "stats uri" when only "stats enable" is set.
const defaultStatsURI = "/haproxy?stats"

// newStatsPage compiles px's "stats" lines; nil when the page is not
// enabled. What the page cannot honour is refused with its line.
func newStatsPage(px *haproxycfg.Proxy) (*statsPage, error) {
	st := px.Stats
	if st == nil {
		return nil, nil
	}
	// any "stats" line enables the page in haproxy, these ones too
	for _, d := range st.Other {
		return nil, &UnsupportedError{d.Pos, fmt.Sprintf("'stats %s'", d.Args[1])}
	}
	if !st.Enabled {
		return nil, nil
	}
	sp := &statsPage{cfg: stats.PageConfig{
		URI: st.URI, Realm: st.Realm, Users: st.Auth, Refresh: int64(st.Refresh / time.Second),
		HideVersion: st.HideVersion, ShowLegends: st.ShowLegends,
		ShowNode: st.ShowNode != "", ShowDesc: st.ShowDesc != "",
		Scope: st.Scope, Self: px.Name,
	}}
	if sp.cfg.URI == "" {
		sp.cfg.URI = defaultStatsURI
	}
	if st.ShowNode != "-" {
		sp.cfg.Node = st.ShowNode
	}
	sp.cfg.Desc = st.ShowDesc
	cp := &acl.Compiler{Proxy: px}
	for _, c := range st.Admin {
		cc, err := cp.Compile(c)
		if err != nil {
			var u *acl.Unsupported
			if errors.As(err, &u) {
				return nil, &UnsupportedError{c.Pos, u.What + " in a 'stats admin' condition"}
			}
			return nil, err
		}
		sp.admin = append(sp.admin, cc)
	}
	return sp, nil
}

// matches reports whether req is for the stats page.
func (sp *statsPage) matches(req *h1.Message, buf []byte) bool {
	return stats.MatchesURI(sp.cfg.URI, string(req.Method.In(buf)), string(req.URI.In(buf)))
}

// isAdmin evaluates the "stats admin" rules for this request.
func (sp *statsPage) isAdmin(ctx *acl.Context) bool {
	for _, c := range sp.admin {
		ctx.Final = true
		if ok, _ := c.Match(ctx); ok {
			return true
		}
	}
	return false
}

// serveStats answers a stats page request on the client connection. It
// returns whether the session goes on.
func (s *httpSession) serveStats(sp *statsPage, req *h1.Message, buf []byte, proxyName string) bool {
	body, tooBig, ok := s.readStatsBody(req)
	if !ok {
		return false
	}
	buf = s.cbuf[:s.cw] // the body may have grown the buffer
	sctx := s.fe.sampleCtx(s.rt, s.src, s.dst)
	sctx.Req, sctx.ReqBuf = req, buf
	sctx.TLS = s.tls
	sctx.Backend = proxyName
	cfg := sp.cfg
	if cfg.ShowNode && cfg.Node == "" {
		cfg.Node = s.rt.stats.node
	}
	method := string(req.Method.In(buf))
	preq := &stats.PageRequest{
		Method:        method,
		URI:           string(req.URI.In(buf)),
		Authorization: headerValue(req, buf, "authorization"),
		Body:          body,
		Admin:         sp.isAdmin(sctx),
		BodyTooBig:    tooBig,
	}
	resp := stats.ServePage(&cfg, preq, s.rt.pageSnapshot, rtAdmin{s.rt})
	// haproxy's framing: the page is streamed chunked (to HTTP/1.0
	// clients too), HEAD answers carry neither body nor chunking; the
	// connection header says what the client did not ask for, placed
	// after the applet's headers for HTTP/1.1 and before the mux's
	// chunking for HTTP/1.0.
	clientKeep := req.KeepAlive() && s.fe.http.mode != modeClose
	streamed := resp.Chunked && method != "HEAD"
	out := s.out[:0]
	out = append(out, "HTTP/1.1 "...)
	out = strconv.AppendInt(out, int64(resp.Status), 10)
	out = append(out, ' ')
	out = append(out, resp.Reason...)
	out = append(out, "\r\n"...)
	for _, h := range resp.Headers {
		out = append(out, h[0]...)
		out = append(out, ": "...)
		out = append(out, h[1]...)
		out = append(out, "\r\n"...)
	}
	if req.HTTP11() {
		if streamed {
			out = append(out, "transfer-encoding: chunked\r\n"...)
		}
		if !clientKeep {
			out = append(out, "connection: close\r\n"...)
		}
	} else {
		if clientKeep {
			out = append(out, "connection: keep-alive\r\n"...)
		} else {
			out = append(out, "connection: close\r\n"...)
		}
		if streamed {
			out = append(out, "transfer-encoding: chunked\r\n"...)
		}
	}
	out = append(out, "\r\n"...)
	switch {
	case streamed && len(resp.Body) > 0:
		out = strconv.AppendInt(out, int64(len(resp.Body)), 16)
		out = append(out, "\r\n"...)
		out = append(out, resp.Body...)
		out = append(out, "\r\n0\r\n\r\n"...)
	case streamed:
		out = append(out, "0\r\n\r\n"...)
	case method != "HEAD":
		out = append(out, resp.Body...)
	}
	s.out = out
	s.logStats(resp, proxyName, method == "HEAD")
	if s.clientWrite(out) != nil {
		return false
	}
	// haproxy ends the connection after asking for credentials; a body
	// left unread ends it too
	return clientKeep && resp.Status != 401 && !tooBig
}

// logStats fills the transaction's log line and counters for a stats
// answer as haproxy logs it: server "<STATS>", termination "LR", no
// queue or connect time, and for the 401 a status of 400 without
// response time (haproxy's quirk). The bytes are haproxy's HTX count of
// the answer.
func (s *httpSession) logStats(resp stats.PageResponse, proxyName string, head bool) {
	ev := &s.ev
	ev.Backend, ev.Server = proxyName, "<STATS>"
	ev.Term = [2]byte{'L', 'R'}
	ev.Tw, ev.Tc, ev.Tr = 0, 0, 0
	ev.Status = resp.Status
	if resp.Status == 401 {
		ev.Status, ev.Tr = 400, -1
	}
	n := int64(htxStartLine + 8 + 3 + len(resp.Reason))
	for _, h := range resp.Headers {
		n += int64(len(h[0]) + len(h[1]))
	}
	if resp.Chunked && !head {
		n += int64(len("transfer-encoding") + len("chunked"))
	}
	if !head {
		n += int64(len(resp.Body))
	}
	s.respBytes.Store(n)
}

// readStatsBody reads the request body (the admin form) whole into the
// client buffer, as haproxy needs it there: a Content-Length or chunked
// body. tooBig reports a body larger than the buffer (haproxy answers
// ";st=EXCD" then); ok false ends the session (broken or gone client).
func (s *httpSession) readStatsBody(req *h1.Message) (body []byte, tooBig, ok bool) {
	if req.Body != h1.BodyLength && req.Body != h1.BodyChunked {
		return nil, false, true
	}
	if s.fe.client > 0 {
		s.c.SetReadDeadline(time.Now().Add(s.fe.client))
		defer s.c.SetReadDeadline(time.Time{})
	}
	for {
		avail := s.cbuf[req.HeadLen:s.cw]
		if req.Body == h1.BodyLength {
			if int64(len(avail)) >= req.ContentLength {
				s.cr = req.HeadLen + int(req.ContentLength)
				return avail[:req.ContentLength], false, true
			}
		} else {
			var ch h1.Chunked
			body = body[:0]
			used := 0
			for !ch.Done() {
				n, ev, err := ch.Decode(avail[used:])
				if err != nil {
					s.sendError(400)
					return nil, false, false
				}
				if n == 0 {
					break
				}
				used += n
				if ev.Kind == h1.EvData {
					body = append(body, ev.Data...)
				}
			}
			if ch.Done() {
				s.cr = req.HeadLen + used // a pipelined request stays
				return body, false, true
			}
		}
		if s.cw == len(s.cbuf) {
			return nil, true, true
		}
		n, err := s.c.Read(s.cbuf[s.cw:])
		s.cw += n
		if err != nil && n == 0 {
			return nil, false, false
		}
	}
}

// headerValue returns the first value of header name ("" when absent).
func headerValue(req *h1.Message, buf []byte, name string) string {
	for _, h := range req.Headers {
		if !h.Drop && equalFoldString(h.Name.In(buf), name) {
			return string(h.Value.In(buf))
		}
	}
	return ""
}

// pageSnapshot is the stats page's view of the run time: the CLI's
// snapshot (statsSnapshot fills the server states through
// fillServerStates).
func (rt *Runtime) pageSnapshot() *stats.Snapshot { return rt.statsSnapshot() }

// rtAdmin applies the stats page's admin actions to the run time.
type rtAdmin struct{ rt *Runtime }

// ServerAction implements stats.ServerAdmin. Servers are named as on the
// page; "disabled" servers, which the run time does not build, are
// unknown to it.
func (a rtAdmin) ServerAction(beName, srvName, action string) (found, applied bool) {
	be := a.rt.backends[beName]
	if be == nil {
		return false, false
	}
	var srv *server
	for _, s := range be.servers {
		if s.name == srvName {
			if srv != nil {
				return false, false // ambiguous, as haproxy's findserver
			}
			srv = s
		}
	}
	if srv == nil {
		return false, false
	}
	switch action {
	case "ready", "drain", "maint":
		be.stateMu.Lock()
		a.rt.setAdminState(be, srv, action)
		be.serverStateChanged(srv)
		be.stateMu.Unlock()
		return true, true
	case "shutdown":
		// "Kill Sessions": as "shutdown sessions server" (cli_sess.go)
		a.rt.shutdownServerSessions(srv)
		return true, true
	}
	// forcing health and agent states (cli_server.go); disabling and
	// enabling checks are reported as not processed rather than
	// pretended done
	return true, a.rt.forceFromPage(be, srv, action)
}
