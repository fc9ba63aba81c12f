package proxyproto

// Address text conversions with the exact behaviour of the C library calls
// haproxy uses (glibc's inet_pton and inet_ntop), which differ from Go's
// net/netip in corner cases (IPv4-compatible addresses, leading zeros).

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// pton4 parses s as glibc's inet_pton(AF_INET): exactly four decimal
// octets, no leading zeros, nothing else.
func pton4(s []byte, dst []byte) bool {
	var tmp [4]byte
	octets, idx, sawDigit := 0, 0, false
	for _, ch := range s {
		switch {
		case ch >= '0' && ch <= '9':
			nv := uint(tmp[idx])*10 + uint(ch-'0')
			if sawDigit && tmp[idx] == 0 {
				return false
			}
			if nv > 255 {
				return false
			}
			tmp[idx] = byte(nv)
			if !sawDigit {
				octets++
				if octets > 4 {
					return false
				}
				sawDigit = true
			}
		case ch == '.' && sawDigit:
			if octets == 4 {
				return false
			}
			idx++
			tmp[idx] = 0
			sawDigit = false
		default:
			return false
		}
	}
	if octets < 4 {
		return false
	}
	copy(dst, tmp[:])
	return true
}

// pton6 parses s as glibc's inet_pton(AF_INET6).
func pton6(s []byte) (out [16]byte, ok bool) {
	var tmp [16]byte
	tp, colonp := 0, -1
	if len(s) == 0 {
		return out, false
	}
	i := 0
	if s[0] == ':' {
		i++
		if i == len(s) || s[i] != ':' {
			return out, false
		}
	}
	curtok := i
	seen, val := 0, 0
	for i < len(s) {
		ch := s[i]
		i++
		if d := hexVal(ch); d >= 0 {
			if seen == 4 {
				return out, false
			}
			val = val<<4 | d
			seen++
			continue
		}
		if ch == ':' {
			curtok = i
			if seen == 0 {
				if colonp >= 0 {
					return out, false
				}
				colonp = tp
				continue
			} else if i == len(s) {
				return out, false
			}
			if tp+2 > 16 {
				return out, false
			}
			tmp[tp], tmp[tp+1] = byte(val>>8), byte(val)
			tp += 2
			seen, val = 0, 0
			continue
		}
		if ch == '.' && tp+4 <= 16 && pton4(s[curtok:], tmp[tp:tp+4]) {
			tp += 4
			seen = 0
			break
		}
		return out, false
	}
	if seen > 0 {
		if tp+2 > 16 {
			return out, false
		}
		tmp[tp], tmp[tp+1] = byte(val>>8), byte(val)
		tp += 2
	}
	if colonp >= 0 {
		if tp == 16 {
			return out, false
		}
		n := tp - colonp
		copy(tmp[16-n:], tmp[colonp:tp])
		for k := colonp; k < 16-n; k++ {
			tmp[k] = 0
		}
		tp = 16
	}
	if tp != 16 {
		return out, false
	}
	return tmp, true
}

func appendUint(dst []byte, v uint64) []byte {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(dst, buf[i:]...)
}

// appendNtop4 appends a dotted quad.
func appendNtop4(dst []byte, a [4]byte) []byte {
	for i, b := range a {
		if i > 0 {
			dst = append(dst, '.')
		}
		dst = appendUint(dst, uint64(b))
	}
	return dst
}

// appendNtop6 appends a as glibc's inet_ntop(AF_INET6) writes it: the first
// longest run (at least two) of zero words becomes "::", hex is lower case,
// and IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) addresses
// end in a dotted quad.
func appendNtop6(dst []byte, a [16]byte) []byte {
	var w [8]uint16
	for i := range w {
		w[i] = uint16(a[2*i])<<8 | uint16(a[2*i+1])
	}
	bestBase, bestLen, curBase, curLen := -1, 0, -1, 0
	for i := 0; i < 8; i++ {
		if w[i] == 0 {
			if curBase == -1 {
				curBase, curLen = i, 1
			} else {
				curLen++
			}
		} else if curBase != -1 {
			if bestBase == -1 || curLen > bestLen {
				bestBase, bestLen = curBase, curLen
			}
			curBase = -1
		}
	}
	if curBase != -1 && (bestBase == -1 || curLen > bestLen) {
		bestBase, bestLen = curBase, curLen
	}
	if bestBase != -1 && bestLen < 2 {
		bestBase = -1
	}
	const hex = "0123456789abcdef"
	for i := 0; i < 8; i++ {
		if bestBase != -1 && i >= bestBase && i < bestBase+bestLen {
			if i == bestBase {
				dst = append(dst, ':')
			}
			continue
		}
		if i != 0 {
			dst = append(dst, ':')
		}
		if i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff)) {
			return appendNtop4(dst, [4]byte{a[12], a[13], a[14], a[15]})
		}
		v := w[i]
		started := false
		for sh := 12; sh >= 0; sh -= 4 {
			d := (v >> uint(sh)) & 0xf
			if d != 0 || started || sh == 0 {
				dst = append(dst, hex[d])
				started = true
			}
		}
	}
	if bestBase != -1 && bestBase+bestLen == 8 {
		dst = append(dst, ':')
	}
	return dst
}
