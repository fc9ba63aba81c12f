package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/acl"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/balance"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/forward"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/h1"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logfmt"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/tlsconf"
)

// connMode is haproxy's HTTP connection mode of a proxy.
type connMode uint8

const (
	modeKeepAlive   connMode = iota // option http-keep-alive (default)
	modeServerClose                 // option http-server-close
	modeClose                       // option httpclose
)

// httpOpts are the HTTP settings of a frontend or backend.
type httpOpts struct {
	enabled    bool
	mode       connMode
	forwardfor bool
	reqTimeout time.Duration // timeout http-request
	kaTimeout  time.Duration // timeout http-keep-alive
	// hashKind: "uri", "url_param" or "hdr" when the backend balances on
	// the request; hashParam the parameter or header name.
	hashKind, hashParam string
	rules               httpRuleSets   // http-request / http-response (httprules.go)
	stats               *statsPage     // the stats page, nil when not enabled (statspage.go)
	cookie              *cookieSpec    // "cookie" persistence, nil without (cookie.go)
	errPages            map[int]string // "errorfile" pages by status (errpage.go)
	// uid is the unique-id-format (nil without); uidHeader the
	// unique-id-header name ("" without)
	uid       *logfmt.Format
	uidHeader string
}

// httpOptionsServed are the "option" keywords an HTTP mode proxy honours
// (the log ones in trafficlog.go).
var httpOptionsServed = map[string]bool{
	"http-keep-alive": true, "http-server-close": true, "httpclose": true,
	"forwardfor": true, "redispatch": true, "allbackups": true,
	"httplog": true, "httpslog": true, "tcplog": true, "dontlognull": true, "log-separate-errors": true,
	"dontlog-normal": true, "splice-auto": true, "splice-request": true, "splice-response": true,
	// health checks (health.go, healthcheck/)
	"httpchk": true, "tcp-check": true, "ssl-hello-chk": true, "mysql-check": true,
	"pgsql-check": true, "redis-check": true, "smtpchk": true, "ldap-check": true,
	"log-health-checks": true, "persist": true,
}

// httpOtherServed are the other directives an HTTP mode proxy may hold.
var httpOtherServed = map[string]bool{
	"retries": true, "http-reuse": true, "log": true, "description": true, "id": true,
	"tcp-request": true, "maxconn": true, "backlog": true, "fullconn": true,
	"http-check": true, "tcp-check": true, "email-alert": true, // health.go, mail.go
	"errorfiles":       true,                           // errpage.go
	"unique-id-format": true, "unique-id-header": true, // samples (httprules.go)
}

// httpSetup checks that an HTTP mode proxy uses only what the run time
// serves and returns its HTTP settings.
func httpSetup(cfg *haproxycfg.Config, px *haproxycfg.Proxy) (httpOpts, error) {
	o := httpOpts{enabled: true, reqTimeout: px.Timeouts.HTTPRequest, kaTimeout: px.Timeouts.HTTPKeepAlive}
	for name, opt := range px.Options {
		if !opt.Enabled {
			continue
		}
		if !httpOptionsServed[name] {
			return o, &UnsupportedError{opt.Pos, fmt.Sprintf("'option %s' in mode http", name)}
		}
		if name == "forwardfor" && len(opt.Args) > 0 {
			return o, &UnsupportedError{opt.Pos, "'option forwardfor' with arguments"}
		}
	}
	switch {
	case px.OptionEnabled("httpclose"):
		o.mode = modeClose
	case px.OptionEnabled("http-server-close"):
		o.mode = modeServerClose
	}
	o.forwardfor = px.OptionEnabled("forwardfor")
	var err error
	if o.stats, err = newStatsPage(px); err != nil { // stats page (statspage.go)
		return o, err
	}
	if o.cookie, err = newCookieSpec(px); err != nil { // cookie.go
		return o, err
	}
	if o.errPages, err = loadErrorfiles(cfg, px); err != nil { // errpage.go
		return o, err
	}
	for rs, rules := range px.Rules {
		if len(rules) > 0 && rs != "tcp-request connection" && rs != "http-request" && rs != "http-response" && rs != "redirect" {
			return o, &UnsupportedError{rules[0].Pos, "'" + rs + "' rules in mode http"}
		}
	}
	if o.uid, o.uidHeader, err = uniqueIDSetup(px); err != nil { // httprules.go
		return o, err
	}
	if o.rules, err = compileHTTPRules(px); err != nil {
		return o, err
	}
	for _, d := range px.Other {
		if !httpOtherServed[d.Args[0]] {
			return o, &UnsupportedError{d.Pos, fmt.Sprintf("'%s' in mode http", d.Args[0])}
		}
		if d.Args[0] == "tcp-request" && len(d.Args) > 1 && d.Args[1] != "connection" {
			return o, &UnsupportedError{d.Pos, fmt.Sprintf("'tcp-request %s' in mode http", d.Args[1])}
		}
	}
	for _, b := range px.Binds {
		for opt := range b.Options {
			switch opt {
			case "npn", "proto", "accept-proxy":
				return o, &UnsupportedError{b.Pos, fmt.Sprintf("bind option '%s' in mode http", opt)}
			}
		}
	}
	if b := px.Balance; b != nil {
		switch b.Algorithm {
		case "uri", "hdr":
			o.hashKind, o.hashParam = b.Algorithm, b.Param
		case "url_param":
			for _, opt := range b.Options {
				if opt == "check_post" {
					return o, &UnsupportedError{b.Pos, "'balance url_param ... check_post'"}
				}
			}
			o.hashKind, o.hashParam = b.Algorithm, b.Param
		case "rdp-cookie", "hash":
			return o, &UnsupportedError{b.Pos, fmt.Sprintf("'balance %s' in mode http", b.Algorithm)}
		}
	}
	return o, nil
}

