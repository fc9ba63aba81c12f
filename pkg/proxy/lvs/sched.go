package lvs

import (
	"encoding/binary"
	"hash/fnv"
	"net/netip"
	"sync/atomic"
)

// backend is one destination of a forwarded service.
type backend struct {
	d      *Dest
	addr   netip.AddrPort
	weight int
	active atomic.Int64 // open connections (IPVS ActiveConn)
}

// overhead is IPVS's ip_vs_dest_conn_overhead without inactive
// connections (the userspace forwarder has no TIME_WAIT entries).
func (b *backend) overhead() int64 { return b.active.Load() }

// scheduler picks a destination for a new connection with the semantics
// of the kernel's IPVS scheduler of the same name. Calls are serialised
// by the caller; changed is called whenever destinations or weights
// change (as IPVS's update_service).
type scheduler interface {
	pick(bs []*backend, client, local netip.Addr) *backend
	changed(bs []*backend)
}

// newScheduler returns the scheduler for lb_algo. lblc and lblcr (which
// keep per destination-address server sets, meaningless for one virtual
// address) are scheduled as wlc, the choice they fall back to.
func newScheduler(algo string, flags map[string]bool) (scheduler, bool) {
	switch algo {
	case "rr":
		return &rrSched{}, true
	case "wrr":
		return &wrrSched{}, true
	case "lc":
		return lcSched{}, true
	case "wlc", "lblc", "lblcr":
		return wlcSched{}, true
	case "sed":
		return sedSched{}, true
	case "nq":
		return nqSched{}, true
	case "sh":
		return &hashSched{byDest: false, port: flags["sh-port"] || flags["flag-2"], fallback: flags["sh-fallback"] || flags["flag-1"]}, true
	case "dh":
		return &hashSched{byDest: true}, true
	case "mh":
		return &mhSched{port: flags["mh-port"] || flags["flag-2"], fallback: flags["mh-fallback"] || flags["flag-1"]}, true
	case "fo":
		return foSched{}, true
	case "ovf":
		return ovfSched{}, true
	}
	return nil, false
}

func usable(b *backend) bool { return b.weight > 0 }

// rrSched is ip_vs_rr: the destination after the last one picked,
// skipping weight 0; any change of the destinations restarts from the
// head of the list (ip_vs_rr_del_dest / update_svc).
type rrSched struct {
	last int // index of the last picked + 1; 0 = the list head
}

func (s *rrSched) changed([]*backend) { s.last = 0 }

func (s *rrSched) pick(bs []*backend, _, _ netip.Addr) *backend {
	n := len(bs)
	if n == 0 {
		return nil
	}
	if s.last > n {
		s.last = 0
	}
	for i := 0; i < n; i++ {
		j := (s.last + i) % n
		if usable(bs[j]) {
			s.last = j + 1
			return bs[j]
		}
	}
	return nil
}

