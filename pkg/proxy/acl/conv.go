package acl

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// splitArgs splits converter arguments on commas.
func splitArgs(arg string) []string {
	if arg == "" {
		return nil
	}
	return strings.Split(arg, ",")
}

func strConv(fn func([]byte) ([]byte, bool)) conv {
	return func(s sample) (sample, bool) {
		b, ok := toStr(s)
		if !ok {
			return s, false
		}
		out, ok := fn(b)
		return sample{k: kStr, s: out}, ok
	}
}

func intConv(fn func(int64) int64) conv {
	return func(s sample) (sample, bool) {
		v, ok := toInt(s)
		if !ok {
			return s, false
		}
		return sample{k: kInt, i: fn(v)}, true
	}
}

// compileConv2 compiles the converters beyond lower, upper and ipmask.
func (cp *Compiler) compileConv2(name, arg string) (conv, kind, error) {
	args := splitArgs(arg)
	bad := func() (conv, kind, error) {
		return nil, 0, &Unsupported{fmt.Sprintf("converter '%s' with arguments '%s'", name, arg)}
	}
	intArg := func(i int) (int64, bool) {
		if i >= len(args) {
			return 0, false
		}
		v, err := strconv.ParseInt(strings.TrimSpace(args[i]), 10, 64)
		return v, err == nil
	}
	switch name {
	case "base64":
		return strConv(func(b []byte) ([]byte, bool) {
			return base64.StdEncoding.AppendEncode(nil, b), true
		}), kStr, nil
	case "b64dec":
		return strConv(func(b []byte) ([]byte, bool) {
			out, err := base64.StdEncoding.AppendDecode(nil, b)
			return out, err == nil
		}), kBin, nil
	case "hex":
		return strConv(func(b []byte) ([]byte, bool) {
			out := make([]byte, 0, 2*len(b))
			for _, c := range b {
				out = append(out, hexUpper[c>>4], hexUpper[c&15])
			}
			return out, true
		}), kStr, nil
	case "length":
		return func(s sample) (sample, bool) {
			b, ok := toStr(s)
			return sample{k: kInt, i: int64(len(b))}, ok
		}, kInt, nil
	case "bytes":
		off, ok := intArg(0)
		if !ok || off < 0 || len(args) > 2 {
			return bad()
		}
		n := int64(-1)
		if len(args) == 2 {
			if n, ok = intArg(1); !ok || n < 0 {
				return bad()
			}
		}
		return strConv(func(b []byte) ([]byte, bool) {
			if off >= int64(len(b)) {
				return nil, true
			}
			b = b[off:]
			if n >= 0 && n < int64(len(b)) {
				b = b[:n]
			}
			return b, true
		}), kBin, nil
	case "url_dec":
		form := false
		if len(args) > 0 {
			v, ok := intArg(0)
			if !ok {
				return bad()
			}
			form = v != 0
		}
		return strConv(func(b []byte) ([]byte, bool) { return urlDecode(b, form) }), kStr, nil
	case "json":
		if len(args) > 1 || len(args) == 1 && args[0] != "ascii" && args[0] != "" {
			return bad()
		}
		return strConv(func(b []byte) ([]byte, bool) { return jsonEscape(b), true }), kStr, nil
	case "field", "word":
		idx, ok := intArg(0)
		if !ok || idx == 0 || len(args) < 2 || len(args) > 3 || args[1] == "" {
			return bad()
		}
		cnt := int64(1)
		if len(args) == 3 {
			if cnt, ok = intArg(2); !ok || cnt < 0 {
				return bad()
			}
		}
		delims, words := args[1], name == "word"
		return strConv(func(b []byte) ([]byte, bool) {
			return pickFields(b, delims, idx, cnt, words), true
		}), kStr, nil
	case "regsub":
		if len(args) < 2 || len(args) > 3 {
			return bad()
		}
		flags := ""
		if len(args) == 3 {
			flags = args[2]
		}
		expr := args[0]
		global := false
		for _, f := range flags {
			switch f {
			case 'i':
				expr = "(?i)" + expr
			case 'g':
				global = true
			default:
				return bad()
			}
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, 0, &Unsupported{fmt.Sprintf("regsub regex '%s' (%v)", args[0], err)}
		}
		repl := regsubTemplate(args[1])
		return strConv(func(b []byte) ([]byte, bool) {
			if global {
				return re.ReplaceAll(b, repl), true
			}
			loc := re.FindSubmatchIndex(b)
			if loc == nil {
				return b, true
			}
			out := append([]byte(nil), b[:loc[0]]...)
			out = re.Expand(out, repl, b, loc)
			return append(out, b[loc[1]:]...), true
		}), kStr, nil
	case "add", "sub", "mul", "div", "mod":
		n, ok := intArg(0)
		if !ok || len(args) != 1 {
			return bad()
		}
		var fn func(int64) int64
		switch name {
		case "add":
			fn = func(v int64) int64 { return arithAdd(v, n) }
		case "sub":
			fn = func(v int64) int64 {
				if n == math.MinInt64 {
					r := arithAdd(v, math.MaxInt64)
					if r < math.MaxInt64 {
						r++
					}
					return r
				}
				return arithAdd(v, -n)
			}
		case "mul":
			fn = func(v int64) int64 {
				switch {
				case v == 0 || n == 0:
					return 0
				case v == math.MinInt64 && n == -1:
					return math.MaxInt64
				}
				c := v * n
				if v != c/n {
					if (v < 0) == (n < 0) {
						return math.MaxInt64
					}
					return math.MinInt64
				}
				return c
			}
		case "div":
			fn = func(v int64) int64 {
				switch {
				case n == 0:
					return math.MaxInt64
				case v == math.MinInt64 && n == -1:
					return math.MaxInt64
				}
				return v / n
			}
		case "mod":
			fn = func(v int64) int64 {
				if n == 0 || v == math.MinInt64 && n == -1 {
					return 0
				}
				return v % n
			}
		}
		return intConv(fn), kInt, nil
	case "http_date":
		off := int64(0)
		if len(args) > 0 && strings.TrimSpace(args[0]) != "" {
			var ok bool
			if off, ok = intArg(0); !ok {
				return bad()
			}
		}
		div := int64(1) // the input's units per second
		if len(args) > 1 {
			switch args[1] {
			case "", "s":
			case "ms":
				div = 1000
			case "us":
				div = 1000000
			default:
				return bad()
			}
		}
		if len(args) > 2 {
			return bad()
		}
		return func(s sample) (sample, bool) {
			v, ok := toInt(s)
			if !ok {
				return s, false
			}
			// as haproxy: offset first, the fraction in the input's
			// unit printed unpadded, the seconds masked to 55 bits
			v += off
			frac := v % div
			v = (v / div) & 0x007fffffffffffff
			t := time.Unix(v, 0).UTC()
			if t.Year() > 9999 {
				return s, false
			}
			out := t.AppendFormat(nil, "Mon, 02 Jan 2006 15:04:05")
			if div > 1 {
				out = append(out, '.')
				out = appendInt(out, frac)
			}
			return sample{k: kStr, s: append(out, " GMT"...)}, true
		}, kStr, nil
	case "map", "map_str", "map_beg", "map_end", "map_sub", "map_dom", "map_ip", "map_reg":
		if len(args) < 1 || len(args) > 2 {
			return bad()
		}
		m, err := cp.loadMap(name, args[0])
		if err != nil {
			return nil, 0, err
		}
		def, hasDef := "", len(args) == 2
		if hasDef {
			def = args[1]
		}
		return func(s sample) (sample, bool) {
			if v, ok := m.lookup(s); ok {
				return sample{k: kStr, s: v}, true
			}
			if hasDef {
				return sample{k: kStr, s: []byte(def)}, true
			}
			return s, false
		}, kStr, nil
	}
	return nil, 0, &Unsupported{fmt.Sprintf("converter '%s'", name)}
}

