package haproxycfg

import (
	"regexp"
	"strconv"
	"strings"
)

// Keywords that haproxy 1.x accepted and 2.6 refuses. gohaproxy accepts those
// whose meaning is unambiguous, maps them onto their modern equivalent and
// says so in a warning; the others are refused with haproxy's message and a
// hint. The table below also feeds docs/haproxy-compat.md.

// legacyEntry documents one legacy keyword for the compatibility table.
type legacyEntry struct {
	Keyword string
	Section string
	Removed string // haproxy version that removed it
	Mapped  string // what gohaproxy maps it to ("" when refused)
}

var legacyTable = []legacyEntry{
	{"nbproc 1", "global", "2.5", "nothing (one process is the only mode)"},
	{"nbproc N (N>1)", "global", "2.5", "nbthread N"},
	{"tune.chksize", "global", "1.6", "nothing (tune.bufsize is used)"},
	{"contimeout", "proxy", "2.1", "timeout connect"},
	{"clitimeout", "proxy", "2.1", "timeout client"},
	{"srvtimeout", "proxy", "2.1", "timeout server"},
	{"redispatch", "proxy", "2.1", "option redispatch"},
	{"block", "proxy", "2.1", "http-request deny"},
	{"reqadd", "proxy", "2.1", "http-request add-header"},
	{"rspadd", "proxy", "2.1", "http-response add-header"},
	{"reqdel / reqidel ^Name:", "proxy", "2.1", "http-request del-header Name"},
	{"rspdel / rspidel ^Name:", "proxy", "2.1", "http-response del-header Name"},
	{"option forceclose", "proxy", "2.0", "option httpclose"},
	{"option http-tunnel", "proxy", "2.1", "nothing (requests are analysed one by one)"},
	{"option http-use-htx", "proxy", "2.1", "nothing (HTX is the only mode)"},
	{"monitor-net NET (mode http)", "proxy", "2.4", "http-request return status 200 if { src NET }"},
	{"listen NAME ADDR / frontend NAME ADDR", "proxy", "1.5 (warned), 2.x (refused)", "bind ADDR"},
	{"reqrep / reqirep ^Name: VALUE-RE Name: NEW", "proxy", "2.1", "http-request replace-header Name VALUE-RE NEW"},
	{"rsprep / rspirep ^Name: VALUE-RE Name: NEW", "proxy", "2.1", "http-response replace-header Name VALUE-RE NEW"},
	{"reqrep ^([^ :]*) URI-RE \\1 NEW (request line)", "proxy", "2.1", "http-request replace-uri ^URI-RE NEW (groups renumbered)"},
	{"reqdeny / reqtarpit / reqallow (and i- forms) ^Name:[ VALUE-RE]", "proxy", "2.1", "http-request deny|tarpit|allow if { req.fhdr(Name) -m found|reg VALUE-RE }"},
	{"reqallow / reqdeny ^METHOD", "proxy", "2.1", "http-request allow|deny if { method -m beg METHOD }"},
	{"rspdeny / rspideny ^Name:[ VALUE-RE]", "proxy", "2.1", "http-response deny if { res.fhdr(Name) ... }"},
	{"reqdel / reqidel ^Name: VALUE-RE", "proxy", "2.1", "http-request del-header Name if { req.fhdr(Name) -m reg ^VALUE-RE }"},
	{"other req*/rsp* regexes (e.g. header insertion through a replacement), reqpass", "proxy", "2.1", ""},
	{"debug", "global", "2.0", "nothing (the -d command-line flag remains)"},
	{"timeout clitimeout / srvtimeout / contimeout", "proxy", "2.1", "timeout client / server / connect"},
	{"appsession", "proxy", "1.6", ""},
	{"option http_proxy", "proxy", "2.5", ""},
	{"grace", "proxy", "2.5", ""},
}

func (p *parser) legacyWarn(pos Pos, old, removed, modern string) {
	p.diags.Warnf(pos, "'%s' is not supported by haproxy since %s; gohaproxy maps it to '%s' (write that to stay compatible with haproxy 2.6).", old, removed, modern)
}

var legacyGlobalKeywords = map[string]func(p *parser, g *Global, ln Line){
	"nbproc": func(p *parser, g *Global, ln Line) {
		if len(ln.Args) != 2 {
			p.diags.Alertf(ln.Pos, "'nbproc' expects an integer argument.")
			return
		}
		n, err := strconv.Atoi(ln.Args[1])
		if err != nil || n < 1 {
			p.diags.Alertf(ln.Pos, "'nbproc' expects a positive integer argument.")
			return
		}
		if n == 1 {
			p.diags.Warnf(ln.Pos, "'nbproc 1' is not supported by haproxy since 2.5; gohaproxy ignores it (one process is the only mode): remove it to stay compatible with haproxy 2.6.")
			return
		}
		p.legacyWarn(ln.Pos, "nbproc "+ln.Args[1], "2.5", "nbthread "+ln.Args[1])
		if g.Nbthread == 0 {
			g.Nbthread = n
		}
	},
	"debug": func(p *parser, g *Global, ln Line) {
		p.diags.Warnf(ln.Pos, "'debug' is not supported by haproxy 2.x in the global section; gohaproxy ignores it (use the -d command-line flag).")
	},
	"tune.chksize": func(p *parser, g *Global, ln Line) {
		p.diags.Warnf(ln.Pos, "'tune.chksize' is not supported by haproxy any more (tune.bufsize is used instead); gohaproxy ignores it.")
	},
}

