package main

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// statsConfig is a configuration serving the stats page with
// authentication and admin rights, a listen section with two servers,
// a frontend and a backend with two servers (one disabled).
func statsConfig(t *testing.T) (string, int) {
	port := freePort(t)
	var srv [6]int
	for i := range srv {
		srv[i] = freePort(t) // no traffic goes there: only valid addresses
	}
	return statsConfigPorts(port, srv), port
}

func statsConfigPorts(port int, srv [6]int) string {
	return fmt.Sprintf(`global
    maxconn 500
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
listen st
    bind 127.0.0.1:%d
    stats enable
    stats uri /stats
    stats realm Test\ Realm
    stats auth admin:admin
    stats admin if TRUE
    stats refresh 30s
    stats show-legends
    description the statistics
    server s1 127.0.0.1:%d weight 5
    server s2 127.0.0.1:%d backup
frontend fe
    bind 127.0.0.1:%d
    default_backend be
backend be
    server a 127.0.0.1:%d
    server b 127.0.0.1:%d
    server c 127.0.0.1:%d disabled
`, port, srv[0], srv[1], srv[2], srv[3], srv[4], srv[5])
}

// statsRequest sends one request and returns the status line, the
// headers (lower-cased names, in order) and the de-chunked body.
func statsRequest(t *testing.T, addr, method, target, auth, body string) (string, []string, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n", method, target)
	if auth != "" {
		fmt.Fprintf(&b, "Authorization: Basic %s\r\n", base64.StdEncoding.EncodeToString([]byte(auth)))
	}
	if method == "POST" {
		fmt.Fprintf(&b, "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n" + body)
	if _, err := io.WriteString(c, b.String()); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	status, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	var hdrs []string
	chunked := false
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			break
		}
		name, val, _ := strings.Cut(l, ":")
		name = strings.ToLower(name)
		if name == "connection" {
			continue
		}
		hdrs = append(hdrs, name+":"+strings.TrimSpace(val))
		if name == "transfer-encoding" {
			chunked = true
		}
	}
	if !chunked {
		rest, _ := io.ReadAll(r)
		return strings.TrimSpace(status), hdrs, string(rest)
	}
	var out strings.Builder
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("%s %s: broken chunked body: %v", method, target, err)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(l), 16, 64)
		if err != nil {
			t.Fatalf("%s %s: bad chunk size %q", method, target, l)
		}
		if n == 0 {
			return strings.TrimSpace(status), hdrs, out.String()
		}
		if _, err := io.CopyN(&out, r, n); err != nil {
			t.Fatal(err)
		}
		r.ReadString('\n')
	}
}

var digits = regexp.MustCompile(`[0-9]+`)

// pageStructure describes a stats page by its tables: for every row of
// every "tbl" table, the row's class and its cells (tag, class, spans,
// the header texts, the tags inside data cells), numbers normalised. The
// information block, the links and the legend are kept as text.
func pageStructure(t *testing.T, page string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	attr := func(n *html.Node, k string) string {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val
			}
		}
		return ""
	}
	var text func(n *html.Node) string
	text = func(n *html.Node) string {
		if n.Type == html.TextNode {
			return n.Data
		}
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			b.WriteString(text(c))
		}
		return b.String()
	}
	var shape func(n *html.Node) string
	shape = func(n *html.Node) string {
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.Data != "span" {
				b.WriteString("<" + c.Data)
				if cl := attr(c, "class"); cl != "" {
					b.WriteString("." + cl)
				}
				b.WriteString(">" + shape(c))
			}
		}
		return b.String()
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch {
			case n.Data == "h2" || n.Data == "h3":
				out = append(out, n.Data+": "+digits.ReplaceAllString(text(n), "N"))
			case n.Data == "a" && attr(n, "href") != "" && !strings.HasPrefix(attr(n, "href"), "#"):
				txt := text(n)
				if strings.HasPrefix(txt, "HAProxy version ") {
					// gohaproxy names itself 2.6.12 without Debian's
					// package suffix and release date
					txt = "HAProxy version " + digits.ReplaceAllString(strings.Fields(txt)[2], "N")[:5]
				}
				out = append(out, "link "+attr(n, "href")+" "+txt)
			case n.Data == "td" && attr(n, "class") == "noborder":
				out = append(out, "legend "+text(n))
			case n.Data == "tr" && n.Parent != nil && isTbl(n, attr):
				row := "tr." + attr(n, "class") + " |"
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					if c.Type != html.ElementNode {
						continue
					}
					row += " " + c.Data
					for _, k := range []string{"class", "colspan", "rowspan"} {
						if v := attr(c, k); v != "" {
							row += "[" + k + "=" + v + "]"
						}
					}
					if c.Data == "th" {
						row += "{" + digits.ReplaceAllString(text(c), "N") + "}"
					} else {
						row += "{" + shape(c) + "}"
					}
				}
				out = append(out, row)
			case n.Data == "input" || n.Data == "select" || n.Data == "option" || n.Data == "form":
				out = append(out, n.Data+" "+attr(n, "name")+"="+digits.ReplaceAllString(attr(n, "value"), "N")+" "+attr(n, "type")+" "+attr(n, "method"))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// isTbl says whether row n belongs to a "tbl" table (not to the tips'
