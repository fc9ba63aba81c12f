package haproxycfg

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// bindLine parses "bind ADDR[,ADDR...] [options]".
func (p *parser) bindLine(px *Proxy, ln Line) {
	if len(ln.Args) < 2 || ln.Args[1] == "" {
		p.diags.Alertf(ln.Pos, "'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments.")
		return
	}
	opts, ok := p.parseBindOptions(ln, ln.Args[2:], "'bind "+ln.Args[1]+"' in section '"+px.Kind.String()+"'")
	if !ok {
		return
	}
	for _, one := range strings.Split(expandAddrEnv(ln.Args[1], p.env), ",") {
		a, err := parseAddress(one, addrBind)
		if err == nil && a.Family == FamilyHost && p.opt.Resolve != nil && p.opt.Resolve(a.Host) != nil {
			err = fmt.Errorf("invalid address: '%s' in '%s'", a.Host, one)
		}
		if err == nil && a.Family == FamilyFD && p.opt.CheckFD != nil {
			if e := p.opt.CheckFD(atoi(a.Host)); e != nil {
				err = fmt.Errorf("cannot use file descriptor '%s' : %v.", a.Host, e)
			}
		}
		if err != nil {
			p.diags.Alertf(ln.Pos, "'bind' : %v", err)
			return
		}
		px.Binds = append(px.Binds, &Bind{Pos: ln.Pos, Addr: a, Options: opts})
	}
}

// bindOptionArgs is the number of arguments each bind option takes, for
// the options gohaproxy parses.
var bindOptionArgs = map[string]int{
	"accept-netscaler-cip": 1, "accept-proxy": 0, "backlog": 1, "defer-accept": 0, "expose-fd": 1,
	"gid": 1, "group": 1, "id": 1, "interface": 1, "level": 1, "maxconn": 1, "mode": 1, "mss": 1,
	"name": 1, "namespace": 1, "nice": 1, "process": 1, "proto": 1, "severity-output": 1,
	"tcp-ut": 1, "tfo": 0, "thread": 1, "transparent": 0, "uid": 1, "user": 1, "v4v6": 0, "v6only": 0,
	"alpn": 1, "ssl": 0, "crt": 1, "crt-list": 1, "ca-file": 1, "ciphers": 1, "ciphersuites": 1,
	"curves": 1, "ecdhe": 1, "verify": 1, "no-sslv3": 0, "no-tlsv10": 0, "no-tlsv11": 0, "no-tlsv12": 0,
	"no-tlsv13": 0, "force-tlsv12": 0, "force-tlsv13": 0, "ssl-min-ver": 1, "ssl-max-ver": 1,
	"strict-sni": 0, "prefer-client-ciphers": 0, "no-tls-tickets": 0, "crl-file": 1, "ca-ignore-err": 1,
	"crt-ignore-err": 1, "npn": 1, "allow-0rtt": 0, "generate-certificates": 0, "ca-sign-file": 1,
	"ca-sign-pass": 1, "no-ca-names": 0, "ca-verify-file": 1, "quic-cc-algo": 1, "quic-force-retry": 0,
	"sigalgs": 1, "client-sigalgs": 1, "ssl_fc": 0, "no-alpn": 0, "tls-ticket-keys": 1,
}

func (p *parser) parseBindOptions(ln Line, args []string, where string) (map[string][]string, bool) {
	opts := map[string][]string{}
	for i := 0; i < len(args); i++ {
		name := args[i]
		n, ok := bindOptionArgs[name]
		if !ok {
			if _, known := oracleBindKeywords[name]; known {
				p.unsupported(ln.Pos, "bind option '"+name+"'", where)
				return nil, false
			}
			p.diags.Alertf(ln.Pos, "%s: unknown keyword '%s'.", where, name)
			return nil, false
		}
		if i+n >= len(args) && n > 0 {
			p.diags.Alertf(ln.Pos, "%s : '%s' : missing value", where, name)
			return nil, false
		}
		val := args[i+1 : i+1+n]
		if !p.checkBindOption(ln, where, name, val) {
			return nil, false
		}
		if name == "crt" || name == "crt-list" {
			// several certificates: each value in order (the first
			// is the default certificate)
			opts[name] = append(opts[name], val...)
		} else {
			opts[name] = append([]string(nil), val...)
		}
		i += n
	}
	if _, ssl := opts["ssl"]; ssl {
		if _, crt := opts["crt"]; !crt {
			if _, cl := opts["crt-list"]; !cl {
				p.diags.Rawf(SevAlert, ln.Pos, "Proxy '%s': no SSL certificate specified for bind '%s' at [%s:%d] (use 'crt').",
					p.curProxyName(), ln.Args[1], ln.Pos.File, ln.Pos.Line)
				return nil, false
			}
		}
	}
	return opts, true
}

