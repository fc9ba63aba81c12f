package logfmt

import (
	"net/netip"
	"strconv"
	"time"
)

type varID uint8

const (
	vB varID = iota
	vCC
	vCS
	vH
	vHM
	vHP
	vHPO
	vHQ
	vHU
	vHV
	vID
	vST
	vT
	vTa
	vTc
	vTd
	vTh
	vTi
	vTl
	vTq
	vTR
	vTr
	vTs
	vTt
	vTu
	vTw
	vU
	vac
	vb
	vbc
	vbi
	vbp
	vbq
	vci
	vcp
	vf
	vfc
	vfi
	vfp
	vft
	vlc
	vhr
	vhrl
	vhs
	vhsl
	vms
	vpid
	vr
	vrc
	vrt
	vs
	vsc
	vsi
	vsp
	vsq
	vsslc
	vsslv
	vt
	vtr
	vtrg
	vtrl
	vts
	vtsc
	vfn
	vbn
)

var varNames = map[string]varID{
	"B": vB, "CC": vCC, "CS": vCS, "H": vH, "HM": vHM, "HP": vHP, "HPO": vHPO, "HQ": vHQ, "HU": vHU, "HV": vHV,
	"ID": vID, "ST": vST, "T": vT, "Ta": vTa, "Tc": vTc, "Td": vTd, "Th": vTh, "Ti": vTi, "Tl": vTl, "Tq": vTq,
	"TR": vTR, "Tr": vTr, "Ts": vTs, "Tt": vTt, "Tu": vTu, "Tw": vTw, "U": vU, "ac": vac, "b": vb, "bc": vbc,
	"bi": vbi, "bp": vbp, "bq": vbq, "ci": vci, "cp": vcp, "f": vf, "fc": vfc, "fi": vfi, "fp": vfp, "ft": vft,
	"lc": vlc, "hr": vhr, "hrl": vhrl, "hs": vhs, "hsl": vhsl, "ms": vms, "pid": vpid, "r": vr, "rc": vrc,
	"rt": vrt, "s": vs, "sc": vsc, "si": vsi, "sp": vsp, "sq": vsq, "sslc": vsslc, "sslv": vsslv, "t": vt,
	"tr": vtr, "trg": vtrg, "trl": vtrl, "ts": vts, "tsc": vtsc, "fn": vfn, "bn": vbn,
}

// Append renders the format for ev, appending to dst. It allocates only
// when dst must grow (or in ev.Sample).
func (f *Format) Append(dst []byte, ev *Event) []byte {
	lastSpace := true
	for i := range f.nodes {
		n := &f.nodes[i]
		switch n.kind {
		case kSep:
			if !lastSpace {
				dst = append(dst, ' ')
				lastSpace = true
			}
			continue
		case kText:
			dst = append(dst, n.text...)
		case kSample:
			q := n.flags&FlagQuote != 0
			if q {
				dst = append(dst, '"')
			}
			start := len(dst)
			switch {
			case n.smp != nil:
				if ev.Ctx != nil {
					dst, _ = n.smp.Append(dst, ev.Ctx)
				}
			case ev.Sample != nil:
				dst = ev.Sample(dst, n.text)
			}
			if f.value {
				dst = encodeCTL(dst, start)
			} else if n.flags&FlagEscape != 0 {
				dst = escapeFrom(dst, start)
			}
			if len(dst) == start && !q && !f.value {
				dst = append(dst, '-')
			}
			if q {
				dst = append(dst, '"')
			}
		case kVar:
			before := len(dst)
			dst = appendVar(dst, n, ev)
			if len(dst) == before {
				continue // nothing emitted: the next separator is not doubled
			}
		}
		lastSpace = false
	}
	return dst
}

func appendText(dst []byte, s string, fl uint8) []byte {
	q := fl&FlagQuote != 0
	if q {
		dst = append(dst, '"')
	}
	if s == "" {
		if !q {
			dst = append(dst, '-')
		}
	} else if fl&FlagEscape != 0 {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c == '"' || c == '\\' || c == ']' {
				dst = append(dst, '\\')
			}
			dst = append(dst, s[i])
		}
	} else {
		dst = append(dst, s...)
	}
	if q {
		dst = append(dst, '"')
	}
	return dst
}

