package proxy

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/balance"
)

// Connection slots and queues, as haproxy's pendconns (src/queue.c):
//
//   - a server with "maxconn" takes at most that many sessions at once (or
//     its dynamic limit between "minconn" and "maxconn" following the
//     backend's load against "fullconn");
//   - a session whose server is already chosen (hash, use-server, the
//     first backup) waits in that server's queue when the server is full;
//     "maxqueue" bounds that queue, beyond it the session fails (or, for a
//     use-server choice with "option redispatch", goes to the balancer);
//   - a session for which the balancer finds every server full waits in
//     the backend's queue, which has no bound;
//   - when a session ends on a server, the freed slot goes to the oldest
//     of the heads of the server's queue and the backend's queue;
//   - a session waiting longer than "timeout queue" (by default "timeout
//     connect") fails: haproxy closes a TCP client, answers 503 in HTTP.

// Errors of a session that got no server slot. IsQueueError tells them
// apart for the HTTP engine, which answers 503 to both.
var (
	errQueueTimeout = errors.New("timed out waiting in the queue (raise 'timeout queue' or the servers' 'maxconn')")
	errQueueFull    = errors.New("the server's queue is full (raise its 'maxqueue', or set 'option redispatch')")
	errNoServer     = errors.New("no server is available")
)

// IsQueueError reports whether err means the session got no connection
// slot: its queue timed out or was full. haproxy answers these with a 503
// in HTTP mode and closes the client in TCP mode.
func IsQueueError(err error) bool {
	return errors.Is(err, errQueueTimeout) || errors.Is(err, errQueueFull)
}

// backendQueue is the backend's share of the queueing state. Every
// server's slot count and queue are guarded by mu too, so that "full,
// so queue" and "slot freed, so dequeue" cannot interleave.
type backendQueue struct {
	mu       sync.Mutex
	seq      uint64    // order of arrival in any queue of the backend
	waiting  list.List // *pendconn: the backend's queue
	timeout  time.Duration
	beconn   atomic.Int64 // sessions of the backend, queued or served (haproxy's beconn)
	fullconn int64
}

// serverQueue is a server's slot count and queue (guarded by the
// backend's queue mutex).
type serverQueue struct {
	served   int
	minconn  int
	maxqueue int
	waiting  list.List // *pendconn
}

// pendconn is a session waiting for a slot.
type pendconn struct {
	seq   uint64
	on    *server // the server's queue it waits in; nil: the backend's
	elem  *list.Element
	ready chan struct{} // closed when granted
	got   *server       // the server granted (set before ready closes)
}

// claim is a session's request for a server slot: granted at once (srv),
// waiting (p), or refused (err).
type claim struct {
	srv *server
	p   *pendconn
	err error
}

// initQueues reads the queueing settings of px: "timeout queue", the
// servers' "minconn" and "maxqueue". fullconn is set by the runtime once
// the frontends are known (setFullconn).
func (be *backend) initQueues(px *haproxycfg.Proxy) error {
	be.q.timeout = px.Timeouts.Queue
	if be.q.timeout == 0 {
		be.q.timeout = px.Timeouts.Connect
	}
	be.q.fullconn = int64(px.Fullconn)
	byName := map[string]*haproxycfg.Server{}
	for _, s := range px.Servers {
		byName[s.Name] = s
	}
	for _, s := range be.servers {
		cs := byName[s.name]
		if cs == nil {
			continue
		}
		s.q.maxqueue = cs.Maxqueue
		if bs := be.picker.toB[s]; bs != nil {
			bs.Maxqueue = cs.Maxqueue // before any Pick: no lock needed
		}
		s.q.minconn = int(s.maxconn)
		if v, ok := cs.Options["minconn"]; ok && len(v) > 0 {
			n, err := strconv.Atoi(v[0])
			if err != nil || n < 0 {
				return &UnsupportedError{cs.Pos, fmt.Sprintf("'minconn %s'", v[0])}
			}
			if n > 0 && (s.maxconn == 0 || int64(n) <= s.maxconn) {
				s.q.minconn = n
			}
		}
		if bs := be.picker.toB[s]; bs != nil && s.q.minconn != int(s.maxconn) {
			s := s
			bs.DynMaxconn = func() int { return be.dynMaxconn(s) }
		}
	}
	return nil
}

