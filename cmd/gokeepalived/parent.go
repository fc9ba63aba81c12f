package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
	"go.uber.org/zap"

	"github.com/gohaproxy/gohaproxy/pkg/keepalivedconf"
)

// keepalived 2.2.7's process model, observed with Debian's keepalived
// (see docs/operations.md): the parent process writes the main pid file
// and forks the healthcheck child (when the configuration has virtual
// servers; it writes the checkers pid file) and the VRRP child (it writes
// the VRRP pid file). A child gets SIGTERM when the parent dies
// (PR_SET_PDEATHSIG), so the VRRP child sends priority 0 and removes its
// addresses. When a child dies the parent restarts it at once, then after
// 1, 2, 4 ... up to 60 seconds if it keeps dying within a minute of its
// start (each child has its own guard). SIGHUP and SIGUSR1 go to both
// children, SIGUSR2 and the JSON/STATS_CLEAR signals to the VRRP child.

const (
	// childEnv marks the VRRP child process; its value is the number of
	// the file descriptor on which it reports to the parent.
	childEnv = "GOKEEPALIVED_VRRP_CHILD_FD"
	// childKindEnv names the child's job: "checker" for the healthcheck
	// child, unset (or "vrrp") for the VRRP child.
	childKindEnv = "GOKEEPALIVED_CHILD_KIND"
	// exitNoConfig is keepalived's exit status when the configuration
	// file is missing.
	exitNoConfig = 6
	// exitChildConfig is the VRRP child's exit status when it cannot run
	// its configuration (keepalived's "permanent error CONFIG").
	exitChildConfig = 2
	// childWait is how long the parent waits for a child to stop
	// (keepalived's child_wait_time).
	childWait = 5 * time.Second
	// The child's reports on its status pipe.
	msgConfigRead = "read"
	msgPermanent  = "permanent"
)

// childStatus is the VRRP child's end of its status pipe.
type childStatus struct{ f *os.File }

// childStatusPipe returns the status pipe when this process is the VRRP
// child (nil otherwise), and removes the marker from the environment so
// that scripts do not inherit it.
func childStatusPipe() *childStatus {
	v := os.Getenv(childEnv)
	if v == "" {
		return nil
	}
	os.Unsetenv(childEnv)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil
	}
	// Scripts the child runs must not hold the pipe open.
	syscall.CloseOnExec(fd)
	return &childStatus{f: os.NewFile(uintptr(fd), "parent")}
}

func (s *childStatus) send(msg string) {
	if s != nil && s.f != nil {
		// The parent gone is no reason to stop: its death sends us
		// SIGTERM anyway.
		_, _ = io.WriteString(s.f, msg+"\n")
	}
}

// configRead tells the parent that the configuration has been read (at
// start and after each reload), as keepalived's children do through an
// eventfd.
func (s *childStatus) configRead() { s.send(msgConfigRead) }

// permanent tells the parent not to restart us.
func (s *childStatus) permanent() { s.send(msgPermanent) }

func (s *childStatus) close() {
	if s != nil && s.f != nil {
		s.f.Close()
	}
}

// pidPath is the pid file flag's value or keepalived's default.
func pidPath(c *cli.Context, flag, def string) string {
	if p := c.String(flag); p != "" {
		return p
	}
	return def
}

func vrrpPidFile(c *cli.Context) string { return pidPath(c, "vrrp_pid", defaultVRRPPidFile) }

func checkersPidFile(c *cli.Context) string {
	return pidPath(c, "checkers_pid", defaultCheckersPidFile)
}

// childKind is one of keepalived's child processes.
type childKind int

const (
	kindChecker childKind = iota // keepalived starts it first
	kindVRRP
	numKinds
)

