package lvs

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/proxy/lvs/ipvs"
)

// fakeConn records the IPVS commands the Kernel data plane sends, as
// ipvsadm would show them; fail makes a command fail with an errno.
type fakeConn struct {
	ops  []string
	fail map[string]syscall.Errno
}

func svcText(s *ipvs.Service) string {
	id := fmt.Sprintf("%s:%d/%d", s.Addr, s.Port, s.Protocol)
	if s.Fwmark != 0 {
		id = fmt.Sprintf("fwm%d", s.Fwmark)
	}
	out := fmt.Sprintf("%s af%d %s f%#x", id, s.Family, s.Sched, s.Flags)
	if s.Timeout != 0 {
		out += fmt.Sprintf(" t%d", s.Timeout)
	}
	if s.Netmask != ^uint32(0) {
		out += fmt.Sprintf(" m%#x", s.Netmask)
	}
	return out
}

func destText(d *ipvs.Dest) string {
	return fmt.Sprintf("%s:%d fwd%d w%d", d.Addr, d.Port, d.FwdMethod, d.Weight)
}

func (f *fakeConn) rec(op string) error {
	f.ops = append(f.ops, op)
	for k, en := range f.fail {
		if strings.HasPrefix(op, k) {
			return &ipvs.Errno{Errno: en}
		}
	}
	return nil
}

func (f *fakeConn) Flush() error                     { return f.rec("flush") }
func (f *fakeConn) NewService(s *ipvs.Service) error { return f.rec("add-svc " + svcText(s)) }
func (f *fakeConn) DelService(s *ipvs.Service) error { return f.rec("del-svc " + svcText(s)) }
func (f *fakeConn) NewDest(s *ipvs.Service, d *ipvs.Dest) error {
	return f.rec("add-dest " + destText(d) + " to " + svcText(s))
}
func (f *fakeConn) SetDest(s *ipvs.Service, d *ipvs.Dest) error {
	return f.rec("set-dest " + destText(d) + " to " + svcText(s))
}
func (f *fakeConn) DelDest(s *ipvs.Service, d *ipvs.Dest) error {
	return f.rec("del-dest " + destText(d) + " to " + svcText(s))
}

func (f *fakeConn) take() string {
	s := strings.Join(f.ops, "\n")
	f.ops = nil
	return s
}

