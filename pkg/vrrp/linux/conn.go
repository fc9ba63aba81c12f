package linux

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gohaproxy/gohaproxy/pkg/vrrp"
)

// Protocol numbers and groups of VRRP (RFC 3768, RFC 5798).
const (
	protoVRRP = 112
	protoAH   = 51
	// ttl is the TTL / hop limit adverts carry and must arrive with.
	ttl = 255
	// tosInternetControl is IPTOS_PREC_INTERNETCONTROL, the TOS keepalived
	// puts in its IPv4 header.
	tosInternetControl = 0xc0
	ipv4HeaderLen      = 20
)

var (
	group4 = netip.MustParseAddr("224.0.0.18")
	group6 = netip.MustParseAddr("ff02::12")
)

// conn is one raw socket sending and receiving the adverts of one
// interface and family.
type conn struct {
	f       *os.File
	rc      syscall.RawConn
	ifname  string
	ifindex int
	ipv6    bool
	proto   int
	src     netip.Addr

	sendMu sync.Mutex
	// ipID is the IPv4 identification of the last advert: keepalived
	// 2.2.7 numbers its adverts 1, 2, ... and skips 0 (which would let the
	// kernel choose) on wrap-around.
	ipID uint16

	recvMu sync.Mutex
	buf    []byte
	oob    []byte
}

var _ vrrp.Conn = (*conn)(nil)

// Open opens the advert socket of c.Interface. Without peers it joins
// 224.0.0.18 (IPv4) or ff02::12 (IPv6) on the interface.
func (p *Platform) Open(c vrrp.ConnConfig) (vrrp.Conn, error) {
	l, err := p.link(c.Interface)
	if err != nil {
		return nil, err
	}
	src := c.Src.Unmap()
	if !src.IsValid() {
		if src, err = p.PrimaryAddr(c.Interface, c.IPv6); err != nil {
			return nil, err
		}
	}
	if src.Is6() != c.IPv6 {
		return nil, fmt.Errorf("source address %s is not an IPv%d address: fix mcast_src_ip/unicast_src_ip", src, map[bool]int{false: 4, true: 6}[c.IPv6])
	}
	for _, peer := range c.Peers {
		if peer.Unmap().Is6() != c.IPv6 {
			return nil, fmt.Errorf("unicast peer %s is not of the instance's address family: fix unicast_peer", peer)
		}
	}
	cn := &conn{ifname: c.Interface, ifindex: l.Attrs().Index, ipv6: c.IPv6, proto: protoVRRP, src: src,
		buf: make([]byte, 65536), oob: make([]byte, 256)}
	if c.AH && !c.IPv6 {
		cn.proto = protoAH
	}
	var fd int
	err = p.inNS(func() error {
		var err error
		fd, err = openSocket(cn, len(c.Peers) == 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	cn.f = os.NewFile(uintptr(fd), fmt.Sprintf("vrrp-%s", c.Interface))
	if cn.rc, err = cn.f.SyscallConn(); err != nil {
		cn.f.Close()
		return nil, err
	}
	return cn, nil
}

// openSocket creates and configures the raw socket (in the current
// thread's namespace).
func openSocket(c *conn, multicast bool) (int, error) {
	fam := unix.AF_INET
	if c.ipv6 {
		fam = unix.AF_INET6
	}
	fd, err := unix.Socket(fam, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, c.proto)
	if err != nil {
		return -1, fmt.Errorf("open raw IP socket (protocol %d): %w (gokeepalived needs root or CAP_NET_RAW)", c.proto, err)
	}
	fail := func(what string, err error) (int, error) {
		unix.Close(fd)
		return -1, fmt.Errorf("VRRP socket on %s: %s: %w", c.ifname, what, err)
	}
	if err := unix.SetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, c.ifname); err != nil {
		return fail("bind to device", err)
	}
	if !c.ipv6 {
		opts := []struct {
			name string
			opt  int
			val  int
		}{
			{"IP_HDRINCL", unix.IP_HDRINCL, 1},
			{"IP_MULTICAST_LOOP", unix.IP_MULTICAST_LOOP, 0},
			{"IP_MULTICAST_TTL", unix.IP_MULTICAST_TTL, ttl},
		}
		for _, o := range opts {
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, o.opt, o.val); err != nil {
				return fail(o.name, err)
			}
		}
		if err := unix.SetsockoptIPMreqn(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, &unix.IPMreqn{Ifindex: int32(c.ifindex)}); err != nil {
			return fail("IP_MULTICAST_IF", err)
		}
		if multicast {
			m := &unix.IPMreqn{Multiaddr: group4.As4(), Ifindex: int32(c.ifindex)}
			if err := unix.SetsockoptIPMreqn(fd, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, m); err != nil {
				return fail("join 224.0.0.18", err)
			}
		}
		return fd, nil
	}
	opts := []struct {
		name string
		opt  int
		val  int
	}{
		// The kernel fills in (and on receipt verifies) the VRRPv3
		// checksum at offset 6, with the pseudo-header it actually uses.
		{"IPV6_CHECKSUM", unix.IPV6_CHECKSUM, 6},
		// keepalived marks IPv6 adverts as it does IPv4 ones: traffic
		// class 0xc0 (network control).
		{"IPV6_TCLASS", unix.IPV6_TCLASS, tosInternetControl},
		{"IPV6_MULTICAST_LOOP", unix.IPV6_MULTICAST_LOOP, 0},
		{"IPV6_MULTICAST_HOPS", unix.IPV6_MULTICAST_HOPS, ttl},
		{"IPV6_UNICAST_HOPS", unix.IPV6_UNICAST_HOPS, ttl},
		{"IPV6_MULTICAST_IF", unix.IPV6_MULTICAST_IF, c.ifindex},
		{"IPV6_RECVHOPLIMIT", unix.IPV6_RECVHOPLIMIT, 1},
		{"IPV6_RECVPKTINFO", unix.IPV6_RECVPKTINFO, 1},
	}
	for _, o := range opts {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, o.opt, o.val); err != nil {
			return fail(o.name, err)
		}
	}
	if multicast {
		m := &unix.IPv6Mreq{Multiaddr: group6.As16(), Interface: uint32(c.ifindex)}
		if err := unix.SetsockoptIPv6Mreq(fd, unix.IPPROTO_IPV6, unix.IPV6_JOIN_GROUP, m); err != nil {
			return fail("join ff02::12", err)
		}
	}
	return fd, nil
}

