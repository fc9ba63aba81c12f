package listener

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

const oracleDefaults = "defaults\n  mode tcp\n  timeout client 5s\n  timeout server 5s\n  timeout connect 1s\n"

// startHAProxy runs "haproxy -db -f cfg args..." and stops it by PID when
// t ends.
func startHAProxy(t *testing.T, cfg string, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	bin := testenv.Oracle(t, "haproxy")
	path := filepath.Join(t.TempDir(), "h.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"-db", "-f", path}, args...)...)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	return cmd, &out
}

// waitFor polls cond until it holds or 10 seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestOracleGetsocksClient fetches the listening sockets of a running
// haproxy through its stats socket (haproxy's -x), takes them for the same
// bind lines, and accepts a connection on one while haproxy still runs.
func TestOracleGetsocksClient(t *testing.T) {
	dir := t.TempDir()
	port := freePorts(t, 2)
	stats := filepath.Join(dir, "stats.sock")
	usock := filepath.Join(dir, "fe.sock")
	cfg := fmt.Sprintf("global\n  stats socket %s level admin expose-fd listeners\n", stats) + oracleDefaults +
		fmt.Sprintf("frontend fe\n  bind 127.0.0.1:%d\n  bind ipv6@::1:%d v6only\n  bind %s mode 600\n  default_backend be\n", port, port+1, usock) +
		"backend be\n  server s 127.0.0.1:1\n"
	_, out := startHAProxy(t, cfg)
	waitFor(t, "haproxy's stats socket", func() bool {
		c, err := net.Dial("unix", stats)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	in, err := GetSockets(ctx, stats)
	if err != nil {
		t.Fatalf("%v\nhaproxy: %s", err, out)
	}
	defer in.CloseUnused()
	t.Logf("received: %s", in)
	// haproxy exports its listeners and its stats socket
	if len(in.Sockets) != 4 {
		t.Errorf("received %d sockets, want 4: %s", len(in.Sockets), in)
	}
	binds, _ := parseBinds(t, fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("ipv6@::1:%d v6only", port+1), usock, stats)
	ls, err := (&Config{NoReusePort: true, Inherited: in}).OpenAll(ctx, binds)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for _, l := range ls {
		if l.Inherited != "getsocks" {
			t.Errorf("%s was not taken from haproxy's sockets", l.Address)
		}
	}
	if len(in.Unused()) != 0 {
		t.Errorf("unused: %d", len(in.Unused()))
	}
	// haproxy keeps accepting on the same sockets: a new process shares
	// them until the old one stops (no SIGTTOU here: haproxy's pause shuts
	// the shared TCP socket down for everyone).
	for i, target := range [][2]string{{"tcp4", fmt.Sprintf("127.0.0.1:%d", port)}, {"tcp6", fmt.Sprintf("[::1]:%d", port+1)}, {"unix", usock}} {
		acceptOne(t, ls[i], target[0], target[1])
	}
}

// acceptOne dials until our listener accepts a connection: haproxy
// accepts some of them on the shared socket too.
func acceptOne(t *testing.T, l net.Listener, network, addr string) {
	t.Helper()
	got := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			c.Close()
		}
		got <- err
	}()
	for i := 0; i < 500; i++ {
		c, err := net.Dial(network, addr)
		if err == nil {
			c.Close()
		}
		select {
		case err := <-got:
			if err != nil {
				t.Fatalf("accept on %s: %v", addr, err)
			}
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("no connection to %s reached our listener", addr)
}

// TestOracleGetsocksServer is the other direction: haproxy -x takes the
// sockets we serve. Ours have no SO_REUSEPORT, so haproxy can only start
// by reusing them, and then answers on them.
func TestOracleGetsocksServer(t *testing.T) {
	dir := t.TempDir()
	port := freePorts(t, 1)
	usock := filepath.Join(dir, "fe.sock")
	binds, _ := parseBinds(t, fmt.Sprintf("127.0.0.1:%d", port), usock)
	ls, err := (&Config{NoReusePort: true}).OpenAll(context.Background(), binds)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := Export(ls)
	if err != nil {
		t.Fatal(err)
	}
	stats := serveOnce(t, ex)
	for _, l := range ls {
		l.Close() // our copies in ex keep the sockets alive
	}
	cfg := oracleDefaults + fmt.Sprintf("frontend fe\n  mode http\n  bind 127.0.0.1:%d\n  bind %s\n", port, usock) +
		"  http-request return status 200 content-type text/plain string handed-over\n"
	_, out := startHAProxy(t, cfg, "-x", stats)
	for _, target := range [][2]string{{"tcp4", fmt.Sprintf("127.0.0.1:%d", port)}, {"unix", usock}} {
		var body string
		waitFor(t, "haproxy answering on "+target[1], func() bool {
			body = httpGet(target[0], target[1])
			return strings.Contains(body, "handed-over")
		})
	}
	for _, e := range ex {
		e.File.Close()
	}
	if strings.Contains(out.String(), "ALERT") {
		t.Errorf("haproxy: %s", out)
	}
}

func httpGet(network, addr string) string {
	c, err := net.DialTimeout(network, addr, time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(c, "GET / HTTP/1.0\r\nHost: x\r\n\r\n")
	b, _ := io.ReadAll(bufio.NewReader(c))
	return string(b)
}

// TestOracleErrorText compares our messages with haproxy's ALERT and
// WARNING lines for the same configuration.
func TestOracleErrorText(t *testing.T) {
	testenv.Oracle(t, "haproxy")
	taken, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	taken6, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken6.Close()
	dir := t.TempDir()
	tests := []struct {
		name, bind string
	}{
		{"in-use", taken.Addr().String()},
		{"in-use-v6", fmt.Sprintf("::1:%d", taken6.Addr().(*net.TCPAddr).Port)},
		{"not-local", "192.0.2.1:18080"},
		{"unix-no-dir", dir + "/nodir/x.sock"},
		{"interface", fmt.Sprintf("127.0.0.1:%d interface nosuchif0", freePorts(t, 1))},
	}
	line := regexp.MustCompile(`\[(ALERT|WARNING)\] +\(\d+\) : (Binding .*)`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := oracleDefaults + "frontend fe\n  bind " + tt.bind + "\n  default_backend be\nbackend be\n  server s 127.0.0.1:1\n"
			path := filepath.Join(t.TempDir(), "e.cfg")
			os.WriteFile(path, []byte(cfg), 0o644)
			hcmd := exec.Command(testenv.Oracle(t, "haproxy"), "-db", "-f", path)
			var hout syncBuffer
			hcmd.Stdout, hcmd.Stderr = &hout, &hout
			if err := hcmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			go func() { hcmd.Wait(); close(exited) }()
			waitFor(t, "haproxy's message", func() bool {
				select {
				case <-exited:
					return true
				default:
				}
				return line.MatchString(hout.String())
			})
			hcmd.Process.Kill()
			<-exited
			m := line.FindStringSubmatch(hout.String())
			if m == nil {
				t.Fatalf("haproxy printed no Binding line:\n%s", hout.String())
			}
			cf, diags, err := haproxycfg.Load([]string{path}, haproxycfg.Options{})
			if err != nil || diags.HasAlerts() {
				t.Fatal(err, diags)
			}
			c := &Config{Kind: "frontend", Proxy: "fe", NoReusePort: true}
			ls, err := c.Open(context.Background(), cf.Proxy("fe").Binds[0])
			var got string
			var be *BindError
			switch {
			case errors.As(err, &be):
				got = be.HAProxyText()
			case err == nil && len(ls) == 1 && len(ls[0].Warnings) == 1:
				got = ls[0].Warnings[0].HAProxyText()
			}
			for _, l := range ls {
				l.Close()
			}
			if got != m[2] {
				t.Errorf("message differs\nhaproxy: %s\n   ours: %s (err %v)", m[2], got, err)
			}
		})
	}
}

// TestOracleGetsocksNamespace checks that haproxy sends each socket's
// namespace and interface names and that matching honours them.
func TestOracleGetsocksNamespace(t *testing.T) {
	ns := testenv.NewNetNS(t)
	dir := t.TempDir()
	port := freePorts(t, 2)
	stats := filepath.Join(dir, "stats.sock")
	cfg := fmt.Sprintf("global\n  stats socket %s level admin expose-fd listeners\n", stats) + oracleDefaults +
		fmt.Sprintf("frontend fe\n  bind 127.0.0.1:%d namespace %s\n  bind 127.0.0.1:%d interface lo\n  default_backend be\n", port, ns.Name, port+1) +
		"backend be\n  server s 127.0.0.1:1\n"
	_, out := startHAProxy(t, cfg)
	waitFor(t, "haproxy's stats socket", func() bool {
		c, err := net.Dial("unix", stats)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	in, err := GetSockets(context.Background(), stats)
	if err != nil {
		t.Fatalf("%v\nhaproxy: %s", err, out)
	}
	defer in.CloseUnused()
	var sawNS, sawIf bool
	for _, s := range in.Sockets {
		sawNS = sawNS || s.Namespace == ns.Name
		sawIf = sawIf || s.Interface == "lo"
	}
	if !sawNS || !sawIf {
		t.Errorf("namespace/interface not received: %+v", in.Sockets)
	}
	// the same address without the namespace must not take the namespaced socket
	plain, _ := parseBinds(t, fmt.Sprintf("127.0.0.1:%d", port))
	ls, err := (&Config{Inherited: in}).OpenAll(context.Background(), plain)
	if err != nil {
		t.Fatal(err)
	}
	if ls[0].Inherited != "" {
		t.Errorf("a namespaced socket was taken for a bind without namespace")
	}
	ls[0].Close()
	binds, _ := parseBinds(t, fmt.Sprintf("127.0.0.1:%d namespace %s", port, ns.Name), fmt.Sprintf("127.0.0.1:%d interface lo", port+1))
	ls, err = (&Config{NoReusePort: true, Inherited: in}).OpenAll(context.Background(), binds)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Inherited != "getsocks" {
			t.Errorf("%s (ns %q if %q) not taken from haproxy's sockets", l.Address, l.Namespace, l.Interface)
		}
		l.Close()
	}
}

// TestOraclePermissionDenied compares the message for a privileged port
// opened by an unprivileged user (haproxy and this test binary both run as
// nobody through setpriv).
func TestOraclePermissionDenied(t *testing.T) {
	if cfg := os.Getenv("GOHAPROXY_LISTENER_BIND_CHILD"); cfg != "" {
		cf, diags, err := haproxycfg.Load([]string{cfg}, haproxycfg.Options{})
		if err != nil || diags.HasAlerts() {
			fmt.Println("CHILD parse:", err, diags)
			os.Exit(1)
		}
		_, err = (&Config{Kind: "frontend", Proxy: "fe"}).Open(context.Background(), cf.Proxy("fe").Binds[0])
		var be *BindError
		if errors.As(err, &be) {
			fmt.Println("CHILD TEXT:" + be.HAProxyText())
			fmt.Println("CHILD ERROR:" + be.Error())
		}
		os.Exit(0)
	}
	testenv.RequireRoot(t)
	bin := testenv.Oracle(t, "haproxy")
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		testenv.Unavailable(t, "setpriv (util-linux) is not installed")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	child := filepath.Join(dir, "child.test")
	if err := os.WriteFile(child, self, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "p.cfg")
	os.WriteFile(cfg, []byte(oracleDefaults+"frontend fe\n  bind 127.0.0.1:81\n  default_backend be\nbackend be\n  server s 127.0.0.1:1\n"), 0o644)
	asNobody := []string{"--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"}
	hout, _ := exec.Command(setpriv, append(asNobody, bin, "-db", "-f", cfg)...).CombinedOutput()
	m := regexp.MustCompile(`\[ALERT\] +\(\d+\) : (Binding .*)`).FindStringSubmatch(string(hout))
	if m == nil {
		t.Fatalf("haproxy as nobody printed no Binding line:\n%s", hout)
	}
	cmd := exec.Command(setpriv, append(asNobody, child, "-test.run=^TestOraclePermissionDenied$")...)
	cmd.Env = append(os.Environ(), "GOHAPROXY_LISTENER_BIND_CHILD="+cfg)
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput()
	text := regexp.MustCompile(`CHILD TEXT:(.*)`).FindStringSubmatch(string(out))
	if text == nil {
		t.Fatalf("child printed no error:\n%s", out)
	}
	if text[1] != m[1] {
		t.Errorf("message differs\nhaproxy: %s\n   ours: %s", m[1], text[1])
	}
	if !strings.Contains(string(out), "pick a port above 1023") {
		t.Errorf("no hint: %s", out)
	}
}

// syncBuffer is a bytes.Buffer safe for a writing process and a reading test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
