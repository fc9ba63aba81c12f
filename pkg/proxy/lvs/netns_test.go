package lvs

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// The test binary doubles as a helper process run inside a test's
// network namespace: an HTTPS server whose page is a file
// (LVS_HELPER_HTTPS=addr, LVS_HELPER_FILE=path), or a client printing
// the page of an HTTPS URL (LVS_HELPER_GET=addr).
func TestMain(m *testing.M) {
	switch {
	case os.Getenv("LVS_HELPER_HTTPS") != "":
		helperHTTPS(os.Getenv("LVS_HELPER_HTTPS"), os.Getenv("LVS_HELPER_FILE"))
		return
	case os.Getenv("LVS_HELPER_GET") != "":
		fmt.Print(ask(true, os.Getenv("LVS_HELPER_GET")))
		return
	}
	os.Exit(m.Run())
}

func helperHTTPS(addr, file string) {
	cfg, err := makeCert()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ln, err := tls.Listen("tcp", addr, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("ready")
	for {
		c, err := ln.Accept()
		if err != nil {
			os.Exit(1)
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			br := bufio.NewReader(c)
			for {
				l, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if l == "\r\n" || l == "\n" {
					break
				}
			}
			body, _ := os.ReadFile(file)
			fmt.Fprintf(c, "HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		}()
	}
}

// startHelper runs the test binary as a helper inside ns; it is killed
// when the test ends.
func startHelper(t *testing.T, ns *testenv.NetNS, env ...string) *exec.Cmd {
	t.Helper()
	cmd := ns.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// TestSeedVirtualServerWithVRRP is the seed's keepalived.conf with the
// lab's addresses, run by gokeepalived in a network namespace: a
// vrrp_instance holds the VIP, the seed's virtual_server (SSL_GET with two
// url digests computed by genhash, nb_get_retry, delay_before_retry)
// answers through it, and a page change takes a real server out until the
// page is back.
func TestSeedVirtualServerWithVRRP(t *testing.T) {
	testenv.RequireRoot(t)
	bin := testenv.Binary(t, "gokeepalived")
	ns := testenv.NewNetNS(t, testenv.Iface{Name: "eth0", Addrs: []string{"192.168.99.10/24"}})
	dir := t.TempDir()
	var files []string
	for i, port := range []string{"8443", "8444"} {
		f := filepath.Join(dir, fmt.Sprintf("page%d", i))
		files = append(files, f)
		os.WriteFile(f, []byte(fmt.Sprintf("<html>real server %d</html>\n", i)), 0o644)
		h := startHelper(t, ns, "LVS_HELPER_HTTPS=127.0.0.1:"+port, "LVS_HELPER_FILE="+f)
		out, _ := h.StdoutPipe()
		if err := h.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Process.Kill(); h.Wait() })
		line, _ := bufio.NewReader(out).ReadString('\n')
		if line != "ready\n" {
			t.Fatalf("helper HTTPS server: %q", line)
		}
	}
	digest := func(port, path string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns.Name, "/usr/bin/genhash", "-S", "-s", "127.0.0.1", "-p", port, "-u", path, "-t", "10")
		out, err := cmd.CombinedOutput()
		m := regexp.MustCompile(`(?m)^([0-9a-f]{32})$`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("genhash: %v\n%s", err, out)
		}
		return string(m[1])
	}
	if _, err := os.Stat("/usr/bin/genhash"); err != nil {
		testenv.Unavailable(t, "keepalived's genhash (/usr/bin/genhash) is not installed")
	}
	rsBlock := func(port string) string {
		return fmt.Sprintf(`    real_server 127.0.0.1 %s {
        weight 1
        SSL_GET {
            url {
              path /
              digest %s
            }
            url {
              path /mrtg/
              digest %s
            }
            connect_timeout 3
            nb_get_retry 3
            delay_before_retry 1
        }
    }
`, port, digest(port, "/"), digest(port, "/mrtg/"))
	}
	conf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(conf, []byte(`global_defs {
   router_id LVS_DEVEL
}
vrrp_instance VI_2 {
    state MASTER
    interface eth0
    virtual_router_id 52
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        192.168.99.100
    }
}
virtual_server 192.168.99.100 8899 {
    delay_loop 2
    lb_algo rr
    lb_kind NAT
    persistence_timeout 50
    protocol TCP
`+rsBlock("8443")+rsBlock("8444")+"}\n"), 0o644)
	out := &syncBuf{}
	cmd := exec.Command("ip", "netns", "exec", ns.Name, bin, "-n", "-l", "-f", conf, "-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() || os.Getenv("LVS_DUMP") != "" {
			t.Logf("gokeepalived output:\n%s", out)
		}
	})
	waitLog := func(line string, n int) {
		t.Helper()
		if !testenv.WaitFor(45*time.Second, func() bool { return strings.Count(out.String(), line) >= n }) {
			t.Fatalf("no %q (x%d) in the output:\n%s", line, n, out)
		}
	}
	get := func() string {
		h := startHelper(t, ns, "LVS_HELPER_GET=192.168.99.100:8899")
		b, _ := h.Output()
		return string(b)
	}
	vs := "[192.168.99.100]:tcp:8899"
	waitLog("(VI_2) Entering MASTER STATE", 1)
	waitLog("Remote Web server [127.0.0.1]:tcp:8443 succeed on service.", 1)
	waitLog("Remote Web server [127.0.0.1]:tcp:8444 succeed on service.", 1)
	first := get()
	if !strings.HasPrefix(first, "<html>real server ") {
		t.Fatalf("through the VIP: %q", first)
	}
	// persistence_timeout 50: the client stays on its real server
	if again := get(); again != first {
		t.Fatalf("persistence: %q then %q", first, again)
	}
	// that real server's page changes: it leaves, the client moves
	idx := 0
	if strings.Contains(first, "server 1") {
		idx = 1
	}
	port := []string{"8443", "8444"}[idx]
	os.WriteFile(files[idx], []byte("<html>defaced</html>\n"), 0o644)
	waitLog("HTTP_CHECK on service [127.0.0.1]:tcp:"+port+" failed after 3 retries.", 1)
	waitLog("Removing service [127.0.0.1]:tcp:"+port+" from VS "+vs, 1)
	other := fmt.Sprintf("<html>real server %d</html>\n", 1-idx)
	if got := get(); got != other {
		t.Fatalf("with its server out the client got %q, want %q", got, other)
	}
	os.WriteFile(files[idx], []byte(fmt.Sprintf("<html>real server %d</html>\n", idx)), 0o644)
	waitLog("Adding service [127.0.0.1]:tcp:"+port+" to VS "+vs, 1)
}

