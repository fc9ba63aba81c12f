package logsink

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Target is where a log line goes, parsed from a "log" address.
type Target struct {
	Network string // "udp", "unixgram" or "fd"
	Addr    string // host:port, socket path, or the fd number
}

// ParseAddress parses a "log" address as haproxy 2.6 accepts it: an IPv4
// or IPv6 address with an optional port (514 by default), optionally
// prefixed with ipv4@, ipv6@, udp@, udp4@ or udp6@; a unix datagram socket
// path (optionally unix@); fd@N; stdout or stderr.
func ParseAddress(s string) (Target, error) {
	switch s {
	case "stdout":
		return Target{"fd", "1"}, nil
	case "stderr":
		return Target{"fd", "2"}, nil
	}
	prefix, rest := "", s
	if i := strings.IndexByte(s, '@'); i >= 0 {
		prefix, rest = s[:i], s[i+1:]
	}
	switch prefix {
	case "fd":
		n, err := strconv.Atoi(rest)
		if err != nil || n < 0 {
			return Target{}, fmt.Errorf("log address %q: fd@ needs a file descriptor number, such as fd@1", s)
		}
		return Target{"fd", rest}, nil
	case "unix":
		if rest == "" {
			return Target{}, fmt.Errorf("log address %q: unix@ needs a socket path", s)
		}
		return Target{"unixgram", rest}, nil
	case "ring":
		return Target{}, fmt.Errorf("log address %q: ring buffers are not supported by gohaproxy; log to a syslog server, a unix socket or stdout", s)
	case "", "ipv4", "ipv6", "udp", "udp4", "udp6":
	default:
		return Target{}, fmt.Errorf("log address %q: unknown address family %q; use ipv4@, ipv6@, udp@, unix@, fd@ or a plain address", s, prefix)
	}
	if prefix == "" && strings.HasPrefix(rest, "/") {
		return Target{"unixgram", rest}, nil
	}
	host, port := rest, "514"
	if strings.HasPrefix(rest, "[") {
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return Target{}, fmt.Errorf("log address %q: missing ']' after the IPv6 address", s)
		}
		host = rest[1:j]
		if p := rest[j+1:]; p != "" {
			if p[0] != ':' {
				return Target{}, fmt.Errorf("log address %q: expected ':' and a port after ']'", s)
			}
			if p[1:] != "" {
				port = p[1:]
			}
		}
	} else if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		host = rest[:i]
		if rest[i+1:] != "" {
			port = rest[i+1:]
		}
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return Target{}, fmt.Errorf("log address %q: invalid port %q, use 1-65535", s, port)
	}
	if host == "" {
		return Target{}, fmt.Errorf("log address %q: missing host address", s)
	}
	return Target{"udp", net.JoinHostPort(host, port)}, nil
}

// Config describes one log target.
type Config struct {
	Address string // as written after "log"
	Header         // format, facility, levels, len, tag, hostname, pid
	// Buffers is the number of lines that may wait to be written before
	// new ones are dropped; 0 means 256.
	Buffers int
}

// Sink is one log target. Its methods are safe for concurrent use.
type Sink struct {
	hdr     Header
	target  Target
	free    chan *[]byte
	queue   chan *[]byte
	dropped atomic.Uint64
	sent    atomic.Uint64
	cancel  context.CancelFunc
	done    chan struct{}
	mu      sync.Mutex // guards conn
	conn    net.Conn
	fd      int // fd@N target; -1 otherwise (written with write(2), never closed)
}

// New starts a sink; its writer goroutine ends when ctx ends or Close is
// called.
func New(ctx context.Context, cfg Config) (*Sink, error) {
	t, err := ParseAddress(cfg.Address)
	if err != nil {
		return nil, err
	}
	if cfg.Facility < 0 || cfg.Facility > 23 {
		return nil, fmt.Errorf("log facility %d out of range 0-23", cfg.Facility)
	}
	if cfg.MaxLen != 0 && (cfg.MaxLen < 80 || cfg.MaxLen > 65535) {
		return nil, fmt.Errorf("invalid log length '%d', must be between 80 and 65535", cfg.MaxLen)
	}
	if cfg.Tag == "" {
		cfg.Tag = "haproxy"
	}
	n := cfg.Buffers
	if n <= 0 {
		n = 256
	}
	s := &Sink{hdr: cfg.Header, target: t, free: make(chan *[]byte, n), queue: make(chan *[]byte, n), done: make(chan struct{})}
	for i := 0; i < n; i++ {
		b := make([]byte, 0, 256)
		s.free <- &b
	}
	s.fd = -1
	if t.Network == "fd" {
		// Not an *os.File: its finalizer would close stdout once the
		// sink is gone.
		s.fd, _ = strconv.Atoi(t.Addr)
	}
	ctx, s.cancel = context.WithCancel(ctx)
	go s.run(ctx)
	return s, nil
}

// Header returns the sink's header settings.
func (s *Sink) Header() Header { return s.hdr }

// Log formats text with the sink's header and queues it. It never blocks:
// when the queue is full the line is dropped and counted.
func (s *Sink) Log(now time.Time, level int, text []byte) {
	if !s.hdr.Accept(level) {
		return
	}
	var b *[]byte
	select {
	case b = <-s.free:
	default:
		s.dropped.Add(1)
		return
	}
	*b = s.hdr.AppendLine((*b)[:0], now, level, text)
	select {
	case s.queue <- b:
	default:
		s.dropped.Add(1)
		s.free <- b
	}
}

// Dropped returns how many lines were dropped (queue full or write error).
func (s *Sink) Dropped() uint64 { return s.dropped.Load() }

// Sent returns how many lines were written.
func (s *Sink) Sent() uint64 { return s.sent.Load() }

// Close stops the writer after it has written what is queued.
func (s *Sink) Close() error {
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
	return nil
}

func (s *Sink) run(ctx context.Context) {
	defer close(s.done)
	for {
		select {
		case b := <-s.queue:
			s.write(*b)
			s.free <- b
		case <-ctx.Done():
			for {
				select {
				case b := <-s.queue:
					s.write(*b)
					s.free <- b
				default:
					return
				}
			}
		}
	}
}

func (s *Sink) write(line []byte) {
	if s.fd >= 0 {
		// One write per line, as haproxy does, so that lines from several
		// processes sharing a pipe do not interleave (up to PIPE_BUF).
		for len(line) > 0 {
			n, err := syscall.Write(s.fd, line)
			if err == syscall.EINTR {
				continue
			}
			if err != nil || n <= 0 {
				s.dropped.Add(1)
				return
			}
			line = line[n:]
		}
		s.sent.Add(1)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		c, err := net.DialTimeout(s.target.Network, s.target.Addr, time.Second)
		if err != nil {
			s.dropped.Add(1)
			return
		}
		s.conn = c
	}
	s.conn.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := s.conn.Write(line); err != nil {
		// A unix socket may have been recreated by the syslog daemon:
		// reconnect on the next line.
		s.conn.Close()
		s.conn = nil
		s.dropped.Add(1)
		return
	}
	s.sent.Add(1)
}
