package vrrp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
)

// TrackKind says what a tracker watches.
type TrackKind int

// Tracker kinds.
const (
	TrackScript TrackKind = iota
	TrackFile
	TrackProcess
	TrackInterface
)

func (k TrackKind) String() string {
	return [...]string{"script", "file", "process", "interface"}[k]
}

// TrackEvent is a tracker's new status, delivered to the Node loop.
type TrackEvent struct {
	Kind TrackKind
	Name string
	// Up is the status of a script, process or interface.
	Up bool
	// Value is the integer read by a track_file.
	Value int
	// Logs are keepalived's messages for the change.
	Logs []string
}

// ScriptSpec is a vrrp_script.
type ScriptSpec struct {
	Name     string
	Args     []string // program and arguments
	Interval time.Duration
	Timeout  time.Duration
	Rise     int
	Fall     int
	// User (and Group) run the script as that user when not empty.
	User, Group string
	// InitFail is init_fail: the script is taken to be failed until it
	// succeeds.
	InitFail bool
}

// scriptState is keepalived's rise/fall handling of a vrrp_script
// (checks.Health), with the messages keepalived logs.
type scriptState struct {
	spec   ScriptSpec
	health *checks.Health
	// lastStatus is the previous exit status (keepalived starts from 0).
	lastStatus int
	reported   bool
}

func newScriptState(spec ScriptSpec) *scriptState {
	init := checks.Up
	if spec.InitFail {
		init = checks.Down
	}
	return &scriptState{spec: spec, health: checks.NewHealth(spec.Rise, spec.Fall, init)}
}

// observe records one run (status = exit code, timedOut) and returns an
// event when the script's status changed (or on its first result).
func (s *scriptState) observe(status int, timedOut bool) (TrackEvent, bool) {
	var logs []string
	if !timedOut && status != s.lastStatus {
		logs = append(logs, fmt.Sprintf("Script `%s` now returning %d", s.spec.Name, status))
	}
	if !timedOut {
		s.lastStatus = status
	}
	ok := status == 0 && !timedOut
	changed := s.health.Observe(ok)
	if !changed && s.reported {
		if len(logs) == 0 {
			return TrackEvent{}, false
		}
		return TrackEvent{Kind: TrackScript, Name: s.spec.Name, Up: s.health.State() == checks.Up, Logs: logs}, true
	}
	if !changed && !s.reported && (s.health.State() == checks.Up) != ok {
		// Still within rise/fall of the initial state: nothing to report yet.
		return TrackEvent{}, false
	}
	s.reported = true
	up := s.health.State() == checks.Up
	switch {
	case up:
		logs = append(logs, fmt.Sprintf("VRRP_Script(%s) succeeded", s.spec.Name))
	case timedOut:
		logs = append(logs, fmt.Sprintf("VRRP_Script(%s) timed out", s.spec.Name))
	default:
		logs = append(logs, fmt.Sprintf("VRRP_Script(%s) failed (exited with status %d)", s.spec.Name, status))
	}
	return TrackEvent{Kind: TrackScript, Name: s.spec.Name, Up: up, Logs: logs}, true
}

// RunScript runs spec every Interval until ctx ends and sends status
// changes on out. It never blocks the caller: run it in a goroutine.
func RunScript(ctx context.Context, spec ScriptSpec, out chan<- TrackEvent) {
	if spec.Interval <= 0 {
		spec.Interval = time.Second
	}
	if spec.Timeout <= 0 {
		spec.Timeout = spec.Interval
	}
	st := newScriptState(spec)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		status, timedOut := runScriptOnce(ctx, spec)
		if ctx.Err() != nil {
			return
		}
		if ev, ok := st.observe(status, timedOut); ok {
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
		t.Reset(spec.Interval)
	}
}

// runScriptOnce returns the exit status (or timedOut).
func runScriptOnce(ctx context.Context, spec ScriptSpec) (int, bool) {
	if len(spec.Args) == 0 {
		return 127, false
	}
	if spec.User == "" {
		r := checks.Exec{Path: spec.Args[0], Args: spec.Args[1:], Timeout: spec.Timeout}.Run(ctx, checks.Target{})
		switch r.Status {
		case checks.StatusPROCTOUT:
			return 0, true
		case checks.StatusPROCOK:
			return 0, false
		}
		if r.Code == 0 {
			return 127, false
		}
		return r.Code, false
	}
	cred, err := credential(spec.User, spec.Group)
	if err != nil {
		return 127, false
	}
	cctx, cancel := context.WithTimeout(ctx, spec.Timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, spec.Args[0], spec.Args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	if cctx.Err() != nil {
		return 0, true
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, false
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return ee.ExitCode(), false
	}
	return 127, false
}

func credential(name, group string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, err
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return nil, err
		}
		if gid, err = strconv.ParseUint(g.Gid, 10, 32); err != nil {
			return nil, err
		}
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// ReadTrackFile reads the value of a track_file: the leading integer of
// the file's content (0 when there is none), as keepalived does.
func ReadTrackFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return parseLeadingInt(string(b)), nil
}