// setFullconn gives the backend haproxy's default "fullconn" when none is
// set: a tenth of the maxconn of the frontends that can use it, at least 1.
func (be *backend) setFullconn(feMaxconn int) {
	if be.q.fullconn > 0 {
		return
	}
	be.q.fullconn = int64((feMaxconn + 9) / 10)
	if be.q.fullconn == 0 {
		be.q.fullconn = 1
	}
}

// dynMaxconn is the slot count of s in effect now (srv_dynamic_maxconn).
func (be *backend) dynMaxconn(s *server) int {
	maxc := int(s.maxconn)
	minc := s.q.minconn
	beconn := be.q.beconn.Load()
	if beconn >= be.q.fullconn || minc == maxc {
		return maxc
	}
	n := int(beconn * int64(maxc) / be.q.fullconn)
	if n < minc {
		n = minc
	}
	return n
}

// hasRoomLocked says whether s can take one more session now.
func (be *backend) hasRoomLocked(s *server) bool {
	return s.maxconn == 0 || (s.q.waiting.Len() == 0 && s.q.served < be.dynMaxconn(s))
}

// claim asks for a slot for a session with balancing key k; forced is the
// server named by a use-server rule (nil: the balancer chooses). It never
// blocks: a session that must queue gets its place in line, and wait
// then waits for the slot.
func (be *backend) claim(k balance.Key, forced *server) *claim {
	be.q.mu.Lock()
	defer be.q.mu.Unlock()
	be.q.beconn.Add(1)
	s := forced
	if s == nil {
		bs := be.picker.algo.Pick(k)
		if bs == nil {
			if !be.anyUsable() {
				be.q.beconn.Add(-1)
				return &claim{err: errNoServer}
			}
			// every usable server is full: the backend's queue
			return &claim{p: be.enqueueLocked(nil)}
		}
		s = be.picker.byB[bs]
	}
	if !be.hasRoomLocked(s) {
		if s.q.maxqueue > 0 && s.q.waiting.Len() >= s.q.maxqueue {
			if forced != nil && be.redispatch {
				be.q.beconn.Add(-1)
				be.q.mu.Unlock()
				c := be.claim(k, nil)
				be.q.mu.Lock()
				return c
			}
			be.q.beconn.Add(-1)
			return &claim{srv: s, err: fmt.Errorf("server '%s/%s': %w", be.name, s.name, errQueueFull)}
		}
		return &claim{p: be.enqueueLocked(s)}
	}
	be.grantLocked(s)
	return &claim{srv: s}
}

// anyUsable says whether the balancer has a server it may use at all.
func (be *backend) anyUsable() bool {
	for _, bs := range be.picker.algo.Servers() {
		if bs.Usable() {
			return true
		}
	}
	return false
}

func (be *backend) enqueueLocked(on *server) *pendconn {
	be.q.seq++
	p := &pendconn{seq: be.q.seq, on: on, ready: make(chan struct{})}
	if on == nil {
		p.elem = be.q.waiting.PushBack(p)
		storeMax(&be.ctr.maxQueue, int64(be.q.waiting.Len()))
	} else {
		p.elem = on.q.waiting.PushBack(p)
		storeMax(&on.ctr.maxQueue, int64(on.q.waiting.Len()))
		be.picker.algo.SetPending(be.picker.toB[on], on.q.waiting.Len())
	}
	return p
}

func (be *backend) unqueueLocked(p *pendconn) {
	if p.on == nil {
		be.q.waiting.Remove(p.elem)
	} else {
		p.on.q.waiting.Remove(p.elem)
		be.picker.algo.SetPending(be.picker.toB[p.on], p.on.q.waiting.Len())
	}
}