// combine merges the frontend's and backend's connection modes as haproxy
// does: the most closing one wins.
func combine(fe, be connMode) connMode {
	if be > fe {
		return be
	}
	return fe
}

// httpSession is one client connection of an HTTP mode frontend.
type httpSession struct {
	rt  *Runtime
	fe  *frontend
	c   net.Conn
	src netip.AddrPort
	dst netip.AddrPort
	log *zap.Logger

	// the client's TLS (tls.go): nil on plain HTTP; tlsSample renders
	// the log format's %[...] TLS samples
	tls       *acl.TLSInfo
	tlsSample func([]byte, string) []byte

	cbuf   []byte // client input: data in cbuf[cr:cw]
	cr, cw int
	req    h1.Message
	out    []byte

	// the server connection held between requests
	sc     net.Conn
	scSNI  string // the SNI sc was opened with (ssl servers)
	srv    *server
	sbe    *backend
	sbuf   []byte
	sr, sw int
	resp   h1.Message

	idle atomic.Bool // waiting for a next request: a soft stop closes it
	mu   sync.Mutex  // guards s.sc against a hard stop closing it

	// stream is the session in the registry of "show sess" (sessions.go)
	stream *stream

	pendReq, pendResp []byte // chunked re-framing scratch
	bodyDone          chan error
	// reqBodyBad: the request body was malformed (the server connection
	// is closed to stop the exchange: the client gets a 400).
	reqBodyBad atomic.Bool
	// reqAborted: the client went away during the request body (the
	// exchange ends without a response, as with haproxy).
	reqAborted atomic.Bool

	// the transaction's log line (trafficlog.go)
	logOn   bool
	ev      logfmt.Event
	reqLine []byte // copy of the request line for %r
	// bodyTerm: the termination state when the response body fails
	bodyTerm [2]byte
	// edits of the http rules (httprules.go)
	reqAdd, respAdd    [][2]string
	newPath, newReason string
	newStatus          int
	// lfArena holds the values log-format rules rendered in this
	// transaction; actx is the transaction's reused sample context
	lfArena []byte
	actx    acl.Context
	uidBuf  []byte
	// ruleAddSize: the names and values http-response rules added,
	// which haproxy leaves out of %B
	ruleAddSize int64
	// reqStart: the request's first byte; headDone: its head complete;
	// sent: the head written to the server
	reqStart, headDone, sent time.Time
	noLog                    bool // a silent close: nothing to log
	fromServer               bool // the status is the server's (not an error page)
	logSrv                   *server
	respBytes                atomic.Int64
	// the persistence cookie (cookie.go)
	ck                     cookieTxn
	cookieEdits, respEdits []cookieEdit
	respEditDelta          int64
}

// tb is the bind's TLS (nil: plain HTTP); bindLabel names the bind in
// connection error logs.
func (fe *frontend) serveHTTP(rt *Runtime, c net.Conn, tb *tlsconf.Bind, bindLabel string) {
	defer c.Close()
	defer func() {
		// a bug in one session must not take the others down
		if r := recover(); r != nil {
			rt.log.Error("HTTP session aborted by an internal error", zap.String("frontend", fe.name), zap.Any("panic", r), zap.Stack("stack"))
		}
	}()
	fe.cur.Add(1)
	defer fe.cur.Add(-1)
	accept := time.Now()
	s := &httpSession{rt: rt, fe: fe, c: c, src: addrPort(c.RemoteAddr()), dst: addrPort(c.LocalAddr()), log: rt.log,
		cbuf: make([]byte, rt.bufsize), sbuf: make([]byte, rt.bufsize)}
	if !fe.connectionAccepted(fe.sampleCtx(rt, s.src, s.dst)) {
		lingerZero(c)
		fe.ctr.deniedConn.Add(1)
		return
	}
	if tb != nil {
		tc, info := fe.handshake(rt, c, tb, accept, bindLabel)
		if tc == nil {
			return
		}
		defer tc.Close() // sends close_notify
		s.c, s.tls = tc, info
	}
	s.tlsSample = tlsSampler(s.tls)
	fe.ctr.session(accept, fe.cur.Load())
	fe.tlog.connect(s.src, s.dst, fe.name)
	s.logOn = fe.tlog != nil && fe.tlog.format != nil
	stopHard := context.AfterFunc(rt.hardCtx, func() {
		c.Close()
		s.mu.Lock()
		if s.sc != nil {
			s.sc.Close()
		}
		s.mu.Unlock()
	})
	defer stopHard()
	stopSoft := context.AfterFunc(rt.softCtx, func() {
		if s.idle.Load() {
			c.Close()
		}
	})
	defer stopSoft()
	s.stream = rt.streams.add(fe, fe.name, 0, c) // show sess (sessions.go)
	s.stream.mu.Lock()
	s.stream.idle = &s.idle
	s.stream.mu.Unlock()
	defer rt.streams.remove(s.stream)
	defer s.closeServer()
	for first := true; ; first = false {
		more := s.transaction(first, accept)
		accept = time.Now()
		if !more || s.stream.killed.Load() {
			return
		}
		if rt.softCtx.Err() != nil {
			return
		}
	}
}

func (s *httpSession) closeServer() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sc != nil {
		s.sc.Close()
		s.sc = nil
		if s.stream != nil {
			s.stream.setServerConn(nil)
		}
	}
}

// serverError answers a request the server side failed: haproxy sends
// its error page as a response then (header names lower-cased, the
// client connection kept as for any response). It returns whether the
// session goes on.
func (s *httpSession) serverError(code int, req *h1.Message, clientKeep bool) bool {
	s.closeServer()
	msg := s.page(code)
	if msg == "" {
		return false // an empty errorfile: haproxy closes silently
	}
	if !pageHasLength(msg) || pageHTTP10(msg) {
		clientKeep = false // an errorfile without a length, or an HTTP/1.0 one, ends the connection
	}
	s.out = appendPage(s.out[:0], msg, clientKeep, req.HTTP11())
	if code == 503 {
		// haproxy closes after a 503, saying so only when it meant to
		clientKeep = false
	}
	if s.clientWrite(s.out) != nil {
		return false
	}
	return clientKeep
}

