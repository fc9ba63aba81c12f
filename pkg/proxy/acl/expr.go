package acl

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

type kind uint8

const (
	kBool kind = iota
	kInt
	kIP
	kStr
	kBin
)

type sample struct {
	k  kind
	i  int64
	ip netip.Addr
	s  []byte
}

// fetchFn returns the sample; more says it may change with more data (on
// failure: the data is too short to tell).
type fetchFn func(ctx *Context, args []string) (smp sample, ok, more bool)

type fetchDef struct {
	out     kind
	match   string // default match method
	content bool   // reads the request buffer
	http    bool   // reads the HTTP request (HTTP mode only)
	resp    bool   // reads the HTTP response
	aclOnly bool   // an ACL keyword (path_beg, ...), not a sample fetch
	dotted  bool   // int patterns are dotted versions (3.1)
	minArgs int
	maxArgs int
	fn      fetchFn
	// each, when set, yields every value an ACL matches against (hdr:
	// each comma-separated value of each occurrence); fn is still the
	// single-sample fetch used with converters.
	each     func(ctx *Context, args []string, yield func(sample) bool)
	keywords []string
}

func boolS(b bool) sample {
	if b {
		return sample{k: kBool, i: 1}
	}
	return sample{k: kBool}
}

func intS(i int) sample { return sample{k: kInt, i: int64(i)} }

func argOr(args []string, i int, def string) string {
	if i < len(args) && args[i] != "" {
		return args[i]
	}
	return def
}

var fetches = map[string]*fetchDef{}

func def(f *fetchDef, names ...string) {
	for _, n := range names {
		fetches[n] = f
	}
}

func init() {
	def(&fetchDef{out: kIP, match: "ip", fn: func(c *Context, _ []string) (sample, bool, bool) {
		return sample{k: kIP, ip: c.Src.Addr().Unmap()}, c.Src.IsValid(), false
	}}, "src")
	def(&fetchDef{out: kIP, match: "ip", fn: func(c *Context, _ []string) (sample, bool, bool) {
		return sample{k: kIP, ip: c.Dst.Addr().Unmap()}, c.Dst.IsValid(), false
	}}, "dst")
	def(&fetchDef{out: kInt, match: "int", fn: func(c *Context, _ []string) (sample, bool, bool) {
		return intS(int(c.Src.Port())), c.Src.IsValid(), false
	}}, "src_port")
	def(&fetchDef{out: kInt, match: "int", fn: func(c *Context, _ []string) (sample, bool, bool) {
		return intS(int(c.Dst.Port())), c.Dst.IsValid(), false
	}}, "dst_port")
	def(&fetchDef{out: kBool, match: "bool", fn: func(*Context, []string) (sample, bool, bool) { return boolS(true), true, false }}, "always_true")
	def(&fetchDef{out: kBool, match: "bool", fn: func(*Context, []string) (sample, bool, bool) { return boolS(false), true, false }}, "always_false")
	def(&fetchDef{out: kBool, match: "bool", fn: func(c *Context, _ []string) (sample, bool, bool) {
		// wait_end is true once the analysis ends, undecided before
		if !c.Final {
			return sample{}, false, true
		}
		return boolS(true), true, false
	}}, "wait_end")
	def(&fetchDef{out: kInt, match: "int", maxArgs: 1, fn: func(c *Context, a []string) (sample, bool, bool) {
		if c.Proxies == nil {
			return sample{}, false, false
		}
		return intS(c.Proxies.NbSrv(argOr(a, 0, c.Backend))), true, false
	}}, "nbsrv")
	def(&fetchDef{out: kInt, match: "int", maxArgs: 1, fn: func(c *Context, a []string) (sample, bool, bool) {
		if c.Proxies == nil {
			return sample{}, false, false
		}
		return intS(c.Proxies.BeConn(argOr(a, 0, c.Backend))), true, false
	}}, "be_conn")
	def(&fetchDef{out: kInt, match: "int", maxArgs: 1, fn: func(c *Context, a []string) (sample, bool, bool) {
		if c.Proxies == nil {
			return sample{}, false, false
		}
		return intS(c.Proxies.FeConn(argOr(a, 0, c.Frontend))), true, false
	}}, "fe_conn")
	def(&fetchDef{out: kBool, match: "bool", minArgs: 1, maxArgs: 1, fn: func(c *Context, a []string) (sample, bool, bool) {
		if c.Proxies == nil {
			return sample{}, false, false
		}
		be, srv := c.Backend, a[0]
		if i := strings.IndexByte(srv, '/'); i >= 0 {
			be, srv = srv[:i], srv[i+1:]
		}
		return boolS(c.Proxies.SrvIsUp(be, srv)), true, false
	}}, "srv_is_up")
	def(&fetchDef{out: kInt, match: "int", content: true, fn: func(c *Context, _ []string) (sample, bool, bool) {
		// haproxy flags the length as subject to change: a failed
		// match waits for more data
		return intS(len(c.Payload)), true, true
	}}, "req.len", "req_len")
	def(&fetchDef{out: kBin, match: "bin", content: true, minArgs: 2, maxArgs: 2, fn: fetchPayload}, "req.payload", "payload")
	def(&fetchDef{out: kStr, match: "str", content: true, fn: func(c *Context, _ []string) (sample, bool, bool) {
		s, ok, more := ClientHelloSNI(c.Payload)
		return sample{k: kStr, s: []byte(s)}, ok, more
	}}, "req.ssl_sni", "req_ssl_sni")
	def(&fetchDef{out: kInt, match: "int", content: true, fn: func(c *Context, _ []string) (sample, bool, bool) {
		t, ok, more := HelloType(c.Payload)
		return intS(t), ok, more
	}}, "req.ssl_hello_type", "req_ssl_hello_type")
	def(&fetchDef{out: kInt, match: "int", content: true, dotted: true, fn: func(c *Context, _ []string) (sample, bool, bool) {
		v, ok, more := HelloVersion(c.Payload, c.BufSize)
		return intS(v), ok, more
	}}, "req.ssl_ver", "req_ssl_ver")
	def(&fetchDef{out: kBool, match: "bool", content: true, fn: func(c *Context, _ []string) (sample, bool, bool) {
		ok, more := ProtoHTTP(c.Payload)
		return boolS(true), ok, more
	}}, "req.proto_http", "req_proto_http")
}

