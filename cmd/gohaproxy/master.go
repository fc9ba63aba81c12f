package main

// Master-worker mode (-W, -Ws, "master-worker" in the global section), with
// haproxy 2.6's behaviour as seen from outside: the master parses the
// configuration, writes its own PID to the pidfile, starts one worker and
// supervises it; SIGUSR2 or SIGHUP reload the configuration (a new worker,
// the old one soft-stopped), SIGUSR1 soft-stops everything, SIGTERM and
// SIGINT hard-stop everything.
//
// How the listening sockets travel: the master itself opens every listener
// of the configuration (taking them from systemd's LISTEN_FDS when given)
// and keeps them. It starts a worker by re-executing this program with the
// same arguments and the workerEnv variable, handing the sockets over as
// inherited descriptors (exec.Cmd.ExtraFiles) that workerEnv lists. The
// worker takes them as it would take sockets from "-x" and serves them. On a
// reload the master opens the new configuration's listeners taking its
// current sockets first, so an address kept across the reload is the very
// same socket (same accept queue) in the old and the new worker: no
// connection is refused while the old worker finishes.
//
// One more descriptor, a socket pair, links each worker to the master: the
// worker writes "ok" on it once it listens (the master then soft-stops the
// former workers), and reads end-of-file on it when the master dies, which
// makes it stop at once (haproxy's workers leave when the master is gone).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/listener"
)

// workerEnv marks a worker started by the master; its value is the JSON
// form of workerHandoff.
const workerEnv = "GOHAPROXY_WORKER"

// workerHandoff tells a worker which inherited descriptors are what.
type workerHandoff struct {
	Master  int             `json:"master"` // the socket pair end linking to the master
	Sockets []handoffSocket `json:"sockets"`
}

type handoffSocket struct {
	FD        int    `json:"fd"`
	Namespace string `json:"ns,omitempty"`
	Interface string `json:"iface,omitempty"`
}

// isWorker tells whether this process is a worker started by a master.
func isWorker() bool { return os.Getenv(workerEnv) != "" }

// workerLink is the worker's side of the hand-over.
type workerLink struct {
	master  *os.File
	sockets *listener.Inherited
}

// workerSetup reads the hand-over of a worker (nil when this process is
// not one) and removes the variable so that nothing inherits it.
func workerSetup() (*workerLink, error) {
	v := os.Getenv(workerEnv)
	if v == "" {
		return nil, nil
	}
	os.Unsetenv(workerEnv)
	var h workerHandoff
	if err := json.Unmarshal([]byte(v), &h); err != nil {
		return nil, fmt.Errorf("%s: %v", workerEnv, err)
	}
	w := &workerLink{master: os.NewFile(uintptr(h.Master), "master"), sockets: &listener.Inherited{}}
	for _, s := range h.Sockets {
		if _, err := w.sockets.Add(s.FD, "master", "", s.Namespace, s.Interface); err != nil {
			return nil, fmt.Errorf("socket from the master: %v", err)
		}
	}
	return w, nil
}

// ready tells the master that the worker listens, then stops the worker
// at once (stop) when the master goes away.
func (w *workerLink) ready(stop func()) {
	w.master.Write([]byte("ok\n"))
	go func() {
		var b [64]byte
		for {
			if _, err := w.master.Read(b[:]); err != nil {
				stop()
				return
			}
		}
	}()
}

// masterLog prints haproxy-style messages under the master's PID.
type masterLog struct {
	w   io.Writer
	pid int
}

func (l masterLog) notice(f string, a ...any)  { l.say("[NOTICE]  ", f, a...) }
func (l masterLog) warning(f string, a ...any) { l.say("[WARNING] ", f, a...) }
func (l masterLog) alert(f string, a ...any)   { l.say("[ALERT]   ", f, a...) }
func (l masterLog) say(tag, f string, a ...any) {
	fmt.Fprintf(l.w, "%s (%d) : %s\n", tag, l.pid, fmt.Sprintf(f, a...))
}

// worker is one worker process as the master sees it.
type worker struct {
	cmd    *exec.Cmd
	link   *os.File // the master's end of the socket pair
	former bool     // told to leave by a reload
	status int      // exit status, once exited
	how    string   // "Exit", "Terminated", ...
	// started and reloads are what "show proc" tells of the worker
	started time.Time
	reloads int
}

// masterSettings are what the master needs beyond the configuration.
type masterSettings struct {
	chk             checker
	files           []string
	o               serveOptions
	cli             string // -S: the master CLI bind, "" for none
	noExitOnFailure bool
}

