package haproxycfg

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// proxyKeywords is the registry of proxy-section keywords gohaproxy parses.
var proxyKeywords map[string]*proxyKeyword

func init() {
	gen := func(caps proxyCaps, min, max int, what string) *proxyKeyword {
		return &proxyKeyword{caps: caps, parseWhenIgnored: true, fn: func(p *parser, px *Proxy, ln Line) {
			if p.expectArgs(ln, min, max, what) {
				keep(px, ln)
			}
		}}
	}
	proxyKeywords = map[string]*proxyKeyword{
		"mode":                        {caps: capAll, fn: (*parser).modeLine},
		"bind":                        {caps: capFEnoD, fn: (*parser).bindLine},
		"server":                      {caps: capBEnoD, strictCaps: true, fn: (*parser).serverLine},
		"server-template":             {caps: capBEnoD, strictCaps: true, fn: (*parser).serverLine},
		"default-server":              {caps: capBE, fn: (*parser).serverLine},
		"balance":                     {caps: capBE, fn: (*parser).balanceLine},
		"hash-type":                   {caps: capBE, fn: (*parser).hashTypeLine},
		"timeout":                     {caps: capAll, fn: (*parser).timeoutLine},
		"option":                      {caps: capAll, fn: (*parser).optionLine},
		"acl":                         {caps: capFEBE, namedDefaults: false, fn: (*parser).aclLine},
		"use_backend":                 {caps: capFEnoD, fn: (*parser).useBackendLine, parseWhenIgnored: true},
		"default_backend":             {caps: capFE, fn: (*parser).defaultBackendLine, parseWhenIgnored: true},
		"use-server":                  {caps: capBEnoD, fn: (*parser).useServerLine, parseWhenIgnored: true},
		"http-request":                {caps: capFEBE, namedDefaults: true, fn: (*parser).ruleLine},
		"http-response":               {caps: capFEBE, namedDefaults: true, fn: (*parser).ruleLine},
		"http-after-response":         {caps: capFEBE, namedDefaults: true, fn: (*parser).ruleLine},
		"tcp-request":                 {caps: capFEBE, namedDefaults: true, fn: (*parser).ruleLine},
		"tcp-response":                {caps: capBEnoD, namedDefaults: true, fn: (*parser).ruleLine},
		"redirect":                    {caps: capFEBE, fn: (*parser).redirectLine},
		"log":                         {caps: capAll, fn: (*parser).logLine},
		"log-format":                  {caps: capFE, parseWhenIgnored: true, fn: (*parser).logFormatLine},
		"log-format-sd":               gen(capFE, 1, 1, "exactly one argument"),
		"error-log-format":            gen(capFE, 1, 1, "exactly one argument"),
		"log-tag":                     gen(capAll, 1, 1, "a tag for use in syslog"),
		"maxconn":                     {caps: capFE, fn: intField(func(px *Proxy) *int { return &px.Maxconn })},
		"fullconn":                    {caps: capBE, fn: intField(func(px *Proxy) *int { return &px.Fullconn })},
		"retries":                     {caps: capBE, fn: intField(func(px *Proxy) *int { return &px.Retries })},
		"backlog":                     {caps: capFE, fn: intField(func(px *Proxy) *int { return &px.Backlog })},
		"stats":                       {caps: capAll, fn: (*parser).statsLine},
		"cookie":                      {caps: capBE, parseWhenIgnored: true, fn: (*parser).cookieLine},
		"errorfile":                   {caps: capAll, fn: (*parser).errorfileLine},
		"errorfiles":                  gen(capAll, 1, -1, "<name> as argument"),
		"errorloc":                    {caps: capAll, fn: (*parser).errorlocLine},
		"errorloc302":                 {caps: capAll, fn: (*parser).errorlocLine},
		"errorloc303":                 {caps: capAll, fn: (*parser).errorlocLine},
		"http-error":                  {caps: capAll, fn: (*parser).httpErrorLine},
		"http-check":                  {caps: capBE, parseWhenIgnored: true, fn: (*parser).checkRuleLine},
		"tcp-check":                   {caps: capBE, parseWhenIgnored: true, fn: (*parser).checkRuleLine},
		"external-check":              gen(capBE, 2, -1, "'command' or 'path' and a value"),
		"monitor-uri":                 gen(capFE, 1, 1, "an URI"),
		"monitor":                     {caps: capFEnoD, fn: (*parser).monitorLine},
		"capture":                     {caps: capFEnoD, defaultsMsg: "'%s request' not allowed in 'defaults' section.", fn: (*parser).captureLine},
		"declare":                     gen(capFEnoD, 4, 4, "'capture request|response len <length>'"),
		"description":                 {caps: capFEBE, defaultsMsg: "'%s' not allowed in 'defaults' section.", fn: (*parser).descriptionLine},
		"disabled":                    {caps: capAll, fn: func(p *parser, px *Proxy, ln Line) { px.Disabled = true }},
		"enabled":                     {caps: capAll, fn: func(p *parser, px *Proxy, ln Line) { px.Disabled = false }},
		"id":                          {caps: capFEBE, fn: (*parser).idLine},
		"http-reuse":                  {caps: capBE, fn: enumLine("never", "safe", "aggressive", "always")},
		"source":                      {caps: capBE, parseWhenIgnored: true, fn: (*parser).sourceLine},
		"compression":                 {caps: capAll, fn: (*parser).compressionLine},
		"unique-id-format":            {caps: capFE, parseWhenIgnored: true, fn: (*parser).uniqueIDFormatLine},
		"unique-id-header":            gen(capFE, 1, 1, "an argument"),
		"rate-limit":                  {caps: capFE, parseWhenIgnored: true, fn: (*parser).rateLimitLine},
		"stick-table":                 {caps: capFEBE, defaultsMsg: "'%s' is not supported in 'defaults' section.", fn: (*parser).stickTableLine},
		"stick":                       {caps: capBEnoD, parseWhenIgnored: true, fn: (*parser).stickLine},
		"email-alert":                 {caps: capAll, parseWhenIgnored: true, fn: (*parser).emailAlertLine},
		"force-persist":               gen(capFEBE, 2, -1, "'if' or 'unless' followed by a condition"),
		"ignore-persist":              gen(capFEBE, 2, -1, "'if' or 'unless' followed by a condition"),
		"persist":                     {caps: capBE, parseWhenIgnored: true, fn: (*parser).persistLine},
		"dispatch":                    {caps: capBEnoD, parseWhenIgnored: true, fn: (*parser).dispatchLine},
		"retry-on":                    {caps: capBE, strictCaps: true, fn: (*parser).retryOnLine},
		"max-keep-alive-queue":        gen(capBE, 1, 1, "an integer"),
		"load-server-state-from-file": {caps: capBE, fn: enumLine("global", "local", "none")},
		"server-state-file-name":      gen(capBE, 0, 1, "a file name"),
		"http-send-name-header":       gen(capBE, 1, 1, "a header string"),
		"hash-balance-factor":         gen(capBE, 1, 1, "an integer"),
		"dynamic-cookie-key":          gen(capBE, 1, 1, "<secret_key> as argument"),
		"clitcpka-cnt":                {caps: capFE, parseWhenIgnored: true, fn: (*parser).tcpkaLine},
		"clitcpka-idle":               {caps: capFE, parseWhenIgnored: true, fn: (*parser).tcpkaLine},
		"clitcpka-intvl":              {caps: capFE, parseWhenIgnored: true, fn: (*parser).tcpkaLine},
		"srvtcpka-cnt":                {caps: capBE, parseWhenIgnored: true, fn: (*parser).tcpkaLine},
		"srvtcpka-idle":               {caps: capBE, parseWhenIgnored: true, fn: (*parser).tcpkaLine},
		"srvtcpka-intvl":              {caps: capBE, parseWhenIgnored: true, fn: (*parser).tcpkaLine},
	}
}

