package logsink

import (
	"context"
	"errors"
	"time"
)

// Group sends each line to every sink of a proxy's "log" lines.
type Group struct {
	sinks []*Sink
}

// Open starts one sink per configuration; they stop when ctx ends or Close
// is called. On error the sinks already started are closed.
func Open(ctx context.Context, cfgs []Config) (*Group, error) {
	g := &Group{}
	for _, c := range cfgs {
		s, err := New(ctx, c)
		if err != nil {
			g.Close()
			return nil, err
		}
		g.sinks = append(g.sinks, s)
	}
	return g, nil
}

// Empty reports whether the group has no sink (nothing is logged).
func (g *Group) Empty() bool { return g == nil || len(g.sinks) == 0 }

// Log hands text to every sink; it never blocks.
func (g *Group) Log(now time.Time, level int, text []byte) {
	if g == nil {
		return
	}
	for _, s := range g.sinks {
		s.Log(now, level, text)
	}
}

// Dropped sums the lines the sinks dropped (haproxy's DroppedLogs).
func (g *Group) Dropped() uint64 {
	var n uint64
	if g != nil {
		for _, s := range g.sinks {
			n += s.Dropped()
		}
	}
	return n
}

// Close stops every sink after it has written what is queued. Call it
// after the last Log.
func (g *Group) Close() error {
	if g == nil {
		return nil
	}
	var errs []error
	for _, s := range g.sinks {
		errs = append(errs, s.Close())
	}
	g.sinks = nil
	return errors.Join(errs...)
}
