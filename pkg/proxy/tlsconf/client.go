package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
)

// ServerSpec is what a server line asks for ("ssl" and its options).
type ServerSpec struct {
	Options  map[string][]string
	Defaults Defaults // ssl-default-server-*
	CrtBase  string
	CaBase   string
	// VerifyNone: global "ssl-server-verify none".
	VerifyNone bool
	// NoH2: the backend speaks HTTP/1.1 to the server (mode http): "h2"
	// is left out of the ALPN protocols offered.
	NoH2 bool
}

// NewClient builds the client configuration of a server line. ServerName
// is left empty: the caller sets it per connection from the "sni"
// expression (crypto/tls then also checks the certificate's names against
// it when verifying, as haproxy does with "verify required").
func NewClient(spec ServerSpec) (*tls.Config, error) {
	st := settings{minVer: tls.VersionTLS12, maxVer: tls.VersionTLS13}
	defOpts := defaultsOptions(spec.Defaults.Options)
	if spec.Defaults.Ciphers != "" {
		defOpts["ciphers"] = []string{spec.Defaults.Ciphers}
	}
	if spec.Defaults.Suites != "" {
		defOpts["ciphersuites"] = []string{spec.Defaults.Suites}
	}
	bs := &BindSpec{CaBase: spec.CaBase, NoH2: spec.NoH2}
	if err := st.apply(defOpts, bs); err != nil {
		return nil, fmt.Errorf("global ssl-default-server settings: %v", err)
	}
	opts := map[string][]string{}
	for k, v := range spec.Options {
		if k == "verify" || k == "ca-file" {
			continue // verified below, for the server side
		}
		opts[k] = v
	}
	if err := st.apply(opts, bs); err != nil {
		return nil, err
	}
	c, err := st.config(nil)
	if err != nil {
		return nil, err
	}
	if v, ok := spec.Options["crt"]; ok && len(v) > 0 {
		cert, err := LoadCertFile(withBase(spec.CrtBase, v[len(v)-1]))
		if err != nil {
			return nil, err
		}
		c.Certificates = []tls.Certificate{*cert}
	}
	verify := "required"
	if spec.VerifyNone {
		verify = "none"
	}
	if v, ok := spec.Options["verify"]; ok && len(v) > 0 {
		verify = v[0]
	}
	c.InsecureSkipVerify = true // crypto/tls's own check needs a ServerName; done below
	if verify == "required" {
		v, ok := spec.Options["ca-file"]
		if !ok || len(v) == 0 {
			return nil, errors.New("'verify required' needs a 'ca-file' (or set 'verify none')")
		}
		pool, err := LoadCAFile(withBase(spec.CaBase, v[0]))
		if err != nil {
			return nil, err
		}
		_, noHost := spec.Options["no-verifyhost"]
		verifyHost := ""
		if vh, ok := spec.Options["verifyhost"]; ok && len(vh) > 0 {
			verifyHost = vh[0]
		}
		c.VerifyConnection = func(cs tls.ConnectionState) error {
			return verifyServer(cs, pool, verifyHost, noHost)
		}
	}
	return c, nil
}

// verifyServer checks the server's chain against pool and its name
// against verifyhost or, without it, the SNI sent (haproxy checks the
// name only when one of those is set).
func verifyServer(cs tls.ConnectionState, pool *x509.CertPool, verifyHost string, noHost bool) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("the server sent no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	leaf := cs.PeerCertificates[0]
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter}); err != nil {
		return err
	}
	if noHost {
		return nil
	}
	name := verifyHost
	if name == "" {
		name = cs.ServerName
	}
	if name == "" {
		return nil
	}
	return leaf.VerifyHostname(strings.TrimSuffix(name, "."))
}
