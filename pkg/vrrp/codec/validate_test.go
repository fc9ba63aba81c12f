package codec

import (
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

// TestValidateMessages checks Validate against the messages keepalived
// 2.2.7 logs (TestValidateOracle sends the same adverts to it).
func TestValidateMessages(t *testing.T) {
	want := map[string]string{
		"ttl":               "(VI_1) invalid TTL/HL. Received 64 and expect 255",
		"version":           "(VI_1) wrong version. Received 3 and expect 2",
		"no auth":           "(VI_1) received a 0 auth, expecting 1!",
		"invalid auth type": "(VI_1) Invalid auth type: 5",
		"bad password":      "(VI_1) received an invalid passwd!",
		"advert interval":   "(VI_1) advertisement interval mismatch mine=1 sec rcv'd=3 sec",
		"type":              "(VI_1) Invalid packet type. 2 and expect 1",
		"address count":     "(VI_1) received an unexpected ip number count 1, expected 2!",
		"checksum":          "(VI_1) Invalid VRRPv2 checksum",
		"address list":      "(VI_1) ip address associated with VRID 51 not present in MASTER advert: 192.168.99.101",
		"unknown vrid":      "Unknown VRID(77) received on interface(veth0). ignoring...",
	}
	src := netip.MustParseAddr("192.168.99.2")
	for _, tc := range validateCases() {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := Encode(tc.p, src, MulticastIPv4)
			if err != nil {
				t.Fatal(err)
			}
			if tc.mod != nil {
				tc.mod(msg)
			}
			p, err := Decode(msg, src, MulticastIPv4, int(tc.ttl))
			if err != nil {
				t.Fatal(err)
			}
			err = Validate(p, oracleInstance)
			if w, ok := want[tc.name]; !ok {
				if err != nil {
					t.Errorf("Validate = %v, want nil", err)
				}
			} else if err == nil || err.Error() != w {
				t.Errorf("Validate = %v, want %q", err, want[tc.name])
			}
		})
	}
}

