package vrrp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/vrrp/codec"
)

// FuzzInstanceReceive feeds decoded adverts of any content to instances in
// every state: the machine must never panic and must keep a sane priority.
func FuzzInstanceReceive(f *testing.F) {
	good, _ := codec.Encode(codec.Packet{Version: 2, Type: 1, VRID: 51, Priority: 100, AdvertInt: 1,
		Addresses: []netip.Addr{netip.MustParseAddr("10.0.0.100")}}, netip.MustParseAddr("10.0.0.2"), codec.MulticastIPv4)
	f.Add(good, uint8(0))
	f.Add([]byte{0x31, 51, 255, 0, 0, 100, 0, 0}, uint8(1))
	f.Add([]byte{}, uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, steps uint8) {
		p, err := codec.Decode(b, netip.MustParseAddr("10.0.0.2"), codec.MulticastIPv4, 255)
		if err != nil {
			return
		}
		for _, v := range []uint8{2, 3} {
			cfg := testCfg("VI_1", 100)
			cfg.Version = v
			in := NewInstance(cfg)
			now := t0
			in.Start(now)
			for i := 0; i < int(steps%8)+1; i++ {
				in.Receive(now, p)
				if n := in.Next(); !n.IsZero() {
					now = n
					in.Timer(now)
				}
				in.Track(now, "x", i%3 == 0, int(p.Priority)-128)
			}
			if pr := in.Priority(); pr < 1 || pr > 255 {
				t.Fatalf("priority %d", pr)
			}
			in.Stop(now.Add(time.Second))
			if in.State() != StateStop {
				t.Fatalf("state %v after Stop", in.State())
			}
		}
	})
}

// FuzzConfigValues checks the parsers of timer values, script command lines
// and track_file contents.
func FuzzConfigValues(f *testing.F) {
	for _, s := range []string{"1", "0.5", "-1", "1e400", "NaN", `"/bin/a b" c`, "12abc", "'", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := parseSeconds(s); err == nil && d < 0 {
			t.Fatalf("negative duration %v for %q", d, s)
		}
		splitCommand(s)
		parseLeadingInt(s)
	})
}
