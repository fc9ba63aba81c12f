package stats

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logsink/oracletest"
)

// liveListener accepts and closes TCP connections on a free loopback
// port until the end of the test: a server that passes TCP checks.
func liveListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

// httpGet sends one HTTP/1.1 request and returns the status line, the
// header block and the (de-chunked) body.
func httpGet(t *testing.T, addr, method, uri string) (status, header, body string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(15 * time.Second))
	fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", method, uri)
	b, _ := io.ReadAll(c)
	s := string(b)
	i := strings.Index(s, "\r\n\r\n")
	if i < 0 {
		t.Fatalf("%s %s: bad answer %q", method, uri, s)
	}
	head, body := s[:i], s[i+4:]
	status, header, _ = strings.Cut(head, "\r\n")
	if strings.Contains(strings.ToLower(header), "transfer-encoding: chunked") {
		body = dechunk(body)
	}
	return status, header, body
}

// promExact lists the metrics whose values must be the same for the same
// idle configuration; the other numbers are live counters, times or
// memory figures and are compared as placeholders. NaN (an empty field)
// and every state="..." sample always compare exactly.
var promExact = map[string]bool{
	"haproxy_process_nbthread": true, "haproxy_process_nbproc": true, "haproxy_process_relative_process_id": true,
	"haproxy_process_max_fds": true, "haproxy_process_max_sockets": true, "haproxy_process_max_connections": true,
	"haproxy_process_hard_max_connections": true, "haproxy_process_max_ssl_connections": true,
	"haproxy_process_max_pipes": true, "haproxy_process_limit_connection_rate": true,
	"haproxy_process_limit_session_rate": true, "haproxy_process_limit_ssl_rate": true,
	"haproxy_process_limit_http_comp": true, "haproxy_process_stopping": true,
	"haproxy_process_unstoppable_jobs": true, "haproxy_process_busy_polling_enabled": true,
	"haproxy_process_max_memory_bytes": true, "haproxy_process_build_info": true,
	"haproxy_frontend_limit_sessions": true, "haproxy_frontend_limit_session_rate": true,
	"haproxy_backend_limit_sessions": true, "haproxy_backend_weight": true, "haproxy_backend_uweight": true,
	"haproxy_backend_active_servers": true, "haproxy_backend_backup_servers": true,
	"haproxy_server_limit_sessions": true, "haproxy_server_weight": true, "haproxy_server_uweight": true,
	"haproxy_server_queue_limit": true, "haproxy_server_current_throttle": true,
	"haproxy_server_idle_connections_limit": true, "haproxy_server_check_code": true,
	"haproxy_server_check_failures_total": true, "haproxy_server_check_up_down_total": true,
	"haproxy_backend_check_up_down_total": true, "haproxy_server_last_session_seconds": true,
	"haproxy_backend_last_session_seconds": true, "haproxy_listener_limit_sessions": true,
	"haproxy_sticktable_size": true,
}

var promSampleRE = regexp.MustCompile(`^([a-z_]+)(\{[^}]*\})? (.*)$`)

// promNormalize replaces the values that differ between two idle
// processes by "N".
func promNormalize(body string) []string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		m := promSampleRE.FindStringSubmatch(l)
		if strings.HasPrefix(l, "#") || m == nil || m[3] == "NaN" || promExact[m[1]] || strings.Contains(m[2], `state="`) {
			out = append(out, l)
			continue
		}
		out = append(out, m[1]+m[2]+" N")
	}
	return out
}

