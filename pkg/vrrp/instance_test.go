package vrrp

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/vrrp/codec"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func testCfg(name string, prio int) InstanceConfig {
	c := DefaultInstanceConfig(name)
	c.Priority = prio
	c.VRID = 51
	c.Interface = "eth0"
	c.LocalAddr = netip.MustParseAddr("10.0.0.1")
	c.VIPs = []netip.Addr{netip.MustParseAddr("10.0.0.100")}
	return c
}

func adv(src string, prio int) codec.Packet {
	return codec.Packet{Version: 2, Type: 1, VRID: 51, Priority: uint8(prio), AdvertInt: 1, Src: netip.MustParseAddr(src)}
}

func adv3(src string, prio int, cs uint16) codec.Packet {
	return codec.Packet{Version: 3, Type: 1, VRID: 51, Priority: uint8(prio), AdvertInt: cs, Src: netip.MustParseAddr(src)}
}

// logs returns the logged messages.
func logs(acts []Action) []string {
	var out []string
	for _, a := range acts {
		if a.Kind == ActionLog {
			out = append(out, a.Msg)
		}
	}
	return out
}

// effects returns the non-log actions as strings.
func effects(acts []Action) []string {
	var out []string
	for _, a := range acts {
		if a.Kind != ActionLog {
			out = append(out, a.String())
		}
	}
	return out
}

