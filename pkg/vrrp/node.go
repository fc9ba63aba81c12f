package vrrp

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/gohaproxy/gohaproxy/pkg/keepalivedconf"
	"github.com/gohaproxy/gohaproxy/pkg/vrrp/codec"
)

// Clock is the Node's source of time.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Notification is a state change of an instance (Kind "INSTANCE") or a
// sync group (Kind "GROUP"), for notify scripts, the fifo and mail.
type Notification struct {
	Kind     string
	Name     string
	State    string // MASTER, BACKUP, FAULT or STOP
	Priority int
}

// Notifier receives notifications. Notify is called from the Node loop
// and must not block.
type Notifier interface {
	Notify(Notification)
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(Notification)

// Notify implements Notifier.
func (f NotifierFunc) Notify(n Notification) { f(n) }

// NodeOptions configures a Node.
type NodeOptions struct {
	// Logger receives keepalived's log lines (nil: none).
	Logger *zap.Logger
	// Notifier receives state changes (nil: none).
	Notifier Notifier
	// Clock (nil: real time).
	Clock Clock
	// LogDetail logs what keepalived logs only with -D.
	LogDetail bool
	// LogUnknownVRIDs is log_unknown_vrids.
	LogUnknownVRIDs bool
	// ProcDir is where track_process looks (default /proc).
	ProcDir string
}

// InstanceStatus is a snapshot of one instance.
type InstanceStatus struct {
	Name         string
	Interface    string
	VRID         int
	State        string
	Priority     int
	BasePriority int
	Version      int
	AdvertInt    time.Duration
	LastMaster   netip.Addr
	VIPsSet      bool
	Group        string
	// Stats are keepalived's per-instance packet counters.
	Stats InstanceStats
}

// InstanceStats are the packet counters keepalived keeps per instance
// (the stats dump and the JSON dump show them).
type InstanceStats struct {
	AdvertRcvd, AdvertSent                         uint64
	PacketLenErr, IPTTLErr, InvalidTypeRcvd        uint64
	AdvertIntervalErr, AddrListErr                 uint64
	InvalidAuthType, AuthTypeMismatch, AuthFailure uint64
	PriZeroRcvd, PriZeroSent                       uint64
}

// countReject adds a rejected advert to the counters keepalived
// increments for that check; some rejections come after keepalived has
// counted the advert as received.
func (st *InstanceStats) countReject(msg string) {
	has := func(sub string) bool { return strings.Contains(msg, sub) }
	switch {
	case has("invalid TTL/HL"):
		st.IPTTLErr++
	case has("Invalid auth type"):
		st.InvalidAuthType++
	case has(" auth, expecting "):
		st.AuthTypeMismatch++
	case has("invalid passwd"), has("IPSEC-AH :"):
		st.AuthFailure++
	case has("Invalid packet type"):
		st.InvalidTypeRcvd++
	case has("unexpected ip number count"), has("icast packet but received"):
		st.AddrListErr++
	case has("not present in MASTER advert"):
		st.AdvertRcvd++
		st.AddrListErr++
	case has("not a unicast peer"):
		st.AdvertRcvd++
	}
}

// GroupStatus is a snapshot of one sync group.
type GroupStatus struct {
	Name    string
	State   string
	Members []string
}

// Snapshot is the Node's state, for data/stats/json dumps.
type Snapshot struct {
	Instances []InstanceStatus
	Groups    []GroupStatus
}

// Node runs every VRRP instance of a configuration on a Platform.
type Node struct {
	p    Platform
	opts NodeOptions
	log  *zap.Logger

	cfg     *keepalivedconf.Config
	reloads chan reloadReq

	mu      sync.Mutex
	snap    Snapshot
	running bool

	// fw is the firewall state (Run's loop only); fwDrop holds the VIPs
	// of the MASTER no_accept instances by instance name.
	fw     FirewallState
	fwDrop map[string][]netip.Addr
}

type reloadReq struct {
	cfg   *keepalivedconf.Config
	reply chan error
}

// NewNode checks cfg for what the Node needs and refuses keywords it does
// not implement (the error names file:line and the keyword).
func NewNode(cfg *keepalivedconf.Config, p Platform, opts NodeOptions) (*Node, error) {
	if cfg == nil || p == nil {
		return nil, errors.New("vrrp: NewNode needs a configuration and a platform")
	}
	g, err := newGeneration(cfg, opts)
	if err != nil {
		return nil, err
	}
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.ProcDir == "" {
		opts.ProcDir = "/proc"
	}
	lg := opts.Logger
	if lg == nil {
		lg = zap.NewNop()
	}
	n := &Node{p: p, opts: opts, log: lg, cfg: cfg, reloads: make(chan reloadReq), fwDrop: map[string][]netip.Addr{}}
	n.updateSnapshot(g)
	return n, nil
}

// State returns a snapshot of the instances and groups.
func (n *Node) State() Snapshot {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := Snapshot{Instances: slices.Clone(n.snap.Instances), Groups: slices.Clone(n.snap.Groups)}
	return s
}

// Reload replaces the configuration of a running Node (SIGHUP): instances
// that are MASTER and still configured keep their addresses.
func (n *Node) Reload(ctx context.Context, cfg *keepalivedconf.Config) error {
	if _, err := newGeneration(cfg, n.opts); err != nil {
		return err
	}
	r := reloadReq{cfg: cfg, reply: make(chan error, 1)}
	select {
	case n.reloads <- r:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// generation is one configuration's runtime: instances, groups, sockets
// and tracker goroutines.
type generation struct {
	cfg     *keepalivedconf.Config
	insts   []*nodeInst
	byName  map[string]*nodeInst
	groups  []*Group
	conns   map[string]*nodeConn
	scripts []ScriptSpec
	files   []FileSpec
	procs   []ProcessSpec
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	// linkUp is the last known state of each tracked interface.
	linkUp map[string]bool
	// ctx is the generation's context (its goroutines end with it);
	// spaced holds the queues of the interfaces whose gratuitous ARPs or
	// NAs are spaced (garp_interval, gna_interval).
	ctx    context.Context
	spaced map[string]*spacer
}

// spacedAnnounce is one gratuitous ARP or NA waiting for its turn.
type spacedAnnounce struct {
	dev  string
	addr netip.Addr
	inst string
}

type nodeInst struct {
	spec *instanceSpec
	m    *Instance
	conn *nodeConn
	// ipID is the IP identification of the last AH advert sent, ahSeq
	// keepalived's AH sequence counter: counted up per advert sent and
	// raised to the sequence number of each accepted advert.
	ipID  uint16
	ahSeq uint32
	stats InstanceStats
}

type nodeConn struct {
	cc    ConnConfig
	conn  Conn
	insts []*nodeInst
}

type rxItem struct {
	nc *nodeConn
	r  Received
}

func newGeneration(cfg *keepalivedconf.Config, opts NodeOptions) (*generation, error) {
	specs, _, err := buildSpecs(cfg)
	if err != nil {
		return nil, err
	}
	g := &generation{cfg: cfg, byName: map[string]*nodeInst{}, conns: map[string]*nodeConn{}, linkUp: map[string]bool{}}
	for _, sp := range specs {
		if _, dup := g.byName[sp.cfg.Name]; dup {
			return nil, fmt.Errorf("%s: vrrp_instance %s is defined twice; rename one", sp.conf.Pos, sp.cfg.Name)
		}
		ni := &nodeInst{spec: sp, m: NewInstance(sp.cfg)}
		g.insts = append(g.insts, ni)
		g.byName[sp.cfg.Name] = ni
	}
	for _, sg := range cfg.SyncGroups {
		var members []*Instance
		for _, name := range sg.Group {
			ni, ok := g.byName[name]
			if !ok {
				continue // keepalived: "doesn't exist - ignoring"
			}
			members = append(members, ni.m)
		}
		if len(members) > 0 {
			g.groups = append(g.groups, NewGroup(sg.Name, members...))
		}
	}
	for _, sc := range cfg.Scripts {
		s, err := scriptSpec(sc)
		if err != nil {
			return nil, err
		}
		if s.User == "" && cfg.Global.ScriptUser != "" {
			f := strings.Fields(cfg.Global.ScriptUser)
			s.User = f[0]
			if len(f) > 1 {
				s.Group = f[1]
			}
		}
		g.scripts = append(g.scripts, s)
	}
	for _, s := range cfg.Settings {
		switch s.Keyword {
		case "vrrp_track_file", "track_file":
			g.files = append(g.files, FileSpec{Name: s.Arg(0), Path: s.Get("file").Arg(0)})
		case "vrrp_track_process":
			ps := ProcessSpec{Name: s.Arg(0), Quorum: 1}
			if v := s.Get("process"); v != nil && len(v.Args) > 0 {
				ps.Process, ps.Params = v.Args[0], v.Args[1:]
			}
			ps.ParamMatch = s.Get("param_match").Arg(0)
			ps.FullCommand = s.Get("full_command") != nil
			if v := s.Get("quorum"); v != nil {
				ps.Quorum, _ = strconv.Atoi(v.Arg(0))
			}
			if v := s.Get("quorum_max"); v != nil {
				ps.QuorumMax, _ = strconv.Atoi(v.Arg(0))
			}
			if v := s.Get("delay"); v != nil {
				if ps.Delay, err = parseSeconds(v.Arg(0)); err != nil {
					return nil, fmt.Errorf("%s: delay: %v", v.Pos, err)
				}
			}
			for _, k := range []string{"terminate_delay", "fork_delay"} {
				if v := s.Get(k); v != nil {
					return nil, unsupportedError(v, k+" is not implemented, use delay")
				}
			}
			g.procs = append(g.procs, ps)
		}
	}
	return g, nil
}

func scriptSpec(sc *keepalivedconf.Script) (ScriptSpec, error) {
	s := ScriptSpec{Name: sc.Name, Args: splitCommand(sc.Script), Rise: sc.Rise, Fall: sc.Fall}
	var err error
	if s.Interval, err = parseSeconds(sc.Interval); err != nil {
		return s, fmt.Errorf("%s: vrrp_script %s: %v", sc.Pos, sc.Name, err)
	}
	for _, v := range sc.Settings {
		switch v.Keyword {
		case "timeout":
			if s.Timeout, err = parseSeconds(v.Arg(0)); err != nil {
				return s, fmt.Errorf("%s: timeout: %v", v.Pos, err)
			}
		case "user":
			s.User, s.Group = v.Arg(0), v.Arg(1)
		case "init_fail":
			s.InitFail = true
		}
	}
	return s, nil
}

// splitCommand splits a script line into words, honouring quotes.
func splitCommand(s string) []string {
	var out []string
	var cur strings.Builder
	in, quote, any := false, byte(0), false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '"' || c == '\'':
			quote, any = c, true
		case c == ' ' || c == '\t':
			if in || any {
				out = append(out, cur.String())
				cur.Reset()
			}
			in, any = false, false
			continue
		default:
			cur.WriteByte(c)
		}
		in = true
	}
	if in || any {
		out = append(out, cur.String())
	}
	return out
}

// Run runs the instances until ctx ends, then stops them as keepalived
// does on SIGTERM (masters send priority 0 and release their addresses)
// and returns.
func (n *Node) Run(ctx context.Context) error {
	n.mu.Lock()
	if n.running {
		n.mu.Unlock()
		return errors.New("vrrp: Node is already running")
	}
	n.running = true
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		n.running = false
		n.mu.Unlock()
	}()

	g, err := newGeneration(n.cfg, n.opts)
	if err != nil {
		return err
	}
	rx := make(chan rxItem)
	tracks := make(chan TrackEvent)
	links := make(chan LinkEvent)
	for _, ni := range g.insts {
		for _, w := range ni.spec.warnings {
			n.logf(false, "%s", w)
		}
	}
	n.statics(nil, g.cfg)
	if err := n.startGeneration(ctx, g, nil, rx, tracks, links); err != nil {
		n.statics(g.cfg, nil)
		return err
	}
	defer func() {
		g.cancel()
		g.wg.Wait()
		for _, c := range g.conns {
			c.conn.Close()
		}
	}()
	for {
		n.updateSnapshot(g)
		var timer <-chan time.Time
		if next := g.next(); !next.IsZero() {
			d := next.Sub(n.opts.Clock.Now())
			if d < 0 {
				d = 0
			}
			timer = n.opts.Clock.After(d)
		}
		select {
		case <-ctx.Done():
			n.shutdown(g)
			n.statics(g.cfg, nil)
			g.cancel()
			g.wg.Wait()
			for _, c := range g.conns {
				c.conn.Close()
			}
			g.conns = nil
			n.clearFirewall()
			n.delVMACs(g, nil)
			n.updateSnapshot(g)
			return nil
		case it := <-rx:
			n.receive(g, it)
		case ev := <-tracks:
			n.track(g, ev)
		case ev := <-links:
			n.link(g, ev)
		case r := <-n.reloads:
			ng, err := newGeneration(r.cfg, n.opts)
			if err == nil {
				err = n.startGeneration(ctx, ng, g, rx, tracks, links)
			}
			if err == nil {
				n.statics(g.cfg, ng.cfg)
				g = ng
				n.cfg = r.cfg
				n.updateSnapshot(g)
			}
			r.reply <- err
		case <-timer:
			now := n.opts.Clock.Now()
			for _, ni := range g.insts {
				if t := ni.m.Next(); !t.IsZero() && !now.Before(t) {
					n.exec(g, ni.m.Timer(now))
				}
			}
		}
	}
}