// wrrSched is ip_vs_wrr: the classic interleaved weighted round robin
// over the weights' gcd steps, starting at the highest weight.
type wrrSched struct {
	cl     int // index of the last picked, -1 = list head
	cw     int // current weight
	mw, di int
	init   bool
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func (s *wrrSched) changed(bs []*backend) {
	g, mw := 0, 0
	for _, b := range bs {
		if b.weight > 0 {
			g = gcd(g, b.weight)
			mw = max(mw, b.weight)
		}
	}
	if g == 0 {
		g = 1
	}
	s.di, s.mw = g, mw-(g-1)
	if s.mw < 0 {
		s.mw = 0
	}
	if !s.init {
		s.cl, s.cw, s.init = -1, s.mw, true
		return
	}
	s.cl = -1
	if s.cw > s.mw {
		s.cw = 0
	}
}

func (s *wrrSched) pick(bs []*backend, _, _ netip.Addr) *backend {
	if !s.init {
		s.changed(bs)
	}
	if s.mw == 0 || len(bs) == 0 {
		return nil
	}
	if s.cl >= len(bs) {
		s.cl = -1
	}
	// at most (mw/di + 1) passes over the list
	for guard := 0; guard <= (s.mw/s.di+2)*(len(bs)+1); guard++ {
		s.cl++
		if s.cl >= len(bs) {
			s.cl = -1
			s.cw -= s.di
			if s.cw <= 0 {
				s.cw = s.mw
			}
			continue
		}
		if b := bs[s.cl]; b.weight > 0 && b.weight >= s.cw {
			return b
		}
	}
	return nil
}

// lcSched is ip_vs_lc: the least connections, first in list on ties.
type lcSched struct{}

func (lcSched) changed([]*backend) {}
func (lcSched) pick(bs []*backend, _, _ netip.Addr) *backend {
	var least *backend
	var loh int64
	for _, b := range bs {
		if !usable(b) {
			continue
		}
		if oh := b.overhead(); least == nil || oh < loh {
			least, loh = b, oh
		}
	}
	return least
}

// wlcSched is ip_vs_wlc: least overhead/weight.
type wlcSched struct{}

func (wlcSched) changed([]*backend) {}
func (wlcSched) pick(bs []*backend, _, _ netip.Addr) *backend {
	var least *backend
	var loh int64
	for _, b := range bs {
		if !usable(b) {
			continue
		}
		oh := b.overhead()
		if least == nil || loh*int64(b.weight) > oh*int64(least.weight) {
			least, loh = b, oh
		}
	}
	return least
}

// sedSched is ip_vs_sed: least (active+1)/weight.
type sedSched struct{}

func (sedSched) changed([]*backend) {}
func (sedSched) pick(bs []*backend, _, _ netip.Addr) *backend {
	var least *backend
	var loh int64
	for _, b := range bs {
		if !usable(b) {
			continue
		}
		oh := b.active.Load() + 1
		if least == nil || loh*int64(b.weight) > oh*int64(least.weight) {
			least, loh = b, oh
		}
	}
	return least
}

// nqSched is ip_vs_nq: an idle server first, otherwise sed.
type nqSched struct{}

func (nqSched) changed([]*backend) {}
func (nqSched) pick(bs []*backend, c, l netip.Addr) *backend {
	for _, b := range bs {
		if usable(b) && b.active.Load() == 0 {
			return b
		}
	}
	return sedSched{}.pick(bs, c, l)
}

// foSched is ip_vs_fo: the highest weight.
type foSched struct{}

func (foSched) changed([]*backend) {}
func (foSched) pick(bs []*backend, _, _ netip.Addr) *backend {
	var hw *backend
	for _, b := range bs {
		if usable(b) && (hw == nil || b.weight > hw.weight) {
			hw = b
		}
	}
	return hw
}

// ovfSched is ip_vs_ovf: the highest weight with fewer active
// connections than its weight.
type ovfSched struct{}

func (ovfSched) changed([]*backend) {}
func (ovfSched) pick(bs []*backend, _, _ netip.Addr) *backend {
	var hw *backend
	for _, b := range bs {
		if usable(b) && b.active.Load() < int64(b.weight) && (hw == nil || b.weight > hw.weight) {
			hw = b
		}
	}
	return hw
}

// hashSched is ip_vs_sh (source hashing) and ip_vs_dh (destination
// hashing): a 256-bucket table where each destination takes as many
// consecutive buckets as its weight, round after round.
type hashSched struct {
	byDest, port, fallback bool
	table                  [256]*backend
}

const shTabSize = 256

func (s *hashSched) changed(bs []*backend) {
	s.table = [256]*backend{}
	if len(bs) == 0 {
		return
	}
	i, used := 0, 0
	for b := 0; b < shTabSize; b++ {
		d := bs[i]
		s.table[b] = d
		used++
		if used >= max(d.weight, 1) {
			used = 0
			i = (i + 1) % len(bs)
		}
	}
}

// shHash is ip_vs_sh_hashkey: hash_32(port + offset + folded address, 8).
func shHash(a netip.Addr, offset uint32) uint32 {
	var v uint32
	if a.Is4() {
		b := a.As4()
		v = binary.BigEndian.Uint32(b[:])
	} else {
		b := a.As16()
		v = binary.BigEndian.Uint32(b[0:]) ^ binary.BigEndian.Uint32(b[4:]) ^ binary.BigEndian.Uint32(b[8:]) ^ binary.BigEndian.Uint32(b[12:])
	}
	v += offset
	return (v * 0x61C88647) >> (32 - 8)
}

func (s *hashSched) pick(bs []*backend, client, local netip.Addr) *backend {
	if s.table[0] == nil {
		s.changed(bs)
	}
	if s.table[0] == nil {
		return nil
	}
	a := client
	if s.byDest {
		a = local
	}
	if b := s.table[shHash(a, 0)]; b != nil && usable(b) {
		return b
	}
	if !s.fallback || s.byDest {
		return nil
	}
	// ip_vs_sh_get_fallback: rehash with growing offsets
	for off := uint32(1); off < shTabSize; off++ {
		if b := s.table[shHash(a, off)]; b != nil && usable(b) {
			return b
		}
	}
	return nil
}

// mhSched is ip_vs_mh: Maglev hashing over a prime-sized lookup table
// (the kernel's default size 4093). The permutation hashes differ from
// the kernel's (which are keyed by a random siphash key anyway); the
// properties are Maglev's: even spread by weight, minimal disruption.
type mhSched struct {
	port, fallback bool
	lookup         []*backend
}

const mhTabSize = 4093

func mhHash(s string, seed byte) uint64 {
	h := fnv.New64a()
	h.Write([]byte{seed})
	h.Write([]byte(s))
	return h.Sum64()
}

func (s *mhSched) changed(bs []*backend) {
	s.lookup = make([]*backend, mhTabSize)
	var live []*backend
	maxW := 0
	for _, b := range bs {
		if b.weight > 0 {
			live = append(live, b)
			maxW = max(maxW, b.weight)
		}
	}
	if len(live) == 0 {
		return
	}
	offset := make([]uint64, len(live))
	skip := make([]uint64, len(live))
	next := make([]uint64, len(live))
	turns := make([]int, len(live))
	for i, b := range live {
		k := b.addr.String()
		offset[i] = mhHash(k, 1) % mhTabSize
		skip[i] = mhHash(k, 2)%(mhTabSize-1) + 1
	}
	filled := 0
	for filled < mhTabSize {
		for i, b := range live {
			turns[i] += b.weight
			if turns[i] < maxW {
				continue
			}
			turns[i] -= maxW
			for {
				c := (offset[i] + next[i]*skip[i]) % mhTabSize
				next[i]++
				if s.lookup[c] == nil {
					s.lookup[c] = b
					filled++
					break
				}
			}
			if filled == mhTabSize {
				break
			}
		}
	}
}

func (s *mhSched) pick(bs []*backend, client, _ netip.Addr) *backend {
	if s.lookup == nil {
		s.changed(bs)
	}
	if len(s.lookup) == 0 || s.lookup[0] == nil {
		return nil
	}
	h := uint64(shHash(client, 0))*0x9E3779B97F4A7C15 + uint64(len(client.String()))
	b := client.As16()
	h ^= binary.BigEndian.Uint64(b[8:])
	idx := h % mhTabSize
	if d := s.lookup[idx]; usable(d) {
		return d
	}
	if !s.fallback {
		return nil
	}
	for i := uint64(1); i < mhTabSize; i++ {
		if d := s.lookup[(idx+i)%mhTabSize]; usable(d) {
			return d
		}
	}
	return nil
}
