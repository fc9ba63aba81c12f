package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/proxyproto"
)

// nameServers starts n TCP servers on loopback that answer every
// connection with their name and close it.
func nameServers(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	for i := 1; i <= n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		name := fmt.Sprintf("s%d", i)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Write([]byte(name + "\n"))
				c.Close()
			}
		}()
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// ask connects to addr and returns the first line the server sends.
func ask(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

// startProxy runs bin (gohaproxy or haproxy) in the foreground on cfg and
// stops it by PID when the test ends.
func startProxy(t *testing.T, bin string, args ...string) *exec.Cmd {
	t.Helper()
	return startWithOutput(t, os.Stderr, bin, args...)
}

// startWithOutput is startProxy with the process's output sent to out.
func startWithOutput(t *testing.T, out io.Writer, bin string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	return cmd
}

func waitExit(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
			return
		}
		var ws syscall.WaitStatus
		if pid, _ := syscall.Wait4(cmd.Process.Pid, &ws, syscall.WNOHANG, nil); pid == cmd.Process.Pid {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("process %d did not exit", cmd.Process.Pid)
}

func tcpConfig(port int, balance string, servers []string, weights []int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global\n  nbthread 1\ndefaults\n  mode tcp\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n")
	fmt.Fprintf(&b, "listen pool\n  bind 127.0.0.1:%d\n  balance %s\n", port, balance)
	for i, a := range servers {
		fmt.Fprintf(&b, "  server s%d %s weight %d\n", i+1, a, weights[i])
	}
	return b.String()
}

// TestServeTCPLikeHaproxy runs the same TCP configuration under haproxy and
// gohaproxy and requires the same sequence of servers for a sequence of
// connections.
func TestServeTCPLikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	servers := nameServers(t, 3)
	for _, tc := range []struct {
		balance string
		weights []int
	}{
		{"roundrobin", []int{1, 1, 1}},
		{"roundrobin", []int{3, 1, 2}},
		{"static-rr", []int{1, 1, 1}},
		{"static-rr", []int{3, 1, 2}},
		{"source", []int{1, 1, 1}},
		{"source\n  hash-type consistent", []int{1, 2, 3}},
		{"first", []int{1, 1, 1}},
		// leastconn depends on when each session's end is seen relative
		// to the next connection; pkg/proxy/balance tests it against
		// haproxy with controlled session lifetimes instead.
	} {
		t.Run(strings.ReplaceAll(tc.balance, "\n", " "), func(t *testing.T) {
			seq := map[string][]string{}
			for name, bin := range map[string]string{"haproxy": oracle, "gohaproxy": ours} {
				port := freePort(t)
				cfg := filepath.Join(t.TempDir(), "h.cfg")
				os.WriteFile(cfg, []byte(tcpConfig(port, tc.balance, servers, tc.weights)), 0o644)
				cmd := startProxy(t, bin, "-db", "-f", cfg)
				addr := fmt.Sprintf("127.0.0.1:%d", port)
				waitListening(t, addr)
				// waitListening's probe was a session too: haproxy counted it
				for i := 0; i < 12; i++ {
					got, err := ask(addr)
					if err != nil {
						t.Fatalf("%s: connection %d: %v", name, i, err)
					}
					seq[name] = append(seq[name], got)
				}
				// wait for the exit: the next instance may get the same
				// port, and SO_REUSEPORT would let both take connections
				cmd.Process.Signal(syscall.SIGTERM)
				waitExit(t, cmd)
			}
			if strings.Join(seq["haproxy"], " ") != strings.Join(seq["gohaproxy"], " ") {
				t.Errorf("server sequence differs:\n  haproxy:   %v\n  gohaproxy: %v", seq["haproxy"], seq["gohaproxy"])
			}
		})
	}
}

