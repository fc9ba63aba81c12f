package proxyproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// v2 builds a version 2 header by hand: ver_cmd byte, family byte, body
// (addresses and TLVs). The length field is the body length.
func v2(verCmd, fam byte, body ...[]byte) []byte {
	b := []byte(Signature)
	b = append(b, verCmd, fam, 0, 0)
	for _, p := range body {
		b = append(b, p...)
	}
	binary.BigEndian.PutUint16(b[14:], uint16(len(b)-16))
	return b
}

// v2Len is v2 with an explicit length field.
func v2Len(verCmd, fam byte, l uint16, body ...[]byte) []byte {
	b := v2(verCmd, fam, body...)
	binary.BigEndian.PutUint16(b[14:], l)
	return b
}

func tlv(typ byte, v []byte) []byte {
	return append([]byte{typ, byte(len(v) >> 8), byte(len(v))}, v...)
}

var (
	addr4 = []byte{10, 0, 0, 1, 10, 0, 0, 2, 0x30, 0x39, 0x00, 0x50} // 10.0.0.1:12345 -> 10.0.0.2:80
	addr6 = append(append(append([]byte{}, netip.MustParseAddr("2001:db8::1").AsSlice()...),
		netip.MustParseAddr("2001:db8::2").AsSlice()...), 0x30, 0x39, 0x01, 0xbb)
)

// withCRC appends a CRC32C TLV to a v2 header and fixes length and checksum.
func withCRC(h []byte, corrupt bool) []byte {
	h = append(append([]byte{}, h...), TypeCRC32C, 0, 4, 0, 0, 0, 0)
	binary.BigEndian.PutUint16(h[14:], uint16(len(h)-16))
	sum := crc32.Checksum(h, castagnoli)
	if corrupt {
		sum ^= 1
	}
	binary.BigEndian.PutUint32(h[len(h)-4:], sum)
	return h
}

type acceptCase struct {
	name   string
	header []byte
}

