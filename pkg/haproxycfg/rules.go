package haproxycfg

import (
	"strings"
	"time"
)

// ruleActions lists, per rule set, the actions haproxy 2.6 accepts, as its
// own error messages enumerate them. "name(*)" actions take a parenthesised
// argument such as set-var(txn.x).
var ruleActions = map[string]string{
	"http-request":           "wait-for-handshake ot-group set-log-level set-nice use-service sc-inc-gpc(*) sc-inc-gpc0(*) sc-inc-gpc1(*) sc-set-gpt(*) sc-set-gpt0(*) send-spoe-group do-resolve(*) cache-use add-acl(*) add-header allow auth capture del-acl(*) del-header del-map(*) deny disable-l7-retry early-hint normalize-uri redirect reject replace-header replace-path replace-pathq replace-uri replace-value return set-header set-map(*) set-method set-path set-pathq set-query set-uri strict-mode tarpit track-sc(*) set-timeout wait-for-body set-var-fmt(*) set-var(*) unset-var(*) set-dst set-dst-port set-mark set-src set-src-port set-tos silent-drop set-priority-class set-priority-offset track-sc0 track-sc1 track-sc2",
	"http-response":          "ot-group set-log-level set-nice sc-inc-gpc(*) sc-inc-gpc0(*) sc-inc-gpc1(*) sc-set-gpt(*) sc-set-gpt0(*) send-spoe-group cache-store add-acl(*) add-header allow capture del-acl(*) del-header del-map(*) deny redirect replace-header replace-value return set-header set-map(*) set-status strict-mode track-sc(*) wait-for-body set-var-fmt(*) set-var(*) unset-var(*) set-mark set-tos silent-drop track-sc0 track-sc1 track-sc2",
	"http-after-response":    "ot-group add-header allow capture del-header replace-header replace-value set-header set-status strict-mode set-var-fmt(*) set-var(*) unset-var(*)",
	"tcp-request connection": "accept reject expect-proxy expect-netscaler-cip track-sc0 track-sc1 track-sc2 sc-inc-gpc(*) sc-inc-gpc0(*) sc-inc-gpc1(*) sc-set-gpt(*) sc-set-gpt0(*) set-var-fmt(*) set-var(*) unset-var(*) set-dst set-dst-port set-mark set-src set-src-port set-tos silent-drop",
	"tcp-request session":    "accept reject capture track-sc0 track-sc1 track-sc2 sc-inc-gpc(*) sc-inc-gpc0(*) sc-inc-gpc1(*) sc-set-gpt(*) sc-set-gpt0(*) set-var-fmt(*) set-var(*) unset-var(*) set-dst set-dst-port set-mark set-src set-src-port set-tos silent-drop",
	"tcp-request content":    "accept reject capture track-sc0 track-sc1 track-sc2 ot-group set-log-level set-nice switch-mode use-service sc-inc-gpc(*) sc-inc-gpc0(*) sc-inc-gpc1(*) sc-set-gpt(*) sc-set-gpt0(*) send-spoe-group do-resolve(*) set-var-fmt(*) set-var(*) unset-var(*) set-src set-src-port set-dst set-dst-port set-mark set-tos silent-drop set-priority-class set-priority-offset",
	"tcp-response content":   "accept close reject ot-group set-log-level set-nice sc-inc-gpc(*) sc-inc-gpc0(*) sc-inc-gpc1(*) sc-set-gpt(*) sc-set-gpt0(*) send-spoe-group set-var-fmt(*) set-var(*) unset-var(*) set-mark set-tos silent-drop",
}

// unsupportedActions are actions gohaproxy refuses for now.
var unsupportedActions = map[string]bool{
	"ot-group": true, "use-service": true, "send-spoe-group": true, "do-resolve": true,
	"wait-for-handshake": true,
}

