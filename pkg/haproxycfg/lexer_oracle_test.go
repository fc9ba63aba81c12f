package haproxycfg

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// oracleEnv is the environment both haproxy and the lexer see in the
// differential test.
var oracleEnv = map[string]string{
	"LXV":      "val",
	"LX_EMPTY": "",
	"LX_TWO":   "a  b",
}

type mapEnv map[string]string

func (m mapEnv) Lookup(name string) (string, bool) {
	v, ok := m[name]
	return v, ok
}

var oracleLine = regexp.MustCompile(`^\[([A-Z]+)\] +\(\d+\) : config : (.*)$`)

// normalize removes the only formatting difference we do not model in Diag:
// haproxy prints "parsing [f:l]: " for most lexer messages and
// "parsing [f:l] : " for others.
func normalize(s string) string {
	if strings.HasPrefix(s, "parsing [") {
		if i := strings.Index(s, "] : "); i >= 0 {
			s = s[:i] + "]: " + s[i+4:]
		}
	}
	return s
}

// oracleDiags runs haproxy -c -dD on file and returns its configuration
// messages and whether it found errors.
func oracleDiags(t *testing.T, bin string, files ...string) ([]string, bool) {
	args := []string{"-c", "-dD"}
	for _, f := range files {
		args = append(args, "-f", f)
	}
	cmd := exec.Command(bin, args...)
	env := []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range oracleEnv {
		env = append(env, k+"="+v)
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running haproxy: %v", err)
	}
	var msgs []string
	inMsg := false
	for _, l := range strings.Split(string(out), "\n") {
		if m := oracleLine.FindStringSubmatch(l); m != nil {
			if strings.HasPrefix(m[2], "Fatal errors found") || strings.HasPrefix(m[2], "Warnings were found") {
				inMsg = false
				continue
			}
			msgs = append(msgs, "["+m[1]+"] "+normalize(m[2]))
			inMsg = true
			continue
		}
		if inMsg && strings.HasPrefix(l, "  ") {
			msgs[len(msgs)-1] += "\n" + l
			continue
		}
		inMsg = false
	}
	return msgs, code == 1
}

func lexerDiags(t *testing.T, files ...string) ([]string, bool) {
	var diags Diags
	err := ReadFiles(files, LexOptions{Env: mapEnv(oracleEnv), Diagnostic: true}, &diags, func(l Line) {
		// only "global" lines reach the parser in these files
		if len(l.Args) != 1 || l.Args[0] != "global" {
			diags.Alertf(l.Pos, "unexpected line %q", l.Args)
		}
	})
	if err != nil {
		return []string{"[ALERT] " + err.Error()}, true
	}
	var msgs []string
	for _, d := range diags {
		msgs = append(msgs, "["+d.Sev.Tag()+"] "+normalize(d.String()))
	}
	return msgs, diags.HasAlerts()
}

// TestLexerOracle runs haproxy -c on every testdata/lexer/*.cfg and checks
// that the lexer reports the same messages and the same verdict.
func TestLexerOracle(t *testing.T) {
	bin := testenv.Oracle(t, "haproxy")
	files, err := filepath.Glob("testdata/lexer/*.cfg")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, f := range files {
		f := f
		t.Run(filepath.Base(f), func(t *testing.T) {
			want, wantBad := oracleDiags(t, bin, f)
			got, gotBad := lexerDiags(t, f)
			if wantBad != gotBad {
				t.Errorf("verdict: haproxy invalid=%v, lexer invalid=%v", wantBad, gotBad)
			}
			if strings.Join(want, "\n") != strings.Join(got, "\n") {
				t.Errorf("messages differ\n--- haproxy:\n%s\n--- lexer:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
			}
		})
	}
}

// TestLexerOracleFiles checks the -f semantics: directory listing order and
// filtering, several paths, and the per-file error summary.
func TestLexerOracleFiles(t *testing.T) {
	bin := testenv.Oracle(t, "haproxy")
	dir := t.TempDir()
	for _, n := range []string{"b.cfg", "a.cfg", ".h.cfg", "x.conf", "A.cfg", "x.cfg.bak", "c.CFG", "_z.cfg", "1.cfg", "a.cfg.cfg"} {
		body := "global\n.notice \"" + n + "\"\n"
		if n == "_z.cfg" {
			body += ".notice bad arg\n"
		}
		if err := os.WriteFile(filepath.Join(dir, n), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(dir, "sub.cfg"), 0o755)
	os.Symlink("a.cfg", filepath.Join(dir, "link.cfg"))
	extra := filepath.Join(dir, "x.conf")
	for _, paths := range [][]string{{dir}, {dir + "/", extra, extra}, {extra, dir + "/nope"}} {
		want, wantBad := oracleDiags(t, bin, paths...)
		got, gotBad := lexerDiags(t, paths...)
		if wantBad != gotBad || strings.Join(want, "\n") != strings.Join(got, "\n") {
			t.Errorf("paths %q\n--- haproxy (invalid=%v):\n%s\n--- lexer (invalid=%v):\n%s", paths,
				wantBad, strings.Join(want, "\n"), gotBad, strings.Join(got, "\n"))
		}
	}
}
