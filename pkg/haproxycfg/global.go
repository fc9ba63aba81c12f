package haproxycfg

import (
	"strconv"
	"strings"
	"time"
)

// globalKeyword describes a keyword of the global section.
type globalKeyword struct {
	min, max int // argument count bounds (max < 0: unbounded)
	fn       func(p *parser, g *Global, ln Line)
	note     string
}

var globalKeywords map[string]*globalKeyword

func init() {
	flag := func(set func(g *Global)) *globalKeyword {
		return &globalKeyword{min: 0, max: 0, fn: func(p *parser, g *Global, ln Line) { set(g) }}
	}
	generic := func(min, max int) *globalKeyword {
		return &globalKeyword{min: min, max: max}
	}
	intKw := func(set func(g *Global, v int)) *globalKeyword {
		return &globalKeyword{min: -1, max: -1, fn: func(p *parser, g *Global, ln Line) {
			if len(ln.Args) < 2 {
				p.diags.Alertf(ln.Pos, "'%s' expects an integer argument.", ln.Args[0])
				return
			}
			set(g, atoi(ln.Args[1]))
		}}
	}
	strKw := func(set func(g *Global, v string)) *globalKeyword {
		return &globalKeyword{min: 1, max: 1, fn: func(p *parser, g *Global, ln Line) { set(g, ln.Args[1]) }}
	}
	globalKeywords = map[string]*globalKeyword{
		"daemon":        flag(func(g *Global) { g.Daemon = true }),
		"master-worker": {min: 0, max: 1, fn: func(p *parser, g *Global, ln Line) { g.MasterWork = true }},
		"quiet":         flag(func(g *Global) { g.Quiet = true }),
		"zero-warning":  generic(0, 0),
		"maxconn":       intKw(func(g *Global, v int) { g.Maxconn = v }),
		"ulimit-n":      intKw(func(g *Global, v int) { g.UlimitN = v }),
		"nbthread": {min: -1, max: -1, fn: func(p *parser, g *Global, ln Line) {
			if len(ln.Args) < 2 {
				p.diags.Alertf(ln.Pos, "'%s' expects an integer argument.", ln.Args[0])
				return
			}
			n, err := strconv.Atoi(ln.Args[1])
			if err != nil || n < 1 || n > 64 {
				p.diags.Alertf(ln.Pos, "'nbthread' value must be between 1 and 64 (was %d)", atoi(ln.Args[1]))
				return
			}
			g.Nbthread = n
		}},
		"pidfile":                               strKw(func(g *Global, v string) { g.Pidfile = v }),
		"chroot":                                strKw(func(g *Global, v string) { g.Chroot = v }),
		"uid":                                   intKw(func(g *Global, v int) { g.UID = v }),
		"gid":                                   intKw(func(g *Global, v int) { g.GID = v }),
		"user":                                  {min: 1, max: 1, fn: (*parser).globalUser},
		"group":                                 {min: 1, max: 1, fn: (*parser).globalGroup},
		"log":                                   {min: 1, max: -1, fn: (*parser).globalLog},
		"log-tag":                               strKw(func(g *Global, v string) { g.LogTag = v }),
		"log-send-hostname":                     generic(0, 1),
		"stats":                                 {min: 1, max: -1, fn: (*parser).globalStats},
		"setenv":                                {min: 2, max: 2, fn: (*parser).globalEnv},
		"presetenv":                             {min: 2, max: 2, fn: (*parser).globalEnv},
		"unsetenv":                              {min: 1, max: -1, fn: (*parser).globalEnv},
		"resetenv":                              {min: 0, max: -1, fn: (*parser).globalEnv},
		"node":                                  generic(1, 1),
		"description":                           generic(1, -1),
		"localpeer":                             generic(1, 1),
		"ca-base":                               {min: 1, max: 1, fn: func(p *parser, g *Global, ln Line) { g.Tune["ca-base"] = ln.Args[1] }},
		"crt-base":                              {min: 1, max: 1, fn: func(p *parser, g *Global, ln Line) { g.Tune["crt-base"] = ln.Args[1] }},
		"spread-checks":                         generic(1, 1),
		"hard-stop-after":                       {min: 1, max: 1, fn: globalTime},
		"grace":                                 {min: 1, max: 1, fn: globalTime},
		"cluster-secret":                        generic(1, 1),
		"fd-hard-limit":                         generic(1, 1),
		"h2-workaround-bogus-websocket-clients": generic(0, 0),
		"max-spread-checks":                     generic(1, 1),
		"ssl-mode-async":                        generic(0, 0),
		"ssl-propquery":                         generic(1, 1),
		"ssl-provider":                          generic(1, 1),
		"ssl-provider-path":                     generic(1, 1),
		"maxconnrate":                           generic(1, 1),
		"maxsessrate":                           generic(1, 1),
		"maxsslrate":                            generic(1, 1),
		"maxsslconn":                            generic(1, 1),
		"maxpipes":                              generic(1, 1),
		"maxzlibmem":                            generic(1, 1),
		"maxcomprate":                           generic(1, 1),
		"maxcompcpuusage":                       generic(1, 1),
		"noepoll":                               generic(0, 0),
		"nokqueue":                              generic(0, 0),
		"noevports":                             generic(0, 0),
		"nopoll":                                generic(0, 0),
		"nosplice":                              generic(0, 0),
		"nogetaddrinfo":                         generic(0, 0),
		"noreuseport":                           generic(0, 0),
		"busy-polling":                          generic(0, 0),
		"insecure-fork-wanted":                  generic(0, 0),
		"insecure-setuid-wanted":                generic(0, 0),
		"expose-experimental-directives":        generic(0, 0),
		"external-check":                        generic(0, 1),
		"cpu-map":                               generic(2, -1),
		"server-state-file":                     generic(1, 1),
		"server-state-base":                     generic(1, 1),
		"h1-case-adjust":                        generic(2, 2),
		"h1-case-adjust-file":                   generic(1, 1),
		"h1-accept-payload-with-any-method":     generic(0, 0),
		"ssl-default-bind-ciphers":              generic(1, 1),
		"ssl-default-bind-ciphersuites":         generic(1, 1),
		"ssl-default-bind-curves":               generic(1, 1),
		"ssl-default-bind-options":              {min: 1, max: -1, fn: checkSSLOptions},
		"ssl-default-server-ciphers":            generic(1, 1),
		"ssl-default-server-ciphersuites":       generic(1, 1),
		"ssl-default-server-options":            {min: 1, max: -1, fn: checkSSLOptions},
		"ssl-dh-param-file":                     generic(1, 1),
		"ssl-server-verify":                     generic(1, 1),
		"ssl-skip-self-issued-ca":               generic(0, 0),
		"ssl-load-extra-files":                  generic(1, -1),
		"ssl-load-extra-del-ext":                generic(0, 0),
		"issuers-chain-path":                    generic(1, 1),
		"unix-bind":                             generic(1, -1),
		"set-dumpable":                          generic(0, 0),
		"strict-limits":                         generic(0, 0),
		"pp2-never-send-local":                  generic(0, 0),
		"mworker-max-reloads":                   generic(1, 1),
		"numa-cpu-mapping":                      generic(0, 0),
		"no-memory-trimming":                    generic(0, 0),
		"close-spread-time":                     {min: 1, max: 1, fn: globalTime},
		"default-path":                          generic(1, 2),
		"thread-groups":                         generic(1, 1),
		"thread-group":                          generic(2, 2),
		"profiling.tasks":                       generic(1, 1),
		"set-var":                               generic(2, -1),
		"set-var-fmt":                           generic(2, -1),
		"uri-mapping":                           nil,
		"httpclient.resolvers.id":               generic(1, 1),
		"httpclient.resolvers.prefer":           generic(1, 1),
		"httpclient.ssl.ca-file":                generic(1, 1),
		"httpclient.ssl.verify":                 generic(0, 1),
		"tune.ssl.default-dh-param":             generic(1, 1),
	}
	for k, v := range globalKeywords {
		if v == nil {
			delete(globalKeywords, k)
		}
	}
}

