package proxy

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// stream is one live session as the runtime API's "show sess" lists it
// and "shutdown session" ends it: a TCP session, an HTTP connection (its
// current backend and server), or a stats socket connection.
type stream struct {
	id    uint64
	start time.Time
	fe    *frontend
	// feName is "GLOBAL" for a stats socket connection (fe nil)
	feName string
	// lid is the listener's number ("unix:N" names a unix socket client)
	lid int

	be  atomic.Pointer[backend]
	srv atomic.Pointer[server]

	killed atomic.Bool
	mu     sync.Mutex // guards the connections below against kill
	conns  [2]net.Conn
	// idle, for an HTTP session, is set while it waits for a request
	idle *atomic.Bool
}

// setServerConn records the server side of the stream (closed by kill).
func (st *stream) setServerConn(sc net.Conn) {
	st.mu.Lock()
	st.conns[1] = sc
	if st.killed.Load() && sc != nil {
		sc.Close()
	}
	st.mu.Unlock()
}

// kill closes both sides of the stream: the session ends as haproxy's
// "shutdown session" ends it (termination state K). An HTTP session busy
// with a server loses its server connection first: the engine answers
// the client as haproxy does (a 502 while waiting for the response) and
// ends the session after the transaction.
func (st *stream) kill() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.killed.Store(true)
	if st.idle != nil && st.conns[1] != nil && !st.idle.Load() {
		st.conns[1].Close()
		return
	}
	for _, c := range st.conns {
		if c != nil {
			c.Close()
		}
	}
}

// ptr is the stream's identifier on the CLI ("0x..."), as haproxy names
// a stream by its address.
func (st *stream) ptr() uint64 { return uint64(uintptr(unsafe.Pointer(st))) }

// streamShards spreads the registry over several locks so that sessions
// starting and ending on different cores rarely meet.
const streamShards = 32

// streamTable is the registry of live streams. Adding and removing cost
// one uncontended lock and a map operation; only the CLI walks it.
type streamTable struct {
	next   atomic.Uint64
	shards [streamShards]streamShard
}

type streamShard struct {
	mu sync.Mutex
	m  map[*stream]struct{}
	_  [40]byte // keeps the shards' locks on separate cache lines
}

// add registers a new stream and returns it; remove must follow.
func (t *streamTable) add(fe *frontend, feName string, lid int, c net.Conn) *stream {
	st := &stream{start: time.Now(), fe: fe, feName: feName, lid: lid}
	st.conns[0] = c
	st.id = t.next.Add(1) - 1
	sh := &t.shards[st.id%streamShards]
	sh.mu.Lock()
	if sh.m == nil {
		sh.m = map[*stream]struct{}{}
	}
	sh.m[st] = struct{}{}
	sh.mu.Unlock()
	return st
}

func (t *streamTable) remove(st *stream) {
	sh := &t.shards[st.id%streamShards]
	sh.mu.Lock()
	delete(sh.m, st)
	sh.mu.Unlock()
}

// all returns the live streams in the order they started.
func (t *streamTable) all() []*stream {
	var out []*stream
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for st := range sh.m {
			out = append(out, st)
		}
		sh.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b *stream) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	return out
}

// find returns the live stream named p on the CLI, or nil.
func (t *streamTable) find(p uint64) *stream {
	for _, st := range t.all() {
		if st.ptr() == p {
			return st
		}
	}
	return nil
}

// addrs describes the client side: protocol ("tcpv4", "tcpv6",
// "unix_stream"), source and the address the client reached.
func (st *stream) addrs() (proto, src, local string) {
	st.mu.Lock()
	c := st.conns[0]
	st.mu.Unlock()
	lid := st.lid
	if lid == 0 {
		lid = 1
	}
	proto = "unix_stream"
	src = "unix:" + strconv.Itoa(lid)
	local = src
	if c == nil {
		return
	}
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		ap := a.AddrPort()
		proto = "tcpv4"
		if ap.Addr().Is6() && !ap.Addr().Is4In6() {
			proto = "tcpv6"
		}
		src = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String()
	}
	if a, ok := c.LocalAddr().(*net.TCPAddr); ok {
		ap := a.AddrPort()
		local = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String()
	}
	return
}

