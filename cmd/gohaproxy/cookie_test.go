package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logsink/oracletest"
)

// cookieServer answers every request with its head, as received, in the
// body of a 200 naming the server. A path holding "/setck" gets a
// Set-Cookie of the cookie the path's backend persists on ("JSESSIONID"
// under /pfx, "SRV" elsewhere), "/exp" an Expires header (a cacheable
// response), "/nc" a "Cache-Control: no-cache".
func cookieServer(t *testing.T, name string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveEach(t, ln, func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			var head strings.Builder
			cl := 0
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				head.WriteString(l)
				if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, "content-length") {
					cl, _ = strconv.Atoi(strings.TrimSpace(v))
				}
				if l == "\r\n" {
					break
				}
			}
			io.CopyN(io.Discard, r, int64(cl))
			h := head.String()
			line, _, _ := strings.Cut(h, "\r\n")
			extra := ""
			if strings.Contains(line, "/setck") {
				ck := "SRV"
				if strings.Contains(line, " /pfx") {
					ck = "JSESSIONID"
				}
				extra += "Set-Cookie: " + ck + "=app1; Path=/\r\n"
			}
			if strings.Contains(line, "/exp") {
				extra += "Expires: Thu, 01 Jan 2099 00:00:00 GMT\r\n"
			}
			if strings.Contains(line, "/nc") {
				extra += "Cache-Control: no-cache\r\n"
			}
			if strings.Contains(line, "/pub") {
				extra += "Cache-Control: public\r\n"
			}
			if strings.Contains(line, "/etag") {
				extra += "ETag: \"x\"\r\n"
			}
			status := "200 OK"
			if strings.Contains(line, "/s302") {
				status = "302 Found"
			}
			if strings.Contains(line, "/s500") {
				status = "500 Oops"
			}
			fmt.Fprintf(c, "HTTP/1.1 %s\r\nX-Srv: %s\r\n%sContent-Length: %d\r\n\r\n%s", status, name, extra, len(h), h)
		}
	})
}

func cookieConfig(logAddr, fe, s1, s2, dead string) string {
	return fmt.Sprintf(`defaults
    mode http
    log %s local0
    option httplog
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend f
    bind %s
    use_backend pfx if { path_beg /pfx }
    use_backend rw if { path_beg /rw }
    use_backend pas if { path_beg /pas }
    use_backend per if { path_beg /per }
    use_backend us if { path_beg /us }
    default_backend ins
backend ins
    cookie SRV insert indirect nocache httponly domain .a.example domain .b.example attr SameSite=Lax
    server s1 %s cookie a
    server s2 %s cookie b
    server s3 %s cookie c check inter 200ms fall 1 rise 1
    server s4 %s
backend pfx
    cookie JSESSIONID prefix
    server s1 %s cookie a
    server s2 %s cookie b
backend rw
    cookie SRV rewrite
    server s1 %s cookie a
    server s2 %s cookie b
backend pas
    cookie SRV insert preserve postonly secure
    server s1 %s cookie a
    server s2 %s cookie b
backend per
    option persist
    option redispatch
    retries 1
    cookie SRV insert indirect
    server s1 %s cookie a
    server s3 %s cookie c check inter 200ms fall 1 rise 1
backend us
    cookie SRV insert
    use-server s2 if { path_end /force }
    server s1 %s cookie a
    server s2 %s cookie b
`, logAddr, fe, s1, s2, dead, s1, s1, s2, s1, s2, s1, s2, s1, dead, s1, s2)
}

