package notify

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// Script is a command to run on an event.
type Script struct {
	// Argv is the command line (see SplitCommand), Argv[0] the program.
	Argv []string
	// User is the identity to run as; nil runs as this process.
	User *UserID
	// Env is added to the environment (e.g. HAProxyExternalCheck.Env).
	Env []string
	// Timeout overrides RunnerConfig.Timeout for this script.
	Timeout time.Duration
}

// String is the command line as keepalived logs it (each word quoted).
func (s Script) String() string {
	var b strings.Builder
	for i, a := range s.Argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(a, "'", `'\''`))
		b.WriteByte('\'')
	}
	return b.String()
}

// RunResult is what happened to one script run.
type RunResult struct {
	Script   Script
	Args     []string // arguments appended to Script.Argv
	ExitCode int      // -1 when killed or not started
	TimedOut bool
	Err      error
	Duration time.Duration
}

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	// MaxConcurrent bounds the scripts running at once (default 16).
	MaxConcurrent int
	// QueueSize bounds the scripts waiting for a slot (default 256); when
	// full, Run drops the script and logs it.
	QueueSize int
	// Timeout bounds each run (default 30 s); the script's process group
	// gets SIGTERM, then SIGKILL after KillGrace (default 1 s).
	Timeout   time.Duration
	KillGrace time.Duration
	Logger    *zap.Logger
	// OnResult, if set, is called after each run (from a worker
	// goroutine).
	OnResult func(RunResult)
}

// Errors of the Runner.
var (
	ErrRunQueueFull = errors.New("notify: script queue full")
	ErrRunnerClosed = errors.New("notify: script runner closed")
)

// Runner runs notify scripts asynchronously with bounded concurrency.
// Run never blocks; results are logged.
type Runner struct {
	cfg    RunnerConfig
	log    *zap.Logger
	queue  chan runJob
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.RWMutex
	closed bool
}

type runJob struct {
	s    Script
	args []string
}

// NewRunner starts the runner's workers, which live until ctx ends or
// Close is called; scripts still running then are killed.
func NewRunner(ctx context.Context, cfg RunnerConfig) *Runner {
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 16
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 256
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.KillGrace <= 0 {
		cfg.KillGrace = time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = zap.NewNop()
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &Runner{cfg: cfg, log: log, queue: make(chan runJob, cfg.QueueSize), ctx: ctx, cancel: cancel}
	for i := 0; i < cfg.MaxConcurrent; i++ {
		r.wg.Add(1)
		go r.work()
	}
	return r
}

// Run queues s with args appended to its command line (e.g. NotifyArgs)
// and returns at once; ErrRunQueueFull or ErrRunnerClosed (both logged)
// when it cannot.
func (r *Runner) Run(s Script, args ...string) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(s.Argv) == 0 {
		r.log.Error("notify script not run: empty command line")
		return ErrEmptyCommand
	}
	if r.closed || r.ctx.Err() != nil {
		r.log.Error("notify script not run: the script runner is shut down", zap.String("script", s.String()), zap.Strings("args", args))
		return ErrRunnerClosed
	}
	select {
	case r.queue <- runJob{s: s, args: args}:
		return nil
	default:
		r.log.Error("notify script not run: too many scripts waiting (scripts start faster than they finish; check that they do not hang)",
			zap.String("script", s.String()), zap.Strings("args", args), zap.Int("queue_size", cap(r.queue)))
		return ErrRunQueueFull
	}
}

// Close stops accepting scripts and waits until the queued and running
// ones finish or ctx ends; then the remaining ones are killed (and
// logged). It returns ctx.Err() if it had to kill.
func (r *Runner) Close(ctx context.Context) error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.queue)
	}
	r.mu.Unlock()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		r.cancel()
		return nil
	case <-ctx.Done():
		r.cancel()
		<-done
		return ctx.Err()
	}
}

