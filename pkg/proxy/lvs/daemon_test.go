package lvs

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// syncBuf is a bytes.Buffer safe for a writing process and a reading test.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDaemonVirtualServer runs the gokeepalived binary on a configuration
// with a virtual_server (no vrrp_instance): the data plane choice is
// logged, the virtual service answers, and a real server going down sends
// keepalived's smtp_alert to a real SMTP server process.
func TestDaemonVirtualServer(t *testing.T) {
	bin := testenv.Binary(t, "gokeepalived")
	smtpAddr, msgs := testenv.StartSMTP(t)
	smtpHost, smtpPort, _ := net.SplitHostPort(smtpAddr)
	a := startRealServer(t, false, "A")
	b := startRealServer(t, false, "B")
	da := genhashDigest(t, false, a.addr, "/")
	vip := testenv.FreeLoopbackAddr(t)
	vhost, vport, _ := net.SplitHostPort(vip)
	dir := t.TempDir()
	conf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf(`
global_defs {
    router_id LAB_VS
    notification_email {
        ops@example.test
    }
    notification_email_from lb@example.test
    smtp_server %s %s
    smtp_connect_timeout 10
}
virtual_server %s %s {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 127.0.0.1 %s {
        weight 1
        smtp_alert
        HTTP_GET {
            url {
                path /
                digest %s
            }
            connect_timeout 1
            retry 0
        }
    }
    real_server 127.0.0.1 %s {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
`, smtpHost, smtpPort, vhost, vport, a.port(), da, b.port())), 0o644)
	out := &syncBuf{}
	cmd := exec.Command(bin, "-n", "-l", "-f", conf, "-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid"))
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
		if t.Failed() {
			t.Logf("gokeepalived output:\n%s", out)
		}
	})
	waitLog := func(line string) {
		t.Helper()
		if !testenv.WaitFor(30*time.Second, func() bool { return strings.Contains(out.String(), line) }) {
			t.Fatalf("no %q in the output:\n%s", line, out)
		}
	}
	vs := fmt.Sprintf("[%s]:tcp:%s", vhost, vport)
	ra := "[127.0.0.1]:tcp:" + a.port()
	waitLog("Using the userspace forwarder for virtual servers (")
	waitLog(fmt.Sprintf("Activating healthchecker for service %s for VS %s", ra, vs))
	waitLog(fmt.Sprintf("Remote Web server %s succeed on service.", ra))
	if got := seen(false, vip, 4); got["A"] != 2 || got["B"] != 2 {
		t.Fatalf("through the virtual service: %v", got)
	}
	a.page.Store("changed")
	waitLog(fmt.Sprintf("HTTP_CHECK on service %s failed.", ra))
	waitLog(fmt.Sprintf("Removing service %s from VS %s", ra, vs))
	if !testenv.WaitFor(30*time.Second, func() bool { return len(msgs()) > 0 }) {
		t.Fatalf("no smtp_alert arrived; output:\n%s", out)
	}
	m := msgs()[0]
	if os.Getenv("LVS_DUMP") != "" {
		t.Logf("mail:\n%s\noutput:\n%s", m, out)
	}
	for _, want := range []string{
		"Subject: [LAB_VS] Realserver " + ra + " of virtual server " + vs + " - DOWN",
		"=> CHECK failed on service : HTTP request failed <=",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("mail lacks %q:\n%s", want, m)
		}
	}
	if got := seen(false, vip, 3); got["B"] != 3 {
		t.Fatalf("with A out: %v", got)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("gokeepalived did not stop:\n%s", out)
	}
	if !strings.Contains(out.String(), "Shutting down service [127.0.0.1]:tcp:"+b.port()+" from VS "+vs) {
		t.Errorf("no shutdown line:\n%s", out)
	}
}

// TestDaemonRefusesDR: without kernel IPVS, lb_kind DR stops gokeepalived
// at start with a message naming the file and line.
func TestDaemonRefusesDR(t *testing.T) {
	if _, err := os.Stat("/proc/net/ip_vs"); err == nil {
		t.Skip("this kernel has IPVS; DR is refused only without it")
	}
	bin := testenv.Binary(t, "gokeepalived")
	dir := t.TempDir()
	conf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(conf, []byte("virtual_server 192.0.2.1 80 {\n    protocol TCP\n    lb_kind DR\n    real_server 192.0.2.2 80 {\n    }\n}\n"), 0o644)
	cmd := exec.Command(bin, "-n", "-l", "-f", conf, "-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid"))
	done := make(chan struct{})
	var outb []byte
	var err error
	go func() { outb, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("gokeepalived kept running with lb_kind DR")
	}
	if err == nil {
		t.Fatalf("exit status 0 with lb_kind DR:\n%s", outb)
	}
	want := conf + ":1: lb_kind DR needs the kernel's IPVS"
	if !strings.Contains(string(outb), want) {
		t.Fatalf("output lacks %q:\n%s", want, outb)
	}
}