func TestValidateMore(t *testing.T) {
	v4src := netip.MustParseAddr("192.168.99.2")
	v6src := netip.MustParseAddr("fe80::2")
	v3 := InstanceParams{Name: "VI_3", Version: 3, VRID: 53, AdvertIntCentis: 100, VIPs: addrs("192.168.99.110")}
	v6 := InstanceParams{Name: "VI_6", Version: 3, VRID: 61, AdvertIntCentis: 100, VIPs: addrs("fe80::61", "2001:db8::61"), IPv6: true}
	uni := v3
	uni.UnicastPeers = addrs("192.168.99.3")
	uni.CheckUnicastSrc = true
	skip := oracleInstance
	skip.SkipCheckAdvAddr = true
	skip.LastMaster = v4src
	skipNewMaster := skip
	skipNewMaster.LastMaster = netip.MustParseAddr("192.168.99.9")
	skipMaster := skip
	skipMaster.Master = true
	ah := oracleInstance
	ah.AuthType = AuthAH
	ah.AuthPass = PassData("ahpass")
	tests := []struct {
		name     string
		p        Packet
		src, dst netip.Addr
		ttl      int
		mod      func([]byte)
		want     InstanceParams
		wantMsg  string // "" = accepted
		verdict  Verdict
	}{
		{name: "v3 ok", p: Packet{Version: 3, Type: 1, VRID: 53, Priority: 100, AdvertInt: 100, Addresses: addrs("192.168.99.110")},
			src: v4src, dst: MulticastIPv4, ttl: 255, want: v3},
		{name: "v3 other interval accepted", p: Packet{Version: 3, Type: 1, VRID: 53, Priority: 100, AdvertInt: 250, Addresses: addrs("192.168.99.110")},
			src: v4src, dst: MulticastIPv4, ttl: 255, want: v3},
		{name: "v3 checksum", p: Packet{Version: 3, Type: 1, VRID: 53, AdvertInt: 100, Addresses: addrs("192.168.99.110")},
			src: v4src, dst: MulticastIPv4, ttl: 255, mod: func(b []byte) { b[6]++ }, want: v3,
			wantMsg: "(VI_3) Invalid VRRPv3 checksum", verdict: KO},
		{name: "v3 unicast expected", p: Packet{Version: 3, Type: 1, VRID: 53, AdvertInt: 100, Addresses: addrs("192.168.99.110")},
			src: v4src, dst: MulticastIPv4, ttl: 64, want: uni,
			wantMsg: "(VI_3) Expected unicast packet but received multicast packet", verdict: KO},
		{name: "v3 multicast expected", p: Packet{Version: 3, Type: 1, VRID: 53, AdvertInt: 100, Addresses: addrs("192.168.99.110")},
			src: v4src, dst: netip.MustParseAddr("192.168.99.1"), ttl: 255, want: v3,
			wantMsg: "(VI_3) Expected multicast packet but received unicast packet", verdict: KO},
		{name: "unicast source", p: Packet{Version: 3, Type: 1, VRID: 53, AdvertInt: 100, Addresses: addrs("192.168.99.110")},
			src: v4src, dst: netip.MustParseAddr("192.168.99.1"), ttl: 64, want: uni,
			wantMsg: "(VI_3) unicast source address 192.168.99.2 not a unicast peer", verdict: KO},
		{name: "v6 ok", p: Packet{Version: 3, Type: 1, VRID: 61, AdvertInt: 100, Addresses: addrs("fe80::61", "2001:db8::61")},
			src: v6src, dst: MulticastIPv6, ttl: 255, want: v6},
		{name: "v6 hop limit", p: Packet{Version: 3, Type: 1, VRID: 61, AdvertInt: 100, Addresses: addrs("fe80::61", "2001:db8::61")},
			src: v6src, dst: MulticastIPv6, ttl: 1, want: v6,
			wantMsg: "(VI_6) invalid TTL/HL. Received 1 and expect 255", verdict: KO},
		{name: "v6 bad checksum dropped by the kernel", p: Packet{Version: 3, Type: 1, VRID: 61, AdvertInt: 100, Addresses: addrs("fe80::61", "2001:db8::61")},
			src: v6src, dst: MulticastIPv6, ttl: 255, mod: func(b []byte) { b[7]++ }, want: v6, verdict: Drop},
		{name: "skip_check_adv_addr", p: Packet{Version: 2, Type: 1, VRID: 51, AuthType: AuthPass, AdvertInt: 1, AuthData: PassData("secret12")},
			src: v4src, dst: MulticastIPv4, ttl: 255, want: skip},
		{name: "skip_check_adv_addr, new master", p: Packet{Version: 2, Type: 1, VRID: 51, AuthType: AuthPass, AdvertInt: 1, AuthData: PassData("secret12")},
			src: v4src, dst: MulticastIPv4, ttl: 255, want: skipNewMaster,
			wantMsg: "(VI_1) received an unexpected ip number count 0, expected 2!", verdict: KO},
		{name: "skip_check_adv_addr, in MASTER state", p: Packet{Version: 2, Type: 1, VRID: 51, AuthType: AuthPass, AdvertInt: 1, AuthData: PassData("secret12"), Addresses: addrs("192.168.99.100", "192.168.99.1")},
			src: v4src, dst: MulticastIPv4, ttl: 255, want: skipMaster,
			wantMsg: "(VI_1) ip address associated with VRID 51 not present in MASTER advert: 192.168.99.101", verdict: KO},
		{name: "AH expected", p: Packet{Version: 2, Type: 1, VRID: 51, AuthType: AuthAH, AdvertInt: 1, Addresses: oracleInstance.VIPs},
			src: v4src, dst: MulticastIPv4, ttl: 255, want: ah,
			verdict: Drop}, // the kernel does not hand a VRRP packet to keepalived's AH socket
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Encode(tt.p, tt.src, tt.dst)
			if err != nil {
				t.Fatal(err)
			}
			if tt.mod != nil {
				tt.mod(b)
			}
			p, err := Decode(b, tt.src, tt.dst, tt.ttl)
			if err != nil {
				t.Fatal(err)
			}
			err = Validate(p, tt.want)
			if tt.wantMsg == "" && tt.verdict == OK {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var re *RejectError
			if !errors.As(err, &re) {
				t.Fatalf("Validate = %v, want a RejectError", err)
			}
			if re.Msg != tt.wantMsg || re.Verdict != tt.verdict {
				t.Errorf("Validate = %q (verdict %d), want %q (verdict %d)", re.Msg, re.Verdict, tt.wantMsg, tt.verdict)
			}
		})
	}
}

