package main

import (
	"bytes"
	"log/syslog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/zap"
)

func TestConsoleLogFormat(t *testing.T) {
	var b bytes.Buffer
	lg := zap.New(consoleCore(&b))
	lg.Info("(VI_1) Entering MASTER STATE")
	lg.Warn("(VI_1) something odd")
	re := regexp.MustCompile(`^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 123][0-9] \d\d:\d\d:\d\d \d{4}: \(VI_1\) Entering MASTER STATE\n[A-Z][a-z]{2} [A-Z][a-z]{2} [ 123][0-9] \d\d:\d\d:\d\d \d{4}: \(VI_1\) something odd\n$`)
	if !re.MatchString(b.String()) {
		t.Fatalf("console lines not in keepalived's format:\n%q", b.String())
	}
}

func TestFacility(t *testing.T) {
	for in, want := range map[string]syslog.Priority{"": syslog.LOG_DAEMON, "daemon": syslog.LOG_DAEMON, "user": syslog.LOG_USER,
		"0": syslog.LOG_LOCAL0, "local7": syslog.LOG_LOCAL7, "3": syslog.LOG_LOCAL3} {
		if got, err := facility(in); err != nil || got != want {
			t.Errorf("facility(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"8", "local9", "kern", "x"} {
		if _, err := facility(bad); err == nil {
			t.Errorf("facility(%q): no error", bad)
		}
	}
}

func TestPidFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "keepalived.pid")
	// A stale pid file (no such process) is replaced.
	if err := os.WriteFile(p, []byte("999999999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pf, err := writePid(p)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Fatalf("pid file holds %q", b)
	}
	pf.remove()
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatal("pid file not removed")
	}
	// A live process (pid 1) in it: refused, as keepalived does.
	if err := os.WriteFile(p, []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := writePid(p); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("pid file of a live process: %v", err)
	}
}
