package stats

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestU2H(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"},
		{1000, `<span class="rls">1</span>000`},
		{1234567, `<span class="rls">1</span>23<span class="rls">4</span>567`},
		{-5, "0"},
	} {
		if got := u2h(c.n); got != c.want {
			t.Errorf("u2h(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestHumanTime(t *testing.T) {
	for _, c := range []struct {
		t    int64
		want string
	}{
		{-1, "?"}, {0, "0s"}, {59, "59s"}, {60, "1m"}, {61, "1m1s"}, {3600, "1h"},
		{3661, "1h1m"}, {86400, "1d"}, {90061, "1d1h"}, {86401, "1d1s"},
	} {
		if got := humanTime(c.t); got != c.want {
			t.Errorf("humanTime(%d) = %q, want %q", c.t, got, c.want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	cfg := &PageConfig{URI: "/stats", Refresh: 5}
	f := parseFlags(cfg, "/stats;up;norefresh;st=DONE?scope=web")
	if !f.hideDown || !f.noRefresh || f.status != "DONE" || f.search != "web" || f.format != "html" {
		t.Errorf("flags: %+v", f)
	}
	f = parseFlags(&PageConfig{URI: "/stats"}, "/stats;norefresh;csv;st=XXXX")
	if f.noRefresh || f.format != "csv" || f.status != "UNKN" {
		t.Errorf("flags without refresh: %+v", f)
	}
	if f := parseFlags(cfg, "/stats;json-schema"); f.format != "json-schema" {
		t.Errorf("json-schema: %+v", f)
	}
	if f := parseFlags(cfg, "/stats?scope=a<b"); f.search != "" {
		t.Errorf("a scope with a bad character is dropped: %+v", f)
	}
	if f := parseFlags(cfg, "/stats?scope=abcdefghijklmnopqrstuvwxyz"); f.search != "abcdefghijklmnopqrst" {
		t.Errorf("the scope is cut at 20: %q", f.search)
	}
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestAuthorized(t *testing.T) {
	users := []string{"admin:admin", "ro:secret"}
	for _, c := range []struct {
		h  string
		ok bool
	}{
		{basic("admin", "admin"), true}, {basic("ro", "secret"), true}, {basic("ro", "admin"), false},
		{"", false}, {"Basic !!!", false}, {"Bearer x", false}, {"basic " + base64.StdEncoding.EncodeToString([]byte("admin:admin")), true},
	} {
		if got := Authorized(users, c.h); got != c.ok {
			t.Errorf("Authorized(%q) = %v", c.h, got)
		}
	}
	if !Authorized(nil, "") {
		t.Error("no users: everything is authorized")
	}
}

// fakeAdmin records the actions and knows servers "a" and "b" of backend "be".
type fakeAdmin struct{ done []string }

func (f *fakeAdmin) ServerAction(be, srv, action string) (bool, bool) {
	if be != "be" || (srv != "a" && srv != "b") {
		return false, false
	}
	if action == "dhlth" && srv == "b" {
		return true, false
	}
	f.done = append(f.done, be+"/"+srv+":"+action)
	return true, true
}

func testSnapshot() *Snapshot {
	return &Snapshot{Proxies: []Proxy{
		{Name: "fe", ID: 2, Mode: "http", Frontend: true, FE: Counters{Limit: 100, LastSess: -1}},
		{Name: "be", ID: 3, Mode: "http", Backend: true, Algo: "roundrobin", BE: Counters{Limit: 10, LastSess: -1}, Servers: []Server{
			{Name: "a", ID: 1, Addr: "127.0.0.1:80", Status: "UP", Weight: 1, UWeight: 1, Throttle: -1, Counters: Counters{LastSess: -1}},
			{Name: "b", ID: 2, Addr: "127.0.0.1:81", Status: "DRAIN", Weight: 1, UWeight: 1, Throttle: -1, Counters: Counters{LastSess: -1}},
			{Name: "c", ID: 3, Addr: "[::1]:81", Status: "MAINT", Weight: 1, UWeight: 1, Backup: true, Throttle: -1, Counters: Counters{LastSess: -1}},
			{Name: "d", ID: 4, Addr: "127.0.0.1:82", Status: "DOWN", Weight: 1, UWeight: 1, Throttle: -1, Counters: Counters{LastSess: -1},
				Check: &Check{Status: "L4CON", Code: -1, Duration: 2, Desc: "Layer4 connection problem", Last: "Connection refused", Rise: 2, Fall: 3}},
		}},
	}}
}

func TestApplyAdmin(t *testing.T) {
	snap := testSnapshot
	for _, c := range []struct {
		body, want string
		done       int
	}{
		{"s=a&action=drain&b=%233", "DONE", 1},
		{"s=a&s=b&action=maint&b=be", "DONE", 2},
		{"s=a&s=zz&action=ready&b=be", "PART", 1},
		{"s=zz&action=ready&b=be", "ERRP", 0},
		{"s=a&action=ready&b=%239", "ERRP", 0},
		{"s=a&action=ready&b=fe", "ERRP", 0}, // not a backend
		{"s=a&action=bogus&b=be", "ERRP", 0},
		{"action=ready&b=be", "NONE", 0},
		{"s=a&b=be", "NONE", 0},
		{"s=b&action=dhlth&b=be", "NONE", 0},
		{"b=be&action=drain&s=a", "DONE", 1},
		{"s=a&action=drain&b=%ZZ", "NONE", 0}, // a broken escape stops the parsing
		{"", "NONE", 0},
	} {
		fa := &fakeAdmin{}
		if got := applyAdmin([]byte(c.body), snap, fa); got != c.want || len(fa.done) != c.done {
			t.Errorf("%q: %s with %v, want %s with %d actions", c.body, got, fa.done, c.want, c.done)
		}
	}
}

func TestServePage(t *testing.T) {
	cfg := &PageConfig{URI: "/stats", Realm: "Our stats", Users: []string{"admin:pw"}, Refresh: 10, Self: "fe"}
	fa := &fakeAdmin{}
	r := ServePage(cfg, &PageRequest{Method: "GET", URI: "/stats"}, testSnapshot, fa)
	if r.Status != 401 || string(r.Body) != unauthorizedBody || hdr(r, "www-authenticate") != `Basic realm="Our stats"` || hdr(r, "content-length") != "112" {
		t.Fatalf("401: %+v", r)
	}
	auth := basic("admin", "pw")
	r = ServePage(cfg, &PageRequest{Method: "GET", URI: "/stats", Authorization: auth}, testSnapshot, fa)
	if r.Status != 200 || hdr(r, "refresh") != "10" || hdr(r, "content-type") != "text/html" || !r.Chunked {
		t.Fatalf("page: %+v", r.Headers)
	}
	page := string(r.Body)
	for _, want := range []string{
		`<tr class="active_up">`, `<tr class="active_draining">`, `<tr class="maintain">`, `<tr class="active_down">`,
		`<td class=ac>0s DOWN</td><td class=ac><u> L4CON in 2ms<div class=tips>Layer4 connection problem: Connection refused</div></u></td>`,
		`<a href="/stats;norefresh">Disable refresh</a>`, "</body></html>\n",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "<form method=\"post\">") {
		t.Error("no admin form without admin rights")
	}
	r = ServePage(cfg, &PageRequest{Method: "GET", URI: "/stats;up;norefresh", Authorization: auth, Admin: true}, testSnapshot, fa)
	if hdr(r, "refresh") != "" || strings.Contains(string(r.Body), `value="c"`) || strings.Contains(string(r.Body), `value="d"`) ||
		!strings.Contains(string(r.Body), `<input type="hidden" name="b" value="#3">`) {
		t.Errorf(";up;norefresh with admin: %s", r.Body)
	}
	r = ServePage(cfg, &PageRequest{Method: "POST", URI: "/stats;up", Authorization: auth, Body: []byte("s=a&action=drain&b=%233")}, testSnapshot, fa)
	if r.Status != 303 || hdr(r, "location") != "/stats;st=DENY;up" || len(fa.done) != 0 {
		t.Errorf("POST without admin: %+v", r)
	}
	r = ServePage(cfg, &PageRequest{Method: "POST", URI: "/stats", Authorization: auth, Admin: true, Body: []byte("s=a&action=drain&b=%233")}, testSnapshot, fa)
	if r.Status != 303 || hdr(r, "location") != "/stats;st=DONE" || len(fa.done) != 1 {
		t.Errorf("POST with admin: %+v %v", r, fa.done)
	}
	r = ServePage(cfg, &PageRequest{Method: "GET", URI: "/stats;st=DONE", Authorization: auth}, testSnapshot, fa)
	if !strings.Contains(string(r.Body), `<p><div class=active_up><a class=lfsb href="/stats" title="Remove this message">[X]</a> Action processed successfully.</div>`) {
		t.Error("no DONE banner")
	}
	r = ServePage(cfg, &PageRequest{Method: "GET", URI: "/stats;csv", Authorization: auth}, testSnapshot, fa)
	if hdr(r, "content-type") != "text/plain" || !strings.HasPrefix(string(r.Body), "# pxname,svname,") || !strings.Contains(string(r.Body), "be,b,") {
		t.Errorf("csv: %s", r.Body)
	}
	r = ServePage(cfg, &PageRequest{Method: "GET", URI: "/stats;json", Authorization: auth}, testSnapshot, fa)
	if hdr(r, "content-type") != "application/json" || !strings.HasPrefix(string(r.Body), "[[{") {
		t.Errorf("json: %.100s", r.Body)
	}
	r = ServePage(cfg, &PageRequest{Method: "HEAD", URI: "/stats", Authorization: auth}, testSnapshot, fa)
	if r.Status != 200 || len(r.Body) != 0 {
		t.Errorf("HEAD: %+v", r)
	}
	// scope: "stats scope" and the search field
	cfg.Scope = []string{"."}
	r = ServePage(cfg, &PageRequest{Method: "GET", URI: "/stats", Authorization: auth}, testSnapshot, fa)
	if strings.Contains(string(r.Body), `<a name="be">`) || !strings.Contains(string(r.Body), `<a name="fe">`) {
		t.Error("stats scope . shows the serving proxy only")
	}
	cfg.Scope = nil
	r = ServePage(cfg, &PageRequest{Method: "GET", URI: "/stats?scope=bE", Authorization: auth}, testSnapshot, fa)
	if !strings.Contains(string(r.Body), `<a name="be">`) || strings.Contains(string(r.Body), `<a name="fe">`) ||
		!strings.Contains(string(r.Body), `<input value="bE" name="scope"`) || !strings.Contains(string(r.Body), `href="/stats;csv;norefresh?scope=bE"`) {
		t.Error("the search field filters proxies, case-insensitively")
	}
}

func hdr(r PageResponse, name string) string {
	for _, h := range r.Headers {
		if h[0] == name {
			return h[1]
		}
	}
	return ""
}

func TestPageOptionsLegends(t *testing.T) {
	s := testSnapshot()
	s.Proxies[1].Desc = "the <pool>"
	s.Info.Set("Pid", Num(42))
	s.Info.Set("Version", Str("2.6.12"))
	s.Info.Set("Release_date", Str("2023/03/10"))
	out := string(s.AppendHTML(nil, &PageOptions{URI: "/s", ShowLegends: true, ShowNode: true, Node: "n1", ShowDesc: true, Desc: "d"}))
	for _, want := range []string{
		"<title>Statistics Report for HAProxy on n1</title>",
		"<h2>Statistics Report for pid 42 on n1: d</h2>",
		"HAProxy version 2.6.12, released 2023/03/10</a>",
		`<div class=tips>cap: backend, mode: http, id: 3</div></u>`,
		`<div class=tips>IPv6: [::1]:81, id: 3</div></u>`,
		`<div class=tips>balancing: roundrobin</div>`,
		`<th class="desc" width="90%">the <pool></th>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q", want)
		}
	}
	out = string(s.AppendHTML(nil, &PageOptions{URI: "/s", HideVersion: true}))
	if !strings.Contains(out, `style="text-decoration: none;">HAProxy</a></h1>`) {
		t.Error("hide-version")
	}
}

// FuzzServePage: no request, however broken, makes the page panic.
func FuzzServePage(f *testing.F) {
	f.Add("POST", "/stats;up;st=DONE?scope=be", basic("admin", "pw"), "s=a&s=b&action=drain&b=%233", true)
	f.Add("GET", "/stats;csv;norefresh", "", "", false)
	f.Add("GET", "/stats;json;typed;st=", "Basic", "%", true)
	f.Fuzz(func(t *testing.T, method, uri, auth, body string, admin bool) {
		cfg := &PageConfig{URI: "/stats", Users: []string{"admin:pw"}, Refresh: 3, Self: "be"}
		r := ServePage(cfg, &PageRequest{Method: method, URI: uri, Authorization: auth, Body: []byte(body), Admin: admin}, testSnapshot, &fakeAdmin{})
		if r.Status == 0 {
			t.Fatal("no status")
		}
	})
}

// FuzzFormDecode: decoding never panics and plain text is kept.
func FuzzFormDecode(f *testing.F) {
	f.Add("a%20b+c")
	f.Add("%")
	f.Add("%zz")
	f.Fuzz(func(t *testing.T, s string) {
		out, ok := formDecode(s)
		if ok && !strings.ContainsAny(s, "%+") && out != s {
			t.Fatalf("%q decoded to %q", s, out)
		}
	})
}

func TestMatchesURI(t *testing.T) {
	for _, c := range []struct {
		prefix, method, target string
		want                   bool
	}{
		{"/stats", "GET", "/stats", true},
		{"/stats", "GET", "/statsfoo;csv", true},
		{"/stats", "POST", "/stats", true},
		{"/stats", "HEAD", "/stats?x", true},
		{"/stats", "PUT", "/stats", false},
		{"/stats", "GET", "/stat", false},
		{"/stats", "GET", "http://host/stats;csv", true},
		{"/stats", "GET", "http://host", false},
		{"/haproxy?stats", "GET", "/haproxy?stats", true},
	} {
		if got := MatchesURI(c.prefix, c.method, c.target); got != c.want {
			t.Errorf("MatchesURI(%q, %q, %q) = %v", c.prefix, c.method, c.target, got)
		}
	}
}

// FuzzAppendHTML: any names, statuses and check texts render without
// panicking, and the page always ends.
func FuzzAppendHTML(f *testing.F) {
	f.Add("be", "a", "UP 1/3", "L4CON", "refused <x>", int64(2), int64(3), int64(1), true, false)
	f.Add("", "", "DOWN ", "", "", int64(0), int64(0), int64(0), false, true)
	f.Add("p&q", "s'\"", "MAINT (via x/y)", "L7STS", "\x00\xff", int64(-1), int64(-5), int64(99), true, true)
	f.Fuzz(func(t *testing.T, px, sv, status, chk, last string, rise, fall, health int64, legends, admin bool) {
		s := testSnapshot()
		s.Proxies[1].Name = px
		s.Proxies[1].Servers[0].Name = sv
		s.Proxies[1].Servers[0].Status = status
		s.Proxies[1].Servers[3].Status = status
		s.Proxies[1].Servers[3].Check = &Check{Status: chk, Code: health, Duration: rise, Last: last, Rise: rise, Fall: fall, Health: health}
		s.Proxies[1].Servers[3].Tracked = last
		for _, hideDown := range []bool{false, true} {
			out := s.AppendHTML(nil, &PageOptions{URI: "/s", ShowLegends: legends, Admin: admin, HideDown: hideDown, Search: px, Status: chk})
			if !strings.HasSuffix(string(out), "</body></html>\n") {
				t.Fatal("the page does not end")
			}
		}
	})
}

// BenchmarkAppendHTML renders the page of 50 backends of 20 servers.
func BenchmarkAppendHTML(b *testing.B) {
	s := &Snapshot{}
	for i := range 50 {
		p := Proxy{Name: "be" + strings.Repeat("x", i%7), ID: i + 2, Mode: "http", Frontend: i%5 == 0, Backend: true, Algo: "roundrobin", BE: Counters{LastSess: -1}}
		for j := range 20 {
			p.Servers = append(p.Servers, Server{Name: "s" + string(rune('a'+j)), ID: j + 1, Addr: "10.0.0.1:80", Status: "UP", Weight: 1, UWeight: 1, Throttle: -1,
				Counters: Counters{Total: 123456789, BytesIn: 987654321, LastSess: 3},
				Check:    &Check{Status: "L7OK", Code: 200, Duration: 1, Desc: "Layer7 check passed", Last: "OK", Rise: 2, Fall: 3, Health: 4}})
		}
		s.Proxies = append(s.Proxies, p)
	}
	o := &PageOptions{URI: "/stats", Admin: true, ShowLegends: true}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = s.AppendHTML(buf[:0], o)
	}
	b.SetBytes(int64(len(buf)))
}
