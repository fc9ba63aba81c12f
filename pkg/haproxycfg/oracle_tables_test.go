package haproxycfg

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

func goTool(t *testing.T) string {
	t.Helper()
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		p = "go"
	}
	return p
}

// TestOracleTablesUpToDate regenerates the tables from the stored oracle
// material and compares with the committed file, so that stale tables fail.
func TestOracleTablesUpToDate(t *testing.T) {
	root := testenv.RepoRoot()
	tmp := filepath.Join(t.TempDir(), "zz.go")
	cmd := exec.Command(goTool(t), "run", "./internal/gentables", "-root", root, "-o", tmp)
	cmd.Dir = filepath.Join(root, "pkg", "haproxycfg")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generator failed: %v\n%s", err, out)
	}
	got, err := os.ReadFile(tmp)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(root, "pkg", "haproxycfg", "zz_oracle_tables.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("zz_oracle_tables.go is stale: run go generate ./pkg/haproxycfg")
	}
	if !bytes.HasPrefix(want, []byte("// Code generated ")) || !bytes.Contains(want[:200], []byte("DO NOT EDIT.")) {
		t.Fatal("generated file lacks the Code generated ... DO NOT EDIT. header")
	}
}

// TestManualFactsUpToDate re-extracts the facts from the installed manual.
func TestManualFactsUpToDate(t *testing.T) {
	const manual = "/usr/share/doc/haproxy/configuration.txt.gz"
	if _, err := os.Stat(manual); err != nil {
		testenv.Unavailable(t, "HAProxy 2.6 manual "+manual+" is not installed")
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "testdata", "haproxy", "oracle"), 0o755); err != nil {
		t.Fatal(err)
	}
	repo := testenv.RepoRoot()
	cmd := exec.Command(goTool(t), "run", "./internal/gentables", "-root", root, "-extract-manual", manual)
	cmd.Dir = filepath.Join(repo, "pkg", "haproxycfg")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("extractor failed: %v\n%s", err, out)
	}
	got, _ := os.ReadFile(filepath.Join(root, "testdata", "haproxy", "oracle", "manual-2.6-facts.txt"))
	want, _ := os.ReadFile(filepath.Join(repo, "testdata", "haproxy", "oracle", "manual-2.6-facts.txt"))
	if !bytes.Equal(got, want) {
		t.Fatal("manual-2.6-facts.txt differs from a fresh extraction of " + manual)
	}
}

