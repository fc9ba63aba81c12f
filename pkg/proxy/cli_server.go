package proxy

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/healthcheck"
)

// srvAddrs are a server's addresses once the runtime API changed one of
// them ("set server ... addr|check-addr|check-port|agent-addr|
// agent-port|agent-send"). A new value replaces the whole, under the
// backend's stateMu; readers load it without lock.
type srvAddrs struct {
	host    string // the server's address
	port    int    // its port (the offset with mapped ports)
	mapped  bool   // the port is an offset to the client's destination port
	chkHost string // "" follows host
	chkPort int    // 0 follows port
	agHost  string // "" follows host
	agPort  int
	agSend  *string // nil: as configured
}

// addr is the server's dial address: host:port, port "" when mapped.
func (a *srvAddrs) addr() string {
	if a.mapped {
		return net.JoinHostPort(a.host, "")
	}
	return net.JoinHostPort(a.host, strconv.Itoa(a.port))
}

func (a *srvAddrs) checkAddr() string {
	h, p := a.chkHost, a.chkPort
	if h == "" {
		h = a.host
	}
	if p == 0 {
		p = a.port
	}
	return net.JoinHostPort(h, strconv.Itoa(p))
}

func (a *srvAddrs) agentAddr() string {
	h := a.agHost
	if h == "" {
		h = a.host
	}
	return net.JoinHostPort(h, strconv.Itoa(a.agPort))
}

// addrs returns the server's current addresses; be.stateMu is held by
// callers that change them.
func (s *server) addrs() srvAddrs {
	if a := s.live.Load(); a != nil {
		return *a
	}
	host, port, _ := net.SplitHostPort(s.addr)
	a := srvAddrs{host: host, mapped: !s.portSet, port: s.offset}
	if s.portSet {
		a.port, _ = strconv.Atoi(port)
	}
	if s.check != nil {
		h, p, _ := net.SplitHostPort(s.check.Addr)
		if s.chkOwnHost {
			a.chkHost = h
		}
		if s.chkOwnPort {
			a.chkPort, _ = strconv.Atoi(p)
		}
	}
	if s.agent != nil {
		h, p, _ := net.SplitHostPort(s.agent.Addr)
		if s.agOwnHost {
			a.agHost = h
		}
		a.agPort, _ = strconv.Atoi(p)
	}
	return a
}

// dialTarget is where a session goes: host:port (port "" when the port
// is mapped), and the port offset of a mapped port.
func (s *server) dialTarget() (addr string, portSet bool, offset int) {
	if a := s.live.Load(); a != nil {
		if a.mapped {
			return a.addr(), false, a.port
		}
		return a.addr(), true, 0
	}
	return s.addr, s.portSet, s.offset
}

// liveProbe runs a server's check or agent at the address the runtime
// API set, if any.
type liveProbe struct {
	p     checks.Probe
	srv   *server
	agent bool
}

func (l *liveProbe) Run(ctx context.Context, t checks.Target) checks.Result {
	a := l.srv.live.Load()
	if a == nil {
		return l.p.Run(ctx, t)
	}
	if !l.agent {
		t.Addr = a.checkAddr()
		return l.p.Run(ctx, t)
	}
	t.Addr = a.agentAddr()
	if ap, ok := l.p.(*healthcheck.AgentProbe); ok && a.agSend != nil {
		cp := *ap
		cp.Send = *a.agSend
		return cp.Run(ctx, t)
	}
	return l.p.Run(ctx, t)
}

