package proxyproto

import (
	"net/netip"
	"testing"
)

var benchConn = &Conn{Src: netip.MustParseAddrPort("192.0.2.10:51234"), Dst: netip.MustParseAddrPort("198.51.100.1:443"),
	HasStream: true, UniqueID: []byte("0123456789abcdef")}

func BenchmarkDecodeV1(b *testing.B) {
	in := append(AppendV1(nil, benchConn.Src, benchConn.Dst), "GET / HTTP/1.1\r\n"...)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Decode(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeV1TCP6(b *testing.B) {
	in := AppendV1(nil, netip.MustParseAddrPort("[2001:db8::10]:51234"), netip.MustParseAddrPort("[2001:db8::1]:443"))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Decode(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeV2(b *testing.B) {
	in := AppendV2(nil, benchConn, V2Options{})
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Decode(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeV2CRC32CUniqueID(b *testing.B) {
	in := AppendV2(nil, benchConn, V2Options{CRC32C: true, UniqueID: true})
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Decode(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeV1(b *testing.B) {
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendV1(buf[:0], benchConn.Src, benchConn.Dst)
	}
}

func BenchmarkEncodeV2CRC32CUniqueID(b *testing.B) {
	buf := make([]byte, 0, 128)
	o := V2Options{CRC32C: true, UniqueID: true}
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendV2(buf[:0], benchConn, o)
	}
}
