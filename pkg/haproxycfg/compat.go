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
	fmt.Fprintf(w, "redirect, return, header edits, set-path, set-status and the Prometheus exporter; fetches and converters beyond those listed\n")
	fmt.Fprintf(w, "under \"sample expressions\" at the end; cookie maxidle/maxlife/dynamic, HTTP/2,\n")
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
	{"traffic logs", "`log-format` may hold `%[sample]` expressions; `error-log-format` and `log-format-sd` apply", "tcplog, httplog, httpslog, clf, the \"Connect from\" line and `log-format` with %-variables and `%[sample]` expressions are logged as haproxy logs them (compared line by line); `error-log-format` and `log-format-sd` are refused at start with their line", "to build"},
	{"sample expressions (`%[...]` in rule values, `lf-string`, `redirect location/prefix`, dynamic `use_backend`, `log-format`)", "every fetch and converter", "fetches src, dst, src_port, dst_port, path, url, query, base, method, req.ver, hdr/req.hdr, req.fhdr, hdr_cnt, res.hdr, res.fhdr, status, fe_name, be_name, srv_name, nbsrv, be_conn, fe_conn, srv_is_up, env, hostname, rand, date, uuid, unique-id, capture.req.uri/method, the ssl_fc*/ssl_c* ones; converters lower, upper, base64, b64dec, hex, length, bytes, url_dec, json (ascii), field, word, regsub, ipmask, http_date, add/sub/mul/div/mod, map/map_str/map_beg/map_end/map_sub/map_dom/map_ip/map_reg; any other fetch or converter (capture.req.hdr, map_*_int, concat, variables, ...) is refused at start with its line; `unique-id-format` and `unique-id-header` are served (the id is built when the request head is parsed)", "to extend as configurations need them"},
	{"health check of a server that accepts and closes at once", "\"Socket error ... Connection reset by peer\" (timing-dependent)", "\"Layer7 invalid response\"", "timing-dependent in haproxy too"},
	{"master CLI unknown command", "lists the closest commands", "lists every command", "cosmetic"},
	{"runtime API `help`", "lists every command haproxy knows", "lists the commands gohaproxy answers (same words); unknown ones get the \"Unknown command\" answer with that list", "honest about what is served"},
	{"runtime API `show sess`", "one line per stream with its internals: task calls and rate, cpu and latency, buffer and stream connector flags, file descriptors, timers; `show sess <id>` and `show sess all` dump the stream's internals", "the same line with the same protocol, source, frontend, backend and server (the side-by-side test compares these) and the stream's pointer, age, `ts=00 epoch=0`; the internals gohaproxy does not have are written as neutral values (`calls=1 rate=0 cpu=0 lat=0`, fixed flags, `fd=-1`, empty timers); `show sess <id>` prints the first lines of haproxy's dump (date, id, source, frontend, listener address, backend, server) and the task line with neutral values", "the internals are haproxy's event loop's"},
	{"runtime API `show sess` in mode http", "an HTTP/1 connection has a stream only while a request is in progress: a connection waiting for its first or next request is not listed", "lists the connection for its whole life (backend and server once it has one); `shutdown session` of one busy with a server closes that server connection, the client gets haproxy's 502 and the log line `KH--`, as with haproxy", "one session per connection in gohaproxy"},
	{"runtime API `shutdown session` of a TCP session still waiting in a queue or connecting", "ends it at once", "closes the client connection at once; the session leaves the queue (and logs) when its wait ends", "a per-session cancel would cost every connection; to revisit"},
	{"runtime API `shutdown session <id>` just after another one", "a session being killed is still listed for a moment: a second `shutdown session` of it answers an empty line", "the session leaves the list at once: a second one answers \"No such session\"", "timing"},
	{"runtime API `set maxconn frontend <fe> 0`", "refuses every new connection; raising the limit again while connections wait hung haproxy 2.6.12 (watchdog abort) in our tests", "refuses every new connection; raising the limit lets them in", "haproxy bug not reproduced"},
	{"runtime API `set server ... ssl`", "switches TLS to the server on or off", "answered with a message saying it is not supported yet", "to build with TLS to servers"},
	{"stats page health and agent actions", "disable/enable checks and agents, force health and agent states", "reported \"not processed\" on the page (drain, maint, ready and Kill Sessions are applied)", "to build"},
	{"`alpn h2,...` on a `mode http` ssl bind", "negotiates h2 and serves HTTP/2", "leaves h2 out of the protocols it advertises: clients offering h2 and http/1.1 get http/1.1 (a `mode tcp` bind advertises the list as written; a server's `alpn` drops h2 in `mode http` too)", "HTTP/2 is not built yet; advertising h2 and then speaking HTTP/1.1 would break every browser"},
	{"TLS 1.3 cipher suite", "OpenSSL's order: TLS_AES_256_GCM_SHA384 first", "crypto/tls's order: TLS_AES_128_GCM_SHA256 first (CHACHA20 first without AES hardware); `ciphersuites` must name one of the three suites but cannot narrow them", "crypto/tls does not let TLS 1.3 suites be configured"},
	{"`ciphers` / `ssl-default-*-ciphers`", "any OpenSSL cipher string, order kept with server preference", "names and keywords (HIGH, ECDHE, aRSA, AESGCM, CHACHA20, SHA1, `!`/`-`, `+` combinations...) evaluated over the suites crypto/tls implements (no DHE, CCM, CAMELLIA, ARIA); crypto/tls orders them itself; a list leaving none is refused at start", "crypto/tls"},
	{"SSLv3", "served if enabled", "TLS 1.0 at the lowest", "crypto/tls has no SSLv3"},
	{"several certificates for one name", "ECDSA to a client that supports it, else RSA; a TLS 1.3 client offering only RSA-PSS signatures failed its handshake in our tests", "ECDSA to a client that supports it, else the first the client can use (that TLS 1.3 client gets the RSA certificate)", "the rest is alike (compared with openssl s_client)"},
	{"ssl bind options `npn`, `generate-certificates`, `ca-sign-file`, `crl-file`, `ca-verify-file`, `ca-ignore-err`, `crt-ignore-err`, `allow-0rtt`, `tls-ticket-keys`; `accept-proxy` with `ssl`; .ocsp/.issuer/.sctl companions and .rsa/.ecdsa bundles", "served", "refused at start with file:line (companion files are not loaded: no OCSP stapling)", "to build"},
	{"server `sni`", "any sample expression", "`str()`, `req.hdr()`/`hdr()` and `ssl_fc_sni`, with `lower`, `upper`, `field()`; other expressions are refused at start; a kept server connection is reused only for the same SNI", "no general sample evaluator yet"},
	{"a client closing right after its TLS handshake", "logs either \"fe/1: Success\" or a `<BADREQ>` line (timing-dependent)", "logs the `<BADREQ>` line", "timing-dependent in haproxy"},
	{"client handshake error log lines", "a dozen specific texts", "\"SSL handshake failure\", \"Timeout during SSL handshake\", \"Connection closed during SSL handshake\", \"Connection error during SSL handshake\", \"SSL client certificate not trusted\" (a CA chain error is not told apart)", "crypto/tls reports fewer details"},
	{"`http-check expect` / `tcp-check expect` sample expressions (`status-code`, `%[...]` in `on-success`, `on-error`, `string-lf`, `name-lf`, `value-lf`)", "any sample fetch and converter available to checks", "`status`, `res.hdr(name[,occ])`, `res.fhdr(name[,occ])`, `int(n)` and `str(s)` without converters (reported codes and texts compared with haproxy's); any other fetch, a converter or another log-format variable is refused at start with its line", "the fetches that matter for checks; to extend with a sample evaluator"},
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