func (p *parser) modeLine(px *Proxy, ln Line) {
	if !p.expectArgs(ln, 1, -1, "one argument") {
		return
	}
	switch ln.Args[1] {
	case "http":
		px.Mode = ModeHTTP
	case "tcp":
		px.Mode = ModeTCP
	case "log":
		px.Mode = ModeLog
	case "health":
		p.diags.Alertf(ln.Pos, "'mode health' doesn't exist anymore. Please use 'http-request return status 200' instead.")
	default:
		p.diags.Alertf(ln.Pos, "unknown proxy mode '%s'.", ln.Args[1])
	}
}

func intField(field func(*Proxy) *int) func(*parser, *Proxy, Line) {
	return func(p *parser, px *Proxy, ln Line) {
		if len(ln.Args) < 2 {
			p.diags.Alertf(ln.Pos, "'%s' expects an integer argument.", ln.Args[0])
			return
		}
		*field(px) = atoi(ln.Args[1])
	}
}

func enumLine(values ...string) func(*parser, *Proxy, Line) {
	return func(p *parser, px *Proxy, ln Line) {
		if len(ln.Args) < 2 {
			p.diags.Alertf(ln.Pos, "'%s' expects one of %s.", ln.Args[0], quoteList(values))
			return
		}
		for _, v := range values {
			if ln.Args[1] == v {
				keep(px, ln)
				return
			}
		}
		p.diags.Alertf(ln.Pos, "'%s' only supports %s (got '%s').", ln.Args[0], quoteList(values), ln.Args[1])
	}
}

