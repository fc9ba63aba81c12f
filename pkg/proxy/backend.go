package proxy

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/notify"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/acl"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/balance"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/h1"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/healthcheck"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/proxyproto"
)

// server is one server of a backend at run time.
type server struct {
	name    string
	addr    string // host:port; port "" means the client's destination port
	offset  int    // +N/-N port offset applied to the destination port
	portSet bool
	weight  int
	backup  bool
	cookie  string // "cookie" value (cookie.go); "": none
	maxconn int64
	cur     atomic.Int64 // sessions in progress
	// down is set while health checks find the server down (health.go).
	down  atomic.Bool
	check *healthcheck.Spec // nil: not checked
	// agent-check: its spec, and the drain/maint states and weight it set
	agent        *healthcheck.AgentSpec
	maint, drain atomic.Bool
	agentWeight  atomic.Int32    // -1 until the agent sets a weight
	agentHealth  *checks.Health  // the agent's own rise/fall counter (under stateMu)
	mainUp       bool            // the regular check's verdict (under stateMu)
	lastStatus   checks.Status   // last check status (log-health-checks; check goroutine only)
	ctr          trafficCounters // show stat
	// view, agentView: the check results shown by show stat (srvstate.go)
	view, agentView checkView
	id              int // explicit "id"; 0 = by position
	// sendProxy is the PROXY protocol version sent first (0: none).
	sendProxy int
	ppOpts    proxyproto.V2Options
	q         serverQueue // slots and queue (queue.go)
	src       *sourceSpec // "source" (source.go); nil: any
	tls       *serverTLS  // "ssl" (tls.go); nil: plain TCP

	// live replaces the configured addresses after "set server ... addr"
	// and the like (cli_server.go); chkOwnHost, chkOwnPort, agOwnHost:
	// the check and agent addresses do not follow the server's
	live                              atomic.Pointer[srvAddrs]
	chkOwnHost, chkOwnPort, agOwnHost bool

	// stopping is haproxy's NOLB state: "http-check disable-on-404" saw
	// a 404 while the server was up (health.go)
	stopping atomic.Bool
}

// proxyHeader returns the PROXY header to send to s for a client src that
// reached dst, or nil.
func (s *server) proxyHeader(src, dst netip.AddrPort) []byte {
	switch s.sendProxy {
	case 1:
		return proxyproto.AppendV1(nil, src, dst)
	case 2:
		return proxyproto.AppendV2(nil, &proxyproto.Conn{Src: src, Dst: dst, HasStream: true}, s.ppOpts)
	}
	return nil
}

// backend is a backend at run time.
type backend struct {
	name    string
	servers []*server
	picker  *balancer
	// keyFromSource: the algorithm hashes the client address.
	keyFromSource bool
	// rdpCookie: the algorithm hashes this RDP cookie of the request.
	rdpCookie  string
	connect    time.Duration
	server     time.Duration
	serverFin  time.Duration // timeout server-fin
	tunnel     time.Duration
	retries    int
	redispatch bool
	allBackups bool
	useServers []useServerRule
	q          backendQueue        // queue.go
	rdp        rdpPersist          // "persist rdp-cookie" (rdp.go)
	persist    bool                // option persist: use-server sticks to a down server
	kindWord   string              // "backend", or "proxy" for a listen section (haproxy's messages)
	stateMu    sync.Mutex          // serialises server state changes (health.go)
	logChecks  bool                // option log-health-checks
	slog       *trafficLog         // the backend's log targets (server messages)
	srvTCPKA   net.KeepAliveConfig // option srvtcpka / tcpka: keep-alive probes to servers
	ctr        trafficCounters
	view       checkView      // the backend's UP/DOWN history (srvstate.go)
	mail       *mailSpec      // email-alert settings; nil: no mail
	mailer     *notify.Mailer // started with the checks (mail.go)
	http       httpOpts       // mode http when http.enabled (http.go)
}

