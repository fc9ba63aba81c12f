//go:build 386 || amd64 || arm || arm64 || loong64 || mipsle || mips64le || ppc64le || riscv64 || wasm

// The expected bytes below are written by hand from linux/ip_vs.h's
// attribute numbers and netlink's layout (struct nlmsghdr, struct
// genlmsghdr, struct nlattr padded to 4 bytes), for a little-endian host:
// netlink integers are in host order, ports and IPv4 masks in network
// order, as keepalived's libipvs puts them.

package ipvs

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// unhex reads hex with spaces, newlines and "# comments".
func unhex(t *testing.T, s string) []byte {
	t.Helper()
	var clean strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		clean.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(clean.String())
	if err != nil {
		t.Fatalf("bad expectation: %v", err)
	}
	return b
}

const tcpService = `
54 00 01 80                                     # IPVS_CMD_ATTR_SERVICE|NLA_F_NESTED, 84 bytes
06 00 01 00  02 00 00 00                        # IPVS_SVC_ATTR_AF = AF_INET (u16, padded)
06 00 02 00  06 00 00 00                        # IPVS_SVC_ATTR_PROTOCOL = IPPROTO_TCP
14 00 03 00  0a 00 00 64 00000000 00000000 00000000 # IPVS_SVC_ATTR_ADDR: union nf_inet_addr, 16 bytes
06 00 04 00  22 c3 00 00                        # IPVS_SVC_ATTR_PORT = htons(8899)
08 00 06 00  77 6c 63 00                        # IPVS_SVC_ATTR_SCHED_NAME "wlc\0"
0c 00 07 00  00 00 00 00 ff ff ff ff            # IPVS_SVC_ATTR_FLAGS {flags 0, mask ~0}
08 00 08 00  00 00 00 00                        # IPVS_SVC_ATTR_TIMEOUT 0
08 00 09 00  ff ff ff ff                        # IPVS_SVC_ATTR_NETMASK 255.255.255.255
`

func tcpSvc() *Service {
	return &Service{Family: AFInet, Protocol: ProtoTCP, Addr: netip.MustParseAddr("10.0.0.100"), Port: 8899,
		Sched: "wlc", Netmask: 0xffffffff}
}

