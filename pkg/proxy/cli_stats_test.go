package proxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logsink/oracletest"
)

func askCLI(t *testing.T, sock, cmd string) string {
	t.Helper()
	c, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte(cmd + "\n"))
	b, _ := io.ReadAll(c)
	return string(b)
}

// statColumns keeps the named columns of each "show stat" line.
func statColumns(csv string, names ...string) string {
	lines := strings.Split(csv, "\n")
	hdr := strings.Split(strings.TrimPrefix(lines[0], "# "), ",")
	var out []string
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		var row []string
		for _, n := range names {
			for i, h := range hdr {
				if h == n && i < len(f) {
					row = append(row, f[i])
				}
			}
		}
		out = append(out, strings.Join(row, ","))
	}
	return strings.Join(out, "\n")
}

// TestCLIShowStatBesideHAProxy serves the same configuration with our run
// time and with haproxy 2.6, and compares their stats sockets' answers:
// the same "show stat" header, rows, ids, states, weights and session
// counts, and the same "show info" fields.
func TestCLIShowStatBesideHAProxy(t *testing.T) {
	testenv.RequireRoot(t)
	echo := oracletest.EchoServer(t)
	dir := t.TempDir()
	config := func(sock, fe string) string {
		return fmt.Sprintf(`global
    stats socket %s level admin
    maxconn 500
defaults
    mode tcp
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend fe
    bind %s
    default_backend be
backend be
    server s1 %s
    server s2 127.0.0.1:1 backup
    server s3 127.0.0.1:1 weight 0
`, sock, fe, echo)
	}
	ourSock, theirSock := filepath.Join(dir, "ours.sock"), filepath.Join(dir, "theirs.sock")
	ourFE, theirFE := testenv.FreeLoopbackAddr(t), testenv.FreeLoopbackAddr(t)
	oracletest.HAProxy(t, config(theirSock, theirFE), "")
	cfg := load(t, config(ourSock, ourFE))
	rt, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Listen(nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rt.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); rt.HardStop(); <-done })
	if !testenv.WaitFor(15*time.Second, func() bool {
		c, err := net.Dial("unix", theirSock)
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		t.Fatal("haproxy's stats socket does not answer")
	}
	// One session left open through each, so that scur counts it.
	for _, a := range []string{ourFE, theirFE} {
		c, err := net.Dial("tcp", a)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte("x"))
		io.ReadFull(c, make([]byte, 1))
	}
	ours, theirs := askCLI(t, ourSock, "show stat"), askCLI(t, theirSock, "show stat")
	if o, h := strings.SplitN(ours, "\n", 2)[0], strings.SplitN(theirs, "\n", 2)[0]; o != h {
		t.Errorf("show stat header:\nhaproxy: %s\nours:    %s", h, o)
	}
	cols := []string{"pxname", "svname", "scur", "slim", "status", "weight", "act", "bck", "pid", "iid", "sid", "type", "addr", "mode", "algo", "uweight"}
	if o, h := statColumns(ours, cols...), statColumns(theirs, cols...); o != h {
		t.Errorf("show stat (%s):\nhaproxy:\n%s\nours:\n%s", strings.Join(cols, ","), h, o)
	}
	names := func(info string) string {
		var n []string
		for _, l := range strings.Split(info, "\n") {
			if i := strings.Index(l, ": "); i > 0 {
				n = append(n, l[:i])
			}
		}
		return strings.Join(n, ",")
	}
	if o, h := names(askCLI(t, ourSock, "show info")), names(askCLI(t, theirSock, "show info")); o != h {
		t.Errorf("show info fields:\nhaproxy: %s\nours:    %s", h, o)
	}
	if got := askCLI(t, ourSock, "show stat 2 1 -1"); !strings.HasPrefix(got, "# pxname") || strings.Count(got, "\n") != 3 {
		t.Errorf("show stat 2 1 -1: %q", got)
	}
	if got := askCLI(t, ourSock, "help"); !strings.Contains(got, "show stat") {
		t.Errorf("help: %q", got)
	}
}
