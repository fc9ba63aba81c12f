package tlsconf

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Defaults are the global ssl-default-bind-* (or -server-*) directives.
type Defaults struct {
	Options []string // ssl-default-*-options words
	Ciphers string
	Suites  string
	Curves  string
}

// BindSpec is what a bind line asks for.
type BindSpec struct {
	Options  map[string][]string // the bind line's options ("crt" may hold several files)
	Defaults Defaults
	CrtBase  string // global crt-base
	CaBase   string // global ca-base
	// NoH2: the frontend does not serve HTTP/2 (mode http): "h2" is left
	// out of the ALPN protocols advertised.
	NoH2 bool
}

// settings are the TLS parameters of one certificate (the bind line's,
// overridden by the crt-list line's).
type settings struct {
	minVer, maxVer uint16
	ciphers        []uint16
	curves         []tls.CurveID
	alpn           []string
	verify         string
	clientCAs      *x509.CertPool
	noTickets      bool
	preferClient   bool
}

func withBase(base, p string) string {
	if base == "" || filepath.IsAbs(p) {
		return p
	}
	return strings.TrimSuffix(base, "/") + "/" + p
}

// apply reads the version, cipher, ALPN and verify options of opts over st.
func (st *settings) apply(opts map[string][]string, spec *BindSpec) error {
	arg := func(k string) (string, bool) {
		v, ok := opts[k]
		if !ok || len(v) == 0 {
			return "", false
		}
		return v[len(v)-1], true
	}
	var err error
	for _, w := range []struct {
		flag string
		ver  uint16
	}{{"no-sslv3", tls.VersionSSL30}, {"no-tlsv10", tls.VersionTLS10}, {"no-tlsv11", tls.VersionTLS11}, {"no-tlsv12", tls.VersionTLS12}, {"no-tlsv13", tls.VersionTLS13}} {
		if _, ok := opts[w.flag]; ok {
			st.disable(w.ver)
		}
	}
	for _, f := range []struct {
		flag string
		ver  uint16
	}{{"force-sslv3", tls.VersionSSL30}, {"force-tlsv10", tls.VersionTLS10}, {"force-tlsv11", tls.VersionTLS11}, {"force-tlsv12", tls.VersionTLS12}, {"force-tlsv13", tls.VersionTLS13}} {
		if _, ok := opts[f.flag]; ok {
			st.minVer, st.maxVer = f.ver, f.ver
		}
	}
	if v, ok := arg("ssl-min-ver"); ok {
		if st.minVer, err = ParseVersion(v); err != nil {
			return fmt.Errorf("'ssl-min-ver': %v", err)
		}
		if st.maxVer < st.minVer {
			st.maxVer = tls.VersionTLS13
		}
	}
	if v, ok := arg("ssl-max-ver"); ok {
		if st.maxVer, err = ParseVersion(v); err != nil {
			return fmt.Errorf("'ssl-max-ver': %v", err)
		}
	}
	if v, ok := arg("ciphers"); ok {
		if st.ciphers, err = ParseCipherList(v); err != nil {
			return fmt.Errorf("'ciphers': %v", err)
		}
	}
	if v, ok := arg("ciphersuites"); ok {
		if err := CheckSuites13(v); err != nil {
			return fmt.Errorf("'ciphersuites': %v", err)
		}
	}
	for _, k := range []string{"ecdhe", "curves"} {
		if v, ok := arg(k); ok {
			if st.curves, err = ParseCurves(v); err != nil {
				return fmt.Errorf("'%s': %v", k, err)
			}
		}
	}
	if v, ok := arg("alpn"); ok {
		st.alpn = nil
		for _, p := range strings.Split(v, ",") {
			if p == "" || p == "h2" && spec.NoH2 {
				continue
			}
			st.alpn = append(st.alpn, p)
		}
	}
	if _, ok := opts["no-alpn"]; ok {
		st.alpn = nil
	}
	if v, ok := arg("verify"); ok {
		st.verify = v
	}
	if v, ok := arg("ca-file"); ok {
		if st.clientCAs, err = LoadCAFile(withBase(spec.CaBase, v)); err != nil {
			return err
		}
	}
	if _, ok := opts["no-tls-tickets"]; ok {
		st.noTickets = true
	}
	if _, ok := opts["prefer-client-ciphers"]; ok {
		st.preferClient = true
	}
	return nil
}