func (s *httpSession) sendError(code int) {
	if s.fe.client > 0 {
		s.c.SetWriteDeadline(time.Now().Add(s.fe.client))
	}
	// the parser's errors are haproxy's own pages, whatever the errorfiles
	io.WriteString(s.c, httpErrors[code])
}

func isTimeoutErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// readRequest reads and parses the next request head into s.req. It
// returns false when the session ends (an error answered or a close).
func (s *httpSession) readRequest(first bool) bool {
	fo := s.fe.http
	reqTO := fo.reqTimeout
	if reqTO == 0 {
		reqTO = s.fe.client
	}
	kaTO := fo.kaTimeout
	if kaTO == 0 {
		kaTO = reqTO
	}
	if s.cr > 0 {
		s.cw = copy(s.cbuf, s.cbuf[s.cr:s.cw])
		s.cr = 0
	}
	lim := h1.LimitsFor(s.rt.bufsize)
	start := time.Now()
	gotData := s.cw > 0
	if gotData {
		s.reqStart = start // pipelined: the request is already here
	}
	for {
		if s.cw > 0 {
			s.idle.Store(false)
			n, err := s.req.ParseRequest(s.cbuf[:s.cw], lim)
			if err != nil {
				s.sendError(h1.Status(err))
				s.badRequest(h1.Status(err), 'P')
				return false
			}
			if n > 0 {
				s.headDone = time.Now()
				s.fe.ctr.reqTotal.Add(1)
				s.fe.ctr.reqRate.add(s.headDone)
				if s.logOn {
					line := s.cbuf[:n]
					if i := indexByte(line, '\n'); i >= 0 {
						line = line[:i]
					}
					for len(line) > 0 && (line[len(line)-1] == '\r' || line[len(line)-1] == ' ') {
						line = line[:len(line)-1]
					}
					s.reqLine = append(s.reqLine[:0], line...)
				}
				return true
			}
			if s.cw == len(s.cbuf) {
				s.sendError(400)
				s.badRequest(400, 'P')
				return false
			}
		} else if !first {
			s.idle.Store(true)
			if s.rt.softCtx.Err() != nil {
				return false
			}
		}
		var deadline time.Time
		switch {
		case !gotData && !first && kaTO > 0:
			deadline = start.Add(kaTO)
		case reqTO > 0:
			deadline = start.Add(reqTO)
		}
		s.c.SetReadDeadline(deadline)
		n, err := s.c.Read(s.cbuf[s.cw:])
		if n > 0 {
			if !gotData {
				s.reqStart = time.Now()
				if !first {
					start = s.reqStart // the request starts with its first byte
				}
			}
			gotData = true
			s.cw += n
			continue
		}
		if err != nil {
			s.idle.Store(false)
			s.noLog = true
			switch {
			case s.rt.hardCtx.Err() != nil:
			case isTimeoutErr(err) && (first || gotData):
				s.sendError(408)
				s.badRequest(408, 'c')
			case !isTimeoutErr(err) && gotData:
				// the client closed in the middle of a head
				s.sendError(400)
				s.badRequest(400, 'C')
			case !isTimeoutErr(err) && first:
				// closed without a request: haproxy logs it
				s.badRequest(400, 'C')
			}
			return false
		}
	}
}

// transaction serves one request and logs it; false ends the session.
// accept is when the session (or the previous transaction) began.
func (s *httpSession) transaction(first bool, accept time.Time) bool {
	s.fe.newEvent(s.rt, &s.ev, accept, s.src, s.dst)
	setTLSEvent(&s.ev, s.tls, s.tlsSample)
	s.reqStart, s.headDone, s.sent = time.Time{}, time.Time{}, time.Time{}
	s.noLog, s.fromServer = false, false
	s.reqAdd, s.respAdd, s.newPath, s.newStatus, s.newReason = s.reqAdd[:0], s.respAdd[:0], "", 0, ""
	s.lfArena, s.ruleAddSize = s.lfArena[:0], 0
	s.cookieEdits, s.respEdits, s.respEditDelta, s.ck = s.cookieEdits[:0], s.respEdits[:0], 0, cookieTxn{}
	s.respBytes.Store(0)
	more := s.exchange(first)
	if !s.noLog {
		s.endTransaction(accept)
	}
	return more
}

