package vrrp

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/vrrp/codec"
)

// State is a VRRP instance (or sync group) state.
type State int

// The states of keepalived's VRRP machine.
const (
	StateInit State = iota
	StateBackup
	StateMaster
	StateFault
	StateStop
	// StateMasterRxLowerPri is not a state: it names the notification of
	// a master that heard a lower priority advert.
	StateMasterRxLowerPri
)

func (s State) String() string {
	switch s {
	case StateBackup:
		return "BACKUP"
	case StateMaster:
		return "MASTER"
	case StateFault:
		return "FAULT"
	case StateStop:
		return "STOP"
	case StateMasterRxLowerPri:
		return "MASTER_RX_LOWER_PRI"
	}
	return "INIT"
}

// PriorityOwner is the priority of the address owner; PriorityStop the
// priority of the advert a master sends when it resigns.
const (
	PriorityOwner = 255
	PriorityStop  = 0
)

// InstanceConfig is what the state machine needs of a vrrp_instance.
type InstanceConfig struct {
	Name    string
	Version uint8 // 2 or 3
	VRID    uint8
	// Priority is the configured (base) priority, 1..255.
	Priority int
	// AdvertInt is advert_int.
	AdvertInt time.Duration
	// InitialMaster is keepalived's initial wantstate MASTER: "state
	// MASTER", or no state and priority 255. Only an address owner
	// (priority 255) that wants MASTER skips the BACKUP start.
	InitialMaster bool
	NoPreempt     bool
	PreemptDelay  time.Duration
	// LocalAddr is the address our adverts carry as source: an advert of
	// equal priority from a higher address wins.
	LocalAddr netip.Addr
	// Interface names the interface in GARP log lines.
	Interface string
	// VIPs are the virtual addresses (for GARP log lines).
	VIPs []netip.Addr
	// GARP: garp_master_delay (second burst after becoming master, 0 for
	// none), garp_master_repeat (messages per burst),
	// garp_master_refresh (periodic burst while master, 0 for none) and
	// garp_master_refresh_repeat.
	GarpMasterDelay         time.Duration
	GarpMasterRepeat        int
	GarpMasterRefresh       time.Duration
	GarpMasterRefreshRepeat int
	// LowerPrioNoAdvert is lower_prio_no_advert.
	LowerPrioNoAdvert bool
	// HigherPrioSendAdvert is higher_prio_send_advert: a master sends an
	// advert before giving way to a higher priority one.
	HigherPrioSendAdvert bool
	// GarpLowerPrioRepeat is garp_lower_prio_repeat: GARPs a master sends
	// when it hears a lower priority advert.
	GarpLowerPrioRepeat int
	// GarpLowerPrioDelay is garp_lower_prio_delay: the delay of a second
	// burst of GarpLowerPrioRepeat GARPs after that (0: none).
	GarpLowerPrioDelay time.Duration
	// NotifyMasterRxLowerPri: a master that hears a lower priority advert
	// emits ActionNotify with State StateMasterRxLowerPri
	// (notify_master_rx_lower_pri).
	NotifyMasterRxLowerPri bool
}

// DefaultInstanceConfig returns keepalived's defaults.
func DefaultInstanceConfig(name string) InstanceConfig {
	return InstanceConfig{
		Name: name, Version: 2, Priority: 100, AdvertInt: time.Second,
		GarpMasterDelay: 5 * time.Second, GarpMasterRepeat: 5, GarpMasterRefreshRepeat: 1,
	}
}

// ActionKind says what an Action asks the Node to do.
type ActionKind int

// Action kinds.
const (
	// ActionSend: send an advert with Priority.
	ActionSend ActionKind = iota
	// ActionAddVIPs: add the instance's VIPs, excluded VIPs, virtual
	// routes and rules.
	ActionAddVIPs
	// ActionDelVIPs: remove them.
	ActionDelVIPs
	// ActionAnnounce: send Count gratuitous ARPs / unsolicited NAs for
	// every VIP.
	ActionAnnounce
	// ActionNotify: the instance (Group empty) or sync group Group
	// entered State (notify scripts, fifo, SMTP).
	ActionNotify
	// ActionLog: log Msg (Detail: only with keepalived's -D).
	ActionLog
)

// Action is one effect the Node executes, in order.
type Action struct {
	Kind     ActionKind
	Instance string
	Group    string
	Priority int
	Count    int
	State    State
	Msg      string
	Detail   bool
}

