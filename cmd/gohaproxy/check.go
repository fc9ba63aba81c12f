package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// haproxyCompat is the HAProxy version whose configuration language and
// behaviour gohaproxy reproduces.
const haproxyCompat = haproxycfg.Version

// checker loads a configuration and reports on it exactly as haproxy -c
// does: the same message prefixes, the same summary lines, the same exit
// status (0 valid, 1 errors, 2 valid but no listener).
type checker struct {
	stdout, stderr io.Writer
	quiet          bool
	zeroWarn       bool
	diag           bool
	noResolve      bool
	localPeer      string
	checkOnly      bool
	masterWorker   bool
	pid            int
	noticed        bool
	// baseDir, when set, is where relative file names in the
	// configuration are looked up (the process working directory otherwise).
	baseDir string
}

func (k *checker) path(p string) string {
	if k.baseDir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(k.baseDir, p)
}

func (k *checker) prefix(sev haproxycfg.Severity) string {
	tag := "[" + sev.Tag() + "]"
	return fmt.Sprintf("%-11s(%d) : ", tag, k.pid)
}

// say prints one diagnostic; the version notice precedes the first one.
func (k *checker) say(sev haproxycfg.Severity, msg string) {
	if k.quiet {
		return
	}
	if !k.noticed {
		k.noticed = true
		exe, _ := os.Executable()
		fmt.Fprintf(k.stderr, "%sgohaproxy version is %s (HAProxy %s configuration language)\n", k.prefix(haproxycfg.SevNotice), version, haproxyCompat)
		fmt.Fprintf(k.stderr, "%spath to executable is %s\n", k.prefix(haproxycfg.SevNotice), exe)
	}
	fmt.Fprintf(k.stderr, "%sconfig : %s\n", k.prefix(sev), msg)
}

func (k *checker) out(format string, args ...any) {
	if !k.quiet {
		fmt.Fprintf(k.stdout, format, args...)
	}
}

type envFunc func(string) (string, bool)

func (f envFunc) Lookup(name string) (string, bool) { return f(name) }

func (k *checker) load(files []string) (*haproxycfg.Config, int) {
	k.pid = os.Getpid()
	base := map[string]string{
		"HAPROXY_CFGFILES": strings.Join(files, ";"),
	}
	if k.localPeer != "" {
		base["HAPROXY_LOCALPEER"] = k.localPeer
	} else if h, err := os.Hostname(); err == nil {
		base["HAPROXY_LOCALPEER"] = h
	}
	opt := haproxycfg.Options{
		LexOptions: haproxycfg.LexOptions{
			Diagnostic: k.diag,
			Env: envFunc(func(name string) (string, bool) {
				if v, ok := os.LookupEnv(name); ok {
					return v, true
				}
				v, ok := base[name]
				return v, ok
			}),
		},
		LookupUser:  func(n string) bool { _, err := user.Lookup(n); return err == nil },
		LookupGroup: func(n string) bool { _, err := user.LookupGroup(n); return err == nil },
		FileExists:  func(p string) bool { _, err := os.Stat(k.path(p)); return err == nil },
	}
	opt.CheckFD = checkFD
	opt.MasterWorker = k.masterWorker
	if !k.noResolve {
		opt.Resolve = resolveHost
	}
	cfg, diags, err := haproxycfg.Load(files, opt)
	if err != nil {
		for _, d := range diags {
			k.say(d.Sev, d.String())
		}
		k.say(haproxycfg.SevAlert, err.Error())
		return nil, 1
	}
	for _, d := range diags {
		if d.Sev == haproxycfg.SevDiag && !k.diag {
			continue
		}
		k.say(d.Sev, d.String())
	}
	if diags.HasAlerts() {
		k.say(haproxycfg.SevAlert, "Fatal errors found in configuration.")
		return nil, 1
	}
	if diags.HasWarnings() && (k.zeroWarn || cfg.ZeroWarning()) {
		k.say(haproxycfg.SevAlert, "Some warnings were found and 'zero-warning' is set. Aborting.")
		return nil, 1
	}
	if !k.checkOnly {
		return cfg, 0
	}
	if diags.HasWarnings() {
		k.out("Warnings were found.\n")
	}
	if !cfg.HasListeners() {
		k.out("Configuration file has no error but will not start (no listener) => exit(2).\n")
		return cfg, 2
	}
	k.out("Configuration file is valid\n")
	return cfg, 0
}

// checkFD reports whether an inherited descriptor is open and is a socket.
func checkFD(fd int) error {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return errors.New("Bad file descriptor")
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFSOCK {
		return errors.New("Socket operation on non-socket")
	}
	return nil
}

// resolveHost resolves a server's host name as haproxy does at start-up
// (libc: /etc/hosts, then DNS), with a bound on the time it may take.
func resolveHost(host string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := net.DefaultResolver.LookupHost(ctx, host)
	return err
}
