package healthcheck

import "testing"

func TestLogFormatAndSamples(t *testing.T) {
	r := &run{resp: &httpResp{code: 503, hdrs: [][2]string{{"X-Info", "hello world"}, {"X-List", "a, b,c"}, {"X-List", "d"}}}}
	for _, c := range []struct{ in, want string }{
		{"plain", "plain"},
		{"m=%[res.hdr(x-missing)] n=%[res.hdr(x-info)]%% c=%[status]", "m= n=hello world% c=503"},
		{"%[res.hdr(x-list)] %[res.hdr(x-list,1)] %[res.hdr(x-list,-2)] %[res.fhdr(x-list,1)]", "d a c a, b,c"},
		{"%[int(5)]%[str(x y)]", "5x y"},
	} {
		f, err := compileLogFormat(c.in, true)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if got := f(r); got != c.want {
			t.Errorf("%q gave %q, want %q", c.in, got, c.want)
		}
	}
	for _, bad := range []string{"%ci", "%[res.hdr(x),lower]", "%[req.hdr(x)]", "%[status", "%[int(x)]"} {
		if _, err := compileLogFormat(bad, true); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := compileSample("res.hdr(x)", false); err == nil {
		t.Error("res.hdr accepted in a tcp-check")
	}
	rule := &Rule{}
	for in, want := range map[string]int{"str(12abc)": 12, "str(hello)": 0, "res.hdr(x-missing)": 503, "str(-7)": -7, "int(299)": 299} {
		e, err := compileSample(in, true)
		if err != nil {
			t.Fatal(err)
		}
		rule.codeExpr = e
		if got := r.ruleCode(rule, 503); got != want {
			t.Errorf("status-code %s gave %d, want %d", in, got, want)
		}
	}
}

func FuzzCompileLogFormat(f *testing.F) {
	f.Add("a %[res.hdr(x,2)] %% %[status]")
	f.Add("%[str()]%[int(-1)]")
	f.Fuzz(func(t *testing.T, s string) {
		fn, err := compileLogFormat(s, true)
		if err != nil {
			return
		}
		fn(&run{resp: &httpResp{code: 200, hdrs: [][2]string{{"x", "1,2"}}}})
		fn(&run{})
	})
}