func newBackend(px *haproxycfg.Proxy) (*backend, error) {
	be := &backend{
		name:       px.Name,
		connect:    px.Timeouts.Connect,
		server:     px.Timeouts.Server,
		serverFin:  px.Timeouts.ServerFin,
		tunnel:     px.Timeouts.Tunnel,
		retries:    3,
		redispatch: px.OptionEnabled("redispatch"),
	}
	be.allBackups = px.OptionEnabled("allbackups")
	be.srvTCPKA = tcpKeepAlive(px, "srv")
	be.persist = px.OptionEnabled("persist")
	if px.Kind == haproxycfg.KindBackend {
		for rs, rules := range px.Rules {
			if px.Mode == haproxycfg.ModeHTTP && (rs == "http-request" || rs == "http-response") {
				continue // httprules.go
			}
			if len(rules) > 0 {
				return nil, &UnsupportedError{rules[0].Pos, "'" + rs + "' rules in a backend"}
			}
		}
		for _, d := range px.Other {
			if len(d.Args) > 1 && d.Args[0] == "tcp-request" && d.Args[1] == "inspect-delay" {
				return nil, &UnsupportedError{d.Pos, "'tcp-request inspect-delay' in a backend"}
			}
		}
	}
	if px.Retries > 0 || hasOther(px, "retries") {
		be.retries = px.Retries
	}
	for _, s := range px.Servers {
		if s.Template > 0 {
			return nil, &UnsupportedError{s.Pos, "'server-template'"}
		}
		if s.Disabled {
			continue
		}
		for _, opt := range []string{"send-proxy-v2-ssl", "send-proxy-v2-ssl-cn", "track", "resolvers"} {
			if _, ok := s.Options[opt]; ok {
				return nil, &UnsupportedError{s.Pos, fmt.Sprintf("server option '%s'", opt)}
			}
		}
		srv := &server{name: s.Name, weight: s.Weight, backup: s.Backup, maxconn: int64(s.Maxconn)}
		if v, ok := s.Options["cookie"]; ok && len(v) > 0 {
			srv.cookie = v[0] // cookie persistence (cookie.go)
		}
		if v, ok := s.Options["id"]; ok && len(v) > 0 {
			srv.id, _ = strconv.Atoi(v[0])
		}
		if _, ok := s.Options["send-proxy"]; ok {
			srv.sendProxy = 1
		}
		if _, ok := s.Options["send-proxy-v2"]; ok {
			srv.sendProxy = 2
			if v, ok := s.Options["proxy-v2-options"]; ok && len(v) > 0 {
				if err := proxyproto.ParseV2Options(&srv.ppOpts, v[0]); err != nil {
					return nil, &UnsupportedError{s.Pos, fmt.Sprintf("proxy-v2-options '%s' (%v)", v[0], err)}
				}
				if srv.ppOpts.SSL || srv.ppOpts.SSLCN || srv.ppOpts.SSLCipher || srv.ppOpts.SSLSigAlg || srv.ppOpts.SSLKeyAlg || srv.ppOpts.UniqueID {
					return nil, &UnsupportedError{s.Pos, fmt.Sprintf("proxy-v2-options '%s'", v[0])}
				}
			}
		}
		switch s.Addr.Family {
		case haproxycfg.FamilyIPv4, haproxycfg.FamilyIPv6, haproxycfg.FamilyHost:
		default:
			return nil, &UnsupportedError{s.Pos, fmt.Sprintf("server address family '%s'", s.Addr.Family)}
		}
		srv.portSet = s.Addr.HasPort && !s.Addr.Offset
		srv.offset = 0
		if s.Addr.Offset {
			srv.offset = s.Addr.PortLow
		}
		port := ""
		if srv.portSet {
			port = strconv.Itoa(s.Addr.PortLow)
		}
		srv.addr = net.JoinHostPort(s.Addr.Host, port)
		be.servers = append(be.servers, srv)
	}
	algo, param, draws, opts := "roundrobin", "", 0, []string(nil)
	pos := px.Pos
	if px.Balance != nil {
		b := px.Balance
		algo, param, draws, opts, pos = b.Algorithm, b.Param, b.Draws, b.Options, b.Pos
	}
	switch algo {
	case "roundrobin", "static-rr", "leastconn", "first", "source", "random", "rdp-cookie":
	case "uri", "url_param", "hdr":
		if px.Mode != haproxycfg.ModeHTTP {
			// haproxy: "Layer 7 hash not possible for backend (needs
			// 'mode http'). Falling back to round robin."
			algo, param, opts = "roundrobin", "", nil
		}
	default:
		return nil, &UnsupportedError{pos, fmt.Sprintf("'balance %s'", algo)}
	}
	method, function, avalanche := "", "", false
	if h := px.HashType; h != nil {
		method, function, avalanche = h.Method, h.Function, h.Avalanche
	}
	bcfg, err := balance.ConfigFrom(algo, param, draws, opts, method, function, avalanche)
	if err != nil {
		return nil, &UnsupportedError{pos, err.Error()}
	}
	bcfg.AllBackups = px.OptionEnabled("allbackups")
	bl := &balancer{byB: map[*balance.Server]*server{}, toB: map[*server]*balance.Server{}}
	var bservers []*balance.Server
	for _, s := range be.servers {
		bs := &balance.Server{Name: s.name, ID: s.id, Weight: s.weight, Backup: s.backup, Maxconn: int(s.maxconn)}
		bservers = append(bservers, bs)
		bl.byB[bs], bl.toB[s] = s, bs
	}
	a, err := balance.New(bcfg, bservers)
	if err != nil {
		return nil, &UnsupportedError{pos, err.Error()}
	}
	bl.algo = a
	be.picker = bl
	be.keyFromSource = algo == "source"
	if algo == "rdp-cookie" {
		be.rdpCookie = bcfg.Param
	}
	if err := be.compileUseServers(px); err != nil {
		return nil, err
	}
	if err := be.initQueues(px); err != nil {
		return nil, err
	}
	if err := be.initSources(px); err != nil {
		return nil, err
	}
	be.initPersist(px)
	return be, nil
}

