// Package balance selects a server the way HAProxy 2.6 does.
//
// Every "balance" algorithm of haproxy 2.6 is one small type implementing
// Algorithm: RoundRobin (lb_fwrr, the dynamic weighted round robin),
// StaticRR (lb_map), LeastConn (lb_fwlc), First (lb_fas), Random (random
// draws on the consistent hash tree) and Hash (source, uri, url_param,
// hdr, rdp-cookie and hash keys, looked up map-based or consistent). The
// order in which servers are picked, and for hashes the server a given key
// lands on, are those of haproxy with the same servers, weights and ids, so
// that a fleet mixing haproxy and gohaproxy keeps its stickiness.
//
// The package has no I/O and no dependency on the configuration model: the
// caller builds the Servers (declaration order, ids, weights, backup flag,
// maxconn) and tells the algorithm about state changes (up/down, weight,
// drain) and about connections starting and ending.
//
// An Algorithm is safe for concurrent use.
package balance

import (
	"errors"
	"fmt"
	"strings"
)

// Weight constants of haproxy (include/haproxy/backend-t.h, server-t.h).
const (
	// BEWeightScale is the factor between user weights and the effective
	// weights the dynamic algorithms work with.
	BEWeightScale = 16
	// MaxWeight is the highest user weight.
	MaxWeight  = 256
	srvUWRange = 256
	srvEWRange = srvUWRange * BEWeightScale
	srvEWMax   = MaxWeight * BEWeightScale
)

// Server is one server of a backend as the balancer sees it. Name, ID,
// Weight, Backup and Maxconn are set by the caller before the algorithm is
// built; afterwards they change only through the Algorithm's methods.
type Server struct {
	Name string
	// ID is haproxy's server id ("id" keyword; by default 1, 2, ... in
	// declaration order). Consistent hashing places points by id. Zero
	// means "position in the list + 1".
	ID int
	// Weight is the user weight, 0..256. A server at weight 0 is never
	// picked.
	Weight int
	// Backup servers are used only when no active server is usable.
	Backup bool
	// Maxconn is the server's connection limit; 0 means unlimited.
	Maxconn int
	// Maxqueue bounds the server's queue; 0 means unlimited. leastconn
	// counts it as room.
	Maxqueue int
	// DynMaxconn, when set, returns the limit in effect now (haproxy's
	// srv_dynamic_maxconn: minconn..maxconn by the backend's load against
	// fullconn). It is called with the algorithm's lock held and must not
	// call back into the algorithm. Only consulted when Maxconn > 0.
	DynMaxconn func() int
	// Down servers are not picked. Set it before building the algorithm
	// for a server that starts down; later use SetUp.
	Down bool

	idx      int
	usable   bool
	ew       int // effective weight used by the algorithm
	prevEW   int
	served   int
	pending  int
	draining bool

	// round robin / leastconn / first tree position
	key    uint32
	tree   *srvTree
	npos   int
	lpos   int
	rw     int
	wscore int
	cumw   int
}

// Served is the number of connections currently counted on s.
func (s *Server) Served() int { return s.served }

// Usable tells whether s is up with a non-zero weight.
func (s *Server) Usable() bool { return s.usable }

func (s *Server) String() string {
	if s == nil {
		return "<nil>"
	}
	return s.Name
}

// full reports whether s has no free connection slot (or already queues).
func (s *Server) full() bool {
	return s.Maxconn > 0 && (s.pending > 0 || s.served >= s.maxconnNow())
}

// maxconnNow is the connection limit in effect (Maxconn > 0).
func (s *Server) maxconnNow() int {
	if s.DynMaxconn != nil {
		return s.DynMaxconn()
	}
	return s.Maxconn
}

// Key is what a hash algorithm hashes. Only the field the algorithm needs is
// read: Src for "source", URI for "uri" and "url_param", Body for
// url_param's check_post, Value for hdr(), rdp-cookie() and hash (the
// header value, the cookie value, the sample's bytes). An empty Value or a
// missing parameter makes haproxy fall back to round robin over the hash
// table, and so does Pick.
type Key struct {
	Src   [16]byte // client address; IPv4 uses the first 4 bytes
	SrcV6 bool
	URI   string
	Body  string
	Value string
	// Missing tells "balance hash" that its expression gave no sample (an
	// empty Value is otherwise hashed as is).
	Missing bool
	// Avoid is the server to avoid if possible (the one that just failed,
	// on redispatch).
	Avoid *Server
}

// SrcIPv4 returns a Key for the IPv4 client address a.b.c.d.
func SrcIPv4(ip [4]byte) Key {
	var k Key
	copy(k.Src[:], ip[:])
	return k
}

// Algorithm picks servers.
type Algorithm interface {
	// Pick returns the server for the next connection, or nil when no
	// server is usable or all are full (the caller queues on the backend).
	// Pick does not count a connection: call TakeConn on the server that
	// receives it.
	Pick(k Key) *Server
	// SetUp marks s up or down.
	SetUp(s *Server, up bool)
	// SetWeight changes the user weight of s (0..256).
	SetWeight(s *Server, w int)
	// SetDrain puts s in or out of drain: it keeps its connections but
	// receives no new ones (as haproxy's "set server state drain").
	SetDrain(s *Server, drain bool)
	// TakeConn and DropConn count a connection starting and ending on s.
	TakeConn(s *Server)
	DropConn(s *Server)
	// SetPending sets the number of connections queued on s.
	SetPending(s *Server, n int)
	// Servers returns the servers in declaration order.
	Servers() []*Server
}

