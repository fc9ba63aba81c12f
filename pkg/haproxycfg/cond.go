package haproxycfg

import "strings"

// This file evaluates the conditions of .if and .elif lines the way
// haproxy 2.6 does, with its grammar, predicates and error messages.

// Features is the build feature list gohaproxy claims, as haproxy -vv prints
// it on its "Feature list" line (taken from Debian bookworm's haproxy 2.6).
// feature(NAME) is true when NAME appears in it after a '+'.
const Features = "-51DEGREES +ACCEPT4 +BACKTRACE -CLOSEFROM +CPU_AFFINITY +CRYPT_H -DEVICEATLAS +DL -ENGINE +EPOLL -EVPORTS +GETADDRINFO -KQUEUE +LIBCRYPT +LINUX_SPLICE +LINUX_TPROXY +LUA -MEMORY_PROFILING +NETFILTER +NS -OBSOLETE_LINKER +OPENSSL +OT -PCRE +PCRE2 +PCRE2_JIT -PCRE_JIT +POLL +PRCTL -PROCCTL +PROMEX -QUIC +RT +SLZ -STATIC_PCRE -STATIC_PCRE2 +SYSTEMD +TFO +THREAD +THREAD_DUMP +TPROXY -WURFL -ZLIB"

// SSLLibVersion is the TLS library reported to the openssl_version_* and
// ssllib_name_startswith predicates.
const SSLLibVersion = "OpenSSL 3.0.19 27 Jan 2026"

// maxCfgRecursion bounds the nesting of condition sub-expressions.
const maxCfgRecursion = 1024

type condEnv struct {
	env      Env
	version  string
	features string
	ssllib   string
}

type condTermType uint8

const (
	ctFalse condTermType = iota + 1
	ctTrue
	ctPred
	ctParen
)

type condTerm struct {
	typ  condTermType
	neg  bool
	pred string
	args []string
	expr *condExpr
}

// condAnd is a chain of terms joined by "&&".
type condAnd struct {
	terms []*condTerm
}

// condExpr is a chain of condAnd joined by "||".
type condExpr struct {
	ands []*condAnd
}

// condError carries haproxy's message and the offset of the offending
// character in the condition text.
type condError struct {
	msg string
	pos int
}

var condPredicates = []struct {
	name  string
	nargs int
}{
	{"defined", 1},
	{"feature", 1},
	{"streq", 2},
	{"strneq", 2},
	{"version_atleast", 1},
	{"version_before", 1},
	{"openssl_version_atleast", 1},
	{"openssl_version_before", 1},
	{"ssllib_name_startswith", 1},
}

type condParser struct {
	s string
}

func (p *condParser) at(i int) byte {
	if i < len(p.s) {
		return p.s[i]
	}
	return 0
}

func (p *condParser) skipBlanks(i int) int {
	for c := p.at(i); c == ' ' || c == '\t'; c = p.at(i) {
		i++
	}
	return i
}

// rest returns the C string starting at i.
func (p *condParser) rest(i int) string {
	if i >= len(p.s) {
		return ""
	}
	return p.s[i:]
}

// strtol mimics C strtol(s+i, &end, 0) and returns the value's truthiness
// and the end offset (end == i when nothing was parsed).
func (p *condParser) strtol(i int) (nonzero bool, end int) {
	j := i
	for isSpaceC(p.at(j)) {
		j++
	}
	if c := p.at(j); c == '+' || c == '-' {
		j++
	}
	base := 10
	if p.at(j) == '0' {
		if (p.at(j+1)|0x20) == 'x' && isHexC(p.at(j+2)) {
			base = 16
			j += 2
		} else {
			base = 8
		}
	}
	start := j
	for {
		c := p.at(j)
		var d int
		switch {
		case isDigitC(c):
			d = int(c - '0')
		case (c|0x20) >= 'a' && (c|0x20) <= 'z':
			d = int((c|0x20)-'a') + 10
		default:
			d = 99
		}
		if d >= base {
			break
		}
		if d != 0 {
			nonzero = true
		}
		j++
	}
	if j == start {
		return false, i
	}
	return nonzero, j
}

func isHexC(c byte) bool { _, ok := hexVal(c); return ok }