func (g *generation) next() time.Time {
	var t time.Time
	for _, ni := range g.insts {
		if x := ni.m.Next(); !x.IsZero() && (t.IsZero() || x.Before(t)) {
			t = x
		}
	}
	return t
}

// startGeneration opens sockets, starts trackers and readers, and starts
// the instances (taking over the masters of old, which it stops).
func (n *Node) startGeneration(ctx context.Context, g, old *generation, rx chan rxItem, tracks chan TrackEvent, links chan LinkEvent) error {
	now := n.opts.Clock.Now()
	// Which old masters stay masters.
	kept := map[string]*nodeInst{}
	if old != nil {
		for _, oi := range old.insts {
			ni, ok := g.byName[oi.spec.cfg.Name]
			if ok {
				ni.stats = oi.stats
			}
			if ok && oi.m.State() == StateMaster && ni.spec.conf.Interface == oi.spec.conf.Interface && ni.spec.cfg.VRID == oi.spec.cfg.VRID {
				kept[oi.spec.cfg.Name] = oi
			}
		}
	}
	gctx, cancel := context.WithCancel(ctx)
	g.cancel, g.ctx = cancel, gctx
	fail := func(err error) error {
		cancel()
		g.wg.Wait()
		for _, c := range g.conns {
			c.conn.Close()
		}
		// VMACs this generation created and the previous one does not
		// use go too.
		n.delVMACs(g, old)
		return err
	}
	if err := n.addVMACs(g); err != nil {
		return fail(err)
	}
	for _, ni := range g.insts {
		sp := ni.spec
		key := sp.connKey()
		nc, ok := g.conns[key]
		if !ok {
			cc := ConnConfig{Interface: sp.sockIf(), IPv6: sp.ipv6, Src: sp.src, Peers: sp.peers, AH: sp.auth == codec.AuthAH}
			if !cc.Src.IsValid() && sp.sockIf() != sp.conf.Interface {
				// A VMAC has no address of its own: adverts carry the
				// base interface's.
				src, err := n.p.PrimaryAddr(sp.conf.Interface, sp.ipv6)
				if err != nil {
					return fail(fmt.Errorf("%s: vrrp_instance %s: %w", sp.conf.Pos, sp.cfg.Name, err))
				}
				cc.Src = src
			}
			c, err := n.p.Open(cc)
			if err != nil {
				return fail(fmt.Errorf("%s: vrrp_instance %s: cannot open the VRRP socket on %s: %w", sp.conf.Pos, sp.cfg.Name, sp.sockIf(), err))
			}
			nc = &nodeConn{cc: cc, conn: c}
			g.conns[key] = nc
		}
		for _, o := range nc.insts {
			if o.spec.cfg.VRID == sp.cfg.VRID {
				return fail(fmt.Errorf("%s: vrrp_instance %s uses virtual_router_id %d on %s like %s; give each a different one", sp.conf.Pos, sp.cfg.Name, sp.cfg.VRID, sp.conf.Interface, o.spec.cfg.Name))
			}
		}
		nc.insts = append(nc.insts, ni)
		ni.conn = nc
		ni.m.SetLocalAddr(nc.conn.LocalAddr())
	}
	// The new sockets are open: the old generation can go (its masters
	// that do not stay masters resign).
	if old != nil {
		old.cancel()
		old.wg.Wait()
		for _, oi := range old.insts {
			if _, ok := kept[oi.spec.cfg.Name]; !ok && oi.m.State() == StateMaster {
				n.exec(old, oi.m.Stop(now))
			}
		}
		for _, c := range old.conns {
			c.conn.Close()
		}
		n.delVMACs(old, g)
	}
	for _, nc := range g.conns {
		g.wg.Add(1)
		go func(nc *nodeConn) {
			defer g.wg.Done()
			for {
				r, err := nc.conn.Recv(gctx)
				if err != nil {
					if gctx.Err() != nil {
						return
					}
					n.log.Warn(fmt.Sprintf("VRRP receive error on %s: %v", nc.cc.Interface, err))
					select {
					case <-gctx.Done():
						return
					case <-time.After(100 * time.Millisecond):
					}
					continue
				}
				select {
				case rx <- rxItem{nc: nc, r: r}:
				case <-gctx.Done():
					return
				}
			}
		}(nc)
	}
	for _, s := range g.scripts {
		g.wg.Add(1)
		go func(s ScriptSpec) { defer g.wg.Done(); RunScript(gctx, s, tracks) }(s)
	}
	for _, f := range g.files {
		g.wg.Add(1)
		go func(f FileSpec) { defer g.wg.Done(); RunTrackFile(gctx, f, tracks) }(f)
	}
	for _, p := range g.procs {
		g.wg.Add(1)
		go func(p ProcessSpec) { defer g.wg.Done(); RunTrackProcess(gctx, n.opts.ProcDir, p, tracks) }(p)
	}
	if lc, err := n.p.WatchLinks(gctx); err == nil && lc != nil {
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			for {
				select {
				case ev, ok := <-lc:
					if !ok {
						return
					}
					select {
					case links <- ev:
					case <-gctx.Done():
						return
					}
				case <-gctx.Done():
					return
				}
			}
		}()
	} else if err != nil {
		n.log.Warn(fmt.Sprintf("cannot watch interface states: %v", err))
	}
	// Initial tracker states: interfaces now, init_fail scripts.
	initFail := map[string]bool{}
	for _, s := range g.scripts {
		if s.InitFail {
			initFail[s.Name] = true
		}
	}
	for _, ni := range g.insts {
		var acts []Action
		if old, ok := kept[ni.spec.cfg.Name]; ok {
			n.carryAddresses(old, ni)
			acts = append(acts, ni.m.AdoptMaster(now)...)
			if gr := ni.m.Group(); gr != nil {
				gr.state = StateMaster
			}
		}
		for _, r := range n.interfaceRefs(ni) {
			up, err := n.p.LinkUp(r.name)
			if err != nil {
				up = false
			}
			g.linkUp[r.name] = up
			f, d := StatusEffect(up, r.weight, r.reverse)
			acts = append(acts, ni.m.Track(now, r.key(), f, d)...)
		}
		for _, r := range ni.spec.tracks {
			if r.kind == TrackFile {
				// keepalived reads the files with the configuration.
				for _, f := range g.files {
					if f.Name == r.name {
						v, _ := ReadTrackFile(f.Path)
						fault, d := FileEffect(v, r.weight, r.reverse)
						acts = append(acts, ni.m.Track(now, r.key(), fault, d)...)
					}
				}
			}
			if r.kind != TrackScript {
				continue
			}
			if initFail[r.name] {
				f, d := StatusEffect(false, r.weight, r.reverse)
				acts = append(acts, ni.m.Track(now, r.key(), f, d)...)
			} else if r.weight == 0 && kept[ni.spec.cfg.Name] == nil {
				// No result yet: keepalived holds the instance in FAULT.
				ni.m.TrackPending(r.key())
			}
		}
		n.exec(g, acts)
	}
	for _, ni := range g.insts {
		n.exec(g, ni.m.Start(now))
	}
	return nil
}