// Config describes a backend's balancing: the "balance" line, "hash-type"
// and "option allbackups".
type Config struct {
	// Algorithm: roundrobin, static-rr, leastconn, first, source, uri,
	// url_param, hdr, rdp-cookie, random, hash.
	Algorithm string
	// Draws for random (default 2).
	Draws int
	// Consistent selects "hash-type consistent" (else map-based).
	Consistent bool
	Func       HashFunc
	Avalanche  bool
	// uri options
	URIWhole    bool
	URILen      int
	URIDepth    int
	URIPathOnly bool
	// Param is the url_param name; for hdr(), rdp-cookie() and hash it is
	// the header name, cookie name and expression, which the caller uses
	// to build Key.Value.
	Param     string
	CheckPost bool
	// hdr
	UseDomainOnly bool
	// AllBackups is "option allbackups".
	AllBackups bool
	// HashBalanceFactor is "hash-balance-factor" (consistent hashing and
	// random; 0 disables it).
	HashBalanceFactor int
}

// New builds the algorithm named by cfg over servers (declaration order).
func New(cfg Config, servers []*Server) (Algorithm, error) {
	if len(servers) == 0 {
		// haproxy serves a backend without servers: every request finds
		// no server (503 in HTTP mode, a close in TCP mode)
		return noServer{}, nil
	}
	p, err := newPool(servers, cfg.AllBackups)
	if err != nil {
		return nil, err
	}
	switch cfg.Algorithm {
	case "", "roundrobin":
		return newRoundRobin(p), nil
	case "static-rr":
		return newStaticRR(p), nil
	case "leastconn":
		return newLeastConn(p), nil
	case "first":
		return newFirst(p), nil
	case "random":
		d := cfg.Draws
		if d <= 0 {
			d = 2
		}
		r := newRandom(p, d)
		r.c.factor = cfg.HashBalanceFactor
		return r, nil
	case "source", "uri", "url_param", "hdr", "rdp-cookie", "hash":
		return newHash(p, cfg)
	}
	return nil, fmt.Errorf("balance: unknown algorithm %q", cfg.Algorithm)
}

// pool is the state all algorithms share: the servers, the usable counts
// and weights of the active and backup groups, and the first usable backup.
type pool struct {
	srv        []*Server
	allBackups bool
	srvAct     int
	srvBck     int
	totWAct    int
	totWBck    int
	fbck       *Server
	totWeight  int
	totUsed    int
	served     int // connections on all servers
}

func (p *pool) take(s *Server) {
	s.served++
	p.served++
}

func (p *pool) drop(s *Server) {
	if s.served > 0 {
		s.served--
		p.served--
	}
}

func newPool(servers []*Server, allBackups bool) (*pool, error) {
	if len(servers) == 0 {
		return nil, errors.New("balance: no server")
	}
	ids := map[int]bool{}
	for _, s := range servers {
		if s.ID > 0 {
			ids[s.ID] = true
		}
	}
	// Automatic ids as haproxy assigns them: a cursor advances by one per
	// server; a server without "id" takes the first free id from the
	// cursor on, and the cursor continues after it.
	next := 1
	for i, s := range servers {
		if s == nil {
			return nil, errors.New("balance: nil server")
		}
		if s.Weight < 0 || s.Weight > MaxWeight {
			return nil, fmt.Errorf("balance: server %s: weight %d out of 0..%d", s.Name, s.Weight, MaxWeight)
		}
		s.idx = i
		if s.ID > 0 {
			next++
			continue
		}
		for ids[next] {
			next++
		}
		s.ID = next
		ids[next] = true
		next++
	}
	return &pool{srv: servers, allBackups: allBackups}, nil
}

// willBeUsable says whether s counts for balancing given its flags.
func willBeUsable(s *Server) bool {
	return !s.Down && !s.draining && s.Weight > 0 && s.ew > 0
}

// recount recomputes the group counts and weights from the servers'
// effective weights, like haproxy's recount_servers + update_backend_weight.
func (p *pool) recount() {
	p.srvAct, p.srvBck, p.totWAct, p.totWBck, p.fbck = 0, 0, 0, 0, nil
	for _, s := range p.srv {
		s.usable = willBeUsable(s)
		if !s.usable {
			continue
		}
		if s.Backup {
			if p.srvBck == 0 && !p.allBackups {
				p.fbck = s
			}
			p.srvBck++
			s.cumw = p.totWBck
			p.totWBck += s.ew
		} else {
			p.srvAct++
			s.cumw = p.totWAct
			p.totWAct += s.ew
		}
	}
	p.updateWeight()
}

func (p *pool) updateWeight() {
	switch {
	case p.srvAct > 0:
		p.totWeight, p.totUsed = p.totWAct, p.srvAct
	case p.fbck != nil:
		p.totWeight, p.totUsed = p.fbck.ew, 1
	default:
		p.totWeight, p.totUsed = p.totWBck, p.srvBck
	}
}

// scaledWeights sets every server's effective weight to weight*16, as the
// dynamic algorithms do.
func (p *pool) scaledWeights() {
	for _, s := range p.srv {
		s.ew = s.Weight * BEWeightScale
	}
}

// Names returns the names of servers, for messages and tests.
func Names(ss []*Server) string {
	var b strings.Builder
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s.String())
	}
	return b.String()
}

// noServer is the algorithm of a backend without servers.
type noServer struct{}

func (noServer) Pick(Key) *Server        { return nil }
func (noServer) SetUp(*Server, bool)     {}
func (noServer) SetWeight(*Server, int)  {}
func (noServer) SetDrain(*Server, bool)  {}
func (noServer) TakeConn(*Server)        {}
func (noServer) DropConn(*Server)        {}
func (noServer) SetPending(*Server, int) {}
func (noServer) Servers() []*Server      { return nil }
