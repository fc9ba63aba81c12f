package healthcheck

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

func load(t *testing.T, text string) *haproxycfg.Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), "h.cfg")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags, err := haproxycfg.Load([]string{p}, haproxycfg.Options{})
	if err != nil || diags.HasAlerts() {
		t.Fatalf("config: %v %v", err, diags)
	}
	return cfg
}

func build(t *testing.T, body string) (*Spec, error) {
	t.Helper()
	cfg := load(t, "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\nbackend be\n"+body)
	px := cfg.Proxy("be")
	return Build(cfg.Global, px, px.Servers[0])
}

func TestBuildTimingAndAddress(t *testing.T) {
	sp, err := build(t, "  server s 10.0.0.1:80 check inter 3s fastinter 1s downinter 5s rise 4 fall 5 port 8080 addr 10.0.0.2\n")
	if err != nil {
		t.Fatal(err)
	}
	if sp.Addr != "10.0.0.2:8080" || sp.Inter != 3*time.Second || sp.FastInter != time.Second ||
		sp.DownInter != 5*time.Second || sp.Rise != 4 || sp.Fall != 5 || sp.Timeout != 3*time.Second {
		t.Errorf("spec %+v", sp)
	}
	sp, err = build(t, "  server s 10.0.0.1:80\n")
	if err != nil || sp != nil {
		t.Errorf("unchecked server: %v %v", sp, err)
	}
	sp, err = build(t, "  default-server inter 500ms\n  server s 10.0.0.1:80 check\n")
	if err != nil || sp.Inter != 500*time.Millisecond || sp.Rise != DefaultRise || sp.Fall != DefaultFall {
		t.Errorf("defaults: %+v %v", sp, err)
	}
}

func TestBuildRefusesWhatItCannotRun(t *testing.T) {
	for _, body := range []string{
		"  server s 10.0.0.1:80 agent-check agent-port 9999\n",
		"  server s 10.0.0.1:80 check on-marked-down shutdown-sessions\n",
		"  option spop-check\n  server s 10.0.0.1:80 check\n",
		"  option httpchk\n  http-check connect alpn h2\n  server s 10.0.0.1:80 check\n",
		"  server s 10.0.0.1 check\n",
		"  option httpchk\n  http-check expect status 200 on-error %[res.hdr(x),lower]\n  server s 10.0.0.1:80 check\n",
		"  option httpchk\n  http-check expect status 200 on-error %ci\n  server s 10.0.0.1:80 check\n",
		"  option httpchk\n  http-check expect status 200 status-code req.hdr(x)\n  server s 10.0.0.1:80 check\n",
		"  option tcp-check\n  tcp-check expect string OK status-code res.hdr(x)\n  server s 10.0.0.1:80 check\n",
	} {
		_, err := build(t, body)
		var ue *UnsupportedError
		if !errors.As(err, &ue) || ue.Pos.Line == 0 {
			t.Errorf("%q: got %v, want an UnsupportedError with its line", body, err)
		}
	}
}

func TestHTTPRequestForms(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"  option httpchk\n", "OPTIONS / HTTP/1.0\r\n\r\n"},
		{"  option httpchk /ping\n", "OPTIONS /ping HTTP/1.0\r\n\r\n"},
		{"  option httpchk GET /ping HTTP/1.1\\r\\nHost:\\ www\n", "GET /ping HTTP/1.1\r\nhost: www\r\nconnection: close\r\n\r\n"},
		{"  option httpchk\n  http-check send meth POST uri /x ver HTTP/1.1 hdr Host a body hi\n",
			"POST /x HTTP/1.1\r\nhost: a\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi"},
	} {
		sp, err := build(t, tc.body+"  server s 10.0.0.1:80 check\n")
		if err != nil {
			t.Fatalf("%q: %v", tc.body, err)
		}
		if got := string(sp.Probe.Rules[0].httpRequest()); got != tc.want {
			t.Errorf("%q: request %q, want %q", tc.body, got, tc.want)
		}
	}
}

// answer starts a server that answers every connection with reply (after
// reading a request when read is set) and returns its address.
func answer(t *testing.T, reply string, read bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if read {
					buf := make([]byte, 4096)
					c.SetReadDeadline(time.Now().Add(2 * time.Second))
					c.Read(buf)
				}
				c.Write([]byte(reply))
				time.Sleep(50 * time.Millisecond)
			}()
		}
	}()
	return ln.Addr().String()
}

