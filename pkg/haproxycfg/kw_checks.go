package haproxycfg

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// checkLogSample validates "ranges:size" of a log line's sample option.
func checkLogSample(v string) string {
	ranges, sizeText, ok := strings.Cut(v, ":")
	if !ok {
		return fmt.Sprintf("sample option '%s' expects <ranges>:<size>", v)
	}
	size, err := strconv.Atoi(sizeText)
	if err != nil || size <= 0 {
		return fmt.Sprintf("invalid sample size '%s'", sizeText)
	}
	high := 0
	for _, r := range strings.Split(ranges, ",") {
		lo, hi, isRange := strings.Cut(r, "-")
		if !isRange {
			hi = lo
		}
		l, e1 := strconv.Atoi(lo)
		h, e2 := strconv.Atoi(hi)
		if e1 != nil || e2 != nil || l <= 0 || h < l {
			return fmt.Sprintf("invalid sample range '%s'", r)
		}
		if h > high {
			high = h
		}
	}
	if size < high {
		return fmt.Sprintf("sample size %d should be greater or equal to %d the maximum of the high ranges limits", size, high)
	}
	return ""
}

// serverOptionChecks are more value checks of server options (haproxy's
// messages after "'server BE/SRV' : "); init installs them in serverOptions.
var serverOptionChecks = map[string]func(p *parser, v string) string{
	"verify": func(p *parser, v string) string {
		if v != "none" && v != "required" {
			return fmt.Sprintf("'verify' : unknown verify method '%s', only 'none' and 'required' are supported.", v)
		}
		return ""
	},
	"on-marked-down": enumCheck("on-marked-down", "expects 'shutdown-sessions'", "shutdown-sessions"),
	"on-marked-up":   enumCheck("on-marked-up", "expects 'shutdown-backup-sessions'", "shutdown-backup-sessions"),
	"on-error":       enumCheck("on-error", "expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down'", "fastinter", "fail-check", "sudden-death", "mark-down"),
	"observe":        enumCheck("observe", "expects one of 'none', 'layer4', 'layer7'", "none", "layer4", "layer7"),
	"id": func(p *parser, v string) string {
		if atoi(v) <= 0 {
			return "'id' : custom id has to be > 0."
		}
		return ""
	},
	"addr": func(p *parser, v string) string {
		if a, err := parseAddress(v, addrServer); err != nil || a.Family == FamilyHost && looksNumeric(a.Host) {
			return fmt.Sprintf("'addr' : invalid address: '%s' in '%s'.", v, v)
		}
		return ""
	},
	"socks4": func(p *parser, v string) string {
		a, err := parseAddress(v, addrServer)
		if err != nil || !a.HasPort {
			return fmt.Sprintf("'socks4 %s' : missing port specification in '%s'.", v, v)
		}
		return ""
	},
	"slowstart": func(p *parser, v string) string {
		if _, err := parseTime(v, 1e6, "slowstart"); err != nil {
			return fmt.Sprintf("unexpected character '%s' in 'slowstart' argument.", strings.TrimLeft(v, "0123456789")[:1])
		}
		return ""
	},
	"proto": func(p *parser, v string) string {
		if v != "h1" && v != "h2" && v != "fcgi" {
			return fmt.Sprintf("'proto' :  unknown MUX protocol '%s'.", v)
		}
		return ""
	},
	"proxy-v2-options": func(p *parser, v string) string {
		for _, o := range strings.Split(v, ",") {
			switch o {
			case "ssl", "cert-cn", "ssl-cipher", "cert-sig", "cert-key", "authority", "crc32c", "unique-id":
			default:
				return fmt.Sprintf("'%s' : proxy v2 option not implemented.", o)
			}
		}
		return ""
	},
	"sni": func(p *parser, v string) string {
		if msg := p.checkSampleExpr(p.cur.proxy, v, v, 0); msg != "" {
			return "error detected while parsing sni expression : " + msg
		}
		return ""
	},
	"source": func(p *parser, v string) string {
		// a server's source may name a port range (haproxy hands its
		// ports out in turn); a proxy's may not (sourceLine)
		if a, err := parseAddress(v, addrSource); err != nil || a.Family == FamilyHost && looksNumeric(a.Host) {
			return fmt.Sprintf("'source' : invalid address: '%s' in '%s'", v, v)
		}
		return ""
	},
	"ca-file": func(p *parser, v string) string {
		if !p.fileExists(p.withBase("ca-file", v)) {
			return fmt.Sprintf("Couldn't open the ca-file '%s' (No such file or directory).", v)
		}
		return ""
	},
	"crt": func(p *parser, v string) string {
		if !p.fileExists(p.withBase("crt", v)) {
			return fmt.Sprintf("unable to stat SSL certificate from file '%s' : No such file or directory.", v)
		}
		return ""
	},
}

