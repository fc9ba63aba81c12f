package balance

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// The differential tests run the real haproxy 2.6 in front of tiny loopback
// servers that answer with their name, make connections, and require that
// this package picks the same servers in the same order.

// backend is a tiny server answering with its name. In hold mode it keeps
// the connection open until the client closes it.
type backend struct {
	name string
	ln   net.Listener
}

func startBackends(t *testing.T, n int, httpMode, hold bool) []*backend {
	t.Helper()
	var bs []*backend
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		b := &backend{name: fmt.Sprintf("s%d", i+1), ln: ln}
		bs = append(bs, b)
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
					c.SetDeadline(time.Now().Add(20 * time.Second))
					if httpMode {
						r := bufio.NewReader(c)
						for {
							l, err := r.ReadString('\n')
							if err != nil {
								return
							}
							if l == "\r\n" || l == "\n" {
								break
							}
						}
						fmt.Fprintf(c, "HTTP/1.0 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(b.name), b.name)
						return
					}
					io.WriteString(c, b.name+"\n")
					if hold {
						io.Copy(io.Discard, c)
					}
				}()
			}
		}()
	}
	return bs
}

// freePorts returns n distinct free loopback ports below the kernel's
// ephemeral range, so that no client or backend socket of the tests can
// take them between now and haproxy's bind.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	var ports []int
	for tries := 0; len(ports) < n && tries < 1000; tries++ {
		p := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		lns = append(lns, ln)
		ports = append(ports, p)
	}
	if len(ports) < n {
		t.Fatal("no free port")
	}
	return ports
}

// srvSpec is one server line of a differential case.
type srvSpec struct {
	weight  int
	backup  bool
	maxconn int
	id      int
}

