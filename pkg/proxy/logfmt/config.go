package logfmt

import (
	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// SourceFor returns the log-format a frontend's sessions are logged with:
// its "log-format", else the format of "option httpslog", "option httplog
// [clf]" or "option tcplog" (httplog on a TCP proxy logs as tcplog, as
// haproxy does after its warning). ok is false when none is set: haproxy
// then logs AppendConnect's line when the connection is accepted.
func SourceFor(px *haproxycfg.Proxy) (src string, ok bool) {
	if px.LogFormat != "" {
		return px.LogFormat, true
	}
	http := px.Mode == haproxycfg.ModeHTTP
	if o, on := px.Options["httpslog"]; on && o.Enabled {
		if http {
			return HTTPSLog, true
		}
		return TCPLog, true
	}
	if o, on := px.Options["httplog"]; on && o.Enabled {
		if !http {
			return TCPLog, true
		}
		if len(o.Args) > 0 && o.Args[0] == "clf" {
			return CLFLog, true
		}
		return HTTPLog, true
	}
	if px.OptionEnabled("tcplog") {
		return TCPLog, true
	}
	return "", false
}
