package proxy

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
)

// unlimited is a connLimit without limit.
const unlimited = math.MaxInt64

// connLimit counts sessions against a maximum the runtime API may change
// ("set maxconn frontend|global"). Taking and giving back a slot are
// atomic operations; the lock is taken only while someone waits.
type connLimit struct {
	max     atomic.Int64
	cur     atomic.Int64
	waiters atomic.Int32
	mu      sync.Mutex
	wake    chan struct{} // closed when a slot frees or the limit changes
}

func newConnLimit(max int64) *connLimit {
	l := &connLimit{}
	if max <= 0 {
		max = unlimited
	}
	l.max.Store(max)
	return l
}

func (l *connLimit) tryTake() bool {
	for {
		c := l.cur.Load()
		if c >= l.max.Load() {
			return false
		}
		if l.cur.CompareAndSwap(c, c+1) {
			return true
		}
	}
}

// take waits for a slot; false when ctx ends first.
func (l *connLimit) take(ctx context.Context) bool {
	if l.tryTake() {
		return true
	}
	l.waiters.Add(1)
	defer l.waiters.Add(-1)
	for {
		l.mu.Lock()
		if l.wake == nil {
			l.wake = make(chan struct{})
		}
		w := l.wake
		l.mu.Unlock()
		if l.tryTake() {
			return true
		}
		select {
		case <-w:
		case <-ctx.Done():
			return false
		}
	}
}

// release gives a slot back.
func (l *connLimit) release() {
	l.cur.Add(-1)
	if l.waiters.Load() > 0 {
		l.notify()
	}
}

// setMax changes the limit (math.MaxInt64: none); waiters re-check it.
func (l *connLimit) setMax(n int64) {
	l.max.Store(n)
	l.notify()
}

func (l *connLimit) notify() {
	l.mu.Lock()
	if l.wake != nil {
		close(l.wake)
		l.wake = nil
	}
	l.mu.Unlock()
}
