package checks

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"regexp"
)

// TCPConnect succeeds when a TCP connection can be established (L4OK).
type TCPConnect struct{}

// Run implements Probe.
func (TCPConnect) Run(ctx context.Context, t Target) Result {
	return timed(func() Result {
		c, r := dial(ctx, "tcp", t)
		if r != nil {
			return *r
		}
		c.Close()
		return result(true, StatusL4OK, 0, "")
	})
}

// Step is one step of a TCPSequence: either Send, or one expectation.
type Step struct {
	Send []byte
	// Exactly one of the following is used for an expect step.
	ExpectString string
	ExpectRegex  *regexp.Regexp
	ExpectBinary []byte
}

func (s Step) isExpect() bool {
	return s.ExpectString != "" || s.ExpectRegex != nil || s.ExpectBinary != nil
}

// DefaultMaxRead bounds the data a probe buffers from a response.
const DefaultMaxRead = 16384

// TCPSequence connects, then runs send/expect steps in order. With no
// expect step it reports L4OK after sending, otherwise L7OK.
type TCPSequence struct {
	Steps []Step
	// MaxRead bounds the buffered response (default DefaultMaxRead).
	MaxRead int
}

// Run implements Probe.
func (p TCPSequence) Run(ctx context.Context, t Target) Result {
	return timed(func() Result {
		c, r := dial(ctx, "tcp", t)
		if r != nil {
			return *r
		}
		defer c.Close()
		max := p.MaxRead
		if max <= 0 {
			max = DefaultMaxRead
		}
		var buf []byte
		expected := false
		for i, s := range p.Steps {
			if len(s.Send) > 0 {
				if _, err := c.Write(s.Send); err != nil {
					if isTimeout(ctx, err) {
						return result(false, StatusL7TOUT, 0, fmt.Sprintf("step %d: %v", i+1, err))
					}
					return result(false, StatusSOCKERR, 0, fmt.Sprintf("step %d: %v", i+1, err))
				}
			}
			if !s.isExpect() {
				continue
			}
			expected = true
			for {
				end := s.match(buf)
				if end >= 0 {
					buf = buf[end:]
					break
				}
				if len(buf) >= max {
					return result(false, StatusL7RSP, 0, fmt.Sprintf("step %d: no match in %d bytes", i+1, len(buf)))
				}
				tmp := make([]byte, min(4096, max-len(buf)))
				n, err := c.Read(tmp)
				buf = append(buf, tmp[:n]...)
				if err != nil && n == 0 {
					if isTimeout(ctx, err) {
						return result(false, StatusL7TOUT, 0, fmt.Sprintf("step %d: %v", i+1, err))
					}
					return result(false, StatusL7RSP, 0, fmt.Sprintf("step %d: %v before match", i+1, err))
				}
			}
		}
		if expected {
			return result(true, StatusL7OK, 0, "")
		}
		return result(true, StatusL4OK, 0, "")
	})
}

// match returns the offset just past the match in buf, or -1.
func (s Step) match(buf []byte) int {
	switch {
	case s.ExpectRegex != nil:
		if loc := s.ExpectRegex.FindIndex(buf); loc != nil {
			return loc[1]
		}
	case s.ExpectBinary != nil:
		if i := bytes.Index(buf, s.ExpectBinary); i >= 0 {
			return i + len(s.ExpectBinary)
		}
	default:
		if i := bytes.Index(buf, []byte(s.ExpectString)); i >= 0 {
			return i + len(s.ExpectString)
		}
	}
	return -1
}

var _ net.Conn = (*ctxConn)(nil)
