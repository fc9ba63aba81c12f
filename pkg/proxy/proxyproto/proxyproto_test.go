package proxyproto

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestDecodeTable(t *testing.T) {
	ap := netip.MustParseAddrPort
	tests := []struct {
		name     string
		in       string
		err      error // nil, ErrNeedMore or a specific *Error
		n        int
		src, dst string // "" when no addresses
		strict   error  // DecodeStrict's error when it differs
	}{
		{name: "empty", in: "", err: ErrNeedMore},
		{name: "P", in: "P", err: ErrNeedMore},
		{name: "PROXY", in: "PROXY", err: ErrNeedMore},
		{name: "sig-prefix", in: Signature[:7], err: ErrNeedMore},
		{name: "sig+ver", in: Signature + "\x21\x11", err: ErrNeedMore},
		{name: "garbage", in: "GET /", err: ErrNotProxy},
		{name: "bad-version", in: Signature + "\x11", err: ErrNotProxy},
		{name: "v1-tcp4", in: "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\nGET", n: 45, src: "192.0.2.1:56324", dst: "198.51.100.2:443"},
		{name: "v1-tcp4-partial", in: "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r", err: ErrNeedMore},
		{name: "v1-tcp4-partial-proto", in: "PROXY TC", err: ErrNeedMore},
		{name: "v1-tcp6", in: "PROXY TCP6 2001:db8::1 ::ffff:1.2.3.4 1 65535\r\n", n: 47, src: "[2001:db8::1]:1", dst: "[::ffff:1.2.3.4]:65535"},
		{name: "v1-unknown", in: "PROXY UNKNOWN\r\nx", n: 15},
		{name: "v1-unknown-partial", in: "PROXY UNKNOWN\r", err: ErrNeedMore},
		{name: "v1-unknown-long", in: "PROXY UNKNOWN ::1 ::1 1 2\r\n", err: ErrV1BadProto},
		{name: "v1-bad-proto", in: "PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n", err: ErrV1BadProto},
		{name: "v1-three-parts", in: "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", n: 30, src: "1.2.3.0:1", dst: "5.6.7.8:2", strict: ErrV1BadAddr},
		{name: "v1-last-three-digits", in: "PROXY TCP4 1.2.3.1234 5.6.7.8 1 2\r\n", n: 35, src: "1.2.3.234:1", dst: "5.6.7.8:2", strict: ErrV1BadAddr},
		{name: "v1-999-carries", in: "PROXY TCP4 0.0.1.999 5.6.7.8 1 2\r\n", n: 34, src: "0.0.4.231:1", dst: "5.6.7.8:2", strict: ErrV1BadAddr},
		{name: "v1-port-wraps", in: "PROXY TCP4 1.2.3.4 5.6.7.8 99999 2\r\n", n: 36, src: "1.2.3.4:34463", dst: "5.6.7.8:2", strict: ErrV1BadPort},
		{name: "v1-port-leading-zero", in: "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", n: 33, src: "1.2.3.4:1", dst: "5.6.7.8:2", strict: ErrV1BadPort},
		{name: "v1-lf-only", in: "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\nxx", err: ErrV1BadCRLF},
		{name: "v1-addr-letter", in: "PROXY TCP4 1.2.3.x 5.6.7.8 1 2\r\n", err: ErrV1BadAddr},
		{name: "v1-too-long", in: "PROXY TCP4 1.2.3.4 5.6.7.8 1 " + strings.Repeat("0", 80), err: ErrV1TooLong},
		{name: "v1-tcp6-extra", in: "PROXY TCP6 ::1 ::2 1 2 x\r\n", n: 26, src: "[::1]:1", dst: "[::2]:2", strict: ErrV1Syntax},
		{name: "v1-tcp6-v4", in: "PROXY TCP6 1.2.3.4 ::2 1 2\r\n", err: ErrV1BadAddr},
		{name: "v1-tcp6-zone", in: "PROXY TCP6 fe80::1%1 ::2 1 2\r\n", err: ErrV1BadAddr},
		{name: "v1-tcp6-3-fields", in: "PROXY TCP6 ::1 ::2 1\r\n", err: ErrV1Syntax},
		{name: "v1-tcp6-port-letter", in: "PROXY TCP6 ::1 ::2 1 2x\r\n", err: ErrV1BadPort},
		{name: "v2-tcp4", in: string(v2(0x21, 0x11, addr4)) + "data", n: 28, src: "10.0.0.1:12345", dst: "10.0.0.2:80"},
		{name: "v2-tcp6", in: string(v2(0x21, 0x21, addr6)), n: 52, src: "[2001:db8::1]:12345", dst: "[2001:db8::2]:443"},
		{name: "v2-partial", in: string(v2(0x21, 0x21, addr6))[:51], err: ErrNeedMore},
		{name: "v2-local", in: string(v2(0x20, 0x00)), n: 16},
		{name: "v2-local-odd-family", in: string(v2(0x20, 0x77)), n: 16, strict: ErrV2BadFamily},
		{name: "v2-bad-cmd", in: string(v2(0x2f, 0x11, addr4)), err: ErrV2BadCommand},
		{name: "v2-short", in: string(v2(0x21, 0x11, addr4[:8])), err: ErrV2ShortAddr},
		{name: "v2-udp4-quirk", in: string(v2(0x21, 0x12, addr4)), err: ErrV2TLVTruncated},
		{name: "v2-crc-ok", in: string(withCRC(v2(0x21, 0x11, addr4), false)), n: 35, src: "10.0.0.1:12345", dst: "10.0.0.2:80"},
		{name: "v2-crc-bad", in: string(withCRC(v2(0x21, 0x11, addr4), true)), err: ErrV2BadCRC32C},
		{name: "v2-crc-len", in: string(v2(0x21, 0x11, addr4, tlv(TypeCRC32C, nil))), err: ErrV2BadCRC32CLen},
		{name: "v2-authority", in: string(v2(0x21, 0x11, addr4, tlv(TypeAuthority, make([]byte, 256)))), err: ErrV2AuthorityLong},
		{name: "v2-uniqueid", in: string(v2(0x21, 0x11, addr4, tlv(TypeUniqueID, make([]byte, 129)))), err: ErrV2UniqueIDLong},
		{name: "v2-tlv-trunc", in: string(v2(0x21, 0x11, addr4, []byte{4, 0})), err: ErrV2TLVTruncated},
		{name: "v2-bad-ssl", in: string(v2(0x21, 0x11, addr4, tlv(TypeSSL, []byte{1}))), n: 32, src: "10.0.0.1:12345", dst: "10.0.0.2:80", strict: ErrV2BadSSL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, strict := range []bool{false, true} {
				dec, wantErr := Decode, tc.err
				if strict {
					dec = DecodeStrict
					if tc.strict != nil {
						wantErr = tc.strict
					}
				}
				h, n, err := dec([]byte(tc.in))
				if !errors.Is(err, wantErr) || (wantErr == nil) != (err == nil) {
					t.Fatalf("strict=%v: err = %v, want %v", strict, err, wantErr)
				}
				if err != nil {
					if wantErr != ErrNeedMore && !errors.Is(err, ErrInvalid) {
						t.Fatalf("%v does not match ErrInvalid", err)
					}
					continue
				}
				if n != tc.n {
					t.Fatalf("strict=%v: n = %d, want %d", strict, n, tc.n)
				}
				if tc.src == "" {
					if h.HasAddrs {
						t.Fatalf("unexpected addresses %v %v", h.Src, h.Dst)
					}
					continue
				}
				if !h.HasAddrs || h.Src != ap(tc.src) || h.Dst != ap(tc.dst) {
					t.Fatalf("addrs %v -> %v, want %s -> %s", h.Src, h.Dst, tc.src, tc.dst)
				}
			}
		})
	}
}