func hasOther(px *haproxycfg.Proxy, kw string) bool {
	for _, d := range px.Other {
		if d.Args[0] == kw {
			return true
		}
	}
	return false
}

// balancer adapts pkg/proxy/balance to the backend: it maps the
// balancer's servers to ours and counts sessions on them.
type balancer struct {
	algo balance.Algorithm
	byB  map[*balance.Server]*server
	toB  map[*server]*balance.Server
}

// take counts a session on s chosen without the algorithm (use-server).
func (b *balancer) take(s *server) {
	b.algo.TakeConn(b.toB[s])
	s.cur.Add(1)
}

func (b *balancer) release(s *server) {
	s.cur.Add(-1)
	b.algo.DropConn(b.toB[s])
}

// key is the balancing key of a client at src that sent payload so far.
func (be *backend) key(src netip.AddrPort, payload []byte) balance.Key {
	var k balance.Key
	if be.keyFromSource && src.IsValid() {
		k = balance.SrcKey(src.Addr())
	}
	if be.rdpCookie != "" {
		// no cookie (yet): haproxy falls back to round robin
		if v, ok := balance.RDPCookie(payload, be.rdpCookie); ok {
			k.Value = string(v)
		}
	}
	return k
}

// pick claims a slot for a client, as the balancer chooses.
func (be *backend) pick(src netip.AddrPort) *claim { return be.claim(be.key(src, nil), nil) }

