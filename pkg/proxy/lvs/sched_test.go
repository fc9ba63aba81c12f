package lvs

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

func mkBackends(weights ...int) []*backend {
	var bs []*backend
	for i, w := range weights {
		a := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)}), 80)
		bs = append(bs, &backend{d: &Dest{Addr: a}, addr: a, weight: w})
	}
	return bs
}

func name(bs []*backend, b *backend) string {
	for i, x := range bs {
		if x == b {
			return string(rune('A' + i))
		}
	}
	return "-"
}

func sequence(s scheduler, bs []*backend, n int) string {
	s.changed(bs)
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, name(bs, s.pick(bs, netip.Addr{}, netip.Addr{})))
	}
	return strings.Join(out, "")
}

// The sequences are those of the kernel's ip_vs_rr.c and ip_vs_wrr.c for
// destinations A, B, C added in that order.
func TestRoundRobinSequences(t *testing.T) {
	for _, tc := range []struct {
		algo    string
		weights []int
		want    string
	}{
		{"rr", []int{1, 1, 1}, "ABCABCABC"},
		{"rr", []int{5, 1, 1}, "ABCABCABC"}, // rr ignores weights
		{"rr", []int{1, 0, 1}, "ACACACACA"}, // weight 0: no new connections
		{"rr", []int{0, 0, 0}, "---------"},
		{"wrr", []int{4, 3, 2}, "AABABCABC"},
		{"wrr", []int{1, 1, 1}, "ABCABCABC"},
		{"wrr", []int{2, 1, 0}, "AABAABAAB"},
		{"wrr", []int{4, 2, 2}, "AABCAABCA"}, // gcd 2: mw=3, cw 3,1
		{"wrr", []int{0, 0, 0}, "---------"},
		{"wrr", []int{3, 1}, "AAABAAABA"},
	} {
		s, ok := newScheduler(tc.algo, nil)
		if !ok {
			t.Fatal(tc.algo)
		}
		if got := sequence(s, mkBackends(tc.weights...), 9); got != tc.want {
			t.Errorf("%s %v: got %s, want %s", tc.algo, tc.weights, got, tc.want)
		}
	}
}

func TestRoundRobinRestartsOnChange(t *testing.T) {
	bs := mkBackends(1, 1, 1)
	s, _ := newScheduler("rr", nil)
	s.changed(bs)
	s.pick(bs, netip.Addr{}, netip.Addr{})
	s.pick(bs, netip.Addr{}, netip.Addr{})
	bs[0].weight = 2
	s.changed(bs)
	if got := name(bs, s.pick(bs, netip.Addr{}, netip.Addr{})); got != "A" {
		t.Errorf("after a change rr restarts at the head; got %s", got)
	}
}

func TestLeastConnections(t *testing.T) {
	for _, tc := range []struct {
		algo    string
		weights []int
		active  []int64
		want    string
	}{
		{"lc", []int{1, 1, 1}, []int64{2, 1, 1}, "B"},
		{"lc", []int{1, 0, 1}, []int64{2, 0, 1}, "C"},
		{"wlc", []int{1, 3, 1}, []int64{1, 2, 1}, "B"}, // 2/3 < 1/1
		{"wlc", []int{1, 1, 1}, []int64{0, 0, 0}, "A"}, // ties: first
		{"sed", []int{1, 2}, []int64{0, 1}, "A"},       // (0+1)/1 = (1+1)/2: first
		{"sed", []int{1, 3}, []int64{0, 1}, "B"},       // 2/3 < 1
		{"nq", []int{1, 3}, []int64{0, 1}, "A"},        // idle first
		{"nq", []int{1, 3}, []int64{1, 1}, "B"},
		{"lblc", []int{1, 3}, []int64{1, 2}, "B"}, // scheduled as wlc
		{"fo", []int{1, 3, 2}, []int64{0, 9, 0}, "B"},
		{"ovf", []int{1, 3, 2}, []int64{0, 3, 0}, "C"},
	} {
		bs := mkBackends(tc.weights...)
		for i, a := range tc.active {
			bs[i].active.Store(a)
		}
		s, _ := newScheduler(tc.algo, nil)
		s.changed(bs)
		if got := name(bs, s.pick(bs, netip.Addr{}, netip.Addr{})); got != tc.want {
			t.Errorf("%s weights %v active %v: got %s, want %s", tc.algo, tc.weights, tc.active, got, tc.want)
		}
	}
}

func TestSourceHashing(t *testing.T) {
	bs := mkBackends(1, 1, 1)
	s, _ := newScheduler("sh", nil)
	s.changed(bs)
	count := map[string]int{}
	first := map[netip.Addr]string{}
	for i := 0; i < 300; i++ {
		c := netip.AddrFrom4([4]byte{192, 168, byte(i / 256), byte(i)})
		got := name(bs, s.pick(bs, c, netip.Addr{}))
		first[c] = got
		count[got]++
	}
	if len(count) != 3 {
		t.Fatalf("sh uses %v", count)
	}
	for c, want := range first {
		if got := name(bs, s.pick(bs, c, netip.Addr{})); got != want {
			t.Fatalf("sh is not stable for %s: %s then %s", c, want, got)
		}
	}
	// without sh-fallback a client whose server has weight 0 gets none
	bs[0].weight = 0
	s.changed(bs)
	for c, was := range first {
		got := name(bs, s.pick(bs, c, netip.Addr{}))
		if was == "A" && got != "-" {
			t.Fatalf("sh without fallback sent %s to %s", c, got)
		}
		if was != "A" && got != was {
			t.Fatalf("sh moved %s from %s to %s", c, was, got)
		}
	}
	fb, _ := newScheduler("sh", map[string]bool{"sh-fallback": true})
	fb.changed(bs)
	for c := range first {
		if got := name(bs, fb.pick(bs, c, netip.Addr{})); got == "-" || got == "A" {
			t.Fatalf("sh-fallback gave %s to %s", got, c)
		}
	}
}

func TestMaglevHashing(t *testing.T) {
	bs := mkBackends(1, 1, 1, 1)
	s, _ := newScheduler("mh", nil)
	s.changed(bs)
	before := map[netip.Addr]string{}
	count := map[string]int{}
	for i := 0; i < 2000; i++ {
		c := netip.AddrFrom4([4]byte{172, 16, byte(i / 256), byte(i)})
		before[c] = name(bs, s.pick(bs, c, netip.Addr{}))
		count[before[c]]++
	}
	for k, n := range count {
		if n < 300 || n > 700 {
			t.Errorf("mh spread uneven: %s got %d of 2000 (%v)", k, n, count)
		}
	}
	// removing D moves only D's clients
	bs = bs[:3]
	s.changed(bs)
	moved := 0
	for c, was := range before {
		got := name(bs, s.pick(bs, c, netip.Addr{}))
		if was != "D" && got != was {
			moved++
		}
	}
	if moved > len(before)/10 {
		t.Errorf("mh moved %d clients of surviving servers", moved)
	}
}

func TestUnknownScheduler(t *testing.T) {
	if _, ok := newScheduler("bogus", nil); ok {
		t.Fatal("bogus accepted")
	}
	for _, a := range []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh", "fo", "ovf"} {
		s, ok := newScheduler(a, map[string]bool{})
		if !ok {
			t.Errorf("%s refused", a)
			continue
		}
		if b := s.pick(nil, netip.Addr{}, netip.Addr{}); b != nil {
			t.Errorf("%s picked from nothing", a)
		}
		_ = fmt.Sprint(a)
	}
}
