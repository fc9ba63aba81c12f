package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/gohaproxy/gohaproxy/pkg/keepalivedconf"
)

// checkDataFile is what keepalived 2.2.7's healthcheck child writes on
// SIGUSR1.
const checkDataFile = "/tmp/keepalived_check.data"

// checkerChild is keepalived's healthcheck child ("Keepalived_healthcheckers"):
// it writes the checkers pid file and runs the virtual servers (the real
// servers' checkers and the forwarder) until SIGTERM/SIGINT; SIGHUP
// reloads them keeping what did not change, SIGUSR1 writes
// /tmp/keepalived_check.data. It tells the parent through st when it has
// read its configuration, and when it cannot run it at all.
func checkerChild(c *cli.Context, file string, opts keepalivedconf.Options, res *keepalivedconf.Result, stderr io.Writer, st *childStatus) error {
	defer st.close()
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, sigData)
	defer signal.Stop(sigs)
	// keepalived's checker ignores the VRRP process's dump signals.
	signal.Ignore(sigStats, sigStatsClear, sigJSON)
	fail := func(err error) error {
		st.permanent()
		if c.Bool("log-console") {
			return exitError{exitChildConfig, ""}
		}
		return exitError{exitChildConfig, "gokeepalived: " + err.Error()}
	}
	lg, closeLog, err := newLogger(c, stderr, kindNames[kindChecker].ident)
	if err != nil {
		return fail(err)
	}
	defer closeLog()
	logf := func(format string, args ...any) { lg.Info(fmt.Sprintf(format, args...)) }
	stoppedLine := func() {
		if c.Bool("log-detail") {
			var ru syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			logf("Stopped - used %s user time, %s system time", tvString(ru.Utime), tvString(ru.Stime))
		} else {
			logf("Stopped")
		}
	}
	logDiags := func(r *keepalivedconf.Result) {
		// The checker process logs what its own read of the
		// configuration reports, as keepalived's does.
		for _, l := range r.PassDiags(keepalivedconf.PassChecker) {
			logf("%s", l)
		}
	}
	logDiags(res)

	pidPath := checkersPidFile(c)
	if err := os.WriteFile(pidPath, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		// keepalived: "Healthcheck child process: cannot write pidfile"
		err = fmt.Errorf("Healthcheck child process: cannot write pidfile %s: %w (fix -c or the directory's permissions)", pidPath, err)
		lg.Error(err.Error())
		return fail(err)
	}
	pf := &pidFile{path: pidPath}
	defer pf.remove()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rt, err := startVirtualServers(ctx, res.Config, lg, logf) // virtualserver.go
	if err != nil {
		lg.Error(err.Error())
		stoppedLine()
		return fail(err)
	}
	defer rt.stop()
	cfg := res.Config
	if c.Bool("dump-conf") {
		// keepalived's checker logs its data once the services are in
		// the table (dump_data_check after init_services).
		logCheckData(logf, cfg, rt)
	}
	st.configRead()
	for s := range sigs {
		switch s {
		case sigData:
			logf("Printing checker data for process(%d) on signal", os.Getpid())
			var b bytes.Buffer
			writeCheckData(&b, cfg, rt.services(), rt.snapshot(), rt.serviceStates(), rt.reloadedSet())
			if err := writeFileAtomic(checkDataFile, b.Bytes()); err != nil {
				lg.Error(fmt.Sprintf("Can't open %s (%v): check that /tmp is writable", checkDataFile, err))
			}
		case syscall.SIGHUP:
			logf("Reloading")
			r := keepalivedconf.Parse(file, opts, realHost{})
			logDiags(r)
			if r.Config == nil {
				lg.Error(fmt.Sprintf("Reload of %s failed, the previous configuration stays in force", file))
			} else if err := rt.reload(r.Config); err != nil {
				lg.Error(fmt.Sprintf("Reload of the virtual servers of %s: %v", file, err))
				cfg = r.Config
			} else {
				cfg = r.Config
			}
			st.configRead()
		default:
			// keepalived removes the pid file first: a new daemon may
			// start while this one says goodbye.
			pf.remove()
			rt.stop()
			stoppedLine()
			return nil
		}
	}
	return nil
}
