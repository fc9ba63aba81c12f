package lvs

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// fakeTable records the Table calls.
type fakeTable struct{ ops []string }

func (f *fakeTable) AddService(s *Service) error {
	f.ops = append(f.ops, "add-svc "+s.String())
	return nil
}
func (f *fakeTable) RemoveService(s *Service) error {
	f.ops = append(f.ops, "del-svc "+s.String())
	return nil
}
func (f *fakeTable) AddDest(s *Service, d *Dest, w int) error {
	f.ops = append(f.ops, fmt.Sprintf("add %s w%d", d.Addr, w))
	return nil
}
func (f *fakeTable) EditDest(s *Service, d *Dest, w int) error {
	f.ops = append(f.ops, fmt.Sprintf("edit %s w%d", d.Addr, w))
	return nil
}
func (f *fakeTable) RemoveDest(s *Service, d *Dest) error {
	f.ops = append(f.ops, fmt.Sprintf("del %s", d.Addr))
	return nil
}

func (f *fakeTable) take() string {
	s := strings.Join(f.ops, "; ")
	f.ops = nil
	return s
}

type recorder struct {
	logs    []string
	scripts []string
	alerts  []string
}

func (r *recorder) hooks() Hooks {
	return Hooks{
		Logf:   func(f string, a ...any) { r.logs = append(r.logs, fmt.Sprintf(f, a...)) },
		Notify: func(s string) { r.scripts = append(r.scripts, s) },
		Alert: func(a Alert) {
			who := a.Service.String()
			if a.Dest != nil {
				who = a.Service.FmtDest(a.Dest)
			}
			r.alerts = append(r.alerts, who+" "+a.State+" "+a.Message)
		},
	}
}

func (r *recorder) take() string {
	s := strings.Join(r.logs, "\n")
	r.logs = nil
	return s
}

func testService(n int, weights ...int) *Service {
	s := &Service{Addrs: []netip.AddrPort{netip.MustParseAddrPort("10.0.0.100:8899")}, Protocol: "tcp", Algo: "rr", Kind: "NAT", Quorum: 1}
	for i := 0; i < n; i++ {
		w := 1
		if i < len(weights) {
			w = weights[i]
		}
		d := &Dest{Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 2)}), 8443), Weight: w, Kind: "NAT", SmtpAlert: true,
			NotifyUp: fmt.Sprintf("/up %d", i), NotifyDown: fmt.Sprintf("/down %d", i)}
		d.Checkers = []*CheckerSpec{{Type: "TCP_CHECK", Connect: d.Addr, Retry: 1, DelayLoop: 6 * time.Second, DelayBeforeRetry: time.Second, ConnectTimeout: time.Second}}
		s.Reals = append(s.Reals, d)
	}
	return s
}

func expect(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s:\n got: %s\nwant: %s", what, got, want)
	}
}

func TestPoolAddRemove(t *testing.T) {
	s := testService(2)
	tb, rec := &fakeTable{}, &recorder{}
	p := newPool([]*Service{s}, tb, rec.hooks())
	p.start(nil)
	expect(t, "start", tb.take(), "add-svc [10.0.0.100]:tcp:8899; add 10.0.0.2:8443 w1; add 10.0.0.3:8443 w1")
	expect(t, "start logs", rec.take(), "")
	p.changed(s.Reals[0], false)
	expect(t, "down", tb.take(), "del 10.0.0.2:8443")
	expect(t, "down logs", rec.take(), "Removing service [10.0.0.2]:tcp:8443 from VS [10.0.0.100]:tcp:8899")
	p.changed(s.Reals[0], true)
	expect(t, "up", tb.take(), "add 10.0.0.2:8443 w1")
	expect(t, "up logs", rec.take(), "Adding service [10.0.0.2]:tcp:8443 to VS [10.0.0.100]:tcp:8899")
	expect(t, "scripts", strings.Join(rec.scripts, ","), "/down 0,/up 0")
	p.stop()
	expect(t, "stop", tb.take(), "del 10.0.0.2:8443; del 10.0.0.3:8443; del-svc [10.0.0.100]:tcp:8899")
	expect(t, "stop logs", rec.take(), "Shutting down service [10.0.0.2]:tcp:8443 from VS [10.0.0.100]:tcp:8899\nShutting down service [10.0.0.3]:tcp:8443 from VS [10.0.0.100]:tcp:8899")
}