// dial connects to a server of the backend for a client whose destination
// port is dstPort and address src, with haproxy's retries and redispatch.
// first is the server picked when the connection was accepted (in accept
// order, as haproxy's single event loop picks).
// tr, when not nil, records the timings and retries for the logs.
func (be *backend) dial(ctx context.Context, first *claim, key balance.Key, src netip.AddrPort, dstPort int, tr *dialTrace) (net.Conn, *server, error) {
	if tr == nil {
		tr = &dialTrace{}
	}
	var last error
	var prev *server
	srv, err := be.wait(ctx, first)
	if err == nil {
		tr.granted = time.Now()
		if !tr.counted {
			be.counted(srv, tr.granted)
		}
	}
	for attempt := 0; attempt <= be.retries; attempt++ {
		tr.retries = attempt
		if attempt > 0 && prev == srv && srv != nil {
			srv.ctr.sessTotal.Add(1) // haproxy counts each retry on the server
		}
		if err != nil {
			if prev != nil {
				return nil, prev, last
			}
			return nil, srv, err
		}
		if srv == nil {
			return nil, nil, fmt.Errorf("backend '%s' has no server available", be.name)
		}
		addr, portSet, offset := srv.dialTarget()
		if !portSet {
			host, _, _ := net.SplitHostPort(addr)
			addr = net.JoinHostPort(host, strconv.Itoa(dstPort+offset))
		}
		timeout := be.connect
		if timeout == 0 {
			timeout = dialTimeout
		}
		c, err := dialFrom(ctx, srv.src, addr, timeout, src, be.srvTCPKA)
		if err == nil && srv.tls != nil {
			sni := ""
			if tr.tlsSNI && srv.tls.sni != nil {
				sni = srv.tls.sni.eval(tr.clientTLS, tr.req, tr.reqBuf)
			}
			var hdr []byte
			if tr.proxyHdr {
				hdr = srv.proxyHeader(src, tr.dst)
			}
			c, err = srv.startTLS(ctx, c, hdr, sni, timeout)
		}
		if err == nil {
			tr.connected = time.Now()
			return c, srv, nil
		}
		last = err
		tr.timedOut = isTimeoutErr(err)
		prev = srv
		// haproxy retries the same server, and with "option redispatch"
		// moves to another one for the last retry.
		if be.redispatch && attempt == be.retries-1 {
			be.release(prev)
			k := key
			k.Avoid = be.picker.toB[prev]
			srv, err = be.wait(ctx, be.claim(k, nil))
			if err != nil {
				return nil, prev, last
			}
			tr.redispatched = true
			be.counted(srv, time.Now())
			prev = nil
		}
	}
	if prev != nil {
		be.release(prev)
	}
	return nil, prev, last
}

// dialTrace is what a connection to a server did, for the logs.
type dialTrace struct {
	granted      time.Time // the server slot was obtained (end of queueing)
	connected    time.Time // the connection was established
	retries      int
	redispatched bool
	timedOut     bool // the last attempt failed with a connect timeout
	// counted: the caller already counted the first server's session
	counted bool
	// tlsSNI: an ssl server's sni expression is evaluated (tls.go) on
	// the client's TLS and, in HTTP mode, the request (req in reqBuf)
	tlsSNI    bool
	clientTLS *acl.TLSInfo
	req       *h1.Message
	reqBuf    []byte
	// proxyHdr: an ssl server gets its PROXY header (for the client and
	// dst) before the TLS handshake
	proxyHdr bool
	dst      netip.AddrPort
}

// assigned counts a session (a stream: each HTTP request) given to the
// backend, before a server is chosen.
func (be *backend) assigned(now time.Time) {
	be.ctr.session(now, be.q.beconn.Load()+1)
}

// counted counts a session given to srv by the backend (lbtot; the
// server's stot, which also counts each connection retry).
func (be *backend) counted(srv *server, now time.Time) {
	if srv == nil {
		return
	}
	be.ctr.lbTotal.Add(1)
	srv.ctr.session(now, srv.cur.Load())
	srv.ctr.lbTotal.Add(1)
}