// parseTerm returns (term, newpos, ret) with ret -1 error, 0 desync, 1 ok.
func (p *condParser) parseTerm(text int, depth int) (*condTerm, int, int, *condError) {
	in := p.skipBlanks(text)
	if p.at(in) == 0 {
		return nil, text, 0, nil
	}
	fail0 := func() (*condTerm, int, int, *condError) {
		return nil, text, -1, &condError{"unparsable conditional expression '" + p.rest(text) + "'", text}
	}
	if depth <= 0 {
		return fail0()
	}
	t := &condTerm{}
	for p.at(in) == '!' {
		t.neg = !t.neg
		in++
		in = p.skipBlanks(in)
	}
	if nz, end := p.strtol(in); end != in {
		if nz {
			t.typ = ctTrue
		} else {
			t.typ = ctFalse
		}
		return t, end, 1, nil
	}
	if p.at(in) == '(' {
		t.typ = ctParen
		in = p.skipBlanks(in + 1)
		e, ni, ret, err := p.parseExpr(in, depth-1)
		if ret == -1 {
			return nil, text, -1, err
		}
		if ret == 0 {
			return fail0()
		}
		in = p.skipBlanks(ni)
		if p.at(in) != ')' {
			return nil, text, -1, &condError{"expected ')' after conditional expression '" + p.rest(text) + "'", text}
		}
		in = p.skipBlanks(in + 1)
		t.expr = e
		return t, in, 1, nil
	}
	// predicate name: up to a space or an opening parenthesis
	n := strings.IndexAny(p.rest(in), " (")
	if n < 0 {
		n = len(p.rest(in))
	}
	word := p.s[in : in+n]
	for _, pr := range condPredicates {
		if pr.name != word {
			continue
		}
		t.typ = ctPred
		t.pred = pr.name
		args, end, argn, msg := p.argList(in+n, pr.nargs)
		if msg != "" {
			return nil, text, -1, &condError{msg + " in argument " + itoa(argn) + " of predicate '" + pr.name + "' used in conditional expression", end}
		}
		t.args = args
		return t, end, 1, nil
	}
	return fail0()
}

// argList parses "(a,b)" for a predicate taking nargs mandatory string
// arguments, like haproxy's make_arg_list(). It returns the arguments, the
// offset after the list, the argument number for error messages and an
// error message.
func (p *condParser) argList(in int, nargs int) ([]string, int, int, string) {
	empty := p.at(in) != '('
	if !empty {
		in++
	}
	var args []string
	pos := 0
	var b []byte
	for pos < nargs {
		b = b[:0]
		squote, dquote := false, false
		if !empty {
			for p.at(in) != 0 {
				c := p.at(in)
				if c == '"' && !squote {
					dquote = !dquote
					in++
					continue
				}
				if c == '\'' && !dquote {
					squote = !squote
					in++
					continue
				}
				if c == '\\' && !squote {
					n := p.at(in + 1)
					if n == 0 {
						msg := "failed to parse '" + p.rest(in) + "' after '" + string(b) + "' as type 'string' at position " + itoa(pos+1)
						return nil, in, pos, msg
					}
					switch n {
					case '\\', ' ', '"', '\'':
						in++
						b = append(b, n)
					case 'r':
						in++
						b = append(b, '\r')
					case 'n':
						in++
						b = append(b, '\n')
					case 't':
						in++
						b = append(b, '\t')
					default:
						b = append(b, c)
					}
					in++
					continue
				}
				if !squote && !dquote && (c == ',' || c == ')') {
					break
				}
				b = append(b, c)
				in++
			}
		}
		args = append(args, string(b))
		pos++
		if empty || p.at(in) == 0 || p.at(in) == ')' || pos >= nargs {
			break
		}
		in++ // comma
	}
	if pos < nargs {
		return nil, in, pos, "missing arguments (got " + itoa(pos) + "/" + itoa(nargs) + "), type 'string' expected"
	}
	if !empty {
		if p.at(in) == ')' {
			in++
		} else {
			msg := "expected ')'"
			if w := p.rest(in); w != "" {
				msg = "expected ')' before '" + w + "'"
			}
			if pos > 1 {
				pos--
			}
			return nil, in, pos, msg
		}
	}
	return args, in, pos, ""
}

