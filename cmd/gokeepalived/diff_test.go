package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// header is what a test configuration declares in "# @" comment lines:
//
//	# @ns-if: NAME [ADDR/LEN ...]   an interface the namespace must have
//	# @expect: N|crash              keepalived -t's exit status (required)
//	# @gk-expect: N                 gokeepalived -t's exit status, required
//	                                (only) when keepalived crashes
//	# @config-id: ID                passed as -i (default "lb1")
//	# @source: OWNER/REPO PATH      where a real-world file comes from
//
// A file that must stay byte-for-byte (seed.conf) keeps its header lines in
// FILE.headers instead. A file without @ns-if lines gets eth0.
type header struct {
	ifaces   []testenv.Iface
	expect   int // crashExit when keepalived is expected to crash
	hasExp   bool
	gkExpect int
	hasGK    bool
	configID string
}

// crashExit stands for "killed by a signal" in @expect.
const crashExit = -1

func readHeader(t *testing.T, path string) header {
	h := header{configID: "lb1"}
	for _, p := range []string{path, path + ".headers"} {
		f, err := os.Open(p)
		if err != nil {
			if p == path {
				t.Fatal(err)
			}
			continue
		}
		h.scan(bufio.NewScanner(f))
		f.Close()
	}
	if len(h.ifaces) == 0 {
		h.ifaces = []testenv.Iface{{Name: "eth0"}}
	}
	return h
}

func (h *header) scan(sc *bufio.Scanner) {
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
				if fs[0] == "crash" {
					h.expect, h.hasExp = crashExit, true
				} else if n, err := strconv.Atoi(fs[0]); err == nil {
					h.expect, h.hasExp = n, true
				}
			}
		case "gk-expect":
			if len(fs) > 0 {
				if n, err := strconv.Atoi(fs[0]); err == nil {
					h.gkExpect, h.hasGK = n, true
				}
			}
		case "config-id":
			if len(fs) > 0 {
				h.configID = fs[0]
			}
		}
	}
}

// exitCode is the exit status of a finished command, crashExit when a
// signal killed it.
func exitCode(err error) (int, error) {
	var ee *exec.ExitError
	if err == nil {
		return 0, nil
	}
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	return 0, err
}

func testConfigs(t *testing.T) []string {
	root := filepath.Join(testenv.RepoRoot(), "testdata", "keepalived")
	a, _ := filepath.Glob(filepath.Join(root, "*.conf"))
	b, _ := filepath.Glob(filepath.Join(root, "realworld", "*.conf"))
	all := append(a, b...)
	sort.Strings(all)
	return all
}

// nsKey identifies the namespace a header needs.
func (h header) nsKey() string {
	var b strings.Builder
	for _, i := range h.ifaces {
		fmt.Fprintf(&b, "%s=%s;", i.Name, strings.Join(i.Addrs, ","))
	}
	return b.String()
}

// diffRun is the outcome of one configuration under both programs.
type diffRun struct {
	h            header
	kout, gout   []byte
	kcode, gcode int
	err          error
}

