// Package vrrp runs VRRP instances as keepalived does: the RFC 3768/5798
// state machine (pure, clock and transport injected), sync groups and
// trackers, and a Node that executes the machine's actions on a Platform.
//
// The Platform interfaces below are the seam between the pure part and the
// host: pkg/vrrp/linux implements them with raw sockets, netlink and
// packet sockets; unit tests implement them with fakes.
package vrrp

import (
	"context"
	"net"
	"net/netip"

	"github.com/gohaproxy/gohaproxy/pkg/keepalivedconf"
)

// Received is one VRRP message as read from the wire, with the IP-level
// facts keepalived checks on receipt.
type Received struct {
	// Msg is the VRRP message (for IPv4 with auth_type AH: the AH header
	// followed by the message), without the IP header.
	Msg []byte
	// Src and Dst are the IP source and destination addresses.
	Src, Dst netip.Addr
	// TTL is the IPv4 TTL or IPv6 hop limit.
	TTL int
	// Interface is the name of the interface the packet arrived on.
	Interface string
	// Packet is the whole IPv4 packet (IP header included) as received,
	// which auth_type AH needs to check the ICV; nil for IPv6.
	Packet []byte
}

// ConnConfig says what a Conn sends and receives.
type ConnConfig struct {
	// Interface is the interface adverts leave from and arrive on.
	Interface string
	// IPv6 selects the family (VRRPv3 over IPv6).
	IPv6 bool
	// Src is the source address of sent adverts (mcast_src_ip or
	// unicast_src_ip); invalid means the interface's primary address.
	Src netip.Addr
	// Unicast peers; empty means multicast to 224.0.0.18 / ff02::12.
	Peers []netip.Addr
	// AH: adverts are IPv4 with an IPsec AH header (auth_type AH): the
	// socket is for IP protocol 51 and Send takes the whole IPv4 packet
	// (codec.EncodeIPv4's output), since the ICV covers the IP header.
	AH bool
}

// Conn sends and receives the VRRP adverts of one interface and family.
type Conn interface {
	// Send sends one VRRP message (codec.Encode's output; for AH the AH
	// header and message) to dst with TTL/hop limit 255, from the
	// configured source address.
	Send(msg []byte, dst netip.Addr) error
	// Recv returns the next VRRP packet; it returns ctx.Err() when ctx ends.
	Recv(ctx context.Context) (Received, error)
	// LocalAddr is the source address adverts carry.
	LocalAddr() netip.Addr
	Close() error
}

// Addresses adds and removes what an instance owns while MASTER (and what
// static_* sections own for the daemon's life time).
type Addresses interface {
	AddAddress(ifname string, vip keepalivedconf.VIP) error
	DelAddress(ifname string, vip keepalivedconf.VIP) error
	AddRoute(r keepalivedconf.Route) error
	DelRoute(r keepalivedconf.Route) error
	AddRule(r keepalivedconf.Rule) error
	DelRule(r keepalivedconf.Rule) error
}

// Announcer tells the segment that an address moved: a gratuitous ARP for
// IPv4, an unsolicited neighbour advertisement for IPv6.
type Announcer interface {
	Announce(ifname string, addr netip.Addr) error
}

// LinkEvent is a change of an interface's operational state.
type LinkEvent struct {
	Interface string
	Up        bool
}

// VMACs creates and removes the macvlan interfaces of use_vmac. A
// Platform that does not implement it refuses use_vmac.
type VMACs interface {
	// AddVMAC creates (or reuses) the VMAC interface name on base with the
	// given MAC, configured as keepalived configures it, and brings it up.
	AddVMAC(name, base string, mac net.HardwareAddr, ipv6 bool) error
	// DelVMAC removes it.
	DelVMAC(name string) error
}

// FirewallState is what keepalived's nftables tables hold.
type FirewallState struct {
	// V4 and V6: the family's drop rules exist (they are created when a
	// first no_accept instance becomes MASTER and stay until exit).
	V4, V6 bool
	// Drop4 and Drop6 are the VIPs of the MASTER no_accept instances.
	Drop4, Drop6 []netip.Addr
	// VMACs maps IPv4 VMAC interfaces to their base interfaces.
	VMACs map[string]string
}

// Firewall installs keepalived's firewall rules. A Platform that does not
// implement it installs none.
type Firewall interface {
	SetFirewall(FirewallState) error
}

// Platform is everything a Node needs from the host.
type Platform interface {
	Addresses
	Announcer
	// Open opens the advert socket described by c.
	Open(c ConnConfig) (Conn, error)
	// LinkUp reports whether ifname exists and is operationally up.
	LinkUp(ifname string) (bool, error)
	// PrimaryAddr is the first address of ifname in the given family, the
	// source keepalived uses when no mcast_src_ip/unicast_src_ip is set.
	PrimaryAddr(ifname string, ipv6 bool) (netip.Addr, error)
	// WatchLinks streams link state changes until ctx ends.
	WatchLinks(ctx context.Context) (<-chan LinkEvent, error)
}
