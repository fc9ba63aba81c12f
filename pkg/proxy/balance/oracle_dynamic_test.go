package balance

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
)

// TestOracleDynamic changes server states and weights at run time through
// haproxy's CLI between connections, and the same through the Algorithm.
func TestOracleDynamic(t *testing.T) {
	cases := []struct {
		name     string
		balance  string
		hashType string
		specs    []srvSpec
		steps    string // "n K" = K connections; "maint|ready|drain sN"; "weight sN W"
	}{
		{"rr", "roundrobin", "", weights(3, 1, 2),
			"n 7; maint s1; n 5; ready s1; n 13; weight s2 5; n 17; drain s3; n 6; ready s3; n 9; weight s1 0; n 5; weight s1 1; n 11"},
		{"rr-weights", "roundrobin", "", weights(1, 1, 1, 1),
			"n 3; weight s1 7; n 4; weight s2 2; n 5; weight s3 10; n 9; weight s1 1; n 6; maint s2; n 3; weight s2 4; n 2; ready s2; n 12; weight s4 256; n 20; weight s4 3; n 10"},
		{"rr-allbackups", "roundrobin", "", []srvSpec{{weight: 1}, {weight: 2, backup: true}, {weight: 1, backup: true}},
			"n 2; maint s1; n 6; weight s3 5; n 7; ready s1; n 2"},
		{"rr-backup", "roundrobin", "", []srvSpec{{weight: 2}, {weight: 1}, {weight: 1, backup: true}, {weight: 3, backup: true}},
			"n 4; maint s1; n 3; maint s2; n 4; maint s3; n 3; ready s3; n 3; ready s2; n 4; ready s1; n 6"},
		{"leastconn", "leastconn", "", weights(1, 2, 3),
			"n 5; maint s2; n 4; ready s2; n 7; weight s3 1; n 6"},
		{"static-rr", "static-rr", "", weights(3, 1, 2),
			"n 7; maint s1; n 5; ready s1; n 9; weight s2 0; n 5; weight s2 1; n 6"},
		{"source-map", "source", "map-based", weights(1, 2, 1, 3),
			"n 15; maint s2; n 15; ready s2; n 15; drain s4; n 15"},
		{"source-consistent", "source", "consistent", weights(1, 2, 1, 3),
			"n 15; maint s2; n 15; ready s2; n 15; weight s4 9; n 15; weight s1 0; n 15"},
		{"first", "first", "", weights(1, 1, 1),
			"n 2; maint s1; n 2; maint s2; n 2; ready s1; n 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bs := startBackends(t, len(tc.specs), false, false)
			var extra []string
			if strings.Contains(tc.name, "allbackups") {
				extra = []string{"option allbackups"}
			}
			addr, cli := runHaproxy(t, "tcp", tc.balance, tc.hashType, extra, tc.specs, bs)
			cfg := Config{Algorithm: tc.balance, AllBackups: strings.Contains(tc.name, "allbackups")}
			hashTypeConfig(&cfg, tc.hashType)
			ss := mkServers(tc.specs)
			a, err := New(cfg, ss)
			if err != nil {
				t.Fatal(err)
			}
			byName := map[string]*Server{}
			for _, s := range ss {
				byName[s.Name] = s
			}
			var got, want []string
			conn := 0
			for _, step := range strings.Split(tc.steps, ";") {
				f := strings.Fields(step)
				switch f[0] {
				case "n":
					k, _ := strconv.Atoi(f[1])
					for i := 0; i < k; i++ {
						ip := net.IPv4(127, 0, byte(conn/11), byte(2+conn*53%250)).To4()
						conn++
						name, _ := ask(t, addr, ip.String(), "", false)
						want = append(want, name)
						waitIdle(t, cli)
						s := a.Pick(SrcIPv4([4]byte(ip)))
						got = append(got, s.String())
						if s != nil {
							a.TakeConn(s)
							a.DropConn(s)
						}
					}
				case "maint", "ready", "drain":
					if out := command(t, cli, fmt.Sprintf("set server lb/%s state %s", f[1], f[0])); out != "" {
						t.Fatalf("%s: %s", step, out)
					}
					s := byName[f[1]]
					switch f[0] {
					case "maint":
						a.SetUp(s, false)
					case "ready":
						a.SetDrain(s, false)
						a.SetUp(s, true)
					case "drain":
						a.SetDrain(s, true)
					}
				case "weight":
					if out := command(t, cli, fmt.Sprintf("set weight lb/%s %s", f[1], f[2])); out != "" {
						t.Fatalf("%s: %s", step, out)
					}
					w, _ := strconv.Atoi(f[2])
					a.SetWeight(byName[f[1]], w)
				}
				got = append(got, "|")
				want = append(want, "|")
			}
			t.Logf("haproxy: %v", want)
			compare(t, tc.balance+" (dynamic)", got, want)
		})
	}
}
