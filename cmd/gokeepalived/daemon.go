package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/syslog"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/gohaproxy/gohaproxy/pkg/keepalivedconf"
	"github.com/gohaproxy/gohaproxy/pkg/vrrp"
	vrrplinux "github.com/gohaproxy/gohaproxy/pkg/vrrp/linux"
)

// keepalived 2.2.7's default pid files.
const (
	defaultPidFile         = "/run/keepalived.pid"
	defaultVRRPPidFile     = "/run/vrrp.pid"
	defaultCheckersPidFile = "/run/checkers.pid"
	defaultBFDPidFile      = "/run/bfd.pid"
	// daemonEnv marks the re-executed, detached daemon process; its
	// value is the number of the file descriptor on which it reports
	// readiness to the process that started it.
	daemonEnv = "GOKEEPALIVED_DAEMON_READY_FD"
)

// vrrpRunner is what the daemon needs of a vrrp.Node.
type vrrpRunner interface {
	Run(ctx context.Context) error
	Reload(ctx context.Context, cfg *keepalivedconf.Config) error
	State() vrrp.Snapshot
}

// consoleTime is keepalived's console time stamp (ctime without the
// newline).
const consoleTime = "Mon Jan _2 15:04:05 2006"

// newLogger builds the logger keepalived's flags ask for: -l the console
// (stderr) with keepalived's "Wed Nov 25 14:00:00 2026: message" lines,
// syslog unless -G (facility -S, ident "Keepalived" for the parent process,
// "Keepalived_vrrp" for the VRRP child), -g a file. Messages logged at
// zap's DPanic level (never a panic: the logger is not in development
// mode) go to syslog as LOG_ALERT, as keepalived's "child process died"
// lines do; everything else as LOG_INFO.
func newLogger(c *cli.Context, stderr io.Writer, ident string) (*zap.Logger, func(), error) {
	var cores []zapcore.Core
	var closers []func()
	if c.Bool("log-console") {
		cores = append(cores, consoleCore(stderr))
	}
	if p := c.String("log-file"); p != "" {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("log file %s: %w (fix -g or the directory's permissions)", p, err)
		}
		closers = append(closers, func() { f.Close() })
		cores = append(cores, consoleCore(f))
	}
	if !c.Bool("no-syslog") {
		fac, err := facility(c.String("log-facility"))
		if err != nil {
			return nil, nil, err
		}
		// No syslog daemon (containers, tests) is not an error:
		// keepalived carries on too.
		plain := zapcore.EncoderConfig{MessageKey: "M"}
		for _, lv := range []struct {
			prio    syslog.Priority
			enabled zap.LevelEnablerFunc
		}{
			{syslog.LOG_INFO, func(l zapcore.Level) bool { return l < zapcore.DPanicLevel }},
			{syslog.LOG_ALERT, func(l zapcore.Level) bool { return l >= zapcore.DPanicLevel }},
		} {
			if w, err := syslog.New(fac|lv.prio, ident); err == nil {
				closers = append(closers, func() { w.Close() })
				cores = append(cores, zapcore.NewCore(zapcore.NewConsoleEncoder(plain), zapcore.AddSync(w), lv.enabled))
			}
		}
	}
	lg := zap.New(zapcore.NewTee(cores...))
	return lg, func() {
		_ = lg.Sync()
		for _, f := range closers {
			f()
		}
	}, nil
}

// consoleCore writes keepalived's console lines to w.
func consoleCore(w io.Writer) zapcore.Core {
	timed := zapcore.EncoderConfig{TimeKey: "T", MessageKey: "M", ConsoleSeparator: ": ",
		EncodeTime: func(t time.Time, e zapcore.PrimitiveArrayEncoder) { e.AppendString(t.Format(consoleTime)) }}
	return zapcore.NewCore(zapcore.NewConsoleEncoder(timed), zapcore.AddSync(w), zap.DebugLevel)
}

