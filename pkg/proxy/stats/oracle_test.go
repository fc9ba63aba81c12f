package stats

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logsink/oracletest"
)

// cli sends one command to a haproxy stats socket and returns the answer.
func cli(t *testing.T, sock, cmd string) string {
	t.Helper()
	c, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte(cmd + "\n"))
	b, _ := io.ReadAll(c)
	return string(b)
}

// csvField returns field name of the CSV row of pxname/svname.
func csvField(t *testing.T, csv, px, sv, name string) string {
	lines := strings.Split(csv, "\n")
	hdr := strings.Split(strings.TrimPrefix(lines[0], "# "), ",")
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if len(f) > 2 && f[0] == px && f[1] == sv {
			for i, h := range hdr {
				if h == name {
					return f[i]
				}
			}
		}
	}
	t.Fatalf("no field %s for %s/%s in %q", name, px, sv, csv)
	return ""
}

func atoi64(s string) int64 {
	var n int64
	fmt.Sscan(s, &n)
	return n
}

// TestOracleShowStat runs haproxy 2.6 and compares "show stat", "show stat
// typed" and the "show info" field names with ours for the same
// configuration.
func TestOracleShowStat(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "stats.sock")
	fe := testenv.FreeLoopbackAddr(t)
	fh := testenv.FreeLoopbackAddr(t)
	cfg := fmt.Sprintf(`global
    stats socket %s level admin
defaults
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    mode tcp
    bind %s
    default_backend be
frontend fh
    mode http
    bind %s
    default_backend bh
backend be
    mode tcp
    server s1 127.0.0.1:1
    server s2 [::1]:2 backup
backend bh
    mode http
    balance leastconn
    cookie SRV insert
    server h1 127.0.0.1:3 cookie a maxqueue 7
    server h2 127.0.0.1:4 weight 5
`, sock, fe, fh)
	// Wait for the stats socket rather than probing a frontend: a probe
	// would show in the counters.
	oracletest.HAProxy(t, cfg, "")
	if !testenv.WaitFor(15*time.Second, func() bool {
		c, err := net.Dial("unix", sock)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}) {
		t.Fatal("haproxy's stats socket does not answer")
	}
	gotCSV := cli(t, sock, "show stat")
	gotTyped := cli(t, sock, "show stat typed")
	gotInfo := cli(t, sock, "show info")
	gotJSON := cli(t, sock, "show stat json")
	gotInfoTyped := cli(t, sock, "show info typed")
	gotInfoJSON := cli(t, sock, "show info json")

	maxconn := atoi64(csvField(t, gotCSV, "fe", "FRONTEND", "slim"))
	lastchg := func(px, sv string) int64 { return atoi64(csvField(t, gotCSV, px, sv, "lastchg")) }
	cfgPath := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	parsed, diags, err := haproxycfg.Load([]string{cfgPath}, haproxycfg.Options{})
	if err != nil || diags.HasAlerts() {
		t.Fatalf("our parser: %v %v", err, diags)
	}
	snap := FromConfig(parsed, int(maxconn))
	snap.Proxies[2].LastChange = lastchg("be", "BACKEND")
	snap.Proxies[3].LastChange = lastchg("bh", "BACKEND")
	for _, p := range snap.Proxies {
		for i := range p.Servers {
			p.Servers[i].LastChange = lastchg(p.Name, p.Servers[i].Name)
		}
	}
	if want := string(snap.AppendCSV(nil)); gotCSV != want {
		t.Errorf("show stat differs:\nhaproxy:\n%s\nours:\n%s", gotCSV, want)
	}
	if want := string(snap.AppendTyped(nil)); gotTyped != want {
		t.Errorf("show stat typed differs:\nhaproxy:\n%s\nours:\n%s", gotTyped, want)
	}
	if want := string(snap.AppendJSON(nil)); gotJSON != want {
		t.Errorf("show stat json differs:\nhaproxy:\n%s\nours:\n%s", gotJSON, want)
	}
	for _, cmd := range []string{"show stat 4 -1 -1", "show stat bh 2 -1", "show stat nosuch -1 -1", "show stat -1 1 -1 typed",
		"show stat -1 4 -1", "show stat be 4 2", "show stat -1 6 -1 json", "show stat 5 -1 -1 no-maint"} {
		want, ok := Answer(nil, cmd, func() *Snapshot { return &snap })
		if !ok {
			t.Errorf("%s: not answered", cmd)
		}
		if got := cli(t, sock, cmd); got != string(want) {
			t.Errorf("%s:\nhaproxy:\n%s\nours:\n%s", cmd, got, want)
		}
	}
	// show info: the values are haproxy's own (uptime, memory...); the
	// renderers must give the same text, tags, types and JSON.
	var in Info
	for _, l := range strings.Split(gotInfoTyped, "\n") {
		parts := strings.SplitN(l, ":", 4)
		if len(parts) != 4 {
			continue
		}
		name := strings.TrimSuffix(parts[0][strings.IndexByte(parts[0], '.')+1:], ".1")
		v := Str(parts[3])
		if parts[2] != "str" {
			v = Num(atoi64(parts[3]))
		}
		if !in.Set(name, v) {
			t.Errorf("show info field %q unknown to us", name)
		}
	}
	if want := string(in.AppendInfoTyped(nil)); gotInfoTyped != want {
		t.Errorf("show info typed differs:\nhaproxy:\n%s\nours:\n%s", gotInfoTyped, want)
	}
	if want := string(in.AppendInfoJSON(nil)); !sameUptime(gotInfoJSON, want) {
		t.Errorf("show info json differs:\nhaproxy:\n%s\nours:\n%s", gotInfoJSON, want)
	}
	var names []string
	for _, l := range strings.Split(gotInfo, "\n") {
		if i := strings.Index(l, ": "); i > 0 {
			names = append(names, l[:i])
		}
	}
	var ours []string
	for _, n := range InfoNames() {
		if n != "ZlibMemUsage" && n != "MaxZlibMemUsage" && n != "description" {
			ours = append(ours, n)
		}
	}
	if strings.Join(names, ",") != strings.Join(ours, ",") {
		t.Errorf("show info fields differ:\nhaproxy: %v\nours:    %v", names, ours)
	}
}

