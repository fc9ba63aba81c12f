package linux

import (
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

func FuzzParse4(f *testing.F) {
	f.Add([]byte{0x45, 0xc0, 0, 28, 0, 1, 0, 0, 255, 112, 0, 0, 192, 168, 1, 1, 224, 0, 0, 18, 0x21, 1, 100, 0, 0, 1, 0, 0})
	f.Add([]byte{0x4f})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, ok := parse4(b)
		if ok && (len(r.Msg) > len(b) || !r.Src.Is4() || !r.Dst.Is4()) {
			t.Fatalf("parse4(%x) = %+v", b, r)
		}
	})
}

func FuzzParse6(f *testing.F) {
	f.Add([]byte{0x31, 1, 100, 0}, pktinfo6(netip.MustParseAddr("ff02::12"), 2))
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1}, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18})
	f.Fuzz(func(t *testing.T, b, oob []byte) {
		r, ok := parse6(b, oob, &unix.SockaddrInet6{Addr: netip.MustParseAddr("fe80::1").As16()})
		if ok && len(r.Msg) != len(b) {
			t.Fatalf("parse6 = %+v", r)
		}
	})
}
