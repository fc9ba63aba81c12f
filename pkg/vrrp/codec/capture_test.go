package codec

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// captureCase is a keepalived configuration whose first advert is captured.
type captureCase struct {
	name string
	ipv6 bool
	conf string // vrrp_instance body; the interface is veth0
	glob string // extra global_defs lines
	// unicast: the veth peer moves to a second namespace holding the
	// unicast peer addresses 192.168.99.2 and 2001:db8:99::2.
	unicast bool
}

// captureKeys are the auth_pass data of the cases that authenticate.
var captureKeys = map[string][8]byte{"v2_ipv4_pass": PassData("secret12"), "v2_ipv4_ah": PassData("ahpass")}

var captureCases = []captureCase{
	{name: "v2_ipv4_pass", conf: `
    state MASTER
    interface veth0
    virtual_router_id 51
    priority 150
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass secret12
    }
    virtual_ipaddress {
        192.168.99.100
        192.168.99.101
    }`},
	{name: "v2_ipv4_noauth", conf: `
    state MASTER
    interface veth0
    virtual_router_id 52
    priority 100
    advert_int 2
    virtual_ipaddress {
        192.168.99.102
    }`},
	{name: "v2_ipv4_ah", conf: `
    state BACKUP
    interface veth0
    virtual_router_id 54
    priority 200
    advert_int 1
    authentication {
        auth_type AH
        auth_pass ahpass
    }
    virtual_ipaddress {
        192.168.99.104
    }`},
	{name: "v3_ipv4", glob: "vrrp_version 3", conf: `
    state MASTER
    interface veth0
    virtual_router_id 53
    priority 120
    advert_int 1
    virtual_ipaddress {
        192.168.99.110
        192.168.99.111
        192.168.99.112
    }`},
	{name: "v3_ipv6", ipv6: true, glob: "vrrp_version 3", conf: `
    state MASTER
    interface veth0
    virtual_router_id 61
    priority 110
    advert_int 1
    virtual_ipaddress {
        fe80::61
        2001:db8:99::61
    }`},
	{name: "v3_ipv4_unicast", unicast: true, glob: "vrrp_version 3", conf: `
    state MASTER
    interface veth0
    virtual_router_id 55
    priority 130
    advert_int 1
    unicast_src_ip 192.168.99.1
    unicast_peer {
        192.168.99.2
    }
    virtual_ipaddress {
        192.168.99.115
    }`},
	{name: "v3_ipv6_unicast", ipv6: true, unicast: true, glob: "vrrp_version 3", conf: `
    state MASTER
    interface veth0
    virtual_router_id 62
    priority 140
    advert_int 1
    unicast_src_ip 2001:db8:99::1
    unicast_peer {
        2001:db8:99::2
    }
    virtual_ipaddress {
        2001:db8:99::62
    }`},
}