func TestOracleTablesSpotChecks(t *testing.T) {
	be, ok := oracleFetches["be_conn"]
	if !ok || len(be.Args) != 1 || be.Args[0].Type != "backend" || !be.Args[0].Optional || !be.Args[0].Implicit || be.Out != "sint" {
		t.Errorf("be_conn = %+v", be)
	}
	if f := oracleFetches["req.hdr"]; len(f.Args) != 2 || !f.Args[0].Optional || f.Args[1].Type != "integer" || f.Out != "str" {
		t.Errorf("req.hdr = %+v", f)
	}
	if f := oracleFetches["sc_conn_cnt"]; len(f.Args) != 2 || f.Args[0].Optional || f.Args[0].Type != "integer" || !f.Args[1].Optional || f.Args[1].Type != "table" {
		t.Errorf("sc_conn_cnt = %+v", f)
	}
	if f := oracleFetches["src"]; !fetchAllowedIn(f, fetchUseFeTCPConn|fetchUseLogs) || f.Out != "ipv4" {
		t.Errorf("src = %+v", f)
	}
	if f := oracleFetches["base"]; fetchAllowedIn(f, fetchUseFeTCPConn) || !fetchAllowedIn(f, fetchUseFeHTTPReqHdr) {
		t.Errorf("base = %+v", f)
	}
	if f := oracleFetches["always_true"]; f.Use != fetchUseAll {
		t.Errorf("always_true use = %#x", f.Use)
	}
	if f := oracleFetches["srv_conn"]; len(f.Args) != 1 || f.Args[0].Optional {
		t.Errorf("srv_conn = %+v (a missing server is an error)", f)
	}
	if c := oracleConverters["add_item"]; len(c.Args) != 3 || c.Args[1].Optional || !c.Args[2].Optional || c.In != "str" || c.Out != "str" {
		t.Errorf("add_item = %+v", c)
	}
	if c := oracleConverters["base64"]; len(c.Args) != 0 || c.In != "str" || c.Out != "bin" {
		t.Errorf("base64 = %+v", c)
	}
	if a := oracleACLs["base_beg"]; a.Fetch != "base" || a.Match != "beg" {
		t.Errorf("base_beg = %+v", a)
	}
	if a := oracleACLs["hdr_sub"]; a.Fetch != "req.hdr" || a.Match != "sub" {
		t.Errorf("hdr_sub = %+v", a)
	}

	k := oracleProxyKeywords["default_backend"]
	if !k.Caps.Has(capDefaults|capFrontend|capListen) || k.Caps&capBackend != 0 {
		t.Errorf("default_backend caps = %v", k.Caps)
	}
	for name, want := range map[string]proxyCaps{
		"timeout connect":        capDefaults | capListen | capBackend,
		"timeout client":         capDefaults | capFrontend | capListen,
		"server":                 capListen | capBackend,
		"bind":                   capFrontend | capListen,
		"capture request header": capFrontend | capListen,
		"use_backend":            capFrontend | capListen,
		"http-request":           capDefaults | capFrontend | capListen | capBackend,
		"tcp-response content":   capDefaults | capListen | capBackend,
		"hash-balance-factor":    capDefaults | capBackend, // 4.2 only, not in the matrix
	} {
		if got := oracleProxyKeywords[name].Caps; got != want {
			t.Errorf("%s caps = %v, want %v", name, got, want)
		}
	}
	if !oracleProxyKeywords["http-request"].NamedDefaultsOnly || oracleProxyKeywords["balance"].NamedDefaultsOnly {
		t.Error("(!) marker not parsed")
	}
	if !oracleProxyKeywords["log"].Invertible || !oracleProxyKeywords["transparent"].Deprecated {
		t.Error("(*) or (deprecated) marker not parsed")
	}
	if !oracleProxyKeywords["bind-process"].Deprecated {
		t.Error("bind-process: haproxy warns it is deprecated")
	}
	for _, kw := range []string{"reqadd", "block", "clitimeout", "redispatch", "monitor-net"} {
		if !oracleProxyKeywords[kw].Removed || oracleRemovedKeywords["proxy "+kw] == "" {
			t.Errorf("%s should be a removed keyword with a message", kw)
		}
	}
	if k, ok := lookupProxyKeyword([]string{"timeout", "connect", "5s"}); !ok || k.Name != "timeout connect" {
		t.Errorf("lookupProxyKeyword(timeout connect) = %+v %v", k, ok)
	}
	if k, ok := lookupProxyKeyword([]string{"capture", "request", "header", "Host"}); !ok || k.Name != "capture request header" {
		t.Errorf("lookupProxyKeyword(capture request header) = %+v %v", k, ok)
	}

	o := oracleOptions["httpchk"]
	if !o.Caps.Has(capBackend) || o.Caps&capFrontend != 0 || o.Invertible || o.Registered {
		t.Errorf("option httpchk = %+v", o)
	}
	if o := oracleOptions["http-buffer-request"]; !o.HTTPOnly || !o.Registered || !o.Invertible || o.Caps != capDefaults|capFrontend|capListen|capBackend {
		t.Errorf("option http-buffer-request = %+v", o)
	}
	if o := oracleOptions["dontlognull"]; o.Caps != capDefaults|capFrontend|capListen {
		t.Errorf("option dontlognull = %+v", o)
	}
	if _, ok := oracleOptions["forceclose"]; ok {
		t.Error("forceclose is refused by 2.6, it must not be an option")
	}
	if oracleRemovedKeywords["proxy option forceclose"] == "" {
		t.Error("option forceclose should have its refusal message")
	}

	for _, g := range []string{"maxconn", "daemon", "nbthread", "pidfile", "ulimit-n", "nbproc", "ssl-default-bind-ciphers", "tune.bufsize", "namespace_list", "tune.chksize"} {
		if !oracleGlobalKeywords[g] {
			t.Errorf("global keyword %q missing", g)
		}
	}
	for _, g := range []string{"debug", "wurfl-data-file", "frontend"} {
		if oracleGlobalKeywords[g] {
			t.Errorf("global keyword %q should not be known", g)
		}
	}
	if oracleRemovedKeywords["global nbproc"] == "" {
		t.Error("nbproc refusal missing")
	}

	if n, ok := oracleBindKeywords["crt"]; !ok || n != 1 || !oracleBindSSLKeywords["crt"] {
		t.Errorf("bind crt = %d %v", n, ok)
	}
	if n, ok := oracleBindKeywords["accept-proxy"]; !ok || n != 0 {
		t.Errorf("bind accept-proxy = %d %v", n, ok)
	}
	if _, ok := oracleBindKeywords["ssl"]; !ok || !oracleBindManualOnly["ssl"] {
		t.Error("bind ssl: documented and accepted, but not listed by -dK")
	}
	if _, ok := oracleBindKeywords["quic-cc-algo"]; ok {
		t.Error("quic-cc-algo is unknown to this build")
	}
	if n := oracleServerKeywords["check"]; n != 0 {
		t.Errorf("server check args = %d", n)
	}
	if n := oracleServerKeywords["weight"]; n != 1 {
		t.Errorf("server weight args = %d", n)
	}
	if n := oracleServerKeywords["source"]; n != -1 {
		t.Errorf("server source args = %d", n)
	}
	if _, ok := oracleServerKeywords["no-verifyhost"]; ok {
		t.Error("no-verifyhost is documented but refused by haproxy 2.6.12")
	}

	a, ok := lookupAction("http-request", "set-header")
	if !ok || a.Syntax != "set-header <name> <fmt>" || !a.Cond || a.MinWords != 2 || !a.Registered {
		t.Errorf("http-request set-header = %+v", a)
	}
	if a, ok := lookupAction("http-request", "set-map(f.map)"); !ok || a.MinWords != 2 {
		t.Errorf("http-request set-map = %+v %v", a, ok)
	}
	if a, ok := lookupAction("http-request", "set-var(txn.foo)"); !ok || a.Name != "set-var" || !a.Prefix || a.MinWords != 1 {
		t.Errorf("http-request set-var(txn.foo) = %+v %v", a, ok)
	}
	if a, ok := lookupAction("tcp-request connection", "track-sc1"); !ok || !a.Prefix || a.Registered {
		t.Errorf("tcp-request connection track-sc1 = %+v %v", a, ok)
	}
	if a, ok := lookupAction("tcp-request connection", "expect-proxy"); !ok || a.Syntax != "expect-proxy layer4" {
		t.Errorf("tcp-request connection expect-proxy = %+v %v", a, ok)
	}
	if a, ok := lookupAction("http-request", "ot-group"); !ok || a.Syntax != "" || !a.Registered {
		t.Errorf("http-request ot-group = %+v %v", a, ok)
	}
	if _, ok := lookupAction("http-after-response", "deny"); ok {
		t.Error("http-after-response has no deny")
	}
	for _, rs := range []string{"http-request", "http-response", "http-after-response", "tcp-request connection", "tcp-request session", "tcp-request content", "tcp-response content"} {
		if len(actionNames(rs)) < 10 {
			t.Errorf("%s: only %v", rs, actionNames(rs))
		}
	}

	if d := oraclePredefinedACLs["HTTP_1.1"]; d != "req.ver 1.1" {
		t.Errorf("HTTP_1.1 = %q", d)
	}
	if d := oraclePredefinedACLs["METH_GET"]; d != "method GET HEAD" {
		t.Errorf("METH_GET = %q", d)
	}
	if len(oraclePredefinedACLs) != 22 {
		t.Errorf("%d predefined ACLs", len(oraclePredefinedACLs))
	}
	for sec, kws := range map[string][]string{
		"userlist":    {"group", "user"},
		"peers":       {"peer", "table", "bind"},
		"mailers":     {"mailer", "timeout mail"},
		"resolvers":   {"nameserver", "hold", "parse-resolv-conf"},
		"cache":       {"total-max-size", "max-age"},
		"program":     {"command"},
		"ring":        {"size", "format"},
		"http-errors": {"errorfile"},
		"crt-list":    {"alpn", "verify"},
	} {
		have := oracleSectionKeywords[sec]
		for _, k := range kws {
			if i := sort.SearchStrings(have, k); i >= len(have) || have[i] != k {
				t.Errorf("section %s lacks %q (has %v)", sec, k, have)
			}
		}
	}
	if oracleFilters["compression"] != "COMP" || !oracleServices["prometheus-exporter"] || len(oracleCLIKeywords) < 50 {
		t.Error("filters, services or CLI keywords missing")
	}
}

