package logfmt

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logsink/oracletest"
)

// TestOracleLegacyLines compares haproxy 2.6's default "Connect from"
// line and its legacy error lines for bad PROXY headers with ours.
func TestOracleLegacyLines(t *testing.T) {
	testenv.RequireRoot(t)
	raw := oracletest.ListenUDP(t)
	f1 := testenv.FreeLoopbackAddr(t)
	f2 := testenv.FreeLoopbackAddr(t)
	f3 := testenv.FreeLoopbackAddr(t)
	cfg := fmt.Sprintf(`global
    log %s format raw daemon
defaults
    mode tcp
    log global
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend f1
    bind %s
    default_backend b
frontend f2
    option tcplog
    bind %s accept-proxy
    bind %s accept-proxy name nb
    default_backend b
backend b
    server x 127.0.0.1:1
`, raw.Addr, f1, f2, f3)
	oracletest.HAProxy(t, cfg, f1)
	raw.Next(t, 10*time.Second) // the readiness probe's own line
	reDate := regexp.MustCompile(`\[([^\]]+)\]`)
	for _, c := range []struct {
		addr, send, bind, msg string
	}{
		{f1, "", "", ""},
		{f2, "GARBAGE\r\n", "1", ErrProxyTruncated},
		{f3, "PROXY TCP4 x\r\n", "nb", ErrProxyBadHeader},
		{f2, "HELLO WORLD, THIS IS NOT A PROXY HEADER\r\n", "1", ErrProxyNotHeader},
	} {
		conn, err := net.Dial("tcp", c.addr)
		if err != nil {
			t.Fatal(err)
		}
		client := netip.MustParseAddrPort(conn.LocalAddr().String())
		local := netip.MustParseAddrPort(conn.RemoteAddr().String())
		if c.send != "" {
			conn.Write([]byte(c.send))
		}
		got := bytes.TrimSuffix(raw.Next(t, 10*time.Second), []byte("\n"))
		conn.Close()
		var want []byte
		if c.msg == "" {
			want = AppendConnect(nil, client, local, "f1", "TCP")
		} else {
			m := reDate.FindSubmatch(got)
			if m == nil {
				t.Fatalf("no date in %q", got)
			}
			acc, err := time.ParseInLocation("02/Jan/2006:15:04:05.000", string(m[1]), time.Local)
			if err != nil {
				t.Fatal(err)
			}
			want = AppendConnError(nil, client, acc, "f2", c.bind, c.msg)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("haproxy: %q\nours:    %q", got, want)
		}
	}
}
