package balance

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestConfigFrom(t *testing.T) {
	cases := []struct {
		alg, param string
		draws      int
		opts       []string
		method, fn string
		aval       bool
		want       Config
		err        bool
	}{
		{alg: "roundrobin", want: Config{Algorithm: "roundrobin"}},
		{alg: "random", want: Config{Algorithm: "random", Draws: 2}},
		{alg: "source", method: "consistent", want: Config{Algorithm: "source", Consistent: true, Avalanche: true}},
		{alg: "source", method: "consistent", fn: "djb2", want: Config{Algorithm: "source", Consistent: true, Func: DJB2}},
		{alg: "source", method: "map-based", fn: "sdbm", aval: true, want: Config{Algorithm: "source", Avalanche: true}},
		{alg: "uri", opts: []string{"whole", "len", "12", "depth", "3", "path-only"}, want: Config{Algorithm: "uri", URIWhole: true, URILen: 12, URIDepth: 3, URIPathOnly: true}},
		{alg: "uri", opts: []string{"len"}, err: true},
		{alg: "uri", opts: []string{"depth", "x"}, err: true},
		{alg: "url_param", param: "id", opts: []string{"check_post", "64"}, want: Config{Algorithm: "url_param", Param: "id", CheckPost: true}},
		{alg: "hdr", param: "Host", opts: []string{"use_domain_only"}, want: Config{Algorithm: "hdr", Param: "Host", UseDomainOnly: true}},
		{alg: "hdr", param: "Host", opts: []string{"x"}, err: true},
		{alg: "rdp-cookie", want: Config{Algorithm: "rdp-cookie", Param: "mstshash"}},
		{alg: "source", method: "ring", err: true},
		{alg: "source", fn: "md5", err: true},
	}
	for _, c := range cases {
		got, err := ConfigFrom(c.alg, c.param, c.draws, c.opts, c.method, c.fn, c.aval)
		if (err != nil) != c.err {
			t.Errorf("%s %v: err = %v", c.alg, c.opts, err)
			continue
		}
		if !c.err && !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %v %s %s:\n got %+v\nwant %+v", c.alg, c.opts, c.method, c.fn, got, c.want)
		}
	}
}

func TestSrcKey(t *testing.T) {
	cases := map[string]uint32{
		"10.1.2.3":          0x0a010203,
		"::1":               1,
		"::ffff:10.1.2.3":   0xffff ^ 0x0a010203,
		"2001:db8::1:0:0:1": 0x20010db8 ^ 0x00010000 ^ 1,
	}
	for s, want := range cases {
		k := SrcKey(netip.MustParseAddr(s))
		if got := SourceFold(k.Src[:], k.SrcV6); got != want {
			t.Errorf("%s: fold %#x, want %#x", s, got, want)
		}
	}
}