func init() {
	for name, chk := range serverOptionChecks {
		opt := serverOptions[name]
		if prev := opt.check; prev != nil {
			first := chk
			chk = func(p *parser, v string) string {
				if msg := first(p, v); msg != "" {
					return msg
				}
				return prev(p, v)
			}
		}
		opt.check = chk
		serverOptions[name] = opt
	}
}

func enumCheck(kw, expects string, values ...string) func(p *parser, v string) string {
	return func(p *parser, v string) string {
		if !contains(values, v) {
			return fmt.Sprintf("'%s' %s but got '%s'.", kw, expects, v)
		}
		return ""
	}
}

// checkServerCombination applies haproxy's checks across a server's
// options.
func checkServerCombination(s *Server) string {
	_, check := s.Options["check"]
	_, track := s.Options["track"]
	if check && track {
		return "unable to enable checks and tracking at the same time!"
	}
	if _, agent := s.Options["agent-check"]; agent {
		if v, ok := s.Options["agent-port"]; !ok || atoi(v[0]) <= 0 {
			return fmt.Sprintf("server %s does not have agent port. Agent check has been disabled.", s.Name)
		}
	}
	return ""
}

// globalValueChecks validate global keywords' values (haproxy's messages).
var globalValueChecks = map[string]func(ln Line) (msg string, tight bool){
	"tune.bufsize":    positiveGlobal,
	"tune.maxrewrite": positiveGlobal,
	"ssl-server-verify": func(ln Line) (string, bool) {
		if ln.Args[1] != "none" && ln.Args[1] != "required" {
			return "'ssl-server-verify' expects 'none' or 'required' as argument.", false
		}
		return "", false
	},
	"spread-checks": func(ln Line) (string, bool) {
		if n, err := strconv.Atoi(ln.Args[1]); err != nil || n < 0 || n > 50 {
			return "'spread-checks' needs a positive value in range 0..50.", true
		}
		return "", false
	},
	"node": func(ln Line) (string, bool) {
		if ln.Args[1] == "" {
			return nodeMsg, true
		}
		for _, r := range ln.Args[1] {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
				return nodeMsg, true
			}
		}
		return "", false
	},
	"master-worker": func(ln Line) (string, bool) {
		if len(ln.Args) > 1 && ln.Args[1] != "no-exit-on-failure" {
			return "'master-worker' only supports 'no-exit-on-failure' option.", false
		}
		return "", false
	},
	"unix-bind": func(ln Line) (string, bool) {
		for i := 1; i < len(ln.Args); i += 2 {
			switch ln.Args[i] {
			case "prefix", "mode", "uid", "gid", "user", "group":
			default:
				return "'unix-bind' only supports the 'prefix', 'mode', 'uid', 'gid', 'user' and 'group' options.", false
			}
		}
		return "", false
	},
}

const nodeMsg = "'node' requires valid node name - non-empty string with digits(0-9), letters(A-Z, a-z), dot(.), hyphen(-) or underscode(_)."

func positiveGlobal(ln Line) (string, bool) {
	if n, err := strconv.Atoi(ln.Args[1]); err != nil || n <= 0 {
		return fmt.Sprintf("'%s' expects a positive integer argument.", ln.Args[0]), false
	}
	return "", false
}

