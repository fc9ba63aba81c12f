package balance

import (
	"fmt"
	"net"
	"testing"
)

// TestOracleHashExpr covers "balance hash <expr>": the sample's bytes are
// hashed; a missing sample falls back to round robin, an empty one is
// hashed.
func TestOracleHashExpr(t *testing.T) {
	vals := []string{"alpha", "beta", "-", "gamma", "", "delta", "-", "epsilon", "zeta", "eta", "theta", "", "iota", "kappa", "lambda", "-", "mu", "nu"}
	for _, ht := range []string{"map-based", "consistent", "map-based wt6 avalanche"} {
		t.Run(ht, func(t *testing.T) {
			specs := weights(1, 2, 1, 1)
			bs := startBackends(t, len(specs), true, false)
			addr, _ := runHaproxy(t, "http", "hash req.hdr(x-key)", ht, nil, specs, bs)
			cfg := Config{Algorithm: "hash"}
			hashTypeConfig(&cfg, ht)
			a, err := New(cfg, mkServers(specs))
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for i := 0; i < 2*len(vals); i++ {
				v := vals[i%len(vals)]
				req := "GET / HTTP/1.0\r\n"
				k := Key{Value: v}
				if v == "-" {
					k = Key{Missing: true}
				} else {
					req += "X-Key: " + v + "\r\n"
				}
				name, _ := ask(t, addr, "", req+"X-Pad: 1\r\n\r\n", false)
				want = append(want, name)
				got = append(got, a.Pick(k).String())
			}
			t.Logf("haproxy: %v", want)
			compare(t, "hash", got, want)
		})
	}
}

// TestOracleBalanceFactor holds connections from a few client addresses on
// a consistent source hash with "hash-balance-factor": once a server has its
// share, the next ones overflow along the ring.
func TestOracleBalanceFactor(t *testing.T) {
	for _, factor := range []int{125, 150} {
		t.Run(fmt.Sprint(factor), func(t *testing.T) {
			specs := weights(1, 1, 2, 1)
			bs := startBackends(t, len(specs), false, true)
			addr, _ := runHaproxy(t, "tcp", "source", "consistent", []string{fmt.Sprintf("hash-balance-factor %d", factor)}, specs, bs)
			cfg := Config{Algorithm: "source", Consistent: true, Avalanche: true, HashBalanceFactor: factor}
			a, err := New(cfg, mkServers(specs))
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
			for i := 0; i < 24; i++ {
				ip := net.IPv4(127, 0, 0, byte(2+i%3)).To4()
				name, c := ask(t, addr, ip.String(), "", true)
				conns = append(conns, c)
				want = append(want, name)
				s := a.Pick(SrcIPv4([4]byte(ip)))
				got = append(got, s.String())
				if s != nil {
					a.TakeConn(s)
				}
			}
			t.Logf("haproxy: %v", want)
			compare(t, "source consistent + hash-balance-factor (held)", got, want)
		})
	}
}
