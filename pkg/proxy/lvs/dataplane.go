package lvs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"syscall"

	"github.com/gohaproxy/gohaproxy/pkg/proxy/lvs/ipvs"
)

// Dataplane is where the Manager's Table lives: the kernel's IPVS
// (Kernel) or the userspace Forwarder. The Manager drives it through
// Table: services and destinations go in at start, weights change
// (inhibit_on_failure sets 0), destinations leave on failure, the sorry
// server comes in when the quorum is lost, and everything leaves at
// shutdown; a reload keeps the unchanged virtual servers' entries (the
// daemon keeps their Managers).
type Dataplane interface {
	Table
	// Name says which data plane it is, for the start-up log line.
	Name() string
}

// Name is "userspace forwarder".
func (f *Forwarder) Name() string { return "userspace forwarder" }

var (
	_ Dataplane = (*Forwarder)(nil)
	_ Dataplane = (*Kernel)(nil)
)

// IPVSConn is what Kernel needs of an ipvs.Conn (a fake in tests).
type IPVSConn interface {
	Flush() error
	NewService(*ipvs.Service) error
	DelService(*ipvs.Service) error
	NewDest(*ipvs.Service, *ipvs.Dest) error
	SetDest(*ipvs.Service, *ipvs.Dest) error
	DelDest(*ipvs.Service, *ipvs.Dest) error
}

// Kernel programs the kernel's IPVS table as keepalived 2.2.7's
// ipvswrapper does: one IPVS service per virtual address (a
// virtual_server_group gives several) or firewall mark; destinations
// added to each. Errors are logged with keepalived's line ("IPVS cmd
// IP_VS_SO_SET_ADDDEST(1159) error: Destination already exists(17) ...")
// and, like keepalived, an add of what exists or a delete of what is gone
// counts as done; an edit of a missing destination adds it.
type Kernel struct {
	mu   sync.Mutex
	conn IPVSConn
	logf func(string, ...any)
}

// NewKernel returns the kernel data plane on conn; logf receives the
// IPVS error lines.
func NewKernel(conn IPVSConn, logf func(string, ...any)) *Kernel {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	return &Kernel{conn: conn, logf: logf}
}

// Name is "kernel IPVS".
func (k *Kernel) Name() string { return "kernel IPVS" }

// Flush removes every IPVS service (global_defs lvs_flush,
// lvs_flush_on_stop).
func (k *Kernel) Flush() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.talk(cmdFlush, nil, nil, func() error { return k.conn.Flush() })
}

// keepalived's IP_VS_SO_SET_* numbers, which its error lines show.
const (
	cmdAdd      = 1154
	cmdEdit     = 1155
	cmdDel      = 1156
	cmdFlush    = 1157
	cmdAddDest  = 1159
	cmdDelDest  = 1160
	cmdEditDest = 1161
)

var cmdNames = map[int]string{
	cmdAdd: "IP_VS_SO_SET_ADD", cmdEdit: "IP_VS_SO_SET_EDIT", cmdDel: "IP_VS_SO_SET_DEL", cmdFlush: "IP_VS_SO_SET_FLUSH",
	cmdAddDest: "IP_VS_SO_SET_ADDDEST", cmdDelDest: "IP_VS_SO_SET_DELDEST", cmdEditDest: "IP_VS_SO_SET_EDITDEST",
}

// ipvsStrerror is libipvs's message for an errno after a command.
func ipvsStrerror(cmd int, en syscall.Errno) string {
	type key struct {
		cmd int
		en  syscall.Errno
	}
	specific := map[key]string{
		{cmdAdd, syscall.EEXIST}:        "Service already exists",
		{cmdAdd, syscall.ENOENT}:        "Scheduler or persistence engine not found",
		{cmdEdit, syscall.ESRCH}:        "No such service",
		{cmdEdit, syscall.ENOENT}:       "Scheduler or persistence engine not found",
		{cmdDel, syscall.ESRCH}:         "No such service",
		{cmdAddDest, syscall.ESRCH}:     "Service not defined",
		{cmdAddDest, syscall.EEXIST}:    "Destination already exists",
		{cmdEditDest, syscall.ESRCH}:    "Service not defined",
		{cmdEditDest, syscall.ENOENT}:   "No such destination",
		{cmdDelDest, syscall.ESRCH}:     "Service not defined",
		{cmdDelDest, syscall.ENOENT}:    "No such destination",
		{0, syscall.EPERM}:              "Permission denied (you must be root)",
		{0, syscall.EINVAL}:             "Invalid operation.  Possibly wrong module version, address not unicast, ...",
		{0, syscall.ENOPROTOOPT}:        "Protocol not available",
		{0, syscall.ENOMEM}:             "Memory allocation problem",
		{0, syscall.EOPNOTSUPP}:         "Operation not supported with IPv6",
		{0, syscall.EAFNOSUPPORT}:       "Operation not supported with specified address family",
		{0, syscall.EMSGSIZE}:           "Module is wrong version",
		{cmdAdd, syscall.EADDRNOTAVAIL}: "Cannot assign requested address",
	}
	if m, ok := specific[key{cmd, en}]; ok {
		return m
	}
	if m, ok := specific[key{0, en}]; ok {
		return m
	}
	return en.Error()
}

