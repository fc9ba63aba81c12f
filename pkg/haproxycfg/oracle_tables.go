package haproxycfg

import (
	"sort"
	"strings"
)

// The tables below describe what HAProxy 2.6.12 knows, so that gohaproxy
// accepts and refuses the same configuration keywords. They are filled in
// zz_oracle_tables.go, which is generated from:
//
//   - testdata/haproxy/oracle/haproxy-2.6-dKall.txt: the output of
//     "haproxy -dKall -q -c -f x.cfg" (registered keywords);
//   - testdata/haproxy/oracle/manual-2.6-facts.txt: syntax lines and tables
//     extracted from the 2.6 manual (configuration.txt);
//   - testdata/haproxy/oracle/probe-2.6.txt: how the haproxy binary reacts
//     to candidate keywords (recognised, unknown, refused as removed).
//
// Regenerate with "go generate ./pkg/haproxycfg" (see internal/gentables).

//go:generate go run ./internal/gentables -root ../.. -o zz_oracle_tables.go

// proxyCaps says in which proxy sections a keyword may appear.
type proxyCaps uint8

const (
	capDefaults proxyCaps = 1 << iota
	capFrontend
	capListen
	capBackend
)

// Has reports whether all bits of want are set.
func (c proxyCaps) Has(want proxyCaps) bool { return c&want == want }

func (c proxyCaps) String() string {
	var w []string
	for _, x := range []struct {
		c proxyCaps
		n string
	}{{capDefaults, "defaults"}, {capFrontend, "frontend"}, {capListen, "listen"}, {capBackend, "backend"}} {
		if c&x.c != 0 {
			w = append(w, x.n)
		}
	}
	return strings.Join(w, "|")
}

type oracleArg struct {
	Type     string // as printed by haproxy -dK: "string", "integer", "backend", "str", "sint", ...
	Optional bool
	// Implicit is set for backend, frontend and table arguments that -dK
	// prints as mandatory but which haproxy lets the user omit: a missing
	// one means the current proxy (e.g. "be_conn" alone). Optional is true
	// for them too.
	Implicit bool
}

type oracleFetch struct {
	Name string
	Args []oracleArg
	Out  string // output type: bool, sint, str, bin, ipv4, ipv6, addr, meth, any
	Use  uint32 // bit i set when usage column i shows Y (see fetchUse* constants)
}

type oracleConv struct {
	Name    string
	Args    []oracleArg
	In, Out string
}

type oracleACL struct{ Name, Fetch, Match string } // "base_beg = base -m beg"

type oracleOption struct {
	Name       string
	Caps       proxyCaps // sections where "option NAME" is allowed
	HTTPOnly   bool      // flagged HTTP in -dK
	Deprecated bool
	// Invertible is set when "no option NAME" is accepted (marked "(*)" in
	// the 4.1 matrix, or registered with -dK, whose options all are).
	Invertible bool
	// Registered is set when haproxy -dK lists the option; the others are
	// hard-coded in haproxy's proxy parser.
	Registered bool
	// NoMatrix is set when the 4.1 matrix does not list the option; Caps
	// then come from -dK's FE/BE flags or from the 4.2 "May be used in
	// sections" row.
	NoMatrix bool
}

type oracleProxyKeyword struct {
	Name       string // e.g. "timeout connect", "balance", "http-request"; options are in oracleOptions
	Caps       proxyCaps
	Deprecated bool // marked deprecated in the 4.1 matrix, or haproxy warns it is (bind-process)
	Removed    bool // haproxy 2.6 refuses it as no longer supported (see oracleRemovedKeywords)
	// Invertible is set for keywords marked "(*)" in the 4.1 matrix.
	Invertible bool
	// NamedDefaultsOnly is set for keywords marked "(!)" in the 4.1 matrix:
	// only allowed in named defaults sections.
	NamedDefaultsOnly bool
	// NoMatrix is set for keywords that -dK registers but the 4.1 matrix
	// does not list.
	NoMatrix bool
}

