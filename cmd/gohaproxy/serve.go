package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/listener"
)

// daemonEnv marks the re-executed child of -D (Go cannot fork safely, so
// daemon mode starts a fresh copy of the program in a new session).
const daemonEnv = "GOHAPROXY_DAEMON_CHILD"

// serveOptions are the command-line settings of a serving process.
type serveOptions struct {
	files     []string
	daemon    bool
	pidfile   string
	finish    []string // -sf: soft-stop these PIDs once listening
	terminate []string // -st: hard-stop these PIDs once listening
	sdNotify  bool     // -Ws
	takeFrom  string   // -x: take listening sockets from this stats socket
	argv      []string
}

// serve runs gohaproxy as a proxy until it is stopped: SIGUSR1 stops
// listening and lets running sessions finish (soft stop), SIGTERM and
// SIGINT end everything at once (hard stop), as with haproxy.
func serve(cfg *haproxycfg.Config, o serveOptions, stderr io.Writer) int {
	pid := os.Getpid()
	alert := func(format string, args ...any) {
		fmt.Fprintf(stderr, "[ALERT]    (%d) : %s\n", pid, fmt.Sprintf(format, args...))
	}
	if !cfg.HasListeners() {
		alert("[%s.main()] No enabled listener found (check for 'bind' directives) ! Exiting.", progname())
		return 1
	}
	if o.daemon && os.Getenv(daemonEnv) == "" {
		return daemonize(o, stderr)
	}
	log := proxy.NewLogger(stderr, pid)
	defer log.Sync()

	rt, err := proxy.New(cfg, proxy.Options{Logger: log})
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			alert("config : %s", line)
		}
		alert("config : Fatal errors found in configuration.")
		return 1
	}
	if err := proxy.RaiseFDLimit(rt.FDLimits(), progname()); err != nil {
		if rt.FDLimits().Strict {
			alert("%v", err)
			return 1
		}
		fmt.Fprintf(stderr, "[WARNING]  (%d) : %v\n", pid, err)
	}
	inherited, err := listener.FromSystemd(true)
	if err != nil {
		alert("%v", err)
		return 1
	}
	wk, err := workerSetup() // started by a master (master.go)
	if err != nil {
		alert("%v", err)
		return 1
	}
	if wk != nil {
		inherited.Merge(wk.sockets)
		o.pidfile, cfg.Global.Pidfile, o.sdNotify = "", "", false // the master's
	}
	if o.takeFrom != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		got, err := listener.GetSockets(ctx, o.takeFrom)
		cancel()
		if err != nil {
			// haproxy goes on and binds by itself when the old process
			// cannot hand its sockets over
			fmt.Fprintf(stderr, "[WARNING]  (%d) : %v\n", pid, err)
		} else if inherited == nil {
			inherited = got
		} else {
			inherited.Merge(got)
		}
	}
	if err := rt.Listen(inherited); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			alert("%s", line)
		}
		alert("[%s.main()] Some protocols failed to start their listeners! Exiting.", progname())
		return 1
	}
	pidfile := o.pidfile
	if pidfile == "" {
		pidfile = cfg.Global.Pidfile
	}
	// As haproxy, only a daemon writes a pid file (a master-worker master
	// writes its own, master.go); in the foreground -p is ignored.
	if !o.daemon {
		pidfile = ""
	}
	if pidfile != "" {
		if err := os.WriteFile(pidfile, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
			alert("[%s.main()] Cannot create pidfile %s", progname(), pidfile)
			return 1
		}
		// haproxy leaves its pid file in place when it exits: init scripts
		// rely on it (and a reloaded process has already rewritten it).
	}
	var devNull *os.File
	if os.Getenv(daemonEnv) != "" {
		// opened before a chroot hides it
		devNull, _ = os.OpenFile(os.DevNull, os.O_RDWR, 0)
	}
	if !dropIdentity(cfg.Global, stderr, pid) {
		return 1
	}
	if wk != nil {
		wk.ready(rt.HardStop)
	} else {
		signalOld(o.finish, syscall.SIGUSR1, log)
		signalOld(o.terminate, syscall.SIGTERM, log)
	}
	if o.sdNotify {
		sdNotify("READY=1")
	}
	if os.Getenv(daemonEnv) != "" {
		// tell the parent we are up: it exits 0 and the shell returns
		if f := os.NewFile(3, "ready"); f != nil {
			f.Write([]byte("ok\n"))
			f.Close()
		}
		if devNull != nil {
			for fd := 0; fd <= 2; fd++ {
				syscall.Dup3(int(devNull.Fd()), fd, 0)
			}
			devNull.Close()
		}
	}

	ctx, soft := context.WithCancel(context.Background())
	defer soft()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGTERM, syscall.SIGINT, syscall.SIGTTOU, syscall.SIGTTIN)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			switch s {
			case syscall.SIGTTOU:
				rt.Pause()
			case syscall.SIGTTIN:
				rt.Resume()
			case syscall.SIGUSR1:
				log.Info("soft stop: no longer listening, waiting for running sessions")
				soft()
			default:
				log.Info("hard stop", zap.String("signal", s.String()))
				rt.HardStop()
			}
		}
	}()
	rt.Serve(ctx)
	return 0
}

func newLogger(w io.Writer) *zap.Logger {
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey = "ts"
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.AddSync(w), zap.InfoLevel)
	return zap.New(core)
}

// signalOld sends sig to the processes of a previous instance (-sf/-st).
func signalOld(pids []string, sig syscall.Signal, log *zap.Logger) {
	for _, p := range pids {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 {
			continue
		}
		if err := syscall.Kill(n, sig); err != nil {
			log.Warn("cannot signal old process", zap.Int("pid", n), zap.Error(err))
		}
	}
}

// sdNotify tells systemd (Type=notify units) about our state.
func sdNotify(state string) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return
	}
	if path[0] == '@' {
		path = "\x00" + path[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return
	}
	defer c.Close()
	c.Write([]byte(state))
}

// daemonize starts a detached copy of this program in a new session and
// returns once it is listening (exit 0) or has failed (exit 1), as
// "haproxy -D" returns to the shell.
func daemonize(o serveOptions, stderr io.Writer) int {
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(stderr, "[ALERT]    (%d) : cannot daemonize: %v\n", os.Getpid(), err)
		return 1
	}
	exe, err := os.Executable()
	if err != nil {
		exe = o.argv[0]
	}
	cmd := exec.Command(exe, o.argv[1:]...)
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stderr = stderr // until it is up, errors go to the terminal
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "[ALERT]    (%d) : cannot daemonize: %v\n", os.Getpid(), err)
		return 1
	}
	w.Close()
	line, _ := bufio.NewReader(r).ReadString('\n')
	if strings.TrimSpace(line) != "ok" {
		cmd.Wait()
		return 1
	}
	cmd.Process.Release()
	return 0
}

// progname is the program's name as haproxy prints it in "[NAME.main()]"
// messages: argv[0] without its directories.
func progname() string { return filepath.Base(os.Args[0]) }