// TestOraclePrometheus runs haproxy 2.6's Prometheus exporter and compares
// its /metrics, for several query strings, with ours from the snapshot of
// the same configuration: a tcp and an http frontend, an http backend
// with a checked server (up) and a disabled one, a tcp backend with
// limits and a backend without servers.
func TestOraclePrometheus(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "stats.sock")
	prom := testenv.FreeLoopbackAddr(t)
	ft := testenv.FreeLoopbackAddr(t)
	live := liveListener(t)
	cfg := fmt.Sprintf(`global
    stats socket %s level admin
defaults
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend prom
    mode http
    bind %s
    http-request use-service prometheus-exporter if { path /metrics }
    default_backend bk
frontend ft
    mode tcp
    bind %s
    maxconn 77
    rate-limit sessions 9
    default_backend bt
backend bk
    mode http
    server s1 %s check inter 500
    server s2 127.0.0.1:1 disabled
backend bt
    mode tcp
    server t1 %s maxconn 10 maxqueue 5 weight 7
    server t2 %s backup
backend bempty
    mode http
`, sock, prom, ft, live, live, live)
	oracletest.HAProxy(t, cfg, prom)
	// The first check result sets s1's check status.
	var csv string
	if !testenv.WaitFor(15*time.Second, func() bool {
		csv = cli(t, sock, "show stat")
		return strings.Contains(csv, "bk,s1,") && csvField(t, csv, "bk", "s1", "check_status") == "L4OK"
	}) {
		t.Fatalf("s1's check does not pass:\n%s", csv)
	}
	snap := promSnapshot(t, dir, cfg, sock, csv, func(p *Proxy, sv *Server) {
		if sv.Name == "s1" {
			sv.Status = "UP"
			sv.Check = &Check{Status: "L4OK", Code: -1, Duration: atoi64(csvField(t, csv, "bk", "s1", "check_duration")),
				Desc: "Layer4 check passed", Rise: 2, Fall: 3, Health: 4}
		}
	})
	promCompare(t, prom, &snap, "", "scope=server&no-maint", "scope=backend&scope=global", "scope=", "scope=*",
		"scope=frontend&scope=&scope=server", "no-maint", "scope=glo%62al", "scope=%2A",
		"foo=bar&scope=backend&x", "scope=listener&scope=sticktable", "scope=server&no-maint=0")
	// Queries haproxy refuses with a 400.
	for _, query := range []string{"scope=bogus", "scope", "a=b=c", "scope=global&scope=%zz", "scope=Global"} {
		status, _, _ := httpGet(t, prom, "GET", "/metrics?"+query)
		if status != "HTTP/1.1 400 Bad request" {
			t.Errorf("?%s: haproxy answered %q, expected a 400", query, status)
		}
		if !ParsePromQuery(query).Invalid {
			t.Errorf("?%s: we accept the query haproxy refuses", query)
		}
	}
}

// promSnapshot builds our snapshot of the configuration haproxy runs, with
// the values a runtime would give it taken from haproxy's "show stat"
// (csv) and "show info typed": last changes, limits FromConfig leaves out,
// and, through fix, the servers' states and checks.
func promSnapshot(t *testing.T, dir, cfg, sock, csv string, fix func(*Proxy, *Server)) Snapshot {
	t.Helper()
	infoTyped := cli(t, sock, "show info typed")
	// Our parser does not take "use-service" yet (the HTTP engine will
	// wire the exporter); the proxies are the same without that rule.
	ours := strings.Replace(cfg, "    http-request use-service prometheus-exporter if { path /metrics }\n", "", 1)
	cfgPath := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfgPath, []byte(ours), 0o644); err != nil {
		t.Fatal(err)
	}
	parsed, diags, err := haproxycfg.Load([]string{cfgPath}, haproxycfg.Options{})
	if err != nil || diags.HasAlerts() {
		t.Fatalf("our parser: %v %v", err, diags)
	}
	snap := FromConfig(parsed, int(atoi64(csvField(t, csv, "prom", "FRONTEND", "slim"))))
	for pi := range snap.Proxies {
		p := &snap.Proxies[pi]
		if p.Frontend {
			// FromConfig leaves "rate-limit sessions" out.
			p.FE.RateLimit = atoi64(csvField(t, csv, p.Name, "FRONTEND", "rate_lim"))
		}
		if p.Backend {
			p.LastChange = atoi64(csvField(t, csv, p.Name, "BACKEND", "lastchg"))
			p.ChkDown = atoi64(csvField(t, csv, p.Name, "BACKEND", "chkdown"))
		}
		for si := range p.Servers {
			sv := &p.Servers[si]
			sv.LastChange = atoi64(csvField(t, csv, p.Name, sv.Name, "lastchg"))
			// FromConfig leaves the servers' maxconn out.
			sv.Limit = atoi64(csvField(t, csv, p.Name, sv.Name, "slim"))
			fix(p, sv)
		}
	}
	for _, l := range strings.Split(infoTyped, "\n") {
		parts := strings.SplitN(l, ":", 4)
		if len(parts) != 4 {
			continue
		}
		name := strings.TrimSuffix(parts[0][strings.IndexByte(parts[0], '.')+1:], ".1")
		v := Str(parts[3])
		if parts[2] != "str" {
			v = Num(atoi64(parts[3]))
		}
		snap.Info.Set(name, v)
	}
	return snap
}

