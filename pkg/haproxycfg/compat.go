package haproxycfg

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Keyword status values of the compatibility table.
const (
	StatusSupported   = "supported"   // parsed, validated and kept in the model
	StatusLegacy      = "legacy"      // removed from haproxy 2.x; gohaproxy maps it and warns
	StatusUnsupported = "unsupported" // haproxy 2.6 knows it; gohaproxy refuses it for now
)

// CompatRow is one keyword of the compatibility table.
type CompatRow struct {
	Section string
	Keyword string
	Status  string
	Note    string
}

// CompatTable lists every keyword gohaproxy knows of, from its own registry
// and from haproxy 2.6's (the oracle tables), with what gohaproxy does.
func CompatTable() []CompatRow {
	var rows []CompatRow
	add := func(sec, kw, st, note string) { rows = append(rows, CompatRow{sec, kw, st, note}) }

	// global
	for _, k := range sortedKeys(globalKeywords) {
		add("global", k, StatusSupported, "")
	}
	add("global", "tune.*", StatusSupported, "every tune.* keyword of haproxy 2.6 except the Lua ones")
	for _, k := range sortedKeys(legacyGlobalKeywords) {
		add("global", k, StatusLegacy, legacyNote(k))
	}
	for _, k := range sortedKeys(oracleGlobalKeywords) {
		if _, ok := globalKeywords[k]; ok {
			continue
		}
		if _, ok := legacyGlobalKeywords[k]; ok {
			continue
		}
		if strings.HasPrefix(k, "tune.") && !tuneUnsupported[k] {
			continue
		}
		add("global", k, StatusUnsupported, "")
	}

	// proxies
	for _, k := range sortedKeys(proxyKeywords) {
		add("proxy", k, StatusSupported, "sections: "+capsText(proxyKeywords[k].caps))
	}
	for _, k := range sortedKeys(legacyProxyKeywords) {
		add("proxy", k, StatusLegacy, legacyNote(k))
	}
	seen := map[string]bool{}
	for _, k := range sortedKeys(oracleProxyKeywords) {
		first := strings.Fields(k)[0]
		if proxyKeywords[first] != nil || legacyProxyKeywords[first] != nil || seen[first] || first == "no" || first == "option" {
			continue
		}
		seen[first] = true
		add("proxy", first, StatusUnsupported, "")
	}
	for _, k := range sortedKeys(optionSpecs) {
		add("option", k, StatusSupported, "sections: "+capsText(optionSpecs[k].caps))
	}
	for _, k := range sortedKeys(legacyOptions) {
		add("option", k, StatusLegacy, legacyNote("option "+k))
	}
	for _, k := range sortedKeys(oracleOptions) {
		if _, ok := optionSpecs[k]; ok {
			continue
		}
		if _, ok := legacyOptions[k]; ok {
			continue
		}
		add("option", k, StatusUnsupported, "")
	}
	for _, k := range sortedKeys(bindOptionArgs) {
		add("bind", k, StatusSupported, fmt.Sprintf("%d argument(s)", bindOptionArgs[k]))
	}
	for _, k := range sortedKeys(oracleBindKeywords) {
		if _, ok := bindOptionArgs[k]; !ok {
			add("bind", k, StatusUnsupported, "")
		}
	}
	for _, k := range sortedKeys(serverOptions) {
		add("server", k, StatusSupported, fmt.Sprintf("%d argument(s)", serverOptions[k].args))
	}
	for _, k := range sortedKeys(oracleServerKeywords) {
		if _, ok := serverOptions[k]; !ok {
			add("server", k, StatusUnsupported, "")
		}
	}
	for _, rs := range sortedKeys(ruleActions) {
		for _, a := range strings.Fields(ruleActions[rs]) {
			base := strings.TrimSuffix(a, "(*)")
			st := StatusSupported
			if unsupportedActions[base] {
				st = StatusUnsupported
			}
			add(rs, a, st, "")
		}
	}
	for _, sec := range sortedKeys(otherSectionKeywords) {
		for _, k := range sortedKeys(otherSectionKeywords[sec]) {
			add(sec, k, StatusSupported, "")
		}
	}
	for _, sec := range sortedKeys(unsupportedSections) {
		if unsupportedSections[sec] {
			add(sec, "(section)", StatusUnsupported, "")
		}
	}
	return rows
}

func legacyNote(kw string) string {
	for _, e := range legacyTable {
		if strings.HasPrefix(e.Keyword, kw) || strings.Contains(e.Keyword, kw) {
			if e.Mapped == "" {
				return "removed in " + e.Removed + "; refused unless its meaning is unambiguous"
			}
			return "removed in " + e.Removed + "; mapped to " + e.Mapped
		}
	}
	return ""
}

func capsText(c proxyCaps) string {
	var parts []string
	if c&capDefaults != 0 {
		parts = append(parts, "defaults")
	}
	if c&capFrontend != 0 {
		parts = append(parts, "frontend")
	}
	if c&capListen != 0 {
		parts = append(parts, "listen")
	}
	if c&capBackend != 0 {
		parts = append(parts, "backend")
	}
	return strings.Join(parts, ", ")
}

