package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/acl"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/h1"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logfmt"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/tlsconf"
)

// TLS termination on binds ("ssl crt ...") and TLS to servers ("server
// ... ssl"), with crypto/tls. The TLS side of a connection is copied in
// user space through the pooled buffers; the plain side is a socket as
// before.

// globalDirective returns the arguments of the last global directive kw.
func globalDirective(g *haproxycfg.Global, kw string) []string {
	var v []string
	for _, d := range g.Other {
		if d.Args[0] == kw {
			v = d.Args[1:]
		}
	}
	return v
}

func globalWord(g *haproxycfg.Global, kw string) string {
	if v := globalDirective(g, kw); len(v) > 0 {
		return v[0]
	}
	return ""
}

// setupTLS loads the certificates of the frontend's ssl binds.
func (fe *frontend) setupTLS(cfg *haproxycfg.Config, px *haproxycfg.Proxy) error {
	g := cfg.Global
	for _, b := range px.Binds {
		if _, ok := b.Options["ssl"]; !ok {
			continue
		}
		if _, ok := b.Options["accept-proxy"]; ok {
			return &UnsupportedError{b.Pos, "bind option 'accept-proxy' together with 'ssl'"}
		}
		for _, opt := range []string{"npn", "generate-certificates", "ca-sign-file", "crl-file", "ca-ignore-err", "crt-ignore-err", "allow-0rtt", "tls-ticket-keys", "ca-verify-file"} {
			if _, ok := b.Options[opt]; ok {
				return &UnsupportedError{b.Pos, "bind option '" + opt + "'"}
			}
		}
		spec := tlsconf.BindSpec{
			Options: b.Options,
			Defaults: tlsconf.Defaults{
				Options: globalDirective(g, "ssl-default-bind-options"),
				Ciphers: globalWord(g, "ssl-default-bind-ciphers"),
				Suites:  globalWord(g, "ssl-default-bind-ciphersuites"),
				Curves:  globalWord(g, "ssl-default-bind-curves"),
			},
			CrtBase: g.Tune["crt-base"],
			CaBase:  g.Tune["ca-base"],
			NoH2:    px.Mode == haproxycfg.ModeHTTP,
		}
		tb, err := tlsconf.NewBind(spec)
		if err != nil {
			return fmt.Errorf("parsing [%s:%d] : 'bind %s' : %v", b.Pos.File, b.Pos.Line, b.Addr.Raw, err)
		}
		if fe.tlsBinds == nil {
			fe.tlsBinds = map[*haproxycfg.Bind]*tlsconf.Bind{}
		}
		fe.tlsBinds[b] = tb
	}
	return nil
}

// handshakeTimeout bounds a client handshake when no "timeout client" is
// set (haproxy would wait forever; a stuck client must not hold a
// goroutine for ever).
const handshakeTimeout = 5 * time.Minute

// handshake runs the server side of a client's TLS handshake. On failure
// it logs haproxy's connection error line and returns nil.
func (fe *frontend) handshake(rt *Runtime, c net.Conn, tb *tlsconf.Bind, accept time.Time, bindLabel string) (*tls.Conn, *acl.TLSInfo) {
	cc := &countingConn{Conn: c}
	tc := tls.Server(cc, tb.Config())
	to := fe.client
	if to <= 0 {
		to = handshakeTimeout
	}
	c.SetDeadline(time.Now().Add(to))
	err := tc.HandshakeContext(rt.hardCtx)
	c.SetDeadline(time.Time{})
	if err != nil {
		// "option dontlognull" silences a failed handshake when the
		// client sent nothing, as in haproxy
		if fe.tlog != nil && (!fe.tlog.dontLogNull || cc.n > 0) {
			fe.tlog.connError(addrPort(c.RemoteAddr()), accept, fe.name, bindLabel, handshakeErrText(err))
		}
		return nil, nil
	}
	return tc, tlsInfoOf(tc.ConnectionState())
}

