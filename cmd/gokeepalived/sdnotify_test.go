package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// An abstract $NOTIFY_SOCKET ("@name") is reached, and the variable is
// removed from the environment (scripts must not inherit it).
func TestSDNotifierAbstractSocket(t *testing.T) {
	name := fmt.Sprintf("gokeepalived-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: "\x00" + name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	t.Setenv("NOTIFY_SOCKET", "@"+name)
	sd := newSDNotifier()
	if v := os.Getenv("NOTIFY_SOCKET"); v != "" {
		t.Errorf("NOTIFY_SOCKET still set: %q", v)
	}
	if err := sd.send("STOPPING=1"); err != nil {
		t.Fatal(err)
	}
	_ = ln.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64)
	n, _, err := ln.ReadFromUnix(buf)
	if err != nil || string(buf[:n]) != "STOPPING=1" {
		t.Fatalf("received %q, %v", buf[:n], err)
	}
	// Without the variable nothing is sent and nothing fails.
	if err := (&sdNotifier{}).send("READY=1"); err != nil {
		t.Fatal(err)
	}
}

// --signum prints keepalived 2.2.7's signal numbers, and its message and
// status for an unknown name.
func TestSignumAgainstKeepalived(t *testing.T) {
	k := testenv.Oracle(t, "keepalived")
	g := testenv.Binary(t, "gokeepalived")
	for _, name := range []string{"STOP", "RELOAD", "DATA", "STATS", "STATS_CLEAR", "JSON", "NOPE"} {
		var outs [2]string
		var codes [2]int
		for i, bin := range []string{k, g} {
			cmd := exec.Command(bin, "--signum="+name)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if ee, ok := err.(*exec.ExitError); ok {
				codes[i] = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			outs[i] = "stdout=" + stdout.String() + " stderr=" + stderr.String()
		}
		if outs[0] != outs[1] || codes[0] != codes[1] {
			t.Errorf("--signum=%s: keepalived %q (exit %d), gokeepalived %q (exit %d)", name, outs[0], codes[0], outs[1], codes[1])
		}
	}
}
