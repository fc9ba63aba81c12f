package vrrp

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"golang.org/x/sys/unix"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// This file runs a Node against keepalived 2.2.7 on a veth pair in a
// network namespace. The test platform below is deliberately minimal (an
// AF_PACKET socket for adverts, addresses only recorded): the real one is
// pkg/vrrp/linux.

type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *logBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *logBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// packetConn sends and receives IPv4 VRRP on one interface of a namespace.
type packetConn struct {
	fd      int
	ifindex int
	local   netip.Addr
	ifname  string
	mu      sync.Mutex
	closed  bool
}

func openPacketConn(t *testing.T, netns, ifname string, local netip.Addr) *packetConn {
	t.Helper()
	type res struct {
		fd, idx int
		err     error
	}
	ch := make(chan res)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		r := res{fd: -1}
		defer func() { ch <- r }()
		nsfd, err := unix.Open("/run/netns/"+netns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			r.err = err
			return
		}
		defer unix.Close(nsfd)
		if r.err = unix.Setns(nsfd, unix.CLONE_NEWNET); r.err != nil {
			return
		}
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			r.err = err
			return
		}
		r.idx = ifi.Index
		if r.fd, r.err = unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_IP))); r.err != nil {
			return
		}
		r.err = unix.Bind(r.fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: r.idx})
		if r.err == nil {
			r.err = unix.SetsockoptTimeval(r.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 100000})
		}
	}()
	r := <-ch
	if r.err != nil {
		if r.fd >= 0 {
			unix.Close(r.fd)
		}
		t.Fatalf("packet socket on %s in %s: %v", ifname, netns, r.err)
	}
	c := &packetConn{fd: r.fd, ifindex: r.idx, local: local, ifname: ifname}
	t.Cleanup(func() { c.Close() })
	return c
}

func ipChecksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

func (c *packetConn) Send(msg []byte, dst netip.Addr) error {
	b := make([]byte, 20+len(msg))
	b[0], b[1] = 0x45, 0xc0
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	b[8], b[9] = 255, 112
	s, d := c.local.As4(), dst.As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	binary.BigEndian.PutUint16(b[10:], ipChecksum(b[:20]))
	copy(b[20:], msg)
	mac := [8]byte{0x01, 0x00, 0x5e, d[1] & 0x7f, d[2], d[3]}
	return unix.Sendto(c.fd, b, 0, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: c.ifindex, Halen: 6, Addr: mac})
}

func (c *packetConn) Recv(ctx context.Context) (Received, error) {
	buf := make([]byte, 2048)
	for {
		if ctx.Err() != nil {
			return Received{}, ctx.Err()
		}
		n, from, err := unix.Recvfrom(c.fd, buf, 0)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return Received{}, err
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
			continue
		}
		b := buf[:n]
		if len(b) < 20 || b[0]>>4 != 4 || b[9] != 112 {
			continue
		}
		ihl := int(b[0]&0x0f) * 4
		tot := int(binary.BigEndian.Uint16(b[2:]))
		if ihl < 20 || tot > len(b) || tot < ihl {
			continue
		}
		src, _ := netip.AddrFromSlice(b[12:16])
		dst, _ := netip.AddrFromSlice(b[16:20])
		return Received{Msg: append([]byte(nil), b[ihl:tot]...), Src: src, Dst: dst, TTL: int(b[8]), Interface: c.ifname}, nil
	}
}

func (c *packetConn) LocalAddr() netip.Addr { return c.local }

func (c *packetConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	return unix.Close(c.fd)
}

// nsPlatform opens packet sockets in a namespace and records addresses.
type nsPlatform struct {
	fakePlatform
	t     *testing.T
	netns string
}

func (p *nsPlatform) Open(c ConnConfig) (Conn, error) {
	return openPacketConn(p.t, p.netns, c.Interface, p.local), nil
}

const oracleKeepalived = `global_defs {
    router_id oracle
}
vrrp_instance VI_1 {
    state BACKUP
    interface veth0
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.168.99.100/24
    }
}
`

