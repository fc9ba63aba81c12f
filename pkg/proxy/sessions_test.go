package proxy

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/healthcheck"
)

func TestConnLimit(t *testing.T) {
	l := newConnLimit(2)
	ctx := context.Background()
	if !l.take(ctx) || !l.take(ctx) {
		t.Fatal("the first two slots are not given")
	}
	got := make(chan bool, 1)
	go func() { got <- l.take(ctx) }()
	select {
	case <-got:
		t.Fatal("a third slot was given at maxconn 2")
	case <-time.After(50 * time.Millisecond):
	}
	l.release()
	if !<-got {
		t.Fatal("the waiting take failed after a release")
	}
	// raising the limit lets a waiter in
	go func() { got <- l.take(ctx) }()
	l.setMax(3)
	if !<-got {
		t.Fatal("the waiting take failed after setMax")
	}
	// lowering it holds new sessions until enough leave
	l.setMax(1)
	if l.tryTake() {
		t.Fatal("a slot was given above the lowered limit")
	}
	cctx, cancel := context.WithCancel(ctx)
	go func() { got <- l.take(cctx) }()
	cancel()
	if <-got {
		t.Fatal("take succeeded after its context ended")
	}
	for range 3 {
		l.release()
	}
	if !l.tryTake() || l.tryTake() {
		t.Fatal("maxconn 1 with no session gives one slot")
	}
	if u := newConnLimit(0); u.max.Load() != unlimited {
		t.Fatal("maxconn 0 is not unlimited")
	}
}

func TestStreamTable(t *testing.T) {
	var tb streamTable
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	var sts []*stream
	for i := range 40 {
		sts = append(sts, tb.add(nil, "fe"+strconv.Itoa(i), 0, a))
	}
	all := tb.all()
	if len(all) != 40 {
		t.Fatalf("%d streams listed, want 40", len(all))
	}
	for i, st := range all {
		if st != sts[i] {
			t.Fatalf("stream %d out of order", i)
		}
	}
	if tb.find(sts[7].ptr()) != sts[7] || tb.find(1) != nil {
		t.Fatal("find by pointer")
	}
	tb.remove(sts[7])
	if tb.find(sts[7].ptr()) != nil || len(tb.all()) != 39 {
		t.Fatal("remove")
	}
	line := string(appendShowSess(nil, sts[0], sts[0].start.Add(75*time.Second)))
	want := fmt.Sprintf("0x%x: proto=unix_stream src=unix:1 fe=fe0 be=<NONE> srv=<none> ts=00 epoch=0 age=1m15s ", sts[0].ptr())
	if len(line) < len(want) || line[:len(want)] != want {
		t.Fatalf("show sess line:\n%q\nwant prefix\n%q", line, want)
	}
	// kill closes the client side
	sts[0].kill()
	if _, err := b.Write([]byte("x")); err == nil {
		t.Fatal("the connection is open after kill")
	}
}

func TestParseStreamPtr(t *testing.T) {
	for in, want := range map[string]uint64{
		"0x1f": 0x1f, "0X1F": 0x1f, "31": 31, "017": 15, "0x": 0, "foo": 0, "": 0, "12abc": 12,
		"0xc000123456": 0xc000123456, "-1": 0, "0x10000000000000000": 0,
	} {
		if got := parseStreamPtr(in); got != want {
			t.Errorf("parseStreamPtr(%q) = %#x, want %#x", in, got, want)
		}
	}
}