func (p *parser) idLine(px *Proxy, ln Line) {
	if len(ln.Args) < 2 {
		p.diags.Alertf(ln.Pos, "'%s' expects an integer argument.", ln.Args[0])
		return
	}
	id := atoi(ln.Args[1])
	if id <= 0 {
		p.diags.Alertf(ln.Pos, "custom id has to be > 0.")
		return
	}
	for _, o := range p.cfg.Proxies {
		if o != px && o.ID == id {
			p.diags.Alertf(ln.Pos, "%s '%s' has the same ID (%d) as %s '%s'.", px.Kind, px.Name, id, o.Kind, o.Name)
			return
		}
	}
	px.ID = id
}

func (p *parser) descriptionLine(px *Proxy, ln Line) {
	if len(ln.Args) < 2 {
		p.diags.Alertf(ln.Pos, "'%s' expects a string argument.", ln.Args[0])
		return
	}
	px.Desc = strings.Join(ln.Args[1:], " ")
}

var timeoutNames = []string{"client", "server", "connect", "check", "queue", "http-keep-alive", "http-request", "tunnel", "tarpit", "client-fin", "server-fin"}

func (p *parser) timeoutLine(px *Proxy, ln Line) {
	if len(ln.Args) < 2 {
		p.diags.Alertf(ln.Pos, "'timeout' supports %s (got '')", quoteList(timeoutNames))
		return
	}
	name := ln.Args[1]
	var field *time.Duration
	var fe bool // frontend-side timeout
	t := &px.Timeouts
	switch name {
	case "clitimeout", "srvtimeout", "contimeout":
		modern := map[string]string{"clitimeout": "client", "srvtimeout": "server", "contimeout": "connect"}[name]
		p.legacyWarn(ln.Pos, "timeout "+name, "2.1", "timeout "+modern)
		p.timeoutLine(px, Line{Pos: ln.Pos, Args: append([]string{"timeout", modern}, ln.Args[2:]...)})
		return
	case "client":
		field, fe = &t.Client, true
	case "client-fin":
		field, fe = &t.ClientFin, true
	case "http-request":
		field, fe = &t.HTTPRequest, true
	case "http-keep-alive":
		field, fe = &t.HTTPKeepAlive, true
	case "server":
		field = &t.Server
	case "server-fin":
		field = &t.ServerFin
	case "connect":
		field = &t.Connect
	case "queue":
		field = &t.Queue
	case "check":
		field = &t.Check
	case "tunnel":
		field = &t.Tunnel
	case "tarpit":
		field, fe = &t.Tarpit, true
	default:
		p.diags.Alertf(ln.Pos, "'timeout' supports %s (got '%s')", quoteList(timeoutNames), name)
		return
	}
	kw := "timeout " + name
	if len(ln.Args) < 3 {
		p.diags.Alertf(ln.Pos, "'%s' expects an integer value (in milliseconds)", kw)
		return
	}
	d, warn, err := parseTimeLenient(ln.Args[2], time.Millisecond, kw)
	if err != nil {
		p.diags.Alertf(ln.Pos, "%v", err)
		return
	}
	if warn != "" {
		p.diags.Warnf(Pos{}, "%s", warn) // haproxy names no line here
	}
	if len(ln.Args) > 3 {
		p.diags.Alertf(ln.Pos, "'%s' cannot handle unexpected argument '%s'.", kw, ln.Args[3])
		return
	}
	switch {
	case px.Kind == KindDefaults:
	case fe && name != "http-request" && name != "http-keep-alive" && name != "tarpit" && !px.Kind.IsFrontend():
		p.diags.Warnf(ln.Pos, "'%s' will be ignored because %s '%s' has no frontend capability", kw, px.Kind, px.Name)
	case !fe && name != "check" && name != "tunnel" && name != "queue" && !px.Kind.IsBackend():
		p.diags.Warnf(ln.Pos, "'%s' will be ignored because %s '%s' has no backend capability", kw, px.Kind, px.Name)
	}
	*field = d
}