// exchange serves one request; false ends the session.
func (s *httpSession) exchange(first bool) bool {
	if !s.readRequest(first) {
		return false
	}
	s.c.SetReadDeadline(time.Time{})
	req := &s.req
	buf := s.cbuf[:s.cw]
	s.cr = req.HeadLen // the head is consumed whatever happens next
	s.ev.BytesUploaded = htxRequestSize(req, buf)

	s.reqBodyBad.Store(false)
	s.reqAborted.Store(false)
	if req.Body == h1.BodyChunked && !validChunks(buf[req.HeadLen:]) {
		// haproxy parses what it holds of the body with the head
		s.sendError(400)
		return false
	}
	// backend switching (a sample context only when a rule needs one)
	var sctx *acl.Context
	ctx := func() *acl.Context {
		if sctx == nil {
			sctx = &s.actx
			s.fe.fillSampleCtx(sctx, s.rt, s.src, s.dst)
			sctx.Req, sctx.ReqBuf = req, buf
			sctx.TLS = s.tls
			sctx.ReqLine = s.reqLine
			sctx.ReqExtra = &s.reqAdd
		}
		return sctx
	}
	if f := s.fe.http.uid; f != nil {
		s.uniqueID(f, ctx())
	}
	if rules := &s.fe.http.rules; len(rules.req) > 0 || len(rules.redir) > 0 {
		keep := req.KeepAlive() && s.fe.http.mode != modeClose
		switch s.requestRules(rules, ctx, keep) {
		case verdictAnswered:
			return true
		case verdictClose:
			return false
		}
	}
	// the stats page answers after the frontend's http-request rules, as
	// haproxy's (a use-service rule may take its URI)
	if sp := s.fe.http.stats; sp != nil && sp.matches(req, buf) { // stats page (statspage.go)
		return s.serveStats(sp, req, buf, s.fe.name)
	}
	be := s.fe.backend
	if len(s.fe.switching) > 0 {
		be = s.fe.chooseBackend(ctx())
	}
	if be == nil {
		s.fail(503, 'S', 'C')
		return s.serverError(503, req, req.KeepAlive() && s.fe.http.mode != modeClose && req.Body == h1.BodyNone)
	}
	s.ev.Backend = be.name
	if sctx != nil {
		sctx.Backend = be.name
	}
	be.assigned(s.headDone)
	be.ctr.reqTotal.Add(1)
	if rules := &be.http.rules; (len(rules.req) > 0 || len(rules.redir) > 0) && be.name != s.fe.name {
		keep := req.KeepAlive() && combine(s.fe.http.mode, be.http.mode) != modeClose
		switch s.requestRules(rules, ctx, keep) {
		case verdictAnswered:
			return true
		case verdictClose:
			return false
		}
	}
	if sp := be.http.stats; sp != nil && be.http.stats != s.fe.http.stats && sp.matches(req, buf) { // stats page (statspage.go)
		return s.serveStats(sp, req, buf, be.name)
	}
	mode := combine(s.fe.http.mode, be.http.mode)
	clientKeep := req.KeepAlive() && mode != modeClose
	// server choice: use-server, then the algorithm; the claim may wait
	// in the queue
	var forced *server
	if len(be.useServers) > 0 {
		c := ctx()
		c.Backend = be.name
		forced = be.forcedServer(c)
	}
	if be.http.cookie != nil { // after use-server, as in haproxy (cookie.go)
		if srv := s.requestCookie(be, req, buf, forced != nil); forced == nil {
			forced = srv
		}
		s.ev.Cookie = [2]byte{s.ck.req, s.ck.resp}
	}
	key := s.balanceKey(be, req, buf)
	srv, err := be.wait(s.rt.hardCtx, be.claim(key, forced))
	if err != nil || srv == nil {
		if srv != nil {
			s.ev.Server = srv.name
		}
		if errors.Is(err, errQueueTimeout) {
			s.ev.Tw = msSince(s.headDone, time.Now())
		}
		t := dialTerm(err, &dialTrace{})
		s.fail(503, t[0], t[1])
		return s.serverError(503, req, clientKeep && req.Body == h1.BodyNone)
	}
	granted := time.Now()
	be.counted(srv, granted)
	s.ev.Tw = msSince(s.headDone, granted)
	s.ev.Tc = 0 // a kept server connection
	if s.sc != nil && !serverAlive(s.sc) {
		s.closeServer() // the server closed the idle connection
	}
	sni := ""
	if srv.tls != nil {
		sni = srv.tls.sni.eval(s.tls, req, buf)
	}
	if s.sc == nil || s.srv != srv || s.sbe != be || s.scSNI != sni {
		s.closeServer()
		// dial releases what it could not connect to and counts the
		// server it returns (another one after a redispatch)
		tr := dialTrace{counted: true}
		tr.tlsSNI, tr.clientTLS, tr.req, tr.reqBuf = true, s.tls, req, buf
		sc, got, err := be.dial(s.rt.hardCtx, &claim{srv: srv}, key, s.src, int(s.dst.Port()), &tr)
		s.ev.Tc = msSince(granted, tr.connected)
		s.ev.Retries, s.ev.Redispatched = tr.retries, tr.redispatched
		if got != nil {
			s.ev.Server, s.logSrv = got.name, got
		}
		if err != nil {
			t := dialTerm(err, &tr)
			s.fail(503, t[0], t[1])
			s.log.Info("connection to server failed", zap.String("frontend", s.fe.name), zap.String("backend", be.name), zap.Error(err))
			// the body was not read: the connection cannot go on
			return s.serverError(503, req, clientKeep && req.Body == h1.BodyNone)
		}
		if got != srv {
			s.ck.direct = false // a redispatch: the client learns its new server
		}
		srv = got
		s.mu.Lock()
		s.sc = sc
		s.mu.Unlock()
		s.stream.be.Store(be)
		s.stream.srv.Store(got)
		s.stream.setServerConn(sc)
		if s.rt.hardCtx.Err() != nil {
			sc.Close() // the hard stop came while connecting
		}
		s.srv, s.sbe, s.sr, s.sw = got, be, 0, 0
		s.scSNI = ""
		if got.tls != nil {
			s.scSNI = got.tls.sni.eval(s.tls, req, buf)
		}
	}
	defer be.release(srv)
	s.ev.Server, s.logSrv = srv.name, srv
	isHead := equalFoldASCII(req.Method.In(buf), "head")
	isConnect := equalFoldASCII(req.Method.In(buf), "connect")
	// the request head, as haproxy rewrites it
	s.out = s.appendRequestHead(s.out[:0], buf, be, mode)
	bodyStart := req.HeadLen
	if be.server > 0 {
		s.sc.SetWriteDeadline(time.Now().Add(be.server))
	}
	if _, err := s.sc.Write(s.out); err != nil {
		s.closeServer()
		s.fail(502, 'S', 'H')
		return s.serverError(502, req, clientKeep && req.Body == h1.BodyNone)
	}
	s.sent = time.Now()
	// the request body flows while the response is read (100-continue,
	// early responses)
	if s.bodyDone == nil {
		s.bodyDone = make(chan error, 1)
	}
	bodyDone := s.bodyDone
	s.cr = bodyStart
	if req.Body == h1.BodyNone {
		bodyDone <- nil
	} else {
		sc := s.sc
		go func() {
			err := s.forwardRequestBody(be)
			if err != nil {
				if errors.Is(err, h1.ErrBadChunk) {
					s.reqBodyBad.Store(true)
				} else {
					s.reqAborted.Store(true)
				}
				sc.Close() // stops the response side
			}
			bodyDone <- err
		}()
	}
	ok, keepServer, closeClient := s.forwardResponse(be, req, isHead, isConnect, clientKeep)
	berr := <-bodyDone
	if berr != nil {
		s.closeServer()
		return false
	}
	if !ok {
		s.closeServer()
		return !closeClient
	}
	if !keepServer || mode != modeKeepAlive {
		s.closeServer()
	}
	return !closeClient
}

