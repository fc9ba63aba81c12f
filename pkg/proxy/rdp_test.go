package proxy

import "testing"

func TestParseRDPToken(t *testing.T) {
	for in, want := range map[string]string{
		"3232235786.15629.0000": "10.1.168.192:3389",
		"16777343.20480.0000":   "127.0.0.1:80",
		"16777343.20480.":       "127.0.0.1:80",
		"16777343.20480":        "",
		"x.1.0":                 "",
		"4294967296.1.0":        "",
		"1.65536.0":             "",
	} {
		ap, ok := parseRDPToken([]byte(in))
		got := ""
		if ok {
			got = ap.String()
		}
		if got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func FuzzParseRDPToken(f *testing.F) {
	for _, s := range []string{"3232235786.15629.0000", "1.2.", "..", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if ap, ok := parseRDPToken(b); ok && !ap.Addr().Is4() {
			t.Fatalf("%q: %v", b, ap)
		}
	})
}
