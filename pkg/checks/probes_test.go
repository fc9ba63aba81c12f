package checks

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// server runs handle for every connection on a loopback listener until
// the test ends.
func server(t *testing.T, ln net.Listener, handle func(net.Conn)) string {
	t.Helper()
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
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
				c.SetDeadline(time.Now().Add(10 * time.Second))
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func tcpServer(t *testing.T, handle func(net.Conn)) string {
	return server(t, listen(t), handle)
}

// refusedAddr returns a loopback address where connections are refused:
// a socket is bound there but does not listen, so that no other process
// can take the port while the test runs.
func refusedAddr(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
}

// silent accepts and never answers.
func silent(c net.Conn) { io.Copy(io.Discard, c) }

func run(p Probe, addr string, timeout time.Duration) Result {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return p.Run(ctx, Target{Addr: addr})
}

type probeCase struct {
	name    string
	probe   Probe
	addr    string
	timeout time.Duration
	ok      bool
	status  Status
	code    int
}

func runCases(t *testing.T, cases []probeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			to := tc.timeout
			if to == 0 {
				to = 5 * time.Second
			}
			r := run(tc.probe, tc.addr, to)
			if r.OK != tc.ok || r.Status != tc.status || (tc.code != 0 && r.Code != tc.code) {
				t.Fatalf("got %v (ok=%v), want ok=%v %s code %d", r, r.OK, tc.ok, tc.status, tc.code)
			}
			if r.Reason != tc.status.Text() {
				t.Errorf("reason %q", r.Reason)
			}
			if r.Duration <= 0 || r.Duration > 10*time.Second {
				t.Errorf("duration %v", r.Duration)
			}
		})
	}
}

func TestStatusText(t *testing.T) {
	for st, want := range map[Status]string{
		StatusL4CON: "Layer4 connection problem", StatusL4TOUT: "Layer4 timeout",
		StatusL7STS: "Layer7 wrong status", StatusL7RSP: "Layer7 invalid response",
		StatusL6RSP: "Layer6 invalid response", "bogus": "Unknown",
	} {
		if st.Text() != want {
			t.Errorf("%s: %q", st, st.Text())
		}
	}
}

func TestTCP(t *testing.T) {
	echo := tcpServer(t, func(c net.Conn) {
		c.Write([]byte("+OK ready\r\n"))
		br := bufio.NewReader(c)
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(l, "PING") {
				c.Write([]byte("+PONG\r\n\x00\x01\x02"))
			}
		}
	})
	hang := tcpServer(t, silent)
	refused := refusedAddr(t)
	seq := func(steps ...Step) TCPSequence { return TCPSequence{Steps: steps} }
	runCases(t, []probeCase{
		{"connect ok", TCPConnect{}, echo, 0, true, StatusL4OK, 0},
		{"connect refused", TCPConnect{}, refused, 0, false, StatusL4CON, 0},
		{"send only", seq(Step{Send: []byte("x\n")}), echo, 0, true, StatusL4OK, 0},
		{"expect banner", seq(Step{ExpectString: "+OK"}), echo, 0, true, StatusL7OK, 0},
		{"send expect regex", seq(Step{ExpectString: "ready\r\n"}, Step{Send: []byte("PING\r\n"), ExpectRegex: regexp.MustCompile(`^\+PONG`)}), echo, 0, true, StatusL7OK, 0},
		{"expect binary", seq(Step{Send: []byte("PING\r\n"), ExpectBinary: []byte{0, 1, 2}}), echo, 0, true, StatusL7OK, 0},
		{"expect missing then close", seq(Step{Send: []byte("QUIT\r\n"), ExpectString: "nope"}), tcpServer(t, func(c net.Conn) { c.Write([]byte("bye")) }), 0, false, StatusL7RSP, 0},
		{"expect timeout", seq(Step{ExpectString: "x"}), hang, 300 * time.Millisecond, false, StatusL7TOUT, 0},
		{"expect over limit", TCPSequence{MaxRead: 4, Steps: []Step{{ExpectString: "ready"}}}, echo, 0, false, StatusL7RSP, 0},
		{"refused sequence", seq(Step{ExpectString: "x"}), refused, 0, false, StatusL4CON, 0},
	})
}

func TestConnectTimeout(t *testing.T) {
	// A listener with a full backlog is not portable; a context that is
	// already expired gives a deterministic layer 4 timeout.
	ctx, cancel := context.WithTimeout(context.Background(), -time.Second)
	defer cancel()
	r := TCPConnect{}.Run(ctx, Target{Addr: refusedAddr(t)})
	if r.OK || r.Status != StatusL4TOUT {
		t.Fatalf("got %v", r)
	}
}

