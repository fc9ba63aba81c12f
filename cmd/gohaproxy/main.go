// Command gohaproxy is a drop-in replacement for HAProxy 2.6: same
// configuration files, same command line.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

// run executes the command line and returns the process exit status.
func run(argv []string, stdout, stderr io.Writer) int {
	status := 0
	app := newApp(stdout, stderr, &status)
	if err := app.Run(normalizeArgs(argv)); err != nil {
		fmt.Fprintf(stderr, "[ALERT]    (%d) : %v\n", os.Getpid(), err)
		if status == 0 {
			status = 1
		}
	}
	return status
}

func newApp(stdout, stderr io.Writer, status *int) *cli.App {
	cli.HelpFlag = &cli.BoolFlag{Name: "h", Usage: "show this help"}
	cli.VersionFlag = &cli.BoolFlag{Name: "gohaproxy-version", Hidden: true}
	return &cli.App{
		Name:            "gohaproxy",
		Usage:           "a drop-in replacement for HAProxy 2.6",
		UsageText:       "gohaproxy [-f <cfgfile|cfgdir>]* [ -vdVD ] [ -n <maxconn> ] [ -N <maxpconn> ] [ -p <pidfile> ] [ -m <max megs> ] [ -C <dir> ] [-- <cfgfile>*]",
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
		Flags:           flags(),
		Action: func(c *cli.Context) error {
			*status = action(c, stdout, stderr)
			return nil
		},
	}
}

func flags() []cli.Flag {
	b := func(name, usage string) cli.Flag { return &cli.BoolFlag{Name: name, Usage: usage} }
	s := func(name, usage string) cli.Flag { return &cli.StringFlag{Name: name, Usage: usage} }
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "f", Usage: "read configuration from file or directory (repeatable)"},
		b("c", "check mode: check the configuration and exit"),
		b("D", "daemon mode"),
		s("p", "write PIDs to this file"),
		&cli.StringSliceFlag{Name: "sf", Usage: "finish these old PIDs after start (soft stop)"},
		&cli.StringSliceFlag{Name: "st", Usage: "terminate these old PIDs after start"},
		b("W", "master-worker mode"),
		b("Ws", "master-worker mode with systemd notify support"),
		b("q", "quiet mode: do not display messages"),
		b("V", "verbose mode (overrides quiet)"),
		b("v", "display version and exit"),
		b("vv", "display version, build options and exit"),
		s("L", "set local peer name"),
		s("N", "set the default per-proxy maxconn"),
		s("n", "set the global maxconn"),
		s("m", "limit memory usage to this many megabytes"),
		s("C", "change to this directory before loading files"),
		s("x", "get listening sockets from this unix socket"),
		s("S", "master CLI socket: <bind>[,<bind options>...]"),
		b("d", "debug mode (foreground, traces)"),
		b("db", "disable background mode"),
		b("dW", "fail if any warning is emitted"),
		b("dr", "ignore server address resolution failures"),
		b("dD", "diagnostic mode: print .diag messages and extra checks"),
		b("de", "disable epoll (accepted, no effect)"),
		b("dp", "disable poll (accepted, no effect)"),
		b("dS", "disable splice"),
		b("dG", "disable getaddrinfo"),
		b("dV", "disable SSL verify on servers"),
		s("dK", "dump registered keywords of a class (accepted, see docs/haproxy-compat.md)"),
		s("dM", "poison memory with this byte (accepted, no effect)"),
		b("dL", "dump the list of loaded libraries (accepted, no effect)"),
	}
}

// normalizeArgs rewrites haproxy's argument conventions into ones the flag
// parser understands: "-sf PID PID ..." takes every following numeric word,
// "-dKall"/"-dM0x55" glue their value, and "--" introduces config files.
func normalizeArgs(argv []string) []string {
	if len(argv) == 0 {
		return argv
	}
	out := []string{argv[0]}
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		switch {
		case a == "--":
			for _, f := range argv[i+1:] {
				out = append(out, "-f", f)
			}
			return out
		case a == "-sf" || a == "-st":
			j := i + 1
			for j < len(argv) && !strings.HasPrefix(argv[j], "-") {
				out = append(out, a+"="+argv[j])
				j++
			}
			i = j - 1
		case strings.HasPrefix(a, "-dK") && len(a) > 3:
			out = append(out, "-dK="+a[3:])
		case strings.HasPrefix(a, "-dM") && len(a) > 3:
			out = append(out, "-dM="+a[3:])
		default:
			out = append(out, a)
		}
	}
	return out
}

func action(c *cli.Context, stdout, stderr io.Writer) int {
	if c.Bool("v") || c.Bool("vv") {
		fmt.Fprintf(stdout, "gohaproxy version %s - a drop-in replacement for HAProxy %s\n", version, haproxyCompat)
		if c.Bool("vv") {
			fmt.Fprintf(stdout, "Configuration compatible with HAProxy %s.\nBuilt with Go.\n", haproxyCompat)
		}
		return 0
	}
	if n := c.String("N"); n != "" && !c.Bool("c") {
		fmt.Fprintf(stderr, "[WARNING]  (%d) : -N %s: a default per-proxy maxconn from the command line is not implemented by gohaproxy yet; set maxconn in the configuration.\n", os.Getpid(), n)
	}
	if dir := c.String("C"); dir != "" {
		if err := os.Chdir(dir); err != nil {
			fmt.Fprintf(stderr, "[ALERT]    (%d) : Cannot chdir to %s : %v\n", os.Getpid(), dir, err)
			return 1
		}
	}
	files := c.StringSlice("f")
	files = append(files, c.Args().Slice()...)
	if len(files) == 0 {
		fmt.Fprintf(stderr, "[ALERT]    (%d) : No configuration file specified.\n", os.Getpid())
		return 1
	}
	chk := checker{
		stdout: stdout, stderr: stderr,
		quiet:        c.Bool("q") && !c.Bool("V"),
		zeroWarn:     c.Bool("dW"),
		diag:         c.Bool("dD"),
		noResolve:    c.Bool("dr"),
		localPeer:    c.String("L"),
		checkOnly:    c.Bool("c"),
		masterWorker: c.Bool("W") || c.Bool("Ws"),
	}
	cfg, status := chk.load(files)
	if c.Bool("c") || status != 0 {
		return status
	}
	foreground := c.Bool("db") || c.Bool("d") || c.Bool("W") || c.Bool("Ws")
	o := serveOptions{
		files:     files,
		daemon:    (c.Bool("D") || cfg.Global.Daemon) && !foreground,
		pidfile:   c.String("p"),
		finish:    c.StringSlice("sf"),
		terminate: c.StringSlice("st"),
		sdNotify:  c.Bool("Ws"),
		takeFrom:  c.String("x"),
		argv:      os.Args,
	}
	if wantMasterWorker(c.Bool("W"), c.Bool("Ws"), cfg) {
		// the master goes to the background with -D or "daemon" only
		o.daemon = (c.Bool("D") || cfg.Global.Daemon) && !c.Bool("db") && !c.Bool("d")
		// -S: the master CLI (haproxy ignores it outside master-worker mode)
		return runMaster(cfg, masterSettings{chk: chk, files: files, o: o, cli: c.String("S")}, stderr)
	}
	if isWorker() {
		o.daemon = false // the master is the daemon
	}
	return serve(cfg, o, stderr)
}
