package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/forward"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/h1"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logfmt"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logsink"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/proxyproto"
)

// trafficLog is how a frontend logs its sessions (TCP mode) or requests
// (HTTP mode): haproxy's "log" lines of the frontend, its log-format (or
// the "Connect from" line at accept when it has none), and the options
// that choose which sessions are logged and at which level.
type trafficLog struct {
	cfgs   []logsink.Config
	sinks  *logsink.Group // set while the runtime serves
	format *logfmt.Format // nil: the "Connect from" line at accept
	mode   string         // "TCP" or "HTTP", for the "Connect from" line

	dontLogNull   bool // option dontlognull
	separateErrs  bool // option log-separate-errors
	dontLogNormal bool // option dontlog-normal

	bufs sync.Pool // *[]byte scratch lines are rendered into
}

// Syslog levels besides the mail ones (mail.go): error sessions with
// log-separate-errors, and a backend without servers.
const (
	levelEmerg = 0
	levelErr   = 3
)

// newTrafficLog reads the logging settings of a frontend. A frontend
// without log targets logs nothing.
func newTrafficLog(g *haproxycfg.Global, px *haproxycfg.Proxy) (*trafficLog, error) {
	tag := ""
	for _, d := range px.Other {
		switch {
		case d.Args[0] == "log-format-sd" || d.Args[0] == "error-log-format":
			return nil, &UnsupportedError{d.Pos, "'" + d.Args[0] + "'"}
		case d.Args[0] == "log-tag" && len(d.Args) > 1:
			tag = d.Args[1]
		}
	}
	cfgs, err := logsink.Configs(g, px.Logs, tag, os.Getpid())
	if err != nil {
		return nil, fmt.Errorf("parsing [%s:%d] : %v", px.Pos.File, px.Pos.Line, err)
	}
	if len(cfgs) == 0 {
		return nil, nil
	}
	tl := &trafficLog{cfgs: cfgs, mode: "TCP",
		dontLogNull: px.OptionEnabled("dontlognull"), separateErrs: px.OptionEnabled("log-separate-errors"),
		dontLogNormal: px.OptionEnabled("dontlog-normal")}
	if px.Mode == haproxycfg.ModeHTTP {
		tl.mode = "HTTP"
	}
	if src, ok := logfmt.SourceFor(px); ok {
		f, err := logfmt.Compile(src)
		if err != nil {
			return nil, &UnsupportedError{px.LogFormatPos, fmt.Sprintf("log-format (%v)", err)}
		}
		for _, s := range f.Samples() {
			if tlsLogSamples[s] { // the connection's TLS (tls.go)
				continue
			}
			pos := px.LogFormatPos
			if px.LogFormat == "" {
				pos = px.Pos
			}
			return nil, &UnsupportedError{pos, fmt.Sprintf("sample expression '%%[%s]' in a log format", s)}
		}
		tl.format = f
	}
	return tl, nil
}

// logGroups opens the sinks of every frontend's trafficLog, one set per
// distinct configuration, for the time the runtime serves.
type logGroups struct {
	groups []*logsink.Group
}

func (rt *Runtime) openTrafficLogs(ctx context.Context) *logGroups {
	lg := &logGroups{}
	pid := os.Getpid()
	byKey := map[string]*logsink.Group{}
	var all []*trafficLog
	for _, fe := range rt.frontends {
		all = append(all, fe.tlog)
	}
	for _, name := range rt.backendOrder {
		all = append(all, rt.backends[name].slog)
	}
	for _, tl := range all {
		if tl == nil {
			continue
		}
		cfgs := append([]logsink.Config(nil), tl.cfgs...)
		for i := range cfgs {
			cfgs[i].PID = pid // the worker's pid, as haproxy's workers log
		}
		key := fmt.Sprintf("%+v", cfgs)
		g := byKey[key]
		if g == nil {
			var err error
			g, err = logsink.Open(ctx, cfgs)
			if err != nil {
				rt.log.Error(fmt.Sprintf("cannot open log targets: %v", err))
				continue
			}
			byKey[key] = g
			lg.groups = append(lg.groups, g)
		}
		tl.sinks = g
	}
	return lg
}

// close writes what is queued and stops the sinks.
func (lg *logGroups) close() {
	for _, g := range lg.groups {
		g.Close()
	}
}

func (tl *trafficLog) buf() *[]byte {
	if b, ok := tl.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 512)
	return &b
}

func (tl *trafficLog) send(level int, bp *[]byte, b []byte) {
	tl.sinks.Log(time.Now(), level, b)
	*bp = b[:0]
	tl.bufs.Put(bp)
}

