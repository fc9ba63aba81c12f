package main

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// rdpConnectionRequest is the first packet of an RDP client: TPKT and
// X.224 headers, then the routing cookie.
func rdpConnectionRequest(user string) []byte {
	cookie := "Cookie: mstshash=" + user + "\r\n"
	n := 11 + len(cookie) + 8
	b := []byte{3, 0, byte(n >> 8), byte(n), byte(n - 5), 0xe0, 0, 0, 0, 0, 0}
	b = append(b, cookie...)
	return append(b, 1, 0, 8, 0, 0, 0, 0, 0)
}

// askWith sends payload and returns the first line the server answers.
func askWith(addr string, payload []byte) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(payload); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

// TestRDPCookieLikeHaproxy: "balance rdp-cookie" behind "tcp-request
// content accept if RDP_COOKIE" sends each RDP user to the same server
// as haproxy does, map-based and consistent; clients without a cookie
// go round robin.
func TestRDPCookieLikeHaproxy(t *testing.T) {
	servers := nameServers(t, 4)
	for _, hashType := range []string{"", "  hash-type consistent\n"} {
		t.Run("hash-type "+strings.TrimSpace(strings.TrimPrefix(hashType, "  hash-type")), func(t *testing.T) {
			var b strings.Builder
			b.WriteString("global\n  nbthread 1\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 5s\n  timeout server 5s\n")
			b.WriteString("listen rdp\n  bind 127.0.0.1:PORT\n  tcp-request inspect-delay 5s\n  tcp-request content accept if RDP_COOKIE\n  balance rdp-cookie\n" + hashType)
			for i, a := range servers {
				fmt.Fprintf(&b, "  server s%d %s\n", i+1, a)
			}
			res := map[string][]string{}
			runBoth(t, b.String(), func(name, addr string) {
				for i := 0; i < 16; i++ {
					payload := rdpConnectionRequest(fmt.Sprintf("user%d", i%8))
					if i%5 == 4 {
						payload = []byte("this is not an RDP connection request\r\n")
					}
					got, err := askWith(addr, payload)
					if err != nil {
						t.Fatalf("%s: client %d: %v", name, i, err)
					}
					res[name] = append(res[name], got)
				}
			})
			t.Logf("haproxy:   %v\ngohaproxy: %v", res["haproxy"], res["gohaproxy"])
			if strings.Join(res["haproxy"], " ") != strings.Join(res["gohaproxy"], " ") {
				t.Errorf("servers differ:\n  haproxy:   %v\n  gohaproxy: %v", res["haproxy"], res["gohaproxy"])
			}
		})
	}
}

// rdpToken is the routing token a session broker writes for addr:port:
// both numbers in network byte order read as little-endian integers.
func rdpToken(hostport string) string {
	ap := netip.MustParseAddrPort(hostport)
	ip := ap.Addr().As4()
	a := uint32(ip[0]) | uint32(ip[1])<<8 | uint32(ip[2])<<16 | uint32(ip[3])<<24
	p := ap.Port()<<8 | ap.Port()>>8
	return fmt.Sprintf("%d.%d.0000", a, p)
}

// rdpRequestWith is an RDP connection request carrying "Cookie: name=value".
func rdpRequestWith(name, value string) []byte {
	cookie := "Cookie: " + name + "=" + value + "\r\n"
	b := []byte{3, 0, 0, byte(11 + len(cookie)), byte(6 + len(cookie)), 0xe0, 0, 0, 0, 0, 0}
	return append(b, cookie...)
}

// TestPersistRDPCookieLikeHaproxy: "persist rdp-cookie" sends a client
// with a broker's routing token to the server it names, the others go
// round robin.
func TestPersistRDPCookieLikeHaproxy(t *testing.T) {
	servers := nameServers(t, 3)
	var b strings.Builder
	b.WriteString("global\n  nbthread 1\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 5s\n  timeout server 5s\n")
	b.WriteString("listen rdp\n  bind 127.0.0.1:PORT\n  tcp-request inspect-delay 5s\n  tcp-request content accept if RDP_COOKIE\n  persist rdp-cookie\n  balance roundrobin\n")
	for i, a := range servers {
		fmt.Fprintf(&b, "  server s%d %s\n", i+1, a)
	}
	payloads := [][]byte{
		rdpRequestWith("msts", rdpToken(servers[2])),
		rdpRequestWith("msts", rdpToken(servers[2])),
		rdpRequestWith("msts", rdpToken(servers[1])),
		rdpRequestWith("msts", rdpToken("127.0.0.1:9")), // no such server
		rdpRequestWith("msts", "garbage"),
		rdpRequestWith("mstshash", "bob"),
		rdpRequestWith("msts", rdpToken(servers[0])),
		rdpRequestWith("msts", rdpToken(servers[2])),
	}
	res := map[string][]string{}
	runBoth(t, b.String(), func(name, addr string) {
		for i, p := range payloads {
			got, err := askWith(addr, p)
			if err != nil {
				t.Fatalf("%s: client %d: %v", name, i, err)
			}
			res[name] = append(res[name], got)
		}
	})
	t.Logf("haproxy:   %v\ngohaproxy: %v", res["haproxy"], res["gohaproxy"])
	if strings.Join(res["haproxy"], " ") != strings.Join(res["gohaproxy"], " ") {
		t.Errorf("servers differ:\n  haproxy:   %v\n  gohaproxy: %v", res["haproxy"], res["gohaproxy"])
	}
}
