package logfmt

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/proxy/acl"
)

func sampleEvent() *Event {
	return &Event{
		Accept:   time.Date(2026, 11, 25, 14, 40, 12, 533e6, time.Local),
		PID:      4660,
		Client:   netip.MustParseAddrPort("10.0.1.2:33317"),
		Frontend: "fe", Backend: "be", Server: "s1",
		Th: 0, Ti: 1, TR: 2, Tw: 3, Tc: 4, Tr: 5, Ta: 20, Tt: 30, Tu: -1, Td: 15,
		BytesRead: 2750, Status: 200, Term: [2]byte{'C', 'D'},
		ActConn: 1, FeConn: 2, BeConn: 3, SrvConn: 4, Retries: 1, Redispatched: true,
		ReqCaptures: [][]byte{[]byte("a|b"), nil}, RequestLine: []byte("GET /p?q=\"1\" HTTP/1.1"),
	}
}

func TestRender(t *testing.T) {
	for _, c := range []struct{ f, want string }{
		{"%ci:%cp", "10.0.1.2:33317"},
		{"%{+X}o %ci:%cp %Ts %pid", "0A000102:8225 " + hex8(sampleEvent().Accept.Unix()) + " 1234"},
		{"%{+Q}o %b %{-Q}s %ST", `"be" s1 200`},
		{"%{+Q}CC|%CC", `""|-`},
		{"  %hs  %B", "2750"},
		{"%hr %hrl", "{a#7Cb|} a#7Cb -"},
		{"%{+Q}r", `"GET /p?q=#221#22 HTTP/1.1"`},
		{"%HM %HP %HQ %HV %HU", `GET /p ?q=#221#22 HTTP/1.1 /p?q=#221#22`},
		{"%Tq %Td %Tu", "3 15 -1"},
		{"%rc %ts %tsc", "+1 CD CD--"},
		{"%t %ms", "25/Nov/2026:14:40:12.533 533"},
		{"%%a %[src]", "%a -"},
		{"%{+E}o %[src] x", "- x"},
		{"%fi %si", "- -"},
	} {
		f, err := Compile(c.f)
		if err != nil {
			t.Fatalf("Compile(%q): %v", c.f, err)
		}
		ev := sampleEvent()
		if got := string(f.Append(nil, ev)); got != c.want {
			t.Errorf("%q: got %q, want %q", c.f, got, c.want)
		}
	}
}

func TestSample(t *testing.T) {
	f, _ := Compile("%{+Q}[src] %[x]")
	ev := sampleEvent()
	ev.Sample = func(dst []byte, expr string) []byte {
		if expr == "src" {
			return append(dst, "10.0.1.2"...)
		}
		return dst
	}
	if got := string(f.Append(nil, ev)); got != `"10.0.1.2" -` {
		t.Fatalf("got %q", got)
	}
}

func TestCompileErrors(t *testing.T) {
	for in, want := range map[string]string{
		"%":     "truncated line after '%'.",
		"%{+Q":  "truncated line after '+Q'.",
		"%{+Q}": "truncated line after '}'.",
		"%[src": "missing ']' after 'src'.",
		"%zz":   "no such format variable 'zz'. If you wanted to emit the '%' character verbatim, you need to use '%%'.",
		"%1":    "unexpected character '1' after '%'.",
	} {
		_, err := Compile(in)
		if err == nil || err.Error() != want {
			t.Errorf("Compile(%q) = %v, want %q", in, err, want)
		}
	}
}

func BenchmarkHTTPLog(b *testing.B) {
	f, _ := Compile(HTTPLog)
	ev := sampleEvent()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = f.Append(buf[:0], ev)
	}
}

func BenchmarkTCPLog(b *testing.B) {
	f, _ := Compile(TCPLog)
	ev := sampleEvent()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = f.Append(buf[:0], ev)
	}
}

func TestZeroAlloc(t *testing.T) {
	for _, s := range []string{TCPLog, HTTPLog, CLFLog} {
		f, _ := Compile(s)
		ev := sampleEvent()
		buf := make([]byte, 0, 2048)
		if n := testing.AllocsPerRun(100, func() { buf = f.Append(buf[:0], ev) }); n != 0 {
			t.Errorf("%q: %v allocations per line", s, n)
		}
	}
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{TCPLog, HTTPLog, HTTPSLog, CLFLog, "%{+Q,-X}o %[a(b)]", "%{", "%%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fm, err := Compile(s)
		if err != nil {
			return
		}
		fm.Append(nil, sampleEvent())
		fm.Append(nil, &Event{})
	})
}

func hex8(v int64) string { return string(appendHex(nil, uint64(v), 8)) }

func TestGMTDate(t *testing.T) {
	f, _ := Compile("%T")
	ev := &Event{Accept: time.Date(2026, 1, 5, 3, 4, 5, 0, time.FixedZone("x", 3600))}
	if got := string(f.Append(nil, ev)); got != "05/Jan/2026:02:04:05 +0000" {
		t.Fatalf("got %q", got)
	}
}

// FuzzCompileValue compiles any HTTP action value, binds its samples to
// the sample evaluator and renders it: no panic.
func FuzzCompileValue(f *testing.F) {
	for _, s := range []string{"%[src]", "a  %[hdr(x),lower]  b", "%{+Q,+E}[src,ipmask(8)] %ci", "%[", "%{+Q}", "x%%y %[req.hdr(a),field(-1,:)]"} {
		f.Add(s)
	}
	cp := &acl.Compiler{ReadFile: func(string) ([]byte, error) { return []byte("a b\n"), nil }}
	f.Fuzz(func(t *testing.T, s string) {
		fm, err := CompileValue(s)
		if err != nil {
			return
		}
		if fm.BindSamples(cp.CompileSample) != nil {
			return
		}
		ev := sampleEvent()
		ev.Ctx = &acl.Context{Src: netip.MustParseAddrPort("10.0.0.1:1"), Frontend: "f"}
		fm.Append(nil, ev)
		fm.Append(nil, &Event{})
	})
}