// promCompare fetches haproxy's /metrics?QUERY on addr for each query and
// compares it with ours, values normalized by promNormalize.
func promCompare(t *testing.T, addr string, snap *Snapshot, queries ...string) {
	t.Helper()
	for _, query := range queries {
		uri := "/metrics"
		if query != "" {
			uri += "?" + query
		}
		status, header, got := httpGet(t, addr, "GET", uri)
		if status != "HTTP/1.1 200 OK" || !strings.Contains(header, "content-type: "+PromContentType) {
			t.Errorf("%s: haproxy answered %s\n%s", uri, status, header)
			continue
		}
		q := ParsePromQuery(query)
		if q.Invalid {
			t.Errorf("%s: we find the query invalid", uri)
			continue
		}
		want := string(AppendPrometheus(nil, snap, q))
		g, w := promNormalize(got), promNormalize(want)
		if len(g) != len(w) {
			t.Errorf("%s: haproxy printed %d lines, we print %d", uri, len(g), len(w))
		}
		bad := 0
		for i := 0; i < len(g) || i < len(w); i++ {
			if at(g, i) != at(w, i) {
				t.Errorf("%s line %d:\nhaproxy: %s\nours:    %s", uri, i+1, at(g, i), at(w, i))
				if bad++; bad > 10 {
					break
				}
			}
		}
	}
}

// checkHTTP answers health checks on a free loopback port until the end
// of the test: 200 for /ok, 503 for anything else.
func checkHTTP(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				buf := make([]byte, 4096)
				n, _ := c.Read(buf)
				status := "503 Service Unavailable"
				if strings.HasPrefix(string(buf[:n]), "GET /ok ") {
					status = "200 OK"
				}
				fmt.Fprintf(c, "HTTP/1.0 %s\r\nContent-Length: 0\r\n\r\n", status)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

// TestOraclePrometheusStates compares the state metrics with haproxy's
// for servers in every state: UP after a passing HTTP check (L7OK, code
// 200), DOWN after a 503 (L7STS) and after a refused connection (L4CON),
// DRAIN and MAINT set on the CLI (the MAINT one keeps its last check
// result for agg_check_status and check_duration, but its check is
// paused), disabled with a check that never ran, a backup without check,
// and a listen section.
func TestOraclePrometheusStates(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "stats.sock")
	prom := testenv.FreeLoopbackAddr(t)
	lst := testenv.FreeLoopbackAddr(t)
	live := liveListener(t)
	web := checkHTTP(t)
	cfg := fmt.Sprintf(`global
    stats socket %s level admin
defaults
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 2s
frontend prom
    mode http
    bind %s
    http-request use-service prometheus-exporter if { path /metrics }
    default_backend bok
backend bok
    mode http
    option httpchk GET /ok
    server ok %s check inter 300 rise 1 fall 1
backend bbad
    mode http
    option httpchk GET /bad
    server sts %s check inter 300 rise 1 fall 1
    server refused 127.0.0.1:1 check inter 300 rise 1 fall 1
backend btcp
    mode tcp
    server d1 %s check inter 300 rise 1 fall 1 weight 5
    server m1 %s check inter 300 rise 1 fall 1
    server dc %s check disabled
    server b1 %s backup
listen l1
    mode tcp
    bind %s
    server x1 %s
`, sock, prom, web, web, live, live, live, live, lst, live)
	oracletest.HAProxy(t, cfg, prom)
	var csv string
	checked := func(px, sv, want string) bool {
		return strings.Contains(csv, px+","+sv+",") && csvField(t, csv, px, sv, "check_status") == want
	}
	if !testenv.WaitFor(20*time.Second, func() bool {
		csv = cli(t, sock, "show stat")
		return checked("bok", "ok", "L7OK") && checked("bbad", "sts", "L7STS") && checked("bbad", "refused", "L4CON") &&
			checked("btcp", "d1", "L4OK") && checked("btcp", "m1", "L4OK")
	}) {
		t.Fatalf("the checks do not settle:\n%s", csv)
	}
	m1Duration := atoi64(csvField(t, csv, "btcp", "m1", "check_duration"))
	for _, cmd := range []string{"set server btcp/d1 state drain", "set server btcp/m1 state maint"} {
		if out := cli(t, sock, cmd); strings.TrimSpace(out) != "" {
			t.Fatalf("%s: %s", cmd, out)
		}
	}
	csv = cli(t, sock, "show stat")
	snap := promSnapshot(t, dir, cfg, sock, csv, func(p *Proxy, sv *Server) {
		sv.Status = csvField(t, csv, p.Name, sv.Name, "status")
		sv.CheckFail = atoi64(csvField(t, csv, p.Name, sv.Name, "chkfail"))
		sv.CheckDown = atoi64(csvField(t, csv, p.Name, sv.Name, "chkdown"))
		st := csvField(t, csv, p.Name, sv.Name, "check_status")
		switch {
		case st != "":
			code := int64(-1)
			if c := csvField(t, csv, p.Name, sv.Name, "check_code"); c != "" {
				code = atoi64(c)
			}
			sv.Check = &Check{Status: st, Code: code, Duration: atoi64(csvField(t, csv, p.Name, sv.Name, "check_duration"))}
		case sv.Name == "m1":
			// paused by the maintenance: the runtime keeps the last result
			sv.Check = &Check{Status: "L4OK", Code: -1, Duration: m1Duration}
		case sv.Name == "dc":
			sv.Check = &Check{Status: "INI", Code: -1, Duration: -1}
		}
	})
	for _, want := range []struct{ sv, status string }{{"d1", "DRAIN"}, {"m1", "MAINT"}, {"dc", "MAINT"}, {"sts", "DOWN"}, {"ok", "UP"}, {"b1", "no check"}} {
		for _, p := range snap.Proxies {
			for _, sv := range p.Servers {
				if sv.Name == want.sv && sv.Status != want.status {
					t.Fatalf("%s is %q, expected %q:\n%s", sv.Name, sv.Status, want.status, csv)
				}
			}
		}
	}
	promCompare(t, prom, &snap, "", "scope=server&scope=backend&no-maint")
	if s := string(AppendPrometheus(nil, &snap, ParsePromQuery("scope=backend"))); !strings.Contains(s,
		`haproxy_backend_agg_check_status{proxy="btcp",state="L4OK"} 2`) {
		t.Errorf("agg_check_status does not count the paused check:\n%s", s)
	}
}