// facility reads -S: 0-7 (LOG_LOCAL0-7), local0-7, user or daemon.
func facility(s string) (syslog.Priority, error) {
	switch s {
	case "", "daemon":
		return syslog.LOG_DAEMON, nil
	case "user":
		return syslog.LOG_USER, nil
	}
	s = strings.TrimPrefix(s, "local")
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 7 {
		return syslog.LOG_LOCAL0 + syslog.Priority(n)<<3, nil
	}
	return 0, fmt.Errorf("invalid log facility %q: use 0-7, local0-7, user or daemon", s)
}

// daemonize re-executes gokeepalived detached from the terminal (new
// session, standard streams on /dev/null) and returns once the daemon has
// written its pid files, or with its start-up error.
func daemonize(stderr io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot find my own executable to daemonize: %w (run with -n)", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		w.Close()
		return err
	}
	defer null.Close()
	cmd := exec.Command(self, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.ExtraFiles = []*os.File{w}
	cmd.Env = append(os.Environ(), daemonEnv+"=3")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	// The daemon stays in our directory, unlike keepalived's (which
	// moves to "/"): a relative -f must name the same file at every
	// (re)load, and keepalived reads it through a copy we do not make.
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("start daemon: %w", err)
	}
	w.Close()
	msg, _ := io.ReadAll(bufio.NewReader(r))
	_ = cmd.Process.Release()
	if s := string(msg); s != "ok\n" {
		if s == errAlreadyRunning.Error()+"\n" {
			return errAlreadyRunning
		}
		if s == "" {
			s = "the daemon exited during start-up (run with -n -l to see why)"
		}
		return errors.New(strings.TrimSpace(s))
	}
	return nil
}

// readyPipe is the daemon's end of the start-up report (nil with -n).
func readyPipe() *os.File {
	v := os.Getenv(daemonEnv)
	if v == "" {
		return nil
	}
	os.Unsetenv(daemonEnv)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil
	}
	return os.NewFile(uintptr(fd), "ready")
}

// pidFile is a pid file gokeepalived owns while it runs.
type pidFile struct{ path string }

// writePid refuses to start when path names a live process, as keepalived
// does, and otherwise writes our pid.
func writePid(path string) (*pidFile, error) {
	if b, err := os.ReadFile(path); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 && pid != os.Getpid() {
			if syscall.Kill(pid, 0) == nil {
				return nil, fmt.Errorf("daemon is already running (pid %d in %s): stop it first or use another pid file", pid, path)
			}
		}
	}
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("pid file %s: %w (fix -p/-r or the directory's permissions)", path, err)
	}
	return &pidFile{path: path}, nil
}

func (p *pidFile) remove() {
	if p != nil {
		_ = os.Remove(p.path)
	}
}

// newNode builds the VRRP Node of cfg on the Linux platform.
type nodeFactory func(cfg *keepalivedconf.Config, p vrrp.Platform, lg *zap.Logger, detail bool, nt vrrp.Notifier) (vrrpRunner, error)

// daemon runs gokeepalived as keepalived 2.2.7 runs: a parent process
// (parent.go) that writes the main pid file, starts the children (this
// binary re-executed with childEnv and childKindEnv set) and restarts
// them when they die: the healthcheck child (checkerChild) that runs the
// virtual servers, and the VRRP child (vrrpChild) that runs the VRRP Node.
func daemon(c *cli.Context, file string, opts keepalivedconf.Options, res *keepalivedconf.Result, stderr io.Writer, mkNode nodeFactory) error {
	kind := os.Getenv(childKindEnv)
	if st := childStatusPipe(); st != nil {
		os.Unsetenv(childKindEnv)
		if kind == kindNames[kindChecker].env {
			return checkerChild(c, file, opts, res, stderr, st) // checker.go
		}
		return vrrpChild(c, file, opts, res, stderr, mkNode, st)
	}
	ready := readyPipe()
	if !c.Bool("dont-fork") && ready == nil {
		err := daemonize(stderr)
		if errors.Is(err, errAlreadyRunning) {
			// Not an error for keepalived: it logs it and exits 0.
			if c.Bool("log-console") {
				fmt.Fprintf(stderr, "%s: %v\n", time.Now().Format(consoleTime), err)
			}
			return nil
		}
		if err != nil {
			code := 1
			if strings.HasPrefix(err.Error(), "Config files missing") {
				code = exitNoConfig
			}
			return exitError{code, "gokeepalived: " + err.Error()}
		}
		return nil
	}
	return runParent(c, file, opts, res, stderr, ready)
}

