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
		{"drain,maxconn:30\t50%", AgentReply{Admin: "drain", Maxconn: "30", Weight: "50%"}},
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

func FuzzParseAgentReply(f *testing.F) {
	for _, s := range []string{"up", "down # x", "drain,50%", "maxconn:10 ready", "#", ",,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		a := ParseAgentReply(line)
		if a.Weight != "" {
			WeightPercent(a.Weight)
		}
	})
}
