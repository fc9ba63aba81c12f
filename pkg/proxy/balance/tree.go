package balance

// srvTree is an ordered multiset of servers by key, in which equal keys keep
// their insertion order (as haproxy's eb32 trees with duplicates do: a new
// duplicate goes after the existing ones). Backends hold few servers, so a
// sorted slice is both simple and fast; it never allocates once its
// capacity covers all servers.
type srvTree struct {
	s []*Server
}

func newSrvTree(n int) *srvTree { return &srvTree{s: make([]*Server, 0, n)} }

// insert places s by s.key after every server with a key <= s.key.
func (t *srvTree) insert(s *Server) {
	lo, hi := 0, len(t.s)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.s[m].key <= s.key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	t.s = append(t.s, nil)
	copy(t.s[lo+1:], t.s[lo:])
	t.s[lo] = s
	s.tree = t
}

// remove takes s out of t if it is there.
func (t *srvTree) remove(s *Server) {
	for i, x := range t.s {
		if x == s {
			copy(t.s[i:], t.s[i+1:])
			t.s[len(t.s)-1] = nil
			t.s = t.s[:len(t.s)-1]
			return
		}
	}
}

func (t *srvTree) first() *Server {
	if len(t.s) == 0 {
		return nil
	}
	return t.s[0]
}

// dequeue removes s from whatever tree holds it (its tree pointer stays).
func dequeue(s *Server) {
	if s.tree != nil {
		s.tree.remove(s)
	}
}
