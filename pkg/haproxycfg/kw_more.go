package haproxycfg

import (
	"fmt"
	"regexp"
	"strings"
)

// stickStoreTypes are the data types a stick-table may store; the ones
// marked true take a period argument "(<period>)".
var stickStoreTypes = map[string]bool{
	"server_id": false, "server_key": false, "gpc0": false, "gpc1": false, "gpt0": false,
	"gpc0_rate": true, "gpc1_rate": true, "gpc": true, "gpc_rate": true, "gpt": true,
	"conn_cnt": false, "conn_cur": false, "conn_rate": true, "sess_cnt": false, "sess_rate": true,
	"http_req_cnt": false, "http_req_rate": true, "http_err_cnt": false, "http_err_rate": true,
	"http_fail_cnt": false, "http_fail_rate": true, "bytes_in_cnt": false, "bytes_in_rate": true,
	"bytes_out_cnt": false, "bytes_out_rate": true,
}

func checkStickStore(list string) string {
	for _, item := range strings.Split(list, ",") {
		name := item
		if i := strings.IndexByte(item, '('); i >= 0 {
			name = item[:i]
		}
		needsPeriod, ok := stickStoreTypes[name]
		if !ok {
			return fmt.Sprintf("stick-table: unknown store option '%s'.", name)
		}
		if needsPeriod && !strings.Contains(item, "(") {
			return fmt.Sprintf("stick-table: missing argument to store option '%s'.", name)
		}
	}
	return ""
}

var compressionAlgos = []string{"identity", "gzip", "deflate", "raw-deflate"}

// compressionLine parses "compression algo|type|offload" (haproxy 2.6
// knows no other compression keyword; direction, algo-req... came in 2.8).
func (p *parser) compressionLine(px *Proxy, ln Line) {
	if len(ln.Args) < 2 {
		p.diags.Alertf(ln.Pos, "'compression' expects 'algo', 'type' or 'offload'")
		return
	}
	switch ln.Args[1] {
	case "algo":
		if len(ln.Args) < 3 {
			p.diags.Alertf(ln.Pos, "parsing [%s:%d] : '%s' expects <algorithm>", ln.Pos.File, ln.Pos.Line, ln.Args[1])
			return
		}
		for _, a := range ln.Args[2:] {
			if !contains(compressionAlgos, a) {
				p.diags.Alertf(ln.Pos, "'compression' : '%s' is not a supported algorithm.", a)
				return
			}
		}
	case "type":
		if len(ln.Args) < 3 {
			p.diags.Alertf(ln.Pos, "'%s' expects <type>", ln.Args[1])
			return
		}
	case "offload":
		if px.Kind == KindDefaults {
			p.diags.Alertf(ln.Pos, "'compression offload' ignored in 'defaults' section.")
			return
		}
	default:
		p.diags.Alertf(ln.Pos, "'compression' expects 'algo', 'type' or 'offload'")
		return
	}
	keep(px, ln)
}

var retryOnKeywords = []string{"none", "conn-failure", "empty-response", "junk-response", "response-timeout",
	"0rtt-rejected", "all-retryable-errors", "401", "403", "404", "408", "425", "500", "501", "502", "503", "504"}

func (p *parser) retryOnLine(px *Proxy, ln Line) {
	if px.Kind == KindFrontend {
		p.diags.Alertf(ln.Pos, "'retry-on' only available in backend or listen section")
		return
	}
	if len(ln.Args) < 2 {
		p.diags.Alertf(ln.Pos, "'retry-on' expects at least one keyword.")
		return
	}
	for _, w := range ln.Args[1:] {
		if !contains(retryOnKeywords, w) {
			p.diags.Alertf(ln.Pos, "'retry-on': unknown keyword '%s'", w)
			return
		}
	}
	keep(px, ln)
}

// varScopes are the scopes a variable name must start with.
var varScopes = []string{"proc.", "sess.", "txn.", "req.", "res.", "check."}

func checkVarName(name string) bool {
	for _, s := range varScopes {
		if strings.HasPrefix(name, s) && len(name) > len(s) {
			return true
		}
	}
	return false
}

// actionOptionWords are the words some actions accept after their name,
// before an optional condition; anything else is an error.
var actionOptionWords = map[string]map[string]int{
	"deny":   {"deny_status": 1, "status": 1, "content-type": 1, "errorfile": 1, "errorfiles": 1, "file": 1, "lf-file": 1, "string": 1, "lf-string": 1, "hdr": 2, "default-errorfiles": 0},
	"tarpit": {"deny_status": 1, "status": 1, "content-type": 1, "errorfile": 1, "errorfiles": 1, "file": 1, "lf-file": 1, "string": 1, "lf-string": 1, "hdr": 2, "default-errorfiles": 0},
	"allow":  {}, "reject": {}, "silent-drop": {}, "accept": {}, "close": {},
}

// experimentalActions need "expose-experimental-directives" in global.
var experimentalActions = map[string]bool{"normalize-uri": true}

