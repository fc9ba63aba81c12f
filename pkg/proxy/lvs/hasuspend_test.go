package lvs

import (
	"context"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// TestHaSuspend: the checkers of an ha_suspend virtual_server wait while
// its address is not on the host and start when it arrives.
func TestHaSuspend(t *testing.T) {
	s := testService(1)
	s.HaSuspend = true
	cs := s.Reals[0].Checkers[0]
	cs.DelayLoop, cs.Retry, cs.Warmup = 200*time.Millisecond, 0, 0
	// nothing listens on the real server: once running, the check fails
	s.Reals[0].Addr = netip.MustParseAddrPort(testenv.FreeLoopbackAddr(t))
	cs.Connect = s.Reals[0].Addr
	var local atomic.Bool
	lb := &logBook{t: t}
	m := NewManager([]*Service{s}, Options{Table: &fakeTable{}, Hooks: Hooks{Logf: lb.logf},
		AddrLocal: func(netip.Addr) bool { return local.Load() }, HaPoll: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	rs := s.FmtDest(s.Reals[0])
	lb.wait(t, "Deactivating healthchecker for service "+rs+" for VS [10.0.0.100]:tcp:8899", 1)
	time.Sleep(1500 * time.Millisecond) // bootstrap delay and a few loops
	if lb.count("TCP_CHECK on service "+rs+" failed.") != 0 {
		t.Fatalf("a suspended checker ran:\n%s", lb.dump())
	}
	local.Store(true)
	lb.wait(t, "Netlink reflector reports IP 10.0.0.100 added", 1)
	lb.wait(t, "Activating healthchecker for service "+rs+" for VS [10.0.0.100]:tcp:8899", 1)
	lb.wait(t, "TCP_CHECK on service "+rs+" failed.", 1)
	local.Store(false)
	lb.wait(t, "Netlink reflector reports IP 10.0.0.100 removed", 1)
	lb.wait(t, "Suspending healthchecker for service "+rs+" for VS [10.0.0.100]:tcp:8899", 1)
}
