package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// holdServer accepts connections and keeps them open until the client
// closes or the test ends.
func holdServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() {
				io.Copy(io.Discard, c)
				c.Close()
			}()
		}
	}()
	return ln.Addr().String()
}

// agentStatFields asks the stats socket for "show stat" and returns the scur
// and qcur fields of the row be/sv.
func agentStatFields(t *testing.T, sock, be, sv string) (scur, qcur string) {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "show stat\n")
	out, _ := io.ReadAll(c)
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	var names []string
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "# ") {
			names = strings.Split(strings.TrimPrefix(l, "# "), ",")
			continue
		}
		f := strings.Split(l, ",")
		if len(f) < 2 || f[0] != be || f[1] != sv {
			continue
		}
		for i, n := range names {
			if i >= len(f) {
				break
			}
			switch n {
			case "scur":
				scur = f[i]
			case "qcur":
				qcur = f[i]
			}
		}
	}
	return scur, qcur
}

// TestAgentMaxconnLikeHaproxy has an agent set a server's maxconn to 1
// with "maxconn:1": of three client connections, one reaches the server
// and two wait in the backend's queue, in haproxy and in gohaproxy;
// "maxconn:2" then lets one more through.
func TestAgentMaxconnLikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	srv := holdServer(t)
	agent := newAgentServer(t)
	agent.reply.Store("up maxconn:1\n")
	_, aport, _ := net.SplitHostPort(agent.addr)
	dir := t.TempDir()
	got := map[string]string{}
	for _, p := range []struct{ name, bin string }{{"haproxy", oracle}, {"gohaproxy", ours}} {
		agent.reply.Store("up maxconn:1\n")
		port := freePort(t)
		sock := filepath.Join(dir, p.name+".sock")
		cfg := filepath.Join(dir, p.name+".cfg")
		text := fmt.Sprintf("global\n  nbthread 1\n  stats socket %s level admin\ndefaults\n  mode tcp\n  timeout connect 1s\n  timeout client 20s\n  timeout server 20s\n  timeout queue 20s\n"+
			"backend pool\n  server s1 %s check inter 200ms agent-check agent-port %s agent-inter 200ms\n"+
			"frontend fe\n  bind 127.0.0.1:%d\n  default_backend pool\n", sock, srv, aport, port)
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		startLogged(t, p.bin, "-db", "-f", cfg)
		waitListening(t, fmt.Sprintf("127.0.0.1:%d", port))
		// several agent replies have come by now
		time.Sleep(1500 * time.Millisecond)
		var clients []net.Conn
		for i := 0; i < 3; i++ {
			c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			clients = append(clients, c)
		}
		counts := func() string {
			scur, _ := agentStatFields(t, sock, "pool", "s1")
			_, qcur := agentStatFields(t, sock, "pool", "BACKEND")
			return "s1 scur=" + scur + " queued=" + qcur
		}
		var res string
		testenv.WaitFor(10*time.Second, func() bool {
			res = counts()
			return res == "s1 scur=1 queued=2"
		})
		agent.reply.Store("up maxconn:2\n")
		next := ""
		testenv.WaitFor(10*time.Second, func() bool {
			next = counts()
			return next == "s1 scur=2 queued=1"
		})
		res += " / " + next
		got[p.name] = res
		for _, c := range clients {
			c.Close()
		}
	}
	want := "s1 scur=1 queued=2 / s1 scur=2 queued=1"
	if got["haproxy"] != want || got["gohaproxy"] != got["haproxy"] {
		t.Errorf("agent maxconn: haproxy %q, gohaproxy %q (want %q)", got["haproxy"], got["gohaproxy"], want)
	} else {
		t.Logf("both: %s", want)
	}
}
