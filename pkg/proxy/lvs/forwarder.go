package lvs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gohaproxy/gohaproxy/pkg/proxy/forward"
)

// ForwarderOptions configure a Forwarder.
type ForwarderOptions struct {
	// Logf reports connection-level problems (nil: silent).
	Logf func(format string, args ...any)
	// DialTimeout bounds the connection to a real server (default 5s).
	DialTimeout time.Duration
	// Idle is the inactivity timeout of a forwarded connection (default
	// 900s, IPVS's established TCP timeout).
	Idle time.Duration
	// UDPTimeout is the idle timeout of a UDP session (default 300 s,
	// IPVS's).
	UDPTimeout time.Duration
	// Now is the clock of persistence entries (default time.Now).
	Now func() time.Time
}

// Forwarder is a userspace layer 4 data plane for lb_kind NAT, protocol
// TCP: it listens on each virtual address (with IP_FREEBIND, so a BACKUP
// node binds before VRRP brings the address), picks a real server with
// the service's lb_algo and persistence, and forwards with forward.Pipe.
// It implements Table.
type Forwarder struct {
	ctx  context.Context
	opts ForwarderOptions
	pool *forward.BufPool
	wg   sync.WaitGroup

	mu   sync.Mutex
	svcs map[*Service]*fsvc
}

type fsvc struct {
	s         *Service
	listeners []net.Listener
	packets   []net.PacketConn

	mu       sync.Mutex
	backends []*backend
	sched    scheduler
	persist  map[netip.Addr]*persistEntry
}

type persistEntry struct {
	b       *backend
	refs    int
	expires time.Time
}

// NewForwarder returns a Forwarder whose listeners and sessions live
// under ctx; Wait returns once they are all gone after ctx ends.
func NewForwarder(ctx context.Context, opts ForwarderOptions) *Forwarder {
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 5 * time.Second
	}
	if opts.Idle <= 0 {
		opts.Idle = 900 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Forwarder{ctx: ctx, opts: opts, pool: forward.NewBufPool(0), svcs: map[*Service]*fsvc{}}
}

// Wait waits for every listener and session goroutine.
func (f *Forwarder) Wait() { f.wg.Wait() }

func (f *Forwarder) logf(format string, args ...any) {
	if f.opts.Logf != nil {
		f.opts.Logf(format, args...)
	}
}

// freebind sets IP_FREEBIND / IPV6_FREEBIND and SO_REUSEADDR.
func freebind(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
		if network == "tcp6" || network == "udp6" {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_IPV6, unix.IPV6_FREEBIND, 1)
		} else {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_IP, unix.IP_FREEBIND, 1)
		}
	})
	if err != nil {
		return err
	}
	return serr
}

// AddService implements Table: it starts listening on the service's
// addresses.
func (f *Forwarder) AddService(s *Service) error {
	if s.Kind != "NAT" || (s.Protocol != "tcp" && s.Protocol != "udp") || s.Fwmark != 0 {
		return &Error{s.Pos, fmt.Sprintf("virtual_server %s: the userspace forwarder does lb_kind NAT with protocol TCP or UDP on an address only", s)}
	}
	sched, ok := newScheduler(s.Algo, s.Flags)
	if !ok {
		return &Error{s.Pos, fmt.Sprintf("lb_algo %s is not known", s.Algo)}
	}
	fs := &fsvc{s: s, sched: sched, persist: map[netip.Addr]*persistEntry{}}
	lc := net.ListenConfig{Control: freebind}
	fail := func(a netip.AddrPort, err error) error {
		for _, l := range fs.listeners {
			l.Close()
		}
		for _, pc := range fs.packets {
			pc.Close()
		}
		return &Error{s.Pos, fmt.Sprintf("virtual_server %s: cannot listen on %s: %v (is the port used by another program?)", s, a, err)}
	}
	for _, a := range s.Addrs {
		fam := "4"
		if a.Addr().Is6() {
			fam = "6"
		}
		if s.Protocol == "udp" {
			pc, err := lc.ListenPacket(f.ctx, "udp"+fam, a.String())
			if err != nil {
				return fail(a, err)
			}
			fs.packets = append(fs.packets, pc)
			continue
		}
		ln, err := lc.Listen(f.ctx, "tcp"+fam, a.String())
		if err != nil {
			return fail(a, err)
		}
		fs.listeners = append(fs.listeners, ln)
	}
	f.mu.Lock()
	f.svcs[s] = fs
	f.mu.Unlock()
	for _, ln := range fs.listeners {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.serve(fs, ln)
		}()
	}
	for _, pc := range fs.packets {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.serveUDP(fs, pc)
		}()
	}
	// listeners close when the context ends
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		<-f.ctx.Done()
		fs.closeAll()
	}()
	return nil
}

// RemoveService implements Table: the listeners close; sessions in
// progress go on until they end.
func (f *Forwarder) RemoveService(s *Service) error {
	f.mu.Lock()
	fs := f.svcs[s]
	delete(f.svcs, s)
	f.mu.Unlock()
	if fs == nil {
		return nil
	}
	fs.closeAll()
	return nil
}

func (f *Forwarder) svc(s *Service) (*fsvc, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fs := f.svcs[s]
	if fs == nil {
		return nil, fmt.Errorf("virtual_server %s is not served", s)
	}
	return fs, nil
}

