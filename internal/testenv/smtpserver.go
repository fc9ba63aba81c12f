package testenv

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// aiosmtpdPython is Debian's python3, the one python3-aiosmtpd is
// installed for (the python3 on PATH may be another build).
const aiosmtpdPython = "/usr/bin/python3"

// aiosmtpd's Debugging handler frames every message it receives.
const (
	smtpMsgBegin = "---------- MESSAGE FOLLOWS ----------"
	smtpMsgEnd   = "------------ END MESSAGE ------------"
)

// StartSMTP starts a real SMTP server (Debian's python3-aiosmtpd,
// `python3 -m aiosmtpd -n -l 127.0.0.1:PORT`) on a free loopback port and
// returns its address and a function that returns the messages received
// so far, each as the text aiosmtpd prints: the headers (aiosmtpd adds
// X-Peer after the sender's), an empty line and the body, lines joined
// with "\n". The server is killed when the test ends.
func StartSMTP(t testing.TB) (addr string, messages func() []string) {
	t.Helper()
	if err := exec.Command(aiosmtpdPython, "-c", "import aiosmtpd").Run(); err != nil {
		Unavailable(t, "Debian's python3-aiosmtpd is not installed (apt-get install python3-aiosmtpd)")
	}
	addr = FreeLoopbackAddr(t)
	ready := func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err
	}
	return addr, startSMTP(t, exec.Command(aiosmtpdPython, "-m", "aiosmtpd", "-n", "-l", addr), addr, ready)
}

// StartSMTPIn is StartSMTP inside the network namespace ns, listening on
// addr (host:port, an address of the namespace).
func StartSMTPIn(t testing.TB, ns *NetNS, addr string) (messages func() []string) {
	t.Helper()
	if err := exec.Command(aiosmtpdPython, "-c", "import aiosmtpd").Run(); err != nil {
		Unavailable(t, "Debian's python3-aiosmtpd is not installed (apt-get install python3-aiosmtpd)")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	ready := func() error {
		out, err := ns.Command(aiosmtpdPython, "-c",
			"import socket; socket.create_connection(("+strconv.Quote(host)+", "+port+"), 1).close()").CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}
	return startSMTP(t, ns.Command(aiosmtpdPython, "-m", "aiosmtpd", "-n", "-l", addr), addr, ready)
}

func startSMTP(t testing.TB, cmd *exec.Cmd, addr string, ready func() error) (messages func() []string) {
	t.Helper()
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting aiosmtpd: %v", err)
	}
	pid := cmd.Process.Pid

	var (
		mu   sync.Mutex
		msgs []string
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64*1024), 4<<20)
		var cur []string
		in := false
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == smtpMsgBegin:
				in, cur = true, nil
			case line == smtpMsgEnd && in:
				in = false
				mu.Lock()
				msgs = append(msgs, strings.Join(cur, "\n"))
				mu.Unlock()
			case in:
				cur = append(cur, line)
			}
		}
	}()
	t.Cleanup(func() {
		if p := cmd.Process; p != nil && p.Pid == pid {
			p.Kill()
		}
		<-done
		cmd.Wait()
	})

	deadline := time.Now().Add(30 * time.Second)
	for {
		err := ready()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("aiosmtpd did not listen on %s: %v\n%s", addr, err, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), msgs...)
	}
}

// handedOut are the ports FreeLoopbackAddr returned in this test process:
// the kernel may offer a port again once it is closed, and two side-by-side
// runs binding the same port with SO_REUSEPORT would share its traffic.
var handedOut = struct {
	sync.Mutex
	ports map[string]bool
}{ports: map[string]bool{}}

// FreeLoopbackAddr returns "127.0.0.1:PORT" for a port that was free a
// moment ago (nothing listens on it when the function returns) and that no
// earlier call of this test process returned.
func FreeLoopbackAddr(t testing.TB) string {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		a := ln.Addr().String()
		ln.Close()
		if !handedOut.ports[a] {
			handedOut.ports[a] = true
			return a
		}
	}
}

// WaitFor polls cond every 50 ms until it returns true or timeout passes;
// it reports whether cond became true.
func WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}
