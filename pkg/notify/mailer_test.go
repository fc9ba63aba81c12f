package notify

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

var testTime = time.Date(2026, 11, 25, 14, 3, 4, 0, time.UTC)

func observed() (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.DebugLevel)
	return zap.New(core), logs
}

func newTestMailer(t *testing.T, cfg MailerConfig) *Mailer {
	t.Helper()
	cfg.Now = func() time.Time { return testTime }
	cfg.Location = time.UTC
	m, err := NewMailer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		m.Close(ctx)
	})
	return m
}

func waitMessages(t *testing.T, msgs func() []string, n int) []string {
	t.Helper()
	if !testenv.WaitFor(30*time.Second, func() bool { return len(msgs()) >= n }) {
		t.Fatalf("the SMTP server received %d messages, want %d", len(msgs()), n)
	}
	return msgs()
}

// withoutPeer removes the X-Peer header aiosmtpd adds.
func withoutPeer(msg string) string {
	var out []string
	for _, l := range strings.Split(msg, "\n") {
		if !strings.HasPrefix(l, "X-Peer: ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestMailKeepalivedAiosmtpd(t *testing.T) {
	addr, msgs := testenv.StartSMTP(t)
	log, logs := observed()
	m := newTestMailer(t, MailerConfig{
		Servers:  []string{addr},
		HeloName: "lb1.example",
		From:     "keepalived@lb1.example",
		To:       []string{"ops@example.com", "oncall@example.com"},
		Logger:   log,
	})
	mail, ok := VRRPInstanceMail("LVS_1", "VI_1", Master)
	if !ok {
		t.Fatal("no mail for MASTER")
	}
	if err := m.Send(mail); err != nil {
		t.Fatal(err)
	}
	vs := Service(netip.MustParseAddrPort("10.0.0.1:443"), "tcp")
	rs := Service(netip.MustParseAddrPort("10.0.0.2:443"), "tcp")
	if err := m.Send(RealServerMail("LVS_1", rs, vs, false, CheckerBody(HTTPGet, false, "HTTP status code error"))); err != nil {
		t.Fatal(err)
	}
	got := waitMessages(t, msgs, 2)
	want := []string{
		"Date: Wed, 25 Nov 2026 14:03:04 +0000\n" +
			"From: keepalived@lb1.example\n" +
			"Subject: [LVS_1] VRRP Instance VI_1 - Entering MASTER state\n" +
			"X-Mailer: Keepalived\n" +
			"To: ops@example.com, oncall@example.com\n" +
			"\n" +
			"=> VRRP Instance is now owning VRRP VIPs <=\n",
		"Date: Wed, 25 Nov 2026 14:03:04 +0000\n" +
			"From: keepalived@lb1.example\n" +
			"Subject: [LVS_1] Realserver [10.0.0.2]:tcp:443 of virtual server [10.0.0.1]:tcp:443 - DOWN\n" +
			"X-Mailer: Keepalived\n" +
			"To: ops@example.com, oncall@example.com\n" +
			"\n" +
			"=> CHECK failed on service : HTTP status code error <=\n",
	}
	for i := range want {
		if g := withoutPeer(got[i]); g != want[i] {
			t.Errorf("message %d:\n got %q\nwant %q", i, g, want[i])
		}
	}
	if !testenv.WaitFor(10*time.Second, func() bool {
		return logs.FilterMessage("SMTP alert successfully sent.").Len() == 2
	}) {
		t.Errorf("success not logged: %v", logs.All())
	}
}

func TestMailHAProxyAiosmtpd(t *testing.T) {
	addr, msgs := testenv.StartSMTP(t)
	m := newTestMailer(t, MailerConfig{
		Style:    HAProxy,
		Servers:  []string{addr},
		HeloName: "lb1",
		From:     "haproxy@lb1",
		To:       []string{"ops@example.com"},
	})
	logLine := "Server be/srv1 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: 0ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."
	if err := m.Send(HAProxyServerMail(logLine)); err != nil {
		t.Fatal(err)
	}
	got := waitMessages(t, msgs, 1)
	text := strings.TrimSuffix(logLine, ".")
	want := "From: haproxy@lb1\n" +
		"To: ops@example.com\n" +
		"Date: Wed, 25 Nov 2026 14:03:04 +0000 (UTC)\n" +
		"Subject: [HAProxy Alert] " + text + "\n" +
		"\n" + text + "\n"
	if g := withoutPeer(got[0]); g != want {
		t.Errorf("\n got %q\nwant %q", g, want)
	}
}

// TestMailHAProxyOracle runs Debian's haproxy 2.6 with a mailers section
// and a server that is down, and our Mailer with the log line haproxy
// printed; the SMTP server must receive the same message (Date aside).
func TestMailHAProxyOracle(t *testing.T) {
	haproxy := testenv.Oracle(t, "haproxy")
	addr, msgs := testenv.StartSMTP(t)
	dir := t.TempDir()
	cfg := "global\n    log stdout format raw local0 info\n" +
		"mailers mt\n    mailer smtp1 " + addr + "\n    timeout mail 10s\n" +
		"defaults\n    mode tcp\n    log global\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n" +
		"backend be\n    email-alert mailers mt\n    email-alert from haproxy@lb1\n    email-alert to ops@example.com\n" +
		"    email-alert level info\n    email-alert myhostname lbhost\n" +
		"    server srv1 " + testenv.FreeLoopbackAddr(t) + " check inter 200ms fall 1\n" +
		"frontend fe\n    bind " + testenv.FreeLoopbackAddr(t) + "\n    default_backend be\n"
	if err := os.WriteFile(filepath.Join(dir, "h.cfg"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(haproxy, "-db", "-f", filepath.Join(dir, "h.cfg"))
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		if p := cmd.Process; p != nil && p.Pid == pid {
			p.Kill()
		}
		cmd.Wait()
	})
	theirs := waitMessages(t, msgs, 1)[0]
	var logLine string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(l, "Server be/srv1 is DOWN") {
			logLine = l
		}
	}
	if logLine == "" {
		t.Fatalf("no DOWN log line in haproxy's output:\n%s", out.String())
	}
	m := newTestMailer(t, MailerConfig{Style: HAProxy, Servers: []string{addr}, HeloName: "lbhost", From: "haproxy@lb1", To: []string{"ops@example.com"}})
	if err := m.Send(HAProxyServerMail(logLine)); err != nil {
		t.Fatal(err)
	}
	ours := waitMessages(t, msgs, 2)[1]
	norm := func(s string) string {
		var keep []string
		for _, l := range strings.Split(withoutPeer(s), "\n") {
			if strings.HasPrefix(l, "Date: ") {
				// Same layout, different instant and zone.
				l = "Date: " + dateShape.ReplaceAllString(strings.TrimPrefix(l, "Date: "), "D")
			}
			keep = append(keep, l)
		}
		return strings.Join(keep, "\n")
	}
	if norm(ours) != norm(theirs) {
		t.Errorf("haproxy sent:\n%s\nwe sent:\n%s", theirs, ours)
	}
}

// dateShape matches haproxy's Date header value.
var dateShape = regexp.MustCompile(`^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4} \([A-Za-z0-9+-]+\)$`)

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// script is a scripted SMTP server: it answers each command from the
// replies and records what it received.
func scriptedSMTP(t *testing.T, handle func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				stop := context.AfterFunc(ctx, func() { c.Close() })
				defer stop()
				defer c.Close()
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		cancel()
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

func TestMailServerDownRetriesAndLogs(t *testing.T) {
	addr := testenv.FreeLoopbackAddr(t) // nothing listens there
	log, logs := observed()
	m := newTestMailer(t, MailerConfig{
		Servers: []string{addr},
		From:    "a@b",
		To:      []string{"c@d"},
		Retries: 2,
		Backoff: 10 * time.Millisecond,
		Logger:  log,
	})
	start := time.Now()
	if err := m.Send(Mail{Subject: "s", Body: "b"}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send blocked for %v", d)
	}
	if !testenv.WaitFor(30*time.Second, func() bool { return logs.FilterLevelExact(zapcore.ErrorLevel).Len() == 1 }) {
		t.Fatalf("final failure not logged: %v", logs.All())
	}
	if n := logs.FilterMessage("SMTP alert not sent, will retry").Len(); n != 2 {
		t.Errorf("%d retries logged, want 2", n)
	}
	e := logs.FilterLevelExact(zapcore.ErrorLevel).All()[0]
	reason, _ := e.ContextMap()["error"].(string)
	if !strings.Contains(reason, "SMTP connection ERROR to [127.0.0.1]") || e.ContextMap()["attempts"] != int64(3) {
		t.Errorf("final log entry %q %v", e.Message, e.ContextMap())
	}
}

func TestMailRejectedRecipientLogged(t *testing.T) {
	addr := scriptedSMTP(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		c.Write([]byte("220 test ESMTP\r\n"))
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return
			}
			switch {
			case strings.HasPrefix(l, "RCPT"):
				c.Write([]byte("550 5.1.1 no such user\r\n"))
			case strings.HasPrefix(l, "QUIT"):
				c.Write([]byte("221 bye\r\n"))
				return
			default:
				c.Write([]byte("250 ok\r\n"))
			}
		}
	})
	log, logs := observed()
	m := newTestMailer(t, MailerConfig{Servers: []string{addr}, From: "a@b", To: []string{"c@d"}, Retries: -1, Logger: log})
	m.Send(Mail{Subject: "s"})
	if !testenv.WaitFor(30*time.Second, func() bool { return logs.FilterLevelExact(zapcore.ErrorLevel).Len() == 1 }) {
		t.Fatalf("failure not logged: %v", logs.All())
	}
	reason := logs.FilterLevelExact(zapcore.ErrorLevel).All()[0].ContextMap()["error"]
	want := "Error processing RCPT cmd on SMTP server [127.0.0.1]:" + addr[strings.LastIndex(addr, ":")+1:] + ". SMTP status code = 550 (550 5.1.1 no such user)"
	if reason != want {
		t.Errorf("reason %q, want %q", reason, want)
	}
}

