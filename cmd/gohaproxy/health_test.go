package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// ctlServer is a backend whose behaviour the test changes: it answers
// HTTP health checks according to its mode and traffic ("traffic\n") with
// its name.
type ctlServer struct {
	t    *testing.T
	name string
	addr string
	tls  *tls.Config // nil: plain TCP
	mode atomic.Value

	mu sync.Mutex
	ln net.Listener
}

func newCtlServer(t *testing.T, name string, tlsCfg *tls.Config) *ctlServer {
	s := &ctlServer{t: t, name: name, tls: tlsCfg}
	s.mode.Store("ok")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(s.close)
	return s
}

func (s *ctlServer) serve(ln net.Listener) {
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	if s.tls != nil {
		ln = tls.NewListener(ln, s.tls)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.handle(c)
		}
	}()
}

func (s *ctlServer) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
}

// setMode switches the behaviour: "ok", "503", "slow" (answers checks
// after 4s), "closed" (no listener: connections are refused).
func (s *ctlServer) setMode(m string) {
	old := s.mode.Swap(m)
	if m == "closed" {
		s.close()
		return
	}
	if old == "closed" {
		var ln net.Listener
		var err error
		for i := 0; i < 50; i++ {
			if ln, err = net.Listen("tcp", s.addr); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			s.t.Errorf("reopening %s: %v", s.addr, err)
			return
		}
		s.serve(ln)
	}
}

func (s *ctlServer) handle(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil {
		return
	}
	if strings.HasPrefix(line, "traffic") {
		fmt.Fprintf(c, "%s\n", s.name)
		return
	}
	for {
		l, err := br.ReadString('\n')
		if err != nil || l == "\r\n" || l == "\n" {
			break
		}
	}
	switch s.mode.Load().(string) {
	case "503":
		io := "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
		c.Write([]byte(io))
	case "slow":
		time.Sleep(4 * time.Second)
		fallthrough
	default:
		c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"))
	}
}

// logBuf collects a process's stderr.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *logBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

var (
	pidRe      = regexp.MustCompile(`\(\d+\) : `)
	durationRe = regexp.MustCompile(`check duration: \d+ms`)
)

// stateLines returns the server state changes and "no server available"
// alerts, PIDs and check durations normalised.
func (b *logBuf) stateLines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, l := range strings.Split(b.b.String(), "\n") {
		if !strings.Contains(l, "Server ") && !strings.Contains(l, "has no server available") {
			continue
		}
		l = pidRe.ReplaceAllString(l, "(PID) : ")
		out = append(out, durationRe.ReplaceAllString(l, "check duration: Nms"))
	}
	return out
}

func startLogged(t *testing.T, bin string, args ...string) *logBuf {
	t.Helper()
	buf := &logBuf{}
	startWithOutput(t, buf, bin, args...)
	return buf
}