// optionLine parses "option X", "no option X" and "default option X".
func (p *parser) optionLine(px *Proxy, ln Line) {
	args := ln.Args
	enabled := true
	prefix := ""
	if args[0] == "no" || args[0] == "default" {
		prefix = args[0]
		enabled = args[0] != "no"
		args = args[1:]
	}
	if len(args) < 2 {
		p.diags.Alertf(ln.Pos, "'%s' expects an option name.", strings.TrimSpace(prefix+" option"))
		return
	}
	name := args[1]
	spec, ok := optionSpecs[name]
	if !ok {
		if lg, ok := legacyOptions[name]; ok {
			lg(p, px, ln)
			return
		}
		if _, known := oracleOptions[name]; known {
			p.unsupported(ln.Pos, "option "+name, "'"+px.Kind.String()+"' section")
			return
		}
		p.diags.Alertf(ln.Pos, "unknown option '%s'.", name)
		return
	}
	if prefix != "" {
		if o, known := oracleOptions[name]; known && !o.Invertible {
			p.diags.tightf(SevAlert, ln.Pos, "negation/default is not supported for option '%s'.", name)
			return
		}
	}
	if px.Kind != KindDefaults {
		if spec.caps&capFrontend != 0 && spec.caps&capBackend == 0 && !px.Kind.IsFrontend() ||
			spec.caps&capBackend != 0 && spec.caps&capFrontend == 0 && !px.Kind.IsBackend() {
			need := "frontend"
			if spec.caps&capBackend != 0 {
				need = "backend"
			}
			p.diags.Warnf(ln.Pos, "'%s' ignored because %s '%s' has no %s capability.", name, px.Kind, px.Name, need)
			return
		}
	}
	if spec.parse != nil && enabled && prefix != "default" {
		if !spec.parse(p, ln, args[2:]) {
			return
		}
	} else if len(args) > 2 && !spec.args {
		p.diags.Alertf(ln.Pos, "'%s' cannot handle unexpected argument '%s'.", strings.Join(ln.Args[:len(ln.Args)-len(args)+2], " "), args[2])
		return
	}
	o := Option{Pos: ln.Pos, Enabled: enabled, Args: append([]string(nil), args[2:]...)}
	if prefix == "default" {
		delete(px.Options, name)
	} else {
		px.Options[name] = o
	}
	for _, excl := range spec.excludes {
		if enabled && prefix == "" {
			delete(px.Options, excl)
		}
	}
}

// optionSpec describes one "option" keyword.
type optionSpec struct {
	caps      proxyCaps
	args      bool // takes arguments
	negatable bool // "no option X" allowed when args is set
	excludes  []string
	parse     func(p *parser, ln Line, args []string) bool
	note      string
}

var httpModes = []string{"httpclose", "http-server-close", "http-keep-alive"}

func others(all []string, self string) []string {
	var out []string
	for _, s := range all {
		if s != self {
			out = append(out, s)
		}
	}
	return out
}

var optionSpecs = map[string]optionSpec{
	"abortonclose":                 {caps: capBE},
	"accept-invalid-http-request":  {caps: capFE},
	"accept-invalid-http-response": {caps: capBE},
	"allbackups":                   {caps: capBE},
	"checkcache":                   {caps: capBE},
	"clitcpka":                     {caps: capFE},
	"contstats":                    {caps: capFE},
	"dontlog-normal":               {caps: capFE},
	"dontlognull":                  {caps: capFE},
	"forwardfor":                   {caps: capAll, args: true, negatable: true, parse: parseForwardFor},
	"h1-case-adjust-bogus-client":  {caps: capFE},
	"h1-case-adjust-bogus-server":  {caps: capBE},
	"http-buffer-request":          {caps: capAll},
	"http-ignore-probes":           {caps: capFE},
	"http-keep-alive":              {caps: capAll, excludes: others(httpModes, "http-keep-alive")},
	"http-no-delay":                {caps: capAll},
	"http-pretend-keepalive":       {caps: capAll},
	"http-server-close":            {caps: capAll, excludes: others(httpModes, "http-server-close")},
	"http-use-proxy-header":        {caps: capFE},
	"httpchk":                      {caps: capBE, args: true, negatable: true, parse: parseHTTPChk},
	"httpclose":                    {caps: capAll, excludes: others(httpModes, "httpclose")},
	"httplog":                      {caps: capAll, args: true, negatable: true, parse: parseOneOf(true, "clf")},
	"httpslog":                     {caps: capAll, negatable: true},
	"independent-streams":          {caps: capAll},
	"ldap-check":                   {caps: capBE},
	"external-check":               {caps: capBE},
	"log-health-checks":            {caps: capBE},
	"log-separate-errors":          {caps: capFE},
	"logasap":                      {caps: capFE},
	"mysql-check":                  {caps: capBE, args: true, parse: parseMySQLCheck},
	"nolinger":                     {caps: capAll},
	"originalto":                   {caps: capAll, args: true, negatable: true, parse: parseOriginalTo},
	"persist":                      {caps: capBE},
	"pgsql-check":                  {caps: capBE, args: true, parse: parsePgsqlCheck},
	"prefer-last-server":           {caps: capBE},
	"redispatch":                   {caps: capBE, args: true, negatable: true, parse: parseOptInt},
	"redis-check":                  {caps: capBE},
	"smtpchk":                      {caps: capBE, args: true, negatable: true, parse: parseSMTPChk},
	"socket-stats":                 {caps: capFE},
	"splice-auto":                  {caps: capAll},
	"splice-request":               {caps: capAll},
	"splice-response":              {caps: capAll},
	"spop-check":                   {caps: capBE},
	"srvtcpka":                     {caps: capBE},
	"ssl-hello-chk":                {caps: capBE},
	"tcp-check":                    {caps: capBE},
	"tcp-smart-accept":             {caps: capFE},
	"tcp-smart-connect":            {caps: capBE},
	"tcpka":                        {caps: capAll},
	"tcplog":                       {caps: capAll},
	"transparent":                  {caps: capBE},
	"idle-close-on-response":       {caps: capFE},
	"disable-h2-upgrade":           {caps: capFE},
	"http-restrict-req-hdr-names":  {caps: capAll, args: true, parse: parseOneOf(false, "preserve", "delete", "reject")},
}