// legacyProxyKeywords map removed proxy keywords.
var legacyProxyKeywords = map[string]func(p *parser, px *Proxy, ln Line){
	"contimeout": legacyTimeout("connect"),
	"clitimeout": legacyTimeout("client"),
	"srvtimeout": legacyTimeout("server"),
	"redispatch": func(p *parser, px *Proxy, ln Line) {
		p.legacyWarn(ln.Pos, "redispatch", "2.1", "option redispatch")
		p.optionLine(px, Line{Pos: ln.Pos, Args: []string{"option", "redispatch"}})
	},
	"block": func(p *parser, px *Proxy, ln Line) {
		p.legacyWarn(ln.Pos, "block", "2.1", "http-request deny")
		p.ruleLine(px, Line{Pos: ln.Pos, Args: append([]string{"http-request", "deny"}, ln.Args[1:]...)})
	},
	"reqadd":  legacyAddHeader("http-request"),
	"rspadd":  legacyAddHeader("http-response"),
	"reqdel":  legacyDelHeader("http-request"),
	"reqidel": legacyDelHeader("http-request"),
	"rspdel":  legacyDelHeader("http-response"),
	"rspidel": legacyDelHeader("http-response"),
	"monitor-net": func(p *parser, px *Proxy, ln Line) {
		if len(ln.Args) != 2 || px.Mode != ModeHTTP {
			p.diags.Alertf(ln.Pos, "'monitor-net' doesn't exist anymore. Please use 'http-request return status 200 if { src %s }' instead (gohaproxy maps it only in 'mode http').", strings.Join(ln.Args[1:], " "))
			return
		}
		p.legacyWarn(ln.Pos, "monitor-net "+ln.Args[1], "2.4", "http-request return status 200 if { src "+ln.Args[1]+" }")
		p.ruleLine(px, Line{Pos: ln.Pos, Args: []string{"http-request", "return", "status", "200", "if", "{", "src", ln.Args[1], "}"}})
	},
}

func init() {
	refused := map[string]string{
		"reqrep":  "Use 'http-request replace-path', 'http-request replace-uri' or 'http-request replace-header' instead.",
		"reqirep": "Use 'http-request replace-header' instead.",
		"rsprep":  "Use 'http-response replace-header' instead.", "rspirep": "Use 'http-response replace-header' instead.",
		"reqdeny": "Use 'http-request deny' instead.", "reqideny": "Use 'http-request deny' instead.",
		"reqallow": "Use 'http-request allow' instead.", "reqiallow": "Use 'http-request allow' instead.",
		"reqpass": "", "reqipass": "", "reqtarpit": "Use 'http-request tarpit' instead.",
		"reqitarpit": "Use 'http-request tarpit' instead.", "rspdeny": "Use 'http-response deny' instead.",
		"rspideny": "Use 'http-response deny' instead.",
	}
	for kw, hint := range refused {
		kw, hint := kw, hint
		legacyProxyKeywords[kw] = func(p *parser, px *Proxy, ln Line) {
			if p.legacyRegexRule(px, ln) {
				return
			}
			p.diags.Alertf(ln.Pos, "The '%s' directive is not supported anymore since HAProxy 2.1. %s (gohaproxy translates it only for a '^Name:' header regex or a request-line regex starting with the method.)", kw, hint)
		}
	}
	legacyProxyKeywords["appsession"] = func(p *parser, px *Proxy, ln Line) {
		p.diags.Alertf(ln.Pos, "'appsession' is not supported anymore since HAProxy 1.6.")
	}
	legacyProxyKeywords["grace"] = func(p *parser, px *Proxy, ln Line) {
		p.diags.Alertf(ln.Pos, "the 'grace' keyword is not supported any more since HAProxy version 2.5.")
	}
	legacyProxyKeywords["bind-process"] = func(p *parser, px *Proxy, ln Line) {
		p.diags.Warnf(ln.Pos, "'bind-process' has no effect, is deprecated, and will be removed in version 2.7.")
	}
}

