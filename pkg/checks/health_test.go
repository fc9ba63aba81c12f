package checks

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestHealth(t *testing.T) {
	tests := []struct {
		name       string
		rise, fall int
		initial    State
		seq        string // 'o' success, 'x' failure
		states     string // 'U'/'D' after each
		changes    string // '!' where the state changed, '.' otherwise
	}{
		{"up starts fragile", 2, 3, Up, "x", "D", "!"},
		{"up full needs fall failures", 2, 3, Up, "oxxx", "UUUD", "...!"},
		{"down needs rise successes", 2, 3, Down, "oo", "DU", ".!"},
		{"rise interrupted", 3, 2, Down, "ooxooo", "DDDDDU", ".....!"},
		{"fall interrupted resets to full", 2, 3, Up, "oxxoxxx", "UUUUUUD", "......!"},
		{"keepalived 1/1", 1, 1, Down, "oxxoo", "UDDUU", "!!.!."},
		{"zero rise/fall treated as 1", 0, 0, Up, "xo", "DU", "!!"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHealth(tc.rise, tc.fall, tc.initial)
			for i, c := range tc.seq {
				changed := h.Observe(c == 'o')
				want := Down
				if tc.states[i] == 'U' {
					want = Up
				}
				if h.State() != want {
					t.Fatalf("step %d: state %v, want %v (health %d)", i, h.State(), want, h.Value())
				}
				if changed != (tc.changes[i] == '!') {
					t.Fatalf("step %d: changed=%v", i, changed)
				}
				if h.Value() < 0 || h.Value() > h.Rise+h.Fall-1 {
					t.Fatalf("step %d: health %d out of range", i, h.Value())
				}
			}
		})
	}
}

func TestIntervals(t *testing.T) {
	iv := Intervals{Inter: 10 * time.Second, FastInter: time.Second, DownInter: 30 * time.Second}
	tests := []struct {
		name    string
		initial State
		seq     string
		want    time.Duration
	}{
		{"fresh up is transitioning", Up, "", time.Second},
		{"full up", Up, "o", 10 * time.Second},
		{"going down", Up, "ox", time.Second},
		{"down", Down, "", 30 * time.Second},
		{"rising", Down, "o", time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHealth(2, 3, tc.initial)
			for _, c := range tc.seq {
				h.Observe(c == 'o')
			}
			if got := iv.Next(h); got != tc.want {
				t.Errorf("Next = %v, want %v", got, tc.want)
			}
			if got := (Intervals{Inter: 7}).Next(h); got != 7 {
				t.Errorf("fallback to inter: %v", got)
			}
		})
	}
}

func TestSpread(t *testing.T) {
	tests := []struct {
		pct  int
		r    float64
		want time.Duration
	}{
		{0, 0.9, 1000},
		{10, 0, 1100},
		{10, 0.5, 1000},
		{10, 0.999999, 900},
		{50, 0, 1500},
	}
	for _, tc := range tests {
		got := Spread(1000, tc.pct, func() float64 { return tc.r })
		if got < tc.want-1 || got > tc.want+1 {
			t.Errorf("Spread(1000,%d,%v) = %v, want %v", tc.pct, tc.r, got, tc.want)
		}
	}
}

// fakeClock returns from Sleep immediately and records the durations.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

// scripted returns the results in order, then blocks until ctx ends.
type scripted struct {
	mu   sync.Mutex
	oks  []bool
	done chan struct{}
}

func (p *scripted) Run(ctx context.Context, _ Target) Result {
	p.mu.Lock()
	if len(p.oks) == 0 {
		p.mu.Unlock()
		select {
		case p.done <- struct{}{}:
		case <-ctx.Done():
		}
		<-ctx.Done()
		return result(false, StatusL4TOUT, 0, "")
	}
	ok := p.oks[0]
	p.oks = p.oks[1:]
	p.mu.Unlock()
	if ok {
		return result(true, StatusL4OK, 0, "")
	}
	return result(false, StatusL4CON, 0, "")
}