const oracleNode = `global_defs {
    vrrp_garp_master_delay 0
}
vrrp_instance VI_1 {
    state BACKUP
    interface gtpeer0
    virtual_router_id 51
    priority 150
    advert_int 1
    virtual_ipaddress {
        192.168.99.100/24
    }
}
`

// TestNodeAgainstKeepalived: our Node (priority 150) and keepalived
// (priority 100) on one segment. The Node wins, keepalived takes over when
// the Node stops (priority 0 advert), the Node preempts it on return.
func TestNodeAgainstKeepalived(t *testing.T) {
	t.Run("v2", func(t *testing.T) { runAgainstKeepalived(t, "") })
	t.Run("v3", func(t *testing.T) { runAgainstKeepalived(t, "    version 3\n") })
}

func runAgainstKeepalived(t *testing.T, extra string) {
	withExtra := func(conf string) string {
		return strings.Replace(conf, "    advert_int 1\n", "    advert_int 1\n"+extra, 1)
	}
	testenv.RequireRoot(t)
	bin := testenv.Oracle(t, "keepalived")
	ns := testenv.NewNetNS(t, testenv.Iface{Name: "veth0", Addrs: []string{"192.168.99.1/24"}})
	// 192.168.99.2, our source, is deliberately not configured in the
	// namespace: the kernel would drop adverts from a local address
	// arriving on veth0.
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(cf, []byte(withExtra(oracleKeepalived)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := ns.Command(bin, "-n", "-l", "-D", "-P", "-f", cf,
		"-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid"))
	var klog logBuf
	cmd.Stdout, cmd.Stderr = &klog, &klog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() || testing.Verbose() {
			t.Logf("keepalived log:\n%s", klog.String())
		}
	})
	waitK := func(s string, from int) {
		t.Helper()
		waitFor(t, "keepalived to log "+s, func() bool { return strings.Contains(klog.String()[from:], s) })
	}
	waitK("(VI_1) Entering BACKUP STATE", 0)

	cfg := parseConf(t, withExtra(oracleNode))
	run := func() (*Node, *nsPlatform, *observer.ObservedLogs, context.CancelFunc, chan error) {
		t.Helper()
		core, logs := observer.New(zap.InfoLevel)
		p := &nsPlatform{fakePlatform: *newFakePlatform(nil, "192.168.99.2"), t: t, netns: ns.Name}
		n, err := NewNode(cfg, p, NodeOptions{Logger: zap.New(core)})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- n.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		return n, p, logs, cancel, done
	}
	state := func(n *Node) string { return n.State().Instances[0].State }

	n, p, _, cancel, done := run()
	from := len(klog.String())
	waitFor(t, "our node MASTER", func() bool { return state(n) == "MASTER" })
	time.Sleep(3 * time.Second)
	if strings.Contains(klog.String()[from:], "Entering MASTER STATE") {
		t.Fatalf("keepalived became MASTER against priority 150")
	}
	if !p.has("gtpeer0 192.168.99.100/24") {
		t.Errorf("VIP not added: %v", p.addrs)
	}

	// Stop: priority 0, keepalived takes over at once.
	from = len(klog.String())
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	done <- nil // for the cleanup
	waitK("(VI_1) Backup received priority 0 advertisement", from)
	waitK("(VI_1) Entering MASTER STATE", from)

	// Back: our node hears keepalived's lower priority adverts, discards
	// them and preempts.
	from = len(klog.String())
	n2, _, logs2, _, _ := run()
	waitFor(t, "our node MASTER again", func() bool { return state(n2) == "MASTER" })
	waitK("(VI_1) Master received advert from 192.168.99.2 with higher priority 150, ours 100", from)
	waitK("(VI_1) Entering BACKUP STATE", from)
	for _, bad := range []string{"nvalid", "wrong", "unexpected", "not present", "mismatch", "Expected"} {
		if strings.Contains(klog.String(), bad) {
			t.Errorf("keepalived rejected an advert of ours (%q)", bad)
		}
	}
	if len(logs2.FilterMessage("(VI_1) received lower priority (100) advert from 192.168.99.1 - discarding").All()) == 0 {
		t.Errorf("our node did not see keepalived's adverts: %v", logs2.All())
	}
}