// countingConn counts the bytes read from a client during its handshake
// (for dontlognull).
type countingConn struct {
	net.Conn
	n int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n += int64(n)
	return n, err
}

// handshakeErrText is haproxy's text for a failed client handshake.
func handshakeErrText(err error) string {
	var ve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	switch {
	case isTimeoutErr(err):
		return "Timeout during SSL handshake"
	case errors.Is(err, io.EOF):
		return "Connection closed during SSL handshake"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed):
		return "Connection error during SSL handshake"
	case errors.As(err, &ve), errors.As(err, &ua), errors.As(err, &ci):
		return "SSL client certificate not trusted"
	}
	return "SSL handshake failure"
}

func tlsInfoOf(cs tls.ConnectionState) *acl.TLSInfo {
	in := &acl.TLSInfo{
		Protocol: tlsconf.VersionName(cs.Version),
		Cipher:   tlsconf.CipherName(cs.CipherSuite),
		SNI:      cs.ServerName,
		ALPN:     cs.NegotiatedProtocol,
		Resumed:  cs.DidResume,
	}
	if len(cs.PeerCertificates) > 0 {
		in.ClientCert = true
		in.ClientDN = tlsconf.DNPairs(cs.PeerCertificates[0])
	}
	return in
}

// setTLSEvent marks a log event as a TLS session (%ft's '~', %sslv, %sslc)
// and gives it the connection's log samples (sample: from tlsSampler).
func setTLSEvent(ev *logfmt.Event, in *acl.TLSInfo, sample func([]byte, string) []byte) {
	ev.Sample = sample
	if in == nil {
		ev.Sample = plainLogSample
		return
	}
	ev.SSL = true
	ev.SSLVersion, ev.SSLCipher = in.Protocol, in.Cipher
}

// tlsLogSamples are the %[...] expressions a log format may hold: those
// of "option httpslog" and the TLS fetches, about the client connection.
var tlsLogSamples = map[string]bool{
	"fc_err": true, "ssl_fc_err": true, "ssl_fc_err,hex": true, "ssl_c_err": true, "ssl_c_ca_err": true,
	"ssl_fc_is_resumed": true, "ssl_fc_sni": true, "ssl_fc_protocol": true, "ssl_fc_cipher": true,
	"ssl_fc": true, "ssl_c_used": true, "ssl_fc_alpn": true, "ssl_c_verify": true, "ssl_c_s_dn": true,
	"ssl_fc_has_sni": true,
}

// plainLogSample renders the log samples of a connection without TLS as
// haproxy does: the connection-level ones are 0, the TLS ones absent.
func plainLogSample(dst []byte, expr string) []byte {
	switch expr {
	case "fc_err", "ssl_fc_is_resumed", "ssl_fc", "ssl_fc_has_sni":
		return append(dst, '0')
	}
	return dst
}

// tlsSampler returns the log sample renderer of a TLS connection (made
// once per connection).
func tlsSampler(in *acl.TLSInfo) func([]byte, string) []byte {
	if in == nil {
		return plainLogSample
	}
	return func(dst []byte, expr string) []byte {
		flag := func(b bool) []byte {
			if b {
				return append(dst, '1')
			}
			return append(dst, '0')
		}
		switch expr {
		case "fc_err", "ssl_fc_err", "ssl_c_err", "ssl_c_ca_err", "ssl_c_verify":
			return append(dst, '0') // a handshake that failed is never logged here
		case "ssl_fc_err,hex":
			return append(dst, "0000000000000000"...)
		case "ssl_fc_is_resumed":
			return flag(in.Resumed)
		case "ssl_fc":
			return flag(true)
		case "ssl_c_used":
			return flag(in.ClientCert)
		case "ssl_fc_has_sni":
			return flag(in.SNI != "")
		case "ssl_fc_sni":
			return append(dst, in.SNI...)
		case "ssl_fc_protocol":
			return append(dst, in.Protocol...)
		case "ssl_fc_cipher":
			return append(dst, in.Cipher...)
		case "ssl_fc_alpn":
			return append(dst, in.ALPN...)
		case "ssl_c_s_dn":
			for _, kv := range in.ClientDN {
				dst = append(dst, '/')
				dst = append(dst, kv[0]...)
				dst = append(dst, '=')
				dst = append(dst, kv[1]...)
			}
		}
		return dst
	}
}