// parseOneOf accepts one of values as the option's argument; with
// optional set, no argument at all is fine too.
func parseOneOf(optional bool, values ...string) func(p *parser, ln Line, args []string) bool {
	return func(p *parser, ln Line, args []string) bool {
		if len(args) == 0 && optional {
			return true
		}
		if len(args) == 1 && contains(values, args[0]) {
			return true
		}
		if optional {
			p.diags.Alertf(ln.Pos, "'option %s' only supports optional values: %s.", ln.Args[1], quoteList(values))
		} else {
			p.diags.Alertf(ln.Pos, "'option %s' expects %s.", ln.Args[1], quoteList(values))
		}
		return false
	}
}

func parseOptInt(p *parser, ln Line, args []string) bool {
	if len(args) > 1 {
		p.diags.Alertf(ln.Pos, "'option %s' cannot handle unexpected argument '%s'.", ln.Args[1], args[1])
		return false
	}
	return true
}

func parseForwardFor(p *parser, ln Line, args []string) bool {
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "except":
			if i+1 >= len(args) {
				p.diags.Alertf(ln.Pos, "'option forwardfor except' expects a network address.")
				return false
			}
			i++
		case "header":
			if i+1 >= len(args) {
				p.diags.Alertf(ln.Pos, "'option forwardfor header' expects a header name.")
				return false
			}
			i++
		case "if-none":
		default:
			p.diags.Alertf(ln.Pos, "'option forwardfor' only supports optional values 'except', 'header' and 'if-none'.")
			return false
		}
	}
	return true
}

func parseOriginalTo(p *parser, ln Line, args []string) bool {
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "except", "header":
			if i+1 >= len(args) {
				p.diags.Alertf(ln.Pos, "'option originalto %s' expects an argument.", args[i])
				return false
			}
			i++
		default:
			p.diags.Alertf(ln.Pos, "'option originalto' only supports optional values 'except' and 'header'.")
			return false
		}
	}
	return true
}

func parseHTTPChk(p *parser, ln Line, args []string) bool {
	if len(args) > 3 {
		p.diags.Alertf(ln.Pos, "'option httpchk' cannot handle unexpected argument '%s'.", args[3])
		return false
	}
	return true
}

func parseMySQLCheck(p *parser, ln Line, args []string) bool {
	if len(args) == 0 {
		return true
	}
	if args[0] != "user" || len(args) < 2 {
		p.diags.Alertf(ln.Pos, "'option mysql-check' only supports optional values: 'user'.")
		return false
	}
	if len(args) > 3 || (len(args) == 3 && args[2] != "post-41" && args[2] != "pre-41") {
		p.diags.Alertf(ln.Pos, "'option mysql-check user <username>' only supports optional values: 'post-41' and 'pre-41'.")
		return false
	}
	return true
}

func parsePgsqlCheck(p *parser, ln Line, args []string) bool {
	if len(args) == 0 {
		p.diags.Alertf(ln.Pos, "'option pgsql-check' expects 'user <username>' as argument.")
		return false
	}
	if args[0] != "user" || len(args) != 2 {
		p.diags.Alertf(ln.Pos, "'option pgsql-check' only supports optional values: 'user'.")
		return false
	}
	return true
}