func acceptCases() []acceptCase {
	ap := netip.MustParseAddrPort
	long := func(n int) []byte { return bytes.Repeat([]byte{'a'}, n) }
	crcTwice := withCRC(withCRC(v2(0x21, 0x11, addr4), false), false)
	cases := []acceptCase{
		// Headers our encoder produces.
		{"enc-v1-tcp4", AppendV1(nil, ap("192.0.2.1:1234"), ap("198.51.100.7:443"))},
		{"enc-v1-tcp6", AppendV1(nil, ap("[2001:db8::5]:1"), ap("[2001:db8:0:0:1::6]:65535"))},
		{"enc-v1-mixed", AppendV1(nil, ap("192.0.2.1:1"), ap("[2001:db8::1]:2"))},
		{"enc-v1-compat", AppendV1(nil, ap("[::1.2.3.4]:1"), ap("[::ffff:5.6.7.8]:2"))},
		{"enc-v1-unknown", AppendV1(nil, netip.AddrPort{}, netip.AddrPort{})},
		{"enc-v2-tcp4", AppendV2(nil, &Conn{Src: ap("192.0.2.1:1234"), Dst: ap("198.51.100.7:443")}, V2Options{})},
		{"enc-v2-tcp6", AppendV2(nil, &Conn{Src: ap("[2001:db8::5]:1"), Dst: ap("[2001:db8::6]:2")}, V2Options{})},
		{"enc-v2-local", AppendV2(nil, &Conn{Local: true}, V2Options{CRC32C: true})},
		{"enc-v2-all-tlvs", AppendV2(nil, &Conn{Src: ap("192.0.2.1:1234"), Dst: ap("198.51.100.7:443"),
			ALPN: []byte("h2"), Authority: []byte("example.com"), HasStream: true, UniqueID: long(128),
			NetNS: []byte("blue"), TLS: &TLSInfo{Version: "TLSv1.3", CertSess: true, CertConn: true, Verify: 0,
				CN: "client", KeyAlg: "RSA2048", SigAlg: "SHA256", Cipher: "TLS_AES_128_GCM_SHA256"}},
			V2Options{SSL: true, SSLCN: true, SSLCipher: true, SSLSigAlg: true, SSLKeyAlg: true, Authority: true, CRC32C: true, UniqueID: true})},
		// haproxy's lenient v1 parsing.
		{"v1-tcp4-three-parts", []byte("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n")},
		{"v1-tcp4-leading-zeros", []byte("PROXY TCP4 001.002.003.004 5.6.7.8 01 02\r\n")},
		{"v1-tcp4-long-part", []byte("PROXY TCP4 1.2.3.1234 5.6.7.8 1 2\r\n")},
		{"v1-tcp4-empty-src", []byte("PROXY TCP4  5.6.7.8 1 2\r\n")},
		{"v1-port-overflow", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 99999 2\r\n")},
		{"v1-port-empty", []byte("PROXY TCP4 1.2.3.4 5.6.7.8  2\r\n")},
		{"v1-over-107-bytes", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 " + strings.Repeat("0", 90) + "1 2\r\n")},
		{"v1-tcp6-extra-field", []byte("PROXY TCP6 ::1 ::2 1 2 extra\r\n")},
		{"v1-tcp6-v4mapped", []byte("PROXY TCP6 ::ffff:1.2.3.4 ::2 1 2\r\n")},
		{"v1-tcp6-nul-in-port", []byte("PROXY TCP6 ::1 ::2 1\x00x 2\r\n")},
		{"v2-local-any-family", v2(0x20, 0xff, long(3))},
		{"v2-local-garbage-tlvs", v2(0x20, 0x11, addr4, []byte{1, 2})},
		{"v2-tcp4-noop-bad-ssl", v2(0x21, 0x11, addr4, tlv(TypeNoop, long(10)), tlv(TypeSSL, []byte{1, 0, 0, 0, 0, 0x21, 0, 9}))},
		{"v2-tcp6-crc", withCRC(v2(0x21, 0x21, addr6), false)},
		{"v2-crc-twice", crcTwice},
		{"v2-limits", v2(0x21, 0x11, addr4, tlv(TypeAuthority, long(255)), tlv(TypeUniqueID, long(128)))},
		{"v2-unspec-quirk-accepted", v2Len(0x21, 0x00, 2576-16, make([]byte, 2576-16))},
		// Malformed: both must refuse.
		{"bad-not-proxy", []byte("GET / HTTP/1.0\r\n\r\n")},
		{"bad-v1-proto", []byte("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n")},
		{"bad-v1-lowercase", []byte("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n")},
		{"bad-v1-double-space", []byte("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n")},
		{"bad-v1-lf-only", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n")},
		{"bad-v1-cr-only", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rx\n")},
		{"bad-v1-tcp4-trailing", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n")},
		{"bad-v1-tcp4-letter", []byte("PROXY TCP4 1.2.3.x 5.6.7.8 1 2\r\n")},
		{"bad-v1-tcp6-v4addr", []byte("PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n")},
		{"bad-v1-tcp6-badhex", []byte("PROXY TCP6 ::g ::2 1 2\r\n")},
		{"bad-v1-tcp6-missing-port", []byte("PROXY TCP6 ::1 ::2 1\r\n")},
		{"bad-v1-tcp6-port-letter", []byte("PROXY TCP6 ::1 ::2 1x 2\r\n")},
		{"bad-v1-tcp6-zone", []byte("PROXY TCP6 fe80::1%lo ::2 1 2\r\n")},
		{"bad-v1-unknown-long", []byte("PROXY UNKNOWN ::1 ::2 1 2\r\n")},
		{"bad-v2-version", v2(0x11, 0x11, addr4)},
		{"bad-v2-command", v2(0x22, 0x11, addr4)},
		{"bad-v2-short-tcp4", v2(0x21, 0x11, addr4[:11])},
		{"bad-v2-short-tcp6", v2(0x21, 0x21, addr6[:35])},
		{"bad-v2-udp4", v2(0x21, 0x12, addr4)},
		{"bad-v2-unix", v2(0x21, 0x31, make([]byte, 216))},
		{"bad-v2-unspec", v2(0x21, 0x00)},
		{"bad-v2-tlv-truncated", v2(0x21, 0x11, addr4, []byte{TypeNoop, 0})},
		{"bad-v2-tlv-overlong", v2(0x21, 0x11, addr4, []byte{TypeNoop, 0, 9, 1})},
		{"bad-v2-crc", withCRC(v2(0x21, 0x11, addr4), true)},
		{"bad-v2-crc-len", v2(0x21, 0x11, addr4, tlv(TypeCRC32C, []byte{1, 2, 3}))},
		{"bad-v2-authority-256", v2(0x21, 0x11, addr4, tlv(TypeAuthority, long(256)))},
		{"bad-v2-uniqueid-129", v2(0x21, 0x11, addr4, tlv(TypeUniqueID, long(129)))},
		{"bad-v2-truncated", v2Len(0x21, 0x11, 200, addr4)},
	}
	return cases
}

// echoBackend accepts connections that carry a send-proxy-v2 header,
// reports the decoded header and echoes the rest.
type echoBackend struct {
	ln      net.Listener
	mu      sync.Mutex
	headers map[uint16]Header // by the client port haproxy relayed
	wg      sync.WaitGroup
}

func newEchoBackend(t *testing.T) *echoBackend {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &echoBackend{ln: ln, headers: map[uint16]Header{}}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				defer c.Close()
				h, _, rest, err := readHeader(c)
				if err != nil {
					return
				}
				// Key by the port haproxy saw as the client's: either
				// the decoded one or, for LOCAL/UNKNOWN, the real one.
				e.mu.Lock()
				e.headers[h.Src.Port()] = h
				e.mu.Unlock()
				_ = c.SetDeadline(time.Now().Add(ioTimeout))
				if _, err := c.Write(rest); err != nil {
					return
				}
				buf := make([]byte, 512)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if _, err := c.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); e.wg.Wait() })
	return e
}

func (e *echoBackend) header(port uint16) (Header, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	h, ok := e.headers[port]
	delete(e.headers, port)
	return h, ok
}

// TestOracleAccept sends each header (and a payload) to haproxy's
// "bind ... accept-proxy" and "tcp-request connection expect-proxy layer4"
// and checks that haproxy accepts exactly the headers Decode accepts, and
// takes the same addresses from them.
func TestOracleAccept(t *testing.T) {
	runOracleAccept(t, acceptCases(), true)
}

// TestOracleAcceptMutations does the same with 2000 random mutations of
// those headers (fixed seed).
func TestOracleAcceptMutations(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	seeds := acceptCases()
	special := []byte(" \r\n.:0129aAfFxP\x00\xff\x03\x11\x21")
	var cases []acceptCase
	for i := 0; i < 2000; i++ {
		b := append([]byte{}, seeds[rng.IntN(len(seeds))].header...)
		for m := 1 + rng.IntN(2); m > 0 && len(b) > 1; m-- {
			k := rng.IntN(len(b))
			switch rng.IntN(5) {
			case 0:
				b[k] = byte(rng.IntN(256))
			case 1, 2:
				b[k] = special[rng.IntN(len(special))]
			case 3:
				b = append(b[:k], b[k+1:]...)
			case 4:
				b = append(b[:k], append([]byte{special[rng.IntN(len(special))]}, b[k:]...)...)
			}
		}
		cases = append(cases, acceptCase{fmt.Sprintf("mut%03d", i), b})
	}
	runOracleAccept(t, cases, false)
}

func runOracleAccept(t *testing.T, cases []acceptCase, both bool) {
	be := newEchoBackend(t)
	fe1 := fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp", "127.0.0.1"))
	fe2 := fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp", "127.0.0.1"))
	cfg := fmt.Sprintf(`global
  maxconn 200
defaults
  mode tcp
  timeout connect 5s
  timeout client 10s
  timeout server 10s
listen accept_proxy
  bind %s accept-proxy
  server s %s send-proxy-v2
listen expect_proxy
  bind %s
  tcp-request connection expect-proxy layer4
  server s %s send-proxy-v2
`, fe1, be.ln.Addr(), fe2, be.ln.Addr())
	startHAProxy(t, cfg)
	waitListening(t, fe1, fe2)
	accepted, refused, skipped := 0, 0, 0
	fes := []string{fe1, fe2}
	if !both {
		fes = fes[:1]
	}
	for _, fe := range fes {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				payload := []byte("ping\n")
				h, n, err := Decode(append(append([]byte{}, tc.header...), payload...))
				if err == nil && n != len(tc.header) {
					// The header would swallow part of the payload.
					skipped++
					return
				}
				wantAccept := err == nil
				got, realSrc := probe(t, fe, tc.header, payload)
				if got != wantAccept {
					t.Fatalf("haproxy accepted=%v, Decode accepted=%v (n=%d err=%v) for %q", got, wantAccept, n, err, tc.header)
				}
				if !got {
					refused++
					return
				}
				accepted++
				// haproxy relays what it decoded with send-proxy-v2.
				wantSrc, wantDst := h.Src, h.Dst
				if !h.HasAddrs {
					wantSrc = realSrc
				}
				var seen Header
				var ok bool
				for i := 0; i < 100; i++ {
					if seen, ok = be.header(wantSrc.Port()); ok {
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
				if !ok {
					t.Fatalf("backend saw no header for source port %d", wantSrc.Port())
				}
				if seen.Src != wantSrc || (h.HasAddrs && seen.Dst != wantDst) {
					t.Errorf("haproxy relayed %v -> %v, Decode read %v -> %v", seen.Src, seen.Dst, wantSrc, wantDst)
				}
			})
		}
	}
	t.Logf("haproxy and Decode agree on %d accepted and %d refused headers (%d ambiguous skipped)", accepted, refused, skipped)
}

func waitListening(t *testing.T, addrs ...string) {
	t.Helper()
	for _, a := range addrs {
		for i := 0; ; i++ {
			c, err := net.DialTimeout("tcp", a, time.Second)
			if err == nil {
				c.Close()
				break
			}
			if i == 100 {
				t.Fatalf("%s: %v", a, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// probe writes header+payload in one segment and reports whether the
// payload came back (accepted) or the connection closed (refused).
func probe(t *testing.T, addr string, header, payload []byte) (bool, netip.AddrPort) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	src := addrPort(c.LocalAddr())
	if _, err := c.Write(append(append([]byte{}, header...), payload...)); err != nil {
		return false, src
	}
	_ = c.SetReadDeadline(time.Now().Add(ioTimeout))
	var got []byte
	buf := make([]byte, 64)
	for len(got) < len(payload) {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("no answer and no close within %v", ioTimeout)
			}
			return false, src
		}
	}
	if !bytes.Equal(got, payload) {
		t.Fatalf("echo = %q", got)
	}
	return true, src
}