// actionKnown reports whether action (e.g. "set-var(txn.x)") is one of the
// rule set's actions, and returns its base name.
func actionKnown(ruleset, action string) (string, bool) {
	base := action
	paren := false
	if i := strings.IndexByte(action, '('); i >= 0 {
		base, paren = action[:i], true
	}
	for _, a := range strings.Fields(ruleActions[ruleset]) {
		if strings.HasSuffix(a, "(*)") {
			if paren && base == strings.TrimSuffix(a, "(*)") {
				return base, true
			}
			continue
		}
		if a == action {
			return base, true
		}
	}
	return base, false
}

// actionArgs is the exact number of arguments (before any condition) of the
// actions that take a fixed number.
var actionArgs = map[string]int{
	"add-header": 2, "set-header": 2, "replace-header": 3, "replace-value": 3,
	"set-path": 1, "set-pathq": 1, "set-query": 1, "set-uri": 1, "set-method": 1,
	"replace-path": 2, "replace-pathq": 2, "replace-uri": 2, "set-var": 1, "set-var-fmt": 1,
	"set-log-level": 1, "set-nice": 1, "set-src": 1, "set-dst": 1, "set-src-port": 1, "set-dst-port": 1,
	"set-mark": 1, "set-tos": 1, "add-acl": 1, "del-acl": 1, "set-map": 2, "del-map": 1,
	"allow": 0, "reject": 0, "silent-drop": 0, "accept": 0, "close": 0, "unset-var": 0,
	"expect-proxy": 1, "expect-netscaler-cip": 1, "disable-l7-retry": 0, "set-priority-class": 1,
	"set-priority-offset": 1, "strict-mode": 1, "switch-mode": 1,
}

// ruleLine parses http-request, http-response, http-after-response,
// tcp-request and tcp-response rules.
func (p *parser) ruleLine(px *Proxy, ln Line) {
	kw := ln.Args[0]
	ruleset := kw
	args := ln.Args[1:]
	if strings.HasPrefix(kw, "tcp-") {
		if len(args) == 0 {
			p.diags.Alertf(ln.Pos, "'%s' expects 'inspect-delay', 'connection', or 'content' in %s '%s' (got '')", kw, px.Kind, px.Name)
			return
		}
		sub := args[0]
		switch {
		case sub == "inspect-delay":
			if len(args) < 2 {
				p.diags.Alertf(ln.Pos, "'%s inspect-delay' expects a timeout in milliseconds.", kw)
				return
			}
			if _, err := parseTime(args[1], time.Millisecond, kw+" inspect-delay"); err != nil {
				p.diags.Alertf(ln.Pos, "%v", err)
				return
			}
			keep(px, ln)
			return
		case kw == "tcp-request" && (sub == "connection" || sub == "session" || sub == "content"),
			kw == "tcp-response" && sub == "content":
			ruleset = kw + " " + sub
			args = args[1:]
		default:
			if kw == "tcp-request" {
				p.diags.Alertf(ln.Pos, "'tcp-request' expects 'inspect-delay', 'connection', or 'content' in %s '%s' (got '%s')", px.Kind, px.Name, sub)
			} else {
				p.diags.Alertf(ln.Pos, "'tcp-response' expects 'inspect-delay' or 'content' in %s '%s' (got '%s')", px.Kind, px.Name, sub)
			}
			return
		}
		if (ruleset == "tcp-request connection" || ruleset == "tcp-request session") && !px.Kind.IsFrontend() {
			p.diags.Alertf(ln.Pos, "%s is not allowed because %s %s is not a frontend", ruleset, px.Kind, px.Name)
			return
		}
		if ruleset == "tcp-response content" && px.Kind == KindDefaults && px.Name == "" {
			p.diags.Alertf(ln.Pos, "tcp-response content is only allowed in 'backend' sections or 'defaults' section with a name")
			return
		}
	}
	if len(args) == 0 {
		p.diags.Alertf(ln.Pos, "'%s' expects an action.", ruleset)
		return
	}
	action := args[0]
	base, ok := actionKnown(ruleset, action)
	if !ok {
		if strings.HasPrefix(action, "lua.") {
			p.unsupported(ln.Pos, ruleset+" "+action, "'"+px.Kind.String()+"' section")
			return
		}
		p.diags.Alertf(ln.Pos, "'%s' expects %s, but got '%s'.", ruleset, strings.Join(quoted(strings.Fields(ruleActions[ruleset])), ", "), action)
		return
	}
	promex := base == "use-service" && ruleset == "http-request" && len(args) > 1 && args[1] == "prometheus-exporter"
	if unsupportedActions[base] && !promex {
		p.unsupported(ln.Pos, ruleset+" "+base, "'"+px.Kind.String()+"' section")
		return
	}
	ci := findCondStart(args, 1)
	actArgs := args[1:]
	if ci >= 0 {
		actArgs = args[1:ci]
	}
	ctx := "error detected in " + px.Kind.String() + " '" + px.Name + "' while parsing '" + ruleset + " " + base + "' rule : "
	if n, fixed := actionArgs[base]; fixed && len(actArgs) != n {
		if !(base == "set-var" || base == "set-var-fmt") || len(actArgs) < 1 {
			if n == 0 {
				p.diags.Alertf(ln.Pos, "%sexpects no argument or a condition.", ctx)
			} else {
				p.diags.Alertf(ln.Pos, "%sexpects exactly %d arguments.", ctx, n)
			}
			return
		}
	}
	if msg := checkActionArgs(base, actArgs); msg != "" {
		p.diags.Alertf(ln.Pos, "%s%s", ctx, msg)
		return
	}
	if !p.checkActionExtra(px, ln, ruleset, base, action, actArgs) {
		return
	}
	r := &Rule{Pos: ln.Pos, Action: action, Args: append([]string(nil), actArgs...)}
	if ci >= 0 {
		r.Cond = p.parseCond(px, Line{Pos: ln.Pos, Args: args}, ci, "an '"+ruleset+" "+base+"' condition")
		if r.Cond == nil {
			return
		}
	}
	px.Rules[ruleset] = append(px.Rules[ruleset], r)
}