// runHaproxy checks cfg with the oracle and returns its messages without
// the "[SEV] (pid) : config : " prefixes.
func runHaproxy(t *testing.T, bin, cfg string) []string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "t.cfg")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(bin, "-c", "-f", p).CombinedOutput()
	pfx := regexp.MustCompile(`^\[(ALERT|WARNING|NOTICE)\] +\(\d+\) : (?:config : )?`)
	var msgs []string
	for _, l := range strings.Split(string(out), "\n") {
		if m := pfx.FindStringSubmatch(l); m != nil {
			msgs = append(msgs, m[1]+" "+strings.ReplaceAll(l[len(m[0]):], p, "F"))
		}
	}
	return msgs
}

const testDefaults = "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"

// TestOracleTablesAgainstBinary checks facts of the tables with haproxy.
func TestOracleTablesAgainstBinary(t *testing.T) {
	bin := testenv.Oracle(t, "haproxy")

	// Every global keyword is recognised (no "unknown keyword").
	var globals []string
	for k := range oracleGlobalKeywords {
		globals = append(globals, k)
	}
	sort.Strings(globals)
	for s := 0; s < len(globals); s += 40 {
		e := min(s+40, len(globals))
		msgs := runHaproxy(t, bin, "global\n  "+strings.Join(globals[s:e], "\n  ")+"\n")
		for _, m := range msgs {
			if strings.Contains(m, "unknown keyword") {
				t.Errorf("haproxy does not know a table global keyword: %s", m)
			}
		}
	}

	// Removed keywords are refused with exactly the recorded message.
	keys := make([]string, 0, len(oracleRemovedKeywords))
	for k := range oracleRemovedKeywords {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, sec := range []string{"global", "proxy"} {
		cfg, first := "global\n", 2
		if sec == "proxy" {
			cfg, first = testDefaults+"listen l\n", 7
		}
		var want []string
		for _, k := range keys {
			if words, ok := strings.CutPrefix(k, sec+" "); ok {
				cfg += "  " + words + "\n"
				want = append(want, oracleRemovedKeywords[k])
			}
		}
		msgs := strings.Join(runHaproxy(t, bin, cfg), "\n")
		for i, w := range want {
			line := fmt.Sprintf("[F:%d]", first+i)
			if !strings.Contains(msgs, line+" : "+w) && !strings.Contains(msgs, line+": "+w) {
				t.Errorf("line %d: want alert %q in\n%s", first+i, w, msgs)
			}
		}
	}

	// Wrong-section keywords and options.
	cfg := testDefaults + "frontend f\n  bind 127.0.0.1:8000\n  balance roundrobin\n  option httpchk\n  default_backend b\n" +
		"backend b\n  default_backend b\n  option dontlognull\n"
	msgs := strings.Join(runHaproxy(t, bin, cfg), "\n")
	for _, want := range []string{
		"WARNING parsing [F:8] : 'balance' ignored because frontend 'f' has no backend capability.",
		"WARNING parsing [F:9] : 'httpchk' ignored because frontend 'f' has no backend capability.",
		"WARNING parsing [F:12] : 'default_backend' ignored because backend 'b' has no frontend capability.",
		"WARNING parsing [F:13] : 'dontlognull' ignored because backend 'b' has no frontend capability.",
	} {
		if !strings.Contains(msgs, want) {
			t.Errorf("missing %q in\n%s", want, msgs)
		}
	}
	if oracleProxyKeywords["balance"].Caps&capFrontend != 0 || oracleOptions["httpchk"].Caps&capFrontend != 0 ||
		oracleProxyKeywords["default_backend"].Caps&capBackend != 0 || oracleOptions["dontlognull"].Caps&capBackend != 0 {
		t.Error("tables disagree with haproxy's capability warnings")
	}

	// Unknown option, bind and server keywords.
	cfg = testDefaults + "listen l\n  option nosuchopt\n  bind 127.0.0.1:8000 nosuchbindopt\n  server s 127.0.0.1:80 chekc\n"
	msgs = strings.Join(runHaproxy(t, bin, cfg), "\n")
	for _, want := range []string{
		"ALERT parsing [F:7] : unknown option 'nosuchopt'.",
		"ALERT parsing [F:8] : 'bind 127.0.0.1:8000' in section 'listen': unknown keyword 'nosuchbindopt'.",
		"ALERT [F:9] : 'server l/s' : unknown keyword 'chekc'; did you mean 'check' maybe ?",
	} {
		if !strings.Contains(msgs, want) {
			t.Errorf("missing %q in\n%s", want, msgs)
		}
	}
	if _, ok := oracleOptions["nosuchopt"]; ok {
		t.Error("nosuchopt in tables")
	}

	// A sample of fetches: those the tables say need no argument are
	// accepted bare in an http-request rule of a listen section.
	n := 0
	for _, name := range []string{"src", "be_conn", "path", "req.hdr", "always_true", "fe_conn", "table_cnt", "url_param"} {
		f := oracleFetches[name]
		if len(f.Args) > 0 && !f.Args[0].Optional {
			t.Errorf("%s: first argument should be optional", name)
		}
		n++
		cfg := testDefaults + "listen l\n  stick-table type ip size 1\n  http-request set-var(txn.x) " + name + "\n"
		for _, m := range runHaproxy(t, bin, cfg) {
			if strings.HasPrefix(m, "ALERT") {
				t.Errorf("%s: %s", name, m)
			}
		}
	}
	if n == 0 {
		t.Fatal("no fetch checked")
	}

	// Actions whose manual syntax omits the condition accept one.
	cfg = testDefaults + "resolvers r\n  nameserver n 127.0.0.1:53\nbackend b\n" +
		"  http-response set-map(/dev/null) a b if TRUE\n" +
		"  tcp-request content do-resolve(txn.x,r) src if TRUE\n" +
		"  tcp-response content sc-set-gpt0(0) 1 if TRUE\n"
	for _, m := range runHaproxy(t, bin, cfg) {
		if strings.HasPrefix(m, "ALERT") {
			t.Errorf("condition refused: %s", m)
		}
	}
	for _, a := range []struct{ rs, name string }{{"http-response", "set-map"}, {"tcp-request content", "do-resolve"}, {"tcp-response content", "sc-set-gpt0"}} {
		if x, _ := lookupAction(a.rs, a.name); !x.Cond {
			t.Errorf("%s %s: Cond should be set", a.rs, a.name)
		}
	}
}

// TestSectionDiagnosticsGolden keeps the record of how haproxy reacts to
// keywords in the wrong section, deprecated and removed keywords, unknown
// options and unknown bind/server options
// (testdata/haproxy/oracle/section-diagnostics.{cfg,txt}) true to the binary.
func TestSectionDiagnosticsGolden(t *testing.T) {
	bin := testenv.Oracle(t, "haproxy")
	dir := filepath.Join(testenv.RepoRoot(), "testdata", "haproxy", "oracle")
	want, err := os.ReadFile(filepath.Join(dir, "section-diagnostics.txt"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", "-f", "section-diagnostics.cfg")
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput()
	pfx := regexp.MustCompile(`^\[(ALERT|WARNING)\] +\(\d+\) : `)
	var got []string
	for _, l := range strings.Split(string(out), "\n") {
		if m := pfx.FindStringSubmatch(l); m != nil {
			got = append(got, "["+m[1]+"] "+l[len(m[0]):])
		}
	}
	var wantLines []string
	for _, l := range strings.Split(strings.TrimSpace(string(want)), "\n") {
		if !strings.HasPrefix(l, "#") {
			wantLines = append(wantLines, l)
		}
	}
	if strings.Join(got, "\n") != strings.Join(wantLines, "\n") {
		t.Errorf("haproxy output differs from section-diagnostics.txt:\n%s", strings.Join(got, "\n"))
	}
}

func TestUnknownKeywordMessages(t *testing.T) {
	for place, want := range map[string]string{
		"global":         "parsing [{file}:{line}] : unknown keyword '{kw}' in 'global' section",
		"backend":        "parsing [{file}:{line}] : unknown keyword '{kw}' in 'backend' section",
		"option":         "parsing [{file}:{line}] : unknown option '{kw}'.",
		"server":         "[{file}:{line}] : 'server b/s' : unknown keyword '{kw}'.",
		"out-of-section": "parsing [{file}:{line}]: unknown keyword '{kw}' out of section.",
		"userlist":       "parsing [{file}:{line}]: unknown keyword '{kw}' in 'users' section",
	} {
		if got := oracleUnknownKeywordMessages[place]; got != want {
			t.Errorf("%s: %q, want %q", place, got, want)
		}
	}
	if len(oracleUnknownKeywordMessages) < 19 {
		t.Errorf("only %d places", len(oracleUnknownKeywordMessages))
	}
}

// TestSectionKeywordsAgainstBinary checks that haproxy knows every keyword
// of the non-proxy sections.
func TestSectionKeywordsAgainstBinary(t *testing.T) {
	bin := testenv.Oracle(t, "haproxy")
	for sec, kws := range oracleSectionKeywords {
		if sec == "crt-list" {
			continue // crt-list options live in crt-list files, not haproxy.cfg
		}
		// All keywords at once: lines after one that stops the parsing go
		// unchecked, which only loses coverage.
		for _, m := range runHaproxy(t, bin, sec+" s\n  "+strings.Join(kws, "\n  ")+"\n") {
			if strings.Contains(m, "unknown keyword") || strings.Contains(m, "unknown statement") {
				t.Errorf("%s: %s", sec, m)
			}
		}
	}
}