type oracleAction struct {
	Ruleset string // "http-request", "http-response", "http-after-response", "tcp-request connection", "tcp-request session", "tcp-request content", "tcp-response content"
	Name    string // e.g. "set-header", "deny", "set-var" (without the "(<var-name>)" part)
	Syntax  string // the manual's one-line syntax without the condition, e.g. "set-header <name> <fmt>"; empty when the manual does not document it
	// Cond is set when the action accepts a trailing optional
	// "{ if | unless } <condition>". In 2.6 every action does, including
	// the few whose manual syntax omits it (http-response set-map,
	// tcp-request content do-resolve, tcp-response content sc-set-gpt0):
	// checked with haproxy -c.
	Cond bool
	// MinWords is the number of mandatory words after the action name in
	// the manual's syntax: a "<placeholder>" or a "{ a | b }" choice counts
	// as one, "[...]" parts as none. Approximate: the manual is the source.
	MinWords int
	// Registered is set when haproxy -dK lists the action; the others are
	// hard-coded (accept, reject, track-sc*, expect-proxy, ...).
	Registered bool
	// Prefix is set when -dK prints the action with a "*": the keyword is
	// matched as a prefix and takes arguments in parentheses
	// ("set-var(txn.x)", "track-sc0", "sc-inc-gpc(1,0)").
	Prefix bool
}

// Fetch usage columns, in the order printed in the -dK dump header.
const (
	fetchUseFeTCPConn     uint32 = 1 << iota // frontend tcp-request connection rule
	fetchUseFeTCPSess                        // frontend tcp-request session rule
	fetchUseFeTCPContent                     // frontend tcp-request content rule
	fetchUseFeHTTPReqHdr                     // frontend http-request header rule
	fetchUseFeHTTPReqBody                    // frontend http-request body rule
	fetchUseFeUseBackend                     // frontend use-backend rule
	fetchUseBeTCPContent                     // backend tcp-request content rule
	fetchUseBeHTTPReqHdr                     // backend http-request header rule
	fetchUseBeHTTPReqBody                    // backend http-request body rule
	fetchUseBeUseServer                      // backend use-server, balance or stick-match rule
	fetchUseSrvSource                        // server source selection
	fetchUseBeTCPResponse                    // backend tcp-response content rule
	fetchUseBeHTTPResHdr                     // backend http-response header rule
	fetchUseBeHTTPResBody                    // backend http-response body rule
	fetchUseBeStickStore                     // backend stick-store rule
	fetchUseFeTCPResponse                    // frontend tcp-response content rule
	fetchUseFeHTTPResHdr                     // frontend http-response header rule
	fetchUseFeHTTPResBody                    // frontend http-response body rule
	fetchUseLogs                             // logs
	fetchUseBeTCPCheck                       // backend tcp-check rule
	fetchUseCfgParser                        // configuration parser
	fetchUseCLIParser                        // CLI parser

	fetchUseAll uint32 = 1<<22 - 1
)

// fetchAllowedIn reports whether f may be used in every place of mask.
func fetchAllowedIn(f oracleFetch, mask uint32) bool { return f.Use&mask == mask }

// lookupFetch finds a sample fetch by name.
func lookupFetch(name string) (oracleFetch, bool) {
	f, ok := oracleFetches[name]
	return f, ok
}

// lookupProxyKeyword finds the proxy keyword that a configuration line
// starts with: the longest of "w0 w1 w2", "w0 w1" and "w0" that the tables
// know ("capture request header", "timeout connect", "balance"). It does not
// handle "option", see lookupOption.
func lookupProxyKeyword(words []string) (oracleProxyKeyword, bool) {
	for n := 3; n >= 1; n-- {
		if len(words) < n {
			continue
		}
		if k, ok := oracleProxyKeywords[strings.Join(words[:n], " ")]; ok {
			return k, true
		}
	}
	return oracleProxyKeyword{}, false
}

// lookupOption finds "option NAME".
func lookupOption(name string) (oracleOption, bool) {
	o, ok := oracleOptions[name]
	return o, ok
}

