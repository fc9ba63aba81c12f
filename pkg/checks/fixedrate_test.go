package checks

import (
	"context"
	"testing"
	"time"
)

// TestSchedulerFixedRate: with FixedRate the probes start one interval
// apart whatever they take, skipping starts missed by a long probe.
func TestSchedulerFixedRate(t *testing.T) {
	clk := &fakeClock{}
	took := []time.Duration{3, 3, 25, 3}
	done := make(chan struct{})
	n := 0
	probe := ProbeFunc(func(ctx context.Context, _ Target) Result {
		if n >= len(took) {
			if n == len(took) {
				close(done)
				n++
			}
			<-ctx.Done()
			return result(false, StatusL4TOUT, 0, "")
		}
		clk.mu.Lock()
		clk.now = clk.now.Add(took[n])
		clk.mu.Unlock()
		n++
		return result(true, StatusL4OK, 0, "")
	})
	s := NewScheduler(context.Background(), Options{Clock: clk})
	if err := s.Add(Check{Name: "c", Probe: probe, Intervals: Intervals{Inter: 10}, Rise: 1, Fall: 1, Initial: Up, FixedRate: true}); err != nil {
		t.Fatal(err)
	}
	<-done
	s.Stop()
	clk.mu.Lock()
	defer clk.mu.Unlock()
	// due at 0, 10, 20, (30 and 40 missed while the third probe ran to
	// 45) 50; then the last probe's waits, not looked at
	want := []time.Duration{0, 7, 7, 5}
	if len(clk.sleeps) < len(want) {
		t.Fatalf("sleeps %v, want %v first", clk.sleeps, want)
	}
	for i := range want {
		if clk.sleeps[i] != want[i] {
			t.Fatalf("sleeps %v, want %v", clk.sleeps, want)
		}
	}
}