func TestSchedulerFakeClock(t *testing.T) {
	tests := []struct {
		name   string
		check  Check
		oks    []bool
		events []string // "old>new:status"
		sleeps []time.Duration
	}{
		{
			name:   "haproxy rise/fall",
			check:  Check{Intervals: Intervals{Inter: 10, FastInter: 1, DownInter: 30}, Rise: 2, Fall: 2, Initial: Up},
			oks:    []bool{true, false, false, true, true},
			events: []string{"UP>DOWN:L4CON", "DOWN>UP:L4OK"},
			// initial delay 0, then after each result: full up, going
			// down, down, rising, full up.
			sleeps: []time.Duration{0, 10, 1, 30, 1, 10},
		},
		{
			name: "keepalived retry",
			check: Check{Intervals: Intervals{Inter: 100}, Rise: 1, Fall: 1, Initial: Up,
				Retry: 2, DelayBeforeRetry: 5, InitialDelay: 3},
			// fail, fail, ok: recovered within retries; then 3 failures.
			oks:    []bool{false, false, true, false, false, false},
			events: []string{"UP>DOWN:L4CON"},
			sleeps: []time.Duration{3, 5, 5, 100, 5, 5, 100},
		},
		{
			name: "keepalived no retry while down",
			check: Check{Intervals: Intervals{Inter: 100}, Rise: 1, Fall: 1, Initial: Down,
				Retry: 2, DelayBeforeRetry: 5},
			oks:    []bool{false, false, true, false, true},
			events: []string{"DOWN>UP:L4OK"},
			sleeps: []time.Duration{0, 100, 100, 100, 5, 100},
		},
		{
			name:   "alpha starts down",
			check:  Check{Intervals: Intervals{Inter: 10}, Rise: 1, Fall: 1, Initial: Down},
			oks:    []bool{false, true},
			events: []string{"DOWN>UP:L4OK"},
			sleeps: []time.Duration{0, 10, 10},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := &fakeClock{}
			p := &scripted{oks: tc.oks, done: make(chan struct{})}
			s := NewScheduler(context.Background(), Options{Clock: clk, Rand: func() float64 { return 0.5 }})
			c := tc.check
			c.Name, c.Probe, c.Target = "srv", p, Target{Addr: "192.0.2.1:80"}
			c.Timeout = time.Hour // the fake clock does not drive probe timeouts
			if err := s.Add(c); err != nil {
				t.Fatal(err)
			}
			select {
			case <-p.done:
			case <-time.After(20 * time.Second):
				t.Fatal("script not consumed")
			}
			s.Stop()
			var got []string
			for ev := range s.Events() {
				got = append(got, ev.Old.String()+">"+ev.New.String()+":"+string(ev.Result.Status))
				if ev.Name != "srv" || ev.Target.Addr != "192.0.2.1:80" || ev.Result.Reason == "" {
					t.Errorf("bad event %+v", ev)
				}
			}
			if !equal(got, tc.events) {
				t.Errorf("events %q, want %q", got, tc.events)
			}
			clk.mu.Lock()
			defer clk.mu.Unlock()
			if len(clk.sleeps) != len(tc.sleeps) {
				t.Fatalf("sleeps %v, want %v", clk.sleeps, tc.sleeps)
			}
			for i := range tc.sleeps {
				if clk.sleeps[i] != tc.sleeps[i] {
					t.Fatalf("sleeps %v, want %v", clk.sleeps, tc.sleeps)
				}
			}
		})
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSchedulerAddRemove(t *testing.T) {
	s := NewScheduler(context.Background(), Options{})
	ok := ProbeFunc(func(ctx context.Context, _ Target) Result { return result(true, StatusL4OK, 0, "") })
	if err := s.Add(Check{Name: "a", Probe: ok}); err != ErrInvalid {
		t.Errorf("no interval: %v", err)
	}
	if err := s.Add(Check{Name: "a", Probe: ok, Intervals: Intervals{Inter: time.Millisecond}, Rise: 1, Fall: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(Check{Name: "a", Probe: ok, Intervals: Intervals{Inter: time.Millisecond}}); err != ErrDuplicate {
		t.Errorf("duplicate: %v", err)
	}
	ev := <-s.Events()
	if ev.New != Up || ev.Old != Down {
		t.Errorf("event %+v", ev)
	}
	if st, _, _, ok := s.State("a"); !ok || st != Up {
		t.Errorf("State = %v %v", st, ok)
	}
	if !s.Remove("a") || s.Remove("a") {
		t.Error("Remove")
	}
	s.Stop()
	s.Stop()
	if err := s.Add(Check{Name: "b", Probe: ok, Intervals: Intervals{Inter: time.Millisecond}}); err != ErrStopped {
		t.Errorf("after stop: %v", err)
	}
}