// cliSetServerMore answers the "set server" subcommands addr, agent,
// health, check-addr, check-port, agent-addr, agent-port and agent-send
// with haproxy 2.6's replies; handled is false for the others.
func (rt *Runtime) cliSetServerMore(be *backend, srv *server, args []string) (reply string, handled bool) {
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	be.stateMu.Lock()
	defer be.stateMu.Unlock()
	switch args[0] {
	case "addr":
		if arg(1) == "" {
			return "set server <b>/<s> addr requires an address and optionally a port.\n\n", true
		}
		port, hasPort := "", arg(2) == "port"
		if hasPort {
			port = arg(3)
		}
		return rt.setServerAddr(srv, arg(1), port, hasPort) + " by 'stats socket command'\n\n", true
	case "agent":
		if srv.agent == nil {
			return "agent checks are not enabled on this server.\n\n", true
		}
		switch arg(1) {
		case "up":
			forceHealth(srv.agentHealth, checks.Up)
			srv.agentView.forceHealth(true)
			rt.cliSetRunning(be, srv)
		case "down":
			forceHealth(srv.agentHealth, checks.Down)
			srv.agentView.forceHealth(false)
			rt.cliSetStopped(be, srv)
		default:
			return "'set server <srv> agent' expects 'up' or 'down'.\n\n", true
		}
		return "\n", true
	case "health":
		name := be.name + "/" + srv.name
		switch arg(1) {
		case "up":
			rt.forceCheck(name, checks.Up)
			srv.view.forceHealth(true)
			srv.mainUp = true
			rt.cliSetRunning(be, srv)
		case "stopping":
			rt.forceCheck(name, checks.Up)
			srv.view.forceHealth(true)
			srv.mainUp = true
			rt.cliSetStopping(be, srv)
		case "down":
			rt.forceCheck(name, checks.Down)
			srv.view.forceHealth(false)
			srv.mainUp = false
			rt.cliSetStopped(be, srv)
		default:
			return "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n\n", true
		}
		return "\n", true
	case "check-addr", "agent-addr":
		agent := args[0] == "agent-addr"
		if agent && srv.agent == nil {
			return "agent checks are not enabled on this server\n", true
		}
		if !agent && srv.check == nil {
			return "health checks are not enabled on this server\n", true
		}
		if arg(1) == "" {
			return "set server <b>/<s> " + args[0] + " requires an address and optionally a port.\n\n", true
		}
		ip, err := netip.ParseAddr(arg(1))
		if err != nil || ip.Zone() != "" {
			return fmt.Sprintf("invalid addr '%s'\n", arg(1)), true
		}
		a := srv.addrs()
		if arg(2) == "port" {
			p, ok := cliPort(arg(3))
			if !ok {
				return "provided port is not an integer\n", true
			}
			if agent {
				a.agPort = p
			} else {
				a.chkPort = p
			}
		}
		if agent {
			a.agHost = ip.String()
		} else {
			a.chkHost = ip.String()
		}
		srv.live.Store(&a)
		return "\n", true
	case "check-port", "agent-port":
		agent := args[0] == "agent-port"
		if agent && srv.agent == nil {
			return "agent checks are not enabled on this server\n", true
		}
		if !agent && srv.check == nil {
			return "health checks are not enabled on this server\n", true
		}
		if arg(1) == "" {
			return "set server <b>/<s> " + args[0] + " requires a port.\n\n", true
		}
		p, ok := cliPort(arg(1))
		if !ok {
			return "provided port is not an integer\n", true
		}
		if p < 0 || p > 65535 {
			return "provided port is invalid\n", true
		}
		a := srv.addrs()
		if agent {
			a.agPort = p
		} else {
			a.chkPort = p
		}
		srv.live.Store(&a)
		return "\n", true
	case "agent-send":
		if srv.agent == nil {
			return "agent checks are not enabled on this server.\n\n", true
		}
		a := srv.addrs()
		send := arg(1)
		a.agSend = &send
		srv.live.Store(&a)
		return "\n", true
	}
	return "", false
}

// cliPort reads a port as haproxy's strtol: leading digits (with a
// sign); ok is false when none.
func cliPort(s string) (int, bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return 0, false
	}
	n, err := strconv.ParseInt(s[:j], 10, 64)
	if err != nil {
		return 0, false
	}
	return int(n), true
}

// setServerAddr applies "set server <b>/<s> addr <ip> [port <p>]" and
// returns haproxy's account of it (without " by ...").
func (rt *Runtime) setServerAddr(srv *server, addr, port string, hasPort bool) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil || ip.Zone() != "" {
		return fmt.Sprintf("Invalid addr '%s'", addr)
	}
	a := srv.addrs()
	var msg strings.Builder
	old, _ := netip.ParseAddr(a.host)
	if old == ip {
		msg.WriteString("no need to change the addr")
	} else {
		fmt.Fprintf(&msg, "IP changed from '%s' to '%s'", a.host, ip)
		a.host = ip.String()
	}
	if hasPort {
		msg.WriteString(", ")
		p, ok := cliPort(port)
		switch {
		case !ok:
			fmt.Fprintf(&msg, "problem converting port '%s' to an int", port)
		case port[0] == '+' || port[0] == '-':
			if !a.mapped && (srv.check == nil || a.chkPort == 0) {
				msg.WriteString("can't change <port> to port map because it is incompatible with current health check port configuration (use 'port' statement from the 'server' directive.")
				break
			}
			if !a.mapped || a.port != p {
				fmt.Fprintf(&msg, "port changed from '%s' to '%s'", portText(a), port)
				a.mapped, a.port = true, p
			} else {
				msg.WriteString("no need to change the port")
			}
		default:
			p = int(uint16(p)) // haproxy keeps it in 16 bits
			if a.mapped || a.port != p {
				fmt.Fprintf(&msg, "port changed from '%s' to '%d'", portText(a), p)
				a.mapped, a.port = false, p
			} else {
				msg.WriteString("no need to change the port")
			}
		}
	}
	srv.live.Store(&a)
	return msg.String()
}

func portText(a srvAddrs) string {
	if a.mapped {
		return "+" + strconv.Itoa(a.port)
	}
	return strconv.Itoa(a.port)
}

