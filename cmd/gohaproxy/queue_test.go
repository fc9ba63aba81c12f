package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// slowServer accepts connections, reads the client's first line (its
// index), holds the session for hold, answers "ok" and closes. It records
// the order in which clients reached it and the most sessions it had at
// once.
type slowServer struct {
	ln    net.Listener
	hold  time.Duration
	mu    sync.Mutex
	cur   int
	peak  int
	order []int
}

func startSlowServer(t *testing.T, hold time.Duration) *slowServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &slowServer{ln: ln, hold: hold}
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
				s.mu.Lock()
				s.cur++
				if s.cur > s.peak {
					s.peak = s.cur
				}
				s.mu.Unlock()
				defer func() { s.mu.Lock(); s.cur--; s.mu.Unlock() }()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				line, err := bufio.NewReader(c).ReadString('\n')
				if err != nil {
					return
				}
				i, _ := strconv.Atoi(strings.TrimSpace(line))
				s.mu.Lock()
				s.order = append(s.order, i)
				s.mu.Unlock()
				time.Sleep(s.hold)
				c.Write([]byte("ok\n"))
			}()
		}
	}()
	return s
}

func (s *slowServer) reset() {
	s.mu.Lock()
	s.cur, s.peak, s.order = 0, 0, nil
	s.mu.Unlock()
}

// runClients starts n clients gap apart; each sends its index and reads
// the answer. It returns each client's outcome: "ok", "closed" (EOF
// without data) or "reset".
func runClients(addr string, n int, gap time.Duration) []string {
	out := make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				out[i] = "dial: " + err.Error()
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			fmt.Fprintf(c, "%d\n", i)
			line, err := bufio.NewReader(c).ReadString('\n')
			switch {
			case err == nil:
				out[i] = strings.TrimSpace(line)
			case errors.Is(err, io.EOF):
				out[i] = "closed"
			case errors.Is(err, syscall.ECONNRESET):
				out[i] = "reset"
			default:
				out[i] = err.Error()
			}
		}(i)
		time.Sleep(gap)
	}
	wg.Wait()
	return out
}

// runBoth runs cfg (with PORT replaced) under haproxy and gohaproxy in
// turn and calls each with the address to test.
func runBoth(t *testing.T, cfgText string, each func(name, addr string)) {
	t.Helper()
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	for _, p := range []struct{ name, bin string }{{"haproxy", oracle}, {"gohaproxy", ours}} {
		port := freePort(t)
		cfg := filepath.Join(t.TempDir(), "h.cfg")
		os.WriteFile(cfg, []byte(strings.ReplaceAll(cfgText, "PORT", strconv.Itoa(port))), 0o644)
		cmd := startProxy(t, p.bin, "-db", "-f", cfg)
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		waitListeningRaw(t, addr)
		each(p.name, addr)
		cmd.Process.Signal(syscall.SIGTERM)
		waitExit(t, cmd)
	}
}

// TestQueueLikeHaproxy: a slow server with maxconn 2 and ten clients at
// once. Both proxies must let at most two sessions reach the server,
// serve the waiting clients in arrival order, and close those still
// waiting after "timeout queue" (set, or defaulting to "timeout connect").
func TestQueueLikeHaproxy(t *testing.T) {
	srv := startSlowServer(t, time.Second)
	// client i reaches the server at about 1s*(i/2) and waited that
	// minus 30ms*i: clients 0..5 wait at most ~1.9s, 6..9 at least ~2.8s.
	for _, tc := range []struct{ name, timeouts string }{
		{"timeout queue", "timeout connect 5s\n  timeout queue 2400ms"},
		{"timeout connect", "timeout connect 2400ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := "global\n  nbthread 1\ndefaults\n  mode tcp\n  " + tc.timeouts + "\n  timeout client 20s\n  timeout server 20s\n" +
				"listen q\n  bind 127.0.0.1:PORT\n  server s1 " + srv.ln.Addr().String() + " maxconn 2\n"
			results := map[string]string{}
			runBoth(t, cfg, func(name, addr string) {
				srv.reset()
				out := runClients(addr, 10, 30*time.Millisecond)
				srv.mu.Lock()
				peak, order := srv.peak, append([]int(nil), srv.order...)
				srv.mu.Unlock()
				results[name] = strings.Join(out, " ")
				t.Logf("%s: outcomes %v, server order %v, peak %d", name, out, order, peak)
				if peak > 2 {
					t.Errorf("%s: %d sessions reached the server at once, maxconn is 2", name, peak)
				}
				for rank, i := range order {
					if rank/2 != i/2 {
						t.Errorf("%s: client %d reached the server in position %d (order %v): not first come, first served", name, i, rank, order)
						break
					}
				}
			})
			want := "ok ok ok ok ok ok closed closed closed closed"
			for name, got := range results {
				if got != want {
					t.Errorf("%s: outcomes %q, want %q", name, got, want)
				}
			}
		})
	}
}

