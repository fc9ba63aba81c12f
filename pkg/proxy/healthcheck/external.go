package healthcheck

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/notify"
)

// External is "option external-check": it runs "external-check command"
// with haproxy's arguments and HAPROXY_* environment (and nothing else of
// the process's environment); exit code 0 is a success. It implements
// checks.Probe.
type External struct {
	// Command is the program run (also its argv[0]).
	Command string
	// Info describes the server; Path is "external-check path" ("" sets
	// an empty PATH, as haproxy does).
	Info notify.HAProxyExternalCheck
	// CurConn, when set, gives the server's current connections for
	// HAPROXY_SERVER_CURCONN.
	CurConn func() int
	// Timeout bounds one run: haproxy kills the program after inter
	// (whatever "timeout check" says).
	Timeout time.Duration
	// OnKill, when set, is told the PID of a program killed on timeout
	// (haproxy logs "kill PID").
	OnKill func(pid int)
}

// Run implements checks.Probe.
func (e *External) Run(ctx context.Context, _ checks.Target) checks.Result {
	info := e.Info
	if e.CurConn != nil {
		info.ServerCurConn = e.CurConn()
	}
	env := info.Env()
	if info.Path == "" {
		env = append(env, "PATH=")
	}
	start := time.Now()
	r := e.exec(ctx, info.Args(), env)
	r.Duration = time.Since(start)
	r.Reason = r.Status.Text()
	r.Weight = -1
	return r
}

func (e *External) exec(ctx context.Context, args, env []string) checks.Result {
	if e.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.Timeout)
		defer cancel()
	}
	cmd := exec.Command(e.Command, args...)
	cmd.Env = env
	// the program writes where haproxy's own output goes
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return checks.Result{Status: checks.StatusPROCERR, Info: err.Error()}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		pid := cmd.Process.Pid
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		if e.OnKill != nil {
			e.OnKill(pid)
		}
		<-done
		return checks.Result{Status: checks.StatusPROCTOUT}
	}
	if err == nil {
		return checks.Result{OK: true, Status: checks.StatusPROCOK}
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() < 0 {
		return checks.Result{Status: checks.StatusPROCERR, Info: err.Error()}
	}
	return checks.Result{Status: checks.StatusPROCERR, Code: ee.ExitCode()}
}

// externalCheck builds the external check of server s of px; ids are
// haproxy's numeric ids of the proxy and of the server.
func externalCheck(px *haproxycfg.Proxy, s *haproxycfg.Server, typPos haproxycfg.Pos, inter time.Duration) (*External, error) {
	e := &External{Timeout: inter}
	for _, d := range directives(px, "external-check") {
		if len(d.Args) < 3 {
			continue
		}
		switch d.Args[1] {
		case "command":
			e.Command = d.Args[2]
		case "path":
			e.Info.Path = d.Args[2]
		default:
			return nil, &UnsupportedError{d.Pos, "'external-check " + d.Args[1] + "'"}
		}
	}
	if e.Command == "" {
		return nil, &UnsupportedError{typPos, "'option external-check' without 'external-check command'"}
	}
	if !strings.Contains(e.Command, "/") {
		return nil, &UnsupportedError{typPos, "'external-check command " + e.Command + "' (give the program's full path)"}
	}
	if len(px.Binds) > 0 {
		b := px.Binds[0]
		if b.Addr.Family != haproxycfg.FamilyIPv4 && b.Addr.Family != haproxycfg.FamilyIPv6 {
			return nil, &UnsupportedError{b.Pos, "an external check in a proxy whose first bind is not an IP address"}
		}
		e.Info.ProxyAddr = b.Addr.Host
		e.Info.ProxyPort = strconv.Itoa(b.Addr.PortLow)
	}
	if _, ok := s.Options["proto"]; ok {
		return nil, &UnsupportedError{s.Pos, "server option 'proto' with an external check"}
	}
	if px.Mode == haproxycfg.ModeHTTP {
		e.Info.ServerProto = "h1"
	}
	e.Info.ProxyName = px.Name
	e.Info.ServerName = s.Name
	e.Info.ServerAddr = s.Addr.Host
	if s.Addr.HasPort && !s.Addr.Offset {
		e.Info.ServerPort = strconv.Itoa(s.Addr.PortLow)
	}
	if v, ok := s.Options["maxconn"]; ok && len(v) > 0 {
		e.Info.ServerMaxConn, _ = strconv.Atoi(v[0])
	}
	_, e.Info.ServerSSL = s.Options["ssl"]
	if ip := net.ParseIP(e.Info.ServerAddr); ip == nil {
		return nil, &UnsupportedError{s.Pos, "an external check of a server named by host name ('" + e.Info.ServerAddr + "')"}
	}
	return e, nil
}
