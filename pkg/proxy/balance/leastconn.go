package balance

import "sync"

// connTree is what leastconn and first share: per-group trees of servers
// ordered by a key, repositioned when connections start and end.
type connTree struct {
	mu  sync.Mutex
	p   *pool
	act *srvTree
	bck *srvTree
	// keyOf computes a server's position key.
	keyOf func(s *Server) uint32
	// saturated says a server must be skipped for now (nil: full).
	saturated func(s *Server) bool
}

func (c *connTree) init(p *pool, keyOf func(*Server) uint32) {
	c.p, c.keyOf = p, keyOf
	p.scaledWeights()
	p.recount()
	c.act, c.bck = newSrvTree(len(p.srv)), newSrvTree(len(p.srv))
	for _, s := range p.srv {
		s.tree = nil
		s.prevEW = s.ew
		if s.usable {
			c.enqueue(s)
		}
	}
}

func (c *connTree) enqueue(s *Server) {
	s.key = c.keyOf(s)
	if s.Backup {
		c.bck.insert(s)
	} else {
		c.act.insert(s)
	}
}

// reposition moves s to its new place after its load changed, behind the
// servers that already have the same key.
func (c *connTree) reposition(s *Server) {
	if s.tree == nil {
		return
	}
	s.tree.remove(s)
	c.enqueue(s)
}

func (c *connTree) pick(avoid *Server) *Server {
	p := c.p
	var t *srvTree
	switch {
	case p.srvAct > 0:
		t = c.act
	case p.fbck != nil:
		return p.fbck
	case p.srvBck > 0:
		t = c.bck
	default:
		return nil
	}
	var avoided *Server
	for _, s := range t.s {
		sat := s.full()
		if c.saturated != nil {
			sat = c.saturated(s)
		}
		if !sat {
			if s != avoid {
				return s
			}
			avoided = s
		}
	}
	return avoided
}

func (c *connTree) changed(s *Server) {
	was := s.usable
	if was == willBeUsable(s) && s.prevEW == s.ew {
		return // nothing changed for balancing
	}
	c.p.recount()
	now := s.usable
	switch {
	case was && !now:
		dequeue(s)
		s.tree = nil
	case !was && now:
		c.enqueue(s)
	case was && now:
		c.reposition(s)
	}
	s.prevEW = s.ew
}

// Servers returns the servers in declaration order.
func (c *connTree) Servers() []*Server { return c.p.srv }

// Pick returns the first server of the tree with a free slot.
func (c *connTree) Pick(k Key) *Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pick(k.Avoid)
}

// SetUp marks s up or down.
func (c *connTree) SetUp(s *Server, up bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.Down = !up
	c.changed(s)
}

// SetDrain puts s in or out of drain.
func (c *connTree) SetDrain(s *Server, drain bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.draining = drain
	c.changed(s)
}

// SetWeight changes the user weight of s.
func (c *connTree) SetWeight(s *Server, w int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.Weight = clampWeight(w)
	s.ew = s.Weight * BEWeightScale
	c.changed(s)
}

// TakeConn counts a connection on s and repositions it.
func (c *connTree) TakeConn(s *Server) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.p.take(s)
	c.reposition(s)
}

// DropConn counts the end of a connection on s and repositions it.
func (c *connTree) DropConn(s *Server) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.p.drop(s)
	c.reposition(s)
}

// SetPending sets the number of connections queued on s.
func (c *connTree) SetPending(s *Server, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.pending = n
	c.reposition(s)
}

// LeastConn is "balance leastconn" (lb_fwlc): the server with the fewest
// connections (served plus queued) relative to its weight. An idle server
// always comes first; among equal loads the server that has waited longest
// since its last change comes first, so idle servers take turns.
type LeastConn struct{ connTree }

// NewLeastConn builds "balance leastconn" over servers.
func NewLeastConn(servers []*Server, allBackups bool) (*LeastConn, error) {
	p, err := newPool(servers, allBackups)
	if err != nil {
		return nil, err
	}
	return newLeastConn(p), nil
}

func newLeastConn(p *pool) *LeastConn {
	l := &LeastConn{}
	l.init(p, leastConnKey)
	// haproxy 2.6's leastconn takes a full server while its queue has
	// room ("maxqueue"): the session then waits in that server's queue
	l.saturated = func(s *Server) bool {
		return s.Maxconn > 0 && s.served+s.pending >= s.maxconnNow()+s.Maxqueue
	}
	return l
}

func leastConnKey(s *Server) uint32 {
	inflight := s.served + s.pending
	if inflight == 0 || s.ew == 0 {
		return 0
	}
	return uint32((inflight + 1) * srvEWMax / s.ew)
}

// First is "balance first" (lb_fas): the server with the lowest id that has
// a free connection slot (servers without maxconn never fill up).
type First struct{ connTree }

// NewFirst builds "balance first" over servers.
func NewFirst(servers []*Server, allBackups bool) (*First, error) {
	p, err := newPool(servers, allBackups)
	if err != nil {
		return nil, err
	}
	return newFirst(p), nil
}

func newFirst(p *pool) *First {
	f := &First{}
	f.init(p, func(s *Server) uint32 { return uint32(s.ID) })
	return f
}