var sslFlagOptions = []string{"no-sslv3", "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13",
	"force-sslv3", "force-tlsv10", "force-tlsv11", "force-tlsv12", "force-tlsv13",
	"no-tls-tickets", "prefer-client-ciphers"}

func checkSSLOptions(p *parser, g *Global, ln Line) {
	for i := 1; i < len(ln.Args); i++ {
		o := ln.Args[i]
		switch {
		case contains(sslFlagOptions, o):
		case o == "ssl-min-ver" || o == "ssl-max-ver":
			if i+1 >= len(ln.Args) || !contains([]string{"SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"}, ln.Args[i+1]) {
				p.diags.Alertf(ln.Pos, "'%s' : '%s' expects a TLS version.", ln.Args[0], o)
				return
			}
			i++
		default:
			p.diags.Alertf(ln.Pos, "unknown option '%s' on global statement '%s'.", o, ln.Args[0])
			return
		}
	}
	g.Other = append(g.Other, Directive{Pos: ln.Pos, Args: ln.Args})
}

func globalTime(p *parser, g *Global, ln Line) {
	if _, err := parseTime(ln.Args[1], time.Millisecond, ln.Args[0]); err != nil {
		p.diags.Alertf(ln.Pos, "%v", err)
	}
}

// tuneRanges are the bounds haproxy enforces on numeric tune.* values.
var tuneRanges = map[string][2]int{
	"tune.http.maxhdr": {1, 32767},
}

