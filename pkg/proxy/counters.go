package proxy

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/proxy/logfmt"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/stats"
)

// trafficCounters are the cumulated counters "show stat" shows for a
// frontend, a backend or a server.
type trafficCounters struct {
	sessTotal, connTotal, reqTotal atomic.Int64
	bytesIn, bytesOut              atomic.Int64
	hrsp                           [6]atomic.Int64 // other, 1xx .. 5xx
	errReq, errConn, errResp       atomic.Int64
	retries, redispatches          atomic.Int64
	deniedReq, deniedConn          atomic.Int64
	cliAborts, srvAborts           atomic.Int64
	lbTotal                        atomic.Int64
	maxCur, maxQueue               atomic.Int64
	lastSess                       atomic.Int64 // unix seconds of the last session; 0: never
	sessRate, connRate, reqRate    rateCounter
}

// rateCounter counts events per second as haproxy's frequency counters
// do: the current second's events plus the previous second's, weighted
// by what is left of the current second. It remembers the highest rate
// seen.
type rateCounter struct {
	mu         sync.Mutex
	sec        int64
	cur, prev  int64
	max        int64
	lastMillis int64
}

func (r *rateCounter) rotateLocked(now time.Time) {
	s := now.Unix()
	switch {
	case s == r.sec:
	case s == r.sec+1:
		r.prev, r.cur, r.sec = r.cur, 0, s
	default:
		r.prev, r.cur, r.sec = 0, 0, s
	}
}

func (r *rateCounter) rateLocked(now time.Time) int64 {
	elapsed := int64(now.Nanosecond() / 1e6)
	return r.cur + r.prev*(1000-elapsed)/1000
}

// add counts one event.
func (r *rateCounter) add(now time.Time) {
	r.mu.Lock()
	r.rotateLocked(now)
	r.cur++
	if v := r.rateLocked(now); v > r.max {
		r.max = v
	}
	r.mu.Unlock()
}

// read returns the current rate and the highest seen.
func (r *rateCounter) read(now time.Time) (rate, max int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rotateLocked(now)
	return r.rateLocked(now), r.max
}

func storeMax(v *atomic.Int64, n int64) {
	for {
		old := v.Load()
		if n <= old || v.CompareAndSwap(old, n) {
			return
		}
	}
}

// session counts a new session (a connection for a frontend, a stream
// assigned to a backend or server); cur is the count of sessions now in
// progress, this one included.
func (c *trafficCounters) session(now time.Time, cur int64) {
	c.sessTotal.Add(1)
	c.sessRate.add(now)
	c.lastSess.Store(now.Unix())
	storeMax(&c.maxCur, cur)
}

// statusClass is the hrsp index of an HTTP status.
func statusClass(code int) int {
	if code >= 100 && code < 600 {
		return code / 100
	}
	return 0
}

// accountEnd adds what one TCP session or HTTP transaction moved and how
// it ended to the counters of its frontend, backend and server. httpMode
// counts the status; be and srv may be nil.
// srvStatus says whether the status came from the server (a server only
// counts the responses it sent).
func (rt *Runtime) accountEnd(fe *frontend, be *backend, srv *server, ev *logfmt.Event, httpMode, srvStatus bool) {
	all := [3]*trafficCounters{&fe.ctr, nil, nil}
	if be != nil {
		all[1] = &be.ctr
	}
	if srv != nil {
		all[2] = &srv.ctr
	}
	t0, t1 := ev.Term[0], ev.Term[1]
	for i, c := range all {
		if c == nil {
			continue
		}
		c.bytesIn.Add(ev.BytesUploaded)
		c.bytesOut.Add(ev.BytesRead)
		if httpMode && ev.Status > 0 && (i < 2 || srvStatus) {
			c.hrsp[statusClass(ev.Status)].Add(1)
		}
		if i == 0 {
			continue // the frontend's errors are counted where they happen
		}
		c.retries.Add(int64(ev.Retries))
		if ev.Redispatched {
			c.redispatches.Add(1)
		}
		switch {
		case t1 == 'C' && (t0 == 'S' || t0 == 's'):
			c.errConn.Add(1)
		case t1 == 'H' && (t0 == 'S' || t0 == 's' || t0 == 'P'):
			c.errResp.Add(1)
		case t1 == 'D' && (t0 == 'S' || t0 == 's'):
			c.srvAborts.Add(1)
			c.errResp.Add(1)
		case t1 == 'D' && (t0 == 'C' || t0 == 'c'):
			c.cliAborts.Add(1)
		}
	}
}

// fill copies the counters into a stats row's counters.
func (c *trafficCounters) fill(dst *stats.Counters, now time.Time) {
	dst.Total = c.sessTotal.Load()
	dst.ConnTotal = c.connTotal.Load()
	dst.ReqTotal = c.reqTotal.Load()
	dst.BytesIn, dst.BytesOut = c.bytesIn.Load(), c.bytesOut.Load()
	for i := range c.hrsp {
		dst.HTTPResponses[i] = c.hrsp[i].Load()
	}
	dst.ErrReq, dst.ErrConn, dst.ErrResp = c.errReq.Load(), c.errConn.Load(), c.errResp.Load()
	dst.Retries, dst.Redispatches = c.retries.Load(), c.redispatches.Load()
	dst.DeniedReq, dst.DeniedConn = c.deniedReq.Load(), c.deniedConn.Load()
	dst.CliAborts, dst.SrvAborts = c.cliAborts.Load(), c.srvAborts.Load()
	dst.LbTotal = c.lbTotal.Load()
	dst.Max = c.maxCur.Load()
	dst.QMax = c.maxQueue.Load()
	dst.LastSess = -1
	if ls := c.lastSess.Load(); ls > 0 {
		dst.LastSess = now.Unix() - ls
	}
	dst.Rate, dst.RateMax = c.sessRate.read(now)
	dst.ConnRate, dst.ConnRateMax = c.connRate.read(now)
	dst.ReqRate, dst.ReqRateMax = c.reqRate.read(now)
}
