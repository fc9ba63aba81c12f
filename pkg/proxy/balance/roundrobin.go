package balance

import "sync"

// rrGroup is one group (active or backup) of the weighted round robin. Its
// servers live in three trees: "curr" holds the servers scheduled in the
// current window, sorted by their next position; "init" holds the servers
// waiting to enter the window, heaviest first; "next" collects the servers
// pushed out of the window, which becomes "init" when the window wraps.
type rrGroup struct {
	curr       *srvTree
	t0, t1     *srvTree
	init, next *srvTree
	currPos    int
	currWeight int
	nextWeight int
}

// RoundRobin is "balance roundrobin": haproxy's fast weighted round robin
// (lb_fwrr), dynamic (weights may change at run time) and smooth.
type RoundRobin struct {
	mu  sync.Mutex
	p   *pool
	act rrGroup
	bck rrGroup
}

// NewRoundRobin builds "balance roundrobin" over servers.
func NewRoundRobin(servers []*Server, allBackups bool) (*RoundRobin, error) {
	p, err := newPool(servers, allBackups)
	if err != nil {
		return nil, err
	}
	return newRoundRobin(p), nil
}

func newRoundRobin(p *pool) *RoundRobin {
	r := &RoundRobin{p: p}
	p.scaledWeights()
	p.recount()
	n := len(p.srv)
	for _, g := range []*rrGroup{&r.act, &r.bck} {
		g.curr, g.t0, g.t1 = newSrvTree(n), newSrvTree(n), newSrvTree(n)
		g.init, g.next = g.t0, g.t1
	}
	r.act.currPos, r.act.currWeight, r.act.nextWeight = p.totWAct, p.totWAct, p.totWAct
	r.bck.currPos, r.bck.currWeight, r.bck.nextWeight = p.totWBck, p.totWBck, p.totWBck
	for _, s := range p.srv {
		s.tree = nil
		s.prevEW = s.ew
		if s.usable {
			queueByWeight(r.group(s).init, s)
		}
	}
	return r
}

func (r *RoundRobin) group(s *Server) *rrGroup {
	if s.Backup {
		return &r.bck
	}
	return &r.act
}

// Servers returns the servers in declaration order.
func (r *RoundRobin) Servers() []*Server { return r.p.srv }

func queueByWeight(t *srvTree, s *Server) {
	s.key = uint32(srvEWMax - s.ew)
	t.insert(s)
}

// queue puts s in the current window at its next position, or in the next
// tree when that position is beyond the window.
func (r *RoundRobin) queue(s *Server) {
	g := r.group(s)
	switch {
	case !s.usable:
		s.tree = nil
	case s.ew <= 0 || s.npos >= 2*g.currWeight || s.npos >= g.currWeight+g.nextWeight:
		s.npos -= g.currWeight
		queueByWeight(g.next, s)
	default:
		s.key = uint32(srvUWRange*s.npos + (srvEWMax+s.rw-s.ew)/BEWeightScale)
		g.curr.insert(s)
	}
}

// prepare adjusts s's position before it leaves the tree it is in.
func (r *RoundRobin) prepare(s *Server) {
	g := r.group(s)
	switch s.tree {
	case g.init:
		s.npos, s.rw = 0, 0
	case g.next:
		s.npos += g.currWeight
	case nil:
		s.npos = g.currPos
	}
}

func (g *rrGroup) switchTrees() {
	g.init, g.next = g.next, g.init
	g.currWeight = g.nextWeight
	g.currPos = g.currWeight
}

func (g *rrGroup) candidate() *Server {
	s1 := g.curr.first()
	if s1 != nil && s1.ew > 0 && s1.npos <= g.currPos {
		return s1
	}
	if s2 := g.init.first(); s2 != nil && s2.ew > 0 {
		s2.npos, s2.rw = 0, 0
		return s2
	}
	return s1
}

func (g *rrGroup) advance(s *Server) {
	ew := s.ew
	if ew == 0 {
		return
	}
	if s.npos == 0 {
		s.npos = g.currPos
	}
	s.lpos = s.npos
	s.npos += g.nextWeight / ew
	s.rw += g.nextWeight % ew
	if s.rw >= ew {
		s.rw -= ew
		s.npos++
	}
}