// emit renders ev with the frontend's format and hands the line to the
// sinks. isErr marks a session haproxy counts as an error (for
// log-separate-errors and dontlog-normal).
func (tl *trafficLog) emit(ev *logfmt.Event, isErr bool) {
	if tl == nil || tl.format == nil || tl.sinks == nil {
		return
	}
	if tl.dontLogNormal && !isErr {
		return
	}
	level := levelInfo
	if isErr && tl.separateErrs {
		level = levelErr
	}
	bp := tl.buf()
	tl.send(level, bp, tl.format.Append((*bp)[:0], ev))
}

// message sends a daemon message (server state changes) to the log
// targets.
func (tl *trafficLog) message(level int, msg string) {
	if tl == nil || tl.sinks == nil {
		return
	}
	bp := tl.buf()
	tl.send(level, bp, append((*bp)[:0], msg...))
}

// connect logs haproxy's "Connect from" line of a frontend without a log
// format, when a connection is accepted.
func (tl *trafficLog) connect(client, local netip.AddrPort, frontend string) {
	if tl == nil || tl.format != nil || tl.sinks == nil {
		return
	}
	bp := tl.buf()
	tl.send(levelInfo, bp, logfmt.AppendConnect((*bp)[:0], client, local, frontend, tl.mode))
}

// connError logs a connection that failed before it became a session
// (a bad PROXY header), in haproxy's legacy error line.
func (tl *trafficLog) connError(client netip.AddrPort, accept time.Time, frontend, bind, msg string) {
	if tl == nil || tl.sinks == nil {
		return
	}
	level := levelInfo
	if tl.separateErrs {
		level = levelErr
	}
	bp := tl.buf()
	tl.send(level, bp, logfmt.AppendConnError((*bp)[:0], client, accept, frontend, bind, msg))
}

// isErrorSession says whether a session counts as an error for the log
// options, as haproxy decides: a redispatch, a termination other than
// normal or local, retries, or (HTTP) a status of 500 or more.
func isErrorSession(ev *logfmt.Event) bool {
	t := ev.Term[0]
	return ev.Redispatched || (t != 0 && t != '-' && t != 'L') || ((t == 0 || t == '-') && ev.Retries != 0) || ev.Status >= 500
}

// msSince is a log timer: milliseconds from a to b, -1 when b is zero.
func msSince(a, b time.Time) int64 {
	if b.IsZero() || a.IsZero() {
		return -1
	}
	d := b.Sub(a).Milliseconds()
	if d < 0 {
		d = 0
	}
	return d
}

// newEvent starts the log event of a session accepted at accept.
func (fe *frontend) newEvent(rt *Runtime, ev *logfmt.Event, accept time.Time, src, dst netip.AddrPort) {
	*ev = logfmt.Event{
		Accept: accept, PID: rt.pid, Client: src, FrontendAddr: dst,
		Frontend: fe.name, Backend: fe.name, Server: "<NOSRV>",
		Th: 0, Ti: 0, TR: -1, Tw: -1, Tc: -1, Tr: -1, Ta: -1, Tt: -1, Tu: -1, Td: -1,
		Status: -1,
	}
}

// fillCounters sets the connection counters a line shows, taken when it
// is logged (this session included in the active and frontend counts).
func (rt *Runtime) fillCounters(ev *logfmt.Event, fe *frontend, be *backend, srv *server) {
	ev.ActConn = int(rt.actconn.Load())
	ev.FeConn = int(fe.cur.Load())
	if be != nil {
		ev.BeConn = int(be.q.beconn.Load())
	}
	if srv != nil {
		ev.SrvConn = int(srv.cur.Load())
	}
}

// termFor is the termination state of a session that ended during the
// content inspection: rejected by a rule, or the client gone or silent.
func termFor(err error, rejected bool) [2]byte {
	switch {
	case rejected && err == nil:
		return [2]byte{'P', 'R'}
	case isTimeoutErr(err):
		return [2]byte{'c', 'R'}
	}
	return [2]byte{'C', 'R'}
}

// dialTerm is the termination state of a session whose server connection
// failed.
func dialTerm(err error, tr *dialTrace) [2]byte {
	switch {
	case errors.Is(err, context.Canceled):
		return [2]byte{'K', 'C'}
	case errors.Is(err, errQueueTimeout):
		return [2]byte{'s', 'Q'}
	case errors.Is(err, errQueueFull):
		return [2]byte{'S', 'Q'}
	case tr.timedOut:
		return [2]byte{'s', 'C'}
	}
	return [2]byte{'S', 'C'}
}

