package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// children lists the child processes of pid.
func children(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// gone tells whether pid no longer runs (absent or a zombie).
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] == 'Z' || s[i+2] == 'X'
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// master is a running "gohaproxy -W" under test.
type master struct {
	cmd    *exec.Cmd
	stderr *syncBuf
	done   chan struct{}
	seen   map[int]bool // every worker PID seen, killed at the end
	mu     sync.Mutex
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	os.Stderr.Write(p)
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startMaster(t *testing.T, env []string, args ...string) *master {
	t.Helper()
	bin := testenv.Binary(t, "gohaproxy")
	m := &master{cmd: exec.Command(bin, args...), stderr: &syncBuf{}, done: make(chan struct{}), seen: map[int]bool{}}
	m.cmd.Stdout, m.cmd.Stderr = m.stderr, m.stderr
	m.cmd.Env = append(os.Environ(), env...)
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { m.cmd.Wait(); close(m.done) }()
	t.Cleanup(func() {
		m.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-m.done:
		case <-time.After(5 * time.Second):
			m.cmd.Process.Kill()
			<-m.done
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		for pid := range m.seen {
			if !gone(pid) {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	return m
}

// workers returns the master's current children and remembers them.
func (m *master) workers() []int {
	ws := children(m.cmd.Process.Pid)
	m.mu.Lock()
	for _, w := range ws {
		m.seen[w] = true
	}
	m.mu.Unlock()
	return ws
}

// oneWorker waits until the master has exactly one child, other than
// not, and returns it.
func (m *master) oneWorker(t *testing.T, not int) int {
	t.Helper()
	var w int
	waitUntil(t, "a single worker", func() bool {
		ws := m.workers()
		if len(ws) == 1 && ws[0] != not {
			w = ws[0]
			return true
		}
		return false
	})
	return w
}

func (m *master) alive() bool {
	select {
	case <-m.done:
		return false
	default:
		return true
	}
}

func (m *master) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case <-m.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("master %d did not exit", m.cmd.Process.Pid)
	}
	return m.cmd.ProcessState.ExitCode()
}

// waitServing waits for the first worker: the master listens from the
// start, connections wait in its backlog until a worker accepts them.
func waitServing(t *testing.T, m *master, addr string) {
	t.Helper()
	waitListening(t, addr)
	waitUntil(t, "the first worker", func() bool { return strings.Contains(m.stderr.String(), "Loading success.") })
}

func writeConfig(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMasterWorker runs "gohaproxy -W -f cfg -p pidfile" through a reload
// under load, a reload with a broken configuration and a stop.
func TestMasterWorker(t *testing.T) {
	servers := nameServers(t, 2)
	port := freePort(t)
	dir := t.TempDir()
	cfg, pidfile := filepath.Join(dir, "h.cfg"), filepath.Join(dir, "h.pid")
	good := tcpConfig(port, "roundrobin", servers, []int{1, 1})
	writeConfig(t, cfg, good)
	m := startMaster(t, nil, "-W", "-f", cfg, "-p", pidfile)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitServing(t, m, addr)

	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(b)); got != strconv.Itoa(m.cmd.Process.Pid) {
		t.Errorf("pidfile holds %q, want the master's pid %d", got, m.cmd.Process.Pid)
	}
	w1 := m.oneWorker(t, 0)
	if got, err := ask(addr); err != nil || (got != "s1" && got != "s2") {
		t.Fatalf("through the worker: %q, %v", got, err)
	}

	// reload while a client keeps connecting
	var ok, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := ask(addr); err != nil {
				failed.Add(1)
				t.Logf("connection failed: %v", err)
			} else {
				ok.Add(1)
			}
		}
	}()
	waitUntil(t, "some connections", func() bool { return ok.Load() > 20 })
	m.cmd.Process.Signal(syscall.SIGUSR2)
	w2 := m.oneWorker(t, w1) // the old worker has left, a new one serves
	before := ok.Load()
	waitUntil(t, "connections after the reload", func() bool { return ok.Load() > before+50 })
	close(stop)
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d of %d connections failed across the reload", failed.Load(), failed.Load()+ok.Load())
	}
	if !gone(w1) {
		t.Errorf("old worker %d still runs", w1)
	}

	// a broken configuration: the old worker keeps serving
	writeConfig(t, cfg, good+"  bogus line\n")
	m.cmd.Process.Signal(syscall.SIGUSR2)
	waitUntil(t, "the loading failure", func() bool { return strings.Contains(m.stderr.String(), "Loading failure!") })
	if !m.alive() {
		t.Fatal("master exited on a broken configuration")
	}
	if ws := m.workers(); len(ws) != 1 || ws[0] != w2 {
		t.Errorf("workers after a failed reload: %v, want [%d]", ws, w2)
	}
	if got, err := ask(addr); err != nil || (got != "s1" && got != "s2") {
		t.Errorf("after a failed reload: %q, %v", got, err)
	}
	if !strings.Contains(m.stderr.String(), "unknown keyword 'bogus'") {
		t.Errorf("the configuration error was not logged:\n%s", m.stderr.String())
	}

	// stop: every process goes
	m.cmd.Process.Signal(syscall.SIGTERM)
	if code := m.waitExit(t); code != 0 {
		t.Errorf("master exit status %d, want 0 (as haproxy)", code)
	}
	waitUntil(t, "the worker's exit", func() bool { return gone(w2) })
	// haproxy 2.6 leaves its pid file in place when it exits.
	if _, err := os.Stat(pidfile); err != nil {
		t.Errorf("pidfile %s removed at exit; haproxy keeps it: %v", pidfile, err)
	}
}

