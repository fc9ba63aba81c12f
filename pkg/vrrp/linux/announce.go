package linux

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/mdlayher/packet"
)

// Ethernet and neighbour discovery constants of the frames keepalived
// sends when it takes an address over.
const (
	etherTypeARP  = 0x0806
	etherTypeIPv6 = 0x86dd
	arpRequest    = 1
	icmpv6NA      = 136
	naRouter      = 0x80
	naOverride    = 0x20
	optTargetLL   = 2
	ndHopLimit    = 255
)

var (
	broadcastMAC   = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	allNodesMAC    = net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}
	allNodesGroup6 = netip.MustParseAddr("ff02::1")
)

// garpFrame is keepalived's gratuitous ARP: an Ethernet broadcast ARP
// request whose sender and target protocol addresses are both addr, the
// sender hardware address the interface's and the target hardware
// address the broadcast address.
func garpFrame(mac net.HardwareAddr, addr netip.Addr) []byte {
	b := make([]byte, 14+28)
	copy(b[0:6], broadcastMAC)
	copy(b[6:12], mac)
	binary.BigEndian.PutUint16(b[12:], etherTypeARP)
	a := b[14:]
	binary.BigEndian.PutUint16(a[0:], 1) // Ethernet
	binary.BigEndian.PutUint16(a[2:], 0x0800)
	a[4], a[5] = 6, 4
	binary.BigEndian.PutUint16(a[6:], arpRequest)
	ip := addr.As4()
	copy(a[8:14], mac)
	copy(a[14:18], ip[:])
	copy(a[18:24], broadcastMAC)
	copy(a[24:28], ip[:])
	return b
}

// naFrame is keepalived's unsolicited neighbour advertisement: from the
// address itself to ff02::1 (Ethernet 33:33:00:00:00:01), hop limit 255,
// the override flag (and the router flag when the interface forwards),
// and a target link-layer address option.
func naFrame(mac net.HardwareAddr, addr netip.Addr, router bool) []byte {
	const icmpLen = 24 + 8
	b := make([]byte, 14+40+icmpLen)
	copy(b[0:6], allNodesMAC)
	copy(b[6:12], mac)
	binary.BigEndian.PutUint16(b[12:], etherTypeIPv6)
	ip := b[14:54]
	ip[0] = 6 << 4
	binary.BigEndian.PutUint16(ip[4:], icmpLen)
	ip[6] = 58 // ICMPv6
	ip[7] = ndHopLimit
	src, dst := addr.As16(), allNodesGroup6.As16()
	copy(ip[8:24], src[:])
	copy(ip[24:40], dst[:])
	m := b[54:]
	m[0] = icmpv6NA
	m[4] = naOverride
	if router {
		m[4] |= naRouter
	}
	copy(m[8:24], src[:])
	m[24] = optTargetLL
	m[25] = 1
	copy(m[26:32], mac)
	binary.BigEndian.PutUint16(m[2:], icmpv6Checksum(src, dst, m))
	return b
}

func icmpv6Checksum(src, dst [16]byte, msg []byte) uint16 {
	var s uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			s += uint32(binary.BigEndian.Uint16(b[i:]))
		}
		if len(b)%2 == 1 {
			s += uint32(b[len(b)-1]) << 8
		}
	}
	add(src[:])
	add(dst[:])
	s += uint32(len(msg))
	s += 58
	add(msg)
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// Announce sends a gratuitous ARP (IPv4) or an unsolicited neighbour
// advertisement (IPv6) for addr on ifname, as keepalived does after taking
// an address over. Interfaces without ARP (IFF_NOARP) are skipped.
func (p *Platform) Announce(ifname string, addr netip.Addr) error {
	addr = addr.Unmap()
	return p.inNS(func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return fmt.Errorf("announce %s: interface %s: %w", addr, ifname, err)
		}
		if ifi.Flags&net.FlagUp == 0 {
			return fmt.Errorf("announce %s: interface %s is down", addr, ifname)
		}
		if len(ifi.HardwareAddr) != 6 {
			// No Ethernet address (loopback, tun, ...): nothing to tell.
			return nil
		}
		var frame []byte
		var dst net.HardwareAddr
		if addr.Is4() {
			frame, dst = garpFrame(ifi.HardwareAddr, addr), broadcastMAC
		} else {
			frame, dst = naFrame(ifi.HardwareAddr, addr, ipv6Forwarding(ifname)), allNodesMAC
		}
		// Protocol 0: the socket only sends, it receives nothing.
		c, err := packet.Listen(ifi, packet.Raw, 0, nil)
		if err != nil {
			return fmt.Errorf("announce %s on %s: packet socket: %w (gokeepalived needs CAP_NET_RAW)", addr, ifname, err)
		}
		defer c.Close()
		if _, err := c.WriteTo(frame, &packet.Addr{HardwareAddr: dst}); err != nil {
			return fmt.Errorf("announce %s on %s: %w", addr, ifname, err)
		}
		return nil
	})
}

// ipv6Forwarding reports whether ifname forwards IPv6 (the NA then carries
// the router flag). It reads the namespace of the calling thread.
func ipv6Forwarding(ifname string) bool {
	b, err := os.ReadFile("/proc/sys/net/ipv6/conf/" + ifname + "/forwarding")
	return err == nil && strings.TrimSpace(string(b)) == "1"
}
