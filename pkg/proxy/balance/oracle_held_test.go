package balance

import (
	"net"
	"strconv"
	"strings"
	"testing"
)

// TestOracleHeld keeps every connection open, so that the servers' loads
// grow: leastconn's weighted ordering, first's maxconn filling and the
// skipping of saturated servers by the round robins.
func TestOracleHeld(t *testing.T) {
	cases := []struct {
		name    string
		balance string
		specs   []srvSpec
		n       int
	}{
		{"leastconn-1-2-3", "leastconn", weights(1, 2, 3), 30},
		{"leastconn-1-1-1-1", "leastconn", weights(1, 1, 1, 1), 14},
		{"leastconn-5-1", "leastconn", weights(5, 1), 20},
		{"leastconn-backup", "leastconn", []srvSpec{{weight: 0}, {weight: 2, backup: true}, {weight: 1, backup: true}}, 6},
		{"first-maxconn", "first", []srvSpec{{weight: 1, maxconn: 2}, {weight: 1, maxconn: 1}, {weight: 1, maxconn: 3}, {weight: 1}}, 10},
		{"first-ids", "first", []srvSpec{{weight: 1, maxconn: 2, id: 9}, {weight: 1, maxconn: 1, id: 4}, {weight: 1, maxconn: 3}}, 6},
		{"rr-maxconn", "roundrobin", []srvSpec{{weight: 3, maxconn: 2}, {weight: 1}, {weight: 1, maxconn: 3}}, 20},
		{"static-rr-maxconn", "static-rr", []srvSpec{{weight: 3, maxconn: 2}, {weight: 1}, {weight: 2, maxconn: 3}}, 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bs := startBackends(t, len(tc.specs), false, true)
			addr, _ := runHaproxy(t, "tcp", tc.balance, "", nil, tc.specs, bs)
			a, err := New(Config{Algorithm: tc.balance}, mkServers(tc.specs))
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			var conns []net.Conn
			defer func() {
				for _, c := range conns {
					c.Close()
				}
			}()
			for i := 0; i < tc.n; i++ {
				name, c := ask(t, addr, "", "", true)
				conns = append(conns, c)
				want = append(want, name)
				s := a.Pick(Key{})
				got = append(got, s.String())
				if s != nil {
					a.TakeConn(s)
				}
			}
			t.Logf("haproxy: %v", want)
			compare(t, tc.balance+" (held)", got, want)
		})
	}
}

// TestOracleChurn opens and closes held connections in a given order:
// leastconn repositions a server when a connection ends, so the order of
// the next picks depends on which ended first.
func TestOracleChurn(t *testing.T) {
	cases := []struct {
		name    string
		balance string
		specs   []srvSpec
		steps   string // "o K" opens K connections, "c I" closes the I-th opened one
	}{
		{"leastconn", "leastconn", weights(1, 1, 1),
			"o 6; c 0; c 4; o 3; c 2; c 1; c 3; o 5; c 7; c 5; c 6; c 8; o 6"},
		{"leastconn-weights", "leastconn", weights(1, 2, 3),
			"o 9; c 3; c 0; o 2; c 5; c 8; c 1; o 6; c 2; c 4; c 6; c 7; c 9; o 8"},
		{"first", "first", []srvSpec{{weight: 1, maxconn: 2}, {weight: 1, maxconn: 2}, {weight: 1}},
			"o 5; c 0; c 3; o 2; c 1; c 2; c 4; o 4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bs := startBackends(t, len(tc.specs), false, true)
			addr, cli := runHaproxy(t, "tcp", tc.balance, "", nil, tc.specs, bs)
			ss := mkServers(tc.specs)
			a, err := New(Config{Algorithm: tc.balance}, ss)
			if err != nil {
				t.Fatal(err)
			}
			type held struct {
				c net.Conn
				s *Server
			}
			var hs []held
			open := 0
			defer func() {
				for _, h := range hs {
					if h.c != nil {
						h.c.Close()
					}
				}
			}()
			var got, want []string
			for _, step := range strings.Split(tc.steps, ";") {
				f := strings.Fields(step)
				n, _ := strconv.Atoi(f[1])
				switch f[0] {
				case "o":
					for i := 0; i < n; i++ {
						name, c := ask(t, addr, "", "", true)
						want = append(want, name)
						s := a.Pick(Key{})
						got = append(got, s.String())
						a.TakeConn(s)
						hs = append(hs, held{c, s})
						open++
					}
				case "c":
					hs[n].c.Close()
					hs[n].c = nil
					open--
					waitCur(t, cli, open)
					a.DropConn(hs[n].s)
				}
			}
			t.Logf("haproxy: %v", want)
			compare(t, tc.balance+" (churn)", got, want)
		})
	}
}
