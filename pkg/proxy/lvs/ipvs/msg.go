// Package ipvs programs the kernel's IP Virtual Server table over generic
// netlink (family "IPVS"), sending exactly the attributes keepalived
// 2.2.7 sends (its libipvs): a service carries its address family, then
// either its firewall mark or its protocol, 16-byte address and port,
// then the scheduler name, the flags (with an all-ones mask), the
// persistence timeout and the persistence netmask; a destination carries
// its address family, 16-byte address, port, forwarding method, weight,
// the tunnel type/port/flags for a tunnelled one, and the upper and lower
// connection thresholds.
//
// The codec (Marshal, Parse) is pure and works on any host; Conn talks to
// the kernel and needs CAP_NET_ADMIN and a kernel with IPVS.
package ipvs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Generic netlink command numbers of the IPVS family (linux/ip_vs.h).
const (
	CmdNewService = 1
	CmdSetService = 2
	CmdDelService = 3
	CmdGetService = 4
	CmdNewDest    = 5
	CmdSetDest    = 6
	CmdDelDest    = 7
	CmdGetDest    = 8
	CmdSetInfo    = 14 // the GET_INFO reply
	CmdGetInfo    = 15
	CmdZero       = 16
	CmdFlush      = 17
)

// Family name and version of the IPVS generic netlink family.
const (
	FamilyName    = "IPVS"
	FamilyVersion = 1
)

// Top-level attributes (IPVS_CMD_ATTR_*).
const (
	attrService = 1
	attrDest    = 2
)

// Service attributes (IPVS_SVC_ATTR_*).
const (
	svcAF        = 1
	svcProtocol  = 2
	svcAddr      = 3
	svcPort      = 4
	svcFwmark    = 5
	svcSchedName = 6
	svcFlags     = 7
	svcTimeout   = 8
	svcNetmask   = 9
)

// Destination attributes (IPVS_DEST_ATTR_*).
const (
	destAddr       = 1
	destPort       = 2
	destFwdMethod  = 3
	destWeight     = 4
	destUThresh    = 5
	destLThresh    = 6
	destActive     = 7
	destInact      = 8
	destPersist    = 9
	destAddrFamily = 11
	destTunType    = 13
	destTunPort    = 14
	destTunFlags   = 15
)

// GET_INFO reply attributes (IPVS_INFO_ATTR_*).
const (
	infoVersion     = 1
	infoConnTabSize = 2
)

// Address families and protocols as the kernel numbers them.
const (
	AFInet     = 2
	AFInet6    = 10
	ProtoTCP   = 6
	ProtoUDP   = 17
	ProtoSCTP  = 132
	maxSchedNm = 16 // IP_VS_SCHEDNAME_MAXLEN, NUL included
)

// Service flags (IP_VS_SVC_F_*).
const (
	FlagPersistent = 0x0001
	FlagHashed     = 0x0002
	FlagOnePacket  = 0x0004
	FlagSched1     = 0x0008 // flag-1, sh-fallback, mh-fallback
	FlagSched2     = 0x0010 // flag-2, sh-port, mh-port
	FlagSched3     = 0x0020 // flag-3
)

// Forwarding methods (IP_VS_CONN_F_*).
const (
	FwdMasq   = 0
	FwdLocal  = 1
	FwdTunnel = 2
	FwdRoute  = 3
)

// Tunnel types and flags (IP_VS_CONN_F_TUNNEL_TYPE_*, IP_VS_TUNNEL_ENCAP_FLAG_*).
const (
	TunIPIP       = 0
	TunGUE        = 1
	TunGRE        = 2
	TunFlagNoCsum = 0
	TunFlagCsum   = 1
	TunFlagRemCsm = 2
)

// Netlink message types and flags used here.
const (
	nlmsgError   = 2
	nlmsgDone    = 3
	flagRequest  = 0x1
	flagMulti    = 0x2
	flagAck      = 0x4
	flagDump     = 0x300
	nlaFNested   = 0x8000
	nlaFNetOrder = 0x4000
	nlaTypeMask  = ^uint16(nlaFNested | nlaFNetOrder)
	nlmsgHdrLen  = 16
	genlHdrLen   = 4
)