// wantMasterWorker tells whether action must run a master: -W, -Ws or
// "master-worker" in the global section, and not already a worker.
func wantMasterWorker(w, ws bool, cfg *haproxycfg.Config) bool {
	return (w || ws || cfg.Global.MasterWork) && !isWorker()
}

// runMaster runs the master process until every worker has left.
func runMaster(cfg *haproxycfg.Config, ms masterSettings, stderr io.Writer) int {
	o := ms.o
	if o.daemon && os.Getenv(daemonEnv) == "" {
		return daemonize(o, stderr)
	}
	log := masterLog{w: stderr, pid: os.Getpid()}
	noExit := ms.noExitOnFailure || noExitOnFailure(ms.files)

	if err := runtimeCheck(cfg, log); err != nil {
		return 1
	}
	inherited, err := listener.FromSystemd(true)
	if err != nil {
		log.alert("%v", err)
		return 1
	}
	ls, err := openListeners(cfg, inherited)
	inherited.CloseUnused()
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			log.alert("%s", line)
		}
		log.alert("[%s.main()] Some protocols failed to start their listeners! Exiting.", progname())
		return 1
	}
	defer func() { closeAll(ls) }()

	pidfile := o.pidfile
	if pidfile == "" {
		pidfile = cfg.Global.Pidfile
	}
	if pidfile != "" {
		if err := os.WriteFile(pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			log.alert("[%s.main()] Cannot create pidfile %s", progname(), pidfile)
			return 1
		}
		// haproxy leaves its pid file in place when it exits: init scripts
		// rely on it (and a reloaded process has already rewritten it).
	}

	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT, syscall.SIGTTOU, syscall.SIGTTIN)
	defer signal.Stop(sigs)
	exited := make(chan *worker, 8)

	workers := map[*worker]bool{}
	started := time.Now()
	reloads, failedReloads := 0, 0
	var cliReqs chan cliRequest
	if ms.cli != "" {
		mcli, err := openMasterCLI(ms.cli)
		if err != nil {
			log.alert("%v", err)
			return 1
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { mcli.serve(ctx); close(done) }()
		defer func() { cancel(); <-done }()
		cliReqs = mcli.reqs
	}
	first, err := startWorker(o, ls, exited)
	if err != nil {
		log.alert("Failed to start the worker: %v", err)
		return 1
	}
	workers[first] = true
	log.notice("New worker (%d) forked", first.cmd.Process.Pid)
	log.notice("Loading success.")
	signalOld(o.finish, syscall.SIGUSR1, newLogger(io.Discard))
	signalOld(o.terminate, syscall.SIGTERM, newLogger(io.Discard))
	if o.sdNotify {
		sdNotify(fmt.Sprintf("READY=1\nMAINPID=%d", os.Getpid()))
	}
	if os.Getenv(daemonEnv) != "" {
		detach()
	}

	stopping, status := false, 0
	signalAll := func(sig syscall.Signal) {
		for w := range workers {
			w.cmd.Process.Signal(sig)
		}
	}
	for {
		select {
		case req := <-cliReqs:
			st := masterState{master: procEntry{pid: os.Getpid(), reloads: reloads, started: started}, failed: failedReloads, stats: workerStatsSocket(cfg)}
			for w := range workers {
				e := procEntry{pid: w.cmd.Process.Pid, reloads: w.reloads, started: w.started}
				if w.former {
					st.old = append(st.old, e)
				} else {
					st.current = append(st.current, e)
				}
			}
			rep, doReload := st.answer(req.line, time.Now())
			req.reply <- rep
			if doReload {
				// as SIGUSR2, handled on the next turn of the loop
				select {
				case sigs <- syscall.SIGUSR2:
				default: // a reload is pending already
				}
			}
		case s := <-sigs:
			switch s {
			case syscall.SIGUSR2, syscall.SIGHUP:
				if stopping {
					continue
				}
				log.notice("Reloading HAProxy")
				if o.sdNotify {
					sdNotify("RELOADING=1")
				}
				reloads++
				if nls, w, ok := reload(ms, ls, exited, log); ok {
					for old := range workers {
						old.reloads++
						if !old.former {
							old.former = true
							old.cmd.Process.Signal(syscall.SIGUSR1)
						}
					}
					closeAll(ls)
					ls = nls
					workers[w] = true
				} else {
					failedReloads++
					log.warning("Loading failure!")
				}
				if o.sdNotify {
					sdNotify(fmt.Sprintf("READY=1\nMAINPID=%d", os.Getpid()))
				}
			case syscall.SIGTTOU, syscall.SIGTTIN:
				// pause / resume the listeners: the workers do it, as
				// haproxy's master passes these signals on
				signalAll(s.(syscall.Signal))
			case syscall.SIGUSR1:
				stopping = true
				if o.sdNotify {
					sdNotify("STOPPING=1")
				}
				closeAll(ls)
				ls = nil
				signalAll(syscall.SIGUSR1)
			default:
				log.warning("Exiting Master process...")
				stopping = true
				if o.sdNotify {
					sdNotify("STOPPING=1")
				}
				closeAll(ls)
				ls = nil
				signalAll(syscall.SIGTERM)
			}
		case w := <-exited:
			delete(workers, w)
			w.link.Close()
			pid := w.cmd.Process.Pid
			switch {
			case w.former:
				log.warning("Former worker (%d) exited with code %d (%s)", pid, w.status, w.how)
			case w.status == 0:
				log.warning("Current worker (%d) exited with code %d (%s)", pid, w.status, w.how)
			default:
				log.alert("Current worker (%d) exited with code %d (%s)", pid, w.status, w.how)
			}
			if !w.former && !stopping && !noExit {
				log.alert("exit-on-failure: killing every processes with SIGTERM")
				stopping, status = true, w.status
				signalAll(syscall.SIGTERM)
			}
		}
		if stopping && len(workers) == 0 {
			log.warning("All workers exited. Exiting... (%d)", status)
			return status
		}
	}
}

