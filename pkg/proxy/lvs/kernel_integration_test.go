package lvs

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// kernelConf is a virtual server whose real servers have no checker
// (always up), so the IPVS table is fixed: a persistent wlc service with
// a NAT and a DR real server.
const kernelConf = `
global_defs {
    router_id LAB_IPVS
}
virtual_server 10.99.0.1 80 {
    lb_algo wlc
    lb_kind NAT
    protocol TCP
    persistence_timeout 60
    real_server 10.99.1.1 80 {
        weight 2
    }
    real_server 10.99.1.2 80 {
        weight 3
        lvs_method DR
    }
}
`

// ipvsTable is the namespace's /proc/net/ip_vs without its header.
func ipvsTable(t *testing.T, ns *testenv.NetNS) string {
	t.Helper()
	out, err := ns.Command("cat", "/proc/net/ip_vs").CombinedOutput()
	if err != nil {
		t.Fatalf("reading /proc/net/ip_vs in %s: %v\n%s", ns.Name, err, out)
	}
	var rows []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "TCP") || strings.HasPrefix(l, "UDP") || strings.HasPrefix(l, "  ->") || strings.HasPrefix(l, "FWM") {
			rows = append(rows, strings.Join(strings.Fields(l), " "))
		}
	}
	return strings.Join(rows, "\n")
}

// runInNS starts bin (gokeepalived or keepalived) on conf inside ns and
// returns a function that stops it with SIGTERM and waits.
func runInNS(t *testing.T, ns *testenv.NetNS, bin, conf string) (stop func()) {
	t.Helper()
	dir := filepath.Dir(conf)
	out := &syncBuf{}
	name := filepath.Base(bin)
	cmd := ns.Command(bin, "-n", "-l", "-C", "-f", conf, "-p", filepath.Join(dir, name+".pid"), "-c", filepath.Join(dir, name+"-c.pid"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out)
		}
	}
	t.Cleanup(stop)
	return stop
}

// TestKernelIPVS runs gokeepalived and keepalived 2.2.7 on the same
// virtual server, each in its own network namespace (IPVS tables are per
// namespace), and compares the tables they program; at SIGTERM both
// tables empty. It needs a kernel with IPVS.
func TestKernelIPVS(t *testing.T) {
	if _, err := os.Stat("/proc/net/ip_vs"); err != nil {
		t.Skip("kernel has no IPVS (/proc/net/ip_vs missing): the kernel data plane is covered by the netlink unit tests only")
	}
	testenv.RequireRoot(t)
	oracle := testenv.Oracle(t, "keepalived")
	bin := testenv.Binary(t, "gokeepalived")
	dir := t.TempDir()
	conf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(conf, []byte(kernelConf), 0o644); err != nil {
		t.Fatal(err)
	}
	ours, theirs := testenv.NewNetNS(t), testenv.NewNetNS(t)
	want := strings.Join([]string{
		"TCP 0A630001:0050 wlc persistent 60",
		"-> 0A630102:0050 Route 3 0 0",
		"-> 0A630101:0050 Masq 2 0 0",
	}, "\n")
	stopOurs := runInNS(t, ours, bin, conf)
	stopTheirs := runInNS(t, theirs, oracle, conf)
	var got, ref string
	ok := testenv.WaitFor(30*time.Second, func() bool {
		got, ref = ipvsTable(t, ours), ipvsTable(t, theirs)
		return strings.Count(got, "->") == 2 && strings.Count(ref, "->") == 2
	})
	if !ok {
		t.Fatalf("tables not programmed:\ngokeepalived:\n%s\nkeepalived:\n%s", got, ref)
	}
	if got != ref {
		t.Errorf("IPVS tables differ:\ngokeepalived:\n%s\nkeepalived:\n%s", got, ref)
	}
	if ref != want {
		t.Logf("keepalived's table (expected shape %q):\n%s", want, ref)
	}
	stopOurs()
	stopTheirs()
	if got := ipvsTable(t, ours); got != "" {
		t.Errorf("gokeepalived left IPVS entries at shutdown:\n%s", got)
	}
	if ref := ipvsTable(t, theirs); ref != "" {
		t.Logf("keepalived left IPVS entries at shutdown:\n%s", ref)
	}
}