// "det" tables nor the legend).
func isTbl(n *html.Node, attr func(*html.Node, string) string) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.Data == "table" {
			return attr(p, "class") == "tbl"
		}
	}
	return false
}

func diffLines(a, b []string) string {
	var out strings.Builder
	n := max(len(a), len(b))
	shown := 0
	for i := 0; i < n && shown < 10; i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			fmt.Fprintf(&out, "line %d:\n  haproxy:   %s\n  gohaproxy: %s\n", i, x, y)
			shown++
		}
	}
	return out.String()
}

// TestStatsPageLikeHaproxy serves the same configuration with haproxy and
// gohaproxy and compares their stats pages: the 401 answer, the tables'
// structure (rows, classes, cells, headers), the links, the admin form
// and its 303 answers, and the CSV export after draining a server.
func TestStatsPageLikeHaproxy(t *testing.T) {
	h, g := startBoth(t, statsConfig)

	// authentication
	for _, auth := range []string{"", "admin:wrong"} {
		hs, hh, hb := statsRequest(t, h, "GET", "/stats", auth, "")
		gs, gh, gb := statsRequest(t, g, "GET", "/stats", auth, "")
		if hs != gs || strings.Join(hh, "\n") != strings.Join(gh, "\n") || hb != gb {
			t.Errorf("401 with %q differs:\nhaproxy:   %s %q %q\ngohaproxy: %s %q %q", auth, hs, hh, hb, gs, gh, gb)
		}
	}
	// the page, with and without options
	for _, target := range []string{"/stats", "/stats;up", "/stats;norefresh", "/stats;st=DONE", "/stats;st=ERRP;up?scope=be", "/stats?scope=st"} {
		hs, hh, hb := statsRequest(t, h, "GET", target, "admin:admin", "")
		gs, gh, gb := statsRequest(t, g, "GET", target, "admin:admin", "")
		if hs != gs || strings.Join(hh, "\n") != strings.Join(gh, "\n") {
			t.Errorf("%s: answers differ:\nhaproxy:   %s %q\ngohaproxy: %s %q", target, hs, hh, gs, gh)
		}
		hp, gp := pageStructure(t, hb), pageStructure(t, gb)
		t.Logf("%s: %d lines compared, e.g. %q", target, len(hp), hp[len(hp)/2])
		if len(hp) < 40 {
			t.Fatalf("%s: haproxy's page looks empty: %q", target, hp)
		}
		if d := diffLines(hp, gp); d != "" {
			t.Errorf("%s: the pages differ:\n%s", target, d)
		}
	}
	// the exports, numbers aside (the backend's lastsess is "-1" on
	// gohaproxy: it does not count the stats requests as sessions yet)
	for _, target := range []string{"/stats;csv", "/stats;csv;up", "/stats;csv;no-maint", "/stats;typed", "/stats;json", "/stats;json-schema", "/stats;csv?scope=be"} {
		hs, hh, hb := statsRequest(t, h, "GET", target, "admin:admin", "")
		gs, gh, gb := statsRequest(t, g, "GET", target, "admin:admin", "")
		norm := func(s string) string { return strings.ReplaceAll(digits.ReplaceAllString(s, "N"), "-N", "N") }
		if hs != gs || strings.Join(hh, "\n") != strings.Join(gh, "\n") {
			t.Errorf("%s: answers differ:\nhaproxy:   %s %q\ngohaproxy: %s %q", target, hs, hh, gs, gh)
		}
		if d := diffLines(strings.Split(norm(hb), "\n"), strings.Split(norm(gb), "\n")); d != "" || len(hb) < 100 {
			t.Errorf("%s: the exports differ:\n%s", target, d)
		}
	}
	// the connection handling: framing and keep-alive as haproxy
	for _, req := range []string{
		"GET /stats HTTP/1.0\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n\r\n",
		"GET /stats HTTP/1.0\r\nConnection: keep-alive\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n\r\n",
		"HEAD /stats HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n\r\n",
		"HEAD /stats HTTP/1.0\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n\r\n",
		"GET /stats HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		"GET /stats HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /stats;csv HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n\r\n",
		"POST /stats HTTP/1.0\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\nContent-Length: 3\r\n\r\nb=x",
		"POST /stats HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\nTransfer-Encoding: chunked\r\n\r\na\r\ns=b&action\r\nb\r\n=ready&b=be\r\n0\r\n\r\n",
	} {
		hr, gr := rawExchange(t, h, req), rawExchange(t, g, req)
		if hr != gr {
			t.Errorf("%q: the answers differ:\nhaproxy:   %q\ngohaproxy: %q", req, hr, gr)
		}
	}
	// the admin form's answers
	for _, body := range []string{
		"s=zz&action=maint&b=%233", "s=a&action=bogus&b=%233", "action=maint&b=%233",
		"s=a&s=zz&action=ready&b=be", "s=a&action=drain&b=%239", "s=a&action=drain&b=%233",
	} {
		hs, hh, _ := statsRequest(t, h, "POST", "/stats;up", "admin:admin", body)
		gs, gh, _ := statsRequest(t, g, "POST", "/stats;up", "admin:admin", body)
		if hs != gs || strings.Join(hh, "\n") != strings.Join(gh, "\n") {
			t.Errorf("POST %s differs:\nhaproxy:   %s %q\ngohaproxy: %s %q", body, hs, hh, gs, gh)
		}
	}
	// a drained server, in the CSV export and on the page
	status := func(addr string) string {
		_, _, csv := statsRequest(t, addr, "GET", "/stats;csv", "admin:admin", "")
		var b strings.Builder
		for _, l := range strings.Split(csv, "\n") {
			f := strings.Split(l, ",")
			if len(f) > 19 && !strings.HasPrefix(l, "#") {
				fmt.Fprintf(&b, "%s/%s %s %s\n", f[0], f[1], f[17], f[18])
			}
		}
		return b.String()
	}
	hcsv, gcsv := status(h), status(g)
	if hcsv != gcsv || !strings.Contains(gcsv, "be/a DRAIN") {
		t.Errorf("the CSV statuses after a drain differ:\nhaproxy:\n%sgohaproxy:\n%s", hcsv, gcsv)
	}
	_, _, hb := statsRequest(t, h, "GET", "/stats", "admin:admin", "")
	_, _, gb := statsRequest(t, g, "GET", "/stats", "admin:admin", "")
	if d := diffLines(pageStructure(t, hb), pageStructure(t, gb)); d != "" {
		t.Errorf("after the drain the pages differ:\n%s", d)
	}
	if !strings.Contains(gb, `<tr class="active_draining"><td><input class='be-checkbox' type="checkbox" name="s" value="a"></td>`) {
		t.Error("the drained server's row is not active_draining")
	}
}