// reload re-reads the configuration and starts a worker on it; the
// current listeners ls are reused wherever the new configuration binds the
// same address. ok is false (and the errors logged) when the new
// configuration is not usable: the running worker then keeps serving.
func reload(ms masterSettings, ls []*listener.Listener, exited chan *worker, log masterLog) ([]*listener.Listener, *worker, bool) {
	cfg, status := ms.chk.load(ms.files)
	if status != 0 || cfg == nil {
		return nil, nil, false
	}
	if err := runtimeCheck(cfg, log); err != nil {
		return nil, nil, false
	}
	pool := &listener.Inherited{}
	for _, l := range ls {
		fd, err := handoffFD(l)
		if err != nil {
			continue
		}
		if _, err := pool.Add(fd, "master", "", l.Namespace, l.Interface); err != nil {
			unix.Close(fd)
		}
	}
	nls, err := openListeners(cfg, pool)
	pool.CloseUnused()
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			log.alert("%s", line)
		}
		return nil, nil, false
	}
	w, err := startWorker(ms.o, nls, exited)
	if err != nil {
		log.alert("Failed to start the new worker: %v", err)
		closeAll(nls)
		return nil, nil, false
	}
	log.notice("New worker (%d) forked", w.cmd.Process.Pid)
	log.notice("Loading success.")
	return nls, w, true
}

// runtimeCheck refuses what the run time cannot serve, as serve does.
func runtimeCheck(cfg *haproxycfg.Config, log masterLog) error {
	_, err := proxy.New(cfg, proxy.Options{})
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			log.alert("config : %s", line)
		}
		log.alert("config : Fatal errors found in configuration.")
	}
	return err
}

// openListeners opens the listeners of cfg as the run time would (same
// proxies, same backlog and maxconn defaults, same order).
func openListeners(cfg *haproxycfg.Config, inherited *listener.Inherited) ([]*listener.Listener, error) {
	noReusePort := false
	for _, d := range cfg.Global.Other {
		if len(d.Args) > 0 && d.Args[0] == "noreuseport" {
			noReusePort = true
		}
	}
	var all []*listener.Listener
	var errs []error
	open := func(kind, name string, binds []*haproxycfg.Bind, backlog, maxconn int) {
		lc := listener.Config{Kind: kind, Proxy: name, ProxyBacklog: backlog, ProxyMaxconn: maxconn,
			GlobalMaxconn: cfg.Global.Maxconn, Inherited: inherited, NoReusePort: noReusePort}
		got, err := lc.OpenAll(context.Background(), binds)
		if err != nil {
			errs = append(errs, err)
		}
		all = append(all, got...)
	}
	for _, px := range cfg.Proxies {
		if px.Disabled || px.Mode != haproxycfg.ModeTCP || !px.Kind.IsFrontend() || len(px.Binds) == 0 {
			continue
		}
		open(px.Kind.String(), px.Name, px.Binds, px.Backlog, px.Maxconn)
	}
	if len(cfg.Global.StatsSocket) > 0 {
		open("frontend", "GLOBAL", cfg.Global.StatsSocket, 0, 0)
	}
	if err := errors.Join(errs...); err != nil {
		closeAll(all)
		return nil, err
	}
	return all, nil
}

