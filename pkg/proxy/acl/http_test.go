package acl

import (
	"testing"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/h1"
)

func TestHTTPFetches(t *testing.T) {
	buf := []byte("POST http://Example.com/api/v1/x?a=1 HTTP/1.1\r\nHost: Example.com\r\nX-A: one\r\nX-A: two, three\r\n\r\n")
	var m h1.Message
	if _, err := m.ParseRequest(buf, h1.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	ctx := &Context{Req: &m, ReqBuf: buf, Final: true}
	cases := []struct {
		x    *haproxycfg.ACLExpr
		want Result
	}{
		{&haproxycfg.ACLExpr{Fetch: "path_beg", Patterns: []string{"/api"}}, Pass},
		{&haproxycfg.ACLExpr{Fetch: "path_beg", Patterns: []string{"/x"}}, Fail},
		{&haproxycfg.ACLExpr{Fetch: "path", Patterns: []string{"/api/v1/x"}}, Pass},
		{&haproxycfg.ACLExpr{Fetch: "path_end", Patterns: []string{"/x"}}, Pass},
		{&haproxycfg.ACLExpr{Fetch: "path_dir", Patterns: []string{"v1"}}, Pass},
		{&haproxycfg.ACLExpr{Fetch: "url_sub", Patterns: []string{"a=1"}}, Pass},
		{&haproxycfg.ACLExpr{Fetch: "method", Patterns: []string{"POST"}}, Pass},
		{&haproxycfg.ACLExpr{Fetch: "hdr", FetchArg: []string{"host"}, Flags: []string{"-i"}, Patterns: []string{"example.com"}}, Pass},
		{&haproxycfg.ACLExpr{Fetch: "hdr", FetchArg: []string{"host"}, Patterns: []string{"example.com"}}, Fail},
		{&haproxycfg.ACLExpr{Fetch: "hdr", FetchArg: []string{"x-a"}, Patterns: []string{"two"}}, Pass},
		{&haproxycfg.ACLExpr{Fetch: "hdr", FetchArg: []string{"x-a", "1"}, Patterns: []string{"one"}}, Pass},
		{&haproxycfg.ACLExpr{Fetch: "hdr", FetchArg: []string{"x-a"}, Patterns: []string{"three"}}, Pass},
		{&haproxycfg.ACLExpr{Fetch: "hdr", FetchArg: []string{"x-a"}, Patterns: []string{"two, three"}}, Fail},
		{&haproxycfg.ACLExpr{Fetch: "hdr", FetchArg: []string{"x-a", "3"}, Patterns: []string{"three"}}, Pass},
		{&haproxycfg.ACLExpr{Fetch: "hdr_cnt", FetchArg: []string{"x-a"}, Patterns: []string{"3"}}, Pass},
		{&haproxycfg.ACLExpr{Fetch: "query", Patterns: []string{"a=1"}}, Pass},
		{&haproxycfg.ACLExpr{Fetch: "req.ver", Patterns: []string{"1.1"}}, Pass},
	}
	for _, c := range cases {
		cond, err := (&Compiler{}).Compile(&haproxycfg.Cond{Terms: [][]haproxycfg.CondTerm{{{Anon: c.x}}}})
		if err != nil {
			t.Fatalf("%+v: %v", c.x, err)
		}
		if !cond.NeedsHTTP() {
			t.Errorf("%+v: not flagged as an HTTP fetch", c.x)
		}
		if got := cond.Eval(ctx); got != c.want {
			t.Errorf("%+v: %v, want %v", c.x, got, c.want)
		}
		if got := cond.Eval(&Context{Final: true}); got != Fail {
			t.Errorf("%+v without a request: %v", c.x, got)
		}
	}
}