func (a Action) String() string {
	switch a.Kind {
	case ActionSend:
		return fmt.Sprintf("send(%s,%d)", a.Instance, a.Priority)
	case ActionAddVIPs:
		return fmt.Sprintf("addvips(%s)", a.Instance)
	case ActionDelVIPs:
		return fmt.Sprintf("delvips(%s)", a.Instance)
	case ActionAnnounce:
		return fmt.Sprintf("announce(%s,%d)", a.Instance, a.Count)
	case ActionNotify:
		if a.Group != "" {
			return fmt.Sprintf("notify(group %s,%s)", a.Group, a.State)
		}
		return fmt.Sprintf("notify(%s,%s,%d)", a.Instance, a.State, a.Priority)
	}
	return "log(" + a.Msg + ")"
}

// trackEffect is what one tracker currently does to the instance.
type trackEffect struct {
	fault   bool
	delta   int
	pending bool // no result yet (a weight 0 script before its first run)
}

// Instance is one vrrp_instance's state machine. It is pure: every event
// carries the current time, every effect is returned as Actions, and
// Next says when Timer must be called. It is not safe for concurrent use.
type Instance struct {
	cfg        InstanceConfig
	state      State
	want       State
	base, eff  int
	masterAdv  time.Duration
	deadline   time.Time // sands: master down timer or next advert
	preemptAt  time.Time
	garpAt     time.Time
	refreshAt  time.Time
	lowerAt    time.Time
	vipSet     bool
	lastMaster netip.Addr
	masterPrio int
	tracks     map[string]trackEffect
	// initFault: FAULT at start because a tracker has no result yet
	// (keepalived enters it silently).
	initFault bool
	group     *Group
	acts      []Action
}

// NewInstance returns an instance in INIT state.
func NewInstance(cfg InstanceConfig) *Instance {
	if cfg.Version != 3 {
		cfg.Version = 2
	}
	if cfg.AdvertInt <= 0 {
		cfg.AdvertInt = time.Second
	}
	if cfg.Priority < 1 || cfg.Priority > PriorityOwner {
		cfg.Priority = 100
	}
	return &Instance{cfg: cfg, base: cfg.Priority, eff: cfg.Priority, masterAdv: cfg.AdvertInt, tracks: map[string]trackEffect{}}
}

// Name is the instance name.
func (in *Instance) Name() string { return in.cfg.Name }

// Config returns the instance's configuration.
func (in *Instance) Config() InstanceConfig { return in.cfg }

// State is the current state.
func (in *Instance) State() State { return in.state }

// Priority is the effective priority.
func (in *Instance) Priority() int { return in.eff }

// BasePriority is the configured priority (lowered to 254 on an address
// owner conflict).
func (in *Instance) BasePriority() int { return in.base }

// MasterAdvertInt is the advert interval in use (v3: learnt from the master).
func (in *Instance) MasterAdvertInt() time.Duration { return in.masterAdv }

// LastMaster is the source of the last accepted advert.
func (in *Instance) LastMaster() netip.Addr { return in.lastMaster }

// Group is the sync group, or nil.
func (in *Instance) Group() *Group { return in.group }

// SetLocalAddr sets the address adverts are sent from.
func (in *Instance) SetLocalAddr(a netip.Addr) { in.cfg.LocalAddr = a }

// Next returns when Timer must next be called (zero: no timer).
func (in *Instance) Next() time.Time {
	var n time.Time
	for _, t := range []time.Time{in.deadline, in.garpAt, in.refreshAt, in.lowerAt} {
		if !t.IsZero() && (n.IsZero() || t.Before(n)) {
			n = t
		}
	}
	return n
}

func (in *Instance) log(detail bool, format string, args ...any) {
	in.emit(Action{Kind: ActionLog, Instance: in.cfg.Name, Msg: fmt.Sprintf(format, args...), Detail: detail})
}

func (in *Instance) do(k ActionKind, prio int) {
	in.emit(Action{Kind: k, Instance: in.cfg.Name, Priority: prio})
}

func (in *Instance) notify() {
	in.emit(Action{Kind: ActionNotify, Instance: in.cfg.Name, State: in.state, Priority: in.eff})
}

// emit records an action. The members of a sync group share the group's
// list, so that actions stay in the order they happened across members.
func (in *Instance) emit(a Action) {
	if in.group != nil {
		in.group.acts = append(in.group.acts, a)
		return
	}
	in.acts = append(in.acts, a)
}

