package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden model dumps under testdata/haproxy/golden")

// cfgCase is one input of the differential test: a file or a directory
// under testdata/haproxy, with the directives of its "#@ key: value" header.
type cfgCase struct {
	name        string   // relative to testdata/haproxy
	args        []string // -f arguments, relative to testdata/haproxy
	env         []string
	expect      string // "valid" or "invalid", as recorded from the oracle
	unsupported string // keyword gohaproxy refuses for now
	legacy      bool
	// ourExit is what gohaproxy must exit with where the oracle itself
	// crashes ("#@ gohaproxy-exit: N"); -1 when not set.
	ourExit int
}

func haproxyTestdata() string { return filepath.Join(testenv.RepoRoot(), "testdata", "haproxy") }

func loadCases(t *testing.T) []cfgCase {
	t.Helper()
	root := haproxyTestdata()
	var cases []cfgCase
	add := func(rel string) {
		c := cfgCase{name: rel, args: []string{"-f", rel}, ourExit: -1}
		head := filepath.Join(root, rel)
		if st, err := os.Stat(head); err == nil && st.IsDir() {
			entries, _ := os.ReadDir(head)
			for _, e := range entries {
				if strings.HasSuffix(e.Name(), ".cfg") {
					head = filepath.Join(head, e.Name())
					break
				}
			}
		}
		f, err := os.Open(head)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if !strings.HasPrefix(line, "#@") {
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				break
			}
			key, val, _ := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "#@")), ":")
			val = strings.TrimSpace(val)
			switch strings.TrimSpace(key) {
			case "expect":
				c.expect = val
			case "env":
				c.env = append(c.env, val)
			case "gohaproxy-exit":
				c.ourExit, _ = strconv.Atoi(val)
			case "extra":
				c.args = append(c.args, "-f", filepath.Join(filepath.Dir(rel), val))
			case "gohaproxy":
				if val == "legacy" {
					c.legacy = true
				} else if kw, ok := strings.CutPrefix(val, "unsupported "); ok {
					c.unsupported = kw
				}
			}
		}
		f.Close()
		cases = append(cases, c)
	}
	add("seed.cfg")
	for _, dir := range []string{"cases", "realworld"} {
		entries, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			continue
		}
		for _, e := range entries {
			n := e.Name()
			if (e.IsDir() && strings.HasSuffix(n, ".d")) || (!e.IsDir() && strings.HasSuffix(n, ".cfg")) {
				add(filepath.Join(dir, n))
			}
		}
	}
	return cases
}

type verdict struct {
	code   int
	stderr string
	stdout string
}

func runCheck(t *testing.T, bin string, c cfgCase) verdict {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-c"}, c.args...)...)
	cmd.Dir = haproxyTestdata()
	cmd.Env = append(os.Environ(), c.env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s: %v", bin, err)
	}
	return verdict{code: code, stderr: errb.String(), stdout: out.String()}
}

// TestDifferentialCheck runs haproxy -c and gohaproxy -c on every
// configuration under testdata/haproxy and requires the same verdict (exit
// status 0 valid, 1 invalid, 2 valid without listener), with two documented
// exceptions: a case marked "unsupported KW" must be refused naming KW, and
// a case marked "legacy" (refused by 2.6 only for removed 1.x keywords) must
// be accepted with warnings.
func TestDifferentialCheck(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	cases := loadCases(t)
	if len(cases) < 60 {
		t.Fatalf("only %d cases under testdata/haproxy; the corpus must hold at least 60", len(cases))
	}
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			want := runCheck(t, oracle, c)
			got := runCheck(t, ours, c)
			wantValid := want.code == 0
			if c.expect != "" && (c.expect == "valid") != wantValid {
				t.Errorf("the oracle's verdict changed: haproxy exits %d but the case says '#@ expect: %s'\n%s", want.code, c.expect, want.stderr)
			}
			switch {
			case want.code < 0 || want.code >= 128:
				// the oracle crashed: the case says what is right
				if c.ourExit < 0 {
					t.Fatalf("haproxy crashed (exit %d) and the case has no '#@ gohaproxy-exit:' line", want.code)
				}
				if got.code != c.ourExit {
					t.Errorf("gohaproxy exits %d, the case wants %d (haproxy crashes on it)\n%s", got.code, c.ourExit, got.stderr)
				}
			case c.unsupported != "":
				if got.code != 1 || !strings.Contains(got.stderr, "not supported by gohaproxy") || !strings.Contains(got.stderr, c.unsupported) {
					t.Errorf("gohaproxy must refuse '%s' as unsupported; it exits %d:\n%s", c.unsupported, got.code, got.stderr)
				}
			case c.legacy:
				if want.code != 1 {
					t.Errorf("case marked legacy but haproxy accepts it (exit %d)", want.code)
				}
				if got.code == 1 || !strings.Contains(got.stderr, "[WARNING]") {
					t.Errorf("gohaproxy must accept a legacy config with warnings; it exits %d:\n%s", got.code, got.stderr)
				}
			case got.code != want.code:
				t.Errorf("verdicts differ: haproxy exits %d, gohaproxy exits %d\n--- haproxy:\n%s%s--- gohaproxy:\n%s%s",
					want.code, got.code, want.stdout, want.stderr, got.stdout, got.stderr)
			}
		})
	}
}

// TestGoldenDumps pins what gohaproxy understood from every configuration it
// accepts: the model, defaults resolved, rendered by Config.Dump.
func TestGoldenDumps(t *testing.T) {
	root := haproxyTestdata()
	for _, c := range loadCases(t) {
		if c.unsupported != "" || c.expect == "invalid" && !c.legacy {
			continue
		}
		c := c
		t.Run(c.name, func(t *testing.T) {
			for _, kv := range c.env {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			var files []string
			for i := 1; i < len(c.args); i += 2 {
				files = append(files, c.args[i])
			}
			var stderr bytes.Buffer
			k := checker{stdout: &bytes.Buffer{}, stderr: &stderr, checkOnly: true, baseDir: root, noResolve: true}
			old, _ := os.Getwd()
			if err := os.Chdir(root); err != nil {
				t.Fatal(err)
			}
			cfg, status := k.load(files)
			os.Chdir(old)
			if status == 1 || cfg == nil {
				t.Skipf("not accepted in-process (exit %d); the differential test reports why", status)
			}
			var buf bytes.Buffer
			cfg.Dump(&buf)
			golden := filepath.Join(root, "golden", strings.ReplaceAll(c.name, "/", "__")+".txt")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("missing golden file (run go test ./cmd/gohaproxy -run TestGoldenDumps -update): %v", err)
			}
			if !bytes.Equal(want, buf.Bytes()) {
				t.Errorf("model dump differs from %s (rerun with -update if the change is intended):\n--- want\n%s--- got\n%s", golden, want, buf.String())
			}
		})
	}
}
