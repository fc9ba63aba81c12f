package stats

import (
	"os"
	"strings"
	"testing"
)

// TestChecksRows compares rows with health and agent checks with what
// haproxy 2.6 printed for testdata/checks_config.cfg (h1 failing its
// check, h2 disabled with a failing agent check).
func TestChecksRows(t *testing.T) {
	b, err := os.ReadFile("testdata/checks_config_dump.txt")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "bh,") {
			want = append(want, l)
		}
	}
	if len(want) < 3 {
		t.Fatalf("testdata has %d bh rows", len(want))
	}
	want = want[:3]
	p := Proxy{Name: "bh", ID: 5, Mode: "http", Backend: true, Algo: "leastconn", Cookie: "SRV", LastChange: 3, Downtime: 3, ChkDown: 1,
		BE: Counters{Limit: 999, LastSess: -1},
		Servers: []Server{
			{Name: "h1", ID: 1, Addr: "127.0.0.1:15603", Cookie: "a", Status: "DOWN", Weight: 1, UWeight: 1, LastChange: 3, Throttle: -1,
				CheckFail: 1, CheckDown: 1, Downtime: 3, NeedConnEst: 1,
				Check:    &Check{Status: "L4CON", Code: -1, Duration: 0, Desc: "Layer4 connection problem", Last: "Connection refused", Rise: 2, Fall: 3, Health: 0},
				Counters: Counters{LastSess: -1}},
			{Name: "h2", ID: 2, Addr: "127.0.0.1:15604", Status: "MAINT", Weight: 1, UWeight: 1, LastChange: 3, Throttle: -1,
				Downtime: 3, NeedConnEst: 1,
				Agent:    &Check{Status: "L4CON", Code: -1, Duration: 0, Desc: "Layer4 connection problem", Last: "Connection refused", Rise: 1, Fall: 1, Health: 1},
				Counters: Counters{LastSess: -1}},
		}}
	s := Snapshot{Proxies: []Proxy{p}}
	var got []string
	for _, r := range s.Rows() {
		got = append(got, strings.TrimSuffix(string(AppendCSVRow(nil, &r)), "\n"))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d:\nhaproxy: %s\nours:    %s", i, want[i], got[i])
		}
	}
}

func TestCSVQuoting(t *testing.T) {
	got := string(appendCSVValue(nil, Str(`a,"b"`), "str"))
	if got != `"a,""b"""` {
		t.Fatalf("got %s", got)
	}
}

func TestUptime(t *testing.T) {
	if got := FormatUptime(90061); got != "1d 1h01m01s" {
		t.Fatalf("got %q", got)
	}
}

func TestInfo(t *testing.T) {
	var in Info
	in.Set("Name", Str("HAProxy"))
	in.Set("Pid", Num(42))
	if got := string(in.AppendInfo(nil)); got != "Name: HAProxy\nPid: 42\n\n" {
		t.Fatalf("got %q", got)
	}
	if got := string(in.AppendInfoTyped(nil)); got != "0.Name.1:POS:str:HAProxy\n6.Pid.1:SGP:u32:42\n\n" {
		t.Fatalf("got %q", got)
	}
}

func FuzzAnswer(f *testing.F) {
	for _, s := range []string{"show stat", "show stat 4 -1 -1 typed", "show stat bh 2 -1", "show info json", "help", "show stat x y z json up"} {
		f.Add(s)
	}
	snap := &Snapshot{Proxies: []Proxy{{Name: "bh", ID: 5, Mode: "http", Frontend: true, Backend: true,
		Servers: []Server{{Name: "a", ID: 1, Status: "UP", Weight: 1}, {Name: "b", ID: 2, Status: "MAINT"}}}}}
	f.Fuzz(func(t *testing.T, s string) {
		Answer(nil, s, func() *Snapshot { return snap })
	})
}

// TestBuildInfoNames checks that BuildInfo fills every field haproxy 2.6
// prints (testdata/info.out), in its order.
func TestBuildInfoNames(t *testing.T) {
	b, err := os.ReadFile("testdata/info.out")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, l := range strings.Split(string(b), "\n") {
		if i := strings.Index(l, ": "); i > 0 {
			want = append(want, l[:i])
		}
	}
	in := BuildInfo(InfoParams{Version: "x", Node: "n"})
	var got []string
	for _, l := range strings.Split(string(in.AppendInfo(nil)), "\n") {
		if i := strings.Index(l, ": "); i > 0 {
			got = append(got, l[:i])
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("fields:\nhaproxy: %v\nours:    %v", want, got)
	}
}