func TestMailQueueFullDropLoggedAndCloseBounded(t *testing.T) {
	// A server that accepts and never answers: the worker waits for its
	// timeout while mails pile up.
	addr := scriptedSMTP(t, func(c net.Conn) { c.Read(make([]byte, 1)) })
	log, logs := observed()
	m, err := NewMailer(context.Background(), MailerConfig{
		Servers: []string{addr}, From: "a@b", To: []string{"c@d"},
		Timeout: time.Minute, QueueSize: 2, Retries: -1, Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	var full int
	start := time.Now()
	for i := 0; i < 10; i++ {
		if err := m.Send(Mail{Subject: "s"}); errors.Is(err, ErrQueueFull) {
			full++
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send blocked for %v", d)
	}
	// One mail is with the worker, two queued: at least 7 dropped.
	if full < 7 {
		t.Errorf("%d sends refused, want >= 7", full)
	}
	if n := logs.FilterMessageSnippet("mail queue full").Len(); n != full {
		t.Errorf("%d drops logged, want %d", n, full)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := m.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want deadline exceeded", err)
	}
	if n := logs.FilterMessageSnippet("shutting down").Len(); n < 1 {
		t.Errorf("shutdown drops not logged: %v", logs.All())
	}
	if err := m.Send(Mail{Subject: "late"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close = %v", err)
	}
}

func TestMailerConfigErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := NewMailer(ctx, MailerConfig{To: []string{"a@b"}}); !errors.Is(err, ErrNoServer) {
		t.Error(err)
	}
	if _, err := NewMailer(ctx, MailerConfig{Servers: []string{"127.0.0.1:25"}}); !errors.Is(err, ErrNoRcpt) {
		t.Error(err)
	}
	if _, err := NewMailer(ctx, MailerConfig{Servers: []string{"127.0.0.1"}, To: []string{"a@b"}}); err == nil {
		t.Error("server without port accepted")
	}
}

func TestMessages(t *testing.T) {
	cases := []struct{ got, want Mail }{
		{must(VRRPInstanceMail("r", "VI_1", Backup)), Mail{"[r] VRRP Instance VI_1 - Entering BACKUP state", "=> VRRP Instance is no longer owning VRRP VIPs <="}},
		{must(VRRPInstanceMail("r", "VI_1", Fault)), Mail{"[r] VRRP Instance VI_1 - Entering FAULT state", "=> VRRP Instance is no longer owning VRRP VIPs <="}},
		{must(VRRPInstanceMail("", "VI_1", Stop)), Mail{"VRRP Instance VI_1 - Stopping", "=> VRRP Instance stopping <="}},
		{must(VRRPGroupMail("r", "G", Master)), Mail{"[r] VRRP Group G - Entering MASTER state", "=> All VRRP group instances are now in MASTER state <="}},
		{must(VRRPGroupMail("r", "G", Stop)), Mail{"[r] VRRP Group G - Stopping", "=> All VRRP group instances are now stopping <="}},
		{RealServerMail("r", Service(netip.MustParseAddrPort("[2001:db8::2]:80"), "tcp"), FwmarkService(7), true, CheckerBody(TCPCheck, true, "")),
			Mail{"[r] Realserver [2001:db8::2]:tcp:80 of virtual server FWM 7 - UP", "=> TCP CHECK succeed on service <="}},
		{RealServerMail("r", "x", GroupService("vsg", 80), false, CheckerBody(MiscCheck, false, "")),
			Mail{"[r] Realserver x of virtual server [vsg]:80 - DOWN", "=> MISC CHECK failed on service <="}},
		{Mail{Body: CheckerBody(SSLGet, true, "")}, Mail{Body: "=> CHECK succeed on service <="}},
		{Mail{Body: CheckerBody(SMTPCheck, false, "")}, Mail{Body: "=> CHECK failed on service <="}},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("%d: got %q want %q", i, c.got, c.want)
		}
	}
	if _, ok := VRRPInstanceMail("r", "VI", MasterRxLowerPri); ok {
		t.Error("mail for MASTER_RX_LOWER_PRI")
	}
}

func must(m Mail, ok bool) Mail {
	if !ok {
		panic("no mail")
	}
	return m
}

func TestRenderTruncatesAndStuffs(t *testing.T) {
	long := strings.Repeat("x", 600)
	b := string(Render(Keepalived, testTime, "f", []string{"t"}, Mail{Subject: "a\r\nBcc: evil" + long, Body: ".dot\n" + long}))
	if strings.Contains(b, "\r\nBcc:") {
		t.Error("line break in subject not neutralised")
	}
	if !strings.Contains(b, "\r\n..dot\r\n") {
		t.Error("leading dot not doubled")
	}
	_, body, _ := strings.Cut(b, "\r\n\r\n")
	if n := len(strings.ReplaceAll(body, "\r\n", "")); n != keepalivedMaxBody {
		t.Errorf("body %d bytes, want %d (keepalived's limit; the doubled dot counts)", n, keepalivedMaxBody)
	}
}

func TestLevels(t *testing.T) {
	alert, _ := ParseLevel("alert")
	info, _ := ParseLevel("info")
	if !HAProxyWants(alert, info) || HAProxyWants(info, alert) {
		t.Error("level filter")
	}
	if _, ok := ParseLevel("loud"); ok {
		t.Error("bad level accepted")
	}
}

func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"220 ok\r\n", "250-a\r\n250-b\r\n250 c\r\n", "25", "999 x\r\n", "250x\r\n", "250-" + strings.Repeat("a", 2000) + "\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, _, err := readReply(bufio.NewReader(strings.NewReader(s)))
		if err == nil && (code < 100 || code > 599) {
			t.Fatalf("code %d accepted", code)
		}
	})
}
