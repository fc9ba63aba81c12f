package proxyproto

import (
	"hash/crc32"
	"net/netip"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Decode reads a PROXY header (v1 or v2) from the start of b exactly as
// haproxy 2.6 does for "bind ... accept-proxy" and "tcp-request connection
// expect-proxy layer4". It returns the header and the number of bytes it
// used. The error is nil, ErrNeedMore (b is a valid beginning of a header)
// or an *Error (errors.Is(err, ErrInvalid)).
//
// haproxy's own quirks are kept on purpose so that gohaproxy accepts and
// refuses the same headers:
//   - v1 TCP4 addresses are read leniently: fewer than four parts, empty
//     parts, leading zeros and over-long parts (only the last three digits
//     of a part count) are accepted; ports are read as unsigned decimal and
//     truncated to 16 bits; an empty port reads as 0.
//   - v1 TCP6 fields are split on every space; text after the fourth
//     field is ignored as long as each field ends where a space was.
//   - "PROXY UNKNOWN" must be followed directly by CRLF.
//   - v2 PROXY headers with a family other than TCP over IPv4/IPv6 have
//     their TLVs walked from the first byte of the header (so they are
//     normally refused); LOCAL headers are not inspected past the length.
//   - only CRC32C, AUTHORITY and UNIQUE_ID TLVs are checked.
//
// Decode never panics and does not allocate.
func Decode(b []byte) (Header, int, error) { return decode(b, false) }

// DecodeStrict is Decode plus the letter of the specification: v1 lines of
// at most 107 bytes with canonical fields (dotted quads without leading
// zeros, ports 0-65535 without leading zeros, exactly one space between
// fields, nothing else), v2 family bytes limited to the registered
// combinations and well-formed SSL TLVs. Everything DecodeStrict accepts,
// Decode accepts too.
func DecodeStrict(b []byte) (Header, int, error) { return decode(b, true) }

func isPrefix(b []byte, s string) bool {
	if len(b) > len(s) {
		return false
	}
	return string(b) == s[:len(b)]
}

func decode(b []byte, strict bool) (Header, int, error) {
	if len(b) == 0 {
		return Header{}, 0, ErrNeedMore
	}
	if len(b) >= 6 && string(b[:6]) == "PROXY " {
		return decodeV1(b, strict)
	}
	// Could still become a header?
	if len(b) < 6 && isPrefix(b, "PROXY ") {
		return Header{}, 0, ErrNeedMore
	}
	n := len(b)
	if n > 12 {
		n = 12
	}
	if !isPrefix(b[:n], Signature) || (len(b) > 12 && b[12]&0xf0 != 0x20) {
		return Header{}, 0, ErrNotProxy
	}
	if len(b) < V2HeaderLen {
		return Header{}, 0, ErrNeedMore
	}
	return decodeV2(b, strict)
}

// readUint reads decimal digits like haproxy's read_uint (wrapping at 32
// bits) and returns the value and the index after them.
func readUint(b []byte, i, end int) (uint32, int) {
	var v uint32
	for i < end {
		d := b[i] - '0'
		if d > 9 {
			break
		}
		v = v*10 + uint32(d)
		i++
	}
	return v, i
}

// inetAddrLim reads an IPv4 address like haproxy's inetaddr_host_lim_ret:
// up to four dot-separated parts, each made of the last three digits seen.
func inetAddrLim(b []byte, i int) (uint32, int) {
	var v uint32
	shift := 24
	text := i
	for {
		for i < len(b) && b[i]-'0' <= 9 {
			i++
		}
		var part uint32
		for k, mul := i-1, uint32(1); k >= text && k >= i-3; k, mul = k-1, mul*10 {
			part += uint32(b[k]-'0') * mul
		}
		v += part << uint(shift)
		if shift == 0 || i == len(b) || b[i] != '.' {
			break
		}
		shift -= 8
		i++
		text = i
	}
	return v, i
}

func v1NeedMore(b []byte) (Header, int, error) {
	if len(b) >= MaxV1Len {
		return Header{}, 0, ErrV1TooLong
	}
	return Header{}, 0, ErrNeedMore
}

func decodeV1(b []byte, strict bool) (Header, int, error) {
	if len(b) < 9 {
		if isPrefix(b[6:], "TCP4 ") || isPrefix(b[6:], "TCP6 ") || isPrefix(b[6:], "UNKNOWN\r\n") {
			return Header{}, 0, ErrNeedMore
		}
		return Header{}, 0, ErrV1BadProto
	}
	line := b[6:]
	h := Header{Version: 1, Command: CmdProxy}
	var n int
	switch {
	case len(line) >= 5 && string(line[:5]) == "TCP4 ":
		i := 11
		src, i := inetAddrLim(b, i)
		if i == len(b) {
			return v1NeedMore(b)
		}
		if b[i] != ' ' {
			return Header{}, 0, ErrV1BadAddr
		}
		dst, i := inetAddrLim(b, i+1)
		if i == len(b) {
			return v1NeedMore(b)
		}
		if b[i] != ' ' {
			return Header{}, 0, ErrV1BadAddr
		}
		sport, i := readUint(b, i+1, len(b))
		if i == len(b) {
			return v1NeedMore(b)
		}
		if b[i] != ' ' {
			return Header{}, 0, ErrV1BadPort
		}
		dport, i := readUint(b, i+1, len(b))
		if i > len(b)-2 {
			return v1NeedMore(b)
		}
		if b[i] != '\r' || b[i+1] != '\n' {
			return Header{}, 0, ErrV1BadCRLF
		}
		n = i + 2
		h.Family, h.Transport, h.HasAddrs = FamInet, TransStream, true
		h.Src = netip.AddrPortFrom(netip.AddrFrom4([4]byte{byte(src >> 24), byte(src >> 16), byte(src >> 8), byte(src)}), uint16(sport))
		h.Dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte{byte(dst >> 24), byte(dst >> 16), byte(dst >> 8), byte(dst)}), uint16(dport))
	case len(line) >= 5 && string(line[:5]) == "TCP6 ":
		// haproxy NUL-terminates every field in place: at each space and
		// at the CR. A field "ends" where such a NUL, or a NUL byte of the
		// input, is found.
		i := 11
		srcS, dstS, sportS, dportS := 11, -1, -1, -1
		for {
			if i > len(b)-2 {
				return v1NeedMore(b)
			}
			if b[i] == '\r' {
				if b[i+1] != '\n' {
					return Header{}, 0, ErrV1BadCRLF
				}
				break
			}
			if b[i] == ' ' {
				switch {
				case dstS < 0:
					dstS = i + 1
				case sportS < 0:
					sportS = i + 1
				case dportS < 0:
					dportS = i + 1
				}
			}
			i++
		}
		cr := i
		n = cr + 2
		if dstS < 0 || sportS < 0 || dportS < 0 {
			return Header{}, 0, ErrV1Syntax
		}
		isEnd := func(k int) bool { return k >= cr || b[k] == ' ' || b[k] == 0 }
		sport, k := readUint(b, sportS, dportS-1)
		if !isEnd(k) {
			return Header{}, 0, ErrV1BadPort
		}
		dport, k := readUint(b, dportS, cr)
		if !isEnd(k) {
			return Header{}, 0, ErrV1BadPort
		}
		cstr := func(from int) []byte {
			k := from
			for !isEnd(k) {
				k++
			}
			return b[from:k]
		}
		src, ok := pton6(cstr(srcS))
		if !ok {
			return Header{}, 0, ErrV1BadAddr
		}
		dst, ok := pton6(cstr(dstS))
		if !ok {
			return Header{}, 0, ErrV1BadAddr
		}
		h.Family, h.Transport, h.HasAddrs = FamInet6, TransStream, true
		h.Src = netip.AddrPortFrom(netip.AddrFrom16(src), uint16(sport))
		h.Dst = netip.AddrPortFrom(netip.AddrFrom16(dst), uint16(dport))
	case len(line) >= 9 && string(line[:9]) == "UNKNOWN\r\n":
		n = 15
		h.Command = CmdProxy
	case isPrefix(line, "UNKNOWN\r\n") || isPrefix(line, "TCP4 ") || isPrefix(line, "TCP6 "):
		return Header{}, 0, ErrNeedMore
	default:
		return Header{}, 0, ErrV1BadProto
	}
	if strict {
		if err := strictV1(b[:n]); err != nil {
			return Header{}, 0, err
		}
	}
	return h, n, nil
}