// node is one gokeepalived run inside a namespace.
type node struct {
	out    *syncBuf
	cmd    *exec.Cmd
	exited chan struct{}
}

func startNode(t *testing.T, ns *testenv.NetNS, bin, dir, name, conf string) *node {
	t.Helper()
	path := filepath.Join(dir, name+".conf")
	os.WriteFile(path, []byte(conf), 0o644)
	n := &node{out: &syncBuf{}, exited: make(chan struct{})}
	n.cmd = exec.Command("ip", "netns", "exec", ns.Name, bin, "-n", "-l", "-f", path,
		"-p", filepath.Join(dir, name+".pid"), "-r", filepath.Join(dir, name+"-vrrp.pid"), "-c", filepath.Join(dir, name+"-checkers.pid"))
	n.cmd.Stdout, n.cmd.Stderr = n.out, n.out
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { n.cmd.Wait(); close(n.exited) }()
	t.Cleanup(func() {
		n.stop()
		if t.Failed() || os.Getenv("LVS_DUMP") != "" {
			t.Logf("%s output:\n%s", name, n.out)
		}
	})
	return n
}

func (n *node) stop() {
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
	case <-time.After(20 * time.Second):
		n.cmd.Process.Kill()
		<-n.exited
	}
}

func (n *node) wait(t *testing.T, line string) {
	t.Helper()
	if !testenv.WaitFor(45*time.Second, func() bool { return strings.Contains(n.out.String(), line) }) {
		t.Fatalf("no %q in the output:\n%s", line, n.out)
	}
}