// applyFirewall installs the firewall state: the drop sets of the
// no_accept masters (a family's tables appear with its first such master
// and stay until exit) and the VMAC map.
func (n *Node) applyFirewall() {
	fw, ok := n.p.(Firewall)
	if !ok {
		return
	}
	st := FirewallState{V4: n.fw.V4, V6: n.fw.V6, VMACs: n.fw.VMACs}
	for _, vips := range n.fwDrop {
		for _, a := range vips {
			if a.Is4() || a.Is4In6() {
				st.Drop4 = append(st.Drop4, a.Unmap())
				st.V4 = true
			} else {
				st.Drop6 = append(st.Drop6, a)
				st.V6 = true
			}
		}
	}
	for _, l := range []*[]netip.Addr{&st.Drop4, &st.Drop6} {
		slices.SortFunc(*l, func(a, b netip.Addr) int { return a.Compare(b) })
		*l = slices.Compact(*l)
	}
	n.fw = st
	if err := fw.SetFirewall(st); err != nil {
		n.log.Error(fmt.Sprintf("cannot set the firewall rules: %v", err))
	}
}

// clearFirewall removes the tables at exit.
func (n *Node) clearFirewall() {
	fw, ok := n.p.(Firewall)
	if !ok || (!n.fw.V4 && !n.fw.V6 && len(n.fw.VMACs) == 0) {
		return
	}
	n.fw, n.fwDrop = FirewallState{}, map[string][]netip.Addr{}
	if err := fw.SetFirewall(FirewallState{}); err != nil {
		n.log.Error(fmt.Sprintf("cannot remove the firewall rules: %v", err))
	}
}

