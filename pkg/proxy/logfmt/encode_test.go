package logfmt

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"regexp"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logsink/oracletest"
)

// TestOracleEncoding checks how captured headers and the request line are
// escaped (#XX) in haproxy 2.6's httplog and CLF lines.
func TestOracleEncoding(t *testing.T) {
	testenv.RequireRoot(t)
	raw := oracletest.ListenUDP(t)
	web := httpServer(t)
	fh := testenv.FreeLoopbackAddr(t)
	cfg := fmt.Sprintf(`global
    log %s format raw daemon
defaults
    mode http
    log global
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend fh
    bind %s
    log-format "%%hr %%hrl %%{+Q}r %%HM %%HU %%HP %%HQ %%HV %%HPO"
    capture request header X-A len 40
    capture request header X-B len 5
    default_backend bh
backend bh
    server h1 %s
`, raw.Addr, fh, web)
	oracletest.HAProxy(t, cfg, "")
	time.Sleep(time.Second)
	reqLine := "GET http://h.example/p%22q?x=%7B1%7D&y=\"2\" HTTP/1.1"
	xa := "v\"w#x{y|z}é\x01"
	c, err := net.DialTimeout("tcp", fh, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte(reqLine + "\r\nHost: h.example\r\nX-A: " + xa + "\r\nX-B: 1234567890\r\nConnection: close\r\n\r\n"))
	io.ReadAll(c)
	c.Close()
	got := bytes.TrimSuffix(raw.Next(t, 10*time.Second), []byte("\n"))
	if regexp.MustCompile(`^\{`).Find(got) == nil {
		t.Fatalf("unexpected line %q", got)
	}
	f, _ := Compile("%hr %hrl %{+Q}r %HM %HU %HP %HQ %HV %HPO")
	ev := &Event{
		ReqCaptures: [][]byte{[]byte(xa), []byte("12345")},
		RequestLine: []byte(reqLine),
	}
	if want := f.Append(nil, ev); !bytes.Equal(got, want) {
		t.Errorf("haproxy: %q\nours:    %q", got, want)
	}
}