// The names keepalived gives each child in its lines.
var kindNames = [numKinds]struct {
	// name as in "Starting VRRP child process" / "Restart of VRRP process".
	name string
	// ident is the child's syslog ident, used in its exit report.
	ident string
	// short as in "vrrp process failed to die".
	short string
	env   string
}{
	kindChecker: {"Healthcheck", "Keepalived_healthcheckers", "checker", "checker"},
	kindVRRP:    {"VRRP", "Keepalived_vrrp", "vrrp", "vrrp"},
}

// slot is one child the parent keeps running, with its respawn guard
// (keepalived's calc_restart_delay state).
type slot struct {
	kind      childKind
	pidFile   string
	proc      *childProc
	nextDelay uint
	respawn   *time.Timer
}

// runningPid returns the pid a pid file names when that process is alive
// and not us.
func runningPid(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return 0
	}
	if syscall.Kill(pid, 0) != nil {
		return 0
	}
	return pid
}

// errAlreadyRunning is the daemon's start-up report when another daemon
// runs with the same pid files.
var errAlreadyRunning = errors.New("daemon is already running")

// childEvent is something a child did.
type childEvent struct {
	kind childKind
	pid  int
	what int
	// status of an evExit.
	status syscall.WaitStatus
}

const (
	evRead = iota
	evPermanent
	evExit
)

// childProc is one run of the VRRP child.
type childProc struct {
	pid       int
	started   time.Time
	permanent bool
	// read is set once the child has read its configuration: it then
	// handles the signals the parent passes on (before, Go's default
	// action for SIGHUP or SIGUSR1 would kill it).
	read bool
}

// parent is keepalived's parent process.
type parent struct {
	c      *cli.Context
	file   string
	opts   keepalivedconf.Options
	cfg    *keepalivedconf.Config
	lg     *zap.Logger
	detail bool
	sd     *sdNotifier
	ready  *os.File
	ctx    context.Context
	evs    chan childEvent
	// respawnC receives the slots whose respawn delay ended.
	respawnC chan *slot
	slots    []*slot
	pidPath  string

	// reloading counts children that have not yet read the configuration
	// since the start or the last reload (keepalived's num_reloading);
	// loaded is set once the start-up completed.
	reloading    int
	loaded       bool
	reloadQueued bool
}

func (p *parent) logf(format string, args ...any) { p.lg.Info(fmt.Sprintf(format, args...)) }

// reportReady ends the start-up report to the process that daemonized us
// (nothing with -n).
func (p *parent) reportReady(msg string) {
	if p.ready != nil {
		fmt.Fprintln(p.ready, msg)
		p.ready.Close()
		p.ready = nil
	}
}

func (p *parent) sdSend(state string) {
	if err := p.sd.send(state); err != nil {
		p.lg.Warn(fmt.Sprintf("systemd notification %q not sent to $NOTIFY_SOCKET: %v", state, err))
	}
}