func fetchPayload(c *Context, a []string) (sample, bool, bool) {
	off, _ := strconv.Atoi(a[0])
	n, _ := strconv.Atoi(a[1])
	if off < 0 || n < 0 {
		return sample{}, false, false
	}
	if c.BufSize > 0 && off+n > c.BufSize {
		return sample{}, false, false // can never fit
	}
	if n == 0 {
		// length 0: everything after off
		if len(c.Payload) < off {
			return sample{}, false, true
		}
		return sample{k: kBin, s: c.Payload[off:]}, true, false
	}
	if len(c.Payload) < off+n {
		return sample{}, false, true
	}
	return sample{k: kBin, s: c.Payload[off : off+n]}, true, false
}

// ProtoHTTP says whether data starts with a complete HTTP/1 request head
// (request line and headers up to the empty line); more when it could
// still become one.
func ProtoHTTP(data []byte) (ok, more bool) {
	end := bytes.Index(data, []byte("\r\n"))
	line := data
	if end >= 0 {
		line = data[:end]
	}
	// method token
	i := 0
	for i < len(line) && isTchar(line[i]) {
		i++
	}
	if i == len(line) {
		return false, end < 0
	}
	if i == 0 || line[i] != ' ' {
		return false, false
	}
	rest := line[i+1:]
	sp := bytes.LastIndexByte(rest, ' ')
	if end < 0 {
		return false, true
	}
	if sp <= 0 {
		return false, false
	}
	v := rest[sp+1:]
	if len(v) != 8 || !bytes.HasPrefix(v, []byte("HTTP/")) || v[5] < '0' || v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9' {
		return false, false
	}
	if bytes.Contains(data, []byte("\r\n\r\n")) {
		return true, false
	}
	return false, true
}

func isTchar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// Expr is a compiled ACL expression: a fetch, converters, a match method
// and patterns.
type Expr struct {
	f      *fetchDef
	args   []string
	convs  []conv
	method string
	icase  bool
	ints   []intRange
	ips    []netip.Prefix
	strs   [][]byte
	regs   []*regexp.Regexp
	text   string
}

func (e *Expr) String() string { return e.text }

type conv func(sample) (sample, bool)

type intRange struct {
	lo, hi       int64
	hasLo, hasHi bool
}

// Eval evaluates the expression alone.
func (e *Expr) Eval(ctx *Context) Result {
	if e.f.each != nil && len(e.convs) == 0 {
		res := Fail
		e.f.each(ctx, e.args, func(smp sample) bool {
			if e.match(smp) {
				res = Pass
				return false
			}
			return true
		})
		return res
	}
	smp, ok, more := e.f.fn(ctx, e.args)
	for _, c := range e.convs {
		if !ok {
			break
		}
		smp, ok = c(smp)
	}
	undecided := more && !ctx.Final
	if !ok {
		if undecided {
			return Miss
		}
		return Fail
	}
	if e.match(smp) {
		return Pass
	}
	if undecided {
		return Miss
	}
	return Fail
}

func (e *Expr) compiled(x *haproxycfg.ACLExpr) string {
	s := x.Fetch
	if len(x.FetchArg) > 0 {
		s += "(" + strings.Join(x.FetchArg, ",") + ")"
	}
	for _, c := range x.Convs {
		s += "," + c
	}
	return strings.Join(append(append([]string{s}, x.Flags...), x.Patterns...), " ")
}