// talk runs one command with keepalived's error handling (ipvs_talk):
// an add of what exists and a delete of what is gone are logged and
// count as done; an edit of a missing destination adds it; any other
// failure comes back as an error carrying keepalived's line (the Manager
// logs it).
func (k *Kernel) talk(cmd int, s *ipvs.Service, d *ipvs.Dest, do func() error) error {
	err := do()
	var en syscall.Errno
	if err != nil && cmd == cmdEditDest && errors.As(err, &en) && en == syscall.ENOENT {
		cmd = cmdAddDest
		err = k.conn.NewDest(s, d)
	}
	if err == nil {
		return nil
	}
	if !errors.As(err, &en) {
		return fmt.Errorf("IPVS cmd %s(%d) error: %v%s", cmdNames[cmd], cmd, err, ruleText(s, d))
	}
	line := fmt.Sprintf("IPVS cmd %s(%d) error: %s(%d)%s", cmdNames[cmd], cmd, ipvsStrerror(cmd, en), int(en), ruleText(s, d))
	if (en == syscall.EEXIST && (cmd == cmdAdd || cmd == cmdAddDest)) || (en == syscall.ENOENT && (cmd == cmdDel || cmd == cmdDelDest)) {
		k.logf("%s", line)
		return nil
	}
	return errors.New(line)
}

// ruleText is the " (service -> destination)" part of an error line,
// as keepalived's format_srule/format_drule write it: "10.0.0.1:tcp:80",
// "Fwm 7" (" inet6" for IPv6), " -> 10.0.0.2:80"; addresses as inet_ntop
// writes them (no brackets).
func ruleText(s *ipvs.Service, d *ipvs.Dest) string {
	if s == nil {
		return ""
	}
	var out string
	if s.Fwmark != 0 {
		out = fmt.Sprintf("Fwm %d", s.Fwmark)
		if s.Family == ipvs.AFInet6 {
			out += " inet6"
		}
	} else {
		out = fmt.Sprintf("%s:%s:%d", s.Addr, protoName(s.Protocol), s.Port)
	}
	if d != nil {
		out += fmt.Sprintf(" -> %s:%d", d.Addr, d.Port)
	}
	return " (" + out + ")"
}

func protoName(p uint16) string {
	switch p {
	case ipvs.ProtoTCP:
		return "tcp"
	case ipvs.ProtoUDP:
		return "udp"
	case ipvs.ProtoSCTP:
		return "sctp"
	}
	return fmt.Sprint(p)
}

// protoNumber is the IPPROTO_ number of a virtual_server protocol.
func protoNumber(p string) uint16 {
	switch p {
	case "tcp":
		return ipvs.ProtoTCP
	case "sctp":
		return ipvs.ProtoSCTP
	}
	return ipvs.ProtoUDP
}

func family(a netip.Addr) uint16 {
	if a.Is6() && !a.Is4In6() {
		return ipvs.AFInet6
	}
	return ipvs.AFInet
}

// serviceFlags are the IP_VS_SVC_F_ scheduler and one-packet flags of s.
func serviceFlags(s *Service) uint32 {
	var fl uint32
	f := s.Flags
	if f["flag-1"] || f["sh-fallback"] || f["mh-fallback"] {
		fl |= ipvs.FlagSched1
	}
	if f["flag-2"] || f["sh-port"] || f["mh-port"] {
		fl |= ipvs.FlagSched2
	}
	if f["flag-3"] {
		fl |= ipvs.FlagSched3
	}
	// keepalived drops ops for a service that is not UDP.
	if (f["ops"] || f["one_packet_scheduling"]) && s.Protocol == "udp" {
		fl |= ipvs.FlagOnePacket
	}
	return fl
}