// rawExchange sends req and returns the answer's head, whether a body
// followed, and how the connection ended ("closed" or "kept" when the
// proxy stayed silent), numbers normalised.
func rawExchange(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 64<<10)
	end := "closed"
	for {
		c.SetReadDeadline(time.Now().Add(1500 * time.Millisecond))
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			if isTimeout(err) {
				end = "kept"
			}
			break
		}
	}
	head, body, _ := strings.Cut(string(got), "\r\n\r\n")
	return digits.ReplaceAllString(head, "N") + fmt.Sprintf(" | body %v | %s", len(body) > 0, end)
}

// startBoth runs haproxy and gohaproxy, each on its own configuration from
// config, and returns their addresses.
func startBoth(t *testing.T, config func(*testing.T) (string, int)) (string, string) {
	t.Helper()
	hap := testenv.Oracle(t, "haproxy")
	bin := testenv.Binary(t, "gohaproxy")
	dir := t.TempDir()
	var addrs []string
	for _, s := range []struct{ name, bin string }{{"haproxy", hap}, {"gohaproxy", bin}} {
		text, port := config(t)
		cfg := filepath.Join(dir, s.name+".cfg")
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		startProxy(t, s.bin, "-db", "-f", cfg)
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		waitListening(t, addr)
		addrs = append(addrs, addr)
	}
	return addrs[0], addrs[1]
}

