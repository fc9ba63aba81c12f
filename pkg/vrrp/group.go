package vrrp

import (
	"fmt"
	"slices"
	"time"
)

// Group is a vrrp_sync_group: its members move together. One member in
// FAULT puts them all in FAULT (until no member has a fault), one member
// going MASTER takes the others to MASTER (once every member wants to be
// MASTER), one member going BACKUP takes the others to BACKUP.
type Group struct {
	name    string
	members []*Instance
	state   State
	acts    []Action
}

// NewGroup ties members together as sync group name. An instance belongs
// to one group at most: members already in a group are left out.
func NewGroup(name string, members ...*Instance) *Group {
	g := &Group{name: name}
	for _, m := range members {
		if m == nil || m.group != nil {
			continue
		}
		m.group = g
		g.members = append(g.members, m)
	}
	return g
}

// Name is the group name.
func (g *Group) Name() string { return g.name }

// State is the group state.
func (g *Group) State() State { return g.state }

// Members returns the member instances.
func (g *Group) Members() []*Instance { return append([]*Instance(nil), g.members...) }

func (g *Group) log(format string, args ...any) {
	g.acts = append(g.acts, Action{Kind: ActionLog, Group: g.name, Msg: fmt.Sprintf(format, args...)})
}

func (g *Group) setState(s State) {
	g.state = s
	g.acts = append(g.acts, Action{Kind: ActionNotify, Group: g.name, State: s})
}

// flush returns the actions of the members and the group, in order.
func (g *Group) flush() []Action {
	out := g.acts
	g.acts = nil
	return out
}

func (g *Group) faulty() bool {
	for _, m := range g.members {
		if m.faulty() {
			return true
		}
	}
	return false
}

func (g *Group) pending() bool {
	for _, m := range g.members {
		if m.pending() {
			return true
		}
	}
	return false
}

func (g *Group) initBackup(time.Time) {
	if g.state != StateInit {
		return
	}
	g.state = StateBackup
	// keepalived 2.2.7 notifies the group's initial BACKUP before the
	// instance's (scripts and notify_fifo, observed with the binary).
	// Members record their actions in the group's list (Instance.emit).
	n := Action{Kind: ActionNotify, Group: g.name, State: StateBackup}
	for i := len(g.acts) - 1; i >= 0; i-- {
		if g.acts[i].Kind == ActionNotify && g.acts[i].Group == "" {
			g.acts = slices.Insert(g.acts, i, n)
			return
		}
	}
	g.acts = append(g.acts, n)
}

// canGoMaster is vrrp_sync_can_goto_master: only when every other member
// wants MASTER too (preferring BACKUP avoids thrashing); members still
// BACKUP are asked to look again soon.
func (g *Group) canGoMaster(in *Instance, now time.Time) bool {
	if g.state == StateMaster {
		return true
	}
	ok := true
	for _, m := range g.members {
		if m == in || m.want == StateMaster {
			continue
		}
		if m.state == StateBackup {
			soon := now.Add(m.masterAdv + m.skewFor(1))
			if m.deadline.IsZero() || soon.Before(m.deadline) {
				m.deadline = soon
			}
		}
		ok = false
	}
	return ok
}

func (g *Group) syncMaster(in *Instance, now time.Time) {
	if g.state == StateMaster {
		return
	}
	g.log("VRRP_Group(%s) Syncing instances to MASTER state", g.name)
	for _, m := range g.members {
		if m != in && m.state != StateMaster && m.state != StateFault && m.state != StateStop {
			m.becomeMaster(now)
		}
	}
	g.setState(StateMaster)
}

func (g *Group) syncBackup(in *Instance, now time.Time) {
	if g.state == StateBackup {
		return
	}
	g.log("VRRP_Group(%s) Syncing instances to BACKUP state", g.name)
	for _, m := range g.members {
		if m == in || m.state == StateBackup || m.state == StateStop {
			continue
		}
		m.want = StateBackup
		if m.state == StateMaster {
			m.leaveMaster(now)
		} else {
			m.leaveFault(now)
		}
	}
	g.setState(StateBackup)
}

func (g *Group) syncFault(in *Instance, now time.Time) {
	if g.state == StateFault {
		return
	}
	g.log("VRRP_Group(%s) Syncing instances to FAULT state", g.name)
	for _, m := range g.members {
		if m == in || m.state == StateFault || m.state == StateStop || m.state == StateInit {
			continue
		}
		m.gotoFault(now, true)
	}
	g.setState(StateFault)
}

// tryLeaveFault brings in, then the whole group, back to BACKUP once no
// member has a fault.
func (g *Group) tryLeaveFault(in *Instance, now time.Time) {
	if g.faulty() || g.pending() {
		return
	}
	for _, m := range g.members {
		m.initFault = false
	}
	if in.state == StateFault {
		in.leaveFault(now)
	}
	if in.state == StateMaster { // an address owner
		g.syncMaster(in, now)
		return
	}
	g.syncBackup(in, now)
}

// Stop reports the group stopped (after its members were stopped).
func (g *Group) Stop() []Action {
	if g.state == StateStop {
		return nil
	}
	g.setState(StateStop)
	a := g.acts
	g.acts = nil
	return a
}