func quoted(ws []string) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = "'" + w + "'"
	}
	return out
}

// checkActionArgs validates the arguments of the actions whose syntax is
// more than a count.
func checkActionArgs(action string, args []string) string {
	switch action {
	case "deny", "tarpit":
		for i := 0; i < len(args); i++ {
			if args[i] == "deny_status" {
				if i+1 >= len(args) {
					return "missing status code."
				}
				if !errorfileCodes[atoi(args[i+1])] {
					return "Unexpected status code '" + args[i+1] + "'."
				}
				i++
			}
		}
	case "redirect":
		return checkRedirect(args)
	case "set-status":
		if len(args) < 1 {
			return "expects 1 argument."
		}
		if c := atoi(args[0]); c < 100 || c > 999 {
			return "expects an HTTP status code between 100 and 999 (got '" + args[0] + "')."
		}
	case "return":
		for i := 0; i < len(args); i++ {
			switch args[i] {
			case "status":
				if i+1 >= len(args) {
					return "'status' expects an HTTP status code."
				}
				if c := atoi(args[i+1]); c < 200 || c > 599 {
					return "Unexpected status code '" + args[i+1] + "'."
				}
				i++
			case "content-type", "errorfile", "errorfiles", "file", "lf-file", "string", "lf-string":
				if i+1 >= len(args) {
					return "'" + args[i] + "' expects an argument."
				}
				i++
			case "hdr":
				if i+2 >= len(args) {
					return "'hdr' expects <name> and <value> as arguments."
				}
				i += 2
			case "default-errorfiles":
			default:
				return "'" + args[i] + "' : unknown keyword."
			}
		}
	case "del-header":
		if len(args) != 1 && !(len(args) == 3 && args[1] == "-m") {
			return "expects exactly 1 argument."
		}
	case "auth":
		if len(args) != 0 && !(len(args) == 2 && args[0] == "realm") {
			return "expects only 'realm' <realm>."
		}
	case "capture":
		if len(args) < 3 || (args[1] != "len" && args[1] != "id") {
			return "expects <expression> [ 'len' <length> | id <idx> ]."
		}
	case "set-timeout":
		if len(args) != 2 || (args[0] != "server" && args[0] != "tunnel" && args[0] != "client") {
			return "expects exactly 2 arguments: 'server'|'tunnel' <time>."
		}
	case "set-log-level":
		if len(args) == 1 && !contains(syslogLevels, args[0]) && args[0] != "silent" {
			return "unsupported log level '" + args[0] + "'."
		}
	}
	return ""
}