// runHaproxy starts haproxy with a "listen" section balancing over bs and
// returns the address to connect to.
func runHaproxy(t *testing.T, mode, balance, hashType string, extra []string, specs []srvSpec, bs []*backend) (addr, cli string) {
	t.Helper()
	bin := testenv.Oracle(t, "haproxy")
	port := freePorts(t, 1)[0]
	// a short directory: unix socket paths are limited to 107 bytes
	dir, err := os.MkdirTemp("", "hb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cli = filepath.Join(dir, "cli.sock")
	var b strings.Builder
	fmt.Fprintf(&b, "global\n  nbthread 1\n  stats socket %s level admin\n\ndefaults\n  mode %s\n  timeout connect 2s\n  timeout client 20s\n  timeout server 20s\n  timeout queue 20s\n\n", cli, mode)
	v4v6 := false
	for _, e := range extra {
		v4v6 = v4v6 || e == "#v4v6"
	}
	if v4v6 {
		// a dual-stack socket: IPv4 clients appear as ::ffff:a.b.c.d
		fmt.Fprintf(&b, "listen lb\n  bind :::%d v4v6\n  balance %s\n", port, balance)
	} else {
		fmt.Fprintf(&b, "listen lb\n  bind 127.0.0.1:%d\n  balance %s\n", port, balance)
	}
	if hashType != "" {
		fmt.Fprintf(&b, "  hash-type %s\n", hashType)
	}
	for _, e := range extra {
		fmt.Fprintf(&b, "  %s\n", e)
	}
	for i, s := range specs {
		fmt.Fprintf(&b, "  server %s %s weight %d", bs[i].name, bs[i].ln.Addr(), s.weight)
		if s.backup {
			b.WriteString(" backup")
		}
		if s.maxconn > 0 {
			fmt.Fprintf(&b, " maxconn %d", s.maxconn)
		}
		if s.id > 0 {
			fmt.Fprintf(&b, " id %d", s.id)
		}
		b.WriteString("\n")
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", cfg, "-db")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGKILL)
		<-done
	})
	// Wait for the listening socket without connecting to it (a probe
	// connection would be balanced too).
	for i := 0; !listening(port, v4v6); i++ {
		select {
		case <-done:
			t.Fatalf("haproxy exited:\n%s\nconfig:\n%s", out.String(), b.String())
		default:
		}
		if i > 500 {
			t.Fatalf("haproxy did not start:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// and for the CLI
	for i := 0; ; i++ {
		c, err := net.Dial("unix", cli)
		if err == nil {
			c.Close()
			break
		}
		if i > 500 {
			t.Fatalf("haproxy CLI did not start:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Sprintf("127.0.0.1:%d", port), cli
}

// waitIdle waits until haproxy has released every connection of backend lb
// (its drop of a finished connection may lag behind the client seeing EOF,
// and leastconn's tie order depends on it).
func waitIdle(t *testing.T, cli string) { waitCur(t, cli, 0) }

// waitCur waits until backend lb counts n current connections.
func waitCur(t *testing.T, cli string, n int) {
	t.Helper()
	want := fmt.Sprint(n)
	for i := 0; i < 400; i++ {
		for _, l := range strings.Split(command(t, cli, "show stat"), "\n") {
			f := strings.Split(l, ",")
			if len(f) > 4 && f[0] == "lb" && f[1] == "BACKEND" && f[4] == want {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("haproxy's backend did not reach %d connections", n)
}

// listening tells whether a socket listens on 127.0.0.1:port (or [::]:port).
func listening(port int, v6 bool) bool {
	file, want := "/proc/net/tcp", fmt.Sprintf("0100007F:%04X", port)
	if v6 {
		file, want = "/proc/net/tcp6", fmt.Sprintf("00000000000000000000000000000000:%04X", port)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) > 3 && f[1] == want && f[3] == "0A" {
			return true
		}
	}
	return false
}

// command runs one command on haproxy's CLI socket and returns its answer.
func command(t *testing.T, cli, cmd string) string {
	t.Helper()
	c, err := net.Dial("unix", cli)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, cmd+"\n")
	out, _ := io.ReadAll(c)
	return strings.TrimSpace(string(out))
}

// ask connects (from src when not empty), sends req, and returns the name
// of the server that answered. With hold it returns the open connection.
func ask(t *testing.T, addr, src, req string, hold bool) (string, net.Conn) {
	t.Helper()
	d := net.Dialer{Timeout: 2 * time.Second}
	if src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if req != "" {
		io.WriteString(c, req)
	}
	r := bufio.NewReader(c)
	if hold {
		l, err := r.ReadString('\n')
		if err != nil {
			c.Close()
			t.Fatalf("reading from haproxy: %v", err)
		}
		return strings.TrimSpace(l), c
	}
	defer c.Close()
	all, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading from haproxy: %v", err)
	}
	s := string(all)
	if i := strings.Index(s, "\r\n\r\n"); i >= 0 {
		s = s[i+4:]
	}
	return strings.TrimSpace(s), nil
}

func mkServers(specs []srvSpec) []*Server {
	var ss []*Server
	for i, s := range specs {
		ss = append(ss, &Server{Name: fmt.Sprintf("s%d", i+1), Weight: s.weight, Backup: s.backup, Maxconn: s.maxconn, ID: s.id})
	}
	return ss
}

func weights(ws ...int) []srvSpec {
	var s []srvSpec
	for _, w := range ws {
		s = append(s, srvSpec{weight: w})
	}
	return s
}

// diffStats counts the picks compared per algorithm, for the report.
var diffStats sync.Map

func count(alg string, n int) {
	v, _ := diffStats.LoadOrStore(alg, new(int))
	p := v.(*int)
	*p += n
}

func TestMain(m *testing.M) {
	code := m.Run()
	var lines []string
	diffStats.Range(func(k, v any) bool {
		lines = append(lines, fmt.Sprintf("%s=%d", k, *v.(*int)))
		return true
	})
	if len(lines) > 0 && os.Getenv("BALANCE_DIFF_STATS") != "" {
		fmt.Println("differential picks compared:", strings.Join(lines, " "))
	}
	os.Exit(code)
}

func compare(t *testing.T, alg string, got, want []string) {
	t.Helper()
	n := 0
	for _, w := range want {
		if w != "|" {
			n++
		}
	}
	count(alg, n)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		for i := range want {
			if i >= len(got) || got[i] != want[i] {
				t.Fatalf("first difference at pick %d: package %v, haproxy %v\nhaproxy: %v\npackage: %v", i, got[min(i, len(got)-1)], want[i], want, got)
			}
		}
	}
}

func TestOracleSequential(t *testing.T) {
	cases := []struct {
		name    string
		balance string
		extra   []string
		specs   []srvSpec
		n       int
	}{
		{"rr-3-1-1", "roundrobin", nil, weights(3, 1, 1), 40},
		{"rr-1-1-1", "roundrobin", nil, weights(1, 1, 1), 20},
		{"rr-5-3-2-1", "roundrobin", nil, weights(5, 3, 2, 1), 60},
		{"rr-10-1", "roundrobin", nil, weights(10, 1), 40},
		{"rr-7-13-256", "roundrobin", nil, weights(7, 13, 256), 120},
		{"rr-weight0", "roundrobin", nil, weights(2, 0, 1), 20},
		{"rr-backup", "roundrobin", nil, []srvSpec{{weight: 0}, {weight: 1, backup: true}, {weight: 1, backup: true}}, 10},
		{"rr-allbackups", "roundrobin", []string{"option allbackups"}, []srvSpec{{weight: 0}, {weight: 3, backup: true}, {weight: 1, backup: true}}, 16},
		{"static-rr-3-1-1", "static-rr", nil, weights(3, 1, 1), 30},
		{"static-rr-5-3-2-1", "static-rr", nil, weights(5, 3, 2, 1), 40},
		{"static-rr-4-6", "static-rr", nil, weights(4, 6), 20},
		{"leastconn-idle", "leastconn", nil, weights(1, 2, 3), 20},
		{"first", "first", nil, weights(1, 1, 1), 5},
		{"random-1srv", "random", nil, weights(0, 1), 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bs := startBackends(t, len(tc.specs), false, false)
			addr, cli := runHaproxy(t, "tcp", tc.balance, "", tc.extra, tc.specs, bs)
			var want []string
			for i := 0; i < tc.n; i++ {
				name, _ := ask(t, addr, "", "", false)
				want = append(want, name)
				if tc.balance == "leastconn" {
					waitIdle(t, cli)
				}
			}
			cfg := Config{Algorithm: tc.balance}
			for _, e := range tc.extra {
				if e == "option allbackups" {
					cfg.AllBackups = true
				}
			}
			ss := mkServers(tc.specs)
			a, err := New(cfg, ss)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i := 0; i < tc.n; i++ {
				s := a.Pick(Key{})
				got = append(got, s.String())
				if s != nil {
					a.TakeConn(s)
					a.DropConn(s)
				}
			}
			t.Logf("haproxy: %v", want)
			compare(t, tc.balance, got, want)
		})
	}
}
