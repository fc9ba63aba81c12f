package checks

import (
	"context"
	"crypto/tls"
	"net"
)

// TLSHello connects and completes a TLS handshake (L6OK).
type TLSHello struct {
	ServerName string // SNI
	Verify     bool   // verify the certificate chain and name
	Config     *tls.Config
}

// Run implements Probe.
func (p TLSHello) Run(ctx context.Context, t Target) Result {
	return timed(func() Result {
		c, r := dial(ctx, "tcp", t)
		if r != nil {
			return *r
		}
		defer c.Close()
		if _, r := handshake(ctx, c, p.Config, p.ServerName, p.Verify, t); r != nil {
			return *r
		}
		return result(true, StatusL6OK, 0, "")
	})
}

func handshake(ctx context.Context, c net.Conn, base *tls.Config, sni string, verify bool, t Target) (*tls.Conn, *Result) {
	var cfg *tls.Config
	if base != nil {
		cfg = base.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if sni != "" {
		cfg.ServerName = sni
	} else if cfg.ServerName == "" && verify {
		host, _, _ := net.SplitHostPort(t.Addr)
		cfg.ServerName = host
	}
	if !verify {
		cfg.InsecureSkipVerify = true
	}
	tc := tls.Client(c, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		st := StatusL6RSP
		if isTimeout(ctx, err) {
			st = StatusL6TOUT
		}
		r := result(false, st, 0, err.Error())
		return nil, &r
	}
	return tc, nil
}