func (p *parser) curProxyName() string {
	if p.cur.proxy != nil {
		return p.cur.proxy.Name
	}
	return ""
}

func (p *parser) checkBindOption(ln Line, where, name string, val []string) bool {
	bad := func(format string, args ...any) bool {
		p.diags.Alertf(ln.Pos, where+" : '"+name+"' : "+format, args...)
		return false
	}
	switch name {
	case "nice", "id", "mss":
		if _, err := strconv.Atoi(strings.TrimPrefix(val[0], "-")); err != nil {
			return bad("'%s' is not a valid integer", val[0])
		}
	case "level":
		if !contains([]string{"user", "operator", "admin"}, val[0]) {
			return bad("level '%s' is unknown (must be one of 'user', 'operator', 'admin')", val[0])
		}
	case "expose-fd":
		if val[0] != "listeners" {
			return bad("'%s' : unsupported value, only 'listeners' is supported", val[0])
		}
	case "mode":
		if _, err := strconv.ParseUint(val[0], 8, 32); err != nil {
			return bad("'%s' is not a valid octal mode", val[0])
		}
	case "crt", "ca-file", "crl-file", "crt-list", "ca-verify-file", "ca-sign-file":
		path := p.withBase(name, val[0])
		if p.opt.FileExists != nil && !p.fileExists(path) {
			return bad("unable to load '%s'", val[0])
		}
		if name == "crt" && p.opt.FileExists != nil {
			if st, err := os.Stat(p.filePath(path)); err == nil && !st.IsDir() && !fileLooksLikePEM(p.filePath(path)) {
				p.diags.Alertf(ln.Pos, "%s : unable to load certificate from file '%s'.", where, val[0])
				return false
			}
		}
	case "user":
		if p.opt.LookupUser != nil && !p.opt.LookupUser(val[0]) {
			return bad("unknown user name '%s'", val[0])
		}
	case "group":
		if p.opt.LookupGroup != nil && !p.opt.LookupGroup(val[0]) {
			return bad("unknown group name '%s'", val[0])
		}
	case "proto":
		if val[0] != "h1" && val[0] != "h2" && val[0] != "quic" {
			p.diags.Alertf(ln.Pos, "%s : 'proto' :  unknown MUX protocol '%s'", where, val[0])
			return false
		}
	case "verify":
		if !contains([]string{"none", "optional", "required"}, val[0]) {
			return bad("verify mode '%s' unknown, expecting 'none', 'optional', or 'required'", val[0])
		}
	case "ssl-min-ver", "ssl-max-ver":
		if !contains([]string{"SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"}, val[0]) {
			return bad("'%s' is not a valid TLS version", val[0])
		}
	}
	return true
}

// withBase applies crt-base / ca-base to a relative certificate path.
func (p *parser) withBase(opt, path string) string {
	if strings.HasPrefix(path, "/") {
		return path
	}
	base := ""
	switch opt {
	case "crt", "crt-list":
		base = p.cfg.Global.Tune["crt-base"]
	default:
		base = p.cfg.Global.Tune["ca-base"]
	}
	if base == "" {
		return path
	}
	return strings.TrimSuffix(base, "/") + "/" + path
}

// serverOption describes one server/default-server option.
type serverOption struct {
	args  int
	check func(p *parser, val string) string // returns an error text, or ""
	dflt  bool                               // also allowed on default-server
	noArg bool                               // value may be missing (haproxy reads "" as 0)
}

// serverTimers are the server options read as times (timeOpt), whose
// tolerated trailing characters haproxy warns about.
var serverTimers = map[string]bool{"inter": true, "fastinter": true, "downinter": true, "agent-inter": true}

func timeOpt(name string) func(string) string {
	return func(v string) string {
		d, _, err := parseTimeLenient(v, time.Millisecond, name)
		if err != nil {
			return err.Error()
		}
		if d == 0 {
			return "invalid value 0 for argument '" + name + "'"
		}
		return ""
	}
}

