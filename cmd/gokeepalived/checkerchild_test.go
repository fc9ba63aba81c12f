package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// lockedBuf collects a process's output for several goroutines.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// freeTCPPort is a loopback port nothing listens on (now).
func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// echoServer answers every connection with name and closes it.
func echoServer(t *testing.T, name string) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
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
			_, _ = io.WriteString(c, name)
			c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// through connects to the virtual service and returns what it says.
func through(port int) string {
	c, err := net.DialTimeout("tcp4", "127.0.0.1:"+strconv.Itoa(port), 3*time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	b, _ := io.ReadAll(c)
	return string(b)
}

func vsBlock(port, rport int) string {
	return fmt.Sprintf(`virtual_server 127.0.0.1 %d {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 127.0.0.1 %d {
        weight 1
        TCP_CHECK {
            connect_timeout 2
        }
    }
}
`, port, rport)
}

// TestCheckerChild: with virtual servers, the parent runs keepalived's
// healthcheck child (its own pid file, restarted
// after a SIGKILL with keepalived's lines); SIGHUP keeps an unchanged
// virtual server running and adds and removes the others with
// keepalived's lines; SIGUSR1 writes /tmp/keepalived_check.data with the
// live state.
func TestCheckerChild(t *testing.T) {
	testenv.RequireRoot(t)
	bin := testenv.Binary(t, "gokeepalived")
	dir := t.TempDir()
	rport := echoServer(t, "A")
	p1, p2 := freeTCPPort(t), freeTCPPort(t)
	vs1, vs2 := fmt.Sprintf("[127.0.0.1]:tcp:%d", p1), fmt.Sprintf("[127.0.0.1]:tcp:%d", p2)
	conf := filepath.Join(dir, "keepalived.conf")
	head := "global_defs {\n    router_id KAOPS\n}\n"
	if err := os.WriteFile(conf, []byte(head+vsBlock(p1, rport)), 0o644); err != nil {
		t.Fatal(err)
	}
	pidP, pidV, pidC := filepath.Join(dir, "k.pid"), filepath.Join(dir, "v.pid"), filepath.Join(dir, "c.pid")
	out := &lockedBuf{}
	cmd := exec.Command(bin, "-n", "-l", "-G", "-f", conf, "-p", pidP, "-r", pidV, "-c", pidC)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("gokeepalived output:\n%s", out)
		}
	})
	waitLog := func(line string) {
		t.Helper()
		if !testenv.WaitFor(30*time.Second, func() bool { return strings.Contains(out.String(), line) }) {
			t.Fatalf("no %q in the output:\n%s", line, out)
		}
	}
	parent := cmd.Process.Pid
	waitLog("Starting Healthcheck child process, pid=")
	waitLog("Startup complete")
	checker := waitChildPid(t, pidC, parent, 0)
	// Without VRRP work in the configuration keepalived runs no VRRP child.
	if strings.Contains(out.String(), "Starting VRRP child") {
		t.Errorf("a VRRP child started for a configuration without VRRP")
	}
	waitLog(fmt.Sprintf("TCP connection to [127.0.0.1]:tcp:%d success.", rport))
	if got := through(p1); got != "A" {
		t.Fatalf("through %s: %q, want A", vs1, got)
	}

	// Reload: VS1 unchanged, VS2 new.
	if err := os.WriteFile(conf, []byte(head+vsBlock(p1, rport)+vsBlock(p2, rport)), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Signal(syscall.SIGHUP)
	waitLog("Reload complete")
	waitLog(fmt.Sprintf("Activating healthchecker for service [127.0.0.1]:tcp:%d for VS %s", rport, vs2))
	if n := strings.Count(out.String(), "for VS "+vs1); n != 1 {
		t.Errorf("the unchanged %s was restarted (%d activation lines)", vs1, n)
	}
	if !testenv.WaitFor(20*time.Second, func() bool { return through(p2) == "A" }) {
		t.Fatalf("the new %s does not answer", vs2)
	}
	if got := through(p1); got != "A" {
		t.Fatalf("after the reload, through %s: %q, want A", vs1, got)
	}

	// The data dump.
	_ = os.Remove(checkDataFile)
	_ = syscall.Kill(checker, syscall.SIGUSR1)
	waitLog(fmt.Sprintf("Printing checker data for process(%d) on signal", checker))
	var data string
	testenv.WaitFor(10*time.Second, func() bool {
		b, err := os.ReadFile(checkDataFile)
		data = string(b)
		return err == nil && strings.Contains(data, fmt.Sprintf("VPORT = %d", p2))
	})
	for _, want := range []string{
		"------< Global definitions >------\n Router ID = KAOPS\n",
		"------< LVS Topology >------\n System is compiled with LVS v",
		fmt.Sprintf(" ------< Virtual server >------\n VS VIP = 127.0.0.1, VPORT = %d\n   Address family = inet\n   connection timeout = 5.000000\n   delay_loop = 1.000000\n   lvs_sched = rr\n", p1),
		"   protocol = TCP\n",
		"   quorum = 1, hysteresis = 0\n",
		"   alive = 1\n   quorum_state_up = 1\n   reloaded = 1\n",
		fmt.Sprintf("   ------< Real server >------\n   RIP = 127.0.0.1, RPORT = %d, WEIGHT = 1\n   forwarding method = NAT\n", rport),
		"   alive = 1\n   num failed checkers = 0\n   RS set = 1\n   reloaded = 0\n",
	} {
		if !strings.Contains(data, want) {
			t.Errorf("%s lacks %q:\n%s", checkDataFile, want, data)
		}
	}

	// The healthcheck child dies: the parent restarts it.
	_ = syscall.Kill(checker, syscall.SIGKILL)
	waitLog(fmt.Sprintf("pid %d exited due to signal 9 (Killed)", checker))
	waitLog(fmt.Sprintf("Healthcheck child process(%d) died: Respawning", checker))
	waitChildPid(t, pidC, parent, checker)
	if !testenv.WaitFor(20*time.Second, func() bool { return through(p1) == "A" }) {
		t.Fatalf("after the respawn, %s does not answer", vs1)
	}

	// Reload without VS1.
	if err := os.WriteFile(conf, []byte(head+vsBlock(p2, rport)), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Signal(syscall.SIGHUP)
	waitLog("Removing Virtual Server " + vs1)
	if !testenv.WaitFor(10*time.Second, func() bool { return through(p1) == "" }) {
		t.Errorf("the removed %s still answers", vs1)
	}
	if got := through(p2); got != "A" {
		t.Errorf("through %s after removing the other: %q, want A", vs2, got)
	}

	// Reload with a real server added to VS2, then A removed: the
	// unchanged real server keeps its checker.
	bport := echoServer(t, "B")
	ra, rb := fmt.Sprintf("[127.0.0.1]:tcp:%d", rport), fmt.Sprintf("[127.0.0.1]:tcp:%d", bport)
	two := strings.Replace(vsBlock(p2, rport), "    real_server", fmt.Sprintf(`    real_server 127.0.0.1 %d {
        TCP_CHECK {
            connect_timeout 2
        }
    }
    real_server`, bport), 1)
	if err := os.WriteFile(conf, []byte(head+two), 0o644); err != nil {
		t.Fatal(err)
	}
	activA := fmt.Sprintf("Activating healthchecker for service %s for VS %s", ra, vs2)
	before := strings.Count(out.String(), activA)
	_ = cmd.Process.Signal(syscall.SIGHUP)
	waitLog(fmt.Sprintf("Activating healthchecker for service %s for VS %s", rb, vs2))
	if !testenv.WaitFor(20*time.Second, func() bool { return through(p2) == "B" }) {
		t.Errorf("the added real server B does not answer through %s", vs2)
	}
	if n := strings.Count(out.String(), activA); n != before {
		t.Errorf("the unchanged real server %s was restarted", ra)
	}
	if err := os.WriteFile(conf, []byte(head+vsBlock(p2, bport)), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Signal(syscall.SIGHUP)
	waitLog(fmt.Sprintf("Removing service %s from VS %s", ra, vs2))
	for i := 0; i < 4; i++ {
		if got := through(p2); got != "B" {
			t.Errorf("with A removed, through %s: %q, want B", vs2, got)
		}
	}

	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("gokeepalived did not stop")
	}
	exited <- nil // for the cleanup
	for _, p := range []string{pidP, pidV, pidC} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left behind", p)
		}
	}
}