// cookieExchanges are sent on a connection each.
var cookieExchanges = []string{
	"GET /ins/1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /ins/2 HTTP/1.1\r\nHost: h\r\nCookie: SRV=b\r\nConnection: close\r\n\r\n",
	"GET /ins/3 HTTP/1.1\r\nHost: h\r\nCookie: x=1; SRV=a; y=2\r\nConnection: close\r\n\r\n",
	"GET /ins/4 HTTP/1.1\r\nHost: h\r\nCookie: x=1;SRV=a\r\nConnection: close\r\n\r\n",
	"GET /ins/5 HTTP/1.1\r\nHost: h\r\nCookie: SRV=zz\r\nConnection: close\r\n\r\n",
	"GET /ins/6 HTTP/1.1\r\nHost: h\r\nCookie: SRV=c\r\nConnection: close\r\n\r\n",
	"GET /ins/7 HTTP/1.1\r\nHost: h\r\nCookie: SRV=zz; SRV=b\r\nConnection: close\r\n\r\n",
	"GET /ins/8 HTTP/1.1\r\nHost: h\r\nCookie: SRV=b\r\nCookie: q=1; SRV=a\r\nConnection: close\r\n\r\n",
	"GET /ins/9 HTTP/1.1\r\nHost: h\r\nCookie: SRV=a; SRV=b\r\nConnection: close\r\n\r\n",
	"GET /ins/exp HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /ins/exp/nc HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"POST /ins/exp HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab",
	"GET /ins/exp HTTP/1.1\r\nHost: h\r\nPragma: no-cache\r\nConnection: close\r\n\r\n",
	"GET /ins/pub HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /ins/etag HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"HEAD /ins/etag HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /ins/s302/exp HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /ins/s500/exp HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /ins/pub/exp HTTP/1.1\r\nHost: h\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
	"GET /ins/setck HTTP/1.1\r\nHost: h\r\nCookie: SRV=a\r\nConnection: close\r\n\r\n",
	"GET /ins/setck HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /ins/k1 HTTP/1.1\r\nHost: h\r\n\r\nGET /ins/k2 HTTP/1.1\r\nHost: h\r\nCookie: SRV=a\r\n\r\nGET /ins/k3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /ins/s4 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /pfx/setck HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /pfx/2 HTTP/1.1\r\nHost: h\r\nCookie: JSESSIONID=b~xyz; o=1\r\nConnection: close\r\n\r\n",
	"GET /pfx/3 HTTP/1.1\r\nHost: h\r\nCookie: JSESSIONID=nodelim\r\nConnection: close\r\n\r\n",
	"GET /pfx/setck HTTP/1.1\r\nHost: h\r\nCookie: JSESSIONID=a~app0\r\nConnection: close\r\n\r\n",
	"GET /rw/setck HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /rw/2 HTTP/1.1\r\nHost: h\r\nCookie: SRV=b\r\nConnection: close\r\n\r\n",
	"GET /rw/setck HTTP/1.1\r\nHost: h\r\nCookie: SRV=a\r\nConnection: close\r\n\r\n",
	"GET /pas/1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"POST /pas/2 HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
	"POST /pas/setck HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
	"POST /pas/4 HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nCookie: SRV=b\r\nConnection: close\r\n\r\n",
	"GET /per/1 HTTP/1.1\r\nHost: h\r\nCookie: SRV=c\r\nConnection: close\r\n\r\n",
	"GET /us/force HTTP/1.1\r\nHost: h\r\nCookie: SRV=a\r\nConnection: close\r\n\r\n",
	"GET /us/force HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /us/force HTTP/1.1\r\nHost: h\r\nCookie: SRV=x\r\nConnection: close\r\n\r\n",
}

// runCookies sends cookieExchanges and returns the answers and the log
// lines of each.
func runCookies(t *testing.T, start func(cfg, ready string), s1, s2, dead string) (answers, logs []string) {
	udp := oracletest.ListenUDP(t)
	fe := testenv.FreeLoopbackAddr(t)
	start(cookieConfig(udp.Addr, fe, s1, s2, dead), fe)
	// s3's checks fail: wait until it is down, and forget the lines so far
	time.Sleep(2 * time.Second)
	udp.Drain(500 * time.Millisecond)
	for _, x := range cookieExchanges {
		time.Sleep(100 * time.Millisecond) // the previous session ends (the counters of the lines)
		c, err := net.DialTimeout("tcp", fe, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(6 * time.Second))
		io.WriteString(c, x)
		b, _ := io.ReadAll(c)
		c.Close()
		answers = append(answers, string(b))
		n := strings.Count(x, "HTTP/1.1\r\n")
		var got []string
		deadline := time.Now().Add(5 * time.Second)
		for len(got) < n && time.Now().Before(deadline) {
			select {
			case l := <-udp.Lines:
				got = append(got, normalizeLogLine(string(l)))
			case <-time.After(100 * time.Millisecond):
			}
		}
		logs = append(logs, strings.Join(got, "\n"))
	}
	return answers, logs
}

// TestCookiePersistenceLikeHaproxy runs the same cookie persistence
// configurations (insert indirect nocache with domains and attributes,
// prefix, rewrite, insert preserve postonly secure, option persist,
// use-server) on
// haproxy 2.6 and gohaproxy with the same requests (no cookie, a valid
// one, one for an unknown or a down server, server Set-Cookies): the
// answers, the heads the servers received (echoed back) and the httplog
// lines (%CC %CS %tsc) must be the same.
func TestCookiePersistenceLikeHaproxy(t *testing.T) {
	testenv.RequireRoot(t)
	bin := testenv.Binary(t, "gohaproxy")
	s1, s2 := cookieServer(t, "one"), cookieServer(t, "two")
	dead := testenv.FreeLoopbackAddr(t)
	var ta, tl, oa, ol []string
	t.Run("run", func(t *testing.T) {
		t.Run("haproxy", func(t *testing.T) {
			t.Parallel()
			ta, tl = runCookies(t, func(cfg, ready string) { oracletest.HAProxy(t, cfg, ready) }, s1, s2, dead)
		})
		t.Run("gohaproxy", func(t *testing.T) {
			t.Parallel()
			oa, ol = runCookies(t, func(cfg, ready string) { startGohaproxy(t, bin, cfg, ready) }, s1, s2, dead)
		})
	})
	if len(ta) != len(cookieExchanges) || len(oa) != len(cookieExchanges) {
		t.Fatal("a run did not finish")
	}
	for i, x := range cookieExchanges {
		if ta[i] != oa[i] {
			t.Errorf("%q:\nhaproxy:   %q\ngohaproxy: %q", x, ta[i], oa[i])
		}
		if tl[i] != ol[i] {
			t.Errorf("%q log:\nhaproxy:   %s\ngohaproxy: %s", x, tl[i], ol[i])
		}
	}
}