func positiveOpt(name string) func(string) string {
	return func(v string) string {
		if atoi(v) <= 0 {
			return "'" + name + "' has to be > 0."
		}
		return ""
	}
}

var serverOptions = map[string]serverOption{
	"addr": {args: 1}, "agent-check": {}, "agent-addr": {args: 1}, "agent-inter": {args: 1, check: plain(timeOpt("agent-inter"))},
	"agent-port": {args: 1}, "agent-send": {args: 1}, "allow-0rtt": {}, "alpn": {args: 1}, "backup": {},
	"ca-file": {args: 1}, "check": {}, "check-send-proxy": {}, "check-sni": {args: 1}, "check-ssl": {},
	"check-alpn": {args: 1}, "check-proto": {args: 1}, "check-via-socks4": {}, "ciphers": {args: 1},
	"ciphersuites": {args: 1}, "cookie": {args: 1}, "crl-file": {args: 1}, "crt": {args: 1},
	"disabled": {}, "enabled": {}, "error-limit": {args: 1}, "fall": {args: 1, check: plain(positiveOpt("fall"))},
	"force-sslv3": {}, "force-tlsv10": {}, "force-tlsv11": {}, "force-tlsv12": {}, "force-tlsv13": {},
	"id": {args: 1}, "init-addr": {args: 1, noArg: true, check: plain(checkInitAddr)}, "inter": {args: 1, check: plain(timeOpt("inter"))},
	"fastinter": {args: 1, check: plain(timeOpt("fastinter"))}, "downinter": {args: 1, check: plain(timeOpt("downinter"))},
	"log-proto": {args: 1}, "maxconn": {args: 1}, "maxqueue": {args: 1}, "max-reuse": {args: 1},
	"minconn": {args: 1}, "namespace": {args: 1}, "no-agent-check": {}, "no-backup": {}, "no-check": {},
	"no-check-ssl": {}, "no-send-proxy": {}, "no-send-proxy-v2": {}, "no-send-proxy-v2-ssl": {},
	"no-send-proxy-v2-ssl-cn": {}, "no-ssl": {}, "no-ssl-reuse": {}, "no-sslv3": {}, "no-tlsv10": {},
	"no-tlsv11": {}, "no-tlsv12": {}, "no-tlsv13": {}, "no-verifyhost": {}, "no-tfo": {}, "no-tls-tickets": {},
	"npn": {args: 1}, "observe": {args: 1}, "on-error": {args: 1}, "on-marked-down": {args: 1},
	"on-marked-up": {args: 1}, "pool-low-conn": {args: 1}, "pool-max-conn": {args: 1},
	"pool-purge-delay": {args: 1}, "port": {args: 1}, "proto": {args: 1}, "redir": {args: 1},
	"resolve-net": {args: 1}, "resolve-opts": {args: 1}, "resolve-prefer": {args: 1}, "resolvers": {args: 1},
	"rise": {args: 1, check: plain(positiveOpt("rise"))}, "send-proxy": {}, "send-proxy-v2": {},
	"send-proxy-v2-ssl": {}, "send-proxy-v2-ssl-cn": {}, "proxy-v2-options": {args: 1},
	"slowstart": {args: 1}, "sni": {args: 1}, "source": {args: 1}, "ssl": {}, "ssl-max-ver": {args: 1},
	"ssl-min-ver": {args: 1}, "ssl-reuse": {}, "stick": {}, "non-stick": {}, "socks4": {args: 1},
	"tcp-ut": {args: 1}, "tfo": {}, "tls-tickets": {}, "track": {args: 1}, "verify": {args: 1},
	"verifyhost": {args: 1}, "weight": {args: 1, noArg: true, check: plain(checkWeight)}, "ws": {args: 1},
	"shard": {args: 1}, "curves": {args: 1}, "sigalgs": {args: 1}, "client-sigalgs": {args: 1},
	"usesrc": {args: 1}, "interface": {args: 1}, "check-pool-conn-name": {args: 1},
}

// plain adapts a check that needs no parser state.
func plain(f func(string) string) func(*parser, string) string {
	return func(_ *parser, v string) string { return f(v) }
}

func checkWeight(v string) string {
	w := atoi(v)
	if w < 0 || w > 256 {
		return "weight of server is not within 0 and 256 (" + strconv.Itoa(w) + ")."
	}
	return ""
}

