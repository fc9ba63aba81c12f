package main

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/vrrp/codec"
)

// badAdverts are VRRPv2 adverts from 10.5.0.2 for VRID 42 (10.5.0.100),
// each tripping one of keepalived's counters: a valid lower priority
// advert, a TTL of 64, a PASS advert to a no-auth instance, a priority 0
// advert, two addresses instead of one, and an unknown packet type.
func badAdverts(t *testing.T) []string {
	src, dst := netip.MustParseAddr("10.5.0.2"), codec.MulticastIPv4
	base := codec.Packet{Version: 2, Type: codec.TypeAdvertisement, VRID: 42, Priority: 100, AdvertInt: 1,
		Addresses: []netip.Addr{netip.MustParseAddr(pairVIP)}}
	build := func(p codec.Packet, mutate func(b []byte)) string {
		b, err := codec.EncodeIPv4(p, src, dst, codec.IPv4Options{TTL: 255, ID: 1})
		if err != nil {
			t.Fatal(err)
		}
		if mutate != nil {
			mutate(b)
		}
		// VRRPv2 checksum over the message.
		m := b[20:]
		m[6], m[7] = 0, 0
		var sum uint32
		for i := 0; i+1 < len(m); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(m[i:]))
		}
		for sum > 0xffff {
			sum = sum>>16 + sum&0xffff
		}
		binary.BigEndian.PutUint16(m[6:], ^uint16(sum))
		return hex.EncodeToString(b)
	}
	two := base
	two.Addresses = append(two.Addresses, netip.MustParseAddr("10.5.0.101"))
	pass := base
	pass.AuthType, pass.AuthData = codec.AuthPass, codec.PassData("x")
	zero := base
	zero.Priority = 0
	return []string{
		build(base, nil),
		build(base, func(b []byte) { b[8] = 64 }),
		build(pass, nil),
		build(zero, nil),
		build(two, nil),
		build(base, func(b []byte) { b[20] = 0x22 }),
	}
}

// TestStatsCountersLikeKeepalived sends the same bad adverts to a MASTER
// keepalived 2.2.7 and a MASTER gokeepalived and compares their stats
// dumps (SIGUSR2): received, errors by kind, priority 0.
func TestStatsCountersLikeKeepalived(t *testing.T) {
	k := testenv.Oracle(t, "keepalived")
	g := testenv.Binary(t, "gokeepalived")
	pkts := badAdverts(t)
	l := newLAN(t, 2)
	run := func(bin string) []byte {
		r := newRouter(t, filepath.Base(bin), bin, l.routers[0], vrrpConf("r1", 150, pairVIP+"/24"))
		r.start(t)
		l.waitAddr(t, 0, pairVIP, true, 20*time.Second)
		args := []string{"netns", "exec", l.routers[1], "python3", "-c", `import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
for h in sys.argv[1:]:
    s.sendto(bytes.fromhex(h), ("224.0.0.18", 0))
    time.sleep(0.1)
`}
		if out, err := exec.Command("ip", append(args, pkts...)...).CombinedOutput(); err != nil {
			t.Fatalf("sending adverts: %v\n%s", err, out)
		}
		time.Sleep(500 * time.Millisecond)
		_, stats, _ := dumps(t, r)
		r.stop(syscall.SIGTERM)
		l.waitAddr(t, 0, pairVIP, false, 10*time.Second)
		return stats
	}
	ks := run(k)
	gs := run(g)
	t.Logf("keepalived's stats:\n%s", ks)
	compareStats(t, ks, gs)
}
