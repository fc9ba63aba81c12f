package main

import (
	"bytes"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
)

// The respawn guard runs keepalived's sequence: a child that ran for a
// minute restarts at once and silently; otherwise 0, 1, 2, 4 ... 32, 60,
// 60 seconds, each one logged.
func TestRestartDelay(t *testing.T) {
	var b bytes.Buffer
	p := &parent{lg: zap.New(consoleCore(&b))}
	s := &slot{kind: kindVRRP}
	now := time.Unix(1_000_000, 0)
	var got []uint
	for i := 0; i < 10; i++ {
		got = append(got, p.restartDelay(s, now.Add(-10*time.Second), now))
	}
	want := []uint{0, 1, 2, 4, 8, 16, 32, 60, 60, 60}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("delays %v, want %v", got, want)
		}
	}
	if !strings.Contains(b.String(), ": Restart of VRRP process delayed 0 seconds to limit respawn rate\n") ||
		!strings.Contains(b.String(), ": Restart of VRRP process delayed 60 seconds to limit respawn rate\n") {
		t.Errorf("log:\n%s", b.String())
	}
	b.Reset()
	if d := p.restartDelay(s, now.Add(-time.Minute), now); d != 0 || b.Len() != 0 {
		t.Errorf("after a minute's run: delay %d, log %q; want 0 and nothing logged", d, b.String())
	}
	if d := p.restartDelay(s, now.Add(-time.Second), now); d != 0 || !strings.Contains(b.String(), "delayed 0 seconds") {
		t.Errorf("a quick death after a long run: delay %d, log %q; want 0, logged", d, b.String())
	}
}

// keepalived's report_child_status lines.
func TestChildStatusText(t *testing.T) {
	for _, c := range []struct {
		ws   syscall.WaitStatus
		want string
	}{
		{0, ""},
		{3 << 8, "pid 7 exited with status 3"},
		{syscall.WaitStatus(syscall.SIGKILL), "pid 7 exited due to signal 9 (Killed) - has rlimit_rttime been exceeded?"},
		{syscall.WaitStatus(syscall.SIGTERM), "pid 7 exited due to signal 15 (Terminated)"},
		{syscall.WaitStatus(syscall.SIGABRT), "pid 7 exited due to signal 6 (Aborted)"},
		{syscall.WaitStatus(36), "pid 7 exited due to signal 36 (Real-time signal 2)"},
	} {
		if got := childStatusText("pid 7", c.ws); got != c.want {
			t.Errorf("status %#x: %q, want %q", int(c.ws), got, c.want)
		}
	}
}

// The healthcheck child's guard has its own sequence and name.
func TestRestartDelayChecker(t *testing.T) {
	var b bytes.Buffer
	p := &parent{lg: zap.New(consoleCore(&b))}
	v, c := &slot{kind: kindVRRP}, &slot{kind: kindChecker}
	now := time.Unix(1_000_000, 0)
	p.restartDelay(v, now.Add(-time.Second), now)
	p.restartDelay(v, now.Add(-time.Second), now)
	if d := p.restartDelay(c, now.Add(-time.Second), now); d != 0 {
		t.Errorf("first checker restart delayed %d, want 0", d)
	}
	if !strings.Contains(b.String(), ": Restart of Healthcheck process delayed 0 seconds to limit respawn rate\n") {
		t.Errorf("log:\n%s", b.String())
	}
}