func (p *condParser) parseAnd(text int, depth int) (*condAnd, int, int, *condError) {
	in := text
	if p.at(in) == 0 {
		return nil, text, 0, nil
	}
	if depth <= 0 {
		return nil, text, -1, &condError{"unparsable conditional sub-expression '" + p.rest(in) + "'", in}
	}
	t, ni, ret, err := p.parseTerm(in, depth-1)
	if ret == -1 {
		return nil, text, -1, err
	}
	if ret == 0 {
		return nil, text, -1, &condError{"unparsable conditional sub-expression '" + p.rest(in) + "'", in}
	}
	e := &condAnd{terms: []*condTerm{t}}
	in = p.skipBlanks(ni)
	text = in
	if p.at(in) != '&' || p.at(in+1) != '&' {
		return e, text, 1, nil
	}
	in = p.skipBlanks(in + 2)
	r, ni, ret, err := p.parseAnd(in, depth-1)
	if ret < 0 {
		return nil, text, ret, err
	}
	if ret == 0 {
		return nil, text, 0, nil
	}
	e.terms = append(e.terms, r.terms...)
	return e, ni, 1, nil
}

func (p *condParser) parseExpr(text int, depth int) (*condExpr, int, int, *condError) {
	in := text
	if p.at(in) == 0 {
		return nil, text, 0, nil
	}
	if depth <= 0 {
		return nil, text, -1, &condError{"unparsable conditional expression '" + p.rest(in) + "'", in}
	}
	a, ni, ret, err := p.parseAnd(in, depth-1)
	if ret == -1 {
		return nil, text, -1, err
	}
	if ret == 0 {
		// parseAnd may have moved past its left term before failing
		return nil, text, -1, &condError{"unparsable conditional expression '" + p.rest(ni) + "'", ni}
	}
	e := &condExpr{ands: []*condAnd{a}}
	in = p.skipBlanks(ni)
	text = in
	if p.at(in) != '|' || p.at(in+1) != '|' {
		return e, text, 1, nil
	}
	in = p.skipBlanks(in + 2)
	r, ni, ret, err := p.parseExpr(in, depth-1)
	if ret < 0 {
		return nil, text, ret, err
	}
	if ret == 0 {
		return nil, text, 0, nil
	}
	e.ands = append(e.ands, r.ands...)
	return e, ni, 1, nil
}

func (ce *condEnv) evalTerm(t *condTerm) bool {
	var r bool
	switch t.typ {
	case ctTrue:
		r = true
	case ctFalse:
		r = false
	case ctParen:
		r = ce.evalExpr(t.expr)
	case ctPred:
		a := t.args
		switch t.pred {
		case "defined":
			_, r = ce.env.Lookup(a[0])
		case "feature":
			r = hasFeature(ce.features, a[0])
		case "streq":
			r = cstring(a[0]) == cstring(a[1])
		case "strneq":
			r = cstring(a[0]) != cstring(a[1])
		case "version_atleast":
			r = compareVersion(ce.version, a[0]) <= 0
		case "version_before":
			r = compareVersion(ce.version, a[0]) > 0
		case "openssl_version_atleast":
			r = compareVersion(sslVersionNumber(ce.ssllib), a[0]) <= 0
		case "openssl_version_before":
			r = compareVersion(sslVersionNumber(ce.ssllib), a[0]) > 0
		case "ssllib_name_startswith":
			r = strings.HasPrefix(ce.ssllib, cstring(a[0]))
		}
	}
	if t.neg {
		r = !r
	}
	return r
}

