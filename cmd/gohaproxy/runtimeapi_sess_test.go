package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logsink/oracletest"
)

// idleServer accepts connections and holds them open, reading and
// discarding what arrives; with banner set it first writes banner.
func idleServer(t *testing.T, banner string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() {
				if banner != "" {
					io.WriteString(c, banner)
				}
				io.Copy(io.Discard, c)
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

// cliAsk sends one command line to the stats socket and returns the
// answer.
func cliAsk(t *testing.T, sock, cmd string) string {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, cmd+"\n")
	b, _ := io.ReadAll(c)
	return string(b)
}

var (
	sessLine    = regexp.MustCompile(`(?m)^(0x[0-9a-f]+): proto=(\S+) src=(\S+) fe=(\S+) be=(\S+) srv=(\S+) `)
	httpLogLine = regexp.MustCompile(` feh bkh/h1 \S+ (\d+ \d+ - - \S{4}) .*"GET /slow HTTP/1.1"`)
	tcpLogLine  = regexp.MustCompile(`(\S+) (\S+)/(\S+) -?\d+/-?\d+/\+?\d+ \+?\d+ (\S\S) `)
)

// feSessions lists the sessions of frontend fe in "show sess": pointer
// and client address.
func feSessions(answer string) map[string]string {
	out := map[string]string{}
	for _, m := range sessLine.FindAllStringSubmatch(answer, -1) {
		if m[4] == "fe" && m[6] != "<none>" {
			out[m[1]] = m[3]
		}
	}
	return out
}

// normShowSess keeps the fields of "show sess" both products honour
// (protocol, client address without its port, frontend, backend and
// server), one sorted line per session.
func normShowSess(answer string) string {
	var lines []string
	for _, m := range sessLine.FindAllStringSubmatch(answer, -1) {
		src := m[3]
		if h, _, err := net.SplitHostPort(src); err == nil {
			src = h
		}
		lines = append(lines, fmt.Sprintf("proto=%s src=%s fe=%s be=%s srv=%s", m[2], src, m[4], m[5], m[6]))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// closedWithin reports whether the server side closes c within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := c.Read(make([]byte, 64))
	c.SetReadDeadline(time.Time{})
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return err != nil
}

// runSessionsScenario drives one product through live sessions: show
// sess, shutdown session, shutdown sessions server, set maxconn frontend
// and global with connections at the limit, and set server addr with
// traffic moving to the new address. It returns what it observed.
func runSessionsScenario(t *testing.T, start func(cfg, ready string), a, b, c string) []string {
	dir := t.TempDir()
	sock := filepath.Join(dir, "admin.sock")
	fe, feh, st := testenv.FreeLoopbackAddr(t), testenv.FreeLoopbackAddr(t), testenv.FreeLoopbackAddr(t)
	logs := oracletest.ListenUDP(t)
	cfg := fmt.Sprintf(`global
    stats socket %s level admin
    log %s local0
defaults
    mode tcp
    log global
    option tcplog
    option dontlognull
    timeout connect 2s
    timeout client 60s
    timeout server 60s
frontend fe
    bind %s
    default_backend bk
backend bk
    balance roundrobin
    server s1 %s
    server s2 %s
frontend feh
    mode http
    option httplog
    bind %s
    default_backend bkh
backend bkh
    mode http
    server h1 %s
listen st
    mode http
    bind %s
    stats enable
    stats uri /st
    stats admin if TRUE
`, sock, logs.Addr, fe, a, b, feh, a, st)
	start(cfg, fe)
	var rec []string
	add := func(format string, args ...any) { rec = append(rec, fmt.Sprintf(format, args...)) }
	ask := func(cmd string) string { return cliAsk(t, sock, cmd) }
	dial := func() net.Conn {
		t.Helper()
		cl, err := net.Dial("tcp", fe)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cl.Close() })
		io.WriteString(cl, "x") // not a null connection: it is logged
		return cl
	}
	waitSessions := func(n int) map[string]string {
		t.Helper()
		var got map[string]string
		if !testenv.WaitFor(10*time.Second, func() bool {
			got = feSessions(ask("show sess"))
			return len(got) == n
		}) {
			t.Fatalf("want %d sessions of fe, show sess lists %v", n, got)
		}
		return got
	}
	logs.Drain(500 * time.Millisecond) // the readiness probe

	// two sessions, one on each server
	c1, c2 := dial(), dial()
	waitSessions(2)
	add("show sess:\n%s", normShowSess(ask("show sess")))
	var onS1 string
	for _, m := range sessLine.FindAllStringSubmatch(ask("show sess"), -1) {
		if m[6] == "s1" {
			onS1 = m[1]
		}
	}
	add("show sess %s: %q", "<unknown>", ask("show sess 0x12345"))
	add("shutdown session <s1's>: %q", ask("shutdown session "+onS1))
	closed1, closed2 := make(chan bool, 1), make(chan bool, 1)
	go func() { closed1 <- closedWithin(c1, 5*time.Second) }()
	go func() { closed2 <- closedWithin(c2, 5*time.Second) }()
	n1, n2 := <-closed1, <-closed2
	add("closed after shutdown session: %d", btoi(n1)+btoi(n2))
	add("shutdown sessions server bk/s2: %q", ask("shutdown sessions server bk/s2"))
	other := c1
	if n1 {
		other = c2
	}
	add("the other closed after shutdown sessions server: %v", closedWithin(other, 5*time.Second))
	waitSessions(0)
	add("show sess after:\n%s", normShowSess(ask("show sess")))
	var killed []string
	for _, l := range logs.Drain(2 * time.Second) {
		if m := tcpLogLine.FindStringSubmatch(string(l)); m != nil {
			killed = append(killed, m[1]+" "+m[2]+"/"+m[3]+" "+m[4])
		}
	}
	slices.Sort(killed)
	add("log lines: %q", killed)

	// the frontend's limit
	limited := func(what string) {
		x := dial()
		waitSessions(1)
		y := dial()
		time.Sleep(time.Second)
		add("%s: sessions with one waiting: %d", what, len(feSessions(ask("show sess"))))
		x.Close()
		served := testenv.WaitFor(10*time.Second, func() bool {
			got := feSessions(ask("show sess"))
			for _, src := range got {
				if src == y.LocalAddr().String() && len(got) == 1 {
					return true
				}
			}
			return false
		})
		add("%s: the waiting connection is served once the first closes: %v", what, served)
		y.Close()
		waitSessions(0)
	}
	add("set maxconn frontend fe 1: %q", ask("set maxconn frontend fe 1"))
	for _, l := range strings.Split(ask("show stat fe 1 -1"), "\n") {
		if f := strings.Split(l, ","); len(f) > 6 && f[1] == "FRONTEND" {
			add("frontend slim: %s", f[6])
		}
	}
	limited("frontend maxconn 1")
	add("set maxconn frontend fe 100: %q", ask("set maxconn frontend fe 100"))
	add("set maxconn global 1: %q", ask("set maxconn global 1"))
	maxconn := regexp.MustCompile(`(?m)^Maxconn: .*$`)
	add("show info: %s", maxconn.FindString(ask("show info")))
	limited("global maxconn 1")
	add("set maxconn global 0: %q", ask("set maxconn global 0"))
	hard := regexp.MustCompile(`(?m)^Hard_maxconn: (.*)$`).FindStringSubmatch(ask("show info"))
	now := maxconn.FindString(ask("show info"))
	add("show info after 0: Maxconn is Hard_maxconn: %v", hard != nil && now == "Maxconn: "+hard[1])

	// set server addr: the traffic goes to the new address
	_, cport, _ := net.SplitHostPort(c)
	add("%q", ask("set server bk/s1 addr 127.0.0.1 port "+cport))
	add("%q", ask("set server bk/s2 addr 127.0.0.1 port "+cport))
	for range 2 {
		d := dial()
		d.SetReadDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(d).ReadString('\n')
		add("after set server addr the server says %q (%v)", line, err)
		d.Close()
	}
	add("%s", normalizeCLI(ask("show servers state bk")))

	// an HTTP request waiting for its server's response: killed, the
	// client gets a 502 and the log says KH--
	logs.Drain(500 * time.Millisecond)
	h, err := net.Dial("tcp", feh)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	io.WriteString(h, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	var ptr string
	testenv.WaitFor(10*time.Second, func() bool {
		for _, m := range sessLine.FindAllStringSubmatch(ask("show sess"), -1) {
			if m[4] == "feh" && m[6] == "h1" {
				ptr = m[1]
			}
		}
		return ptr != ""
	})
	add("http session listed: %v", ptr != "")
	add("shutdown session <http>: %q", ask("shutdown session "+ptr))
	h.SetReadDeadline(time.Now().Add(10 * time.Second))
	status, err := bufio.NewReader(h).ReadString('\n')
	add("the client reads %q (%v)", status, err)
	var httpLogs []string
	for _, l := range logs.Drain(2 * time.Second) {
		if m := httpLogLine.FindStringSubmatch(string(l)); m != nil {
			httpLogs = append(httpLogs, m[1])
		}
	}
	add("http log: %q", httpLogs)

	// the stats page's "Kill Sessions" on s1: its session ends, s2's not
	k1, k2 := dial(), dial()
	for _, k := range []net.Conn{k1, k2} {
		k.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := bufio.NewReader(k).ReadString('\n'); err != nil {
			t.Fatalf("no banner through the proxy: %v", err)
		}
	}
	waitSessions(2)
	sc, err := net.Dial("tcp", st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	form := "s=s1&action=shutdown&b=bk"
	fmt.Fprintf(sc, "POST /st HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", len(form), form)
	sc.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(sc)
	status, _ = br.ReadString('\n')
	location := ""
	for {
		l, err := br.ReadString('\n')
		if err != nil || l == "\r\n" {
			break
		}
		if strings.HasPrefix(strings.ToLower(l), "location: ") {
			location = strings.TrimSpace(l[len("location: "):])
		}
	}
	add("Kill Sessions: %q location %q", status, location)
	ch1, ch2 := make(chan bool, 1), make(chan bool, 1)
	go func() { ch1 <- closedWithin(k1, 3*time.Second) }()
	go func() { ch2 <- closedWithin(k2, 3*time.Second) }()
	add("sessions closed by Kill Sessions: %d", btoi(<-ch1)+btoi(<-ch2))
	return rec
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestRuntimeAPISessionsOracle runs the live-session commands against
// haproxy 2.6 and gohaproxy in turn, on the same servers, and compares
// what each answered and what happened to the connections.
func TestRuntimeAPISessionsOracle(t *testing.T) {
	testenv.RequireRoot(t)
	bin := testenv.Binary(t, "gohaproxy")
	a, b, c := idleServer(t, ""), idleServer(t, ""), idleServer(t, "C\n")
	var theirs, ours []string
	t.Run("haproxy", func(t *testing.T) {
		theirs = runSessionsScenario(t, func(cfg, ready string) { oracletest.HAProxy(t, cfg, ready) }, a, b, c)
	})
	t.Run("gohaproxy", func(t *testing.T) {
		ours = runSessionsScenario(t, func(cfg, ready string) { startGohaproxy(t, bin, cfg, ready) }, a, b, c)
	})
	if len(theirs) != len(ours) || len(theirs) == 0 {
		t.Fatalf("the runs differ in length:\nhaproxy:   %q\ngohaproxy: %q", theirs, ours)
	}
	for i := range theirs {
		if theirs[i] != ours[i] {
			t.Errorf("step %d:\nhaproxy:   %s\ngohaproxy: %s", i, theirs[i], ours[i])
		} else {
			t.Logf("%s", theirs[i])
		}
	}
}