// cipherListMatches reports whether an OpenSSL cipher string selects at
// least one cipher (OpenSSL refuses a list that selects none).
func cipherListMatches(list string) bool {
	for _, el := range strings.FieldsFunc(list, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		if strings.HasPrefix(el, "!") || strings.HasPrefix(el, "-") || strings.HasPrefix(el, "@") {
			continue
		}
		el = strings.TrimPrefix(el, "+")
		all := true
		for _, part := range strings.Split(el, "+") {
			if !opensslCipherNames[part] && !opensslCipherAliases[part] {
				all = false
			}
		}
		if all {
			return true
		}
	}
	return false
}

// tls13SuitesMatch reports whether a TLS 1.3 suite list names a known one.
func tls13SuitesMatch(list string) bool {
	for _, s := range strings.Split(list, ":") {
		if opensslTLS13Suites[s] {
			return true
		}
	}
	return false
}

var opensslCipherAliases = map[string]bool{}

func init() {
	for _, a := range strings.Fields(`DEFAULT ALL COMPLEMENTOFALL COMPLEMENTOFDEFAULT HIGH MEDIUM LOW
		kRSA aRSA RSA kDHr kDHd kDH kDHE kEDH DH DHE EDH ADH kEECDH kECDHE ECDH ECDHE EECDH AECDH aECDSA ECDSA
		aNULL eNULL NULL aDSS DSS aDH aECDH TLSv1.2 TLSv1.0 TLSv1 SSLv3 AES128 AES256 AES AESGCM AESCCM AESCCM8
		ARIA128 ARIA256 ARIA CAMELLIA128 CAMELLIA256 CAMELLIA CHACHA20 3DES DES RC4 RC2 IDEA SEED MD5 SHA1 SHA
		SHA256 SHA384 kGOST aGOST GOST94 GOST89MAC PSK kPSK kECDHEPSK kDHEPSK kRSAPSK aPSK SRP kSRP aSRP SUITEB128
		SUITEB128ONLY SUITEB192 CBC`) {
		opensslCipherAliases[a] = true
	}
}

// fileLooksLikePEM reports whether a certificate file holds a PEM block.
func fileLooksLikePEM(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return true // existence is checked elsewhere
	}
	return strings.Contains(string(b), "-----BEGIN ")
}

func (p *parser) uniqueIDFormatLine(px *Proxy, ln Line) {
	if len(ln.Args) < 2 {
		p.diags.Alertf(ln.Pos, "'%s' expects an argument.", ln.Args[0])
		return
	}
	if msg := p.checkLogFormat(px, ln.Args[1]); msg != "" {
		p.diags.Rawf(SevAlert, ln.Pos, "Parsing [%s:%d]: failed to parse unique-id : %s", ln.Pos.File, ln.Pos.Line, msg)
		return
	}
	keep(px, ln)
}

func (p *parser) rateLimitLine(px *Proxy, ln Line) {
	if len(ln.Args) < 2 || ln.Args[1] != "sessions" {
		got := ""
		if len(ln.Args) > 1 {
			got = ln.Args[1]
		}
		p.diags.Alertf(ln.Pos, "'rate-limit' only supports 'sessions' (got '%s')", got)
		return
	}
	if len(ln.Args) < 3 {
		p.diags.Alertf(ln.Pos, "'rate-limit sessions' expects expects an integer value")
		return
	}
	keep(px, ln)
}

func (p *parser) errorlocLine(px *Proxy, ln Line) {
	if len(ln.Args) != 3 {
		p.diags.Alertf(ln.Pos, "%s : expects <status_code> and <url> as arguments.", ln.Args[0])
		return
	}
	if !errorfileCodes[atoi(ln.Args[1])] {
		p.diags.Alertf(ln.Pos, "%s : status code '%s' not handled.", ln.Args[0], ln.Args[1])
		return
	}
	keep(px, ln)
}