// promTestdataSnapshot builds the snapshot of testdata/prometheus_haproxy.cfg
// in the states haproxy 2.6 had when it printed
// testdata/prometheus_haproxy.txt: d1 set to DRAIN and m1 to MAINT on the
// CLI, ok passing its HTTP check, sts failing with a 503, refused with a
// refused connection.
func promTestdataSnapshot(t *testing.T) Snapshot {
	t.Helper()
	b, err := os.ReadFile("testdata/prometheus_haproxy.cfg")
	if err != nil {
		t.Fatal(err)
	}
	ours := strings.Replace(string(b), "    http-request use-service prometheus-exporter if { path /metrics }\n", "", 1)
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(ours), 0o644); err != nil {
		t.Fatal(err)
	}
	parsed, diags, err := haproxycfg.Load([]string{path}, haproxycfg.Options{})
	if err != nil || diags.HasAlerts() {
		t.Fatalf("our parser: %v %v", err, diags)
	}
	snap := FromConfig(parsed, 9982)
	snap.Info = BuildInfo(InfoParams{Version: "2.6.12-1+deb12u4", Nbthread: 2, UlimitN: 20000, Maxsock: 20000, Maxconn: 9982, HardMaxconn: 9982})
	for pi := range snap.Proxies {
		p := &snap.Proxies[pi]
		if p.Name == "ft" {
			p.FE.RateLimit = 9
		}
		for si := range p.Servers {
			sv := &p.Servers[si]
			switch sv.Name {
			case "ok":
				sv.Status = "UP"
				sv.Check = &Check{Status: "L7OK", Code: 200, Duration: 4}
			case "sts":
				sv.Status, sv.CheckFail, sv.CheckDown = "DOWN", 1, 1
				sv.Check = &Check{Status: "L7STS", Code: 503, Duration: 0}
			case "refused":
				sv.Status, sv.CheckFail, sv.CheckDown = "DOWN", 1, 1
				sv.Check = &Check{Status: "L4CON", Code: -1, Duration: 0}
			case "d1":
				sv.Status = "DRAIN"
				sv.Check = &Check{Status: "L4OK", Code: -1, Duration: 0}
			case "m1":
				// entering maintenance counts as a transition to DOWN
				sv.Status, sv.CheckDown = "MAINT", 1
				sv.Check = &Check{Status: "L4OK", Code: -1, Duration: 0}
			case "dc":
				sv.Check = &Check{Status: "INI", Code: -1, Duration: -1}
			case "b1":
				sv.Limit = 10
			}
		}
		if p.Name == "bbad" {
			p.ChkDown = 1
		}
	}
	return snap
}

