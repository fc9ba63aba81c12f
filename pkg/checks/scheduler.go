package checks

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// Check is one scheduled health check.
type Check struct {
	Name   string
	Target Target
	Probe  Probe

	// Intervals: haproxy inter/fastinter/downinter, keepalived delay_loop
	// (Inter only). Inter must be > 0.
	Intervals
	// Rise and Fall: consecutive successes/failures to change state
	// (keepalived semantics: Rise=1, Fall=1).
	Rise, Fall int
	// Timeout bounds each probe run (haproxy timeout check,
	// keepalived connect_timeout); 0 means Inter.
	Timeout time.Duration
	// Initial is the state before any check (keepalived alpha: Down).
	Initial State
	// Spread is haproxy's spread-checks percent (0..50) applied to every
	// interval.
	Spread int
	// Retry and DelayBeforeRetry are keepalived's: when the target is
	// up, a failed probe is run again up to Retry times, DelayBeforeRetry
	// apart, before the failure counts.
	Retry            int
	DelayBeforeRetry time.Duration
	// InitialDelay is waited before the first check, plus a random delay
	// in [0, Warmup) (keepalived warmup).
	InitialDelay, Warmup time.Duration
	// FixedRate starts each probe one interval after the previous one was
	// due, whatever the probe took (haproxy's scheduling); by default the
	// interval runs from the end of the probe (keepalived's).
	FixedRate bool
}

// Event reports a state change of a check, with the result that caused it.
type Event struct {
	Name     string
	Target   Target
	Old, New State
	Result   Result
	Health   int
	Time     time.Time
}

// Clock abstracts time for the scheduler.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, returning ctx.Err() then.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Options configure a Scheduler; the zero value is usable.
type Options struct {
	Clock Clock          // default: real time
	Rand  func() float64 // in [0,1); default math/rand/v2
	// EventBuffer is the capacity of the events channel (default 64).
	EventBuffer int
	// OnResult, if set, is called after every probe run (from the check's
	// goroutine), e.g. for statistics or logging.
	OnResult func(name string, r Result)
	// OnObserve, if set, is called after every probe run has been
	// counted, with the health counter before and after and the state
	// after (haproxy's "option log-health-checks" needs them), from the
	// check's goroutine and before the Event of a state change is sent.
	OnObserve func(name string, r Result, oldHealth, newHealth int, st State)
}

// Scheduler runs checks, each in its own goroutine, and reports state
// changes on Events.
type Scheduler struct {
	opts   Options
	ctx    context.Context
	cancel context.CancelFunc
	events chan Event

	mu      sync.Mutex
	checks  map[string]*running
	stopped bool
	wg      sync.WaitGroup
}

type running struct {
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	health *Health
	last   Result
}

// NewScheduler returns a scheduler whose goroutines live under ctx.
func NewScheduler(ctx context.Context, opts Options) *Scheduler {
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	if opts.EventBuffer <= 0 {
		opts.EventBuffer = 64
	}
	ctx, cancel := context.WithCancel(ctx)
	return &Scheduler{
		opts:   opts,
		ctx:    ctx,
		cancel: cancel,
		events: make(chan Event, opts.EventBuffer),
		checks: map[string]*running{},
	}
}

// Events returns the channel of state changes. It is closed by Stop.
// Check goroutines block while it is full, so it must be drained.
func (s *Scheduler) Events() <-chan Event { return s.events }

// Errors from Add.
var (
	ErrStopped   = errors.New("checks: scheduler stopped")
	ErrDuplicate = errors.New("checks: duplicate check name")
	ErrInvalid   = errors.New("checks: invalid check")
)