// addVMACs creates the VMAC interfaces of g's instances.
func (n *Node) addVMACs(g *generation) error {
	changed := false
	for _, ni := range g.insts {
		sp := ni.spec
		if sp.vmac == "" {
			continue
		}
		vm, ok := n.p.(VMACs)
		if !ok {
			return fmt.Errorf("%s: vrrp_instance %s: use_vmac needs a platform with VMAC support", sp.conf.Pos, sp.cfg.Name)
		}
		if err := vm.AddVMAC(sp.vmac, sp.conf.Interface, sp.vmacAddr(), sp.ipv6); err != nil {
			return fmt.Errorf("%s: vrrp_instance %s: use_vmac: %w", sp.conf.Pos, sp.cfg.Name, err)
		}
		n.logf(false, "(%s): Success creating VMAC interface %s", sp.cfg.Name, sp.vmac)
		if !sp.ipv6 {
			if n.fw.VMACs == nil {
				n.fw.VMACs = map[string]string{}
			}
			if n.fw.VMACs[sp.vmac] != sp.conf.Interface {
				n.fw.VMACs[sp.vmac] = sp.conf.Interface
				changed = true
			}
		}
	}
	if changed {
		n.applyFirewall()
	}
	return nil
}

// delVMACs removes the VMAC interfaces of old that next (nil: none) does
// not use.
func (n *Node) delVMACs(old, next *generation) {
	vm, ok := n.p.(VMACs)
	if !ok {
		return
	}
	for _, oi := range old.insts {
		name := oi.spec.vmac
		if name == "" {
			continue
		}
		if next != nil && slices.ContainsFunc(next.insts, func(ni *nodeInst) bool { return ni.spec.vmac == name }) {
			continue
		}
		if _, ok := n.fw.VMACs[name]; ok {
			delete(n.fw.VMACs, name)
			n.applyFirewall()
		}
		if err := vm.DelVMAC(name); err != nil {
			n.log.Error(fmt.Sprintf("(%s) cannot remove VMAC interface %s: %v", oi.spec.cfg.Name, name, err))
			continue
		}
		n.logf(false, "(%s) Success removing VMAC interface %s", oi.spec.cfg.Name, name)
	}
}