// TestPrometheusTestdata compares our exposition with what haproxy 2.6
// printed for the same configuration and states (testdata), values
// normalized as in the side-by-side tests; no root needed.
func TestPrometheusTestdata(t *testing.T) {
	snap := promTestdataSnapshot(t)
	for _, c := range []struct{ file, query string }{
		{"testdata/prometheus_haproxy.txt", ""},
		{"testdata/prometheus_haproxy_nomaint.txt", "scope=server&no-maint"},
	} {
		b, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		g := promNormalize(string(b))
		w := promNormalize(string(AppendPrometheus(nil, &snap, ParsePromQuery(c.query))))
		if len(g) != len(w) {
			t.Errorf("%s: haproxy printed %d lines, we print %d", c.file, len(g), len(w))
		}
		bad := 0
		for i := 0; i < len(g) || i < len(w); i++ {
			if at(g, i) != at(w, i) {
				t.Errorf("%s line %d:\nhaproxy: %s\nours:    %s", c.file, i+1, at(g, i), at(w, i))
				if bad++; bad > 10 {
					break
				}
			}
		}
	}
}

func TestParsePromQuery(t *testing.T) {
	all := PromScopeAll
	for _, c := range []struct {
		in   string
		want PromQuery
	}{
		{"", PromQuery{Scopes: all}},
		{"no-maint", PromQuery{Scopes: all, NoMaint: true}},
		{"no-maint=whatever", PromQuery{Scopes: all, NoMaint: true}},
		{"scope=global", PromQuery{Scopes: PromScopeGlobal}},
		{"scope=server&scope=backend", PromQuery{Scopes: PromScopeServer | PromScopeBackend}},
		{"scope=frontend&scope=listener&scope=sticktable", PromQuery{Scopes: PromScopeFrontend | PromScopeListener | PromScopeStickTable}},
		{"scope=", PromQuery{}},
		{"scope=global&scope=", PromQuery{}},
		{"scope=&scope=global", PromQuery{Scopes: PromScopeGlobal}},
		{"scope=*", PromQuery{Scopes: all}},
		{"scope=*anything", PromQuery{Scopes: all}},
		{"scope=%2a", PromQuery{Scopes: all}},
		{"sc%6Fpe=b%61ckend", PromQuery{Scopes: PromScopeBackend}},
		{"scope=global%00junk", PromQuery{Scopes: PromScopeGlobal}},
		{"scope=global#scope=server", PromQuery{Scopes: PromScopeGlobal}},
		{"#scope=server", PromQuery{Scopes: all}},
		{"x=1&&y&scope=server&", PromQuery{Scopes: PromScopeServer}},
		{"other=%zz", PromQuery{Invalid: true}},
		{"scope=glob+al", PromQuery{Invalid: true}},
		{"scope", PromQuery{Invalid: true}},
		{"scope&scope=global", PromQuery{Invalid: true}},
		{"scope=Global", PromQuery{Invalid: true}},
		{"scope=global=1", PromQuery{Invalid: true}},
		{"x=1=2&scope=global", PromQuery{Invalid: true}},
		{"scope=%4", PromQuery{Invalid: true}},
		{"scope=global&no-maint&scope=bogus", PromQuery{Invalid: true}},
	} {
		if got := ParsePromQuery(c.in); got != c.want {
			t.Errorf("ParsePromQuery(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

// TestPrometheusScopes checks what each scope prints and the rules that do
// not depend on values: families in order, HELP and TYPE once per family,
// http-only families for http proxies only, no-maint, empty families left
// out.
func TestPrometheusScopes(t *testing.T) {
	snap := promTestdataSnapshot(t)
	families := func(out string) []string {
		var f []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "# TYPE ") {
				f = append(f, strings.Fields(l)[2])
			}
		}
		return f
	}
	count := func(out, prefix string) int {
		n := 0
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, prefix) {
				n++
			}
		}
		return n
	}
	full := string(AppendPrometheus(nil, &snap, ParsePromQuery("")))
	fams := families(full)
	if len(fams) != 187 {
		t.Errorf("%d families, haproxy 2.6 prints 187 for this configuration", len(fams))
	}
	seen := map[string]bool{}
	for _, f := range fams {
		if seen[f] {
			t.Errorf("family %s printed twice", f)
		}
		seen[f] = true
	}
	for _, c := range []struct {
		query    string
		prefixes map[string]int // metric prefix -> families
	}{
		{"scope=global", map[string]int{"haproxy_process_": 60}},
		{"scope=frontend", map[string]int{"haproxy_frontend_": 28}},
		{"scope=backend", map[string]int{"haproxy_backend_": 50}},
		{"scope=server", map[string]int{"haproxy_server_": 49}},
		{"scope=server&scope=global", map[string]int{"haproxy_server_": 49, "haproxy_process_": 60}},
		{"scope=listener&scope=sticktable", map[string]int{}},
		{"scope=", map[string]int{}},
	} {
		out := string(AppendPrometheus(nil, &snap, ParsePromQuery(c.query)))
		got := map[string]int{}
		for _, f := range families(out) {
			p := f[:strings.IndexByte(f[len("haproxy_"):], '_')+len("haproxy_")+1]
			got[p]++
		}
		if fmt.Sprint(got) != fmt.Sprint(c.prefixes) {
			t.Errorf("?%s: families %v, want %v", c.query, got, c.prefixes)
		}
		// The same families, in the same order, as in the full output.
		var sub []string
		for _, f := range fams {
			if got[f[:strings.IndexByte(f[len("haproxy_"):], '_')+len("haproxy_")+1]] > 0 {
				sub = append(sub, f)
			}
		}
		if strings.Join(families(out), ",") != strings.Join(sub, ",") {
			t.Errorf("?%s: families out of order", c.query)
		}
	}
	// http_responses_total: one header, all proxies per code class.
	if n := count(full, "# HELP haproxy_frontend_http_responses_total "); n != 1 {
		t.Errorf("%d HELP lines for haproxy_frontend_http_responses_total", n)
	}
	if !strings.Contains(full, "haproxy_frontend_http_responses_total{proxy=\"prom\",code=\"1xx\"} 0\nhaproxy_frontend_http_responses_total{proxy=\"prom\",code=\"2xx\"} 0\n") {
		t.Errorf("frontend http_responses_total not grouped by code class")
	}
	if !strings.Contains(full, "haproxy_server_http_responses_total{proxy=\"bok\",server=\"ok\",code=\"5xx\"} 0\nhaproxy_server_http_responses_total{proxy=\"bbad\",server=\"sts\",code=\"5xx\"} 0\n") {
		t.Errorf("server http_responses_total not grouped by code class")
	}
	// tcp proxies have no http metrics
	for _, l := range []string{`haproxy_frontend_http_requests_total{proxy="ft"}`, `haproxy_backend_http_requests_total{proxy="btcp"}`,
		`haproxy_server_http_responses_total{proxy="btcp"`, `haproxy_frontend_intercepted_requests_total{proxy="l1"}`} {
		if strings.Contains(full, l) {
			t.Errorf("%s printed for a tcp proxy", l)
		}
	}
	// a backend without servers has no aggregated states
	if strings.Contains(full, `haproxy_backend_agg_server_status{proxy="bempty"`) {
		t.Errorf("aggregated states for a backend without servers")
	}
	// no-maint: servers in maintenance disappear from the server metrics only
	nm := string(AppendPrometheus(nil, &snap, ParsePromQuery("no-maint")))
	if strings.Contains(nm, `server="m1"`) || strings.Contains(nm, `server="dc"`) || !strings.Contains(nm, `server="d1"`) {
		t.Errorf("no-maint keeps servers in maintenance or drops others")
	}
	if !strings.Contains(nm, `haproxy_backend_agg_server_status{proxy="btcp",state="MAINT"} 2`) {
		t.Errorf("no-maint changes the backends' aggregated states")
	}
	// values: seconds with 6 decimals, NaN for empty fields, state labels
	snap.Proxies[2].BE.TTimeMax = 1234
	out := string(AppendPrometheus(nil, &snap, ParsePromQuery("scope=backend&scope=server")))
	for _, l := range []string{
		`haproxy_backend_max_total_time_seconds{proxy="bok"} 1.234000`,
		`haproxy_server_queue_limit{proxy="btcp",server="b1"} 5`,
		`haproxy_server_queue_limit{proxy="btcp",server="d1"} NaN`,
		`haproxy_server_check_failures_total{proxy="l1",server="x1"} NaN`,
		`haproxy_server_check_code{proxy="bok",server="ok"} 200`,
		`haproxy_server_check_status{proxy="bbad",server="refused",state="L4CON"} 1`,
		`haproxy_server_status{proxy="btcp",server="d1",state="DRAIN"} 1`,
		`haproxy_backend_status{proxy="bbad",state="DOWN"} 1`,
	} {
		if !strings.Contains(out, l+"\n") {
			t.Errorf("missing %s", l)
		}
	}
	if strings.Contains(out, `haproxy_server_check_status{proxy="btcp",server="m1"`) || strings.Contains(out, `haproxy_server_check_duration_seconds{proxy="btcp",server="dc"}`) {
		t.Errorf("check metrics for a paused check or a check that never ran")
	}
	if got := AppendPrometheus([]byte("x"), &snap, PromQuery{Invalid: true, Scopes: PromScopeAll}); string(got) != "x" {
		t.Errorf("invalid query printed %q", got)
	}
}

