package proxy

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/acl"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/forward"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/listener"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logfmt"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/proxyproto"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/tlsconf"
)

// frontend accepts connections and hands them to a backend.
type frontend struct {
	name      string
	kind      string
	binds     []*haproxycfg.Bind
	listeners []*listener.Listener
	backend   *backend
	client    time.Duration
	clientFin time.Duration // timeout client-fin
	slots     *connLimit    // maxconn ("set maxconn frontend" changes it)
	backlog   int
	maxconn   int

	connRules    []tcpRule
	contentRules []tcpRule
	inspectDelay time.Duration
	switching    []switchRule
	cur          atomic.Int64 // sessions in progress (fe_conn)
	http         httpOpts     // mode http when http.enabled
	tlog         *trafficLog  // nil: the frontend logs nothing
	ctr          trafficCounters
	cliTCPKA     net.KeepAliveConfig // option clitcpka / tcpka: keep-alive probes to clients

	tlsBinds map[*haproxycfg.Bind]*tlsconf.Bind // the ssl binds (tls.go)
}

func (rt *Runtime) newFrontend(px *haproxycfg.Proxy) (*frontend, error) {
	fe := &frontend{name: px.Name, kind: px.Kind.String(), binds: px.Binds, client: px.Timeouts.Client, clientFin: px.Timeouts.ClientFin, backlog: px.Backlog, maxconn: px.Maxconn}
	for _, b := range px.Binds {
		switch b.Addr.Family {
		case haproxycfg.FamilyIPv4, haproxycfg.FamilyIPv6, haproxycfg.FamilyUnix:
		default:
			return nil, &UnsupportedError{b.Pos, "bind address family '" + string(b.Addr.Family) + "'"}
		}
	}
	if err := rt.compileRules(fe, px); err != nil {
		return nil, err
	}
	target := ""
	if px.DefaultBackend != nil {
		target = px.DefaultBackend.Name
	} else if px.Kind == haproxycfg.KindListen {
		target = px.Name
	}
	if target != "" {
		fe.backend = rt.backends[target]
	}
	fe.slots = newConnLimit(int64(px.Maxconn))
	fe.cliTCPKA = tcpKeepAlive(px, "cli")
	return fe, nil
}

func (fe *frontend) acceptLoop(rt *Runtime, ln *listener.Listener) {
	_, acceptProxy := ln.Bind.Options["accept-proxy"]
	bindLabel := fe.bindLabel(ln.Bind)
	tb := fe.tlsBinds[ln.Bind]
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			rt.log.Warn("accept failed", zap.String("frontend", fe.name), zap.Error(err))
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if !fe.takeSlot(rt) {
			c.Close()
			return
		}
		if fe.cliTCPKA.Enable {
			// accepted sockets have no keep-alive (see the listener package)
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetKeepAliveConfig(fe.cliTCPKA)
			}
		}
		rt.actconn.Add(1)
		now := time.Now()
		fe.ctr.connTotal.Add(1)
		fe.ctr.connRate.add(now)
		if fe.http.enabled {
			rt.sessions.Add(1)
			go func() {
				defer rt.sessions.Done()
				defer rt.actconn.Add(-1)
				defer fe.dropSlot(rt)
				fe.serveHTTP(rt, c, tb, bindLabel)
			}()
			continue
		}
		var pre *decision
		if !acceptProxy && len(fe.contentRules) == 0 && tb == nil {
			// decided here, in accept order, as haproxy's event loop
			// does: nothing needs to be read first
			pre = fe.decideAtAccept(rt, c)
			if pre == nil {
				lingerZero(c)
				c.Close()
				fe.dropSlot(rt)
				rt.actconn.Add(-1)
				fe.ctr.deniedConn.Add(1)
				continue
			}
		}
		rt.sessions.Add(1)
		go func() {
			defer rt.sessions.Done()
			defer fe.dropSlot(rt)
			defer rt.actconn.Add(-1)
			fe.serve(rt, c, pre, acceptProxy, bindLabel, tb)
		}()
	}
}