// AddDest implements Table.
func (f *Forwarder) AddDest(s *Service, d *Dest, weight int) error {
	fs, err := f.svc(s)
	if err != nil {
		return err
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, b := range fs.backends {
		if b.d == d {
			b.weight = weight
			fs.sched.changed(fs.backends)
			return nil
		}
	}
	// IPVS appends new destinations at the tail of the service's list.
	fs.backends = append(fs.backends, &backend{d: d, addr: d.Addr, weight: weight})
	fs.sched.changed(fs.backends)
	return nil
}

// EditDest implements Table.
func (f *Forwarder) EditDest(s *Service, d *Dest, weight int) error {
	fs, err := f.svc(s)
	if err != nil {
		return err
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, b := range fs.backends {
		if b.d == d {
			b.weight = weight
			fs.sched.changed(fs.backends)
			return nil
		}
	}
	return fmt.Errorf("real server %s is not in virtual_server %s", s.FmtDest(d), s)
}

// RemoveDest implements Table. Sessions in progress go on.
func (f *Forwarder) RemoveDest(s *Service, d *Dest) error {
	fs, err := f.svc(s)
	if err != nil {
		return err
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, b := range fs.backends {
		if b.d == d {
			fs.backends = append(fs.backends[:i:i], fs.backends[i+1:]...)
			fs.sched.changed(fs.backends)
			return nil
		}
	}
	return nil
}

// Weights returns the destinations of a service with their weights, in
// table order (for dumps and tests).
func (f *Forwarder) Weights(s *Service) map[netip.AddrPort]int {
	fs, err := f.svc(s)
	if err != nil {
		return nil
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := map[netip.AddrPort]int{}
	for _, b := range fs.backends {
		out[b.addr] = b.weight
	}
	return out
}

func (f *Forwarder) serve(fs *fsvc, ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if f.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			f.logf("virtual_server %s: accept: %v", fs.s, err)
			select {
			case <-time.After(100 * time.Millisecond):
			case <-f.ctx.Done():
				return
			}
			continue
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.session(fs, c)
		}()
	}
}

func addrOf(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(ta.IP)
		return ip.Unmap()
	}
	return netip.Addr{}
}

// persistKey applies persistence_granularity to an IPv4 client.
func (fs *fsvc) persistKey(a netip.Addr) netip.Addr {
	if g := fs.s.Granularity; g.IsValid() && a.Is4() {
		p, _ := a.Prefix(g.Bits())
		return p.Addr()
	}
	return a
}

// pick chooses the backend for a client, honouring persistence: a
// client keeps its real server while it has connections or its last one
// started less than persistence_timeout ago, unless the server left the
// table or has weight 0 (as with the sysctl expire_quiescent_template).
func (f *Forwarder) pick(fs *fsvc, client, local netip.Addr) (*backend, *persistEntry) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	now := f.opts.Now()
	var pe *persistEntry
	if fs.s.Persistence > 0 {
		key := fs.persistKey(client)
		pe = fs.persist[key]
		if pe != nil && (pe.refs > 0 || now.Before(pe.expires)) && pe.b.weight > 0 && fs.has(pe.b) {
			pe.refs++
			pe.expires = now.Add(fs.s.Persistence)
			pe.b.active.Add(1)
			return pe.b, pe
		}
		if len(fs.persist) > 4096 {
			for k, e := range fs.persist {
				if e.refs == 0 && !now.Before(e.expires) {
					delete(fs.persist, k)
				}
			}
		}
		b := fs.sched.pick(fs.backends, client, local)
		if b == nil {
			return nil, nil
		}
		pe = &persistEntry{b: b, refs: 1, expires: now.Add(fs.s.Persistence)}
		fs.persist[key] = pe
		b.active.Add(1)
		return b, pe
	}
	b := fs.sched.pick(fs.backends, client, local)
	if b != nil {
		b.active.Add(1)
	}
	return b, nil
}

func (fs *fsvc) has(b *backend) bool {
	for _, x := range fs.backends {
		if x == b {
			return true
		}
	}
	return false
}

func (f *Forwarder) release(fs *fsvc, b *backend, pe *persistEntry) {
	b.active.Add(-1)
	if pe != nil {
		fs.mu.Lock()
		pe.refs--
		fs.mu.Unlock()
	}
}

func (f *Forwarder) session(fs *fsvc, c net.Conn) {
	defer c.Close()
	b, pe := f.pick(fs, addrOf(c.RemoteAddr()), addrOf(c.LocalAddr()))
	if b == nil {
		// IPVS drops the SYN when no destination is available; the
		// userspace forwarder has accepted already and resets.
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		return
	}
	defer f.release(fs, b, pe)
	d := net.Dialer{Timeout: f.opts.DialTimeout, KeepAlive: -1}
	sc, err := d.DialContext(f.ctx, "tcp", b.addr.String())
	if err != nil {
		if f.ctx.Err() == nil {
			f.logf("virtual_server %s: cannot connect to real server %s: %v", fs.s, fs.s.FmtDest(b.d), err)
		}
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		return
	}
	defer sc.Close()
	forward.Pipe(f.ctx, c, sc, forward.Timeouts{Client: f.opts.Idle, Server: f.opts.Idle}, f.pool)
}