// forceHealth moves an agent's health counter to st.
func forceHealth(h *checks.Health, st checks.State) {
	for i := 0; h != nil && h.State() != st && i < 1000; i++ {
		h.Observe(st == checks.Up)
	}
}

// forceCheck sets the regular check's health counter of the server
// named be/srv, as haproxy's "set server ... health" does.
func (rt *Runtime) forceCheck(name string, st checks.State) {
	if sched := rt.sched.Load(); sched != nil {
		sched.Force(name, st)
	}
}

// cliSetRunning brings srv up (haproxy's srv_set_running "changed from
// CLI"). be.stateMu is held.
func (rt *Runtime) cliSetRunning(be *backend, srv *server) {
	rt.setRunningWhy(be, srv, ", changed from CLI")
}

// setRunningWhy brings srv up, why telling who did.
func (rt *Runtime) setRunningWhy(be *backend, srv *server, why string) {
	if srv.maint.Load() || !srv.down.Load() && !srv.stopping.Load() {
		return
	}
	bs := be.picker.toB[srv]
	if srv.stopping.Load() {
		srv.stopping.Store(false)
		be.picker.algo.SetDrain(bs, srv.drain.Load())
	}
	if srv.down.Load() {
		srv.down.Store(false)
		srv.view.changed(true, time.Now())
		be.picker.algo.SetUp(bs, true)
	}
	rt.announceStateWhy(be, srv, "UP", true, why, false)
	be.serverStateChanged(srv)
}

// cliSetStopping puts srv in the stopping state (haproxy's
// srv_set_stopping). be.stateMu is held.
func (rt *Runtime) cliSetStopping(be *backend, srv *server) {
	rt.setStoppingWhy(be, srv, ", changed from CLI")
}

// setStoppingWhy puts srv in the stopping state, why telling who did.
func (rt *Runtime) setStoppingWhy(be *backend, srv *server, why string) {
	if srv.maint.Load() || srv.stopping.Load() && !srv.down.Load() {
		return
	}
	bs := be.picker.toB[srv]
	wasUsable := !srv.down.Load()
	if srv.down.Load() {
		srv.down.Store(false)
		srv.view.changed(true, time.Now())
		be.picker.algo.SetUp(bs, true)
	}
	srv.stopping.Store(true)
	be.picker.algo.SetDrain(bs, true)
	rt.announceStateWhy(be, srv, "stopping", true, why, wasUsable)
}

// cliSetStopped takes srv down (haproxy's srv_set_stopped). be.stateMu
// is held.
func (rt *Runtime) cliSetStopped(be *backend, srv *server) {
	rt.setStoppedWhy(be, srv, ", changed from CLI")
}

// setStoppedWhy takes srv down, why telling who did.
func (rt *Runtime) setStoppedWhy(be *backend, srv *server, why string) {
	if srv.maint.Load() || srv.down.Load() {
		return
	}
	bs := be.picker.toB[srv]
	wasUsable := !srv.stopping.Load()
	srv.down.Store(true)
	if srv.stopping.Load() {
		srv.stopping.Store(false)
		be.picker.algo.SetDrain(bs, srv.drain.Load())
	}
	srv.view.changed(false, time.Now())
	be.picker.algo.SetUp(bs, false)
	rt.announceStateWhy(be, srv, "DOWN", false, why, wasUsable)
}

// forceHealth sets the health counter shown for the check: fully up
// (rise+fall-1) or 0, as "set server ... health|agent" leaves it.
func (v *checkView) forceHealth(up bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.health = 0
	if up {
		v.health = v.rise + v.fall - 1
	}
}

// forceFromPage applies the stats page's health and agent actions
// ("hrunn", "hnolb", "hdown", "arunn", "adown") as haproxy does, "changed
// from Web interface"; applied is false for an agent action on a server
// without agent, and for other actions.
func (rt *Runtime) forceFromPage(be *backend, srv *server, action string) (applied bool) {
	const why = ", changed from Web interface"
	be.stateMu.Lock()
	defer be.stateMu.Unlock()
	name := be.name + "/" + srv.name
	switch action {
	case "hrunn", "hnolb", "hdown":
		up := action != "hdown"
		st := checks.Down
		if up {
			st = checks.Up
		}
		rt.forceCheck(name, st)
		srv.view.forceHealth(up)
		srv.mainUp = up
		switch action {
		case "hrunn":
			rt.setRunningWhy(be, srv, why)
		case "hnolb":
			rt.setStoppingWhy(be, srv, why)
		default:
			rt.setStoppedWhy(be, srv, why)
		}
		return true
	case "arunn", "adown":
		if srv.agent == nil {
			return false
		}
		up := action == "arunn"
		st := checks.Down
		if up {
			st = checks.Up
		}
		forceHealth(srv.agentHealth, st)
		srv.agentView.forceHealth(up)
		if up {
			rt.setRunningWhy(be, srv, why)
		} else {
			rt.setStoppedWhy(be, srv, why)
		}
		return true
	}
	return false
}
