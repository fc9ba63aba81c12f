package logfmt

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logsink/oracletest"
)

// TestOracleCustomFormat renders a log-format with flags (Q, X, %o) and
// many variables beside haproxy 2.6.
func TestOracleCustomFormat(t *testing.T) {
	testenv.RequireRoot(t)
	raw := oracletest.ListenUDP(t)
	echo := oracletest.EchoServer(t)
	fe := testenv.FreeLoopbackAddr(t)
	const format = `%ci %{+X}ci:%{+X}cp %fi:%fp %si:%sp %{+X}si %pid %{+X}pid %Ts %{+X}Ts [%T] %ms %f %{+Q}f %{+Q}ci %{+Q}cp %ID %{+Q}ID %U %B %H %bi:%bp %{+X}rt %Tc %Td %Th %Tu %{+Q}o %b %s %ft %{-Q}sc %ts %{+Q}[src] %%`
	cfg := fmt.Sprintf(`global
    log %s format raw daemon
defaults
    mode tcp
    log global
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend fe
    bind %s
    log-format "%s"
    default_backend be
backend be
    server s1 %s
`, raw.Addr, fe, format, echo)
	pid := oracletest.HAProxy(t, cfg, fe)
	raw.Next(t, 10*time.Second) // the readiness probe
	c, err := net.Dial("tcp", fe)
	if err != nil {
		t.Fatal(err)
	}
	client := netip.MustParseAddrPort(c.LocalAddr().String())
	c.Write([]byte("hello\n"))
	io.ReadFull(c, make([]byte, 6))
	c.Close()
	got := bytes.TrimSuffix(raw.Next(t, 10*time.Second), []byte("\n"))
	m := regexp.MustCompile(`^\S+ \S+ \S+ \S+ \S+ \S+ \S+ (\d+) \S+ \[[^\]]+\] (\d+) .* \S+ (\S+):(\d+) ([0-9A-F]+) (-?\d+) (-?\d+) `).FindSubmatch(got)
	if m == nil {
		t.Fatalf("unexpected line %q", got)
	}
	host, _ := os.Hostname()
	ts, _ := strconv.ParseInt(string(m[1]), 10, 64)
	ms, _ := strconv.ParseInt(string(m[2]), 10, 64)
	rt, _ := strconv.ParseUint(string(m[5]), 16, 64)
	tc, _ := strconv.ParseInt(string(m[6]), 10, 64)
	td, _ := strconv.ParseInt(string(m[7]), 10, 64)
	ev := &Event{
		Accept: time.Unix(ts, ms*1e6), PID: pid, Hostname: host,
		Client: client, FrontendAddr: netip.MustParseAddrPort(fe), ServerAddr: netip.MustParseAddrPort(echo),
		BackendSrc: netip.MustParseAddrPort(string(m[3]) + ":" + string(m[4])),
		Frontend:   "fe", Backend: "be", Server: "s1",
		BytesUploaded: 6, BytesRead: 6, RequestCounter: rt,
		Th: 0, Ti: 0, TR: -1, Tw: 0, Tc: tc, Tr: -1, Ta: -1, Tu: td + tc, Tt: td + tc, Td: td,
		SrvConn: 0,
		Sample: func(dst []byte, expr string) []byte {
			if expr == "src" {
				return client.Addr().AppendTo(dst)
			}
			return dst
		},
	}
	f, err := Compile(format)
	if err != nil {
		t.Fatal(err)
	}
	if want := f.Append(nil, ev); !bytes.Equal(got, want) {
		t.Errorf("custom format:\nhaproxy: %q\nours:    %q", got, want)
	}
}