// WriteCompatMarkdown writes docs/haproxy-compat.md.
func WriteCompatMarkdown(w io.Writer) {
	rows := CompatTable()
	counts := map[string]int{}
	for _, r := range rows {
		counts[r.Status]++
	}
	fmt.Fprintf(w, "# haproxy.cfg compatibility (generated)\n\n")
	fmt.Fprintf(w, "Generated from gohaproxy's keyword registry and the keyword tables of HAProxy %s by\n", Version)
	fmt.Fprintf(w, "`go test ./pkg/haproxycfg -run TestCompatDoc -update`; a test fails when this file is stale.\n\n")
	fmt.Fprintf(w, "Status: **supported** — parsed, validated as haproxy 2.6 validates it, and kept in the model;\n")
	fmt.Fprintf(w, "**legacy** — removed from haproxy 2.x, accepted by gohaproxy with a `[WARNING]` naming the modern equivalent it maps to;\n")
	fmt.Fprintf(w, "**unsupported** — known to haproxy 2.6, refused by gohaproxy with \"not supported by gohaproxy\" and file:line.\n\n")
	fmt.Fprintf(w, "Totals: %d supported, %d legacy, %d unsupported.\n\n", counts[StatusSupported], counts[StatusLegacy], counts[StatusUnsupported])
	fmt.Fprintf(w, "Configuration checking (`gohaproxy -c`) is what this table describes. At run time `gohaproxy -f`\n")
	fmt.Fprintf(w, "serves `mode tcp` and `mode http` proxies (balancing, queues, health checks, email alerts, the\n")
	fmt.Fprintf(w, "HTTP/1.1 engine, traffic logs, the stats page and the runtime API) and refuses at start, with\n")
	fmt.Fprintf(w, "file:line, any part of a configuration its run time cannot serve yet (rule actions beyond allow, deny,\n")
	fmt.Fprintf(w, "redirect, return, header edits, set-path, set-status and the Prometheus exporter; cookie maxidle/maxlife/dynamic, ssl binds,\n")
	fmt.Fprintf(w, "...) rather than ignore it. See \"Run-time differences\" at the end for what behaves differently.\n\n")

	fmt.Fprintf(w, "## Legacy 1.x keywords\n\n| keyword | removed in | gohaproxy maps it to |\n|---|---|---|\n")
	for _, e := range legacyTable {
		m := e.Mapped
		if m == "" {
			m = "refused, as by haproxy 2.6 (no unambiguous modern equivalent)"
		}
		fmt.Fprintf(w, "| `%s` | %s | %s |\n", e.Keyword, e.Removed, m)
	}
	bySection := map[string][]CompatRow{}
	var order []string
	for _, r := range rows {
		if _, ok := bySection[r.Section]; !ok {
			order = append(order, r.Section)
		}
		bySection[r.Section] = append(bySection[r.Section], r)
	}
	sort.SliceStable(order, func(i, j int) bool { return sectionRank(order[i]) < sectionRank(order[j]) })
	for _, sec := range order {
		fmt.Fprintf(w, "\n## %s\n\n| keyword | status | notes |\n|---|---|---|\n", sec)
		for _, r := range bySection[sec] {
			fmt.Fprintf(w, "| `%s` | %s | %s |\n", r.Keyword, r.Status, r.Note)
		}
	}
	fmt.Fprintf(w, "\n## Run-time differences\n\nKnown differences between `gohaproxy -f` and haproxy 2.6 serving the same configuration, found by the\nside-by-side tests; each is either a deliberate choice or on the list to fix.\n\n| area | haproxy 2.6 | gohaproxy | why |\n|---|---|---|---|\n")
	for _, d := range runtimeDifferences {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", d[0], d[1], d[2], d[3])
	}
}

// runtimeDifferences are the known run-time differences (area, haproxy,
// gohaproxy, why), kept here so that the generated document lists them.
var runtimeDifferences = [][4]string{
	{"retries on refused connections (mode http)", "waits about 1 s between connection retries before answering 503", "retries at once, then 503", "to fix: the retry delay belongs in the backend's connect loop"},
	{"server connection reuse", "`http-reuse safe` shares idle server connections between client sessions", "reuses a server connection only within one client session", "to build; `http-reuse` is accepted"},
	{"traffic logs", "`log-format` may hold `%[sample]` expressions; `error-log-format` and `log-format-sd` apply", "tcplog, httplog, clf, the \"Connect from\" line and `log-format` with %-variables are logged as haproxy logs them (compared line by line); a `%[sample]` expression, `error-log-format` or `log-format-sd` is refused at start with its line", "sample expressions need a sample evaluator; to build"},
	{"health check of a server that accepts and closes at once", "\"Socket error ... Connection reset by peer\" (timing-dependent)", "\"Layer7 invalid response\"", "timing-dependent in haproxy too"},
	{"master CLI unknown command", "lists the closest commands", "lists every command", "cosmetic"},
	{"runtime API `help`", "lists every command haproxy knows", "lists the commands gohaproxy answers (same words); unknown ones get the \"Unknown command\" answer with that list", "honest about what is served"},
	{"runtime API `set maxconn frontend/global`, `show sess`, `shutdown session(s)`, `set server ... addr/agent/health/check-port`", "served", "answered with a message saying it is not supported yet", "to build"},
	{"`http-check expect` / `tcp-check expect` sample expressions (`status-code`, `%[...]` in `on-success`, `on-error`, `string-lf`, `name-lf`, `value-lf`)", "any sample fetch and converter available to checks", "`status`, `res.hdr(name[,occ])`, `res.fhdr(name[,occ])`, `int(n)` and `str(s)` without converters (reported codes and texts compared with haproxy's); any other fetch, a converter or another log-format variable is refused at start with its line", "the fetches that matter for checks; to extend with a sample evaluator"},
	{"stats page actions on checks and sessions", "disable/enable checks, force health, kill sessions", "reported \"not processed\" on the page", "to build"},
}

func sectionRank(s string) int {
	order := []string{"global", "proxy", "option", "bind", "server"}
	for i, o := range order {
		if s == o {
			return i
		}
	}
	if strings.HasPrefix(s, "http-") || strings.HasPrefix(s, "tcp-") {
		return 10
	}
	return 20
}
