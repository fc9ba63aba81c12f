package keepalivedconf

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func repoRoot() string {
	_, f, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(f), "..", "..")
}

// TestCompatDocFresh fails when docs/keepalived-compat.md is not what the
// registry generates (regenerate with
// go run ./cmd/gokeepalived --compat-doc > docs/keepalived-compat.md).
func TestCompatDocFresh(t *testing.T) {
	got, err := os.ReadFile(filepath.Join(repoRoot(), "docs", "keepalived-compat.md"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != CompatDoc() {
		t.Fatal("docs/keepalived-compat.md is stale: go run ./cmd/gokeepalived --compat-doc > docs/keepalived-compat.md")
	}
}

type okHost struct{}

func (okHost) InterfaceExists(string) bool { return true }
func (okHost) ResolveHost(string) bool     { return true }
func (okHost) Script(string) (bool, bool)  { return true, true }
func (okHost) UserExists(string) bool      { return true }

func TestParseTable(t *testing.T) {
	vi := "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n 10.0.0.1/24 brd 10.0.0.255 dev eth0 scope global label eth0:1\n }\n}\n"
	cases := []struct {
		name, text string
		exit       int
		want       string
	}{
		{"valid", vi, 0, ""},
		{"unknown", "foo 1\n" + vi, 5, "Unknown keyword 'foo'"},
		{"range", strings.Replace(vi, "id 5", "id 300", 1), 5, "outside range [1, 255]"},
		{"garp", "global_defs {\n vrrp_garp_interval 0\n}\n" + vi, 5, "vrrp_garp_interval '0' is invalid"},
		{"params", "$ID=5\n" + strings.Replace(vi, "id 5", "id $ID", 1), 0, ""},
		{"seq", "vrrp_instance V {\n interface eth0\n virtual_router_id 9\n virtual_ipaddress {\n ~SEQ(X, 1, 3) 10.0.0.${X}\n }\n}\n", 0, ""},
		{"braces", "vrrp_instance V { interface eth0\n virtual_router_id 9\n virtual_ipaddress { 10.0.0.1 } advert_int 2\n}\n", 0, ""},
		{"missing brace", "vrrp_instance V {\n", 5, "missing '}'"},
		{"deprecated", "virtual_server 1.1.1.1 80 {\n protocol TCP\n real_server 1.1.1.2 80 {\n HTTP_GET {\n nb_get_retry 3\n }\n }\n}\n", 5, "please use 'retry'"},
		{"security", "vrrp_script s {\n script /bin/true\n}\n" + vi, 6, "SECURITY VIOLATION"},
		{"route dev", ins(vi, "virtual_routes {\n 10.1.0.0/24 via 10.0.0.1 dev eth0\n}\n"), 0, ""},
		{"route no dev", ins(vi, "virtual_routes {\n 10.1.0.0/24 via 10.0.0.1\n}\n"), 5, "cannot track route 10.1.0.0/24"},
		{"route no_track", ins(vi, "virtual_routes {\n 10.1.0.0/24 via 10.0.0.1 no_track\n}\n"), 0, ""},
		{"route gw", ins(vi, "virtual_routes {\n 10.1.0.0/24 gw 10.0.0.1 dev eth0\n}\n"), 5, `"gw" for routes is deprecated`},
		{"route keyword", ins(vi, "virtual_routes {\n 10.1.0.0/24 dev eth0 proto static\n}\n"), 5, "unknown route keyword proto"},
		{"static route", "static_routes {\n 10.1.0.0/24 via 10.0.0.1\n}\n" + vi, 5, "cannot track route"},
		{"rule pref", ins(vi, "virtual_rules {\n from 10.0.0.0/24 table 2 preference 100\n}\n"), 0, ""},
		{"rule no pref", ins(vi, "virtual_rules {\n from 10.0.0.0/24 table 2\n}\n"), 5, "setting to 16384"},
		{"rule bad ip", ins(vi, "virtual_rules {\n to 10.0.0./24 table 2 preference 1\n}\n"), 5, "Invalid rule to address"},
		{"rule option", ins(vi, "virtual_rules {\n from 10.0.0.0/24 pref 3\n}\n"), 5, "Unknown rule option pref"},
		{"vip entry", ins(vi, "virtual_ipaddress {\n 10.0.0.5 foo\n}\n"), 5, "Unknown configuration entry 'foo'"},
		{"vip peer prefix", ins(vi, "virtual_ipaddress {\n 10.0.0.5/24 peer 10.0.0.6\n}\n"), 5, "Cannot specify address prefix"},
		{"static addr", "static_ipaddress {\n 10.0.0.5/24 dev eth0 scope link\n}\n" + vi, 0, ""},
		{"no script", "vrrp_script s {\n interval 2\n}\n" + vi, 5, "No script set for vrrp_script s"},
		{"ah master", ins(vi, "state MASTER\nauthentication {\n auth_type AH\n auth_pass 1\n}\n"), 5, "incompatible with AH"},
		{"redirect script", "vrrp_script s {\n script \"</dev/tcp/127.0.0.1/80\"\n}\n" + ins(vi, "track_script {\n s\n}\n"), 0, ""},
		{"unmatched quote", "global_defs {\n router_id \"abc\n}\n" + vi, 5, "Unmatched quote"},
		{"missing fatal", ins(vi, "priority\n"), 2, "missing a parameter after keyword `priority`"},
		{"missing fatal notify", ins(vi, "notify_master\n"), 2, "missing a parameter"},
		{"missing error", "global_defs {\n router_id\n}\n" + vi, 5, "(Line 2) routerid name missing - ignoring"},
		{"missing email from", "global_defs {\n notification_email_from\n}\n" + vi, 5, "(Line 2) emailfrom missing - ignoring"},
		{"missing ok", "global_defs {\n max_auto_priority\n}\n" + vi, 0, ""},
		{"brace after plain keyword", "global_defs {\n router_id x { foo }\n}\n" + vi, 5, "Unexpected '{' - ignoring"},
		{"brace keyword inside", ins(vi, "advert_int 1 { priority }\n"), 2, "missing a parameter after keyword `priority`"},
		{"wrong block global", "global_defs {\n priority 100\n}\n" + vi, 5, "Unknown keyword 'priority'"},
		{"wrong block instance", ins(vi, "router_id x\n"), 5, "Unknown keyword 'router_id'"},
		{"misc connect_port", "virtual_server 10.0.0.9 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.0.8 80 {\n MISC_CHECK {\n connect_port 80\n }\n }\n}\n" + vi, 5, "Unknown keyword 'connect_port'"},
		{"tcp nb_get_retry unknown", "virtual_server 10.0.0.9 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.0.8 80 {\n TCP_CHECK {\n nb_get_retry 3\n }\n }\n}\n" + vi, 5, "Unknown keyword 'nb_get_retry'"},
		{"top track_process", "track_process p {\n process x\n}\n" + vi, 5, "Unknown keyword 'process'"},
		{"vrrp_track_process", "vrrp_track_process p {\n process x\n weight 2\n}\n" + vi, 0, ""},
		{"known unmodelled", ins(vi, "notify_priority_changes\n"), 0, ""},
		{"unknown block reads inside", ins(vi, "foo {\n priority\n}\n"), 2, "missing a parameter after keyword `priority`"},
		{"ssl block", "SSL {\n password x\n}\n" + vi, 0, ""},
		{"random fixed", strings.Replace(vi, "id 5", "id ${_RANDOM 300 300}", 1), 5, "number '300' outside range"},
		{"random ok", strings.Replace(vi, "id 5", "id ${_RANDOM 1 255}", 1), 0, ""},
		{"random bad args", strings.Replace(vi, "id 5", "id ${_RANDOM x}", 1), 5, ""},
		{"include_check all", "global_defs {\n include_check\n}\ninclude /none/*.conf\n" + vi, 6, "Config files missing '/none/*.conf'"},
		{"include_check plus", "global_defs {\n include_check +match -wildcard_match\n}\ninclude /none/*.conf\n" + vi, 0, ""},
		{"include_check type", "global_defs {\n include_check readable\n}\n" + vi, 5, "Unknown include_check type 'readable'"},
		{"include_check top", "include_check\n" + vi, 5, "Unknown keyword 'include_check'"},
		{"includem", "includem /none.conf\n" + vi, 6, "Config files missing"},
		{"includer", "includer /none.conf\n" + vi, 0, ""},
		{"includeb", "includeb /{a,b}.conf\n" + vi, 6, "Config files missing"},
		{"no protocol", "virtual_server 10.0.0.9 80 {\n lb_algo rr\n lb_kind NAT\n real_server 10.0.0.8 80 {\n }\n}\n" + vi, 5, "no protocol set"},
		{"no real server", "virtual_server 10.0.0.9 80 {\n lb_algo rr\n lb_kind NAT\n}\n" + vi, 5, "Virtual server [10.0.0.9]:none:80 has no real servers - ignoring"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ParseBytes("/etc/keepalived/keepalived.conf", []byte(c.text), Options{ConfigID: "lb1"}, okHost{})
			if r.ExitCode() != c.exit {
				t.Errorf("exit %d, want %d\n%s", r.ExitCode(), c.exit, r.Diags)
			}
			var out strings.Builder
			if code := r.WriteConfigTest(&out); code != c.exit {
				t.Errorf("WriteConfigTest exit %d, want %d", code, c.exit)
			}
			if c.want != "" && !strings.Contains(out.String(), c.want) {
				t.Errorf("-t output lacks %q:\n%s", c.want, out.String())
			}
		})
	}
}

// ins puts extra statements at the end of the vrrp_instance block vi.
func ins(vi, extra string) string { return strings.TrimSuffix(vi, "}\n") + extra + "}\n" }

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(repoRoot(), "testdata", "keepalived", "*.conf"))
	for _, fn := range files {
		if b, err := os.ReadFile(fn); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := ParseBytes("/fuzz.conf", data, Options{ConfigID: "x"}, okHost{})
		if code := r.WriteConfigTest(io.Discard); code != r.ExitCode() {
			t.Fatalf("WriteConfigTest exit %d, ExitCode %d", code, r.ExitCode())
		}
		for _, p := range Passes {
			_ = r.PassDiags(p)
		}
	})
}