// flush returns the collected actions.
func (in *Instance) flush() []Action {
	if in.group != nil {
		return in.group.flush()
	}
	a := in.acts
	in.acts = nil
	return a
}

// skew is keepalived's VRRP_TIMER_SKEW for priority p.
func (in *Instance) skewFor(p int) time.Duration {
	if in.cfg.Version == 3 {
		cs := int64(in.masterAdv / (10 * time.Millisecond))
		return time.Duration(int64(p)*cs*625/16) * time.Microsecond
	}
	return time.Duration(int64(p) * int64(time.Second) / 256)
}

func (in *Instance) skew() time.Duration { return in.skewFor(256 - in.eff) }

func (in *Instance) downInterval() time.Duration { return 3*in.masterAdv + in.skew() }

func (in *Instance) faulty() bool {
	for _, t := range in.tracks {
		if t.fault {
			return true
		}
	}
	return false
}

func (in *Instance) pending() bool {
	for _, t := range in.tracks {
		if t.pending {
			return true
		}
	}
	return false
}

// TrackPending declares tracker name as having no result yet: like a
// weight 0 vrrp_script before its first run, it holds the instance in
// FAULT from Start until Track reports it. Call it before Start.
func (in *Instance) TrackPending(name string) {
	in.tracks[name] = trackEffect{pending: true}
}

// Start starts the instance (keepalived's vrrp_init_state).
func (in *Instance) Start(now time.Time) []Action {
	if in.state != StateInit {
		return nil
	}
	if in.faulty() || (in.group != nil && in.group.faulty()) {
		in.want = StateFault
		in.state = StateFault
		in.log(false, "(%s) Entering FAULT STATE (init)", in.cfg.Name)
		in.notify()
		if in.group != nil {
			in.group.syncFault(in, now)
		}
		return in.flush()
	}
	if in.pending() || (in.group != nil && in.group.pending()) {
		in.want = StateFault
		in.state = StateFault
		in.initFault = true
		return in.flush()
	}
	if in.cfg.InitialMaster && in.base == PriorityOwner {
		// The address owner becomes master by timing out of BACKUP at
		// once; any other "state MASTER" starts as BACKUP like keepalived.
		in.want = StateMaster
		in.state = StateBackup
		in.deadline = now.Add(time.Microsecond)
		return in.flush()
	}
	in.want = StateBackup
	in.state = StateBackup
	in.deadline = now.Add(in.downInterval())
	// keepalived clears addresses a previous run may have left.
	if len(in.cfg.VIPs) > 0 {
		in.log(true, "(%s) removing VIPs.", in.cfg.Name)
	}
	in.do(ActionDelVIPs, 0)
	in.log(false, "(%s) Entering BACKUP STATE (init)", in.cfg.Name)
	in.notify()
	if in.group != nil {
		in.group.initBackup(now)
	}
	return in.flush()
}

// Timer handles reached deadlines (call it when now >= Next()).
func (in *Instance) Timer(now time.Time) []Action {
	if !in.garpAt.IsZero() && !now.Before(in.garpAt) {
		in.garpAt = time.Time{}
		if in.state == StateMaster {
			in.announce(in.cfg.GarpMasterRepeat)
		}
	}
	if !in.lowerAt.IsZero() && !now.Before(in.lowerAt) {
		in.lowerAt = time.Time{}
		if in.state == StateMaster {
			in.announce(in.cfg.GarpLowerPrioRepeat)
		}
	}
	if !in.refreshAt.IsZero() && !now.Before(in.refreshAt) {
		in.refreshAt = time.Time{}
		if in.state == StateMaster {
			in.announce(in.cfg.GarpMasterRefreshRepeat)
			in.refreshAt = now.Add(in.cfg.GarpMasterRefresh)
		}
	}
	if !in.deadline.IsZero() && !now.Before(in.deadline) {
		switch in.state {
		case StateBackup:
			in.log(true, "(%s) Receive advertisement timeout", in.cfg.Name)
			in.gotoMaster(now)
		case StateMaster:
			in.do(ActionSend, in.eff)
			in.deadline = now.Add(in.cfg.AdvertInt)
		default:
			in.deadline = time.Time{}
		}
	}
	return in.flush()
}

