package lvs

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

func selfSigned(t *testing.T) *tls.Config {
	t.Helper()
	cfg, err := makeCert()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func makeCert() (*tls.Config, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rs.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, nil
}

// realServer is an HTTPS (or HTTP) server on loopback whose behaviour a
// test changes: the page it serves, hanging, or not listening at all.
type realServer struct {
	t     *testing.T
	addr  string
	tls   *tls.Config
	page  atomic.Value // string: the body
	hang  atomic.Bool
	mu    sync.Mutex
	ln    net.Listener
	wg    sync.WaitGroup
	conns sync.Map
}

func startRealServer(t *testing.T, useTLS bool, body string) *realServer {
	rs := &realServer{t: t}
	if useTLS {
		rs.tls = selfSigned(t)
	}
	rs.page.Store(body)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rs.addr = ln.Addr().String()
	rs.serve(ln)
	t.Cleanup(func() {
		rs.stop()
		rs.conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
		rs.wg.Wait()
	})
	return rs
}

func (rs *realServer) serve(ln net.Listener) {
	rs.mu.Lock()
	rs.ln = ln
	rs.mu.Unlock()
	rs.wg.Add(1)
	go func() {
		defer rs.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			rs.conns.Store(c, true)
			rs.wg.Add(1)
			go func() {
				defer rs.wg.Done()
				defer rs.conns.Delete(c)
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				if rs.tls != nil {
					c = tls.Server(c, rs.tls)
				}
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
				if rs.hang.Load() {
					io.Copy(io.Discard, c)
					return
				}
				body := rs.page.Load().(string)
				fmt.Fprintf(c, "HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
			}()
		}
	}()
}

func (rs *realServer) stop() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.ln != nil {
		rs.ln.Close()
		rs.ln = nil
	}
}

func (rs *realServer) restart() {
	ln, err := net.Listen("tcp", rs.addr)
	if err != nil {
		rs.t.Fatal(err)
	}
	rs.serve(ln)
}

func (rs *realServer) port() string { _, p, _ := net.SplitHostPort(rs.addr); return p }

