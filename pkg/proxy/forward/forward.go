// Package forward moves bytes between a client and a server connection the
// way haproxy does in TCP mode: both directions at once, each side with its
// own inactivity timeout ("timeout client", "timeout server"), half-closes
// propagated. Bytes are copied through buffers taken from a pool sized like
// tune.bufsize; between two plain TCP sockets on Linux, once a transfer
// fills a whole buffer, the rest goes through a kernel pipe with splice(2)
// and never reaches user space (as haproxy's "option splice-auto"). TLS,
// PROXY-prefixed or inspected readers always copy.
package forward

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// DefaultBufSize is haproxy's default tune.bufsize.
const DefaultBufSize = 16384

// BufPool hands out fixed-size buffers, and on Linux the kernel pipes
// splice(2) moves bytes through.
type BufPool struct {
	size  int
	p     sync.Pool
	pipes chan kpipe
	// NoSplice makes every session copy through buffers (haproxy's
	// global "nosplice").
	NoSplice bool
}

// maxIdlePipes bounds the pipes a pool keeps between sessions.
const maxIdlePipes = 256

// NewBufPool returns a pool of buffers of size bytes (DefaultBufSize if <= 0).
func NewBufPool(size int) *BufPool {
	if size <= 0 {
		size = DefaultBufSize
	}
	bp := &BufPool{size: size, pipes: make(chan kpipe, maxIdlePipes)}
	bp.p.New = func() any { b := make([]byte, size); return &b }
	return bp
}

func (bp *BufPool) get() *[]byte  { return bp.p.Get().(*[]byte) }
func (bp *BufPool) put(b *[]byte) { bp.p.Put(b) }

// Timeouts are the inactivity limits of a session; zero means none.
type Timeouts struct {
	Client time.Duration // waiting on the client (haproxy "timeout client")
	Server time.Duration // waiting on the server (haproxy "timeout server")
	// Tunnel, when set, replaces both once data flows both ways (haproxy
	// "timeout tunnel").
	Tunnel time.Duration
	// ClientFin, when set, replaces the wait on the client once the
	// server->client direction is shut (haproxy "timeout client-fin").
	ClientFin time.Duration
	// ServerFin, when set, replaces the wait on the server once the
	// client->server direction is shut (haproxy "timeout server-fin").
	ServerFin time.Duration
}

// readClock arms the read deadline of one connection before every wait.
// Its limit can shrink to a fin timeout while the other direction's
// goroutine is blocked on that read, and it stops re-arming once the
// session is aborted.
type readClock struct {
	mu   sync.Mutex
	conn net.Conn
	idle time.Duration
	dead bool
	// deadline of the current wait (zero: none)
	deadline time.Time
}

// expiredBy says whether the current wait's deadline is before t.
func (c *readClock) expiredBy(t time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.deadline.IsZero() && c.deadline.Before(t)
}

// arm bounds the next read by the current inactivity limit.
func (c *readClock) arm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dead && c.idle > 0 {
		c.deadline = time.Now().Add(c.idle)
		c.conn.SetReadDeadline(c.deadline)
	}
}

// fin switches to the half-closed limit d (when set), also for a read
// already waiting.
func (c *readClock) fin(d time.Duration) {
	if c == nil || d <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dead {
		c.idle = d
		c.deadline = time.Now().Add(d)
		c.conn.SetReadDeadline(c.deadline)
	}
}

// kill stops re-arming: reads fail from now on.
func (c *readClock) kill() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dead = true
	c.conn.SetReadDeadline(time.Unix(1, 0))
}

// Result says how a session ended.
type Result struct {
	BytesIn  int64 // client -> server
	BytesOut int64 // server -> client
	// Timeout names the side whose inactivity timeout ended the session:
	// "client", "server" or "".
	Timeout string
	Err     error // the first error other than EOF and timeouts, if any
	// ErrSide names the side Err came from: "client", "server" or ""
	// when unknown.
	ErrSide string
}

// sideErr is an error of one side of the copy.
type sideErr struct {
	side string
	err  error
}

func (e *sideErr) Error() string { return e.side + ": " + e.err.Error() }
func (e *sideErr) Unwrap() error { return e.err }

type halfCloser interface{ CloseWrite() error }

// timeoutTie is how close two expiries must be to count as simultaneous.
const timeoutTie = 20 * time.Millisecond

