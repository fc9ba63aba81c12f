package proxyproto

import (
	"net/netip"
	"testing"
)

func TestQuickRoundTrip(t *testing.T) {
	c := &Conn{Src: netip.MustParseAddrPort("1.2.3.4:5"), Dst: netip.MustParseAddrPort("6.7.8.9:10"), HasStream: true, UniqueID: []byte("abc")}
	b := AppendV2(nil, c, V2Options{CRC32C: true, UniqueID: true})
	h, n, err := Decode(b)
	if err != nil || n != len(b) || h.Src != c.Src || h.Dst != c.Dst {
		t.Fatalf("%v %d %+v", err, n, h)
	}
	l := AppendV1(nil, c.Src, c.Dst)
	h, n, err = Decode(l)
	if err != nil || n != len(l) || h.Src != c.Src {
		t.Fatalf("%q %v %d %+v", l, err, n, h)
	}
}