// TestConfigTestReads checks that -t output follows keepalived's reads:
// the parent's (global_defs, "(Line N)" in the main file), then the
// checker's, the VRRP process's (with its validation) and the BFD
// process's, each naming the file (an included one as the include wrote
// it). The expected text is what keepalived 2.2.7 prints for the same
// files.
func TestConfigTestReads(t *testing.T) {
	main := "global_defs {\n router_id\n}\ninclude inc/b.conf\nfrob\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n bogus\n}\n"
	opts := Options{ConfigID: "lb1", ReadFile: func(n string) ([]byte, error) {
		if n == "/etc/k/inc/b.conf" {
			return []byte("frob_b\n"), nil
		}
		return nil, os.ErrNotExist
	}}
	r := ParseBytes("/etc/k/k.conf", []byte(main), opts, okHost{})
	var out strings.Builder
	code := r.WriteConfigTest(&out)
	want := `(Line 2) routerid name missing - ignoring
(inc/b.conf: Line 1) Unknown keyword 'frob_b'
(Line 5) Unknown keyword 'frob'
(inc/b.conf: Line 1) Unknown keyword 'frob_b'
(/etc/k/k.conf: Line 5) Unknown keyword 'frob'
(inc/b.conf: Line 1) Unknown keyword 'frob_b'
(/etc/k/k.conf: Line 5) Unknown keyword 'frob'
(/etc/k/k.conf: Line 9) Unknown keyword 'bogus'
(VI_1) No VIP specified; at least one is sensible
(VI_1) No VIP specified; at least one is sensible
(inc/b.conf: Line 1) Unknown keyword 'frob_b'
(/etc/k/k.conf: Line 5) Unknown keyword 'frob'
`
	if out.String() != want || code != 5 {
		t.Errorf("exit %d, output:\n%s\nwant exit 5:\n%s", code, out.String(), want)
	}
	// Each message once in Diags, in the order -t first prints it.
	if n := len(r.Diags); n != 6 {
		t.Errorf("%d messages in Diags, want 6:\n%s", n, r.Diags)
	}
	if got := r.PassDiags(PassVRRP); len(got) != 5 || got[2] != "(/etc/k/k.conf: Line 9) Unknown keyword 'bogus'" {
		t.Errorf("VRRP read: %q", got)
	}
}

// TestConfigTestStopsAtFatal: keepalived exits at a keyword missing a
// parameter it needs, in whichever read meets it.
func TestConfigTestStopsAtFatal(t *testing.T) {
	conf := "frob\nvrrp_instance VI_1 {\n interface eth0\n priority\n}\nvirtual_server 10.0.0.1 80 {\n bogus\n}\n"
	r := ParseBytes("/k.conf", []byte(conf), Options{}, okHost{})
	var out strings.Builder
	code := r.WriteConfigTest(&out)
	want := `(Line 1) Unknown keyword 'frob'
(/k.conf: Line 1) Unknown keyword 'frob'
(/k.conf: Line 7) Unknown keyword 'bogus'
Virtual server [10.0.0.1]:none:80 has no real servers - ignoring
(/k.conf: Line 1) Unknown keyword 'frob'
(/k.conf: Line 4) *** Configuration line starting ` + "`priority` is missing a parameter after keyword `priority`" + ` at word position 2
`
	if out.String() != want || code != 2 {
		t.Errorf("exit %d, output:\n%s\nwant exit 2:\n%s", code, out.String(), want)
	}
}
