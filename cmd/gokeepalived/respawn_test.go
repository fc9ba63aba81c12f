package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// procStat returns a process's parent pid and state letter from
// /proc/PID/stat (ok false when it does not exist).
func procStat(pid int) (ppid int, state byte, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+4 >= len(s) {
		return 0, 0, false
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 2 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	return ppid, f[0][0], true
}

// alive reports whether pid runs (a zombie does not).
func alive(pid int) bool {
	_, st, ok := procStat(pid)
	return ok && st != 'Z' && st != 'X'
}

// waitChildPid waits until the pid file at path names a live child of
// parent other than not, and returns it.
func waitChildPid(t testing.TB, path string, parent, not int) int {
	t.Helper()
	var pid int
	if !testenv.WaitFor(20*time.Second, func() bool {
		b, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid == not || !alive(pid) {
			return false
		}
		ppid, _, _ := procStat(pid)
		return ppid == parent
	}) {
		b, _ := os.ReadFile(path)
		t.Fatalf("%s: no live child of %d other than %d (holds %q)", path, parent, not, b)
	}
	return pid
}

// parentLine picks the parent process's lines about its VRRP child out of
// the console log, without the time stamp and with the pids replaced by N.
var (
	parentLineRe = regexp.MustCompile(`^(pid \d+ exited|VRRP child process\(\d+\) died|  Please log an issue|  and include a full copy|  copies of the keepalived|Restart of VRRP process delayed|Starting VRRP child process|read eventfd count|pid \d+ exited with permanent error)`)
	pidRe        = regexp.MustCompile(`(pid[ =]|process\()\d+`)
)

func parentLines(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if len(l) < len(consoleTime)+2 {
			continue
		}
		l = l[len(consoleTime)+2:]
		if parentLineRe.MatchString(l) {
			out = append(out, pidRe.ReplaceAllString(l, "${1}N"))
		}
	}
	return out
}

// sigkillFigures is what one daemon did when its VRRP child, then its
// parent, were killed.
type sigkillFigures struct {
	lines []string
	// After the child's SIGKILL: the address left the master (the new
	// child removes what its predecessor left), the peer took it over (0:
	// it did not), the master took it back.
	vipGone, peerTook, back time.Duration
	// The second SIGKILL, within a minute of the restart: the respawn
	// guard delays the next child.
	respawn2 time.Duration
	// After the parent's SIGKILL: the peer holds the address (the child
	// got SIGTERM and sent priority 0).
	parentKill time.Duration
}