// TestServerQueueMaxqueue: with "balance source" every client of
// 127.0.0.1 is pinned to one server; with maxconn 1 and maxqueue 1 the
// first client is served, the second waits in the server's queue and the
// third is refused at once (no "option redispatch").
func TestServerQueueMaxqueue(t *testing.T) {
	srv := startSlowServer(t, 700*time.Millisecond)
	other := startSlowServer(t, 700*time.Millisecond)
	cfg := "global\n  nbthread 1\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 20s\n  timeout server 20s\n" +
		"listen q\n  bind 127.0.0.1:PORT\n  balance source\n" +
		"  server s1 " + srv.ln.Addr().String() + " maxconn 1 maxqueue 1\n" +
		"  server s2 " + other.ln.Addr().String() + " maxconn 1 maxqueue 1\n"
	results := map[string]string{}
	runBoth(t, cfg, func(name, addr string) {
		srv.reset()
		other.reset()
		out := runClients(addr, 3, 100*time.Millisecond)
		results[name] = strings.Join(out, " ")
		t.Logf("%s: %v", name, out)
	})
	if results["haproxy"] != results["gohaproxy"] {
		t.Errorf("outcomes differ:\n  haproxy:   %s\n  gohaproxy: %s", results["haproxy"], results["gohaproxy"])
	}
}

// TestMaxconnPausesAccept: a frontend "maxconn" or a global "maxconn"
// stops accepting at the limit; the kernel's backlog holds the other
// clients, which are all served in the end.
func TestMaxconnPausesAccept(t *testing.T) {
	srv := startSlowServer(t, 500*time.Millisecond)
	for _, tc := range []struct{ name, global, listen string }{
		{"frontend", "", "  maxconn 2\n"},
		{"global", "  maxconn 2\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := "global\n  nbthread 1\n" + tc.global + "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 20s\n  timeout server 20s\n" +
				"listen q\n  bind 127.0.0.1:PORT\n" + tc.listen + "  server s1 " + srv.ln.Addr().String() + "\n"
			runBoth(t, cfg, func(name, addr string) {
				srv.reset()
				out := runClients(addr, 6, 20*time.Millisecond)
				srv.mu.Lock()
				peak := srv.peak
				srv.mu.Unlock()
				t.Logf("%s: outcomes %v, peak %d", name, out, peak)
				if got := strings.Join(out, " "); got != "ok ok ok ok ok ok" {
					t.Errorf("%s: outcomes %q, want all ok", name, got)
				}
				if peak != 2 {
					t.Errorf("%s: %d sessions at once on the server, want 2 (maxconn)", name, peak)
				}
			})
		})
	}
}

// TestLeastconnQueuesOnServer: leastconn takes a full server while its
// queue has room (maxqueue), so the third client waits for s1 even though
// s2 frees first, as in haproxy 2.6.
func TestLeastconnQueuesOnServer(t *testing.T) {
	s1 := startSlowServer(t, 2*time.Second)
	s2 := startSlowServer(t, 500*time.Millisecond)
	cfg := "global\n  nbthread 1\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 20s\n  timeout server 20s\n" +
		"listen q\n  bind 127.0.0.1:PORT\n  balance leastconn\n" +
		"  server s1 " + s1.ln.Addr().String() + " maxconn 1 maxqueue 1\n" +
		"  server s2 " + s2.ln.Addr().String() + " maxconn 1 maxqueue 1\n"
	res := map[string]string{}
	runBoth(t, cfg, func(name, addr string) {
		s1.reset()
		s2.reset()
		out := runClients(addr, 3, 100*time.Millisecond)
		s1.mu.Lock()
		s2.mu.Lock()
		res[name] = fmt.Sprintf("%v s1 %v s2 %v", out, s1.order, s2.order)
		s1.mu.Unlock()
		s2.mu.Unlock()
	})
	t.Logf("haproxy: %s, gohaproxy: %s", res["haproxy"], res["gohaproxy"])
	if res["haproxy"] != res["gohaproxy"] {
		t.Errorf("differ:\n  haproxy:   %s\n  gohaproxy: %s", res["haproxy"], res["gohaproxy"])
	}
}