// grantLocked counts a session on s.
func (be *backend) grantLocked(s *server) {
	s.q.served++
	be.picker.take(s)
}

// wait returns the server whose slot c holds, waiting in its queue for
// at most the queue timeout (or until ctx is done).
func (be *backend) wait(ctx context.Context, c *claim) (*server, error) {
	if c.err != nil || c.p == nil {
		return c.srv, c.err
	}
	p := c.p
	var expire <-chan time.Time
	if be.q.timeout > 0 {
		t := time.NewTimer(be.q.timeout)
		defer t.Stop()
		expire = t.C
	}
	select {
	case <-p.ready:
		return p.got, nil
	case <-expire:
	case <-ctx.Done():
	}
	be.q.mu.Lock()
	defer be.q.mu.Unlock()
	if p.got != nil {
		return p.got, nil // granted just as the wait ended
	}
	be.unqueueLocked(p)
	be.q.beconn.Add(-1)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return p.on, fmt.Errorf("backend '%s': %w", be.name, errQueueTimeout)
}

// abandon gives back what c holds without using it.
func (be *backend) abandon(ctx context.Context, c *claim) {
	if c == nil || c.err != nil {
		return
	}
	if c.p != nil {
		be.q.mu.Lock()
		if c.p.got == nil {
			be.unqueueLocked(c.p)
			be.q.beconn.Add(-1)
			be.q.mu.Unlock()
			return
		}
		be.q.mu.Unlock()
		be.release(c.p.got)
		return
	}
	be.release(c.srv)
}

// release ends a session on s and hands the freed slot on.
func (be *backend) release(s *server) {
	be.q.mu.Lock()
	defer be.q.mu.Unlock()
	s.q.served--
	be.picker.release(s)
	be.q.beconn.Add(-1)
	be.dequeueLocked(s)
}

// dequeueLocked gives the free slots of s to waiting sessions: the oldest
// of the head of its own queue and the head of the backend's queue, as
// long as s has room (haproxy's process_srv_queue).
func (be *backend) dequeueLocked(s *server) {
	if s.maxconn == 0 {
		return
	}
	bs := be.picker.toB[s]
	for s.q.served < be.dynMaxconn(s) {
		var own, shared *pendconn
		if e := s.q.waiting.Front(); e != nil {
			own = e.Value.(*pendconn)
		}
		if e := be.q.waiting.Front(); e != nil && bs.Usable() && (!s.backup || be.backupMayServe(s)) {
			shared = e.Value.(*pendconn)
		}
		p := own
		if p == nil || (shared != nil && shared.seq < own.seq) {
			p = shared
		}
		if p == nil {
			return
		}
		be.unqueueLocked(p)
		p.got = s
		be.grantLocked(s)
		close(p.ready)
	}
}

// backupMayServe says whether the backup server s may take sessions from
// the backend's queue: no active server is usable and s is the backup in
// use (the first one, or any with "option allbackups").
func (be *backend) backupMayServe(s *server) bool {
	var firstBackup *server
	for _, o := range be.servers {
		bo := be.picker.toB[o]
		if !bo.Usable() {
			continue
		}
		if !o.backup {
			return false
		}
		if firstBackup == nil {
			firstBackup = o
		}
	}
	return be.allBackups || s == firstBackup
}

// setFullconns gives every backend without "fullconn" haproxy's default,
// from the maxconn of the frontends that can send it sessions (a
// frontend without maxconn counts the global maxconn).
func (rt *Runtime) setFullconns() {
	total := map[*backend]int{}
	for _, fe := range rt.frontends {
		m := fe.maxconn
		if m == 0 {
			m = rt.globalMaxconn
		}
		seen := map[*backend]bool{}
		add := func(be *backend) {
			if be != nil && !seen[be] {
				seen[be] = true
				total[be] += m
			}
		}
		add(fe.backend)
		for _, r := range fe.switching {
			add(r.be)
		}
	}
	for _, be := range rt.backends {
		be.setFullconn(total[be])
	}
}