// appendURLPart writes a part of the request line, escaped as %r is.
func appendURLPart(dst, s []byte, fl uint8) []byte {
	q := fl&FlagQuote != 0
	if q {
		dst = append(dst, '"')
	}
	if len(s) == 0 {
		if !q {
			dst = append(dst, '-')
		}
	} else {
		dst = appendEncoded(dst, s, "\"")
	}
	if q {
		dst = append(dst, '"')
	}
	return dst
}

const hexDigits = "0123456789ABCDEF"

func appendHex(dst []byte, v uint64, width int) []byte {
	var b [16]byte
	i := len(b)
	for v > 0 || len(b)-i < width {
		i--
		b[i] = hexDigits[v&15]
		v >>= 4
	}
	return append(dst, b[i:]...)
}

func appendIP(dst []byte, a netip.AddrPort, fl uint8) []byte {
	if !a.IsValid() {
		return appendText(dst, "", fl)
	}
	ip := a.Addr().Unmap()
	if fl&FlagHex != 0 && ip.Is4() {
		b := ip.As4()
		return appendHex(dst, uint64(b[0])<<24|uint64(b[1])<<16|uint64(b[2])<<8|uint64(b[3]), 8)
	}
	q := fl&FlagQuote != 0
	if q {
		dst = append(dst, '"')
	}
	dst = ip.AppendTo(dst)
	if q {
		dst = append(dst, '"')
	}
	return dst
}

func appendPort(dst []byte, a netip.AddrPort, fl uint8) []byte {
	if !a.IsValid() {
		return appendText(dst, "", fl)
	}
	if fl&FlagHex != 0 {
		return appendHex(dst, uint64(a.Port()), 4)
	}
	return strconv.AppendUint(dst, uint64(a.Port()), 10)
}

func appendNum(dst []byte, v int64) []byte { return strconv.AppendInt(dst, v, 10) }

var monthNames = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

func append2(dst []byte, v int) []byte { return append(dst, byte('0'+v/10), byte('0'+v%10)) }

// appendDate writes dd/Mmm/yyyy:HH:MM:SS.
func appendDate(dst []byte, t time.Time) []byte {
	y, m, d := t.Date()
	dst = append2(dst, d)
	dst = append(dst, '/')
	dst = append(dst, monthNames[m-1]...)
	dst = append(dst, '/')
	dst = strconv.AppendInt(dst, int64(y), 10)
	dst = append(dst, ':')
	dst = append2(dst, t.Hour())
	dst = append(dst, ':')
	dst = append2(dst, t.Minute())
	dst = append(dst, ':')
	return append2(dst, t.Second())
}