func (in *Instance) announce(n int) {
	if n <= 0 || len(in.cfg.VIPs) == 0 {
		return
	}
	// keepalived logs each burst (first, delayed, refresh, lower
	// priority).
	in.log(true, "(%s) Sending/queueing %s on %s for %s", in.cfg.Name, garpWord(in.cfg.VIPs[0]), in.cfg.Interface, in.cfg.VIPs[0])
	in.emit(Action{Kind: ActionAnnounce, Instance: in.cfg.Name, Count: n})
}

// gotoMaster is vrrp_goto_master: subject to the sync group's consent.
func (in *Instance) gotoMaster(now time.Time) {
	in.want = StateMaster
	if in.group != nil && !in.group.canGoMaster(in, now) {
		// Stay BACKUP; look again after a full down interval.
		in.deadline = now.Add(in.downInterval())
		return
	}
	in.becomeMaster(now)
	if in.group != nil {
		in.group.syncMaster(in, now)
	}
}

// becomeMaster is vrrp_state_goto_master + vrrp_state_master_tx for an
// instance whose VIPs are not set.
func (in *Instance) becomeMaster(now time.Time) {
	in.want = StateMaster
	in.state = StateMaster
	in.log(false, "(%s) Entering MASTER STATE", in.cfg.Name)
	if !in.vipSet {
		if len(in.cfg.VIPs) > 0 {
			in.log(true, "(%s) setting VIPs.", in.cfg.Name)
		}
		in.do(ActionAddVIPs, 0)
		in.vipSet = true
	}
	in.announce(in.cfg.GarpMasterRepeat)
	in.notify()
	if in.cfg.GarpMasterDelay > 0 {
		in.garpAt = now.Add(in.cfg.GarpMasterDelay)
	}
	if in.cfg.GarpMasterRefresh > 0 {
		in.refreshAt = now.Add(in.cfg.GarpMasterRefresh)
	}
	in.do(ActionSend, in.eff)
	in.deadline = now.Add(in.cfg.AdvertInt)
}

func garpWord(a netip.Addr) string {
	if a.Is6() && !a.Is4In6() {
		return "Unsolicited Neighbour Adverts"
	}
	return "gratuitous ARPs"
}

// leaveMaster is vrrp_state_leave_master towards in.want (BACKUP or FAULT).
func (in *Instance) leaveMaster(now time.Time) {
	switch in.want {
	case StateBackup:
		in.log(false, "(%s) Entering BACKUP STATE", in.cfg.Name)
		in.preemptAt = time.Time{}
		in.masterAdv = in.cfg.AdvertInt
	case StateFault:
		in.log(false, "(%s) Entering FAULT STATE", in.cfg.Name)
		in.do(ActionSend, PriorityStop)
	default:
		return
	}
	in.releaseVIPs()
	in.state = in.want
	in.notify()
	in.garpAt, in.refreshAt, in.lowerAt = time.Time{}, time.Time{}, time.Time{}
	if in.state == StateBackup {
		in.deadline = now.Add(in.downInterval())
	} else {
		in.deadline = time.Time{}
	}
}

func (in *Instance) releaseVIPs() {
	if in.vipSet {
		if len(in.cfg.VIPs) > 0 {
			in.log(true, "(%s) removing VIPs.", in.cfg.Name)
		}
		in.do(ActionDelVIPs, 0)
		in.vipSet = false
	}
}

// Receive handles an advert that passed codec.Validate.
func (in *Instance) Receive(now time.Time, p codec.Packet) []Action {
	switch in.state {
	case StateBackup:
		in.backupRx(now, p)
	case StateMaster:
		in.masterRx(now, p)
	}
	return in.flush()
}

func (in *Instance) learnAdvertInt(p codec.Packet, fromHigher bool) {
	if in.cfg.Version != 3 {
		return
	}
	m := time.Duration(p.AdvertInt) * 10 * time.Millisecond
	if m == in.masterAdv || m <= 0 {
		return
	}
	if fromHigher {
		in.log(false, "(%s) advertisement interval updated from %d to %d milli-sec from higher priority master", in.cfg.Name, in.masterAdv.Milliseconds(), m.Milliseconds())
	} else {
		in.log(false, "(%s) advertisement interval updated to %d milli-sec from %d milli-sec", in.cfg.Name, m.Milliseconds(), in.masterAdv.Milliseconds())
	}
	in.masterAdv = m
}