// interfaceRefs are the interfaces an instance tracks: its own (FAULT when
// down, unless dont_track_primary) and track_interface.
func (n *Node) interfaceRefs(ni *nodeInst) []trackRef {
	var out []trackRef
	own := true
	for _, s := range ni.spec.conf.Settings {
		if s.Keyword == "dont_track_primary" {
			own = false
		}
	}
	if own {
		out = append(out, trackRef{kind: TrackInterface, name: ni.spec.conf.Interface})
	}
	for _, r := range ni.spec.tracks {
		if r.kind == TrackInterface {
			out = append(out, r)
		}
	}
	return out
}

func vipKey(v keepalivedconf.VIP) string {
	return strings.Join([]string{v.Prefix.String(), v.Dev, v.Label, v.Scope, v.Brd, v.Peer}, "|")
}

// carryAddresses adjusts the addresses of an instance that stays MASTER
// across a reload: removes what the new configuration dropped, adds what
// it added.
func (n *Node) carryAddresses(old, ni *nodeInst) {
	oc, nc := old.spec.conf, ni.spec.conf
	oldV, newV := map[string]keepalivedconf.VIP{}, map[string]keepalivedconf.VIP{}
	for _, v := range append(slices.Clone(oc.VIPs), oc.ExcludedVIPs...) {
		oldV[vipKey(v)] = v
	}
	for _, v := range append(slices.Clone(nc.VIPs), nc.ExcludedVIPs...) {
		newV[vipKey(v)] = v
	}
	for k, v := range oldV {
		if _, ok := newV[k]; !ok {
			n.logErr(n.p.DelAddress(devOf(v, old.spec.ifname()), v), nc.Name, "remove", v.Prefix.String())
		}
	}
	for k, v := range newV {
		if _, ok := oldV[k]; !ok {
			n.logErr(n.p.AddAddress(devOf(v, ni.spec.ifname()), v), nc.Name, "add", v.Prefix.String())
		}
	}
	rk := func(r keepalivedconf.Route) string { return strings.Join(r.Words, " ") }
	for _, r := range oc.Routes {
		if !slices.ContainsFunc(nc.Routes, func(x keepalivedconf.Route) bool { return rk(x) == rk(r) }) {
			n.logErr(n.p.DelRoute(r), nc.Name, "remove route", rk(r))
		}
	}
	for _, r := range nc.Routes {
		if !slices.ContainsFunc(oc.Routes, func(x keepalivedconf.Route) bool { return rk(x) == rk(r) }) {
			n.logErr(n.p.AddRoute(r), nc.Name, "add route", rk(r))
		}
	}
	uk := func(r keepalivedconf.Rule) string { return strings.Join(r.Words, " ") }
	for _, r := range oc.Rules {
		if !slices.ContainsFunc(nc.Rules, func(x keepalivedconf.Rule) bool { return uk(x) == uk(r) }) {
			n.logErr(n.p.DelRule(r), nc.Name, "remove rule", uk(r))
		}
	}
	for _, r := range nc.Rules {
		if !slices.ContainsFunc(oc.Rules, func(x keepalivedconf.Rule) bool { return uk(x) == uk(r) }) {
			n.logErr(n.p.AddRule(r), nc.Name, "add rule", uk(r))
		}
	}
}