func (c *conn) LocalAddr() netip.Addr { return c.src }

func (c *conn) Close() error { return c.f.Close() }

// Send sends msg to dst. For IPv4 the IP header is built here as
// keepalived 2.2.7 builds it on its IP_HDRINCL socket: TOS 0xc0, an
// identification counting up from 1, no DF, TTL 255; the kernel fills the
// header checksum.
func (c *conn) Send(msg []byte, dst netip.Addr) error {
	dst = dst.Unmap()
	if dst.Is6() != c.ipv6 {
		return fmt.Errorf("send advert on %s: destination %s is not of the socket's family", c.ifname, dst)
	}
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	var serr error
	var err error
	if !c.ipv6 && c.proto == protoAH {
		// auth_type AH: msg is the whole IPv4 packet (the ICV covers
		// the header); the kernel fills the header checksum.
		if len(msg) < ipv4HeaderLen || msg[0]>>4 != 4 || [4]byte(msg[12:16]) != c.src.As4() {
			return fmt.Errorf("send AH advert on %s: not an IPv4 packet from %s", c.ifname, c.src)
		}
		sa := &unix.SockaddrInet4{Addr: dst.As4()}
		err = c.rc.Write(func(fd uintptr) bool {
			serr = unix.Sendto(int(fd), msg, 0, sa)
			return serr != unix.EAGAIN
		})
	} else if !c.ipv6 {
		pkt := make([]byte, ipv4HeaderLen+len(msg))
		c.ipID++
		if c.ipID == 0 {
			c.ipID = 1
		}
		pkt[0] = 0x45
		pkt[1] = tosInternetControl
		binary.BigEndian.PutUint16(pkt[2:], uint16(len(pkt)))
		binary.BigEndian.PutUint16(pkt[4:], c.ipID)
		pkt[8] = ttl
		pkt[9] = byte(c.proto)
		s, d := c.src.As4(), dst.As4()
		copy(pkt[12:], s[:])
		copy(pkt[16:], d[:])
		copy(pkt[ipv4HeaderLen:], msg)
		sa := &unix.SockaddrInet4{Addr: d}
		err = c.rc.Write(func(fd uintptr) bool {
			serr = unix.Sendto(int(fd), pkt, 0, sa)
			return serr != unix.EAGAIN
		})
	} else {
		sa := &unix.SockaddrInet6{Addr: dst.As16()}
		if dst.IsLinkLocalUnicast() || dst.IsLinkLocalMulticast() || dst.IsInterfaceLocalMulticast() {
			sa.ZoneId = uint32(c.ifindex)
		}
		oob := pktinfo6(c.src, c.ifindex)
		err = c.rc.Write(func(fd uintptr) bool {
			serr = unix.Sendmsg(int(fd), msg, oob, sa, 0)
			return serr != unix.EAGAIN
		})
	}
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("send advert on %s from %s to %s: %w", c.ifname, c.src, dst, err)
	}
	return nil
}