// Service is one virtual service as IPVS knows it. A service is
// identified by (Family, Protocol, Addr, Port) or by (Family, Fwmark).
type Service struct {
	Family   uint16
	Protocol uint16
	Addr     netip.Addr
	Port     uint16
	Fwmark   uint32
	Sched    string
	Flags    uint32
	// Timeout is the persistence timeout in seconds.
	Timeout uint32
	// Netmask is the persistence granularity: for IPv4 the mask in
	// network byte order as keepalived stores it (0xffffffff for /32),
	// for IPv6 the prefix length (128).
	Netmask uint32
}

// Dest is one real server of a service.
type Dest struct {
	Family     uint16
	Addr       netip.Addr
	Port       uint16
	FwdMethod  uint32
	Weight     uint32
	UThreshold uint32
	LThreshold uint32
	TunType    uint8
	TunPort    uint16
	TunFlags   uint16
	// Connection counters, only in the kernel's replies.
	ActiveConns, InactConns, PersistConns uint32
}

// Info is the GET_INFO reply.
type Info struct {
	Version     uint32 // 0x010201 is 1.2.1
	ConnTabSize uint32
}

// VersionString is the version as ipvsadm prints it ("1.2.1").
func (i Info) VersionString() string {
	return fmt.Sprintf("%d.%d.%d", i.Version>>16, i.Version>>8&0xff, i.Version&0xff)
}

// Message is one generic netlink message of the IPVS family.
type Message struct {
	// Type is the netlink message type (the family id resolved at run
	// time).
	Type  uint16
	Flags uint16
	Seq   uint32
	PID   uint32
	Cmd   uint8
	// Version is the genetlink header's version (1).
	Version uint8
	Service *Service
	Dest    *Dest
	Info    *Info
}

// Marshal encodes m as keepalived's libipvs would send it.
func (m *Message) Marshal() ([]byte, error) {
	b := make([]byte, nlmsgHdrLen+genlHdrLen, 256)
	b[nlmsgHdrLen] = m.Cmd
	b[nlmsgHdrLen+1] = m.Version
	var err error
	if m.Service != nil {
		if b, err = appendService(b, m.Service); err != nil {
			return nil, err
		}
	}
	if m.Dest != nil {
		if b, err = appendDest(b, m.Dest); err != nil {
			return nil, err
		}
	}
	if m.Info != nil {
		b = putU32(b, infoVersion, m.Info.Version)
		b = putU32(b, infoConnTabSize, m.Info.ConnTabSize)
	}
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], m.Type)
	ne.PutUint16(b[6:], m.Flags)
	ne.PutUint32(b[8:], m.Seq)
	ne.PutUint32(b[12:], m.PID)
	return b, nil
}

func align4(n int) int { return (n + 3) &^ 3 }

// putAttr appends one attribute, padded to 4 bytes.
func putAttr(b []byte, typ uint16, data []byte) []byte {
	l := 4 + len(data)
	var h [4]byte
	binary.NativeEndian.PutUint16(h[0:], uint16(l))
	binary.NativeEndian.PutUint16(h[2:], typ)
	b = append(b, h[:]...)
	b = append(b, data...)
	for i := l; i < align4(l); i++ {
		b = append(b, 0)
	}
	return b
}

func putU8(b []byte, typ uint16, v uint8) []byte { return putAttr(b, typ, []byte{v}) }

func putU16(b []byte, typ uint16, v uint16) []byte {
	var d [2]byte
	binary.NativeEndian.PutUint16(d[:], v)
	return putAttr(b, typ, d[:])
}

// putBE16 is a port: a u16 attribute holding network byte order.
func putBE16(b []byte, typ uint16, v uint16) []byte {
	var d [2]byte
	binary.BigEndian.PutUint16(d[:], v)
	return putAttr(b, typ, d[:])
}

func putU32(b []byte, typ uint16, v uint32) []byte {
	var d [4]byte
	binary.NativeEndian.PutUint32(d[:], v)
	return putAttr(b, typ, d[:])
}

// addr16 is union nf_inet_addr: an IPv4 address in its first 4 bytes.
func addr16(a netip.Addr) [16]byte {
	var out [16]byte
	switch {
	case a.Is4():
		v := a.As4()
		copy(out[:], v[:])
	case a.Is6():
		out = a.As16()
	}
	return out
}

// nest wraps the attributes appended by fill in a nested attribute.
func nest(b []byte, typ uint16, fill func([]byte) ([]byte, error)) ([]byte, error) {
	start := len(b)
	b = append(b, 0, 0, 0, 0)
	b, err := fill(b)
	if err != nil {
		return nil, err
	}
	binary.NativeEndian.PutUint16(b[start:], uint16(len(b)-start))
	// libnl (3.5 and later, as Debian's keepalived 2.2.7 links) marks
	// nests with NLA_F_NESTED.
	binary.NativeEndian.PutUint16(b[start+2:], typ|nlaFNested)
	return b, nil
}