// statics moves the static_ipaddress, static_routes and static_rules of
// configuration from (nil: none) to those of to (nil: none), as keepalived
// sets them at start, adjusts them on reload and clears them on exit
// (rules, then routes, then addresses).
func (n *Node) statics(from, to *keepalivedconf.Config) {
	var fa, ta []keepalivedconf.VIP
	var fr, tr []keepalivedconf.Route
	var fu, tu []keepalivedconf.Rule
	if from != nil {
		fa, fr, fu = from.StaticAddrs, from.StaticRoutes, from.StaticRules
	}
	if to != nil {
		ta, tr, tu = to.StaticAddrs, to.StaticRoutes, to.StaticRules
	}
	rk := func(r keepalivedconf.Route) string { return strings.Join(r.Words, " ") }
	uk := func(r keepalivedconf.Rule) string { return strings.Join(r.Words, " ") }
	for _, r := range fu {
		if !slices.ContainsFunc(tu, func(x keepalivedconf.Rule) bool { return uk(x) == uk(r) }) {
			n.logErr(n.p.DelRule(r), "static_rules", "remove rule", uk(r))
		}
	}
	for _, r := range fr {
		if !slices.ContainsFunc(tr, func(x keepalivedconf.Route) bool { return rk(x) == rk(r) }) {
			n.logErr(n.p.DelRoute(r), "static_routes", "remove route", rk(r))
		}
	}
	for _, v := range fa {
		if !slices.ContainsFunc(ta, func(x keepalivedconf.VIP) bool { return vipKey(x) == vipKey(v) }) {
			n.logErr(n.p.DelAddress(v.Dev, v), "static_ipaddress", "remove", v.Prefix.String())
		}
	}
	for _, v := range ta {
		if !slices.ContainsFunc(fa, func(x keepalivedconf.VIP) bool { return vipKey(x) == vipKey(v) }) {
			n.logErr(n.p.AddAddress(v.Dev, v), "static_ipaddress", "add", v.Prefix.String())
		}
	}
	for _, r := range tr {
		if !slices.ContainsFunc(fr, func(x keepalivedconf.Route) bool { return rk(x) == rk(r) }) {
			n.logErr(n.p.AddRoute(r), "static_routes", "add route", rk(r))
		}
	}
	for _, r := range tu {
		if !slices.ContainsFunc(fu, func(x keepalivedconf.Rule) bool { return uk(x) == uk(r) }) {
			n.logErr(n.p.AddRule(r), "static_rules", "add rule", uk(r))
		}
	}
}

func devOf(v keepalivedconf.VIP, ifname string) string {
	if v.Dev != "" {
		return v.Dev
	}
	return ifname
}

func (n *Node) logErr(err error, inst, what, obj string) {
	if err != nil {
		n.log.Error(fmt.Sprintf("(%s) cannot %s %s: %v", inst, what, obj, err))
	}
}

func (n *Node) shutdown(g *generation) {
	now := n.opts.Clock.Now()
	for _, ni := range g.insts {
		n.exec(g, ni.m.Stop(now))
	}
	for _, gr := range g.groups {
		n.exec(g, gr.Stop())
	}
}

func (n *Node) receive(g *generation, it rxItem) {
	if !slices.ContainsFunc(g.insts, func(ni *nodeInst) bool { return ni.conn == it.nc }) {
		return // a socket of a previous generation
	}
	r := it.r
	ttl := r.TTL
	var p codec.Packet
	var err error
	if it.nc.cc.AH {
		p, err = codec.DecodeIPv4(r.Packet)
	} else {
		p, err = codec.Decode(r.Msg, r.Src, r.Dst, ttl)
	}
	if err != nil {
		n.logf(true, "VRRP packet from %s on %s dropped: %v", r.Src, it.nc.cc.Interface, err)
		if errors.Is(err, codec.ErrTooShort) || errors.Is(err, codec.ErrLength) || errors.Is(err, codec.ErrIPv4) {
			msg := r.Msg
			if it.nc.cc.AH && len(msg) >= codec.AHLen {
				msg = msg[codec.AHLen:]
			}
			if len(msg) >= 2 {
				for _, x := range it.nc.insts {
					if x.spec.cfg.VRID == msg[1] {
						x.stats.PacketLenErr++
					}
				}
			}
		}
		return
	}
	ifname := r.Interface
	if ifname == "" {
		ifname = it.nc.cc.Interface
	}
	var ni *nodeInst
	for _, x := range it.nc.insts {
		if x.spec.cfg.VRID == p.VRID {
			ni = x
		}
	}
	if ni == nil {
		if n.opts.LogUnknownVRIDs {
			n.logf(false, "Unknown VRID(%d) received on interface(%s). ignoring...", p.VRID, ifname)
		}
		return
	}
	params := ni.spec.params(ni.m, ifname)
	params.Multicast = r.Dst.IsMulticast()
	if p.AH != nil {
		codec.CheckAH(&p, r.Packet, ni.spec.pass, len(ni.spec.peers) > 0)
		params.AHSeq = ni.ahSeq
	}
	if err := codec.Validate(p, params); err != nil {
		var re *codec.RejectError
		if errors.As(err, &re) && re.Msg != "" {
			n.logf(false, "%s", re.Msg)
			ni.stats.countReject(re.Msg)
		}
		return
	}
	ni.stats.AdvertRcvd++
	if p.Priority == 0 {
		ni.stats.PriZeroRcvd++
	}
	if p.AH != nil && p.AH.Seq > ni.ahSeq {
		ni.ahSeq = p.AH.Seq
	}
	// A master hearing a lower priority AH advert takes the sequence
	// number over ("Syncing seq_num"), before its answer goes out.
	syncSeq := p.AH != nil && ni.m.State() == StateMaster && p.Priority != 0 &&
		(int(p.Priority) < ni.m.Priority() || (int(p.Priority) == ni.m.Priority() && p.Src.Compare(it.nc.conn.LocalAddr()) < 0))
	if syncSeq {
		ni.ahSeq = p.AH.Seq + 1
	}
	acts := ni.m.Receive(n.opts.Clock.Now(), p)
	if syncSeq {
		msg := Action{Kind: ActionLog, Msg: fmt.Sprintf("(%s) IPSEC-AH : Syncing seq_num - Increment seq", ni.spec.cfg.Name)}
		i := slices.IndexFunc(acts, func(a Action) bool { return a.Kind == ActionLog && strings.Contains(a.Msg, "with lower priority") })
		acts = slices.Insert(acts, i+1, msg)
	}
	n.exec(g, acts)
}

