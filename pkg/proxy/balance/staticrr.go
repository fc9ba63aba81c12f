package balance

import "sync"

// serverMap is haproxy's lb_map table: tot_weight slots where each usable
// server of the used group appears as often as its weight, spread so that
// the first declared server comes first among equal weights. Weights are
// divided by their greatest common divisor first, so the table is as short
// as possible (its length is the modulus of map-based hashing).
type serverMap struct {
	p     *pool
	table []*Server
	rrIdx int
}

func newServerMap(p *pool) *serverMap {
	g := 0
	for _, s := range p.srv {
		if s.Weight > 0 {
			g = gcd(g, s.Weight)
		}
	}
	if g == 0 {
		g = 1
	}
	act, bck := 0, 0
	for _, s := range p.srv {
		s.ew = (s.Weight + g - 1) / g
		if s.Backup {
			bck += s.ew
		} else {
			act += s.ew
		}
	}
	m := &serverMap{p: p, table: make([]*Server, 0, max(act, bck, 1))}
	p.recount()
	m.rebuild()
	return m
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// rebuild recomputes the table from the current usable servers.
func (m *serverMap) rebuild() {
	p := m.p
	m.table = m.table[:0]
	if p.totUsed == 0 {
		return
	}
	tot := p.totWeight
	backup := p.srvAct == 0
	for _, s := range p.srv {
		s.wscore = 0
	}
	for o := 0; o < tot; o++ {
		var best *Server
		bestV := 0
		for _, s := range p.srv {
			if !s.usable || s.Backup != backup {
				continue
			}
			if tot == 1 {
				best = s
				break
			}
			s.wscore += s.ew
			v := (s.wscore + tot) / tot
			if best == nil || v > bestV {
				best, bestV = s, v
			}
		}
		if best == nil {
			break
		}
		m.table = append(m.table, best)
		best.wscore -= tot
	}
}

// next is map_get_server_rr: the next slot whose server has room.
func (m *serverMap) next(avoid *Server) *Server {
	n := len(m.table)
	if n == 0 || m.p.totWeight == 0 {
		return nil
	}
	if m.rrIdx < 0 || m.rrIdx >= n {
		m.rrIdx = 0
	}
	idx := m.rrIdx
	var avoided *Server
	avoidIdx := 0
	for {
		s := m.table[idx]
		idx++
		if !s.full() {
			if s != avoid {
				m.rrIdx = idx
				return s
			}
			avoided, avoidIdx = s, idx
		}
		if idx == n {
			idx = 0
		}
		if idx == m.rrIdx {
			break
		}
	}
	if avoided != nil {
		m.rrIdx = avoidIdx
	}
	return avoided
}

// lookup is map_get_server_hash.
func (m *serverMap) lookup(h uint32) *Server {
	if len(m.table) == 0 {
		return nil
	}
	return m.table[h%uint32(len(m.table))]
}

// changed re-evaluates s after a state change. Map-based tables are static:
// a weight change on a usable server is ignored until it goes down and up.
func (m *serverMap) changed(s *Server) {
	if s.usable == willBeUsable(s) {
		return
	}
	m.p.recount()
	m.rebuild()
}

// StaticRR is "balance static-rr": round robin over haproxy's static server
// map (lb_map).
type StaticRR struct {
	mu sync.Mutex
	m  *serverMap
}

// NewStaticRR builds "balance static-rr" over servers.
func NewStaticRR(servers []*Server, allBackups bool) (*StaticRR, error) {
	p, err := newPool(servers, allBackups)
	if err != nil {
		return nil, err
	}
	return newStaticRR(p), nil
}

func newStaticRR(p *pool) *StaticRR { return &StaticRR{m: newServerMap(p)} }

// Pick returns the next server of the map with a free slot.
func (r *StaticRR) Pick(k Key) *Server {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m.next(k.Avoid)
}

// Servers returns the servers in declaration order.
func (r *StaticRR) Servers() []*Server { return r.m.p.srv }

// SetUp marks s up or down.
func (r *StaticRR) SetUp(s *Server, up bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s.Down = !up
	r.m.changed(s)
}

// SetDrain puts s in or out of drain.
func (r *StaticRR) SetDrain(s *Server, drain bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s.draining = drain
	r.m.changed(s)
}

// SetWeight changes the weight of s. As in haproxy, static algorithms only
// honour a change between zero and non-zero; the map keeps its proportions.
func (r *StaticRR) SetWeight(s *Server, w int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	setStaticWeight(s, w)
	r.m.changed(s)
}

func setStaticWeight(s *Server, w int) {
	w = clampWeight(w)
	if w == 0 {
		s.Weight = 0
		return
	}
	if s.Weight == 0 {
		s.Weight = w
		if s.ew == 0 {
			s.ew = 1
		}
	}
}

// TakeConn counts a connection on s.
func (r *StaticRR) TakeConn(s *Server) { r.mu.Lock(); r.m.p.take(s); r.mu.Unlock() }

// DropConn counts the end of a connection on s.
func (r *StaticRR) DropConn(s *Server) {
	r.mu.Lock()
	r.m.p.drop(s)
	r.mu.Unlock()
}

// SetPending sets the number of connections queued on s.
func (r *StaticRR) SetPending(s *Server, n int) { r.mu.Lock(); s.pending = n; r.mu.Unlock() }
