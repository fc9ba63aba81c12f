package forward

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// TestPipeFinTimeouts: once one direction is shut, waiting on the side that
// must still answer is bounded by that side's fin timeout instead of its
// (here hour-long) inactivity timeout, on the copy and the splice paths.
func TestPipeFinTimeouts(t *testing.T) {
	for _, c := range []struct {
		name     string
		shutter  string // who sends its FIN first: "client" or "server"
		noSplice bool
		want     string // the side whose timeout ends the session
	}{
		{"client shuts, server-fin", "client", false, "server"},
		{"client shuts, server-fin, nosplice", "client", true, "server"},
		{"server shuts, client-fin", "server", false, "client"},
		{"server shuts, client-fin, nosplice", "server", true, "client"},
	} {
		t.Run(c.name, func(t *testing.T) {
			userClient, proxyClientSide := pair(t)
			proxyServerSide, userServer := pair(t)
			pool := NewBufPool(0)
			pool.NoSplice = c.noSplice
			t.Cleanup(pool.Close)
			to := Timeouts{Client: time.Hour, Server: time.Hour, ClientFin: 100 * time.Millisecond, ServerFin: 100 * time.Millisecond}
			ctx, cancel := context.WithCancel(context.Background())
			resc := make(chan Result, 1)
			go func() { resc <- Pipe(ctx, proxyClientSide, proxyServerSide, to, pool) }()
			t.Cleanup(func() { cancel(); <-resc })
			// a bulk transfer first, so the splice path is the one waiting
			bulk := bytes.Repeat([]byte("b"), 200000)
			from, to2 := userClient, userServer
			if c.shutter == "server" {
				from, to2 = userServer, userClient
			}
			go func() {
				from.Write(bulk)
				from.(*net.TCPConn).CloseWrite()
			}()
			got, err := io.ReadAll(to2)
			if err != nil || len(got) != len(bulk) {
				t.Fatalf("peer got %d bytes (err %v), want %d then EOF", len(got), err, len(bulk))
			}
			select {
			case res := <-resc:
				resc <- res
				if res.Timeout != c.want || res.Err != nil {
					t.Fatalf("result = %+v, want the %s timeout", res, c.want)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("the %s-fin timeout did not end the session", c.want)
			}
		})
	}
}