func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().String()
	ln.Close()
	return a
}

func runSpec(t *testing.T, body, addr string) checks.Result {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	sp, err := build(t, body+"  server s "+host+":"+port+" check\n")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return sp.Probe.Run(ctx, checks.Target{Addr: sp.Addr})
}

func TestProbeResultsLikeHaproxy(t *testing.T) {
	ok200 := "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
	for _, tc := range []struct {
		name, body, reply string
		read, closed      bool
		ok                bool
		st                checks.Status
		code              int
		info              string
	}{
		{"plain refused", "", "", false, true, false, checks.StatusL4CON, 0, "Connection refused"},
		{"plain ok", "", "", false, false, true, checks.StatusL4OK, 0, ""},
		{"http ok", "  option httpchk\n", ok200, true, false, true, checks.StatusL7OK, 200, ""},
		{"http 503", "  option httpchk\n", "HTTP/1.1 503 Service Unavailable\r\n\r\n", true, false, false, checks.StatusL7STS, 503, "Service Unavailable"},
		{"http garbage", "  option httpchk\n", "garbage\r\n\r\n", true, false, false, checks.StatusL7RSP, 0, ""},
		{"http string", "  option httpchk\n  http-check expect string hello\n", ok200, true, false, true, checks.StatusL7OK, 200, ""},
		{"http string miss", "  option httpchk\n  http-check expect string bye\n", ok200, true, false, false, checks.StatusL7RSP, 200, "HTTP content check did not match"},
		{"http not status", "  option httpchk\n  http-check expect ! status 200\n", ok200, true, false, false, checks.StatusL7STS, 200, "OK"},
		{"http rstatus", "  option httpchk\n  http-check expect rstatus ^2\n", ok200, true, false, true, checks.StatusL7OK, 200, ""},
		{"tcp-check ok", "  option tcp-check\n  tcp-check send PING\\r\\n\n  tcp-check expect string PONG\n", "+PONG\r\n", true, false, true, checks.StatusL7OK, 0, "(tcp-check)"},
		{"tcp-check miss", "  option tcp-check\n  tcp-check send PING\\r\\n\n  tcp-check expect string PONG\n", "nope\r\n", true, false, false, checks.StatusL7RSP, 0, "TCPCHK did not match content 'PONG' at step 2"},
		{"tcp-check refused", "  option tcp-check\n  tcp-check expect string PONG\n", "", false, true, false, checks.StatusL4CON, 0, "Connection refused at initial connection step of tcp-check"},
		{"tcp-check binary", "  option tcp-check\n  tcp-check send-binary 50494e47\n  tcp-check expect binary 504f4e47\n", "PONG", true, false, true, checks.StatusL7OK, 0, "(tcp-check)"},
		{"redis", "  option redis-check\n", "+PONG\r\n", true, false, true, checks.StatusL7OK, 0, "Redis server is ok"},
		{"redis error", "  option redis-check\n", "-ERR auth\r\n", true, false, false, checks.StatusL7STS, 0, "-ERR auth"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := closedAddr(t)
			if !tc.closed {
				addr = answer(t, tc.reply, tc.read)
			}
			r := runSpec(t, tc.body, addr)
			if r.OK != tc.ok || r.Status != tc.st || r.Code != tc.code || r.Info != tc.info {
				t.Errorf("got ok=%v %s code=%d info=%q, want ok=%v %s code=%d info=%q", r.OK, r.Status, r.Code, r.Info, tc.ok, tc.st, tc.code, tc.info)
			}
		})
	}
}

func TestProbeTimeouts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { time.Sleep(3 * time.Second); c.Close() }()
		}
	}()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	for _, tc := range []struct {
		body string
		st   checks.Status
		info string
	}{
		{"  option httpchk\n", checks.StatusL7TOUT, ""},
		{"  option tcp-check\n  tcp-check expect string PONG\n", checks.StatusL7TOUT, " at step 1 of tcp-check (expect string 'PONG')"},
	} {
		cfg := load(t, "defaults\n  mode tcp\n  timeout connect 1s\n  timeout check 200ms\nbackend be\n"+tc.body+"  server s "+host+":"+port+" check\n")
		px := cfg.Proxy("be")
		sp, err := Build(cfg.Global, px, px.Servers[0])
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), sp.Timeout)
		r := sp.Probe.Run(ctx, checks.Target{Addr: sp.Addr})
		cancel()
		if r.OK || r.Status != tc.st || r.Info != tc.info {
			t.Errorf("%q: got %s %q, want %s %q", tc.body, r.Status, r.Info, tc.st, tc.info)
		}
	}
}