func TestPoolInhibit(t *testing.T) {
	s := testService(2, 3, 1)
	s.Reals[0].Inhibit = true
	tb, rec := &fakeTable{}, &recorder{}
	p := newPool([]*Service{s}, tb, rec.hooks())
	p.start(nil)
	tb.take()
	p.changed(s.Reals[0], false)
	expect(t, "down", tb.take(), "edit 10.0.0.2:8443 w0")
	expect(t, "down logs", rec.take(), "Disabling service [10.0.0.2]:tcp:8443 of VS [10.0.0.100]:tcp:8899")
	p.changed(s.Reals[0], true)
	expect(t, "up", tb.take(), "edit 10.0.0.2:8443 w3")
	expect(t, "up logs", rec.take(), "Enabling service [10.0.0.2]:tcp:8443 of VS [10.0.0.100]:tcp:8899")
	p.changed(s.Reals[0], false)
	tb.take()
	rec.take()
	p.stop()
	expect(t, "stop", tb.take(), "del 10.0.0.2:8443; del 10.0.0.3:8443; del-svc [10.0.0.100]:tcp:8899")
	expect(t, "stop logs", rec.take(), "Shutting down (inhibited) service [10.0.0.2]:tcp:8443 from VS [10.0.0.100]:tcp:8899\nShutting down service [10.0.0.3]:tcp:8443 from VS [10.0.0.100]:tcp:8899")
}

func TestPoolInhibitAlphaStartsAtWeightZero(t *testing.T) {
	s := testService(1)
	s.Reals[0].Inhibit = true
	tb, rec := &fakeTable{}, &recorder{}
	p := newPool([]*Service{s}, tb, rec.hooks())
	p.start(map[*Dest]int{s.Reals[0]: 1})
	expect(t, "start", tb.take(), "add-svc [10.0.0.100]:tcp:8899; add 10.0.0.2:8443 w0")
	p.changed(s.Reals[0], true)
	expect(t, "up", tb.take(), "edit 10.0.0.2:8443 w1")
	expect(t, "up logs", rec.take(), "Enabling service [10.0.0.2]:tcp:8443 of VS [10.0.0.100]:tcp:8899\nGained quorum 1+0=1 <= 1 for VS [10.0.0.100]:tcp:8899")
}

func TestPoolSorryServer(t *testing.T) {
	s := testService(2)
	s.Sorry = &Dest{Addr: netip.MustParseAddrPort("10.0.0.9:8443"), Weight: 1, Kind: "NAT", IsSorry: true}
	s.QuorumUp, s.QuorumDown = "/qup", "/qdown"
	s.SmtpAlert = true
	tb, rec := &fakeTable{}, &recorder{}
	p := newPool([]*Service{s}, tb, rec.hooks())
	p.start(nil)
	tb.take()
	p.changed(s.Reals[0], false)
	tb.take()
	rec.take()
	p.changed(s.Reals[1], false)
	expect(t, "all down", tb.take(), "del 10.0.0.3:8443; add 10.0.0.9:8443 w1")
	expect(t, "all down logs", rec.take(), strings.Join([]string{
		"Removing service [10.0.0.3]:tcp:8443 from VS [10.0.0.100]:tcp:8899",
		"Lost quorum 1-0=1 > 0 for VS [10.0.0.100]:tcp:8899",
		"Adding sorry server [10.0.0.9]:tcp:8443 to VS [10.0.0.100]:tcp:8899",
		"Removing alive servers from the pool for VS [10.0.0.100]:tcp:8899",
	}, "\n"))
	p.changed(s.Reals[0], true)
	expect(t, "one up", tb.take(), "del 10.0.0.9:8443; add 10.0.0.2:8443 w1")
	expect(t, "one up logs", rec.take(), strings.Join([]string{
		"Adding service [10.0.0.2]:tcp:8443 to VS [10.0.0.100]:tcp:8899",
		"Gained quorum 1+0=1 <= 1 for VS [10.0.0.100]:tcp:8899",
		"Removing sorry server [10.0.0.9]:tcp:8443 from VS [10.0.0.100]:tcp:8899",
		"Adding alive servers to the pool for VS [10.0.0.100]:tcp:8899",
	}, "\n"))
	expect(t, "scripts", strings.Join(rec.scripts, ","), "/down 0,/down 1,/qdown,/up 0,/qup")
	expect(t, "alerts", strings.Join(rec.alerts, "|"), "[10.0.0.100]:tcp:8899 DOWN => Lost quorum 1+0=1 <= 0 <=|[10.0.0.100]:tcp:8899 UP => Gained quorum 1+0=1 <= 1 <=")
}