func appendService(b []byte, s *Service) ([]byte, error) {
	if len(s.Sched) >= maxSchedNm {
		return nil, fmt.Errorf("IPVS scheduler name %q is longer than %d bytes", s.Sched, maxSchedNm-1)
	}
	if s.Fwmark == 0 && !s.Addr.IsValid() {
		return nil, errors.New("IPVS service has neither an address nor a fwmark")
	}
	return nest(b, attrService, func(b []byte) ([]byte, error) {
		b = putU16(b, svcAF, s.Family)
		if s.Fwmark != 0 {
			b = putU32(b, svcFwmark, s.Fwmark)
		} else {
			b = putU16(b, svcProtocol, s.Protocol)
			a := addr16(s.Addr)
			b = putAttr(b, svcAddr, a[:])
			b = putBE16(b, svcPort, s.Port)
		}
		b = putAttr(b, svcSchedName, append([]byte(s.Sched), 0))
		var fl [8]byte
		binary.NativeEndian.PutUint32(fl[0:], s.Flags)
		binary.NativeEndian.PutUint32(fl[4:], ^uint32(0))
		b = putAttr(b, svcFlags, fl[:])
		b = putU32(b, svcTimeout, s.Timeout)
		b = putU32(b, svcNetmask, s.Netmask)
		return b, nil
	})
}

func appendDest(b []byte, d *Dest) ([]byte, error) {
	if !d.Addr.IsValid() {
		return nil, errors.New("IPVS destination has no address")
	}
	return nest(b, attrDest, func(b []byte) ([]byte, error) {
		b = putU16(b, destAddrFamily, d.Family)
		a := addr16(d.Addr)
		b = putAttr(b, destAddr, a[:])
		b = putBE16(b, destPort, d.Port)
		b = putU32(b, destFwdMethod, d.FwdMethod)
		b = putU32(b, destWeight, d.Weight)
		if d.FwdMethod == FwdTunnel {
			b = putU8(b, destTunType, d.TunType)
			if d.TunType == TunGUE {
				b = putBE16(b, destTunPort, d.TunPort)
			}
			if d.TunType != TunIPIP {
				b = putU16(b, destTunFlags, d.TunFlags)
			}
		}
		b = putU32(b, destUThresh, d.UThreshold)
		b = putU32(b, destLThresh, d.LThreshold)
		return b, nil
	})
}

// attr is one decoded attribute.
type attr struct {
	typ  uint16
	data []byte
}

// parseAttrs splits a run of attributes; it never reads out of b.
func parseAttrs(b []byte) ([]attr, error) {
	var out []attr
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, errors.New("truncated netlink attribute header")
		}
		l := int(binary.NativeEndian.Uint16(b[0:]))
		typ := binary.NativeEndian.Uint16(b[2:]) & nlaTypeMask
		if l < 4 || l > len(b) {
			return nil, fmt.Errorf("netlink attribute %d has length %d, %d bytes left", typ, l, len(b))
		}
		out = append(out, attr{typ, b[4:l]})
		n := align4(l)
		if n > len(b) {
			n = len(b)
		}
		b = b[n:]
	}
	return out, nil
}

func (a attr) u8() (uint8, error) {
	if len(a.data) < 1 {
		return 0, fmt.Errorf("attribute %d: want 1 byte, have %d", a.typ, len(a.data))
	}
	return a.data[0], nil
}

func (a attr) u16() (uint16, error) {
	if len(a.data) < 2 {
		return 0, fmt.Errorf("attribute %d: want 2 bytes, have %d", a.typ, len(a.data))
	}
	return binary.NativeEndian.Uint16(a.data), nil
}

func (a attr) be16() (uint16, error) {
	if len(a.data) < 2 {
		return 0, fmt.Errorf("attribute %d: want 2 bytes, have %d", a.typ, len(a.data))
	}
	return binary.BigEndian.Uint16(a.data), nil
}

func (a attr) u32() (uint32, error) {
	if len(a.data) < 4 {
		return 0, fmt.Errorf("attribute %d: want 4 bytes, have %d", a.typ, len(a.data))
	}
	return binary.NativeEndian.Uint32(a.data), nil
}

