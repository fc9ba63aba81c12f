package lvs

import (
	"context"
	"net/netip"
	"testing"
	"time"
)

// idleClock never lets a checker run: its Sleep waits for the context.
type idleClock struct{}

func (idleClock) Now() time.Time { return time.Unix(0, 0) }

func (idleClock) Sleep(ctx context.Context, _ time.Duration) error {
	<-ctx.Done()
	return ctx.Err()
}

// ReloadReals keeps the unchanged real server (no table operation, its
// checker goes on), removes the one gone with keepalived's line and its
// notify_down, and adds the new one with its checker.
func TestReloadReals(t *testing.T) {
	s := testService(2)
	tb, rec := &fakeTable{}, &recorder{}
	m := NewManager([]*Service{s}, Options{Table: tb, Hooks: rec.hooks(), Clock: idleClock{}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Run(ctx)
	}()
	<-m.running
	tb.take()
	rec.take()
	rec.scripts = nil
	keptChecker := m.cks[0]

	ns := testService(2)
	ns.Reals[1] = &Dest{Addr: netip.MustParseAddrPort("10.0.0.9:8443"), Weight: 2, Kind: "NAT",
		Checkers: []*CheckerSpec{{Type: "TCP_CHECK", Connect: netip.MustParseAddrPort("10.0.0.9:8443"), Retry: 1, DelayLoop: time.Second, ConnectTimeout: time.Second}}}
	if !m.ReloadReals(ns) {
		t.Fatal("ReloadReals refused a running single-service Manager")
	}
	expect(t, "table", tb.take(), "del 10.0.0.3:8443; add 10.0.0.9:8443 w2")
	expect(t, "log", rec.take(), "Removing service [10.0.0.3]:tcp:8443 from VS [10.0.0.100]:tcp:8899\nActivating healthchecker for service [10.0.0.9]:tcp:8443 for VS [10.0.0.100]:tcp:8899")
	if len(rec.scripts) != 1 || rec.scripts[0] != "/down 1" {
		t.Errorf("scripts %q, want the removed server's notify_down", rec.scripts)
	}
	if len(s.Reals) != 2 || s.Reals[0] != keptChecker.dest || s.Reals[1] != ns.Reals[1] {
		t.Errorf("the Manager's service has the real servers %v", s.Reals)
	}
	if len(m.cks) != 2 || m.cks[0] != keptChecker {
		t.Errorf("checkers after the reload: %d, the kept one replaced: %v", len(m.cks), m.cks[0] != keptChecker)
	}
	snap := m.Snapshot()
	if len(snap) != 2 || !snap[0].Alive || !snap[1].Alive || snap[1].Weight != 2 {
		t.Errorf("snapshot %+v", snap)
	}
	cancel()
	<-done
	if m.ReloadReals(ns) {
		t.Error("ReloadReals after the stop")
	}
}