// strictPort checks a canonical decimal port.
func strictPort(s []byte) bool {
	if len(s) == 0 || len(s) > 5 || (len(s) > 1 && s[0] == '0') {
		return false
	}
	v := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
		v = v*10 + int(c-'0')
	}
	return v <= 65535
}

// strictV1 validates a complete line that Decode accepted.
func strictV1(line []byte) error {
	if len(line) > MaxV1Len {
		return ErrV1TooLong
	}
	body := line[6 : len(line)-2]
	if string(body) == "UNKNOWN" {
		return nil
	}
	var f [5][]byte
	nf := 0
	start := 0
	for k := 0; k <= len(body); k++ {
		if k == len(body) || body[k] == ' ' {
			if nf == len(f) {
				return ErrV1Syntax
			}
			f[nf] = body[start:k]
			nf++
			start = k + 1
		}
	}
	if nf != 5 {
		return ErrV1Syntax
	}
	if string(f[0]) == "TCP4" {
		var a [4]byte
		if !pton4(f[1], a[:]) || !pton4(f[2], a[:]) {
			return ErrV1BadAddr
		}
	} else {
		if _, ok := pton6(f[1]); !ok {
			return ErrV1BadAddr
		}
		if _, ok := pton6(f[2]); !ok {
			return ErrV1BadAddr
		}
	}
	if !strictPort(f[3]) || !strictPort(f[4]) {
		return ErrV1BadPort
	}
	return nil
}