func TestMarshalBytes(t *testing.T) {
	cases := []struct {
		name string
		msg  Message
		want string
	}{
		{"new service tcp", Message{Type: 0x23, Flags: flagRequest | flagAck, Seq: 1, Cmd: CmdNewService, Version: 1, Service: tcpSvc()}, `
68 00 00 00  23 00  05 00  01 00 00 00  00 00 00 00 # nlmsghdr: 104 bytes, family 0x23, REQUEST|ACK, seq 1
01 01 00 00                                         # genlmsghdr: IPVS_CMD_NEW_SERVICE, version 1
` + tcpService},
		{"del service tcp", Message{Type: 0x23, Flags: 5, Seq: 9, Cmd: CmdDelService, Version: 1, Service: tcpSvc()}, `
68 00 00 00  23 00  05 00  09 00 00 00  00 00 00 00
03 01 00 00                                         # IPVS_CMD_DEL_SERVICE
` + tcpService},
		{"new dest masq", Message{Type: 0x23, Flags: 5, Seq: 2, Cmd: CmdNewDest, Version: 1, Service: tcpSvc(),
			Dest: &Dest{Family: AFInet, Addr: netip.MustParseAddr("10.0.0.2"), Port: 8443, FwdMethod: FwdMasq, Weight: 3}}, `
b0 00 00 00  23 00  05 00  02 00 00 00  00 00 00 00 # 176 bytes
05 01 00 00                                         # IPVS_CMD_NEW_DEST
` + tcpService + `
48 00 02 80                                     # IPVS_CMD_ATTR_DEST|NLA_F_NESTED, 72 bytes
06 00 0b 00  02 00 00 00                        # IPVS_DEST_ATTR_ADDR_FAMILY = AF_INET
14 00 01 00  0a 00 00 02 00000000 00000000 00000000 # IPVS_DEST_ATTR_ADDR
06 00 02 00  20 fb 00 00                        # IPVS_DEST_ATTR_PORT = htons(8443)
08 00 03 00  00 00 00 00                        # IPVS_DEST_ATTR_FWD_METHOD = IP_VS_CONN_F_MASQ
08 00 04 00  03 00 00 00                        # IPVS_DEST_ATTR_WEIGHT 3
08 00 05 00  00 00 00 00                        # IPVS_DEST_ATTR_U_THRESH
08 00 06 00  00 00 00 00                        # IPVS_DEST_ATTR_L_THRESH
`},
		{"set dest weight 0 droute thresholds", Message{Type: 0x23, Flags: 5, Seq: 3, Cmd: CmdSetDest, Version: 1, Service: tcpSvc(),
			Dest: &Dest{Family: AFInet, Addr: netip.MustParseAddr("10.0.0.3"), Port: 8899, FwdMethod: FwdRoute, Weight: 0, UThreshold: 100, LThreshold: 10}}, `
b0 00 00 00  23 00  05 00  03 00 00 00  00 00 00 00
06 01 00 00                                         # IPVS_CMD_SET_DEST
` + tcpService + `
48 00 02 80
06 00 0b 00  02 00 00 00
14 00 01 00  0a 00 00 03 00000000 00000000 00000000
06 00 02 00  22 c3 00 00
08 00 03 00  03 00 00 00                        # IP_VS_CONN_F_DROUTE
08 00 04 00  00 00 00 00                        # weight 0 (inhibit_on_failure)
08 00 05 00  64 00 00 00                        # u_threshold 100
08 00 06 00  0a 00 00 00                        # l_threshold 10
`},
		{"fwmark persistent granularity", Message{Type: 0x23, Flags: 5, Seq: 4, Cmd: CmdNewService, Version: 1,
			Service: &Service{Family: AFInet, Fwmark: 7, Sched: "rr", Flags: FlagPersistent, Timeout: 300, Netmask: 0x00ffffff}}, `
4c 00 00 00  23 00  05 00  04 00 00 00  00 00 00 00 # 76 bytes
01 01 00 00
38 00 01 80                                     # service, 56 bytes
06 00 01 00  02 00 00 00                        # AF_INET
08 00 05 00  07 00 00 00                        # IPVS_SVC_ATTR_FWMARK 7 (no protocol, address, port)
07 00 06 00  72 72 00 00                        # "rr\0" padded
0c 00 07 00  01 00 00 00 ff ff ff ff            # IP_VS_SVC_F_PERSISTENT
08 00 08 00  2c 01 00 00                        # timeout 300
08 00 09 00  ff ff ff 00                        # netmask 255.255.255.0 in network order
`},
		{"ipv6 udp mh flags ops", Message{Type: 0x23, Flags: 5, Seq: 5, Cmd: CmdNewService, Version: 1,
			Service: &Service{Family: AFInet6, Protocol: ProtoUDP, Addr: netip.MustParseAddr("2001:db8::1"), Port: 53, Sched: "mh",
				Flags: FlagOnePacket | FlagSched1 | FlagSched2, Netmask: 128}}, `
68 00 00 00  23 00  05 00  05 00 00 00  00 00 00 00
01 01 00 00
54 00 01 80
06 00 01 00  0a 00 00 00                        # AF_INET6
06 00 02 00  11 00 00 00                        # IPPROTO_UDP
14 00 03 00  20 01 0d b8 00000000 00000000 00000001
06 00 04 00  00 35 00 00                        # port 53
07 00 06 00  6d 68 00 00                        # "mh\0"
0c 00 07 00  1c 00 00 00 ff ff ff ff            # ONEPACKET|SCHED1 (mh-fallback)|SCHED2 (mh-port)
08 00 08 00  00 00 00 00
08 00 09 00  80 00 00 00                        # IPv6 netmask: prefix length 128
`},
		{"tunnel gue dest", Message{Type: 0x23, Flags: 5, Seq: 6, Cmd: CmdNewDest, Version: 1, Service: tcpSvc(),
			Dest: &Dest{Family: AFInet, Addr: netip.MustParseAddr("10.0.0.4"), Port: 8899, FwdMethod: FwdTunnel, Weight: 1,
				TunType: TunGUE, TunPort: 6081, TunFlags: TunFlagCsum}}, `
c8 00 00 00  23 00  05 00  06 00 00 00  00 00 00 00 # 200 bytes
05 01 00 00
` + tcpService + `
60 00 02 80                                     # dest, 96 bytes
06 00 0b 00  02 00 00 00
14 00 01 00  0a 00 00 04 00000000 00000000 00000000
06 00 02 00  22 c3 00 00
08 00 03 00  02 00 00 00                        # IP_VS_CONN_F_TUNNEL
08 00 04 00  01 00 00 00
05 00 0d 00  01 00 00 00                        # IPVS_DEST_ATTR_TUN_TYPE GUE (u8)
06 00 0e 00  17 c1 00 00                        # IPVS_DEST_ATTR_TUN_PORT htons(6081)
06 00 0f 00  01 00 00 00                        # IPVS_DEST_ATTR_TUN_FLAGS CSUM (u16)
08 00 05 00  00 00 00 00
08 00 06 00  00 00 00 00
`},
		{"tunnel ipip dest has only the type", Message{Type: 0x23, Flags: 5, Seq: 7, Cmd: CmdDelDest, Version: 1, Service: tcpSvc(),
			Dest: &Dest{Family: AFInet, Addr: netip.MustParseAddr("10.0.0.4"), Port: 8899, FwdMethod: FwdTunnel, Weight: 1}}, `
b8 00 00 00  23 00  05 00  07 00 00 00  00 00 00 00
07 01 00 00                                         # IPVS_CMD_DEL_DEST
` + tcpService + `
50 00 02 80
06 00 0b 00  02 00 00 00
14 00 01 00  0a 00 00 04 00000000 00000000 00000000
06 00 02 00  22 c3 00 00
08 00 03 00  02 00 00 00
08 00 04 00  01 00 00 00
05 00 0d 00  00 00 00 00                        # TUN_TYPE IPIP, no port nor flags
08 00 05 00  00 00 00 00
08 00 06 00  00 00 00 00
`},
		{"flush", Message{Type: 0x23, Flags: 5, Seq: 8, Cmd: CmdFlush, Version: 1}, `
14 00 00 00  23 00  05 00  08 00 00 00  00 00 00 00
11 01 00 00                                         # IPVS_CMD_FLUSH, no attributes
`},
		{"get info", Message{Type: 0x23, Flags: 5, Seq: 10, Cmd: CmdGetInfo, Version: 1}, `
14 00 00 00  23 00  05 00  0a 00 00 00  00 00 00 00
0f 01 00 00                                         # IPVS_CMD_GET_INFO
`},
	}
	for _, c := range cases {
		got, err := c.msg.Marshal()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want := unhex(t, c.want)
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %x\nwant %x", c.name, got, want)
			continue
		}
		// Round trip: the decoder gives the message back.
		back, err := Parse(got)
		if err != nil {
			t.Fatalf("%s: Parse: %v", c.name, err)
		}
		if !reflect.DeepEqual(*back, c.msg) {
			t.Errorf("%s: round trip\n got %+v %+v %+v\nwant %+v %+v %+v", c.name, back, back.Service, back.Dest, c.msg, c.msg.Service, c.msg.Dest)
		}
	}
}

