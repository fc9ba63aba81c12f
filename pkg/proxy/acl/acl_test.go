package acl

import (
	"crypto/tls"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

type fakeProxies struct{}

func (fakeProxies) NbSrv(be string) int {
	if be == "web" {
		return 2
	}
	return 0
}
func (fakeProxies) BeConn(be string) int        { return 5 }
func (fakeProxies) FeConn(fe string) int        { return 7 }
func (fakeProxies) SrvIsUp(be, srv string) bool { return be == "web" && srv == "s1" }

func anon(fetch string, args []string, convs []string, flags []string, match string, pats ...string) *haproxycfg.Cond {
	return &haproxycfg.Cond{Terms: [][]haproxycfg.CondTerm{{{Anon: &haproxycfg.ACLExpr{Fetch: fetch, FetchArg: args, Convs: convs, Flags: flags, Match: match, Patterns: pats}}}}}
}

// clientHello captures the first flight of a crypto/tls client.
func clientHello(t testing.TB, sni string) []byte {
	a, b := net.Pipe()
	go func() {
		c := tls.Client(a, &tls.Config{ServerName: sni, InsecureSkipVerify: true})
		c.SetDeadline(time.Now().Add(2 * time.Second))
		c.Handshake()
		a.Close()
	}()
	b.SetDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 0, 4096)
	tmp := make([]byte, 4096)
	for {
		n, err := b.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if len(buf) >= 5 && len(buf) >= 5+int(buf[3])<<8+int(buf[4]) || err != nil {
			break
		}
	}
	b.Close()
	return buf
}