// runParent is the parent process: the main pid file, the children (the
// healthcheck child when the configuration has virtual servers, the VRRP
// child) and their restarts, the signals (forwarded to the children as
// keepalived does), systemd's notifications.
func runParent(c *cli.Context, file string, opts keepalivedconf.Options, res *keepalivedconf.Result, stderr io.Writer, ready *os.File) error {
	p := &parent{c: c, file: file, opts: opts, cfg: res.Config, ready: ready, detail: c.Bool("log-detail"),
		pidPath: pidPath(c, "pid", defaultPidFile)}
	defer p.reportReady("the daemon stopped during start-up (run with -n -l to see why)")
	lg, closeLog, err := newLogger(c, stderr, "Keepalived")
	if err != nil {
		p.reportReady(err.Error())
		return exitError{1, "gokeepalived: " + err.Error()}
	}
	defer closeLog()
	p.lg = lg
	p.logf("Starting %s", version)
	p.logf("Command line: %s", quoteArgs(os.Args))
	if st, err := os.Stat(file); err != nil || st.IsDir() {
		// keepalived exits with KEEPALIVED_EXIT_NO_CONFIG.
		p.logf("Config files missing '%s'.", file)
		p.logf("Stopped %s", version)
		msg := fmt.Sprintf("Config files missing '%s' (fix -f)", file)
		p.reportReady(msg)
		if c.Bool("log-console") {
			return exitError{exitNoConfig, ""}
		}
		return exitError{exitNoConfig, "gokeepalived: " + msg}
	}
	if p.detail {
		p.logf("Opening file '%s'.", file)
	}
	p.logf("Configuration file %s", file)
	// The parent logs what its own read of the configuration reports
	// (global_defs, includes); each child logs its own read's.
	for _, l := range res.PassDiags(keepalivedconf.PassParent) {
		p.logf("%s", l)
	}

	// keepalived checks its own pid file and its children's.
	files := []string{p.pidPath, vrrpPidFile(c)}
	if !c.Bool("vrrp") {
		files = append(files, checkersPidFile(c))
		if !c.Bool("no_bfd") {
			files = append(files, pidPath(c, "bfd_pid", defaultBFDPidFile))
		}
	}
	for _, f := range files {
		if runningPid(f) != 0 {
			p.logf("daemon is already running")
			p.reportReady(errAlreadyRunning.Error())
			return nil
		}
	}
	pf, err := writePid(p.pidPath)
	if err != nil {
		p.lg.Error(err.Error())
		p.reportReady(err.Error())
		return exitError{1, "gokeepalived: " + err.Error()}
	}
	defer pf.remove()

	// Read (and removed from the environment) before the children start:
	// only the parent talks to systemd.
	p.sd = newSDNotifier()
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, sigData, sigStats, sigStatsClear, sigJSON)
	defer signal.Stop(sigs)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p.ctx = ctx
	p.evs = make(chan childEvent, 16)
	p.respawnC = make(chan *slot, numKinds)
	runVRRP, runCheck := childrenToRun(c, res.Config)
	if runCheck {
		p.slots = append(p.slots, &slot{kind: kindChecker, pidFile: checkersPidFile(c)})
	}
	if runVRRP {
		p.slots = append(p.slots, &slot{kind: kindVRRP, pidFile: vrrpPidFile(c)})
	}
	for _, s := range p.slots {
		if err := p.startChild(s); err != nil {
			p.stop()
			return p.finish(1)
		}
		p.reloading++
	}
	if len(p.slots) == 0 {
		// keepalived stays, running nothing, until it is stopped.
		p.logf("Warning - keepalived has no configuration to run")
		p.loaded = true
		p.reportReady("ok")
		p.sdSend(sdReady())
	}
	for {
		select {
		case s := <-p.respawnC:
			if s.respawn == nil || s.proc != nil {
				continue // stopped by a reload meanwhile
			}
			s.respawn = nil
			if err := p.startChild(s); err != nil {
				p.stop()
				return p.finish(1)
			}
		case ev := <-p.evs:
			if code, done := p.childEvent(ev); done {
				return p.finish(code)
			}
		case s := <-sigs:
			switch s {
			case syscall.SIGHUP:
				if p.reloading > 0 || p.anyUnread() {
					if p.detail {
						p.logf("Reload already in progress, request queued")
					}
					p.reloadQueued = true
					continue
				}
				if err := p.reload(); err != nil {
					p.stop()
					return p.finish(1)
				}
			case sigData:
				p.signalChildren(sigData, kindChecker, kindVRRP)
				p.logf("Printing parent data for process(%d) on signal", os.Getpid())
				writeParentData(parentDataFile, p.cfg, p.lg)
			case sigStats, sigStatsClear, sigJSON:
				// Only the VRRP process writes these.
				p.signalChildren(s.(syscall.Signal), kindVRRP)
			default:
				p.stop()
				return p.finish(0)
			}
		}
	}
}

