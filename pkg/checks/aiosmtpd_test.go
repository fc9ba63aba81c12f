package checks

import (
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// TestSMTPAiosmtpd runs the SMTP probe against Debian's aiosmtpd
// (python3-aiosmtpd), a real SMTP server.
func TestSMTPAiosmtpd(t *testing.T) {
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import aiosmtpd").Run(); err != nil {
		testenv.Unavailable(t, "Debian's python3-aiosmtpd is not installed")
	}
	addr := refusedAddr(t) // a free loopback port
	cmd := exec.Command(py, "-m", "aiosmtpd", "-n", "-l", addr)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		if p := cmd.Process; p != nil && p.Pid == pid {
			p.Kill()
		}
		cmd.Wait()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("aiosmtpd did not listen on %s: %v\n%s", addr, err, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := SMTP{Helo: "checker.test"}.Run(ctx, Target{Addr: addr})
	if !r.OK || r.Status != StatusL7OK || r.Code != 250 {
		t.Fatalf("got %v\n%s", r, stderr.String())
	}
}
