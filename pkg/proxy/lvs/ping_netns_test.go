package lvs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// TestPingCheckInNamespace runs gokeepalived with a PING_CHECK in a
// network namespace of its own (whose ping_group_range forbids ping
// sockets, so the raw socket is used): the real server's address
// answers, is removed (the echo times out and the real server leaves
// the pool after its retry) and comes back.
func TestPingCheckInNamespace(t *testing.T) {
	testenv.RequireRoot(t)
	bin := testenv.Binary(t, "gokeepalived")
	ns := testenv.NewNetNS(t, testenv.Iface{Name: "eth0", Addrs: []string{"192.168.99.10/24", "192.168.99.20/24", "fd00:99::20/64"}})
	dir := t.TempDir()
	conf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(conf, []byte(`virtual_server 192.168.99.100 8899 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 192.168.99.20 80 {
        PING_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
            warmup 0
            log_all_failures
        }
    }
    real_server fd00:99::20 80 {
        PING_CHECK {
            connect_timeout 1
            retry 0
            warmup 0
        }
    }
}
`), 0o644)
	out := &syncBuf{}
	cmd := exec.Command("ip", "netns", "exec", ns.Name, bin, "-n", "-l", "-C", "-f", conf, "-p", filepath.Join(dir, "k.pid"), "-c", filepath.Join(dir, "c.pid"))
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
	ip := func(args ...string) {
		t.Helper()
		if b, err := exec.Command("ip", append([]string{"-n", ns.Name}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, b)
		}
	}
	rs, vs := "[192.168.99.20]:tcp:80", "[192.168.99.100]:tcp:8899"
	waitLog("Activating healthchecker for service "+rs+" for VS "+vs, 1)
	waitLog("ICMP connection to "+rs+" success.", 1)
	ip("addr", "del", "192.168.99.20/24", "dev", "eth0")
	waitLog("ICMP connection to address "+rs+" timeout.", 2)
	waitLog("ICMP CHECK on service "+rs+" of "+vs+" failed after 1 retries.", 1)
	waitLog("Removing service "+rs+" from VS "+vs, 1)
	ip("addr", "add", "192.168.99.20/24", "dev", "eth0")
	waitLog("ICMP connection to "+rs+" success.", 2)
	waitLog("Adding service "+rs+" to VS "+vs, 1)
	// ICMPv6 echo
	rs6 := "[fd00:99::20]:tcp:80"
	waitLog("ICMP connection to "+rs6+" success.", 1)
	ip("addr", "del", "fd00:99::20/64", "dev", "eth0")
	// the prefix route went with the address: the send fails at once
	waitLog("send ICMPv6 packet fail - errno 101", 1)
	waitLog("ICMP CHECK on service "+rs6+" failed.", 1)
	waitLog("Removing service "+rs6+" from VS "+vs, 1)
}
