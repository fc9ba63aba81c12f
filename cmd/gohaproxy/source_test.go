package main

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// addrServer answers every connection with the address it comes from.
func addrServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte(c.RemoteAddr().String() + "\n"))
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// askFrom connects to addr from local (host or host:port) and returns the
// first line and the local address used.
func askFrom(addr, local string) (string, string, error) {
	d := net.Dialer{Timeout: 3 * time.Second}
	if local != "" {
		la, err := net.ResolveTCPAddr("tcp", local)
		if err != nil {
			return "", "", err
		}
		d.LocalAddr = la
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return "", "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), c.LocalAddr().String(), err
}

// TestSourceLikeHaproxy: "source" on a backend and on a server, a source
// port range, and "usesrc clientip" / "usesrc client" (transparent
// binding, as root): the server must see the same addresses through
// haproxy and gohaproxy.
func TestSourceLikeHaproxy(t *testing.T) {
	testenv.RequireRoot(t)
	srv := addrServer(t)
	base := 20000 + int(time.Now().UnixNano()%20000)
	for _, tc := range []struct {
		name, lines string
		client      string // client's local address ("" any)
		n           int    // connections
		mask        func(got, local string) string
	}{
		{"backend source", "  source 127.0.0.2\n  server s1 " + srv + "\n", "", 2, hostOnly},
		{"server source overrides", "  source 127.0.0.2\n  server s1 " + srv + " source 127.0.0.3\n", "", 2, hostOnly},
		{"server source port", fmt.Sprintf("  server s1 %s source 127.0.0.4:%d\n", srv, base), "", 1, keepAll},
		// a port range ("source 127.0.0.4:N-M" on a server) is refused by
		// gohaproxy's configuration parser for now (haproxy accepts it)
		{"usesrc clientip", "  source 0.0.0.0 usesrc clientip\n  server s1 " + srv + "\n", "127.0.0.5:0", 2, hostOnly},
		{"usesrc client", "  source 0.0.0.0 usesrc client\n  server s1 " + srv + "\n", "127.0.0.6:0", 2, samePortAsClient},
		{"usesrc address", "  server s1 " + srv + " source 0.0.0.0 usesrc 127.0.0.7\n", "", 2, hostOnly},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := "global\n  nbthread 1\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 5s\n  timeout server 5s\n" +
				"listen q\n  bind 127.0.0.1:PORT\n" + tc.lines
			res := map[string][]string{}
			runBoth(t, cfg, func(name, addr string) {
				for i := 0; i < tc.n; i++ {
					got, local, err := askFrom(addr, tc.client)
					if err != nil {
						// "usesrc client" on loopback: the client's own
						// socket holds the address and port, both
						// proxies fail to bind and close the client
						res[name] = append(res[name], "no answer")
						continue
					}
					res[name] = append(res[name], tc.mask(got, local))
				}
			})
			t.Logf("haproxy %v, gohaproxy %v", res["haproxy"], res["gohaproxy"])
			if strings.Join(res["haproxy"], " ") != strings.Join(res["gohaproxy"], " ") {
				t.Errorf("the server saw different sources:\n  haproxy:   %v\n  gohaproxy: %v", res["haproxy"], res["gohaproxy"])
			}
		})
	}
}

func hostOnly(got, _ string) string {
	h, _, _ := net.SplitHostPort(got)
	return h
}

func keepAll(got, _ string) string { return got }

func samePortAsClient(got, local string) string {
	if got == local {
		return "client address and port"
	}
	return got + " (client " + local + ")"
}