// Every proper prefix of a valid header asks for more bytes.
func TestDecodePrefixes(t *testing.T) {
	for _, tc := range acceptCases() {
		if _, n, err := Decode(tc.header); err != nil || n != len(tc.header) {
			continue
		}
		for i := 0; i < len(tc.header); i++ {
			if _, _, err := Decode(tc.header[:i]); err != ErrNeedMore {
				// Long v1 lines are cut at 107 bytes.
				if i >= MaxV1Len && err == ErrV1TooLong {
					continue
				}
				t.Fatalf("%s: prefix %d: %v", tc.name, i, err)
			}
		}
	}
}

func TestNtop6(t *testing.T) {
	tests := []struct{ in, want string }{
		{"::", "::"},
		{"::1", "::1"},
		{"1::", "1::"},
		{"2001:db8::1", "2001:db8::1"},
		{"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
		{"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
		{"1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0"},
		{"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
		{"::1.2.3.4", "::1.2.3.4"},
		{"::0.1.0.0", "::0.1.0.0"},
		{"::ffff:0:1.2.3.4", "::ffff:0:102:304"},
		{"fe80::abcd:ef01", "fe80::abcd:ef01"},
		{"ABCD::", "abcd::"},
	}
	for _, tc := range tests {
		a, ok := pton6([]byte(tc.in))
		if !ok {
			t.Fatalf("pton6(%q) failed", tc.in)
		}
		if got := string(appendNtop6(nil, a)); got != tc.want {
			t.Errorf("ntop6(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestPton(t *testing.T) {
	good6 := []string{"::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4", "::1.2.3.4", "0001:2::"}
	bad6 := []string{"", ":", ":1::", "1:::2", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::8", "12345::", "1:", "::1.2.3", "::01.2.3.4", "1.2.3.4", "::1%eth0", "g::"}
	for _, s := range good6 {
		if _, ok := pton6([]byte(s)); !ok {
			t.Errorf("pton6(%q) refused", s)
		}
	}
	for _, s := range bad6 {
		if _, ok := pton6([]byte(s)); ok {
			t.Errorf("pton6(%q) accepted", s)
		}
	}
	var a [4]byte
	for _, s := range []string{"1.2.3", "01.2.3.4", "256.1.1.1", "1.2.3.4.", "1..3.4", ""} {
		if pton4([]byte(s), a[:]) {
			t.Errorf("pton4(%q) accepted", s)
		}
	}
	if !pton4([]byte("0.10.255.1"), a[:]) || a != [4]byte{0, 10, 255, 1} {
		t.Errorf("pton4 = %v", a)
	}
}

func TestRoundTrip(t *testing.T) {
	addrs := []string{"0.0.0.0:0", "255.255.255.255:65535", "192.0.2.1:80", "[::]:0", "[::1]:1", "[2001:db8::1]:443",
		"[::ffff:10.1.2.3]:5", "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", "[::1.2.3.4]:9"}
	for _, s := range addrs {
		for _, d := range addrs {
			src, dst := netip.MustParseAddrPort(s), netip.MustParseAddrPort(d)
			// v1 turns mixed families into IPv6.
			wantSrc, wantDst := src, dst
			if src.Addr().Is4() != dst.Addr().Is4() {
				wantSrc = netip.AddrPortFrom(netip.AddrFrom16(src.Addr().As16()), src.Port())
				wantDst = netip.AddrPortFrom(netip.AddrFrom16(dst.Addr().As16()), dst.Port())
			}
			l := AppendV1(nil, src, dst)
			if len(l) > MaxV1Len {
				t.Fatalf("%q longer than %d", l, MaxV1Len)
			}
			h, n, err := DecodeStrict(l)
			if err != nil || n != len(l) || h.Src != wantSrc || h.Dst != wantDst {
				t.Fatalf("v1 %q: %v %d %v %v", l, err, n, h.Src, h.Dst)
			}
			c := &Conn{Src: src, Dst: dst, ALPN: []byte("http/1.1"), Authority: []byte("a.example"), HasStream: true, UniqueID: []byte("id"),
				NetNS: []byte("ns"), TLS: &TLSInfo{Version: "TLSv1.2", CertSess: true, Verify: 19, CN: "cn", Cipher: "AES"}}
			o := V2Options{SSL: true, SSLCN: true, SSLCipher: true, Authority: true, CRC32C: true, UniqueID: true}
			b := AppendV2([]byte("prefix"), c, o)[6:]
			h, n, err = DecodeStrict(b)
			if err != nil || n != len(b) || h.Src != wantSrc || h.Dst != wantDst {
				t.Fatalf("v2 %q: %v %d %v %v", b, err, n, h.Src, h.Dst)
			}
			if v, _ := h.ALPN(); string(v) != "http/1.1" {
				t.Fatalf("alpn %q", v)
			}
			if v, _ := h.Authority(); string(v) != "a.example" {
				t.Fatalf("authority %q", v)
			}
			if v, _ := h.UniqueID(); string(v) != "id" {
				t.Fatalf("unique id %q", v)
			}
			if v, _ := h.NetNS(); string(v) != "ns" {
				t.Fatalf("netns %q", v)
			}
			if _, ok := h.CRC32C(); !ok {
				t.Fatal("no crc")
			}
			ssl, ok, err := h.SSL()
			if !ok || err != nil || ssl.Client != ClientSSL|ClientCertSess || ssl.Verify != 19 || string(ssl.Version) != "TLSv1.2" ||
				string(ssl.CN) != "cn" || string(ssl.Cipher) != "AES" || ssl.SigAlg != nil {
				t.Fatalf("ssl %+v %v %v", ssl, ok, err)
			}
			if got := h.AppendTLVs(nil); len(got) != 6 {
				t.Fatalf("tlvs %v", got)
			}
		}
	}
}

func TestLocalAndUnknown(t *testing.T) {
	if got := string(AppendV1(nil, netip.AddrPort{}, netip.MustParseAddrPort("1.2.3.4:5"))); got != "PROXY UNKNOWN\r\n" {
		t.Fatal(got)
	}
	b := AppendV2(nil, &Conn{Src: netip.MustParseAddrPort("1.2.3.4:5"), Dst: netip.MustParseAddrPort("1.2.3.4:5"), Local: true}, V2Options{})
	if !bytes.Equal(b, []byte(Signature+"\x20\x00\x00\x00")) {
		t.Fatalf("%q", b)
	}
}

func TestParseV2Options(t *testing.T) {
	var o V2Options
	if err := ParseV2Options(&o, "ssl,cert-cn,ssl-cipher,cert-sig,cert-key,authority,crc32c,unique-id"); err != nil {
		t.Fatal(err)
	}
	if o != (V2Options{true, true, true, true, true, true, true, true}) {
		t.Fatalf("%+v", o)
	}
	if err := ParseV2Options(&o, "ssl,bogus"); err == nil || err.Error() != "'bogus' : proxy v2 option not implemented" {
		t.Fatal(err)
	}
}

func TestErrorMessages(t *testing.T) {
	for err, want := range map[*Error]string{
		ErrNotProxy:    "Received something which does not look like a PROXY protocol header",
		ErrV1BadProto:  "Received an unhandled protocol in the PROXY protocol header",
		ErrV2BadCRC32C: "Received an invalid PROXY protocol header",
		ErrV1TooLong:   "Truncated PROXY protocol header received",
	} {
		if err.HAProxyMessage() != want {
			t.Errorf("%v: %q", err, err.HAProxyMessage())
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	c := &Conn{Src: netip.MustParseAddrPort("[2001:db8::1]:1"), Dst: netip.MustParseAddrPort("[2001:db8::2]:2"), HasStream: true, UniqueID: []byte("x")}
	o := V2Options{CRC32C: true, UniqueID: true}
	buf := make([]byte, 0, 256)
	v1 := AppendV1(nil, c.Src, c.Dst)
	hdr := AppendV2(nil, c, o)
	garbage := []byte("GET / HTTP/1.1\r\n")
	for name, f := range map[string]func(){
		"AppendV1": func() { buf = AppendV1(buf[:0], c.Src, c.Dst) },
		"AppendV2": func() { buf = AppendV2(buf[:0], c, o) },
		"DecodeV1": func() { _, _, _ = Decode(v1) },
		"DecodeV2": func() { _, _, _ = Decode(hdr) },
		"Strict":   func() { _, _, _ = DecodeStrict(v1) },
		"Error":    func() { _, _, _ = Decode(garbage) },
	} {
		if a := testing.AllocsPerRun(100, f); a != 0 {
			t.Errorf("%s: %v allocations", name, a)
		}
	}
}