// TestOnlyOneChild: as keepalived 2.2.7 does, -C runs only the
// healthcheck child, and -P with a configuration that has virtual servers
// but no VRRP runs nothing ("Warning - keepalived has no configuration to
// run").
func TestOnlyOneChild(t *testing.T) {
	testenv.RequireRoot(t)
	bin := testenv.Binary(t, "gokeepalived")
	rport := echoServer(t, "A")
	for _, c := range []struct {
		flag      string
		want, not string
		pids      []string // the child pid files that must exist
		noPids    []string
	}{
		{"-P", "Warning - keepalived has no configuration to run", "child process", nil, []string{"v.pid", "c.pid"}},
		{"-C", "Starting Healthcheck child process", "Starting VRRP child process", []string{"c.pid"}, []string{"v.pid"}},
	} {
		t.Run(c.flag, func(t *testing.T) {
			dir := t.TempDir()
			p := freeTCPPort(t)
			conf := filepath.Join(dir, "keepalived.conf")
			if err := os.WriteFile(conf, []byte(vsBlock(p, rport)), 0o644); err != nil {
				t.Fatal(err)
			}
			out := &lockedBuf{}
			cmd := exec.Command(bin, c.flag, "-n", "-l", "-G", "-f", conf, "-p", filepath.Join(dir, "k.pid"),
				"-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid"))
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			go func() { _ = cmd.Wait(); close(exited) }()
			t.Cleanup(func() {
				_ = cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-exited:
				case <-time.After(30 * time.Second):
					_ = cmd.Process.Kill()
					<-exited
				}
				if t.Failed() {
					t.Logf("output:\n%s", out)
				}
			})
			if !testenv.WaitFor(30*time.Second, func() bool { return strings.Contains(out.String(), c.want) }) {
				t.Fatalf("no %q:\n%s", c.want, out)
			}
			for _, f := range c.pids {
				waitChildPid(t, filepath.Join(dir, f), cmd.Process.Pid, 0)
			}
			served := testenv.WaitFor(10*time.Second, func() bool { return through(p) == "A" })
			if served != (c.flag == "-C") {
				t.Errorf("with %s the virtual server answers: %v", c.flag, served)
			}
			if o := out.String(); strings.Contains(o, c.not) {
				t.Errorf("with %s: %q logged:\n%s", c.flag, c.not, o)
			}
			for _, f := range c.noPids {
				if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
					t.Errorf("with %s, %s exists", c.flag, f)
				}
			}
		})
	}
}