// TestReloadLosesNoConnection starts gohaproxy, then a second one with
// "-x STATS_SOCKET -sf OLDPID" (haproxy's seamless reload: the new process
// takes the listening sockets over) while a client keeps connecting: every
// connection must be answered, and the old process must exit by itself.
func TestReloadLosesNoConnection(t *testing.T) {
	ours := testenv.Binary(t, "gohaproxy")
	servers := nameServers(t, 2)
	port := freePort(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "h.cfg")
	sock := filepath.Join(dir, "admin.sock")
	os.WriteFile(cfg, []byte(strings.Replace(tcpConfig(port, "roundrobin", servers, []int{1, 1}),
		"global\n", "global\n  stats socket "+sock+" mode 600 level admin expose-fd listeners\n", 1)), 0o644)
	pidfile := filepath.Join(dir, "h.pid")
	old := exec.Command(ours, "-db", "-f", cfg, "-p", pidfile)
	old.Stderr = os.Stderr
	if err := old.Start(); err != nil {
		t.Fatal(err)
	}
	oldDone := make(chan error, 1)
	go func() { oldDone <- old.Wait() }()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitListening(t, addr)

	var ok, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 2000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := ask(addr); err != nil {
				failed.Add(1)
			} else {
				ok.Add(1)
			}
		}
	}()
	time.Sleep(200 * time.Millisecond)
	startProxy(t, ours, "-db", "-f", cfg, "-p", pidfile, "-x", sock, "-sf", fmt.Sprint(old.Process.Pid))
	select {
	case err := <-oldDone:
		if err != nil {
			t.Errorf("old process exited with %v after -sf, want status 0", err)
		}
	case <-time.After(10 * time.Second):
		old.Process.Kill()
		t.Fatalf("old process still running 10s after -sf")
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failed.Load() != 0 || ok.Load() == 0 {
		t.Fatalf("during the reload %d connections were answered and %d failed; want none failed", ok.Load(), failed.Load())
	}
	t.Logf("reload: %d connections answered, 0 failed", ok.Load())
}

// TestRefusesUnservedHTTPAtRunTime: an HTTP keyword the run time cannot
// serve yet is refused with the line at fault, never half-served.
func TestRefusesUnservedHTTPAtRunTime(t *testing.T) {
	ours := testenv.Binary(t, "gohaproxy")
	cfg := filepath.Join(t.TempDir(), "h.cfg")
	os.WriteFile(cfg, []byte(strings.Replace(validCfg, "  default_backend b\n", "  http-request set-var(txn.a) str(b)\n  default_backend b\n", 1)), 0o644)
	// a bounded run: a configuration served by mistake must not hang the test
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, ours, "-db", "-f", cfg).CombinedOutput()
	if err == nil || ctx.Err() != nil {
		t.Fatalf("gohaproxy served an http-request set-var rule; it must refuse it for now:\n%s", out)
	}
	if !strings.Contains(string(out), "'http-request set-var(txn.a)'") || !strings.Contains(string(out), "h.cfg:8") {
		t.Errorf("refusal does not name the keyword and line:\n%s", out)
	}
}