func checkInitAddr(v string) string {
	if v == "" {
		return ""
	}
	for _, m := range strings.Split(v, ",") {
		switch m {
		case "last", "libc", "none":
		default:
			if a, err := parseAddress(m, addrServer); err != nil || a.Family == FamilyHost {
				return "'init-addr' : unknown init-addr method '" + m + "', supported methods are 'libc', 'last', 'none'.."
			}
		}
	}
	return ""
}

// serverLine parses server, server-template and default-server lines.
func (p *parser) serverLine(px *Proxy, ln Line) {
	kw := ln.Args[0]
	args := ln.Args[1:]
	srv := &Server{Pos: ln.Pos, Options: map[string][]string{}, Weight: 1}
	if px.DefaultServer != nil {
		srv.Options = copyOpts(px.DefaultServer.Options)
		srv.Weight = px.DefaultServer.Weight
	}
	switch kw {
	case "default-server":
	case "server":
		if len(args) < 2 {
			p.diags.Rawf(SevAlert, ln.Pos, "[%s:%d] : 'server' expects <name> and <addr>[:<port>] as arguments.", ln.Pos.File, ln.Pos.Line)
			return
		}
		srv.Name = args[0]
		args = args[1:]
	case "server-template":
		if len(args) < 3 {
			p.diags.Rawf(SevAlert, ln.Pos, "[%s:%d] : 'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments.", ln.Pos.File, ln.Pos.Line)
			return
		}
		srv.Name = args[0]
		lo, hi := args[1], args[1]
		if i := strings.Index(args[1], "-"); i >= 0 {
			lo, hi = args[1][:i], args[1][i+1:]
		}
		l, e1 := strconv.Atoi(lo)
		h, e2 := strconv.Atoi(hi)
		if e1 != nil || e2 != nil || l <= 0 || h < l {
			p.diags.Rawf(SevAlert, ln.Pos, "[%s:%d] : Invalid range in server-template '%s'.", ln.Pos.File, ln.Pos.Line, args[1])
			return
		}
		if lo == hi {
			srv.Template = l
		} else {
			srv.Template = h - l + 1
		}
		args = args[2:]
	}
	where := "'" + kw + " " + px.Name + "/" + srv.Name + "'"
	if kw != "default-server" {
		if r := invalidNameChar(srv.Name); r != 0 {
			p.diags.Rawf(SevAlert, ln.Pos, "[%s:%d] : character '%c' is not permitted in server name '%s'.", ln.Pos.File, ln.Pos.Line, r, srv.Name)
			return
		}
		expanded := expandAddrEnv(args[0], p.env)
		if expanded == "" && args[0] != "" {
			p.diags.Rawf(SevAlert, ln.Pos, "[%s:%d] : %s : '%s' resolves to an empty address (environment variable missing?)", ln.Pos.File, ln.Pos.Line, where, args[0])
			return
		}
		a, err := parseAddress(expanded, addrServer)
		if err != nil {
			p.diags.Rawf(SevAlert, ln.Pos, "[%s:%d] : %s : %v", ln.Pos.File, ln.Pos.Line, where, err)
			return
		}
		srv.Addr = a
		args = args[1:]
	}
	timerWarned := false
	for i := 0; i < len(args); i++ {
		name := args[i]
		opt, ok := serverOptions[name]
		if !ok {
			if _, known := oracleServerKeywords[name]; known {
				p.unsupported(ln.Pos, "server option '"+name+"'", where)
				return
			}
			p.diags.Rawf(SevAlert, ln.Pos, "[%s:%d] : %s : unknown keyword '%s'.", ln.Pos.File, ln.Pos.Line, where, name)
			return
		}
		var val []string
		if opt.args > 0 {
			if i+opt.args >= len(args) {
				if !opt.noArg {
					p.diags.Rawf(SevAlert, ln.Pos, "[%s:%d] : %s : '%s' expects an argument.", ln.Pos.File, ln.Pos.Line, where, name)
					return
				}
				val = []string{""}
			} else {
				val = args[i+1 : i+1+opt.args]
			}
			i += opt.args
		}
		if opt.check != nil && len(val) > 0 {
			if msg := opt.check(p, val[0]); msg != "" {
				p.diags.Rawf(SevAlert, ln.Pos, "[%s:%d] : %s : %s", ln.Pos.File, ln.Pos.Line, where, msg)
				return
			}
			if serverTimers[name] {
				// haproxy names the line (and the server, on a server
				// line) for the first such warning of a line only
				if _, warn, _ := parseTimeLenient(val[0], time.Millisecond, name); warn != "" {
					switch {
					case timerWarned:
						p.diags.Warnf(Pos{}, "%s", warn)
					case kw == "default-server":
						p.diags.Rawf(SevWarning, ln.Pos, "[%s:%d] : %s", ln.Pos.File, ln.Pos.Line, warn)
					default:
						p.diags.Rawf(SevWarning, ln.Pos, "[%s:%d] : %s : %s", ln.Pos.File, ln.Pos.Line, where, warn)
					}
					timerWarned = true
				}
			}
		}
		if strings.HasPrefix(name, "no-") {
			delete(srv.Options, strings.TrimPrefix(name, "no-"))
		}
		srv.Options[name] = append([]string(nil), val...)
	}
	srv.applyTyped()
	if kw != "default-server" {
		if msg := checkServerCombination(srv); msg != "" {
			p.diags.Rawf(SevAlert, ln.Pos, "[%s:%d] : %s : %s", ln.Pos.File, ln.Pos.Line, where, msg)
			return
		}
	}
	if kw != "default-server" && srv.needsCAFile(p.cfg.Global) {
		p.diags.Rawf(SevAlert, ln.Pos, "[%s:%d] : %s : verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default.", ln.Pos.File, ln.Pos.Line, where)
		return
	}
	if kw == "default-server" {
		px.DefaultServer = srv
		return
	}
	for _, o := range px.Servers {
		if o.Name == srv.Name {
			p.diags.Alertf(ln.Pos, "%s '%s', another server named '%s' was already defined at line %d, please use distinct names.", px.Kind, px.Name, srv.Name, o.Pos.Line)
			return
		}
	}
	if srv.Addr.Family == FamilyHost && p.opt.Resolve != nil && !srv.hasInitAddrFallback() {
		if err := p.opt.Resolve(srv.Addr.Host); err != nil {
			p.diags.Rawf(SevAlert, ln.Pos, "[%s:%d] : %s : could not resolve address '%s'.", ln.Pos.File, ln.Pos.Line, where, srv.Addr.Host)
			p.postResolveFailed = true
		}
	}
	px.Servers = append(px.Servers, srv)
}

