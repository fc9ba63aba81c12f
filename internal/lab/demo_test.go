package lab

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestDemoHA is `make demo-ha`: the seed's two nodes running gohaproxy and
// gokeepalived, curl requesting VIP1 from the client every 200 ms while
// the proxy on the master is killed and brought back. It runs only when
// LAB_DEMO=1 and prints as it goes.
func TestDemoHA(t *testing.T) {
	if os.Getenv("LAB_DEMO") != "1" {
		t.Skip("the demo runs from `make demo-ha` (LAB_DEMO=1)")
	}
	say := func(format string, args ...any) { fmt.Printf("demo: "+format+"\n", args...) }
	s := NewSeed(t, Ours(t), Ours(t), SeedOptions{})
	n1, n2 := s.N1, s.N2
	say("lab up: nodes n1=%s n2=%s, backends 10.77.0.21-22:8080, client %s", n1.IP, n2.IP, s.Client.IP)
	say("configuration files (the same ones real haproxy/keepalived run): %s", n1.Dir)
	n1.StartProxy(t)
	n2.StartProxy(t)
	n1.StartVRRP(t)
	n2.StartVRRP(t)
	WaitFor(t, "VIP1 on n1", 15*time.Second, func() bool { return n1.Has(VIP1) && n2.Has(VIP2) })
	say("VIP1 %s is on n1 (MASTER of VI_1), VIP2 %s on n2", VIP1, VIP2)

	curl := exec.Command("ip", "netns", "exec", s.Client.NS, "sh", "-c",
		fmt.Sprintf("while :; do printf '%%s  ' \"$(date +%%T.%%N | cut -c1-12)\"; curl -s -m 1 http://%s/ || echo '(no answer)'; sleep 0.2; done", VIP1))
	curl.Stdout, curl.Stderr = os.Stdout, os.Stderr
	curl.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := curl.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { syscall.Kill(-curl.Process.Pid, syscall.SIGKILL); curl.Wait() }()
	say("curl http://%s/ from the client every 200 ms: each answer names the backend and the proxy node (10.77.0.11 = n1, .12 = n2)", VIP1)
	time.Sleep(3 * time.Second)

	say("killing gohaproxy on n1 (kill -9 %d): its check script fails, VI_1's priority drops, n2 takes VIP1", n1.Proxy.Pid)
	n1.Proxy.Stop(syscall.SIGKILL, time.Second)
	d := WaitFor(t, "VIP1 on n2", 20*time.Second, func() bool { return n2.Has(VIP1) })
	say("VIP1 moved to n2 after %v", d.Round(10*time.Millisecond))
	time.Sleep(3 * time.Second)

	say("starting gohaproxy on n1 again: the check recovers and n1 preempts VIP1 back")
	n1.StartProxy(t)
	d = WaitFor(t, "VIP1 back on n1", 20*time.Second, func() bool { return n1.Has(VIP1) && !n2.Has(VIP1) })
	say("VIP1 back on n1 after %v", d.Round(10*time.Millisecond))
	time.Sleep(3 * time.Second)
	say("done; everything the demo started is being removed")
}
