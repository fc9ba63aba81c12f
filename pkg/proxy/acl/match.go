package acl

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

func toStr(s sample) ([]byte, bool) {
	switch s.k {
	case kStr, kBin:
		return s.s, true
	case kInt, kBool:
		return []byte(strconv.FormatInt(s.i, 10)), true
	case kIP:
		return []byte(s.ip.String()), true
	}
	return nil, false
}

func toInt(s sample) (int64, bool) {
	switch s.k {
	case kInt, kBool:
		return s.i, true
	case kStr:
		// haproxy's string to integer cast reads a leading number
		str := string(s.s)
		i := 0
		if i < len(str) && (str[i] == '-' || str[i] == '+') {
			i++
		}
		j := i
		for j < len(str) && str[j] >= '0' && str[j] <= '9' {
			j++
		}
		if j == i {
			return 0, false
		}
		n, err := strconv.ParseInt(str[:j], 10, 64)
		return n, err == nil
	}
	return 0, false
}

func toIP(s sample) (netip.Addr, bool) {
	switch s.k {
	case kIP:
		return s.ip, true
	case kStr:
		a, err := netip.ParseAddr(string(s.s))
		return a.Unmap(), err == nil
	}
	return netip.Addr{}, false
}

func (e *Expr) match(s sample) bool {
	switch e.method {
	case "found":
		return true
	case "bool":
		i, ok := toInt(s)
		return ok && i != 0
	case "int", "len":
		var v int64
		if e.method == "len" {
			b, ok := toStr(s)
			if !ok {
				return false
			}
			v = int64(len(b))
		} else {
			var ok bool
			if v, ok = toInt(s); !ok {
				return false
			}
		}
		for _, r := range e.ints {
			if (!r.hasLo || v >= r.lo) && (!r.hasHi || v <= r.hi) {
				return true
			}
		}
		return false
	case "ip":
		ip, ok := toIP(s)
		if !ok {
			return false
		}
		for _, p := range e.ips {
			if p.Contains(ip) {
				return true
			}
			if p.Addr().Is4() && ip.Is6() && ip.Is4In6() && p.Contains(ip.Unmap()) {
				return true
			}
			if p.Addr().Is6() && ip.Is4() && p.Contains(netip.AddrFrom16(ip.As16())) {
				return true
			}
		}
		return false
	}
	b, ok := toStr(s)
	if !ok {
		return false
	}
	if e.method == "reg" {
		for _, r := range e.regs {
			if r.Match(b) {
				return true
			}
		}
		return false
	}
	if e.icase && e.method != "bin" {
		b = bytes.ToLower(b)
	}
	for _, p := range e.strs {
		switch e.method {
		case "str", "bin":
			if bytes.Equal(b, p) {
				return true
			}
		case "beg":
			if bytes.HasPrefix(b, p) {
				return true
			}
		case "end":
			if bytes.HasSuffix(b, p) {
				return true
			}
		case "sub":
			if bytes.Contains(b, p) {
				return true
			}
		case "dom":
			if matchWord(b, p, "/?.:") {
				return true
			}
		case "dir":
			if matchWord(b, p, "/?") {
				return true
			}
		}
	}
	return false
}

// matchWord finds p in b delimited on both sides by one of delims or an
// end of b; delimiters around p itself are ignored.
func matchWord(b, p []byte, delims string) bool {
	p = bytes.Trim(p, delims)
	if len(p) == 0 {
		return false
	}
	isDelim := func(c byte) bool { return strings.IndexByte(delims, c) >= 0 }
	for i := 0; i+len(p) <= len(b); i++ {
		if i > 0 && !isDelim(b[i-1]) {
			continue
		}
		if !bytes.Equal(b[i:i+len(p)], p) {
			continue
		}
		if j := i + len(p); j == len(b) || isDelim(b[j]) {
			return true
		}
	}
	return false
}

func (e *Expr) compilePatterns(pats []string, dotted bool) error {
	switch e.method {
	case "found", "bool":
		return nil
	case "int", "len":
		op := ""
		for _, p := range pats {
			switch p {
			case "eq", "ge", "gt", "le", "lt":
				op = p
				continue
			}
			r, err := parseIntRange(p, dotted)
			if err != nil {
				return err
			}
			if op != "" && op != "eq" {
				if r.hasLo != r.hasHi || r.lo != r.hi {
					return &Unsupported{fmt.Sprintf("'%s %s'", op, p)}
				}
				v := r.lo
				switch op {
				case "ge":
					r = intRange{lo: v, hasLo: true}
				case "gt":
					r = intRange{lo: v + 1, hasLo: true}
				case "le":
					r = intRange{hi: v, hasHi: true}
				case "lt":
					r = intRange{hi: v - 1, hasHi: true}
				}
			}
			e.ints = append(e.ints, r)
		}
	case "ip":
		for _, p := range pats {
			pf, err := parseIPPattern(p)
			if err != nil {
				return err
			}
			e.ips = append(e.ips, pf)
		}
	case "reg":
		for _, p := range pats {
			if e.icase {
				p = "(?i)" + p
			}
			r, err := regexp.Compile(p)
			if err != nil {
				return &Unsupported{fmt.Sprintf("regex '%s' (%v)", p, err)}
			}
			e.regs = append(e.regs, r)
		}
	case "bin":
		for _, p := range pats {
			b, err := hex.DecodeString(p)
			if err != nil {
				return &Unsupported{fmt.Sprintf("binary pattern '%s'", p)}
			}
			e.strs = append(e.strs, b)
		}
	case "str", "beg", "end", "sub", "dom", "dir":
		for _, p := range pats {
			if e.icase {
				p = strings.ToLower(p)
			}
			e.strs = append(e.strs, []byte(p))
		}
	default:
		return &Unsupported{fmt.Sprintf("match method '%s'", e.method)}
	}
	return nil
}

func parseIntRange(p string, dotted bool) (intRange, error) {
	num := func(s string) (int64, error) {
		if dotted {
			maj, min, _ := strings.Cut(s, ".")
			a, err := strconv.ParseInt(maj, 10, 64)
			if err != nil {
				return 0, err
			}
			b := int64(0)
			if min != "" {
				if b, err = strconv.ParseInt(min, 10, 64); err != nil {
					return 0, err
				}
			}
			return a<<16 | b, nil
		}
		return strconv.ParseInt(s, 10, 64)
	}
	lo, hi, isRange := strings.Cut(p, ":")
	var r intRange
	var err error
	if !isRange {
		if r.lo, err = num(p); err != nil {
			return r, &Unsupported{fmt.Sprintf("integer pattern '%s'", p)}
		}
		r.hi, r.hasLo, r.hasHi = r.lo, true, true
		return r, nil
	}
	if lo != "" {
		if r.lo, err = num(lo); err != nil {
			return r, &Unsupported{fmt.Sprintf("integer pattern '%s'", p)}
		}
		r.hasLo = true
	}
	if hi != "" {
		if r.hi, err = num(hi); err != nil {
			return r, &Unsupported{fmt.Sprintf("integer pattern '%s'", p)}
		}
		r.hasHi = true
	}
	return r, nil
}

func parseIPPattern(p string) (netip.Prefix, error) {
	addr, mask, hasMask := strings.Cut(p, "/")
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.Prefix{}, &Unsupported{fmt.Sprintf("address pattern '%s' (host names are not resolved)", p)}
	}
	a = a.Unmap()
	bits := a.BitLen()
	if hasMask {
		if bits, err = parseMask(mask, a.Is6()); err != nil {
			return netip.Prefix{}, err
		}
	}
	return a.Prefix(bits)
}