func TestSource(t *testing.T) {
	got := make(chan string, 1)
	addr := tcpServer(t, func(c net.Conn) { got <- c.RemoteAddr().String() })
	src := testenv.FreeLoopbackAddr(t)
	r := TCPConnect{}.Run(context.Background(), Target{Addr: addr, Source: src})
	if !r.OK {
		t.Fatal(r)
	}
	if g := <-got; g != src {
		t.Errorf("source %s, want %s", g, src)
	}
	for _, bad := range []string{"nope", "127.0.0.1:99999", "1.2.3:80"} {
		r := TCPConnect{}.Run(context.Background(), Target{Addr: addr, Source: bad})
		if r.OK || r.Status != StatusSOCKERR {
			t.Errorf("source %q: %v", bad, r)
		}
	}
}

// httpServer is a minimal HTTP/1.1 server: it reads one request and
// answers with the response chosen by path; the last request is recorded.
type httpServer struct {
	mu   sync.Mutex
	last string
}

func (h *httpServer) handle(c net.Conn) {
	br := bufio.NewReader(c)
	var req strings.Builder
	length := 0
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return
		}
		req.WriteString(l)
		if strings.HasPrefix(strings.ToLower(l), "content-length:") {
			fmt.Sscanf(strings.TrimSpace(l[15:]), "%d", &length)
		}
		if l == "\r\n" {
			break
		}
	}
	body := make([]byte, length)
	if _, err := br.Read(body); length > 0 && err != nil {
		return
	}
	req.Write(body)
	h.mu.Lock()
	h.last = req.String()
	h.mu.Unlock()
	var path string
	fmt.Sscanf(req.String(), "%s %s", new(string), &path)
	switch path {
	case "/":
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world")
	case "/chunked":
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
	case "/close":
		fmt.Fprintf(c, "HTTP/1.0 200 OK\r\n\r\nhello world")
	case "/continue":
		fmt.Fprintf(c, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	case "/404":
		fmt.Fprintf(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
	case "/503":
		fmt.Fprintf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
	case "/garbage":
		fmt.Fprintf(c, "SSH-2.0-OpenSSH\r\n")
	case "/badheader":
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")
	case "/hang":
		io.Copy(io.Discard, c)
	case "/hugeheader":
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nX: %s\r\n\r\n", strings.Repeat("a", 20000))
	default:
		fmt.Fprintf(c, "HTTP/1.1 301 Moved\r\nLocation: /\r\nContent-Length: 0\r\n\r\n")
	}
}

func (h *httpServer) request() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

func TestHTTP(t *testing.T) {
	hs := &httpServer{}
	addr := tcpServer(t, hs.handle)
	sum := md5.Sum([]byte("hello world"))
	digest := hex.EncodeToString(sum[:])
	// keepalived hashes a chunked body with its framing (see genhash_test.go).
	rawSum := md5.Sum([]byte("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"))
	rawDigest := hex.EncodeToString(rawSum[:])
	st := func(lo, hi int) []StatusRange { return []StatusRange{{lo, hi}} }
	runCases(t, []probeCase{
		{"default 200", HTTP{}, addr, 0, true, StatusL7OK, 200},
		{"default 3xx ok", HTTP{Path: "/other"}, addr, 0, true, StatusL7OK, 301},
		{"default 404 fails", HTTP{Path: "/404"}, addr, 0, false, StatusL7STS, 404},
		{"status list", HTTP{Path: "/404", ExpectStatus: []StatusRange{{200, 200}, {404, 404}}}, addr, 0, true, StatusL7OK, 404},
		{"status range miss", HTTP{Path: "/503", ExpectStatus: st(200, 499)}, addr, 0, false, StatusL7STS, 503},
		{"status regex", HTTP{Path: "/503", ExpectStatusRegex: regexp.MustCompile(`^5`)}, addr, 0, true, StatusL7OK, 503},
		{"body string", HTTP{ExpectBody: "world"}, addr, 0, true, StatusL7OK, 200},
		{"body string miss", HTTP{ExpectBody: "moon"}, addr, 0, false, StatusL7RSP, 200},
		{"body regex chunked", HTTP{Path: "/chunked", ExpectBodyRegex: regexp.MustCompile(`^hello world$`)}, addr, 0, true, StatusL7OK, 200},
		{"digest", HTTP{Digest: digest}, addr, 0, true, StatusL7OK, 200},
		{"digest chunked", HTTP{Path: "/chunked", Digest: strings.ToUpper(rawDigest)}, addr, 0, true, StatusL7OK, 200},
		{"digest chunked decoded", HTTP{Path: "/chunked", Digest: digest}, addr, 0, false, StatusL7RSP, 200},
		{"digest chunked with body check", HTTP{Path: "/chunked", Digest: rawDigest, ExpectBody: "hello world"}, addr, 0, true, StatusL7OK, 200},
		{"digest until close", HTTP{Path: "/close", Digest: digest}, addr, 0, true, StatusL7OK, 200},
		{"digest mismatch", HTTP{Digest: "00000000000000000000000000000000"}, addr, 0, false, StatusL7RSP, 200},
		{"digest truncated", HTTP{Digest: digest, MaxBody: 5}, addr, 0, false, StatusL7RSP, 200},
		{"body bounded", HTTP{ExpectBody: "world", MaxBody: 5}, addr, 0, false, StatusL7RSP, 200},
		{"interim 100", HTTP{Path: "/continue", ExpectBody: "ok"}, addr, 0, true, StatusL7OK, 200},
		{"negated status", HTTP{Path: "/503", ExpectStatus: st(500, 599), NegateStatus: true}, addr, 0, false, StatusL7STS, 503},
		{"negated status passes", HTTP{ExpectStatus: st(500, 599), NegateStatus: true}, addr, 0, true, StatusL7OK, 200},
		{"regex_no_match fails", HTTP{ExpectBodyRegex: regexp.MustCompile(`wor`), NegateBody: true}, addr, 0, false, StatusL7RSP, 200},
		{"regex_no_match passes", HTTP{ExpectBodyRegex: regexp.MustCompile(`moon`), NegateBody: true}, addr, 0, true, StatusL7OK, 200},
		{"disable-on-404", HTTP{Path: "/404", DisableOn404: true}, addr, 0, true, StatusL7OKC, 404},
		{"disable-on-404 other status", HTTP{Path: "/503", DisableOn404: true}, addr, 0, false, StatusL7STS, 503},
		{"not http", HTTP{Path: "/garbage"}, addr, 0, false, StatusL7RSP, 0},
		{"bad header", HTTP{Path: "/badheader"}, addr, 0, false, StatusL7RSP, 0},
		{"huge header", HTTP{Path: "/hugeheader"}, addr, 0, false, StatusL7RSP, 0},
		{"timeout", HTTP{Path: "/hang"}, addr, 300 * time.Millisecond, false, StatusL7TOUT, 0},
		{"refused", HTTP{}, refusedAddr(t), 0, false, StatusL4CON, 0},
	})

	r := run(HTTP{Method: "POST", Path: "/", Version: "HTTP/1.1", Host: "example.org",
		Headers: [][2]string{{"X-Check", "1"}}, Body: []byte("ping")}, addr, 5*time.Second)
	if !r.OK {
		t.Fatal(r)
	}
	want := "POST / HTTP/1.1\r\nHost: example.org\r\nX-Check: 1\r\nContent-Length: 4\r\nConnection: close\r\n\r\nping"
	if got := hs.request(); got != want {
		t.Errorf("request\n%q\nwant\n%q", got, want)
	}
}

// tlsListener returns a TLS listener with a fresh self-signed certificate
// and a pool trusting it.
func tlsListener(t *testing.T) (net.Listener, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "check.test"},
		DNSNames:     []string{"check.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	return tls.NewListener(listen(t), cfg), pool
}

func TestTLS(t *testing.T) {
	ln, pool := tlsListener(t)
	sni := make(chan string, 16)
	hs := &httpServer{}
	addr := server(t, ln, func(c net.Conn) {
		tc := c.(*tls.Conn)
		if tc.Handshake() != nil {
			return
		}
		sni <- tc.ConnectionState().ServerName
		hs.handle(c)
	})
	plain := tcpServer(t, func(c net.Conn) { c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")) })
	hang := tcpServer(t, silent)
	trusted := &tls.Config{RootCAs: pool}
	runCases(t, []probeCase{
		{"hello", TLSHello{ServerName: "check.test"}, addr, 0, true, StatusL6OK, 0},
		{"hello verified", TLSHello{ServerName: "check.test", Verify: true, Config: trusted}, addr, 0, true, StatusL6OK, 0},
		{"hello wrong name", TLSHello{ServerName: "other.test", Verify: true, Config: trusted}, addr, 0, false, StatusL6RSP, 0},
		{"hello untrusted", TLSHello{ServerName: "check.test", Verify: true}, addr, 0, false, StatusL6RSP, 0},
		{"hello to plain server", TLSHello{}, plain, 0, false, StatusL6RSP, 0},
		{"hello timeout", TLSHello{}, hang, 300 * time.Millisecond, false, StatusL6TOUT, 0},
		{"hello refused", TLSHello{}, refusedAddr(t), 0, false, StatusL4CON, 0},
		{"https", HTTP{TLS: true, ServerName: "check.test", ExpectBody: "hello"}, addr, 0, true, StatusL7OK, 200},
		{"https 404", HTTP{TLS: true, Path: "/404"}, addr, 0, false, StatusL7STS, 404},
		{"https to plain", HTTP{TLS: true}, plain, 0, false, StatusL6RSP, 0},
	})
	close(sni)
	var names []string
	for n := range sni {
		names = append(names, n)
	}
	if len(names) == 0 || names[0] != "check.test" {
		t.Errorf("SNI seen %q", names)
	}
}

func TestExec(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "check.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n[ \"$1\" = sleep ] && exec sleep 30\nexit ${CODE:-$1}\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	x := func(dyn bool, args ...string) Exec { return Exec{Path: script, Args: args, MiscDynamic: dyn} }
	tests := []struct {
		probeCase
		weight int
	}{
		{probeCase{"exit 0", x(false, "0"), "", 0, true, StatusPROCOK, 0}, -1},
		{probeCase{"exit 1", x(false, "1"), "", 0, false, StatusPROCERR, 1}, -1},
		{probeCase{"exit 7 static", x(false, "7"), "", 0, false, StatusPROCERR, 7}, -1},
		{probeCase{"exit 7 dynamic", x(true, "7"), "", 0, true, StatusPROCOK, 7}, 5},
		{probeCase{"exit 2 dynamic", x(true, "2"), "", 0, true, StatusPROCOK, 2}, 0},
		{probeCase{"exit 1 dynamic", x(true, "1"), "", 0, false, StatusPROCERR, 1}, -1},
		{probeCase{"env", Exec{Path: script, Env: []string{"CODE=0"}}, "", 0, true, StatusPROCOK, 0}, -1},
		{probeCase{"timeout", x(false, "sleep"), "", 300 * time.Millisecond, false, StatusPROCTOUT, 0}, -1},
		{probeCase{"own timeout", Exec{Path: script, Args: []string{"sleep"}, Timeout: 200 * time.Millisecond}, "", 0, false, StatusPROCTOUT, 0}, -1},
		{probeCase{"missing program", Exec{Path: filepath.Join(dir, "nope")}, "", 0, false, StatusPROCERR, 0}, -1},
	}
	for _, tc := range tests {
		runCases(t, []probeCase{tc.probeCase})
		to := tc.timeout
		if to == 0 {
			to = 5 * time.Second
		}
		if r := run(tc.probe, "", to); r.Weight != tc.weight {
			t.Errorf("%s: weight %d, want %d", tc.name, r.Weight, tc.weight)
		}
	}
}

func smtpServer(t *testing.T, greeting, heloReply string) (string, chan string) {
	got := make(chan string, 16)
	return tcpServer(t, func(c net.Conn) {
		fmt.Fprint(c, greeting)
		br := bufio.NewReader(c)
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return
			}
			got <- strings.TrimSpace(l)
			switch {
			case strings.HasPrefix(l, "HELO"):
				fmt.Fprint(c, heloReply)
			case strings.HasPrefix(l, "EHLO"):
				fmt.Fprint(c, "250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
			case strings.HasPrefix(l, "QUIT"):
				fmt.Fprint(c, "221 bye\r\n")
				return
			}
		}
	}), got
}

func TestSMTP(t *testing.T) {
	good, got := smtpServer(t, "220-mx.test ESMTP\r\n220 ready\r\n", "250 mx.test\r\n")
	busy, _ := smtpServer(t, "554 no service\r\n", "")
	badHelo, _ := smtpServer(t, "220 ready\r\n", "501 syntax\r\n")
	garbage, _ := smtpServer(t, "hello\r\n", "")
	runCases(t, []probeCase{
		{"ok", SMTP{Helo: "checker.test"}, good, 0, true, StatusL7OK, 250},
		{"ehlo multiline", SMTP{Verb: "EHLO"}, badHelo, 0, true, StatusL7OK, 250},
		{"greeting 554", SMTP{}, busy, 0, false, StatusL7STS, 554},
		{"helo rejected", SMTP{}, badHelo, 0, false, StatusL7STS, 501},
		{"not smtp", SMTP{}, garbage, 0, false, StatusL7RSP, 0},
		{"timeout", SMTP{}, tcpServer(t, silent), 300 * time.Millisecond, false, StatusL7TOUT, 0},
		{"refused", SMTP{}, refusedAddr(t), 0, false, StatusL4CON, 0},
	})
	if l := <-got; l != "HELO checker.test" {
		t.Errorf("got %q", l)
	}
	if l := <-got; l != "QUIT" {
		t.Errorf("got %q", l)
	}
}

// dnsServer answers queries on a loopback UDP socket. mode selects the
// answer: "ok", "nxdomain", "empty", "wrongid", "silent".
func dnsServer(t *testing.T, mode string) (string, chan []byte) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	queries := make(chan []byte, 16)
	done := make(chan struct{})
	t.Cleanup(func() { pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			q := append([]byte(nil), buf[:n]...)
			queries <- q
			if mode == "silent" || n < 12 {
				continue
			}
			resp := append([]byte(nil), q...)
			resp[2] |= 0x80 // QR
			switch mode {
			case "nxdomain":
				resp[3] = 3
			case "wrongid":
				resp[0] ^= 0xff
			case "ok":
				binary.BigEndian.PutUint16(resp[6:], 1) // ANCOUNT
				resp = append(resp, 0xc0, 12)           // name pointer
				resp = append(resp, q[n-4:n]...)        // type, class
				resp = append(resp, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1)
			}
			pc.WriteTo(resp, from)
		}
	}()
	return pc.LocalAddr().String(), queries
}

func TestDNS(t *testing.T) {
	ok, queries := dnsServer(t, "ok")
	nx, _ := dnsServer(t, "nxdomain")
	empty, _ := dnsServer(t, "empty")
	wrongID, _ := dnsServer(t, "wrongid")
	quiet, _ := dnsServer(t, "silent")
	a, _ := DNSType("a")
	runCases(t, []probeCase{
		{"ok", DNS{Type: a, Name: "www.example.org."}, ok, 0, true, StatusL7OK, 0},
		{"nxdomain", DNS{Name: "x.test"}, nx, 0, false, StatusL7STS, 3},
		{"no answer", DNS{}, empty, 0, false, StatusL7RSP, 0},
		{"wrong id ignored", DNS{}, wrongID, 300 * time.Millisecond, false, StatusL7TOUT, 0},
		{"no response", DNS{}, quiet, 300 * time.Millisecond, false, StatusL7TOUT, 0},
		{"refused port", DNS{}, refusedUDP(t), 2 * time.Second, false, StatusL4CON, 0},
	})
	q := <-queries
	want := append([]byte{3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0}, 0, 1, 0, 1)
	if string(q[12:]) != string(want) || binary.BigEndian.Uint16(q[4:]) != 1 {
		t.Errorf("query %x", q)
	}
	if r := run(DNS{Name: "a..b"}, ok, time.Second); r.Status != StatusSOCKERR {
		t.Errorf("bad name: %v", r)
	}
}

func refusedUDP(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := pc.LocalAddr().String()
	pc.Close()
	return a
}

// TestSchedulerReal runs the scheduler with real time against a server
// that goes away.
func TestSchedulerReal(t *testing.T) {
	ln := listen(t)
	addr := server(t, ln, func(net.Conn) {})
	s := NewScheduler(context.Background(), Options{})
	defer s.Stop()
	err := s.Add(Check{Name: "web", Target: Target{Addr: addr}, Probe: TCPConnect{},
		Intervals: Intervals{Inter: 20 * time.Millisecond}, Rise: 2, Fall: 2, Initial: Down, Spread: 10,
		Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	wait := func(want State) Event {
		select {
		case ev := <-s.Events():
			if ev.New != want {
				t.Fatalf("event %+v, want %v", ev, want)
			}
			return ev
		case <-time.After(20 * time.Second):
			t.Fatalf("no %v event", want)
		}
		return Event{}
	}
	wait(Up)
	ln.Close()
	ev := wait(Down)
	if ev.Result.Status != StatusL4CON || ev.Result.Reason != "Layer4 connection problem" {
		t.Errorf("down result %v", ev.Result)
	}
}