// disable removes a version from the ends of the range (haproxy keeps
// the contiguous range around the versions left).
func (st *settings) disable(v uint16) {
	if st.minVer == v && st.minVer < st.maxVer {
		st.minVer++
		if st.minVer == tls.VersionSSL30+1 {
			st.minVer = tls.VersionTLS10
		}
	} else if st.maxVer == v && st.maxVer > st.minVer {
		st.maxVer--
	} else if st.minVer == v && st.maxVer == v {
		st.maxVer = 0 // nothing left
	}
}

// defaultsOptions turns ssl-default-*-options words into an options map.
func defaultsOptions(words []string) map[string][]string {
	opts := map[string][]string{}
	for i := 0; i < len(words); i++ {
		w := words[i]
		if (w == "ssl-min-ver" || w == "ssl-max-ver") && i+1 < len(words) {
			opts[w] = []string{words[i+1]}
			i++
			continue
		}
		opts[w] = nil
	}
	return opts
}

func (st *settings) config(cert *tls.Certificate) (*tls.Config, error) {
	if st.maxVer == 0 || st.maxVer < st.minVer {
		return nil, errors.New("the ssl options leave no protocol version enabled (check ssl-min-ver, ssl-max-ver and no-tlsv1x)")
	}
	minV, maxV := st.minVer, st.maxVer
	if minV < tls.VersionTLS10 {
		minV = tls.VersionTLS10 // SSLv3 is not implemented
	}
	if maxV < tls.VersionTLS10 {
		return nil, errors.New("SSLv3 is not implemented by gohaproxy (use ssl-min-ver TLSv1.0 or later)")
	}
	c := &tls.Config{
		MinVersion:             minV,
		MaxVersion:             maxV,
		CipherSuites:           st.ciphers,
		CurvePreferences:       st.curves,
		NextProtos:             st.alpn,
		SessionTicketsDisabled: st.noTickets,
	}
	if cert != nil {
		c.Certificates = []tls.Certificate{*cert}
	}
	switch st.verify {
	case "optional":
		c.ClientAuth = tls.VerifyClientCertIfGiven
	case "required":
		c.ClientAuth = tls.RequireAndVerifyClientCert
	}
	if c.ClientAuth != tls.NoClientCert {
		if st.clientCAs == nil {
			return nil, errors.New("'verify " + st.verify + "' needs a 'ca-file' to verify client certificates")
		}
		c.ClientCAs = st.clientCAs
	}
	return c, nil
}

// entry is one certificate of a bind line with its TLS configuration.
type entry struct {
	cfg, noALPN *tls.Config
	neg         map[string]bool // names excluded by "!name" filters
}

// Bind is the TLS side of one bind line: its certificates, indexed by
// the names they serve.
type Bind struct {
	entries []*entry // entries[0] is the default certificate
	exact   map[string][]*entry
	wild    map[string][]*entry // "*.example.com" under ".example.com"
	strict  bool
	base    *tls.Config
}

// NewBind loads a bind line's certificates and builds its configuration.
func NewBind(spec BindSpec) (*Bind, error) {
	base := settings{minVer: tls.VersionTLS12, maxVer: tls.VersionTLS13}
	defOpts := defaultsOptions(spec.Defaults.Options)
	if spec.Defaults.Ciphers != "" {
		defOpts["ciphers"] = []string{spec.Defaults.Ciphers}
	}
	if spec.Defaults.Suites != "" {
		defOpts["ciphersuites"] = []string{spec.Defaults.Suites}
	}
	if spec.Defaults.Curves != "" {
		defOpts["curves"] = []string{spec.Defaults.Curves}
	}
	if err := base.apply(defOpts, &spec); err != nil {
		return nil, fmt.Errorf("global ssl-default-bind settings: %v", err)
	}
	if err := base.apply(spec.Options, &spec); err != nil {
		return nil, err
	}
	b := &Bind{exact: map[string][]*entry{}, wild: map[string][]*entry{}}
	_, b.strict = spec.Options["strict-sni"]
	add := func(cert *tls.Certificate, st settings, filters []string, first bool) error {
		cfg, err := st.config(cert)
		if err != nil {
			return err
		}
		e := &entry{cfg: cfg, neg: map[string]bool{}}
		if len(cfg.NextProtos) > 0 {
			e.noALPN = cfg.Clone()
			e.noALPN.NextProtos = nil
		}
		names := filters
		if len(filters) == 0 {
			names = certNames(cert)
		}
		for _, n := range names {
			n = strings.ToLower(n)
			if strings.HasPrefix(n, "!") {
				e.neg[n[1:]] = true
				continue
			}
			if strings.HasPrefix(n, "*.") {
				b.wild[n[1:]] = append(b.wild[n[1:]], e)
			} else {
				b.exact[n] = append(b.exact[n], e)
			}
		}
		b.entries = append(b.entries, e)
		return nil
	}
	for _, crt := range spec.Options["crt"] {
		path := withBase(spec.CrtBase, crt)
		files := []string{path}
		if st, err := os.Stat(path); err == nil && st.IsDir() {
			if files, err = CertDirFiles(path); err != nil {
				return nil, err
			}
		}
		for _, f := range files {
			cert, err := LoadCertFile(f)
			if err != nil {
				return nil, err
			}
			if err := add(cert, base, nil, len(b.entries) == 0); err != nil {
				return nil, fmt.Errorf("certificate '%s': %v", f, err)
			}
		}
	}
	for _, cl := range spec.Options["crt-list"] {
		path := withBase(spec.CrtBase, cl)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("unable to load crt-list '%s': %v", path, err)
		}
		lines, err := ParseCrtList(path, data)
		if err != nil {
			return nil, err
		}
		for _, ln := range lines {
			st := base
			if err := st.apply(ln.Options, &spec); err != nil {
				return nil, fmt.Errorf("crt-list '%s' line %d: %v", path, ln.Line, err)
			}
			cpath := withBase(spec.CrtBase, ln.Path)
			cert, err := LoadCertFile(cpath)
			if err != nil {
				return nil, fmt.Errorf("crt-list '%s' line %d: %v", path, ln.Line, err)
			}
			if err := add(cert, st, ln.Filters, len(b.entries) == 0); err != nil {
				return nil, fmt.Errorf("crt-list '%s' line %d: %v", path, ln.Line, err)
			}
		}
	}
	if len(b.entries) == 0 {
		return nil, errors.New("no SSL certificate loaded (use 'crt' or 'crt-list')")
	}
	b.base = b.entries[0].cfg.Clone()
	b.base.Certificates = nil
	b.base.GetConfigForClient = b.configFor
	return b, nil
}

