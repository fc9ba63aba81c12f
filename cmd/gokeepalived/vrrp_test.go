package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// lan is a set of network namespaces joined by a bridge in a hub
// namespace; each router namespace holds eth0 with 10.5.0.N/24.
type lan struct {
	hub     string
	routers []string
	handles []*netlink.Handle
}

func suffix(t testing.TB) string {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

func ipRun(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// newLAN creates n router namespaces on one bridge. Everything goes when t
// ends.
func newLAN(t testing.TB, n int) *lan {
	t.Helper()
	testenv.RequireRoot(t)
	if _, err := exec.LookPath("ip"); err != nil {
		testenv.Unavailable(t, "ip (iproute2) is not installed")
	}
	sfx := suffix(t)
	l := &lan{hub: "gkh-" + sfx}
	addNS := func(name string) {
		ipRun(t, "netns", "add", name)
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
		ipRun(t, "-n", name, "link", "set", "lo", "up")
	}
	addNS(l.hub)
	ipRun(t, "-n", l.hub, "link", "add", "br0", "type", "bridge")
	ipRun(t, "-n", l.hub, "link", "set", "br0", "up")
	for i := 0; i < n; i++ {
		ns := fmt.Sprintf("gk%d-%s", i, sfx)
		addNS(ns)
		host, peer := fmt.Sprintf("gkv%d%s", i, sfx), fmt.Sprintf("gkp%d%s", i, sfx)
		ipRun(t, "link", "add", host, "type", "veth", "peer", "name", peer)
		t.Cleanup(func() { _ = exec.Command("ip", "link", "del", host).Run() })
		ipRun(t, "link", "set", host, "netns", ns, "name", "eth0")
		ipRun(t, "link", "set", peer, "netns", l.hub)
		ipRun(t, "-n", l.hub, "link", "set", peer, "master", "br0")
		ipRun(t, "-n", l.hub, "link", "set", peer, "up")
		ipRun(t, "-n", ns, "addr", "add", fmt.Sprintf("10.5.0.%d/24", i+1), "dev", "eth0")
		// Link-local addresses usable at once (the VRRPv3/IPv6 source).
		if out, err := exec.Command("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.eth0.accept_dad=0").CombinedOutput(); err != nil {
			t.Fatalf("sysctl accept_dad in %s: %v\n%s", ns, err, out)
		}
		ipRun(t, "-n", ns, "link", "set", "eth0", "up")
		h, err := netns.GetFromName(ns)
		if err != nil {
			t.Fatal(err)
		}
		nl, err := netlink.NewHandleAt(h)
		h.Close()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nl.Close)
		l.routers = append(l.routers, ns)
		l.handles = append(l.handles, nl)
	}
	return l
}

// hasAddr reports whether router i holds addr (on eth0 or, with
// use_vmac, on its VMAC interface).
func (l *lan) hasAddr(t testing.TB, i int, addr string) bool {
	t.Helper()
	return l.addrDev(t, i, addr) != ""
}

// addrDev is the interface of router i that holds addr ("" if none).
func (l *lan) addrDev(t testing.TB, i int, addr string) string {
	t.Helper()
	addrs, err := l.handles[i].AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	want := net.ParseIP(addr)
	for _, a := range addrs {
		if a.IP.Equal(want) {
			link, err := l.handles[i].LinkByIndex(a.LinkIndex)
			if err != nil {
				return "?"
			}
			return link.Attrs().Name
		}
	}
	return ""
}

// waitAddr waits until router i holds (or lost) addr and returns how long
// that took.
func (l *lan) waitAddr(t testing.TB, i int, addr string, present bool, limit time.Duration) time.Duration {
	t.Helper()
	return l.waitAddrSince(t, i, addr, present, time.Now(), limit)
}

// waitAddrSince is waitAddr measuring from start.
func (l *lan) waitAddrSince(t testing.TB, i int, addr string, present bool, start time.Time, limit time.Duration) time.Duration {
	t.Helper()
	for {
		if l.hasAddr(t, i, addr) == present {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("router %d (%s): address %s present=%v not reached within %v", i, l.routers[i], addr, present, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// router is a keepalived or gokeepalived process in a namespace.
type router struct {
	name, bin, ns, dir, conf string
	cmd                      *exec.Cmd
	log                      *os.File
	env                      []string // added to the environment
}

// The virtual addresses of the failover tests (VRRPv2 over IPv4, VRRPv3
// over IPv6).
const (
	pairVIP  = "10.5.0.100"
	pairVIP6 = "2001:db8:5::100"
)

// unicastLines makes router i (0 or 1) of a two-router LAN send unicast
// adverts to the other.
func unicastLines(i int) string {
	return fmt.Sprintf("    unicast_src_ip 10.5.0.%d\n    unicast_peer {\n        10.5.0.%d\n    }\n", i+1, 2-i)
}

func vrrpConf(name string, prio int, vip string, extra ...string) string {
	return fmt.Sprintf(`global_defs {
    router_id %s
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 42
    priority %d
    advert_int 1
%s    virtual_ipaddress {
        %s
    }
}
`, name, prio, strings.Join(extra, ""), vip)
}

func newRouter(t testing.TB, name, bin, ns, conf string) *router {
	t.Helper()
	dir := t.TempDir()
	r := &router{name: name, bin: bin, ns: ns, dir: dir, conf: filepath.Join(dir, "keepalived.conf")}
	if err := os.WriteFile(r.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.stop(syscall.SIGKILL)
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(r.dir, "out.log"))
			t.Logf("%s (%s) output:\n%s", r.name, r.bin, b)
		}
	})
	return r
}

// start runs the daemon in the foreground (-n) with console logging.
func (r *router) start(t testing.TB) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(r.dir, "out.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	r.log = f
	r.cmd = exec.Command("ip", "netns", "exec", r.ns, r.bin, "-n", "-l", "-D", "-P",
		"-f", r.conf, "-p", filepath.Join(r.dir, "keepalived.pid"), "-r", filepath.Join(r.dir, "vrrp.pid"))
	r.cmd.Stdout, r.cmd.Stderr = f, f
	if len(r.env) > 0 {
		r.cmd.Env = append(os.Environ(), r.env...)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
}

// signal sends sig without waiting and returns when it was sent.
func (r *router) signal(t testing.TB, sig syscall.Signal) time.Time {
	t.Helper()
	now := time.Now()
	if err := r.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	return now
}

// stop signals the process (ip netns exec execs the daemon, so the PID is
// the daemon's) and waits for it. For keepalived, SIGKILL of the parent
// leaves the VRRP child running: it is killed through its pid file.
func (r *router) stop(sig syscall.Signal) {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	if sig == syscall.SIGKILL {
		if b, err := os.ReadFile(filepath.Join(r.dir, "vrrp.pid")); err == nil {
			var pid int
			if _, err := fmt.Sscan(string(b), &pid); err == nil && pid > 1 && pid != r.cmd.Process.Pid {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	_ = r.cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = r.cmd.Process.Kill()
		<-done
	}
	r.cmd = nil
	if r.log != nil {
		r.log.Close()
	}
}

// failover runs the election and failover scenario between a master
// candidate (priority 150) and a backup (priority 100) and logs the times.
func failover(t *testing.T, masterBin, backupBin, vip string, unicast ...bool) {
	var mx, bx string
	if len(unicast) > 0 && unicast[0] {
		mx, bx = unicastLines(0), unicastLines(1)
	}
	failoverWith(t, masterBin, backupBin, vip, mx, bx)
}

// failoverWith is failover with extra vrrp_instance lines for the master
// candidate (mx) and the backup (bx).
func failoverWith(t *testing.T, masterBin, backupBin, vip, mx, bx string) {
	l := newLAN(t, 2)
	m := newRouter(t, "master", masterBin, l.routers[0], vrrpConf("r1", 150, vip, mx))
	b := newRouter(t, "backup", backupBin, l.routers[1], vrrpConf("r2", 100, vip, bx))
	b.start(t)
	// Alone, the backup takes the VIP after 3 adverts + skew.
	d := l.waitAddr(t, 1, vip, true, 20*time.Second)
	t.Logf("%s alone: MASTER with the VIP after %v", filepath.Base(backupBin), d.Round(time.Millisecond))
	m.start(t)
	d = l.waitAddr(t, 0, vip, true, 20*time.Second)
	t.Logf("%s (prio 150) started: preempted, VIP on it after %v", filepath.Base(masterBin), d.Round(time.Millisecond))
	l.waitAddr(t, 1, vip, false, 10*time.Second)

	// SIGKILL: the backup notices after master_down_interval (3 x 1 s +
	// skew (256-100)/256 s = 3.61 s).
	t0 := time.Now()
	m.stop(syscall.SIGKILL)
	d = l.waitAddrSince(t, 1, vip, true, t0, 15*time.Second)
	t.Logf("FAILOVER SIGKILL of %s master: %s backup holds the VIP after %v (expected ~3.6 s)", filepath.Base(masterBin), filepath.Base(backupBin), d.Round(time.Millisecond))
	if dev := l.addrDev(t, 0, vip); dev != "" {
		// A SIGKILLed daemon cannot remove its addresses; clear it as an
		// operator's restart would.
		bits := "/32"
		if strings.Contains(vip, ":") {
			bits = "/128"
		}
		ipRun(t, "-n", l.routers[0], "addr", "del", vip+bits, "dev", dev)
	}

	m.start(t)
	d = l.waitAddr(t, 0, vip, true, 20*time.Second)
	t.Logf("PREEMPT %s restarted: VIP back after %v", filepath.Base(masterBin), d.Round(time.Millisecond))
	l.waitAddr(t, 1, vip, false, 10*time.Second)

	// SIGTERM: the master sends priority 0; the backup takes over after
	// skew time (0.61 s).
	t0 = m.signal(t, syscall.SIGTERM)
	d = l.waitAddrSince(t, 1, vip, true, t0, 10*time.Second)
	t.Logf("FAILOVER SIGTERM of %s master: %s backup holds the VIP after %v (expected ~0.6 s)", filepath.Base(masterBin), filepath.Base(backupBin), d.Round(time.Millisecond))
	m.stop(syscall.SIGTERM)
	if l.hasAddr(t, 0, vip) {
		t.Errorf("%s left the VIP behind after SIGTERM", filepath.Base(masterBin))
	}
	b.stop(syscall.SIGTERM)
	if l.hasAddr(t, 1, vip) {
		t.Errorf("%s left the VIP behind after SIGTERM", filepath.Base(backupBin))
	}
}

// TestVRRPFailoverKeepalived measures the oracle pair: the reference the
// gokeepalived figures are compared with.
func TestVRRPFailoverKeepalived(t *testing.T) {
	k := testenv.Oracle(t, "keepalived")
	failover(t, k, k, pairVIP)
}

func TestVRRPFailoverKeepalivedIPv6(t *testing.T) {
	k := testenv.Oracle(t, "keepalived")
	failover(t, k, k, pairVIP6)
}

func TestVRRPFailoverGokeepalived(t *testing.T) {
	g := testenv.Binary(t, "gokeepalived")
	failover(t, g, g, pairVIP)
}

func TestVRRPFailoverGokeepalivedIPv6(t *testing.T) {
	g := testenv.Binary(t, "gokeepalived")
	failover(t, g, g, pairVIP6)
}

// The mixed pairs: gokeepalived and keepalived 2.2.7 elect and fail over
// in both roles.
func TestVRRPFailoverMixedGoMaster(t *testing.T) {
	failover(t, testenv.Binary(t, "gokeepalived"), testenv.Oracle(t, "keepalived"), pairVIP)
}

func TestVRRPFailoverMixedKeepalivedMaster(t *testing.T) {
	failover(t, testenv.Oracle(t, "keepalived"), testenv.Binary(t, "gokeepalived"), pairVIP)
}

func TestVRRPFailoverMixedGoMasterIPv6(t *testing.T) {
	failover(t, testenv.Binary(t, "gokeepalived"), testenv.Oracle(t, "keepalived"), pairVIP6)
}

func TestVRRPFailoverMixedKeepalivedMasterIPv6(t *testing.T) {
	failover(t, testenv.Oracle(t, "keepalived"), testenv.Binary(t, "gokeepalived"), pairVIP6)
}

// TestDaemonLifecycle runs gokeepalived as an init script does: detached
// (no -n), pid files written before the parent returns, a second start
// refused, SIGHUP reloading a changed configuration, SIGTERM releasing the
// addresses and the pid files.
func TestDaemonLifecycle(t *testing.T) {
	g := testenv.Binary(t, "gokeepalived")
	l := newLAN(t, 1)
	r := newRouter(t, "solo", g, l.routers[0], vrrpConf("r1", 150, pairVIP))
	pidPath, vrrpPidPath := filepath.Join(r.dir, "keepalived.pid"), filepath.Join(r.dir, "vrrp.pid")
	startCmd := func() *exec.Cmd {
		return exec.Command("ip", "netns", "exec", r.ns, g, "-P", "-f", r.conf, "-p", pidPath, "-r", vrrpPidPath)
	}
	if out, err := startCmd().CombinedOutput(); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	b, err := os.ReadFile(pidPath)
	if err != nil {
		t.Fatalf("pid file not written when the parent returned: %v", err)
	}
	var pid int
	if _, err := fmt.Sscan(string(b), &pid); err != nil || pid <= 1 {
		t.Fatalf("pid file holds %q", b)
	}
	proc, err := os.FindProcess(pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proc.Signal(syscall.SIGKILL) })
	// The VRRP child's pid file names a child of the parent, as
	// keepalived's does.
	if child := waitChildPid(t, vrrpPidPath, pid, 0); child == pid {
		t.Errorf("VRRP pid file names the parent (%d)", pid)
	}
	// keepalived refuses a second daemon with the same pid files, logs
	// "daemon is already running" and exits 0.
	second := startCmd()
	second.Args = append(second.Args, "-l")
	out, err := second.CombinedOutput()
	if err != nil || !strings.Contains(string(out), ": daemon is already running") {
		t.Errorf("second start: %v, %s; want exit 0 and 'daemon is already running'", err, out)
	}
	if nb, _ := os.ReadFile(pidPath); string(nb) != string(b) {
		t.Errorf("second start replaced the pid file: %q, was %q", nb, b)
	}
	l.waitAddr(t, 0, pairVIP, true, 20*time.Second)

	// SIGUSR1 (keepalived's data dump) must not kill it; the parent
	// writes its own dump, as keepalived's does.
	os.Remove(parentDataFile)
	if err := proc.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if !testenv.WaitFor(10*time.Second, func() bool {
		b, _ := os.ReadFile(parentDataFile)
		return strings.HasPrefix(string(b), "------< Global definitions >------\n Router ID = r1\n")
	}) {
		b, _ := os.ReadFile(parentDataFile)
		t.Errorf("%s after SIGUSR1 to the parent: %q", parentDataFile, b)
	}
	// Reload with a second address.
	conf := strings.Replace(vrrpConf("r1", 150, pairVIP), pairVIP, pairVIP+"\n        10.5.0.101", 1)
	if err := os.WriteFile(r.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := proc.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	l.waitAddr(t, 0, "10.5.0.101", true, 20*time.Second)
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("daemon gone after SIGUSR1/SIGHUP: %v", err)
	}

	if err := proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatal("daemon still running 20 s after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, a := range []string{pairVIP, "10.5.0.101"} {
		if l.hasAddr(t, 0, a) {
			t.Errorf("%s still present after SIGTERM", a)
		}
	}
	for _, p := range []string{pidPath, vrrpPidPath} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left behind after SIGTERM", p)
		}
	}
}

// Unicast adverts (unicast_src_ip / unicast_peer) between the two
// implementations.
func TestVRRPFailoverMixedUnicast(t *testing.T) {
	failover(t, testenv.Binary(t, "gokeepalived"), testenv.Oracle(t, "keepalived"), pairVIP, true)
}

func TestVRRPFailoverMixedUnicastKeepalivedMaster(t *testing.T) {
	failover(t, testenv.Oracle(t, "keepalived"), testenv.Binary(t, "gokeepalived"), pairVIP, true)
}