// rules are the IPVS services of s as keepalived's ipvs_set_srule fills
// them: the persistence timeout, flag and netmask only for the service
// commands (add, edit, delete), not for the destination commands.
func rules(s *Service, forService bool) []*ipvs.Service {
	sched := s.Algo
	if sched == "" {
		sched = "wlc"
	}
	base := ipvs.Service{Sched: sched, Flags: serviceFlags(s), Protocol: protoNumber(s.Protocol)}
	withMask := func(r ipvs.Service) *ipvs.Service {
		r.Netmask = ^uint32(0)
		if r.Family == ipvs.AFInet6 {
			r.Netmask = 128
		}
		if forService && s.Persistence > 0 {
			r.Timeout = uint32(s.Persistence.Seconds())
			r.Flags |= ipvs.FlagPersistent
			if g := s.Granularity; g.IsValid() && g.Addr().Is4() && r.Family == ipvs.AFInet {
				m := g.Addr().As4()
				r.Netmask = binary.NativeEndian.Uint32(m[:])
			}
		}
		return &r
	}
	var out []*ipvs.Service
	for _, a := range s.Addrs {
		r := base
		r.Family, r.Addr, r.Port = family(a.Addr()), a.Addr().Unmap(), a.Port()
		out = append(out, withMask(r))
	}
	if s.Fwmark != 0 {
		r := base
		r.Protocol = 0
		r.Fwmark = s.Fwmark
		r.Family = ipvs.AFInet
		if len(s.Reals) > 0 {
			r.Family = family(s.Reals[0].Addr.Addr())
		}
		out = append(out, withMask(r))
	}
	return out
}

// destRule is the IPVS destination of d with the weight w.
func destRule(d *Dest, w int) *ipvs.Dest {
	r := &ipvs.Dest{Family: family(d.Addr.Addr()), Addr: d.Addr.Addr().Unmap(), Port: d.Addr.Port(),
		Weight: uint32(max(w, 0)), UThreshold: uint32(max(d.UThreshold, 0)), LThreshold: uint32(max(d.LThreshold, 0))}
	switch d.Kind {
	case "DR":
		r.FwdMethod = ipvs.FwdRoute
	case "TUN":
		r.FwdMethod = ipvs.FwdTunnel
		switch d.Tunnel {
		case "gue":
			r.TunType, r.TunPort = ipvs.TunGUE, d.TunnelPort
		case "gre":
			r.TunType = ipvs.TunGRE
		}
		switch d.TunnelCsum {
		case "csum":
			r.TunFlags = ipvs.TunFlagCsum
		case "remcsum":
			r.TunFlags = ipvs.TunFlagRemCsm
		}
	default:
		r.FwdMethod = ipvs.FwdMasq
	}
	return r
}

// AddService adds every IPVS service of s.
func (k *Kernel) AddService(s *Service) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	var errs []error
	for _, r := range rules(s, true) {
		errs = append(errs, k.talk(cmdAdd, r, nil, func() error { return k.conn.NewService(r) }))
	}
	return errors.Join(errs...)
}

// RemoveService removes every IPVS service of s (and so their
// destinations).
func (k *Kernel) RemoveService(s *Service) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	var errs []error
	for _, r := range rules(s, true) {
		errs = append(errs, k.talk(cmdDel, r, nil, func() error { return k.conn.DelService(r) }))
	}
	return errors.Join(errs...)
}

// AddDest adds d with weight w to every IPVS service of s.
func (k *Kernel) AddDest(s *Service, d *Dest, w int) error {
	return k.dest(s, d, w, cmdAddDest, k.conn.NewDest)
}

// EditDest sets d's weight to w in every IPVS service of s.
func (k *Kernel) EditDest(s *Service, d *Dest, w int) error {
	return k.dest(s, d, w, cmdEditDest, k.conn.SetDest)
}

// RemoveDest removes d from every IPVS service of s.
func (k *Kernel) RemoveDest(s *Service, d *Dest) error {
	return k.dest(s, d, d.Weight, cmdDelDest, k.conn.DelDest)
}

func (k *Kernel) dest(s *Service, d *Dest, w, cmd int, do func(*ipvs.Service, *ipvs.Dest) error) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	dr := destRule(d, w)
	var errs []error
	for _, r := range rules(s, false) {
		errs = append(errs, k.talk(cmd, r, dr, func() error { return do(r, dr) }))
	}
	return errors.Join(errs...)
}