func (p *parser) httpErrorLine(px *Proxy, ln Line) {
	if len(ln.Args) < 3 || ln.Args[1] != "status" {
		p.diags.Alertf(ln.Pos, "http-error: expects 'status <code>' followed by the response.")
		return
	}
	if !errorfileCodes[atoi(ln.Args[2])] {
		p.diags.Alertf(ln.Pos, "http-error: status code '%s' not handled.", ln.Args[2])
		return
	}
	if msg := checkActionArgs("return", ln.Args[1:]); msg != "" {
		p.diags.Alertf(ln.Pos, "http-error: %s", msg)
		return
	}
	keep(px, ln)
}

func (p *parser) stickLine(px *Proxy, ln Line) {
	if len(ln.Args) < 3 || !contains([]string{"on", "match", "store-request", "store-response"}, ln.Args[1]) {
		p.diags.Alertf(ln.Pos, "'stick' expects 'on', 'match', 'store-request' or 'store-response'.")
		return
	}
	name, _, _, e := splitFetch(ln.Args[2])
	if _, ok := lookupFetch(name); !ok || e != "" {
		p.diags.Alertf(ln.Pos, "'stick': unknown fetch method '%s'", name)
		return
	}
	if ci := findCondStart(ln.Args, 3); ci >= 0 {
		if p.parseCond(px, ln, ci, "'stick' rule") == nil {
			return
		}
	}
	keep(px, ln)
}

func (p *parser) persistLine(px *Proxy, ln Line) {
	if len(ln.Args) < 2 || !(ln.Args[1] == "rdp-cookie" || strings.HasPrefix(ln.Args[1], "rdp-cookie(") && strings.HasSuffix(ln.Args[1], ")")) {
		p.diags.Alertf(ln.Pos, "unknown persist method.")
		return
	}
	keep(px, ln)
}

// sourceLine parses "source ADDR[:PORT] [usesrc ...] [interface NAME]".
func (p *parser) sourceLine(px *Proxy, ln Line) {
	if len(ln.Args) < 2 {
		p.diags.Alertf(ln.Pos, "'source' expects <addr>[:<port>] as argument.")
		return
	}
	a, err := parseAddress(ln.Args[1], addrSource)
	if err == nil && a.Family == FamilyHost && looksNumeric(a.Host) {
		err = fmt.Errorf("invalid address: '%s' in '%s'", a.Host, ln.Args[1])
	}
	if err == nil && a.HasPort && strings.Contains(ln.Args[1][strings.LastIndex(ln.Args[1], ":")+1:], "-") {
		err = fmt.Errorf("port range not permitted here in '%s'", ln.Args[1])
	}
	if err != nil {
		p.diags.Alertf(ln.Pos, "'source %s' : %v", ln.Args[1], err)
		return
	}
	for i := 2; i < len(ln.Args); i++ {
		switch ln.Args[i] {
		case "usesrc":
			if i+1 >= len(ln.Args) {
				p.diags.Alertf(ln.Pos, "'usesrc' expects <addr>[:<port>], 'client', 'clientip', or 'hdr_ip(name,#)' as argument.")
				return
			}
			v := ln.Args[i+1]
			if v != "client" && v != "clientip" && !strings.HasPrefix(v, "hdr_ip(") {
				if ua, err := parseAddress(v, addrServer); err != nil || ua.Family == FamilyHost {
					p.diags.Alertf(ln.Pos, "'usesrc %s' : invalid address: '%s' in '%s'", v, v, v)
					return
				}
			}
			i++
		case "interface":
			if i+1 >= len(ln.Args) {
				p.diags.Alertf(ln.Pos, "'interface' expects an interface name.")
				return
			}
			i++
		default:
			p.diags.Alertf(ln.Pos, "'%s' only supports optional keywords '%s' and '%s'.", ln.Args[0], "usesrc", "interface")
			return
		}
	}
	keep(px, ln)
}