// TestMasterWorkerNotify checks what -Ws tells systemd: READY=1 with the
// master's PID once serving, RELOADING=1 then READY=1 around a reload,
// STOPPING=1 when stopped (haproxy 2.6 does the same).
func TestMasterWorkerNotify(t *testing.T) {
	servers := nameServers(t, 1)
	port := freePort(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "h.cfg")
	writeConfig(t, cfg, tcpConfig(port, "roundrobin", servers, []int{1}))
	sock := filepath.Join(dir, "notify")
	nc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	next := func() string {
		t.Helper()
		nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 4096)
		n, err := nc.Read(buf)
		if err != nil {
			t.Fatalf("no notification: %v", err)
		}
		return string(buf[:n])
	}
	m := startMaster(t, []string{"NOTIFY_SOCKET=" + sock}, "-Ws", "-f", cfg)
	ready := fmt.Sprintf("READY=1\nMAINPID=%d", m.cmd.Process.Pid)
	if got := next(); got != ready {
		t.Fatalf("first notification %q, want %q", got, ready)
	}
	if _, err := ask(fmt.Sprintf("127.0.0.1:%d", port)); err != nil {
		t.Errorf("not serving once READY=1 was sent: %v", err)
	}
	m.workers()
	m.cmd.Process.Signal(syscall.SIGUSR2)
	for _, want := range []string{"RELOADING=1", ready} {
		if got := next(); got != want {
			t.Fatalf("reload: notification %q, want %q", got, want)
		}
	}
	m.workers()
	m.cmd.Process.Signal(syscall.SIGTERM)
	if got := next(); got != "STOPPING=1" {
		t.Errorf("stop: notification %q, want STOPPING=1", got)
	}
	m.waitExit(t)
}