// tuneUnsupported are tune.* keywords gohaproxy refuses (they configure
// subsystems it does not have).
var tuneUnsupported = map[string]bool{
	"tune.lua.forced-yield": true, "tune.lua.maxmem": true, "tune.lua.service-timeout": true,
	"tune.lua.session-timeout": true, "tune.lua.task-timeout": true,
}

func (p *parser) globalLine(ln Line) {
	g := p.cfg.Global
	kw := ln.Args[0]
	if kw == "no" || kw == "default" {
		next := ""
		if len(ln.Args) > 1 {
			next = ln.Args[1]
		}
		switch {
		case kw == "no" && (next == "log" || next == "busy-polling" || next == "set-dumpable" || next == "strict-limits" || next == "insecure-fork-wanted" || next == "numa-cpu-mapping"):
			if next == "log" {
				g.Logs = nil
			}
			g.Other = append(g.Other, Directive{Pos: ln.Pos, Args: ln.Args})
		default:
			p.diags.Alertf(ln.Pos, "negation/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping.")
		}
		return
	}
	k, ok := globalKeywords[kw]
	if !ok && strings.HasPrefix(kw, "tune.") && !tuneUnsupported[kw] && (oracleGlobalKeywords[kw] || len(oracleGlobalKeywords) == 0) {
		k = &globalKeyword{min: 1, max: 1, fn: func(p *parser, g *Global, ln Line) {
			if r, ok := tuneRanges[kw]; ok {
				n, err := strconv.Atoi(ln.Args[1])
				if err != nil || n < r[0] || n > r[1] {
					p.diags.Alertf(ln.Pos, "'%s' expects a numeric value between %d and %d", kw, r[0], r[1])
					return
				}
			}
			g.Tune[kw] = ln.Args[1]
		}}
		if kw == "tune.chksize" {
			k = nil
		} else {
			ok = true
		}
	}
	if !ok {
		if lg, ok := legacyGlobalKeywords[kw]; ok {
			lg(p, g, ln)
			return
		}
		if oracleGlobalKeywords[kw] {
			p.unsupported(ln.Pos, kw, "'global' section")
			return
		}
		p.diags.Alertf(ln.Pos, "unknown keyword '%s' in 'global' section", kw)
		return
	}
	n := len(ln.Args) - 1
	if k.min >= 0 && n < k.min {
		p.diags.Alertf(ln.Pos, "'%s' expects %s.", kw, argCountText(k.min, k.max))
		return
	}
	if k.max >= 0 && n > k.max {
		p.diags.Alertf(ln.Pos, "'%s' cannot handle unexpected argument '%s'.", kw, ln.Args[k.max+1])
		return
	}
	if chk := globalValueChecks[kw]; chk != nil && len(ln.Args) > 1 {
		if msg, tight := chk(ln); msg != "" {
			if tight {
				p.diags.tightf(SevAlert, ln.Pos, "%s", msg)
			} else {
				p.diags.Alertf(ln.Pos, "%s", msg)
			}
			return
		}
	}
	if kw == "default-path" && ln.Args[1] == "origin" && len(ln.Args) < 3 {
		p.diags.Alertf(ln.Pos, "'default-path origin' expects a directory as an argument.")
		return
	}
	if kw == "h1-case-adjust-file" && !p.fileExists(ln.Args[1]) {
		p.diags.Rawf(SevAlert, ln.Pos, "h1-headers-case-adjust-file '%s': failed to open file.", ln.Args[1])
		return
	}
	if k.fn != nil {
		k.fn(p, g, ln)
		return
	}
	g.Other = append(g.Other, Directive{Pos: ln.Pos, Args: ln.Args})
}