// lookupAction finds an action of ruleset by the word written in the
// configuration, which may carry parenthesized arguments ("set-var(txn.x)")
// or a counter suffix ("track-sc1").
func lookupAction(ruleset, word string) (oracleAction, bool) {
	if p := strings.IndexByte(word, '('); p >= 0 {
		word = word[:p]
	}
	var prefix *oracleAction
	for i := range oracleActions {
		a := &oracleActions[i]
		if a.Ruleset != ruleset {
			continue
		}
		if a.Name == word {
			return *a, true
		}
		if a.Prefix && strings.HasPrefix(word, a.Name) && prefix == nil {
			prefix = a
		}
	}
	if prefix != nil {
		return *prefix, true
	}
	return oracleAction{}, false
}

// actionNames returns the sorted action names of a ruleset.
func actionNames(ruleset string) []string {
	var out []string
	for _, a := range oracleActions {
		if a.Ruleset == ruleset {
			out = append(out, a.Name)
		}
	}
	sort.Strings(out)
	return out
}

var (
	oracleFetches         map[string]oracleFetch
	oracleConverters      map[string]oracleConv
	oracleACLs            map[string]oracleACL
	oracleBindKeywords    map[string]int // bind option name -> number of arguments it takes (the "+N")
	oracleServerKeywords  map[string]int // server/default-server option name -> number of arguments (-1: variable, "source")
	oracleOptions         map[string]oracleOption
	oracleGlobalKeywords  map[string]bool // every global-section keyword of 2.6 (registered + hard-coded)
	oracleProxyKeywords   map[string]oracleProxyKeyword
	oracleActions         []oracleAction
	oraclePredefinedACLs  map[string]string   // name -> its definition text, e.g. "HTTP_1.1" -> "req.ver 1.1"
	oracleSectionKeywords map[string][]string // keywords of other sections: userlist, peers, mailers, resolvers, cache, program, ring, http-errors, log-forward, fcgi-app, crt-list

	// oracleBindManualOnly and oracleServerManualOnly hold the options the
	// manual documents but -dK does not list. true: haproxy accepts it
	// (e.g. bind "ssl"), it is in oracleBindKeywords/oracleServerKeywords
	// with an arity derived from the manual's syntax (0 or 1). false: this
	// build refuses it as an unknown keyword (e.g. "quic-cc-algo",
	// "no-verifyhost"), it is not in the keyword maps.
	oracleBindManualOnly   map[string]bool
	oracleServerManualOnly map[string]bool
	// oracleGlobalManualOnly holds the global keywords the manual lists
	// but this haproxy build answers with "unknown keyword" (modules not
	// compiled in: 51degrees, deviceatlas, wurfl, QUIC, ...). All false.
	oracleGlobalManualOnly map[string]bool
	// oracleBindSSLKeywords holds the bind options registered by the SSL
	// layer ("bind <addr> ssl NAME" in -dK).
	oracleBindSSLKeywords map[string]bool
	// oracleRemovedKeywords maps "SECTION WORDS" (SECTION is "global" or
	// "proxy"; WORDS the keyword, "option NAME" for options) to the exact
	// alert haproxy 2.6 prints when refusing a keyword that is no longer
	// supported, after "parsing [FILE:LINE] : ".
	oracleRemovedKeywords map[string]string
	// oracleDeprecationWarnings maps "SECTION WORDS" to the warning haproxy
	// prints for a deprecated but accepted keyword.
	oracleDeprecationWarnings map[string]string
	// oracleUnknownKeywordMessages maps a place ("global", "defaults",
	// "frontend", "listen", "backend", "option", "bind", "server",
	// "out-of-section", "userlist", "peers", ...) to the exact alert haproxy
	// prints for an unknown keyword there, after "[ALERT]    (PID) : config : ",
	// with {file}, {line} and {kw} placeholders. haproxy appends
	// "; did you mean 'X' maybe ?" (before the final "." if any) when a
	// known keyword is close enough.
	oracleUnknownKeywordMessages map[string]string
	// oracleSectionManualOnly holds "SECTION KEYWORD" pairs the manual
	// documents for a non-proxy section but haproxy 2.6.12 answers with
	// "unknown keyword" (removed from oracleSectionKeywords). All false.
	oracleSectionManualOnly map[string]bool
	oracleFilters           map[string]string // filter name -> -dK tag ("compression" -> "COMP")
	oracleServices          map[string]bool   // "use-service" names
	oracleCLIKeywords       []string          // -dK lines of the CLI keywords, e.g. "add acl [WORKER]"
)
