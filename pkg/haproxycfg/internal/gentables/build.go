package main

import (
	"bytes"
	"fmt"
	"go/format"
	"regexp"
	"sort"
	"strings"
)

const (
	capDefaults = 1 << iota
	capFrontend
	capListen
	capBackend
)

type option struct {
	name                                                      string
	caps                                                      int
	http, deprecated, invertible, registered, noMatrix, inMtx bool
}

type proxyKW struct {
	name                                                     string
	caps                                                     int
	deprecated, removed, invertible, namedDefaults, noMatrix bool
}

type action struct {
	ruleset, name, syntax string
	cond                  bool
	minWords              int
	registered, prefix    bool
}

type tables struct {
	d         *dump
	global    map[string]bool
	proxy     map[string]*proxyKW
	options   map[string]*option
	actions   []*action
	predef    map[string]string
	bind      map[string]int
	server    map[string]int
	bindMan   map[string]bool
	serverMan map[string]bool
	sections  map[string]map[string]bool
	removed   map[string]string
	warnings  map[string]string
	manGlobal map[string]bool
	globalMan map[string]bool
	used      map[string]int // first words of 4.2 headings -> caps

	unknownMsg     map[string]string
	sectionRefused map[string]bool
}

var matrixRe = regexp.MustCompile(`^(.*?)\s+(\(\*\)|\(deprecated\))?\s*(X \(!\)|X|-)\s+(X \(!\)|X|-)\s+(X \(!\)|X|-)\s+(X \(!\)|X|-)$`)

var condSuffix = regexp.MustCompile(`\s*\[ ?\{ ?if \| unless ?\} ?<condition> ?\]$`)

// minWords counts the mandatory top-level words of a syntax tail: a
// "<...>" placeholder is one word even with spaces inside ("<key fmt>"), a
// "{ a | b }" choice is one word, "[...]" parts are optional.
func minWords(s string) int {
	n, depth, angle := 0, 0, 0
	inWord := false
	for _, c := range s {
		switch {
		case c == '<':
			if depth == 0 && angle == 0 && !inWord {
				n++
				inWord = true
			}
			angle++
		case c == '>' && angle > 0:
			angle--
		case angle > 0:
		case c == '[':
			depth++
			inWord = false
		case c == ']':
			depth--
			inWord = false
		case c == '{':
			if depth == 0 {
				n++
			}
			depth++
			inWord = false
		case c == '}':
			depth--
			inWord = false
		case c == ' ':
			inWord = false
		default:
			if depth == 0 && !inWord {
				n++
			}
			inWord = true
		}
	}
	return n
}

func capsOf(cells []string) int {
	c := 0
	for i, v := range cells {
		if strings.HasPrefix(v, "X") || strings.HasPrefix(v, "yes") {
			c |= 1 << i
		}
	}
	return c
}