func TestCLINumbers(t *testing.T) {
	for in, want := range map[string]int64{"10": 10, "abc": 0, "-1": -1, " 7x": 7, "+3": 3, "": 0, "4294967297": 1} {
		if got := cAtoi(in); got != want {
			t.Errorf("cAtoi(%q) = %d, want %d", in, got, want)
		}
	}
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{{"80", 80, true}, {"12ab", 12, true}, {"+5", 5, true}, {"-5", -5, true}, {"abc", 0, false}, {"", 0, false}, {"-", 0, false}} {
		if got, ok := cliPort(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("cliPort(%q) = %d %v, want %d %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for d, want := range map[time.Duration]string{0: "0s", 59 * time.Second: "59s", 61 * time.Second: "1m1s", 2*time.Hour + 3*time.Minute: "2h3m", 26 * time.Hour: "1d2h", -time.Second: "0s"} {
		if got := humanAge(d); got != want {
			t.Errorf("humanAge(%s) = %q, want %q", d, got, want)
		}
	}
}

// FuzzCLINumbers: the runtime API's number readers never panic and agree
// with their own definitions.
func FuzzCLINumbers(f *testing.F) {
	for _, s := range []string{"0x1f", "017", "80", "+5", "-5", "abc", "", "99999999999999999999", "0x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := parseStreamPtr(s)
		if p != 0 && parseStreamPtr(fmt.Sprintf("0x%x", p)) != p {
			t.Fatalf("%q: %#x does not read back", s, p)
		}
		n := cAtoi(s)
		if n < -1<<31 || n >= 1<<31 {
			t.Fatalf("cAtoi(%q) = %d beyond 32 bits", s, n)
		}
		if v, ok := cliPort(s); !ok && v != 0 {
			t.Fatalf("cliPort(%q) = %d without digits", s, v)
		}
	})
}

// BenchmarkStreamRegistry measures what the session registry adds to each
// connection: one registration and one removal, from parallel goroutines.
func BenchmarkStreamRegistry(b *testing.B) {
	var tb streamTable
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tb.remove(tb.add(nil, "fe", 0, nil))
		}
	})
}

// TestLiveProbeTargets: once "set server" changed a server's addresses,
// its check and agent go where they say; untouched, where configured.
func TestLiveProbeTargets(t *testing.T) {
	var seen string
	rec := checks.ProbeFunc(func(_ context.Context, tg checks.Target) checks.Result {
		seen = tg.Addr
		return checks.Result{OK: true}
	})
	s := &server{addr: "10.0.0.1:80", portSet: true}
	s.check = &healthcheck.Spec{Addr: "10.0.0.1:80"}
	s.agent = &healthcheck.AgentSpec{Addr: "10.0.0.1:9999"}
	chk := &liveProbe{p: rec, srv: s}
	ag := &liveProbe{p: rec, srv: s, agent: true}
	chk.Run(context.Background(), checks.Target{Addr: "configured:1"})
	if seen != "configured:1" {
		t.Fatalf("untouched check went to %q", seen)
	}
	if msg := (&Runtime{}).setServerAddr(s, "10.0.0.2", "8080", true); msg != "IP changed from '10.0.0.1' to '10.0.0.2', port changed from '80' to '8080'" {
		t.Fatalf("set server addr: %q", msg)
	}
	if a, set, _ := s.dialTarget(); a != "10.0.0.2:8080" || !set {
		t.Fatalf("sessions go to %q", a)
	}
	chk.Run(context.Background(), checks.Target{})
	if seen != "10.0.0.2:8080" {
		t.Fatalf("check after set server addr went to %q", seen)
	}
	ag.Run(context.Background(), checks.Target{})
	if seen != "10.0.0.2:9999" {
		t.Fatalf("agent after set server addr went to %q", seen)
	}
	a := s.addrs()
	a.chkPort, a.chkHost = 81, "10.0.0.3"
	s.live.Store(&a)
	chk.Run(context.Background(), checks.Target{})
	if seen != "10.0.0.3:81" {
		t.Fatalf("check after check-addr/check-port went to %q", seen)
	}
	if msg := (&Runtime{}).setServerAddr(s, "::1", "+5", true); msg != "IP changed from '10.0.0.2' to '::1', port changed from '8080' to '+5'" {
		t.Fatalf("set server addr with a port map: %q", msg)
	}
	if a, set, off := s.dialTarget(); a != "[::1]:" || set || off != 5 {
		t.Fatalf("mapped port: %q %v %d", a, set, off)
	}
}
