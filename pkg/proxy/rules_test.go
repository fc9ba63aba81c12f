package proxy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

func load(t *testing.T, text string) *haproxycfg.Config { return loadTB(t, text) }

func loadTB(t testing.TB, text string) *haproxycfg.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "h.cfg")
	os.WriteFile(path, []byte(text), 0o644)
	cfg, _, err := haproxycfg.Load([]string{path}, haproxycfg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestRulesRefused: what the run time cannot serve is refused at start
// with the line at fault; what it can serve loads.
func TestRulesRefused(t *testing.T) {
	head := "defaults\n  mode tcp\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nbackend b1\n  server s1 127.0.0.1:1\nfrontend fe\n  bind 127.0.0.1:8443\n  default_backend b1\n"
	for _, tc := range []struct {
		line string
		want string // "" when served
	}{
		{"tcp-request connection reject if { src 10.0.0.0/8 }", ""},
		{"tcp-request content reject unless { req.ssl_sni -m end .example.com }", ""},
		{"use_backend b1 if { dst_port 443 } || !{ src_port 1:1024 }", ""},
		{"tcp-request connection reject if LOCALHOST", ""},
		{"tcp-request content reject if { req.payload(0,2) -m bin 1603 }", ""},
		{"tcp-request connection track-sc0 src", ":11] : 'tcp-request connection track-sc0'"},
		{"tcp-request content reject if { req.rdp_cookie_cnt gt 0 }", ""},
		{"tcp-request content reject if { req.ssl_alpn -m str h2 }", ":11] : fetch 'req.ssl_alpn' in a condition"},
		{"use_backend b1 if { src,sha1 -m str x }", ":11] : converter 'sha1' in a condition"},
		{"tcp-request session reject", ":11] : 'tcp-request session' rules"},
	} {
		t.Run(tc.line, func(t *testing.T) {
			cfg := load(t, head+"  "+tc.line+"\n")
			_, err := New(cfg, Options{})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}