func TestCtrlGetFamilyBytes(t *testing.T) {
	want := unhex(t, `
20 00 00 00  10 00  05 00  01 00 00 00  00 00 00 00 # GENL_ID_CTRL, REQUEST|ACK
03 01 00 00                                         # CTRL_CMD_GETFAMILY, version 1 (as libnl's genl_ctrl_resolve)
09 00 02 00  49 50 56 53 00 00 00 00                # CTRL_ATTR_FAMILY_NAME "IPVS\0"
`)
	if got := CtrlGetFamily(FamilyName, 1); !bytes.Equal(got, want) {
		t.Fatalf("got %x\nwant %x", got, want)
	}
}

func TestParseInfoReply(t *testing.T) {
	// The kernel's answer to IPVS_CMD_GET_INFO (cmd IPVS_CMD_SET_INFO).
	b := unhex(t, `
24 00 00 00  23 00  00 00  0a 00 00 00  7b 00 00 00
0e 01 00 00
08 00 01 00  01 02 01 00                        # IPVS_INFO_ATTR_VERSION 0x010201
08 00 02 00  00 10 00 00                        # IPVS_INFO_ATTR_CONN_TAB_SIZE 4096
`)
	m, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Info == nil || m.Info.Version != 0x010201 || m.Info.ConnTabSize != 4096 || m.Info.VersionString() != "1.2.1" {
		t.Fatalf("got %+v", m.Info)
	}
}

func TestParseDestReplyCounters(t *testing.T) {
	b := unhex(t, `
3c 00 00 00  23 00  02 00  01 00 00 00  00 00 00 00 # NLM_F_MULTI
08 01 00 00                                         # IPVS_CMD_GET_DEST reply
28 00 02 80
14 00 01 00  0a 00 00 02 00000000 00000000 00000000 # no ADDR_FAMILY (older kernel): IPv4 assumed
06 00 02 00  00 50 00 00
08 00 07 00  05 00 00 00                        # IPVS_DEST_ATTR_ACTIVE_CONNS 5
`)
	m, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Dest == nil || m.Dest.Addr != netip.MustParseAddr("10.0.0.2") || m.Dest.Port != 80 || m.Dest.ActiveConns != 5 {
		t.Fatalf("got %+v", m.Dest)
	}
}