func appendMillis(dst []byte, t time.Time) []byte {
	ms := t.Nanosecond() / 1e6
	return append(dst, byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
}

// appendZone writes " +hhmm".
func appendZone(dst []byte, t time.Time) []byte {
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	dst = append(dst, ' ', sign)
	dst = append2(dst, off/3600)
	return append2(dst, off/60%60)
}

func appendTimer(dst []byte, v int64) []byte {
	if v < 0 {
		return append(dst, '-', '1')
	}
	return strconv.AppendInt(dst, v, 10)
}

// hdrEncode escapes a captured header as haproxy does: '"', '#', '{',
// '|', '}' and characters outside 32..126 become #XX.
func appendEncoded(dst, s []byte, extra string) []byte {
	for _, c := range s {
		esc := c < 32 || c > 126 || c == '#'
		if !esc {
			for i := 0; i < len(extra); i++ {
				if extra[i] == c {
					esc = true
					break
				}
			}
		}
		if esc {
			dst = append(dst, '#', hexDigits[c>>4], hexDigits[c&15])
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

func appendCaptures(dst []byte, caps [][]byte, fl uint8, clf bool) []byte {
	if len(caps) == 0 {
		return dst
	}
	q := fl&FlagQuote != 0
	if clf {
		for i, c := range caps {
			if i > 0 {
				dst = append(dst, ' ')
			}
			if q {
				dst = append(dst, '"')
			}
			if c == nil {
				dst = append(dst, '-')
			} else {
				dst = appendEncoded(dst, c, "\"{|}")
			}
			if q {
				dst = append(dst, '"')
			}
		}
		return dst
	}
	if q {
		dst = append(dst, '"')
	}
	dst = append(dst, '{')
	for i, c := range caps {
		if i > 0 {
			dst = append(dst, '|')
		}
		dst = appendEncoded(dst, c, "\"{|}")
	}
	dst = append(dst, '}')
	if q {
		dst = append(dst, '"')
	}
	return dst
}

// splitRequest returns method, uri and version of a request line.
func splitRequest(r []byte) (m, uri, v []byte) {
	i := 0
	for i < len(r) && r[i] != ' ' {
		i++
	}
	m = r[:i]
	for i < len(r) && r[i] == ' ' {
		i++
	}
	j := i
	for j < len(r) && r[j] != ' ' {
		j++
	}
	uri = r[i:j]
	for j < len(r) && r[j] == ' ' {
		j++
	}
	return m, uri, r[j:]
}

func appendVar(dst []byte, n *node, ev *Event) []byte {
	fl := n.flags
	switch n.v {
	case vB:
		return appendNum(dst, ev.BytesRead)
	case vU:
		return appendNum(dst, ev.BytesUploaded)
	case vCC:
		return appendText(dst, ev.ReqCookie, fl)
	case vCS:
		return appendText(dst, ev.ResCookie, fl)
	case vH:
		return appendText(dst, ev.Hostname, fl)
	case vID:
		return appendText(dst, ev.UniqueID, fl)
	case vST:
		return appendNum(dst, int64(ev.Status))
	case vT, vtrg:
		t := ev.Accept
		if n.v == vtrg && !ev.Request.IsZero() {
			t = ev.Request
		}
		t = t.UTC()
		dst = appendDate(dst, t)
		return append(dst, " +0000"...)
	case vTl, vtrl:
		t := ev.Accept
		if n.v == vtrl && !ev.Request.IsZero() {
			t = ev.Request
		}
		t = t.Local()
		return appendZone(appendDate(dst, t), t)
	case vt, vtr:
		t := ev.Accept
		if n.v == vtr && !ev.Request.IsZero() {
			t = ev.Request
		}
		t = t.Local()
		dst = append(appendDate(dst, t), '.')
		return appendMillis(dst, t)
	case vTs:
		if fl&FlagHex != 0 {
			return appendHex(dst, uint64(ev.Accept.Unix()), 8)
		}
		return appendNum(dst, ev.Accept.Unix())
	case vms:
		return appendMillis(dst, ev.Accept)
	case vTa:
		return appendTimer(dst, ev.Ta)
	case vTc:
		return appendTimer(dst, ev.Tc)
	case vTh:
		return appendTimer(dst, ev.Th)
	case vTi:
		return appendTimer(dst, ev.Ti)
	case vTR:
		return appendTimer(dst, ev.TR)
	case vTr:
		return appendTimer(dst, ev.Tr)
	case vTt:
		return appendTimer(dst, ev.Tt)
	case vTu:
		return appendTimer(dst, ev.Tu)
	case vTw:
		return appendTimer(dst, ev.Tw)
	case vTq:
		if ev.TR < 0 {
			return appendTimer(dst, -1)
		}
		return appendTimer(dst, max(ev.Th, 0)+max(ev.Ti, 0)+ev.TR)
	case vTd:
		return appendTimer(dst, ev.Td)
	case vac:
		return appendNum(dst, int64(ev.ActConn))
	case vfc:
		return appendNum(dst, int64(ev.FeConn))
	case vbc:
		return appendNum(dst, int64(ev.BeConn))
	case vsc:
		return appendNum(dst, int64(ev.SrvConn))
	case vrc:
		if ev.Redispatched {
			dst = append(dst, '+')
		}
		return appendNum(dst, int64(ev.Retries))
	case vsq:
		return appendNum(dst, int64(ev.SrvQueue))
	case vbq:
		return appendNum(dst, int64(ev.BeQueue))
	case vlc:
		return strconv.AppendUint(dst, ev.LogCounter, 10)
	case vrt:
		if fl&FlagHex != 0 {
			return appendHex(dst, ev.RequestCounter, 4)
		}
		return strconv.AppendUint(dst, ev.RequestCounter, 10)
	case vpid:
		if fl&FlagHex != 0 {
			return appendHex(dst, uint64(ev.PID), 4)
		}
		return appendNum(dst, int64(ev.PID))
	case vb, vbn:
		return appendText(dst, ev.Backend, fl)
	case vf, vfn:
		return appendText(dst, ev.Frontend, fl)
	case vs:
		if ev.Server == "" {
			return appendText(dst, "<NOSRV>", fl)
		}
		return appendText(dst, ev.Server, fl)
	case vft:
		q := fl&FlagQuote != 0
		if q {
			dst = append(dst, '"')
		}
		dst = append(dst, ev.Frontend...)
		if ev.SSL {
			dst = append(dst, '~')
		}
		if q {
			dst = append(dst, '"')
		}
		return dst
	case vci:
		return appendIP(dst, ev.Client, fl)
	case vcp:
		return appendPort(dst, ev.Client, fl)
	case vfi:
		return appendIP(dst, ev.FrontendAddr, fl)
	case vfp:
		return appendPort(dst, ev.FrontendAddr, fl)
	case vbi:
		return appendIP(dst, ev.BackendSrc, fl)
	case vbp:
		return appendPort(dst, ev.BackendSrc, fl)
	case vsi:
		return appendIP(dst, ev.ServerAddr, fl)
	case vsp:
		return appendPort(dst, ev.ServerAddr, fl)
	case vts:
		return append(dst, orDash(ev.Term[0]), orDash(ev.Term[1]))
	case vtsc:
		return append(dst, orDash(ev.Term[0]), orDash(ev.Term[1]), orDash(ev.Cookie[0]), orDash(ev.Cookie[1]))
	case vhr:
		return appendCaptures(dst, ev.ReqCaptures, fl, false)
	case vhs:
		return appendCaptures(dst, ev.ResCaptures, fl, false)
	case vhrl:
		return appendCaptures(dst, ev.ReqCaptures, fl, true)
	case vhsl:
		return appendCaptures(dst, ev.ResCaptures, fl, true)
	case vr:
		q := fl&FlagQuote != 0
		if q {
			dst = append(dst, '"')
		}
		if ev.RequestLine == nil {
			dst = append(dst, "<BADREQ>"...)
		} else {
			dst = appendEncoded(dst, ev.RequestLine, "\"")
		}
		if q {
			dst = append(dst, '"')
		}
		return dst
	case vHM, vHU, vHP, vHPO, vHQ, vHV:
		m, uri, v := splitRequest(ev.RequestLine)
		var part []byte
		switch n.v {
		case vHM:
			part = m
		case vHV:
			part = v
		case vHU:
			part = uri
		case vHP, vHPO, vHQ:
			p, qs := uri, []byte(nil)
			for i, c := range uri {
				if c == '?' {
					p, qs = uri[:i], uri[i:]
					break
				}
			}
			switch n.v {
			case vHQ:
				part = qs
			case vHP:
				part = p
			case vHPO:
				// Strip scheme and authority of an absolute URI.
				if len(p) > 0 && p[0] != '/' {
					for i := 0; i+2 < len(p); i++ {
						if p[i] == ':' && p[i+1] == '/' && p[i+2] == '/' {
							rest := p[i+3:]
							p = rest[len(rest):]
							for j, c := range rest {
								if c == '/' {
									p = rest[j:]
									break
								}
							}
							break
						}
					}
				}
				part = p
			}
		}
		return appendURLPart(dst, part, fl)
	case vsslc:
		return appendText(dst, ev.SSLCipher, fl)
	case vsslv:
		return appendText(dst, ev.SSLVersion, fl)
	}
	return dst
}

func orDash(c byte) byte {
	if c == 0 {
		return '-'
	}
	return c
}

// escapeFrom escapes '"', '\\' and ']' in dst[start:] with a backslash
// (the +E flag).
func escapeFrom(dst []byte, start int) []byte {
	n := 0
	for _, c := range dst[start:] {
		if c == '"' || c == '\\' || c == ']' {
			n++
		}
	}
	if n == 0 {
		return dst
	}
	end := len(dst)
	dst = append(dst, make([]byte, n)...)
	w := len(dst)
	for r := end - 1; r >= start; r-- {
		c := dst[r]
		w--
		dst[w] = c
		if c == '"' || c == '\\' || c == ']' {
			w--
			dst[w] = '\\'
		}
	}
	return dst
}

// encodeCTL %-encodes the control characters (tab excepted) of
// dst[start:], which an HTTP value cannot carry.
func encodeCTL(dst []byte, start int) []byte {
	n := 0
	for _, c := range dst[start:] {
		if c < 0x20 && c != '\t' || c == 0x7f {
			n++
		}
	}
	if n == 0 {
		return dst
	}
	end := len(dst)
	dst = append(dst, make([]byte, 2*n)...)
	w := len(dst)
	for r := end - 1; r >= start; r-- {
		c := dst[r]
		if c < 0x20 && c != '\t' || c == 0x7f {
			w -= 3
			dst[w], dst[w+1], dst[w+2] = '%', hexDigits[c>>4], hexDigits[c&15]
			continue
		}
		w--
		dst[w] = c
	}
	return dst
}
