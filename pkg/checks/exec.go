package checks

import (
	"context"
	"errors"
	"os/exec"
	"syscall"
	"time"
)

// Exec runs an external program (keepalived's MISC_CHECK, haproxy's
// external-check). Exit code 0 means up. With MiscDynamic, exit code 1
// means down and 2..255 means up with weight = code-2 (Result.Weight).
// The process group is killed when the context deadline expires.
type Exec struct {
	Path string
	Args []string // arguments after the program name
	// Env is the complete environment; nil inherits the current one.
	Env         []string
	MiscDynamic bool
	// Timeout, if set, bounds the run in addition to the context.
	Timeout time.Duration
}

// Run implements Probe.
func (p Exec) Run(ctx context.Context, t Target) Result {
	return timed(func() Result {
		if p.Timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, p.Timeout)
			defer cancel()
		}
		cmd := exec.CommandContext(ctx, p.Path, p.Args...)
		cmd.Env = p.Env
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error {
			return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		cmd.WaitDelay = time.Second
		err := cmd.Run()
		if ctx.Err() != nil {
			return result(false, StatusPROCTOUT, 0, "")
		}
		code := 0
		if err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				return result(false, StatusPROCERR, 0, err.Error())
			}
			code = ee.ExitCode()
			if code < 0 {
				return result(false, StatusPROCERR, 0, ee.String())
			}
		}
		if code == 0 {
			return result(true, StatusPROCOK, 0, "")
		}
		if p.MiscDynamic && code >= 2 {
			r := result(true, StatusPROCOK, code, "")
			r.Weight = code - 2
			return r
		}
		return result(false, StatusPROCERR, code, "")
	})
}
