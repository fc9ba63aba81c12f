package balance

import (
	"net"
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