// TestKernelSequence drives a Manager on the kernel data plane through
// start, a real server down and up, inhibit_on_failure, the quorum lost
// with a sorry server coming in and going, and shutdown, and checks the
// IPVS commands sent at each step.
func TestKernelSequence(t *testing.T) {
	s := testService(2)
	s.Persistence, s.Granularity = 300*time.Second, netip.MustParsePrefix("255.255.255.0/24")
	s.Reals[1].Inhibit = true
	s.Quorum = 2
	s.Sorry = &Dest{Addr: netip.MustParseAddrPort("10.0.0.50:8443"), Weight: 1, Kind: "NAT", IsSorry: true}
	conn, rec := &fakeConn{}, &recorder{}
	k := NewKernel(conn, rec.hooks().Logf)
	m := NewManager([]*Service{s}, Options{Table: k, Hooks: rec.hooks(), Clock: idleClock{}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Run(ctx)
	}()
	<-m.running
	// The service command carries the persistence; the destination
	// commands name the service without it (keepalived's ipvs_set_srule).
	svc := "10.0.0.100:8899/6 af2 rr f0x0"
	expect(t, "start", conn.take(), strings.Join([]string{
		"add-svc 10.0.0.100:8899/6 af2 rr f0x1 t300 m0xffffff",
		"add-dest 10.0.0.2:8443 fwd0 w1 to " + svc,
		"add-dest 10.0.0.3:8443 fwd0 w1 to " + svc,
	}, "\n"))

	d0, d1 := s.Reals[0], s.Reals[1]
	// The first real server fails: it leaves; the quorum (2) is lost and
	// the sorry server replaces the alive ones (the inhibited one stays
	// with weight 0).
	m.pool.changed(d0, false)
	expect(t, "down, quorum lost", conn.take(), strings.Join([]string{
		"del-dest 10.0.0.2:8443 fwd0 w1 to " + svc,
		"set-dest 10.0.0.3:8443 fwd0 w0 to " + svc,
		"add-dest 10.0.0.50:8443 fwd0 w1 to " + svc,
	}, "\n"))
	// It comes back: quorum gained, sorry server out, alive ones in.
	m.pool.changed(d0, true)
	expect(t, "up, quorum gained", conn.take(), strings.Join([]string{
		"del-dest 10.0.0.50:8443 fwd0 w1 to " + svc,
		"add-dest 10.0.0.2:8443 fwd0 w1 to " + svc,
		"set-dest 10.0.0.3:8443 fwd0 w1 to " + svc,
	}, "\n"))
	// The inhibited one fails (quorum lost again: sorry server in).
	m.pool.changed(d1, false)
	expect(t, "inhibit", conn.take(), strings.Join([]string{
		"set-dest 10.0.0.3:8443 fwd0 w0 to " + svc,
		"del-dest 10.0.0.2:8443 fwd0 w1 to " + svc,
		"add-dest 10.0.0.50:8443 fwd0 w1 to " + svc,
	}, "\n"))
	m.pool.changed(d1, true)
	conn.take()
	// misc_dynamic weight change of an alive server.
	m.pool.setWeight(d0, 5)
	expect(t, "weight", conn.take(), "set-dest 10.0.0.2:8443 fwd0 w5 to "+svc)

	cancel()
	<-done
	expect(t, "shutdown", conn.take(), strings.Join([]string{
		"del-dest 10.0.0.2:8443 fwd0 w1 to " + svc,
		"del-dest 10.0.0.3:8443 fwd0 w1 to " + svc,
		"del-svc 10.0.0.100:8899/6 af2 rr f0x1 t300 m0xffffff",
	}, "\n"))
	if logs := rec.take(); !strings.Contains(logs, "Lost quorum 2-0=2 > 1 for VS [10.0.0.100]:tcp:8899") ||
		!strings.Contains(logs, "Adding sorry server [10.0.0.50]:tcp:8443 to VS [10.0.0.100]:tcp:8899") {
		t.Errorf("log lines:\n%s", logs)
	}
}

// TestKernelRules checks the translation of virtual_server settings into
// IPVS services and destinations: groups give one service per address,
// fwmark services, UDP with ops, scheduler flags, DR/TUN methods,
// thresholds and IPv6.
func TestKernelRules(t *testing.T) {
	conn := &fakeConn{}
	k := NewKernel(conn, nil)
	s := &Service{Addrs: []netip.AddrPort{netip.MustParseAddrPort("10.0.0.1:53"), netip.MustParseAddrPort("10.0.0.2:53")},
		Group: "G", Fwmark: 9, Protocol: "udp", Algo: "mh", Flags: map[string]bool{"mh-port": true, "mh-fallback": true, "ops": true}}
	d := &Dest{Addr: netip.MustParseAddrPort("10.0.1.1:53"), Weight: 2, Kind: "TUN", Tunnel: "gue", TunnelPort: 6080, UThreshold: 9}
	s.Reals = []*Dest{d}
	if err := k.AddService(s); err != nil {
		t.Fatal(err)
	}
	if err := k.AddDest(s, d, 2); err != nil {
		t.Fatal(err)
	}
	expect(t, "group", conn.take(), strings.Join([]string{
		"add-svc 10.0.0.1:53/17 af2 mh f0x1c",
		"add-svc 10.0.0.2:53/17 af2 mh f0x1c",
		"add-svc fwm9 af2 mh f0x1c",
		"add-dest 10.0.1.1:53 fwd2 w2 to 10.0.0.1:53/17 af2 mh f0x1c",
		"add-dest 10.0.1.1:53 fwd2 w2 to 10.0.0.2:53/17 af2 mh f0x1c",
		"add-dest 10.0.1.1:53 fwd2 w2 to fwm9 af2 mh f0x1c",
	}, "\n"))
	r := destRule(d, 2)
	if r.TunType != ipvs.TunGUE || r.TunPort != 6080 || r.UThreshold != 9 {
		t.Errorf("tunnel destination %+v", r)
	}
	// ops is dropped for TCP; DR; IPv6 netmask 128.
	s6 := &Service{Addrs: []netip.AddrPort{netip.MustParseAddrPort("[2001:db8::1]:80")}, Protocol: "tcp", Algo: "sh",
		Flags: map[string]bool{"ops": true, "sh-port": true}}
	d6 := &Dest{Addr: netip.MustParseAddrPort("[2001:db8::2]:80"), Weight: 1, Kind: "DR"}
	_ = k.AddService(s6)
	_ = k.AddDest(s6, d6, 1)
	expect(t, "ipv6", conn.take(), "add-svc 2001:db8::1:80/6 af10 sh f0x10 m0x80\nadd-dest 2001:db8::2:80 fwd3 w1 to 2001:db8::1:80/6 af10 sh f0x10 m0x80")
}

// TestKernelErrors checks keepalived's ipvs_talk rules: an add of what
// exists and a delete of what is gone are logged and done; an edit of a
// missing destination adds it; other failures are errors with
// keepalived's line.
func TestKernelErrors(t *testing.T) {
	s := testService(1)
	d := s.Reals[0]
	rec := &recorder{}
	conn := &fakeConn{fail: map[string]syscall.Errno{"add-svc": syscall.EEXIST, "set-dest": syscall.ENOENT, "del-dest": syscall.ENOENT}}
	k := NewKernel(conn, rec.hooks().Logf)
	if err := k.AddService(s); err != nil {
		t.Errorf("EEXIST on add: %v", err)
	}
	if err := k.EditDest(s, d, 0); err != nil {
		t.Errorf("ENOENT on edit: %v", err)
	}
	if err := k.RemoveDest(s, d); err != nil {
		t.Errorf("ENOENT on delete: %v", err)
	}
	expect(t, "commands", conn.take(), strings.Join([]string{
		"add-svc 10.0.0.100:8899/6 af2 rr f0x0",
		"set-dest 10.0.0.2:8443 fwd0 w0 to 10.0.0.100:8899/6 af2 rr f0x0",
		"add-dest 10.0.0.2:8443 fwd0 w0 to 10.0.0.100:8899/6 af2 rr f0x0",
		"del-dest 10.0.0.2:8443 fwd0 w1 to 10.0.0.100:8899/6 af2 rr f0x0",
	}, "\n"))
	expect(t, "log", rec.take(), strings.Join([]string{
		"IPVS cmd IP_VS_SO_SET_ADD(1154) error: Service already exists(17) (10.0.0.100:tcp:8899)",
		"IPVS cmd IP_VS_SO_SET_DELDEST(1160) error: No such destination(2) (10.0.0.100:tcp:8899 -> 10.0.0.2:8443)",
	}, "\n"))
	conn.fail = map[string]syscall.Errno{"add-dest": syscall.ESRCH}
	err := k.AddDest(s, d, 1)
	if err == nil || err.Error() != "IPVS cmd IP_VS_SO_SET_ADDDEST(1159) error: Service not defined(3) (10.0.0.100:tcp:8899 -> 10.0.0.2:8443)" {
		t.Errorf("ESRCH on add dest: %v", err)
	}
}

func TestRuleText(t *testing.T) {
	s6 := &ipvs.Service{Family: ipvs.AFInet6, Fwmark: 7}
	d6 := &ipvs.Dest{Addr: netip.MustParseAddr("2001:db8::2"), Port: 80}
	expect(t, "fwmark inet6", ruleText(s6, d6), " (Fwm 7 inet6 -> 2001:db8::2:80)")
	s := &ipvs.Service{Family: ipvs.AFInet, Protocol: ipvs.ProtoSCTP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 9}
	expect(t, "sctp", ruleText(s, nil), " (10.0.0.1:sctp:9)")
}
