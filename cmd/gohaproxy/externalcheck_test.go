package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// TestExternalCheckLikeHaproxy runs "option external-check" scripts under
// haproxy and gohaproxy: the scripts succeed, fail (a file tells them to)
// and succeed again, and every run dumps its arguments and environment.
// Both must log the same DOWN/UP lines and give the scripts the same
// arguments and environment (ports and paths normalised).
func TestExternalCheckLikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	dir := t.TempDir()
	failFile := filepath.Join(dir, "fail")
	srvPort := freePort(t)
	type proc struct {
		name, dump string
		ports      []int
		log        *logBuf
	}
	var procs []*proc
	for _, p := range []struct{ name, bin string }{{"haproxy", oracle}, {"gohaproxy", ours}} {
		pr := &proc{name: p.name, dump: filepath.Join(dir, p.name+".dump")}
		script := filepath.Join(dir, p.name+".sh")
		if err := os.Mkdir(pr.dump, 0o755); err != nil {
			t.Fatal(err)
		}
		// one file per run: concurrent runs must not mix their lines
		body := fmt.Sprintf("#!/bin/sh\n{ echo \"ARGV: $*\"; /usr/bin/env | /usr/bin/sort; } > %s/run.$$\n[ -e %s ] && exit 3\nexit 0\n", pr.dump, failFile)
		if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
		slow := filepath.Join(dir, p.name+"-slow.sh")
		if err := os.WriteFile(slow, []byte("#!/bin/sh\n/bin/sleep 5\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		pr.ports = []int{freePort(t), freePort(t)}
		text := fmt.Sprintf(`global
  nbthread 1
  external-check
  insecure-fork-wanted
defaults
  mode tcp
  timeout connect 1s
  timeout client 5s
  timeout server 5s
listen x
  bind 127.0.0.1:%[1]d
  option external-check
  external-check command %[3]s
  server s1 127.0.0.1:%[4]d check inter 300ms fall 2 rise 2
backend y
  option external-check
  external-check command %[3]s
  external-check path "/usr/bin:/bin"
  server s0 127.0.0.1:%[4]d
  server s2 127.0.0.2:%[4]d check inter 300ms fall 2 rise 2 maxconn 7
listen z
  bind 127.0.0.1:%[2]d
  option external-check
  external-check command %[3]s
  timeout check 2s
  server s3 127.0.0.3:%[4]d check inter 300ms fall 2 rise 2 id 9
backend slow
  option external-check
  external-check command %[5]s
  timeout check 5s
  server s4 127.0.0.4:%[4]d check inter 400ms fall 1
`, pr.ports[0], pr.ports[1], script, srvPort, slow)
		cfg := filepath.Join(dir, p.name+".cfg")
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		pr.log = startLogged(t, p.bin, "-db", "-f", cfg)
		procs = append(procs, pr)
	}
	count := func(pr *proc, word string) int {
		n := 0
		for _, l := range pr.log.stateLines() {
			if strings.Contains(l, word) {
				n++
			}
		}
		return n
	}
	waitFor := func(word string, n int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for _, pr := range procs {
			for count(pr, word) < n {
				if time.Now().After(deadline) {
					t.Fatalf("%s logged %d %q lines, want %d:\n%s", pr.name, count(pr, word), word, n, strings.Join(pr.log.stateLines(), "\n"))
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	time.Sleep(2 * time.Second)
	if err := os.WriteFile(failFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(" is DOWN", 4) // the slow script's server too, killed after inter
	os.Remove(failFile)
	waitFor(" is UP", 3)

	for _, pr := range procs {
		pr.log.mu.Lock()
		killed := strings.Contains(pr.log.b.String(), "[WARNING]  ") && strings.Contains(pr.log.b.String(), " : kill ")
		pr.log.mu.Unlock()
		if !killed {
			t.Errorf("%s logged no \"kill PID\" warning for the slow script", pr.name)
		}
	}
	lines := map[string]string{}
	dumps := map[string]string{}
	for _, pr := range procs {
		ls := pr.log.stateLines()
		sort.Strings(ls)
		lines[pr.name] = strings.Join(ls, "\n")
		runs, err := filepath.Glob(filepath.Join(pr.dump, "run.*"))
		if err != nil {
			t.Fatal(err)
		}
		uniq := map[string]bool{}
		for _, run := range runs {
			raw, err := os.ReadFile(run)
			if err != nil {
				t.Fatal(err)
			}
			blk := string(raw)
			for i, p := range pr.ports {
				blk = strings.ReplaceAll(blk, strconv.Itoa(p), fmt.Sprintf("BINDPORT%d", i))
			}
			// a run cut short when the proxy stopped left no environment
			if strings.Contains(blk, "\nPATH=") {
				uniq[blk] = true
			}
		}
		var blks []string
		for b := range uniq {
			blks = append(blks, b)
		}
		sort.Strings(blks)
		dumps[pr.name] = strings.Join(blks, "---\n")
	}
	if lines["haproxy"] != lines["gohaproxy"] {
		t.Errorf("state lines differ\nhaproxy:\n%s\ngohaproxy:\n%s", lines["haproxy"], lines["gohaproxy"])
	} else {
		t.Logf("same state lines:\n%s", lines["haproxy"])
	}
	if dumps["haproxy"] == "" || dumps["haproxy"] != dumps["gohaproxy"] {
		t.Errorf("arguments/environment differ\nhaproxy:\n%s\ngohaproxy:\n%s", dumps["haproxy"], dumps["gohaproxy"])
	} else {
		t.Logf("same arguments and environment:\n%s", dumps["haproxy"])
	}
}