// Config is the server configuration of the bind line: it chooses the
// certificate (and the crt-list line's settings) by the client's SNI.
func (b *Bind) Config() *tls.Config { return b.base }

// selectEntry returns the entry for a server name as haproxy chooses: an
// exact name, then a wildcard on the first label, then the default
// certificate (none with strict-sni). Among several certificates for the
// same name, an ECDSA one goes to a client that supports it, else the
// first the client supports (h may be nil: the first).
func (b *Bind) selectEntry(name string, h *tls.ClientHelloInfo) *entry {
	if name != "" {
		name = strings.ToLower(strings.TrimSuffix(name, "."))
		if e := pick(b.exact[name], name, h); e != nil {
			return e
		}
		if i := strings.IndexByte(name, '.'); i >= 0 {
			if e := pick(b.wild[name[i:]], name, h); e != nil {
				return e
			}
		}
	}
	if b.strict {
		return nil
	}
	return b.entries[0]
}

// SelectIndex returns which certificate (in load order, from 0) a
// server name gets, -1 for none: for tests.
func (b *Bind) SelectIndex(name string) int {
	e := b.selectEntry(name, nil)
	for i, x := range b.entries {
		if x == e {
			return i
		}
	}
	return -1
}

// pick chooses among the entries for name (in load order), leaving out
// those whose filters exclude it.
func pick(list []*entry, name string, h *tls.ClientHelloInfo) *entry {
	var first, supported *entry
	for _, e := range list {
		if e.neg[name] {
			continue
		}
		if first == nil {
			first = e
		}
		if h == nil || len(list) == 1 {
			return e
		}
		cert := &e.cfg.Certificates[0]
		if h.SupportsCertificate(cert) != nil {
			continue
		}
		if isECDSA(cert) {
			return e
		}
		if supported == nil {
			supported = e
		}
	}
	if supported != nil {
		return supported
	}
	return first
}

func isECDSA(c *tls.Certificate) bool {
	_, ok := c.PrivateKey.(*ecdsa.PrivateKey)
	return ok
}

var errStrictSNI = errors.New("no certificate for the SNI sent and strict-sni is set")

func (b *Bind) configFor(h *tls.ClientHelloInfo) (*tls.Config, error) {
	e := b.selectEntry(h.ServerName, h)
	if e == nil {
		return nil, errStrictSNI
	}
	if e.noALPN != nil && len(h.SupportedProtos) > 0 {
		// haproxy (OpenSSL) goes on without ALPN when no protocol is
		// shared; crypto/tls would abort the handshake
		for _, p := range e.cfg.NextProtos {
			for _, q := range h.SupportedProtos {
				if p == q {
					return e.cfg, nil
				}
			}
		}
		return e.noALPN, nil
	}
	return e.cfg, nil
}
