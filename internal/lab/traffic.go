package lab

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// ServeName starts a minimal HTTP/1.0 server on the host at port that
// answers every request with one line, "NAME FROM-ADDRESS", and closes:
// a client going through a proxy (tcp or http mode, or curl) learns which
// backend answered and which proxy node connected to it.
func (h *Host) ServeName(port int, name string) {
	t := h.lab.t
	t.Helper()
	ln, err := h.Listen("tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		t.Fatalf("%s: listen :%d: %v", h.Name, port, err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go answer(c, name)
		}
	}()
}

func answer(c net.Conn, name string) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if line == "\r\n" || line == "\n" {
			break
		}
	}
	from := c.RemoteAddr().(*net.TCPAddr).IP.String()
	body := name + " " + from + "\n"
	fmt.Fprintf(c, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

// Reply is one request of a Load.
type Reply struct {
	At time.Time
	// Backend and Via (the proxy node's address) are empty on failure.
	Backend string
	Via     netip.Addr
	Err     error
}

// Load drives requests from a host to addr until stopped: one connection
// at a time, one every interval, each bounded by timeout.
type Load struct {
	mu      sync.Mutex
	replies []Reply
	cancel  context.CancelFunc
	done    chan struct{}
}

// StartLoad starts a Load from h to addr. It stops by itself after max
// (and when the test ends).
func (h *Host) StartLoad(addr string, interval, timeout, max time.Duration) *Load {
	ctx, cancel := context.WithTimeout(context.Background(), max)
	l := &Load{cancel: cancel, done: make(chan struct{})}
	h.lab.t.Cleanup(l.Stop)
	// Every connection is made by one thread that stays in h's namespace.
	go func() {
		defer close(l.done)
		_ = h.Do(func() error {
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for {
				r := ask(ctx, addr, timeout)
				l.mu.Lock()
				l.replies = append(l.replies, r)
				l.mu.Unlock()
				select {
				case <-ctx.Done():
					return nil
				case <-tick.C:
				}
			}
		})
	}()
	return l
}

func ask(ctx context.Context, addr string, timeout time.Duration) Reply {
	r := Reply{At: time.Now()}
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		r.Err = err
		return r
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(c, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		r.Err = err
		return r
	}
	resp, err := io.ReadAll(c)
	if err != nil {
		r.Err = fmt.Errorf("read: %w", err)
		return r
	}
	_, line, _ := strings.Cut(string(resp), "\r\n\r\n")
	if !strings.HasPrefix(string(resp), "HTTP/1.0 200 ") {
		r.Err = fmt.Errorf("unexpected reply %q", resp)
		return r
	}
	f := strings.Fields(line)
	if len(f) != 2 {
		r.Err = fmt.Errorf("unexpected reply %q", line)
		return r
	}
	r.Backend = f[0]
	r.Via, r.Err = netip.ParseAddr(f[1])
	return r
}

// Stop ends the load and waits for its last request.
func (l *Load) Stop() {
	l.cancel()
	<-l.done
}

// Replies returns what the load saw so far.
func (l *Load) Replies() []Reply {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Reply(nil), l.replies...)
}

// Outage summarises the replies after since: how long until the first
// success through via (zero when none), and how many requests failed in
// between and after.
type Outage struct {
	Recovery time.Duration
	Failed   int
	Total    int
}

// OutageSince measures the switch to via after the event at since.
func (l *Load) OutageSince(since time.Time, via netip.Addr) Outage {
	var o Outage
	for _, r := range l.Replies() {
		if r.At.Before(since) {
			continue
		}
		o.Total++
		if r.Err != nil {
			o.Failed++
			continue
		}
		if r.Via == via && o.Recovery == 0 {
			o.Recovery = r.At.Sub(since)
		}
	}
	return o
}

// servedSince counts the replies since a time that came through via.
func (l *Load) servedSince(since time.Time, via netip.Addr) int {
	n := 0
	for _, r := range l.Replies() {
		if !r.At.Before(since) && r.Err == nil && r.Via == via {
			n++
		}
	}
	return n
}

// Healthy reports whether the last n replies all succeeded through via.
func (l *Load) Healthy(n int, via netip.Addr) bool {
	rs := l.Replies()
	if len(rs) < n {
		return false
	}
	for _, r := range rs[len(rs)-n:] {
		if r.Err != nil || r.Via != via {
			return false
		}
	}
	return true
}