func checkRedirect(args []string) string {
	if len(args) < 2 {
		if len(args) == 1 {
			return "missing argument for '" + args[0] + "'."
		}
		return "expects 'location', 'prefix' or 'scheme'."
	}
	switch args[0] {
	case "location", "prefix", "scheme":
	default:
		return "expects 'location', 'prefix' or 'scheme'."
	}
	for i := 2; i < len(args); i++ {
		switch args[i] {
		case "code":
			if i+1 >= len(args) {
				return "missing argument for 'code'."
			}
			switch atoi(args[i+1]) {
			case 301, 302, 303, 307, 308:
			default:
				return "unsupported HTTP code '" + args[i+1] + "'."
			}
			i++
		case "set-cookie", "clear-cookie":
			if i+1 >= len(args) {
				return "missing argument for '" + args[i] + "'."
			}
			i++
		case "drop-query", "append-slash", "ignore-empty":
		default:
			return "expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', 'ignore-empty' or 'append-slash' (was '" + args[i] + "')."
		}
	}
	return ""
}

// redirectLine parses the "redirect" keyword (same syntax as the action).
func (p *parser) redirectLine(px *Proxy, ln Line) {
	ci := findCondStart(ln.Args, 1)
	args := ln.Args[1:]
	if ci >= 0 {
		args = ln.Args[1:ci]
	}
	if msg := checkRedirect(args); msg != "" {
		p.diags.Alertf(ln.Pos, "error detected in %s '%s' while parsing redirect rule : %s", px.Kind, px.Name, msg)
		return
	}
	r := &Rule{Pos: ln.Pos, Action: "redirect", Args: append([]string(nil), args...)}
	if ci >= 0 {
		if r.Cond = p.parseCond(px, ln, ci, "redirect rule"); r.Cond == nil {
			return
		}
	}
	px.Rules["redirect"] = append(px.Rules["redirect"], r)
}

// useBackendLine parses "use_backend NAME [if|unless COND]".
func (p *parser) useBackendLine(px *Proxy, ln Line) {
	if len(ln.Args) < 2 {
		p.diags.Alertf(ln.Pos, "'%s' expects a backend name.", ln.Args[0])
		return
	}
	ub := &UseBackend{BackendRef: BackendRef{Pos: ln.Pos, Name: ln.Args[1], Dynamic: strings.Contains(ln.Args[1], "%[")}}
	if ub.Dynamic {
		if msg := p.checkLogFormat(px, ln.Args[1]); msg != "" {
			p.diags.Rawf(SevAlert, ln.Pos, "Parsing [%s:%d]: failed to parse use_backend rule '%s' : %s", ln.Pos.File, ln.Pos.Line, ln.Args[1], msg)
			return
		}
	}
	if len(ln.Args) > 2 {
		if ln.Args[2] != "if" && ln.Args[2] != "unless" {
			p.diags.Alertf(ln.Pos, "'%s' requires either 'if' or 'unless' followed by a condition.", ln.Args[0])
			return
		}
		if ub.Cond = p.parseCond(px, ln, 2, "switching rule"); ub.Cond == nil {
			return
		}
	}
	px.UseBackends = append(px.UseBackends, ub)
}

