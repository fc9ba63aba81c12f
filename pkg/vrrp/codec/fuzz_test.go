package codec

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// FuzzDecode checks that Decode and DecodeIPv4 never panic, and that a
// message Decode accepts with a valid checksum encodes back to the same
// bytes.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(testenv.RepoRoot(), "testdata", "vrrp", "*.hex"))
	for _, fn := range files {
		data, err := os.ReadFile(fn)
		if err != nil {
			f.Fatal(err)
		}
		for _, l := range strings.Split(string(data), "\n") {
			if h, ok := strings.CutPrefix(l, "ip "); ok {
				b, err := hex.DecodeString(h)
				if err != nil {
					f.Fatal(err)
				}
				f.Add(b, b[0]>>4 == 6)
			}
		}
	}
	f.Add([]byte{0x21, 1, 100, 0, 0, 1, 0, 0}, false)
	f.Fuzz(func(t *testing.T, b []byte, ipv6 bool) {
		src, dst := netip.MustParseAddr("192.168.99.1"), MulticastIPv4
		if ipv6 {
			src, dst = netip.MustParseAddr("fe80::1"), MulticastIPv6
		}
		if ip, err := DecodeIPv4(b); err == nil && ip.AH != nil {
			CheckAH(&ip, b, PassData("x"), false)
		}
		p, err := Decode(b, src, dst, 255)
		if err != nil {
			return
		}
		_ = Validate(p, InstanceParams{Name: "VI_1", Version: 3, VRID: p.VRID, IPv6: ipv6})
		if p.Type > 0x0f || !p.ChecksumValid || p.Reserved != 0 {
			return
		}
		out, err := Encode(p, src, dst)
		if err != nil {
			t.Fatalf("Encode of a decoded packet: %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("round trip:\n got %x\nwant %x", out, b)
		}
	})
}