func (in *Instance) backupRx(now time.Time, p codec.Packet) {
	prio := int(p.Priority)
	switch {
	case prio == PriorityStop:
		in.log(true, "(%s) Backup received priority 0 advertisement", in.cfg.Name)
		in.deadline = now.Add(in.skew())
	case in.cfg.NoPreempt || prio >= in.eff ||
		(in.cfg.PreemptDelay > 0 && (in.preemptAt.IsZero() || in.preemptAt.After(now))):
		in.learnAdvertInt(p, false)
		in.deadline = now.Add(in.downInterval())
		in.lastMaster = p.Src
		in.masterPrio = prio
		if in.want == StateMaster && in.group != nil {
			in.want = StateBackup
		}
		if in.cfg.PreemptDelay > 0 {
			if prio >= in.eff {
				if !in.preemptAt.IsZero() {
					in.log(false, "VRRP_Instance(%s) stop preempt delay", in.cfg.Name)
					in.preemptAt = time.Time{}
				}
			} else if in.preemptAt.IsZero() {
				in.log(false, "VRRP_Instance(%s) start preempt delay(%d)", in.cfg.Name, int64(in.cfg.PreemptDelay/time.Second))
				in.preemptAt = now.Add(in.cfg.PreemptDelay)
			}
		}
	default:
		in.log(false, "(%s) received lower priority (%d) advert from %s - discarding", in.cfg.Name, prio, p.Src)
		in.lastMaster = p.Src
	}
}

func (in *Instance) masterRx(now time.Time, p codec.Packet) {
	prio := int(p.Priority)
	cmp := p.Src.Compare(in.cfg.LocalAddr)
	if !in.cfg.LocalAddr.IsValid() {
		cmp = 1
	}
	if prio == PriorityStop || (in.cfg.HigherPrioSendAdvert && (prio > in.eff || (prio == in.eff && cmp > 0))) {
		in.log(false, "(%s) Master received priority 0 message", in.cfg.Name)
		in.do(ActionSend, in.eff)
		if prio == PriorityStop {
			return
		}
	}
	if prio == in.eff {
		if cmp == 0 {
			in.log(false, "(%s) WARNING - equal priority advert received from remote host with our IP address.", in.cfg.Name)
		} else if in.eff == PriorityOwner {
			in.log(false, "(%s) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority", in.cfg.Name)
			in.eff, in.base = PriorityOwner-1, PriorityOwner-1
		}
	}
	if prio < in.eff || (prio == in.eff && cmp < 0) {
		suffix := ", forcing new election"
		if in.cfg.LowerPrioNoAdvert {
			suffix = ""
		}
		in.log(false, "(%s) Received advert from %s with lower priority %d, ours %d%s", in.cfg.Name, p.Src, prio, in.eff, suffix)
		if !in.cfg.LowerPrioNoAdvert {
			in.do(ActionSend, in.eff)
		}
		if in.cfg.GarpLowerPrioRepeat > 0 {
			in.announce(in.cfg.GarpLowerPrioRepeat)
			if in.cfg.GarpLowerPrioDelay > 0 {
				in.lowerAt = now.Add(in.cfg.GarpLowerPrioDelay)
			}
		}
		if in.cfg.NotifyMasterRxLowerPri {
			in.emit(Action{Kind: ActionNotify, Instance: in.cfg.Name, State: StateMasterRxLowerPri, Priority: in.eff})
		}
		return
	}
	if prio > in.eff || (prio == in.eff && cmp > 0) {
		if prio > in.eff {
			in.log(false, "(%s) Master received advert from %s with higher priority %d, ours %d", in.cfg.Name, p.Src, prio, in.eff)
		} else {
			in.log(false, "(%s) Master received advert from %s with same priority %d but higher IP address than ours", in.cfg.Name, p.Src, prio)
		}
		in.learnAdvertInt(p, true)
		in.lastMaster = p.Src
		in.masterPrio = prio
		in.want = StateBackup
		in.leaveMaster(now)
		if in.group != nil {
			in.group.syncBackup(in, now)
		}
	}
}

// StatusEffect is what a tracked object that is up or down does to an
// instance with the given weight: weight 0 puts the instance in FAULT
// while the object is down; a positive weight is added while it is up, a
// negative one subtracted while it is down; reverse swaps up and down.
func StatusEffect(up bool, weight int, reverse bool) (fault bool, delta int) {
	if reverse {
		up = !up
	}
	switch {
	case weight == 0:
		return !up, 0
	case weight > 0 && up:
		return false, weight
	case weight < 0 && !up:
		return false, weight
	}
	return false, 0
}