func (cp *Compiler) compileExpr(x *haproxycfg.ACLExpr) (*Expr, error) {
	e := &Expr{}
	e.text = e.compiled(x)
	f, ok := fetches[x.Fetch]
	if !ok {
		return nil, &Unsupported{fmt.Sprintf("fetch '%s'", x.Fetch)}
	}
	e.f = f
	if len(x.FetchArg) < f.minArgs || len(x.FetchArg) > f.maxArgs {
		return nil, &Unsupported{fmt.Sprintf("fetch '%s' with %d argument(s)", x.Fetch, len(x.FetchArg))}
	}
	e.args = x.FetchArg
	out := f.out
	for _, c := range x.Convs {
		cv, k, err := cp.compileConv(c)
		if err != nil {
			return nil, err
		}
		e.convs = append(e.convs, cv)
		out = k
	}
	e.method = x.Match
	if e.method == "" {
		if len(x.Convs) == 0 {
			e.method = f.match
		} else {
			e.method = map[kind]string{kBool: "bool", kInt: "int", kIP: "ip", kStr: "str", kBin: "bin"}[out]
		}
	}
	pats := append([]string(nil), x.Patterns...)
	for i := 0; i < len(x.Flags); i++ {
		switch x.Flags[i] {
		case "-i":
			e.icase = true
		case "-m":
			i++
		case "-f":
			i++
			rf := cp.ReadFile
			if rf == nil {
				rf = os.ReadFile
			}
			b, err := rf(x.Flags[i])
			if err != nil {
				return nil, &Unsupported{fmt.Sprintf("pattern file '%s' (%v)", x.Flags[i], err)}
			}
			pats = append(pats, filePatterns(b)...)
		case "-M", "-u":
			return nil, &Unsupported{fmt.Sprintf("ACL flag '%s'", x.Flags[i])}
		}
	}
	// the ACL keywords req.ssl_ver/req_ssl_ver read dotted versions; an
	// explicit "-m int" reads plain integers
	explicit := false
	for _, fl := range x.Flags {
		explicit = explicit || fl == "-m"
	}
	if err := e.compilePatterns(pats, f.dotted && !explicit && e.method == "int" && len(x.Convs) == 0); err != nil {
		return nil, err
	}
	return e, nil
}

// filePatterns splits a pattern file: one pattern a line, leading and
// trailing blanks dropped, empty lines and # comments skipped.
func filePatterns(b []byte) []string {
	var out []string
	for _, ln := range strings.Split(string(b), "\n") {
		ln = strings.Trim(ln, " \t\r")
		if ln == "" || ln[0] == '#' {
			continue
		}
		out = append(out, ln)
	}
	return out
}

func (cp *Compiler) compileConv(c string) (conv, kind, error) {
	name, arg := c, ""
	if i := strings.IndexByte(c, '('); i >= 0 && strings.HasSuffix(c, ")") {
		name, arg = c[:i], c[i+1:len(c)-1]
	}
	switch name {
	case "lower", "upper":
		up := name == "upper"
		return func(s sample) (sample, bool) {
			b, ok := toStr(s)
			if !ok {
				return s, false
			}
			if up {
				b = bytes.ToUpper(b)
			} else {
				b = bytes.ToLower(b)
			}
			return sample{k: kStr, s: b}, true
		}, kStr, nil
	case "ipmask":
		parts := strings.Split(arg, ",")
		m4, err := parseMask(parts[0], false)
		if err != nil {
			return nil, 0, err
		}
		m6 := 128
		if len(parts) > 1 {
			if m6, err = parseMask(parts[1], true); err != nil {
				return nil, 0, err
			}
		}
		return func(s sample) (sample, bool) {
			ip, ok := toIP(s)
			if !ok {
				return s, false
			}
			bits := m4
			if ip.Is6() {
				bits = m6
			}
			p, err := ip.Prefix(bits)
			if err != nil {
				return s, false
			}
			return sample{k: kIP, ip: p.Addr()}, true
		}, kIP, nil
	}
	return cp.compileConv2(name, arg)
}

func parseMask(s string, v6 bool) (int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > 32 && !v6 || n > 128 {
			return 0, &Unsupported{fmt.Sprintf("ipmask '%s'", s)}
		}
		return n, nil
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Is4() && !v6 {
		b := a.As4()
		n := 0
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		for v&0x80000000 != 0 {
			n++
			v <<= 1
		}
		if v != 0 {
			return 0, &Unsupported{fmt.Sprintf("ipmask '%s'", s)}
		}
		return n, nil
	}
	return 0, &Unsupported{fmt.Sprintf("ipmask '%s'", s)}
}