func build(d *dump, facts []string, probe []probeResult) (*tables, error) {
	t := &tables{
		d:         d,
		global:    map[string]bool{},
		proxy:     map[string]*proxyKW{},
		options:   map[string]*option{},
		predef:    map[string]string{},
		bind:      map[string]int{},
		server:    map[string]int{},
		bindMan:   map[string]bool{},
		serverMan: map[string]bool{},
		sections:  map[string]map[string]bool{},
		removed:   map[string]string{},
		warnings:  map[string]string{},
		manGlobal: map[string]bool{},
		globalMan: map[string]bool{},
		used:      map[string]int{},

		unknownMsg:     map[string]string{},
		sectionRefused: map[string]bool{},
	}
	for _, g := range d.global {
		t.global[g] = true
	}
	for _, b := range d.bind {
		t.bind[b.name] = b.args
	}
	for _, s := range d.server {
		t.server[s.name] = s.args
	}
	for _, o := range d.options {
		op := &option{name: o.name, http: o.http, registered: true, invertible: true, noMatrix: true}
		if o.fe {
			op.caps |= capDefaults | capFrontend | capListen
		}
		if o.be {
			op.caps |= capDefaults | capListen | capBackend
		}
		t.options[o.name] = op
	}
	addSection := func(sec, kw string) {
		if t.sections[sec] == nil {
			t.sections[sec] = map[string]bool{}
		}
		t.sections[sec][kw] = true
	}
	for sec, kws := range d.sections {
		if t.sections[sec] == nil {
			t.sections[sec] = map[string]bool{}
		}
		for _, k := range kws {
			addSection(sec, k.name)
		}
	}

	type usedIn struct {
		syntax string
		caps   int
	}
	var used []usedIn
	actIdx := map[string]*action{}
	for n, f := range facts {
		if f == "" || strings.HasPrefix(f, "#") {
			continue
		}
		w := strings.Split(f, "\t")
		bad := fmt.Errorf("facts line %d: malformed %q", n+1, f)
		switch w[0] {
		case "global", "globalkw":
			t.manGlobal[w[1]] = true
		case "matrix":
			m := matrixRe.FindStringSubmatch(w[1])
			if m == nil {
				return nil, bad
			}
			name := strings.TrimSpace(m[1])
			caps := capsOf(m[3:7])
			if strings.HasPrefix(name, "option ") {
				on := strings.TrimPrefix(name, "option ")
				op := t.options[on]
				if op == nil {
					op = &option{name: on}
					t.options[on] = op
				}
				op.caps, op.noMatrix = caps, false
				op.invertible = op.invertible || m[2] == "(*)"
				op.deprecated = m[2] == "(deprecated)"
				continue
			}
			t.proxy[name] = &proxyKW{
				name: name, caps: caps,
				deprecated:    m[2] == "(deprecated)",
				invertible:    m[2] == "(*)",
				namedDefaults: strings.Contains(m[3], "(!)"),
			}
		case "usedin":
			if len(w) != 6 {
				return nil, bad
			}
			used = append(used, usedIn{w[1], capsOf(w[2:6])})
		case "action":
			if len(w) != 4 {
				return nil, bad
			}
			syn := w[3]
			// Every 2.6 action accepts a trailing condition, including the
			// few whose manual syntax omits it (checked with haproxy -c).
			a := &action{ruleset: w[1], name: w[2], cond: true}
			if loc := condSuffix.FindStringIndex(syn); loc != nil {
				syn = syn[:loc[0]]
			}
			a.syntax = syn
			if _, rest, ok := strings.Cut(syn, " "); ok {
				a.minWords = minWords(rest)
			}
			key := a.ruleset + "\x00" + a.name
			if actIdx[key] != nil {
				continue // alternative syntax of the same action: keep the first
			}
			actIdx[key] = a
			t.actions = append(t.actions, a)
		case "bind", "server":
			m, man := t.bind, t.bindMan
			if w[0] == "server" {
				m, man = t.server, t.serverMan
			}
			if _, ok := m[w[1]]; !ok {
				// Documented but not registered: take the arity from the syntax.
				args := 0
				if len(strings.Fields(w[2])) > 1 {
					args = 1
				}
				m[w[1]] = args
				man[w[1]] = true
			}
		case "predefacl":
			t.predef[w[1]] = w[2]
		case "section":
			addSection(w[1], w[2])
		default:
			return nil, bad
		}
	}
	// Options that neither -dK nor the matrix knows, from 4.2 headings.
	for _, u := range used {
		f := strings.Fields(u.syntax)
		if _, ok := t.used[f[0]]; !ok && f[0] != "no" && f[0] != "option" {
			t.used[f[0]] = u.caps
		}
		if len(f) < 2 || f[0] != "option" {
			continue
		}
		if _, ok := t.options[f[1]]; !ok {
			t.options[f[1]] = &option{name: f[1], caps: u.caps, noMatrix: true}
		}
	}
	// Registered proxy keywords that the matrix does not list as such.
	for _, k := range d.listen {
		if _, ok := t.proxy[k]; ok {
			continue
		}
		covered := false
		for name := range t.proxy {
			if strings.HasPrefix(name, k+" ") {
				covered = true
			}
		}
		if !covered {
			t.proxy[k] = &proxyKW{name: k, noMatrix: true}
		}
	}
	// Registered actions.
	for _, da := range d.actions {
		found := false
		for _, a := range t.actions {
			if a.ruleset != da.ruleset {
				continue
			}
			if a.name == da.name || (da.prefix && strings.HasPrefix(a.name, da.name) &&
				strings.Trim(a.name[len(da.name):], "0123456789") == "") {
				a.registered = true
				a.prefix = a.prefix || da.prefix
				found = true
			}
		}
		if !found {
			a := &action{ruleset: da.ruleset, name: da.name, registered: true, prefix: da.prefix, cond: true}
			t.actions = append(t.actions, a)
		}
	}
	// Manual names like track-sc0 are prefix-matched too.
	for _, a := range t.actions {
		if strings.HasPrefix(a.name, "track-sc") {
			a.prefix = true
		}
	}
	sort.SliceStable(t.actions, func(i, j int) bool {
		ri, rj := rulesetRank(t.actions[i].ruleset), rulesetRank(t.actions[j].ruleset)
		if ri != rj {
			return ri < rj
		}
		return t.actions[i].name < t.actions[j].name
	})
	applyProbe(t, probe)
	return t, nil
}

