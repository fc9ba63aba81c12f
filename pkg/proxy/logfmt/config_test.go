package logfmt

import (
	"testing"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

func TestSourceFor(t *testing.T) {
	opt := func(name string, args ...string) map[string]haproxycfg.Option {
		return map[string]haproxycfg.Option{name: {Enabled: true, Args: args}}
	}
	for _, c := range []struct {
		px   haproxycfg.Proxy
		want string
		ok   bool
	}{
		{haproxycfg.Proxy{Mode: haproxycfg.ModeTCP}, "", false},
		{haproxycfg.Proxy{Mode: haproxycfg.ModeTCP, Options: opt("tcplog")}, TCPLog, true},
		{haproxycfg.Proxy{Mode: haproxycfg.ModeTCP, Options: opt("httplog")}, TCPLog, true},
		{haproxycfg.Proxy{Mode: haproxycfg.ModeHTTP, Options: opt("httplog")}, HTTPLog, true},
		{haproxycfg.Proxy{Mode: haproxycfg.ModeHTTP, Options: opt("httplog", "clf")}, CLFLog, true},
		{haproxycfg.Proxy{Mode: haproxycfg.ModeHTTP, Options: opt("httpslog")}, HTTPSLog, true},
		{haproxycfg.Proxy{Mode: haproxycfg.ModeHTTP, Options: opt("httplog"), LogFormat: "%ci"}, "%ci", true},
	} {
		got, ok := SourceFor(&c.px)
		if got != c.want || ok != c.ok {
			t.Errorf("%+v: got %q %v", c.px.Options, got, ok)
		}
	}
	for _, s := range []string{TCPLog, HTTPLog, HTTPSLog, CLFLog} {
		if _, err := Compile(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
}
