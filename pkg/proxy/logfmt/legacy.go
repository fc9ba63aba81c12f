package logfmt

import (
	"net/netip"
	"strconv"
	"time"
)

// AppendConnect renders haproxy's default log line (no "option tcplog" or
// "option httplog"), emitted when a connection is accepted:
// "Connect from IP:PORT to IP:PORT (FRONTEND/MODE)", mode being "TCP" or
// "HTTP".
func AppendConnect(dst []byte, client, local netip.AddrPort, frontend, mode string) []byte {
	dst = append(dst, "Connect from "...)
	dst = appendHostPort(dst, client)
	dst = append(dst, " to "...)
	dst = appendHostPort(dst, local)
	dst = append(dst, " ("...)
	dst = append(dst, frontend...)
	dst = append(dst, '/')
	dst = append(dst, mode...)
	return append(dst, ')')
}

func appendHostPort(dst []byte, a netip.AddrPort) []byte {
	dst = a.Addr().Unmap().AppendTo(dst)
	dst = append(dst, ':')
	return strconv.AppendUint(dst, uint64(a.Port()), 10)
}

// The connection errors haproxy reports in its error log lines (the
// PROXY protocol ones; the SSL ones come with SSL support).
const (
	ErrProxyEmpty     = "Connection closed while waiting for PROXY protocol header"
	ErrProxyAbort     = "Connection error while waiting for PROXY protocol header"
	ErrProxyTimeout   = "Timeout while waiting for PROXY protocol header"
	ErrProxyTruncated = "Truncated PROXY protocol header received"
	ErrProxyNotHeader = "Received something which does not look like a PROXY protocol header"
	ErrProxyBadHeader = "Received an invalid PROXY protocol header"
	ErrProxyBadProto  = "Received an unhandled protocol in the PROXY protocol header"
)

// AppendConnError renders haproxy's legacy error log line, used when a
// connection fails before a session exists and no "error-log-format" is
// set: "IP:PORT [accept date] FRONTEND/BIND: MESSAGE". bind is the bind
// line's "name", or its number in the frontend (from 1) when unnamed.
func AppendConnError(dst []byte, client netip.AddrPort, accept time.Time, frontend, bind, msg string) []byte {
	dst = appendHostPort(dst, client)
	dst = append(dst, " ["...)
	t := accept.Local()
	dst = appendMillis(append(appendDate(dst, t), '.'), t)
	dst = append(dst, "] "...)
	dst = append(dst, frontend...)
	dst = append(dst, '/')
	dst = append(dst, bind...)
	dst = append(dst, ": "...)
	return append(dst, msg...)
}