func TestExprs(t *testing.T) {
	hello := clientHello(t, "www.example.com")
	src := netip.MustParseAddrPort("127.0.0.5:40000")
	v6 := netip.MustParseAddrPort("[2001:db8::1]:40000")
	for _, tc := range []struct {
		name    string
		cond    *haproxycfg.Cond
		src     netip.AddrPort
		payload []byte
		final   bool
		want    Result
	}{
		{"src exact", anon("src", nil, nil, nil, "", "127.0.0.5"), src, nil, true, Pass},
		{"src mask", anon("src", nil, nil, nil, "", "127.0.0.0/29"), src, nil, true, Pass},
		{"src dotted mask", anon("src", nil, nil, nil, "", "127.0.0.0/255.255.255.252"), src, nil, true, Fail},
		{"src v6", anon("src", nil, nil, nil, "", "2001:db8::/32"), v6, nil, true, Pass},
		{"src v6 vs v4", anon("src", nil, nil, nil, "", "127.0.0.0/8"), v6, nil, true, Fail},
		{"src ipmask", anon("src", nil, []string{"ipmask(24)"}, nil, "", "127.0.0.0"), src, nil, true, Pass},
		{"src_port range", anon("src_port", nil, nil, nil, "", "30000:50000"), src, nil, true, Pass},
		{"src_port lt", anon("src_port", nil, nil, nil, "", "lt", "40000"), src, nil, true, Fail},
		{"src_port le", anon("src_port", nil, nil, nil, "", "le", "40000"), src, nil, true, Pass},
		{"src_port open", anon("src_port", nil, nil, nil, "", "40001:"), src, nil, true, Fail},
		{"dst_port str", anon("dst_port", nil, nil, []string{"-m", "str"}, "str", "443"), src, nil, true, Pass},
		{"no pattern", anon("src_port", nil, nil, nil, ""), src, nil, true, Fail},
		{"found", anon("src", nil, nil, []string{"-m", "found"}, "found"), src, nil, true, Pass},
		{"always_true", anon("always_true", nil, nil, nil, ""), src, nil, true, Pass},
		{"always_false", anon("always_false", nil, nil, nil, ""), src, nil, true, Fail},
		{"nbsrv", anon("nbsrv", []string{"web"}, nil, nil, "", "2"), src, nil, true, Pass},
		{"nbsrv lt", anon("nbsrv", []string{"other"}, nil, nil, "", "lt", "1"), src, nil, true, Pass},
		{"be_conn", anon("be_conn", nil, nil, nil, "", "gt", "4"), src, nil, true, Pass},
		{"fe_conn", anon("fe_conn", nil, nil, nil, "", "7"), src, nil, true, Pass},
		{"srv_is_up", anon("srv_is_up", []string{"web/s1"}, nil, nil, ""), src, nil, true, Pass},
		{"srv_is_up down", anon("srv_is_up", []string{"web/s2"}, nil, nil, ""), src, nil, true, Fail},
		{"req.len waits", anon("req.len", nil, nil, nil, "", "ge", "10"), src, []byte("abc"), false, Miss},
		{"req.len final", anon("req.len", nil, nil, nil, "", "ge", "10"), src, []byte("abc"), true, Fail},
		{"req.len lt", anon("req.len", nil, nil, nil, "", "lt", "10"), src, []byte("abc"), false, Pass},
		{"payload waits", anon("req.payload", []string{"0", "4"}, nil, nil, "", "474554"), src, []byte("GE"), false, Miss},
		{"payload bin", anon("req.payload", []string{"0", "3"}, nil, []string{"-m", "bin"}, "bin", "474554"), src, []byte("GET /"), false, Pass},
		{"payload str", anon("req.payload", []string{"0", "3"}, nil, []string{"-m", "str"}, "str", "GET"), src, []byte("GET /"), false, Pass},
		{"sni", anon("req.ssl_sni", nil, nil, nil, "", "www.example.com"), src, hello, false, Pass},
		{"sni -i", anon("req_ssl_sni", nil, nil, []string{"-i"}, "str", "WWW.EXAMPLE.COM"), src, hello, false, Pass},
		{"sni end", anon("req.ssl_sni", nil, nil, []string{"-m", "end"}, "end", ".example.com"), src, hello, false, Pass},
		{"sni dom", anon("req.ssl_sni", nil, nil, []string{"-m", "dom"}, "dom", "example"), src, hello, false, Pass},
		{"sni dom no", anon("req.ssl_sni", nil, nil, []string{"-m", "dom"}, "dom", "exam"), src, hello, false, Fail},
		{"sni beg", anon("req.ssl_sni", nil, nil, []string{"-m", "beg"}, "beg", "www."), src, hello, false, Pass},
		{"sni sub", anon("req.ssl_sni", nil, nil, []string{"-m", "sub"}, "sub", "ample"), src, hello, false, Pass},
		{"sni reg", anon("req.ssl_sni", nil, nil, []string{"-m", "reg"}, "reg", `^w+\.ex`), src, hello, false, Pass},
		{"sni len", anon("req.ssl_sni", nil, nil, []string{"-m", "len"}, "len", "15"), src, hello, false, Pass},
		{"sni upper", anon("req.ssl_sni", nil, []string{"upper"}, nil, "", "WWW.EXAMPLE.COM"), src, hello, false, Pass},
		{"sni partial", anon("req.ssl_sni", nil, nil, nil, "", "www.example.com"), src, hello[:20], false, Miss},
		{"sni partial final", anon("req.ssl_sni", nil, nil, nil, "", "www.example.com"), src, hello[:20], true, Fail},
		{"sni not tls", anon("req.ssl_sni", nil, nil, nil, "", "x"), src, []byte("GET / HTTP/1.0\r\n"), false, Fail},
		{"hello type", anon("req.ssl_hello_type", nil, nil, nil, "", "1"), src, hello, false, Pass},
		{"ssl ver", anon("req.ssl_ver", nil, nil, nil, "int", "3.3"), src, hello, false, Pass},
		{"ssl ver -m int", anon("req.ssl_ver", nil, nil, []string{"-m", "int"}, "int", "196611"), src, hello, false, Pass},
		{"ssl ver range", anon("req_ssl_ver", nil, nil, nil, "int", "3.1:3.2"), src, hello, false, Fail},
		{"proto_http", anon("req.proto_http", nil, nil, nil, ""), src, []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), false, Pass},
		{"proto_http partial", anon("req.proto_http", nil, nil, nil, ""), src, []byte("GET / HT"), false, Miss},
		{"proto_http not", anon("req.proto_http", nil, nil, nil, ""), src, []byte("\x16\x03\x01"), false, Fail},
		{"wait_end", &haproxycfg.Cond{Terms: [][]haproxycfg.CondTerm{{{Name: "WAIT_END"}}}}, src, nil, false, Miss},
		{"LOCALHOST", &haproxycfg.Cond{Terms: [][]haproxycfg.CondTerm{{{Name: "LOCALHOST"}}}}, src, nil, true, Pass},
		{"!LOCALHOST", &haproxycfg.Cond{Terms: [][]haproxycfg.CondTerm{{{Name: "LOCALHOST", Negate: true}}}}, src, nil, true, Fail},
		{"REQ_CONTENT", &haproxycfg.Cond{Terms: [][]haproxycfg.CondTerm{{{Name: "REQ_CONTENT"}}}}, src, []byte("x"), false, Pass},
		{"FALSE or TRUE", &haproxycfg.Cond{Terms: [][]haproxycfg.CondTerm{{{Name: "FALSE"}}, {{Name: "TRUE"}}}}, src, nil, true, Pass},
		{"TRUE and FALSE", &haproxycfg.Cond{Terms: [][]haproxycfg.CondTerm{{{Name: "TRUE"}, {Name: "FALSE"}}}}, src, nil, true, Fail},
		{"miss and false", &haproxycfg.Cond{Terms: [][]haproxycfg.CondTerm{{{Name: "WAIT_END"}, {Name: "FALSE"}}}}, src, nil, false, Fail},
		{"miss or true", &haproxycfg.Cond{Terms: [][]haproxycfg.CondTerm{{{Name: "WAIT_END"}}, {{Name: "TRUE"}}}}, src, nil, false, Pass},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cp := &Compiler{}
			c, err := cp.Compile(tc.cond)
			if err != nil {
				t.Fatal(err)
			}
			ctx := &Context{Src: tc.src, Dst: netip.MustParseAddrPort("127.0.0.1:443"), Frontend: "fe", Backend: "web",
				Payload: tc.payload, Final: tc.final, BufSize: 16384, Proxies: fakeProxies{}}
			if got := c.Eval(ctx); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNamedACLsOr(t *testing.T) {
	px := &haproxycfg.Proxy{ACLs: []*haproxycfg.ACL{
		{Name: "bad", Expr: &haproxycfg.ACLExpr{Fetch: "src", Patterns: []string{"10.0.0.1"}}},
		{Name: "bad", Expr: &haproxycfg.ACLExpr{Fetch: "src", Flags: []string{"-f", "list"}}},
	}}
	cp := &Compiler{Proxy: px, ReadFile: func(string) ([]byte, error) {
		return []byte("# comment\n  10.0.0.2  \n\n192.168.0.0/16\n"), nil
	}}
	c, err := cp.Compile(&haproxycfg.Cond{Unless: true, Terms: [][]haproxycfg.CondTerm{{{Name: "bad"}}}})
	if err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]bool{"10.0.0.1": false, "10.0.0.2": false, "192.168.4.4": false, "10.0.0.3": true} {
		ctx := &Context{Src: netip.AddrPortFrom(netip.MustParseAddr(ip), 1), Final: true}
		if got, decided := c.Match(ctx); got != want || !decided {
			t.Errorf("%s: applies=%v decided=%v, want %v", ip, got, decided, want)
		}
	}
}

func TestUnsupported(t *testing.T) {
	for _, x := range []*haproxycfg.ACLExpr{
		{Fetch: "req.cook", FetchArg: []string{"sid"}},
		{Fetch: "src", Convs: []string{"sha1"}},
		{Fetch: "src", Patterns: []string{"localhost"}},
	} {
		if _, err := (&Compiler{}).Compile(&haproxycfg.Cond{Terms: [][]haproxycfg.CondTerm{{{Anon: x}}}}); err == nil {
			t.Errorf("%v: compiled", x)
		}
	}
}

func FuzzClientHelloSNI(f *testing.F) {
	f.Add(clientHello(f, "a.example"))
	f.Add([]byte{0x16, 3, 1, 0, 60, 1, 0, 0, 56})
	f.Add([]byte{0x80, 0x2e, 1, 3, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		sni, ok, more := ClientHelloSNI(b)
		if ok && more || !ok && sni != "" {
			t.Fatalf("inconsistent: %q %v %v", sni, ok, more)
		}
		if ok && len(sni) > len(b) {
			t.Fatal("name longer than input")
		}
		HelloType(b)
		HelloVersion(b, 16384)
		ProtoHTTP(b)
	})
}