// drainUnread reads and drops what the client sent and nobody read, without
// waiting, so that closing c sends a FIN rather than a reset: haproxy has
// read the client's data into its buffer when it gives up on a session
// (queue timeout, full queue), and its close is an orderly one.
func drainUnread(c net.Conn) {
	for {
		switch w := c.(type) {
		case *bufferedConn:
			c = w.Conn
			continue
		case *prefixConn:
			c = w.Conn
			continue
		}
		break
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	var buf [4096]byte
	raw.Read(func(fd uintptr) bool {
		for {
			n, err := syscall.Read(int(fd), buf[:])
			if n <= 0 || err != nil {
				return true // drained (EAGAIN), closed, or failed: stop
			}
		}
	})
}

// takeSlot waits for a free session slot of the frontend ("maxconn") and
// of the process (global "maxconn"). haproxy stops accepting at either
// limit and the kernel backlog holds the rest; waiting here before the
// next accept has the same effect. False on hard stop.
func (fe *frontend) takeSlot(rt *Runtime) bool {
	if !fe.slots.take(rt.hardCtx) {
		return false
	}
	if !rt.globalSlots.take(rt.hardCtx) {
		fe.slots.release()
		return false
	}
	return true
}

// dropSlot gives back the slots takeSlot took.
func (fe *frontend) dropSlot(rt *Runtime) {
	rt.globalSlots.release()
	fe.slots.release()
}

// serverStateChanged hands queued sessions on after s changed state
// (health checks, "set server ..."), to be called once the balancer knows
// the new state. A server that can take sessions takes them from the
// backend's queue (haproxy's pendconn_grab_from_px); a server that
// cannot any more gives the sessions waiting for it back to the backend's
// queue when "option redispatch" is set (pendconn_redistribute), where
// the other servers take them.
func (be *backend) serverStateChanged(s *server) {
	be.q.mu.Lock()
	defer be.q.mu.Unlock()
	if be.picker.toB[s].Usable() {
		be.dequeueLocked(s)
		return
	}
	if !be.redispatch || s.q.waiting.Len() == 0 {
		return
	}
	for e := s.q.waiting.Front(); e != nil; e = s.q.waiting.Front() {
		p := e.Value.(*pendconn)
		s.q.waiting.Remove(e)
		p.on = nil
		// keep the backend's queue in arrival order
		at := be.q.waiting.Back()
		for at != nil && at.Value.(*pendconn).seq > p.seq {
			at = at.Prev()
		}
		if at == nil {
			p.elem = be.q.waiting.PushFront(p)
		} else {
			p.elem = be.q.waiting.InsertAfter(p, at)
		}
	}
	be.picker.algo.SetPending(be.picker.toB[s], 0)
	for _, o := range be.servers {
		if o != s {
			be.dequeueLocked(o)
		}
	}
}

// setServerMaxconn changes the maxconn of s at run time ("set maxconn
// server"), handing the slots it gains to waiting sessions.
func (be *backend) setServerMaxconn(s *server, n int) {
	be.q.mu.Lock()
	defer be.q.mu.Unlock()
	if s.q.minconn == int(s.maxconn) || s.q.minconn > n {
		s.q.minconn = n
	}
	s.maxconn = int64(n)
	if bs := be.picker.toB[s]; bs != nil {
		bs.Maxconn = n
	}
	if n > 0 {
		be.dequeueLocked(s)
		return
	}
	// unlimited: everyone waiting for s gets in
	for e := s.q.waiting.Front(); e != nil; e = s.q.waiting.Front() {
		p := e.Value.(*pendconn)
		be.unqueueLocked(p)
		p.got = s
		be.grantLocked(s)
		close(p.ready)
	}
}