func closeAll(ls []*listener.Listener) {
	for _, l := range ls {
		l.Close()
	}
}

// handoffFD duplicates a listener's descriptor without touching its
// non-blocking mode (shared with the workers' copies of the socket: a
// File from net would turn it blocking when handed to a child).
func handoffFD(l *listener.Listener) (int, error) {
	f, err := l.File()
	if err != nil {
		return -1, err
	}
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return -1, err
	}
	nfd := -1
	var derr error
	if err := rc.Control(func(fd uintptr) {
		nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, err
	}
	return nfd, derr
}

// handoffFile is handoffFD as an os.File (which keeps the mode as it is).
func handoffFile(l *listener.Listener) (*os.File, error) {
	fd, err := handoffFD(l)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), l.Address), nil
}

// startWorker starts a worker on the listeners ls and returns once it
// listens; it reports the worker's end on exited.
func startWorker(o serveOptions, ls []*listener.Listener, exited chan *worker) (*worker, error) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	mine, theirs := os.NewFile(uintptr(pair[0]), "worker link"), os.NewFile(uintptr(pair[1]), "master link")
	h := workerHandoff{Master: 3}
	extra := []*os.File{theirs}
	defer func() {
		for _, f := range extra {
			f.Close()
		}
	}()
	for _, l := range ls {
		if l.Inherited == "fd" {
			continue // fd@N: the worker's configuration names it itself
		}
		f, err := handoffFile(l)
		if err != nil {
			mine.Close()
			return nil, err
		}
		extra = append(extra, f)
		h.Sockets = append(h.Sockets, handoffSocket{FD: 2 + len(extra), Namespace: l.Namespace, Interface: l.Interface})
	}
	js, _ := json.Marshal(h)
	exe, err := os.Executable()
	if err != nil {
		exe = o.argv[0]
	}
	cmd := exec.Command(exe, o.argv[1:]...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, daemonEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, workerEnv+"="+string(js))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = extra
	err = cmd.Start()
	for _, f := range extra {
		f.Close() // the worker has its copies: its end of the link must close with it
	}
	extra = nil
	if err != nil {
		mine.Close()
		return nil, err
	}
	w := &worker{cmd: cmd, link: mine, started: time.Now()}
	go func() {
		err := cmd.Wait()
		w.status, w.how = exitStatus(cmd, err)
		exited <- w
	}()
	// wait for "ok" (listening) or end-of-file (the worker failed)
	mine.SetReadDeadline(time.Now().Add(30 * time.Second))
	var b [3]byte
	n, _ := io.ReadFull(mine, b[:])
	mine.SetReadDeadline(time.Time{})
	if string(b[:n]) != "ok\n" {
		cmd.Process.Signal(syscall.SIGTERM)
		w2 := <-exited
		mine.Close()
		return nil, fmt.Errorf("worker (%d) exited with code %d before listening", cmd.Process.Pid, w2.status)
	}
	return w, nil
}

// exitStatus returns a worker's exit code the way haproxy reports it
// (128+signal for a killed worker) and its reason.
func exitStatus(cmd *exec.Cmd, err error) (int, string) {
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok {
		return 1, "Exit"
	}
	if ws.Signaled() {
		s := ws.Signal().String()
		if s != "" {
			s = strings.ToUpper(s[:1]) + s[1:]
		}
		return 128 + int(ws.Signal()), s
	}
	return ws.ExitStatus(), "Exit"
}

// noExitOnFailure tells whether the global section of files says
// "master-worker no-exit-on-failure" (the parsed model does not keep the
// option).
func noExitOnFailure(files []string) bool {
	for _, name := range files {
		st, err := os.Stat(name)
		if err != nil {
			continue
		}
		paths := []string{name}
		if st.IsDir() {
			ents, _ := os.ReadDir(name)
			paths = paths[:0]
			for _, e := range ents {
				if strings.HasSuffix(e.Name(), ".cfg") {
					paths = append(paths, name+"/"+e.Name())
				}
			}
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			for _, line := range strings.Split(string(b), "\n") {
				f := strings.Fields(line)
				if len(f) >= 2 && f[0] == "master-worker" && f[1] == "no-exit-on-failure" {
					return true
				}
			}
		}
	}
	return false
}

// detach tells the parent of -D that the master is up and drops the
// terminal, as serve does for a plain daemon.
func detach() {
	if f := os.NewFile(3, "ready"); f != nil {
		f.Write([]byte("ok\n"))
		f.Close()
	}
	if null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0); err == nil {
		for fd := 0; fd <= 2; fd++ {
			syscall.Dup3(int(null.Fd()), fd, 0)
		}
	}
}
