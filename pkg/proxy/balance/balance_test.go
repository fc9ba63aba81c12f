package balance

import (
	"fmt"
	"strings"
	"testing"
)

func TestHashFunctions(t *testing.T) {
	cases := []struct {
		f    HashFunc
		in   string
		want uint32
	}{
		{CRC32, "123456789", 0xcbf43926},
		{CRC32, "", 0},
		{SDBM, "", 0},
		{SDBM, "a", 97},
		{SDBM, "ab", 97*65599 + 98},
		{DJB2, "", 5381},
		{DJB2, "a", 5381*33 + 97},
		{DJB2, "ab", (5381*33+97)*33 + 98},
		{WT6, "", 0xa53c965a ^ 0x5ca6953a},
	}
	for _, c := range cases {
		if got := c.f.Sum([]byte(c.in)); got != c.want {
			t.Errorf("%s(%q) = %#x, want %#x", c.f, c.in, got, c.want)
		}
		if got := c.f.SumString(c.in); got != c.want {
			t.Errorf("%s.SumString(%q) = %#x, want %#x", c.f, c.in, got, c.want)
		}
	}
	// Sum and SumString agree on longer inputs for every function.
	for _, f := range []HashFunc{SDBM, DJB2, WT6, CRC32} {
		for _, s := range []string{"x", "hello world", "/a/b/c?d=e", strings.Repeat("0123456789", 20)} {
			if f.Sum([]byte(s)) != f.SumString(s) {
				t.Errorf("%s: Sum and SumString differ on %q", f, s)
			}
		}
		if g, ok := ParseHashFunc(f.String()); !ok || g != f {
			t.Errorf("ParseHashFunc(%q) = %v, %v", f.String(), g, ok)
		}
	}
	if _, ok := ParseHashFunc("md5"); ok {
		t.Error("ParseHashFunc accepted md5")
	}
	// FullHash is a bijection-like mixer: no collisions on a small range.
	seen := map[uint32]bool{}
	for i := uint32(0); i < 100000; i++ {
		h := FullHash(i)
		if seen[h] {
			t.Fatalf("FullHash collision at %d", i)
		}
		seen[h] = true
	}
}

func TestSourceFold(t *testing.T) {
	cases := []struct {
		addr []byte
		v6   bool
		want uint32
	}{
		{[]byte{127, 0, 0, 1}, false, 0x7f000001},
		{[]byte{10, 1, 2, 3}, false, 0x0a010203},
		{[]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, true, 0x20010db8 ^ 1},
		{[]byte{1, 2, 3, 4, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0}, true, 0},
	}
	for _, c := range cases {
		if got := SourceFold(c.addr, c.v6); got != c.want {
			t.Errorf("SourceFold(%v) = %#x, want %#x", c.addr, got, c.want)
		}
	}
}

