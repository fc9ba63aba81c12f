package balance

import "sort"

// chPoint is one occurrence of a server on the consistent hashing ring.
type chPoint struct {
	key uint32
	srv *Server
}

// chashRing is haproxy's lb_chash tree for one group: each usable server
// appears weight*16 times, its n-th point at FullHash(id*4096 + n). A key
// hash lands on the closest point (the one before it on a tie).
type chashRing struct {
	pts []chPoint
}

// chash holds the active and backup rings and the round-robin cursor used
// when a hash key is missing.
type chash struct {
	p *pool
	// factor is "hash-balance-factor" (0: off): a server whose load
	// exceeds factor% of its weighted share is skipped.
	factor int
	act    chashRing
	bck    chashRing
	last   int // index of the last point returned by next, -1 for none
	// lastKey/lastSrv identify that point across rebuilds.
	lastKey uint32
	lastSrv *Server
}

func newCHash(p *pool) *chash {
	p.scaledWeights()
	p.recount()
	c := &chash{p: p, last: -1}
	c.rebuild()
	return c
}

// PointKey is the position of the n-th point of the server with id on the
// consistent hashing ring.
func PointKey(id, n int) uint32 { return FullHash(uint32(id*srvEWRange + n)) }

func (c *chash) rebuild() {
	na, nb := 0, 0
	for _, s := range c.p.srv {
		if s.usable {
			if s.Backup {
				nb += s.ew
			} else {
				na += s.ew
			}
		}
	}
	c.act.pts = c.act.pts[:0]
	c.bck.pts = c.bck.pts[:0]
	if cap(c.act.pts) < na {
		c.act.pts = make([]chPoint, 0, na)
	}
	if cap(c.bck.pts) < nb {
		c.bck.pts = make([]chPoint, 0, nb)
	}
	for _, s := range c.p.srv {
		if !s.usable {
			continue
		}
		r := &c.act
		if s.Backup {
			r = &c.bck
		}
		for n := 0; n < s.ew; n++ {
			r.pts = append(r.pts, chPoint{PointKey(s.ID, n), s})
		}
	}
	// Stable: equal keys keep insertion order, as duplicates in eb32 trees.
	sort.SliceStable(c.act.pts, func(i, j int) bool { return c.act.pts[i].key < c.act.pts[j].key })
	sort.SliceStable(c.bck.pts, func(i, j int) bool { return c.bck.pts[i].key < c.bck.pts[j].key })
	c.last = -1
	if c.lastSrv != nil {
		r := c.ring()
		if r != nil {
			for i, pt := range r.pts {
				if pt.key == c.lastKey && pt.srv == c.lastSrv {
					c.last = i
					break
				}
			}
			if c.last < 0 {
				// the point left the tree: continue from where it was
				i := sort.Search(len(r.pts), func(i int) bool { return r.pts[i].key >= c.lastKey })
				c.last = i - 1
				if c.last < 0 && len(r.pts) > 0 {
					c.last = len(r.pts) - 1
				}
			}
		}
	}
}

// ring returns the ring in use, or nil when only the first backup serves
// (or nothing does).
func (c *chash) ring() *chashRing {
	switch {
	case c.p.srvAct > 0:
		return &c.act
	case c.p.fbck != nil:
		return nil
	case c.p.srvBck > 0:
		return &c.bck
	}
	return nil
}

// lookup is chash_get_server_hash.
func (c *chash) lookup(h uint32, avoid *Server) *Server {
	p := c.p
	if p.srvAct == 0 && p.fbck != nil {
		return p.fbck
	}
	r := c.ring()
	if r == nil || len(r.pts) == 0 {
		return nil
	}
	pts := r.pts
	n := len(pts)
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if pts[m].key < h {
			lo = m + 1
		} else {
			hi = m
		}
	}
	next := lo
	if next == n {
		next = 0
	}
	prev := next - 1
	if prev < 0 {
		prev = n - 1
	}
	dp := h - pts[prev].key
	dn := pts[next].key - h
	if dp <= dn {
		next = prev
	}
	s := pts[next].srv
	loops := 0
	for s == avoid || (c.factor > 0 && !c.eligible(s)) {
		next++
		if next == n {
			next = 0
			loops++
			if loops > 1 {
				break
			}
		}
		s = pts[next].srv
	}
	return s
}

// eligible is the bounded-load test of "hash-balance-factor": s may take
// one more connection if its load stays within its share of factor% of the
// backend's connections (plus this one), the share following the weights.
func (c *chash) eligible(s *Server) bool {
	p := c.p
	if p.totWeight == 0 {
		return true
	}
	tot := ((p.served+1)*c.factor + 99) / 100
	per, rem := tot/p.totWeight, tot%p.totWeight
	slots := s.ew*per + ((s.cumw+s.ew)*rem)/p.totWeight - (s.cumw*rem)/p.totWeight
	if slots == 0 {
		slots = 1
	}
	return s.served < slots
}

// next is chash_get_next_server: walk the ring from the last point.
func (c *chash) next(avoid *Server) *Server {
	p := c.p
	if p.srvAct == 0 && p.fbck != nil {
		return p.fbck
	}
	r := c.ring()
	if r == nil || len(r.pts) == 0 {
		return nil
	}
	n := len(r.pts)
	node := c.last
	stop := node
	var srv, avoided *Server
	avoidedNode := -1
	for {
		if node >= 0 {
			node++
			if node >= n {
				node = -1
			}
		}
		if node < 0 {
			node = 0
		}
		c.setLast(r, node)
		if stop < 0 {
			stop = node
		}
		s := r.pts[node].srv
		if !s.full() {
			if s != avoid {
				srv = s
				break
			}
			avoided, avoidedNode = s, node
		}
		if node == stop {
			break
		}
	}
	if srv == nil {
		srv = avoided
		if avoidedNode >= 0 {
			c.setLast(r, avoidedNode)
		} else {
			c.last, c.lastSrv = -1, nil
		}
	}
	return srv
}

func (c *chash) setLast(r *chashRing, i int) {
	c.last = i
	c.lastKey, c.lastSrv = r.pts[i].key, r.pts[i].srv
}

func (c *chash) changed(s *Server) {
	c.p.recount()
	c.rebuild()
	s.prevEW = s.ew
}
