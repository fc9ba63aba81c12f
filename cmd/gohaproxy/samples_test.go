package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logsink/oracletest"
)

// samplesMaps writes the map files the samples configuration reads.
func samplesMaps(t *testing.T) map[string]string {
	dir := t.TempDir()
	files := map[string]string{
		"hosts": "# host to site\nwww.example.com  site1\napi.example.com\tsite2\n",
		"ip":    "127.0.0.0/8 loopback8\n127.0.0.1/32 loopback32\n10.0.0.0/8 ten\n",
		"beg":   "/api/v1 apiv1\n/api api\n/ root\n",
		"reg":   "^/img/.*\\.png$ png\n^/img/ img\n",
		"dom":   "example.com dom-example\nexample.org dom-org\n",
	}
	out := map[string]string{}
	for k, v := range files {
		p := filepath.Join(dir, k+".map")
		if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
		out[k] = p
	}
	return out
}

func samplesConfig(logAddr, fe, feTCP, be string, maps map[string]string) string {
	r := strings.NewReplacer("HOSTS", maps["hosts"], "IPMAP", maps["ip"], "BEGMAP", maps["beg"], "REGMAP", maps["reg"], "DOMMAP", maps["dom"])
	return r.Replace(fmt.Sprintf(`global
    log %s format raw local0
defaults
    mode http
    log global
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend f
    bind %s
    option forwardfor
    unique-id-format " %%ci_%%[src]_%%f_%%[req.hdr(host),lower]  %%[req.hdr(nope)]x "
    unique-id-header X-Unique-ID
    log-format "%%ci:%%cp [%%tr] %%ft %%b/%%s %%ST %%B %%[src] %%[capture.req.uri] %%[capture.req.method] %%{+Q}[ssl_fc_sni] %%[ssl_fc] %%[status] %%[be_name] %%[srv_name] %%[fe_name] %%{+E}[capture.req.uri] %%{+Q}[src,ipmask(8)] %%[src,map_ip(IPMAP,none)] %%ID %%[unique-id]"
    http-request set-header X-Real-IP %%[src]
    http-request set-header X-Host %%[req.hdr(host),lower,map(HOSTS,default)]
    http-request set-header X-Miss "a%%[req.hdr(nope)]b"
    http-request set-header X-Spaces "a  %%[src]  b %%[req.hdr(nope)] c   "
    http-request set-header X-Spaces2 "a  b"
    http-request set-header X-Ctl %%[req.hdr(q),url_dec]
    http-request set-header X-Conv "%%[req.hdr(w),field(2,:)]/%%[req.hdr(w),word(2,:)]/%%[req.hdr(w),field(-1,:)]/%%[req.hdr(w),upper]/%%[req.hdr(w),base64]/%%[req.hdr(w),length]/%%[req.hdr(w),hex]/%%[req.hdr(w),bytes(1,3)]/%%[req.hdr(w),regsub(a,X,g)]/%%[req.hdr(w),regsub(a,Y)]/%%[req.hdr(w),json]"
    http-request set-header X-Req "%%[path] %%[url] %%[query] %%[method] %%[req.ver] %%[base]"
    http-request set-header X-Fhdr "%%[req.fhdr(multi)]|%%[hdr(multi)]|%%[hdr(multi,1)]|%%[req.hdr_cnt(multi)]"
    http-request set-header X-Names "%%[fe_name]/%%b/%%f/%%ci/%%s"
    http-request set-header X-B64 %%[req.hdr(b),b64dec]
    http-request set-header X-Ip "%%[src,ipmask(24)] %%[dst,ipmask(16)] %%[src_port,mul(0)] %%[ssl_fc] %%[nbsrv(be_site1)]"
    http-request set-header X-Math "%%[req.hdr(n),add(3)] %%[req.hdr(n),sub(10)] %%[req.hdr(n),mul(-2)] %%[req.hdr(n),div(4)] %%[req.hdr(n),div(0)] %%[req.hdr(n),mod(4)] %%[req.hdr(n),mod(0)] %%[req.hdr(n),add(1000000000),http_date] %%[req.hdr(n),mul(1000),http_date(3600000,ms)]"
    http-request set-header X-Maps "%%[src,map_ip(IPMAP,none)] %%[path,map_beg(BEGMAP,none)] %%[path,map_reg(REGMAP,none)] %%[req.hdr(host),map_dom(DOMMAP,none)] %%[req.hdr(host),map_str(HOSTS)]"
    http-request set-header X-Env "%%[env(GOHAPROXY_NO_SUCH_VAR)]-%%[env(SAMPLES_TEST_VAR)]"
    http-request add-header X-Id %%[uuid]
    http-request add-header X-Uid "%%[unique-id] %%ID"
    http-request set-header X-Self "[%%[req.hdr(x-self)]]"
    http-request add-header X-Later "%%[req.hdr(x-self)] %%[req.fhdr(x-real-ip)] %%[req.hdr_cnt(multi)] %%[req.hdr(x-drop)]"
    http-request del-header X-Drop
    http-request return status 200 content-type text/plain lf-string "hello  %%[src] %%[req.hdr(nope)] %%ci %%s %%b %%[path]  " if { path /ret }
    http-request redirect location https://%%[hdr(host)]%%[capture.req.uri] if { path_beg /redir }
    http-request allow if { path /old/allowed }
    redirect location /moved%%[path]?from=%%[src] code 301 if { path_beg /old }
    http-request redirect prefix https://%%[req.hdr(host),lower] code 301 if { path_beg /pfx }
    http-response set-header X-Be %%[be_name]/%%s/%%[srv_name]/%%[status]
    http-response add-header X-Res "%%[res.hdr(server)] %%[res.hdr(nope)]"
    http-response del-header X-Drop-Me
    http-response add-header X-Hdr "%%[hdr(server)]|%%[hdr(content-length),add(1)]"
    use_backend be_%%[req.hdr(host),lower,map(HOSTS,default)]
    default_backend be_other
frontend ft
    mode tcp
    bind %s
    log-format "%%ci:%%cp [%%t] %%ft %%b/%%s %%B %%[src] %%[fe_name] %%[be_name] %%[srv_name] %%[src,ipmask(16)] %%{+Q}[dst,map_ip(IPMAP,none)] %%[ssl_fc] %%[capture.req.uri]"
    use_backend tcp_%%[src,map_ip(IPMAP,none)]
    default_backend be_other
backend tcp_loopback32
    mode tcp
    server t1 %s
backend be_site1
    http-request set-header X-BeName "%%[be_name] %%b %%[nbsrv]"
    http-response set-header X-BeResp %%[be_name]-%%[status]-%%[res.fhdr(server)]
    http-response del-header server
    server s1 %s
backend be_default
    server s2 %s
backend be_other
    server s3 %s
`, logAddr, fe, feTCP, be, be, be, be))
}

