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

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
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
	maxconn int64
	cur     atomic.Int64 // sessions in progress
	total   atomic.Int64
	// requeued orders equally loaded servers for leastconn.
	requeued atomic.Int64
	// sendProxy is the PROXY protocol version sent first (0: none).
	sendProxy int
	ppOpts    proxyproto.V2Options
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
	name       string
	servers    []*server
	picker     picker
	connect    time.Duration
	server     time.Duration
	tunnel     time.Duration
	retries    int
	redispatch bool
}

// picker chooses a server for a new session and counts the session on it
// (the caller ends it with backend.release).
type picker interface {
	pick(exclude *server) *server
}

func newBackend(px *haproxycfg.Proxy) (*backend, error) {
	be := &backend{
		name:       px.Name,
		connect:    px.Timeouts.Connect,
		server:     px.Timeouts.Server,
		tunnel:     px.Timeouts.Tunnel,
		retries:    3,
		redispatch: px.OptionEnabled("redispatch"),
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
		for _, opt := range []string{"send-proxy-v2-ssl", "send-proxy-v2-ssl-cn", "ssl", "check", "track", "resolvers", "source", "agent-check", "cookie"} {
			if _, ok := s.Options[opt]; ok {
				return nil, &UnsupportedError{s.Pos, fmt.Sprintf("server option '%s'", opt)}
			}
		}
		srv := &server{name: s.Name, weight: s.Weight, backup: s.Backup, maxconn: int64(s.Maxconn)}
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
	algo := "roundrobin"
	if px.Balance != nil {
		algo = px.Balance.Algorithm
	}
	switch algo {
	case "roundrobin", "static-rr":
		be.picker = newWeightedRR(be.servers)
	case "leastconn":
		lc := &leastConn{servers: be.servers}
		for i, s := range be.servers {
			s.requeued.Store(int64(i - len(be.servers)))
		}
		be.picker = lc
	case "first":
		be.picker = &firstFree{servers: be.servers}
	default:
		pos := px.Pos
		if px.Balance != nil {
			pos = px.Balance.Pos
		}
		return nil, &UnsupportedError{pos, fmt.Sprintf("'balance %s'", algo)}
	}
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

// usable reports whether s can take one more session.
func (s *server) usable() bool {
	return s.weight > 0 && (s.maxconn == 0 || s.cur.Load() < s.maxconn)
}

// active returns the servers to balance over: the active ones, or the
// first usable backup when none is (haproxy without "option allbackups").
func activeSet(all []*server) []*server {
	var act []*server
	for _, s := range all {
		if !s.backup && s.weight > 0 {
			act = append(act, s)
		}
	}
	if len(act) > 0 {
		return act
	}
	for _, s := range all {
		if s.backup && s.weight > 0 {
			return []*server{s}
		}
	}
	return nil
}

// weightedRR is a smooth weighted round robin over the active servers.
type weightedRR struct {
	mu      sync.Mutex
	servers []*server
	current []int
}

func newWeightedRR(all []*server) *weightedRR {
	set := activeSet(all)
	return &weightedRR{servers: set, current: make([]int, len(set))}
}

func (w *weightedRR) pick(exclude *server) *server {
	w.mu.Lock()
	defer w.mu.Unlock()
	total := 0
	best := -1
	for i, s := range w.servers {
		if s == exclude && len(w.servers) > 1 || !s.usable() {
			continue
		}
		w.current[i] += s.weight
		total += s.weight
		if best < 0 || w.current[i] > w.current[best] {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	w.current[best] -= total
	w.servers[best].cur.Add(1)
	return w.servers[best]
}

// leastConn picks the active server with the fewest sessions per weight;
// among equals, the one requeued longest ago (haproxy keeps servers in a
// tree by load, and a server moves behind its equals each time its load
// changes), so idle servers take turns.
type leastConn struct {
	mu      sync.Mutex
	servers []*server
	clock   int64
}

func (l *leastConn) pick(exclude *server) *server {
	l.mu.Lock()
	defer l.mu.Unlock()
	var best *server
	for _, s := range activeSet(l.servers) {
		if s == exclude || !s.usable() {
			continue
		}
		if best == nil {
			best = s
			continue
		}
		a, b := s.cur.Load()*int64(best.weight), best.cur.Load()*int64(s.weight)
		if a < b || a == b && s.requeued.Load() < best.requeued.Load() {
			best = s
		}
	}
	if best != nil {
		best.cur.Add(1)
		l.clock++
		best.requeued.Store(l.clock)
	}
	return best
}

// released tells the picker that a session of s ended.
func (l *leastConn) released(s *server) {
	l.mu.Lock()
	s.cur.Add(-1)
	l.clock++
	s.requeued.Store(l.clock)
	l.mu.Unlock()
}

// firstFree picks the first server, in declaration order, with a free slot.
type firstFree struct{ servers []*server }

func (f *firstFree) pick(exclude *server) *server {
	for _, s := range activeSet(f.servers) {
		if s != exclude && s.usable() {
			s.cur.Add(1)
			return s
		}
	}
	return nil
}

// release ends a session on s (its load was counted when it was picked).
func (be *backend) release(s *server) {
	if r, ok := be.picker.(interface{ released(*server) }); ok {
		r.released(s)
		return
	}
	s.cur.Add(-1)
}

// dial connects to a server of the backend for a client whose destination
// port is dstPort, with haproxy's retries and redispatch.
// first is the server picked when the connection was accepted (in accept
// order, as haproxy's single event loop picks).
func (be *backend) dial(ctx context.Context, first *server, dstPort int) (net.Conn, *server, error) {
	var last error
	var prev *server
	srv := first
	for attempt := 0; attempt <= be.retries; attempt++ {
		if srv == nil {
			return nil, nil, fmt.Errorf("backend '%s' has no server available", be.name)
		}
		addr := srv.addr
		if !srv.portSet {
			host, _, _ := net.SplitHostPort(srv.addr)
			addr = net.JoinHostPort(host, strconv.Itoa(dstPort+srv.offset))
		}
		timeout := be.connect
		if timeout == 0 {
			timeout = dialTimeout
		}
		d := net.Dialer{Timeout: timeout}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return c, srv, nil
		}
		last = err
		prev = srv
		// haproxy retries the same server, and with "option redispatch"
		// moves to another one for the last retry.
		if be.redispatch && attempt == be.retries-1 {
			be.release(prev)
			srv = be.picker.pick(prev)
		}
	}
	if prev != nil {
		be.release(prev)
	}
	return nil, prev, last
}