// childrenToRun is keepalived's choice of children, checked against
// keepalived 2.2.7: the VRRP child runs when the configuration has VRRP
// work (instances, sync groups, static addresses, routes or rules), the
// healthcheck child when it has virtual_servers; -P limits the choice to
// the VRRP child, -C to the healthcheck child (both flags: both); --all
// runs both whatever the flags and the configuration.
func childrenToRun(c *cli.Context, cfg *keepalivedconf.Config) (vrrp, check bool) {
	if c.Bool("all") {
		return true, true
	}
	onlyV, onlyC := c.Bool("vrrp"), c.Bool("check")
	if cfg == nil {
		return false, false
	}
	hasVRRP := len(cfg.Instances) > 0 || len(cfg.SyncGroups) > 0 || len(cfg.StaticAddrs) > 0 ||
		len(cfg.StaticRoutes) > 0 || len(cfg.StaticRules) > 0
	hasCheck := len(cfg.VirtualServers) > 0
	vrrp = hasVRRP && (onlyV || !onlyC)
	check = hasCheck && (onlyC || !onlyV)
	return vrrp, check
}

func (p *parent) slotOf(k childKind) *slot {
	for _, s := range p.slots {
		if s.kind == k {
			return s
		}
	}
	return nil
}

// anyUnread reports a running child that has not yet read its
// configuration.
func (p *parent) anyUnread() bool {
	for _, s := range p.slots {
		if s.proc != nil && !s.proc.read {
			return true
		}
	}
	return false
}

// startChild runs this binary again as the slot's child. The child gets
// SIGTERM when the parent dies, as keepalived's children do.
func (p *parent) startChild(s *slot) error {
	names := kindNames[s.kind]
	r, w, err := os.Pipe()
	if err != nil {
		p.logf("%s child process: fork error(%s)", names.name, err)
		return err
	}
	// /proc/self/exe is this very binary, also when a package upgrade
	// replaced or removed the file since we started.
	cmd := &exec.Cmd{Path: "/proc/self/exe", Args: os.Args,
		Env:   append(os.Environ(), childEnv+"=3", childKindEnv+"="+names.env),
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, ExtraFiles: []*os.File{w},
		SysProcAttr: &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}}
	kind := s.kind
	started := make(chan error, 1)
	go func() {
		// PR_SET_PDEATHSIG fires when the thread that forked the child
		// ends, not the process: this goroutine keeps its thread until
		// the child is gone (the thread then ends with it).
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		pid := cmd.Process.Pid
		readDone := make(chan struct{})
		go func() {
			defer close(readDone)
			defer r.Close()
			sc := bufio.NewScanner(r)
			for sc.Scan() {
				what := -1
				switch sc.Text() {
				case msgConfigRead:
					what = evRead
				case msgPermanent:
					what = evPermanent
				}
				if what >= 0 {
					select {
					case p.evs <- childEvent{kind: kind, pid: pid, what: what}:
					case <-p.ctx.Done():
						return
					}
				}
			}
		}()
		_ = cmd.Wait()
		// The child's last reports come before its exit.
		select {
		case <-readDone:
		case <-time.After(2 * time.Second):
		}
		ev := childEvent{kind: kind, pid: pid, what: evExit}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
			ev.status = ws
		}
		select {
		case p.evs <- ev:
		case <-p.ctx.Done():
		}
	}()
	err = <-started
	w.Close()
	if err != nil {
		r.Close()
		p.logf("%s child process: fork error(%s)", names.name, err)
		return err
	}
	s.proc = &childProc{pid: cmd.Process.Pid, started: time.Now()}
	p.logf("Starting %s child process, pid=%d", names.name, s.proc.pid)
	return nil
}

// signalChildren forwards sig to the running children of those kinds.
func (p *parent) signalChildren(sig syscall.Signal, kinds ...childKind) {
	for _, k := range kinds {
		if s := p.slotOf(k); s != nil && s.proc != nil && s.proc.read {
			_ = syscall.Kill(s.proc.pid, sig)
		}
	}
}

