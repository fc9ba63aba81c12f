package balance

import (
	"math/rand/v2"
	"sync"
)

// Random is "balance random(draws)": draws random points on the consistent
// hashing ring and keeps the least loaded of the servers found (the power
// of N choices). A full server is not returned (the caller queues).
type Random struct {
	mu    sync.Mutex
	c     *chash
	draws int
	rnd   *rand.Rand
}

// NewRandom builds "balance random(draws)" over servers; seed makes the
// draws reproducible.
func NewRandom(servers []*Server, allBackups bool, draws int, seed uint64) (*Random, error) {
	p, err := newPool(servers, allBackups)
	if err != nil {
		return nil, err
	}
	r := newRandom(p, draws)
	r.rnd = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return r, nil
}

func newRandom(p *pool, draws int) *Random {
	if draws <= 0 {
		draws = 2
	}
	return &Random{c: newCHash(p), draws: draws, rnd: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
}

// Pick draws servers and returns the least loaded one.
func (r *Random) Pick(k Key) *Server {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.c.p.totWeight == 0 {
		return nil
	}
	var cur *Server
	for d := r.draws; d > 0; d-- {
		prev := cur
		cur = r.c.lookup(r.rnd.Uint32(), k.Avoid)
		if cur == nil {
			break
		}
		if prev != nil && prev != cur && cur.served*prev.ew > prev.served*cur.ew {
			cur = prev
		}
	}
	if cur != nil && (cur.pending > 0 || (cur.Maxconn > 0 && cur.served >= cur.maxconnNow())) {
		return nil
	}
	return cur
}

// Servers returns the servers in declaration order.
func (r *Random) Servers() []*Server { return r.c.p.srv }

// SetUp marks s up or down.
func (r *Random) SetUp(s *Server, up bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s.Down = !up
	r.c.changed(s)
}

// SetDrain puts s in or out of drain.
func (r *Random) SetDrain(s *Server, drain bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s.draining = drain
	r.c.changed(s)
}

// SetWeight changes the user weight of s.
func (r *Random) SetWeight(s *Server, w int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s.Weight = clampWeight(w)
	s.ew = s.Weight * BEWeightScale
	r.c.changed(s)
}

// TakeConn counts a connection on s.
func (r *Random) TakeConn(s *Server) { r.mu.Lock(); r.c.p.take(s); r.mu.Unlock() }

// DropConn counts the end of a connection on s.
func (r *Random) DropConn(s *Server) {
	r.mu.Lock()
	r.c.p.drop(s)
	r.mu.Unlock()
}

// SetPending sets the number of connections queued on s.
func (r *Random) SetPending(s *Server, n int) { r.mu.Lock(); s.pending = n; r.mu.Unlock() }
