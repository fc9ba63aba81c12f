package tlsconf

import (
	"crypto/tls"
	"fmt"
	"strings"
)

// suiteInfo describes a cipher suite crypto/tls implements, under its
// OpenSSL name (the name haproxy's "ciphers", %sslc and ssl_fc_cipher use).
type suiteInfo struct {
	id   uint16
	name string
	kx   string // ECDHE, RSA
	au   string // RSA, ECDSA
	enc  string // AESGCM128, AESGCM256, AES128, AES256, CHACHA20, 3DES, RC4
	mac  string // AEAD, SHA1, SHA256, SHA384
	high bool
}

var suites12 = []suiteInfo{
	{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE", "ECDSA", "AESGCM256", "AEAD", true},
	{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE", "RSA", "AESGCM256", "AEAD", true},
	{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE", "ECDSA", "CHACHA20", "AEAD", true},
	{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-RSA-CHACHA20-POLY1305", "ECDHE", "RSA", "CHACHA20", "AEAD", true},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE", "ECDSA", "AESGCM128", "AEAD", true},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE", "RSA", "AESGCM128", "AEAD", true},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, "ECDHE-ECDSA-AES128-SHA256", "ECDHE", "ECDSA", "AES128", "SHA256", true},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, "ECDHE-RSA-AES128-SHA256", "ECDHE", "RSA", "AES128", "SHA256", true},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, "ECDHE-ECDSA-AES256-SHA", "ECDHE", "ECDSA", "AES256", "SHA1", true},
	{tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "ECDHE-RSA-AES256-SHA", "ECDHE", "RSA", "AES256", "SHA1", true},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "ECDHE-ECDSA-AES128-SHA", "ECDHE", "ECDSA", "AES128", "SHA1", true},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "ECDHE-RSA-AES128-SHA", "ECDHE", "RSA", "AES128", "SHA1", true},
	{tls.TLS_RSA_WITH_AES_256_GCM_SHA384, "AES256-GCM-SHA384", "RSA", "RSA", "AESGCM256", "AEAD", true},
	{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, "AES128-GCM-SHA256", "RSA", "RSA", "AESGCM128", "AEAD", true},
	{tls.TLS_RSA_WITH_AES_128_CBC_SHA256, "AES128-SHA256", "RSA", "RSA", "AES128", "SHA256", true},
	{tls.TLS_RSA_WITH_AES_256_CBC_SHA, "AES256-SHA", "RSA", "RSA", "AES256", "SHA1", true},
	{tls.TLS_RSA_WITH_AES_128_CBC_SHA, "AES128-SHA", "RSA", "RSA", "AES128", "SHA1", true},
	{tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, "ECDHE-RSA-DES-CBC3-SHA", "ECDHE", "RSA", "3DES", "SHA1", false},
	{tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, "DES-CBC3-SHA", "RSA", "RSA", "3DES", "SHA1", false},
	{tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA, "ECDHE-ECDSA-RC4-SHA", "ECDHE", "ECDSA", "RC4", "SHA1", false},
	{tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA, "ECDHE-RSA-RC4-SHA", "ECDHE", "RSA", "RC4", "SHA1", false},
	{tls.TLS_RSA_WITH_RC4_128_SHA, "RC4-SHA", "RSA", "RSA", "RC4", "SHA1", false},
}

var suites13 = map[uint16]string{
	tls.TLS_AES_128_GCM_SHA256:       "TLS_AES_128_GCM_SHA256",
	tls.TLS_AES_256_GCM_SHA384:       "TLS_AES_256_GCM_SHA384",
	tls.TLS_CHACHA20_POLY1305_SHA256: "TLS_CHACHA20_POLY1305_SHA256",
}

// CipherName is the OpenSSL name of a negotiated cipher suite, as
// haproxy's %sslc and ssl_fc_cipher print it.
func CipherName(id uint16) string {
	if n, ok := suites13[id]; ok {
		return n
	}
	for _, s := range suites12 {
		if s.id == id {
			return s.name
		}
	}
	return tls.CipherSuiteName(id)
}

// VersionName is haproxy's name of a protocol version (%sslv,
// ssl_fc_protocol).
func VersionName(v uint16) string {
	switch v {
	case tls.VersionSSL30:
		return "SSLv3"
	case tls.VersionTLS10:
		return "TLSv1"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return ""
}

// keyword matches the OpenSSL cipher string keywords crypto/tls's suites
// can fall under; unknown keywords match nothing (as OpenSSL, which
// ignores them unless the whole list ends up empty).
func (s suiteInfo) keyword(k string) bool {
	switch k {
	case "ALL", "DEFAULT", "COMPLEMENTOFDEFAULT":
		return k != "COMPLEMENTOFDEFAULT"
	case "HIGH":
		return s.high
	case "MEDIUM":
		return false
	case "ECDHE", "EECDH", "kECDHE", "kEECDH":
		return s.kx == "ECDHE"
	case "kRSA":
		return s.kx == "RSA"
	case "aRSA":
		return s.au == "RSA"
	case "RSA":
		return s.kx == "RSA" || s.au == "RSA"
	case "aECDSA", "ECDSA":
		return s.au == "ECDSA"
	case "AES":
		return strings.HasPrefix(s.enc, "AES")
	case "AES128":
		return s.enc == "AES128" || s.enc == "AESGCM128"
	case "AES256":
		return s.enc == "AES256" || s.enc == "AESGCM256"
	case "AESGCM":
		return strings.HasPrefix(s.enc, "AESGCM")
	case "CHACHA20":
		return s.enc == "CHACHA20"
	case "3DES":
		return s.enc == "3DES"
	case "RC4":
		return s.enc == "RC4"
	case "SHA1", "SHA":
		return s.mac == "SHA1"
	case "SHA256":
		return s.mac == "SHA256" // the MAC, not the PRF: no AEAD suite
	case "SHA384":
		return s.mac == "SHA384"
	case "TLSv1.2":
		return s.mac == "AEAD" || s.mac == "SHA256"
	case "TLSv1", "SSLv3", "TLSv1.0":
		return s.mac == "SHA1"
	case "AEAD":
		return s.mac == "AEAD"
	}
	return s.name == k
}

func (s suiteInfo) matches(tok string) bool {
	for _, part := range strings.Split(tok, "+") {
		if !s.keyword(part) {
			return false
		}
	}
	return true
}

// ParseCipherList evaluates an OpenSSL cipher string (haproxy's
// "ciphers", "ssl-default-bind-ciphers") over the TLS 1.2 suites
// crypto/tls implements. The order is not kept (crypto/tls orders suites
// itself). It fails when no suite crypto/tls implements is left.
func ParseCipherList(list string) ([]uint16, error) {
	on := make([]bool, len(suites12))
	dead := make([]bool, len(suites12))
	for _, tok := range strings.FieldsFunc(list, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		op := byte(0)
		if tok[0] == '!' || tok[0] == '-' || tok[0] == '+' {
			op, tok = tok[0], tok[1:]
		}
		if tok == "" || strings.HasPrefix(tok, "@") {
			continue // @STRENGTH, @SECLEVEL=n: ordering and levels
		}
		for i, s := range suites12 {
			if !s.matches(tok) {
				continue
			}
			switch op {
			case '!':
				dead[i], on[i] = true, false
			case '-':
				on[i] = false
			case '+':
			default:
				if !dead[i] {
					on[i] = true
				}
			}
		}
	}
	var ids []uint16
	for i, s := range suites12 {
		if on[i] {
			ids = append(ids, s.id)
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("the cipher list '%s' leaves no cipher gohaproxy implements (use names such as ECDHE-RSA-AES128-GCM-SHA256, ECDHE-ECDSA-AES256-GCM-SHA384 or keywords such as HIGH, ECDHE+AESGCM)", list)
	}
	return ids, nil
}

// CheckSuites13 validates a TLS 1.3 ciphersuites list ("ciphersuites").
// crypto/tls always offers its three TLS 1.3 suites; a list naming none
// of them is refused.
func CheckSuites13(list string) error {
	for _, n := range strings.Split(list, ":") {
		for _, name := range suites13 {
			if n == name {
				return nil
			}
		}
	}
	return fmt.Errorf("the TLS 1.3 ciphersuites '%s' name none of TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256", list)
}

// ParseVersion reads an ssl-min-ver/ssl-max-ver value.
func ParseVersion(v string) (uint16, error) {
	switch v {
	case "SSLv3":
		return tls.VersionSSL30, nil
	case "TLSv1.0":
		return tls.VersionTLS10, nil
	case "TLSv1.1":
		return tls.VersionTLS11, nil
	case "TLSv1.2":
		return tls.VersionTLS12, nil
	case "TLSv1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("'%s' is not a TLS version (use SSLv3, TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3)", v)
}

// ParseCurves reads a "curves"/"ecdhe" list (OpenSSL names).
func ParseCurves(list string) ([]tls.CurveID, error) {
	var out []tls.CurveID
	for _, n := range strings.Split(list, ":") {
		switch n {
		case "P-256", "prime256v1", "secp256r1":
			out = append(out, tls.CurveP256)
		case "P-384", "secp384r1":
			out = append(out, tls.CurveP384)
		case "P-521", "secp521r1":
			out = append(out, tls.CurveP521)
		case "X25519", "x25519":
			out = append(out, tls.X25519)
		default:
			return nil, fmt.Errorf("curve '%s' is not one gohaproxy implements (use P-256, P-384, P-521 or X25519)", n)
		}
	}
	return out, nil
}