func legacyTimeout(name string) func(p *parser, px *Proxy, ln Line) {
	return func(p *parser, px *Proxy, ln Line) {
		p.legacyWarn(ln.Pos, ln.Args[0], "2.1", "timeout "+name)
		p.timeoutLine(px, Line{Pos: ln.Pos, Args: append([]string{"timeout", name}, ln.Args[1:]...)})
	}
}

// legacyAddHeader maps "reqadd <string> [cond]" where string is a whole
// header line "Name: value" (with escaped spaces).
func legacyAddHeader(ruleset string) func(p *parser, px *Proxy, ln Line) {
	return func(p *parser, px *Proxy, ln Line) {
		if len(ln.Args) < 2 {
			p.diags.Alertf(ln.Pos, "'%s' expects <header> as an argument.", ln.Args[0])
			return
		}
		name, value, ok := strings.Cut(ln.Args[1], ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			p.diags.Alertf(ln.Pos, "The '%s' directive is not supported anymore since HAProxy 2.1. Use '%s add-header' instead (gohaproxy maps it only for a 'Name: value' argument).", ln.Args[0], ruleset)
			return
		}
		value = strings.TrimLeft(value, " \t")
		p.legacyWarn(ln.Pos, ln.Args[0], "2.1", ruleset+" add-header "+name)
		args := append([]string{ruleset, "add-header", name, value}, ln.Args[2:]...)
		p.ruleLine(px, Line{Pos: ln.Pos, Args: args})
	}
}

var simpleHeaderRegex = regexp.MustCompile(`^\^([A-Za-z0-9!#$%&'*+.^_` + "`" + `|~-]+):(\.\*)?$`)

// legacyDelHeader maps "reqdel ^Name:" (and ".*" suffix) to del-header.
func legacyDelHeader(ruleset string) func(p *parser, px *Proxy, ln Line) {
	return func(p *parser, px *Proxy, ln Line) {
		if len(ln.Args) < 2 {
			p.diags.Alertf(ln.Pos, "'%s' expects <regex> as an argument.", ln.Args[0])
			return
		}
		m := simpleHeaderRegex.FindStringSubmatch(ln.Args[1])
		if m == nil {
			if h := headerLineRegex.FindStringSubmatch(ln.Args[1]); h != nil && h[2] != "" && !strings.ContainsAny(h[1], "()") && len(ln.Args) == 2 {
				fetch := "req.fhdr"
				if ruleset == "http-response" {
					fetch = "res.fhdr"
				}
				args := []string{ruleset, "del-header", h[1], "if", "{", fetch + "(" + h[1] + ")", "-m", "reg"}
				if strings.Contains(ln.Args[0], "idel") {
					args = append(args, "-i")
				}
				args = append(args, "^"+h[2], "}")
				p.legacyWarn(ln.Pos, ln.Args[0]+" "+ln.Args[1], "2.1", strings.Join(args, " "))
				p.ruleLine(px, Line{Pos: ln.Pos, Args: args})
				return
			}
			p.diags.Alertf(ln.Pos, "The '%s' directive is not supported anymore since HAProxy 2.1. Use '%s del-header' instead (gohaproxy maps it only for a '^Name:' regex).", ln.Args[0], ruleset)
			return
		}
		p.legacyWarn(ln.Pos, ln.Args[0]+" "+ln.Args[1], "2.1", ruleset+" del-header "+m[1])
		args := append([]string{ruleset, "del-header", m[1]}, ln.Args[2:]...)
		p.ruleLine(px, Line{Pos: ln.Pos, Args: args})
	}
}

// legacyOptions are "option" names removed from haproxy.
var legacyOptions map[string]func(p *parser, px *Proxy, ln Line)

func init() {
	legacyOptions = map[string]func(p *parser, px *Proxy, ln Line){
		"forceclose": func(p *parser, px *Proxy, ln Line) {
			p.legacyWarn(ln.Pos, "option forceclose", "2.0", "option httpclose")
			args := append([]string(nil), ln.Args...)
			args[len(args)-1] = "httpclose"
			p.optionLine(px, Line{Pos: ln.Pos, Args: args})
		},
		"http-tunnel": func(p *parser, px *Proxy, ln Line) {
			p.diags.Warnf(ln.Pos, "option 'http-tunnel' is not supported by haproxy since 2.1; gohaproxy ignores it (it is not needed).")
		},
		"http-use-htx": func(p *parser, px *Proxy, ln Line) {
			p.diags.Warnf(ln.Pos, "option 'http-use-htx' is not supported by haproxy since 2.1; gohaproxy ignores it (HTX is the only mode).")
		},
		"http_proxy": func(p *parser, px *Proxy, ln Line) {
			p.diags.Alertf(ln.Pos, "option 'http_proxy' is not supported any more since HAProxy 2.5. It can be more reliably implemented with combinations of 'http-request set-dst' and 'http-request set-uri'.")
		},
	}
}