func (ce *condEnv) evalExpr(e *condExpr) bool {
	for _, a := range e.ands {
		ok := true
		for _, t := range a.terms {
			if !ce.evalTerm(t) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// evalCondition evaluates the text of a .if/.elif condition. It returns
// the result, or an error with the offset of the offending character.
func (ce *condEnv) evalCondition(text string) (bool, *condError) {
	if text == "" || text[0] == 0 {
		return false, nil
	}
	p := &condParser{s: text}
	e, end, ret, err := p.parseExpr(0, maxCfgRecursion)
	if ret == -1 {
		return false, err
	}
	if ret == 0 {
		return false, &condError{"unparsable conditional expression '" + text + "'", end}
	}
	end = p.skipBlanks(end)
	if c := p.at(end); c != 0 {
		return false, &condError{"unexpected character '" + string([]byte{c}) + "' at the end of conditional expression '" + text + "'", end}
	}
	return ce.evalExpr(e), nil
}

// cstring cuts s at its first NUL byte, as C string functions see it.
func cstring(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// hasFeature reports whether name is listed with a '+' in features.
func hasFeature(features, name string) bool {
	name = cstring(name)
	if name == "" {
		return false
	}
	for p := 0; p < len(features); {
		k := strings.Index(features[p:], name)
		if k < 0 {
			return false
		}
		k += p
		after := k + len(name)
		if k > 0 && (after == len(features) || features[after] == ' ') {
			switch features[k-1] {
			case '+':
				return true
			case '-':
				return false
			}
		}
		p = k + 1
	}
	return false
}

// splitVersion converts a version string into haproxy's comparable form:
// major, minor, patch, sub, tag (1 dev, 2 rc/pre, 3 release), tag number and
// commit count. ok is false for an unparsable version.
func splitVersion(v string) (out [7]uint32, ok bool) {
	v = cstring(v)
	out[4] = 3
	if v == "" {
		return out, false
	}
	p := 0
	for i := 0; i < 4; i++ {
		val, end := strtolC(v, p)
		out[i] = uint32(val)
		if end >= len(v) {
			return out, true
		}
		sep := v[end]
		p = end + 1
		if sep == '-' && i < 3 {
			goto tag
		}
		if i == 3 {
			if sep != '-' {
				return out, false
			}
			goto tag
		}
		if sep != '.' {
			return out, false
		}
	}
tag:
	if p < len(v) && isDigitC(v[p]) {
		goto commit
	}
	switch {
	case strings.HasPrefix(v[p:], "dev"):
		out[4] = 1
		p += 3
	case strings.HasPrefix(v[p:], "rc"):
		out[4] = 2
		p += 2
	case strings.HasPrefix(v[p:], "pre"):
		out[4] = 2
		p += 3
	default:
		goto commit
	}
	{
		val, end := strtolC(v, p)
		out[5] = uint32(val)
		if end >= len(v) {
			return out, true
		}
		if v[end] != '-' {
			return out, false
		}
		p = end + 1
	}
commit:
	if p > len(v) {
		p = len(v)
	}
	if k := strings.LastIndexByte(v[p:], '-'); k >= 0 {
		s := v[p+k+1:]
		if s == "" {
			return out, false
		}
		val, end := strtolC(s, 0)
		if end != len(s) {
			val = 0
		}
		out[6] = uint32(val)
		return out, true
	}
	val, end := strtolC(v, p)
	if end != len(v) {
		val = 0
	}
	out[6] = uint32(val)
	return out, true
}

// strtolC mimics strtol(s+p, &end, 10).
func strtolC(s string, p int) (int64, int) {
	j := p
	for j < len(s) && isSpaceC(s[j]) {
		j++
	}
	neg := false
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		neg = s[j] == '-'
		j++
	}
	start := j
	var v int64
	for j < len(s) && isDigitC(s[j]) {
		if v < 1<<40 {
			v = v*10 + int64(s[j]-'0')
		}
		j++
	}
	if j == start {
		return 0, p
	}
	if neg {
		v = -v
	}
	return v, j
}

// compareVersion compares version v against the current version cur like
// haproxy's compare_current_version(): -1 when v is older, 0 when equal, 1
// when newer, -2 or -3 when cur or v cannot be parsed.
func compareVersion(cur, v string) int {
	loc, ok := splitVersion(cur)
	if !ok {
		return -2
	}
	mod, ok := splitVersion(v)
	if !ok {
		return -3
	}
	for i := range loc {
		if mod[i] < loc[i] {
			return -1
		}
		if mod[i] > loc[i] {
			return 1
		}
	}
	return 0
}

// sslVersionNumber extracts "3.0.19" from "OpenSSL 3.0.19 27 Jan 2026".
func sslVersionNumber(lib string) string {
	f := strings.Fields(lib)
	if len(f) >= 2 {
		return f[1]
	}
	return lib
}
