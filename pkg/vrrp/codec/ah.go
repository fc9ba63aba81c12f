package codec

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// AHLen is the length of the IPsec AH header keepalived puts in front of a
// VRRPv2 IPv4 advert with auth_type AH: next header, payload length (4),
// reserved, SPI (the sender's IPv4 address), sequence number and a 96-bit
// truncated HMAC-MD5 ICV.
const AHLen = 24

// AH is keepalived's IPsec AH header.
type AH struct {
	NextHeader uint8
	PayloadLen uint8
	Reserved   uint16
	SPI        uint32
	Seq        uint32
	ICV        [12]byte
	// Valid is set by CheckAH.
	Valid bool
}

// IPv4HeaderLen is the length of the IPv4 header keepalived builds.
const IPv4HeaderLen = 20

// ErrIPv4 is returned for a malformed IPv4 header.
var ErrIPv4 = errors.New("vrrp: malformed IPv4 header")

// IPv4Options are the IPv4 header and AH values EncodeIPv4 needs.
type IPv4Options struct {
	TTL uint8
	// ID is the IP identification; keepalived counts it up per advert
	// (the first advert has 1).
	ID uint16
	// Key is the auth_pass data (AH), Seq the AH sequence number (the first
	// advert has 1).
	Key [8]byte
	Seq uint32
	// Unicast: the advert goes to a unicast peer (the TTL is then zeroed
	// for the ICV).
	Unicast bool
}

// EncodeIPv4 builds the whole IPv4 packet keepalived hands the kernel on
// its raw IP_HDRINCL socket: TOS 0xc0, id o.ID, no fragmentation, the given
// TTL, protocol VRRP (or AH), header checksum 0 (the kernel fills the
// header checksum). With p.AuthType AuthAH (VRRPv2 only) the AH
// header is inserted and its ICV computed with key (the auth_pass data)
// and sequence number seq; unicast zeroes the TTL in the ICV input as
// keepalived does.
func EncodeIPv4(p Packet, src, dst netip.Addr, o IPv4Options) ([]byte, error) {
	ttl, key, seq, unicast := o.TTL, o.Key, o.Seq, o.Unicast
	msg, err := Encode(p, src, dst)
	if err != nil {
		return nil, err
	}
	if !src.Unmap().Is4() {
		return nil, fmt.Errorf("%w: EncodeIPv4 needs IPv4 addresses", ErrFamily)
	}
	ah := p.Version == 2 && p.AuthType == AuthAH
	n := IPv4HeaderLen + len(msg)
	if ah {
		n += AHLen
	}
	b := make([]byte, n)
	b[0] = 0x45
	b[1] = 0xc0
	binary.BigEndian.PutUint16(b[2:], uint16(n))
	binary.BigEndian.PutUint16(b[4:], o.ID)
	b[8] = ttl
	b[9] = IPProtoVRRP
	s, d := src.Unmap().As4(), dst.Unmap().As4()
	copy(b[12:16], s[:])
	copy(b[16:20], d[:])
	if !ah {
		copy(b[IPv4HeaderLen:], msg)
		return b, nil
	}
	b[9] = IPProtoAH
	a := b[IPv4HeaderLen:]
	a[0] = IPProtoVRRP
	a[1] = 4
	copy(a[4:8], s[:])
	binary.BigEndian.PutUint32(a[8:], seq)
	copy(b[IPv4HeaderLen+AHLen:], msg)
	icv := ahICV(b, key, unicast)
	copy(a[12:24], icv[:])
	return b, nil
}

// ahICV computes keepalived's ICV over an IPv4 packet holding an AH header:
// HMAC-MD5 keyed with the 8 bytes of auth data, over the IP header with
// TOS, fragment offset (and TTL for unicast) zeroed, and for a received
// packet the kernel-filled header checksum zeroed, followed by the AH
// header with a zero ICV and the VRRP message; truncated to 96 bits.
func ahICV(pkt []byte, key [8]byte, unicast bool) (icv [12]byte) {
	ihl := int(pkt[0]&0x0f) * 4
	buf := append([]byte(nil), pkt...)
	buf[1] = 0
	buf[6], buf[7] = 0, 0
	buf[10], buf[11] = 0, 0 // header checksum, filled by the kernel
	if unicast {
		buf[8] = 0
	}
	clear(buf[ihl+12 : ihl+AHLen])
	m := hmac.New(md5.New, key[:])
	m.Write(buf)
	copy(icv[:], m.Sum(nil))
	return icv
}

// DecodeIPv4 decodes a whole IPv4 packet carrying a VRRP advert, with or
// without keepalived's AH header (see CheckAH to verify its ICV).
func DecodeIPv4(pkt []byte) (Packet, error) {
	if len(pkt) < IPv4HeaderLen || pkt[0]>>4 != 4 {
		return Packet{}, fmt.Errorf("%w: %d bytes", ErrIPv4, len(pkt))
	}
	ihl := int(pkt[0]&0x0f) * 4
	if ihl < IPv4HeaderLen || len(pkt) < ihl {
		return Packet{}, fmt.Errorf("%w: header length %d", ErrIPv4, ihl)
	}
	if tot := int(binary.BigEndian.Uint16(pkt[2:])); tot != len(pkt) {
		return Packet{}, fmt.Errorf("%w: ip_tot_len %d, received %d", ErrIPv4, tot, len(pkt))
	}
	src, _ := netip.AddrFromSlice(pkt[12:16])
	dst, _ := netip.AddrFromSlice(pkt[16:20])
	rest := pkt[ihl:]
	var ah *AH
	switch pkt[9] {
	case IPProtoVRRP:
	case IPProtoAH:
		if len(rest) < AHLen {
			return Packet{}, fmt.Errorf("%w: %d bytes after the IP header, AH needs %d", ErrTooShort, len(rest), AHLen)
		}
		ah = &AH{
			NextHeader: rest[0],
			PayloadLen: rest[1],
			Reserved:   binary.BigEndian.Uint16(rest[2:]),
			SPI:        binary.BigEndian.Uint32(rest[4:]),
			Seq:        binary.BigEndian.Uint32(rest[8:]),
		}
		copy(ah.ICV[:], rest[12:24])
		rest = rest[AHLen:]
	default:
		return Packet{}, fmt.Errorf("%w: protocol %d is neither VRRP nor AH", ErrIPv4, pkt[9])
	}
	p, err := Decode(rest, src, dst, int(pkt[8]))
	if err != nil {
		return Packet{}, err
	}
	p.AH = ah
	return p, nil
}

// CheckAH verifies the ICV of the AH header in pkt (a whole IPv4 packet)
// with key, and that the SPI is the source address, and records the result
// in p.AH.Valid.
func CheckAH(p *Packet, pkt []byte, key [8]byte, unicast bool) bool {
	if p.AH == nil || len(pkt) < IPv4HeaderLen+AHLen {
		return false
	}
	icv := ahICV(pkt, key, unicast)
	s := p.Src.As4()
	p.AH.Valid = hmac.Equal(icv[:], p.AH.ICV[:]) && p.AH.SPI == binary.BigEndian.Uint32(s[:])
	return p.AH.Valid
}
