package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logsink/oracletest"
)

// cliStep is one exchange with a stats socket: the level's socket, the
// bytes sent, and (for the interactive ones) pauses between lines.
type cliStep struct {
	level string
	send  []string
}

func step(level string, lines ...string) cliStep { return cliStep{level, lines} }

// runtimeAPISteps are run in order on both products: answers, error
// messages and level checks must be identical, as must the state they
// leave (read back with "show servers state" and "get weight").
var runtimeAPISteps = []cliStep{
	step("admin", "show backend\n"),
	step("admin", "show servers state\n"),
	step("admin", "show servers state bk\n"),
	step("admin", "show servers state nope\n"),
	step("user", "get weight bk/s1\n"),
	step("admin", "get weight bk/s2\n"),
	step("admin", "set weight bk/s1 50\n"),
	step("admin", "get weight bk/s1\n"),
	step("admin", "set server bk/s1 weight 10%\n"),
	step("admin", "get weight bk/s1\n"),
	step("admin", "set weight bk/s1 300\n"),
	step("admin", "set weight bk/s1 abc\n"),
	step("admin", "set weight bk/nope 3\n"),
	step("admin", "set weight nope/s1 3\n"),
	step("admin", "set weight bk 3\n"),
	step("user", "set weight bk/s1 3\n"),
	step("operator", "set weight bk/s1 3\n"),
	step("admin", "set server bk/s2 state drain\n"),
	step("admin", "show servers state bk\n"),
	step("admin", "set server bk/s2 state maint\n"),
	step("admin", "show servers state bk\n"),
	step("admin", "set server bk/s2 state ready\n"),
	step("admin", "set server bk/s2 state bogus\n"),
	step("admin", "set server bk/s2\n"),
	step("admin", "set server bk/s2 foo\n"),
	step("admin", "set server bk/s2 weight\n"),
	step("admin", "set server bk/s2 weight 300\n"),
	step("admin", "disable server bk/s1\n"),
	step("admin", "show servers state bk\n"),
	step("admin", "enable server bk/s1\n"),
	step("admin", "disable server bk\n"),
	step("user", "disable server bk/s1\n"),
	step("operator", "set server bk/s1 state ready\n"),
	step("admin", "set maxconn server bk/s1 10\n"),
	step("user", "set maxconn server bk/s1 10\n"),
	step("admin", "clear counters\n"),
	step("user", "clear counters\n"),
	step("operator", "clear counters\n"),
	step("operator", "clear counters all\n"),
	step("admin", "clear counters all\n"),
	step("user", "show errors\n"),
	step("admin", "show errors\n"),
	step("admin", "show table\n"),
	step("operator", "show cli level\n"),
	step("admin", "operator\nshow cli level\n"),
	step("user", "operator\n"),
	step("admin", "show backend;get weight bk/s2\n"),
	step("admin", "show backend\nshow backend\n"),
	step("admin", "prompt\n", "show backend\n", "get weight bk/s1\n", "quit\n"),
	step("admin", "prompt\n", "prompt\n"),
	step("admin", "\n"),
	step("admin", "help\n"),
	step("user", "help show\n"),
	step("admin", "foo bar\n"),
	// sessions, connection limits and server addresses (the effects are
	// checked in TestRuntimeAPISessionsOracle)
	step("user", "show sess\n"),
	step("admin", "show sess 0x1234\n"),
	step("operator", "shutdown session 0x1\n"),
	step("admin", "shutdown session\n"),
	step("admin", "shutdown session foo\n"),
	step("admin", "shutdown session 0x1234\n"),
	step("admin", "shutdown sessions\n"),
	step("admin", "shutdown sessions server\n"),
	step("admin", "shutdown sessions server bk\n"),
	step("admin", "shutdown sessions server bk/nope\n"),
	step("admin", "shutdown sessions server nope/s1\n"),
	step("operator", "shutdown sessions server bk/s1\n"),
	step("operator", "set maxconn frontend fe 10\n"),
	step("operator", "set maxconn global 10\n"),
	step("admin", "set maxconn frontend\n"),
	step("admin", "set maxconn frontend nope 10\n"),
	step("admin", "set maxconn frontend bk 10\n"),
	step("admin", "set maxconn frontend fe\n"),
	step("admin", "set maxconn frontend fe -1\n"),
	step("admin", "set maxconn frontend fe 50\n"),
	step("admin", "set maxconn global\n"),
	step("admin", "set maxconn global -3\n"),
	step("admin", "set maxconn global 999999999\n"),
	step("admin", "set maxconn global 50\n"),
	step("admin", "set maxconn global 0\n"),
	step("admin", "set maxconn foo\n"),
	step("operator", "set server bk/s1 addr 127.0.0.1\n"),
	step("admin", "set server bk/s1 addr\n"),
	step("admin", "set server bk/s1 addr foo\n"),
	step("admin", "set server bk/s1 addr localhost port 3\n"),
	step("admin", "set server bk/s1 addr 127.0.0.2\n"),
	step("admin", "set server bk/s1 addr 127.0.0.2 port abc\n"),
	step("admin", "set server bk/s1 addr 127.0.0.1 port +5\n"),
	step("admin", "set server bk/s1 addr ::1\n"),
	step("admin", "set server bk/s1 addr 127.0.0.1 foo 3\n"),
	step("admin", "show servers state bk\n"),
	step("admin", "set server bk/s1 agent up\n"),
	step("admin", "set server bk/s1 agent-send x\n"),
	step("admin", "set server bk/s1 agent-addr 127.0.0.1\n"),
	step("admin", "set server bk/s1 agent-port 1\n"),
	step("admin", "set server bk/s1 check-port 1\n"),
	step("admin", "set server bk/s1 check-addr 127.0.0.1\n"),
	step("admin", "set server bk/s1 fqdn example.com\n"),
	step("admin", "set server bk/s1 health\n"),
	step("admin", "set server bk/s1 health sick\n"),
	step("admin", "set server bk/s1 health down\n"),
	step("admin", "show servers state bk\n"),
	step("admin", "set server bk/s1 health stopping\n"),
	step("admin", "show servers state bk\n"),
	step("admin", "set server bk/s1 health up\n"),
	step("admin", "show servers state bk\n"),
}

