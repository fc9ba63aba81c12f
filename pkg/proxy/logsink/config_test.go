package logsink

import (
	"testing"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

func TestConfigs(t *testing.T) {
	g := &haproxycfg.Global{
		LogTag: "gt",
		Logs: []*haproxycfg.LogTarget{
			{Address: "127.0.0.1:514", Facility: "local0", Level: "info", MinLevel: "err"},
			{Address: "/dev/log", Facility: "daemon", Format: "raw", Length: 2048},
		},
		Other: []haproxycfg.Directive{{Args: []string{"log-send-hostname", "node1"}}},
	}
	logs := []*haproxycfg.LogTarget{{Global: true}, {Address: "stdout", Facility: "user"}}
	cs, err := Configs(g, logs, "", 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 3 {
		t.Fatalf("got %d configs", len(cs))
	}
	if c := cs[0]; c.Format != FormatRFC3164 || c.Facility != 16 || c.MaxLevel != LevelInfo || c.MinLevel != LevelErr || c.Hostname != "node1" || c.Tag != "gt" || c.PID != 7 {
		t.Errorf("first: %+v", c)
	}
	if c := cs[1]; c.Format != FormatRaw || c.MaxLen != 2048 || c.Facility != 3 {
		t.Errorf("second: %+v", c)
	}
	if c := cs[2]; c.Address != "stdout" || c.Facility != 1 || c.MaxLevel != LevelDebug {
		t.Errorf("third: %+v", c)
	}
	if _, err := Configs(nil, []*haproxycfg.LogTarget{{Address: "1.2.3.4", Facility: "local0", Sample: "1:2"}}, "", 1); err == nil {
		t.Error("sample accepted")
	}
}