// TestMasterWorkerFailure kills the worker: the master leaves with the
// worker's status (128+9), unless "master-worker no-exit-on-failure".
func TestMasterWorkerFailure(t *testing.T) {
	for _, tc := range []struct {
		name   string
		global string
		exit   bool
	}{
		{"exit-on-failure", "", true},
		{"no-exit-on-failure", "  master-worker no-exit-on-failure\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			servers := nameServers(t, 1)
			port := freePort(t)
			cfg := filepath.Join(t.TempDir(), "h.cfg")
			writeConfig(t, cfg, strings.Replace(tcpConfig(port, "roundrobin", servers, []int{1}), "global\n", "global\n"+tc.global, 1))
			m := startMaster(t, nil, "-W", "-f", cfg)
			waitServing(t, m, fmt.Sprintf("127.0.0.1:%d", port))
			w := m.oneWorker(t, 0)
			t.Logf("killing worker %d: %v", w, syscall.Kill(w, syscall.SIGKILL))
			if tc.exit {
				if code := m.waitExit(t); code != 128+9 {
					t.Errorf("master exit status %d, want %d", code, 128+9)
				}
				return
			}
			waitUntil(t, "the worker's death to be noticed", func() bool {
				return strings.Contains(m.stderr.String(), fmt.Sprintf("Current worker (%d) exited with code 137 (Killed)", w))
			})
			if !m.alive() {
				t.Error("master exited despite no-exit-on-failure")
			}
		})
	}
}

// TestWorkerLeavesWithMaster kills the master outright: the worker must
// notice and exit by itself.
func TestWorkerLeavesWithMaster(t *testing.T) {
	servers := nameServers(t, 1)
	port := freePort(t)
	cfg := filepath.Join(t.TempDir(), "h.cfg")
	writeConfig(t, cfg, tcpConfig(port, "roundrobin", servers, []int{1}))
	m := startMaster(t, nil, "-W", "-f", cfg)
	waitServing(t, m, fmt.Sprintf("127.0.0.1:%d", port))
	w := m.oneWorker(t, 0)
	m.cmd.Process.Kill()
	m.waitExit(t)
	waitUntil(t, "the orphaned worker's exit", func() bool { return gone(w) })
}

// TestMasterWorkerReloadMovesPort reloads onto another port: the new
// worker serves the new address and the old address is closed once the
// old worker has left (the master keeps no stale listener).
func TestMasterWorkerReloadMovesPort(t *testing.T) {
	servers := nameServers(t, 1)
	p1, p2 := freePort(t), freePort(t)
	cfg := filepath.Join(t.TempDir(), "h.cfg")
	writeConfig(t, cfg, tcpConfig(p1, "roundrobin", servers, []int{1}))
	m := startMaster(t, nil, "-W", "-f", cfg)
	a1, a2 := fmt.Sprintf("127.0.0.1:%d", p1), fmt.Sprintf("127.0.0.1:%d", p2)
	waitServing(t, m, a1)
	w1 := m.oneWorker(t, 0)
	writeConfig(t, cfg, tcpConfig(p2, "roundrobin", servers, []int{1}))
	m.cmd.Process.Signal(syscall.SIGHUP) // haproxy's master reloads on SIGHUP too
	m.oneWorker(t, w1)
	if got, err := ask(a2); err != nil || got != "s1" {
		t.Errorf("new address after the reload: %q, %v", got, err)
	}
	if c, err := net.DialTimeout("tcp", a1, time.Second); err == nil {
		c.Close()
		t.Errorf("old address %s still accepts connections", a1)
	}
}

// TestMasterWorkerSoftStop sends SIGUSR1 to the master: the worker
// finishes and the master leaves with status 0.
func TestMasterWorkerSoftStop(t *testing.T) {
	servers := nameServers(t, 1)
	port := freePort(t)
	cfg := filepath.Join(t.TempDir(), "h.cfg")
	writeConfig(t, cfg, tcpConfig(port, "roundrobin", servers, []int{1}))
	m := startMaster(t, nil, "-W", "-f", cfg)
	waitServing(t, m, fmt.Sprintf("127.0.0.1:%d", port))
	w := m.oneWorker(t, 0)
	m.cmd.Process.Signal(syscall.SIGUSR1)
	if code := m.waitExit(t); code != 0 {
		t.Errorf("master exit status %d after a soft stop, want 0", code)
	}
	waitUntil(t, "the worker's exit", func() bool { return gone(w) })
	if !strings.Contains(m.stderr.String(), "All workers exited. Exiting... (0)") {
		t.Errorf("no final message:\n%s", m.stderr.String())
	}
}