// pktinfo6 is an IPV6_PKTINFO control message choosing source and
// interface.
func pktinfo6(src netip.Addr, ifindex int) []byte {
	b := make([]byte, unix.CmsgSpace(unix.SizeofInet6Pktinfo))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level = unix.IPPROTO_IPV6
	h.Type = unix.IPV6_PKTINFO
	h.SetLen(unix.CmsgLen(unix.SizeofInet6Pktinfo))
	pi := (*unix.Inet6Pktinfo)(unsafe.Pointer(&b[unix.CmsgLen(0)]))
	pi.Addr = src.As16()
	pi.Ifindex = uint32(ifindex)
	return b
}

// pastDeadline interrupts a blocked read.
var pastDeadline = time.Unix(1, 0)

// Recv returns the next advert. Packets too short or malformed at the IP
// level are skipped (keepalived drops them too); VRRP-level checks are the
// caller's.
func (c *conn) Recv(ctx context.Context) (vrrp.Received, error) {
	c.recvMu.Lock()
	defer c.recvMu.Unlock()
	if err := c.f.SetReadDeadline(time.Time{}); err != nil {
		return vrrp.Received{}, fmt.Errorf("receive on %s: %w", c.ifname, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.f.SetReadDeadline(pastDeadline) })
	defer stop()
	for {
		var n, oobn int
		var from unix.Sockaddr
		var rerr error
		err := c.rc.Read(func(fd uintptr) bool {
			n, oobn, _, from, rerr = unix.Recvmsg(int(fd), c.buf, c.oob, 0)
			return rerr != unix.EAGAIN
		})
		if err == nil {
			err = rerr
		}
		if err != nil {
			if ctx.Err() != nil {
				return vrrp.Received{}, ctx.Err()
			}
			return vrrp.Received{}, fmt.Errorf("receive on %s: %w", c.ifname, err)
		}
		var r vrrp.Received
		var ok bool
		if c.ipv6 {
			r, ok = parse6(c.buf[:n], c.oob[:oobn], from)
		} else {
			r, ok = parse4(c.buf[:n])
		}
		if !ok {
			continue
		}
		r.Interface = c.ifname
		return r, nil
	}
}

// parse4 splits a packet read from a raw IPv4 socket (which delivers the
// IP header) into the facts keepalived checks and the VRRP (or AH) part.
func parse4(b []byte) (vrrp.Received, bool) {
	if len(b) < ipv4HeaderLen || b[0]>>4 != 4 {
		return vrrp.Received{}, false
	}
	hl := int(b[0]&0x0f) * 4
	tot := int(binary.BigEndian.Uint16(b[2:]))
	if hl < ipv4HeaderLen || hl > len(b) {
		return vrrp.Received{}, false
	}
	// The kernel hands raw sockets tot_len as sent; keep what arrived if
	// it disagrees so that the caller can report the length error.
	end := len(b)
	if tot >= hl && tot < end {
		end = tot
	}
	pkt := append([]byte(nil), b[:end]...)
	return vrrp.Received{
		Msg:    pkt[hl:end],
		Packet: pkt,
		Src:    netip.AddrFrom4([4]byte(b[12:16])),
		Dst:    netip.AddrFrom4([4]byte(b[16:20])),
		TTL:    int(b[8]),
	}, true
}

// parse6 reads the hop limit and destination from the control messages of
// a raw IPv6 socket (which delivers no IP header).
func parse6(b, oob []byte, from unix.Sockaddr) (vrrp.Received, bool) {
	sa, ok := from.(*unix.SockaddrInet6)
	if !ok {
		return vrrp.Received{}, false
	}
	r := vrrp.Received{Msg: append([]byte(nil), b...), Src: netip.AddrFrom16(sa.Addr), TTL: -1}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return vrrp.Received{}, false
	}
	for _, m := range msgs {
		if m.Header.Level != unix.IPPROTO_IPV6 {
			continue
		}
		switch m.Header.Type {
		case unix.IPV6_HOPLIMIT:
			if len(m.Data) >= 4 {
				r.TTL = int(int32(binary.NativeEndian.Uint32(m.Data)))
			}
		case unix.IPV6_PKTINFO:
			if len(m.Data) >= unix.SizeofInet6Pktinfo {
				r.Dst = netip.AddrFrom16([16]byte(m.Data[:16]))
			}
		}
	}
	return r, true
}
