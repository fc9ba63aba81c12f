package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logsink/oracletest"
)

// logBackends are the servers the traffic log scenarios talk to.
type logBackends struct {
	echo, web, closed, silent string
}

// startLogBackends starts an echo server, an HTTP server (keep-alive;
// /drop closes without answering, /slow never answers, anything else gets
// 200 with a 2-byte body, /404 a 404), a closed port and a server that
// accepts and never speaks.
func startLogBackends(t *testing.T) logBackends {
	b := logBackends{echo: oracletest.EchoServer(t)}
	serve := func(handle func(net.Conn)) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var conns []net.Conn
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
				wg.Add(1)
				go func() { defer wg.Done(); handle(c) }()
			}
		}()
		t.Cleanup(func() {
			ln.Close()
			mu.Lock()
			for _, c := range conns {
				c.Close()
			}
			mu.Unlock()
			wg.Wait()
		})
		return ln.Addr().String()
	}
	b.web = serve(func(c net.Conn) {
		defer c.Close()
		r := bufio.NewReader(c)
		for {
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == "\r\n" {
					break
				}
			}
			f := strings.Fields(line)
			path := ""
			if len(f) > 1 {
				path = f[1]
			}
			switch path {
			case "/drop":
				return
			case "/slow":
				io.Copy(io.Discard, r)
				return
			case "/chunked":
				io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\nX-Foo: bar\r\n\r\n5\r\nhello\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n")
			case "/chunked2":
				io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
			case "/old":
				io.WriteString(c, "HTTP/1.0 200 Fine\r\nServer: x\r\n\r\nsome body")
				return
			case "/404":
				io.WriteString(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found")
			default:
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}
		}
	})
	b.silent = serve(func(c net.Conn) {
		io.Copy(io.Discard, c)
		c.Close()
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b.closed = ln.Addr().String()
	ln.Close()
	return b
}

// logFrontends are the listening addresses of one product's run.
type logFrontends struct {
	tcp, tcpDead, tcpSilent, connect, null, reject, http, httpSep string
}

func trafficLogConfig(logAddr, sock string, fe logFrontends, be logBackends) string {
	return fmt.Sprintf(`global
    log %s format raw local0
    stats socket %s level admin
defaults
    log global
    retries 1
    timeout connect 1s
    timeout client 1500ms
    timeout server 1500ms
    timeout http-request 1500ms
frontend ft
    mode tcp
    option tcplog
    bind %s
    default_backend bt
frontend fdead
    mode tcp
    option tcplog
    bind %s
    default_backend bdead
frontend fsilent
    mode tcp
    option tcplog
    bind %s
    default_backend bsilent
frontend fconnect
    mode tcp
    bind %s
    default_backend bt
frontend fnull
    mode tcp
    option tcplog
    option dontlognull
    bind %s
    default_backend bt
frontend freject
    mode tcp
    option tcplog
    bind %s
    tcp-request inspect-delay 1s
    tcp-request content reject if { req.len ge 3 }
    default_backend bt
backend bt
    mode tcp
    server s1 %s
backend bdead
    mode tcp
    server d1 %s
backend bsilent
    mode tcp
    server q1 %s
frontend fh
    mode http
    option httplog
    bind %s
    http-request deny if { path /denied }
    http-request redirect location /x if { path /moved }
    http-request return status 200 content-type text/plain string ok if { path /ret }
    use_backend bhdead if { path_beg /dead }
    use_backend bhnone if { path_beg /none }
    default_backend bh
frontend fhsep
    mode http
    option httplog
    option log-separate-errors
    log %s format rfc3164 local1
    bind %s
    default_backend bh
backend bh
    mode http
    server h1 %s
backend bhdead
    mode http
    server hd %s
backend bhnone
    mode http
`, logAddr, sock, fe.tcp, fe.tcpDead, fe.tcpSilent, fe.connect, fe.null, fe.reject, be.echo, be.closed, be.silent,
		fe.http, logAddr, fe.httpSep, be.web, be.closed)
}

// logScenario drives one exchange; the log lines it causes follow.
type logScenario struct {
	name  string
	lines int // log lines expected
	run   func(t *testing.T, fe logFrontends)
}

func dialLog(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// httpExchange sends raw requests on one connection and reads until the
// proxy closes it or wantResponses responses have come.
func httpExchange(t *testing.T, addr, raw string, closeAfter time.Duration) {
	c := dialLog(t, addr)
	defer c.Close()
	io.WriteString(c, raw)
	if closeAfter > 0 {
		c.SetReadDeadline(time.Now().Add(closeAfter))
	}
	io.Copy(io.Discard, c)
}

var logScenarios = []logScenario{
	{"tcp echo, client closes", 1, func(t *testing.T, fe logFrontends) {
		c := dialLog(t, fe.tcp)
		io.WriteString(c, "hello\n")
		io.ReadFull(c, make([]byte, 6))
		c.Close()
	}},
	{"tcp server refuses", 1, func(t *testing.T, fe logFrontends) {
		c := dialLog(t, fe.tcpDead)
		io.Copy(io.Discard, c)
		c.Close()
	}},
	{"tcp server timeout", 1, func(t *testing.T, fe logFrontends) {
		c := dialLog(t, fe.tcpSilent)
		io.WriteString(c, "x")
		io.Copy(io.Discard, c)
		c.Close()
	}},
	{"tcp default log", 1, func(t *testing.T, fe logFrontends) {
		c := dialLog(t, fe.connect)
		io.WriteString(c, "hi")
		io.ReadFull(c, make([]byte, 2))
		c.Close()
	}},
	{"tcp dontlognull empty", 0, func(t *testing.T, fe logFrontends) {
		c := dialLog(t, fe.null)
		c.Close()
	}},
	{"tcp dontlognull data", 1, func(t *testing.T, fe logFrontends) {
		c := dialLog(t, fe.null)
		io.WriteString(c, "abc")
		io.ReadFull(c, make([]byte, 3))
		c.Close()
	}},
	{"tcp content reject", 1, func(t *testing.T, fe logFrontends) {
		c := dialLog(t, fe.reject)
		io.WriteString(c, "bad")
		io.Copy(io.Discard, c)
		c.Close()
	}},
	{"http empty close", 1, func(t *testing.T, fe logFrontends) {
		c := dialLog(t, fe.http)
		c.Close()
	}},
	{"http empty timeout", 1, func(t *testing.T, fe logFrontends) {
		c := dialLog(t, fe.http)
		io.Copy(io.Discard, c)
		c.Close()
	}},
	{"http client closes mid-head", 1, func(t *testing.T, fe logFrontends) {
		c := dialLog(t, fe.http)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost")
		time.Sleep(200 * time.Millisecond)
		c.Close()
	}},
	{"http chunked response", 1, func(t *testing.T, fe logFrontends) {
		httpExchange(t, fe.http, "GET /chunked HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0)
	}},
	{"http chunked response without trailers", 1, func(t *testing.T, fe logFrontends) {
		httpExchange(t, fe.http, "GET /chunked2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0)
	}},
	{"http 1.0 response until close", 1, func(t *testing.T, fe logFrontends) {
		httpExchange(t, fe.http, "GET /old HTTP/1.0\r\n\r\n", 0)
	}},
	{"http two keep-alive requests", 2, func(t *testing.T, fe logFrontends) {
		httpExchange(t, fe.http, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b?q=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0)
	}},
	{"http denied", 1, func(t *testing.T, fe logFrontends) {
		httpExchange(t, fe.http, "GET /denied HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0)
	}},
	{"http redirected", 1, func(t *testing.T, fe logFrontends) {
		httpExchange(t, fe.http, "GET /moved HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0)
	}},
	{"http returned", 1, func(t *testing.T, fe logFrontends) {
		httpExchange(t, fe.http, "GET /ret HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0)
	}},
	{"http 404", 1, func(t *testing.T, fe logFrontends) {
		httpExchange(t, fe.http, "GET /404 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0)
	}},
	{"http server drops", 1, func(t *testing.T, fe logFrontends) {
		httpExchange(t, fe.http, "GET /drop HTTP/1.1\r\nHost: x\r\n\r\n", 0)
	}},
	{"http server timeout", 1, func(t *testing.T, fe logFrontends) {
		httpExchange(t, fe.http, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", 0)
	}},
	{"http server refuses", 1, func(t *testing.T, fe logFrontends) {
		httpExchange(t, fe.http, "GET /dead HTTP/1.1\r\nHost: x\r\n\r\n", 0)
	}},
	{"http no server", 1, func(t *testing.T, fe logFrontends) {
		httpExchange(t, fe.http, "GET /none HTTP/1.1\r\nHost: x\r\n\r\n", 0)
	}},
	{"http bad request", 1, func(t *testing.T, fe logFrontends) {
		httpExchange(t, fe.http, "GET / HTTP/1.1\r\nHost x\r\n\r\n", 0)
	}},
	{"http request timeout", 1, func(t *testing.T, fe logFrontends) {
		httpExchange(t, fe.http, "GET / HTTP/1.1\r\nHost: x\r\n", 0)
	}},
	{"http client gives up", 1, func(t *testing.T, fe logFrontends) {
		httpExchange(t, fe.http, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", 300*time.Millisecond)
	}},
	{"http separate errors, normal", 2, func(t *testing.T, fe logFrontends) {
		httpExchange(t, fe.httpSep, "GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0)
	}},
	{"http separate errors, error", 2, func(t *testing.T, fe logFrontends) {
		httpExchange(t, fe.httpSep, "GET /drop HTTP/1.1\r\nHost: x\r\n\r\n", 0)
	}},
}

var (
	logDate    = regexp.MustCompile(`\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}\.\d{3}\]`)
	logPort    = regexp.MustCompile(`(127\.0\.0\.1):\d+`)
	logHeader  = regexp.MustCompile(`^<(\d+)>[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} (\S+ )?(\S+)\[\d+\]: `)
	logTimerNN = regexp.MustCompile(`^\+?\d+$`)
)

// normalizeLogLine keeps what must match haproxy's: the dates, ports,
// pids and timer values become placeholders (a timer's -1, "not
// reached", is kept).
func normalizeLogLine(l string) string {
	l = strings.TrimRight(l, "\n")
	hdr := ""
	if m := logHeader.FindStringSubmatch(l); m != nil {
		hdr = "<" + m[1] + ">DATE " + m[2] + m[3] + "[PID]: "
		l = l[len(m[0]):]
	}
	l = logDate.ReplaceAllString(l, "[DATE]")
	l = logPort.ReplaceAllString(l, "$1:PORT")
	f := strings.Split(l, " ")
	for i, w := range f {
		// the timers follow backend/server
		if i > 0 && strings.Contains(f[i-1], "/") && strings.Count(w, "/") >= 2 && i < len(f)-1 && i <= 6 {
			parts := strings.Split(w, "/")
			for j, p := range parts {
				if logTimerNN.MatchString(p) {
					parts[j] = strings.Replace(p, strings.TrimPrefix(p, "+"), "T", 1)
				}
			}
			f[i] = strings.Join(parts, "/")
			break
		}
	}
	l = strings.Join(f, " ")
	return hdr + l
}

// runLogScenarios runs every scenario against one product and returns
// the normalized lines of each, and "show stat" at the end.
func runLogScenarios(t *testing.T, start func(cfg string, ready string), be logBackends) ([][]string, string) {
	udp := oracletest.ListenUDP(t)
	fe := logFrontends{}
	for _, p := range []*string{&fe.tcp, &fe.tcpDead, &fe.tcpSilent, &fe.connect, &fe.null, &fe.reject, &fe.http, &fe.httpSep} {
		*p = testenv.FreeLoopbackAddr(t)
	}
	sock := filepath.Join(t.TempDir(), "stats.sock")
	start(trafficLogConfig(udp.Addr, sock, fe, be), fe.httpSep)
	// the readiness probe and anything logged at start
	udp.Drain(1500 * time.Millisecond)
	var out [][]string
	for _, sc := range logScenarios {
		sc.run(t, fe)
		var got []string
		deadline := time.Now().Add(8 * time.Second)
		for len(got) < sc.lines && time.Now().Before(deadline) {
			select {
			case b := <-udp.Lines:
				got = append(got, normalizeLogLine(string(b)))
			case <-time.After(100 * time.Millisecond):
			}
		}
		for _, b := range udp.Drain(400 * time.Millisecond) {
			got = append(got, normalizeLogLine(string(b)))
		}
		// several targets receive lines in no set order
		sort.Strings(got)
		out = append(out, got)
	}
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "show stat\n")
	b, _ := io.ReadAll(c)
	return out, string(b)
}

// counterFields are the cumulated counters of "show stat" that the same
// traffic must set alike.
var counterFields = []string{"stot", "bin", "bout", "dreq", "ereq", "econ", "eresp", "wretr", "wredis", "dcon",
	"hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other", "req_tot", "lbtot", "cli_abrt", "srv_abrt", "conn_tot"}

// stateFields are the server and backend state columns that the same
// check results must set alike.
var stateFields = []string{"status", "weight", "act", "bck", "chkfail", "chkdown", "check_status", "check_code",
	"check_desc", "last_chk", "check_rise", "check_fall", "check_health"}

// statFields picks fields of "show stat", per row.
func statFields(t *testing.T, csv string, fields []string) map[string]string {
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "# ") {
		t.Fatalf("not a show stat answer: %q", csv)
	}
	head := strings.Split(strings.TrimPrefix(lines[0], "# "), ",")
	idx := map[string]int{}
	for i, h := range head {
		idx[h] = i
	}
	out := map[string]string{}
	for _, l := range lines[1:] {
		v := strings.Split(l, ",")
		if len(v) < len(head)-1 || v[0] == "GLOBAL" {
			continue
		}
		var b strings.Builder
		for _, f := range fields {
			if i, ok := idx[f]; ok && i < len(v) && v[i] != "" {
				fmt.Fprintf(&b, " %s=%s", f, v[i])
			}
		}
		out[v[0]+"/"+v[1]] = b.String()
	}
	return out
}

// TestTrafficLogOracle runs the same exchanges through haproxy 2.6 and
// gohaproxy with the same configuration (tcplog, httplog, the default
// "Connect from" line, dontlognull, log-separate-errors) and compares
// their log lines once dates, ports and timer values are normalized:
// termination states, byte counts, counters and "not reached" timers
// must match.
func TestTrafficLogOracle(t *testing.T) {
	testenv.RequireRoot(t)
	be := startLogBackends(t)
	bin := testenv.Binary(t, "gohaproxy")
	var theirs, ours [][]string
	var theirStat, ourStat string
	// both products run at once, each on its own ports and log listener
	t.Run("run", func(t *testing.T) {
		t.Run("haproxy", func(t *testing.T) {
			t.Parallel()
			theirs, theirStat = runLogScenarios(t, func(cfg, ready string) { oracletest.HAProxy(t, cfg, ready) }, be)
		})
		t.Run("gohaproxy", func(t *testing.T) {
			t.Parallel()
			ours, ourStat = runLogScenarios(t, func(cfg, ready string) { startGohaproxy(t, bin, cfg, ready) }, be)
		})
	})
	if len(theirs) != len(logScenarios) || len(ours) != len(logScenarios) {
		t.Fatal("a run did not finish")
	}
	hs, os := statFields(t, theirStat, counterFields), statFields(t, ourStat, counterFields)
	var rows []string
	for k := range hs {
		rows = append(rows, k)
	}
	sort.Strings(rows)
	for _, k := range rows {
		if hs[k] != os[k] {
			t.Errorf("show stat %s:\nhaproxy:  %s\ngohaproxy: %s", k, hs[k], os[k])
		}
	}
	for i, sc := range logScenarios {
		h, o := strings.Join(theirs[i], "\n"), strings.Join(ours[i], "\n")
		if len(theirs[i]) != sc.lines {
			t.Errorf("%s: haproxy logged %d lines, the scenario expects %d:\n%s", sc.name, len(theirs[i]), sc.lines, h)
		}
		if h != o {
			t.Errorf("%s:\nhaproxy:\n%s\ngohaproxy:\n%s", sc.name, h, o)
		} else {
			t.Logf("%s:\n%s", sc.name, h)
		}
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServerLogOracle compares what haproxy 2.6 and gohaproxy send to a
// backend's log targets when its servers fail their checks: the
// log-health-checks lines (notice), "Server ... is DOWN" (alert) and
// "backend ... has no server available!" (emerg), with the same syslog
// priorities.
func TestServerLogOracle(t *testing.T) {
	testenv.RequireRoot(t)
	bin := testenv.Binary(t, "gohaproxy")
	echo := oracletest.EchoServer(t)
	run := func(t *testing.T, start func(t *testing.T, cfg, ready string)) ([]string, string) {
		udp := oracletest.ListenUDP(t)
		sock := filepath.Join(t.TempDir(), "stats.sock")
		fe, ready := testenv.FreeLoopbackAddr(t), testenv.FreeLoopbackAddr(t)
		dead1, dead2 := testenv.FreeLoopbackAddr(t), testenv.FreeLoopbackAddr(t)
		cfg := fmt.Sprintf(`global
    log %s format rfc3164 local0
    stats socket %s level admin
defaults
    log global
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend f1
    bind %s
    default_backend b1
# readiness probes land here: a probe through f1 would be a session on
# b1's servers, counted in the DOWN messages if still connecting
frontend ready
    no log
    bind %s
    tcp-request connection reject
backend b1
    option log-health-checks
    server s1 %s check inter 300 fall 2 rise 1
    server s2 %s check inter 300 fall 2 rise 1 backup
backend b2
    no log
    server live %s check inter 300 fall 3 rise 2
    server dead %s check inter 300 fall 3 rise 2
    server off %s disabled
    server plain %s
`, udp.Addr, sock, fe, ready, dead1, dead2, echo, dead1, echo, echo)
		start(t, cfg, ready)
		var got []string
		add := func(b []byte) string {
			l := normalizeLogLine(string(b))
			l = regexp.MustCompile(`check duration: \d+ms`).ReplaceAllString(l, "check duration: Nms")
			got = append(got, l)
			return l
		}
		// until the backend has no server left (a loaded machine may
		// delay the checks), then 3 s for b2's checks to settle
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
			select {
			case b := <-udp.Lines:
				if strings.Contains(add(b), "has no server available") {
					deadline = time.Now()
				}
			case <-time.After(100 * time.Millisecond):
			}
		}
		for _, b := range udp.Drain(3 * time.Second) {
			add(b)
		}
		sort.Strings(got)
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "show stat\n")
		b, _ := io.ReadAll(c)
		return got, string(b)
	}
	var theirs, ours []string
	var theirStat, ourStat string
	t.Run("run", func(t *testing.T) {
		t.Run("haproxy", func(t *testing.T) {
			t.Parallel()
			theirs, theirStat = run(t, func(t *testing.T, cfg, ready string) { oracletest.HAProxy(t, cfg, ready) })
		})
		t.Run("gohaproxy", func(t *testing.T) {
			t.Parallel()
			ours, ourStat = run(t, func(t *testing.T, cfg, ready string) { startGohaproxy(t, bin, cfg, ready) })
		})
	})
	hs, os := statFields(t, theirStat, stateFields), statFields(t, ourStat, stateFields)
	for k := range hs {
		if hs[k] != os[k] {
			t.Errorf("show stat %s:\nhaproxy:  %s\ngohaproxy: %s", k, hs[k], os[k])
		}
	}
	h, o := strings.Join(theirs, "\n"), strings.Join(ours, "\n")
	if len(theirs) == 0 {
		t.Fatal("haproxy logged nothing")
	}
	if h != o {
		t.Errorf("server messages differ:\nhaproxy:\n%s\ngohaproxy:\n%s", h, o)
	} else {
		t.Logf("server messages:\n%s", h)
	}
}

// startGohaproxy runs bin -db on cfg for the test and returns once it
// accepts connections on ready (its output is shown if it does not).
func startGohaproxy(t *testing.T, bin, cfg, ready string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{b: &bytes.Buffer{}}
	startWithOutput(t, out, bin, "-db", "-f", path)
	if !testenv.WaitFor(15*time.Second, func() bool {
		c, err := net.Dial("tcp", ready)
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		t.Fatalf("gohaproxy does not listen on %s:\n%s", ready, out.String())
	}
}
