package healthcheck

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// TestCommentsAttachAsHaproxy checks which rule takes which comment: the
// rule's own "comment" option, else the "comment" step before it with
// only expect steps in between.
func TestCommentsAttachAsHaproxy(t *testing.T) {
	sp, err := build(t, `  option tcp-check
  tcp-check comment c1
  tcp-check connect port 81
  tcp-check send x
  tcp-check expect string a
  tcp-check comment c2
  tcp-check expect string b
  tcp-check expect string c
  tcp-check expect string d comment own
  server s 10.0.0.1 check
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"c1", "", "", "c2", "c2", "own"}
	if len(sp.Probe.Rules) != len(want) {
		t.Fatalf("%d rules, want %d", len(sp.Probe.Rules), len(want))
	}
	for i, r := range sp.Probe.Rules {
		if r.comment != want[i] {
			t.Errorf("rule %d: comment %q, want %q", i, r.comment, want[i])
		}
	}
	if sp.Addr != "10.0.0.1:0" {
		t.Errorf("addr %q", sp.Addr)
	}

	sp, err = build(t, `  option httpchk
  http-check comment hc1
  http-check connect port 8080 ssl sni example.org
  http-check send meth GET uri /x
  http-check comment hc2
  http-check expect status 200
  http-check expect string ok
  server s 10.0.0.1:80 check verify none
`)
	if err != nil {
		t.Fatal(err)
	}
	rs := sp.Probe.Rules
	if len(rs) != 4 || rs[0].act != actConnect || rs[0].port != 8080 || !rs[0].ssl || rs[0].sni != "example.org" ||
		rs[0].comment != "hc1" || rs[1].act != actHTTPSend || rs[2].comment != "hc2" || rs[3].comment != "hc2" {
		t.Errorf("http rules %+v", rs)
	}
	if _, err := build(t, "  option httpchk\n  http-check send uri /\n  http-check connect\n  server s 10.0.0.1:80 check\n"); err == nil {
		t.Error("a connect after a send was accepted")
	}
}

// FuzzBuild feeds arbitrary check lines to Build: it may refuse them, but
// never panic.
func FuzzBuild(f *testing.F) {
	f.Add("  option tcp-check\n  tcp-check comment c\n  tcp-check send x comment y\n  tcp-check expect string a comment b\n")
	f.Add("  option httpchk\n  http-check comment c\n  http-check connect port 81 ssl sni a\n  http-check send meth GET comment z\n  http-check expect ! status 200 comment q\n")
	f.Add("  option httpchk\n  http-check expect min-recv 3 comment c ok-status L4OK error-status l7sts tout-status L6TOUT on-success a on-error b ! rstring x\n")
	f.Add("  option httpchk\n  http-check expect fhdr name -m beg a value -m sub b\n  http-check expect ! hdr name c value\n  http-check expect hdr name -m\n")
	f.Add("  option tcp-check\n  tcp-check expect string\n  tcp-check connect port\n  tcp-check comment\n")
	f.Fuzz(func(t *testing.T, lines string) {
		p := filepath.Join(t.TempDir(), "h.cfg")
		text := "global\n  external-check\ndefaults\n  mode tcp\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\nbackend be\n" + lines + "\n  server s 10.0.0.1:80 check verify none\n"
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, diags, err := haproxycfg.Load([]string{p}, haproxycfg.Options{})
		if err != nil || diags.HasAlerts() {
			return
		}
		px := cfg.Proxy("be")
		if px == nil || len(px.Servers) == 0 {
			return
		}
		Build(cfg.Global, px, px.Servers[len(px.Servers)-1])
	})
}