// addrOf reads a 16-byte (or 4-byte) address of the given family.
func addrOf(data []byte, family uint16) (netip.Addr, error) {
	switch {
	case family == AFInet6 && len(data) >= 16:
		return netip.AddrFrom16([16]byte(data[:16])), nil
	case family != AFInet6 && len(data) >= 4:
		return netip.AddrFrom4([4]byte(data[:4])), nil
	}
	return netip.Addr{}, fmt.Errorf("address attribute of %d bytes for family %d", len(data), family)
}

// Parse decodes one netlink message of the IPVS family (a request as
// Marshal builds it, or a kernel reply). Unknown attributes are skipped;
// malformed ones are an error, never a panic.
func Parse(b []byte) (*Message, error) {
	if len(b) < nlmsgHdrLen+genlHdrLen {
		return nil, fmt.Errorf("netlink message of %d bytes is shorter than its headers", len(b))
	}
	ne := binary.NativeEndian
	l := int(ne.Uint32(b[0:]))
	if l < nlmsgHdrLen+genlHdrLen || l > len(b) {
		return nil, fmt.Errorf("netlink message length %d does not fit %d bytes", l, len(b))
	}
	m := &Message{Type: ne.Uint16(b[4:]), Flags: ne.Uint16(b[6:]), Seq: ne.Uint32(b[8:]), PID: ne.Uint32(b[12:]),
		Cmd: b[nlmsgHdrLen], Version: b[nlmsgHdrLen+1]}
	attrs, err := parseAttrs(b[nlmsgHdrLen+genlHdrLen : l])
	if err != nil {
		return nil, err
	}
	for _, a := range attrs {
		switch {
		case m.Cmd == CmdSetInfo || m.Cmd == CmdGetInfo:
			if m.Info == nil {
				m.Info = &Info{}
			}
			switch a.typ {
			case infoVersion:
				m.Info.Version, err = a.u32()
			case infoConnTabSize:
				m.Info.ConnTabSize, err = a.u32()
			}
		case a.typ == attrService:
			m.Service, err = parseService(a.data)
		case a.typ == attrDest:
			m.Dest, err = parseDest(a.data)
		}
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

func parseService(b []byte) (*Service, error) {
	attrs, err := parseAttrs(b)
	if err != nil {
		return nil, err
	}
	s := &Service{}
	var addr []byte
	for _, a := range attrs {
		switch a.typ {
		case svcAF:
			s.Family, err = a.u16()
		case svcProtocol:
			s.Protocol, err = a.u16()
		case svcAddr:
			addr = a.data
		case svcPort:
			s.Port, err = a.be16()
		case svcFwmark:
			s.Fwmark, err = a.u32()
		case svcSchedName:
			n := a.data
			for i, c := range n {
				if c == 0 {
					n = n[:i]
					break
				}
			}
			s.Sched = string(n)
		case svcFlags:
			s.Flags, err = a.u32()
		case svcTimeout:
			s.Timeout, err = a.u32()
		case svcNetmask:
			s.Netmask, err = a.u32()
		}
		if err != nil {
			return nil, err
		}
	}
	if addr != nil {
		if s.Addr, err = addrOf(addr, s.Family); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func parseDest(b []byte) (*Dest, error) {
	attrs, err := parseAttrs(b)
	if err != nil {
		return nil, err
	}
	d := &Dest{}
	var addr []byte
	for _, a := range attrs {
		switch a.typ {
		case destAddrFamily:
			d.Family, err = a.u16()
		case destAddr:
			addr = a.data
		case destPort:
			d.Port, err = a.be16()
		case destFwdMethod:
			d.FwdMethod, err = a.u32()
		case destWeight:
			d.Weight, err = a.u32()
		case destUThresh:
			d.UThreshold, err = a.u32()
		case destLThresh:
			d.LThreshold, err = a.u32()
		case destActive:
			d.ActiveConns, err = a.u32()
		case destInact:
			d.InactConns, err = a.u32()
		case destPersist:
			d.PersistConns, err = a.u32()
		case destTunType:
			d.TunType, err = a.u8()
		case destTunPort:
			d.TunPort, err = a.be16()
		case destTunFlags:
			d.TunFlags, err = a.u16()
		}
		if err != nil {
			return nil, err
		}
	}
	if addr != nil {
		if d.Addr, err = addrOf(addr, d.Family); err != nil {
			return nil, err
		}
	}
	return d, nil
}