// hasInitAddrFallback reports whether the server may start without
// resolving its name (init-addr with "none" or an address).
func (s *Server) hasInitAddrFallback() bool {
	v, ok := s.Options["init-addr"]
	if !ok || len(v) == 0 {
		return false
	}
	for _, m := range strings.Split(v[0], ",") {
		if m != "last" && m != "libc" {
			return true
		}
	}
	return false
}

// needsCAFile reports a server with ssl whose certificate would be verified
// (the default) without a CA file to verify it with.
func (s *Server) needsCAFile(g *Global) bool {
	_, ssl := s.Options["ssl"]
	_, checkSSL := s.Options["check-ssl"]
	if !ssl && !checkSSL {
		return false
	}
	if _, ca := s.Options["ca-file"]; ca {
		return false
	}
	if v, ok := s.Options["verify"]; ok {
		return len(v) > 0 && v[0] == "required"
	}
	for _, d := range g.Other {
		if d.Args[0] == "ssl-server-verify" && len(d.Args) > 1 && d.Args[1] == "none" {
			return false
		}
	}
	return true
}

func (s *Server) applyTyped() {
	if v, ok := s.Options["weight"]; ok && len(v) > 0 {
		s.Weight = atoi(v[0])
	}
	_, s.Backup = s.Options["backup"]
	_, s.Disabled = s.Options["disabled"]
	_, s.Check = s.Options["check"]
	if v, ok := s.Options["maxconn"]; ok && len(v) > 0 {
		s.Maxconn = atoi(v[0])
	}
	if v, ok := s.Options["maxqueue"]; ok && len(v) > 0 {
		s.Maxqueue = atoi(v[0])
	}
}

var balanceAlgos = "balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options."