func TestPoolSorryInhibit(t *testing.T) {
	s := testService(1)
	s.Sorry = &Dest{Addr: netip.MustParseAddrPort("10.0.0.9:8443"), Weight: 1, Kind: "NAT", IsSorry: true, Inhibit: true}
	tb, rec := &fakeTable{}, &recorder{}
	p := newPool([]*Service{s}, tb, rec.hooks())
	p.start(nil)
	expect(t, "start", tb.take(), "add-svc [10.0.0.100]:tcp:8899; add 10.0.0.2:8443 w1; add 10.0.0.9:8443 w0")
	p.changed(s.Reals[0], false)
	expect(t, "down", tb.take(), "del 10.0.0.2:8443; edit 10.0.0.9:8443 w1")
	expect(t, "down logs", rec.take(), strings.Join([]string{
		"Removing service [10.0.0.2]:tcp:8443 from VS [10.0.0.100]:tcp:8899",
		"Lost quorum 1-0=1 > 0 for VS [10.0.0.100]:tcp:8899",
		"Enabling sorry server [10.0.0.9]:tcp:8443 to VS [10.0.0.100]:tcp:8899",
		"Removing alive servers from the pool for VS [10.0.0.100]:tcp:8899",
	}, "\n"))
	p.changed(s.Reals[0], true)
	expect(t, "up", tb.take(), "edit 10.0.0.9:8443 w0; add 10.0.0.2:8443 w1")
	expect(t, "up logs", rec.take(), strings.Join([]string{
		"Adding service [10.0.0.2]:tcp:8443 to VS [10.0.0.100]:tcp:8899",
		"Gained quorum 1+0=1 <= 1 for VS [10.0.0.100]:tcp:8899",
		"Disabling sorry server [10.0.0.9]:tcp:8443 from VS [10.0.0.100]:tcp:8899",
		"Adding alive servers to the pool for VS [10.0.0.100]:tcp:8899",
	}, "\n"))
}

func TestPoolAlphaStartWithSorry(t *testing.T) {
	s := testService(1)
	s.Sorry = &Dest{Addr: netip.MustParseAddrPort("10.0.0.9:8443"), Weight: 1, Kind: "NAT", IsSorry: true}
	tb, rec := &fakeTable{}, &recorder{}
	p := newPool([]*Service{s}, tb, rec.hooks())
	p.start(map[*Dest]int{s.Reals[0]: 1})
	expect(t, "start", tb.take(), "add-svc [10.0.0.100]:tcp:8899; add 10.0.0.9:8443 w1")
	expect(t, "start logs", rec.take(), strings.Join([]string{
		"Starting with quorum down 1-0=1 > 0 for VS [10.0.0.100]:tcp:8899",
		"Adding sorry server [10.0.0.9]:tcp:8443 to VS [10.0.0.100]:tcp:8899",
		"Removing alive servers from the pool for VS [10.0.0.100]:tcp:8899",
	}, "\n"))
}

func TestPoolQuorumHysteresis(t *testing.T) {
	s := testService(3)
	s.Quorum, s.Hysteresis = 2, 1
	tb, rec := &fakeTable{}, &recorder{}
	p := newPool([]*Service{s}, tb, rec.hooks())
	p.start(nil)
	rec.take()
	p.changed(s.Reals[0], false)
	p.changed(s.Reals[1], false)
	expect(t, "two down", rec.take(), "Removing service [10.0.0.2]:tcp:8443 from VS [10.0.0.100]:tcp:8899\nRemoving service [10.0.0.3]:tcp:8443 from VS [10.0.0.100]:tcp:8899")
	p.changed(s.Reals[2], false)
	expect(t, "three down", rec.take(), "Removing service [10.0.0.4]:tcp:8443 from VS [10.0.0.100]:tcp:8899\nLost quorum 2-1=1 > 0 for VS [10.0.0.100]:tcp:8899")
	p.changed(s.Reals[0], true)
	p.changed(s.Reals[1], true)
	expect(t, "two up", rec.take(), "Adding service [10.0.0.2]:tcp:8443 to VS [10.0.0.100]:tcp:8899\nAdding service [10.0.0.3]:tcp:8443 to VS [10.0.0.100]:tcp:8899")
	p.changed(s.Reals[2], true)
	expect(t, "three up", rec.take(), "Adding service [10.0.0.4]:tcp:8443 to VS [10.0.0.100]:tcp:8899\nGained quorum 2+1=3 <= 3 for VS [10.0.0.100]:tcp:8899")
}

func TestPoolTwoCheckers(t *testing.T) {
	// a real server leaves at its first failing checker and comes back
	// when the last one recovers
	s := testService(1)
	tb, rec := &fakeTable{}, &recorder{}
	p := newPool([]*Service{s}, tb, rec.hooks())
	p.start(nil)
	tb.take()
	d := s.Reals[0]
	p.changed(d, false)
	p.changed(d, false)
	expect(t, "down", tb.take(), "del 10.0.0.2:8443")
	p.changed(d, true)
	expect(t, "one up", tb.take(), "")
	p.changed(d, true)
	expect(t, "both up", tb.take(), "add 10.0.0.2:8443 w1")
	rec.take()
}

func TestPoolDynamicWeight(t *testing.T) {
	s := testService(1)
	tb, rec := &fakeTable{}, &recorder{}
	p := newPool([]*Service{s}, tb, rec.hooks())
	p.start(nil)
	tb.take()
	p.setWeight(s.Reals[0], 5)
	expect(t, "weight", tb.take(), "edit 10.0.0.2:8443 w5")
	expect(t, "weight logs", rec.take(), "Changing weight from 1 to 5 for active service [10.0.0.2]:tcp:8443 of VS [10.0.0.100]:tcp:8899")
	p.setWeight(s.Reals[0], 5)
	expect(t, "same weight", tb.take(), "")
}