func TestURIKey(t *testing.T) {
	cases := []struct {
		uri      string
		whole    bool
		n, depth int
		want     string
	}{
		{"/a/b/c?x=1", false, 0, 0, "/a/b/c"},
		{"/a/b/c?x=1", true, 0, 0, "/a/b/c?x=1"},
		{"/a/b/c?x=1", false, 0, 1, "/a"},
		{"/a/b/c?x=1", false, 0, 2, "/a/b"},
		{"/a/b/c?x=1", false, 4, 0, "/a/b"},
		{"/a/b/c?x=1", true, 8, 0, "/a/b/c?x"},
		{"/", false, 0, 1, "/"},
		{"", false, 0, 0, ""},
	}
	for _, c := range cases {
		if got := uriKey(c.uri, c.whole, c.n, c.depth); got != c.want {
			t.Errorf("uriKey(%q, whole=%v, len=%d, depth=%d) = %q, want %q", c.uri, c.whole, c.n, c.depth, got, c.want)
		}
	}
	paths := map[string]string{
		"/x?y":              "/x?y",
		"http://h/p/q?r":    "/p/q?r",
		"https://h:8443":    "",
		"*":                 "*",
		"h.example.com:443": "",
		"http://user@h/a":   "/a",
	}
	for in, want := range paths {
		if got := uriPath(in); got != want {
			t.Errorf("uriPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParams(t *testing.T) {
	cases := []struct {
		uri, name, want string
		ok              bool
	}{
		{"/p?user=bob", "user", "bob", true},
		{"/p?id=1&user=bob&x=2", "user", "bob", true},
		{"/p?user=", "user", "", true},
		{"/p?username=bob", "user", "", false},
		{"/p?x=user=bob", "user", "", false},
		{"/p", "user", "", false},
		{"/p?a&user=z", "user", "z", true},
	}
	for _, c := range cases {
		got, ok := queryParam(c.uri, c.name)
		if got != c.want || ok != c.ok {
			t.Errorf("queryParam(%q, %q) = %q, %v; want %q, %v", c.uri, c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestDomainOnly(t *testing.T) {
	cases := map[string]string{
		"www.example.com":    "example",
		"example.com":        "example",
		"a.b.c.example.org":  "example",
		"localhost":          "localhost",
		"shop.example.co.uk": "co",
		"x.y":                "x",
		".com":               ".com",
		"":                   "",
	}
	for in, want := range cases {
		if got := domainOnly(in); got != want {
			t.Errorf("domainOnly(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAutoIDs(t *testing.T) {
	// Observed on haproxy 2.6 with "show servers state".
	cases := []struct {
		ids, want []int
	}{
		{[]int{0, 0, 0}, []int{1, 2, 3}},
		{[]int{7, 3, 0}, []int{7, 3, 4}},
		{[]int{0, 5, 0, 2, 0, 0, 4, 0}, []int{1, 5, 3, 2, 6, 7, 4, 9}},
	}
	for _, c := range cases {
		var ss []*Server
		for i, id := range c.ids {
			ss = append(ss, &Server{Name: fmt.Sprint("s", i+1), Weight: 1, ID: id})
		}
		if _, err := New(Config{}, ss); err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, s := range ss {
			got = append(got, s.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("ids %v: got %v, want %v", c.ids, got, c.want)
		}
	}
}

func srvs(ws ...int) []*Server {
	var ss []*Server
	for i, w := range ws {
		ss = append(ss, &Server{Name: fmt.Sprintf("s%d", i+1), Weight: w})
	}
	return ss
}

func seq(a Algorithm, n int, k Key) string {
	var out []string
	for i := 0; i < n; i++ {
		s := a.Pick(k)
		out = append(out, s.String())
		if s != nil {
			a.TakeConn(s)
			a.DropConn(s)
		}
	}
	return strings.Join(out, " ")
}

func TestSequences(t *testing.T) {
	// Orders observed on haproxy 2.6 (see the oracle tests).
	cases := []struct {
		alg  string
		ss   []*Server
		allb bool
		n    int
		want string
	}{
		{"roundrobin", srvs(3, 1, 1), false, 10, "s1 s1 s2 s1 s3 s1 s1 s2 s1 s3"},
		{"roundrobin", srvs(1, 1, 1), false, 6, "s1 s2 s3 s1 s2 s3"},
		{"roundrobin", srvs(2, 0, 1), false, 6, "s1 s1 s3 s1 s1 s3"},
		{"static-rr", srvs(3, 1, 1), false, 10, "s1 s1 s2 s1 s3 s1 s1 s2 s1 s3"},
		{"leastconn", srvs(1, 2, 3), false, 6, "s1 s2 s3 s1 s2 s3"},
		{"first", srvs(1, 1, 1), false, 3, "s1 s1 s1"},
		{"roundrobin", []*Server{{Name: "a"}, {Name: "b", Weight: 1, Backup: true}, {Name: "c", Weight: 1, Backup: true}}, false, 4, "b b b b"},
		{"roundrobin", []*Server{{Name: "a"}, {Name: "b", Weight: 3, Backup: true}, {Name: "c", Weight: 1, Backup: true}}, true, 8, "b b b c b b b c"},
		{"leastconn", []*Server{{Name: "a", Weight: 1, Down: true}, {Name: "b", Weight: 1, Backup: true}}, false, 2, "b b"},
		{"static-rr", []*Server{{Name: "a", Weight: 0}}, false, 2, "<nil> <nil>"},
		{"roundrobin", []*Server{{Name: "a", Weight: 0}}, false, 2, "<nil> <nil>"},
	}
	for _, c := range cases {
		t.Run(c.alg, func(t *testing.T) {
			a, err := New(Config{Algorithm: c.alg, AllBackups: c.allb}, c.ss)
			if err != nil {
				t.Fatal(err)
			}
			if got := seq(a, c.n, Key{}); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestRoundRobinDynamic(t *testing.T) {
	ss := srvs(1, 1, 1)
	a, _ := New(Config{Algorithm: "roundrobin"}, ss)
	seq(a, 4, Key{})
	a.SetUp(ss[1], false)
	got := seq(a, 6, Key{})
	if strings.Contains(got, "s2") {
		t.Errorf("down server picked: %s", got)
	}
	a.SetUp(ss[1], true)
	if got := seq(a, 30, Key{}); strings.Count(got, "s2") != 10 {
		t.Errorf("after up, s2 not back to a third: %s", got)
	}
	a.SetWeight(ss[0], 4)
	if got := seq(a, 60, Key{}); strings.Count(got, "s1") < 38 || strings.Count(got, "s1") > 42 {
		t.Errorf("after weight 4, s1 got %d/60: %s", strings.Count(got, "s1"), got)
	}
	a.SetDrain(ss[0], true)
	if got := seq(a, 10, Key{}); strings.Contains(got, "s1") {
		t.Errorf("draining server picked: %s", got)
	}
	a.SetDrain(ss[0], false)
	a.SetWeight(ss[2], 0)
	if got := seq(a, 10, Key{}); strings.Contains(got, "s3") {
		t.Errorf("weight 0 server picked: %s", got)
	}
	for _, s := range ss {
		a.SetUp(s, false)
	}
	if s := a.Pick(Key{}); s != nil {
		t.Errorf("all down: picked %s", s)
	}
}

func TestAvoid(t *testing.T) {
	for _, alg := range []string{"roundrobin", "static-rr", "leastconn", "first"} {
		ss := srvs(1, 1)
		a, _ := New(Config{Algorithm: alg}, ss)
		for i := 0; i < 4; i++ {
			if s := a.Pick(Key{Avoid: ss[0]}); s != ss[1] {
				t.Errorf("%s: avoiding s1 picked %s", alg, s)
			}
		}
		one := srvs(1)
		a, _ = New(Config{Algorithm: alg}, one)
		if s := a.Pick(Key{Avoid: one[0]}); s != one[0] {
			t.Errorf("%s: the only server must still be picked when avoided, got %s", alg, s)
		}
	}
	// consistent hashing walks to the next point of another server
	ss := srvs(1, 1, 1)
	h, _ := New(Config{Algorithm: "source", Consistent: true, Avalanche: true}, ss)
	k := SrcIPv4([4]byte{10, 0, 0, 1})
	first := h.Pick(k)
	k.Avoid = first
	if s := h.Pick(k); s == first || s == nil {
		t.Errorf("consistent avoid: got %s again", s)
	}
}

func TestHashStickiness(t *testing.T) {
	for _, consistent := range []bool{false, true} {
		ss := srvs(1, 2, 3)
		a, _ := New(Config{Algorithm: "source", Consistent: consistent, Avalanche: true}, ss)
		before := map[byte]*Server{}
		for i := 0; i < 200; i++ {
			before[byte(i)] = a.Pick(SrcIPv4([4]byte{10, 0, 1, byte(i)}))
		}
		a.SetUp(ss[0], false)
		moved := 0
		for i := 0; i < 200; i++ {
			s := a.Pick(SrcIPv4([4]byte{10, 0, 1, byte(i)}))
			if s == ss[0] {
				t.Fatal("down server picked")
			}
			if before[byte(i)] != ss[0] && s != before[byte(i)] {
				moved++
			}
		}
		if consistent && moved != 0 {
			t.Errorf("consistent: %d keys of live servers moved", moved)
		}
		if !consistent && moved == 0 {
			t.Errorf("map-based: expected a redistribution")
		}
	}
}

func TestHashFallback(t *testing.T) {
	for _, consistent := range []bool{false, true} {
		ss := srvs(1, 1, 1)
		a, _ := New(Config{Algorithm: "url_param", Param: "id", Consistent: consistent}, ss)
		seen := map[*Server]bool{}
		for i := 0; i < 30; i++ {
			seen[a.Pick(Key{URI: "/no/param"})] = true
		}
		if len(seen) != 3 {
			t.Errorf("consistent=%v: fallback round robin reached %d servers", consistent, len(seen))
		}
		s1 := a.Pick(Key{URI: "/?id=42"})
		for i := 0; i < 5; i++ {
			if a.Pick(Key{URI: "/?id=42"}) != s1 {
				t.Error("same parameter, different server")
			}
		}
	}
	// check_post: the parameter is found in the body
	a, _ := New(Config{Algorithm: "url_param", Param: "id", CheckPost: true}, srvs(1, 1, 1))
	h := a.(*Hash)
	v1, ok1 := h.KeyHash(Key{URI: "/", Body: "a=1&id=42"})
	v2, ok2 := h.KeyHash(Key{URI: "/?id=42"})
	if !ok1 || !ok2 || v1 != v2 {
		t.Errorf("check_post: %v %v %v %v", v1, ok1, v2, ok2)
	}
	if _, err := New(Config{Algorithm: "url_param"}, srvs(1)); err == nil {
		t.Error("url_param without a name accepted")
	}
}

func TestRandom(t *testing.T) {
	ss := srvs(1, 1, 2)
	a, err := NewRandom(ss, false, 2, 42)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for i := 0; i < 4000; i++ {
		s := a.Pick(Key{})
		counts[s.Name]++
	}
	if counts["s3"] < counts["s1"] || counts["s1"] == 0 || counts["s2"] == 0 {
		t.Errorf("random distribution: %v", counts)
	}
	// power of two choices: a loaded server loses against an idle one
	for i := 0; i < 50; i++ {
		a.TakeConn(ss[2])
	}
	counts = map[string]int{}
	for i := 0; i < 1000; i++ {
		counts[a.Pick(Key{}).Name]++
	}
	if counts["s3"] > 300 {
		t.Errorf("random(2) kept picking the loaded server: %v", counts)
	}
	ss[0].Maxconn = 1
	a.SetUp(ss[1], false)
	a.SetUp(ss[2], false)
	a.TakeConn(ss[0])
	if s := a.Pick(Key{}); s != nil {
		t.Errorf("full server returned: %s", s)
	}
}

func TestNewErrors(t *testing.T) {
	if a, err := New(Config{}, nil); err != nil || a.Pick(Key{}) != nil {
		t.Errorf("a backend without servers: %v, %v; want an algorithm that picks nothing", a, err)
	}
	if _, err := New(Config{Algorithm: "nope"}, srvs(1)); err == nil {
		t.Error("unknown algorithm accepted")
	}
	if _, err := New(Config{}, srvs(257)); err == nil {
		t.Error("weight 257 accepted")
	}
}

func TestConcurrentUse(t *testing.T) {
	for _, c := range []Config{{Algorithm: "roundrobin"}, {Algorithm: "leastconn"}, {Algorithm: "source", Consistent: true}, {Algorithm: "random"}, {Algorithm: "static-rr"}} {
		ss := srvs(1, 2, 3, 4)
		a, err := New(c, ss)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		for g := 0; g < 4; g++ {
			go func(g int) {
				defer func() { done <- struct{}{} }()
				for i := 0; i < 500; i++ {
					k := SrcIPv4([4]byte{10, 0, byte(g), byte(i)})
					if s := a.Pick(k); s != nil {
						a.TakeConn(s)
						a.DropConn(s)
					}
					if i%50 == 0 {
						a.SetUp(ss[g], i%100 != 0)
						a.SetWeight(ss[(g+1)%4], 1+i%5)
					}
				}
			}(g)
		}
		for g := 0; g < 4; g++ {
			<-done
		}
		for _, s := range ss {
			if s.Served() != 0 {
				t.Errorf("%s: %s still counts %d connections", c.Algorithm, s, s.Served())
			}
		}
	}
}