// childEvent handles a report or the exit of a child; done asks the
// parent to stop with code.
func (p *parent) childEvent(ev childEvent) (code int, done bool) {
	s := p.slotOf(ev.kind)
	if s == nil || s.proc == nil || ev.pid != s.proc.pid {
		return 0, false
	}
	names := kindNames[s.kind]
	switch ev.what {
	case evPermanent:
		s.proc.permanent = true
	case evRead:
		s.proc.read = true
		if p.reloading == 0 {
			// A restarted child: keepalived only counts reloads.
			p.logf("read eventfd count 1, num_reloading 0")
		} else {
			p.reloading--
			if p.reloading > 0 {
				return 0, false
			}
			if p.loaded {
				p.logf("Reload complete")
			} else {
				p.logf("Startup complete")
				p.loaded = true
				p.reportReady("ok")
			}
			p.sdSend(sdReady())
		}
		if p.reloadQueued && !p.anyUnread() {
			p.reloadQueued = false
			if p.detail {
				p.logf("Processing queued reload")
			}
			if err := p.reload(); err != nil {
				p.stop()
				return 1, true
			}
		}
	case evExit:
		child := s.proc
		s.proc = nil
		if !child.read && p.reloading > 0 {
			// It will not report: do not wait for it.
			p.reloading--
		}
		if child.permanent {
			p.logf("pid %d exited with permanent error CONFIG. Terminating", child.pid)
			p.reportReady(fmt.Sprintf("the %s child process cannot run the configuration (run with -n -l to see why)", names.name))
			p.stop()
			return exitChildConfig, true
		}
		if st := childStatusText(fmt.Sprintf("pid %d", child.pid), ev.status); st != "" {
			p.logf("%s", st)
		}
		if p.c.Bool("dont-respawn") {
			p.lg.DPanic(fmt.Sprintf("%s child process(%d) died: Exiting", names.name, child.pid))
			p.stop()
			return 0, true
		}
		p.lg.DPanic(fmt.Sprintf("%s child process(%d) died: Respawning", names.name, child.pid))
		p.logf("  Please log an issue at https://github.com/acassen/keepalived/issues/")
		p.logf("  and include a full copy of your keepalived configuration files, and")
		p.logf("  copies of the keepalived system log entries around the time this happened")
		delay := p.restartDelay(s, child.started, time.Now())
		if delay == 0 {
			if err := p.startChild(s); err != nil {
				p.stop()
				return 1, true
			}
			return 0, false
		}
		s.respawn = time.AfterFunc(time.Duration(delay)*time.Second, func() {
			select {
			case p.respawnC <- s:
			case <-p.ctx.Done():
			}
		})
	}
	return 0, false
}

// restartDelay is keepalived's respawn-rate guard: a child that ran for a
// minute or more restarts at once; otherwise the delays run 0, 1, 2, 4 ...
// up to 60 seconds, each one logged.
func (p *parent) restartDelay(s *slot, started, now time.Time) uint {
	delay := s.nextDelay
	if now.Sub(started) >= time.Minute {
		s.nextDelay = 0
		return 0
	}
	switch {
	case delay == 0:
		s.nextDelay = 1
	case s.nextDelay > 30:
		s.nextDelay = 60
	default:
		s.nextDelay *= 2
	}
	p.logf("Restart of %s process delayed %d seconds to limit respawn rate", kindNames[s.kind].name, delay)
	return delay
}

// childStatusText is keepalived's report of a child's exit ("" for a
// clean exit).
func childStatusText(who string, ws syscall.WaitStatus) string {
	switch {
	case ws.Exited() && ws.ExitStatus() != 0:
		return fmt.Sprintf("%s exited with status %d", who, ws.ExitStatus())
	case ws.Signaled():
		sig := ws.Signal()
		extra := ""
		if sig == syscall.SIGKILL {
			extra = " - has rlimit_rttime been exceeded?"
		}
		return fmt.Sprintf("%s exited due to signal %d (%s)%s", who, int(sig), strsignal(sig), extra)
	}
	return ""
}