// TestStatsPageOptionsLikeHaproxy compares the pages of a configuration
// with the other options: the default URI on a frontend, no
// authentication, hide-version, show-node and show-desc with their texts,
// "stats scope", a tcp backend, and servers with maxconn and maxqueue.
func TestStatsPageOptionsLikeHaproxy(t *testing.T) {
	h, g := startBoth(t, func(t *testing.T) (string, int) {
		port := freePort(t)
		return fmt.Sprintf(`global
    maxconn 300
defaults
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend web
    mode http
    bind 127.0.0.1:%d
    maxconn 77
    stats enable
    stats hide-version
    stats show-node edge-1
    stats show-desc the edge <proxy>
    stats scope .
    stats scope app
    stats scope db
    default_backend app
backend app
    mode http
    balance leastconn
    server a1 127.0.0.1:%d maxconn 10 maxqueue 5 weight 20
    server a2 [::1]:%d backup
backend other
    mode http
    server o1 127.0.0.1:%d
backend db
    mode tcp
    server d1 127.0.0.1:%d
`, port, freePort(t), freePort(t), freePort(t), freePort(t)), port
	})
	for _, target := range []string{"/haproxy?stats", "/haproxy?stats;up", "/haproxy?stats?scope=ap", "/haproxy?stats;st=PART", "/haproxy?stats;st=ZZZZ"} {
		hs, hh, hb := statsRequest(t, h, "GET", target, "", "")
		gs, gh, gb := statsRequest(t, g, "GET", target, "", "")
		if hs != gs || strings.Join(hh, "\n") != strings.Join(gh, "\n") {
			t.Errorf("%s: answers differ:\nhaproxy:   %s %q\ngohaproxy: %s %q", target, hs, hh, gs, gh)
		}
		if d := diffLines(pageStructure(t, hb), pageStructure(t, gb)); d != "" {
			t.Errorf("%s: the pages differ:\n%s", target, d)
		}
		if !strings.Contains(gb, "<title>Statistics Report for HAProxy on edge-1</title>") {
			t.Errorf("%s: no node in the title", target)
		}
	}
	// without admin rights a POST is denied
	hs, hh, _ := statsRequest(t, h, "POST", "/haproxy?stats", "", "s=a1&action=maint&b=app")
	gs, gh, _ := statsRequest(t, g, "POST", "/haproxy?stats", "", "s=a1&action=maint&b=app")
	if hs != gs || strings.Join(hh, "\n") != strings.Join(gh, "\n") || !strings.Contains(strings.Join(gh, " "), "st=DENY") {
		t.Errorf("POST without admin:\nhaproxy:   %s %q\ngohaproxy: %s %q", hs, hh, gs, gh)
	}
}

// TestStatsPageChecksLikeHaproxy compares the rows of checked servers:
// one up (a listener answers), one down (nothing listens), and one that
// goes down, then up with a rise so high that it stays "DOWN n/rise".
func TestStatsPageChecksLikeHaproxy(t *testing.T) {
	serve := func(addr string) {
		ln, err := net.Listen("tcp", addr)
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
				c.Close()
			}
		}()
	}
	up := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	serve(up)
	down := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	rising := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	h, g := startBoth(t, func(t *testing.T) (string, int) {
		port := freePort(t)
		return fmt.Sprintf(`defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
listen st
    bind 127.0.0.1:%d
    stats enable
    stats uri /stats
    server up %s check inter 200 rise 1 fall 1
    server down %s check inter 200 rise 1 fall 1
    server rising %s check inter 200 rise 1000 fall 1
    server plain %s
`, port, up, down, rising, up), port
	})
	state := func(addr string) string {
		_, _, csv := statsRequest(t, addr, "GET", "/stats;csv", "", "")
		var b strings.Builder
		for _, l := range strings.Split(csv, "\n") {
			f := strings.Split(l, ",")
			if len(f) > 40 && f[1] != "svname" {
				// name, status, chkfail, chkdown, check_status, check_code
				fmt.Fprintf(&b, "%s %s %s %s %s %s|", f[1], digits.ReplaceAllString(f[17], "N"), f[21], f[22], f[36], f[37])
			}
		}
		return b.String()
	}
	settle := func(want string) {
		t.Helper()
		want = digits.ReplaceAllString(want, "N")
		var hs, gs string
		if !testenv.WaitFor(20*time.Second, func() bool {
			hs, gs = state(h), state(g)
			return digits.ReplaceAllString(hs, "N") == want && digits.ReplaceAllString(gs, "N") == want
		}) {
			t.Fatalf("the states did not settle:\nhaproxy:   %s\ngohaproxy: %s\nwant:      %s", hs, gs, want)
		}
	}
	settle("FRONTEND OPEN    |up UP N N L4OK |down DOWN N N L4CON |rising DOWN N N L4CON |plain no check    |BACKEND UP  N  |")
	serve(rising)
	settle("FRONTEND OPEN    |up UP N N L4OK |down DOWN N N L4CON |rising DOWN N/N N N L4OK |plain no check    |BACKEND UP  N  |")
	_, _, hb := statsRequest(t, h, "GET", "/stats", "", "")
	_, _, gb := statsRequest(t, g, "GET", "/stats", "", "")
	if d := diffLines(pageStructure(t, hb), pageStructure(t, gb)); d != "" {
		t.Errorf("the pages differ:\n%s", d)
	}
	for _, want := range []string{`<tr class="active_up"><td class=ac><a name="st/up">`, `<tr class="active_down"><td class=ac><a name="st/down">`,
		`<tr class="active_going_up"><td class=ac><a name="st/rising">`, `<div class=tips>Layer4 connection problem: Connection refused</div>`,
		`<tr class="active_no_check"><td class=ac><a name="st/plain">`} {
		if !strings.Contains(gb, want) {
			t.Errorf("gohaproxy's page lacks %q", want)
		}
	}
}