// FuzzProbeResponses feeds arbitrary server answers to the HTTP, tcp-check
// and protocol probes: they must never panic and always give a status.
func FuzzProbeResponses(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"))
	f.Add([]byte("HTTP/1.0 100 Continue\r\n\r\nHTTP/1.0 204 No\r\n\r\n"))
	f.Add([]byte("+PONG\r\n"))
	f.Add([]byte("220 mail ESMTP\r\n250 ok\r\n"))
	f.Add([]byte("HTTP/1.1 99 x\r\nContent-Length: -3\r\n\r\n"))
	probes := []*Probe{
		{Kind: KindHTTP, Rules: []Rule{{act: actHTTPSend}, {act: actHTTPExpect, hexp: httpStatus, codes: [][2]int{{200, 399}}, index: 1}, {act: actHTTPExpect, hexp: httpBody, pattern: "hello", index: 2}}},
		{Kind: KindTCPCheck, Rules: []Rule{{act: actSend, data: []byte("x")}, {act: actExpect, exp: expString, pattern: "PONG", index: 1}, {act: actExpect, exp: expBinary, bin: []byte{0}, negate: true, index: 2}}},
	}
	for _, typ := range []string{"redis-check", "smtpchk"} {
		rules, _ := protoRules(typ, haproxycfg.Option{})
		probes = append(probes, &Probe{Kind: KindProto, Rules: rules})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range probes {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Skip(err)
			}
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Write(data)
				c.Close()
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			r := p.Run(ctx, checks.Target{Addr: ln.Addr().String()})
			cancel()
			ln.Close()
			if r.Status == "" || strings.TrimSpace(r.Reason) == "" {
				t.Fatalf("no status for %q: %+v", data, r)
			}
		}
	})
}

func TestDisableOn404PassesConditionally(t *testing.T) {
	addr := answer(t, "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n", true)
	host, port, _ := net.SplitHostPort(addr)
	for _, up := range []bool{true, false} {
		sp, err := build(t, "  option httpchk\n  http-check disable-on-404\n  http-check expect string never\n  server s "+host+":"+port+" check\n")
		if err != nil {
			t.Fatal(err)
		}
		sp.Probe.Disable404 = func() bool { return up }
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		r := sp.Probe.Run(ctx, checks.Target{Addr: sp.Addr})
		cancel()
		want := checks.StatusL7RSP
		if up {
			want = checks.StatusL7OKC
		}
		if r.Status != want || r.Code != 404 || r.OK != up {
			t.Errorf("server up=%v: got %+v, want %s with code 404", up, r, want)
		}
	}
}

func TestHTTPCheckSequences(t *testing.T) {
	acts := func(rs []Rule) string {
		var b strings.Builder
		for _, r := range rs {
			b.WriteString([]string{"C", "s", "e", "S", "E"}[r.act])
		}
		return b.String()
	}
	for body, want := range map[string]string{
		"  option httpchk\n": "SE",
		"  option httpchk\n  http-check expect status 200\n":          "SE",
		"  option httpchk\n  http-check connect\n  http-check send\n": "CSE",
		"  option httpchk\n  http-check connect\n  http-check send\n  http-check expect status 200\n  http-check connect port 81\n  http-check send uri /b\n  http-check expect status 200\n  http-check expect string x\n": "CSECSEE",
	} {
		sp, err := build(t, body+"  server s 10.0.0.1:80 check\n")
		if err != nil {
			t.Errorf("%q: %v", body, err)
			continue
		}
		if got := acts(sp.Probe.Rules); got != want {
			t.Errorf("%q: rules %s, want %s", body, got, want)
		}
	}
	for _, body := range []string{
		"  option httpchk\n  http-check send\n  http-check expect status 200\n  http-check connect\n",
		"  option httpchk\n  http-check connect\n  http-check expect status 200\n",
		"  option httpchk\n  http-check expect status 200\n  http-check send uri /x\n",
	} {
		if _, err := build(t, body+"  server s 10.0.0.1:80 check\n"); err == nil {
			t.Errorf("%q: accepted, haproxy refuses it", body)
		}
	}
}