// TestProxyProtocolThrough sends a PROXY v1 header to a gohaproxy bind
// with accept-proxy whose server has send-proxy-v2: the server must see the
// client address from the header, and the client's payload after it.
func TestProxyProtocolThrough(t *testing.T) {
	ours := testenv.Binary(t, "gohaproxy")
	backend, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	got := make(chan string, 1)
	go func() {
		c, err := backend.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		h, err := proxyproto.Read(br)
		if err != nil {
			got <- "bad header: " + err.Error()
			return
		}
		payload, _ := br.ReadString('\n')
		got <- fmt.Sprintf("v%d %s %s %s", h.Version, h.Src, h.Dst, strings.TrimSpace(payload))
		c.Write([]byte("done\n"))
	}()
	port := freePort(t)
	cfg := filepath.Join(t.TempDir(), "h.cfg")
	os.WriteFile(cfg, []byte(fmt.Sprintf("defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n"+
		"listen pp\n  bind 127.0.0.1:%d accept-proxy\n  server s1 %s send-proxy-v2\n", port, backend.Addr())), 0o644)
	startProxy(t, ours, "-db", "-f", cfg)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitListeningRaw(t, addr)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("PROXY TCP4 192.0.2.7 198.51.100.9 40000 443\r\nhello\n"))
	select {
	case s := <-got:
		if want := "v2 192.0.2.7:40000 198.51.100.9:443 hello"; s != want {
			t.Fatalf("server saw %q, want %q", s, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server saw nothing")
	}
}

// waitListeningRaw waits for a port without opening a session through it
// (a probe connection would be refused by accept-proxy anyway).
func waitListeningRaw(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		out, _ := exec.Command("ss", "-Hltn", "src", addr).Output()
		if strings.TrimSpace(string(out)) != "" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

// probe is one client connection of TestServeACLsLikeHaproxy: from source
// address src (empty: any) to the frontend's port number port (0 or 1),
// sending chunks with a pause between them.
type probe struct {
	src    string
	port   int
	chunks [][]byte
	pause  time.Duration
}

// outcome returns the line the backend server sent (its name), or
// "closed" when the connection ended without one.
func (p probe) outcome(ports []int) string {
	d := net.Dialer{Timeout: 2 * time.Second}
	if p.src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(p.src)}
	}
	c, err := d.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", ports[p.port]))
	if err != nil {
		// a connection refused at accept is reset, sometimes before
		// the connect returns
		if errors.Is(err, syscall.ECONNRESET) {
			return "closed"
		}
		return "connect error: " + err.Error()
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(4 * time.Second))
	for i, ch := range p.chunks {
		if i > 0 {
			time.Sleep(p.pause)
		}
		if _, err := c.Write(ch); err != nil {
			break
		}
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil && line == "" {
		return "closed"
	}
	return strings.TrimSpace(line)
}

// tlsClientHello returns the first flight of a crypto/tls client asking
// for server name sni.
func tlsClientHello(t *testing.T, sni string) []byte {
	t.Helper()
	a, b := net.Pipe()
	go func() {
		c := tls.Client(a, &tls.Config{ServerName: sni, InsecureSkipVerify: true})
		c.SetDeadline(time.Now().Add(2 * time.Second))
		c.Handshake()
		a.Close()
	}()
	defer b.Close()
	b.SetDeadline(time.Now().Add(2 * time.Second))
	var buf []byte
	tmp := make([]byte, 4096)
	for len(buf) < 5 || len(buf) < 5+int(buf[3])<<8+int(buf[4]) {
		n, err := b.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if err != nil {
			t.Fatalf("no ClientHello: %v", err)
		}
	}
	return buf
}

// TestServeACLsLikeHaproxy runs configurations with layer-4 ACLs,
// tcp-request rules and conditional use_backend under haproxy and
// gohaproxy and requires the same outcome (the server that answered, or
// a closed connection) for every probe.
func TestServeACLsLikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	servers := nameServers(t, 3)
	dir := t.TempDir()
	patFile := filepath.Join(dir, "allowed.lst")
	os.WriteFile(patFile, []byte("# allowed clients\n127.0.0.4\n\n  127.0.0.6/31\n"), 0o644)
	from := func(first, last int) []probe {
		var ps []probe
		for i := first; i <= last; i++ {
			ps = append(ps, probe{src: fmt.Sprintf("127.0.0.%d", i)})
		}
		return ps
	}
	helloB, helloC, helloA := tlsClientHello(t, "B.example"), tlsClientHello(t, "www.c.example"), tlsClientHello(t, "a.example")
	for _, tc := range []struct {
		name   string
		cfg    string // {P0} {P1} ports, {S1}..{S3} servers, {FILE} pattern file
		probes []probe
	}{
		{"reject by src", `
frontend fe
  bind 127.0.0.1:{P0}
  acl bad src 127.0.0.3 127.0.0.5/32 127.0.0.8/31
  tcp-request connection reject if bad
  default_backend b1
backend b1
  server s1 {S1}
`, from(2, 9)},
		{"named ACL lines OR -f file unless", `
frontend fe
  bind 127.0.0.1:{P0}
  acl allowed src 127.0.0.2
  acl allowed src -f {FILE}
  tcp-request connection reject unless allowed
  default_backend b1
backend b1
  server s1 {S1}
`, from(2, 9)},
		{"route by src with || and !", `
frontend fe
  bind 127.0.0.1:{P0}
  acl low src 127.0.0.2 127.0.0.3
  acl odd src 127.0.0.5 127.0.0.7 127.0.0.9
  use_backend b2 if low || { src 127.0.0.4 }
  use_backend b3 if odd !{ src_port 0:1023 }
  default_backend b1
backend b1
  server s1 {S1}
backend b2
  server s2 {S2}
backend b3
  server s3 {S3}
`, from(2, 9)},
		{"route by dst_port", `
frontend fe
  bind 127.0.0.1:{P0}
  bind 127.0.0.1:{P1}
  use_backend b2 if { dst_port {P1} }
  default_backend b1
backend b1
  server s1 {S1}
backend b2
  server s2 {S2}
`, []probe{{port: 0}, {port: 1}, {port: 1}, {port: 0}}},
		{"route by req.ssl_sni", `
frontend fe
  bind 127.0.0.1:{P0}
  tcp-request inspect-delay 2s
  tcp-request content accept if { req.ssl_hello_type 1 }
  use_backend b2 if { req.ssl_sni -i b.example }
  use_backend b3 if { req_ssl_sni -m end .c.example }
  default_backend b1
backend b1
  server s1 {S1}
backend b2
  server s2 {S2}
backend b3
  server s3 {S3}
`, []probe{
			{chunks: [][]byte{helloB}},
			{chunks: [][]byte{helloC}},
			{chunks: [][]byte{helloA}},
			// the hello in two pieces: the rule waits for the rest
			{chunks: [][]byte{helloB[:30], helloB[30:]}, pause: 100 * time.Millisecond},
			{chunks: [][]byte{[]byte("GET / HTTP/1.0\r\n\r\n")}},
		}},
		{"reject short content after inspect-delay", `
frontend fe
  bind 127.0.0.1:{P0}
  tcp-request inspect-delay 300ms
  tcp-request content accept if { req.len ge 5 }
  tcp-request content reject
  default_backend b1
backend b1
  server s1 {S1}
`, []probe{
			{chunks: [][]byte{[]byte("hello world")}},
			{chunks: [][]byte{[]byte("hi")}},
			{chunks: [][]byte{[]byte("hi"), []byte("there")}, pause: 50 * time.Millisecond},
			{},
		}},
		{"use-server by src outside round robin", `
listen li
  bind 127.0.0.1:{P0}
  balance roundrobin
  use-server s3 if { src 127.0.0.3 127.0.0.4 }
  server s1 {S1}
  server s2 {S2}
  server s3 {S3}
`, from(2, 9)},
		{"WAIT_END and ssl version", `
frontend fe
  bind 127.0.0.1:{P0}
  tcp-request inspect-delay 200ms
  tcp-request content accept if WAIT_END
  use_backend b2 if { req_ssl_ver ge 3 }
  default_backend b1
backend b1
  server s1 {S1}
backend b2
  server s2 {S2}
`, []probe{{chunks: [][]byte{helloA}}, {chunks: [][]byte{[]byte("plain")}}}},
		{"client timeout during inspect-delay", `
frontend fe
  bind 127.0.0.1:{P0}
  timeout client 300ms
  tcp-request inspect-delay 1500ms
  tcp-request content accept if { req.len ge 5 }
  default_backend b1
backend b1
  server s1 {S1}
`, []probe{{}, {chunks: [][]byte{[]byte("hi")}}, {chunks: [][]byte{[]byte("hello")}}}},
		{"nbsrv and srv_is_up", `
frontend fe
  bind 127.0.0.1:{P0}
  use_backend b3 if { nbsrv(b2) lt 2 } { src 127.0.0.2 }
  use_backend b2 if { srv_is_up(b2/s2) } { src 127.0.0.3 }
  use_backend b3 if { nbsrv(b2) eq 2 } !{ srv_is_up(b2/s9) } { src 127.0.0.4 }
  default_backend b1
backend b1
  server s1 {S1}
backend b2
  server s2 {S2}
  server s9 {S2} disabled
backend b3
  server s3 {S3}
`, from(2, 5)},
		{"accept TLS only else reject", `
frontend fe
  bind 127.0.0.1:{P0}
  tcp-request inspect-delay 1s
  tcp-request content reject if !{ req.ssl_hello_type 1 }
  default_backend b1
backend b1
  server s1 {S1}
`, []probe{
			{chunks: [][]byte{helloA}},
			{chunks: [][]byte{[]byte("SSH-2.0-x\r\n")}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := map[string][]string{}
			for _, name := range []string{"haproxy", "gohaproxy"} {
				bin := map[string]string{"haproxy": oracle, "gohaproxy": ours}[name]
				ports := []int{freePort(t), freePort(t)}
				cfg := "global\n  nbthread 1\ndefaults\n  mode tcp\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n" + tc.cfg
				r := strings.NewReplacer("{P0}", fmt.Sprint(ports[0]), "{P1}", fmt.Sprint(ports[1]),
					"{S1}", servers[0], "{S2}", servers[1], "{S3}", servers[2], "{FILE}", patFile)
				path := filepath.Join(t.TempDir(), "h.cfg")
				os.WriteFile(path, []byte(r.Replace(cfg)), 0o644)
				cmd := startProxy(t, bin, "-db", "-f", path)
				waitListening(t, fmt.Sprintf("127.0.0.1:%d", ports[0]))
				for _, p := range tc.probes {
					out[name] = append(out[name], p.outcome(ports))
				}
				cmd.Process.Signal(syscall.SIGTERM)
				waitExit(t, cmd)
			}
			t.Logf("outcomes: %v", out["haproxy"])
			if strings.Join(out["haproxy"], " ") != strings.Join(out["gohaproxy"], " ") {
				t.Errorf("outcomes differ:\n  haproxy:   %v\n  gohaproxy: %v", out["haproxy"], out["gohaproxy"])
			}
		})
	}
}

// serveEach accepts connections on ln for the test and runs handle on
// each in its own goroutine, closing the connection after it; at cleanup
// ln closes and every handler is waited for. It returns ln's address.
func serveEach(t *testing.T, ln net.Listener, handle func(c net.Conn)) string {
	t.Helper()
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
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

// headAnswerServer reads one request head (any lines up to an empty one)
// on each connection, writes answer() and closes.
func headAnswerServer(t *testing.T, answer func() string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveEach(t, ln, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(c)
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if l == "\r\n" || l == "\n" {
				break
			}
		}
		io.WriteString(c, answer())
	})
}
