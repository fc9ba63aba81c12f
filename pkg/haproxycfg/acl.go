package haproxycfg

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// predefinedACLs are haproxy 2.6's built-in ACLs (section 7.4).
var predefinedACLs = map[string]bool{
	"FALSE": true, "HTTP": true, "HTTP_1.0": true, "HTTP_1.1": true, "HTTP_2.0": true, "HTTP_3.0": true,
	"HTTP_CONTENT": true, "HTTP_URL_ABS": true, "HTTP_URL_SLASH": true, "HTTP_URL_STAR": true,
	"LOCALHOST": true, "METH_CONNECT": true, "METH_DELETE": true, "METH_GET": true, "METH_HEAD": true,
	"METH_OPTIONS": true, "METH_POST": true, "METH_PUT": true, "METH_TRACE": true, "RDP_COOKIE": true,
	"REQ_CONTENT": true, "TRUE": true, "WAIT_END": true,
}

var matchMethods = map[string]bool{
	"found": true, "bool": true, "int": true, "ip": true, "bin": true, "len": true, "str": true,
	"sub": true, "reg": true, "beg": true, "end": true, "dir": true, "dom": true,
}

// aclLine parses "acl NAME EXPR".
func (p *parser) aclLine(px *Proxy, ln Line) {
	if len(ln.Args) < 3 {
		if len(ln.Args) < 2 {
			p.diags.Alertf(ln.Pos, "'acl' expects an ACL name and a fetch method.")
		} else {
			p.diags.Alertf(ln.Pos, "error detected while parsing ACL '%s' : missing fetch method in ACL expression.", ln.Args[1])
		}
		return
	}
	name := ln.Args[1]
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == ':') {
			p.diags.Alertf(ln.Pos, "character '%c' is not permitted in acl name '%s'.", r, name)
			return
		}
	}
	if predefinedACLs[name] {
		p.diags.Alertf(ln.Pos, "'acl' : '%s' is a predefined ACL name and cannot be overridden.", name)
		return
	}
	expr, err := p.parseACLExpr(px, ln.Args[2:])
	if err != "" {
		p.diags.Alertf(ln.Pos, "error detected while parsing ACL '%s' : %s", name, err)
		return
	}
	px.ACLs = append(px.ACLs, &ACL{Pos: ln.Pos, Name: name, Expr: expr})
}

// splitFetch splits "name(args),conv(args),..." into its fetch name, the
// fetch arguments and the converter list.
func splitFetch(s string) (name string, args []string, convs []string, err string) {
	depth := 0
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	parts = append(parts, s[start:])
	head := parts[0]
	name = head
	if i := strings.IndexByte(head, '('); i >= 0 {
		if !strings.HasSuffix(head, ")") {
			return "", nil, nil, fmt.Sprintf("missing closing ')' after arguments to fetch keyword '%s' in ACL expression '%s'.", head[:i], s)
		}
		name = head[:i]
		inner := head[i+1 : len(head)-1]
		if inner != "" {
			args = strings.Split(inner, ",")
		}
	}
	return name, args, parts[1:], ""
}

