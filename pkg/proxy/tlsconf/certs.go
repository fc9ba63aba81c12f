package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// LoadCertFile loads a certificate as haproxy loads a "crt" file: a PEM
// file holding the certificate, its chain and usually the private key; a
// key missing from the file is read from "<file>.key".
func LoadCertFile(path string) (*tls.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("unable to load SSL certificate file '%s': %v", path, err)
	}
	var certPEM, keyPEM []byte
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case b.Type == "CERTIFICATE" || b.Type == "TRUSTED CERTIFICATE":
			b.Type = "CERTIFICATE"
			certPEM = append(certPEM, pem.EncodeToMemory(b)...)
		case strings.HasSuffix(b.Type, "PRIVATE KEY"):
			if keyPEM == nil {
				keyPEM = pem.EncodeToMemory(b)
			}
		}
	}
	if certPEM == nil {
		return nil, fmt.Errorf("unable to load SSL certificate from PEM file '%s' (the file holds no CERTIFICATE block)", path)
	}
	if keyPEM == nil {
		kp := path + ".key"
		kd, err := os.ReadFile(kp)
		if err != nil {
			return nil, fmt.Errorf("unable to load SSL private key from PEM file '%s' (put the key in the file or in '%s')", path, kp)
		}
		keyPEM = kd
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("unable to load SSL certificate from PEM file '%s': %v", path, err)
	}
	return &cert, nil
}

// skippedExt are the companion files haproxy does not load as
// certificates when it reads a directory.
var skippedExt = []string{".key", ".ocsp", ".issuer", ".sctl"}

// CertDirFiles lists the certificate files of a "crt DIR" in the order
// haproxy loads them (alphabetical), leaving out companions (.key, .ocsp,
// .issuer, .sctl), hidden files and subdirectories.
func CertDirFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("unable to scan directory '%s' : %v", dir, err)
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, ".") || e.IsDir() {
			continue
		}
		skip := false
		for _, ext := range skippedExt {
			if strings.HasSuffix(n, ext) {
				skip = true
			}
		}
		if !skip {
			out = append(out, filepath.Join(dir, n))
		}
	}
	sort.Strings(out)
	return out, nil
}

// LoadCAFile reads a PEM file of CA certificates ("ca-file").
func LoadCAFile(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("unable to load CA file '%s': %v", path, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("unable to load CA file '%s' (no PEM certificate in it)", path)
	}
	return pool, nil
}

// certNames are the names a certificate answers for without SNI
// filters: its subject CN and its DNS subject alternative names, lower
// case.
func certNames(c *tls.Certificate) []string {
	leaf := c.Leaf
	if leaf == nil && len(c.Certificate) > 0 {
		l, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			return nil
		}
		leaf = l
		c.Leaf = l
	}
	if leaf == nil {
		return nil
	}
	var names []string
	for _, n := range leaf.DNSNames {
		names = append(names, strings.ToLower(n))
	}
	if cn := leaf.Subject.CommonName; cn != "" {
		names = append(names, strings.ToLower(cn))
	}
	return names
}

// shortNames are OpenSSL's short names of the DN attributes, as haproxy
// prints DNs (ssl_c_s_dn).
var shortNames = map[string]string{
	"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
	"2.5.4.5": "serialNumber", "2.5.4.9": "street", "2.5.4.17": "postalCode", "2.5.4.4": "SN",
	"2.5.4.42": "GN", "2.5.4.12": "title", "2.5.4.46": "dnQualifier", "2.5.4.65": "pseudonym",
	"1.2.840.113549.1.9.1": "emailAddress", "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
}

// DNPairs lists a certificate subject's attributes in order under
// OpenSSL's short names, as haproxy's ssl_c_s_dn prints them
// ("/C=FR/O=Example/CN=name").
func DNPairs(c *x509.Certificate) [][2]string {
	var out [][2]string
	for _, rdn := range c.Subject.Names {
		n := shortNames[rdn.Type.String()]
		if n == "" {
			n = rdn.Type.String()
		}
		out = append(out, [2]string{n, fmt.Sprint(rdn.Value)})
	}
	return out
}