const oracleScripts = `global_defs {
    router_id oracle
}
vrrp_script chk_fail {
    script "/bin/false"
    interval 1
    weight -10
}
vrrp_script chk_ok {
    script "/bin/true"
    interval 1
}
vrrp_script chk_zero_fail {
    script "/bin/false"
    interval 1
}
vrrp_instance VI_1 {
    interface IFNAME
    virtual_router_id 51
    priority 100
    advert_int 5
    track_script {
        chk_fail
    }
    virtual_ipaddress {
        192.168.99.100/24
    }
}
vrrp_instance VI_2 {
    interface IFNAME
    virtual_router_id 52
    priority 100
    advert_int 5
    track_script {
        chk_ok
    }
    virtual_ipaddress {
        192.168.99.101/24
    }
}
vrrp_instance VI_3 {
    interface IFNAME
    virtual_router_id 53
    priority 100
    advert_int 5
    track_script {
        chk_zero_fail
    }
    virtual_ipaddress {
        192.168.99.102/24
    }
}
`

// TestScriptLogsLikeKeepalived runs the same tracked scripts in keepalived
// and in a Node and compares what both log about instances and scripts
// in the first seconds (before any election).
func TestScriptLogsLikeKeepalived(t *testing.T) {
	testenv.RequireRoot(t)
	bin := testenv.Oracle(t, "keepalived")
	ns := testenv.NewNetNS(t, testenv.Iface{Name: "veth0", Addrs: []string{"192.168.99.1/24"}})
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(cf, []byte(strings.ReplaceAll(oracleScripts, "IFNAME", "veth0")), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := ns.Command(bin, "-n", "-l", "-P", "-f", cf,
		"-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid"))
	var klog logBuf
	cmd.Stdout, cmd.Stderr = &klog, &klog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	rn := startNodeDetail(t, &segment{}, "10.0.0.1", parseConf(t, strings.ReplaceAll(oracleScripts, "IFNAME", "eth0")), false)
	time.Sleep(4 * time.Second)
	relevant := func(l string) bool {
		return strings.HasPrefix(l, "(VI_") || strings.HasPrefix(l, "VRRP_Script(") || strings.HasPrefix(l, "Script `")
	}
	var theirs, ours []string
	for _, l := range strings.Split(klog.String(), "\n") {
		if i := strings.Index(l, " 20"); i >= 0 {
			if j := strings.Index(l[i:], ": "); j >= 0 {
				l = l[i+j+2:]
			}
		}
		if relevant(l) {
			theirs = append(theirs, l)
		}
	}
	for _, e := range rn.logs.All() {
		if relevant(e.Message) {
			ours = append(ours, e.Message)
		}
	}
	slices.Sort(theirs)
	slices.Sort(ours)
	if !slices.Equal(theirs, ours) {
		t.Errorf("script logs differ:\n keepalived %q\n ours       %q", theirs, ours)
	}
}

// TestLinkFaultLogsLikeKeepalived takes the interface of a BACKUP instance
// down and up in keepalived and in a Node and compares their messages.
func TestLinkFaultLogsLikeKeepalived(t *testing.T) {
	testenv.RequireRoot(t)
	bin := testenv.Oracle(t, "keepalived")
	ns := testenv.NewNetNS(t, testenv.Iface{Name: "veth0", Addrs: []string{"192.168.99.1/24"}})
	conf := `vrrp_instance VI_1 {
    interface IFNAME
    virtual_router_id 51
    priority 100
    advert_int 5
    virtual_ipaddress {
        192.168.99.100/24
    }
}
`
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(cf, []byte(strings.ReplaceAll(conf, "IFNAME", "veth0")), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := ns.Command(bin, "-n", "-l", "-P", "-f", cf,
		"-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid"))
	var klog logBuf
	cmd.Stdout, cmd.Stderr = &klog, &klog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	rn := startNodeDetail(t, &segment{}, "10.0.0.1", parseConf(t, strings.ReplaceAll(conf, "IFNAME", "eth0")), false)
	waitFor(t, "keepalived BACKUP", func() bool { return strings.Contains(klog.String(), "(VI_1) Entering BACKUP STATE") })
	waitFor(t, "node BACKUP", func() bool { return rn.state() == "BACKUP" })
	for _, up := range []string{"down", "up"} {
		if out, err := ns.Command("ip", "link", "set", "veth0", up).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		rn.p.links <- LinkEvent{Interface: "eth0", Up: up == "up"}
		time.Sleep(time.Second)
	}
	var theirs, ours []string
	for _, l := range strings.Split(klog.String(), "\n") {
		if i := strings.Index(l, " 20"); i >= 0 {
			if j := strings.Index(l[i:], ": "); j >= 0 {
				l = l[i+j+2:]
			}
		}
		if strings.HasPrefix(l, "(VI_") || strings.HasPrefix(l, "Netlink reports") {
			theirs = append(theirs, strings.ReplaceAll(l, "veth0", "eth0"))
		}
	}
	for _, e := range rn.logs.All() {
		ours = append(ours, e.Message)
	}
	if !slices.Equal(theirs, ours) {
		t.Errorf("logs differ:\n keepalived %q\n ours       %q", theirs, ours)
	}
}