// testCA makes a CA, a certificate it signs and a self-signed one.
func testCA(t *testing.T, dir string) (caFile string, good, bad tls.Certificate) {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey := key()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	caFile = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	leaf := func(parent *x509.Certificate, parentKey *ecdsa.PrivateKey, serial int64) tls.Certificate {
		k := key()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "backend"},
			DNSNames: []string{"backend"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		if parent == nil {
			parent, parentKey = tmpl, k
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &k.PublicKey, parentKey)
		if err != nil {
			t.Fatal(err)
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
	}
	return caFile, leaf(caCert, caKey, 2), leaf(nil, nil, 3)
}

// TestHealthChecksLikeHaproxy runs the same checked backends under haproxy
// and gohaproxy, makes servers fail and recover in several ways, and
// requires the same state changes, logged with the same words, and traffic
// that avoids DOWN servers.
func TestHealthChecksLikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	dir := t.TempDir()
	caFile, goodCert, badCert := testCA(t, dir)
	var useBad atomic.Bool
	tlsCfg := &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		if useBad.Load() {
			return &badCert, nil
		}
		return &goodCert, nil
	}}
	s1 := newCtlServer(t, "s1", nil)
	s2 := newCtlServer(t, "s2", nil)
	b1 := newCtlServer(t, "b1", nil)
	t1 := newCtlServer(t, "t1", tlsCfg)

	const inter = 200 * time.Millisecond
	cfgText := func(port, tport int) string {
		return fmt.Sprintf(`global
  nbthread 1
defaults
  mode tcp
  timeout connect 1s
  timeout client 5s
  timeout server 5s
  timeout check 1500ms
listen web
  bind 127.0.0.1:%d
  option httpchk GET /health
  http-check expect status 200
  server s1 %s check inter 200ms rise 2 fall 3
  server s2 %s check inter 200ms rise 2 fall 3
  server b1 %s check inter 200ms rise 2 fall 3 backup
listen tlsweb
  bind 127.0.0.1:%d
  server t1 %s check check-ssl verify required ca-file %s inter 200ms rise 2 fall 2
`, port, s1.addr, s2.addr, b1.addr, tport, t1.addr, caFile)
	}
	type proc struct {
		name string
		port int
		log  *logBuf
	}
	var procs []*proc
	for _, p := range []struct{ name, bin string }{{"haproxy", oracle}, {"gohaproxy", ours}} {
		port, tport := freePort(t), freePort(t)
		cfg := filepath.Join(dir, p.name+".cfg")
		if err := os.WriteFile(cfg, []byte(cfgText(port, tport)), 0o644); err != nil {
			t.Fatal(err)
		}
		log := startLogged(t, p.bin, "-db", "-f", cfg)
		waitListening(t, fmt.Sprintf("127.0.0.1:%d", port))
		procs = append(procs, &proc{p.name, port, log})
	}
	// servers start UP; let the checks settle at full health
	time.Sleep(10 * inter)

	// reach asks n times through p which server answers.
	reach := func(p *proc, n int) map[string]int {
		got := map[string]int{}
		for i := 0; i < n; i++ {
			c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p.port), 2*time.Second)
			if err != nil {
				got["error"]++
				continue
			}
			c.SetDeadline(time.Now().Add(3 * time.Second))
			c.Write([]byte("traffic\n"))
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			got[strings.TrimSpace(line)]++
		}
		return got
	}
	// waitLines waits until every proxy logged want state lines in all.
	waitLines := func(want int, bound time.Duration) time.Duration {
		start := time.Now()
		for {
			ready := true
			for _, p := range procs {
				if len(p.log.stateLines()) < want {
					ready = false
				}
			}
			if ready {
				return time.Since(start)
			}
			if time.Since(start) > bound {
				for _, p := range procs {
					t.Logf("%s:\n%s", p.name, strings.Join(p.log.stateLines(), "\n"))
				}
				t.Fatalf("not every proxy logged %d state changes within %v", want, bound)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Bounds: fall (or rise) checks, each up to inter plus the check
	// timeout, plus a generous slack for a loaded machine.
	const slack = 5 * time.Second
	checkTimeout := 1500 * time.Millisecond
	within := func(n int, timeout time.Duration) time.Duration {
		return time.Duration(n)*(inter+timeout) + slack
	}
	lines := 0
	step := func(what string, newLines int, bound time.Duration, change func(), check func(p *proc)) {
		t.Helper()
		change()
		lines += newLines
		took := waitLines(lines, bound)
		t.Logf("%s: %v until both logged (bound %v)", what, took.Round(time.Millisecond), bound)
		time.Sleep(3 * inter) // let both settle before the traffic check
		if check != nil {
			for _, p := range procs {
				check(p)
			}
		}
	}
	avoid := func(names ...string) func(p *proc) {
		return func(p *proc) {
			got := reach(p, 12)
			for _, n := range names {
				if got[n] > 0 {
					t.Errorf("%s: traffic reached DOWN server %s: %v", p.name, n, got)
				}
			}
		}
	}
	includes := func(names ...string) func(p *proc) {
		return func(p *proc) {
			got := reach(p, 12)
			for _, n := range names {
				if got[n] == 0 {
					t.Errorf("%s: traffic did not reach UP server %s: %v", p.name, n, got)
				}
			}
		}
	}
	includes("s1", "s2")(procs[1])

	step("s1 answers 503", 1, within(3, 0), func() { s1.setMode("503") }, avoid("s1", "b1"))
	step("s1 recovers", 1, within(2, 0), func() { s1.setMode("ok") }, includes("s1", "s2"))
	step("s2 answers too slowly", 1, within(3, checkTimeout), func() { s2.setMode("slow") }, avoid("s2", "b1"))
	step("s1 stops listening", 1, within(3, 0), func() { s1.setMode("closed") }, includes("b1"))
	step("s1 listens again", 1, within(2, 0), func() { s1.setMode("ok") }, avoid("b1", "s2"))
	step("s2 recovers", 1, within(2, checkTimeout), func() { s2.setMode("ok") }, includes("s1", "s2"))
	step("t1 presents an untrusted certificate", 2, within(2, 0), func() { useBad.Store(true) }, nil)
	step("t1 presents a trusted certificate again", 1, within(2, 0), func() { useBad.Store(false) }, nil)
	step("every server of web fails", 4, within(3, 0), func() {
		s1.setMode("closed")
		s2.setMode("closed")
		b1.setMode("closed")
	}, nil)

	want, got := procs[0].log.stateLines(), procs[1].log.stateLines()
	// the last step's three DOWN lines may come in any order: compare
	// what precedes them, and the final alert
	if len(want) < 5 || len(got) < 5 {
		t.Fatalf("too few state changes: haproxy %d, gohaproxy %d", len(want), len(got))
	}
	if strings.Join(want[:len(want)-4], "\n") != strings.Join(got[:len(got)-4], "\n") {
		t.Errorf("state changes differ\nhaproxy:\n%s\ngohaproxy:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	} else {
		t.Logf("same state changes:\n%s", strings.Join(got, "\n"))
	}
	if w, g := want[len(want)-1], got[len(got)-1]; w != g {
		t.Errorf("last line: haproxy %q, gohaproxy %q", w, g)
	}
}

// TestHashAfterServerDownLikeHaproxy takes a server of a "balance source"
// backend down through its health check and requires every client address
// to land on the same server under haproxy and gohaproxy, for map-based
// and consistent hashing.
func TestHashAfterServerDownLikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	for _, hashType := range []string{"map-based", "consistent"} {
		t.Run(hashType, func(t *testing.T) {
			var servers []*ctlServer
			var b strings.Builder
			for i := 1; i <= 4; i++ {
				s := newCtlServer(t, fmt.Sprintf("s%d", i), nil)
				servers = append(servers, s)
				fmt.Fprintf(&b, "  server s%d %s check inter 100ms rise 1 fall 1\n", i, s.addr)
			}
			dir := t.TempDir()
			type proc struct {
				name string
				port int
				log  *logBuf
			}
			var procs []*proc
			for _, p := range []struct{ name, bin string }{{"haproxy", oracle}, {"gohaproxy", ours}} {
				port := freePort(t)
				cfg := filepath.Join(dir, p.name+".cfg")
				text := fmt.Sprintf("global\n  nbthread 1\ndefaults\n  mode tcp\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\nbackend pool\n  balance source\n  hash-type %s\n%sfrontend fe\n  bind 127.0.0.1:%d\n  default_backend pool\n", hashType, b.String(), port)
				if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
				log := startLogged(t, p.bin, "-db", "-f", cfg)
				waitListening(t, fmt.Sprintf("127.0.0.1:%d", port))
				procs = append(procs, &proc{p.name, port, log})
			}
			mapping := func(p *proc) []string {
				var out []string
				for i := 10; i < 40; i++ {
					d := net.Dialer{Timeout: 2 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(i))}}
					c, err := d.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", p.port))
					if err != nil {
						out = append(out, "error")
						continue
					}
					c.SetDeadline(time.Now().Add(3 * time.Second))
					c.Write([]byte("traffic\n"))
					line, _ := bufio.NewReader(c).ReadString('\n')
					c.Close()
					out = append(out, strings.TrimSpace(line))
				}
				return out
			}
			time.Sleep(500 * time.Millisecond)
			before := [2][]string{mapping(procs[0]), mapping(procs[1])}
			servers[1].setMode("closed")
			deadline := time.Now().Add(10 * time.Second)
			for _, p := range procs {
				for len(p.log.stateLines()) == 0 {
					if time.Now().After(deadline) {
						t.Fatalf("%s did not mark s2 down", p.name)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			after := [2][]string{mapping(procs[0]), mapping(procs[1])}
			for i, what := range []string{"before", "after"} {
				m := [][2][]string{before, after}[i]
				if strings.Join(m[0], " ") != strings.Join(m[1], " ") {
					t.Errorf("%s s2 went down:\nhaproxy   %v\ngohaproxy %v", what, m[0], m[1])
				}
			}
			for _, s := range after[1] {
				if s == "s2" || s == "error" {
					t.Errorf("a client still went to %s after s2 went down: %v", s, after[1])
				}
			}
			if want, got := procs[0].log.stateLines(), procs[1].log.stateLines(); strings.Join(want, "\n") != strings.Join(got, "\n") {
				t.Errorf("state lines differ:\n%s\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
			}
		})
	}
}

// agentServer answers every connection with the current reply.
type agentServer struct {
	addr  string
	reply atomic.Value
}

func newAgentServer(t *testing.T) *agentServer {
	a := &agentServer{}
	a.reply.Store("up\n")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	a.addr = ln.Addr().String()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte(a.reply.Load().(string)))
			c.Close()
		}
	}()
	return a
}

// TestAgentCheckLikeHaproxy drives a server's agent through health,
// drain, maintenance and weight replies and requires haproxy's messages.
func TestAgentCheckLikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	s1 := newCtlServer(t, "s1", nil)
	s2 := newCtlServer(t, "s2", nil)
	agent := newAgentServer(t)
	_, aport, _ := net.SplitHostPort(agent.addr)
	dir := t.TempDir()
	type proc struct {
		name string
		port int
		log  *logBuf
	}
	var procs []*proc
	for _, p := range []struct{ name, bin string }{{"haproxy", oracle}, {"gohaproxy", ours}} {
		port := freePort(t)
		cfg := filepath.Join(dir, p.name+".cfg")
		text := fmt.Sprintf("global\n  nbthread 1\ndefaults\n  mode tcp\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\nbackend pool\n"+
			"  server s1 %s check inter 200ms agent-check agent-port %s agent-inter 200ms\n  server s2 %s check inter 200ms\n"+
			"frontend fe\n  bind 127.0.0.1:%d\n  default_backend pool\n", s1.addr, aport, s2.addr, port)
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		log := startLogged(t, p.bin, "-db", "-f", cfg)
		waitListening(t, fmt.Sprintf("127.0.0.1:%d", port))
		procs = append(procs, &proc{p.name, port, log})
	}
	// let the session of waitListening end before servers change state
	time.Sleep(time.Second)
	lines := 0
	for _, step := range []struct {
		reply string
		n     int
	}{
		{"stopped # disk full\n", 1},
		{"up\n", 1},
		{"fail\n", 1},
		{"up 50%\n", 1},
		{"drain\n", 1},
		{"ready\n", 1},
		{"maint\n", 1},
		{"ready\n", 1},
	} {
		agent.reply.Store(step.reply)
		lines += step.n
		deadline := time.Now().Add(10 * time.Second)
		for _, p := range procs {
			for len(p.log.stateLines()) < lines {
				if time.Now().After(deadline) {
					t.Fatalf("%s: no state change after agent reply %q:\n%s", p.name, step.reply, strings.Join(p.log.stateLines(), "\n"))
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		time.Sleep(600 * time.Millisecond)
	}
	want, got := procs[0].log.stateLines(), procs[1].log.stateLines()
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Errorf("agent state changes differ\nhaproxy:\n%s\ngohaproxy:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
}

// TestLogHealthChecksLikeHaproxy requires the per-check lines of "option
// log-health-checks" (and the shorter state lines that come with it) to be
// haproxy's.
func TestLogHealthChecksLikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	s1 := newCtlServer(t, "s1", nil)
	s2 := newCtlServer(t, "s2", nil)
	// (no "closed" mode before the proxies bind: a free port picked for
	// them could be s1's)
	s1.setMode("503")
	s2.setMode("503")
	dir := t.TempDir()
	type proc struct {
		name string
		log  *logBuf
	}
	var procs []*proc
	for _, p := range []struct{ name, bin string }{{"haproxy", oracle}, {"gohaproxy", ours}} {
		port := freePort(t)
		cfg := filepath.Join(dir, p.name+".cfg")
		text := fmt.Sprintf("global\n  nbthread 1\ndefaults\n  mode tcp\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n  timeout check 1s\n  option log-health-checks\n"+
			"backend pool\n  option httpchk GET /\n  server s1 %s check inter 200ms rise 2 fall 2\n  server s2 %s check inter 200ms backup\n"+
			// the frontend's sessions (waitListening's) must not count on
			// the checked servers
			"backend other\n  server o1 %s\n"+
			"frontend fe\n  bind 127.0.0.1:%d\n  default_backend other\n", s1.addr, s2.addr, s2.addr, port)
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		log := startLogged(t, p.bin, "-db", "-f", cfg)
		waitListening(t, fmt.Sprintf("127.0.0.1:%d", port))
		procs = append(procs, &proc{p.name, log})
	}
	lines := func(p *proc) []string {
		var out []string
		for _, l := range p.log.stateLines() {
			out = append(out, l)
		}
		p.log.mu.Lock()
		defer p.log.mu.Unlock()
		var checks []string
		for _, l := range strings.Split(p.log.b.String(), "\n") {
			if strings.Contains(l, "Health check for") {
				checks = append(checks, durationRe.ReplaceAllString(pidRe.ReplaceAllString(l, "(PID) : "), "check duration: Nms"))
			}
		}
		return append(out, checks...)
	}
	wait := func(n int) {
		deadline := time.Now().Add(15 * time.Second)
		for _, p := range procs {
			for len(lines(p)) < n {
				if time.Now().After(deadline) {
					t.Fatalf("%s: fewer than %d lines:\n%s", p.name, n, strings.Join(lines(p), "\n"))
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	// s1 DOWN + its check line, s2 DOWN + its check line + alert
	wait(5)
	s1.setMode("ok")
	// two passed checks, then UP
	wait(8)
	s1.setMode("503")
	// two failed checks, then DOWN and the alert
	wait(12)
	want, got := lines(procs[0]), lines(procs[1])
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Errorf("differ\nhaproxy:\n%s\ngohaproxy:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
}

// captureServer records the first request bytes of each connection and
// answers 200.
func captureServer(t *testing.T) (string, func() string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var first string
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(2 * time.Second))
			var req []byte
			buf := make([]byte, 4096)
			for !bytes.Contains(req, []byte("\r\n\r\n")) {
				n, err := c.Read(buf)
				req = append(req, buf[:n]...)
				if err != nil {
					break
				}
			}
			// a body announced by content-length
			if i := bytes.Index(req, []byte("content-length: ")); i >= 0 {
				var n int
				fmt.Sscanf(string(req[i+16:]), "%d", &n)
				for len(req)-bytes.Index(req, []byte("\r\n\r\n"))-4 < n {
					m, err := c.Read(buf)
					req = append(req, buf[:m]...)
					if err != nil {
						break
					}
				}
			}
			c.Write([]byte("HTTP/1.0 200 OK\r\n\r\n"))
			c.Close()
			mu.Lock()
			if first == "" {
				first = string(req)
			}
			mu.Unlock()
		}
	}()
	return ln.Addr().String(), func() string {
		mu.Lock()
		defer mu.Unlock()
		return first
	}
}

// TestHTTPCheckRequestLikeHaproxy requires the check requests to be
// byte for byte haproxy's, for the old and the 2.6 forms.
func TestHTTPCheckRequestLikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	for _, tc := range []string{
		"  option httpchk\n",
		"  option httpchk /ping\n",
		"  option httpchk GET /x HTTP/1.1\\r\\nHost:\\ foo\n",
		"  option httpchk POST /z HTTP/1.1\\r\\nHost:\\ x\\r\\nX-Y:\\ 1\\r\\n\\r\\nhi=1\n",
		"  option httpchk\n  http-check send meth POST uri /y ver HTTP/1.1 hdr Host bar hdr X-A b body hello\n",
	} {
		got := map[string]string{}
		for _, p := range []struct{ name, bin string }{{"haproxy", oracle}, {"gohaproxy", ours}} {
			addr, first := captureServer(t)
			port := freePort(t)
			cfg := filepath.Join(t.TempDir(), "h.cfg")
			text := fmt.Sprintf("defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\nbackend pool\n%s  server s1 %s check inter 100ms\nfrontend fe\n  bind 127.0.0.1:%d\n  default_backend pool\n", tc, addr, port)
			if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			startLogged(t, p.bin, "-db", "-f", cfg)
			deadline := time.Now().Add(10 * time.Second)
			for first() == "" && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			got[p.name] = first()
		}
		if got["haproxy"] == "" || got["haproxy"] != got["gohaproxy"] {
			t.Errorf("%q:\nhaproxy   %q\ngohaproxy %q", tc, got["haproxy"], got["gohaproxy"])
		}
	}
}

// TestEmailAlertsLikeHaproxy runs haproxy and gohaproxy with a mailers
// section pointing each at its own real SMTP server (aiosmtpd) and
// requires the same mails for a server going down and up again.
func TestEmailAlertsLikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	s1 := newCtlServer(t, "s1", nil)
	dir := t.TempDir()
	type proc struct {
		name string
		log  *logBuf
		msgs func() []string
	}
	var procs []*proc
	for _, p := range []struct{ name, bin string }{{"haproxy", oracle}, {"gohaproxy", ours}} {
		smtp, msgs := testenv.StartSMTP(t)
		port := freePort(t)
		cfg := filepath.Join(dir, p.name+".cfg")
		text := fmt.Sprintf("global\n  nbthread 1\nmailers mt\n  mailer smtp1 %s\n  timeout mail 10s\n"+
			"defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n"+
			"backend pool\n  email-alert mailers mt\n  email-alert from haproxy@lb1\n  email-alert to ops@example.com\n"+
			"  email-alert level notice\n  email-alert myhostname lbhost\n"+
			"  server s1 %s check inter 200ms rise 1 fall 1\n"+
			"frontend fe\n  bind 127.0.0.1:%d\n  default_backend pool\n", smtp, s1.addr, port)
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		log := startLogged(t, p.bin, "-db", "-f", cfg)
		waitListening(t, fmt.Sprintf("127.0.0.1:%d", port))
		procs = append(procs, &proc{p.name, log, msgs})
	}
	wait := func(n int) {
		deadline := time.Now().Add(20 * time.Second)
		for _, p := range procs {
			for len(p.msgs()) < n {
				if time.Now().After(deadline) {
					t.Fatalf("%s sent %d mails, want %d; log:\n%s", p.name, len(p.msgs()), n, strings.Join(p.log.stateLines(), "\n"))
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	time.Sleep(time.Second)
	s1.setMode("closed")
	wait(1)
	s1.setMode("ok")
	wait(2)
	dateRe := regexp.MustCompile(`(?m)^Date: .*$`)
	norm := func(msgs []string) string {
		var out []string
		for _, m := range msgs {
			var keep []string
			for _, l := range strings.Split(m, "\n") {
				if strings.HasPrefix(l, "X-Peer: ") {
					continue
				}
				keep = append(keep, l)
			}
			m = strings.Join(keep, "\n")
			m = dateRe.ReplaceAllString(m, "Date: D")
			out = append(out, durationRe.ReplaceAllString(m, "check duration: Nms"))
		}
		return strings.Join(out, "\n----\n")
	}
	want, got := norm(procs[0].msgs()), norm(procs[1].msgs())
	if want != got {
		t.Errorf("mails differ\nhaproxy:\n%s\ngohaproxy:\n%s", want, got)
	} else {
		t.Logf("same mails:\n%s", got)
	}
}