// TestCaptureKeepalived runs keepalived 2.2.7 in a network namespace for
// each captureCase, captures its first advert on the veth peer with an
// AF_PACKET socket, and checks that Decode/Encode reproduce it. With
// GOKA_UPDATE_CAPTURES=1 it (re)writes testdata/vrrp/<name>.hex.
func TestCaptureKeepalived(t *testing.T) {
	testenv.RequireRoot(t)
	bin := testenv.Oracle(t, "keepalived")
	for _, c := range captureCases {
		t.Run(c.name, func(t *testing.T) {
			ns := testenv.NewNetNS(t, testenv.Iface{Name: "veth0", Addrs: []string{"192.168.99.1/24"}})
			if out, err := ns.Command("ip", "-6", "addr", "add", "2001:db8:99::1/64", "dev", "veth0", "nodad").CombinedOutput(); err != nil {
				t.Fatalf("ip addr: %v %s", err, out)
			}
			dir := t.TempDir()
			conf := fmt.Sprintf("global_defs {\n    router_id capture\n    %s\n}\nvrrp_instance VI_1 {%s\n}\n", c.glob, c.conf)
			cf := filepath.Join(dir, "keepalived.conf")
			if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
				t.Fatal(err)
			}
			capNS := ns
			if c.unicast {
				capNS = testenv.NewNetNS(t)
				if out, err := exec.Command("ip", "-n", ns.Name, "link", "set", testenv.PeerName(0), "netns", capNS.Name).CombinedOutput(); err != nil {
					t.Fatalf("ip link set netns: %v %s", err, out)
				}
				for _, args := range [][]string{
					{"addr", "add", "192.168.99.2/24", "dev", testenv.PeerName(0)},
					{"-6", "addr", "add", "2001:db8:99::2/64", "dev", testenv.PeerName(0), "nodad"},
					{"link", "set", testenv.PeerName(0), "up"},
				} {
					if out, err := exec.Command("ip", append([]string{"-n", capNS.Name}, args...)...).CombinedOutput(); err != nil {
						t.Fatalf("ip %v: %v %s", args, err, out)
					}
				}
			}
			fd := openCapture(t, capNS.Name, testenv.PeerName(0))
			defer unix.Close(fd)
			cmd := ns.Command(bin, "-n", "-l", "-D", "-P", "-f", cf,
				"-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid"))
			var log strings.Builder
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
			pkt := readAdvert(t, fd, c.ipv6)
			if pkt == nil {
				t.Fatalf("no advert captured; keepalived said:\n%s", log.String())
			}
			cp, err := parseIPPacket(pkt)
			if err != nil {
				t.Fatal(err)
			}
			checkCapture(t, cp, captureKeys[c.name])
			if os.Getenv("GOKA_UPDATE_CAPTURES") == "1" {
				var sb strings.Builder
				fmt.Fprintf(&sb, "# first advert of keepalived 2.2.7 (TestCaptureKeepalived), captured on the veth peer\n# keepalived.conf:\n")
				for _, l := range strings.Split(strings.TrimRight(conf, "\n"), "\n") {
					fmt.Fprintf(&sb, "#   %s\n", l)
				}
				fmt.Fprintf(&sb, "ip %s\n", hex.EncodeToString(pkt))
				path := filepath.Join(testenv.RepoRoot(), "testdata", "vrrp", c.name+".hex")
				if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// openCapture opens an AF_PACKET datagram socket on ifname inside netns
// (the socket stays in that namespace).
func openCapture(t *testing.T, netns, ifname string) int {
	t.Helper()
	type res struct {
		fd  int
		err error
	}
	ch := make(chan res)
	go func() {
		runtime.LockOSThread() // the thread is discarded when it exits locked
		fd, err := func() (int, error) {
			nsfd, err := unix.Open("/run/netns/"+netns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				return -1, err
			}
			defer unix.Close(nsfd)
			if err := unix.Unshare(unix.CLONE_FS); err != nil {
				return -1, err
			}
			if err := unix.Setns(nsfd, unix.CLONE_NEWNET); err != nil {
				return -1, err
			}
			ifi, err := net.InterfaceByName(ifname)
			if err != nil {
				return -1, err
			}
			proto := int(htons(unix.ETH_P_ALL))
			fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, proto)
			if err != nil {
				return -1, err
			}
			if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
				unix.Close(fd)
				return -1, err
			}
			tv := unix.NsecToTimeval(int64(500 * time.Millisecond))
			if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
				unix.Close(fd)
				return -1, err
			}
			return fd, nil
		}()
		ch <- res{fd, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatalf("capture socket in %s: %v", netns, r.err)
	}
	return r.fd
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// readAdvert returns the first VRRP (or AH) IP packet read within 15s.
func readAdvert(t *testing.T, fd int, ipv6 bool) []byte {
	t.Helper()
	buf := make([]byte, 65536)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			continue
		}
		b := buf[:n]
		switch {
		case !ipv6 && n >= 20 && b[0]>>4 == 4 && (b[9] == IPProtoVRRP || b[9] == IPProtoAH):
			return append([]byte(nil), b...)
		case ipv6 && n >= 40 && b[0]>>4 == 6 && b[6] == IPProtoVRRP:
			return append([]byte(nil), b...)
		}
	}
	return nil
}

// capture is a captured advert split into its parts.
type capture struct {
	ip       []byte // whole IP packet
	src, dst netip.Addr
	ttl      int
	vrrp     []byte // VRRP message (after AH, if any)
}

func parseIPPacket(b []byte) (capture, error) {
	var c capture
	c.ip = b
	switch {
	case len(b) >= 20 && b[0]>>4 == 4:
		ihl := int(b[0]&0x0f) * 4
		c.src, _ = netip.AddrFromSlice(b[12:16])
		c.dst, _ = netip.AddrFromSlice(b[16:20])
		c.ttl = int(b[8])
		c.vrrp = b[ihl:]
		if b[9] == IPProtoAH {
			if len(c.vrrp) < AHLen {
				return c, fmt.Errorf("short AH")
			}
			c.vrrp = c.vrrp[AHLen:]
		}
	case len(b) >= 40 && b[0]>>4 == 6:
		c.src, _ = netip.AddrFromSlice(b[8:24])
		c.dst, _ = netip.AddrFromSlice(b[24:40])
		c.ttl = int(b[7])
		c.vrrp = b[40:]
	default:
		return c, fmt.Errorf("not an IP packet: % x", b)
	}
	return c, nil
}
