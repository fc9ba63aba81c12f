package healthcheck

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

func TestProtocolRequests(t *testing.T) {
	h := sslv3Hello(time.Unix(0x01020304, 0))
	if len(h) != 5+0x79 || h[0] != 0x16 || !bytes.Equal(h[11:15], []byte{1, 2, 3, 4}) || h[len(h)-2] != 1 {
		t.Errorf("ssl hello % x", h)
	}
	p := pgsqlStartup("haproxy")
	want := append([]byte{0, 0, 0, 22, 0, 3, 0, 0}, "user\x00haproxy\x00\x00"...)
	if !bytes.Equal(p, want) {
		t.Errorf("pgsql startup % x, want % x", p, want)
	}
}

// smtpServer answers the banner, then one reply per line received.
func smtpServer(t *testing.T, banner string, replies ...string) string {
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
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(3 * time.Second))
				c.Write([]byte(banner))
				if len(replies) == 0 {
					return // close at once: the end of stream comes with the banner
				}
				br := bufio.NewReader(c)
				for _, r := range replies {
					if _, err := br.ReadString('\n'); err != nil {
						return
					}
					c.Write([]byte(r))
				}
				time.Sleep(50 * time.Millisecond)
			}()
		}
	}()
	return ln.Addr().String()
}

func TestSMTPCheck(t *testing.T) {
	rules, err := protoRules("smtpchk", haproxycfg.Option{Args: []string{"EHLO", "me"}})
	if err != nil {
		t.Fatal(err)
	}
	p := &Probe{Kind: KindProto, Rules: rules}
	for _, tc := range []struct {
		banner  string
		replies []string
		ok      bool
		st      checks.Status
		code    int
		info    string
	}{
		{"220 mx ESMTP\r\n", []string{"250-mx hello\r\n250 OK\r\n"}, true, checks.StatusL7OK, 250, "mx hello"},
		{"554 5.7.1 go away\r\n", nil, false, checks.StatusL7STS, 554, "5.7.1 go away"},
		{"garbage\r\n", nil, false, checks.StatusL7RSP, 0, "garbage"},
		{"220 mx\r\n", nil, false, checks.StatusL7STS, 0, "TCPCHK got an empty response at step 5"},
		{"220 mx\r\n", []string{"550 no\r\n"}, false, checks.StatusL7STS, 550, "no"},
	} {
		addr := smtpServer(t, tc.banner, tc.replies...)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		r := p.Run(ctx, checks.Target{Addr: addr})
		cancel()
		if r.OK != tc.ok || r.Status != tc.st || r.Code != tc.code || r.Info != tc.info {
			t.Errorf("%q %q: got ok=%v %s %d %q, want ok=%v %s %d %q", tc.banner, tc.replies, r.OK, r.Status, r.Code, r.Info, tc.ok, tc.st, tc.code, tc.info)
		}
	}
}

func TestMySQLAndLDAPAnswers(t *testing.T) {
	pkt := func(seq byte, payload string) string {
		n := len(payload)
		return string([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}) + payload
	}
	hs := pkt(0, "\x0a5.7.0-fake\x00\x01\x00\x00\x00abcdefgh\x00")
	if got := mysqlAuth("ha", true); len(got) != 4+2+34+5 || got[3] != 1 || got[0] != 36 {
		t.Errorf("post-41 auth % x", got)
	}
	if got := mysqlAuth("ha", false); len(got) != 4+2+7+5 || got[0] != 9 {
		t.Errorf("pre-41 auth % x", got)
	}
	for _, tc := range []struct {
		name string
		f    customFunc
		data string
		done bool
		st   checks.Status
		code int
		info string
	}{
		{"mysql handshake only", mysqlPacket(false, true), hs, true, "", 0, "5.7.0-fake"},
		{"mysql ok", mysqlPacket(true, true), hs + pkt(2, "\x00\x00\x00"), true, "", 0, "5.7.0-fake"},
		{"mysql error", mysqlPacket(true, true), hs + pkt(2, "\xff\x15\x04#28000denied"), true, checks.StatusL7STS, 1045, "#28000denied"},
		{"mysql short", mysqlPacket(false, true), hs[:6], false, "", 0, ""},
		{"ldap ok", ldapBindResponse, "\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00", true, "", 0, "Success"},
		{"ldap error", ldapBindResponse, "\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x31\x04\x00\x04\x00", true, checks.StatusL7STS, 49, "See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9"},
		{"ldap other", ldapBindResponse, "\x30\x84", true, checks.StatusL7RSP, 0, "Not LDAPv3 protocol"},
	} {
		done, st, code, info := tc.f([]byte(tc.data), false)
		if done != tc.done || st != tc.st || code != tc.code || info != tc.info {
			t.Errorf("%s: got %v %s %d %q", tc.name, done, st, code, info)
		}
	}
}

func FuzzProtocolAnswers(f *testing.F) {
	f.Add([]byte("\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00"), true)
	f.Add([]byte("\x05\x00\x00\x00\x0a5.7\x00"), false)
	f.Fuzz(func(t *testing.T, data []byte, eof bool) {
		ldapBindResponse(data, eof)
		for _, second := range []bool{false, true} {
			mysqlPacket(second, true)(data, eof)
		}
		smtpText(data)
		smtpCode(data)
		ParseAgentReply(string(data))
	})
}
