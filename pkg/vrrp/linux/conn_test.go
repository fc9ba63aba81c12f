package linux

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mdlayher/packet"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/vrrp"
	"github.com/gohaproxy/gohaproxy/pkg/vrrp/codec"
)

func open(t *testing.T, p *Platform, c vrrp.ConnConfig) vrrp.Conn {
	t.Helper()
	cn, err := p.Open(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cn.Close() })
	return cn
}

func recv(t *testing.T, c vrrp.Conn) vrrp.Received {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := c.Recv(ctx)
	if err != nil {
		t.Fatalf("Recv: %v", err)
	}
	return r
}

func advert(t *testing.T, version uint8, src, dst netip.Addr, vips ...netip.Addr) []byte {
	t.Helper()
	p := codec.Packet{Version: version, Type: 1, VRID: 51, Priority: 150, AdvertInt: 1, Addresses: vips}
	if version == 3 {
		p.AdvertInt = 100
	}
	b, err := codec.Encode(p, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConnIPv4Multicast(t *testing.T) {
	p := newPair(t, "192.168.77.1/24", "192.168.77.2/24")
	a := open(t, p.PA, vrrp.ConnConfig{Interface: "veth0"})
	b := open(t, p.PB, vrrp.ConnConfig{Interface: "veth0"})
	if got := a.LocalAddr(); got != netip.MustParseAddr("192.168.77.1") {
		t.Fatalf("LocalAddr = %s, want the primary address 192.168.77.1", got)
	}
	msg := advert(t, 2, a.LocalAddr(), group4, netip.MustParseAddr("192.168.77.100"))
	if err := a.Send(msg, group4); err != nil {
		t.Fatal(err)
	}
	r := recv(t, b)
	if r.TTL != 255 || r.Src != a.LocalAddr() || r.Dst != group4 || r.Interface != "veth0" {
		t.Fatalf("received %+v, want TTL 255 from 192.168.77.1 to 224.0.0.18 on veth0", r)
	}
	if !bytes.Equal(r.Msg, msg) {
		t.Fatalf("message\n got %x\nwant %x", r.Msg, msg)
	}
	pk, err := codec.Decode(r.Msg, r.Src, r.Dst, r.TTL)
	if err != nil || !pk.ChecksumValid {
		t.Fatalf("decode: %v %+v", err, pk)
	}
}

func TestConnIPv4Unicast(t *testing.T) {
	p := newPair(t, "192.168.77.1/24", "192.168.77.2/24")
	peerB, peerA := netip.MustParseAddr("192.168.77.2"), netip.MustParseAddr("192.168.77.1")
	a := open(t, p.PA, vrrp.ConnConfig{Interface: "veth0", Src: peerA, Peers: []netip.Addr{peerB}})
	b := open(t, p.PB, vrrp.ConnConfig{Interface: "veth0", Peers: []netip.Addr{peerA}})
	msg := advert(t, 3, peerA, peerB, netip.MustParseAddr("192.168.77.100"))
	if err := a.Send(msg, peerB); err != nil {
		t.Fatal(err)
	}
	r := recv(t, b)
	if r.TTL != 255 || r.Src != peerA || r.Dst != peerB || !bytes.Equal(r.Msg, msg) {
		t.Fatalf("received %+v, want %x TTL 255 from %s to %s", r, msg, peerA, peerB)
	}
}

func TestConnIPv6Multicast(t *testing.T) {
	p := newPair(t, "", "")
	a := open(t, p.PA, vrrp.ConnConfig{Interface: "veth0", IPv6: true})
	b := open(t, p.PB, vrrp.ConnConfig{Interface: "veth0", IPv6: true})
	if got := a.LocalAddr(); got != netip.MustParseAddr("fe80::a") {
		t.Fatalf("LocalAddr = %s, want the link-local address fe80::a", got)
	}
	msg := advert(t, 3, a.LocalAddr(), group6, netip.MustParseAddr("2001:db8::100"))
	if err := a.Send(msg, group6); err != nil {
		t.Fatal(err)
	}
	r := recv(t, b)
	if r.TTL != 255 || r.Src != a.LocalAddr() || r.Dst != group6 {
		t.Fatalf("received %+v, want hop limit 255 from fe80::a to ff02::12", r)
	}
	if !bytes.Equal(r.Msg, msg) {
		t.Fatalf("message\n got %x\nwant %x", r.Msg, msg)
	}
}

func TestConnIPv6Unicast(t *testing.T) {
	p := newPair(t, "", "")
	p.ip(t, p.A, "-6", "addr", "add", "2001:db8:77::1/64", "dev", "veth0", "nodad")
	p.ip(t, p.B, "-6", "addr", "add", "2001:db8:77::2/64", "dev", "veth0", "nodad")
	sa, sb := netip.MustParseAddr("2001:db8:77::1"), netip.MustParseAddr("2001:db8:77::2")
	a := open(t, p.PA, vrrp.ConnConfig{Interface: "veth0", IPv6: true, Src: sa, Peers: []netip.Addr{sb}})
	b := open(t, p.PB, vrrp.ConnConfig{Interface: "veth0", IPv6: true, Src: sb, Peers: []netip.Addr{sa}})
	msg := advert(t, 3, sa, sb, netip.MustParseAddr("2001:db8::100"))
	// The neighbour may need resolving first; retry until it arrives.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if err := a.Send(msg, sb); err != nil {
			t.Fatal(err)
		}
		rctx, rcancel := context.WithTimeout(ctx, time.Second)
		r, err := b.Recv(rctx)
		rcancel()
		if err == nil {
			if r.TTL != 255 || r.Src != sa || r.Dst != sb || !bytes.Equal(r.Msg, msg) {
				t.Fatalf("received %+v, want %x hop limit 255 from %s to %s", r, msg, sa, sb)
			}
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("nothing received: %v", err)
		}
	}
}

