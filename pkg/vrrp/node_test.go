package vrrp

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/gohaproxy/gohaproxy/pkg/keepalivedconf"
)

// segment is an in-memory LAN: what one Conn sends, the others receive.
type segment struct {
	mu    sync.Mutex
	conns []*fakeConn
}

type fakeConn struct {
	seg    *segment
	local  netip.Addr
	ifname string
	ch     chan Received
	mu     sync.Mutex
	closed bool
	sent   int
}

func (c *fakeConn) Send(msg []byte, dst netip.Addr) error {
	c.mu.Lock()
	c.sent++
	c.mu.Unlock()
	c.seg.mu.Lock()
	defer c.seg.mu.Unlock()
	for _, o := range c.seg.conns {
		if o == c || o.isClosed() || (!dst.IsMulticast() && o.local != dst) {
			continue
		}
		r := Received{Msg: slices.Clone(msg), Src: c.local, Dst: dst, TTL: 255, Interface: o.ifname}
		select {
		case o.ch <- r:
		default: // a full queue loses packets, as a real socket would
		}
	}
	return nil
}

func (c *fakeConn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func (c *fakeConn) Recv(ctx context.Context) (Received, error) {
	select {
	case r := <-c.ch:
		return r, nil
	case <-ctx.Done():
		return Received{}, ctx.Err()
	}
}

func (c *fakeConn) LocalAddr() netip.Addr { return c.local }

func (c *fakeConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return nil
}

// fakePlatform is one host on the segment.
type fakePlatform struct {
	seg   *segment
	local netip.Addr
	mu    sync.Mutex
	addrs map[string]bool
	garps int
	links chan LinkEvent
	down  map[string]bool
	// failOpen makes Open fail.
	failOpen bool
	conns    []*fakeConn
}

func newFakePlatform(seg *segment, local string) *fakePlatform {
	return &fakePlatform{seg: seg, local: netip.MustParseAddr(local), addrs: map[string]bool{}, links: make(chan LinkEvent, 8), down: map[string]bool{}}
}

func (p *fakePlatform) AddAddress(ifname string, vip keepalivedconf.VIP) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.addrs[ifname+" "+vip.Prefix.String()] = true
	return nil
}

func (p *fakePlatform) DelAddress(ifname string, vip keepalivedconf.VIP) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.addrs, ifname+" "+vip.Prefix.String())
	return nil
}

func (p *fakePlatform) AddRoute(keepalivedconf.Route) error { return nil }
func (p *fakePlatform) DelRoute(keepalivedconf.Route) error { return nil }
func (p *fakePlatform) AddRule(keepalivedconf.Rule) error   { return nil }
func (p *fakePlatform) DelRule(keepalivedconf.Rule) error   { return nil }

func (p *fakePlatform) Announce(string, netip.Addr) error {
	p.mu.Lock()
	p.garps++
	p.mu.Unlock()
	return nil
}

func (p *fakePlatform) Open(c ConnConfig) (Conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failOpen {
		return nil, fmt.Errorf("no such device")
	}
	fc := &fakeConn{seg: p.seg, local: p.local, ifname: c.Interface, ch: make(chan Received, 64)}
	p.conns = append(p.conns, fc)
	p.seg.mu.Lock()
	p.seg.conns = append(p.seg.conns, fc)
	p.seg.mu.Unlock()
	return fc, nil
}

func (p *fakePlatform) LinkUp(ifname string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.down[ifname], nil
}

func (p *fakePlatform) PrimaryAddr(string, bool) (netip.Addr, error) { return p.local, nil }

func (p *fakePlatform) WatchLinks(ctx context.Context) (<-chan LinkEvent, error) {
	return p.links, nil
}

func (p *fakePlatform) has(a string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addrs[a]
}

func parseConf(t *testing.T, text string) *keepalivedconf.Config {
	t.Helper()
	r := keepalivedconf.ParseBytes("/etc/keepalived/keepalived.conf", []byte(text), keepalivedconf.Options{ConfigID: "x"}, nil)
	// keepalived runs configurations with errors it works around (exit
	// 5 with -t: e.g. a long auth_pass, a fractional VRRPv2 advert_int).
	if code := r.ExitCode(); code != 0 && code != keepalivedconf.ExitConfigTest {
		t.Fatalf("config: %v", r.Diags)
	}
	return r.Config
}

func confText(prio int, extra string) string {
	return fmt.Sprintf(`global_defs {
    vrrp_garp_master_delay 0
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority %d
    version 3
    advert_int 0.1
%s
    virtual_ipaddress {
        192.168.50.100/24
    }
}
`, prio, extra)
}