// balanceLine parses "balance ALGO [args]".
func (p *parser) balanceLine(px *Proxy, ln Line) {
	if len(ln.Args) < 2 {
		return // haproxy accepts a bare "balance" and keeps the default
	}
	algo := ln.Args[1]
	b := &Balance{Pos: ln.Pos, Algorithm: algo}
	rest := ln.Args[2:]
	name, param, hasParen := algo, "", false
	if i := strings.Index(algo, "("); i >= 0 {
		name, param, hasParen = algo[:i], strings.TrimSuffix(algo[i+1:], ")"), true
	}
	switch name {
	case "roundrobin", "static-rr", "leastconn", "first", "source":
		if hasParen {
			p.diags.Alertf(ln.Pos, "%s", balanceAlgos)
			return
		}
	case "random":
		b.Algorithm = "random"
		b.Draws = 2
		if hasParen {
			if !strings.HasSuffix(algo, ")") {
				p.diags.Alertf(ln.Pos, "balance random : missing closing parenthesis.")
				return
			}
			n, err := strconv.Atoi(param)
			if err != nil {
				bad := param
				if i := strings.IndexFunc(param, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
					bad = param[i : i+1]
				}
				p.diags.Alertf(ln.Pos, "balance random : unexpected character '%s' after argument.", bad)
				return
			}
			if n < 1 {
				p.diags.Alertf(ln.Pos, "balance random : number of draws must be at least 1.")
				return
			}
			b.Draws = n
		}
	case "uri":
		for i := 0; i < len(rest); i++ {
			switch rest[i] {
			case "whole", "path-only":
			case "len", "depth":
				if i+1 >= len(rest) || atoi(rest[i+1]) <= 0 {
					p.diags.Alertf(ln.Pos, "balance uri : '%s' expects a positive integer (got '%s').", rest[i], strings.Join(rest[i+1:min(i+2, len(rest))], ""))
					return
				}
				i++
			default:
				p.diags.Alertf(ln.Pos, "balance uri : unknown option '%s'.", rest[i])
				return
			}
		}
		b.Options = rest
	case "url_param":
		if len(rest) == 0 {
			p.diags.Alertf(ln.Pos, "balance url_param requires an URL parameter name.")
			return
		}
		b.Param = rest[0]
		for i := 1; i < len(rest); i++ {
			switch rest[i] {
			case "check_post":
				if i+1 < len(rest) && atoi(rest[i+1]) > 0 {
					i++
				}
			default:
				p.diags.Alertf(ln.Pos, "balance url_param : unknown option '%s'.", rest[i])
				return
			}
		}
		b.Options = rest[1:]
	case "hdr":
		if !hasParen || param == "" || !strings.HasSuffix(algo, ")") {
			p.diags.Alertf(ln.Pos, "%s", balanceAlgos)
			return
		}
		b.Algorithm, b.Param = "hdr", param
		if len(rest) > 0 && rest[0] != "use_domain_only" {
			p.diags.Alertf(ln.Pos, "%s only accepts 'use_domain_only' modifier (got '%s').", ln.Args[0], rest[0])
			return
		}
		b.Options = rest
	case "rdp-cookie":
		b.Algorithm = "rdp-cookie"
		if hasParen {
			if !strings.HasSuffix(algo, ")") || param == "" {
				p.diags.Alertf(ln.Pos, "rdp-cookie : missing cookie name.")
				return
			}
			b.Param = param
		} else {
			b.Param = "mstshash"
		}
	case "hash":
		if len(rest) == 0 {
			p.diags.Alertf(ln.Pos, "balance hash requires a sample expression.")
			return
		}
		b.Param = rest[0]
	default:
		p.diags.Alertf(ln.Pos, "%s", balanceAlgos)
		return
	}
	// Trailing words after roundrobin, static-rr, leastconn, first, source
	// and random are ignored, by haproxy as by gohaproxy.
	px.Balance = b
}

func (p *parser) hashTypeLine(px *Proxy, ln Line) {
	if len(ln.Args) < 2 || (ln.Args[1] != "consistent" && ln.Args[1] != "map-based") {
		p.diags.Alertf(ln.Pos, "'hash-type' only supports 'consistent' and 'map-based'.")
		return
	}
	h := &HashType{Pos: ln.Pos, Method: ln.Args[1]} // Function "" = haproxy's default
	if len(ln.Args) > 2 {
		switch ln.Args[2] {
		case "sdbm", "djb2", "wt6", "crc32", "none":
			h.Function = ln.Args[2]
		default:
			p.diags.Alertf(ln.Pos, "'hash-type %s' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions.", ln.Args[1])
			return
		}
	}
	if len(ln.Args) > 3 {
		if ln.Args[3] != "avalanche" {
			p.diags.Alertf(ln.Pos, "%s: unknown hash modifier '%s'.", ln.Args[0], ln.Args[3])
			return
		}
		h.Avalanche = true
	}
	px.HashType = h
}
