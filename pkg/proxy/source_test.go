package proxy

import (
	"testing"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

func TestParseSourceAddr(t *testing.T) {
	for _, tc := range []struct {
		in       string
		addr     string
		lo, hi   int
		rangeOK  bool
		wantFail bool
	}{
		{in: "127.0.0.2", addr: "127.0.0.2"},
		{in: "0.0.0.0", addr: "invalid IP"},
		{in: "10.0.0.1:1025", addr: "10.0.0.1", lo: 1025, hi: 1025},
		{in: "10.0.0.1:1025-1030", addr: "10.0.0.1", lo: 1025, hi: 1030, rangeOK: true},
		{in: "10.0.0.1:1025-1030", wantFail: true},
		{in: "[::1]:80", addr: "::1", lo: 80, hi: 80},
		{in: "ipv6@::1", addr: "::1"},
		{in: "ipv6@2001:db8::1:80", addr: "2001:db8::1", lo: 80, hi: 80},
		{in: "ipv4@192.0.2.1", addr: "192.0.2.1"},
		{in: "name.example", wantFail: true},
		{in: "10.0.0.1:99999", wantFail: true},
		{in: "10.0.0.1:20-10", rangeOK: true, wantFail: true},
	} {
		a, lo, hi, err := parseSourceAddr(tc.in, tc.rangeOK)
		if (err != nil) != tc.wantFail {
			t.Errorf("%q: err %v", tc.in, err)
			continue
		}
		if err == nil && (a.String() != tc.addr || lo != tc.lo || hi != tc.hi) {
			t.Errorf("%q: %v %d-%d, want %s %d-%d", tc.in, a, lo, hi, tc.addr, tc.lo, tc.hi)
		}
	}
	if _, err := newSourceSpec(haproxycfg.Pos{File: "f", Line: 3}, "0.0.0.0", "hdr_ip(x-forwarded-for)", "", false); err == nil {
		t.Error("usesrc hdr_ip accepted in TCP mode")
	}
}

func FuzzParseSourceAddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "[::1]:80", "1.2.3.4:1-2", "ipv6@::", ":", "[", "1.2.3.4:-"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, rangeOK bool) {
		a, lo, hi, err := parseSourceAddr(s, rangeOK)
		if err != nil {
			return
		}
		if lo < 0 || hi < lo || hi > 65535 || (a.IsValid() && a.IsUnspecified()) {
			t.Fatalf("%q: %v %d-%d", s, a, lo, hi)
		}
	})
}
