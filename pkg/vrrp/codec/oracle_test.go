package codec

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// validateCases are adverts sent to a keepalived VRRPv2 instance (oracleInstance);
// Validate must give the reason keepalived logs.
// validateCase is an advert sent to keepalived; mod is applied to the VRRP
// message after encoding.
type validateCase = struct {
	name string
	p    Packet
	ttl  uint8
	mod  func(b []byte)
	// ah: send the advert behind an AH header built with this key.
	ah *[8]byte
}

// acceptedMsg is what keepalived logs for an accepted priority 0 advert in
// BACKUP state: the oracle's sign that Validate rightly accepted it.
const acceptedMsg = "Backup received priority 0 advertisement"

func validateCases() []validateCase {
	good := Packet{Version: 2, Type: 1, VRID: 51, Priority: 50, AuthType: AuthPass, AdvertInt: 1,
		Addresses: addrs("192.168.99.100", "192.168.99.101"), AuthData: PassData("secret12")}
	with := func(f func(p *Packet)) Packet {
		p := good
		p.Addresses = append([]netip.Addr(nil), good.Addresses...)
		f(&p)
		return p
	}
	return []validateCase{
		{"ttl", good, 64, nil, nil},
		{"version", with(func(p *Packet) { p.Version = 3; p.AdvertInt = 100 }), 255, nil, nil},
		{"no auth", with(func(p *Packet) { p.AuthType = AuthNone; p.AuthData = [8]byte{} }), 255, nil, nil},
		{"invalid auth type", with(func(p *Packet) { p.AuthType = 5 }), 255, nil, nil},
		{"bad password", with(func(p *Packet) { p.AuthData = PassData("wrong") }), 255, nil, nil},
		{"advert interval", with(func(p *Packet) { p.AdvertInt = 3 }), 255, nil, nil},
		{"type", with(func(p *Packet) { p.Type = 2 }), 255, nil, nil},
		{"address count", with(func(p *Packet) { p.Addresses = p.Addresses[:1] }), 255, nil, nil},
		{"checksum", good, 255, func(b []byte) { b[7] ^= 0xff }, nil},
		{"address list", with(func(p *Packet) { p.Addresses[1] = netip.MustParseAddr("192.168.99.199") }), 255, nil, nil},
		{"unknown vrid", with(func(p *Packet) { p.VRID = 77 }), 255, nil, nil},
		{"accepted", with(func(p *Packet) { p.Priority = 0 }), 255, nil, nil},
	}
}

var oracleInstance = InstanceParams{
	Name: "VI_1", Interface: "veth0", Version: 2, VRID: 51, AuthType: AuthPass, AuthPass: PassData("secret12"),
	AdvertIntCentis: 100, VIPs: addrs("192.168.99.100", "192.168.99.101"),
}

const oracleConf = `global_defs {
    router_id oracle
    log_unknown_vrids
}
vrrp_instance VI_1 {
    state BACKUP
    interface veth0
    virtual_router_id 51
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass secret12
    }
    virtual_ipaddress {
        192.168.99.100
        192.168.99.101
    }
}
`

// syncBuf is a goroutine-safe log collector.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// validateCasesV3 are sent to a VRRPv3 instance (oracleInstanceV3).
func validateCasesV3() []validateCase {
	good := Packet{Version: 3, Type: 1, VRID: 53, Priority: 50, AdvertInt: 100,
		Addresses: addrs("192.168.99.110", "192.168.99.111")}
	with := func(f func(p *Packet)) Packet {
		p := good
		p.Addresses = append([]netip.Addr(nil), good.Addresses...)
		f(&p)
		return p
	}
	return []validateCase{
		{"ttl", good, 1, nil, nil},
		{"version", with(func(p *Packet) { p.Version = 2; p.AdvertInt = 1 }), 255, nil, nil},
		{"checksum", good, 255, func(b []byte) { b[6] ^= 0x10 }, nil},
		{"type", with(func(p *Packet) { p.Type = 3 }), 255, nil, nil},
		{"address count", with(func(p *Packet) { p.Addresses = append(p.Addresses, netip.MustParseAddr("192.168.99.112")) }), 255, nil, nil},
		{"address list", with(func(p *Packet) { p.Addresses[0] = netip.MustParseAddr("192.168.99.1") }), 255, nil, nil},
		{"accepted", with(func(p *Packet) { p.Priority = 0 }), 255, nil, nil},
	}
}

var oracleInstanceV3 = InstanceParams{
	Name: "VI_3", Interface: "veth0", Version: 3, VRID: 53,
	AdvertIntCentis: 100, VIPs: addrs("192.168.99.110", "192.168.99.111"),
}

const oracleConfV3 = `global_defs {
    router_id oracle
    vrrp_version 3
}
vrrp_instance VI_3 {
    state BACKUP
    interface veth0
    virtual_router_id 53
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.168.99.110
        192.168.99.111
    }
}
`

// validateCasesAH are sent to an auth_type AH instance (oracleInstanceAH).
func validateCasesAH() []validateCase {
	good := Packet{Version: 2, Type: 1, VRID: 54, Priority: 0, AuthType: AuthAH, AdvertInt: 1,
		Addresses: addrs("192.168.99.104")}
	key, wrong := PassData("ahpass"), PassData("wrong")
	return []validateCase{
		{"bad ICV", good, 255, nil, &wrong},
		{"accepted", good, 255, nil, &key},
	}
}

