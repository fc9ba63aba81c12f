package checks

import "time"

// State is a target's health state.
type State int

// Target states.
const (
	Down State = iota
	Up
)

func (s State) String() string {
	if s == Up {
		return "UP"
	}
	return "DOWN"
}

// Health is haproxy's rise/fall counter, a pure state machine. The health
// value runs from 0 to Rise+Fall-1; the target is up while health >=
// Rise. A failure decrements it, dropping it to 0 (down) once below Rise;
// a success increments it and jumps to Rise+Fall-1 once it reaches Rise.
type Health struct {
	Rise, Fall int
	health     int
	state      State
}

// NewHealth returns the counter in its initial state. An initially up
// target starts at health Rise, so one failure takes it down, as haproxy
// does for a server that has not been checked yet.
func NewHealth(rise, fall int, initial State) *Health {
	if rise < 1 {
		rise = 1
	}
	if fall < 1 {
		fall = 1
	}
	h := &Health{Rise: rise, Fall: fall, state: initial}
	if initial == Up {
		h.health = rise
	}
	return h
}

// State returns the current state.
func (h *Health) State() State { return h.state }

// Value returns the health counter.
func (h *Health) Value() int { return h.health }

// Full reports whether the counter is at its maximum for an up target.
func (h *Health) Full() bool { return h.health == h.Rise+h.Fall-1 }

// Observe records one check outcome and reports whether the state changed.
func (h *Health) Observe(ok bool) (changed bool) {
	old := h.state
	if ok {
		if h.health < h.Rise+h.Fall-1 {
			h.health++
			if h.health >= h.Rise {
				h.health = h.Rise + h.Fall - 1
			}
		}
		if h.health >= h.Rise {
			h.state = Up
		}
	} else {
		if h.health > 0 {
			h.health--
			if h.health < h.Rise {
				h.health = 0
			}
		}
		if h.health == 0 {
			h.state = Down
		}
	}
	return h.state != old
}

// Intervals are haproxy's inter, fastinter and downinter.
type Intervals struct {
	Inter, FastInter, DownInter time.Duration
}

// Next returns the delay before the next check given the health: inter
// when fully up, downinter when fully down, fastinter while transitioning
// (each falling back to inter when zero).
func (iv Intervals) Next(h *Health) time.Duration {
	switch {
	case h.state == Up && h.Full():
		return iv.Inter
	case h.state == Down && h.health == 0:
		if iv.DownInter > 0 {
			return iv.DownInter
		}
		return iv.Inter
	default:
		if iv.FastInter > 0 {
			return iv.FastInter
		}
		return iv.Inter
	}
}

// Spread applies haproxy's spread-checks: d plus a uniform random offset
// within +/- percent of d. r must return a value in [0,1).
func Spread(d time.Duration, percent int, r func() float64) time.Duration {
	if percent <= 0 || d <= 0 {
		return d
	}
	rv := float64(d) * float64(percent) / 100
	return d + time.Duration(rv-2*rv*r())
}

// force sets the counter to its maximum (Up) or to 0 (Down).
func (h *Health) force(st State) {
	h.state = st
	if st == Up {
		h.health = h.Rise + h.Fall - 1
	} else {
		h.health = 0
	}
}