// serverTLS is the TLS configuration of a server line.
type serverTLS struct {
	base  *tls.Config
	sni   *sniExpr // nil: no SNI
	mu    sync.Mutex
	bySNI map[string]*tls.Config
}

// maxSNIConfigs bounds the per-SNI configuration cache of a server.
const maxSNIConfigs = 256

func (st *serverTLS) configFor(sni string) *tls.Config {
	if sni == "" {
		return st.base
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if c, ok := st.bySNI[sni]; ok {
		return c
	}
	c := st.base.Clone()
	c.ServerName = sni
	if len(st.bySNI) < maxSNIConfigs {
		st.bySNI[sni] = c
	}
	return c
}

// setupTLS prepares the TLS configuration of the backend's ssl servers.
func (be *backend) setupTLS(cfg *haproxycfg.Config, px *haproxycfg.Proxy) error {
	g := cfg.Global
	byName := map[string]*server{}
	for _, s := range be.servers {
		byName[s.name] = s
	}
	for _, s := range px.Servers {
		srv := byName[s.Name]
		if srv == nil {
			continue
		}
		if _, ok := s.Options["ssl"]; !ok {
			continue
		}
		for _, opt := range []string{"npn", "crl-file", "allow-0rtt", "send-proxy-v2-ssl", "send-proxy-v2-ssl-cn"} {
			if _, ok := s.Options[opt]; ok {
				return &UnsupportedError{s.Pos, "server option '" + opt + "'"}
			}
		}
		spec := tlsconf.ServerSpec{
			Options: s.Options,
			Defaults: tlsconf.Defaults{
				Options: globalDirective(g, "ssl-default-server-options"),
				Ciphers: globalWord(g, "ssl-default-server-ciphers"),
				Suites:  globalWord(g, "ssl-default-server-ciphersuites"),
			},
			CrtBase:    g.Tune["crt-base"],
			CaBase:     g.Tune["ca-base"],
			VerifyNone: globalWord(g, "ssl-server-verify") == "none",
			NoH2:       px.Mode == haproxycfg.ModeHTTP,
		}
		c, err := tlsconf.NewClient(spec)
		if err != nil {
			return fmt.Errorf("parsing [%s:%d] : server '%s' : %v", s.Pos.File, s.Pos.Line, s.Name, err)
		}
		if _, ok := s.Options["no-ssl-reuse"]; !ok {
			c.ClientSessionCache = tls.NewLRUClientSessionCache(64)
		}
		st := &serverTLS{base: c, bySNI: map[string]*tls.Config{}}
		if v, ok := s.Options["sni"]; ok && len(v) > 0 {
			if st.sni, err = parseSNIExpr(v[0]); err != nil {
				return &UnsupportedError{s.Pos, fmt.Sprintf("'sni %s' (%v)", v[0], err)}
			}
		}
		srv.tls = st
	}
	return nil
}

// startTLS runs the client handshake with a server on c, within the
// connect timeout (haproxy's connect timeout covers the handshake),
// after the PROXY header pre when there is one.
func (srv *server) startTLS(ctx context.Context, c net.Conn, pre []byte, sni string, timeout time.Duration) (net.Conn, error) {
	tc := tls.Client(c, srv.tls.configFor(sni))
	c.SetDeadline(time.Now().Add(timeout))
	var err error
	if len(pre) > 0 {
		_, err = c.Write(pre)
	}
	if err == nil {
		err = tc.HandshakeContext(ctx)
	}
	c.SetDeadline(time.Time{})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("SSL handshake with server '%s' failed: %w", srv.name, err)
	}
	return tc, nil
}