func rulesetRank(rs string) int {
	for i, r := range actionRulesets {
		if r == rs {
			return i
		}
	}
	return len(actionRulesets)
}

func sortedKeys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

var implicitArg = map[string]bool{"backend": true, "frontend": true, "table": true}

func goArgs(args []argKW, fetch bool) string {
	if len(args) == 0 {
		return "nil"
	}
	var b strings.Builder
	b.WriteString("[]oracleArg{")
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		implicit := fetch && !a.optional && i == 0 && implicitArg[a.typ] && len(args) == 1
		fmt.Fprintf(&b, "{Type: %q", a.typ)
		if a.optional || implicit {
			b.WriteString(", Optional: true")
		}
		if implicit {
			b.WriteString(", Implicit: true")
		}
		b.WriteString("}")
	}
	b.WriteString("}")
	return b.String()
}

func capsExpr(c int) string {
	var w []string
	for i, n := range []string{"capDefaults", "capFrontend", "capListen", "capBackend"} {
		if c&(1<<i) != 0 {
			w = append(w, n)
		}
	}
	if len(w) == 0 {
		return "0"
	}
	return strings.Join(w, " | ")
}

func (t *tables) emit() ([]byte, error) {
	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("// Code generated by internal/gentables from testdata/haproxy/oracle; DO NOT EDIT.\n\n")
	p("package haproxycfg\n\n")
	p("func init() {\n")

	p("oracleFetches = map[string]oracleFetch{\n")
	fetches := map[string]fetchKW{}
	for _, f := range t.d.fetches {
		fetches[f.name] = f
	}
	for _, k := range sortedKeys(fetches) {
		f := fetches[k]
		p("%q: {Name: %q, Args: %s, Out: %q, Use: 0x%06x},\n", k, k, goArgs(f.args, true), f.out, f.use)
	}
	p("}\n\n")

	p("oracleConverters = map[string]oracleConv{\n")
	convs := map[string]convKW{}
	for _, c := range t.d.converters {
		convs[c.name] = c
	}
	for _, k := range sortedKeys(convs) {
		c := convs[k]
		p("%q: {Name: %q, Args: %s, In: %q, Out: %q},\n", k, k, goArgs(c.args, false), c.in, c.out)
	}
	p("}\n\n")

	p("oracleACLs = map[string]oracleACL{\n")
	acls := map[string]aclKW{}
	for _, a := range t.d.acls {
		acls[a.name] = a
	}
	for _, k := range sortedKeys(acls) {
		a := acls[k]
		p("%q: {Name: %q, Fetch: %q, Match: %q},\n", k, k, a.fetch, a.match)
	}
	p("}\n\n")

	emitIntMap := func(name string, m map[string]int) {
		p("%s = map[string]int{\n", name)
		for _, k := range sortedKeys(m) {
			p("%q: %d,\n", k, m[k])
		}
		p("}\n\n")
	}
	emitBoolMap := func(name string, m map[string]bool) {
		p("%s = map[string]bool{\n", name)
		for _, k := range sortedKeys(m) {
			p("%q: %v,\n", k, m[k])
		}
		p("}\n\n")
	}
	emitStrMap := func(name string, m map[string]string) {
		p("%s = map[string]string{\n", name)
		for _, k := range sortedKeys(m) {
			p("%q: %q,\n", k, m[k])
		}
		p("}\n\n")
	}
	emitIntMap("oracleBindKeywords", t.bind)
	emitBoolMap("oracleBindManualOnly", t.bindMan)
	emitIntMap("oracleServerKeywords", t.server)
	emitBoolMap("oracleServerManualOnly", t.serverMan)
	ssl := map[string]bool{}
	for _, b := range t.d.bind {
		if b.ssl {
			ssl[b.name] = true
		}
	}
	emitBoolMap("oracleBindSSLKeywords", ssl)

	p("oracleOptions = map[string]oracleOption{\n")
	for _, k := range sortedKeys(t.options) {
		o := t.options[k]
		p("%q: {Name: %q, Caps: %s", k, k, capsExpr(o.caps))
		flag := func(n string, v bool) {
			if v {
				p(", %s: true", n)
			}
		}
		flag("HTTPOnly", o.http)
		flag("Deprecated", o.deprecated)
		flag("Invertible", o.invertible)
		flag("Registered", o.registered)
		flag("NoMatrix", o.noMatrix)
		p("},\n")
	}
	p("}\n\n")

	emitBoolMap("oracleGlobalKeywords", t.global)
	emitBoolMap("oracleGlobalManualOnly", t.globalMan)

	p("oracleProxyKeywords = map[string]oracleProxyKeyword{\n")
	for _, k := range sortedKeys(t.proxy) {
		o := t.proxy[k]
		p("%q: {Name: %q, Caps: %s", k, k, capsExpr(o.caps))
		flag := func(n string, v bool) {
			if v {
				p(", %s: true", n)
			}
		}
		flag("Deprecated", o.deprecated)
		flag("Removed", o.removed)
		flag("Invertible", o.invertible)
		flag("NamedDefaultsOnly", o.namedDefaults)
		flag("NoMatrix", o.noMatrix)
		p("},\n")
	}
	p("}\n\n")

	p("oracleActions = []oracleAction{\n")
	for _, a := range t.actions {
		p("{Ruleset: %q, Name: %q, Syntax: %q", a.ruleset, a.name, a.syntax)
		if a.cond {
			p(", Cond: true")
		}
		if a.minWords > 0 {
			p(", MinWords: %d", a.minWords)
		}
		if a.registered {
			p(", Registered: true")
		}
		if a.prefix {
			p(", Prefix: true")
		}
		p("},\n")
	}
	p("}\n\n")

	emitStrMap("oraclePredefinedACLs", t.predef)

	p("oracleSectionKeywords = map[string][]string{\n")
	for _, sec := range sortedKeys(t.sections) {
		p("%q: {", sec)
		for i, k := range sortedKeys(t.sections[sec]) {
			if i > 0 {
				p(", ")
			}
			p("%q", k)
		}
		p("},\n")
	}
	p("}\n\n")

	emitStrMap("oracleRemovedKeywords", t.removed)
	emitStrMap("oracleUnknownKeywordMessages", t.unknownMsg)
	emitBoolMap("oracleSectionManualOnly", t.sectionRefused)
	emitStrMap("oracleDeprecationWarnings", t.warnings)

	filters := map[string]string{}
	for _, f := range t.d.filters {
		filters[f[0]] = f[1]
	}
	emitStrMap("oracleFilters", filters)
	services := map[string]bool{}
	for _, s := range t.d.services {
		services[s] = true
	}
	emitBoolMap("oracleServices", services)
	p("oracleCLIKeywords = []string{\n")
	for _, c := range t.d.cli {
		p("%q,\n", c)
	}
	p("}\n")
	p("}\n")
	return format.Source(b.Bytes())
}