func parseSMTPChk(p *parser, ln Line, args []string) bool {
	return len(args) <= 2
}

// intArg reads an integer argument the way haproxy does for most numeric
// keywords: strictly decimal.
func intArg(s string) (int, bool) {
	v, err := strconv.Atoi(s)
	return v, err == nil
}

func (p *parser) logFormatLine(px *Proxy, ln Line) {
	if len(ln.Args) < 2 {
		p.diags.Alertf(ln.Pos, "'%s' expects an argument.", ln.Args[0])
		return
	}
	if len(ln.Args) > 2 {
		p.diags.Alertf(ln.Pos, "'%s' : the log format must be written as a single argument (escape spaces or enclose it in quotes).", ln.Args[0])
		return
	}
	if msg := p.checkLogFormatIn(px, ln.Args[1], fetchUseLogs); msg != "" {
		p.diags.Rawf(SevAlert, ln.Pos, "Parsing [%s:%d]: failed to parse log-format : %s", ln.Pos.File, ln.Pos.Line, msg)
		return
	}
	px.LogFormat = ln.Args[1]
	px.LogFormatPos = ln.Pos
}

func (p *parser) errorfileLine(px *Proxy, ln Line) {
	if len(ln.Args) != 3 {
		p.diags.Alertf(ln.Pos, "'%s' expects <status_code> and <file> as arguments.", ln.Args[0])
		return
	}
	code, ok := intArg(ln.Args[1])
	if !ok || !errorfileCodes[code] {
		p.diags.Alertf(ln.Pos, "status code '%s' not handled.", ln.Args[1])
		return
	}
	if p.opt.FileExists != nil && !p.fileExists(ln.Args[2]) {
		p.diags.Alertf(ln.Pos, "error while loading file '%s': No such file or directory.", ln.Args[2])
		return
	}
	px.Errorfiles[code] = ln.Args[2]
}

var errorfileCodes = map[int]bool{200: true, 400: true, 401: true, 403: true, 404: true, 405: true, 407: true, 408: true, 410: true, 413: true, 425: true, 429: true, 500: true, 501: true, 502: true, 503: true, 504: true}

func (p *parser) cookieLine(px *Proxy, ln Line) {
	if len(ln.Args) < 2 {
		p.diags.Alertf(ln.Pos, "'%s' expects <cookie_name> as argument.", ln.Args[0])
		return
	}
	for i := 2; i < len(ln.Args); i++ {
		switch ln.Args[i] {
		case "rewrite", "indirect", "insert", "prefix", "nocache", "postonly", "preserve", "httponly", "secure", "dynamic":
		case "domain", "maxidle", "maxlife", "attr":
			i++
			if i >= len(ln.Args) {
				p.diags.Alertf(ln.Pos, "'%s' '%s' requires an argument.", ln.Args[0], ln.Args[i-1])
				return
			}
			if opt := ln.Args[i-1]; opt == "maxidle" || opt == "maxlife" {
				if _, err := parseTime(ln.Args[i], 1e9, opt); err != nil {
					bad := strings.TrimLeft(ln.Args[i], "0123456789")
					if bad == "" {
						bad = "?"
					}
					p.diags.tightf(SevAlert, ln.Pos, "unexpected character '%c' in argument to <%s>.", bad[0], opt)
					return
				}
			}
		default:
			p.diags.Alertf(ln.Pos, "'%s' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options.", ln.Args[0])
			return
		}
	}
	if msg := cookieModeConflict(ln.Args[2:]); msg != "" {
		p.diags.Alertf(ln.Pos, "%s", msg)
		return
	}
	d := Directive{Pos: ln.Pos, Args: ln.Args}
	px.Cookie = &d
}

func (p *parser) monitorLine(px *Proxy, ln Line) {
	if len(ln.Args) < 2 || ln.Args[1] != "fail" {
		p.diags.Alertf(ln.Pos, "'monitor' expects 'fail'.")
		return
	}
	if len(ln.Args) < 4 || (ln.Args[2] != "if" && ln.Args[2] != "unless") {
		p.diags.Alertf(ln.Pos, "'monitor fail' expects either 'if' or 'unless' followed by a condition.")
		return
	}
	if c := p.parseCond(px, ln, 2, "monitor fail condition"); c != nil {
		keep(px, ln)
	}
}