func parseLeadingInt(s string) int {
	s = strings.TrimLeft(s, " \t\r\n")
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(s[:end])
	if err != nil {
		return 0
	}
	return n
}

// FileSpec is a vrrp_track_file.
type FileSpec struct {
	Name string
	Path string
	// Poll is how often the file is read (keepalived uses inotify).
	Poll time.Duration
}

// RunTrackFile reads spec.Path every Poll and sends changed values on out
// until ctx ends. A missing file reads as 0.
func RunTrackFile(ctx context.Context, spec FileSpec, out chan<- TrackEvent) {
	if spec.Poll <= 0 {
		spec.Poll = time.Second
	}
	last, first := 0, true
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		v, _ := ReadTrackFile(spec.Path)
		if first || v != last {
			first, last = false, v
			select {
			case out <- TrackEvent{Kind: TrackFile, Name: spec.Name, Value: v}:
			case <-ctx.Done():
				return
			}
		}
		t.Reset(spec.Poll)
	}
}

// ProcessSpec is a vrrp_track_process.
type ProcessSpec struct {
	Name string
	// Process is the process name (its comm, or with FullCommand the
	// program path as in /proc/PID/cmdline).
	Process     string
	ParamMatch  string // "initial" or "" (exact)
	Params      []string
	FullCommand bool
	Quorum      int
	QuorumMax   int // 0: no maximum
	// Delay is how long the process count must stay out of quorum before
	// the tracker is reported down.
	Delay time.Duration
	Poll  time.Duration
}

// CountProcesses scans procDir (normally /proc) for processes matching spec.
func CountProcesses(procDir string, spec ProcessSpec) int {
	ents, err := os.ReadDir(procDir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cl, err := os.ReadFile(filepath.Join(procDir, e.Name(), "cmdline"))
		if err != nil || len(cl) == 0 {
			continue
		}
		argv := strings.Split(strings.TrimRight(string(cl), "\x00"), "\x00")
		var name string
		if spec.FullCommand {
			name = argv[0]
		} else {
			c, err := os.ReadFile(filepath.Join(procDir, e.Name(), "comm"))
			if err != nil {
				continue
			}
			name = string(bytes.TrimRight(c, "\n"))
		}
		if name != spec.Process {
			continue
		}
		if len(spec.Params) > 0 {
			args := argv[1:]
			if spec.ParamMatch == "initial" {
				if len(args) < len(spec.Params) || !equalStrings(args[:len(spec.Params)], spec.Params) {
					continue
				}
			} else if !equalStrings(args, spec.Params) {
				continue
			}
		}
		n++
	}
	return n
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (s ProcessSpec) inQuorum(n int) bool {
	q := s.Quorum
	if q < 1 {
		q = 1
	}
	return n >= q && (s.QuorumMax == 0 || n <= s.QuorumMax)
}

// RunTrackProcess polls procDir and sends the tracker's status on out when
// it changes (going down only after Delay) until ctx ends.
func RunTrackProcess(ctx context.Context, procDir string, spec ProcessSpec, out chan<- TrackEvent) {
	if spec.Poll <= 0 {
		spec.Poll = time.Second
	}
	var up, first = false, true
	var downSince time.Time
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n := CountProcesses(procDir, spec)
		ok := spec.inQuorum(n)
		report := false
		switch {
		case first:
			report, first = true, false
			up = ok
		case ok:
			downSince = time.Time{}
			if !up {
				up, report = true, true
			}
		case up:
			if downSince.IsZero() {
				downSince = time.Now()
			}
			if time.Since(downSince) >= spec.Delay {
				up, report = false, true
			}
		}
		if report {
			verb := "lost"
			if up {
				verb = "gained"
			}
			ev := TrackEvent{Kind: TrackProcess, Name: spec.Name, Up: up,
				Logs: []string{fmt.Sprintf("Quorum %s for tracked process %s", verb, spec.Name)}}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
		t.Reset(spec.Poll)
	}
}