func (n *Node) track(g *generation, ev TrackEvent) {
	for _, l := range ev.Logs {
		n.logf(false, "%s", l)
	}
	now := n.opts.Clock.Now()
	for _, ni := range g.insts {
		for _, r := range ni.spec.tracks {
			if r.kind != ev.Kind || r.name != ev.Name {
				continue
			}
			var f bool
			var d int
			if ev.Kind == TrackFile {
				f, d = FileEffect(ev.Value, r.weight, r.reverse)
			} else {
				f, d = StatusEffect(ev.Up, r.weight, r.reverse)
			}
			n.exec(g, ni.m.Track(now, r.key(), f, d))
		}
	}
}

func (n *Node) link(g *generation, ev LinkEvent) {
	was, tracked := g.linkUp[ev.Interface]
	if !tracked || was == ev.Up {
		return
	}
	g.linkUp[ev.Interface] = ev.Up
	n.logf(false, "Netlink reports %s %s", ev.Interface, map[bool]string{true: "up", false: "down"}[ev.Up])
	now := n.opts.Clock.Now()
	for _, ni := range g.insts {
		for _, r := range n.interfaceRefs(ni) {
			if r.name != ev.Interface {
				continue
			}
			f, d := StatusEffect(ev.Up, r.weight, r.reverse)
			n.exec(g, ni.m.Track(now, r.key(), f, d))
		}
	}
}

func (n *Node) logf(detail bool, format string, args ...any) {
	if detail && !n.opts.LogDetail {
		return
	}
	n.log.Info(fmt.Sprintf(format, args...))
}

// exec carries out actions on the platform.
func (n *Node) exec(g *generation, acts []Action) {
	for _, a := range acts {
		if a.Kind == ActionLog {
			n.logf(a.Detail, "%s", a.Msg)
			continue
		}
		if a.Kind == ActionNotify && a.Group != "" {
			n.notify(Notification{Kind: "GROUP", Name: a.Group, State: a.State.String()})
			continue
		}
		ni := g.byName[a.Instance]
		if ni == nil {
			continue
		}
		conf := ni.spec.conf
		switch a.Kind {
		case ActionSend:
			n.send(ni, a.Priority)
		case ActionAddVIPs:
			if ni.spec.noAccept {
				n.logf(true, "(%s) setting firewall drop rule", conf.Name)
				var vips []netip.Addr
				for _, v := range conf.VIPs {
					vips = append(vips, v.Prefix.Addr())
				}
				n.fwDrop[conf.Name] = vips
				n.applyFirewall()
			}
			for _, v := range append(slices.Clone(conf.VIPs), conf.ExcludedVIPs...) {
				n.logErr(n.p.AddAddress(devOf(v, ni.spec.ifname()), v), conf.Name, "add", v.Prefix.String())
			}
			for _, r := range conf.Routes {
				n.logErr(n.p.AddRoute(r), conf.Name, "add route", strings.Join(r.Words, " "))
			}
			for _, r := range conf.Rules {
				n.logErr(n.p.AddRule(r), conf.Name, "add rule", strings.Join(r.Words, " "))
			}
		case ActionDelVIPs:
			for _, r := range conf.Rules {
				n.logErr(n.p.DelRule(r), conf.Name, "remove rule", strings.Join(r.Words, " "))
			}
			for _, r := range conf.Routes {
				n.logErr(n.p.DelRoute(r), conf.Name, "remove route", strings.Join(r.Words, " "))
			}
			for _, v := range append(slices.Clone(conf.VIPs), conf.ExcludedVIPs...) {
				n.logErr(n.p.DelAddress(devOf(v, ni.spec.ifname()), v), conf.Name, "remove", v.Prefix.String())
			}
			if ni.spec.noAccept {
				n.logf(true, "(%s) removing firewall drop rule", conf.Name)
				if _, ok := n.fwDrop[conf.Name]; ok {
					delete(n.fwDrop, conf.Name)
					n.applyFirewall()
				}
			}
		case ActionAnnounce:
			for _, v := range append(slices.Clone(conf.VIPs), conf.ExcludedVIPs...) {
				addr, dev := v.Prefix.Addr(), devOf(v, ni.spec.ifname())
				interval := ni.spec.garpInterval
				if !addr.Is4() {
					interval = ni.spec.gnaInterval
				}
				for i := 0; i < a.Count; i++ {
					if interval > 0 && g.ctx != nil {
						n.announceSpaced(g, spacedAnnounce{dev: dev, addr: addr, inst: conf.Name}, interval)
						continue
					}
					if addr.Is4() {
						n.logf(true, "Sending gratuitous ARP on %s for %s", dev, addr)
					} else {
						n.logf(true, "Sending unsolicited Neighbour Advert on %s for %s", dev, addr)
					}
					n.logErr(n.p.Announce(dev, addr), conf.Name, "announce", addr.String())
				}
			}
		case ActionNotify:
			n.notify(Notification{Kind: "INSTANCE", Name: a.Instance, State: a.State.String(), Priority: a.Priority})
		}
	}
}