const syncConf = `vrrp_sync_group G1 {
    group {
        VI_1
        VI_2
    }
}
vrrp_instance VI_1 {
    interface IF0
    virtual_router_id 51
    priority 100
    advert_int ADV
    virtual_ipaddress {
        192.168.99.100/24
    }
}
vrrp_instance VI_2 {
    interface IF1
    virtual_router_id 52
    priority 100
    advert_int ADV
    virtual_ipaddress {
        192.168.98.100/24
    }
}
`

// sideBySide runs conf (IF0/IF1 standing for the interfaces) in keepalived
// in a namespace and in a Node on a fake platform, lets step act on both,
// and compares the instance, group and interface messages.
func sideBySide(t *testing.T, conf string, step func(ns *testenv.NetNS, rn *runningNode)) {
	testenv.RequireRoot(t)
	bin := testenv.Oracle(t, "keepalived")
	ns := testenv.NewNetNS(t,
		testenv.Iface{Name: "veth0", Addrs: []string{"192.168.99.1/24"}},
		testenv.Iface{Name: "veth1", Addrs: []string{"192.168.98.1/24"}})
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(cf, []byte(strings.NewReplacer("IF0", "veth0", "IF1", "veth1").Replace(conf)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := ns.Command(bin, "-n", "-l", "-P", "-f", cf,
		"-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid"))
	var klog logBuf
	cmd.Stdout, cmd.Stderr = &klog, &klog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	rn := startNodeDetail(t, &segment{}, "10.0.0.1", parseConf(t, strings.NewReplacer("IF0", "eth0", "IF1", "eth1").Replace(conf)), false)
	waitFor(t, "keepalived to start", func() bool { return strings.Contains(klog.String(), "Entering BACKUP STATE") })
	step(ns, rn)
	var theirs, ours []string
	for _, l := range strings.Split(klog.String(), "\n") {
		if i := strings.Index(l, " 20"); i >= 0 {
			if j := strings.Index(l[i:], ": "); j >= 0 {
				l = l[i+j+2:]
			}
		}
		if strings.HasPrefix(l, "(VI_") || strings.HasPrefix(l, "Netlink reports") || strings.HasPrefix(l, "VRRP_Group") {
			theirs = append(theirs, strings.NewReplacer("veth0", "eth0", "veth1", "eth1").Replace(l))
		}
	}
	for _, e := range rn.logs.All() {
		// Only the lines taken from keepalived's log (script results
		// are compared by TestScriptLogsLikeKeepalived).
		if l := e.Message; strings.HasPrefix(l, "(VI_") || strings.HasPrefix(l, "Netlink reports") || strings.HasPrefix(l, "VRRP_Group") {
			ours = append(ours, l)
		}
	}
	if !slices.Equal(theirs, ours) {
		t.Errorf("logs differ:\n keepalived %q\n ours       %q", theirs, ours)
	}
}

// TestSyncGroupLogsLikeKeepalived: one interface of a sync group goes down
// and up; keepalived and a Node must log the same.
func TestSyncGroupLogsLikeKeepalived(t *testing.T) {
	sideBySide(t, strings.ReplaceAll(syncConf, "ADV", "5"), func(ns *testenv.NetNS, rn *runningNode) {
		time.Sleep(500 * time.Millisecond)
		for _, up := range []string{"down", "up"} {
			if out, err := ns.Command("ip", "link", "set", "veth1", up).CombinedOutput(); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			rn.p.links <- LinkEvent{Interface: "eth1", Up: up == "up"}
			time.Sleep(time.Second)
		}
	})
}

// TestSyncGroupMasterLogsLikeKeepalived: alone on their segments, both
// members go MASTER together.
func TestSyncGroupMasterLogsLikeKeepalived(t *testing.T) {
	sideBySide(t, strings.ReplaceAll(syncConf, "ADV", "1"), func(ns *testenv.NetNS, rn *runningNode) {
		time.Sleep(6 * time.Second)
	})
}

// TestStartStatesLikeKeepalived: an address owner, a "state MASTER"
// instance and a track_file-weighted one start as keepalived starts them.
func TestStartStatesLikeKeepalived(t *testing.T) {
	dir := t.TempDir()
	wf := filepath.Join(dir, "weight")
	if err := os.WriteFile(wf, []byte("5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := `vrrp_track_file tf {
    file ` + wf + `
    weight 2
}
vrrp_instance VI_1 {
    interface IF0
    virtual_router_id 51
    priority 255
    advert_int 1
    virtual_ipaddress {
        192.168.99.100/24
    }
}
vrrp_instance VI_2 {
    state MASTER
    interface IF1
    virtual_router_id 52
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.168.98.100/24
    }
}
vrrp_instance VI_3 {
    interface IF1
    virtual_router_id 53
    priority 100
    advert_int 1
    track_file {
        tf
    }
    virtual_ipaddress {
        192.168.98.101/24
    }
}
`
	sideBySide(t, conf, func(ns *testenv.NetNS, rn *runningNode) {
		time.Sleep(2 * time.Second)
		if err := os.WriteFile(wf, []byte("-3\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		time.Sleep(4 * time.Second)
	})
}

// TestMasterFaultLogsLikeKeepalived: a MASTER loses and regains its
// interface.
func TestMasterFaultLogsLikeKeepalived(t *testing.T) {
	conf := `vrrp_instance VI_1 {
    interface IF0
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.168.99.100/24
    }
}
`
	sideBySide(t, conf, func(ns *testenv.NetNS, rn *runningNode) {
		waitFor(t, "node MASTER", func() bool { return rn.state() == "MASTER" })
		time.Sleep(500 * time.Millisecond)
		for _, up := range []string{"down", "up"} {
			if out, err := ns.Command("ip", "link", "set", "veth0", up).CombinedOutput(); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			rn.p.links <- LinkEvent{Interface: "eth0", Up: up == "up"}
			time.Sleep(time.Second)
		}
		time.Sleep(4 * time.Second)
	})
}

// TestSyncGroupTrackingLikeKeepalived: a track_file and a track_script at
// sync group level act on every member (keepalived 2.2.7 semantics): the
// file's weight changes the members' priorities, a failing unweighted
// script puts the group in FAULT.
func TestSyncGroupTrackingLikeKeepalived(t *testing.T) {
	dir := t.TempDir()
	wf := filepath.Join(dir, "weight")
	flag := filepath.Join(dir, "ok")
	for _, f := range []string{wf, flag} {
		if err := os.WriteFile(f, []byte("5\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	conf := `vrrp_track_file tf {
    file ` + wf + `
    weight 2
}
vrrp_script chk {
    script "/usr/bin/test -f ` + flag + `"
    interval 1
}
` + strings.Replace(strings.ReplaceAll(syncConf, "ADV", "5"), "    }\n}\n", "    }\n    track_file {\n        tf\n    }\n    track_script {\n        chk\n    }\n}\n", 1)
	sideBySide(t, conf, func(ns *testenv.NetNS, rn *runningNode) {
		time.Sleep(2 * time.Second)
		if err := os.WriteFile(wf, []byte("-3\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		if err := os.Remove(flag); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Second)
	})
}