// samplesExchanges are sent on one connection each.
var samplesExchanges = []string{
	"GET /plain?a=1 HTTP/1.1\r\nHost: WWW.example.com\r\nW: a:bb::cad\r\nQ: x%0Ay%09z%01\r\nN: 17\r\nB: aGVsbG8=\r\nMulti: m1, m2\r\nMulti: m3\r\nX-Self: me\r\nX-Drop: d\r\nConnection: close\r\n\r\n",
	"GET /api/v1/x HTTP/1.1\r\nHost: api.example.com\r\nW: \"/\\\r\nN: -9\r\nB: !!\r\nConnection: close\r\n\r\n",
	"GET /img/a.png HTTP/1.0\r\nHost: www.example.org\r\nConnection: close\r\n\r\n",
	"GET /other HTTP/1.1\r\nHost: unknown\r\nConnection: close\r\n\r\n",
	"GET /ret HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /redir/x?y=\"] HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n",
	"GET /pfx/z?q=1 HTTP/1.1\r\nHost: B.Example\r\nConnection: close\r\n\r\n",
	"GET /noh HTTP/1.0\r\n\r\n",
	"GET /old/x HTTP/1.1\r\nHost: h\r\n\r\nGET /old/allowed?q HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET /tcp HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
}

var (
	uuidRE    = regexp.MustCompile(`(?i)x-id: [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\r\n`)
	srcPortRE = regexp.MustCompile(`127\.0\.0\.1:\d+`)
)