// sameHelp compares two command lists: the same first line, and every
// command gohaproxy lists is listed by haproxy with the same words
// (gohaproxy lists only the commands it answers).
func sameHelp(theirs, ours string) bool {
	tl, ol := strings.Split(theirs, "\n"), strings.Split(ours, "\n")
	if tl[0] != ol[0] {
		return false
	}
	if strings.HasPrefix(tl[0], "Unknown command, but maybe") {
		// haproxy picks the closest commands; gohaproxy lists them all
		// (docs/haproxy-compat.md)
		return true
	}
	have := map[string]bool{}
	for _, l := range tl {
		have[l] = true
	}
	for _, l := range ol {
		if !have[l] {
			return false
		}
	}
	return true
}

var (
	cliErrDate  = regexp.MustCompile(`captured on \[[^\]]+\]`)
	cliStateRow = regexp.MustCompile(`(?m)^(\d+ \S+ \d+ \S+ \S+ \d+ \d+ \d+ \d+) \d+ `)
	cliPort     = regexp.MustCompile(`- \d+ -`)
)

// normalizeCLI replaces what differs between two runs: dates and the
// seconds since a server's last change.
func normalizeCLI(s string) string {
	s = cliErrDate.ReplaceAllString(s, "captured on [DATE]")
	s = cliStateRow.ReplaceAllString(s, "$1 SECS ")
	return cliPort.ReplaceAllString(s, "- PORT -")
}

func runRuntimeAPI(t *testing.T, start func(cfg, ready string)) []string {
	dir := t.TempDir()
	fe := testenv.FreeLoopbackAddr(t)
	echo := oracletest.EchoServer(t)
	cfg := fmt.Sprintf(`global
    stats socket %[1]s/admin.sock level admin
    stats socket %[1]s/operator.sock level operator
    stats socket %[1]s/user.sock level user
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind %[2]s
    default_backend bk
backend bk
    server s1 %[3]s
    server s2 %[3]s weight 20
`, dir, fe, echo)
	start(cfg, fe)
	testenv.WaitFor(5*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(dir, "user.sock"))
		return err == nil
	})
	var out []string
	for _, st := range runtimeAPISteps {
		c, err := net.Dial("unix", filepath.Join(dir, st.level+".sock"))
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		var got bytes.Buffer
		done := make(chan struct{})
		go func() { io.Copy(&got, c); close(done) }()
		for i, l := range st.send {
			if i > 0 {
				time.Sleep(300 * time.Millisecond) // interactive: one line at a time
			}
			io.WriteString(c, l)
		}
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			c.Close() // a prompt session left open
			<-done
		}
		c.Close()
		out = append(out, normalizeCLI(got.String()))
	}
	return out
}

