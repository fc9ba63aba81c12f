package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// wireCase is one kind of advert: VRRPv2/v3, IPv4/IPv6, authentication.
type wireCase struct {
	name, vip string
	extra     string
	ipv6      bool
}

var wireCases = []wireCase{
	{name: "v2", vip: pairVIP},
	{name: "v2_pass", vip: pairVIP, extra: "    authentication {\n        auth_type PASS\n        auth_pass secret12\n    }\n"},
	{name: "v2_ah", vip: pairVIP, extra: "    authentication {\n        auth_type AH\n        auth_pass ahpass\n    }\n"},
	{name: "v3", vip: pairVIP, extra: "    version 3\n"},
	{name: "v3_ipv6", vip: pairVIP6, ipv6: true},
}

// firstAdvert runs bin alone on router 0 of a new LAN with the case's
// instance, captures its first VRRP advert on router 1 into a pcap file
// and returns the file and the packet's IP bytes.
func firstAdvert(t *testing.T, bin string, c wireCase) (string, []byte) {
	t.Helper()
	if _, err := exec.LookPath("tcpdump"); err != nil {
		testenv.Unavailable(t, "tcpdump is not installed")
	}
	l := newLAN(t, 2)
	file := filepath.Join(t.TempDir(), filepath.Base(bin)+".pcap")
	filter := "ip proto 112 or ip proto 51"
	if c.ipv6 {
		filter = "ip6 proto 112"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", l.routers[1], "tcpdump", "-i", "eth0", "-U", "-c", "1", "-w", file, filter)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cancel(); <-done })
	// tcpdump says "listening on" once its filter is in place.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "listening on") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	r := newRouter(t, filepath.Base(bin), bin, l.routers[0], vrrpConf("r1", 150, c.vip, c.extra))
	r.start(t)
	defer r.stop(syscall.SIGTERM)
	select {
	case err := <-done:
		done <- err
		if err != nil {
			t.Fatalf("tcpdump: %v\n%s", err, out.String())
		}
	case <-ctx.Done():
		t.Fatalf("no advert captured\n%s", out.String())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ip := pcapFirstIP(t, b)
	return file, ip
}

// pcapFirstIP returns the IP packet of the first Ethernet frame of a pcap
// file.
func pcapFirstIP(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) < 24+16+14 {
		t.Fatalf("pcap of %d bytes", len(b))
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if binary.BigEndian.Uint32(b) == 0xa1b2c3d4 {
		bo = binary.BigEndian
	}
	incl := int(bo.Uint32(b[24+8:]))
	frame := b[24+16:]
	if incl > len(frame) || incl < 14 {
		t.Fatalf("pcap record of %d bytes", incl)
	}
	return frame[14:incl]
}

// TestAdvertsLikeKeepalived compares the first advert of gokeepalived with
// keepalived 2.2.7's for the same configuration on the same addresses:
// byte for byte for IPv4 (AH included: the same key, IP id and sequence
// number give the same ICV); for IPv6, whose link-local source differs
// between the two runs, everything but the source, the checksum and the
// kernel's flow label.
func TestAdvertsLikeKeepalived(t *testing.T) {
	k := testenv.Oracle(t, "keepalived")
	g := testenv.Binary(t, "gokeepalived")
	for _, c := range wireCases {
		t.Run(c.name, func(t *testing.T) {
			_, want := firstAdvert(t, k, c)
			_, got := firstAdvert(t, g, c)
			if c.ipv6 {
				want, got = normalize6(want), normalize6(got)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("first advert differs:\n got %s\nwant %s", hex.EncodeToString(got), hex.EncodeToString(want))
			}
		})
	}
}

// normalize6 clears the flow label (the kernel's automatic flow label,
// a hash of the socket), the source address and the VRRP checksum of an
// IPv6 advert.
func normalize6(b []byte) []byte {
	b = bytes.Clone(b)
	if len(b) >= 40+8 {
		b[1] &= 0xf0
		b[2], b[3] = 0, 0
		clear(b[8:24])
		clear(b[40+6 : 40+8])
	}
	return b
}

// TestAdvertsDecodeInTshark captures gokeepalived's adverts (VRRPv2,
// VRRPv2 with AH, VRRPv3 over IPv4 and IPv6) and has tshark decode them:
// VRRP with no expert warnings and nothing malformed.
func TestAdvertsDecodeInTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		testenv.Unavailable(t, "tshark is not installed (scripts/install-test-deps.sh installs it)")
	}
	g := testenv.Binary(t, "gokeepalived")
	for _, c := range wireCases {
		t.Run(c.name, func(t *testing.T) {
			file, _ := firstAdvert(t, g, c)
			out, err := exec.Command(tshark, "-r", file, "-V", "-o", "ip.check_checksum:TRUE").CombinedOutput()
			if err != nil {
				t.Fatalf("tshark: %v\n%s", err, out)
			}
			text := string(out)
			if !strings.Contains(text, "Virtual Router Redundancy Protocol") {
				t.Errorf("tshark did not decode VRRP:\n%s", text)
			}
			if !strings.Contains(text, "[Checksum Status: Good]") {
				t.Errorf("tshark did not verify the VRRP checksum:\n%s", text)
			}
			for _, bad := range []string{"Expert Info", "Malformed", "incorrect", "Bad", "Unverified"} {
				if strings.Contains(text, bad) {
					t.Errorf("tshark reports %q:\n%s", bad, text)
				}
			}
			if c.name == "v2_ah" && !strings.Contains(text, "Authentication Header") {
				t.Errorf("tshark did not see the AH header:\n%s", text)
			}
			if testing.Verbose() {
				i := strings.Index(text, "Virtual Router Redundancy Protocol")
				t.Logf("tshark -V (VRRP part):\n%s", text[max(i, 0):])
			}
		})
	}
}

// ahLines configure auth_type AH.
const ahLines = "    authentication {\n        auth_type AH\n        auth_pass ahpass\n    }\n"

// The mixed pairs with auth_type AH: each side checks the other's ICV and
// sequence numbers.
func TestAHFailoverMixedGoMaster(t *testing.T) {
	failoverWith(t, testenv.Binary(t, "gokeepalived"), testenv.Oracle(t, "keepalived"), pairVIP, ahLines, ahLines)
}

func TestAHFailoverMixedKeepalivedMaster(t *testing.T) {
	failoverWith(t, testenv.Oracle(t, "keepalived"), testenv.Binary(t, "gokeepalived"), pairVIP, ahLines, ahLines)
}
