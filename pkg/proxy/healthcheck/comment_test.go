package healthcheck

import "testing"

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