func (p *parser) defaultBackendLine(px *Proxy, ln Line) {
	if len(ln.Args) < 2 {
		p.diags.Alertf(ln.Pos, "'%s' expects a backend name.", ln.Args[0])
		return
	}
	if len(ln.Args) > 2 {
		p.diags.Alertf(ln.Pos, "'%s' cannot handle unexpected argument '%s'.", ln.Args[0], ln.Args[2])
		return
	}
	px.DefaultBackend = &BackendRef{Pos: ln.Pos, Name: ln.Args[1], Dynamic: strings.Contains(ln.Args[1], "%[")}
}

func (p *parser) useServerLine(px *Proxy, ln Line) {
	if len(ln.Args) < 2 {
		p.diags.Alertf(ln.Pos, "'%s' expects a server name.", ln.Args[0])
		return
	}
	us := &UseServer{Pos: ln.Pos, Server: ln.Args[1]}
	if len(ln.Args) < 4 || (ln.Args[2] != "if" && ln.Args[2] != "unless") {
		p.diags.Alertf(ln.Pos, "'%s' requires either 'if' or 'unless' followed by a condition.", ln.Args[0])
		return
	}
	if us.Cond = p.parseCond(px, ln, 2, "switching rule"); us.Cond == nil {
		return
	}
	px.UseServers = append(px.UseServers, us)
}

// checkRuleLine parses http-check and tcp-check directives.
func (p *parser) checkRuleLine(px *Proxy, ln Line) {
	kw := ln.Args[0]
	if len(ln.Args) < 2 {
		p.diags.Alertf(ln.Pos, "'%s' expects an action.", kw)
		return
	}
	var actions []string
	if kw == "http-check" {
		actions = []string{"comment", "connect", "disable-on-404", "expect", "send", "send-state", "set-var", "set-var-fmt", "unset-var"}
	} else {
		actions = []string{"comment", "connect", "expect", "send", "send-binary", "send-lf", "send-binary-lf", "set-var", "set-var-fmt", "unset-var"}
	}
	act := ln.Args[1]
	if i := strings.IndexByte(act, '('); i >= 0 {
		act = act[:i]
	}
	if !contains(actions, act) {
		p.diags.Alertf(ln.Pos, "'%s' only supports %s (got '%s').", kw, quoteList(actions), ln.Args[1])
		return
	}
	if msg := checkCheckRuleArgs(kw, act, ln.Args[2:]); msg != "" {
		p.diags.Alertf(ln.Pos, "%s", msg)
		return
	}
	if act == "expect" {
		if msg := p.checkExpectOptions(px, kw, ln.Args[2:]); msg != "" {
			p.diags.Alertf(ln.Pos, "%s", msg)
			return
		}
	}
	if act == "expect" {
		args := ln.Args[2:]
		for len(args) > 0 {
			switch args[0] {
			case "min-recv", "comment", "ok-status", "error-status", "tout-status", "on-success", "on-error", "status-code":
				if len(args) < 2 {
					p.diags.Alertf(ln.Pos, "'%s expect' : '%s' expects an argument.", kw, args[0])
					return
				}
				args = args[2:]
				continue
			case "!":
				args = args[1:]
				continue
			}
			if strings.HasPrefix(args[0], "!") {
				// "!string" as "! string"
				args = append([]string{strings.TrimLeft(args[0], "!")}, args[1:]...)
			}
			break
		}
		if len(args) < 1 {
			p.diags.Alertf(ln.Pos, "'%s expect' expects a match method.", kw)
			return
		}
		methods := []string{"status", "rstatus", "hdr", "fhdr", "string", "rstring", "string-lf", "binary", "rbinary", "binary-lf", "custom"}
		if !contains(methods, args[0]) {
			p.diags.Alertf(ln.Pos, "'%s expect' only supports 'min-recv', 'comment', 'ok-status', 'error-status', 'tout-status', 'on-success', 'on-error', 'status-code', '!' followed by 'string', 'rstring', 'binary', 'rbinary', 'status', 'rstatus' (got '%s').", kw, args[0])
			return
		}
		if args[0] != "hdr" && args[0] != "fhdr" && args[0] != "custom" && len(args) < 2 {
			p.diags.Alertf(ln.Pos, "'%s expect %s' expects a pattern.", kw, args[0])
			return
		}
	}
	keep(px, ln)
}

