package linux

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/vrrp"
	"github.com/gohaproxy/gohaproxy/pkg/vrrp/codec"
)

// runKeepalived starts keepalived 2.2.7 in ns with conf (VRRP only, no
// syslog) and stops it (by PID) when t ends or stop is called.
func runKeepalived(t *testing.T, ns, conf string) (stop func()) {
	t.Helper()
	bin := testenv.Oracle(t, "keepalived")
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", ns, bin, "-n", "-P", "-G", "-f", cf,
		"-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	t.Cleanup(stop)
	return stop
}

// TestHeadersLikeLiveKeepalived captures the first advert of a running
// keepalived 2.2.7 and ours from the same namespace and compares the IP
// header fields keepalived sets: IPv4 TOS, identification (first advert
// 1), flags/fragment offset, TTL and protocol; IPv6 traffic
// class, next header and hop limit.
func TestHeadersLikeLiveKeepalived(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(map[bool]string{false: "IPv4", true: "IPv6"}[v6], func(t *testing.T) {
			p := newPair(t, "192.168.99.1/24", "192.168.99.2/24")
			vip, ether, hl := "192.168.99.110", 0x0800, 20
			version := ""
			if v6 {
				vip, ether, hl = "2001:db8:99::110", 0x86dd, 40
				version = "vrrp_version 3"
			}
			conf := fmt.Sprintf("global_defs {\n router_id live\n %s\n}\nvrrp_instance VI_1 {\n state MASTER\n interface veth0\n virtual_router_id 53\n priority 120\n advert_int 1\n virtual_ipaddress {\n  %s\n }\n}\n", version, vip)
			isVRRP := func(f []byte) bool {
				if len(f) < 14+hl {
					return false
				}
				if v6 {
					return f[14+6] == protoVRRP
				}
				return f[14+9] == protoVRRP
			}
			var stop func()
			theirs := capture(t, p.PB, ether, func() { stop = runKeepalived(t, p.A, conf) }, isVRRP)[14:]
			stop()
			c := open(t, p.PA, vrrp.ConnConfig{Interface: "veth0", IPv6: v6})
			dst := group4
			if v6 {
				dst = group6
			}
			pk := codec.Packet{Version: 3, Type: 1, VRID: 53, Priority: 120, AdvertInt: 100, Addresses: []netip.Addr{netip.MustParseAddr(vip)}}
			if !v6 {
				pk.Version, pk.AdvertInt = 2, 1
			}
			msg, err := codec.Encode(pk, c.LocalAddr(), dst)
			if err != nil {
				t.Fatal(err)
			}
			ours := capture(t, p.PB, ether, func() {
				if err := c.Send(msg, dst); err != nil {
					t.Fatal(err)
				}
			}, isVRRP)[14:]
			type field struct {
				name     string
				from, to int
			}
			fields := []field{{"version/IHL", 0, 1}, {"TOS", 1, 2}, {"identification", 4, 6}, {"flags/fragment offset", 6, 8},
				{"TTL", 8, 9}, {"protocol", 9, 10}, {"destination", 16, 20}}
			if v6 {
				fields = []field{{"next header", 6, 7}, {"hop limit", 7, 8}, {"destination", 24, 40}}
				// Version and traffic class; the flow label is the kernel's.
				if o, k := ours[0:2], theirs[0:2]; o[0] != k[0] || o[1]&0xf0 != k[1]&0xf0 {
					t.Errorf("version/traffic class: ours %x, keepalived's %x", o, k)
				}
			}
			for _, f := range fields {
				if !bytes.Equal(ours[f.from:f.to], theirs[f.from:f.to]) {
					t.Errorf("%s: ours %x, keepalived's %x", f.name, ours[f.from:f.to], theirs[f.from:f.to])
				}
			}
			if !bytes.Equal(ours[hl:], theirs[hl:]) {
				t.Errorf("VRRP message: ours %x, keepalived's %x", ours[hl:], theirs[hl:])
			}
		})
	}
}

// TestAnnounceLikeLiveKeepalived compares our gratuitous ARP and
// unsolicited NA byte for byte with the ones keepalived 2.2.7 sends from
// the same interface when it becomes MASTER.
func TestAnnounceLikeLiveKeepalived(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(map[bool]string{false: "GARP", true: "NA"}[v6], func(t *testing.T) {
			p := newPair(t, "192.168.99.1/24", "192.168.99.2/24")
			vip, ether, version := "192.168.99.120", etherTypeARP, ""
			if v6 {
				vip, ether, version = "2001:db8:99::120", etherTypeIPv6, "vrrp_version 3"
			}
			addr := netip.MustParseAddr(vip)
			match := func(f []byte) bool {
				if v6 {
					return len(f) >= 86 && f[14+6] == 58 && f[54] == icmpv6NA && bytes.Equal(f[62:78], addr.AsSlice())
				}
				return len(f) >= 42 && bytes.Equal(f[28:32], addr.AsSlice())
			}
			conf := fmt.Sprintf("global_defs {\n router_id live\n %s\n}\nvrrp_instance VI_1 {\n state MASTER\n interface veth0\n virtual_router_id 54\n priority 120\n advert_int 1\n virtual_ipaddress {\n  %s\n }\n}\n", version, vip)
			var stop func()
			theirs := capture(t, p.PB, ether, func() { stop = runKeepalived(t, p.A, conf) }, match)
			stop()
			ours := capture(t, p.PB, ether, func() {
				if err := p.PA.Announce("veth0", addr); err != nil {
					t.Fatal(err)
				}
			}, match)
			if !bytes.Equal(ours, theirs) {
				t.Errorf("frame\n ours        %x\n keepalived's %x", ours, theirs)
			}
		})
	}
}