// normalizeAnswer hides what differs between runs: the UUID, the ports
// each product listens on.
func normalizeAnswer(s string) string {
	s = uuidRE.ReplaceAllString(s, "x-id: UUID\r\n")
	s = srcPortRE.ReplaceAllString(s, "127.0.0.1:PORT")
	return s
}

func runSamples(t *testing.T, start func(cfg, ready string), be string, maps map[string]string) (answers, logs []string) {
	udp := oracletest.ListenUDP(t)
	fe, feTCP := testenv.FreeLoopbackAddr(t), testenv.FreeLoopbackAddr(t)
	start(samplesConfig(udp.Addr, fe, feTCP, be, maps), fe)
	udp.Drain(1500 * time.Millisecond)
	for i, x := range samplesExchanges {
		addr := fe
		if i == len(samplesExchanges)-1 {
			addr = feTCP // the last one goes through the TCP frontend
		}
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(4 * time.Second))
		io.WriteString(c, x)
		b, _ := io.ReadAll(c)
		c.Close()
		answers = append(answers, normalizeAnswer(string(b)))
		var line string
		select {
		case l := <-udp.Lines:
			line = normalizeLogLine(string(l))
			line = srcPortRE.ReplaceAllString(line, "127.0.0.1:PORT")
			line = strings.Replace(line, fe, "FE", -1)
			line = strings.Replace(line, feTCP, "FE", -1)
		case <-time.After(5 * time.Second):
			line = "(no log line)"
		}
		logs = append(logs, line)
	}
	return answers, logs
}

// TestSamplesLikeHaproxy runs the same requests through haproxy 2.6 and
// gohaproxy with log-format values holding sample expressions and
// %-variables in set-header/add-header, return lf-string, redirect
// location and prefix, http-response headers, a dynamic use_backend with
// a map, and a log-format with samples: the answers (with the heads the
// server received, echoed back) and the log lines must be the same bytes
// once ports, UUIDs and dates are hidden.
func TestSamplesLikeHaproxy(t *testing.T) {
	testenv.RequireRoot(t)
	bin := testenv.Binary(t, "gohaproxy")
	t.Setenv("SAMPLES_TEST_VAR", "envval")
	be := echoHeadServer(t)
	maps := samplesMaps(t)
	var theirs, ours, theirLogs, ourLogs []string
	t.Run("run", func(t *testing.T) {
		t.Run("haproxy", func(t *testing.T) {
			theirs, theirLogs = runSamples(t, func(cfg, ready string) { oracletest.HAProxy(t, cfg, ready) }, be, maps)
		})
		t.Run("gohaproxy", func(t *testing.T) {
			ours, ourLogs = runSamples(t, func(cfg, ready string) { startGohaproxy(t, bin, cfg, ready) }, be, maps)
		})
	})
	if len(theirs) != len(samplesExchanges) || len(ours) != len(samplesExchanges) {
		t.Fatal("a run did not finish")
	}
	for i, x := range samplesExchanges {
		if theirs[i] != ours[i] {
			t.Errorf("%q:\nhaproxy:   %q\ngohaproxy: %q", x, theirs[i], ours[i])
		}
		if theirLogs[i] != ourLogs[i] {
			t.Errorf("log of %q:\nhaproxy:   %s\ngohaproxy: %s", x, theirLogs[i], ourLogs[i])
		}
	}
	if !t.Failed() {
		keys := append([]string(nil), theirLogs...)
		sort.Strings(keys)
		t.Logf("log lines:\n%s", strings.Join(keys, "\n"))
	}
}