// checkCheckRuleArgs validates http-check/tcp-check send and expect
// arguments as haproxy does.
func checkCheckRuleArgs(kw, act string, args []string) string {
	switch {
	case kw == "http-check" && act == "send":
		for i := 0; i < len(args); i++ {
			switch args[i] {
			case "comment", "meth", "uri", "uri-lf", "ver", "body", "body-lf":
				i++
			case "hdr":
				i += 2
			default:
				return fmt.Sprintf("'http-check send' : expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got '%s' as argument..", args[i])
			}
		}
	case act == "connect":
		for i := 0; i+1 < len(args); i++ {
			if args[i] == "port" {
				if _, err := strconv.Atoi(args[i+1]); err != nil {
					name, _, _, _ := splitFetch(args[i+1])
					if _, ok := lookupFetch(name); !ok {
						return fmt.Sprintf("'%s connect' : error detected while parsing port expression : unknown fetch method '%s'.", kw, name)
					}
				}
				i++
			}
		}
	case kw == "tcp-check" && (act == "send" || act == "send-lf" || act == "send-binary" || act == "send-binary-lf"):
		if len(args) == 0 || args[0] == "comment" {
			return fmt.Sprintf("'%s %s' : 'string' expects a send as argument.", kw, act)
		}
		if act == "send-binary" && !isHex(args[0]) {
			return fmt.Sprintf("'%s %s' : invalid binary string (an even number of hex digit is expected).", kw, act)
		}
	case act == "expect":
		for i := 0; i < len(args); i++ {
			switch args[i] {
			case "binary":
				if i+1 < len(args) && !isHex(args[i+1]) {
					return fmt.Sprintf("'%s expect' : invalid binary string (an even number of hex digit is expected).", kw)
				}
				return ""
			case "status":
				if i+1 < len(args) {
					for _, r := range args[i+1] {
						if (r < '0' || r > '9') && r != ',' && r != '-' {
							return fmt.Sprintf("'%s expect' : invalid character '%c' in the list of status codes.", kw, r)
						}
					}
				}
				return ""
			}
		}
	}
	return ""
}

func isHex(s string) bool {
	if len(s)%2 != 0 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return true
}