var oracleInstanceAH = InstanceParams{
	Name: "VI_A", Interface: "veth0", Version: 2, VRID: 54, AuthType: AuthAH, AuthPass: PassData("ahpass"),
	AdvertIntCentis: 100, VIPs: addrs("192.168.99.104"),
}

const oracleConfAH = `global_defs {
    router_id oracle
}
vrrp_instance VI_A {
    state BACKUP
    interface veth0
    virtual_router_id 54
    priority 100
    advert_int 1
    authentication {
        auth_type AH
        auth_pass ahpass
    }
    virtual_ipaddress {
        192.168.99.104
    }
}
`

// TestValidateOracle sends adverts to keepalived 2.2.7 and checks that it
// logs the message Validate returns.
func TestValidateOracle(t *testing.T) {
	t.Run("v2", func(t *testing.T) { runOracle(t, oracleConf, oracleInstance, validateCases()) })
	t.Run("v3", func(t *testing.T) { runOracle(t, oracleConfV3, oracleInstanceV3, validateCasesV3()) })
	t.Run("ah", func(t *testing.T) { runOracle(t, oracleConfAH, oracleInstanceAH, validateCasesAH()) })
}

func runOracle(t *testing.T, conf string, inst InstanceParams, cases []validateCase) {
	testenv.RequireRoot(t)
	bin := testenv.Oracle(t, "keepalived")
	ns := testenv.NewNetNS(t, testenv.Iface{Name: "veth0", Addrs: []string{"192.168.99.1/24"}})
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	sendFD, ifindex := openSender(t, ns.Name, testenv.PeerName(0))
	defer unix.Close(sendFD)
	cmd := ns.Command(bin, "-n", "-l", "-D", "-P", "-f", cf,
		"-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid"))
	var log syncBuf
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	waitLog := func(s string, from int) bool {
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if strings.Contains(log.String()[from:], s) {
				return true
			}
		}
		return false
	}
	if !waitLog("("+inst.Name+") Entering BACKUP STATE", 0) {
		t.Fatalf("keepalived did not start:\n%s", log.String())
	}
	defer func() {
		if testing.Verbose() {
			t.Logf("keepalived log:\n%s", log.String())
		}
	}()
	src := netip.MustParseAddr("192.168.99.2")
	seq := uint32(1000) // above keepalived's own counter
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var pkt []byte
			var p Packet
			if tc.ah != nil {
				seq++
				var err error
				pkt, err = EncodeIPv4(tc.p, src, MulticastIPv4, IPv4Options{TTL: tc.ttl, ID: uint16(seq), Key: *tc.ah, Seq: seq})
				if err != nil {
					t.Fatal(err)
				}
				if p, err = DecodeIPv4(pkt); err != nil {
					t.Fatal(err)
				}
				CheckAH(&p, pkt, inst.AuthPass, false)
			} else {
				msg, err := Encode(tc.p, src, MulticastIPv4)
				if err != nil {
					t.Fatal(err)
				}
				if tc.mod != nil {
					tc.mod(msg)
				}
				if p, err = Decode(msg, src, MulticastIPv4, int(tc.ttl)); err != nil {
					t.Fatal(err)
				}
				pkt = ipv4Packet(msg, src, tc.ttl)
			}
			want := "(" + inst.Name + ") " + acceptedMsg
			if verr := Validate(p, inst); verr != nil {
				want = verr.Error()
			} else if p.Priority != 0 {
				t.Fatal("Validate accepts the advert")
			}
			from := len(log.String())
			sendRaw(t, sendFD, ifindex, pkt)
			if !waitLog(want, from) {
				t.Errorf("keepalived did not log %q; it logged:\n%s", want, log.String()[from:])
			}
		})
	}
}

// openSender opens an AF_PACKET datagram socket inside netns for sending on
// ifname.
func openSender(t *testing.T, netns, ifname string) (int, int) {
	t.Helper()
	type res struct {
		fd, idx int
		err     error
	}
	ch := make(chan res)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		r := res{fd: -1}
		defer func() { ch <- r }()
		nsfd, err := unix.Open("/run/netns/"+netns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			r.err = err
			return
		}
		defer unix.Close(nsfd)
		if r.err = unix.Setns(nsfd, unix.CLONE_NEWNET); r.err != nil {
			return
		}
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			r.err = err
			return
		}
		r.idx = ifi.Index
		r.fd, r.err = unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	}()
	r := <-ch
	if r.err != nil {
		t.Fatalf("sender socket in %s: %v", netns, r.err)
	}
	return r.fd, r.idx
}

// ipv4Packet puts msg in an IPv4 header from src to the VRRP group.
func ipv4Packet(msg []byte, src netip.Addr, ttl uint8) []byte {
	b := make([]byte, IPv4HeaderLen+len(msg))
	b[0], b[1] = 0x45, 0xc0
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	b[8], b[9] = ttl, IPProtoVRRP
	s, d := src.As4(), MulticastIPv4.As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	copy(b[IPv4HeaderLen:], msg)
	return b
}

// sendRaw fills in the IPv4 header checksum of pkt and sends it to the VRRP
// group's MAC on ifindex.
func sendRaw(t *testing.T, fd, ifindex int, pkt []byte) {
	t.Helper()
	pkt[10], pkt[11] = 0, 0
	binary.BigEndian.PutUint16(pkt[10:], checksum(0, pkt[:IPv4HeaderLen]))
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: ifindex, Halen: 6,
		Addr: [8]byte{0x01, 0x00, 0x5e, 0x00, 0x00, 0x12}}
	if err := unix.Sendto(fd, pkt, 0, sa); err != nil {
		t.Fatal(fmt.Errorf("send: %w", err))
	}
}