func FuzzParsePromQuery(f *testing.F) {
	for _, s := range []string{"", "scope=global", "scope=server&no-maint", "scope=&scope=*", "sc%6Fpe=b%61ckend",
		"scope=global#x", "a=b=c", "scope=%zz", "scope=glo%00bal", "x&&y=&=z", "+=+&%2B"} {
		f.Add(s)
	}
	snap := &Snapshot{Proxies: []Proxy{{Name: "p", ID: 2, Mode: "http", Frontend: true, Backend: true,
		Servers: []Server{{Name: "a", ID: 1, Status: "UP", Weight: 1, Check: &Check{Status: "* L7OK", Code: 200, Duration: 3}},
			{Name: "b", ID: 2, Status: "MAINT", Check: &Check{Status: "L4CON", Code: -1, Duration: 0}}}}}}
	f.Fuzz(func(t *testing.T, s string) {
		q := ParsePromQuery(s)
		if q.Invalid && (q.Scopes != 0 || q.NoMaint) {
			t.Fatalf("%q: invalid query with options %+v", s, q)
		}
		if q.Scopes&^PromScopeAll != 0 {
			t.Fatalf("%q: unknown scope bits %+v", s, q)
		}
		if q != ParsePromQuery(s) {
			t.Fatalf("%q: not deterministic", s)
		}
		// Everything after a '#' is ignored.
		if i := strings.IndexByte(s, '#'); i >= 0 && ParsePromQuery(s[:i]) != q {
			t.Fatalf("%q: the fragment changes the query", s)
		}
		out := AppendPrometheus(nil, snap, q)
		if q.Invalid && len(out) != 0 {
			t.Fatalf("%q: output for an invalid query", s)
		}
	})
}

