package healthcheck

import (
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// UnsupportedError names a configured check feature gohaproxy cannot run
// yet, and where it was written. The proxy reports it as its own
// UnsupportedError.
type UnsupportedError struct {
	Pos     haproxycfg.Pos
	Feature string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("parsing [%s:%d] : %s is not supported by gohaproxy's run time yet", e.Pos.File, e.Pos.Line, e.Feature)
}

// haproxy's defaults for a server's check timing.
const (
	DefaultInter = 2 * time.Second
	DefaultRise  = 2
	DefaultFall  = 3
)

// Spec is the check of one server, ready to be scheduled.
type Spec struct {
	Probe *Probe
	// Ext is the external check ("option external-check"); when set it
	// runs instead of Probe.
	Ext *External
	// Addr is the host:port checked ("addr" and "port" applied).
	Addr string
	checks.Intervals
	Rise, Fall int
	// Timeout bounds one run of the probe.
	Timeout time.Duration
	// Spread is global spread-checks (percent).
	Spread int
}

// Check returns the scheduler check named name for the spec.
func (s *Spec) Check(name string) checks.Check {
	var probe checks.Probe = s.Probe
	if s.Ext != nil {
		probe = s.Ext
	}
	return checks.Check{
		Name:      name,
		Target:    checks.Target{Addr: s.Addr},
		Probe:     probe,
		Intervals: s.Intervals,
		Rise:      s.Rise,
		Fall:      s.Fall,
		Timeout:   s.Timeout,
		Initial:   checks.Up,
		Spread:    s.Spread,
		FixedRate: true,
	}
}

// refusedServerOptions are check-related server options gohaproxy does not
// run yet.
var refusedServerOptions = []string{
	"track", "check-send-proxy", "check-via-socks4", "check-proto", "check-alpn",
	"on-marked-down", "on-marked-up", "on-error", "observe", "error-limit", "slowstart",
}

// checkTypeOptions are the "option" lines choosing what a check does; the
// last one declared wins, as in haproxy.
var checkTypeOptions = []string{"httpchk", "tcp-check", "ssl-hello-chk", "mysql-check", "pgsql-check",
	"redis-check", "smtpchk", "ldap-check", "external-check", "spop-check"}

func later(a, b haproxycfg.Pos) bool {
	if a.File != b.File {
		return false
	}
	return a.Line > b.Line
}

// Build translates the check settings of server s of backend px; it
// returns nil when the server is not checked.
func Build(g *haproxycfg.Global, px *haproxycfg.Proxy, s *haproxycfg.Server) (*Spec, error) {
	if !s.Check {
		if _, ok := s.Options["agent-check"]; ok {
			return nil, &UnsupportedError{s.Pos, "'agent-check' on a server without 'check'"}
		}
		return nil, nil
	}
	for _, o := range refusedServerOptions {
		if _, ok := s.Options[o]; ok {
			return nil, &UnsupportedError{s.Pos, "server option '" + o + "'"}
		}
	}
	sp := &Spec{Rise: DefaultRise, Fall: DefaultFall}
	sp.Inter = DefaultInter
	dur := func(name string) (time.Duration, bool, error) {
		v, ok := s.Options[name]
		if !ok || len(v) == 0 {
			return 0, false, nil
		}
		d, err := parseTime(v[0])
		if err != nil || d <= 0 {
			return 0, false, &UnsupportedError{s.Pos, fmt.Sprintf("server option '%s %s'", name, v[0])}
		}
		return d, true, nil
	}
	if d, ok, err := dur("inter"); err != nil {
		return nil, err
	} else if ok {
		sp.Inter = d
	}
	if d, ok, err := dur("fastinter"); err != nil {
		return nil, err
	} else if ok {
		sp.FastInter = d
	}
	if d, ok, err := dur("downinter"); err != nil {
		return nil, err
	} else if ok {
		sp.DownInter = d
	}
	for name, p := range map[string]*int{"rise": &sp.Rise, "fall": &sp.Fall} {
		if v, ok := s.Options[name]; ok && len(v) > 0 {
			n, err := strconv.Atoi(v[0])
			if err != nil || n <= 0 {
				return nil, &UnsupportedError{s.Pos, fmt.Sprintf("server option '%s %s'", name, v[0])}
			}
			*p = n
		}
	}
	if v, ok := s.Options["init-state"]; ok {
		return nil, &UnsupportedError{s.Pos, "server option 'init-state " + strings.Join(v, " ") + "' (haproxy 2.6 has no such option)"}
	}
	for _, d := range g.Other {
		if d.Args[0] == "spread-checks" && len(d.Args) > 1 {
			sp.Spread, _ = strconv.Atoi(d.Args[1])
		}
		if d.Args[0] == "max-spread-checks" {
			return nil, &UnsupportedError{d.Pos, "'max-spread-checks'"}
		}
	}

	// address and port
	host := s.Addr.Host
	if v, ok := s.Options["addr"]; ok && len(v) > 0 {
		host = v[0]
	}
	port := 0
	if s.Addr.HasPort && !s.Addr.Offset {
		port = s.Addr.PortLow
	}
	if v, ok := s.Options["port"]; ok && len(v) > 0 {
		n, err := strconv.Atoi(v[0])
		if err != nil || n <= 0 || n > 65535 {
			return nil, &UnsupportedError{s.Pos, "server option 'port " + v[0] + "'"}
		}
		port = n
	}

	// timeouts: with "timeout check", the connection gets
	// min(timeout connect, inter) and the rest "timeout check".
	p := &Probe{Kind: KindPlain}
	if bs, ok := g.Tune["tune.bufsize"]; ok {
		p.BufSize, _ = strconv.Atoi(bs)
	}
	sp.Timeout = sp.Inter
	if px.Timeouts.Check > 0 {
		ct := sp.Inter
		if px.Timeouts.Connect > 0 && px.Timeouts.Connect < ct {
			ct = px.Timeouts.Connect
		}
		p.ConnectTimeout, p.ReadTimeout = ct, px.Timeouts.Check
		sp.Timeout = ct + px.Timeouts.Check
	}
	if _, ok := s.Options["check-ssl"]; ok {
		p.SSL = true
	} else if _, ok := s.Options["ssl"]; ok {
		// haproxy checks an ssl server over TLS unless the check goes
		// to another port
		if _, portSet := s.Options["port"]; !portSet {
			p.SSL = true
		}
	}
	if v, ok := s.Options["check-sni"]; ok && len(v) > 0 {
		p.SNI = v[0]
	}
	if err := tlsVerify(g, s, p); err != nil {
		return nil, err
	}

	var typ string
	var typPos haproxycfg.Pos
	for _, name := range checkTypeOptions {
		o, ok := px.Options[name]
		if !ok || !o.Enabled {
			continue
		}
		if typ == "" || later(o.Pos, typPos) {
			typ, typPos = name, o.Pos
		}
	}
	var err error
	switch typ {
	case "":
		err = checkNoRules(px, "tcp-check", "http-check")
	case "httpchk":
		p.Kind = KindHTTP
		p.Rules, err = httpRules(px, px.Options["httpchk"])
	case "tcp-check":
		p.Kind = KindTCPCheck
		p.Rules, err = tcpRules(px)
	case "ssl-hello-chk", "redis-check", "smtpchk", "pgsql-check", "mysql-check", "ldap-check":
		p.Kind = KindProto
		p.Rules, err = protoRules(typ, px.Options[typ])
	case "external-check":
		if sp.Ext, err = externalCheck(px, s, typPos, sp.Inter); err != nil {
			return nil, err
		}
		sp.Timeout = sp.Ext.Timeout
		sp.Addr = net.JoinHostPort(host, strconv.Itoa(port))
		sp.Probe = p
		return sp, nil
	default:
		err = &UnsupportedError{typPos, "'option " + typ + "'"}
	}
	if err != nil {
		return nil, err
	}
	for _, r := range p.Rules {
		if r.okSt == checks.StatusL7OKC || r.errSt == checks.StatusL7OKC {
			p.CondPass = true
		}
	}
	if port == 0 {
		needPort := true
		if len(p.Rules) > 0 && p.Rules[0].act == actConnect && p.Rules[0].port != 0 {
			needPort = false
		}
		if needPort {
			return nil, &UnsupportedError{s.Pos, fmt.Sprintf("a check on server '%s/%s' without a port (give it 'port N')", px.Name, s.Name)}
		}
	}
	sp.Addr = net.JoinHostPort(host, strconv.Itoa(port))
	sp.Probe = p
	return sp, nil
}

// tlsVerify sets how the check verifies the server's certificate:
// "verify" on the server line, else global ssl-server-verify (default
// required), with the server's ca-file.
func tlsVerify(g *haproxycfg.Global, s *haproxycfg.Server, p *Probe) error {
	verify := "required"
	for _, d := range g.Other {
		if d.Args[0] == "ssl-server-verify" && len(d.Args) > 1 {
			verify = d.Args[1]
		}
	}
	if v, ok := s.Options["verify"]; ok && len(v) > 0 {
		verify = v[0]
	}
	if verify != "required" {
		return nil
	}
	p.Verify = true
	if v, ok := s.Options["verifyhost"]; ok && len(v) > 0 {
		p.VerifyHost = v[0]
	} else if p.SNI != "" {
		p.VerifyHost = p.SNI
	}
	v, ok := s.Options["ca-file"]
	if !ok || len(v) == 0 {
		return nil
	}
	pem, err := os.ReadFile(v[0])
	if err != nil {
		return &UnsupportedError{s.Pos, fmt.Sprintf("ca-file '%s' (%v)", v[0], err)}
	}
	p.RootCAs = x509.NewCertPool()
	if !p.RootCAs.AppendCertsFromPEM(pem) {
		return &UnsupportedError{s.Pos, fmt.Sprintf("ca-file '%s' (no PEM certificate in it)", v[0])}
	}
	return nil
}

// checkNoRules refuses http-check/tcp-check rules that would have no
// effect we can honour.
func checkNoRules(px *haproxycfg.Proxy, kws ...string) error {
	_ = px
	_ = kws
	return nil
}

func parseTime(v string) (time.Duration, error) {
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(v[:i], 10, 64)
	if err != nil {
		return 0, err
	}
	unit := time.Millisecond
	switch v[i:] {
	case "", "ms":
	case "us":
		unit = time.Microsecond
	case "s":
		unit = time.Second
	case "m":
		unit = time.Minute
	case "h":
		unit = time.Hour
	case "d":
		unit = 24 * time.Hour
	default:
		return 0, fmt.Errorf("bad unit %q", v[i:])
	}
	return time.Duration(n) * unit, nil
}

// directives returns the px.Other lines of keyword kw.
func directives(px *haproxycfg.Proxy, kw string) []haproxycfg.Directive {
	var out []haproxycfg.Directive
	for _, d := range px.Other {
		if d.Args[0] == kw {
			out = append(out, d)
		}
	}
	return out
}

// httpRules builds the rules of "option httpchk" and the "http-check"
// lines.
func httpRules(px *haproxycfg.Proxy, opt haproxycfg.Option) ([]Rule, error) {
	send := Rule{act: actHTTPSend, meth: "OPTIONS", uri: "/", ver: "HTTP/1.0"}
	switch a := opt.Args; len(a) {
	case 0:
	case 1:
		send.uri = a[0]
	default:
		send.meth, send.uri = a[0], a[1]
		if len(a) > 2 {
			// the old form carries headers, and a body after an empty
			// line, behind the version
			ver := a[2]
			if head, body, ok := strings.Cut(ver, "\r\n\r\n"); ok {
				ver, send.body = head, body
			}
			parts := strings.Split(ver, "\r\n")
			send.ver = parts[0]
			for _, h := range parts[1:] {
				name, val, ok := strings.Cut(h, ":")
				if !ok || name == "" {
					return nil, &UnsupportedError{opt.Pos, fmt.Sprintf("header line '%s' hidden in the 'option httpchk' version", h)}
				}
				send.hdrs = append(send.hdrs, [2]string{name, strings.Trim(val, " \t")})
			}
		}
	}
	// rules in haproxy's order: [connect] send expect... then more
	// "connect, send, expect..." sequences. The request of "option
	// httpchk" is the first send, completed by the first "http-check send".
	var rules []Rule
	sendAt := -1 // index of the first send in rules
	inherit := ""
	for _, d := range directives(px, "http-check") {
		if len(d.Args) < 2 {
			continue
		}
		last := actConnect
		if len(rules) > 0 {
			last = rules[len(rules)-1].act
		}
		switch d.Args[1] {
		case "disable-on-404":
			// a proxy option, not a step: the proxy sets Probe.Disable404
			continue
		case "comment":
			if len(d.Args) != 3 {
				return nil, &UnsupportedError{d.Pos, "'" + strings.Join(d.Args, " ") + "'"}
			}
			inherit = d.Args[2]
			continue
		case "connect":
			if len(rules) > 0 && rules[0].act != actConnect {
				// haproxy -c refuses it with these words
				return nil, &UnsupportedError{d.Pos, "'http-check connect' : first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the tcp-check ruleset"}
			}
			if len(rules) > 0 && last != actHTTPExpect {
				return nil, &UnsupportedError{d.Pos, "'http-check connect' must follow an 'http-check expect' (or come first)"}
			}
			r, err := connectRule("http-check", d)
			if err != nil {
				return nil, err
			}
			if r.comment == "" {
				r.comment = inherit
			}
			rules = append(rules, r)
		case "send":
			if sendAt < 0 {
				if len(rules) > 0 && last != actConnect {
					return nil, &UnsupportedError{d.Pos, "'http-check send' must follow an 'http-check connect' (or come first)"}
				}
				if err := sendArgs(d, &send); err != nil {
					return nil, err
				}
				sendAt = len(rules)
				rules = append(rules, send)
				break
			}
			if last != actConnect {
				return nil, &UnsupportedError{d.Pos, "'http-check send' must follow an 'http-check connect' (or come first)"}
			}
			r := Rule{act: actHTTPSend, meth: "OPTIONS", uri: "/", ver: "HTTP/1.0"}
			if err := sendArgs(d, &r); err != nil {
				return nil, err
			}
			rules = append(rules, r)
		case "expect":
			r, err := httpExpectRule(d)
			if err != nil {
				return nil, err
			}
			if r.comment == "" {
				r.comment = inherit
			}
			if sendAt < 0 && len(rules) == 0 {
				// the request of "option httpchk" goes first
				sendAt = len(rules)
				rules = append(rules, send)
			} else if last != actHTTPSend && last != actHTTPExpect {
				return nil, &UnsupportedError{d.Pos, fmt.Sprintf("'http-check expect' : unable to add http-check expect rule at step %d (missing send rule)", len(rules)+1)}
			}
			rules = append(rules, r)
		default:
			return nil, &UnsupportedError{d.Pos, "'http-check " + d.Args[1] + "'"}
		}
		if d.Args[1] != "expect" {
			inherit = ""
		}
	}
	if sendAt < 0 {
		sendAt = 0
		if len(rules) > 0 && rules[0].act == actConnect {
			sendAt = 1
		}
		rules = append(rules[:sendAt], append([]Rule{send}, rules[sendAt:]...)...)
	}
	if rules[len(rules)-1].act == actHTTPSend || rules[len(rules)-1].act == actConnect {
		rules = append(rules, Rule{act: actHTTPExpect, hexp: httpStatus, codes: [][2]int{{200, 399}}})
	}
	for i := range rules {
		rules[i].index = i
	}
	return rules, nil
}

// sendArgs applies the options of an "http-check send" line to r.
func sendArgs(d haproxycfg.Directive, r *Rule) error {
	a := d.Args[2:]
	for i := 0; i < len(a); i++ {
		if i+1 >= len(a) {
			return &UnsupportedError{d.Pos, "'http-check send " + a[i] + "' without a value"}
		}
		switch a[i] {
		case "meth":
			r.meth = a[i+1]
		case "uri":
			r.uri = a[i+1]
		case "ver":
			r.ver = a[i+1]
		case "body":
			r.body = a[i+1]
		case "comment":
			// haproxy reports no comment for a failed send
		case "hdr":
			if i+2 >= len(a) {
				return &UnsupportedError{d.Pos, "'http-check send hdr' without a value"}
			}
			r.hdrs = append(r.hdrs, [2]string{a[i+1], a[i+2]})
			i++
		default:
			return &UnsupportedError{d.Pos, "'http-check send " + a[i] + "'"}
		}
		i++
	}
	return nil
}

func httpExpectRule(d haproxycfg.Directive) (Rule, error) {
	a := d.Args[2:]
	r := Rule{act: actHTTPExpect}
	bad := func(what string) (Rule, error) {
		return r, &UnsupportedError{d.Pos, "'" + strings.Join(d.Args, " ") + "' (" + what + ")"}
	}
	kind, pattern := "", ""
	for i := 0; i < len(a); i++ {
		w := a[i]
		for strings.HasPrefix(w, "!") {
			r.negate = !r.negate
			w = w[1:]
		}
		if w == "" {
			continue
		}
		value := func() (string, bool) {
			if i+1 >= len(a) || a[i+1] == "" {
				return "", false
			}
			i++
			return a[i], true
		}
		switch w {
		case "status", "rstatus", "string", "rstring":
			if kind != "" {
				return bad("only one pattern may be given")
			}
			v, ok := value()
			if !ok {
				return bad("'" + w + "' needs a pattern")
			}
			kind, pattern = w, v
		case "min-recv":
			v, ok := value()
			if !ok {
				return bad("'min-recv' needs a number")
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < -1 {
				return bad("'min-recv' expects -1 or a number from 0")
			}
			r.minRecv = n
		case "comment":
			v, ok := value()
			if !ok {
				return bad("'comment' needs a text")
			}
			r.comment = v
		case "on-success", "on-error", "ok-status", "error-status", "tout-status", "status-code":
			v, ok := value()
			if !ok {
				return bad("'" + w + "' needs a value")
			}
			if err := expectOption(&r, w, v, true); err != nil {
				return bad(err.Error())
			}
		case "hdr", "fhdr":
			if kind != "" {
				return bad("only one pattern may be given")
			}
			kind, r.hdrFull = "hdr", w == "fhdr"
			if i+2 >= len(a) || (a[i+1] != "name" && a[i+1] != "name-lf") {
				return bad("'" + w + "' expects 'name <pattern>' or 'name-lf <fmt>'")
			}
			nameLF := a[i+1] == "name-lf"
			i += 2
			method := func() (string, bool) {
				if a[i] != "-m" {
					return "str", true
				}
				if i+2 >= len(a) {
					return "", false
				}
				m := a[i+1]
				i += 2
				return m, m == "str" || m == "beg" || m == "end" || m == "sub" || m == "reg"
			}
			m, ok := method()
			if !ok {
				return bad("'-m' supports 'str', 'beg', 'end', 'sub' or 'reg' here")
			}
			r.hdrNameM, r.hdrName = m, a[i]
			var err error
			switch {
			case nameLF && m == "reg":
				return bad("'name-lf' cannot be used with '-m reg'")
			case nameLF:
				r.hdrNameLF, err = compileLogFormat(a[i], true)
			case m == "reg":
				// header names match case-insensitively, regexes too
				r.hdrNameRe, err = regexp.Compile("(?i)" + a[i])
			}
			if err != nil {
				return bad(err.Error())
			}
			if i+2 < len(a) && (a[i+1] == "value" || a[i+1] == "value-lf") {
				valueLF := a[i+1] == "value-lf"
				i += 2
				if m, ok = method(); !ok {
					return bad("'-m' supports 'str', 'beg', 'end', 'sub' or 'reg' here")
				}
				r.hdrValM, r.hdrVal, r.hdrHasVal = m, a[i], true
				switch {
				case valueLF && m == "reg":
					return bad("'value-lf' cannot be used with '-m reg'")
				case valueLF:
					r.hdrValLF, err = compileLogFormat(a[i], true)
				case m == "reg":
					r.hdrValRe, err = regexp.Compile(a[i])
				}
				if err != nil {
					return bad(err.Error())
				}
			} else {
				// without a value pattern the whole line is looked at
				r.hdrFull = true
			}
		case "string-lf":
			if kind != "" {
				return bad("only one pattern may be given")
			}
			v, ok := value()
			if !ok {
				return bad("'string-lf' needs a log-format string")
			}
			f, err := compileLogFormat(v, true)
			if err != nil {
				return bad(err.Error())
			}
			kind, pattern, r.bodyLF = "string-lf", v, f
		case "name-lf", "value-lf":
			return bad("'" + w + "' belongs after 'hdr' or 'fhdr'")
		default:
			return bad("'" + w + "' is not an http-check expect keyword")
		}
	}
	if kind == "" {
		return bad("a pattern such as 'status 200' is needed")
	}
	var err error
	switch kind {
	case "status":
		r.hexp = httpStatus
		for _, part := range strings.Split(pattern, ",") {
			lo, hi, isRange := strings.Cut(part, "-")
			if !isRange {
				hi = lo
			}
			l, e1 := strconv.Atoi(lo)
			h, e2 := strconv.Atoi(hi)
			if e1 != nil || e2 != nil || l > h {
				return r, &UnsupportedError{d.Pos, "'http-check expect status " + pattern + "'"}
			}
			r.codes = append(r.codes, [2]int{l, h})
		}
	case "rstatus":
		r.hexp = httpStatusRegex
		r.re, err = regexp.Compile(pattern)
	case "string":
		r.hexp, r.pattern = httpBody, pattern
	case "rstring":
		r.hexp = httpBodyRegex
		r.re, err = regexp.Compile(pattern)
	case "string-lf":
		r.hexp = httpBody
	case "hdr":
		r.hexp = httpHeader
	}
	if err != nil {
		return r, &UnsupportedError{d.Pos, fmt.Sprintf("regular expression '%s' (%v)", pattern, err)}
	}
	return r, nil
}

// expectOption applies one of the options http-check and tcp-check
// expect share: ok-status, error-status, tout-status (with the statuses
// haproxy 2.6 allows there, L7OKC passing conditionally), on-success and
// on-error log-format strings and the status-code sample expression.
func expectOption(r *Rule, name, v string, http bool) error {
	switch name {
	case "on-success", "on-error", "status-code":
		if name == "status-code" {
			e, err := compileSample(v, http)
			if err != nil {
				return err
			}
			r.codeExpr = e
			return nil
		}
		f, err := compileLogFormat(v, http)
		if err != nil {
			return err
		}
		if name == "on-success" {
			r.lfOK = f
		} else {
			r.lfErr = f
		}
		return nil
	}
	st, allowed := checks.Status(strings.ToUpper(v)), false
	switch name {
	case "ok-status":
		allowed = st == checks.StatusL7OK || st == checks.StatusL7OKC || st == checks.StatusL6OK || st == checks.StatusL4OK
		r.okSt = st
	case "error-status":
		allowed = st == checks.StatusL7OKC || st == checks.StatusL7RSP || st == checks.StatusL7STS || st == checks.StatusL6RSP || st == checks.StatusL4CON
		r.errSt = st
	default:
		allowed = st == checks.StatusL7TOUT || st == checks.StatusL6TOUT || st == checks.StatusL4TOUT
		r.toutSt = st
	}
	if !allowed {
		return fmt.Errorf("'%s %s' is not a status haproxy accepts there", name, v)
	}
	return nil
}

// tcpRules builds the rules of "option tcp-check" from the "tcp-check"
// lines.
func tcpRules(px *haproxycfg.Proxy) ([]Rule, error) {
	var rules []Rule
	index := 0 // comments take a step number too
	inherit := ""
	for _, d := range directives(px, "tcp-check") {
		if len(d.Args) < 2 {
			continue
		}
		a := d.Args[2:]
		var r Rule
		switch d.Args[1] {
		case "comment":
			if len(a) != 1 {
				return nil, &UnsupportedError{d.Pos, "'" + strings.Join(d.Args, " ") + "'"}
			}
			inherit = a[0]
			index++
			continue
		case "connect":
			var err error
			if r, err = connectRule("tcp-check", d); err != nil {
				return nil, err
			}
		case "send":
			a, r.comment = cutComment(a)
			if len(a) != 1 {
				return nil, &UnsupportedError{d.Pos, "'" + strings.Join(d.Args, " ") + "'"}
			}
			r.act, r.data = actSend, []byte(a[0])
		case "send-binary":
			a, r.comment = cutComment(a)
			if len(a) != 1 {
				return nil, &UnsupportedError{d.Pos, "'" + strings.Join(d.Args, " ") + "'"}
			}
			b, err := hex.DecodeString(a[0])
			if err != nil {
				return nil, &UnsupportedError{d.Pos, "'tcp-check send-binary " + a[0] + "' (not hexadecimal)"}
			}
			r.act, r.data = actSend, b
		case "expect":
			var err error
			if r, err = tcpExpectRule(d); err != nil {
				return nil, err
			}
		default:
			return nil, &UnsupportedError{d.Pos, "'tcp-check " + d.Args[1] + "'"}
		}
		if r.comment == "" {
			r.comment = inherit
		}
		if r.act != actExpect {
			inherit = ""
		}
		r.index = index
		index++
		rules = append(rules, r)
	}
	return rules, nil
}

// tcpExpectRule builds a "tcp-check expect" line: [!] string, rstring,
// binary or rbinary with its pattern, and the options min-recv, comment,
// ok-status, error-status, tout-status, on-success, on-error and
// status-code anywhere on the line.
func tcpExpectRule(d haproxycfg.Directive) (Rule, error) {
	a := d.Args[2:]
	r := Rule{act: actExpect}
	bad := func(what string) (Rule, error) {
		return r, &UnsupportedError{d.Pos, "'" + strings.Join(d.Args, " ") + "' (" + what + ")"}
	}
	kind := ""
	for i := 0; i < len(a); i++ {
		w := a[i]
		for strings.HasPrefix(w, "!") {
			r.negate = !r.negate
			w = w[1:]
		}
		if w == "" {
			continue
		}
		if i+1 >= len(a) {
			return bad("'" + w + "' needs a value")
		}
		i++
		v := a[i]
		var err error
		switch w {
		case "string", "rstring", "binary", "rbinary":
			if kind != "" {
				return bad("only one pattern may be given")
			}
			kind, r.pattern = w, v
			switch w {
			case "string":
				r.exp = expString
			case "rstring":
				r.exp = expRegex
				r.re, err = regexp.Compile(v)
			case "binary":
				r.exp = expBinary
				r.bin, err = hex.DecodeString(v)
			case "rbinary":
				r.exp = expBinaryRegex
				r.re, err = regexp.Compile(v)
			}
			if err != nil {
				return r, &UnsupportedError{d.Pos, fmt.Sprintf("'tcp-check expect %s %s' (%v)", w, v, err)}
			}
		case "comment":
			r.comment = v
		case "min-recv":
			n, err := strconv.Atoi(v)
			if err != nil || n < -1 {
				return bad("'min-recv' expects -1 or a number from 0")
			}
			r.minRecv = n
		case "ok-status", "error-status", "tout-status", "on-success", "on-error", "status-code":
			if err := expectOption(&r, w, v, false); err != nil {
				return bad(err.Error())
			}
		default:
			return r, &UnsupportedError{d.Pos, "'tcp-check expect " + w + "'"}
		}
	}
	if kind == "" {
		return bad("a pattern such as 'string OK' is needed")
	}
	return r, nil
}

// cutComment removes the "comment <text>" option from the end of the
// arguments of an expect rule.
func cutComment(a []string) ([]string, string) {
	if n := len(a); n >= 2 && a[n-2] == "comment" {
		return a[:n-2], a[n-1]
	}
	return a, ""
}

// connectRule builds a "tcp-check connect" or "http-check connect" line;
// kw is the keyword, for messages.
func connectRule(kw string, d haproxycfg.Directive) (Rule, error) {
	r := Rule{act: actConnect}
	a := d.Args[2:]
	for i := 0; i < len(a); i++ {
		switch a[i] {
		case "port":
			if i+1 >= len(a) {
				return r, &UnsupportedError{d.Pos, "'" + kw + " connect port' without a port"}
			}
			n, err := strconv.Atoi(a[i+1])
			if err != nil || n <= 0 || n > 65535 {
				return r, &UnsupportedError{d.Pos, "'" + kw + " connect port " + a[i+1] + "'"}
			}
			r.port = n
			i++
		case "ssl":
			r.ssl = true
		case "sni":
			if i+1 >= len(a) {
				return r, &UnsupportedError{d.Pos, "'" + kw + " connect sni' without a name"}
			}
			r.sni = a[i+1]
			i++
		case "comment":
			if i+1 >= len(a) {
				return r, &UnsupportedError{d.Pos, "'" + kw + " connect comment' without a text"}
			}
			r.comment = a[i+1]
			i++
		default:
			return r, &UnsupportedError{d.Pos, "'" + kw + " connect " + a[i] + "'"}
		}
	}
	return r, nil
}