// FileEffect is what a track_file value does: with weight 0 a non-zero
// value is a fault; otherwise value×weight (negated with reverse) is added
// to the priority, and a result of -254 or below is a fault.
func FileEffect(value, weight int, reverse bool) (fault bool, delta int) {
	if weight == 0 {
		return value != 0, 0
	}
	d := value * weight
	if reverse {
		d = -d
	}
	if d <= -254 {
		return true, 0
	}
	if d > 253 {
		d = 253
	}
	return false, d
}

// Track records the current effect of tracker name (see StatusEffect and
// FileEffect) and applies the resulting priority and fault changes.
func (in *Instance) Track(now time.Time, name string, fault bool, delta int) []Action {
	in.tracks[name] = trackEffect{fault: fault, delta: delta}
	in.updatePriority()
	in.updateFault(now)
	return in.flush()
}

func (in *Instance) updatePriority() {
	if in.base == PriorityOwner {
		return
	}
	p := in.base
	for _, t := range in.tracks {
		p += t.delta
	}
	if p < 1 {
		p = 1
	}
	if p > PriorityOwner-1 {
		p = PriorityOwner - 1
	}
	if p != in.eff {
		in.log(false, "(%s) Changing effective priority from %d to %d", in.cfg.Name, in.eff, p)
		in.eff = p
	}
}

func (in *Instance) updateFault(now time.Time) {
	if in.state == StateInit || in.state == StateStop {
		return
	}
	f := in.faulty()
	if in.initFault {
		if f {
			// keepalived stays in FAULT without a word.
			in.initFault = false
			if in.group != nil {
				in.group.syncFault(in, now)
			}
			return
		}
		if in.pending() {
			return
		}
		in.initFault = false
		if in.group != nil {
			in.group.tryLeaveFault(in, now)
			return
		}
		in.leaveFault(now)
		return
	}
	switch {
	case f && in.state != StateFault:
		in.gotoFault(now, false)
		if in.group != nil {
			in.group.syncFault(in, now)
		}
	case !f && in.state == StateFault:
		if in.group != nil {
			in.group.tryLeaveFault(in, now)
			return
		}
		in.leaveFault(now)
	}
}

// gotoFault enters FAULT; quiet is a BACKUP member taken along by its
// sync group, which keepalived does not log.
func (in *Instance) gotoFault(now time.Time, quiet bool) {
	in.want = StateFault
	if in.state == StateMaster {
		in.leaveMaster(now)
		return
	}
	if !quiet {
		in.log(false, "(%s) Entering FAULT STATE", in.cfg.Name)
	}
	in.state = StateFault
	in.deadline = time.Time{}
	in.notify()
}

// leaveFault is vrrp_state_leave_fault: back to BACKUP, an address owner
// straight to MASTER.
func (in *Instance) leaveFault(now time.Time) {
	in.masterAdv = in.cfg.AdvertInt
	if in.base == PriorityOwner {
		in.becomeMaster(now)
		return
	}
	in.want = StateBackup
	in.log(false, "(%s) Entering BACKUP STATE", in.cfg.Name)
	in.state = StateBackup
	in.deadline = now.Add(in.downInterval())
	in.notify()
}

// Stop shuts the instance down (SIGTERM): a master sends a priority 0
// advert and releases its addresses.
func (in *Instance) Stop(now time.Time) []Action {
	if in.state == StateStop {
		return nil
	}
	if in.state == StateMaster {
		in.do(ActionSend, PriorityStop)
		in.log(true, "(%s) sent 0 priority", in.cfg.Name)
	}
	in.releaseVIPs()
	in.state, in.want = StateStop, StateStop
	in.deadline, in.garpAt, in.refreshAt, in.lowerAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	in.notify()
	return in.flush()
}

// VIPsSet reports whether the instance holds its addresses.
func (in *Instance) VIPsSet() bool { return in.vipSet }

// AdoptMaster makes a freshly created instance take over as MASTER with its
// addresses already in place (reload of an instance that was MASTER):
// adverts continue, no addresses are added or announced again.
func (in *Instance) AdoptMaster(now time.Time) []Action {
	in.state, in.want = StateMaster, StateMaster
	in.vipSet = true
	in.do(ActionSend, in.eff)
	in.deadline = now.Add(in.cfg.AdvertInt)
	if in.cfg.GarpMasterRefresh > 0 {
		in.refreshAt = now.Add(in.cfg.GarpMasterRefresh)
	}
	return in.flush()
}
