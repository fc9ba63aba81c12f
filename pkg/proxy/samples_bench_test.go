package proxy

import (
	"net/netip"
	"testing"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/acl"
)

// lfRule compiles one http-request rule with a log-format value.
func lfRule(t testing.TB, action string, args ...string) httpRule {
	t.Helper()
	r, err := compileHTTPRule("http-request", &haproxycfg.Rule{Action: action, Args: args}, &acl.Compiler{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLFValue(t *testing.T) {
	s := &httpSession{}
	c := &acl.Context{Src: netip.MustParseAddrPort("10.1.2.3:5555"), Frontend: "fe"}
	ctx := func() *acl.Context { return c }
	s.ev.Frontend, s.ev.Backend, s.ev.Server = "fe", "fe", "<NOSRV>"
	for _, x := range []struct{ v, want string }{
		{"%[src]", "10.1.2.3"},
		{"a%[hdr(x)]b", "ab"},
		{"%[src] %[fe_name]  %f", "10.1.2.3 fe  fe"},
		{"%{+Q}[src]", `"10.1.2.3"`},
		{"%[srv_name]/%s", "/<NOSRV>"},
		{"plain %% text", "plain % text"},
	} {
		r := lfRule(t, "set-header", "X", x.v)
		if got := s.lfValue(&r, ctx); got != x.want {
			t.Errorf("%q = %q, want %q", x.v, got, x.want)
		}
	}
	// values of one transaction stay intact while later ones are built
	r1, r2 := lfRule(t, "set-header", "X", "%[src]"), lfRule(t, "set-header", "X", "%[fe_name]-long-enough-to-fill-%[src]")
	var vals []string
	for i := 0; i < 200; i++ {
		vals = append(vals, s.lfValue(&r1, ctx), s.lfValue(&r2, ctx))
	}
	for i := 0; i < len(vals); i += 2 {
		if vals[i] != "10.1.2.3" || vals[i+1] != "fe-long-enough-to-fill-10.1.2.3" {
			t.Fatalf("value %d changed: %q %q", i, vals[i], vals[i+1])
		}
	}
}

func TestLFValueRefused(t *testing.T) {
	for _, args := range [][]string{{"X", "%[nosuch]"}, {"X", "%[res.hdr(a)]"}, {"X", "%[req.payload(0,1)]"}, {"X", "%[src"}} {
		if _, err := compileHTTPRule("http-request", &haproxycfg.Rule{Action: "set-header", Args: args, Pos: haproxycfg.Pos{File: "f", Line: 7}}, &acl.Compiler{}); err == nil {
			t.Errorf("%q compiled", args)
		}
	}
}

// BenchmarkSetHeaderSrc renders "http-request set-header X-Real-IP
// %[src]" as a transaction does: allocation free in steady state.
func BenchmarkSetHeaderSrc(b *testing.B) {
	s := &httpSession{}
	r := lfRule(b, "set-header", "X-Real-IP", "%[src]")
	c := &acl.Context{Src: netip.MustParseAddrPort("10.1.2.3:5555")}
	ctx := func() *acl.Context { return c }
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.lfArena = s.lfArena[:0] // a new transaction
		s.reqAdd = append(s.reqAdd[:0], [2]string{r.name, s.lfValue(&r, ctx)})
	}
}
