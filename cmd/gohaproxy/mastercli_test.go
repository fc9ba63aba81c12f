package main

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// masterCommand sends cmd to the master CLI at path and returns the
// whole answer.
func masterCommand(t *testing.T, path, cmd string) string {
	t.Helper()
	var c net.Conn
	var err error
	for i := 0; i < 100; i++ {
		if c, err = net.Dial("unix", path); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("master CLI %s: %v", path, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, cmd+"\n")
	c.(*net.UnixConn).CloseWrite()
	out, _ := io.ReadAll(c)
	return string(out)
}

var (
	procLine   = regexp.MustCompile(`(?m)^(\d+)(\s+)(master|worker)(\s+)(.*?)(\s+)\dd\d\dh\d\dm\d\ds(\s+)(\S+)`)
	pidInError = regexp.MustCompile(`@!\d+`)
)

// maskProc replaces PIDs, uptimes and versions by placeholders of the
// same column layout, and returns the PIDs seen.
func maskProc(s string) (string, []int) {
	var pids []int
	for _, m := range procLine.FindAllStringSubmatch(s, -1) {
		n, _ := strconv.Atoi(m[1])
		pids = append(pids, n)
	}
	masked := procLine.ReplaceAllStringFunc(s, func(l string) string {
		m := procLine.FindStringSubmatch(l)
		pad := func(v string) string { return v + strings.Repeat(" ", max(0, 16-len(v))) }
		return pad("PID") + pad(m[3]) + pad(m[5]) + pad("UPTIME") + "VERSION"
	})
	return regexp.MustCompile(` +\n`).ReplaceAllString(masked, "\n"), pids
}

// TestMasterCLILikeHaproxy: "show proc", "reload" and the @ prefixes at
// the master CLI (-S) answer as haproxy's.
func TestMasterCLILikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	res := map[string][]string{}
	for _, p := range []struct{ name, bin string }{{"haproxy", oracle}, {"gohaproxy", ours}} {
		dir := t.TempDir()
		sock := filepath.Join(dir, "master.sock")
		cfg := filepath.Join(dir, "h.cfg")
		port := freePort(t)
		os.WriteFile(cfg, []byte("global\n  nbthread 1\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 5s\n  timeout server 5s\n"+
			"listen q\n  bind 127.0.0.1:"+strconv.Itoa(port)+"\n  server s1 127.0.0.1:9\n"), 0o644)
		startProxy(t, p.bin, "-W", "-db", "-S", sock+",mode,600", "-f", cfg)
		// Right after start, haproxy's master may answer before its worker
		// has registered (an empty list under load): ask until both show.
		var out1 string
		var pids1 []int
		for i := 0; i < 100; i++ {
			if out1, pids1 = maskProc(masterCommand(t, sock, "show proc")); len(pids1) == 2 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if st, err := os.Stat(sock); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: socket mode %v (%v), want 0600", p.name, st.Mode().Perm(), err)
		}
		bad := pidInError.ReplaceAllString(masterCommand(t, sock, "@!999999 show info"), "@!N")
		rl := masterCommand(t, sock, "reload")
		var out2 string
		var pids2 []int
		for i := 0; i < 100; i++ {
			time.Sleep(100 * time.Millisecond)
			out2, pids2 = maskProc(masterCommand(t, sock, "show proc"))
			if strings.Contains(out2, "1 [failed: 0]") && !strings.Contains(out2, "# old workers") {
				break
			}
		}
		if len(pids1) != 2 || len(pids2) != 2 || pids1[0] != pids2[0] || pids1[1] == pids2[1] {
			t.Errorf("%s: pids before %v after %v: want the same master and a new worker", p.name, pids1, pids2)
		}
		res[p.name] = []string{out1, bad, rl, out2}
	}
	t.Logf("haproxy: %q", res["haproxy"])
	for i, what := range []string{"show proc", "unknown @!PID", "reload", "show proc after reload"} {
		if res["haproxy"][i] != res["gohaproxy"][i] {
			t.Errorf("%s differs:\nhaproxy:\n%s\ngohaproxy:\n%s", what, res["haproxy"][i], res["gohaproxy"][i])
		}
	}
}

func TestUptimeText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		3 * time.Second:              "0d00h00m03s",
		(26*3600 + 61) * time.Second: "1d02h01m01s",
	} {
		if got := uptimeText(d); got != want {
			t.Errorf("%v: %s, want %s", d, got, want)
		}
	}
}
