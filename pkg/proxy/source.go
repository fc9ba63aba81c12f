package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// sourceSpec is a "source" setting of a backend or server: the local
// address the connections to the server leave from.
type sourceSpec struct {
	addr     netip.Addr // invalid: any
	portLow  int        // 0: any port
	portHigh int
	// usesrc: "" (none), "client" (the client's address and port),
	// "clientip" (the client's address) or "addr" (usesrcAddr), all bound
	// with IP_TRANSPARENT.
	usesrc     string
	usesrcAddr netip.AddrPort
	iface      string
	// next is the port of the range tried first by the next connection:
	// haproxy hands the ports of a range out in turn.
	next atomic.Int64
}

// parseSourceAddr reads ADDR[:PORT[-PORT]] as haproxy writes it: an
// optional ipv4@/ipv6@ prefix, IPv6 in brackets or with the port after
// the last colon.
func parseSourceAddr(s string, rangeOK bool) (netip.Addr, int, int, error) {
	raw := s
	for _, p := range []string{"ipv4@", "ipv6@", "tcp4@", "tcp6@", "tcp@"} {
		s = strings.TrimPrefix(s, p)
	}
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		i := strings.IndexByte(s, ']')
		if i < 0 {
			return netip.Addr{}, 0, 0, fmt.Errorf("invalid address '%s'", raw)
		}
		host, port = s[1:i], strings.TrimPrefix(s[i+1:], ":")
	} else if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, port = s[:i], s[i+1:]
		if host == "" {
			host = "0.0.0.0"
		}
	}
	a, err := netip.ParseAddr(host)
	if err != nil && !strings.HasPrefix(s, "[") {
		// an IPv6 address without port ("::1"): the configuration
		// parser has already judged the syntax
		if whole, err2 := netip.ParseAddr(s); err2 == nil {
			a, err, port = whole, nil, ""
		}
	}
	if err != nil {
		return netip.Addr{}, 0, 0, fmt.Errorf("invalid address '%s' (an IP address is needed)", raw)
	}
	lo, hi := 0, 0
	if port != "" {
		l, h, isRange := strings.Cut(port, "-")
		if isRange && !rangeOK {
			return netip.Addr{}, 0, 0, fmt.Errorf("port range not permitted in '%s'", raw)
		}
		if lo, err = strconv.Atoi(l); err != nil || lo < 0 || lo > 65535 {
			return netip.Addr{}, 0, 0, fmt.Errorf("invalid port in '%s'", raw)
		}
		hi = lo
		if isRange {
			if hi, err = strconv.Atoi(h); err != nil || hi < lo || hi > 65535 {
				return netip.Addr{}, 0, 0, fmt.Errorf("invalid port range in '%s'", raw)
			}
		}
	}
	if a.IsUnspecified() {
		a = netip.Addr{}
	}
	return a, lo, hi, nil
}

// newSourceSpec builds a sourceSpec from the words after "source".
func newSourceSpec(pos haproxycfg.Pos, addr, usesrc, iface string, rangeOK bool) (*sourceSpec, error) {
	a, lo, hi, err := parseSourceAddr(addr, rangeOK)
	if err != nil {
		return nil, &UnsupportedError{pos, fmt.Sprintf("'source %s' (%v)", addr, err)}
	}
	sp := &sourceSpec{addr: a, portLow: lo, portHigh: hi, iface: iface}
	switch {
	case usesrc == "":
	case usesrc == "client" || usesrc == "clientip":
		sp.usesrc = usesrc
	case strings.HasPrefix(usesrc, "hdr_ip("):
		return nil, &UnsupportedError{pos, fmt.Sprintf("'usesrc %s' (needs HTTP mode)", usesrc)}
	default:
		ua, up, _, err := parseSourceAddr(usesrc, false)
		if err != nil || !ua.IsValid() {
			return nil, &UnsupportedError{pos, fmt.Sprintf("'usesrc %s'", usesrc)}
		}
		sp.usesrc = "addr"
		sp.usesrcAddr = netip.AddrPortFrom(ua, uint16(up))
	}
	return sp, nil
}

// backendSource reads a backend's "source" line, if any.
func backendSource(px *haproxycfg.Proxy) (*sourceSpec, error) {
	var sp *sourceSpec
	for _, d := range px.Other {
		if d.Args[0] != "source" || len(d.Args) < 2 {
			continue
		}
		usesrc, iface := "", ""
		for i := 2; i+1 < len(d.Args); i += 2 {
			switch d.Args[i] {
			case "usesrc":
				usesrc = d.Args[i+1]
			case "interface":
				iface = d.Args[i+1]
			}
		}
		var err error
		if sp, err = newSourceSpec(d.Pos, d.Args[1], usesrc, iface, false); err != nil {
			return nil, err
		}
	}
	return sp, nil
}