// genhashDigest asks keepalived's genhash for the page's digest.
func genhashDigest(t *testing.T, useTLS bool, addr, path string) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/genhash"); err != nil {
		testenv.Unavailable(t, "keepalived's genhash (/usr/bin/genhash, Debian package keepalived) is not installed")
	}
	host, port, _ := net.SplitHostPort(addr)
	args := []string{"-s", host, "-p", port, "-u", path, "-t", "10"}
	if useTLS {
		args = append([]string{"-S"}, args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "/usr/bin/genhash", args...).CombinedOutput()
	m := regexp.MustCompile(`(?m)^([0-9a-f]{32})$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("genhash %v: %v\n%s", args, err, out)
	}
	return string(m[1])
}

// logBook collects log lines from several goroutines.
type logBook struct {
	mu    sync.Mutex
	lines []string
	t     *testing.T
}

func (l *logBook) logf(f string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(f, a...))
}

func (l *logBook) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.lines {
		if x == s {
			return true
		}
	}
	return false
}

func (l *logBook) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, x := range l.lines {
		if x == s {
			n++
		}
	}
	return n
}

func (l *logBook) dump() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func (l *logBook) wait(t *testing.T, line string, n int) {
	t.Helper()
	if !testenv.WaitFor(30*time.Second, func() bool { return l.count(line) >= n }) {
		t.Fatalf("no %q (x%d) in the log:\n%s", line, n, l.dump())
	}
}

// ask connects to the virtual service and returns the page it got.
func ask(useTLS bool, vip string) string {
	c, err := net.DialTimeout("tcp", vip, 5*time.Second)
	if err != nil {
		return "dial: " + err.Error()
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if useTLS {
		c = tls.Client(c, &tls.Config{InsecureSkipVerify: true})
	}
	fmt.Fprintf(c, "GET / HTTP/1.0\r\n\r\n")
	b, err := io.ReadAll(c)
	if err != nil && len(b) == 0 {
		return "read: " + err.Error()
	}
	if i := strings.Index(string(b), "\r\n\r\n"); i >= 0 {
		return string(b[i+4:])
	}
	return "bad response " + string(b)
}

type running struct {
	m      *Manager
	fw     *Forwarder
	log    *logBook
	svc    *Service
	cancel context.CancelFunc
	done   chan struct{}
}

// runConfig starts a Manager over a Forwarder for the configuration text.
func runConfig(t *testing.T, conf string) *running {
	t.Helper()
	svcs, err := Services(parse(t, conf), true)
	if err != nil {
		t.Fatal(err)
	}
	lb := &logBook{t: t}
	ctx, cancel := context.WithCancel(context.Background())
	fw := NewForwarder(ctx, ForwarderOptions{Logf: lb.logf})
	m := NewManager(svcs, Options{Table: fw, Hooks: Hooks{Logf: lb.logf}})
	r := &running{m: m, fw: fw, log: lb, svc: svcs[0], cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		m.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
		fw.Wait()
		if t.Failed() || os.Getenv("LVS_DUMP") != "" {
			t.Logf("log:\n%s", lb.dump())
		}
	})
	return r
}

func seen(useTLS bool, vip string, n int) map[string]int {
	got := map[string]int{}
	for i := 0; i < n; i++ {
		got[ask(useTLS, vip)]++
	}
	return got
}

// TestSSLGetDrivesForwarder is the seed's virtual_server on loopback: two
// HTTPS real servers checked by SSL_GET with genhash's digests; a page
// change, a refused connection and a hanging server each take a real
// server out, and it comes back when healthy; traffic through the
// virtual address follows.
func TestSSLGetDrivesForwarder(t *testing.T) {
	a := startRealServer(t, true, "<html>rs A</html>\n")
	b := startRealServer(t, true, "<html>rs B</html>\n")
	da := genhashDigest(t, true, a.addr, "/")
	db := genhashDigest(t, true, b.addr, "/")
	vip := testenv.FreeLoopbackAddr(t)
	vhost, vport, _ := net.SplitHostPort(vip)
	conf := fmt.Sprintf(`
virtual_server %s %s {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 127.0.0.1 %s {
        weight 1
        SSL_GET {
            url {
              path /
              digest %s
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
            warmup 0
        }
    }
    real_server 127.0.0.1 %s {
        weight 1
        SSL_GET {
            url {
              path /
              digest %s
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
            warmup 0
        }
    }
}
`, vhost, vport, a.port(), da, b.port(), db)
	r := runConfig(t, conf)
	vs := fmt.Sprintf("[%s]:tcp:%s", vhost, vport)
	ra, rb := "[127.0.0.1]:tcp:"+a.port(), "[127.0.0.1]:tcp:"+b.port()
	r.log.wait(t, fmt.Sprintf("Activating healthchecker for service %s for VS %s", ra, vs), 1)
	r.log.wait(t, fmt.Sprintf("Remote Web server %s succeed on service.", ra), 1)
	r.log.wait(t, fmt.Sprintf("Remote Web server %s succeed on service.", rb), 1)

	if got := seen(true, vip, 4); got["<html>rs A</html>\n"] != 2 || got["<html>rs B</html>\n"] != 2 {
		t.Fatalf("rr over both real servers: %v", got)
	}

	steps := []struct {
		name         string
		break_, heal func()
	}{
		{"page change", func() { a.page.Store("<html>changed</html>\n") }, func() { a.page.Store("<html>rs A</html>\n") }},
		{"refused", func() { a.stop() }, func() { a.restart() }},
		{"timeout", func() { a.hang.Store(true) }, func() { a.hang.Store(false) }},
	}
	for i, st := range steps {
		st.break_()
		r.log.wait(t, fmt.Sprintf("HTTP_CHECK on service %s failed after 1 retries.", ra), i+1)
		r.log.wait(t, fmt.Sprintf("Removing service %s from VS %s", ra, vs), i+1)
		if got := seen(true, vip, 3); got["<html>rs B</html>\n"] != 3 {
			t.Fatalf("%s: traffic with A removed: %v", st.name, got)
		}
		st.heal()
		r.log.wait(t, fmt.Sprintf("MD5 digest success to %s url(/)", ra), i+1)
		r.log.wait(t, fmt.Sprintf("Adding service %s to VS %s", ra, vs), i+1)
		if got := seen(true, vip, 4); got["<html>rs A</html>\n"] != 2 {
			t.Fatalf("%s: traffic with A back: %v", st.name, got)
		}
	}
	r.cancel()
	<-r.done
	for _, rs := range []string{ra, rb} {
		if !r.log.has(fmt.Sprintf("Shutting down service %s from VS %s", rs, vs)) {
			t.Errorf("no shutdown line for %s:\n%s", rs, r.log.dump())
		}
	}
}

// TestInhibitAndSorryServer: inhibit_on_failure keeps a failed server in
// the table with weight 0; when every real server is down the sorry
// server answers.
func TestInhibitAndSorryServer(t *testing.T) {
	a := startRealServer(t, false, "A")
	sorry := startRealServer(t, false, "SORRY")
	vip := testenv.FreeLoopbackAddr(t)
	vhost, vport, _ := net.SplitHostPort(vip)
	conf := fmt.Sprintf(`
virtual_server %s %s {
    delay_loop 1
    lb_algo wlc
    lb_kind NAT
    protocol TCP
    persistence_timeout 30
    sorry_server 127.0.0.1 %s
    inhibit_on_failure
    real_server 127.0.0.1 %s {
        weight 2
        TCP_CHECK {
            connect_timeout 1
            retry 0
            warmup 0
        }
    }
}
`, vhost, vport, sorry.port(), a.port())
	r := runConfig(t, conf)
	vs := fmt.Sprintf("[%s]:tcp:%s", vhost, vport)
	ra := "[127.0.0.1]:tcp:" + a.port()
	r.log.wait(t, fmt.Sprintf("TCP connection to %s success.", ra), 1)
	if got := ask(false, vip); got != "A" {
		t.Fatalf("got %q", got)
	}
	a.stop()
	r.log.wait(t, fmt.Sprintf("TCP_CHECK on service %s failed.", ra), 1)
	r.log.wait(t, fmt.Sprintf("Disabling service %s of VS %s", ra, vs), 1)
	r.log.wait(t, fmt.Sprintf("Adding sorry server [127.0.0.1]:tcp:%s to VS %s", sorry.port(), vs), 1)
	w := r.fw.Weights(r.svc)
	if w[r.svc.Reals[0].Addr] != 0 || len(w) != 2 {
		t.Fatalf("inhibited server should stay with weight 0 beside the sorry server: %v", w)
	}
	// the persistent client moves: its server has weight 0
	if got := ask(false, vip); got != "SORRY" {
		t.Fatalf("with the real server down got %q, want the sorry server", got)
	}
	a.restart()
	r.log.wait(t, fmt.Sprintf("Enabling service %s of VS %s", ra, vs), 1)
	r.log.wait(t, fmt.Sprintf("Removing sorry server [127.0.0.1]:tcp:%s from VS %s", sorry.port(), vs), 1)
	if got := ask(false, vip); got != "A" {
		t.Fatalf("back: got %q", got)
	}
}

// TestForwarderPersistence: a client keeps its real server while its
// entry is fresh, whatever the scheduler would pick.
func TestForwarderPersistence(t *testing.T) {
	a := startRealServer(t, false, "A")
	b := startRealServer(t, false, "B")
	vip := testenv.FreeLoopbackAddr(t)
	vhost, vport, _ := net.SplitHostPort(vip)
	conf := fmt.Sprintf(`
virtual_server %s %s {
    delay_loop 30
    lb_algo rr
    protocol TCP
    persistence_timeout 60
    real_server 127.0.0.1 %s {
        TCP_CHECK {
            warmup 0
        }
    }
    real_server 127.0.0.1 %s {
        TCP_CHECK {
            warmup 0
        }
    }
}
`, vhost, vport, a.port(), b.port())
	runConfig(t, conf)
	if !testenv.WaitFor(10*time.Second, func() bool { return strings.HasPrefix(ask(false, vip), "A") || strings.HasPrefix(ask(false, vip), "B") }) {
		t.Fatal("virtual service never answered")
	}
	first := ask(false, vip)
	for i := 0; i < 5; i++ {
		if got := ask(false, vip); got != first {
			t.Fatalf("persistence broken: %q then %q", first, got)
		}
	}
}

// TestForwarderFreebind: the forwarder listens on an address the host
// does not have (a BACKUP node before VRRP brings the VIP).
func TestForwarderFreebind(t *testing.T) {
	// 192.0.2.x (TEST-NET-1) is never configured on a test host; no
	// packet is sent.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fw := NewForwarder(ctx, ForwarderOptions{})
	s := &Service{Addrs: []netip.AddrPort{netip.MustParseAddrPort("192.0.2.77:18899")}, Protocol: "tcp", Kind: "NAT", Algo: "rr"}
	if err := fw.AddService(s); err != nil {
		t.Fatalf("listen before the VIP exists: %v", err)
	}
	cancel()
	fw.Wait()
}
