package proxy

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
)

// TestChecksRefusedOrServed: check settings gohaproxy runs load; the
// others are refused with their line.
func TestChecksRefusedOrServed(t *testing.T) {
	head := "defaults\n  mode tcp\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nfrontend fe\n  bind 127.0.0.1:8443\n  default_backend b1\nbackend b1\n"
	for _, tc := range []struct {
		body string
		want string // "" when served
	}{
		{"  server s1 127.0.0.1:1 check\n", ""},
		{"  option httpchk GET /\n  http-check expect status 200-299\n  server s1 127.0.0.1:1 check inter 1s\n", ""},
		{"  option tcp-check\n  tcp-check connect port 2\n  tcp-check send-binary 00\n  server s1 127.0.0.1:1 check\n", ""},
		{"  option redis-check\n  server s1 127.0.0.1:1 check agent-check agent-port 2\n", ""},
		{"  option log-health-checks\n  server s1 127.0.0.1:1 check\n", ""},
		{"  server s1 127.0.0.1:1 check on-marked-down shutdown-sessions\n", ":10] : server option 'on-marked-down'"},
		{"  server s1 127.0.0.1:1 track b1/s2\n  server s2 127.0.0.1:2 check\n", ":10] : server option 'track'"},
		{"  option httpchk\n  http-check disable-on-404\n  server s1 127.0.0.1:1 check\n", ""},
		{"  email-alert mailers nope\n  server s1 127.0.0.1:1 check\n", ""}, // -c refuses it first
		{"  email-alert from a@b\n  server s1 127.0.0.1:1 check\n", ":10] : 'email-alert' without all of"},
	} {
		t.Run(strings.TrimSpace(tc.body), func(t *testing.T) {
			cfg := load(t, head+tc.body)
			_, err := New(cfg, Options{})
			if tc.want == "" {
				if err != nil && !strings.Contains(tc.body, "mailers nope") {
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

// TestServerStateDrivesBalancerAndFetches marks servers down and up
// without probes and checks the balancer, nbsrv, srv_is_up and the
// messages.
func TestServerStateDrivesBalancerAndFetches(t *testing.T) {
	cfg := load(t, "defaults\n  mode tcp\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"+
		"listen web\n  bind 127.0.0.1:8443\n  server s1 127.0.0.1:1 check\n  server s2 127.0.0.1:2 check\n  server b1 127.0.0.1:3 check backup\n")
	var out bytes.Buffer
	rt, err := New(cfg, Options{Logger: NewLogger(&out, 42)})
	if err != nil {
		t.Fatal(err)
	}
	be := rt.backends["web"]
	px := rtProxies{rt}
	srv := func(name string) *server {
		for _, s := range be.servers {
			if s.name == name {
				return s
			}
		}
		t.Fatalf("no server %s", name)
		return nil
	}
	picks := func() map[string]int {
		got := map[string]int{}
		for i := 0; i < 8; i++ {
			if c := be.pick(netip.AddrPort{}); c.err == nil && c.srv != nil {
				got[c.srv.name]++
				be.release(c.srv)
			} else {
				got["none"]++
			}
		}
		return got
	}
	fail := checks.Result{Status: checks.StatusL4CON, Info: "Connection refused"}
	rt.setServerState(be, srv("s1"), false, fail)
	if got := picks(); got["s1"] > 0 || got["s2"] != 8 {
		t.Errorf("s1 down: picks %v", got)
	}
	if px.NbSrv("web") != 1 || px.SrvIsUp("web", "s1") || !px.SrvIsUp("web", "s2") {
		t.Errorf("fetches: nbsrv %d", px.NbSrv("web"))
	}
	rt.setServerState(be, srv("s2"), false, fail)
	if got := picks(); got["b1"] != 8 {
		t.Errorf("actives down: picks %v", got)
	}
	if px.NbSrv("web") != 1 {
		t.Errorf("nbsrv with the backup only: %d", px.NbSrv("web"))
	}
	rt.setServerState(be, srv("b1"), false, fail)
	if got := picks(); got["none"] != 8 {
		t.Errorf("all down: picks %v", got)
	}
	rt.setServerState(be, srv("s1"), true, checks.Result{Status: checks.StatusL4OK})
	if got := picks(); got["s1"] != 8 {
		t.Errorf("s1 up again: picks %v", got)
	}
	want := `[WARNING]  (42) : Server web/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 1 active and 1 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.
[WARNING]  (42) : Server web/s2 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue.
[WARNING]  (42) : Backup Server web/b1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.
[ALERT]    (42) : proxy 'web' has no server available!
[WARNING]  (42) : Server web/s1 is UP, reason: Layer4 check passed, check duration: 0ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.
`
	if out.String() != want {
		t.Errorf("messages:\n%s\nwant:\n%s", out.String(), want)
	}
}