// parseACLExpr parses a fetch with converters, flags and patterns.
func (p *parser) parseACLExpr(px *Proxy, words []string) (*ACLExpr, string) {
	expr := &ACLExpr{}
	name, args, convs, e := splitFetch(words[0])
	if e != "" {
		return nil, e
	}
	expr.Fetch, expr.FetchArg, expr.Convs = name, args, convs
	if a, ok := oracleACLs[name]; ok {
		expr.Match = a.Match
		if f, ok := oracleFetches[a.Fetch]; ok {
			if msg := p.checkFetchArgs(px, a.Name, f, args); msg != "" {
				return nil, msg
			}
		}
	} else if f, ok := oracleFetches[name]; ok {
		if msg := p.checkFetchArgs(px, name, f, args); msg != "" {
			return nil, msg
		}
	} else if len(oracleFetches) > 0 {
		return nil, fmt.Sprintf("unknown fetch method '%s' in ACL expression '%s'.", name, words[0])
	}
	for _, c := range convs {
		cn := c
		if i := strings.IndexByte(c, '('); i >= 0 {
			cn = c[:i]
		}
		if _, ok := oracleConverters[cn]; !ok && len(oracleConverters) > 0 {
			return nil, fmt.Sprintf("unknown converter '%s' in ACL expression '%s'.", cn, words[0])
		}
	}
	rest := words[1:]
	for len(rest) > 0 && strings.HasPrefix(rest[0], "-") && len(rest[0]) > 1 {
		flag := rest[0]
		rest = rest[1:]
		switch flag {
		case "--":
			goto patterns
		case "-i", "-n", "-u":
			expr.Flags = append(expr.Flags, flag)
		case "-m":
			if len(rest) == 0 {
				return nil, "missing matching method after '-m'."
			}
			if !matchMethods[rest[0]] {
				return nil, fmt.Sprintf("unknown matching method '%s' when parsing ACL expression.", rest[0])
			}
			expr.Match = rest[0]
			expr.Flags = append(expr.Flags, flag, rest[0])
			rest = rest[1:]
		case "-f", "-M":
			if len(rest) == 0 {
				return nil, fmt.Sprintf("'%s' expects a file name.", flag)
			}
			if flag == "-f" && p.opt.FileExists != nil && !p.fileExists(rest[0]) {
				return nil, fmt.Sprintf("failed to open pattern file <%s>.", rest[0])
			}
			expr.Flags = append(expr.Flags, flag, rest[0])
			rest = rest[1:]
		default:
			return nil, fmt.Sprintf("'%s' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'.", flag)
		}
	}
patterns:
	expr.Patterns = append([]string(nil), rest...)
	match := expr.Match
	if match == "" {
		if f, ok := oracleFetches[name]; ok {
			switch f.Out {
			case "ipv4", "ipv6", "addr":
				match = "ip"
			case "sint":
				match = "int"
			case "bool":
				match = "bool"
			default:
				match = "str"
			}
		}
	}
	if match == "int" && (name == "req_ssl_ver" || name == "req.ssl_ver") && !containsWord(expr.Flags, "-m") {
		match = "dotted-version" // haproxy parses these patterns as "major.minor"
	}
	for _, pat := range expr.Patterns {
		if msg := checkPattern(match, pat); msg != "" {
			return nil, msg
		}
	}
	return expr, ""
}

func checkPattern(match, pat string) string {
	switch match {
	case "ip":
		s := pat
		if i := strings.IndexByte(s, '/'); i >= 0 {
			bits := s[i+1:]
			s = s[:i]
			max := 32
			if strings.Contains(s, ":") {
				max = 128
			}
			if n, err := strconv.Atoi(bits); err != nil {
				if _, ok := parseInetAton(bits); !ok || !strings.Contains(bits, ".") {
					return fmt.Sprintf("'%s' is not a valid IPv4 or IPv6 address.", pat)
				}
			} else if n < 0 || n > max {
				return fmt.Sprintf("'%s' is not a valid IPv4 or IPv6 address.", pat)
			}
		}
		if _, err := netip.ParseAddr(s); err != nil {
			if _, ok := parseInetAton(s); !ok && !validHostName(s) {
				return fmt.Sprintf("'%s' is not a valid IPv4 or IPv6 address.", pat)
			}
		}
	case "int", "len":
		s := pat
		for _, op := range []string{"eq", "ge", "gt", "le", "lt"} {
			if s == op {
				return ""
			}
		}
		lo, hi := s, ""
		if i := strings.IndexByte(s, ':'); i >= 0 {
			lo, hi = s[:i], s[i+1:]
		}
		for _, v := range []string{lo, hi} {
			if v == "" {
				continue
			}
			if _, err := strconv.Atoi(v); err != nil {
				return fmt.Sprintf("'%s' is not a number.", pat)
			}
		}
	case "dotted-version":
		for _, v := range strings.Split(pat, ":") {
			if v == "" {
				continue
			}
			for _, part := range strings.SplitN(v, ".", 2) {
				if _, err := strconv.Atoi(part); err != nil && !contains([]string{"eq", "ge", "gt", "le", "lt"}, v) {
					return fmt.Sprintf("'%s' is not a dotted number.", pat)
				}
			}
		}
	case "reg":
		if _, err := regexp.Compile(pat); err != nil {
			return fmt.Sprintf("regex '%s' is invalid (%v).", pat, err)
		}
	}
	return ""
}

