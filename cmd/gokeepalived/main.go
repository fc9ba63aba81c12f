// Command gokeepalived is a drop-in replacement for keepalived 2.2.7: it
// checks (-t) and dumps (-d) keepalived.conf and runs as keepalived runs:
// a parent process, the VRRP child (Keepalived_vrrp) and, when the
// configuration has virtual servers, the healthcheck child
// (Keepalived_healthcheckers, checkerchild.go); -P runs only the first,
// -C only the second.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gohaproxy/gohaproxy/pkg/keepalivedconf"
	"github.com/urfave/cli/v2"
)

const version = "gokeepalived v0.1 (keepalived v2.2.7 compatible)"

// exitError carries an exit status through urfave/cli.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }
func (e exitError) ExitCode() int { return e.code }

// normaliseArgs turns keepalived's optional-argument forms
// (-t[FILE], --config-test[=FILE]) into flags urfave/cli understands.
func normaliseArgs(args []string) []string {
	out := []string{args[0]}
	for _, a := range args[1:] {
		switch {
		case strings.HasPrefix(a, "--config-test="):
			out = append(out, "--config-test", "--config-test-log="+strings.TrimPrefix(a, "--config-test="))
		case strings.HasPrefix(a, "-t") && len(a) > 2 && !strings.HasPrefix(a, "--"):
			out = append(out, "--config-test", "--config-test-log="+a[2:])
		default:
			out = append(out, a)
		}
	}
	return out
}

func newApp(stdout, stderr io.Writer) *cli.App {
	s := func(name, alias, usage string) *cli.StringFlag {
		f := &cli.StringFlag{Name: name, Usage: usage}
		if alias != "" {
			f.Aliases = []string{alias}
		}
		return f
	}
	b := func(name, alias, usage string) *cli.BoolFlag {
		f := &cli.BoolFlag{Name: name, Usage: usage}
		if alias != "" {
			f.Aliases = []string{alias}
		}
		return f
	}
	app := &cli.App{
		Name:            "gokeepalived",
		Usage:           "keepalived 2.2.7 compatible VRRP and health-checker daemon",
		Writer:          stdout,
		ErrWriter:       stderr,
		HideVersion:     true,
		HideHelpCommand: true,
		Flags: []cli.Flag{
			s("use-file", "f", "Use the specified configuration file (default /etc/keepalived/keepalived.conf)"),
			b("vrrp", "P", "Only run with VRRP subsystem"),
			b("check", "C", "Only run with Health-checker subsystem"),
			b("no_bfd", "B", "Don't run BFD subsystem"),
			b("all", "", "Force all child processes to run, even if have no configuration"),
			b("log-console", "l", "Log messages to local console"),
			b("log-detail", "D", "Detailed log messages"),
			s("log-facility", "S", "Set syslog facility to LOG_LOCAL[0-7], user or daemon"),
			b("no-syslog", "G", "Don't log via syslog"),
			s("log-file", "g", "Also log to FILE"),
			b("flush-log-file", "", "Flush log file on write"),
			s("umask", "u", "umask for file creation (in numeric form)"),
			b("release-vips", "X", "Drop VIP on transition from signal"),
			b("dont-release-vrrp", "V", "Don't remove VRRP VIPs and VROUTEs on daemon stop"),
			b("dont-release-ipvs", "I", "Don't remove IPVS topology on daemon stop"),
			b("dont-respawn", "R", "Don't respawn child processes"),
			b("dont-fork", "n", "Don't fork the daemon process"),
			b("dump-conf", "d", "Dump the configuration data"),
			s("pid", "p", "Use specified pidfile for parent process"),
			s("vrrp_pid", "r", "Use specified pidfile for VRRP child process"),
			s("checkers_pid", "c", "Use specified pidfile for checkers child process"),
			s("bfd_pid", "b", "Use specified pidfile for BFD child process"),
			b("genhash", "T", "Enter into genhash utility mode"),
			b("address-monitoring", "a", "Report all address additions/deletions notified via netlink"),
			b("snmp", "x", "Enable SNMP subsystem (refused: not offered by gokeepalived)"),
			s("snmp-agent-socket", "A", "Use the specified socket for master agent (refused)"),
			s("namespace", "s", "Run in network namespace NAME (overrides config)"),
			b("core-dump", "m", "Produce core dump if terminate abnormally"),
			s("core-dump-pattern", "M", "Also set /proc/sys/kernel/core_pattern to PATN"),
			b("all-config", "e", "Error if any configuration file missing (same as includet)"),
			s("config-id", "i", "Skip any configuration lines beginning '@' that don't match id"),
			s("signum", "", "Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON"),
			b("config-test", "t", "Check the configuration for obvious errors, output to stderr by default (-tFILE / --config-test=FILE)"),
			&cli.StringFlag{Name: "config-test-log", Hidden: true},
			b("version", "v", "Display the version number"),
			b("compat-doc", "", "Print docs/keepalived-compat.md generated from the keyword registry"),
		},
		Action: func(c *cli.Context) error { return run(c, stdout, stderr) },
	}
	return app
}