// serverAlive says whether an idle server connection may carry the next
// request: not closed by the server, no stray bytes waiting.
func serverAlive(c net.Conn) bool {
	if tc, ok := c.(*tls.Conn); ok {
		// an ssl server (tls.go): a close_notify or stray record is
		// readable on the socket below
		c = tc.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	alive := false
	var b [1]byte
	raw.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		alive = n < 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK)
		return true
	})
	return alive
}

// balanceKey is what the backend's algorithm hashes for this request.
func (s *httpSession) balanceKey(be *backend, req *h1.Message, buf []byte) balance.Key {
	var k balance.Key
	switch be.http.hashKind {
	case "":
		if be.keyFromSource && s.src.IsValid() {
			k = balance.SrcKey(s.src.Addr())
		}
	case "uri", "url_param":
		k.URI = string(req.URI.In(buf))
	case "hdr":
		// the first value of the first occurrence, as haproxy takes it
		k.Missing = true
		for _, h := range req.Headers {
			if h.Drop || !equalFoldString(h.Name.In(buf), be.http.hashParam) {
				continue
			}
			v := h.Value.In(buf)
			if i := indexByte(v, ','); i >= 0 {
				v = v[:i]
			}
			k.Value, k.Missing = strings.TrimRight(string(v), " \t"), false
			break
		}
	}
	return k
}

func equalFoldString(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		x, y := b[i], s[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// uriAuthority returns the authority of an absolute URI and the index of
// its "://".
func uriAuthority(uri []byte) ([]byte, int, bool) {
	i := 0
	for i < len(uri) && (uri[i] >= 'a' && uri[i] <= 'z' || uri[i] >= 'A' && uri[i] <= 'Z' || i > 0 && (uri[i] >= '0' && uri[i] <= '9' || uri[i] == '+' || uri[i] == '-' || uri[i] == '.')) {
		i++
	}
	if i == 0 || len(uri) < i+3 || string(uri[i:i+3]) != "://" {
		return nil, 0, false
	}
	a := uri[i+3:]
	if e := indexByte(a, '/'); e >= 0 {
		a = a[:e]
	}
	if e := indexByte(a, '?'); e >= 0 {
		a = a[:e]
	}
	return a, i, true
}

func defaultPort(scheme []byte) string {
	switch {
	case equalFoldASCII(scheme, "http"):
		return ":80"
	case equalFoldASCII(scheme, "https"):
		return ":443"
	}
	return ""
}

func bytesHasSuffix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[len(b)-len(s):]) == s
}

// validChunks says whether the chunked body data received so far has no
// error.
func validChunks(b []byte) bool {
	var ch h1.Chunked
	for !ch.Done() {
		n, _, err := ch.Decode(b)
		if err != nil {
			return false
		}
		if n == 0 {
			return true
		}
		b = b[n:]
	}
	return true
}

func (s *httpSession) appendRequestHead(out, buf []byte, be *backend, mode connMode) []byte {
	req := &s.req
	uri := req.URI.In(buf)
	host, hostSet := []byte(nil), false // the Host value haproxy forwards
	isConnect := equalFoldASCII(req.Method.In(buf), "connect")
	if a, i, ok := uriAuthority(uri); ok {
		// scheme-based normalisation: the default port goes, and the
		// authority becomes the Host
		scheme := uri[:i]
		out = append(out, req.Method.In(buf)...)
		out = append(out, ' ')
		if p := defaultPort(scheme); p != "" && bytesHasSuffix(a, p) {
			ao := i + 3 // the authority follows "://"
			a = a[:len(a)-len(p)]
			out = append(out, uri[:ao+len(a)]...)
			out = append(out, uri[ao+len(a)+len(p):]...)
		} else {
			out = append(out, uri...)
		}
		host, hostSet = a, true
	} else {
		out = append(out, req.Method.In(buf)...)
		out = append(out, ' ')
		if s.newPath != "" {
			out = append(out, pathWithQuery(uri, s.newPath)...)
		} else {
			out = append(out, uri...)
		}
		if isConnect && req.HasHost {
			host, hostSet = req.Host.In(buf), true
			for _, p := range []string{":80", ":443"} {
				if bytesHasSuffix(host, p) {
					host = host[:len(host)-len(p)]
				}
			}
		}
	}
	if req.HTTP11() {
		out = append(out, " HTTP/1.1\r\n"...)
	} else {
		out = append(out, " HTTP/1.0\r\n"...)
	}
	for hi, h := range req.Headers {
		if h.Drop {
			continue
		}
		out = h1.AppendLower(out, h.Name.In(buf))
		out = append(out, ": "...)
		if e, ok := editFor(s.cookieEdits, hi); ok {
			out = append(out, e.value...)
		} else if h.Name.Len() == len("content-length") && req.CLText.End > 0 && equalFoldASCII(h.Name.In(buf), "content-length") {
			out = append(out, req.CLText.In(buf)...)
		} else if hostSet && h.Name.Len() == 4 && equalFoldASCII(h.Name.In(buf), "host") {
			out = append(out, host...)
		} else {
			out = append(out, h.Value.In(buf)...)
		}
		out = append(out, '\r', '\n')
	}
	for _, h := range s.reqAdd {
		out = append(append(append(append(out, h[0]...), ": "...), h[1]...), '\r', '\n')
	}
	if name := s.fe.http.uidHeader; name != "" && s.fe.http.uid != nil {
		out = append(append(append(append(out, name...), ": "...), s.ev.UniqueID...), '\r', '\n')
	}
	if (s.fe.http.forwardfor || be.http.forwardfor) && s.src.IsValid() {
		out = append(out, "x-forwarded-for: "...)
		out = s.src.Addr().Unmap().AppendTo(out)
		out = append(out, '\r', '\n')
	}
	switch {
	case mode == modeKeepAlive && !req.HTTP11() && req.Body != h1.BodyChunked:
		// (a chunked HTTP/1.0 request closes: no keep-alive offered)
		out = append(out, "connection: keep-alive\r\n"...)
	case mode != modeKeepAlive && req.HTTP11():
		out = append(out, "connection: close\r\n"...)
	}
	return append(out, '\r', '\n')
}

