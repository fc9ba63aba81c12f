package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/keepalivedconf"
)

// wrap places body inside the block a section names, in an otherwise
// valid configuration.
func wrap(section, body string) (string, bool) {
	vi := "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n 10.0.0.1\n }\n%s}\n"
	rs := "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.0.2 80 {\n%s }\n}\n"
	switch section {
	case "":
		return body, true
	case "global_defs":
		return "global_defs {\n" + body + "}\n", true
	case "vrrp_instance":
		return strings.Replace(vi, "%s", body, 1), true
	case "vrrp_instance > authentication":
		return strings.Replace(vi, "%s", "authentication {\n"+body+"}\n", 1), true
	case "vrrp_script":
		return "vrrp_script s {\n script /bin/true\n" + body + "}\n", true
	case "vrrp_sync_group":
		return "vrrp_sync_group G {\n group {\n VI_1\n }\n" + body + "}\n" + strings.Replace(vi, "%s", "", 1), true
	case "vrrp_track_file", "track_file":
		return section + " f {\n file /tmp/x\n" + body + "}\n", true
	case "vrrp_track_process":
		return "vrrp_track_process p {\n process foo\n" + body + "}\n", true
	case "SSL":
		return "SSL {\n" + body + "}\n", true
	case "virtual_server":
		return strings.Replace(rs, " real_server 10.0.0.2 80 {\n%s }\n", body, 1), true
	case "virtual_server > real_server":
		return strings.Replace(rs, "%s", body, 1), true
	}
	p := strings.Split(section, " > ")
	if len(p) < 3 || p[0] != "virtual_server" || p[1] != "real_server" {
		return "", false
	}
	inner := body
	if len(p) == 4 && p[3] == "url" {
		inner = "url {\n path /\n" + body + "}\n"
	} else if len(p) == 4 && p[3] == "host" {
		inner = "host {\n connect_ip 10.0.0.3\n" + body + "}\n"
	}
	return strings.Replace(rs, "%s", p[2]+" {\n"+inner+"}\n", 1), true
}

// TestOracleKeywordLists re-checks pkg/keepalivedconf's per-block keyword
// lists against keepalived: every keyword listed for a block must be
// accepted there (no "Unknown keyword"), and a made-up one must not.
func TestOracleKeywordLists(t *testing.T) {
	testenv.RequireRoot(t)
	oracle := testenv.Oracle(t, "keepalived")
	ns := testenv.NewNetNS(t, testenv.Iface{Name: "eth0"})
	known, blocks := keepalivedconf.OracleKeywords()
	unknownRe := regexp.MustCompile(`Unknown keyword '([^']*)'`)
	missingRe := regexp.MustCompile("Configuration line starting `([^`]*)` is missing")
	for section, words := range known {
		t.Run("["+section+"]", func(t *testing.T) {
			tmp := t.TempDir()
			skip := map[string]bool{}
			for {
				var b strings.Builder
				for _, w := range words {
					if !blocks[w] && !skip[w] && !strings.HasPrefix(w, "include") &&
						w != "net_namespace" && w != "net_namespace_ipvs" && w != "instance" {
						b.WriteString(" " + w + " 1\n")
					}
				}
				b.WriteString(" gk_not_a_keyword 1\n")
				text, ok := wrap(section, b.String())
				if !ok {
					t.Skipf("no wrapper for section %q", section)
				}
				file := filepath.Join(tmp, "k.conf")
				if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
				c := ns.Command(oracle, "-t", "-f", file, "-p", filepath.Join(tmp, "a"), "-r", filepath.Join(tmp, "b"), "-c", filepath.Join(tmp, "c"))
				c.Dir = tmp
				out, _ := c.CombinedOutput()
				// A keyword that needs more than one value stops keepalived:
				// it is known; leave it out and ask again.
				if m := missingRe.FindSubmatch(out); m != nil && !skip[string(m[1])] {
					skip[string(m[1])] = true
					continue
				}
				sawProbe := false
				for _, m := range unknownRe.FindAllSubmatch(out, -1) {
					if w := string(m[1]); w == "gk_not_a_keyword" {
						sawProbe = true
					} else {
						t.Errorf("keepalived does not know %q in [%s] although oraclekw.go lists it", w, section)
					}
				}
				if !sawProbe {
					t.Errorf("keepalived did not report the made-up keyword in [%s]:\n%s", section, out)
				}
				return
			}
		})
	}
}