// sameUptime compares two "show info" answers taken a moment apart: only
// the Uptime, Uptime_sec, Idle_pct and rate fields may differ.
func sameUptime(a, b string) bool {
	if a == b {
		return true
	}
	norm := func(s string) string {
		for _, f := range []string{"Uptime", "Uptime_sec", "Idle_pct", "BytesOutRate", "TotalBytesOut", "CumConns", "Tasks", "Run_queue", "PoolAlloc_bytes", "PoolUsed_bytes", "PoolAlloc_MB", "PoolUsed_MB", "CumReq", "Jobs", "ConnRate", "MaxConnRate", "SessRate", "MaxSessRate"} {
			i := strings.Index(s, `"name":"`+f+`"`)
			if i < 0 {
				continue
			}
			j := strings.Index(s[i:], `"value":{`)
			k := strings.Index(s[i+j:], "}}")
			s = s[:i+j] + s[i+j+k:]
		}
		return s
	}
	return norm(a) == norm(b)
}

// TestOracleStatsPageCSV compares the stats page's ";csv" export of
// haproxy 2.6 (no stats socket: ids start at 1; explicit ids; a server of
// weight 0; a backend without servers) with ours from the same
// configuration.
func TestOracleStatsPageCSV(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	st := testenv.FreeLoopbackAddr(t)
	cfg := fmt.Sprintf(`defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen st
    bind %s
    stats enable
    stats uri /
backend b1
    server x 127.0.0.1:1 id 7
backend b2
    id 3
    balance source
    server y 127.0.0.1:1 weight 0
    server z 127.0.0.1:1 disabled
    server w 127.0.0.1:1 backup weight 3
`, st)
	oracletest.HAProxy(t, cfg, st)
	c, err := net.DialTimeout("tcp", st, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte("GET /;csv HTTP/1.0\r\n\r\n"))
	resp, _ := io.ReadAll(c)
	i := strings.Index(string(resp), "\r\n\r\n")
	if i < 0 {
		t.Fatalf("bad answer %q", resp)
	}
	got := string(resp[i+4:])
	if strings.Contains(strings.ToLower(string(resp[:i])), "transfer-encoding: chunked") {
		got = dechunk(got)
	}

	cfgPath := filepath.Join(dir, "haproxy.cfg")
	os.WriteFile(cfgPath, []byte(cfg), 0o644)
	parsed, diags, err := haproxycfg.Load([]string{cfgPath}, haproxycfg.Options{})
	if err != nil || diags.HasAlerts() {
		t.Fatalf("our parser: %v %v", err, diags)
	}
	snap := FromConfig(parsed, int(atoi64(csvField(t, got, "st", "FRONTEND", "slim"))))
	snap.HideLegends = true
	for pi := range snap.Proxies {
		p := &snap.Proxies[pi]
		if p.Backend {
			p.LastChange = atoi64(csvField(t, got, p.Name, "BACKEND", "lastchg"))
		}
		for si := range p.Servers {
			p.Servers[si].LastChange = atoi64(csvField(t, got, p.Name, p.Servers[si].Name, "lastchg"))
		}
	}
	// The stats page's own request is in flight while it renders.
	want := string(snap.AppendCSVPage(nil))
	gotLines, wantLines := strings.Split(got, "\n"), strings.Split(want, "\n")
	if len(gotLines) != len(wantLines) {
		t.Errorf(";csv has %d lines, ours %d", len(gotLines), len(wantLines))
	}
	for i := range wantLines {
		if strings.HasPrefix(wantLines[i], "st,") {
			continue // live counters of the stats page itself
		}
		if i >= len(gotLines) || gotLines[i] != wantLines[i] {
			t.Errorf(";csv line %d:\nhaproxy: %q\nours:    %q", i, at(gotLines, i), wantLines[i])
		}
	}
}

func at(l []string, i int) string {
	if i < len(l) {
		return l[i]
	}
	return "<missing>"
}

func dechunk(s string) string {
	var out strings.Builder
	for {
		i := strings.Index(s, "\r\n")
		if i < 0 {
			return out.String()
		}
		n, err := strconv.ParseInt(s[:i], 16, 64)
		if err != nil || n == 0 || int(n) > len(s)-i-2 {
			return out.String()
		}
		out.WriteString(s[i+2 : i+2+int(n)])
		s = s[i+2+int(n):]
		s = strings.TrimPrefix(s, "\r\n")
	}
}