// serve runs one TCP session.
// pre, when not nil, holds the backend and server decided at accept.
// bindLabel names the bind line in error logs.
// tb is the bind's TLS (nil: plain TCP).
func (fe *frontend) serve(rt *Runtime, c net.Conn, pre *decision, acceptProxy bool, bindLabel string, tb *tlsconf.Bind) {
	defer c.Close()
	st := rt.streams.add(fe, fe.name, 0, c) // show sess (sessions.go)
	defer rt.streams.remove(st)
	accept := time.Now()
	fe.cur.Add(1)
	defer fe.cur.Add(-1)
	src, dst := addrPort(c.RemoteAddr()), addrPort(c.LocalAddr())
	sctx := fe.sampleCtx(rt, src, dst)
	var first *claim
	var tlsIn *acl.TLSInfo // the client's TLS (tls.go)
	if pre != nil {
		first = pre.first
		fe.ctr.session(accept, fe.cur.Load())
		fe.tlog.connect(src, dst, fe.name)
		if pre.be == nil {
			return // no backend: haproxy closes the connection
		}
	} else {
		if !fe.connectionAccepted(sctx) {
			lingerZero(c)
			fe.ctr.deniedConn.Add(1)
			return
		}
		if tb != nil {
			tc, info := fe.handshake(rt, c, tb, accept, bindLabel)
			if tc == nil {
				return
			}
			defer tc.Close()
			c, tlsIn = tc, info
			sctx.TLS = info
		}
		fe.ctr.session(accept, fe.cur.Load())
		fe.tlog.connect(src, dst, fe.name)
		if fe.backend == nil && len(fe.switching) == 0 {
			return // no backend: haproxy closes the connection
		}
	}
	// the session's log line, written when it ends
	var ev logfmt.Event
	logged := fe.tlog != nil && fe.tlog.format != nil
	var be *backend
	var srv *server
	fe.newEvent(rt, &ev, accept, src, dst)
	setTLSEvent(&ev, tlsIn, tlsSampler(tlsIn))
	defer func() {
		if ev.Term[0] == 'P' && ev.Term[1] == 'R' {
			fe.ctr.deniedReq.Add(1)
		}
		rt.accountEnd(fe, be, srv, &ev, false, false)
		if !logged || fe.tlog.dontLogNull && ev.BytesUploaded == 0 {
			return
		}
		ev.Tt = msSince(accept, time.Now())
		rt.fillCounters(&ev, fe, be, srv)
		if fe.tlog.samples {
			// the log's %[...] read the session, its TLS included
			ev.Ctx = logCtx(&acl.Context{TLS: tlsIn}, &ev)
		}
		fe.tlog.emit(&ev, isErrorSession(&ev))
	}()
	if acceptProxy {
		// the PROXY header is read under the client timeout, as haproxy
		// reads it during the connection's handshake
		if fe.client > 0 {
			c.SetReadDeadline(time.Now().Add(fe.client))
		}
		br := bufio.NewReaderSize(c, 4096)
		h, err := proxyproto.Read(br)
		if err != nil {
			rt.log.Info("bad PROXY header", zap.String("frontend", fe.name), zap.Stringer("client", c.RemoteAddr()), zap.Error(err))
			logged = false
			ev.BytesUploaded = 0
			fe.tlog.connError(src, accept, fe.name, bindLabel, proxyErrMessage(err))
			return
		}
		c.SetReadDeadline(time.Time{})
		if h.HasAddrs {
			src, dst = h.Src, h.Dst
			ev.Client, ev.FrontendAddr = src, dst
		}
		c = &bufferedConn{Conn: c, r: br}
	}
	be = fe.backend
	if pre != nil {
		be = pre.be
	} else if fe.hasRules() {
		sctx.Src, sctx.Dst = src, dst
		// a hard stop must not wait for the inspect delay
		stop := context.AfterFunc(rt.hardCtx, func() { c.Close() })
		ok, err := fe.inspect(c, sctx, rt.inspectLimit())
		stop()
		c.SetReadDeadline(time.Time{})
		ev.BytesUploaded = int64(len(sctx.Payload))
		if err != nil || !ok {
			be = nil
			ev.Term = termFor(err, !ok)
			return
		}
		be = fe.chooseBackend(sctx)
		if be == nil {
			return
		}
		if len(sctx.Payload) > 0 {
			c = &prefixConn{Conn: c, pre: sctx.Payload}
		}
	}
	ev.Backend = be.name
	st.be.Store(be)
	be.assigned(accept)
	dstPort := int(dst.Port())
	if first == nil {
		var forced *server
		if len(be.useServers) > 0 {
			sctx.Src, sctx.Dst, sctx.Backend = src, dst, be.name
			forced = be.forcedServer(sctx)
		}
		if forced == nil {
			forced = be.persistServer(sctx.Payload)
		}
		first = be.claim(be.key(src, sctx.Payload), forced)
	}
	key := be.key(src, sctx.Payload)
	ctx := rt.hardCtx
	var tr dialTrace
	tr.tlsSNI, tr.clientTLS = true, tlsIn
	tr.proxyHdr, tr.dst = true, dst
	sc, got, err := be.dial(ctx, first, key, src, dstPort, &tr)
	ev.Tw, ev.Tc = msSince(accept, tr.granted), msSince(tr.granted, tr.connected)
	ev.Retries, ev.Redispatched = tr.retries, tr.redispatched
	if got != nil {
		ev.Server = got.name
		srv = got // counted until the line is written
	}
	if err != nil {
		rt.log.Info("connection to backend failed", zap.String("frontend", fe.name), zap.String("backend", be.name), zap.Error(err))
		ev.Term = dialTerm(err, &tr)
		if IsQueueError(err) {
			drainUnread(c)
		}
		return
	}
	srv = got
	defer sc.Close()
	st.srv.Store(srv)
	st.setServerConn(sc)
	if hdr := srv.proxyHeader(src, dst); hdr != nil && srv.tls == nil { // an ssl server got it before its handshake (tls.go)
		if be.server > 0 {
			sc.SetWriteDeadline(time.Now().Add(be.server))
		}
		if _, err := sc.Write(hdr); err != nil {
			be.release(srv)
			ev.Term = [2]byte{'S', 'C'}
			return
		}
		sc.SetWriteDeadline(time.Time{})
	}
	res := forward.Pipe(ctx, c, sc, pipeTimeouts(fe, be), rt.pool)
	// the server side is released before the line is written: haproxy
	// logs its backend and server counts without this session
	sc.Close()
	be.release(srv)
	ev.BytesRead += res.BytesOut
	ev.BytesUploaded += res.BytesIn
	ev.Term = pipeTerm(res, rt.hardCtx.Err() != nil)
	if st.killed.Load() {
		ev.Term = [2]byte{'K', '-'} // shutdown session (sessions.go)
	}
}

// bufferedConn is a client connection whose first bytes were read into r
// (after a PROXY header): reads drain r first.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) {
	if b.r.Buffered() > 0 {
		return b.r.Read(p)
	}
	return b.Conn.Read(p)
}

// CloseWrite passes a half-close to the underlying connection.
func (b *bufferedConn) CloseWrite() error {
	if hc, ok := b.Conn.(interface{ CloseWrite() error }); ok {
		return hc.CloseWrite()
	}
	return nil
}

func addrPort(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort()
	}
	return netip.AddrPort{}
}
