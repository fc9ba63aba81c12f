// Package codec encodes and decodes VRRP advertisements: version 2 (RFC 3768)
// and version 3 (RFC 5798), for IPv4 and IPv6, byte for byte as keepalived
// 2.2.7 builds them, and applies the checks keepalived makes on receipt
// (see Validate). It is pure: no sockets, no clock.
//
// Encode and Decode work on the VRRP message, i.e. the IP payload after the
// IPv4 header (and, for authentication type AH, after the IPsec AH header,
// see ah.go). The pseudo-header for the VRRPv3 checksum is built from the
// source and destination addresses passed in.
package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Protocol numbers and constants from RFC 3768 / RFC 5798.
const (
	IPProtoVRRP = 112
	IPProtoAH   = 51

	TypeAdvertisement = 1

	AuthNone = 0 // no authentication
	AuthPass = 1 // simple text password (keepalived "auth_type PASS")
	AuthAH   = 2 // IPsec AH (keepalived "auth_type AH")

	// TTL is the IPv4 TTL / IPv6 hop limit a multicast advert must carry.
	TTL = 255

	HeaderLen   = 8 // fixed VRRP header
	AuthDataLen = 8 // VRRPv2 authentication data
)

// MulticastIPv4 and MulticastIPv6 are the VRRP multicast groups.
var (
	MulticastIPv4 = netip.MustParseAddr("224.0.0.18")
	MulticastIPv6 = netip.MustParseAddr("ff02::12")
)

// Packet is a decoded VRRP message.
type Packet struct {
	Version  uint8 // 2 or 3
	Type     uint8 // 1 = advertisement
	VRID     uint8
	Priority uint8
	// AuthType is the VRRPv2 authentication type (0 none, 1 PASS, 2 AH).
	// VRRPv3 has no such field (it is part of the reserved bits, always 0).
	AuthType uint8
	// AdvertInt is in seconds for VRRPv2 (8 bits) and in centiseconds for
	// VRRPv3 (12 bits).
	AdvertInt uint16
	Addresses []netip.Addr
	// AuthData is the VRRPv2 authentication data (the PASS password,
	// NUL padded); zero for v3.
	AuthData [8]byte
	// Checksum is the checksum as carried in the packet (Decode) or as
	// computed (Encode does not read it).
	Checksum uint16

	// Filled by Decode only, for Validate.

	// Reserved holds the 4 reserved bits of the v3 advert-interval field.
	Reserved uint8
	// ChecksumValid reports whether Checksum verified (v2: over the VRRP
	// message; v3: with the IPv4/IPv6 pseudo-header).
	ChecksumValid bool
	// Src, Dst, TTL are those passed to Decode.
	Src, Dst netip.Addr
	TTL      int
	// Len is the length of the decoded message.
	Len int
	// AH is the IPsec AH header in front of the message (DecodeIPv4 with
	// auth_type AH), or nil.
	AH *AH
}

// Errors returned (wrapped) by Decode and Encode.
var (
	ErrTooShort      = errors.New("vrrp: packet too short")
	ErrLength        = errors.New("vrrp: length does not match address count")
	ErrVersion       = errors.New("vrrp: unsupported version")
	ErrFamily        = errors.New("vrrp: address family mismatch")
	ErrV2IPv6        = errors.New("vrrp: VRRP version 2 is IPv4 only")
	ErrTooMany       = errors.New("vrrp: more than 255 addresses")
	ErrAdvertInt     = errors.New("vrrp: advertisement interval out of range")
	ErrBadParameters = errors.New("vrrp: invalid parameters")
)

// MessageLen is the length of a VRRP message of version v carrying n
// addresses of the family of ipv6.
func MessageLen(version uint8, n int, ipv6 bool) int {
	al := 4
	if ipv6 {
		al = 16
	}
	l := HeaderLen + n*al
	if version == 2 {
		l += AuthDataLen
	}
	return l
}

// Checksum returns the Internet checksum (RFC 1071) of b, started from the
// partial sum acc.
func checksum(acc uint32, b []byte) uint16 {
	s := sum(acc, b)
	for s>>16 != 0 {
		s = (s & 0xffff) + (s >> 16)
	}
	return ^uint16(s)
}

func sum(acc uint32, b []byte) uint32 {
	for len(b) >= 2 {
		acc += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint32(b[0]) << 8
	}
	for acc>>16 != 0 {
		acc = (acc & 0xffff) + (acc >> 16)
	}
	return acc
}

// pseudoSum is the partial sum of the IPv4 or IPv6 pseudo-header for a VRRP
// message of length n.
func pseudoSum(src, dst netip.Addr, n int) uint32 {
	var ph []byte
	if src.Is4() {
		ph = make([]byte, 12)
		s, d := src.As4(), dst.As4()
		copy(ph[0:4], s[:])
		copy(ph[4:8], d[:])
		ph[9] = IPProtoVRRP
		binary.BigEndian.PutUint16(ph[10:], uint16(n))
	} else {
		ph = make([]byte, 40)
		s, d := src.As16(), dst.As16()
		copy(ph[0:16], s[:])
		copy(ph[16:32], d[:])
		binary.BigEndian.PutUint32(ph[32:], uint32(n))
		ph[39] = IPProtoVRRP
	}
	return sum(0, ph)
}

// messageChecksum computes the checksum of msg (whose checksum field must be
// zero, or the result is 0 for a valid message).
func messageChecksum(version uint8, msg []byte, src, dst netip.Addr) uint16 {
	if version == 3 {
		return checksum(pseudoSum(src, dst, len(msg)), msg)
	}
	return checksum(0, msg)
}