// headerLineRegex splits a 1.x header-line regex "^Name:[ ]value-regex".
var headerLineRegex = regexp.MustCompile(`^\^([A-Za-z0-9!#$%&'*+.^_` + "`" + `|~-]+):[ ]?(.*)$`)

// methodPrefix matches the 1.x idiom for "the method, then a space".
var methodPrefix = regexp.MustCompile(`^\^\(\[\^ ?:?\]\*\) `)

// legacyRegexRule maps the common shapes of removed req*/rsp* regex
// keywords onto http-request / http-response rules. It returns false when
// the line has no unambiguous translation (nothing is recorded then).
func (p *parser) legacyRegexRule(px *Proxy, ln Line) bool {
	kw := ln.Args[0]
	if len(ln.Args) < 2 {
		return false
	}
	ruleset, fetch := "http-request", "req.fhdr"
	if strings.HasPrefix(kw, "rsp") {
		ruleset, fetch = "http-response", "res.fhdr"
	}
	op := strings.TrimPrefix(strings.TrimPrefix(kw, "req"), "rsp")
	icase := strings.HasPrefix(op, "i")
	if icase {
		op = op[1:]
	}
	re := ln.Args[1]
	rest := ln.Args[2:]
	var args []string
	var cond []string
	switch op {
	case "rep":
		if len(rest) < 1 {
			return false
		}
		repl := rest[0]
		cond = rest[1:]
		if m := headerLineRegex.FindStringSubmatch(re); m != nil && !strings.ContainsAny(m[1], "()") {
			name, valRe := m[1], m[2]
			rn, rv, ok := strings.Cut(repl, ":")
			if !ok || !strings.EqualFold(rn, name) {
				return false
			}
			rv = strings.TrimPrefix(rv, " ")
			if valRe == "" {
				valRe = "(.*)"
				rv = rv + `\1`
				if strings.TrimSpace(repl[len(rn)+1:]) != "" {
					rv = strings.TrimPrefix(repl[len(rn)+1:], " ")
				}
			}
			if icase {
				valRe = "(?i)" + valRe
			}
			args = []string{ruleset, "replace-header", name, valRe, rv}
		} else if ruleset == "http-request" && methodPrefix.MatchString(re) && strings.HasPrefix(repl, `\1 `) {
			uriRe := "^" + methodPrefix.ReplaceAllString(re, "")
			newRepl := shiftGroups(strings.TrimPrefix(repl, `\1 `))
			if newRepl == "" {
				return false
			}
			if icase {
				uriRe = "(?i)" + uriRe
			}
			args = []string{ruleset, "replace-uri", uriRe, newRepl}
		} else {
			return false
		}
	case "deny", "tarpit", "allow":
		cond = rest
		action := op
		var test []string
		if m := headerLineRegex.FindStringSubmatch(re); m != nil && !strings.ContainsAny(m[1], "()") {
			name, valRe := m[1], m[2]
			if valRe == "" || valRe == ".*" {
				test = []string{"{", fetch + "(" + name + ")", "-m", "found", "}"}
			} else {
				test = []string{"{", fetch + "(" + name + ")", "-m", "reg"}
				if icase {
					test = append(test, "-i")
				}
				test = append(test, valRe, "}")
			}
		} else if m := regexp.MustCompile(`^\^([A-Za-z]+)$`).FindStringSubmatch(re); m != nil && ruleset == "http-request" {
			if icase {
				test = []string{"{", "method", "-m", "beg", "-i", m[1], "}"}
			} else {
				test = []string{"{", "method", "-m", "beg", m[1], "}"}
			}
		} else {
			return false
		}
		if ruleset == "http-response" && action == "tarpit" {
			return false
		}
		args = append([]string{ruleset, action, "if"}, test...)
		if len(cond) > 0 {
			if cond[0] != "if" || containsWord(cond, "||") || containsWord(cond, "or") {
				return false
			}
			args = append(args, cond[1:]...)
		}
		cond = nil
	default:
		return false
	}
	if len(cond) > 0 {
		if cond[0] != "if" && cond[0] != "unless" {
			return false
		}
		args = append(args, cond...)
	}
	p.legacyWarn(ln.Pos, kw, "2.1", strings.Join(args, " "))
	p.ruleLine(px, Line{Pos: ln.Pos, Args: args})
	return true
}

func containsWord(ws []string, w string) bool {
	for _, x := range ws {
		if x == w {
			return true
		}
	}
	return false
}

// shiftGroups renumbers back-references \2..\9 to \1..\8 (the method group
// of a request-line regex disappears); it returns "" if \1 is still used.
func shiftGroups(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && s[i+1] >= '1' && s[i+1] <= '9' {
			if s[i+1] == '1' {
				return ""
			}
			b.WriteByte('\\')
			b.WriteByte(s[i+1] - 1)
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