// TestDifferentialConfigTest runs keepalived -t and gokeepalived -t on every
// configuration under testdata/keepalived, each in a network namespace
// holding the interfaces the file declares, and requires the same verdict
// (exit status) and the same output: gokeepalived's messages must be
// keepalived's, byte for byte, once its own notes (" [gokeepalived]") are
// removed, but for the files in outputAllowlist. keepalived -t does not
// change the namespace, so files declaring the same interfaces share one;
// the runs go 8 at a time.
func TestDifferentialConfigTest(t *testing.T) {
	testenv.RequireRoot(t)
	oracle := testenv.Oracle(t, "keepalived")
	gk := testenv.Binary(t, "gokeepalived")
	files := testConfigs(t)
	if len(files) < 40 {
		t.Fatalf("only %d test configurations", len(files))
	}
	runs := make([]diffRun, len(files))
	spaces := map[string]*testenv.NetNS{}
	for i, file := range files {
		runs[i].h = readHeader(t, file)
		if k := runs[i].h.nsKey(); spaces[k] == nil {
			spaces[k] = testenv.NewNetNS(t, runs[i].h.ifaces...)
		}
	}
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, file := range files {
		wg.Add(1)
		go func(r *diffRun, file string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ns := spaces[r.h.nsKey()]
			tmp, err := os.MkdirTemp("", "gkdiff")
			if err != nil {
				r.err = err
				return
			}
			defer os.RemoveAll(tmp)
			cmd := func(bin string) *exec.Cmd {
				c := ns.Command(bin, "-t", "-f", file, "-i", r.h.configID,
					"-p", filepath.Join(tmp, "k.pid"), "-r", filepath.Join(tmp, "v.pid"), "-c", filepath.Join(tmp, "c.pid"))
				c.Dir = tmp
				return c
			}
			var kerr, gerr error
			r.kout, kerr = cmd(oracle).CombinedOutput()
			r.gout, gerr = cmd(gk).CombinedOutput()
			if r.kcode, err = exitCode(kerr); err != nil {
				r.err = err
			}
			if r.gcode, err = exitCode(gerr); err != nil {
				r.err = err
			}
		}(&runs[i], file)
	}
	wg.Wait()
	for i, file := range files {
		rel, _ := filepath.Rel(filepath.Join(testenv.RepoRoot(), "testdata", "keepalived"), file)
		r := runs[i]
		t.Run(rel, func(t *testing.T) {
			h, kcode, gcode, kout, gout := r.h, r.kcode, r.gcode, r.kout, r.gout
			if r.err != nil {
				t.Fatalf("running: %v", r.err)
			}
			if !h.hasExp {
				t.Fatalf("no '# @expect: N' header (keepalived -t gives exit %d)\n%s", kcode, kout)
			}
			if kcode != h.expect {
				t.Errorf("oracle changed: keepalived -t exit %d, file declares @expect %d\noracle:\n%s", kcode, h.expect, kout)
			}
			want, what := kcode, "keepalived -t"
			if h.expect == crashExit {
				// keepalived crashes on this input: gokeepalived's own
				// verdict is declared instead (see docs/keepalived-compat.md).
				if !h.hasGK {
					t.Fatalf("@expect: crash needs a '# @gk-expect: N' header")
				}
				want, what = h.gkExpect, "@gk-expect"
			} else if h.hasGK {
				t.Errorf("@gk-expect is only for inputs keepalived crashes on")
			}
			if k, g := unknownKeywords(kout), unknownKeywords(gout); h.expect != crashExit && k != g {
				t.Errorf("\"Unknown keyword\" reports differ:\nkeepalived:   %s\ngokeepalived: %s", k, g)
			}
			if why, ok := outputAllowlist[rel]; ok {
				t.Logf("output not compared: %s", why)
			} else if h.expect != crashExit {
				if k, g := string(kout), ourMessagesRemoved(gout); k != g {
					t.Errorf("-t output differs (lines ending in \" [gokeepalived]\" removed):\n%s", outputDiff(k, g))
				}
			}
			if gcode != want {
				t.Errorf("verdict differs: %s exit %d, gokeepalived -t exit %d\nkeepalived:\n%s\ngokeepalived:\n%s", what, want, gcode, kout, gout)
			}
		})
	}
}

var unknownRe = regexp.MustCompile(`Line (\d+)\) Unknown keyword '([^']*)'`)

// unknownKeywords is the sorted set of "LINE:WORD" a -t run reported as
// unknown keywords (keepalived repeats some messages once per process).
func unknownKeywords(out []byte) string {
	set := map[string]bool{}
	for _, m := range unknownRe.FindAllSubmatch(out, -1) {
		set[string(m[1])+":"+string(m[2])] = true
	}
	var l []string
	for k := range set {
		l = append(l, k)
	}
	sort.Strings(l)
	return strings.Join(l, " ")
}

// outputAllowlist names the corpus files (relative to testdata/keepalived)
// whose -t output is not compared with keepalived's, and why. Files
// keepalived crashes on (@expect: crash, e.g. unmatched_quote.conf, where
// keepalived 2.2.7 dies with SIGSEGV) are never compared either.
var outputAllowlist = map[string]string{
	// ${_RANDOM 256 400} draws a different number in each program: the
	// messages are the same but for the number.
	"random_range.conf": "${_RANDOM} draws a different number in keepalived and gokeepalived",
}

// ourMessagesRemoved is gokeepalived -t's output without its own notes
// (the lines ending in " [gokeepalived]").
func ourMessagesRemoved(out []byte) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(string(out), "\n") {
		if strings.HasSuffix(strings.TrimSuffix(l, "\n"), " [gokeepalived]") {
			continue
		}
		b.WriteString(l)
	}
	return b.String()
}

// outputDiff shows both outputs line by line, marking the first line
// that differs.
func outputDiff(k, g string) string {
	ks, gs := strings.Split(k, "\n"), strings.Split(g, "\n")
	first := 0
	for first < len(ks) && first < len(gs) && ks[first] == gs[first] {
		first++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "first difference at line %d\nkeepalived:\n", first+1)
	for i, l := range ks {
		mark := "  "
		if i == first {
			mark = "> "
		}
		fmt.Fprintf(&b, "%s%s\n", mark, l)
	}
	b.WriteString("gokeepalived:\n")
	for i, l := range gs {
		mark := "  "
		if i == first {
			mark = "> "
		}
		fmt.Fprintf(&b, "%s%s\n", mark, l)
	}
	return b.String()
}

// TestOutputAllowlistFresh fails when the allowlist names a file the
// corpus no longer has.
func TestOutputAllowlistFresh(t *testing.T) {
	for rel := range outputAllowlist {
		if _, err := os.Stat(filepath.Join(testenv.RepoRoot(), "testdata", "keepalived", rel)); err != nil {
			t.Errorf("outputAllowlist names %s: %v", rel, err)
		}
	}
}
