package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// TestInitScripts drives gohaproxy through init scripts as an operator
// does: ours (contrib/init.d/gohaproxy) and Debian's own /etc/init.d/haproxy
// with only the binary (and the paths the test owns) changed. Both must
// start, report status, reload without losing the listener, and stop.
func TestInitScripts(t *testing.T) {
	bin := testenv.Binary(t, "gohaproxy")
	for _, which := range []string{"contrib", "debian"} {
		t.Run(which, func(t *testing.T) {
			dir := t.TempDir()
			pidfile := filepath.Join(dir, "gohaproxy.pid")
			cfg := filepath.Join(dir, "haproxy.cfg")
			port := freePort(t)
			addr := "127.0.0.1:" + strconv.Itoa(port)
			servers := nameServers(t, 2)
			writeConfig(t, cfg, tcpConfig(port, "roundrobin", servers, []int{1, 1}))

			var script string
			env := os.Environ()
			switch which {
			case "contrib":
				script = filepath.Join(testenv.RepoRoot(), "contrib", "init.d", "gohaproxy")
				env = append(env, "GOHAPROXY="+bin, "CONFIG="+cfg, "PIDFILE="+pidfile,
					"DEFAULTS="+filepath.Join(dir, "no-defaults"))
			case "debian":
				script = debianInitScript(t, dir, bin, cfg, pidfile)
			}
			seen := map[int]bool{}
			t.Cleanup(func() {
				for pid := range seen {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			})
			run := func(action string) int {
				t.Helper()
				cmd := exec.Command("sh", script, action)
				cmd.Env = env
				out, err := cmd.CombinedOutput()
				for _, pid := range readPids(pidfile) {
					seen[pid] = true
				}
				code := 0
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				} else if err != nil {
					t.Fatalf("%s %s: %v", script, action, err)
				}
				t.Logf("%s %s -> %d: %s", filepath.Base(script), action, code, strings.TrimSpace(string(out)))
				return code
			}

			if code := run("start"); code != 0 {
				t.Fatalf("start exited %d", code)
			}
			waitListening(t, addr)
			first := readPids(pidfile)
			if len(first) != 1 {
				t.Fatalf("pid file after start holds %v, want one pid", first)
			}
			if name, err := ask(addr); err != nil || (name != "s1" && name != "s2") {
				t.Fatalf("through the proxy: %q, %v", name, err)
			}
			if code := run("status"); code != 0 {
				t.Fatalf("status of a running gohaproxy exited %d, want 0", code)
			}

			if code := run("reload"); code != 0 {
				t.Fatalf("reload exited %d", code)
			}
			waitUntil(t, "the old process to leave after reload", func() bool { return gone(first[0]) })
			second := readPids(pidfile)
			if len(second) != 1 || second[0] == first[0] {
				t.Fatalf("pid file after reload holds %v (before: %v)", second, first)
			}
			if name, err := ask(addr); err != nil || (name != "s1" && name != "s2") {
				t.Fatalf("through the proxy after reload: %q, %v", name, err)
			}

			if code := run("stop"); code != 0 {
				t.Fatalf("stop exited %d", code)
			}
			waitUntil(t, "gohaproxy to stop", func() bool { return gone(second[0]) })
			if code := run("status"); code != 3 {
				t.Fatalf("status of a stopped gohaproxy exited %d, want 3 (LSB: not running)", code)
			}
		})
	}
}

// debianInitScript writes Debian's haproxy init script with the binary
// replaced by gohaproxy and its paths moved into dir.
func debianInitScript(t *testing.T, dir, bin, cfg, pidfile string) string {
	t.Helper()
	const orig = "/etc/init.d/haproxy"
	text, err := os.ReadFile(orig)
	if err != nil {
		testenv.Unavailable(t, orig+" (Debian's haproxy package) is not installed: "+err.Error())
	}
	set := map[string]string{
		"HAPROXY":  bin,
		"CONFIG":   cfg,
		"PIDFILE":  pidfile,
		"RUNDIR":   filepath.Join(dir, "run"),
		"BASENAME": "haproxy",
	}
	s := string(text)
	for k, v := range set {
		re := regexp.MustCompile(`(?m)^` + k + `=.*$`)
		if !re.MatchString(s) {
			t.Fatalf("%s has no %s= line: the test must learn its new shape", orig, k)
		}
		s = re.ReplaceAllLiteralString(s, k+"="+v)
	}
	path := filepath.Join(dir, "haproxy.init")
	if err := os.WriteFile(path, []byte(s), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func readPids(pidfile string) []int {
	b, err := os.ReadFile(pidfile)
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			pids = append(pids, n)
		}
	}
	return pids
}