func argCountText(min, max int) string {
	switch {
	case min == max && min == 1:
		return "an argument"
	case min == max:
		return itoa(min) + " arguments"
	default:
		return "at least " + itoa(min) + " argument(s)"
	}
}

func (p *parser) globalUser(g *Global, ln Line) {
	if p.opt.LookupUser != nil && !p.opt.LookupUser(ln.Args[1]) {
		p.diags.Alertf(ln.Pos, "cannot find user id for '%s' (0:Success)", ln.Args[1])
		return
	}
	g.User = ln.Args[1]
}

func (p *parser) globalGroup(g *Global, ln Line) {
	if p.opt.LookupGroup != nil && !p.opt.LookupGroup(ln.Args[1]) {
		p.diags.Alertf(ln.Pos, "cannot find group id for '%s' (0:Success)", ln.Args[1])
		return
	}
	g.Group = ln.Args[1]
}

func (p *parser) globalLog(g *Global, ln Line) {
	if len(ln.Args) > 1 && ln.Args[1] == "global" {
		p.diags.Alertf(ln.Pos, "'log global' is not supported in the global section.")
		return
	}
	if lt, ok := p.parseLog(ln); ok {
		g.Logs = append(g.Logs, lt)
	}
}

func (p *parser) globalEnv(g *Global, ln Line) {
	switch ln.Args[0] {
	case "setenv":
		p.env.Set(ln.Args[1], ln.Args[2])
	case "presetenv":
		if _, ok := p.env.Lookup(ln.Args[1]); !ok {
			p.env.Set(ln.Args[1], ln.Args[2])
		}
	case "unsetenv":
		for _, n := range ln.Args[1:] {
			p.env.Unset(n)
		}
	case "resetenv":
		p.env.Reset(ln.Args[1:])
	}
	g.Env = append(g.Env, Directive{Pos: ln.Pos, Args: ln.Args})
}

// globalStats parses "stats socket|timeout|maxconn|bind-process" in global.
func (p *parser) globalStats(g *Global, ln Line) {
	switch ln.Args[1] {
	case "socket":
		if len(ln.Args) < 3 {
			p.diags.Alertf(ln.Pos, "'stats socket' requires a path or an address.")
			return
		}
		a, err := parseAddress(ln.Args[2], addrBind)
		if err != nil {
			p.diags.Alertf(ln.Pos, "'stats socket' : %v", err)
			return
		}
		opts, ok := p.parseBindOptions(ln, ln.Args[3:], "'stats socket "+ln.Args[2]+"' in section 'global'")
		if !ok {
			return
		}
		g.StatsSocket = append(g.StatsSocket, &Bind{Pos: ln.Pos, Addr: a, Options: opts})
	case "timeout":
		if len(ln.Args) < 3 {
			p.diags.Alertf(ln.Pos, "'stats timeout' expects a timeout in milliseconds.")
			return
		}
		d, err := parseTime(ln.Args[2], time.Millisecond, "stats timeout")
		if err != nil {
			p.diags.Alertf(ln.Pos, "%v", err)
			return
		}
		if d == 0 {
			p.diags.Alertf(ln.Pos, "'stats timeout' expects a positive value.")
			return
		}
		g.StatsTimeout = d
	case "maxconn":
		if len(ln.Args) < 3 || atoi(ln.Args[2]) <= 0 {
			p.diags.Alertf(ln.Pos, "'stats maxconn' expects a positive value.")
			return
		}
		g.StatsMaxconn = atoi(ln.Args[2])
	case "bind-process":
		// accepted and ignored by haproxy 2.6, as by gohaproxy
	default:
		p.diags.Alertf(ln.Pos, "'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' (got '%s').", ln.Args[1])
	}
}