// serverSource reads a server's "source", "usesrc" and "interface"
// options; nil when the server has no "source" of its own.
func serverSource(s *haproxycfg.Server) (*sourceSpec, error) {
	v, ok := s.Options["source"]
	if !ok || len(v) == 0 {
		return nil, nil
	}
	usesrc, iface := "", ""
	if u, ok := s.Options["usesrc"]; ok && len(u) > 0 {
		usesrc = u[0]
	}
	if i, ok := s.Options["interface"]; ok && len(i) > 0 {
		iface = i[0]
	}
	return newSourceSpec(s.Pos, v[0], usesrc, iface, true)
}

// dialFrom connects to addr from the local address sp asks for (sp may
// be nil: any), for a client whose address is client.
// keepalive, when enabled, is the TCP keep-alive of "option srvtcpka".
func dialFrom(ctx context.Context, sp *sourceSpec, addr string, timeout time.Duration, client netip.AddrPort, keepalive net.KeepAliveConfig) (net.Conn, error) {
	// no TCP keep-alive probes unless asked: haproxy sets none without
	// "option srvtcpka" (and it saves four setsockopt calls per
	// connection)
	d := net.Dialer{Timeout: timeout, KeepAlive: -1, KeepAliveConfig: keepalive}
	if sp == nil {
		return d.DialContext(ctx, "tcp", addr)
	}
	local := netip.AddrPortFrom(sp.addr, 0)
	transparent := false
	switch sp.usesrc {
	case "client":
		local, transparent = netip.AddrPortFrom(client.Addr().Unmap(), client.Port()), true
	case "clientip":
		local, transparent = netip.AddrPortFrom(client.Addr().Unmap(), 0), true
	case "addr":
		local, transparent = sp.usesrcAddr, true
	}
	if transparent && !local.Addr().IsValid() {
		return nil, fmt.Errorf("'usesrc %s': the client's address is unknown", sp.usesrc)
	}
	d.Control = func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if transparent {
				if strings.HasSuffix(network, "6") {
					serr = unix.SetsockoptInt(int(fd), unix.SOL_IPV6, unix.IPV6_TRANSPARENT, 1)
				} else {
					serr = unix.SetsockoptInt(int(fd), unix.SOL_IP, unix.IP_TRANSPARENT, 1)
				}
				if serr != nil {
					serr = fmt.Errorf("'usesrc' needs IP_TRANSPARENT, which needs CAP_NET_ADMIN (run as root): %w", serr)
					return
				}
			}
			if sp.portLow != 0 || transparent {
				// as haproxy: a bound source may reuse a port in TIME_WAIT
				unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
			}
			if sp.iface != "" {
				if serr = unix.BindToDevice(int(fd), sp.iface); serr != nil {
					serr = fmt.Errorf("'interface %s': %w", sp.iface, serr)
				}
			}
		})
		if err != nil {
			return err
		}
		return serr
	}
	bindAt := func(port int) (net.Conn, error) {
		la := local
		if !transparent {
			la = netip.AddrPortFrom(local.Addr(), uint16(port))
		}
		if la.Addr().IsValid() || la.Port() != 0 {
			d.LocalAddr = net.TCPAddrFromAddrPort(la)
		}
		return d.DialContext(ctx, "tcp", addr)
	}
	if transparent || sp.portLow == 0 || sp.portLow == sp.portHigh {
		return bindAt(sp.portLow)
	}
	// a port range: the ports in turn, skipping those in use
	var last error
	n := sp.portHigh - sp.portLow + 1
	for i := 0; i < n; i++ {
		p := sp.portLow + int((sp.next.Add(1)-1)%int64(n))
		c, err := bindAt(p)
		if err == nil {
			return c, nil
		}
		last = err
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("no free port in the source range %d-%d: %w", sp.portLow, sp.portHigh, last)
}

// initSources reads the "source" settings of px's backend and servers.
func (be *backend) initSources(px *haproxycfg.Proxy) error {
	bs, err := backendSource(px)
	if err != nil {
		return err
	}
	byName := map[string]*haproxycfg.Server{}
	for _, s := range px.Servers {
		byName[s.Name] = s
	}
	for _, s := range be.servers {
		s.src = bs
		if cs := byName[s.name]; cs != nil {
			sp, err := serverSource(cs)
			if err != nil {
				return err
			}
			if sp != nil {
				s.src = sp
			}
		}
	}
	return nil
}

// tcpKeepAlive is the keep-alive a proxy asks for on one side ("cli" for
// option clitcpka, "srv" for option srvtcpka; option tcpka means both):
// disabled unless the option is on; then clitcpka-idle/-intvl/-cnt (or
// srvtcpka-*) where given, the system's values elsewhere.
func tcpKeepAlive(px *haproxycfg.Proxy, side string) net.KeepAliveConfig {
	if !px.OptionEnabled(side+"tcpka") && !px.OptionEnabled("tcpka") {
		return net.KeepAliveConfig{}
	}
	idle, intvl, cnt := px.TCPKeepAlive(side)
	ka := net.KeepAliveConfig{Enable: true, Idle: -1, Interval: -1, Count: -1}
	if idle > 0 {
		ka.Idle = idle
	}
	if intvl > 0 {
		ka.Interval = intvl
	}
	if cnt > 0 {
		ka.Count = cnt
	}
	return ka
}
