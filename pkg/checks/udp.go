package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// DefaultUDPPayload is sent by a UDP probe without a payload (keepalived
// sends a filler buffer of its own then; the real server only needs a
// datagram).
var DefaultUDPPayload = []byte("keepalived UDP_CHECK probe data.")

// UDP sends one datagram to the target and waits for an answer, as
// keepalived's UDP_CHECK does. An ICMP destination-unreachable error
// (port, host or network unreachable) fails the probe (L4CON). Without
// RequireReply, silence until the context's deadline is a success (the
// port did not refuse the datagram); with it, a reply is needed (L4TOUT
// otherwise) and, when Reply is set, the reply's length must lie within
// [MinReply, MaxReply] and its first min(len(reply), len(Reply)) bytes
// must match Reply outside the bits set in ReplyMask (L7RSP otherwise).
type UDP struct {
	Payload      []byte
	RequireReply bool
	Reply        []byte
	ReplyMask    []byte
	// MinReply and MaxReply bound the reply length (keepalived's
	// min_reply_length, default 0, and max_reply_length: 0 means the
	// default 255, a negative value a maximum of 0).
	MinReply, MaxReply int
}

func (p UDP) maxReply() int {
	switch {
	case p.MaxReply < 0:
		return 0
	case p.MaxReply == 0:
		return 255
	}
	return p.MaxReply
}

// Run implements Probe.
func (p UDP) Run(ctx context.Context, t Target) Result {
	return timed(func() Result {
		la, err := localAddr("udp", t.Source)
		if err != nil {
			return result(false, StatusSOCKERR, 0, err.Error())
		}
		d := net.Dialer{LocalAddr: la, Control: func(network, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				if network == "udp6" {
					serr = syscall.SetsockoptInt(int(fd), syscall.SOL_IPV6, syscall.IPV6_RECVERR, 1)
				} else {
					serr = syscall.SetsockoptInt(int(fd), syscall.SOL_IP, syscall.IP_RECVERR, 1)
				}
			})
			if err != nil {
				return err
			}
			return serr
		}}
		c, err := d.DialContext(ctx, "udp", t.Addr)
		if err != nil {
			return result(false, StatusL4CON, 0, err.Error())
		}
		defer c.Close()
		if dl, ok := ctx.Deadline(); ok {
			c.SetDeadline(dl)
		}
		stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
		defer stop()
		payload := p.Payload
		if len(payload) == 0 {
			payload = DefaultUDPPayload
		}
		if _, err := c.Write(payload); err != nil {
			return result(false, StatusL4CON, 0, err.Error())
		}
		buf := make([]byte, p.maxReply()+1)
		n, err := c.Read(buf)
		if err != nil {
			if isTimeout(ctx, err) {
				if p.RequireReply {
					return result(false, StatusL4TOUT, 0, "no reply")
				}
				return result(true, StatusL4OK, 0, "")
			}
			if unreachable(err) {
				return result(false, StatusL4CON, 0, err.Error())
			}
			// another ICMP error than destination unreachable: keepalived
			// counts it as success
			return result(true, StatusL4OK, 0, err.Error())
		}
		if p.Reply != nil && !p.replyMatches(buf[:n]) {
			return result(false, StatusL7RSP, 0, fmt.Sprintf("reply data mismatch (%d bytes)", n))
		}
		return result(true, StatusL4OK, 0, "")
	})
}

func (p UDP) replyMatches(b []byte) bool {
	if len(b) < p.MinReply || len(b) > p.maxReply() {
		return false
	}
	n := min(len(b), len(p.Reply))
	for i := 0; i < n; i++ {
		m := byte(0)
		if i < len(p.ReplyMask) {
			m = p.ReplyMask[i]
		}
		if (b[i]^p.Reply[i])&^m != 0 {
			return false
		}
	}
	return true
}

// unreachable reports whether a socket error stands for an ICMP
// destination unreachable.
func unreachable(err error) bool {
	for _, e := range []error{syscall.ECONNREFUSED, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.EHOSTDOWN, syscall.ENONET, syscall.EACCES, syscall.EPROTO, syscall.ENOPROTOOPT, syscall.EMSGSIZE} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// ParseHexString reads keepalived's free-format hex strings (UDP_CHECK
// payload and require_reply): blank-separated groups of hex digits, read
// two digits per byte, a group's odd last digit making a byte of its
// own ("Ab12f 3" is AB 12 0F 03). With mask, a digit may be X or x: those
// four bits are set in the returned mask and zero in the data (keepalived
// ignores them in a reply). ok is false for an empty or invalid string.
func ParseHexString(s string, mask bool) (data, bits []byte, ok bool) {
	var haveMask bool
	i := 0
	for i < len(s) {
		if s[i] == ' ' || s[i] == '\t' {
			i++
			continue
		}
		// one group
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != '\t' {
			j++
		}
		g := s[i:j]
		for k := 0; k < len(g); k += 2 {
			hi, hm, ok1 := hexNibble(g[k], mask)
			if !ok1 {
				return nil, nil, false
			}
			var lo, lm byte
			if k+1 < len(g) {
				var ok2 bool
				if lo, lm, ok2 = hexNibble(g[k+1], mask); !ok2 {
					return nil, nil, false
				}
			} else {
				// a lone last digit is the low nibble
				lo, lm, hi, hm = hi, hm, 0, 0
			}
			data = append(data, hi<<4|lo)
			bits = append(bits, hm<<4|lm)
			if hm|lm != 0 {
				haveMask = true
			}
		}
		i = j
	}
	if len(data) == 0 {
		return nil, nil, false
	}
	if !haveMask {
		bits = nil
	}
	return data, bits, true
}

func hexNibble(c byte, mask bool) (v, m byte, ok bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', 0, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, 0, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, 0, true
	case mask && (c == 'x' || c == 'X'):
		return 0, 0xf, true
	}
	return 0, 0, false
}