func equalFoldASCII(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range b {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// clientRead reads more client data into cbuf (compacting first).
func (s *httpSession) clientRead() error {
	if s.cr == s.cw {
		s.cr, s.cw = 0, 0
	} else if s.cw == len(s.cbuf) && s.cr > 0 {
		s.cw = copy(s.cbuf, s.cbuf[s.cr:s.cw])
		s.cr = 0
	}
	if s.cw == len(s.cbuf) {
		return h1.ErrBadChunk // a line longer than the buffer
	}
	if s.fe.client > 0 {
		s.c.SetReadDeadline(time.Now().Add(s.fe.client))
	}
	n, err := s.c.Read(s.cbuf[s.cw:])
	s.cw += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return err
}

func (s *httpSession) serverWrite(be *backend, b []byte) error {
	if be.server > 0 {
		s.sc.SetWriteDeadline(time.Now().Add(be.server))
	}
	_, err := s.sc.Write(b)
	return err
}

// forwardRequestBody streams the request body to the server; the bytes
// after it stay in cbuf for the next request.
func (s *httpSession) forwardRequestBody(be *backend) error {
	req := &s.req
	switch req.Body {
	case h1.BodyLength:
		left := req.ContentLength
		for left > 0 {
			if s.cr == s.cw {
				if err := s.clientRead(); err != nil {
					return err
				}
			}
			k := int64(s.cw - s.cr)
			if k > left {
				k = left
			}
			if err := s.serverWrite(be, s.cbuf[s.cr:s.cr+int(k)]); err != nil {
				return err
			}
			s.cr += int(k)
			left -= k
		}
		return nil
	case h1.BodyChunked:
		return relayChunked(func() []byte { return s.cbuf[s.cr:s.cw] }, func(n int) { s.cr += n }, s.clientRead,
			func(b []byte) error { return s.serverWrite(be, b) }, &s.pendReq, nil)
	}
	return nil
}

// relayChunked decodes a chunked body from in (consumed with eat, more
// read with more) and writes it re-framed as haproxy does: the payload
// received at once goes out as one chunk, extensions dropped, trailers
// with lower-case names. count, when not nil, adds what haproxy counts
// of the body: payload and trailer names and values.
func relayChunked(in func() []byte, eat func(int), more func() error, write func([]byte) error, pend *[]byte, count *atomic.Int64) error {
	var ch h1.Chunked
	out := (*pend)[:0]
	data := 0 // payload bytes at the end of out not yet framed
	var framed []byte
	flush := func() error {
		if len(out) == 0 {
			return nil
		}
		if data > 0 {
			// frame the pending payload: size line first
			framed = h1.AppendChunkSize(framed[:0], int64(data))
			if err := write(framed); err != nil {
				return err
			}
			out = append(out, '\r', '\n')
		}
		err := write(out)
		out, data = out[:0], 0
		return err
	}
	defer func() { *pend = out[:0] }()
	for !ch.Done() {
		n, ev, err := ch.Decode(in())
		if err != nil {
			return err
		}
		eat(n)
		switch ev.Kind {
		case h1.EvNone:
			if err := flush(); err != nil {
				return err
			}
			if err := more(); err != nil {
				return err
			}
		case h1.EvData:
			out = append(out, ev.Data...)
			data += len(ev.Data)
			if count != nil {
				count.Add(int64(len(ev.Data)))
			}
		case h1.EvLastChunk:
			if err := flush(); err != nil {
				return err
			}
			out = append(out, '0', '\r', '\n')
			if count != nil {
				count.Add(1) // haproxy's end-of-trailers block
			}
		case h1.EvTrailer, h1.EvEnd:
			out = appendChunkEvent(out, ev)
			if count != nil && ev.Kind == h1.EvTrailer {
				count.Add(int64(len(ev.Name) + len(ev.Data)))
			}
		}
	}
	return flush()
}

func appendChunkEvent(out []byte, ev h1.Event) []byte {
	switch ev.Kind {
	case h1.EvChunkStart:
		out = h1.AppendChunkSize(out, ev.Size)
	case h1.EvData:
		out = append(out, ev.Data...)
	case h1.EvChunkEnd:
		out = append(out, '\r', '\n')
	case h1.EvLastChunk:
		out = append(out, '0', '\r', '\n')
	case h1.EvTrailer:
		out = h1.AppendLower(out, ev.Name)
		out = append(out, ": "...)
		out = append(out, ev.Data...)
		out = append(out, '\r', '\n')
	case h1.EvEnd:
		out = append(out, '\r', '\n')
	}
	return out
}

// serverRead reads more server data into sbuf.
func (s *httpSession) serverRead(be *backend) error {
	if s.sr == s.sw {
		s.sr, s.sw = 0, 0
	} else if s.sw == len(s.sbuf) && s.sr > 0 {
		s.sw = copy(s.sbuf, s.sbuf[s.sr:s.sw])
		s.sr = 0
	}
	if s.sw == len(s.sbuf) {
		return h1.ErrTooLarge
	}
	if be.server > 0 {
		s.sc.SetReadDeadline(time.Now().Add(be.server))
	}
	n, err := s.sc.Read(s.sbuf[s.sw:])
	s.sw += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	s.bodyTerm = [2]byte{'S', 'D'}
	if isTimeoutErr(err) {
		s.bodyTerm[0] = 's'
	}
	return err
}

func (s *httpSession) clientWrite(b []byte) error {
	if s.fe.client > 0 {
		s.c.SetWriteDeadline(time.Now().Add(s.fe.client))
	}
	_, err := s.c.Write(b)
	if err != nil {
		s.bodyTerm = [2]byte{'C', 'D'}
		if isTimeoutErr(err) {
			s.bodyTerm[0] = 'c'
		}
	}
	return err
}

// forwardResponse reads the response (interim ones included) and sends
// it to the client. ok false: the session ends now.
func (s *httpSession) forwardResponse(be *backend, req *h1.Message, isHead, isConnect, clientKeep bool) (ok, keepServer, closeClient bool) {
	lim := h1.LimitsFor(s.rt.bufsize)
	for {
		var n int
		var perr error
		for {
			if s.sw > s.sr {
				n, perr = s.resp.ParseResponse(s.sbuf[s.sr:s.sw], lim)
				if perr != nil || n > 0 {
					break
				}
			}
			if err := s.serverRead(be); err != nil {
				switch {
				case s.reqBodyBad.Load():
					s.sendError(400)
					s.ev.Status, s.ev.Term = 400, [2]byte{'P', 'D'}
					return false, false, true
				case s.reqAborted.Load():
					s.ev.Term = [2]byte{'C', 'D'}
					return false, false, true
				case isTimeoutErr(err):
					s.fail(504, 's', 'H')
					return false, false, !s.serverError(504, req, clientKeep)
				}
				s.fail(502, 'S', 'H')
				return false, false, !s.serverError(502, req, clientKeep)
			}
		}
		if perr != nil {
			s.fail(502, 'P', 'H')
			return false, false, !s.serverError(502, req, clientKeep)
		}
		resp := &s.resp
		rbuf := s.sbuf[s.sr : s.sr+n]
		body := resp.Body
		switch {
		case resp.StatusCode >= 100 && resp.StatusCode < 200:
			body = h1.BodyNone
		case isHead || resp.StatusCode == 204 || resp.StatusCode == 304:
			body = h1.BodyNone
		}
		interim := resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != 101
		if !interim && (len(be.http.rules.resp) > 0 || len(s.fe.http.rules.resp) > 0) {
			// the backend's rules first, then the frontend's
			var sctx *acl.Context
			ctx := func() *acl.Context {
				if sctx == nil {
					// the request's HTTP fetches find nothing at
					// response time, as in haproxy
					sctx = &s.actx
					s.fe.fillSampleCtx(sctx, s.rt, s.src, s.dst)
					sctx.TLS = s.tls
					sctx.Backend = be.name
					sctx.Resp, sctx.RespBuf = resp, rbuf
				}
				return sctx
			}
			deny := s.applyResponseRules(be.http.rules.resp, ctx, rbuf)
			if deny == 0 && be.name != s.fe.name {
				deny = s.applyResponseRules(s.fe.http.rules.resp, ctx, rbuf)
			}
			if deny != 0 {
				s.closeServer()
				s.ev.Term = [2]byte{'P', 'H'}
				keep := clientKeep && deny != 502
				if !s.sendPage(s.page(deny), deny, req, keep) {
					return false, false, true
				}
				return false, false, !keep
			}
		}
		s.respEdits, s.respEditDelta = s.respEdits[:0], 0
		if !interim && be.http.cookie != nil {
			s.responseCookie(be, s.logSrv, resp, rbuf)
			s.ev.Cookie = [2]byte{s.ck.req, s.ck.resp}
		}
		s.respBytes.Add(htxHeadSize(resp, rbuf) + s.respEditSize(resp) + s.respEditDelta)
		if !interim {
			s.fromServer = true
			if srv := s.logSrv; srv != nil {
				srv.ctr.reqTotal.Add(1)
			}
			s.ev.Status = resp.StatusCode
			if s.newStatus != 0 {
				s.ev.Status = s.newStatus
			}
			s.ev.Tr = msSince(s.sent, time.Now())
		}
		keepServer = resp.KeepAlive() && body != h1.BodyClose
		closeClient = !clientKeep || body == h1.BodyClose || req.ForceClose
		s.out = s.appendResponseHead(s.out[:0], rbuf, interim, closeClient, req)
		s.sr += n
		if !interim && body == h1.BodyLength && resp.StatusCode != 101 && !isConnect &&
			resp.ContentLength <= smallBody && int64(s.sw-s.sr) >= resp.ContentLength {
			// a small body already read goes out with the head, in one
			// write (as haproxy sends them together)
			k := int(resp.ContentLength)
			s.out = append(s.out, s.sbuf[s.sr:s.sr+k]...)
			s.sr += k
			s.respBytes.Add(int64(k))
			body = h1.BodyNone
		}
		if err := s.clientWrite(s.out); err != nil {
			s.ev.Term = [2]byte{'C', 'H'}
			return false, false, true
		}
		if interim {
			continue
		}
		if resp.StatusCode == 101 || isConnect && resp.StatusCode/100 == 2 {
			// protocol switch: a tunnel from now on
			rest := s.sbuf[s.sr:s.sw]
			if len(rest) > 0 {
				if s.clientWrite(rest) != nil {
					return false, false, true
				}
			}
			var cl net.Conn = s.c
			if s.cw > s.cr {
				cl = &prefixConn{Conn: s.c, pre: append([]byte(nil), s.cbuf[s.cr:s.cw]...)}
			}
			s.c.SetReadDeadline(time.Time{})
			s.sc.SetReadDeadline(time.Time{})
			forward.Pipe(s.rt.hardCtx, cl, s.sc, pipeTimeouts(s.fe, be), s.rt.pool)
			return false, false, true
		}
		if err := s.forwardResponseBody(be, body); err != nil {
			s.ev.Term = s.bodyTerm
			return false, false, true
		}
		s.ev.Term = [2]byte{'-', '-'}
		return true, keepServer, closeClient
	}
}

// smallBody is the largest response body sent in the same write as its
// head when it is already read.
const smallBody = 16 << 10

func (s *httpSession) appendResponseHead(out, buf []byte, interim, closeClient bool, req *h1.Message) []byte {
	resp := &s.resp
	if resp.HTTP11() {
		out = append(out, "HTTP/1.1 "...)
	} else {
		out = append(out, "HTTP/1.0 "...)
	}
	switch {
	case s.newStatus != 0 && !interim:
		out = strconvAppendStatus(out, s.newStatus)
		out = append(append(out, ' '), s.newReason...)
	default:
		out = strconvAppendStatus(out, resp.StatusCode)
		if resp.Reason.Len() > 0 {
			out = append(out, ' ')
			out = append(out, resp.Reason.In(buf)...)
		}
	}
	out = append(out, '\r', '\n')
	for hi, h := range resp.Headers {
		if h.Drop {
			continue
		}
		out = h1.AppendLower(out, h.Name.In(buf))
		out = append(out, ": "...)
		if e, ok := editFor(s.respEdits, hi); ok {
			out = append(out, e.value...)
		} else if resp.CLText.End > 0 && equalFoldASCII(h.Name.In(buf), "content-length") {
			out = append(out, resp.CLText.In(buf)...)
		} else {
			out = append(out, h.Value.In(buf)...)
		}
		out = append(out, '\r', '\n')
	}
	if !interim {
		for _, h := range s.respAdd {
			out = append(append(append(append(out, h[0]...), ": "...), h[1]...), '\r', '\n')
		}
	}
	if !interim {
		switch {
		case closeClient:
			out = append(out, "connection: close\r\n"...)
		case !req.HTTP11() || !resp.HTTP11():
			out = append(out, "connection: keep-alive\r\n"...)
		}
	}
	return append(out, '\r', '\n')
}

func strconvAppendStatus(out []byte, code int) []byte {
	return append(out, byte('0'+code/100%10), byte('0'+code/10%10), byte('0'+code%10))
}

// forwardResponseBody streams the response body to the client.
func (s *httpSession) forwardResponseBody(be *backend, body h1.Body) error {
	switch body {
	case h1.BodyLength:
		left := s.resp.ContentLength
		for left > 0 {
			if s.sr == s.sw {
				if err := s.serverRead(be); err != nil {
					return err
				}
			}
			k := int64(s.sw - s.sr)
			if k > left {
				k = left
			}
			if err := s.clientWrite(s.sbuf[s.sr : s.sr+int(k)]); err != nil {
				return err
			}
			s.respBytes.Add(k)
			s.sr += int(k)
			left -= k
		}
	case h1.BodyClose:
		for {
			if s.sr < s.sw {
				if err := s.clientWrite(s.sbuf[s.sr:s.sw]); err != nil {
					return err
				}
				s.respBytes.Add(int64(s.sw - s.sr))
				s.sr = s.sw
			}
			if err := s.serverRead(be); err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					return nil
				}
				return err
			}
		}
	case h1.BodyChunked:
		return relayChunked(func() []byte { return s.sbuf[s.sr:s.sw] }, func(n int) { s.sr += n }, func() error { return s.serverRead(be) },
			s.clientWrite, &s.pendResp, &s.respBytes)
	}
	return nil
}