// Pick returns the next server in haproxy's weighted round robin order.
func (r *RoundRobin) Pick(k Key) *Server {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.p
	var g *rrGroup
	switch {
	case p.srvAct > 0:
		g = &r.act
	case p.fbck != nil:
		return p.fbck
	case p.srvBck > 0:
		g = &r.bck
	default:
		return nil
	}
	switched := false
	var srv, avoided *Server
	var fulls [8]*Server
	full := fulls[:0]
	for {
		if g.currWeight == 0 {
			g.currPos, g.currWeight = g.nextWeight, g.nextWeight
		}
		for {
			srv = g.candidate()
			if srv != nil {
				break
			}
			if switched {
				if avoided != nil {
					srv = avoided
					goto take
				}
				srv = nil
				goto requeue
			}
			switched = true
			g.switchTrees()
		}
		g.advance(srv)
		dequeue(srv)
		g.currPos++
		if !srv.full() {
			if srv != k.Avoid || avoided != nil {
				break
			}
			avoided = srv
		}
		full = append(full, srv)
	}
take:
	r.queue(srv)
requeue:
	for _, f := range full {
		if f == srv {
			continue
		}
		if switched {
			queueByWeight(g.init, f)
		} else {
			r.queue(f)
		}
	}
	return srv
}

// SetUp marks s up or down.
func (r *RoundRobin) SetUp(s *Server, up bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s.Down = !up
	r.changed(s)
}

// SetDrain puts s in or out of drain.
func (r *RoundRobin) SetDrain(s *Server, drain bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s.draining = drain
	r.changed(s)
}

// SetWeight changes the user weight of s.
func (r *RoundRobin) SetWeight(s *Server, w int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s.Weight = clampWeight(w)
	s.ew = s.Weight * BEWeightScale
	r.changed(s)
}

func clampWeight(w int) int {
	if w < 0 {
		return 0
	}
	if w > MaxWeight {
		return MaxWeight
	}
	return w
}

// changed applies a state or weight change of s, keeping the positions of
// the other servers (haproxy's fwrr_set_server_status_up/down and
// fwrr_update_server_weight).
func (r *RoundRobin) changed(s *Server) {
	was, prevEW := s.usable, s.prevEW
	now := willBeUsable(s)
	if was == now && prevEW == s.ew {
		return // nothing changed for balancing
	}
	g := r.group(s)
	switch {
	case !was && !now:
		s.usable = false
	case was && !now:
		g.nextWeight -= prevEW
		dequeue(s)
		s.tree = nil
		r.p.recount()
	case !was && now:
		r.p.recount()
		g.nextWeight += s.ew
		r.prepare(s)
		s.npos = g.currPos + (g.nextWeight+g.currWeight-g.currPos)/s.ew
		r.queue(s)
	default:
		g.nextWeight = g.nextWeight - prevEW + s.ew
		r.p.recount()
		switch s.tree {
		case g.init:
			dequeue(s)
			queueByWeight(g.init, s)
		case nil:
			r.prepare(s)
			s.npos = g.currPos + (g.nextWeight+g.currWeight-g.currPos)/s.ew
			r.queue(s)
		default:
			r.prepare(s)
			prevNext := s.npos
			step := g.nextWeight / s.ew
			s.npos = s.lpos + step
			s.rw = 0
			if s.npos > prevNext {
				s.npos = prevNext
			}
			if s.npos < g.currPos+2 {
				s.npos = g.currPos + step
			}
			dequeue(s)
			r.queue(s)
		}
	}
	s.prevEW = s.ew
}

// TakeConn counts a connection on s.
func (r *RoundRobin) TakeConn(s *Server) { r.mu.Lock(); r.p.take(s); r.mu.Unlock() }

// DropConn counts the end of a connection on s.
func (r *RoundRobin) DropConn(s *Server) {
	r.mu.Lock()
	r.p.drop(s)
	r.mu.Unlock()
}

// SetPending sets the number of connections queued on s.
func (r *RoundRobin) SetPending(s *Server, n int) { r.mu.Lock(); s.pending = n; r.mu.Unlock() }