// checkFetchArgs validates the arguments of a sample fetch against its
// signature; backend arguments must name an existing backend.
func (p *parser) checkFetchArgs(px *Proxy, kw string, f oracleFetch, args []string) string {
	min := 0
	for _, a := range f.Args {
		if !a.Optional {
			min++
		}
	}
	if len(args) < min && !(len(args) == 0 && len(f.Args) > 0 && f.Args[0].Implicit) {
		return fmt.Sprintf("fetch method '%s' : expects at least %d argument(s).", kw, min)
	}
	if len(args) > len(f.Args) && !(len(f.Args) > 0 && f.Args[len(f.Args)-1].Type == "string" && false) {
		return fmt.Sprintf("fetch method '%s' : end of arguments expected at position %d, but got '%s'.", kw, len(f.Args)+1, args[len(f.Args)])
	}
	for i, a := range args {
		if i >= len(f.Args) {
			break
		}
		switch f.Args[i].Type {
		case "user list":
			p.pendingRefs = append(p.pendingRefs, pendingRef{pos: p.curPos, proxy: px, userlist: a, kw: kw, argN: i + 1})
		case "table":
			if a != "" {
				p.pendingRefs = append(p.pendingRefs, pendingRef{pos: p.curPos, proxy: px, table: a, kw: kw, argN: i + 1})
			}
		case "server":
			p.pendingRefs = append(p.pendingRefs, pendingRef{pos: p.curPos, proxy: px, server: a, kw: kw, argN: i + 1})
		case "backend":
			p.pendingRefs = append(p.pendingRefs, pendingRef{pos: p.curPos, proxy: px, backend: a, kw: kw, argN: i + 1})
		case "integer":
			if _, err := strconv.Atoi(a); err != nil && a != "" {
				return fmt.Sprintf("fetch method '%s' : invalid integer '%s' in argument %d.", kw, a, i+1)
			}
		}
	}
	return ""
}

// pendingRef is a reference to a backend checked once every section is read.
type pendingRef struct {
	pos     Pos
	proxy   *Proxy
	backend string
	// one of these instead of backend:
	userlist, table, server string
	kw                      string
	argN                    int
}

// parseCond parses the condition starting at ln.Args[at] ("if" or
// "unless"). what names the rule for error messages.
func (p *parser) parseCond(px *Proxy, ln Line, at int, what string) *Cond {
	c := &Cond{Pos: ln.Pos, Unless: ln.Args[at] == "unless"}
	words := ln.Args[at+1:]
	var conj []CondTerm
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "||" || w == "or" {
			c.Terms = append(c.Terms, conj)
			conj = nil
			continue
		}
		t := CondTerm{}
		for strings.HasPrefix(w, "!") {
			t.Negate = !t.Negate
			w = w[1:]
			if w == "" && i+1 < len(words) {
				i++
				w = words[i]
			}
		}
		if w == "{" {
			j := i + 1
			for j < len(words) && words[j] != "}" {
				j++
			}
			if j >= len(words) {
				p.diags.Alertf(ln.Pos, "error detected while parsing %s : missing closing '}' in condition.", what)
				return nil
			}
			if j == i+1 {
				p.diags.Alertf(ln.Pos, "error detected while parsing %s : missing fetch method in ACL expression.", what)
				return nil
			}
			expr, err := p.parseACLExpr(px, words[i+1:j])
			if err != "" {
				p.diags.Alertf(ln.Pos, "error detected while parsing %s : %s", what, err)
				return nil
			}
			t.Anon = expr
			i = j
		} else {
			if !predefinedACLs[w] && findACL(px, w) == nil {
				p.diags.Alertf(ln.Pos, "error detected while parsing %s : no such ACL : '%s'.", what, w)
				return nil
			}
			t.Name = w
		}
		conj = append(conj, t)
	}
	c.Terms = append(c.Terms, conj)
	return c
}

func findACL(px *Proxy, name string) *ACL {
	for _, a := range px.ACLs {
		if a.Name == name {
			return a
		}
	}
	return nil
}
