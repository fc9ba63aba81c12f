package proxy

import (
	"testing"

	"github.com/gohaproxy/gohaproxy/pkg/proxy/acl"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/h1"
)

func TestSNIExpr(t *testing.T) {
	raw := []byte("GET / HTTP/1.1\r\nHost: Www.Example.com:8443\r\nX-Name: other.test\r\n\r\n")
	var req h1.Message
	if _, err := req.ParseRequest(raw, h1.LimitsFor(16384)); err != nil {
		t.Fatal(err)
	}
	in := &acl.TLSInfo{SNI: "client.test"}
	for src, want := range map[string]string{
		"str(fixed.test)":                  "fixed.test",
		"req.hdr(host)":                    "Www.Example.com:8443",
		"req.hdr(host),field(1,:),lower":   "www.example.com",
		"hdr(x-name),upper":                "OTHER.TEST",
		"ssl_fc_sni":                       "client.test",
		"req.hdr(host),field(3,:)":         "",
		"str(a,b)":                         "a,b",
		"req.hdr(missing)":                 "",
		"req.hdr(host),field(2,:),lower":   "8443",
		"req.hdr(host),lower,field(1,.)":   "www",
		"str(x.test),upper,lower,upper":    "X.TEST",
		"ssl_fc_sni,field(1,.)":            "client",
		"req.hdr(Host),field(1,:)":         "Www.Example.com",
		"str()":                            "",
		"hdr(host),field(1,:),field(2,.)":  "Example",
		"req.hdr(x-name),field(1,.),lower": "other",
	} {
		e, err := parseSNIExpr(src)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if got := e.eval(in, &req, raw); got != want {
			t.Errorf("%s: %q, want %q", src, got, want)
		}
	}
	for _, bad := range []string{"src", "req.hdr()", "req.hdr(host,1)", "str(x),base64", "str(x", "str(x),field(0,:)", "str(x),field(1)"} {
		if _, err := parseSNIExpr(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	// TCP mode: no request
	e, _ := parseSNIExpr("req.hdr(host)")
	if got := e.eval(nil, nil, nil); got != "" {
		t.Errorf("no request: %q", got)
	}
}

func FuzzParseSNIExpr(f *testing.F) {
	for _, s := range []string{"str(a.test)", "req.hdr(host),field(1,:),lower", "ssl_fc_sni,upper", "hdr(x),field(2,.)"} {
		f.Add(s)
	}
	raw := []byte("GET / HTTP/1.1\r\nHost: a.b:1\r\n\r\n")
	var req h1.Message
	req.ParseRequest(raw, h1.LimitsFor(16384))
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseSNIExpr(s)
		if err != nil {
			return
		}
		e.eval(&acl.TLSInfo{SNI: "x"}, &req, raw)
		e.eval(nil, nil, nil)
	})
}
