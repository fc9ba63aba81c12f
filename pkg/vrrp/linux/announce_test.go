package linux

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
)

func macOf(t *testing.T, p *Platform) net.HardwareAddr {
	t.Helper()
	l, err := p.link("veth0")
	if err != nil {
		t.Fatal(err)
	}
	return l.Attrs().HardwareAddr
}

func TestGratuitousARP(t *testing.T) {
	p := newPair(t, "192.168.77.1/24", "192.168.77.2/24")
	mac := macOf(t, p.PA)
	v := netip.MustParseAddr("192.168.77.100")
	f := capture(t, p.PB, etherTypeARP, func() {
		if err := p.PA.Announce("veth0", v); err != nil {
			t.Fatal(err)
		}
	}, func(f []byte) bool {
		return len(f) >= 42 && bytes.Equal(f[14+14:14+18], v.AsSlice())
	})
	if !bytes.Equal(f[0:6], broadcastMAC) || !bytes.Equal(f[6:12], mac) {
		t.Errorf("Ethernet %x -> %x, want %s -> broadcast", f[6:12], f[0:6], mac)
	}
	a := f[14:42]
	if op := binary.BigEndian.Uint16(a[6:]); op != arpRequest {
		t.Errorf("ARP opcode %d, keepalived sends a request (1)", op)
	}
	if !bytes.Equal(a[8:14], mac) || !bytes.Equal(a[14:18], v.AsSlice()) ||
		!bytes.Equal(a[18:24], broadcastMAC) || !bytes.Equal(a[24:28], v.AsSlice()) {
		t.Errorf("ARP body %x: want sender %s/%s, target ff:ff:ff:ff:ff:ff/%s", a, mac, v, v)
	}
	if err := p.PA.Announce("nosuchif0", v); err == nil {
		t.Error("Announce on a missing interface: no error")
	}
}

func TestUnsolicitedNA(t *testing.T) {
	p := newPair(t, "", "")
	mac := macOf(t, p.PA)
	v := netip.MustParseAddr("2001:db8::100")
	f := capture(t, p.PB, etherTypeIPv6, func() {
		if err := p.PA.Announce("veth0", v); err != nil {
			t.Fatal(err)
		}
	}, func(f []byte) bool {
		return len(f) >= 14+40+32 && f[14+6] == 58 && f[14+40] == icmpv6NA
	})
	if !bytes.Equal(f[0:6], allNodesMAC) || !bytes.Equal(f[6:12], mac) {
		t.Errorf("Ethernet %x -> %x, want %s -> 33:33:00:00:00:01", f[6:12], f[0:6], mac)
	}
	ip := f[14:54]
	if ip[7] != 255 || !bytes.Equal(ip[8:24], v.AsSlice()) || !bytes.Equal(ip[24:40], allNodesGroup6.AsSlice()) {
		t.Errorf("IPv6 header %x: want hop limit 255 from %s to ff02::1", ip, v)
	}
	m := f[54:86]
	if m[4] != naOverride {
		t.Errorf("NA flags %#x, want override only (not forwarding)", m[4])
	}
	if !bytes.Equal(m[8:24], v.AsSlice()) || m[24] != optTargetLL || m[25] != 1 || !bytes.Equal(m[26:32], mac) {
		t.Errorf("NA body %x: want target %s and option target link-layer %s", m, v, mac)
	}
	var src, dst [16]byte
	copy(src[:], ip[8:24])
	copy(dst[:], ip[24:40])
	if icmpv6Checksum(src, dst, m) != 0 {
		t.Errorf("ICMPv6 checksum does not verify: %x", m)
	}
}