func (p *parser) captureLine(px *Proxy, ln Line) {
	if len(ln.Args) < 2 {
		p.diags.Alertf(ln.Pos, "'capture' expects 'cookie', 'request' or 'response'.")
		return
	}
	switch ln.Args[1] {
	case "cookie":
		if len(ln.Args) != 5 || ln.Args[3] != "len" {
			p.diags.Alertf(ln.Pos, "'capture cookie' expects <cookie_name> 'len' <len>.")
			return
		}
	case "request", "response":
		if len(ln.Args) != 6 || ln.Args[2] != "header" || ln.Args[4] != "len" {
			p.diags.Alertf(ln.Pos, "'capture %s header' expects <header_name> 'len' <len>.", ln.Args[1])
			return
		}
	default:
		p.diags.Alertf(ln.Pos, "'capture' expects 'cookie', 'request' or 'response'.")
		return
	}
	keep(px, ln)
}

func (p *parser) stickTableLine(px *Proxy, ln Line) {
	args := ln.Args[1:]
	hasType, hasSize := false, false
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "type":
			i++
			if i >= len(args) {
				p.diags.Alertf(ln.Pos, "stick-table: missing type.")
				return
			}
			switch args[i] {
			case "ip", "ipv6", "integer", "string", "binary":
			default:
				p.diags.Alertf(ln.Pos, "stick-table: unknown type '%s'.", args[i])
				return
			}
			if (args[i] == "string" || args[i] == "binary") && i+2 < len(args) && args[i+1] == "len" {
				i += 2
			}
			hasType = true
		case "size":
			i++
			if i >= len(args) {
				p.diags.Alertf(ln.Pos, "stick-table: missing size.")
				return
			}
			if _, err := parseSize(args[i]); err != nil {
				p.diags.Alertf(ln.Pos, "stick-table: invalid size '%s'.", args[i])
				return
			}
			hasSize = true
		case "expire", "peers", "store", "srvkey", "write-to":
			i++
			if i >= len(args) {
				p.diags.Alertf(ln.Pos, "stick-table: missing argument after '%s'.", args[i-1])
				return
			}
			if args[i-1] == "store" {
				if msg := checkStickStore(args[i]); msg != "" {
					p.diags.Alertf(ln.Pos, "%s", msg)
					return
				}
			}
			if args[i-1] == "expire" {
				if _, err := parseTime(args[i], time.Millisecond, "stick-table expire"); err != nil {
					p.diags.Alertf(ln.Pos, "%v", err)
					return
				}
			}
		case "nopurge":
		default:
			p.diags.Alertf(ln.Pos, "stick-table: unknown argument '%s'.", args[i])
			return
		}
	}
	if !hasType {
		p.diags.Alertf(ln.Pos, "stick-table: missing type.")
		return
	}
	if !hasSize {
		p.diags.Alertf(ln.Pos, "stick-table: missing size.")
		return
	}
	keep(px, ln)
}

func (p *parser) logLine(px *Proxy, ln Line) {
	lt, ok := p.parseLog(ln)
	if !ok {
		return
	}
	if lt.Global {
		px.Logs = append(px.Logs, lt)
		return
	}
	px.Logs = append(px.Logs, lt)
}

func (p *parser) noLogLine(px *Proxy, ln Line) {
	if len(ln.Args) > 2 {
		p.diags.Alertf(ln.Pos, "'no log' does not expect arguments.")
		return
	}
	px.Logs = nil
}