// checkProxyConsistency applies the checks haproxy makes on a whole proxy
// after parsing: modes of switching targets, captures, external checks,
// TLS settings.
func (p *parser) checkProxyConsistency(px *Proxy) {
	g := p.cfg.Global
	if px.Kind.IsFrontend() && px.Mode == ModeHTTP {
		check := func(ref *BackendRef, how string) {
			if ref == nil || ref.Dynamic {
				return
			}
			if be := p.cfg.findBackend(ref.Name); be != nil && be.Mode == ModeTCP {
				p.diags.Rawf(SevAlert, ref.Pos, "http %s '%s' (%s:%d) tries to use incompatible tcp backend '%s' (%s:%d) %s (see 'mode').",
					px.Kind, px.Name, px.Pos.File, px.Pos.Line, be.Name, be.Pos.File, be.Pos.Line, how)
			}
		}
		check(px.DefaultBackend, "as its default backend")
		for _, ub := range px.UseBackends {
			check(&ub.BackendRef, "in a 'use_backend' rule")
		}
	}
	if px.OptionEnabled("external-check") && px.Kind.IsBackend() {
		found := false
		for _, d := range g.Other {
			if d.Args[0] == "external-check" {
				found = true
			}
		}
		if !found {
			p.diags.Rawf(SevAlert, px.Pos, "Proxy '%s' : 'option external-check' unable to find required 'global.external-check'.", px.Name)
		}
	}
	// captures referenced by id need "declare capture"
	declared := map[string]int{}
	for _, d := range px.Other {
		if d.Args[0] == "declare" && len(d.Args) > 2 {
			declared[d.Args[2]]++
		}
	}
	for rs, rules := range px.Rules {
		for _, r := range rules {
			if r.Action != "capture" {
				continue
			}
			for i := 0; i+1 < len(r.Args); i++ {
				if r.Args[i] == "id" {
					dir := "request"
					if strings.HasPrefix(rs, "http-response") || strings.HasPrefix(rs, "tcp-response") {
						dir = "response"
					}
					if atoi(r.Args[i+1]) >= declared[dir] {
						p.diags.Rawf(SevAlert, r.Pos, "Proxy '%s': unable to find capture id '%s' referenced by %s capture rule.", px.Name, r.Args[i+1], rs)
					}
				}
			}
		}
	}
	for _, s := range px.Servers {
		if v, ok := s.Options["check-proto"]; ok && len(v) > 0 && v[0] != "h1" && !px.OptionEnabled("httpchk") {
			p.diags.Rawf(SevAlert, s.Pos, "config: %s '%s': server '%s' uses an incompatible MUX protocol for the selected check type", px.Kind, px.Name, s.Name)
		}
	}
	// TLS: health checks over SSL verify like servers do
	sslChecks := false
	for _, d := range px.Other {
		if (d.Args[0] == "http-check" || d.Args[0] == "tcp-check") && len(d.Args) > 1 && d.Args[1] == "connect" && containsWord(d.Args[2:], "ssl") {
			sslChecks = true
		}
	}
	for _, s := range px.Servers {
		if sslChecks {
			if _, ca := s.Options["ca-file"]; !ca && !(len(s.Options["verify"]) > 0 && s.Options["verify"][0] == "none") && !globalVerifyNone(g) {
				p.diags.Rawf(SevAlert, s.Pos, "[%s:%d] : 'server %s/%s' : verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default.", s.Pos.File, s.Pos.Line, px.Name, s.Name)
			}
		}
		if _, ssl := s.Options["ssl"]; ssl {
			ciphers := globalValue(g, "ssl-default-server-ciphers")
			if v, ok := s.Options["ciphers"]; ok {
				ciphers = v[0]
			}
			if ciphers != "" && !cipherListMatches(ciphers) {
				p.diags.Rawf(SevAlert, s.Pos, "[%s:%d] : 'server %s/%s' : unable to set SSL cipher list to '%s'.", s.Pos.File, s.Pos.Line, px.Name, s.Name, ciphers)
			}
		}
	}
	for _, b := range px.Binds {
		if _, ssl := b.Options["ssl"]; !ssl {
			continue
		}
		ciphers := globalValue(g, "ssl-default-bind-ciphers")
		if v, ok := b.Options["ciphers"]; ok {
			ciphers = v[0]
		}
		if ciphers != "" && !cipherListMatches(ciphers) {
			p.diags.Rawf(SevAlert, b.Pos, "Proxy '%s': unable to set SSL cipher list to '%s' for bind '%s' at [%s:%d].", px.Name, ciphers, b.Addr.Raw, b.Pos.File, b.Pos.Line)
		}
		suites := globalValue(g, "ssl-default-bind-ciphersuites")
		if v, ok := b.Options["ciphersuites"]; ok {
			suites = v[0]
		}
		if suites != "" && !tls13SuitesMatch(suites) {
			p.diags.Rawf(SevAlert, b.Pos, "Proxy '%s': unable to set TLS 1.3 cipher suites to '%s' for bind '%s' at [%s:%d].", px.Name, suites, b.Addr.Raw, b.Pos.File, b.Pos.Line)
		}
	}
}

func globalVerifyNone(g *Global) bool {
	return globalValue(g, "ssl-server-verify") == "none"
}

func globalValue(g *Global, kw string) string {
	v := ""
	for _, d := range g.Other {
		if d.Args[0] == kw && len(d.Args) > 1 {
			v = d.Args[1]
		}
	}
	return v
}

