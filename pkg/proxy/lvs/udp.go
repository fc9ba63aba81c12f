package lvs

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"
)

// UDP "connections" as IPVS keeps them: a client address and port is
// bound to the real server chosen for its first datagram until it has
// been idle for the UDP timeout (IPVS's default, 300 s); with ops
// (one-packet scheduling) every datagram is scheduled on its own. Replies
// from the real server go back to the client from the virtual address.

// DefaultUDPTimeout is IPVS's UDP connection timeout.
const DefaultUDPTimeout = 300 * time.Second

// maxUDPSessions bounds the UDP sessions of one listening socket.
const maxUDPSessions = 65536

type udpSession struct {
	up   *net.UDPConn
	b    *backend
	pe   *persistEntry
	mu   sync.Mutex
	last time.Time
}

func (fs *fsvc) closeAll() {
	for _, ln := range fs.listeners {
		ln.Close()
	}
	for _, pc := range fs.packets {
		pc.Close()
	}
}

func (f *Forwarder) serveUDP(fs *fsvc, pc net.PacketConn) {
	ops := fs.s.Flags["ops"] || fs.s.Flags["one_packet_scheduling"]
	idle := f.opts.UDPTimeout
	if idle <= 0 {
		idle = DefaultUDPTimeout
	}
	if ops {
		// a one-packet "connection" lives until its reply
		idle = min(idle, 10*time.Second)
	}
	var mu sync.Mutex
	sessions := map[netip.AddrPort]*udpSession{}
	local := netip.Addr{}
	if a, ok := pc.LocalAddr().(*net.UDPAddr); ok {
		ip, _ := netip.AddrFromSlice(a.IP)
		local = ip.Unmap()
	}
	buf := make([]byte, 65535)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if f.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				mu.Lock()
				for _, s := range sessions {
					s.up.Close()
				}
				mu.Unlock()
				return
			}
			continue
		}
		ua, ok := from.(*net.UDPAddr)
		if !ok {
			continue
		}
		client := ua.AddrPort()
		client = netip.AddrPortFrom(client.Addr().Unmap(), client.Port())
		mu.Lock()
		s := sessions[client]
		if ops || s == nil {
			if len(sessions) >= maxUDPSessions {
				mu.Unlock()
				continue
			}
			b, pe := f.pick(fs, client.Addr(), local)
			if b == nil {
				mu.Unlock()
				continue
			}
			up, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(b.addr))
			if err != nil {
				f.release(fs, b, pe)
				mu.Unlock()
				f.logf("virtual_server %s: cannot reach real server %s: %v", fs.s, fs.s.FmtDest(b.d), err)
				continue
			}
			s = &udpSession{up: up, b: b, pe: pe, last: time.Now()}
			if !ops {
				sessions[client] = s
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				f.udpReplies(fs, pc, s, client, idle, ops)
				mu.Lock()
				if sessions[client] == s {
					delete(sessions, client)
				}
				mu.Unlock()
			}()
		}
		mu.Unlock()
		s.mu.Lock()
		s.last = time.Now()
		s.mu.Unlock()
		s.up.Write(buf[:n])
	}
}

// udpReplies relays the real server's datagrams to the client until the
// session has been idle for idle (or, with ops, after the first reply).
func (f *Forwarder) udpReplies(fs *fsvc, pc net.PacketConn, s *udpSession, client netip.AddrPort, idle time.Duration, ops bool) {
	defer f.release(fs, s.b, s.pe)
	defer s.up.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-f.ctx.Done():
			s.up.Close()
		case <-stop:
		}
	}()
	buf := make([]byte, 65535)
	to := net.UDPAddrFromAddrPort(client)
	for {
		s.mu.Lock()
		deadline := s.last.Add(idle)
		s.mu.Unlock()
		s.up.SetReadDeadline(deadline)
		n, err := s.up.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				s.mu.Lock()
				expired := !time.Now().Before(s.last.Add(idle))
				s.mu.Unlock()
				if !expired {
					continue
				}
				return
			}
			if f.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// ICMP port unreachable and the like: keep the session
			// until it idles out, as IPVS does
			continue
		}
		pc.WriteTo(buf[:n], to)
		s.mu.Lock()
		s.last = time.Now()
		s.mu.Unlock()
		if ops {
			return
		}
	}
}
