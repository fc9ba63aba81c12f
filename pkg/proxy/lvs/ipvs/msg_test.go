package ipvs

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestParseRejectsMalformed(t *testing.T) {
	good, err := (&Message{Type: 0x23, Flags: 5, Seq: 1, Cmd: CmdNewDest, Version: 1, Service: &Service{Family: AFInet, Protocol: ProtoTCP,
		Addr: netip.MustParseAddr("10.0.0.1"), Port: 80, Sched: "rr", Netmask: ^uint32(0)},
		Dest: &Dest{Family: AFInet, Addr: netip.MustParseAddr("10.0.0.2"), Port: 80, Weight: 1}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	// Every truncation is refused or decoded, never a panic.
	for i := range good {
		_, _ = Parse(good[:i])
	}
	if _, err := Parse(good[:10]); err == nil {
		t.Fatal("a 10-byte message was accepted")
	}
	bad := append([]byte(nil), good...)
	bad[20] = 0xff // the service attribute's length runs past the end
	bad[21] = 0xff
	if _, err := Parse(bad); err == nil {
		t.Fatal("an attribute longer than the message was accepted")
	}
}

func TestMarshalRefuses(t *testing.T) {
	if _, err := (&Message{Cmd: CmdNewService, Service: &Service{Family: AFInet, Sched: "rr"}}).Marshal(); err == nil {
		t.Fatal("a service without address nor fwmark was encoded")
	}
	_, err := (&Message{Cmd: CmdNewService, Service: &Service{Fwmark: 1, Sched: strings.Repeat("x", 16)}}).Marshal()
	if err == nil || !strings.Contains(err.Error(), "longer than 15") {
		t.Fatalf("long scheduler name: %v", err)
	}
	if _, err := (&Message{Cmd: CmdNewDest, Service: &Service{Fwmark: 1, Sched: "rr"}, Dest: &Dest{}}).Marshal(); err == nil {
		t.Fatal("a destination without address was encoded")
	}
}

func FuzzParse(f *testing.F) {
	seeds := []*Message{
		{Type: 0x23, Flags: 5, Seq: 1, Cmd: CmdNewService, Version: 1, Service: &Service{Family: AFInet, Protocol: ProtoTCP,
			Addr: netip.MustParseAddr("10.0.0.1"), Port: 80, Sched: "wlc", Netmask: ^uint32(0)}},
		{Type: 0x23, Flags: 5, Seq: 2, Cmd: CmdNewDest, Version: 1, Service: &Service{Family: AFInet6, Fwmark: 3, Sched: "mh", Netmask: 128},
			Dest: &Dest{Family: AFInet6, Addr: netip.MustParseAddr("2001:db8::2"), Port: 80, FwdMethod: FwdTunnel, TunType: TunGRE, TunFlags: 2}},
		{Type: 0x23, Cmd: CmdSetInfo, Version: 1, Info: &Info{Version: 0x010201, ConnTabSize: 4096}},
	}
	for _, m := range seeds {
		b, err := m.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			return
		}
		// What decodes re-encodes (when it is encodable) and decodes
		// to the same message.
		if m.Service != nil && m.Service.Fwmark == 0 && !m.Service.Addr.IsValid() {
			return
		}
		if m.Dest != nil && !m.Dest.Addr.IsValid() {
			return
		}
		if m.Service != nil && len(m.Service.Sched) >= maxSchedNm {
			return
		}
		out, err := m.Marshal()
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", m, err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if !reflect.DeepEqual(norm(back), norm(m)) {
			t.Fatalf("round trip changed the message:\n%+v\n%+v", back, m)
		}
	})
}

// norm drops what an encoding does not carry: a fwmark service has no
// protocol, address or port; only tunnels carry tunnel fields; counters
// are the kernel's; the family decides how an address is read.
func norm(m *Message) Message {
	c := *m
	if m.Service != nil {
		s := *m.Service
		if s.Fwmark != 0 {
			s.Protocol, s.Addr, s.Port = 0, netip.Addr{}, 0
		}
		if s.Addr.Is4() && s.Family == AFInet6 || s.Addr.Is6() && s.Family != AFInet6 {
			s.Addr = netip.Addr{}
		}
		s.Sched = strings.SplitN(s.Sched, "\x00", 2)[0]
		c.Service = &s
	}
	if m.Dest != nil {
		d := *m.Dest
		d.ActiveConns, d.InactConns, d.PersistConns = 0, 0, 0
		if d.FwdMethod != FwdTunnel {
			d.TunType, d.TunPort, d.TunFlags = 0, 0, 0
		}
		if d.TunType != TunGUE {
			d.TunPort = 0
		}
		if d.TunType == TunIPIP {
			d.TunFlags = 0
		}
		if d.Addr.Is4() && d.Family == AFInet6 || d.Addr.Is6() && d.Family != AFInet6 {
			d.Addr = netip.Addr{}
		}
		c.Dest = &d
	}
	if m.Info != nil && m.Cmd != CmdSetInfo && m.Cmd != CmdGetInfo {
		c.Info = nil
	}
	return c
}
