package vrrp

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestScriptRiseFall(t *testing.T) {
	type step struct {
		status  int
		timeout bool
		event   bool
		up      bool
		logs    []string
	}
	cases := []struct {
		name  string
		spec  ScriptSpec
		steps []step
	}{
		{"first success", ScriptSpec{Name: "chk", Rise: 2, Fall: 2}, []step{
			{0, false, true, true, []string{"VRRP_Script(chk) succeeded"}},
			{1, false, true, true, []string{"Script `chk` now returning 1"}},
			{1, false, true, false, []string{"VRRP_Script(chk) failed (exited with status 1)"}},
			{0, false, true, false, []string{"Script `chk` now returning 0"}},
			{0, false, true, true, []string{"VRRP_Script(chk) succeeded"}},
		}},
		{"first failure", ScriptSpec{Name: "chk", Rise: 1, Fall: 3}, []step{
			{2, false, true, false, []string{"Script `chk` now returning 2", "VRRP_Script(chk) failed (exited with status 2)"}},
			{0, false, true, true, []string{"Script `chk` now returning 0", "VRRP_Script(chk) succeeded"}},
			{0, true, false, true, nil},
			{0, true, false, true, nil},
			{0, true, true, false, []string{"VRRP_Script(chk) timed out"}},
		}},
		{"init_fail", ScriptSpec{Name: "chk", Rise: 2, Fall: 1, InitFail: true}, []step{
			{0, false, false, false, nil},
			{0, false, true, true, []string{"VRRP_Script(chk) succeeded"}},
		}},
	}
	for _, c := range cases {
		st := newScriptState(c.spec)
		for i, s := range c.steps {
			ev, ok := st.observe(s.status, s.timeout)
			if ok != s.event || (ok && (ev.Up != s.up || !slices.Equal(ev.Logs, s.logs))) {
				t.Errorf("%s step %d: event %v %+v, want %v up=%v %q", c.name, i, ok, ev, s.event, s.up, s.logs)
			}
		}
	}
}

func recvEvent(t *testing.T, ch <-chan TrackEvent) TrackEvent {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(20 * time.Second):
		t.Fatal("no tracker event")
	}
	return TrackEvent{}
}

func TestRunScript(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	flag := filepath.Join(dir, "ok")
	script := filepath.Join(dir, "chk.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\ntest -e "+flag+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ch := make(chan TrackEvent)
	done := make(chan struct{})
	go func() {
		defer close(done)
		RunScript(ctx, ScriptSpec{Name: "chk", Args: []string{script}, Interval: 50 * time.Millisecond, Rise: 1, Fall: 1}, ch)
	}()
	if ev := recvEvent(t, ch); ev.Up || ev.Name != "chk" {
		t.Fatalf("first event %+v", ev)
	}
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for {
		ev := recvEvent(t, ch)
		if ev.Up {
			if !slices.Contains(ev.Logs, "VRRP_Script(chk) succeeded") {
				t.Errorf("logs %q", ev.Logs)
			}
			break
		}
	}
	cancel()
	<-done
}

func TestRunScriptTimeout(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan TrackEvent)
	done := make(chan struct{})
	go func() {
		defer close(done)
		RunScript(ctx, ScriptSpec{Name: "slow", Args: []string{"/bin/sleep", "30"}, Interval: time.Second, Timeout: 100 * time.Millisecond, Rise: 1, Fall: 1}, ch)
	}()
	ev := recvEvent(t, ch)
	if ev.Up || !slices.Contains(ev.Logs, "VRRP_Script(slow) timed out") {
		t.Errorf("event %+v", ev)
	}
	cancel()
	<-done
}

func TestTrackFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "w")
	for _, c := range []struct {
		content string
		want    int
	}{{"10\n", 10}, {" -5 apples", -5}, {"abc", 0}, {"", 0}} {
		if err := os.WriteFile(p, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		if v, err := ReadTrackFile(p); err != nil || v != c.want {
			t.Errorf("%q: %d %v", c.content, v, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan TrackEvent)
	done := make(chan struct{})
	go func() {
		defer close(done)
		RunTrackFile(ctx, FileSpec{Name: "f", Path: p, Poll: 20 * time.Millisecond}, ch)
	}()
	if ev := recvEvent(t, ch); ev.Value != 0 || ev.Kind != TrackFile {
		t.Errorf("first %+v", ev)
	}
	os.WriteFile(p, []byte("7"), 0o644)
	if ev := recvEvent(t, ch); ev.Value != 7 {
		t.Errorf("second %+v", ev)
	}
	cancel()
	<-done
}

func fakeProc(t *testing.T, dir string, pid int, comm string, argv ...string) {
	t.Helper()
	d := filepath.Join(dir, strconv.Itoa(pid))
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(d, "comm"), []byte(comm+"\n"), 0o644)
	os.WriteFile(filepath.Join(d, "cmdline"), []byte(strings.Join(argv, "\x00")+"\x00"), 0o644)
}

func TestCountProcesses(t *testing.T) {
	dir := t.TempDir()
	fakeProc(t, dir, 10, "haproxy", "/usr/sbin/haproxy", "-f", "/etc/haproxy.cfg")
	fakeProc(t, dir, 11, "haproxy", "/usr/sbin/haproxy", "-f", "/etc/other.cfg")
	fakeProc(t, dir, 12, "nginx", "nginx")
	os.MkdirAll(filepath.Join(dir, "self"), 0o755)
	cases := []struct {
		spec ProcessSpec
		want int
	}{
		{ProcessSpec{Process: "haproxy"}, 2},
		{ProcessSpec{Process: "/usr/sbin/haproxy", FullCommand: true}, 2},
		{ProcessSpec{Process: "haproxy", Params: []string{"-f", "/etc/haproxy.cfg"}}, 1},
		{ProcessSpec{Process: "haproxy", Params: []string{"-f"}, ParamMatch: "initial"}, 2},
		{ProcessSpec{Process: "haproxy", Params: []string{"-f"}}, 0},
		{ProcessSpec{Process: "sshd"}, 0},
	}
	for _, c := range cases {
		if got := CountProcesses(dir, c.spec); got != c.want {
			t.Errorf("%+v: %d, want %d", c.spec, got, c.want)
		}
	}
	if !(ProcessSpec{Quorum: 2, QuorumMax: 3}).inQuorum(2) || (ProcessSpec{Quorum: 2, QuorumMax: 3}).inQuorum(4) || (ProcessSpec{}).inQuorum(0) {
		t.Error("quorum")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan TrackEvent)
	done := make(chan struct{})
	go func() {
		defer close(done)
		RunTrackProcess(ctx, dir, ProcessSpec{Name: "p", Process: "nginx", Poll: 20 * time.Millisecond}, ch)
	}()
	if ev := recvEvent(t, ch); !ev.Up {
		t.Errorf("first %+v", ev)
	}
	os.RemoveAll(filepath.Join(dir, "12"))
	if ev := recvEvent(t, ch); ev.Up || ev.Logs[0] != "Quorum lost for tracked process p" {
		t.Errorf("second %+v", ev)
	}
	cancel()
	<-done
}