// sniExpr is a server's "sni" expression: a fetch among str(),
// req.hdr()/hdr() and ssl_fc_sni, with lower/upper/field converters.
type sniExpr struct {
	fetch string // "str", "hdr", "ssl_fc_sni"
	arg   string
	convs []sniConv
}

type sniConv struct {
	name  string
	n     int
	delim string
}

// needsRequest says whether the expression reads the HTTP request.
func (e *sniExpr) needsRequest() bool { return e != nil && e.fetch == "hdr" }

func splitCall(s string) (name, arg string, err error) {
	i := strings.IndexByte(s, '(')
	if i < 0 {
		return s, "", nil
	}
	if !strings.HasSuffix(s, ")") {
		return "", "", fmt.Errorf("missing ')' in '%s'", s)
	}
	return s[:i], s[i+1 : len(s)-1], nil
}

func parseSNIExpr(src string) (*sniExpr, error) {
	parts := strings.Split(src, ",")
	// commas inside the first call's parentheses belong to it
	first := parts[0]
	rest := parts[1:]
	for strings.Count(first, "(") > strings.Count(first, ")") && len(rest) > 0 {
		first += "," + rest[0]
		rest = rest[1:]
	}
	name, arg, err := splitCall(first)
	if err != nil {
		return nil, err
	}
	e := &sniExpr{}
	switch name {
	case "str":
		e.fetch, e.arg = "str", arg
	case "req.hdr", "hdr":
		if arg == "" || strings.Contains(arg, ",") {
			return nil, fmt.Errorf("'%s' needs a header name (and no occurrence)", name)
		}
		e.fetch, e.arg = "hdr", arg
	case "ssl_fc_sni":
		e.fetch = "ssl_fc_sni"
	default:
		return nil, fmt.Errorf("fetch '%s' in a server sni (use str(), req.hdr() or ssl_fc_sni)", name)
	}
	for i := 0; i < len(rest); i++ {
		cs := rest[i]
		for strings.Count(cs, "(") > strings.Count(cs, ")") && i+1 < len(rest) {
			i++
			cs += "," + rest[i]
		}
		cn, ca, err := splitCall(cs)
		if err != nil {
			return nil, err
		}
		switch cn {
		case "lower", "upper":
			e.convs = append(e.convs, sniConv{name: cn})
		case "field":
			a := strings.SplitN(ca, ",", 2)
			n, err := strconv.Atoi(a[0])
			if err != nil || len(a) != 2 || a[1] == "" || n < 1 {
				return nil, fmt.Errorf("field() needs a positive index and a delimiter")
			}
			e.convs = append(e.convs, sniConv{name: "field", n: n, delim: a[1]})
		default:
			return nil, fmt.Errorf("converter '%s' in a server sni (use lower, upper or field)", cn)
		}
	}
	return e, nil
}

// eval computes the SNI for a connection: in tls the client's TLS
// (nil without), req and buf the HTTP request (nil in TCP mode).
func (e *sniExpr) eval(in *acl.TLSInfo, req *h1.Message, buf []byte) string {
	if e == nil {
		return ""
	}
	v := ""
	switch e.fetch {
	case "str":
		v = e.arg
	case "ssl_fc_sni":
		if in != nil {
			v = in.SNI
		}
	case "hdr":
		if req == nil {
			return ""
		}
		if strings.EqualFold(e.arg, "host") {
			if req.HasHost {
				v = string(req.Host.In(buf))
			}
		} else {
			for i := range req.Headers {
				h := &req.Headers[i]
				if equalFoldString(h.Name.In(buf), e.arg) {
					v = string(h.Value.In(buf))
				}
			}
		}
	}
	for _, c := range e.convs {
		switch c.name {
		case "lower":
			v = strings.ToLower(v)
		case "upper":
			v = strings.ToUpper(v)
		case "field":
			f := strings.Split(v, c.delim)
			if c.n <= len(f) {
				v = f[c.n-1]
			} else {
				v = ""
			}
		}
	}
	return v
}