// vrrpChild is the VRRP child process: it runs the VRRP Node until
// SIGTERM/SIGINT (sent by the parent, or by the kernel when the parent
// dies); SIGHUP reloads; SIGUSR1/SIGUSR2/STATS_CLEAR/JSON write the dumps.
// It tells the parent through st when it has read its configuration, and
// when it cannot run at all (a permanent error: the parent then stops
// instead of restarting it).
func vrrpChild(c *cli.Context, file string, opts keepalivedconf.Options, res *keepalivedconf.Result, stderr io.Writer, mkNode nodeFactory, st *childStatus) error {
	defer st.close()
	// Signals first: the parent may forward one at any time, and Go's
	// default action for SIGUSR1/SIGHUP would kill us.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, sigData, sigStats, sigStatsClear, sigJSON)
	defer signal.Stop(sigs)
	fail := func(err error) error {
		st.permanent()
		if c.Bool("log-console") {
			// Already on the console through the logger.
			return exitError{exitChildConfig, ""}
		}
		return exitError{exitChildConfig, "gokeepalived: " + err.Error()}
	}
	lg, closeLog, err := newLogger(c, stderr, "Keepalived_vrrp")
	if err != nil {
		return fail(err)
	}
	defer closeLog()
	logf := func(format string, args ...any) { lg.Info(fmt.Sprintf(format, args...)) }
	// keepalived reports scripts run without script security after
	// checking them (the notifier logs the checks).
	// The VRRP process logs what its own read of the configuration
	// reports (the parent logs global_defs', the checker its own).
	var security []string
	for _, l := range res.PassDiags(keepalivedconf.PassVRRP) {
		if strings.HasPrefix(l, "SECURITY VIOLATION") {
			security = append(security, l)
			continue
		}
		if strings.HasPrefix(l, "Disabling track script ") {
			continue // logged by the notifier with the checks
		}
		if strings.Contains(l, ") VRRPv2 advertisement interval ") {
			continue // logged by pkg/vrrp when it adjusts the interval
		}
		logf("%s", l)
	}
	stoppedLine := func() {
		if c.Bool("log-detail") {
			var ru syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			logf("Stopped - used %s user time, %s system time", tvString(ru.Utime), tvString(ru.Stime))
		} else {
			logf("Stopped")
		}
	}
	for _, d := range res.Diags {
		if d.Kind == keepalivedconf.KindBadIf {
			// keepalived's VRRP process stops with a permanent
			// error: its parent stops too rather than restart it.
			stoppedLine()
			st.permanent()
			return exitError{exitChildConfig, ""}
		}
	}

	// The parent checked that no other daemon runs: the child only
	// writes its pid (over the one a killed predecessor left).
	vrrpPidPath := vrrpPidFile(c)
	if err := os.WriteFile(vrrpPidPath, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		err = fmt.Errorf("VRRP child process: cannot write pidfile %s: %w (fix -r or the directory's permissions)", vrrpPidPath, err)
		lg.Error(err.Error())
		return fail(err)
	}
	vpf := &pidFile{path: vrrpPidPath}
	defer vpf.remove()

	plat, err := vrrplinux.New(vrrplinux.Options{NetNS: c.String("namespace")})
	if err != nil {
		lg.Error(err.Error())
		return fail(err)
	}
	defer plat.Close()
	// The notifier outlives the Node's context: the STOP notifications
	// the Node sends while shutting down still run.
	nctx, ncancel := context.WithCancel(context.Background())
	defer ncancel()
	nt, err := newNotifier(nctx, res.Config, lg)
	if err != nil {
		lg.Error(err.Error())
		return fail(err)
	}
	defer nt.close(5 * time.Second)
	for _, m := range security {
		logf("%s", m)
	}
	nodeCfg := nt.nodeConfig(res.Config)
	for _, name := range unusedScripts(nodeCfg) {
		logf("Warning - script %s is not used", name)
	}
	node, err := mkNode(nodeCfg, plat, lg, c.Bool("log-detail"), nt)
	if err != nil {
		lg.Error(err.Error())
		return fail(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- node.Run(ctx) }()
	st.configRead()
	stopped := func(err error) error {
		stoppedLine()
		if err != nil {
			lg.Error(err.Error())
			return exitError{1, ""}
		}
		return nil
	}
	for {
		select {
		case err := <-runErr:
			vpf.remove()
			nt.close(5 * time.Second)
			return stopped(err)
		case s := <-sigs:
			switch s {
			case sigData, sigStats, sigStatsClear, sigJSON:
				logf(dumpLogFormat[s.(syscall.Signal)], os.Getpid())
				dumpOnSignal(s.(syscall.Signal), res.Config, node.State(), nt, lg)
				continue
			case syscall.SIGHUP:
			default:
				// keepalived removes the VRRP pid file first: a new
				// daemon may start while this one says goodbye.
				vpf.remove()
				cancel()
				err := <-runErr
				// keepalived waits for the STOP notify scripts
				// before it reports "Stopped".
				nt.close(5 * time.Second)
				return stopped(err)
			}
			logf("Reloading")
			r := keepalivedconf.Parse(file, opts, realHost{})
			security = security[:0]
			for _, l := range r.PassDiags(keepalivedconf.PassVRRP) {
				switch {
				case strings.HasPrefix(l, "SECURITY VIOLATION"):
					security = append(security, l)
				case strings.HasPrefix(l, "Disabling track script "):
				case strings.Contains(l, ") VRRPv2 advertisement interval "):
				default:
					logf("%s", l)
				}
			}
			// The notifier checks the scripts first: the Node must not
			// run the vrrp_scripts keepalived disables.
			if err := nt.reload(nctx, r.Config); err != nil {
				lg.Error(fmt.Sprintf("Reload of the notifications of %s failed, the previous ones stay in force: %v", file, err))
			}
			for _, m := range security {
				logf("%s", m)
			}
			nodeCfg := nt.nodeConfig(r.Config)
			for _, name := range unusedScripts(nodeCfg) {
				logf("Warning - script %s is not used", name)
			}
			if err := node.Reload(ctx, nodeCfg); err != nil {
				lg.Error(fmt.Sprintf("Reload of %s failed, the previous configuration stays in force: %v", file, err))
			} else {
				res = r
			}
			// The parent reports "Reload complete" (and READY=1 to
			// systemd) once every child has read the configuration.
			st.configRead()
		}
	}
}

// dumpLogFormat is what keepalived's VRRP process logs when it writes a
// dump on a signal.
var dumpLogFormat = map[syscall.Signal]string{
	sigData:       "Printing VRRP data for process(%d) on signal",
	sigStats:      "Printing VRRP stats for process(%d) on signal",
	sigStatsClear: "Printing and clearing VRRP stats for process(%d) on signal",
	sigJSON:       "Printing VRRP as json for process(%d) on signal",
}

// tvString renders a time value as keepalived does (seconds.microseconds).
func tvString(tv syscall.Timeval) string {
	return fmt.Sprintf("%d.%06d", tv.Sec, tv.Usec)
}

// quoteArgs renders a command line as keepalived logs it.
func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + a + "'"
	}
	return strings.Join(q, " ")
}

// unusedScripts are the vrrp_scripts no instance tracks: keepalived warns
// about each and never runs them. (A sync group's track_script is refused
// by vrrp.NewNode, so instances are all there is to look at.)
func unusedScripts(cfg *keepalivedconf.Config) []string {
	used := map[string]bool{}
	for _, in := range cfg.Instances {
		for _, t := range in.TrackScripts {
			used[t] = true
		}
	}
	var out []string
	for _, sc := range cfg.Scripts {
		if !used[sc.Name] {
			out = append(out, sc.Name)
		}
	}
	return out
}
