package codec

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// checkCapture decodes a captured advert and checks that encoding the
// decoded fields reproduces it byte for byte.
func checkCapture(t *testing.T, c capture, key [8]byte) Packet {
	t.Helper()
	p, err := Decode(c.vrrp, c.src, c.dst, c.ttl)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if !p.ChecksumValid {
		t.Errorf("checksum 0x%04x does not verify", p.Checksum)
	}
	got, err := Encode(p, c.src, c.dst)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if !bytes.Equal(got, c.vrrp) {
		t.Errorf("Encode mismatch:\n got %x\nwant %x", got, c.vrrp)
	}
	if c.src.Is4() {
		ip, err := DecodeIPv4(c.ip)
		if err != nil {
			t.Fatalf("DecodeIPv4: %v", err)
		}
		seq := uint32(0)
		if ip.AH != nil {
			seq = ip.AH.Seq
			if !CheckAH(&ip, c.ip, key, false) {
				t.Errorf("AH ICV does not verify")
			}
			p.AuthType = AuthAH
		}
		id := uint16(c.ip[4])<<8 | uint16(c.ip[5])
		full, err := EncodeIPv4(p, c.src, c.dst, IPv4Options{TTL: uint8(c.ttl), ID: id, Key: key, Seq: seq})
		if err != nil {
			t.Fatalf("EncodeIPv4: %v", err)
		}
		// The kernel fills in the IP header checksum.
		want := append([]byte(nil), c.ip...)
		for _, i := range []int{10, 11} {
			want[i] = 0
		}
		if !bytes.Equal(full, want) {
			t.Errorf("EncodeIPv4 mismatch:\n got %x\nwant %x", full, want)
		}
	}
	return p
}

func readCapture(t *testing.T, name string) capture {
	t.Helper()
	f, err := os.Open(filepath.Join(testenv.RepoRoot(), "testdata", "vrrp", name+".hex"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if h, ok := strings.CutPrefix(sc.Text(), "ip "); ok {
			b, err := hex.DecodeString(h)
			if err != nil {
				t.Fatal(err)
			}
			c, err := parseIPPacket(b)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
	}
	t.Fatalf("%s.hex: no ip line", name)
	return capture{}
}

func addrs(s ...string) []netip.Addr {
	var r []netip.Addr
	for _, a := range s {
		r = append(r, netip.MustParseAddr(a))
	}
	return r
}

// TestCaptures checks Decode and Encode against adverts captured from
// keepalived 2.2.7 (testdata/vrrp/*.hex, written by TestCaptureKeepalived).
func TestCaptures(t *testing.T) {
	tests := []struct {
		name string
		want Packet // compared on the wire fields
		ttl  int    // IPv4 TTL / IPv6 hop limit; 0 means 255
	}{
		{"v2_ipv4_pass", Packet{Version: 2, Type: 1, VRID: 51, Priority: 150, AuthType: AuthPass, AdvertInt: 1,
			Addresses: addrs("192.168.99.100", "192.168.99.101"), AuthData: PassData("secret12")}, 0},
		{"v2_ipv4_noauth", Packet{Version: 2, Type: 1, VRID: 52, Priority: 100, AdvertInt: 2,
			Addresses: addrs("192.168.99.102")}, 0},
		{"v2_ipv4_ah", Packet{Version: 2, Type: 1, VRID: 54, Priority: 200, AuthType: AuthAH, AdvertInt: 1,
			Addresses: addrs("192.168.99.104")}, 0},
		{"v3_ipv4", Packet{Version: 3, Type: 1, VRID: 53, Priority: 120, AdvertInt: 100,
			Addresses: addrs("192.168.99.110", "192.168.99.111", "192.168.99.112")}, 0},
		{"v3_ipv6", Packet{Version: 3, Type: 1, VRID: 61, Priority: 110, AdvertInt: 100,
			Addresses: addrs("fe80::61", "2001:db8:99::61")}, 0},
		{"v3_ipv4_unicast", Packet{Version: 3, Type: 1, VRID: 55, Priority: 130, AdvertInt: 100,
			Addresses: addrs("192.168.99.115")}, 0},
		// keepalived leaves the hop limit of IPv6 unicast adverts to the
		// kernel default unless unicast_ttl is set
		{"v3_ipv6_unicast", Packet{Version: 3, Type: 1, VRID: 62, Priority: 140, AdvertInt: 100,
			Addresses: addrs("2001:db8:99::62")}, 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := readCapture(t, tt.name)
			p := checkCapture(t, c, captureKeys[tt.name])
			got := Packet{Version: p.Version, Type: p.Type, VRID: p.VRID, Priority: p.Priority, AuthType: p.AuthType,
				AdvertInt: p.AdvertInt, Addresses: p.Addresses, AuthData: p.AuthData}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode:\n got %+v\nwant %+v", got, tt.want)
			}
			wantTTL := tt.ttl
			if wantTTL == 0 {
				wantTTL = TTL
			}
			if c.ttl != wantTTL {
				t.Errorf("TTL/hop limit %d, want %d", c.ttl, wantTTL)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	v4, v6 := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fe80::1")
	tests := []struct {
		name     string
		p        Packet
		src, dst netip.Addr
		want     error
	}{
		{"version", Packet{Version: 4}, v4, MulticastIPv4, ErrVersion},
		{"v2 ipv6", Packet{Version: 2}, v6, MulticastIPv6, ErrV2IPv6},
		{"family", Packet{Version: 3}, v4, MulticastIPv6, ErrFamily},
		{"addr family", Packet{Version: 3, Addresses: addrs("fe80::2")}, v4, MulticastIPv4, ErrFamily},
		{"v2 interval", Packet{Version: 2, AdvertInt: 256}, v4, MulticastIPv4, ErrAdvertInt},
		{"v3 interval", Packet{Version: 3, AdvertInt: 4096}, v4, MulticastIPv4, ErrAdvertInt},
		{"no src", Packet{Version: 3}, netip.Addr{}, MulticastIPv4, ErrBadParameters},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Encode(tt.p, tt.src, tt.dst); !errors.Is(err, tt.want) {
				t.Errorf("Encode error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	v4 := netip.MustParseAddr("10.0.0.1")
	good, err := Encode(Packet{Version: 3, Type: 1, VRID: 1, Priority: 100, AdvertInt: 100, Addresses: addrs("10.0.0.9")}, v4, MulticastIPv4)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrTooShort},
		{"short header", good[:7], ErrTooShort},
		{"truncated address", good[:10], ErrLength},
		{"trailing byte", append(append([]byte(nil), good...), 0), ErrLength},
		{"version 1", append([]byte{0x11}, good[1:]...), ErrVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Decode(tt.b, v4, MulticastIPv4, 255); !errors.Is(err, tt.want) {
				t.Errorf("Decode error %v, want %v", err, tt.want)
			}
		})
	}
	p, err := Decode(good, v4, MulticastIPv4, 255)
	if err != nil || !p.ChecksumValid {
		t.Fatalf("good packet: %v %+v", err, p)
	}
	bad := append([]byte(nil), good...)
	bad[2]++
	if p, _ := Decode(bad, v4, MulticastIPv4, 255); p.ChecksumValid {
		t.Errorf("corrupted packet passes the checksum")
	}
}