// checkActionExtra applies the checks made after the action's own words.
func (p *parser) checkActionExtra(px *Proxy, ln Line, ruleset, base, action string, actArgs []string) bool {
	if experimentalActions[base] && !p.experimental() {
		p.diags.Alertf(ln.Pos, "'%s' action is experimental, must be allowed via a global 'expose-experimental-directives'", base)
		return false
	}
	if words, ok := actionOptionWords[base]; ok {
		for i := 0; i < len(actArgs); i++ {
			n, known := words[actArgs[i]]
			if !known {
				p.diags.tightf(SevAlert, ln.Pos, "'%s %s' expects either 'if' or 'unless' followed by a condition but found '%s'.", ruleset, base, actArgs[i])
				return false
			}
			i += n
		}
	}
	if (base == "set-var" || base == "set-var-fmt" || base == "unset-var" || base == "sc-set-gpt" || base == "sc-inc-gpc") && strings.Contains(action, "(") {
		name := strings.TrimSuffix(action[strings.IndexByte(action, '(')+1:], ")")
		if i := strings.IndexByte(name, ','); i >= 0 {
			name = name[:i]
		}
		if strings.HasSuffix(base, "var") || base == "set-var-fmt" {
			if !checkVarName(name) {
				p.diags.Alertf(ln.Pos, "error detected in %s '%s' while parsing '%s %s' rule : invalid variable name '%s'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'.", px.Kind, px.Name, ruleset, action, name)
				return false
			}
		}
	}
	if base == "return" || base == "deny" || base == "tarpit" {
		for i := 0; i+1 < len(actArgs); i++ {
			switch actArgs[i] {
			case "file", "lf-file", "errorfile":
				if p.opt.FileExists != nil && !p.fileExists(actArgs[i+1]) {
					p.diags.Alertf(ln.Pos, "error detected in %s '%s' while parsing '%s %s' rule : error opening file '%s'..", px.Kind, px.Name, ruleset, base, actArgs[i+1])
					return false
				}
				i++
			}
		}
	}
	if (base == "set-var") && len(actArgs) >= 1 {
		if msg := p.checkSampleExpr(px, actArgs[0], actArgs[0], 0); msg != "" {
			msg = strings.TrimPrefix(msg, "failed to parse sample expression <"+actArgs[0]+"> : ")
			p.diags.Alertf(ln.Pos, "error detected in %s '%s' while parsing '%s %s' rule : %s", px.Kind, px.Name, ruleset, action, msg)
			return false
		}
	}
	if re, ok := actionRegex(base, actArgs); ok {
		if _, err := regexp.Compile(re); err != nil {
			p.diags.Alertf(ln.Pos, "error detected in %s '%s' while parsing '%s %s' rule : regex '%s' is invalid (%v).", px.Kind, px.Name, ruleset, base, re, err)
			return false
		}
	}
	if fmtArg, ok := logFormatArg(base, actArgs); ok {
		if msg := p.checkLogFormatIn(px, fmtArg, ruleFetchMask(ruleset, px)); msg != "" {
			p.diags.Alertf(ln.Pos, "error detected in %s '%s' while parsing '%s %s' rule : %s", px.Kind, px.Name, ruleset, base, msg)
			return false
		}
	}
	return true
}

// actionRegex returns the regex argument of the replace-* actions.
func actionRegex(base string, args []string) (string, bool) {
	switch base {
	case "replace-header", "replace-value":
		if len(args) == 3 {
			return args[1], true
		}
	case "replace-path", "replace-uri", "replace-pathq":
		if len(args) == 2 {
			return args[0], true
		}
	}
	return "", false
}

// ruleFetchMask is the usage column sample fetches of a rule set must be
// valid in (0: not checked).
func ruleFetchMask(ruleset string, px *Proxy) uint32 {
	fe := px.Kind == KindFrontend || px.Kind == KindListen
	switch ruleset {
	case "http-request":
		if fe {
			return fetchUseFeHTTPReqHdr
		}
		return fetchUseBeHTTPReqHdr
	case "http-response", "http-after-response":
		if px.Kind == KindFrontend {
			return fetchUseFeHTTPResHdr
		}
		return fetchUseBeHTTPResHdr
	}
	return 0
}

// logFormatArg returns the argument of an action that is a log-format
// string.
func logFormatArg(base string, args []string) (string, bool) {
	switch base {
	case "set-header", "add-header":
		if len(args) == 2 {
			return args[1], true
		}
	case "set-map", "add-acl", "del-acl", "del-map":
		if len(args) >= 1 {
			return args[0], true
		}
	case "set-path", "set-pathq", "set-query", "set-uri", "set-method", "set-var-fmt":
		if len(args) == 1 {
			return args[0], true
		}
	case "replace-header", "replace-value":
		if len(args) == 3 {
			return args[2], true
		}
	case "replace-path", "replace-uri", "replace-pathq":
		if len(args) == 2 {
			return args[1], true
		}
	}
	return "", false
}

func (p *parser) experimental() bool {
	for _, d := range p.cfg.Global.Other {
		if d.Args[0] == "expose-experimental-directives" {
			return true
		}
	}
	return false
}

// cookieModeConflict reports the incompatible cookie modes haproxy refuses.
func cookieModeConflict(args []string) string {
	n := 0
	for _, a := range args {
		if a == "rewrite" || a == "insert" || a == "prefix" {
			n++
		}
	}
	if n > 1 {
		return "cookie 'rewrite', 'insert' and 'prefix' modes are incompatible."
	}
	return ""
}
