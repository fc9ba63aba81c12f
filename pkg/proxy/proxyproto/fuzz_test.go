package proxyproto

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
)

// FuzzDecode checks that Decode and DecodeStrict never panic and keep their
// promises on any input.
func FuzzDecode(f *testing.F) {
	for _, tc := range acceptCases() {
		f.Add(append(append([]byte{}, tc.header...), "ping"...))
	}
	f.Add([]byte("PROXY TCP6 ::ffff:1.2.3.4 1::2 1 2\r\n"))
	f.Add([]byte(Signature))
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := append([]byte{}, b...)
		h, n, err := Decode(b)
		hs, ns, errs := DecodeStrict(b)
		if !bytes.Equal(b, orig) {
			t.Fatal("input modified")
		}
		for _, e := range []error{err, errs} {
			if e != nil && e != ErrNeedMore {
				var pe *Error
				if !errors.As(e, &pe) || !errors.Is(e, ErrInvalid) {
					t.Fatalf("unexpected error type %T %v", e, e)
				}
			}
		}
		if errs == nil && (err != nil || ns != n || hs.Src != h.Src || hs.Dst != h.Dst) {
			t.Fatalf("strict accepts (%d) what Decode does not: %v %d", ns, err, n)
		}
		if err == ErrNeedMore {
			// A prefix of something that could still be a header.
			if len(b) >= 16 && b[0] != 'P' {
				if _, _, err2 := Decode(b[:16]); err2 != ErrNeedMore {
					t.Fatalf("need more, but 16-byte prefix gives %v", err2)
				}
			}
			return
		}
		if err != nil {
			return
		}
		if n <= 0 || n > len(b) {
			t.Fatalf("n = %d of %d", n, len(b))
		}
		// The header alone decodes the same.
		h2, n2, err2 := Decode(b[:n])
		if err2 != nil || n2 != n || h2.Src != h.Src || h2.Dst != h.Dst || h2.HasAddrs != h.HasAddrs {
			t.Fatalf("header alone: %v %d", err2, n2)
		}
		if h.Version == 2 {
			_, _, _ = h.SSL()
			_ = h.AppendTLVs(nil)
		}
		if !h.HasAddrs {
			return
		}
		// Re-encoding the addresses gives a header strict decoding takes
		// back unchanged.
		v1 := AppendV1(nil, h.Src, h.Dst)
		h3, n3, err3 := DecodeStrict(v1)
		if err3 != nil || n3 != len(v1) {
			t.Fatalf("re-encoded %q: %v", v1, err3)
		}
		if h.Src.Addr().Is4() == h.Dst.Addr().Is4() && (h3.Src != h.Src || h3.Dst != h.Dst) {
			t.Fatalf("v1 round trip %v %v -> %q -> %v %v", h.Src, h.Dst, v1, h3.Src, h3.Dst)
		}
		v2b := AppendV2(nil, &Conn{Src: h.Src, Dst: h.Dst}, V2Options{CRC32C: true})
		h4, _, err4 := DecodeStrict(v2b)
		if err4 != nil || (h.Src.Addr().Is4() == h.Dst.Addr().Is4() && (h4.Src != h.Src || h4.Dst != h.Dst)) {
			t.Fatalf("v2 round trip: %v", err4)
		}
	})
}

// FuzzAddr compares the glibc-style address parser and printer with
// net/netip, which agree on every address without a zone.
func FuzzAddr(f *testing.F) {
	for _, s := range []string{"::", "::1", "1.2.3.4", "::ffff:1.2.3.4", "::1.2.3.4", "1:2:3:4:5:6:7:8", "fe80::1%1", "1::2:3", "01:2::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := pton6([]byte(s))
		na, err := netip.ParseAddr(s)
		nok := err == nil && na.Is6() && na.Zone() == ""
		if ok != nok {
			t.Fatalf("pton6(%q)=%v, netip=%v (%v)", s, ok, nok, err)
		}
		if ok {
			if a != na.As16() {
				t.Fatalf("pton6(%q) = %x, netip %x", s, a, na.As16())
			}
			txt := appendNtop6(nil, a)
			back, ok := pton6(txt)
			if !ok || back != a {
				t.Fatalf("ntop6 %q does not parse back", txt)
			}
		}
		var b4 [4]byte
		ok4 := pton4([]byte(s), b4[:])
		n4, err := netip.ParseAddr(s)
		if ok4 != (err == nil && n4.Is4()) || (ok4 && b4 != n4.As4()) {
			t.Fatalf("pton4(%q)=%v %v, netip %v %v", s, ok4, b4, n4, err)
		}
	})
}
