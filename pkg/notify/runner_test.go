package notify

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

func TestSplitCommand(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"/bin/notify.sh", []string{"/bin/notify.sh"}},
		{"  /a/b  x\ty ", []string{"/a/b", "x", "y"}},
		{`/s 'a b' "c d" e\ f`, []string{"/s", "a b", "c d", "e f"}},
		{`/s "a \"q\" b" 'it''s'`, []string{"/s", `a "q" b`, "its"}},
		{`/s ''`, []string{"/s", ""}},
		{`/s a"b c"d`, []string{"/s", "ab cd"}},
	}
	for _, c := range cases {
		got, err := SplitCommand(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("SplitCommand(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "   ", `/s 'open`, `/s "open`} {
		if _, err := SplitCommand(bad); err == nil {
			t.Errorf("SplitCommand(%q) accepted", bad)
		}
	}
}

func FuzzSplitCommand(f *testing.F) {
	for _, s := range []string{`/s 'a b' "c\"d" e\ f`, `"`, `'`, `\`, "a\tb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitCommand(s)
		if err == nil && len(words) == 0 {
			t.Fatal("no words and no error")
		}
	})
}

func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

type results struct {
	mu  sync.Mutex
	all []RunResult
}

func (r *results) add(x RunResult) { r.mu.Lock(); r.all = append(r.all, x); r.mu.Unlock() }
func (r *results) get() []RunResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]RunResult(nil), r.all...)
}

func newRunner(t *testing.T, cfg RunnerConfig) (*Runner, *results) {
	t.Helper()
	res := &results{}
	cfg.OnResult = res.add
	r := NewRunner(context.Background(), cfg)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Close(ctx)
	})
	return r, res
}

func TestRunnerKeepalivedArgs(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	s := writeScript(t, dir, "notify.sh", `printf '%s|' "$@" > "`+out+`.tmp"; printf 'IFS=%s' "${IFS+set}" >> "`+out+`.tmp"; mv "`+out+`.tmp" "`+out+`"`+"\n")
	argv, err := SplitCommand(s + " 'first arg'")
	if err != nil {
		t.Fatal(err)
	}
	log, logs := observed()
	r, res := newRunner(t, RunnerConfig{Logger: log})
	t.Setenv("IFS", ":")
	if err := r.Run(Script{Argv: argv}, NotifyArgs("INSTANCE", "VI_1", Master, 100)...); err != nil {
		t.Fatal(err)
	}
	if !testenv.WaitFor(30*time.Second, func() bool { return len(res.get()) == 1 }) {
		t.Fatal("script did not finish")
	}
	got, _ := os.ReadFile(out)
	// IFS is removed from the environment as keepalived does (the shell
	// then sets its default, unexported).
	if string(got) != "first arg|INSTANCE|VI_1|MASTER|100|IFS=set" && string(got) != "first arg|INSTANCE|VI_1|MASTER|100|IFS=" {
		t.Errorf("script got %q", got)
	}
	if rr := res.get()[0]; rr.ExitCode != 0 || rr.Err != nil || rr.TimedOut {
		t.Errorf("result %+v", rr)
	}
	if logs.FilterLevelExact(zapcore.ErrorLevel).Len()+logs.FilterLevelExact(zapcore.WarnLevel).Len() != 0 {
		t.Errorf("unexpected logs %v", logs.All())
	}
}

func TestRunnerExitStatusLogged(t *testing.T) {
	dir := t.TempDir()
	s := writeScript(t, dir, "fail.sh", "exit 3\n")
	log, logs := observed()
	r, res := newRunner(t, RunnerConfig{Logger: log})
	r.Run(Script{Argv: []string{s}})
	r.Run(Script{Argv: []string{filepath.Join(dir, "missing.sh")}})
	if !testenv.WaitFor(30*time.Second, func() bool { return len(res.get()) == 2 }) {
		t.Fatal("scripts did not finish")
	}
	if logs.FilterMessage("notify script exited with an error status").Len() != 1 {
		t.Errorf("exit status not logged: %v", logs.All())
	}
	if logs.FilterMessage("notify script could not be run").Len() != 1 {
		t.Errorf("start failure not logged: %v", logs.All())
	}
}

func TestRunnerTimeoutKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	// The script starts a child that would outlive it, then hangs.
	s := writeScript(t, dir, "hang.sh", "sleep 300 &\necho $! > "+pidFile+"\nwait\n")
	log, logs := observed()
	r, res := newRunner(t, RunnerConfig{Logger: log, Timeout: 300 * time.Millisecond, KillGrace: 200 * time.Millisecond})
	start := time.Now()
	if err := r.Run(Script{Argv: []string{s}}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Run blocked %v", d)
	}
	if !testenv.WaitFor(30*time.Second, func() bool { return len(res.get()) == 1 }) {
		t.Fatal("script was not killed")
	}
	if rr := res.get()[0]; !rr.TimedOut {
		t.Errorf("result %+v", rr)
	}
	if logs.FilterMessageSnippet("timed out").Len() != 1 {
		t.Errorf("timeout not logged: %v", logs.All())
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if !testenv.WaitFor(10*time.Second, func() bool {
		// Gone, or a zombie waiting for init to reap it.
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		return strings.Contains(string(st), ") Z ")
	}) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("the script's child %d survived the timeout", pid)
	}
}

func TestRunnerQueueFull(t *testing.T) {
	dir := t.TempDir()
	s := writeScript(t, dir, "slow.sh", "sleep 2\n")
	log, logs := observed()
	r, _ := newRunner(t, RunnerConfig{Logger: log, MaxConcurrent: 1, QueueSize: 1, Timeout: 10 * time.Second})
	var full int
	start := time.Now()
	for i := 0; i < 6; i++ {
		if errors.Is(r.Run(Script{Argv: []string{s}}), ErrRunQueueFull) {
			full++
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Run blocked %v", d)
	}
	if full < 4 {
		t.Errorf("%d runs refused, want >= 4", full)
	}
	if n := logs.FilterMessageSnippet("too many scripts waiting").Len(); n != full {
		t.Errorf("%d drops logged, want %d", n, full)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := r.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v", err)
	}
	if !errors.Is(r.Run(Script{Argv: []string{s}}), ErrRunnerClosed) {
		t.Error("Run after Close accepted")
	}
}

func TestRunnerAsUser(t *testing.T) {
	testenv.RequireRoot(t)
	nobody, err := LookupUser("nobody", "")
	if err != nil {
		testenv.Unavailable(t, "no user nobody: "+err.Error())
	}
	dir := t.TempDir()
	// nobody must reach the script: open the test's directories.
	os.Chmod(filepath.Dir(dir), 0o755)
	os.Chmod(dir, 0o755)
	outDir := filepath.Join(dir, "out")
	os.Mkdir(outDir, 0o777)
	os.Chmod(outDir, 0o777)
	s := writeScript(t, dir, "id.sh", "id -u > "+outDir+"/uid; id -g > "+outDir+"/gid\n")
	r, res := newRunner(t, RunnerConfig{})
	r.Run(Script{Argv: []string{s}, User: &nobody})
	if !testenv.WaitFor(30*time.Second, func() bool { return len(res.get()) == 1 }) {
		t.Fatal("script did not finish")
	}
	uid, _ := os.ReadFile(filepath.Join(outDir, "uid"))
	gid, _ := os.ReadFile(filepath.Join(outDir, "gid"))
	if strings.TrimSpace(string(uid)) != strconv.Itoa(int(nobody.UID)) || strings.TrimSpace(string(gid)) != strconv.Itoa(int(nobody.GID)) {
		t.Errorf("ran as %q:%q, want %d:%d (%+v)", uid, gid, nobody.UID, nobody.GID, res.get())
	}
}

func TestLookupUser(t *testing.T) {
	if _, err := LookupUser("no_such_user_xq", ""); err == nil || err.Error() != "Script user 'no_such_user_xq' does not exist" {
		t.Errorf("err = %v", err)
	}
	if _, err := LookupUser("root", "no_such_group_xq"); err == nil || err.Error() != "Script group 'no_such_group_xq' does not exist" {
		t.Errorf("err = %v", err)
	}
	root, err := LookupUser("root", "")
	if err != nil || root.UID != 0 || root.GID != 0 {
		t.Errorf("root = %+v, %v", root, err)
	}
}

func TestCheckScript(t *testing.T) {
	testenv.RequireRoot(t)
	nobody, err := LookupUser("nobody", "")
	if err != nil {
		testenv.Unavailable(t, "no user nobody")
	}
	root := UserID{}
	base := t.TempDir() // root-owned 0700 under the sticky /tmp
	os.Chmod(base, 0o755)
	good := writeScript(t, base, "good.sh", "exit 0\n")
	noexec := filepath.Join(base, "noexec.sh")
	os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644)
	open := filepath.Join(base, "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777)
	inOpen := writeScript(t, open, "s.sh", "exit 0\n")
	sticky := filepath.Join(base, "sticky")
	os.Mkdir(sticky, 0o777)
	os.Chmod(sticky, 0o777|os.ModeSticky)
	inSticky := writeScript(t, sticky, "s.sh", "exit 0\n")
	owned := writeScript(t, base, "owned.sh", "exit 0\n")
	os.Chown(owned, int(nobody.UID), int(nobody.GID))
	link := filepath.Join(base, "link.sh")
	os.Symlink(inOpen, link)

	cases := []struct {
		name     string
		argv     []string
		id       UserID
		security bool
		verdict  Verdict
		msgs     []string
	}{
		{"good", []string{good, "arg"}, root, true, Secure, nil},
		{"missing", []string{base + "/missing.sh"}, root, true, Refused,
			[]string{"Script " + base + "/missing.sh cannot be accessed - No such file or directory"}},
		{"not executable", []string{noexec}, root, true, Refused,
			[]string{"WARNING - script '" + noexec + "' is not executable for uid:gid 0:0 - disabling."}},
		{"world-writable dir", []string{inOpen}, root, true, Refused,
			[]string{"Unsafe permissions found for script '" + inOpen + "' - disabling."}},
		{"world-writable dir, no security", []string{inOpen}, root, false, Insecure,
			[]string{"Unsafe permissions found for script '" + inOpen + "'."}},
		{"sticky dir", []string{inSticky}, root, true, Secure, nil},
		{"owner not root", []string{owned}, root, true, Refused,
			[]string{"Unsafe permissions found for script '" + owned + "' - disabling."}},
		{"symlink into unsafe dir", []string{link}, root, true, Refused,
			[]string{"Unsafe permissions found for script '" + inOpen + "' - disabling."}},
		{"unsafe but run as nobody", []string{inOpen}, nobody, true, Secure, nil},
		{"path search", []string{"true"}, root, true, Secure, nil},
		{"path search fails", []string{"no-such-cmd-xq"}, root, true, Refused,
			[]string{"Cannot find script no-such-cmd-xq in path - disabling"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := CheckScript(c.argv, c.id, c.security)
			if got.Verdict != c.verdict {
				t.Errorf("verdict %v, want %v (%q)", got.Verdict, c.verdict, got.Messages)
			}
			if c.name == "path search" {
				if !strings.HasPrefix(got.Messages[0], "WARNING - script `true` resolved by path search to `") || !strings.HasSuffix(got.Argv[0], "/true") {
					t.Errorf("%q %q", got.Messages, got.Argv)
				}
				return
			}
			if !reflect.DeepEqual(got.Messages, c.msgs) {
				t.Errorf("messages %q\n want %q", got.Messages, c.msgs)
			}
		})
	}
}

func TestHAProxyExternalCheck(t *testing.T) {
	h := HAProxyExternalCheck{ProxyName: "be", ProxyID: 3, ServerAddr: "10.0.0.2", ServerPort: "80", ServerName: "s1", ServerID: 1}
	if got := h.Args(); !reflect.DeepEqual(got, []string{"NOT_USED", "NOT_USED", "10.0.0.2", "80"}) {
		t.Errorf("args %q", got)
	}
	env := strings.Join(h.Env(), " ")
	for _, want := range []string{"HAPROXY_PROXY_ADDR= ", "HAPROXY_PROXY_NAME=be", "HAPROXY_SERVER_SSL=0", "HAPROXY_SERVER_PROTO=tcp", "HAPROXY_PROXY_ID=3"} {
		if !strings.Contains(env, want) {
			t.Errorf("env %q lacks %q", env, want)
		}
	}
}