func checkFamily(src, dst netip.Addr) (ipv6 bool, err error) {
	if !src.IsValid() || !dst.IsValid() {
		return false, fmt.Errorf("%w: source and destination addresses are required", ErrBadParameters)
	}
	src, dst = src.Unmap(), dst.Unmap()
	if src.Is4() != dst.Is4() {
		return false, fmt.Errorf("%w: source %s, destination %s", ErrFamily, src, dst)
	}
	return src.Is6(), nil
}

// Encode builds the VRRP message for p as keepalived sends it from src to
// dst. The checksum is computed (p.Checksum is ignored): for version 2 over
// the VRRP message, for version 3 with the IPv4/IPv6 pseudo-header (for
// IPv6 keepalived lets the kernel fill it in; the result on the wire is the
// same).
func Encode(p Packet, src, dst netip.Addr) ([]byte, error) {
	ipv6, err := checkFamily(src, dst)
	if err != nil {
		return nil, err
	}
	src, dst = src.Unmap(), dst.Unmap()
	switch p.Version {
	case 2:
		if ipv6 {
			return nil, ErrV2IPv6
		}
		if p.AdvertInt > 0xff {
			return nil, fmt.Errorf("%w: %d s (VRRPv2 allows 0-255)", ErrAdvertInt, p.AdvertInt)
		}
	case 3:
		if p.AdvertInt > 0x0fff {
			return nil, fmt.Errorf("%w: %d cs (VRRPv3 allows 0-4095)", ErrAdvertInt, p.AdvertInt)
		}
	default:
		return nil, fmt.Errorf("%w: %d", ErrVersion, p.Version)
	}
	if p.Type > 0x0f {
		return nil, fmt.Errorf("%w: type %d does not fit in 4 bits", ErrBadParameters, p.Type)
	}
	if len(p.Addresses) > 255 {
		return nil, ErrTooMany
	}
	b := make([]byte, MessageLen(p.Version, len(p.Addresses), ipv6))
	b[0] = p.Version<<4 | p.Type
	b[1] = p.VRID
	b[2] = p.Priority
	b[3] = uint8(len(p.Addresses))
	if p.Version == 2 {
		b[4] = p.AuthType
		b[5] = uint8(p.AdvertInt)
	} else {
		binary.BigEndian.PutUint16(b[4:], p.AdvertInt&0x0fff)
	}
	off := HeaderLen
	for _, a := range p.Addresses {
		a = a.Unmap()
		if a.Is6() != ipv6 {
			return nil, fmt.Errorf("%w: address %s in an IPv%d advert", ErrFamily, a, map[bool]int{false: 4, true: 6}[ipv6])
		}
		off += copy(b[off:], a.AsSlice())
	}
	if p.Version == 2 {
		copy(b[off:], p.AuthData[:])
	}
	binary.BigEndian.PutUint16(b[6:], messageChecksum(p.Version, b, src, dst))
	return b, nil
}

// Decode parses the VRRP message b received from src for dst with the given
// IPv4 TTL / IPv6 hop limit (-1 when unknown). It fails only when b cannot
// be a VRRP message (too short, unknown version, length not matching the
// address count); everything keepalived checks on receipt is left to
// Validate, so that the reason can be reported as keepalived does. The
// checksum is verified and reported in ChecksumValid.
func Decode(b []byte, src, dst netip.Addr, ttl int) (Packet, error) {
	ipv6, err := checkFamily(src, dst)
	if err != nil {
		return Packet{}, err
	}
	src, dst = src.Unmap(), dst.Unmap()
	if len(b) < HeaderLen {
		return Packet{}, fmt.Errorf("%w: %d bytes, the VRRP header is %d", ErrTooShort, len(b), HeaderLen)
	}
	p := Packet{
		Version:  b[0] >> 4,
		Type:     b[0] & 0x0f,
		VRID:     b[1],
		Priority: b[2],
		Checksum: binary.BigEndian.Uint16(b[6:]),
		Src:      src,
		Dst:      dst,
		TTL:      ttl,
		Len:      len(b),
	}
	naddr := int(b[3])
	switch p.Version {
	case 2:
		if ipv6 {
			return Packet{}, ErrV2IPv6
		}
		p.AuthType = b[4]
		p.AdvertInt = uint16(b[5])
	case 3:
		v := binary.BigEndian.Uint16(b[4:])
		p.Reserved = uint8(v >> 12)
		p.AdvertInt = v & 0x0fff
	default:
		return Packet{}, fmt.Errorf("%w: %d", ErrVersion, p.Version)
	}
	want := MessageLen(p.Version, naddr, ipv6)
	if len(b) != want {
		return Packet{}, fmt.Errorf("%w: %d bytes, %d addresses need %d", ErrLength, len(b), naddr, want)
	}
	al := 4
	if ipv6 {
		al = 16
	}
	p.Addresses = make([]netip.Addr, 0, naddr)
	off := HeaderLen
	for i := 0; i < naddr; i++ {
		a, _ := netip.AddrFromSlice(b[off : off+al])
		p.Addresses = append(p.Addresses, a)
		off += al
	}
	if p.Version == 2 {
		copy(p.AuthData[:], b[off:off+AuthDataLen])
	}
	p.ChecksumValid = messageChecksum(p.Version, b, src, dst) == 0
	return p, nil
}