// setupHTTP makes fe an HTTP mode frontend. Its backends must be HTTP
// mode too (haproxy refuses a mix at -c already).
func (fe *frontend) setupHTTP(px *haproxycfg.Proxy, o httpOpts) error {
	fe.http = o
	if px.Kind == haproxycfg.KindListen && fe.backend != nil {
		fe.backend.http = o
	}
	if len(fe.contentRules) > 0 {
		return &UnsupportedError{px.Pos, "'tcp-request content' rules in mode http"}
	}
	for _, r := range fe.connRules {
		if r.cond.NeedsHTTP() {
			return &UnsupportedError{r.cond.Pos, "an HTTP fetch in 'tcp-request connection'"}
		}
	}
	return nil
}

// tcpModeHTTPFetches refuses HTTP fetches in the conditions of a TCP mode
// frontend or backend (haproxy would parse the stream as HTTP for them;
// gohaproxy does not yet).
func tcpModeHTTPFetches(fe *frontend, be *backend) error {
	var conds []*acl.Cond
	if fe != nil {
		for _, r := range fe.connRules {
			conds = append(conds, r.cond)
		}
		for _, r := range fe.contentRules {
			conds = append(conds, r.cond)
		}
		for _, r := range fe.switching {
			conds = append(conds, r.cond)
		}
	}
	if be != nil {
		for _, r := range be.useServers {
			conds = append(conds, r.cond)
		}
	}
	for _, c := range conds {
		if c.NeedsHTTP() {
			return &UnsupportedError{c.Pos, "an HTTP fetch in a mode tcp condition"}
		}
	}
	return nil
}