// spacer sends the gratuitous ARPs (or NAs) of one interface at least
// interval apart, as keepalived's garp_interval/gna_interval do: a message
// goes out at once when the interface has been quiet long enough, else it
// waits in a queue that holds an address at most once (keepalived does
// not queue a second message for an address already waiting, so a burst
// of garp_master_repeat messages yields two: one at once, one an interval
// later).
type spacer struct {
	mu       sync.Mutex
	last     time.Time
	interval time.Duration
	pending  map[netip.Addr]bool
	queue    chan spacedAnnounce
}

func (n *Node) announceSpaced(g *generation, it spacedAnnounce, interval time.Duration) {
	key := fmt.Sprintf("%s|%v", it.dev, it.addr.Is4())
	if g.spaced == nil {
		g.spaced = map[string]*spacer{}
	}
	sp, ok := g.spaced[key]
	if !ok {
		sp = &spacer{interval: interval, pending: map[netip.Addr]bool{}, queue: make(chan spacedAnnounce, 1024)}
		g.spaced[key] = sp
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			for {
				var x spacedAnnounce
				select {
				case <-g.ctx.Done():
					return
				case x = <-sp.queue:
				}
				sp.mu.Lock()
				wait := time.Until(sp.last.Add(sp.interval))
				sp.mu.Unlock()
				if wait > 0 {
					select {
					case <-g.ctx.Done():
						return
					case <-time.After(wait):
					}
				}
				sp.mu.Lock()
				delete(sp.pending, x.addr)
				sp.last = time.Now()
				sp.mu.Unlock()
				n.sendAnnounce(x)
			}
		}()
	}
	sp.mu.Lock()
	now := time.Now()
	if len(sp.pending) == 0 && !now.Before(sp.last.Add(sp.interval)) {
		sp.last = now
		sp.mu.Unlock()
		n.sendAnnounce(it)
		return
	}
	if sp.pending[it.addr] {
		sp.mu.Unlock()
		return
	}
	sp.pending[it.addr] = true
	sp.mu.Unlock()
	select {
	case sp.queue <- it:
	default:
		n.log.Warn(fmt.Sprintf("(%s) gratuitous ARP/NA queue of %s is full: %s not announced", it.inst, it.dev, it.addr))
	}
}

func (n *Node) sendAnnounce(x spacedAnnounce) {
	if x.addr.Is4() {
		n.logf(true, "Sending gratuitous ARP on %s for %s", x.dev, x.addr)
	} else {
		n.logf(true, "Sending unsolicited Neighbour Advert on %s for %s", x.dev, x.addr)
	}
	n.logErr(n.p.Announce(x.dev, x.addr), x.inst, "announce", x.addr.String())
}

func (n *Node) notify(x Notification) {
	if n.opts.Notifier != nil {
		n.opts.Notifier.Notify(x)
	}
}

func (n *Node) send(ni *nodeInst, prio int) {
	if ni.conn == nil {
		return
	}
	ni.stats.AdvertSent++
	if prio == 0 {
		ni.stats.PriZeroSent++
	}
	src := ni.conn.conn.LocalAddr()
	dsts := ni.spec.peers
	if len(dsts) == 0 {
		if ni.spec.ipv6 {
			dsts = []netip.Addr{codec.MulticastIPv6}
		} else {
			dsts = []netip.Addr{codec.MulticastIPv4}
		}
	}
	for _, dst := range dsts {
		var msg []byte
		var err error
		if ni.spec.auth == codec.AuthAH {
			ni.ipID++
			if ni.ipID == 0 {
				ni.ipID = 1
			}
			ni.ahSeq++
			msg, err = codec.EncodeIPv4(ni.spec.packet(prio), src, dst, codec.IPv4Options{
				TTL: codec.TTL, ID: ni.ipID, Key: ni.spec.pass, Seq: ni.ahSeq, Unicast: len(ni.spec.peers) > 0})
		} else {
			msg, err = codec.Encode(ni.spec.packet(prio), src, dst)
		}
		if err != nil {
			n.log.Error(fmt.Sprintf("(%s) cannot build advert: %v", ni.spec.cfg.Name, err))
			return
		}
		if err := ni.conn.conn.Send(msg, dst); err != nil {
			n.log.Warn(fmt.Sprintf("(%s) cannot send advert to %s: %v", ni.spec.cfg.Name, dst, err))
		}
	}
}

func (n *Node) updateSnapshot(g *generation) {
	var s Snapshot
	for _, ni := range g.insts {
		m := ni.m
		st := InstanceStatus{
			Name: ni.spec.cfg.Name, Interface: ni.spec.conf.Interface, VRID: int(ni.spec.cfg.VRID),
			State: m.State().String(), Priority: m.Priority(), BasePriority: m.BasePriority(),
			Version: int(ni.spec.cfg.Version), AdvertInt: ni.spec.cfg.AdvertInt,
			LastMaster: m.LastMaster(), VIPsSet: m.VIPsSet(), Stats: ni.stats,
		}
		if gr := m.Group(); gr != nil {
			st.Group = gr.Name()
		}
		s.Instances = append(s.Instances, st)
	}
	for _, gr := range g.groups {
		gs := GroupStatus{Name: gr.Name(), State: gr.State().String()}
		for _, m := range gr.Members() {
			gs.Members = append(gs.Members, m.Name())
		}
		s.Groups = append(s.Groups, gs)
	}
	n.mu.Lock()
	n.snap = s
	n.mu.Unlock()
}