// strsignal is glibc's description of sig.
func strsignal(sig syscall.Signal) string {
	if sig >= 34 && sig <= 64 {
		return fmt.Sprintf("Real-time signal %d", int(sig)-34)
	}
	s := sig.String()
	if strings.HasPrefix(s, "signal ") {
		return "Unknown signal " + strconv.Itoa(int(sig))
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// reload is keepalived's reload in the parent: read the configuration,
// tell systemd, pass SIGHUP to the children (or start those waiting to be
// restarted).
func (p *parent) reload() error {
	p.logf("Reloading ...")
	if p.detail {
		p.logf("Opening file '%s'.", p.file)
	}
	p.logf("Configuration file %s", p.file)
	// The parent keeps the global definitions for its data dump and
	// reports its read's problems; the children report theirs.
	if r := keepalivedconf.Parse(p.file, p.opts, realHost{}); r.Config != nil {
		p.cfg = r.Config
		for _, l := range r.PassDiags(keepalivedconf.PassParent) {
			p.logf("%s", l)
		}
	}
	p.sdSend("RELOADING=1")
	for _, s := range p.slots {
		if s.proc != nil {
			if s.proc.read {
				_ = syscall.Kill(s.proc.pid, syscall.SIGHUP)
			}
		} else {
			if s.respawn != nil {
				s.respawn.Stop()
				s.respawn = nil
			}
			if err := p.startChild(s); err != nil {
				return err
			}
		}
		p.reloading++
	}
	return nil
}

// stop is keepalived's SIGTERM in the parent: the children get SIGTERM
// and five seconds to finish (priority 0, addresses removed, STOP
// scripts, real servers shut down), then SIGKILL.
func (p *parent) stop() {
	p.logf("Stopping")
	p.sdSend("STOPPING=1")
	running := map[int]*slot{}
	for _, s := range p.slots {
		if s.respawn != nil {
			s.respawn.Stop()
			s.respawn = nil
		}
		if s.proc != nil {
			running[s.proc.pid] = s
			_ = syscall.Kill(s.proc.pid, syscall.SIGTERM)
		}
	}
	wait := func(limit time.Duration) {
		deadline := time.NewTimer(limit)
		defer deadline.Stop()
		for len(running) > 0 {
			select {
			case ev := <-p.evs:
				s := running[ev.pid]
				if s == nil || ev.what != evExit {
					continue
				}
				delete(running, ev.pid)
				s.proc = nil
				if st := childStatusText(kindNames[s.kind].ident, ev.status); st != "" {
					p.logf("%s", st)
				}
			case <-deadline.C:
				return
			}
		}
	}
	wait(childWait)
	if len(running) > 0 {
		for _, s := range p.slots {
			if s.proc != nil && running[s.proc.pid] == s {
				p.logf("%s process failed to die - forcing termination", kindNames[s.kind].short)
				_ = syscall.Kill(s.proc.pid, syscall.SIGKILL)
			}
		}
		wait(childWait)
	}
	for _, s := range p.slots {
		s.proc = nil
	}
}

// finish removes the pid files and logs keepalived's last lines.
func (p *parent) finish(code int) error {
	// A child killed on the way out leaves its pid file behind.
	for _, s := range p.slots {
		if s.proc == nil {
			_ = os.Remove(s.pidFile)
		}
	}
	if p.detail {
		var self, children syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
		_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
		p.logf("CPU usage (self/children) user: %s/%s system: %s/%s",
			tvString(self.Utime), tvString(children.Utime), tvString(self.Stime), tvString(children.Stime))
	}
	p.logf("Stopped %s", version)
	if code != 0 {
		return exitError{code, ""}
	}
	return nil
}
