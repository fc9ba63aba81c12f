package logsink

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logsink/oracletest"
)

var (
	reBSD = regexp.MustCompile(`[A-Z][a-z]{2} [ 1-3][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}`)
	reISO = regexp.MustCompile(`[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}[+-][0-9]{2}:[0-9]{2}`)
)

func normTime(b []byte) string {
	b = reBSD.ReplaceAll(b, []byte("<BSDTIME>"))
	b = reISO.ReplaceAll(b, []byte("<ISOTIME>"))
	return string(b)
}

// TestOracleHeaders runs haproxy 2.6 with one UDP log target per format
// and option, sends one connection through it, and renders the same text
// with our headers: the datagrams must be identical apart from the time.
func TestOracleHeaders(t *testing.T) {
	testenv.RequireRoot(t)
	type target struct {
		line string // after "log ADDR"
		hdr  Header
		none bool // haproxy sends nothing there
	}
	cases := []struct {
		name    string
		global  string
		targets []target
	}{
		{"plain", "", []target{
			{"local0", Header{Format: FormatLocal, Facility: 16, MaxLevel: 7}, false},
			{"len 1024 format rfc5424 local1 info", Header{Format: FormatRFC5424, Facility: 17, MaxLevel: 6}, false},
			{"format rfc3164 local7", Header{Format: FormatRFC3164, Facility: 23, MaxLevel: 7}, false},
			{"format short local2", Header{Format: FormatShort, Facility: 18, MaxLevel: 7}, false},
			{"format raw daemon", Header{Format: FormatRaw, Facility: 3, MaxLevel: 7}, false},
			{"format timed local2", Header{Format: FormatTimed, Facility: 18, MaxLevel: 7}, false},
			{"format iso local2", Header{Format: FormatISO, Facility: 18, MaxLevel: 7}, false},
			{"format priority local2", Header{Format: FormatPriority, Facility: 18, MaxLevel: 7}, false},
			{"len 90 local2", Header{Format: FormatLocal, Facility: 18, MaxLevel: 7, MaxLen: 90}, false},
			{"len 80 format rfc5424 local2", Header{Format: FormatRFC5424, Facility: 18, MaxLevel: 7, MaxLen: 80}, false},
			{"local3 err", Header{}, true},
			{"local4 debug notice", Header{Format: FormatLocal, Facility: 20, MaxLevel: 7, MinLevel: 5}, false},
		}},
		{"hostname", "log-send-hostname myhost\n    log-tag mytag\n", []target{
			{"local0", Header{Format: FormatRFC3164, Facility: 16, MaxLevel: 7, Hostname: "myhost", Tag: "mytag"}, false},
			{"format rfc5424 local1", Header{Format: FormatRFC5424, Facility: 17, MaxLevel: 7, Hostname: "myhost", Tag: "mytag"}, false},
			{"format local local1", Header{Format: FormatLocal, Facility: 17, MaxLevel: 7, Hostname: "myhost", Tag: "mytag"}, false},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := oracletest.ListenUDP(t)
			var caps []*oracletest.UDP
			var cfg strings.Builder
			fmt.Fprintf(&cfg, "global\n    %s    log %s format raw daemon\n", tc.global, raw.Addr)
			for _, tg := range tc.targets {
				u := oracletest.ListenUDP(t)
				caps = append(caps, u)
				fmt.Fprintf(&cfg, "    log %s %s\n", u.Addr, tg.line)
			}
			fe := testenv.FreeLoopbackAddr(t)
			be := oracletest.EchoServer(t)
			fmt.Fprintf(&cfg, "defaults\n    mode tcp\n    log global\n    option tcplog\n    timeout connect 5s\n    timeout client 5s\n    timeout server 5s\nfrontend fe\n    bind %s\n    default_backend be\nbackend be\n    server s1 %s\n", fe, be)
			pid := oracletest.HAProxy(t, cfg.String(), fe)
			// The readiness probe itself is logged; consume its lines first.
			raw.Next(t, 10*time.Second)
			for i, u := range caps {
				if !tc.targets[i].none {
					u.Next(t, 10*time.Second)
				}
			}
			c, err := net.DialTimeout("tcp", fe, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			c.Write([]byte("hello\n"))
			io.ReadFull(c, make([]byte, 6))
			c.Close()
			text := bytes.TrimSuffix(raw.Next(t, 10*time.Second), []byte("\n"))
			for i, tg := range tc.targets {
				if tg.none {
					if got := caps[i].Drain(time.Second); len(got) != 0 {
						t.Errorf("log %s: haproxy sent %q, expected nothing", tg.line, got)
					}
					if tg.hdr.Accept(LevelInfo) {
						t.Errorf("log %s: we would send an info line", tg.line)
					}
					continue
				}
				got := caps[i].Next(t, 10*time.Second)
				h := tg.hdr
				if h.Tag == "" {
					h.Tag = "haproxy"
				}
				h.PID = pid
				want := h.AppendLine(nil, time.Now(), LevelInfo, text)
				if normTime(got) != normTime(want) {
					t.Errorf("log %s:\nhaproxy: %q\nours:    %q", tg.line, got, want)
				}
			}
		})
	}
}

// TestSinkUDP sends through a Sink to a UDP listener.
func TestSinkUDP(t *testing.T) {
	u := oracletest.ListenUDP(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := New(ctx, Config{Address: u.Addr, Header: Header{Format: FormatShort, Facility: 16, MaxLevel: 6}})
	if err != nil {
		t.Fatal(err)
	}
	s.Log(time.Now(), LevelDebug, []byte("filtered"))
	s.Log(time.Now(), LevelInfo, []byte("hello"))
	if got := string(u.Next(t, 10*time.Second)); got != "<6>hello\n" {
		t.Fatalf("got %q", got)
	}
	s.Close()
	if s.Sent() != 1 || s.Dropped() != 0 {
		t.Fatalf("sent %d dropped %d", s.Sent(), s.Dropped())
	}
}

// TestSinkUnixgram sends through a Sink to a unix datagram socket.
func TestSinkUnixgram(t *testing.T) {
	path := t.TempDir() + "/log.sock"
	pc, err := net.ListenPacket("unixgram", path)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	s, err := New(context.Background(), Config{Address: path, Header: Header{Format: FormatRaw, MaxLevel: 7}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Log(time.Now(), LevelInfo, []byte("over unix"))
	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 100)
	n, _, err := pc.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "over unix\n" {
		t.Fatalf("got %q %v", buf[:n], err)
	}
}

// TestSinkNeverBlocks fills a sink whose target never reads: Log must
// return at once and count drops.
func TestSinkNeverBlocks(t *testing.T) {
	s, err := New(context.Background(), Config{Address: "127.0.0.1:9", Buffers: 2, Header: Header{MaxLevel: 7}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 1000; i++ {
		s.Log(time.Now(), LevelInfo, []byte("x"))
	}
	if s.Sent()+s.Dropped() == 0 {
		t.Fatal("nothing counted")
	}
}

func TestParseAddress(t *testing.T) {
	for in, want := range map[string]Target{
		"127.0.0.1":        {"udp", "127.0.0.1:514"},
		"127.0.0.1:1514":   {"udp", "127.0.0.1:1514"},
		"ipv4@10.0.0.1":    {"udp", "10.0.0.1:514"},
		"ipv6@::1:":        {"udp", "[::1]:514"},
		"[::1]:600":        {"udp", "[::1]:600"},
		"udp@host:99":      {"udp", "host:99"},
		"/dev/log":         {"unixgram", "/dev/log"},
		"unix@/run/x.sock": {"unixgram", "/run/x.sock"},
		"stdout":           {"fd", "1"},
		"stderr":           {"fd", "2"},
		"fd@3":             {"fd", "3"},
	} {
		got, err := ParseAddress(in)
		if err != nil || got != want {
			t.Errorf("ParseAddress(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"ring@r", "fd@x", "1.2.3.4:0", "foo@bar", ":514"} {
		if _, err := ParseAddress(bad); err == nil {
			t.Errorf("ParseAddress(%q) accepted", bad)
		}
	}
}

func BenchmarkAppendLine(b *testing.B) {
	h := Header{Format: FormatRFC5424, Facility: 16, MaxLevel: 7, Tag: "haproxy", PID: 1234}
	buf := make([]byte, 0, 1024)
	text := []byte("127.0.0.1:57316 [25/Nov/2026:14:40:12.533] fe be/s1 1/0/23 3 -- 1/1/0/0/0 0/0")
	now := time.Now()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = h.AppendLine(buf[:0], now, LevelInfo, text)
	}
}

func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"127.0.0.1:514", "ipv6@::1", "[::1]:5", "fd@1", "unix@/x", "stdout"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ParseAddress(s)
	})
}