// FuzzPrometheusSnapshot renders snapshots with arbitrary names, statuses
// and check results: the renderer must never panic.
func FuzzPrometheusSnapshot(f *testing.F) {
	f.Add("bk", "http", "UP 1/3", "* L7OK", int64(200), int64(5), "scope=server")
	f.Add("", "tcp", "MAINT (via x/y)", "", int64(-1), int64(-1), "")
	f.Add("x", "", "DRAIN (agent)", "INI", int64(0), int64(0), "no-maint")
	f.Fuzz(func(t *testing.T, name, mode, status, check string, code, dur int64, query string) {
		s := &Snapshot{Proxies: []Proxy{{Name: name, Mode: mode, Frontend: true, Backend: true, Stopped: code%2 == 0,
			Servers: []Server{{Name: name, Status: status, Weight: code, Counters: Counters{Limit: dur, QTime: code}, Check: &Check{Status: check, Code: code, Duration: dur}},
				{Name: "n", Status: status}}}}}
		s.Info.Set("Version", Str(name))
		AppendPrometheus(nil, s, ParsePromQuery(query))
	})
}

var promTableRE = regexp.MustCompile(`(?m)^# table: (\S+), type: (\S+), size:(\d+), used:(\d+)$`)

// TestOraclePrometheusListenersTables compares haproxy_listener_* (a
// frontend with "option socket-stats", one named bind and one with a
// maxconn) and haproxy_sticktable_* (tables in proxies and in a peers
// section) with haproxy 2.6's.
func TestOraclePrometheusListenersTables(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "stats.sock")
	prom := testenv.FreeLoopbackAddr(t)
	second := testenv.FreeLoopbackAddr(t)
	ft := testenv.FreeLoopbackAddr(t)
	cfg := fmt.Sprintf(`global
    stats socket %s level admin
defaults
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend prom
    mode http
    option socket-stats
    bind %s name promsock
    bind %s maxconn 33
    stick-table type ip size 100 expire 30s store conn_cur
    tcp-request connection track-sc0 src
    http-request use-service prometheus-exporter if { path /metrics }
    default_backend bk
frontend ft
    mode tcp
    bind %s
    default_backend bk
backend bk
    mode http
    stick-table type string len 32 size 1k
    server s1 127.0.0.1:1
backend st2
    stick-table type integer size 10
peers mypeers
    table t1 type ip size 50
`, sock, prom, second, ft)
	oracletest.HAProxy(t, cfg, prom)
	var csv string
	if !testenv.WaitFor(15*time.Second, func() bool {
		csv = cli(t, sock, "show stat")
		return strings.Contains(csv, "\nprom,sock-2,")
	}) {
		t.Fatalf("no listener stats:\n%s", csv)
	}
	tables := cli(t, sock, "show table")
	snap := promSnapshot(t, dir, cfg, sock, csv, func(*Proxy, *Server) {})
	for pi := range snap.Proxies {
		p := &snap.Proxies[pi]
		if p.Name != "prom" {
			continue
		}
		for i, name := range []string{"promsock", "sock-2"} {
			li := Listener{Name: name, ID: i + 1, Status: csvField(t, csv, "prom", name, "status")}
			li.Limit = atoi64(csvField(t, csv, "prom", name, "slim"))
			p.Listeners = append(p.Listeners, li)
		}
	}
	for _, m := range promTableRE.FindAllStringSubmatch(tables, -1) {
		snap.StickTables = append(snap.StickTables, StickTable{Name: m[1], Type: m[2], Size: atoi64(m[3]), Used: atoi64(m[4])})
	}
	if len(snap.StickTables) != 4 {
		t.Fatalf("show table:\n%s", tables)
	}
	promCompare(t, prom, &snap, "", "scope=listener", "scope=sticktable&scope=listener", "scope=sticktable")
}

// BenchmarkAppendPrometheus renders 100 http backends of 10 checked
// servers each (with their frontends).
func BenchmarkAppendPrometheus(b *testing.B) {
	var s Snapshot
	s.Info = BuildInfo(InfoParams{Version: "2.6.12", Nbthread: 2})
	for i := 0; i < 100; i++ {
		p := Proxy{Name: fmt.Sprintf("px%d", i), ID: i + 2, Mode: "http", Frontend: true, Backend: true, Algo: "roundrobin"}
		for j := 0; j < 10; j++ {
			p.Servers = append(p.Servers, Server{Name: fmt.Sprintf("s%d", j), ID: j + 1, Status: "UP", Weight: 1, UWeight: 1,
				Throttle: -1, Check: &Check{Status: "L7OK", Code: 200, Duration: 1}})
		}
		s.Proxies = append(s.Proxies, p)
	}
	q := ParsePromQuery("")
	var buf []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = AppendPrometheus(buf[:0], &s, q)
	}
	b.SetBytes(int64(len(buf)))
}
