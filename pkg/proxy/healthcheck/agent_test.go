package healthcheck

import (
	"testing"
)

func TestParseAgentReply(t *testing.T) {
	for _, tc := range []struct {
		line string
		want AgentReply
	}{
		{"up", AgentReply{Health: "up"}},
		{"UP 75%", AgentReply{Health: "UP", Weight: "75%"}},
		{"stopped # disk full", AgentReply{Health: "stopped", Desc: "disk full"}},
		{"down#gone", AgentReply{Err: "down#gone"}},
		{"drain,maxconn:30\t50%", AgentReply{Admin: "drain", Maxconn: "30", HasMaxconn: true, Weight: "50%"}},
		{"MAXCONN: up", AgentReply{Health: "up", HasMaxconn: true}},
		{"ready up what ever", AgentReply{Health: "up", Admin: "ready", Err: "what"}},
		{"", AgentReply{}},
		{"  ,, #", AgentReply{}},
	} {
		if got := ParseAgentReply(tc.line); got != tc.want {
			t.Errorf("%q: got %+v, want %+v", tc.line, got, tc.want)
		}
	}
	for w, want := range map[string]int{"50%": 50, "100%": 100, "0%": 0, "12x%": -1, "%": -1} {
		got, ok := WeightPercent(w)
		if !ok {
			got = -1
		}
		if got != want {
			t.Errorf("WeightPercent(%q) = %d, want %d", w, got, want)
		}
	}
}

func TestAgentMaxconn(t *testing.T) {
	for _, tc := range []struct {
		v   string
		n   int
		msg string
	}{
		{"10", 10, ""},
		{"+7", 7, ""},
		{" 3", 3, ""},
		{"0", 0, ""},
		{"-4", 0, ""},
		{"", 0, "Require <maxconn>.\n"},
		{"x1", 0, "maxconn string empty or preceded by garbage"},
		{"-", 0, "maxconn string empty or preceded by garbage"},
		{"12a", 0, "Trailing garbage in maxconn string"},
	} {
		n, msg := AgentMaxconn(tc.v)
		if msg != tc.msg || (msg == "" && n != tc.n) {
			t.Errorf("AgentMaxconn(%q) = %d, %q; want %d, %q", tc.v, n, msg, tc.n, tc.msg)
		}
	}
}

func FuzzParseAgentReply(f *testing.F) {
	for _, s := range []string{"up", "down # x", "drain,50%", "maxconn:10 ready", "#", ",,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		a := ParseAgentReply(line)
		if a.Weight != "" {
			WeightPercent(a.Weight)
		}
		if n, msg := AgentMaxconn(a.Maxconn); n < 0 || (msg != "" && n != 0) {
			t.Fatalf("AgentMaxconn(%q) = %d, %q", a.Maxconn, n, msg)
		}
	})
}