func run(c *cli.Context, stdout, stderr io.Writer) error {
	if c.Bool("version") {
		fmt.Fprintln(stderr, version)
		return nil
	}
	if c.Bool("compat-doc") {
		_, err := io.WriteString(stdout, keepalivedconf.CompatDoc())
		return err
	}
	if c.NArg() > 0 {
		fmt.Fprintf(stderr, "Unexpected argument(s): %s \n", strings.Join(c.Args().Slice(), " "))
	}
	if c.Bool("snmp") || c.IsSet("snmp-agent-socket") {
		return exitError{1, "gokeepalived: SNMP (-x/--snmp, -A) is not offered by gokeepalived; run without it"}
	}
	if c.Bool("genhash") {
		return exitError{1, "gokeepalived: genhash mode (-T) is not implemented"}
	}
	if sig := c.String("signum"); sig != "" {
		n, ok := signums[sig]
		if !ok {
			return exitError{1, "Unknown sigfunc " + sig}
		}
		fmt.Fprintln(stdout, int(n))
		return nil
	}
	file := c.String("use-file")
	if file == "" {
		file = "/etc/keepalived/keepalived.conf"
	}
	id := c.String("config-id")
	if id == "" {
		h, _ := os.Hostname()
		id, _, _ = strings.Cut(h, ".")
	}
	opts := keepalivedconf.Options{ConfigID: id, AllConfig: c.Bool("all-config")}
	res := keepalivedconf.Parse(file, opts, realHost{})

	if c.Bool("config-test") {
		out := stderr
		if p := c.String("config-test-log"); p != "" {
			f, err := os.Create(p)
			if err != nil {
				return exitError{1, err.Error()}
			}
			defer f.Close()
			out = f
		}
		// keepalived's messages, as its reads print them; our own notes
		// end in " [gokeepalived]".
		res.WriteConfigTest(out)
		if res.Config != nil {
			if s := globalSetting(res.Config.Global, "lvs_userspace"); s != nil {
				fmt.Fprintf(out, "%s [gokeepalived]\n", keepalivedconf.Diag{Kind: keepalivedconf.KindInfo, Pos: s.Pos, Msg: lvsUserspaceNote(boolArg(s))})
			}
		}
		if code := res.ExitCode(); code != 0 {
			return exitError{code, ""}
		}
		return nil
	}
	// The VRRP child runs with the parent's arguments: the parent dumped.
	if c.Bool("dump-conf") && os.Getenv(childEnv) == "" {
		for _, d := range res.Diags {
			fmt.Fprintln(stderr, d.String())
		}
		keepalivedconf.Dump(stdout, res.Config)
	}
	return daemon(c, file, opts, res, stderr, newVRRPNode)
}

func main() {
	app := newApp(os.Stdout, os.Stderr)
	if err := app.Run(normaliseArgs(os.Args)); err != nil {
		code := 1
		if e, ok := err.(exitError); ok {
			code = e.code
		}
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, msg)
		}
		os.Exit(code)
	}
}