type runningNode struct {
	node   *Node
	p      *fakePlatform
	cancel context.CancelFunc
	done   chan error
	notes  chan Notification
	logs   *observer.ObservedLogs
	once   sync.Once
	t      *testing.T
}

func startNode(t *testing.T, seg *segment, local string, cfg *keepalivedconf.Config) *runningNode {
	t.Helper()
	return startNodeDetail(t, seg, local, cfg, true)
}

func startNodeDetail(t *testing.T, seg *segment, local string, cfg *keepalivedconf.Config, detail bool) *runningNode {
	t.Helper()
	core, logs := observer.New(zap.InfoLevel)
	rn := &runningNode{t: t, p: newFakePlatform(seg, local), done: make(chan error, 1), notes: make(chan Notification, 100), logs: logs}
	n, err := NewNode(cfg, rn.p, NodeOptions{Logger: zap.New(core), LogDetail: detail, Notifier: NotifierFunc(func(x Notification) {
		select {
		case rn.notes <- x:
		default:
		}
	})})
	if err != nil {
		t.Fatal(err)
	}
	rn.node = n
	ctx, cancel := context.WithCancel(context.Background())
	rn.cancel = cancel
	go func() { rn.done <- n.Run(ctx) }()
	t.Cleanup(rn.stop)
	return rn
}