var syslogFacilities = []string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2", "ftp", "ntp", "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}
var syslogLevels = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// parseLog reads "log global" or "log <target> [len N] [format F]
// [sample R:S] <facility> [<level> [<minlevel>]]".
func (p *parser) parseLog(ln Line) (*LogTarget, bool) {
	args := ln.Args[1:]
	if len(args) == 0 {
		p.diags.Alertf(ln.Pos, "'log' expects either <address[:port]> and <facility> or 'global' as arguments.")
		return nil, false
	}
	if args[0] == "global" {
		if len(args) > 1 {
			p.diags.Alertf(ln.Pos, "'log global' does not expect any argument.")
			return nil, false
		}
		return &LogTarget{Pos: ln.Pos, Global: true}, true
	}
	lt := &LogTarget{Pos: ln.Pos, Address: args[0]}
	args = args[1:]
	for len(args) >= 2 {
		switch args[0] {
		case "len":
			n, ok := intArg(args[1])
			if !ok || n <= 0 {
				p.diags.Alertf(ln.Pos, "invalid log length '%s', must be > 0.", args[1])
				return nil, false
			}
			lt.Length = n
		case "format":
			switch args[1] {
			case "local", "rfc3164", "rfc5424", "priority", "short", "timed", "iso", "raw":
			default:
				p.diags.Alertf(ln.Pos, "unknown log format '%s'.", args[1])
				return nil, false
			}
			lt.Format = args[1]
		case "sample":
			if msg := checkLogSample(args[1]); msg != "" {
				p.diags.Alertf(ln.Pos, "log : %s", msg)
				return nil, false
			}
			lt.Sample = args[1]
		default:
			goto facility
		}
		args = args[2:]
	}
facility:
	if len(args) == 0 {
		p.diags.Alertf(ln.Pos, "missing log facility.")
		return nil, false
	}
	if !contains(syslogFacilities, args[0]) {
		p.diags.Alertf(ln.Pos, "unknown log facility '%s'.", args[0])
		return nil, false
	}
	lt.Facility = args[0]
	if len(args) > 1 {
		if !contains(syslogLevels, args[1]) {
			p.diags.Alertf(ln.Pos, "unknown optional log level '%s'.", args[1])
			return nil, false
		}
		lt.Level = args[1]
	}
	if len(args) > 2 {
		if !contains(syslogLevels, args[2]) {
			p.diags.Alertf(ln.Pos, "unknown optional minimum log level '%s'.", args[2])
			return nil, false
		}
		lt.MinLevel = args[2]
	}
	if len(args) > 3 {
		p.diags.Alertf(ln.Pos, "cannot handle unexpected argument '%s'.", args[3])
		return nil, false
	}
	if err := checkLogAddress(lt.Address); err != nil {
		p.diags.Alertf(ln.Pos, "%v", err)
		return nil, false
	}
	if a, err := parseAddress(lt.Address, addrLog); err == nil && a.Family == FamilyHost && lt.Address != "stdout" && lt.Address != "stderr" && p.opt.Resolve != nil && p.opt.Resolve(a.Host) != nil {
		p.diags.Alertf(ln.Pos, "log : invalid address: '%s' in '%s'", a.Host, lt.Address)
		return nil, false
	}
	return lt, true
}

func checkLogAddress(a string) error {
	switch {
	case a == "stdout" || a == "stderr":
		return nil
	case strings.HasPrefix(a, "ring@"):
		return nil
	case strings.HasPrefix(a, "fd@"):
		_, err := parseAddress(a, addrLog)
		return err
	}
	if _, err := parseAddress(a, addrLog); err != nil {
		return fmt.Errorf("unknown log address '%s'", a)
	}
	return nil
}

// tcpkaLine parses clitcpka-cnt/-idle/-intvl and srvtcpka-*, with
// haproxy's checks and messages (it ignores arguments after the first).
func (p *parser) tcpkaLine(px *Proxy, ln Line) {
	kw := ln.Args[0]
	if len(ln.Args) < 2 || ln.Args[1] == "" {
		p.diags.Alertf(ln.Pos, "'%s' expects an integer value", kw)
		return
	}
	v := ln.Args[1]
	if strings.HasSuffix(kw, "-cnt") {
		// strtol: an optional sign, digits, nothing after them
		i := 0
		if i < len(v) && (v[i] == '-' || v[i] == '+') {
			i++
		}
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		if i < len(v) || i == 0 || (i == 1 && (v[0] == '-' || v[0] == '+')) {
			bad := v[0]
			if i < len(v) && i > 0 && v[i-1] >= '0' && v[i-1] <= '9' {
				bad = v[i]
			}
			p.diags.Alertf(ln.Pos, "'%s' : unexpected character '%c' in integer value '%s'", kw, bad, v)
			return
		}
		keep(px, Line{Pos: ln.Pos, Args: ln.Args[:2]})
		return
	}
	_, warn, err := parseTimeLenient(v, time.Second, kw)
	if warn != "" {
		p.diags.Warnf(Pos{}, "%s", warn) // haproxy names no line here
	}
	if err != nil {
		if strings.HasPrefix(err.Error(), "timer overflow") {
			p.diags.Alertf(ln.Pos, "%v", err)
		} else {
			p.diags.Alertf(ln.Pos, "unexpected character '%c' in argument to <%s>.\n", timeBadChar(v), kw)
		}
		return
	}
	keep(px, Line{Pos: ln.Pos, Args: ln.Args[:2]})
}

// timeBadChar is the first character of a time value that is neither its
// number nor a unit, as haproxy's parse_time_err reports it.
func timeBadChar(v string) byte {
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	if i == 0 || i == len(v) {
		return v[0]
	}
	rest := v[i:]
	for _, u := range []string{"us", "ms", "s", "m", "h", "d"} {
		if strings.HasPrefix(rest, u) {
			if len(rest) > len(u) {
				return rest[len(u)]
			}
			break
		}
	}
	return rest[0]
}