// Pipe copies client->server and server->client until both directions
// are finished, a timeout expires, or ctx is done. It closes neither
// connection: the caller owns them.
func Pipe(ctx context.Context, client, server net.Conn, to Timeouts, pool *BufPool) Result {
	if pool == nil {
		pool = NewBufPool(0)
	}
	var res Result
	var mu sync.Mutex
	aborted := false // under mu: deadlines were forced, later timeouts are ours
	done := make(chan struct{})
	clientIdle, serverIdle := to.Client, to.Server
	if to.Tunnel > 0 {
		clientIdle, serverIdle = to.Tunnel, to.Tunnel
	}
	clientClock := &readClock{conn: client, idle: clientIdle}
	serverClock := &readClock{conn: server, idle: serverIdle}
	abortLocked := func() {
		aborted = true
		clientClock.kill()
		serverClock.kill()
		// unblock both directions at once
		past := time.Unix(1, 0)
		client.SetDeadline(past)
		server.SetDeadline(past)
	}
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !aborted {
			abortLocked()
		}
	})
	defer stop()

	record := func(n int64, up bool, timeoutSide string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if up {
			res.BytesIn = n
		} else {
			res.BytesOut = n
		}
		if aborted {
			return
		}
		if timeoutSide != "" {
			// both sides idle out together: haproxy reports the
			// client's timeout, which it checks first
			if timeoutSide == "server" && clientClock.expiredBy(time.Now().Add(timeoutTie)) {
				timeoutSide = "client"
			}
			res.Timeout = timeoutSide
			abortLocked()
		} else if err != nil {
			res.Err = err
			if se, ok := err.(*sideErr); ok {
				res.Err, res.ErrSide = se.err, se.side
			}
			abortLocked()
		}
	}
	// Once a direction is shut, waiting on the side that now only has
	// to answer uses that side's fin timeout, as haproxy does.
	go func() {
		n, side, err := copyHalf(server, client, serverIdle, clientClock, serverClock, to.ServerFin, "client", "server", pool)
		record(n, true, side, err)
		close(done)
	}()
	n, side, err := copyHalf(client, server, clientIdle, serverClock, clientClock, to.ClientFin, "server", "client", pool)
	record(n, false, side, err)
	<-done
	if ctx.Err() != nil && res.Err == nil && res.Timeout == "" {
		res.Err = ctx.Err()
	}
	return res
}

// copyHalf copies src to dst. srcIdle bounds each wait for src data,
// dstIdle each wait for dst to accept data. On EOF from src the write side
// of dst is shut down so the peer sees the close, and dstClock (the
// other direction's reads from dst) switches to dstFin.
func copyHalf(dst, src net.Conn, dstIdle time.Duration, srcClock, dstClock *readClock, dstFin time.Duration, srcName, dstName string, pool *BufPool) (int64, string, error) {
	// Like haproxy's "option splice-auto": copy while the traffic is
	// small, move to splice(2) once a read fills a whole buffer (a bulk
	// transfer), where skipping the user-space copy pays.
	var sd, ss *net.TCPConn
	spliceable := false
	if !pool.NoSplice {
		sd, ss, spliceable = canSplice(dst, src)
	}
	bp := pool.get()
	defer func() {
		if bp != nil {
			pool.put(bp)
		}
	}()
	buf := *bp
	var total int64
	for {
		srcClock.arm()
		nr, rerr := src.Read(buf)
		if nr > 0 {
			if dstIdle > 0 {
				dst.SetWriteDeadline(time.Now().Add(dstIdle))
			}
			nw, werr := dst.Write(buf[:nr])
			total += int64(nw)
			if werr != nil {
				if isTimeout(werr) {
					return total, dstName, nil
				}
				return total, "", &sideErr{dstName, werr}
			}
			if spliceable && nr == len(buf) && rerr == nil {
				pool.put(bp) // not needed while splicing
				bp = nil
				if n, side, err, ok := spliceHalf(sd, ss, dstIdle, srcClock, dstClock, dstFin, srcName, dstName, pool); ok {
					return total + n, side, err
				}
				spliceable = false
				bp = pool.get()
				buf = *bp
			}
		}
		if rerr != nil {
			if rerr == io.EOF {
				if hc, ok := dst.(halfCloser); ok {
					hc.CloseWrite()
				}
				dstClock.fin(dstFin)
				return total, "", nil
			}
			if isTimeout(rerr) {
				return total, srcName, nil
			}
			return total, "", &sideErr{srcName, rerr}
		}
	}
}

func isTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}