// TestAHRoundTrip: an AH advert built by EncodeIPv4 decodes, verifies with
// the right key, fails with another and passes Validate.
func TestAHRoundTrip(t *testing.T) {
	src := netip.MustParseAddr("192.168.99.2")
	p := Packet{Version: 2, Type: 1, VRID: 51, Priority: 100, AuthType: AuthAH, AdvertInt: 1, Addresses: oracleInstance.VIPs}
	key := PassData("ahpass")
	pkt, err := EncodeIPv4(p, src, MulticastIPv4, IPv4Options{TTL: 255, ID: 7, Key: key, Seq: 3})
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeIPv4(pkt)
	if err != nil {
		t.Fatal(err)
	}
	if got.AH == nil || got.AH.Seq != 3 || got.AH.NextHeader != IPProtoVRRP || got.AH.PayloadLen != 4 {
		t.Fatalf("AH = %+v", got.AH)
	}
	if !reflect.DeepEqual(got.Addresses, p.Addresses) {
		t.Errorf("addresses %v", got.Addresses)
	}
	want := oracleInstance
	want.AuthType, want.AuthPass = AuthAH, key
	if CheckAH(&got, pkt, PassData("other"), false) {
		t.Fatal("AH verifies with the wrong key")
	}
	if err := Validate(got, want); err == nil || err.Error() != "(VI_1) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !" {
		t.Errorf("Validate with a bad ICV = %v", err)
	}
	if !CheckAH(&got, pkt, key, false) {
		t.Fatal("AH does not verify")
	}
	replay := want
	replay.Master, replay.AHSeq = true, 3
	if err := Validate(got, replay); err == nil || err.Error() != "(VI_1) IPSEC-AH : sequence number 3 already processed. Packet dropped. Local(3)" {
		t.Errorf("Validate of a replay = %v", err)
	}
	if err := Validate(got, want); err != nil {
		t.Errorf("Validate = %v", err)
	}
	// mutable fields (TOS, fragment offset, header checksum) are not covered
	pkt[1], pkt[10] = 0, 0x55
	if !CheckAH(&got, pkt, key, false) {
		t.Error("AH covers a mutable field")
	}
}

func TestConfigWarnings(t *testing.T) {
	tests := []struct {
		p    InstanceParams
		want []string
	}{
		{InstanceParams{Name: "A", Version: 2, AuthType: AuthPass, StrictMode: true}, []string{"(A) Strict mode does not support authentication. Ignoring."}},
		{InstanceParams{Name: "B", Version: 3, AuthType: AuthPass}, []string{"(B) VRRP version 3 does not support authentication. Ignoring."}},
		{InstanceParams{Name: "C", Version: 3, StrictMode: true, UnicastPeers: addrs("10.0.0.2")}, []string{"(C) Unicast peers are not supported in strict mode"}},
		{InstanceParams{Name: "D", Version: 2}, nil},
		// checked with keepalived -t: both directions of the owner rule
		{InstanceParams{Name: "VI_1", Version: 2, StrictMode: true, InitialMaster: true, Priority: 100, AuthType: AuthPass},
			[]string{"(VI_1) State MASTER must match being address owner", "(VI_1) Strict mode does not support authentication. Ignoring."}},
		{InstanceParams{Name: "VI_2", Version: 2, StrictMode: true, Priority: 255},
			[]string{"(VI_2) State MASTER must match being address owner"}},
		{InstanceParams{Name: "VI_3", Version: 3, StrictMode: true, InitialMaster: true, Priority: 255}, nil},
	}
	for _, tt := range tests {
		if got := ConfigWarnings(tt.p); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.p.Name, got, tt.want)
		}
	}
}

func TestAddressOwnerConflict(t *testing.T) {
	local := InstanceParams{Name: "VI_1", Priority: 255}
	if msg, ok := AddressOwnerConflict(Packet{Priority: 255}, local); !ok || msg != "(VI_1) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority" {
		t.Errorf("got %q %v", msg, ok)
	}
	if _, ok := AddressOwnerConflict(Packet{Priority: 254}, local); ok {
		t.Error("priority 254 is not an owner")
	}
}