// statsLine parses the "stats" keyword family of proxies.
func (p *parser) statsLine(px *Proxy, ln Line) {
	if len(ln.Args) < 2 {
		p.diags.Alertf(ln.Pos, "'stats' expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'.")
		return
	}
	if px.Stats == nil {
		px.Stats = &Stats{}
	}
	st := px.Stats
	sub := ln.Args[1]
	arg := func() (string, bool) {
		if len(ln.Args) < 3 || ln.Args[2] == "" {
			p.diags.Alertf(ln.Pos, "'stats %s' requires an argument.", sub)
			return "", false
		}
		return ln.Args[2], true
	}
	switch sub {
	case "enable":
		st.Enabled = true
	case "disable":
		st.Enabled = false
	case "uri":
		if v, ok := arg(); ok {
			st.URI, st.Enabled = v, true
		}
	case "realm":
		if _, ok := arg(); ok {
			st.Realm, st.Enabled = strings.Join(ln.Args[2:], " "), true
		}
	case "auth":
		if v, ok := arg(); ok {
			st.Auth, st.Enabled = append(st.Auth, v), true
		}
	case "refresh":
		if v, ok := arg(); ok {
			d, err := parseTime(v, time.Second, "stats refresh")
			if err != nil {
				p.diags.Alertf(ln.Pos, "'stats refresh' : %v", err)
				return
			}
			st.Refresh, st.Enabled = d, true
		}
	case "hide-version":
		st.HideVersion, st.Enabled = true, true
	case "show-legends":
		st.ShowLegends, st.Enabled = true, true
	case "show-node":
		st.ShowNode, st.Enabled = strings.Join(ln.Args[2:], " "), true
		if st.ShowNode == "" {
			st.ShowNode = "-"
		}
	case "show-modules":
		st.Other, st.Enabled = append(st.Other, Directive{Pos: ln.Pos, Args: ln.Args}), true
	case "show-desc":
		st.ShowDesc, st.Enabled = strings.Join(ln.Args[2:], " "), true
	case "scope":
		if v, ok := arg(); ok {
			st.Scope, st.Enabled = append(st.Scope, v), true
		}
	case "admin":
		if px.Kind == KindDefaults {
			p.diags.Alertf(ln.Pos, "'stats admin' not supported in 'defaults' section.")
			return
		}
		if len(ln.Args) < 4 || (ln.Args[2] != "if" && ln.Args[2] != "unless") {
			p.diags.Alertf(ln.Pos, "'stats admin' requires either 'if' or 'unless' followed by a condition.")
			return
		}
		c := p.parseCond(px, ln, 2, "stats admin rule")
		if c == nil {
			return
		}
		st.Admin, st.Enabled = append(st.Admin, c), true
	case "http-request":
		if px.Kind == KindDefaults {
			p.diags.Alertf(ln.Pos, "'stats http-request' not supported in 'defaults' section.")
			return
		}
		if len(ln.Args) < 3 {
			p.diags.Alertf(ln.Pos, "'stats http-request' expects an action.")
			return
		}
		switch ln.Args[2] {
		case "allow", "deny", "auth":
		default:
			p.diags.Alertf(ln.Pos, "'stats http-request' only supports 'allow', 'deny' and 'auth' (got '%s').", ln.Args[2])
			return
		}
		st.Other = append(st.Other, Directive{Pos: ln.Pos, Args: ln.Args})
	case "bind-process", "socket", "timeout", "maxconn":
		p.diags.Alertf(ln.Pos, "'stats %s' is only supported in the 'global' section.", sub)
	default:
		p.diags.Alertf(ln.Pos, "unknown stats parameter '%s' (expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends').", sub)
	}
}