func (r *Runner) work() {
	defer r.wg.Done()
	for {
		select {
		case j, ok := <-r.queue:
			if !ok {
				return
			}
			if r.ctx.Err() != nil {
				r.log.Error("notify script not run: shutting down", zap.String("script", j.s.String()), zap.Strings("args", j.args))
				continue
			}
			res := r.exec(j)
			r.report(res)
		case <-r.ctx.Done():
			// Log what is left; Close has closed the queue or will.
			for {
				select {
				case j, ok := <-r.queue:
					if !ok {
						return
					}
					r.log.Error("notify script not run: shutting down", zap.String("script", j.s.String()), zap.Strings("args", j.args))
				default:
					return
				}
			}
		}
	}
}

func (r *Runner) report(res RunResult) {
	f := []zap.Field{zap.String("script", res.Script.String()), zap.Strings("args", res.Args), zap.Duration("duration", res.Duration)}
	switch {
	case res.TimedOut:
		r.log.Warn("notify script timed out and was killed (make it finish sooner or raise its timeout)", f...)
	case res.Err != nil:
		r.log.Error("notify script could not be run", append(f, zap.Error(res.Err))...)
	case res.ExitCode != 0:
		r.log.Warn("notify script exited with an error status", append(f, zap.Int("status", res.ExitCode))...)
	default:
		r.log.Debug("notify script finished", f...)
	}
	if r.cfg.OnResult != nil {
		r.cfg.OnResult(res)
	}
}

// unsafeEnv are removed from a script's environment, as keepalived does.
var unsafeEnv = []string{"IFS=", "LD_PRELOAD=", "LD_LIBRARY_PATH="}

func scriptEnv(extra []string) []string {
	var env []string
	for _, e := range os.Environ() {
		skip := false
		for _, u := range unsafeEnv {
			if strings.HasPrefix(e, u) {
				skip = true
			}
		}
		if !skip {
			env = append(env, e)
		}
	}
	return append(env, extra...)
}

// exec runs one script in its own process group and waits for it,
// killing the group on timeout or shutdown.
func (r *Runner) exec(j runJob) RunResult {
	res := RunResult{Script: j.s, Args: j.args, ExitCode: -1}
	start := time.Now()
	defer func() { res.Duration = time.Since(start) }()
	argv := append(append([]string(nil), j.s.Argv...), j.args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = scriptEnv(j.s.Env)
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if u := j.s.User; u != nil && (u.UID != uint32(os.Getuid()) || u.GID != uint32(os.Getgid()) || u.Groups != nil) {
		groups := u.Groups
		if groups == nil {
			groups = []uint32{}
		}
		attr.Credential = &syscall.Credential{Uid: u.UID, Gid: u.GID, Groups: groups}
	}
	cmd.SysProcAttr = attr
	// stdin, stdout and stderr are /dev/null (cmd's nil defaults).
	if err := cmd.Start(); err != nil {
		res.Err = err
		return res
	}
	pid := cmd.Process.Pid
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	timeout := j.s.Timeout
	if timeout <= 0 {
		timeout = r.cfg.Timeout
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	var err error
	select {
	case err = <-waited:
	case <-t.C:
		res.TimedOut = true
		err = r.kill(pid, waited)
	case <-r.ctx.Done():
		err = r.kill(pid, waited)
		res.Err = errors.New("killed: shutting down")
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		res.ExitCode = 0
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
	default:
		if res.Err == nil {
			res.Err = err
		}
	}
	return res
}

// kill sends SIGTERM to the process group, SIGKILL after the grace
// period, and returns the Wait error.
func (r *Runner) kill(pid int, waited <-chan error) error {
	syscall.Kill(-pid, syscall.SIGTERM)
	g := time.NewTimer(r.cfg.KillGrace)
	defer g.Stop()
	select {
	case err := <-waited:
		// The leader is gone; make sure its children are too.
		syscall.Kill(-pid, syscall.SIGKILL)
		return err
	case <-g.C:
		syscall.Kill(-pid, syscall.SIGKILL)
		return <-waited
	}
}