func (p *parser) emailAlertLine(px *Proxy, ln Line) {
	if len(ln.Args) != 3 {
		p.diags.Alertf(ln.Pos, "'email-alert' expects 'from', 'to', 'level', 'mailers' or 'myhostname' and one argument.")
		return
	}
	switch ln.Args[1] {
	case "from", "to", "mailers", "myhostname":
	case "level":
		if !contains(syslogLevels, ln.Args[2]) {
			p.diags.Alertf(ln.Pos, "unknown log level '%s' after '%s'", ln.Args[2], ln.Args[1])
			return
		}
	default:
		p.diags.Alertf(ln.Pos, "email-alert: unknown argument '%s'.", ln.Args[1])
		return
	}
	keep(px, ln)
}

func (p *parser) dispatchLine(px *Proxy, ln Line) {
	if len(ln.Args) != 2 {
		p.diags.Alertf(ln.Pos, "'dispatch' expects <addr:port> as argument.")
		return
	}
	if a, err := parseAddress(ln.Args[1], addrServer); err != nil || !a.HasPort {
		p.diags.Alertf(ln.Pos, "'dispatch' : missing port specification in '%s'", ln.Args[1])
		return
	}
	keep(px, ln)
}

// badExpectKeyword is haproxy's message for a word an expect rule does
// not know.
func badExpectKeyword(pre string, http bool, w string) string {
	if http {
		return fmt.Sprintf("%s'only supports min-recv, [!]string', '[!]rstring', '[!]string-lf', '[!]status', '[!]rstatus', [!]hdr, [!]fhdr or comment but got '%s' as argument..", pre, w)
	}
	return fmt.Sprintf("%s'only supports min-recv, '[!]binary', '[!]string', '[!]rstring', '[!]string-lf''[!]rbinary', '[!]binary-lf' or comment but got '%s' as argument..", pre, w)
}

