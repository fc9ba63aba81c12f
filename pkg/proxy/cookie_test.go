package proxy

import (
	"bytes"
	"testing"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/h1"
)

func TestFindAndRemoveCookie(t *testing.T) {
	cases := []struct {
		hdr, name, val, rest string
		ok                   bool
	}{
		{"SRV=a", "SRV", "a", "", true},
		{"x=1; SRV=a; y=2", "SRV", "a", "x=1; y=2", true},
		{"x=1;SRV=a", "SRV", "a", "x=1", true},
		{"SRV=a; y=2", "SRV", "a", "y=2", true},
		{"SRVX=a; y=2", "SRV", "", "", false},
		{"x=1; SRV = b ", "SRV", "b", "x=1", true},
		{"novalue; SRV=", "SRV", "", "novalue", true},
	}
	for _, c := range cases {
		val, st, end, ok := findCookie([]byte(c.hdr), c.name)
		if ok != c.ok || string(val) != c.val {
			t.Errorf("findCookie(%q, %q) = %q, %v; want %q, %v", c.hdr, c.name, val, ok, c.val, c.ok)
			continue
		}
		if ok {
			if got := removeItem([]byte(c.hdr), st, end); string(got) != c.rest {
				t.Errorf("removeItem(%q) = %q; want %q", c.hdr, got, c.rest)
			}
		}
	}
}

func TestCookieSpec(t *testing.T) {
	px := &haproxycfg.Proxy{Cookie: &haproxycfg.Directive{Args: []string{"cookie", "SRV", "insert", "indirect", "nocache", "domain", ".a", "domain", ".b", "attr", "SameSite=Lax", "attr", "X=1", "httponly"}}}
	c, err := newCookieSpec(px)
	if err != nil {
		t.Fatal(err)
	}
	if c.name != "SRV" || !c.insert || !c.indirect || !c.nocache || !c.httponly || c.domain != ".a; domain=.b" || c.attrs != "SameSite=Lax; X=1" {
		t.Fatalf("%+v", c)
	}
	px.Cookie.Args = []string{"cookie", "SRV", "insert", "maxidle", "1h"}
	if _, err := newCookieSpec(px); err == nil {
		t.Fatal("maxidle accepted")
	}
}

func TestCacheable(t *testing.T) {
	cases := []struct {
		resp string
		want bool
	}{
		{"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false},
		{"HTTP/1.1 200 OK\r\nExpires: x\r\n\r\n", true},
		{"HTTP/1.1 200 OK\r\nETag: x\r\n\r\n", true},
		{"HTTP/1.1 200 OK\r\nCache-Control: max-age=10\r\n\r\n", true},
		{"HTTP/1.1 200 OK\r\nCache-Control: private, max-age=10\r\n\r\n", false},
		{"HTTP/1.1 200 OK\r\nExpires: x\r\nPragma: no-cache\r\n\r\n", false},
		{"HTTP/1.1 302 Found\r\nExpires: x\r\n\r\n", false},
		{"HTTP/1.1 404 Not Found\r\nExpires: x\r\n\r\n", true},
	}
	for _, c := range cases {
		var m h1.Message
		b := []byte(c.resp)
		if _, err := m.ParseResponse(b, h1.LimitsFor(16384)); err != nil {
			t.Fatal(err)
		}
		if got := cacheable(&m, b); got != c.want {
			t.Errorf("cacheable(%q) = %v", c.resp, got)
		}
	}
}

// FuzzCookieHeader: finding and removing a cookie never panics, and the
// removed item is gone.
func FuzzCookieHeader(f *testing.F) {
	f.Add([]byte("x=1; SRV=a; y=2"), "SRV")
	f.Add([]byte(";;=;SRV"), "SRV")
	f.Add([]byte("SRV=a~b"), "SRV")
	f.Fuzz(func(t *testing.T, hdr []byte, name string) {
		val, st, end, ok := findCookie(hdr, name)
		if !ok {
			return
		}
		if st < 0 || end > len(hdr) || st > end || !bytes.Contains(hdr[st:end], val) {
			t.Fatalf("findCookie(%q, %q) = %q at %d:%d", hdr, name, val, st, end)
		}
		out := removeItem(hdr, st, end)
		if len(out) >= len(hdr) && end > st {
			t.Fatalf("removeItem(%q) = %q", hdr, out)
		}
	})
}

func TestNormalizePage(t *testing.T) {
	cases := []struct{ in, want string }{
		{"HTTP/1.0 403 Forbidden\nA: b\n\nbody\n", "HTTP/1.0 403 Forbidden\r\nA: b\r\n\r\nbody\n"},
		{"HTTP/1.1 502\r\nContent-Length: 4\r\n\r\nbad\n", "HTTP/1.1 502 \r\nContent-Length: 4\r\n\r\nbad\n"},
		{"", ""},
	}
	for _, c := range cases {
		got, err := normalizePage([]byte(c.in))
		if err != nil || got != c.want {
			t.Errorf("normalizePage(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"garbage", "HTTP/1.1 50x x\r\n\r\n", "HTTP/1.1 503 x\r\nno colon\r\n\r\n"} {
		if _, err := normalizePage([]byte(bad)); err == nil {
			t.Errorf("normalizePage(%q) accepted", bad)
		}
	}
}

// FuzzErrorfile: reading an errorfile never panics, and what it accepts
// is a page the sizes and writers handle.
func FuzzErrorfile(f *testing.F) {
	f.Add([]byte("HTTP/1.0 403 Forbidden\nA: b\n\nbody\n"))
	f.Add([]byte("HTTP/1.1 502\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := normalizePage(b)
		if err != nil || p == "" {
			return
		}
		htxPageSize(p)
		appendPage(nil, p, true, false)
		if again, err := normalizePage([]byte(p)); err != nil || again != p {
			t.Fatalf("not stable: %q -> %q (%v)", p, again, err)
		}
	})
}