func wantSeq(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func TestSkewAndDownInterval(t *testing.T) {
	cases := []struct {
		version uint8
		prio    int
		adv     time.Duration
		skew    time.Duration
		down    time.Duration
	}{
		{2, 100, time.Second, 609375 * time.Microsecond, 3609375 * time.Microsecond},
		{2, 254, time.Second, 7812500, 3*time.Second + 7812500},
		{2, 1, 2 * time.Second, 996093750, 6*time.Second + 996093750},
		// v3: ((256-prio) * master_adver_int(cs) * 625/16) µs
		{3, 100, time.Second, 609375 * time.Microsecond, 3609375 * time.Microsecond},
		{3, 100, 500 * time.Millisecond, 304687 * time.Microsecond, 1500*time.Millisecond + 304687*time.Microsecond},
		{3, 200, 50 * time.Millisecond, 10937 * time.Microsecond, 150*time.Millisecond + 10937*time.Microsecond},
	}
	for _, c := range cases {
		cfg := testCfg("VI_1", c.prio)
		cfg.Version, cfg.AdvertInt = c.version, c.adv
		in := NewInstance(cfg)
		if got := in.skew(); got != c.skew {
			t.Errorf("v%d prio %d adv %v: skew %v, want %v", c.version, c.prio, c.adv, got, c.skew)
		}
		in.Start(t0)
		if got := in.Next().Sub(t0); got != c.down {
			t.Errorf("v%d prio %d adv %v: down %v, want %v", c.version, c.prio, c.adv, got, c.down)
		}
	}
}

func TestElectionBackupToMaster(t *testing.T) {
	in := NewInstance(testCfg("VI_1", 100))
	a := in.Start(t0)
	wantSeq(t, "start logs", logs(a), []string{"(VI_1) removing VIPs.", "(VI_1) Entering BACKUP STATE (init)"})
	wantSeq(t, "start effects", effects(a), []string{"delvips(VI_1)", "notify(VI_1,BACKUP,100)"})
	if in.State() != StateBackup {
		t.Fatalf("state %v", in.State())
	}
	// An advert from a higher priority master resets the down timer.
	now := t0.Add(2 * time.Second)
	a = in.Receive(now, adv("10.0.0.2", 150))
	if len(a) != 0 {
		t.Errorf("unexpected actions %v", a)
	}
	if got := in.Next(); !got.Equal(now.Add(3609375 * time.Microsecond)) {
		t.Errorf("next %v", got.Sub(now))
	}
	// No advert: timeout, MASTER.
	now = in.Next()
	a = in.Timer(now)
	wantSeq(t, "timeout logs", logs(a), []string{
		"(VI_1) Receive advertisement timeout",
		"(VI_1) Entering MASTER STATE",
		"(VI_1) setting VIPs.",
		"(VI_1) Sending/queueing gratuitous ARPs on eth0 for 10.0.0.100",
	})
	wantSeq(t, "timeout effects", effects(a), []string{"addvips(VI_1)", "announce(VI_1,5)", "notify(VI_1,MASTER,100)", "send(VI_1,100)"})
	if !a[0].Detail {
		t.Errorf("timeout message should be a detail message")
	}
	// Adverts every advert_int, second GARP burst after garp_master_delay.
	var sends, garps int
	for i := 0; i < 6; i++ {
		n := in.Next()
		for _, x := range in.Timer(n) {
			switch x.Kind {
			case ActionSend:
				sends++
			case ActionAnnounce:
				garps++
				if !n.Equal(now.Add(5 * time.Second)) {
					t.Errorf("second GARP burst at %v", n.Sub(now))
				}
			}
		}
	}
	if sends != 6 || garps != 1 {
		t.Errorf("sends %d garps %d", sends, garps)
	}
	// Lower priority advert: we force a new election.
	a = in.Receive(now, adv("10.0.0.2", 50))
	wantSeq(t, "lower logs", logs(a), []string{"(VI_1) Received advert from 10.0.0.2 with lower priority 50, ours 100, forcing new election"})
	wantSeq(t, "lower effects", effects(a), []string{"send(VI_1,100)"})
	// Higher priority advert: back to BACKUP.
	a = in.Receive(now, adv("10.0.0.2", 150))
	wantSeq(t, "higher logs", logs(a), []string{
		"(VI_1) Master received advert from 10.0.0.2 with higher priority 150, ours 100",
		"(VI_1) Entering BACKUP STATE",
		"(VI_1) removing VIPs.",
	})
	wantSeq(t, "higher effects", effects(a), []string{"delvips(VI_1)", "notify(VI_1,BACKUP,100)"})
}

func TestEqualPriorityAddressTieBreak(t *testing.T) {
	for _, c := range []struct {
		src    string
		master bool
		msg    string
	}{
		{"10.0.0.2", false, "(VI_1) Master received advert from 10.0.0.2 with same priority 100 but higher IP address than ours"},
		{"10.0.0.0", true, "(VI_1) Received advert from 10.0.0.0 with lower priority 100, ours 100, forcing new election"},
	} {
		in := NewInstance(testCfg("VI_1", 100))
		in.Start(t0)
		in.Timer(in.Next())
		a := in.Receive(t0.Add(4*time.Second), adv(c.src, 100))
		if (in.State() == StateMaster) != c.master || logs(a)[0] != c.msg {
			t.Errorf("from %s: state %v logs %q", c.src, in.State(), logs(a))
		}
	}
}

func TestPreemption(t *testing.T) {
	// A BACKUP with a higher priority discards a lower priority master's
	// adverts and takes over when its down timer expires.
	in := NewInstance(testCfg("VI_1", 200))
	in.Start(t0)
	deadline := in.Next()
	a := in.Receive(t0.Add(time.Second), adv("10.0.0.2", 100))
	wantSeq(t, "discard", logs(a), []string{"(VI_1) received lower priority (100) advert from 10.0.0.2 - discarding"})
	if !in.Next().Equal(deadline) {
		t.Errorf("discarded advert moved the deadline")
	}
	in.Timer(deadline)
	if in.State() != StateMaster {
		t.Fatalf("state %v, want MASTER", in.State())
	}

	// nopreempt: the lower priority master is accepted.
	cfg := testCfg("VI_1", 200)
	cfg.NoPreempt = true
	in = NewInstance(cfg)
	in.Start(t0)
	for i := 1; i < 20; i++ {
		now := t0.Add(time.Duration(i) * time.Second)
		if a := in.Receive(now, adv("10.0.0.2", 100)); len(a) != 0 {
			t.Fatalf("actions %v", a)
		}
		if n := in.Next(); n.Before(now.Add(3 * time.Second)) {
			t.Fatalf("down timer not restarted")
		}
	}
	if in.State() != StateBackup {
		t.Fatalf("nopreempt: state %v", in.State())
	}
}

func TestPreemptDelay(t *testing.T) {
	cfg := testCfg("VI_1", 200)
	cfg.PreemptDelay = 10 * time.Second
	in := NewInstance(cfg)
	in.Start(t0)
	a := in.Receive(t0.Add(time.Second), adv("10.0.0.2", 100))
	wantSeq(t, "start delay", logs(a), []string{"VRRP_Instance(VI_1) start preempt delay(10)"})
	var now time.Time
	for i := 2; i <= 10; i++ {
		now = t0.Add(time.Duration(i) * time.Second)
		if a := in.Receive(now, adv("10.0.0.2", 100)); len(logs(a)) != 0 {
			t.Fatalf("at %ds: %q", i, logs(a))
		}
	}
	if in.State() != StateBackup {
		t.Fatalf("state %v", in.State())
	}
	now = t0.Add(12 * time.Second)
	a = in.Receive(now, adv("10.0.0.2", 100))
	wantSeq(t, "after delay", logs(a), []string{"(VI_1) received lower priority (100) advert from 10.0.0.2 - discarding"})
	in.Timer(in.Next())
	if in.State() != StateMaster {
		t.Fatalf("state %v after preempt delay", in.State())
	}
	// A higher priority master stops a running delay.
	in = NewInstance(cfg)
	in.Start(t0)
	in.Receive(t0.Add(time.Second), adv("10.0.0.2", 100))
	a = in.Receive(t0.Add(2*time.Second), adv("10.0.0.3", 250))
	wantSeq(t, "stop delay", logs(a), []string{"VRRP_Instance(VI_1) stop preempt delay"})
}

func TestInitialMasterAndOwner(t *testing.T) {
	// The address owner wanting MASTER takes over at once.
	cfg := testCfg("VI_1", 255)
	cfg.InitialMaster = true
	in := NewInstance(cfg)
	if a := in.Start(t0); len(a) != 0 {
		t.Errorf("owner: start actions %v (keepalived logs no init BACKUP)", a)
	}
	if d := in.Next().Sub(t0); d != time.Microsecond {
		t.Errorf("owner: first timer after %v", d)
	}
	a := in.Timer(in.Next())
	if in.State() != StateMaster || !slices.Contains(logs(a), "(VI_1) Entering MASTER STATE") {
		t.Errorf("owner: state %v logs %q", in.State(), logs(a))
	}
	// "state MASTER" without being the owner, or an owner configured
	// "state BACKUP", starts as BACKUP with the full down timer.
	for _, c := range []struct {
		prio   int
		master bool
	}{{100, true}, {255, false}} {
		cfg := testCfg("VI_1", c.prio)
		cfg.InitialMaster = c.master
		in := NewInstance(cfg)
		a := in.Start(t0)
		wantSeq(t, "init", logs(a), []string{"(VI_1) removing VIPs.", "(VI_1) Entering BACKUP STATE (init)"})
		if d := in.Next().Sub(t0); d != 3*time.Second+in.skew() {
			t.Errorf("prio %d: first timer after %v", c.prio, d)
		}
	}
	// Two owners: the local one gives way.
	in = NewInstance(cfg)
	in.Start(t0)
	in.Timer(in.Next())
	a = in.Receive(t0.Add(time.Second), adv("10.0.0.2", 255))
	wantSeq(t, "owner conflict", logs(a)[:2], []string{
		"(VI_1) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority",
		"(VI_1) Master received advert from 10.0.0.2 with higher priority 255, ours 254",
	})
}

func TestPriorityZero(t *testing.T) {
	in := NewInstance(testCfg("VI_1", 100))
	in.Start(t0)
	now := t0.Add(time.Second)
	a := in.Receive(now, adv("10.0.0.2", 0))
	wantSeq(t, "backup prio 0", logs(a), []string{"(VI_1) Backup received priority 0 advertisement"})
	if d := in.Next().Sub(now); d != 609375*time.Microsecond {
		t.Errorf("waits %v, want the skew time", d)
	}
	in.Timer(in.Next())
	a = in.Receive(now.Add(2*time.Second), adv("10.0.0.2", 0))
	wantSeq(t, "master prio 0", logs(a), []string{"(VI_1) Master received priority 0 message"})
	wantSeq(t, "master prio 0 effects", effects(a), []string{"send(VI_1,100)"})
	// Stop as master: priority 0 advert, addresses released.
	a = in.Stop(now.Add(3 * time.Second))
	wantSeq(t, "stop effects", effects(a), []string{"send(VI_1,0)", "delvips(VI_1)", "notify(VI_1,STOP,100)"})
	wantSeq(t, "stop logs", logs(a), []string{"(VI_1) sent 0 priority", "(VI_1) removing VIPs."})
	if !in.Next().IsZero() {
		t.Errorf("stopped instance has a timer")
	}
}

func TestV3LearnsMasterAdvertInt(t *testing.T) {
	cfg := testCfg("VI_1", 100)
	cfg.Version = 3
	in := NewInstance(cfg)
	in.Start(t0)
	now := t0.Add(time.Second)
	a := in.Receive(now, adv3("10.0.0.2", 150, 200))
	wantSeq(t, "learn", logs(a), []string{"(VI_1) advertisement interval updated to 2000 milli-sec from 1000 milli-sec"})
	// 3 × 2 s + (156 × 200 × 625/16) µs
	if d := in.Next().Sub(now); d != 6*time.Second+1218750*time.Microsecond {
		t.Errorf("down interval %v", d)
	}
	// Once master, adverts go at our own interval.
	in.Timer(in.Next())
	n := in.Next()
	if d := n.Sub(in.Next()); d != 0 || in.State() != StateMaster {
		t.Fatalf("state %v", in.State())
	}
}

func TestTrackers(t *testing.T) {
	in := NewInstance(testCfg("VI_1", 100))
	// keepalived logs the priorities of trackers known before the start
	// (track_file) too.
	a := in.Track(t0, "pre", false, -5)
	wantSeq(t, "before start", logs(a), []string{"(VI_1) Changing effective priority from 100 to 95"})
	in.Track(t0, "pre", false, 0)
	in.Start(t0)
	f, d := StatusEffect(false, -10, false)
	a = in.Track(t0, "chk", f, d)
	wantSeq(t, "weight", logs(a), []string{"(VI_1) Changing effective priority from 100 to 90"})
	f, d = StatusEffect(true, 20, false)
	a = in.Track(t0, "chk2", f, d)
	wantSeq(t, "weight2", logs(a), []string{"(VI_1) Changing effective priority from 90 to 110"})
	// Clamped to 254.
	a = in.Track(t0, "big", false, 250)
	wantSeq(t, "clamp", logs(a), []string{"(VI_1) Changing effective priority from 110 to 254"})
	in.Track(t0, "big", false, 0)
	in.Timer(in.Next())
	if in.State() != StateMaster {
		t.Fatal("not master")
	}
	// weight 0 tracker down: FAULT.
	f, d = StatusEffect(false, 0, false)
	a = in.Track(t0.Add(5*time.Second), "eth1", f, d)
	wantSeq(t, "fault logs", logs(a), []string{"(VI_1) Entering FAULT STATE", "(VI_1) removing VIPs."})
	wantSeq(t, "fault effects", effects(a), []string{"send(VI_1,0)", "delvips(VI_1)", "notify(VI_1,FAULT,110)"})
	if !in.Next().IsZero() {
		t.Errorf("FAULT has a timer")
	}
	if a := in.Receive(t0.Add(6*time.Second), adv("10.0.0.2", 50)); len(a) != 0 {
		t.Errorf("FAULT reacted to advert: %v", a)
	}
	f, d = StatusEffect(true, 0, false)
	a = in.Track(t0.Add(7*time.Second), "eth1", f, d)
	wantSeq(t, "recover", logs(a), []string{"(VI_1) Entering BACKUP STATE"})
	if in.State() != StateBackup {
		t.Errorf("state %v", in.State())
	}
	// Owner priority is never changed by weights.
	o := NewInstance(testCfg("VI_2", 255))
	if a := o.Track(t0, "x", false, -50); len(a) != 0 || o.Priority() != 255 {
		t.Errorf("owner priority changed: %v %d", a, o.Priority())
	}
}

func TestTrackerEffects(t *testing.T) {
	cases := []struct {
		up      bool
		weight  int
		reverse bool
		fault   bool
		delta   int
	}{
		{true, 0, false, false, 0}, {false, 0, false, true, 0},
		{true, 0, true, true, 0}, {false, 0, true, false, 0},
		{true, 10, false, false, 10}, {false, 10, false, false, 0},
		{true, -10, false, false, 0}, {false, -10, false, false, -10},
		{true, 10, true, false, 0}, {false, 10, true, false, 10},
		{true, -10, true, false, -10}, {false, -10, true, false, 0},
	}
	for _, c := range cases {
		f, d := StatusEffect(c.up, c.weight, c.reverse)
		if f != c.fault || d != c.delta {
			t.Errorf("StatusEffect(%v,%d,%v) = %v,%d want %v,%d", c.up, c.weight, c.reverse, f, d, c.fault, c.delta)
		}
	}
	fc := []struct {
		v, w  int
		rev   bool
		fault bool
		delta int
	}{
		{0, 0, false, false, 0}, {3, 0, false, true, 0}, {5, 2, false, false, 10},
		{5, 2, true, false, -10}, {-200, 2, false, true, 0}, {100, 10, false, false, 253},
	}
	for _, c := range fc {
		f, d := FileEffect(c.v, c.w, c.rev)
		if f != c.fault || d != c.delta {
			t.Errorf("FileEffect(%d,%d,%v) = %v,%d want %v,%d", c.v, c.w, c.rev, f, d, c.fault, c.delta)
		}
	}
}

func TestStartInFault(t *testing.T) {
	in := NewInstance(testCfg("VI_1", 100))
	in.Track(t0, "eth1", true, 0)
	a := in.Start(t0)
	if in.State() != StateFault || !strings.Contains(logs(a)[0], "FAULT") {
		t.Errorf("state %v logs %q", in.State(), logs(a))
	}
}

func TestPendingTracker(t *testing.T) {
	in := NewInstance(testCfg("VI_1", 100))
	in.TrackPending("script:chk")
	if a := in.Start(t0); len(a) != 0 || in.State() != StateFault {
		t.Fatalf("start: %v %v", in.State(), a)
	}
	a := in.Track(t0.Add(time.Second), "script:chk", false, 0)
	wantSeq(t, "first success", logs(a), []string{"(VI_1) Entering BACKUP STATE"})
	wantSeq(t, "first success effects", effects(a), []string{"notify(VI_1,BACKUP,100)"})
	if in.State() != StateBackup || in.Next().IsZero() {
		t.Errorf("state %v", in.State())
	}

	in = NewInstance(testCfg("VI_1", 100))
	in.TrackPending("script:chk")
	in.Start(t0)
	a = in.Track(t0.Add(time.Second), "script:chk", true, 0)
	wantSeq(t, "first failure", logs(a), nil)
	a = in.Track(t0.Add(2*time.Second), "script:chk", false, 0)
	wantSeq(t, "recovery", logs(a), []string{"(VI_1) Entering BACKUP STATE"})
}

func TestMasterAdvertOptions(t *testing.T) {
	cfg := testCfg("VI_1", 100)
	cfg.HigherPrioSendAdvert = true
	cfg.GarpLowerPrioRepeat = 2
	cfg.LowerPrioNoAdvert = true
	in := NewInstance(cfg)
	in.Start(t0)
	in.Timer(in.Next())
	a := in.Receive(t0.Add(5*time.Second), adv("10.0.0.2", 50))
	wantSeq(t, "lower", logs(a), []string{"(VI_1) Received advert from 10.0.0.2 with lower priority 50, ours 100",
		"(VI_1) Sending/queueing gratuitous ARPs on eth0 for 10.0.0.100"})
	wantSeq(t, "lower effects", effects(a), []string{"announce(VI_1,2)"})
	a = in.Receive(t0.Add(6*time.Second), adv("10.0.0.2", 150))
	if e := effects(a); len(e) == 0 || e[0] != "send(VI_1,100)" || in.State() != StateBackup {
		t.Errorf("higher: %v %v", e, in.State())
	}
}

func TestLowerPrioDelayAndNotify(t *testing.T) {
	cfg := testCfg("VI_1", 100)
	cfg.GarpLowerPrioRepeat = 3
	cfg.GarpLowerPrioDelay = 10 * time.Second
	cfg.NotifyMasterRxLowerPri = true
	cfg.GarpMasterDelay = 0
	in := NewInstance(cfg)
	in.Start(t0)
	in.Timer(in.Next())
	if in.State() != StateMaster {
		t.Fatalf("state %v", in.State())
	}
	at := t0.Add(5 * time.Second)
	a := in.Receive(at, adv("10.0.0.2", 50))
	wantSeq(t, "lower effects", effects(a), []string{"send(VI_1,100)", "announce(VI_1,3)", "notify(VI_1,MASTER_RX_LOWER_PRI,100)"})
	// The second burst comes garp_lower_prio_delay later (adverts go on
	// meanwhile).
	var burst []string
	for now := at; now.Before(at.Add(11 * time.Second)); now = in.Next() {
		for _, e := range effects(in.Timer(in.Next())) {
			if strings.HasPrefix(e, "announce") {
				burst = append(burst, e)
				if in.Next().IsZero() || !now.Add(-time.Second).Before(at.Add(10*time.Second)) {
					t.Errorf("second burst at %v, want %v", now, at.Add(10*time.Second))
				}
			}
		}
	}
	wantSeq(t, "second burst", burst, []string{"announce(VI_1,3)"})
}