// appendShowSess writes the one-line form of "show sess": haproxy's
// fields, with those gohaproxy has no equivalent for (task calls, buffer
// flags, file descriptors) given neutral values (docs/haproxy-compat.md).
func appendShowSess(dst []byte, st *stream, now time.Time) []byte {
	proto, src, _ := st.addrs()
	be, srv := "<NONE>", "<none>"
	if b := st.be.Load(); b != nil {
		be = b.name
	}
	if s := st.srv.Load(); s != nil {
		srv = s.name
	}
	dst = fmt.Appendf(dst, "0x%x: proto=%s src=%s fe=%s be=%s srv=%s ts=00 epoch=0 age=%s calls=1 rate=0 cpu=0 lat=0", st.ptr(), proto, src, st.feName, be, srv, humanAge(now.Sub(st.start)))
	dst = append(dst, " rq[f=808000h,i=0,an=00h,rx=,wx=,ax=] rp[f=80008000h,i=0,an=00h,rx=,wx=,ax=] scf=[8,0h,fd=-1] scb=[8,1h,fd=-1] exp= rc=0 c_exp=\n"...)
	return dst
}

// appendShowSessDetail writes "show sess <id>" for one stream: haproxy's
// first lines (date, id, protocol, source, frontend, backend, server).
func appendShowSessDetail(dst []byte, st *stream, now time.Time) []byte {
	proto, src, local := st.addrs()
	mode := "tcp"
	feID := 0
	if st.fe != nil && st.fe.http.enabled {
		mode = "http"
	}
	dst = fmt.Appendf(dst, "0x%x: [%s] id=%d proto=%s source=%s\n", st.ptr(), st.start.Format("02/Jan/2006:15:04:05.000000"), st.id, proto, src)
	dst = fmt.Appendf(dst, "  flags=0x0, conn_retries=0, conn_exp=<NEVER> conn_et=0x000 srv_conn=(nil), pend_pos=(nil) waiting=0 epoch=0\n")
	dst = fmt.Appendf(dst, "  frontend=%s (id=%d mode=%s), listener=? (id=1) addr=%s\n", st.feName, feID, mode, local)
	if b := st.be.Load(); b != nil {
		dst = fmt.Appendf(dst, "  backend=%s (id=0 mode=%s)\n", b.name, mode)
	} else {
		dst = append(dst, "  backend=<NONE> (id=-1 mode=-)\n"...)
	}
	if s := st.srv.Load(); s != nil {
		dst = fmt.Appendf(dst, "  server=%s (id=0) addr=%s\n", s.name, s.currentAddr())
	} else {
		dst = append(dst, "  server=<NONE> (id=-1)\n"...)
	}
	dst = fmt.Appendf(dst, "  task=(nil) (state=0x00 nice=0 calls=1 rate=0 exp=<NEVER> tmask=0x1 age=%s)\n", humanAge(now.Sub(st.start)))
	return dst
}

// humanAge prints a duration as haproxy's human_time: "0s", "5s", "3m12s",
// "2h3m", "1d2h".
func humanAge(d time.Duration) string {
	s := int64(d / time.Second)
	if s < 0 {
		s = 0
	}
	switch {
	case s < 60:
		return strconv.FormatInt(s, 10) + "s"
	case s < 3600:
		return fmt.Sprintf("%dm%ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%dm", s/3600, (s%3600)/60)
	}
	return fmt.Sprintf("%dd%dh", s/86400, (s%86400)/3600)
}

// parseStreamPtr reads a stream identifier as haproxy's strtoul(..., 0):
// "0x" hexadecimal, a leading 0 octal, else decimal; garbage reads as 0.
func parseStreamPtr(s string) uint64 {
	end := 0
	base := 10
	switch {
	case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		s, base = s[2:], 16
	case len(s) > 1 && s[0] == '0':
		s, base = s[1:], 8
	}
	for end < len(s) && digitIn(s[end], base) {
		end++
	}
	v, err := strconv.ParseUint(s[:end], base, 64)
	if err != nil {
		return 0
	}
	return v
}

func digitIn(c byte, base int) bool {
	switch {
	case c >= '0' && c <= '9':
		return int(c-'0') < base
	case base == 16 && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'):
		return true
	}
	return false
}

// shutdownServerSessions ends every stream using srv (haproxy's
// "shutdown sessions server" and the stats page's "Kill Sessions").
func (rt *Runtime) shutdownServerSessions(srv *server) {
	for _, st := range rt.streams.all() {
		if st.srv.Load() == srv {
			st.kill()
		}
	}
}

// currentAddr is the server's host:port, as "set server ... addr" last
// set it (port "" when mapped).
func (s *server) currentAddr() string {
	a, _, _ := s.dialTarget()
	return a
}
