package tlsconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseCrtList(t *testing.T) {
	in := "# comment\n\n/a.pem\ncert2.pem [alpn h2,http/1.1 ssl-min-ver TLSv1.3]\r\ncertW.pem *.domain.tld !secure.domain.tld\n" +
		"  certS.pem [curves X25519:P-256 ciphers ECDHE-ECDSA-AES256-GCM-SHA384] secure.domain.tld # trailing\n" +
		"with\\ space.pem name\n"
	got, err := ParseCrtList("l", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []CrtListLine{
		{Line: 3, Path: "/a.pem", Options: map[string][]string{}},
		{Line: 4, Path: "cert2.pem", Options: map[string][]string{"alpn": {"h2,http/1.1"}, "ssl-min-ver": {"TLSv1.3"}}},
		{Line: 5, Path: "certW.pem", Options: map[string][]string{}, Filters: []string{"*.domain.tld", "!secure.domain.tld"}},
		{Line: 6, Path: "certS.pem", Options: map[string][]string{"curves": {"X25519:P-256"}, "ciphers": {"ECDHE-ECDSA-AES256-GCM-SHA384"}}, Filters: []string{"secure.domain.tld"}},
		{Line: 7, Path: "with space.pem", Options: map[string][]string{}, Filters: []string{"name"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
	for _, bad := range []string{"c.pem [alpn", "c.pem [bogus 1]", "c.pem [alpn]", "[alpn h2] c.pem", "c.pem name [alpn h2]", "c.pem !"} {
		if _, err := ParseCrtList("l", []byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		} else if !strings.Contains(err.Error(), "crt-list 'l' line 1") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func FuzzParseCrtList(f *testing.F) {
	f.Add([]byte("cert.pem [alpn h2 verify none] a.example *.b.example !c.b.example\n# x\n\nother.pem\n"))
	f.Add([]byte("a\\ b.pem [ ] \\[x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, err := ParseCrtList("fuzz", data)
		if err != nil {
			return
		}
		for _, l := range lines {
			if l.Path == "" && l.Line <= 0 {
				t.Fatalf("bad line %#v", l)
			}
			for k, v := range l.Options {
				if n, ok := crtListOptionArgs[k]; !ok || len(v) != n {
					t.Fatalf("option %q with %d arguments", k, len(v))
				}
			}
		}
	})
}

func TestParseCipherList(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384", []string{"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256"}},
		{"ECDHE+AESGCM:!aRSA", []string{"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256"}},
		// as "openssl ciphers -s -tls1_2" lists them (crypto/tls's subset)
		{"HIGH:!aNULL:!MD5:!SHA1:!SHA256:!SHA384:!kRSA", []string{"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305", "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"}},
		{"SHA256", []string{"ECDHE-ECDSA-AES128-SHA256", "ECDHE-RSA-AES128-SHA256", "AES128-SHA256"}},
		{"ECDHE-ECDSA-CHACHA20-POLY1305 unknown", []string{"ECDHE-ECDSA-CHACHA20-POLY1305"}},
	}
	for _, c := range cases {
		ids, err := ParseCipherList(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		var got []string
		for _, id := range ids {
			got = append(got, CipherName(id))
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.in, got, c.want)
		}
	}
	for _, bad := range []string{"", "!ALL", "DHE-RSA-AES128-SHA", "RC4:!RC4"} {
		if _, err := ParseCipherList(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func FuzzParseCipherList(f *testing.F) {
	f.Add("HIGH:!aNULL:+ECDHE:-RSA:@STRENGTH")
	f.Fuzz(func(t *testing.T, s string) {
		ids, err := ParseCipherList(s)
		if err == nil && len(ids) == 0 {
			t.Fatal("no error and no cipher")
		}
	})
}

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func writeCert(t *testing.T, path, cn string, dns []string, keyApart bool) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn}, DNSNames: dns,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalECPrivateKey(key)
	c := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	k := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})
	if keyApart {
		os.WriteFile(path+".key", k, 0o600)
	} else {
		c = append(c, k...)
	}
	if err := os.WriteFile(path, c, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestBindSelect(t *testing.T) {
	d := t.TempDir()
	writeCert(t, filepath.Join(d, "def.pem"), "def.test", nil, false)
	writeCert(t, filepath.Join(d, "a.pem"), "a.test", []string{"a.test", "alt.test"}, true)
	writeCert(t, filepath.Join(d, "w.pem"), "*.w.test", []string{"*.w.test"}, false)
	writeCert(t, filepath.Join(d, "l.pem"), "l.test", nil, false)
	os.WriteFile(filepath.Join(d, "list"), []byte("l.pem [alpn http/1.1] *.w.test x.l.test !n.w.test\n"), 0o600)
	b, err := NewBind(BindSpec{Options: map[string][]string{"crt": {"def.pem", "a.pem", "w.pem"}, "crt-list": {"list"}, "alpn": {"h2,http/1.1"}}, CrtBase: d, NoH2: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int{"": 0, "def.test": 0, "a.test": 1, "ALT.test.": 1, "x.w.test": 2, "n.w.test": 2, "x.l.test": 3, "w.test": 0, "other": 0} {
		if got := b.SelectIndex(name); got != want {
			t.Errorf("%q: certificate %d, want %d", name, got, want)
		}
	}
	if got := b.Config().NextProtos; !reflect.DeepEqual(got, []string{"http/1.1"}) {
		t.Errorf("alpn %v (h2 must be left out)", got)
	}
	// a client offering only unknown protocols still gets a handshake
	c, err := b.configFor(&tls.ClientHelloInfo{ServerName: "a.test", SupportedProtos: []string{"foo"}})
	if err != nil || c.NextProtos != nil {
		t.Errorf("no shared protocol: %v %v", c.NextProtos, err)
	}
	strict, err := NewBind(BindSpec{Options: map[string][]string{"crt": {d + "/a.pem"}, "strict-sni": nil}})
	if err != nil {
		t.Fatal(err)
	}
	if strict.SelectIndex("other") != -1 || strict.SelectIndex("a.test") != 0 {
		t.Error("strict-sni")
	}
	for _, bad := range []map[string][]string{
		{"crt": {d + "/missing.pem"}},
		{"crt": {d + "/a.pem"}, "ssl-min-ver": {"TLSv1.3"}, "ssl-max-ver": {"TLSv1.2"}},
		{"crt": {d + "/a.pem"}, "verify": {"required"}},
		{"crt": {d + "/a.pem"}, "ciphers": {"NOPE"}},
	} {
		if _, err := NewBind(BindSpec{Options: bad}); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestVersions(t *testing.T) {
	st := settings{minVer: tls.VersionTLS12, maxVer: tls.VersionTLS13}
	st.apply(map[string][]string{"no-tlsv13": nil}, &BindSpec{})
	if st.minVer != tls.VersionTLS12 || st.maxVer != tls.VersionTLS12 {
		t.Errorf("no-tlsv13: %x-%x", st.minVer, st.maxVer)
	}
	st = settings{minVer: tls.VersionTLS12, maxVer: tls.VersionTLS13}
	st.apply(defaultsOptions([]string{"ssl-min-ver", "TLSv1.0", "no-tlsv10", "no-tls-tickets"}), &BindSpec{})
	if st.minVer != tls.VersionTLS10 || !st.noTickets {
		t.Errorf("defaults: %x %v", st.minVer, st.noTickets)
	}
	st = settings{minVer: tls.VersionTLS12, maxVer: tls.VersionTLS13}
	st.apply(map[string][]string{"force-tlsv12": nil}, &BindSpec{})
	if st.minVer != tls.VersionTLS12 || st.maxVer != tls.VersionTLS12 {
		t.Errorf("force-tlsv12: %x-%x", st.minVer, st.maxVer)
	}
}

func writeRSACert(t *testing.T, path, cn string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	c = append(c, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})...)
	if err := os.WriteFile(path, c, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestKeyTypeChoice: of an RSA and an ECDSA certificate for one name, a
// client that can use ECDSA gets it, one that cannot gets the RSA one.
func TestKeyTypeChoice(t *testing.T) {
	d := t.TempDir()
	writeCert(t, filepath.Join(d, "def.pem"), "def.test", nil, false)
	writeRSACert(t, filepath.Join(d, "rsa.pem"), "dual.test")
	writeCert(t, filepath.Join(d, "ec.pem"), "dual.test", []string{"dual.test"}, false)
	b, err := NewBind(BindSpec{Options: map[string][]string{"crt": {"def.pem", "rsa.pem", "ec.pem"}, "ssl-min-ver": {"TLSv1.2"}}, CrtBase: d})
	if err != nil {
		t.Fatal(err)
	}
	served := func(suites []uint16) string {
		cs, ss := net.Pipe()
		defer cs.Close()
		defer ss.Close()
		go tls.Server(ss, b.Config()).Handshake()
		c := tls.Client(cs, &tls.Config{ServerName: "dual.test", InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12, CipherSuites: suites})
		cs.SetDeadline(time.Now().Add(10 * time.Second))
		if err := c.Handshake(); err != nil {
			return err.Error()
		}
		return c.ConnectionState().PeerCertificates[0].PublicKeyAlgorithm.String()
	}
	if got := served(nil); got != "ECDSA" {
		t.Errorf("a client supporting ECDSA got %s", got)
	}
	if got := served([]uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}); got != "RSA" {
		t.Errorf("an RSA-only client got %s", got)
	}
}