// checkExpectOptions validates the options of an "http-check expect" or
// "tcp-check expect" line as haproxy 2.6's parse_tcpcheck_expect does:
// arguments of comment, on-success, on-error and the status options, the
// statuses allowed, the status-code expression, the "-m" methods of
// hdr/fhdr, then the log-format strings. It
// returns haproxy's message, or "".
func (p *parser) checkExpectOptions(px *Proxy, kw string, args []string) string {
	pre := "'" + kw + " expect' : "
	var lfs [][2]string // log-format strings with the text that names them
	oneOf := func(v string, allowed ...string) bool {
		for _, a := range allowed {
			if strings.EqualFold(v, a) {
				return true
			}
		}
		return false
	}
	http := kw == "http-check"
	if len(args) == 0 {
		return pre + "expects at least a matching pattern as arguments."
	}
	pattern := false
	for i := 0; i < len(args); i++ {
		a := strings.TrimLeft(args[i], "!")
		if a == "" {
			if i == len(args)-1 {
				return badExpectKeyword(pre, http, "")
			}
			continue
		}
		switch a {
		case "status", "rstatus", "hdr", "fhdr", "string", "rstring", "string-lf", "binary", "rbinary", "binary-lf", "custom":
			pattern = true
		}
		has := i+1 < len(args) && args[i+1] != ""
		switch a {
		case "status", "rstatus", "hdr", "fhdr":
			if !http {
				return badExpectKeyword(pre, http, a)
			}
		case "binary", "rbinary", "binary-lf":
			if http {
				return badExpectKeyword(pre, http, a)
			}
		}
		switch a {
		case "comment", "on-success", "on-error", "ok-status", "error-status", "tout-status":
			if !has {
				return fmt.Sprintf("%s'%s' expects a string as argument.", pre, a)
			}
			v := args[i+1]
			i++
			switch {
			case a == "on-success" || a == "on-error":
				lfs = append(lfs, [2]string{v, v})
			case a == "ok-status" && !oneOf(v, "L7OK", "L7OKC", "L6OK", "L4OK"):
				return fmt.Sprintf("%s'%s' only supports 'L4OK', 'L6OK', 'L7OK' or 'L7OKC' status (got '%s')..", pre, a, v)
			case a == "error-status" && !oneOf(v, "L7RSP", "L7STS", "L7OKC", "L6RSP", "L4CON"):
				return fmt.Sprintf("%s'%s' only supports 'L4CON', 'L6RSP', 'L7RSP' or 'L7STS' status (got '%s')..", pre, a, v)
			case a == "tout-status" && !oneOf(v, "L7TOUT", "L6TOUT", "L4TOUT"):
				return fmt.Sprintf("%s'%s' only supports 'L4TOUT', 'L6TOUT' or 'L7TOUT' status (got '%s')..", pre, a, v)
			}
		case "status-code":
			if !has {
				return fmt.Sprintf("%s'%s' expects an expression as argument.", pre, a)
			}
			i++
			name := args[i]
			if j := strings.IndexAny(name, "(,"); j >= 0 {
				name = name[:j]
			}
			if _, ok := lookupFetch(name); !ok {
				return fmt.Sprintf("%serror detected while parsing status-code expression : unknown fetch method '%s'.", pre, name)
			}
			if _, _, _, e := splitFetch(args[i]); e != "" {
				return fmt.Sprintf("%serror detected while parsing status-code expression : %s", pre, e)
			}
		case "custom":
		case "status", "rstatus":
			if !has {
				return fmt.Sprintf("%s'%s' expects a <pattern> as argument.", pre, a)
			}
			i++
		case "min-recv", "string", "binary":
			i++
		case "rstring", "rbinary":
			i++
		case "string-lf", "binary-lf":
			if has {
				lfs = append(lfs, [2]string{args[i+1], args[i+1]})
			}
			i++
		case "hdr", "fhdr":
			if i+2 >= len(args) || (args[i+1] != "name" && args[i+1] != "name-lf") {
				return fmt.Sprintf("%s'%s' expects at the name keyword as first argument followed by a pattern.", pre, a)
			}
			nameLF := args[i+1] == "name-lf"
			i += 2
			method := func(isLF bool) (string, string) {
				if args[i] != "-m" {
					return "str", ""
				}
				if i+1 >= len(args) {
					return "", fmt.Sprintf("%s'%s' : '-m' expects at a matching pattern ('str', 'beg', 'end', 'sub' or 'reg').", pre, a)
				}
				m := args[i+1]
				switch m {
				case "str", "beg", "end", "sub":
				case "reg":
					if isLF {
						return "", fmt.Sprintf("%s'%s': log-format string is not supported with a regex matching method.", pre, a)
					}
				default:
					return "", fmt.Sprintf("%s'%s' : '-m' only supports 'str', 'beg', 'end', 'sub' or 'reg' (got '%s').", pre, a, m)
				}
				i += 2
				return m, ""
			}
			if _, msg := method(nameLF); msg != "" {
				return msg
			}
			if i >= len(args) {
				return ""
			}
			npat := args[i]
			if nameLF {
				lfs = append(lfs, [2]string{npat, npat})
			}
			if i+1 >= len(args) || (args[i+1] != "value" && args[i+1] != "value-lf") {
				continue
			}
			valueLF := args[i+1] == "value-lf"
			i += 2
			if i >= len(args) {
				return fmt.Sprintf("%s'%s' expect a pattern with the value keyword.", pre, a)
			}
			if _, msg := method(valueLF); msg != "" {
				return msg
			}
			if i >= len(args) {
				return fmt.Sprintf("%s'%s' expect a pattern with the value keyword.", pre, a)
			}
			if valueLF {
				// haproxy names the name pattern in this message
				lfs = append(lfs, [2]string{args[i], npat})
			}
		default:
			return badExpectKeyword(pre, http, args[i])
		}
	}
	if !pattern {
		return pre + "pattern not found."
	}
	for _, lf := range lfs {
		if msg := p.checkLogFormat(px, lf[0]); msg != "" {
			return fmt.Sprintf("%s'%s' invalid log-format string (%s).", pre, lf[1], strings.TrimSuffix(msg, "."))
		}
	}
	// regular expressions are PCRE's in haproxy: not judged here (the
	// run time refuses those Go's regexp cannot compile, with the line)
	return ""
}
