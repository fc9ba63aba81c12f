package proxyproto

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

type testCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	der  []byte
}

func newCert(t *testing.T, cn string, serial int64, parent *testCert, isCA bool) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  isCA,
		DNSNames:              []string{cn},
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{cert: c, key: key, der: der}
}

func (c *testCert) pem(t *testing.T) []byte {
	kd, err := x509.MarshalECPrivateKey(c.key)
	if err != nil {
		t.Fatal(err)
	}
	return append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})...)
}

// TestOracleSendSSL checks the SSL, ALPN and AUTHORITY TLVs haproxy sends
// for a TLS client with a certificate (send-proxy-v2-ssl-cn and the other
// SSL options) against AppendV2.
func TestOracleSendSSL(t *testing.T) {
	dir := t.TempDir()
	ca := newCert(t, "gohaproxy test CA", 1, nil, true)
	srv := newCert(t, "server.test", 2, ca, false)
	cli := newCert(t, "client-cn.test", 3, ca, false)
	srvPEM := filepath.Join(dir, "server.pem")
	caPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(srvPEM, srv.pem(t), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.der}), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	front := fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp", "127.0.0.1"))
	cfg := fmt.Sprintf(`global
  maxconn 100
defaults
  mode tcp
  timeout connect 5s
  timeout client 10s
  timeout server 10s
listen tls
  bind %s ssl crt %s ca-file %s verify optional alpn h2,http/1.1
  server s %s send-proxy-v2-ssl-cn proxy-v2-options ssl-cipher,cert-sig,cert-key,authority,crc32c
`, front, srvPEM, caPEM, ln.Addr())
	startHAProxy(t, cfg, front)

	tests := []struct {
		name    string
		version uint16
		suites  []uint16
		cipher  string
	}{
		{"tls12", tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, "ECDHE-ECDSA-AES128-GCM-SHA256"},
		{"tls13", tls.VersionTLS13, nil, "TLS_AES_128_GCM_SHA256"},
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conf := &tls.Config{
				ServerName:   "server.test",
				RootCAs:      pool,
				NextProtos:   []string{"h2"},
				MinVersion:   tc.version,
				MaxVersion:   tc.version,
				CipherSuites: tc.suites,
				Certificates: []tls.Certificate{{Certificate: [][]byte{cli.der}, PrivateKey: cli.key}},
			}
			if tc.version == tls.VersionTLS13 {
				// Go picks AES-128-GCM first when AES hardware exists;
				// the expected name follows what was negotiated.
				conf.CipherSuites = nil
			}
			d := &net.Dialer{Timeout: ioTimeout}
			client, err := tls.DialWithDialer(d, "tcp", front, conf)
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			if _, err := client.Write([]byte("hello")); err != nil {
				t.Fatal(err)
			}
			st := client.ConnectionState()
			cipher := tc.cipher
			if tc.version == tls.VersionTLS13 {
				cipher = tls.CipherSuiteName(st.CipherSuite)
			}
			src, dst := addrPort(client.LocalAddr()), addrPort(client.RemoteAddr())
			var raw []byte
			var h Header
			for {
				_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(ioTimeout))
				sc, err := ln.Accept()
				if err != nil {
					t.Fatal(err)
				}
				defer sc.Close()
				h, raw, _, err = readHeader(sc)
				if err == nil && h.Src.Port() == src.Port() {
					break
				}
			}
			vers := map[uint16]string{tls.VersionTLS12: "TLSv1.2", tls.VersionTLS13: "TLSv1.3"}[tc.version]
			want := AppendV2(nil, &Conn{Src: src, Dst: dst, ALPN: []byte(st.NegotiatedProtocol), Authority: []byte("server.test"),
				TLS: &TLSInfo{Version: vers, CertSess: true, CertConn: true, Verify: 0, CN: "client-cn.test",
					KeyAlg: "EC256", SigAlg: "ecdsa-with-SHA256", Cipher: cipher}},
				V2Options{SSL: true, SSLCN: true, SSLCipher: true, SSLSigAlg: true, SSLKeyAlg: true, Authority: true, CRC32C: true})
			ssl, _, serr := h.SSL()
			if !bytes.Equal(raw, want) {
				t.Fatalf("haproxy sent\n%q\nAppend built\n%q\n(decoded SSL %+v %v: version %q cn %q cipher %q sig %q key %q)", raw, want,
					ssl, serr, ssl.Version, ssl.CN, ssl.Cipher, ssl.SigAlg, ssl.KeyAlg)
			}
			if _, _, err := DecodeStrict(raw); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d bytes identical", len(raw))
		})
	}
}