func TestRecvHonoursContext(t *testing.T) {
	p := newPair(t, "192.168.77.1/24", "")
	a := open(t, p.PA, vrrp.ConnConfig{Interface: "veth0"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := a.Recv(ctx)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Recv after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Recv did not return after its context was cancelled")
	}
	// A deadline ends it too, and the Conn still works afterwards.
	dctx, dcancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer dcancel()
	if _, err := a.Recv(dctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Recv past deadline = %v, want context.DeadlineExceeded", err)
	}
}

// capture reads frames of ethertype proto arriving on veth0 in p's
// namespace until match accepts one.
func capture(t *testing.T, p *Platform, proto int, send func(), match func([]byte) bool) []byte {
	t.Helper()
	var c *packet.Conn
	err := p.inNS(func() error {
		ifi, err := net.InterfaceByName("veth0")
		if err != nil {
			return err
		}
		c, err = packet.Listen(ifi, packet.Raw, proto, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	send()
	deadline := time.Now().Add(10 * time.Second)
	buf := make([]byte, 2048)
	for {
		if err := c.SetReadDeadline(deadline); err != nil {
			t.Fatal(err)
		}
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no matching frame captured: %v", err)
		}
		if match(buf[:n]) {
			return append([]byte(nil), buf[:n]...)
		}
	}
}

// keepalivedCapture reads an IPv4 packet keepalived 2.2.7 sent, from the
// captures of pkg/vrrp/codec (TestCaptureKeepalived).
func keepalivedCapture(t *testing.T, name string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join(testenv.RepoRoot(), "testdata", "vrrp", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "ip "); ok {
			b, err := hex.DecodeString(rest)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("%s holds no ip line", name)
	return nil
}

// TestIPv4HeaderLikeKeepalived compares the IPv4 header of our first two
// adverts, captured on the peer, with keepalived 2.2.7's first advert:
// version/IHL, TOS 0xc0, identification 1 then 2, no DF, TTL 255,
// protocol 112, and a valid header checksum.
func TestIPv4HeaderLikeKeepalived(t *testing.T) {
	want := keepalivedCapture(t, "v3_ipv4.hex")
	p := newPair(t, "192.168.99.1/24", "192.168.99.2/24")
	a := open(t, p.PA, vrrp.ConnConfig{Interface: "veth0"})
	pk, err := codec.Decode(want[20:], netip.AddrFrom4([4]byte(want[12:16])), group4, 255)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := codec.Encode(pk, a.LocalAddr(), group4)
	if err != nil {
		t.Fatal(err)
	}
	isVRRP := func(f []byte) bool { return len(f) >= 34 && f[14+9] == protoVRRP }
	var got [][]byte
	for i := 0; i < 2; i++ {
		f := capture(t, p.PB, 0x0800, func() {
			if err := a.Send(msg, group4); err != nil {
				t.Fatal(err)
			}
		}, isVRRP)
		got = append(got, f[14:])
	}
	for i, g := range got {
		h := g[:20]
		w := want[:20]
		type field struct {
			name      string
			got, want []byte
		}
		wantID := []byte{0, byte(i + 1)}
		for _, f := range []field{
			{"version/IHL", h[0:1], w[0:1]},
			{"TOS", h[1:2], w[1:2]},
			{"total length", h[2:4], w[2:4]},
			{"identification", h[4:6], wantID},
			{"flags/fragment offset", h[6:8], w[6:8]},
			{"TTL", h[8:9], w[8:9]},
			{"protocol", h[9:10], w[9:10]},
			{"destination", h[16:20], w[16:20]},
		} {
			if !bytes.Equal(f.got, f.want) {
				t.Errorf("advert %d: IP %s = %x, keepalived sends %x", i+1, f.name, f.got, f.want)
			}
		}
		if binary.BigEndian.Uint16(want[4:]) != 1 {
			t.Errorf("keepalived's first advert has ID %x, the test assumes 1", want[4:6])
		}
		if ipChecksum(h) != 0 {
			t.Errorf("advert %d: IP header checksum invalid: %x", i+1, h)
		}
		if !bytes.Equal(g[20:], msg) {
			t.Errorf("advert %d: payload %x, want %x", i+1, g[20:], msg)
		}
		// Same VRRP bytes as keepalived's apart from the checksum, which
		// covers the (different) source address.
		if !bytes.Equal(g[20:26], want[20:26]) || !bytes.Equal(g[28:], want[28:]) {
			t.Errorf("advert %d: VRRP message %x differs from keepalived's %x", i+1, g[20:], want[20:])
		}
	}
}

func ipChecksum(h []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(h); i += 2 {
		s += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