func decodeV2(b []byte, strict bool) (Header, int, error) {
	l := int(b[14])<<8 | int(b[15])
	total := V2HeaderLen + l
	if len(b) < total {
		return Header{}, 0, ErrNeedMore
	}
	hdr := b[:total:total]
	h := Header{Version: 2, Command: Command(b[12] & 0x0f), Family: Family(b[13] >> 4), Transport: Transport(b[13] & 0x0f)}
	if strict {
		switch b[13] {
		case 0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32:
		default:
			return Header{}, 0, ErrV2BadFamily
		}
	}
	switch h.Command {
	case CmdLocal:
		// haproxy keeps the connection's addresses and looks no further.
		if a := v2AddrLen(b[13]); V2HeaderLen+a <= total {
			h.TLVs = hdr[V2HeaderLen+a:]
		}
	case CmdProxy:
		tlvStart := 0
		switch b[13] {
		case 0x11:
			if l < V2AddrLenInet {
				return Header{}, 0, ErrV2ShortAddr
			}
			h.Src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[16:20])), uint16(b[24])<<8|uint16(b[25]))
			h.Dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[20:24])), uint16(b[26])<<8|uint16(b[27]))
			h.HasAddrs = true
			tlvStart = V2HeaderLen + V2AddrLenInet
		case 0x21:
			if l < V2AddrLenInet6 {
				return Header{}, 0, ErrV2ShortAddr
			}
			h.Src = netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[16:32])), uint16(b[48])<<8|uint16(b[49]))
			h.Dst = netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[32:48])), uint16(b[50])<<8|uint16(b[51]))
			h.HasAddrs = true
			tlvStart = V2HeaderLen + V2AddrLenInet6
		}
		// For other families haproxy 2.6 walks the TLVs from offset 0.
		if err := checkTLVs(hdr, tlvStart); err != nil {
			return Header{}, 0, err
		}
		h.TLVs = hdr[tlvStart:]
		if strict {
			if _, present, err := h.SSL(); present && err != nil {
				return Header{}, 0, err
			}
		}
	default:
		return Header{}, 0, ErrV2BadCommand
	}
	return h, total, nil
}

func v2AddrLen(fam byte) int {
	switch fam >> 4 {
	case 1:
		return V2AddrLenInet
	case 2:
		return V2AddrLenInet6
	case 3:
		return V2AddrLenUnix
	}
	return 0
}

// checkTLVs walks the TLVs of hdr from off as haproxy does: every TLV must
// fit, CRC32C TLVs must be 4 bytes and match, AUTHORITY and UNIQUE_ID must
// respect their limits.
func checkTLVs(hdr []byte, start int) error {
	total := len(hdr)
	off := start
	for off < total {
		if off+3 > total {
			return ErrV2TLVTruncated
		}
		typ := hdr[off]
		tl := int(hdr[off+1])<<8 | int(hdr[off+2])
		val := off + 3
		off = val + tl
		if off > total {
			return ErrV2TLVTruncated
		}
		switch typ {
		case TypeCRC32C:
			if tl != 4 {
				return ErrV2BadCRC32CLen
			}
			if !crcMatches(hdr, start, val) {
				return ErrV2BadCRC32C
			}
		case TypeAuthority:
			if tl > MaxAuthorityLen {
				return ErrV2AuthorityLong
			}
		case TypeUniqueID:
			if tl > MaxUniqueIDLen {
				return ErrV2UniqueIDLong
			}
		}
	}
	return nil
}

var zero4 [4]byte

// crcMatches checks the CRC32C TLV whose value starts at pos, the TLVs being
// walked from start. haproxy zeroes each checksum in its buffer before
// checking it and never restores it, so the values of earlier CRC32C TLVs
// count as zero too.
func crcMatches(hdr []byte, start, pos int) bool {
	want := uint32(hdr[pos])<<24 | uint32(hdr[pos+1])<<16 | uint32(hdr[pos+2])<<8 | uint32(hdr[pos+3])
	var crc uint32
	prev := 0
	for off := start; off+3 < pos; {
		tl := int(hdr[off+1])<<8 | int(hdr[off+2])
		val := off + 3
		if hdr[off] == TypeCRC32C && tl == 4 {
			crc = crc32.Update(crc, castagnoli, hdr[prev:val])
			crc = crc32.Update(crc, castagnoli, zero4[:])
			prev = val + 4
		}
		off = val + tl
	}
	crc = crc32.Update(crc, castagnoli, hdr[prev:pos])
	crc = crc32.Update(crc, castagnoli, zero4[:])
	crc = crc32.Update(crc, castagnoli, hdr[pos+4:])
	return crc == want
}
