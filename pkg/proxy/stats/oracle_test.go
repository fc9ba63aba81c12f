package stats

import (
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
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
	srv := func(name string, id int, addr string, w int64) Server {
		return Server{Name: name, ID: id, Addr: addr, Status: "no check", Weight: w, UWeight: w, Throttle: -1, Counters: Counters{LastSess: -1}}
	}
	snap := Snapshot{Proxies: []Proxy{
		{Name: "fe", ID: 2, Mode: "tcp", Frontend: true, FE: Counters{Limit: maxconn}},
		{Name: "fh", ID: 3, Mode: "http", Frontend: true, FE: Counters{Limit: maxconn}},
		{Name: "be", ID: 4, Mode: "tcp", Backend: true, Algo: "roundrobin", LastChange: lastchg("be", "BACKEND"),
			BE: Counters{Limit: (maxconn + 9) / 10, LastSess: -1}, Servers: []Server{srv("s1", 1, "127.0.0.1:1", 1), srv("s2", 2, "[::1]:2", 1)}},
		{Name: "bh", ID: 5, Mode: "http", Backend: true, Algo: "leastconn", Cookie: "SRV", LastChange: lastchg("bh", "BACKEND"),
			BE: Counters{Limit: (maxconn + 9) / 10, LastSess: -1}, Servers: []Server{srv("h1", 1, "127.0.0.1:3", 1), srv("h2", 2, "127.0.0.1:4", 5)}},
	}}
	snap.Proxies[2].Servers[1].Backup = true
	snap.Proxies[3].Servers[0].Cookie = "a"
	snap.Proxies[3].Servers[0].MaxQueue = 7
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