const hexUpper = "0123456789ABCDEF"

// arithAdd is haproxy's capped addition, with its checks as they are:
// they compute MAX-a with wrapping arithmetic, so that two negative
// operands may give the largest integer (haproxy 2.6 answers
// "-9,sub(10)" with 9223372036854775807).
func arithAdd(a, b int64) int64 {
	if a^b >= 0 {
		if a < 0 && math.MinInt64-a > b {
			return math.MinInt64
		}
		if math.MaxInt64-a < b {
			return math.MaxInt64
		}
	}
	return a + b
}

// urlDecode decodes %XX sequences (and '+' as a space when form is set);
// a bad sequence fails the conversion.
func urlDecode(b []byte, form bool) ([]byte, bool) {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '%':
			if i+2 >= len(b) {
				return nil, false
			}
			h, l := unhex(b[i+1]), unhex(b[i+2])
			if h < 0 || l < 0 {
				return nil, false
			}
			out = append(out, byte(h<<4|l))
			i += 2
		case c == '+' && form:
			out = append(out, ' ')
		default:
			out = append(out, c)
		}
	}
	return out, true
}

func unhex(c byte) int {
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

// jsonEscape escapes a string for a JSON string body, byte by byte
// (haproxy's "ascii" mode).
func jsonEscape(b []byte) []byte {
	out := make([]byte, 0, len(b)+8)
	for _, c := range b {
		switch c {
		case '"':
			out = append(out, '\\', '"')
		case '\\':
			out = append(out, '\\', '\\')
		case '/':
			out = append(out, '\\', '/')
		case '\b':
			out = append(out, '\\', 'b')
		case '\f':
			out = append(out, '\\', 'f')
		case '\r':
			out = append(out, '\\', 'r')
		case '\n':
			out = append(out, '\\', 'n')
		case '\t':
			out = append(out, '\\', 't')
		default:
			if c < 0x20 || c > 0x7e {
				out = append(out, '\\', 'u', '0', '0', hexLower[c>>4], hexLower[c&15])
			} else {
				out = append(out, c)
			}
		}
	}
	return out
}

const hexLower = "0123456789abcdef"

// pickFields returns cnt fields (0: all the rest) from the idx-th (from
// 1; negative counts from the end) of b split on any byte of delims;
// words skips empty fields.
func pickFields(b []byte, delims string, idx, cnt int64, words bool) []byte {
	type span struct{ a, z int }
	var fs []span
	start := 0
	for i := 0; i <= len(b); i++ {
		if i < len(b) && strings.IndexByte(delims, b[i]) < 0 {
			continue
		}
		if !words || i > start {
			fs = append(fs, span{start, i})
		}
		start = i + 1
	}
	n := int64(len(fs))
	var first, last int64
	if idx > 0 {
		first = idx - 1
		last = n - 1
		if cnt > 0 && first+cnt-1 < last {
			last = first + cnt - 1
		}
	} else {
		last = n + idx
		first = 0
		if cnt > 0 && last-cnt+1 > first {
			first = last - cnt + 1
		}
	}
	if first < 0 || last >= n || first > last || first >= n || last < 0 {
		return nil
	}
	return b[fs[first].a:fs[last].z]
}

// regsubTemplate turns haproxy's \N references into Go's ${N}.
func regsubTemplate(s string) []byte {
	var out []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			out = append(out, '$', '{', s[i+1], '}')
			i++
		case c == '$':
			out = append(out, '$', '$')
		default:
			out = append(out, c)
		}
	}
	return out
}