// sigkillScenario runs bin as the master (priority 150) against a real
// keepalived backup (priority 100) and kills its VRRP child twice, then
// its parent.
func sigkillScenario(t *testing.T, bin, peer string) sigkillFigures {
	var f sigkillFigures
	l := newLAN(t, 2)
	m := newRouter(t, "master", bin, l.routers[0], vrrpConf("r1", 150, pairVIP))
	b := newRouter(t, "backup", peer, l.routers[1], vrrpConf("r2", 100, pairVIP))
	b.start(t)
	l.waitAddr(t, 1, pairVIP, true, 20*time.Second)
	m.start(t)
	l.waitAddr(t, 0, pairVIP, true, 20*time.Second)
	l.waitAddr(t, 1, pairVIP, false, 10*time.Second)
	parent := m.cmd.Process.Pid
	vrrpPid := filepath.Join(m.dir, "vrrp.pid")
	logPath := filepath.Join(m.dir, "out.log")
	before, _ := os.ReadFile(logPath)

	child := waitChildPid(t, vrrpPid, parent, 0)
	t0 := time.Now()
	if err := syscall.Kill(child, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Whether the peer takes over before the restarted child's own
	// down timer ends depends on where in the advert interval the kill
	// fell: both outcomes happen with keepalived.
	f.vipGone = l.waitAddrSince(t, 0, pairVIP, false, t0, 10*time.Second)
	for f.back == 0 {
		if f.peerTook == 0 && l.hasAddr(t, 1, pairVIP) {
			f.peerTook = time.Since(t0)
		}
		if l.hasAddr(t, 0, pairVIP) {
			f.back = time.Since(t0)
		}
		if time.Since(t0) > 20*time.Second {
			t.Fatalf("%s: the master did not take %s back within 20 s of its VRRP child's SIGKILL", filepath.Base(bin), pairVIP)
		}
		time.Sleep(10 * time.Millisecond)
	}
	l.waitAddr(t, 1, pairVIP, false, 10*time.Second)
	child2 := waitChildPid(t, vrrpPid, parent, child)

	t1 := time.Now()
	if err := syscall.Kill(child2, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child3 := waitChildPid(t, vrrpPid, parent, child2)
	f.respawn2 = time.Since(t1)
	l.waitAddrSince(t, 0, pairVIP, true, t1, 25*time.Second)
	l.waitAddr(t, 1, pairVIP, false, 10*time.Second)
	// The last child's "read eventfd" report.
	testenv.WaitFor(5*time.Second, func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Count(string(b[len(before):]), "read eventfd count") >= 2
	})
	after, _ := os.ReadFile(logPath)
	f.lines = parentLines(string(after[len(before):]))

	// The parent dies: its child gets SIGTERM (PR_SET_PDEATHSIG), says
	// priority 0 and removes the address.
	t2 := time.Now()
	if err := syscall.Kill(parent, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	f.parentKill = l.waitAddrSince(t, 1, pairVIP, true, t2, 15*time.Second)
	if !testenv.WaitFor(15*time.Second, func() bool { return !alive(child3) }) {
		_ = syscall.Kill(child3, syscall.SIGKILL)
		t.Errorf("%s: the VRRP child %d still runs 15 s after its parent's SIGKILL", filepath.Base(bin), child3)
	}
	if l.hasAddr(t, 0, pairVIP) {
		t.Errorf("%s: the VRRP child kept %s after its parent's SIGKILL", filepath.Base(bin), pairVIP)
	}
	if _, err := os.Stat(vrrpPid); !os.IsNotExist(err) {
		t.Errorf("%s: the VRRP child left %s behind after its parent's SIGKILL", filepath.Base(bin), vrrpPid)
	}
	m.stop(syscall.SIGKILL)
	return f
}

// TestVRRPChildSIGKILLAgainstKeepalived: keepalived 2.2.7 and gokeepalived
// side by side, each the master against a keepalived backup. A SIGKILLed
// VRRP child is restarted at once by the parent with the same log lines; the
// new child removes the address its predecessor left and becomes master
// again after its down timer while the peer takes over in between; a second
// SIGKILL within the minute delays the restart by one second; a SIGKILL of
// the parent makes the child send priority 0, so the peer takes over within
// its skew time.
func TestVRRPChildSIGKILLAgainstKeepalived(t *testing.T) {
	k := testenv.Oracle(t, "keepalived")
	g := testenv.Binary(t, "gokeepalived")
	var ka, gk sigkillFigures
	t.Run("keepalived", func(t *testing.T) { ka = sigkillScenario(t, k, k) })
	t.Run("gokeepalived", func(t *testing.T) { gk = sigkillScenario(t, g, k) })
	if t.Failed() {
		return
	}
	for _, x := range []struct {
		name string
		f    sigkillFigures
	}{{"keepalived", ka}, {"gokeepalived", gk}} {
		t.Logf("%-12s child SIGKILL: VIP gone after %v, peer took it after %v (0: not), back after %v; 2nd SIGKILL: new child after %v; parent SIGKILL: peer took the VIP after %v",
			x.name, x.f.vipGone.Round(time.Millisecond), x.f.peerTook.Round(time.Millisecond), x.f.back.Round(time.Millisecond),
			x.f.respawn2.Round(time.Millisecond), x.f.parentKill.Round(time.Millisecond))
	}
	if !slices.Equal(ka.lines, gk.lines) {
		t.Errorf("the parent's lines differ:\nkeepalived:\n  %s\ngokeepalived:\n  %s", strings.Join(ka.lines, "\n  "), strings.Join(gk.lines, "\n  "))
	}
	// Generous bounds: VRRP timing is in whole seconds and the machine
	// may be loaded.
	near := func(what string, got, want time.Duration) {
		if got > want+2*time.Second || got < want-2*time.Second {
			t.Errorf("%s: gokeepalived %v, keepalived %v", what, got, want)
		}
	}
	near("child SIGKILL, VIP gone", gk.vipGone, ka.vipGone)
	near("child SIGKILL, VIP back", gk.back, ka.back)
	near("second child SIGKILL, restart delay", gk.respawn2, ka.respawn2)
	near("parent SIGKILL, peer took over", gk.parentKill, ka.parentKill)
	if gk.respawn2 < time.Second {
		t.Errorf("second SIGKILL within the minute: restarted after %v, want the 1 s respawn delay", gk.respawn2)
	}
	// Priority 0 rather than the 3.6 s master-down interval.
	if gk.parentKill > 3*time.Second {
		t.Errorf("parent SIGKILL: the peer took over after %v; the child should have sent priority 0", gk.parentKill)
	}
}

// TestVRRPChildPermanentErrorAgainstKeepalived: a VRRP child that cannot
// run the configuration (an interface that does not exist) makes the parent
// stop with keepalived's line and exit status instead of restarting it.
func TestVRRPChildPermanentErrorAgainstKeepalived(t *testing.T) {
	k := testenv.Oracle(t, "keepalived")
	g := testenv.Binary(t, "gokeepalived")
	l := newLAN(t, 1)
	conf := strings.Replace(vrrpConf("r1", 150, pairVIP), "interface eth0", "interface nosuch0", 1)
	run := func(bin string) (int, []string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "keepalived.conf")
		if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("ip", "netns", "exec", l.routers[0], bin, "-n", "-l", "-D", "-P", "-f", path,
			"-p", filepath.Join(dir, "keepalived.pid"), "-r", filepath.Join(dir, "vrrp.pid"))
		done := make(chan struct{})
		var out []byte
		var err error
		go func() { out, err = cmd.CombinedOutput(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			if cmd.Process != nil {
				_ = cmd.Process.Kill()
			}
			<-done
			t.Fatalf("%s still running 30 s after start with a missing interface:\n%s", bin, out)
		}
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"keepalived.pid", "vrrp.pid"} {
			if _, err := os.Stat(filepath.Join(dir, p)); !os.IsNotExist(err) {
				t.Errorf("%s left %s behind", bin, p)
			}
		}
		return code, parentLines(string(out))
	}
	kc, kl := run(k)
	gc, gl := run(g)
	if kc != gc || !slices.Equal(kl, gl) {
		t.Errorf("keepalived exit %d, lines %q; gokeepalived exit %d, lines %q", kc, kl, gc, gl)
	}
}

// TestMissingConfigAgainstKeepalived: without its configuration file the
// daemon stops at once with keepalived's status (6), in the foreground and
// when it daemonizes.
func TestMissingConfigAgainstKeepalived(t *testing.T) {
	k := testenv.Oracle(t, "keepalived")
	g := testenv.Binary(t, "gokeepalived")
	dir := t.TempDir()
	for _, fg := range []bool{true, false} {
		var codes [2]int
		for i, bin := range []string{k, g} {
			args := []string{"-f", filepath.Join(dir, "missing.conf"), "-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid")}
			if fg {
				args = append(args, "-n")
			}
			err := exec.Command(bin, args...).Run()
			if ee, ok := err.(*exec.ExitError); ok {
				codes[i] = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if codes[0] != codes[1] {
			t.Errorf("foreground %v: keepalived exit %d, gokeepalived %d", fg, codes[0], codes[1])
		}
	}
}