// TestRuntimeAPIOracle runs the same runtime API exchanges against
// haproxy 2.6 and gohaproxy with the same configuration (one socket per
// level) and compares the answers byte for byte.
func TestRuntimeAPIOracle(t *testing.T) {
	testenv.RequireRoot(t)
	bin := testenv.Binary(t, "gohaproxy")
	var theirs, ours []string
	t.Run("run", func(t *testing.T) {
		t.Run("haproxy", func(t *testing.T) {
			t.Parallel()
			theirs = runRuntimeAPI(t, func(cfg, ready string) { oracletest.HAProxy(t, cfg, ready) })
		})
		t.Run("gohaproxy", func(t *testing.T) {
			t.Parallel()
			ours = runRuntimeAPI(t, func(cfg, ready string) { startGohaproxy(t, bin, cfg, ready) })
		})
	})
	if len(theirs) != len(runtimeAPISteps) || len(ours) != len(runtimeAPISteps) {
		t.Fatal("a run did not finish")
	}
	for i, st := range runtimeAPISteps {
		isHelp := strings.HasPrefix(theirs[i], "Unknown command") || strings.HasPrefix(theirs[i], "The following commands")
		if isHelp && sameHelp(theirs[i], ours[i]) {
			continue
		}
		if theirs[i] != ours[i] {
			t.Errorf("[%s] %q:\nhaproxy:   %q\ngohaproxy: %q", st.level, strings.Join(st.send, ""), theirs[i], ours[i])
		}
	}
}

// TestFDLimitsOracle compares haproxy 2.6's and gohaproxy's file
// descriptor sizing on the same configurations: the computed maxconn,
// maxsock and ulimit-n "show info" reports, and the refusal to start when
// "ulimit-n" asks more than the hard limit allows.
func TestFDLimitsOracle(t *testing.T) {
	testenv.RequireRoot(t)
	bin := testenv.Binary(t, "gohaproxy")
	hap := testenv.Oracle(t, "haproxy")
	echo := oracletest.EchoServer(t)
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	fields := regexp.MustCompile(`(?m)^(Ulimit-n|Maxsock|Maxconn|Hard_maxconn): .*$`)
	info := func(t *testing.T, prog, global string) string {
		dir := t.TempDir()
		fe := testenv.FreeLoopbackAddr(t)
		cfg := fmt.Sprintf("global\n    stats socket %s/s.sock\n%s\ndefaults\n    mode tcp\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nlisten l\n    bind %s\n    server s1 %s check\n", dir, global, fe, echo)
		path := filepath.Join(dir, "h.cfg")
		os.WriteFile(path, []byte(cfg), 0o644)
		out := &lockedBuffer{b: &bytes.Buffer{}}
		cmd := startWithOutput(t, out, prog, "-db", "-f", path)
		sock := filepath.Join(dir, "s.sock")
		var answer string
		testenv.WaitFor(10*time.Second, func() bool {
			c, err := net.Dial("unix", sock)
			if err != nil {
				return false
			}
			defer c.Close()
			io.WriteString(c, "show info\n")
			b, _ := io.ReadAll(c)
			answer = string(b)
			return true
		})
		cmd.Process.Kill()
		return strings.Join(fields.FindAllString(answer, -1), "\n") + out.String()
	}
	for _, global := range []string{"", "    maxconn 1000", "    ulimit-n 4000", "    nbthread 1\n    maxconn 300"} {
		h, o := info(t, hap, global), info(t, bin, global)
		if h != o || h == "" {
			t.Errorf("%q:\nhaproxy:\n%s\ngohaproxy:\n%s", global, h, o)
		}
	}
	if rl.Max > 1<<24 {
		t.Logf("hard file descriptor limit %d: the refusal above it is not exercised", rl.Max)
		return
	}
	// above the hard limit: both refuse to start (unless "no strict-limits")
	fe := testenv.FreeLoopbackAddr(t)
	for _, strict := range []string{"", "    no strict-limits\n"} {
		cfg := fmt.Sprintf("global\n    ulimit-n %d\n%sdefaults\n    mode tcp\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nlisten l\n    bind %s\n    server s1 %s\n", rl.Max+1000, strict, fe, echo)
		path := filepath.Join(t.TempDir(), "h.cfg")
		os.WriteFile(path, []byte(cfg), 0o644)
		run := func(prog string) (string, int) {
			cmd := exec.Command(prog, "-db", "-f", path)
			var b bytes.Buffer
			cmd.Stdout, cmd.Stderr = &b, &b
			cmd.Start()
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(2 * time.Second):
				cmd.Process.Kill()
				<-done
			}
			m := regexp.MustCompile(`\[(ALERT|WARNING)\][^:]*: \[\S+\.main\(\)\] (Cannot raise FD limit.*)`).FindStringSubmatch(b.String())
			if m == nil {
				return "", cmd.ProcessState.ExitCode()
			}
			return m[1] + " " + m[2], cmd.ProcessState.ExitCode()
		}
		hm, hc := run(hap)
		om, oc := run(bin)
		if hm != om || hc != oc || hm == "" {
			t.Errorf("ulimit-n above the hard limit%s:\nhaproxy:   %q exit %d\ngohaproxy: %q exit %d", strict, hm, hc, om, oc)
		}
	}
}
