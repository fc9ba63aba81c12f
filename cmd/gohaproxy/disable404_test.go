package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// statusServer answers every HTTP request with the status line it holds.
func statusServer(t *testing.T, status *atomic.Value) string {
	t.Helper()
	return headAnswerServer(t, func() string {
		return fmt.Sprintf("HTTP/1.0 %s\r\nContent-Length: 0\r\n\r\n", status.Load().(string))
	})
}

// serverStatus returns the "status" field of "show stat" for be/sv.
func serverStatus(t *testing.T, sock, be, sv string) string {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		return "no socket: " + err.Error()
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "show stat\n")
	out, _ := io.ReadAll(c)
	var names []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "# ") {
			names = strings.Split(strings.TrimPrefix(l, "# "), ",")
			continue
		}
		f := strings.Split(l, ",")
		if len(f) > 2 && f[0] == be && f[1] == sv {
			for i, n := range names {
				if n == "status" && i < len(f) {
					return f[i]
				}
			}
		}
	}
	return ""
}

// TestDisableOn404LikeHaproxy drives servers of backends with "http-check
// disable-on-404" through 404 (stopping, NOLB), 200 (back up), 503 (down),
// 404 while down (stays down) and 200, and requires haproxy's lines and
// stats status.
func TestDisableOn404LikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	var status, steady atomic.Value
	status.Store("200 OK")
	steady.Store("200 OK")
	srv := statusServer(t, &status)
	bck := statusServer(t, &steady)
	dir := t.TempDir()
	type proc struct {
		name, sock string
		log        *logBuf
	}
	var procs []*proc
	for _, p := range []struct{ name, bin string }{{"haproxy", oracle}, {"gohaproxy", ours}} {
		port := freePort(t)
		sock := filepath.Join(dir, p.name+".sock")
		cfg := filepath.Join(dir, p.name+".cfg")
		text := fmt.Sprintf("global\n  nbthread 1\n  stats socket %s level admin\ndefaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n  timeout check 1s\n"+
			"backend b1\n  option httpchk\n  http-check disable-on-404\n  server s1 %s check inter 200ms\n"+
			"backend b2\n  option httpchk GET /health\n  http-check disable-on-404\n  http-check expect status 200\n  server s2 %[2]s check inter 200ms\n  server s3 %s check inter 200ms backup\n"+
			"frontend fe\n  bind 127.0.0.1:%d\n  default_backend b1\n", sock, srv, bck, port)
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		log := startLogged(t, p.bin, "-db", "-f", cfg)
		waitListening(t, fmt.Sprintf("127.0.0.1:%d", port))
		procs = append(procs, &proc{p.name, sock, log})
	}
	time.Sleep(time.Second)
	lines := 0
	statuses := map[string][]string{}
	for _, step := range []struct {
		status string
		n      int // state lines the step makes
	}{
		{"404 Not Found", 3}, // two servers stopping, b1 has no server left
		{"200 OK", 2},
		{"503 Service Unavailable", 3},
		{"404 Not Found", 0},
		{"200 OK", 2},
	} {
		status.Store(step.status)
		lines += step.n
		for _, p := range procs {
			if step.n == 0 {
				time.Sleep(1500 * time.Millisecond)
			}
			if !testenv.WaitFor(10*time.Second, func() bool { return len(p.log.stateLines()) >= lines }) {
				t.Fatalf("%s: no state change after %q:\n%s", p.name, step.status, strings.Join(p.log.stateLines(), "\n"))
			}
			time.Sleep(300 * time.Millisecond)
			statuses[p.name] = append(statuses[p.name], step.status+": "+serverStatus(t, p.sock, "b1", "s1")+" "+serverStatus(t, p.sock, "b2", "s2"))
		}
	}
	want, got := procs[0].log.stateLines(), procs[1].log.stateLines()
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Errorf("state lines differ\nhaproxy:\n%s\ngohaproxy:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
	ws, gs := strings.Join(statuses["haproxy"], "\n"), strings.Join(statuses["gohaproxy"], "\n")
	if ws != gs {
		t.Errorf("stats status differs\nhaproxy:\n%s\ngohaproxy:\n%s", ws, gs)
	}
	if !t.Failed() {
		t.Logf("same lines:\n%s\nsame statuses:\n%s", strings.Join(got, "\n"), gs)
	}
}
