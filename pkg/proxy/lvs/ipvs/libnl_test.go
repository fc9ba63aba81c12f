package ipvs

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// TestLibnlOracle builds the same messages with libnl (the library
// Debian's keepalived 2.2.7 links, driven through python3's ctypes in the
// order keepalived's libipvs puts the attributes) and compares the bytes
// with Marshal's: padding, string terminators, NLA_F_NESTED on the nests,
// byte orders.
func TestLibnlOracle(t *testing.T) {
	if _, err := os.Stat("/usr/lib/x86_64-linux-gnu/libnl-genl-3.so.200"); err != nil {
		if _, err2 := os.Stat("/lib/x86_64-linux-gnu/libnl-genl-3.so.200"); err2 != nil {
			testenv.Unavailable(t, "libnl-genl-3 (keepalived's netlink library) is not installed")
		}
	}
	if _, err := exec.LookPath("python3"); err != nil {
		testenv.Unavailable(t, "python3 is not installed")
	}
	type svcSpec struct {
		AF       uint16 `json:"af"`
		Fwmark   uint32 `json:"fwmark"`
		Protocol uint16 `json:"protocol"`
		Addr     string `json:"addr"`
		Port     uint16 `json:"port"`
		Sched    string `json:"sched"`
		Flags    uint32 `json:"flags"`
		Timeout  uint32 `json:"timeout"`
		Netmask  uint32 `json:"netmask"`
	}
	type destSpec struct {
		AF       uint16 `json:"af"`
		Addr     string `json:"addr"`
		Port     uint16 `json:"port"`
		Fwd      uint32 `json:"fwd"`
		Weight   uint32 `json:"weight"`
		TunType  uint8  `json:"tun_type"`
		TunPort  uint16 `json:"tun_port"`
		TunFlags uint16 `json:"tun_flags"`
		U        uint32 `json:"u"`
		L        uint32 `json:"l"`
	}
	msgs := []*Message{
		{Cmd: CmdNewService, Service: &Service{Family: AFInet, Protocol: ProtoTCP, Addr: netip.MustParseAddr("10.0.0.100"), Port: 8899, Sched: "wlc", Netmask: ^uint32(0)}},
		{Cmd: CmdNewService, Service: &Service{Family: AFInet, Fwmark: 7, Sched: "rr", Flags: FlagPersistent, Timeout: 300, Netmask: 0x00ffffff}},
		{Cmd: CmdDelService, Service: &Service{Family: AFInet6, Protocol: ProtoSCTP, Addr: netip.MustParseAddr("2001:db8::1"), Port: 443, Sched: "lblcr", Flags: FlagSched3, Netmask: 128}},
		{Cmd: CmdNewDest, Service: &Service{Family: AFInet, Protocol: ProtoUDP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 53, Sched: "mh", Flags: FlagOnePacket | FlagSched1 | FlagSched2, Netmask: ^uint32(0)},
			Dest: &Dest{Family: AFInet, Addr: netip.MustParseAddr("10.0.1.1"), Port: 53, FwdMethod: FwdRoute, Weight: 7, UThreshold: 1000, LThreshold: 100}},
		{Cmd: CmdSetDest, Service: &Service{Family: AFInet, Protocol: ProtoTCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 80, Sched: "sh", Netmask: ^uint32(0)},
			Dest: &Dest{Family: AFInet, Addr: netip.MustParseAddr("10.0.1.2"), Port: 80, FwdMethod: FwdTunnel, Weight: 0, TunType: TunGUE, TunPort: 6080, TunFlags: TunFlagRemCsm}},
		{Cmd: CmdDelDest, Service: &Service{Family: AFInet6, Fwmark: 3, Sched: "wrr", Netmask: 128},
			Dest: &Dest{Family: AFInet6, Addr: netip.MustParseAddr("2001:db8::9"), Port: 8080, FwdMethod: FwdTunnel, Weight: 1, TunType: TunGRE, TunFlags: TunFlagCsum}},
		{Cmd: CmdFlush},
	}
	var specs []map[string]any
	for i, m := range msgs {
		m.Type, m.Flags, m.Seq, m.Version = 0x23, flagRequest|flagAck, uint32(i+1), FamilyVersion
		spec := map[string]any{"family": 0x23, "seq": m.Seq, "cmd": m.Cmd}
		if s := m.Service; s != nil {
			ss := svcSpec{AF: s.Family, Fwmark: s.Fwmark, Protocol: s.Protocol, Port: s.Port, Sched: s.Sched, Flags: s.Flags, Timeout: s.Timeout, Netmask: s.Netmask}
			if s.Addr.IsValid() {
				ss.Addr = s.Addr.String()
			}
			spec["svc"] = ss
		}
		if d := m.Dest; d != nil {
			spec["dest"] = destSpec{AF: d.Family, Addr: d.Addr.String(), Port: d.Port, Fwd: d.FwdMethod, Weight: d.Weight,
				TunType: d.TunType, TunPort: d.TunPort, TunFlags: d.TunFlags, U: d.UThreshold, L: d.LThreshold}
		}
		specs = append(specs, spec)
	}
	in, _ := json.Marshal(specs)
	cmd := exec.Command("python3", "testdata/libnl_ipvs.py")
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("libnl builder: %v\n%s", err, out)
	}
	lines := strings.Fields(string(out))
	if len(lines) != len(msgs) {
		t.Fatalf("libnl builder gave %d messages for %d:\n%s", len(lines), len(msgs), out)
	}
	for i, m := range msgs {
		want, err := hex.DecodeString(lines[i])
		if err != nil {
			t.Fatalf("libnl builder output %q: %v", lines[i], err)
		}
		got, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("message %d (cmd %d):\n  ours %x\n libnl %x", i, m.Cmd, got, want)
		}
	}
}