// mapFile is a loaded map: keys in file order with their values.
type mapFile struct {
	kind  string
	exact map[string][]byte
	keys  [][]byte
	vals  [][]byte
	ips   []netip.Prefix
	regs  []*regexp.Regexp
}

func (cp *Compiler) loadMap(kind, file string) (*mapFile, error) {
	rf := cp.ReadFile
	if rf == nil {
		rf = os.ReadFile
	}
	b, err := rf(file)
	if err != nil {
		return nil, &Unsupported{fmt.Sprintf("map file '%s' (%v)", file, err)}
	}
	if kind == "map" {
		kind = "map_str"
	}
	m := &mapFile{kind: kind, exact: map[string][]byte{}}
	for _, ln := range strings.Split(string(b), "\n") {
		ln = strings.Trim(ln, " \t\r")
		if ln == "" || ln[0] == '#' {
			continue
		}
		key, val := ln, ""
		if i := strings.IndexAny(ln, " \t"); i >= 0 {
			key, val = ln[:i], strings.TrimLeft(ln[i:], " \t")
		}
		switch kind {
		case "map_str":
			if _, dup := m.exact[key]; !dup {
				m.exact[key] = []byte(val)
			}
			continue
		case "map_ip":
			p, err := parseIPPattern(key)
			if err != nil {
				return nil, &Unsupported{fmt.Sprintf("map file '%s': bad address '%s'", file, key)}
			}
			m.ips = append(m.ips, p)
		case "map_reg":
			re, err := regexp.Compile(key)
			if err != nil {
				return nil, &Unsupported{fmt.Sprintf("map file '%s': bad regex '%s'", file, key)}
			}
			m.regs = append(m.regs, re)
		}
		m.keys = append(m.keys, []byte(key))
		m.vals = append(m.vals, []byte(val))
	}
	return m, nil
}

func (m *mapFile) lookup(s sample) ([]byte, bool) {
	if m.kind == "map_ip" {
		ip, ok := toIP(s)
		if !ok {
			return nil, false
		}
		best, bits := -1, -1
		for i, p := range m.ips {
			if p.Contains(ip) && p.Bits() > bits {
				best, bits = i, p.Bits()
			}
		}
		if best < 0 {
			return nil, false
		}
		return m.vals[best], true
	}
	b, ok := toStr(s)
	if !ok {
		return nil, false
	}
	if m.kind == "map_str" {
		v, ok := m.exact[string(b)]
		return v, ok
	}
	for i, k := range m.keys {
		var hit bool
		switch m.kind {
		case "map_beg":
			hit = bytes.HasPrefix(b, k)
		case "map_end":
			hit = bytes.HasSuffix(b, k)
		case "map_sub":
			hit = bytes.Contains(b, k)
		case "map_dom":
			hit = matchWord(b, k, "/?.:")
		case "map_reg":
			hit = m.regs[i].Match(b)
		}
		if hit {
			return m.vals[i], true
		}
	}
	return nil, false
}