// pipeTerm is the termination state of a forwarded TCP session.
func pipeTerm(res forward.Result, killed bool) [2]byte {
	switch {
	case killed:
		return [2]byte{'K', 'D'}
	case res.Timeout == "client":
		return [2]byte{'c', 'D'}
	case res.Timeout == "server":
		return [2]byte{'s', 'D'}
	case res.Err != nil && res.ErrSide == "server":
		return [2]byte{'S', 'D'}
	case res.Err != nil:
		return [2]byte{'C', 'D'}
	}
	return [2]byte{'-', '-'}
}

// proxyErrMessage is what haproxy logs for a failed PROXY header.
func proxyErrMessage(err error) string {
	var pe *proxyproto.Error
	switch {
	case errors.As(err, &pe):
		return pe.HAProxyMessage()
	case errors.Is(err, io.EOF):
		return proxyproto.MsgEmpty
	case isTimeoutErr(err):
		return logfmt.ErrProxyTimeout
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, proxyproto.ErrTooLarge):
		return logfmt.ErrProxyTruncated
	}
	return proxyproto.MsgAbort
}

// bindLabel names a bind line in error logs: its "name", else its
// number in the frontend, from 1.
func (fe *frontend) bindLabel(b *haproxycfg.Bind) string {
	if v, ok := b.Options["name"]; ok && len(v) > 0 {
		return v[0]
	}
	for i, x := range fe.binds {
		if x == b {
			return strconv.Itoa(i + 1)
		}
	}
	return "?"
}

// fail records an error response the proxy itself sends for the
// transaction: its status, the termination state and the bytes haproxy
// counts for its error page.
func (s *httpSession) fail(code int, t0, t1 byte) {
	s.ev.Status, s.ev.Term = code, [2]byte{t0, t1}
	s.respBytes.Store(s.pageSize(code))
}

// badRequest records a request that failed before its head was complete
// (400, 408): haproxy counts no bytes for those answers. who is 'P' (the
// proxy refused it), 'C' (the client closed) or 'c' (client timeout).
func (s *httpSession) badRequest(code int, who byte) {
	s.noLog = false
	s.fe.ctr.errReq.Add(1)
	s.fe.ctr.reqTotal.Add(1)
	s.headDone = time.Time{}
	s.ev.Status, s.ev.Term = code, [2]byte{who, 'R'}
	s.respBytes.Store(0)
}

// htxHeadSize is what haproxy counts for a response head it forwards:
// its start line block, and the names and values of the headers it keeps.
func htxHeadSize(m *h1.Message, buf []byte) int64 {
	n := int64(htxStartLine + 8 + 3 + m.Reason.Len())
	for _, h := range m.Headers {
		if h.Drop {
			continue
		}
		n += int64(h.Name.Len())
		if m.CLText.End > 0 && equalFoldASCII(h.Name.In(buf), "content-length") {
			n += int64(m.CLText.Len())
		} else {
			n += int64(h.Value.Len())
		}
	}
	return n
}

// endTransaction counts the transaction that just ended and writes its
// log line.
func (s *httpSession) endTransaction(accept time.Time) {
	now := time.Now()
	ev := &s.ev
	start := s.reqStart
	if start.IsZero() {
		start = accept
	}
	ev.Accept, ev.Request = accept, start
	ev.Ti = msSince(accept, start)
	ev.TR = msSince(s.reqStart, s.headDone)
	ev.Ta = msSince(start, now)
	ev.Tt = msSince(accept, now)
	ev.RequestLine = nil
	if !s.headDone.IsZero() {
		ev.RequestLine = s.reqLine
	}
	ev.BytesRead = s.respBytes.Load()
	if s.stream != nil && s.stream.killed.Load() {
		ev.Term[0] = 'K' // shutdown session (sessions.go)
	}
	var be *backend
	if s.headDone.IsZero() {
		ev.Backend = s.fe.name
	} else {
		be = s.rt.backends[ev.Backend]
	}
	srv := s.logSrv
	s.logSrv = nil
	s.rt.accountEnd(s.fe, be, srv, ev, true, s.fromServer)
	if !s.logOn {
		return
	}
	s.rt.fillCounters(ev, s.fe, be, srv)
	s.fe.tlog.emit(ev, isErrorSession(ev))
}

// htxRequestSize is what haproxy counts for a request head (%U, bin): its
// start line block and the names and values of the headers it keeps.
func htxRequestSize(m *h1.Message, buf []byte) int64 {
	n := int64(htxStartLine + m.Method.Len() + m.URI.Len() + 8)
	for _, h := range m.Headers {
		if h.Drop {
			continue
		}
		n += int64(h.Name.Len() + h.Value.Len())
	}
	return n
}