// Add starts a check.
func (s *Scheduler) Add(c Check) error {
	if c.Probe == nil || c.Inter <= 0 {
		return ErrInvalid
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return ErrStopped
	}
	if _, ok := s.checks[c.Name]; ok {
		return ErrDuplicate
	}
	ctx, cancel := context.WithCancel(s.ctx)
	r := &running{cancel: cancel, done: make(chan struct{}), health: NewHealth(c.Rise, c.Fall, c.Initial)}
	s.checks[c.Name] = r
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(r.done)
		s.run(ctx, c, r)
	}()
	return nil
}

// Remove stops a check and waits for its goroutine.
func (s *Scheduler) Remove(name string) bool {
	s.mu.Lock()
	r, ok := s.checks[name]
	delete(s.checks, name)
	s.mu.Unlock()
	if ok {
		r.cancel()
		<-r.done
	}
	return ok
}

// State returns a check's current state, health counter and last result.
func (s *Scheduler) State(name string) (State, int, Result, bool) {
	s.mu.Lock()
	r, ok := s.checks[name]
	s.mu.Unlock()
	if !ok {
		return Down, 0, Result{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.health.State(), r.health.Value(), r.last, true
}

// Stop stops all checks, waits for their goroutines and closes Events.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	close(s.events)
}

func (s *Scheduler) run(ctx context.Context, c Check, r *running) {
	clk := s.opts.Clock
	first := c.InitialDelay
	if c.Warmup > 0 {
		first += time.Duration(s.opts.Rand() * float64(c.Warmup))
	}
	if clk.Sleep(ctx, first) != nil {
		return
	}
	due := clk.Now()
	for {
		r.mu.Lock()
		up := r.health.State() == Up
		r.mu.Unlock()
		res, ok := s.probe(ctx, c, up)
		if !ok {
			return
		}
		if s.opts.OnResult != nil {
			s.opts.OnResult(c.Name, res)
		}
		r.mu.Lock()
		old := r.health.State()
		oldHealth := r.health.Value()
		changed := r.health.Observe(res.OK)
		r.last = res
		ev := Event{Name: c.Name, Target: c.Target, Old: old, New: r.health.State(), Result: res, Health: r.health.Value()}
		next := c.Intervals.Next(r.health)
		r.mu.Unlock()
		if s.opts.OnObserve != nil {
			s.opts.OnObserve(c.Name, res, oldHealth, ev.Health, ev.New)
		}
		if changed {
			ev.Time = clk.Now()
			select {
			case s.events <- ev:
			case <-ctx.Done():
				return
			}
		}
		wait := Spread(next, c.Spread, s.opts.Rand)
		if c.FixedRate && wait > 0 {
			// the next start is one interval after this one was due;
			// starts missed while the probe ran are skipped
			now := clk.Now()
			due = due.Add(wait)
			for !due.After(now) {
				due = due.Add(wait)
			}
			wait = due.Sub(now)
		}
		if clk.Sleep(ctx, wait) != nil {
			return
		}
	}
}

// probe runs the probe with its timeout and, for an up target,
// keepalived's retries. ok is false when the context ended.
func (s *Scheduler) probe(ctx context.Context, c Check, up bool) (Result, bool) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = c.Inter
	}
	for attempt := 0; ; attempt++ {
		pctx, cancel := context.WithTimeout(ctx, timeout)
		res := c.Probe.Run(pctx, c.Target)
		cancel()
		if ctx.Err() != nil {
			return res, false
		}
		if res.OK || !up || attempt >= c.Retry {
			return res, true
		}
		if s.opts.Clock.Sleep(ctx, c.DelayBeforeRetry) != nil {
			return res, false
		}
	}
}

// Force sets a check's health counter to fully up or fully down without
// reporting an event, as haproxy's agent-check does to the server's
// regular check ("up" and "down" replies); the caller reports the change
// itself. It returns the state before, and false for an unknown check.
func (s *Scheduler) Force(name string, st State) (State, bool) {
	s.mu.Lock()
	r, ok := s.checks[name]
	s.mu.Unlock()
	if !ok {
		return Down, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.health.State()
	r.health.force(st)
	return old, true
}
