package vrrp

import (
	"slices"
	"testing"
	"time"
)

func groupPair(t *testing.T) (*Group, *Instance, *Instance) {
	t.Helper()
	a := NewInstance(testCfg("VI_1", 100))
	b := NewInstance(testCfg("VI_2", 100))
	g := NewGroup("G1", a, b)
	return g, a, b
}

func groupNotifies(acts []Action) []string {
	var out []string
	for _, a := range acts {
		if a.Kind == ActionNotify && a.Group != "" {
			out = append(out, a.String())
		}
	}
	return out
}

func TestGroupGoesMasterTogether(t *testing.T) {
	g, a, b := groupPair(t)
	acts := append(a.Start(t0), b.Start(t0)...)
	wantSeq(t, "start", groupNotifies(acts), []string{"notify(group G1,BACKUP)"})
	// b keeps hearing a master, a does not: a may not go alone.
	now := t0.Add(3 * time.Second)
	b.Receive(now, adv("10.0.0.9", 150))
	acts = a.Timer(a.Next())
	if a.State() != StateBackup || b.State() != StateBackup {
		t.Fatalf("states %v %v: a went MASTER alone", a.State(), b.State())
	}
	// b's deadline was brought forward; once it times out too, both go.
	acts = b.Timer(b.Next())
	if a.State() != StateMaster || b.State() != StateMaster {
		t.Fatalf("states %v %v, want both MASTER", a.State(), b.State())
	}
	if !slices.Contains(logs(acts), "VRRP_Group(G1) Syncing instances to MASTER state") {
		t.Errorf("logs %q", logs(acts))
	}
	wantSeq(t, "master", groupNotifies(acts), []string{"notify(group G1,MASTER)"})
	if g.State() != StateMaster {
		t.Errorf("group %v", g.State())
	}
	// A higher priority master for one of them takes both to BACKUP.
	acts = a.Receive(now.Add(10*time.Second), adv("10.0.0.9", 200))
	if a.State() != StateBackup || b.State() != StateBackup {
		t.Fatalf("states %v %v, want both BACKUP", a.State(), b.State())
	}
	wantSeq(t, "backup", groupNotifies(acts), []string{"notify(group G1,BACKUP)"})
	var del []string
	for _, x := range acts {
		if x.Kind == ActionDelVIPs {
			del = append(del, x.Instance)
		}
	}
	wantSeq(t, "released", del, []string{"VI_1", "VI_2"})
}

func TestGroupFault(t *testing.T) {
	g, a, b := groupPair(t)
	a.Start(t0)
	b.Start(t0)
	a.Timer(a.Next())
	b.Timer(b.Next())
	if g.State() != StateMaster {
		t.Fatalf("group %v", g.State())
	}
	now := t0.Add(10 * time.Second)
	acts := a.Track(now, "eth1", true, 0)
	if a.State() != StateFault || b.State() != StateFault {
		t.Fatalf("states %v %v, want both FAULT", a.State(), b.State())
	}
	if !slices.Contains(logs(acts), "VRRP_Group(G1) Syncing instances to FAULT state") {
		t.Errorf("logs %q", logs(acts))
	}
	wantSeq(t, "fault", groupNotifies(acts), []string{"notify(group G1,FAULT)"})
	// b's own trackers are fine, but it stays FAULT while a is.
	b.Track(now, "other", false, 0)
	if b.State() != StateFault {
		t.Fatalf("b left FAULT alone")
	}
	acts = a.Track(now.Add(time.Second), "eth1", false, 0)
	if a.State() != StateBackup || b.State() != StateBackup {
		t.Fatalf("states %v %v, want both BACKUP", a.State(), b.State())
	}
	wantSeq(t, "recovered", groupNotifies(acts), []string{"notify(group G1,BACKUP)"})
	if got := g.Stop(); len(got) != 1 || got[0].State != StateStop {
		t.Errorf("stop %v", got)
	}
}

// keepalived 2.2.7 notifies a sync group's initial BACKUP before the
// instance's (notify scripts and notify_fifo lines, seen with the binary).
func TestGroupInitBackupNotifiedFirst(t *testing.T) {
	_, a, _ := groupPair(t)
	var seq []string
	for _, x := range a.Start(t0) {
		if x.Kind == ActionNotify {
			seq = append(seq, x.String())
		}
	}
	if len(seq) != 2 || seq[0] != "notify(group G1,BACKUP)" {
		t.Fatalf("notifications at start %q: want the group's BACKUP first", seq)
	}
}