func (rn *runningNode) stop() {
	rn.once.Do(func() {
		rn.cancel()
		select {
		case err := <-rn.done:
			if err != nil {
				rn.t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			rn.t.Errorf("Run did not return 10s after its context ended")
		}
	})
}

func (rn *runningNode) state() string {
	s := rn.node.State()
	if len(s.Instances) == 0 {
		return ""
	}
	return s.Instances[0].State
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

const vip = "eth0 192.168.50.100/24"

func TestNodeElectionFailoverPreempt(t *testing.T) {
	seg := &segment{}
	a := startNode(t, seg, "10.0.0.1", parseConf(t, confText(150, "")))
	b := startNode(t, seg, "10.0.0.2", parseConf(t, confText(100, "")))
	c := startNode(t, seg, "10.0.0.3", parseConf(t, confText(50, "")))
	waitFor(t, "a MASTER, b and c BACKUP", func() bool {
		return a.state() == "MASTER" && b.state() == "BACKUP" && c.state() == "BACKUP" && a.p.has(vip)
	})
	// Stable: nobody else takes over for a while.
	time.Sleep(time.Second)
	if b.state() != "BACKUP" || c.state() != "BACKUP" || b.p.has(vip) || c.p.has(vip) {
		t.Fatalf("unstable election: b %s c %s", b.state(), c.state())
	}
	for len(b.notes) > 0 {
		<-b.notes
	}
	// Master stops: priority 0, b takes over.
	a.stop()
	if a.p.has(vip) {
		t.Errorf("a kept the VIP after stopping")
	}
	if a.state() != "STOP" {
		t.Errorf("a state %s", a.state())
	}
	waitFor(t, "b MASTER", func() bool { return b.state() == "MASTER" && b.p.has(vip) })
	if c.state() != "BACKUP" {
		t.Errorf("c %s", c.state())
	}
	if len(b.logs.FilterMessage("(VI_1) Backup received priority 0 advertisement").All()) == 0 {
		t.Errorf("b did not see the priority 0 advert")
	}
	// a comes back and preempts.
	a2 := startNode(t, seg, "10.0.0.1", parseConf(t, confText(150, "")))
	waitFor(t, "a MASTER again, b BACKUP", func() bool {
		return a2.state() == "MASTER" && b.state() == "BACKUP" && a2.p.has(vip) && !b.p.has(vip)
	})
	if len(b.logs.FilterMessage("(VI_1) Master received advert from 10.0.0.1 with higher priority 150, ours 100").All()) == 0 {
		t.Errorf("b logs: %v", b.logs.All())
	}
	// Notifications of b since the election: MASTER, BACKUP.
	var seq []string
	for len(b.notes) > 0 {
		x := <-b.notes
		seq = append(seq, x.Kind+" "+x.Name+" "+x.State)
	}
	wantSeq(t, "b notifications", seq, []string{"INSTANCE VI_1 MASTER", "INSTANCE VI_1 BACKUP"})
}

func TestNodeNoPreempt(t *testing.T) {
	seg := &segment{}
	b := startNode(t, seg, "10.0.0.2", parseConf(t, confText(100, "nopreempt")))
	waitFor(t, "b MASTER", func() bool { return b.state() == "MASTER" })
	a := startNode(t, seg, "10.0.0.1", parseConf(t, confText(150, "nopreempt")))
	waitFor(t, "a BACKUP", func() bool { return a.state() == "BACKUP" })
	time.Sleep(time.Second)
	if a.state() != "BACKUP" || b.state() != "MASTER" {
		t.Fatalf("nopreempt: a %s b %s", a.state(), b.state())
	}
}

func TestNodeInterfaceFault(t *testing.T) {
	seg := &segment{}
	a := startNode(t, seg, "10.0.0.1", parseConf(t, confText(150, "")))
	waitFor(t, "a MASTER", func() bool { return a.state() == "MASTER" })
	a.p.links <- LinkEvent{Interface: "eth0", Up: false}
	waitFor(t, "a FAULT", func() bool { return a.state() == "FAULT" && !a.p.has(vip) })
	if len(a.logs.FilterMessage("Netlink reports eth0 down").All()) != 1 || len(a.logs.FilterMessage("(VI_1) Entering FAULT STATE").All()) != 1 {
		t.Errorf("logs %v", a.logs.All())
	}
	a.p.links <- LinkEvent{Interface: "eth0", Up: true}
	waitFor(t, "a MASTER again", func() bool { return a.state() == "MASTER" && a.p.has(vip) })
}

func TestNodeReloadKeepsMaster(t *testing.T) {
	seg := &segment{}
	a := startNode(t, seg, "10.0.0.1", parseConf(t, confText(150, "")))
	waitFor(t, "a MASTER", func() bool { return a.state() == "MASTER" })
	for len(a.notes) > 0 {
		<-a.notes
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.node.Reload(ctx, parseConf(t, strings.Replace(confText(140, ""), "192.168.50.100/24", "192.168.50.100/24\n        192.168.50.101/24", 1))); err != nil {
		t.Fatal(err)
	}
	if a.state() != "MASTER" || !a.p.has(vip) || !a.p.has("eth0 192.168.50.101/24") {
		t.Fatalf("after reload: %s %v", a.state(), a.p.addrs)
	}
	if s := a.node.State().Instances[0]; s.Priority != 140 {
		t.Errorf("priority %d", s.Priority)
	}
	if len(a.notes) != 0 {
		t.Errorf("reload notified %v", <-a.notes)
	}
	// A bad configuration is refused and the node carries on.
	if err := a.node.Reload(ctx, parseConf(t, confText(150, "use_vmac"))); err == nil {
		t.Errorf("use_vmac accepted")
	}
	time.Sleep(300 * time.Millisecond)
	if a.state() != "MASTER" {
		t.Errorf("state %s", a.state())
	}
	// A reload whose sockets cannot be opened leaves the running
	// configuration alone.
	a.p.mu.Lock()
	a.p.failOpen = true
	last := a.p.conns[len(a.p.conns)-1]
	a.p.mu.Unlock()
	if err := a.node.Reload(ctx, parseConf(t, confText(120, ""))); err == nil || !strings.Contains(err.Error(), "cannot open the VRRP socket") {
		t.Errorf("reload: %v", err)
	}
	last.mu.Lock()
	before := last.sent
	last.mu.Unlock()
	time.Sleep(500 * time.Millisecond)
	last.mu.Lock()
	after, closed := last.sent, last.closed
	last.mu.Unlock()
	if a.state() != "MASTER" || after <= before || closed {
		t.Errorf("after failed reload: state %s, adverts %d -> %d, closed %v", a.state(), before, after, closed)
	}
}

func TestNodeScriptWeight(t *testing.T) {
	seg := &segment{}
	text := `vrrp_script chk {
    script "/bin/false"
    interval 1
    weight -60
}
` + confText(150, "track_script {\n chk\n}")
	a := startNode(t, seg, "10.0.0.1", parseConf(t, text))
	b := startNode(t, seg, "10.0.0.2", parseConf(t, confText(100, "")))
	waitFor(t, "b MASTER because a's script fails", func() bool {
		return b.state() == "MASTER" && a.state() == "BACKUP" && a.node.State().Instances[0].Priority == 90
	})
	if len(a.logs.FilterMessage("(VI_1) Changing effective priority from 150 to 90").All()) == 0 {
		t.Errorf("logs %v", a.logs.All())
	}
}

func TestNewNodeRefusesUnsupported(t *testing.T) {
	for _, kw := range []string{"use_ipvlan", "track_bfd {\n b\n}"} {
		cfg := parseConf(t, confText(100, kw))
		_, err := NewNode(cfg, newFakePlatform(&segment{}, "10.0.0.1"), NodeOptions{})
		word := strings.Fields(kw)[0]
		if err == nil || !strings.Contains(err.Error(), "keepalived.conf:") || !strings.Contains(err.Error(), word) {
			t.Errorf("%s: %v", word, err)
		}
	}
}

func TestSplitCommand(t *testing.T) {
	for in, want := range map[string][]string{
		`/bin/check -x 1`:          {"/bin/check", "-x", "1"},
		`"/bin/a b" 'c d' ""`:      {"/bin/a b", "c d", ""},
		`  /usr/bin/killall -0 x `: {"/usr/bin/killall", "-0", "x"},
	} {
		if got := splitCommand(in); !slices.Equal(got, want) {
			t.Errorf("%q: %q", in, got)
		}
	}
}

func groupConf(prio int) string {
	inst := func(name, ifname string, vrid int, vip string) string {
		return fmt.Sprintf(`vrrp_instance %s {
    interface %s
    virtual_router_id %d
    priority %d
    version 3
    advert_int 0.1
    virtual_ipaddress {
        %s
    }
}
`, name, ifname, vrid, prio, vip)
	}
	return `global_defs {
    vrrp_garp_master_delay 0
}
vrrp_sync_group G1 {
    group {
        VI_1
        VI_2
    }
}
` + inst("VI_1", "eth0", 51, "192.168.50.100/24") + inst("VI_2", "eth1", 52, "192.168.60.100/24")
}

func TestNodeSyncGroup(t *testing.T) {
	seg := &segment{}
	a := startNode(t, seg, "10.0.0.1", parseConf(t, groupConf(150)))
	b := startNode(t, seg, "10.0.0.2", parseConf(t, groupConf(100)))
	states := func(rn *runningNode) string {
		var out []string
		for _, s := range rn.node.State().Instances {
			out = append(out, s.State)
		}
		for _, g := range rn.node.State().Groups {
			out = append(out, g.Name+"="+g.State)
		}
		return strings.Join(out, " ")
	}
	waitFor(t, "a MASTER, b BACKUP", func() bool {
		return states(a) == "MASTER MASTER G1=MASTER" && states(b) == "BACKUP BACKUP G1=BACKUP"
	})
	// eth1 fails on a: the whole group goes FAULT there, b takes both.
	a.p.links <- LinkEvent{Interface: "eth1", Up: false}
	waitFor(t, "a FAULT, b MASTER", func() bool {
		return states(a) == "FAULT FAULT G1=FAULT" && states(b) == "MASTER MASTER G1=MASTER"
	})
	if a.p.has(vip) || !b.p.has(vip) || !b.p.has("eth1 192.168.60.100/24") {
		t.Errorf("addresses: a %v b %v", a.p.addrs, b.p.addrs)
	}
	if len(a.logs.FilterMessage("VRRP_Group(G1) Syncing instances to FAULT state").All()) != 1 {
		t.Errorf("a logs %v", a.logs.All())
	}
	var groupNotes []string
	for len(b.notes) > 0 {
		if x := <-b.notes; x.Kind == "GROUP" {
			groupNotes = append(groupNotes, x.Name+" "+x.State)
		}
	}
	// (At start both nodes may briefly race to MASTER: the skews differ by
	// only 20 ms here.)
	if len(groupNotes) < 2 || groupNotes[0] != "G1 BACKUP" || groupNotes[len(groupNotes)-1] != "G1 MASTER" {
		t.Errorf("b group notifications %q", groupNotes)
	}
	// eth1 back: a preempts both back.
	a.p.links <- LinkEvent{Interface: "eth1", Up: true}
	waitFor(t, "a MASTER again", func() bool {
		return states(a) == "MASTER MASTER G1=MASTER" && states(b) == "BACKUP BACKUP G1=BACKUP"
	})
}

func TestNodeStatics(t *testing.T) {
	seg := &segment{}
	text := "static_ipaddress {\n    10.9.9.9/32 dev lo\n}\n" + confText(150, "")
	a := startNode(t, seg, "10.0.0.1", parseConf(t, text))
	waitFor(t, "static address", func() bool { return a.p.has("lo 10.9.9.9/32") })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	text2 := "static_ipaddress {\n    10.9.9.8/32 dev lo\n}\n" + confText(150, "")
	if err := a.node.Reload(ctx, parseConf(t, text2)); err != nil {
		t.Fatal(err)
	}
	if a.p.has("lo 10.9.9.9/32") || !a.p.has("lo 10.9.9.8/32") {
		t.Errorf("after reload: %v", a.p.addrs)
	}
	a.stop()
	if a.p.has("lo 10.9.9.8/32") {
		t.Errorf("static address left after stop")
	}
}