// TestVirtualServerFailover: two gokeepalived nodes share a VIP by VRRP,
// each with a real server behind the same virtual_server. The BACKUP's
// forwarder is bound to the VIP before it owns it (IP_FREEBIND); when the
// MASTER stops, the virtual service keeps answering from the new MASTER.
// With ha_suspend, each node checks its real servers only while it holds
// the VIP.
func TestVirtualServerFailover(t *testing.T) {
	testenv.RequireRoot(t)
	if _, err := os.Stat("/usr/bin/genhash"); err != nil {
		testenv.Unavailable(t, "keepalived's genhash (/usr/bin/genhash) is not installed")
	}
	bin := testenv.Binary(t, "gokeepalived")
	nsA := testenv.NewNetNS(t, testenv.Iface{Name: "eth0", Addrs: []string{"192.168.99.11/24"}})
	nsB := testenv.NewNetNS(t)
	for _, args := range [][]string{
		{"-n", nsA.Name, "link", "set", testenv.PeerName(0), "netns", nsB.Name},
		{"-n", nsB.Name, "link", "set", testenv.PeerName(0), "name", "eth0"},
		{"-n", nsB.Name, "addr", "add", "192.168.99.12/24", "dev", "eth0"},
		{"-n", nsB.Name, "link", "set", "eth0", "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}
	dir := t.TempDir()
	confFor := func(ns *testenv.NetNS, name, state string, prio int) string {
		f := filepath.Join(dir, name+".html")
		os.WriteFile(f, []byte("<html>"+name+"</html>\n"), 0o644)
		h := startHelper(t, ns, "LVS_HELPER_HTTPS=127.0.0.1:8443", "LVS_HELPER_FILE="+f)
		out, _ := h.StdoutPipe()
		if err := h.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Process.Kill(); h.Wait() })
		if line, _ := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
			t.Fatalf("helper HTTPS server: %q", line)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		gh, err := exec.CommandContext(ctx, "ip", "netns", "exec", ns.Name, "/usr/bin/genhash", "-S", "-s", "127.0.0.1", "-p", "8443", "-u", "/", "-t", "10").CombinedOutput()
		m := regexp.MustCompile(`(?m)^([0-9a-f]{32})$`).FindSubmatch(gh)
		if m == nil {
			t.Fatalf("genhash: %v\n%s", err, gh)
		}
		return fmt.Sprintf(`global_defs {
    router_id %s
}
vrrp_instance VI_1 {
    state %s
    interface eth0
    virtual_router_id 61
    priority %d
    advert_int 1
    virtual_ipaddress {
        192.168.99.100/24
    }
}
virtual_server 192.168.99.100 8899 {
    delay_loop 1
    ha_suspend
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    real_server 127.0.0.1 8443 {
        weight 2
        SSL_GET {
            url {
                path /
                digest %s
            }
            connect_timeout 2
        }
    }
}
`, name, state, prio, m[1])
	}
	a := startNode(t, nsA, bin, dir, "nodeA", confFor(nsA, "nodeA", "MASTER", 150))
	b := startNode(t, nsB, bin, dir, "nodeB", confFor(nsB, "nodeB", "BACKUP", 100))
	a.wait(t, "(VI_1) Entering MASTER STATE")
	b.wait(t, "(VI_1) Entering BACKUP STATE")
	a.wait(t, "Remote Web server [127.0.0.1]:tcp:8443 succeed on service.")
	// ha_suspend: the BACKUP's checker waits for the VIP
	b.wait(t, "Deactivating healthchecker for service [127.0.0.1]:tcp:8443 for VS [192.168.99.100]:tcp:8899")
	get := func() string {
		h := startHelper(t, nsB, "LVS_HELPER_GET=192.168.99.100:8899")
		out, _ := h.Output()
		return string(out)
	}
	if !testenv.WaitFor(30*time.Second, func() bool { return get() == "<html>nodeA</html>\n" }) {
		t.Fatalf("the VIP on node A never answered; last: %q", get())
	}
	a.stop()
	b.wait(t, "(VI_1) Entering MASTER STATE")
	b.wait(t, "Netlink reflector reports IP 192.168.99.100 added")
	b.wait(t, "Activating healthchecker for service [127.0.0.1]:tcp:8443 for VS [192.168.99.100]:tcp:8899")
	if !testenv.WaitFor(30*time.Second, func() bool { return get() == "<html>nodeB</html>\n" }) {
		t.Fatalf("after failover the VIP on node B never answered; last: %q", get())
	}
}
