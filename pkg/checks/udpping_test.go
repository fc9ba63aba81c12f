package checks

import (
	"bytes"
	"context"
	"net"
	"os"
	"testing"
	"time"
)

func TestParseHexString(t *testing.T) {
	d, m, ok := ParseHexString("Ab12f 3 456 546443123", false)
	want := []byte{0xAB, 0x12, 0x0F, 0x03, 0x45, 0x06, 0x54, 0x64, 0x43, 0x12, 0x03}
	if !ok || !bytes.Equal(d, want) || m != nil {
		t.Fatalf("got % x mask % x ok %v, want % x", d, m, ok, want)
	}
	d, m, ok = ParseHexString("0aXx 1x", true)
	if !ok || !bytes.Equal(d, []byte{0x0a, 0x00, 0x10}) || !bytes.Equal(m, []byte{0x00, 0xff, 0x0f}) {
		t.Fatalf("masked: got % x mask % x ok %v", d, m, ok)
	}
	for _, bad := range []string{"", "  ", "zz", "0x12", "12 g"} {
		if _, _, ok := ParseHexString(bad, false); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseHexString(f *testing.F) {
	f.Add("Ab12f 3 456 546443123", true)
	f.Add("xX", false)
	f.Fuzz(func(t *testing.T, s string, mask bool) {
		d, m, ok := ParseHexString(s, mask)
		if ok && len(d) == 0 {
			t.Fatal("ok without data")
		}
		if m != nil && len(m) != len(d) {
			t.Fatal("mask and data lengths differ")
		}
	})
}

// udpServer answers each datagram with reply (nothing when reply is nil).
func udpServer(t *testing.T, reply []byte) (string, <-chan []byte) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	got := make(chan []byte, 16)
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			select {
			case got <- append([]byte(nil), buf[:n]...):
			default:
			}
			if reply != nil {
				pc.WriteTo(reply, from)
			}
		}
	}()
	return pc.LocalAddr().String(), got
}

func runProbe(p Probe, addr string, d time.Duration) Result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return p.Run(ctx, Target{Addr: addr})
}

func TestUDPProbe(t *testing.T) {
	silent, got := udpServer(t, nil)
	if r := runProbe(UDP{Payload: []byte{1, 2, 3}}, silent, 300*time.Millisecond); !r.OK {
		t.Errorf("silent server without require_reply: %v", r)
	}
	select {
	case b := <-got:
		if !bytes.Equal(b, []byte{1, 2, 3}) {
			t.Errorf("payload % x", b)
		}
	case <-time.After(5 * time.Second):
		t.Error("no datagram received")
	}
	if r := runProbe(UDP{RequireReply: true}, silent, 300*time.Millisecond); r.OK || r.Status != StatusL4TOUT {
		t.Errorf("silent server with require_reply: %v", r)
	}
	echo, _ := udpServer(t, []byte{0xde, 0xad, 0xbe, 0xef})
	if r := runProbe(UDP{RequireReply: true}, echo, 5*time.Second); !r.OK {
		t.Errorf("answering server: %v", r)
	}
	if r := runProbe(UDP{RequireReply: true, Reply: []byte{0xde, 0xad}}, echo, 5*time.Second); !r.OK {
		t.Errorf("matching prefix: %v", r)
	}
	if r := runProbe(UDP{RequireReply: true, Reply: []byte{0xde, 0x00, 0xbe}, ReplyMask: []byte{0, 0xff, 0}}, echo, 5*time.Second); !r.OK {
		t.Errorf("masked match: %v", r)
	}
	if r := runProbe(UDP{RequireReply: true, Reply: []byte{0xde, 0xae}}, echo, 5*time.Second); r.OK || r.Status != StatusL7RSP {
		t.Errorf("mismatch: %v", r)
	}
	if r := runProbe(UDP{RequireReply: true, Reply: []byte{0xde}, MaxReply: 3}, echo, 5*time.Second); r.OK {
		t.Errorf("reply longer than max_reply_length: %v", r)
	}
	if r := runProbe(UDP{RequireReply: true, Reply: []byte{0xde}, MinReply: 5, MaxReply: 255}, echo, 5*time.Second); r.OK {
		t.Errorf("reply shorter than min_reply_length: %v", r)
	}
	// a closed port answers with ICMP port unreachable
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := pc.LocalAddr().String()
	pc.Close()
	if r := runProbe(UDP{}, closed, 5*time.Second); r.OK || r.Status != StatusL4CON {
		t.Errorf("closed port: %v", r)
	}
}

func TestPingProbe(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a raw ICMP socket when ping sockets are not allowed")
	}
	if r := runProbe(Ping{}, "127.0.0.1:80", 5*time.Second); !r.OK {
		t.Errorf("ping 127.0.0.1: %v", r)
	}
	if r := runProbe(Ping{}, "::1", 5*time.Second); !r.OK {
		t.Errorf("ping ::1: %v", r)
	}
}
