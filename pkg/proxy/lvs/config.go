package lvs

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
	"github.com/gohaproxy/gohaproxy/pkg/keepalivedconf"
)

// Defaults keepalived 2.2.7 applies (keepalived.conf(5)).
const (
	DefaultDelayLoop          = 60 * time.Second
	DefaultConnectTimeout     = 5 * time.Second
	DefaultRetry              = 1
	DefaultDelayBeforeRetry   = time.Second
	DefaultHTTPDelayRetry     = 3 * time.Second
	DefaultPersistenceTimeout = 360 * time.Second
	// bootstrapDelay is keepalived's delay before the first check.
	bootstrapDelay = time.Second
)

// Service is one virtual_server as the data plane sees it.
type Service struct {
	Pos keepalivedconf.Pos
	// Addrs are the virtual addresses (one, or a virtual_server_group's
	// entries); Port is shared by all of them (0 for a port-less group
	// entry taken from the entry).
	Addrs    []netip.AddrPort
	Group    string
	Fwmark   uint32
	Protocol string // "tcp", "udp", "sctp"
	Algo     string // lb_algo, default "wlc"
	Kind     string // lb_kind, "NAT" by default
	// Flags are the scheduler flags (sh-port, sh-fallback, mh-port,
	// mh-fallback, ops).
	Flags map[string]bool
	// Persistence is persistence_timeout (0: none); Granularity the
	// netmask applied to client addresses (IPv4 /32 by default).
	Persistence time.Duration
	Granularity netip.Prefix

	Quorum, Hysteresis   int
	QuorumUp, QuorumDown string
	Alpha, Omega         bool
	SmtpAlert            bool
	smtpAlertSet         bool
	HaSuspend            bool

	// The virtual_server's own checker defaults, for the data dump:
	// delay_loop and connect_timeout (keepalived's defaults when
	// unset), retry, delay_before_retry and warmup (nil when unset),
	// inhibit_on_failure and virtualhost.
	DelayLoop, ConnectTimeout time.Duration
	Retry                     *int
	DelayBeforeRetry, Warmup  *time.Duration
	Inhibit                   bool
	VirtualHost               string

	Reals []*Dest
	Sorry *Dest
}

// Dest is one real_server (or a sorry_server).
type Dest struct {
	Pos     keepalivedconf.Pos
	Addr    netip.AddrPort
	Weight  int
	Inhibit bool
	Kind    string
	// NotifyUp and NotifyDown are the scripts with their arguments as
	// written.
	NotifyUp, NotifyDown string
	SmtpAlert            bool
	smtpAlertSet         bool
	Checkers             []*CheckerSpec
	IsSorry              bool
	// UThreshold and LThreshold are uthreshold/lthreshold (kernel IPVS
	// connection limits, 0: none).
	UThreshold, LThreshold int
	// Tunnel is lvs_method TUN's "type ipip|gue|gre", TunnelPort its
	// "port N" (gue) and TunnelCsum "nocsum|csum|remcsum".
	Tunnel, TunnelCsum string
	TunnelPort         uint16
}

// CheckerSpec is one checker block of a real_server with every option
// resolved (checker, then real_server, then virtual_server values, then
// keepalived's defaults).
type CheckerSpec struct {
	Pos              keepalivedconf.Pos
	Type             string // TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, SMTP_CHECK, DNS_CHECK
	Connect          netip.AddrPort
	BindTo           string // "ip", "ip:port" or ":port"; "" for none
	ConnectTimeout   time.Duration
	Retry            int
	DelayBeforeRetry time.Duration
	DelayLoop        time.Duration
	Warmup           time.Duration
	Alpha            bool
	LogAllFailures   bool

	// HTTP_GET / SSL_GET
	URLs        []URLSpec
	VirtualHost string
	EnableSNI   bool
	HTTPProto   string // "1.0", "1.1", "1.0C"

	// MISC_CHECK
	MiscPath    string
	MiscTimeout time.Duration
	MiscDynamic bool

	// SMTP_CHECK
	Helo string

	// DNS_CHECK
	DNSType string
	DNSName string

	// UDP_CHECK: Payload (nil: a filler datagram), require_reply with
	// its optional data and mask, min/max_reply_length.
	Payload            []byte
	RequireReply       bool
	Reply, ReplyMask   []byte
	MinReply, MaxReply int

	// FILE_CHECK
	File *TrackFile
	// FileWeight multiplies the file's value (the FILE_CHECK's weight,
	// else the track_file's); FileReverse negates it.
	FileWeight  int
	FileReverse bool
}

// TrackFile is a top-level track_file (or vrrp_track_file) block.
type TrackFile struct {
	Pos     keepalivedconf.Pos
	Name    string
	Path    string
	Weight  int
	Reverse bool
	// InitFile is set by init_file: the file gets InitValue at start when
	// it does not exist, or always with Overwrite.
	InitFile  bool
	InitValue string
	Overwrite bool
}

// URLSpec is one url block of HTTP_GET/SSL_GET.
type URLSpec struct {
	Path         string
	Digest       string
	Status       []StatusRange
	VirtualHost  string
	Regex        string
	RegexNoMatch bool
}

// StatusRange is an inclusive range of HTTP status codes.
type StatusRange struct{ Lo, Hi int }

// Error is a configuration the userspace data plane cannot run; it names
// the file and line.
type Error struct {
	Pos keepalivedconf.Pos
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.Pos.File, e.Pos.Line, e.Msg) }

// ParseTimer reads a keepalived timer (seconds, decimals allowed).
func ParseTimer(s string) (time.Duration, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f >= 0 && f <= 4294) {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

func boolArg(s *keepalivedconf.Setting) bool {
	if s == nil {
		return false
	}
	switch strings.ToLower(s.Arg(0)) {
	case "", "on", "true", "yes":
		return true
	}
	return false
}

type inherited struct {
	delayLoop, connectTimeout, delayBeforeRetry, warmup *time.Duration
	retry                                               *int
	alpha, inhibit                                      *bool
	virtualHost                                         string
}

func (in inherited) apply(subs []*keepalivedconf.Setting) inherited {
	for _, s := range subs {
		switch s.Keyword {
		case "delay_loop", "connect_timeout", "delay_before_retry", "warmup":
			d, ok := ParseTimer(s.Arg(0))
			if !ok {
				continue
			}
			switch s.Keyword {
			case "delay_loop":
				in.delayLoop = &d
			case "connect_timeout":
				in.connectTimeout = &d
			case "delay_before_retry":
				in.delayBeforeRetry = &d
			case "warmup":
				in.warmup = &d
			}
		case "retry", "nb_get_retry":
			if n, err := strconv.Atoi(s.Arg(0)); err == nil && n >= 0 {
				in.retry = &n
			}
		case "alpha":
			b := boolArg(s)
			in.alpha = &b
		case "inhibit_on_failure":
			b := boolArg(s)
			in.inhibit = &b
		case "virtualhost":
			in.virtualHost = s.Arg(0)
		}
	}
	return in
}

// Services translates the configuration's virtual_servers. Settings the
// userspace data plane cannot honour are refused when userspace is true
// (lb_kind DR/TUN, fwmark services, protocols other than TCP).
func Services(cfg *keepalivedconf.Config, userspace bool) ([]*Service, error) {
	groups := map[string]*keepalivedconf.Setting{}
	for _, s := range cfg.Settings {
		if s.Keyword == "virtual_server_group" {
			groups[s.Arg(0)] = s
		}
	}
	// global smtp_alert_checker, else smtp_alert, is the default of the
	// virtual and real servers' smtp_alert; without either, real servers
	// alert and virtual servers do not.
	var globalAlert *bool
	for _, kw := range []string{"smtp_alert", "smtp_alert_checker"} {
		for _, s := range cfg.Global.Settings {
			if s.Keyword == kw {
				b := boolArg(s)
				globalAlert = &b
			}
		}
	}
	files := trackFiles(cfg)
	var out []*Service
	for _, vs := range cfg.VirtualServers {
		svc, err := service(vs, groups, files, userspace)
		if err != nil {
			return nil, err
		}
		if globalAlert != nil {
			if !svc.smtpAlertSet {
				svc.SmtpAlert = *globalAlert
			}
			for _, d := range svc.Reals {
				if !d.smtpAlertSet {
					d.SmtpAlert = *globalAlert
				}
			}
		}
		out = append(out, svc)
	}
	return out, nil
}

// trackFiles reads the track_file / vrrp_track_file blocks.
func trackFiles(cfg *keepalivedconf.Config) map[string]*TrackFile {
	out := map[string]*TrackFile{}
	for _, s := range cfg.Settings {
		if s.Keyword != "track_file" && s.Keyword != "vrrp_track_file" {
			continue
		}
		tf := &TrackFile{Pos: s.Pos, Name: s.Arg(0), Weight: 1}
		for _, sub := range s.Sub {
			switch sub.Keyword {
			case "file":
				tf.Path = sub.Arg(0)
			case "weight":
				tf.Weight = atoi(sub.Arg(0))
				tf.Reverse = sub.Arg(1) == "reverse"
			case "init_file":
				tf.InitFile, tf.InitValue = true, "0"
				for _, a := range sub.Args {
					if a == "overwrite" {
						tf.Overwrite = true
					} else {
						tf.InitValue = a
					}
				}
			}
		}
		if tf.Path != "" {
			out[tf.Name] = tf
		}
	}
	return out
}

func service(vs *keepalivedconf.VirtualServer, groups map[string]*keepalivedconf.Setting, files map[string]*TrackFile, userspace bool) (*Service, error) {
	// keepalived 2.2.7 defaults a virtual_server without protocol to UDP
	// ("no protocol set - defaulting to UDP").
	svc := &Service{Pos: vs.Pos, Algo: "wlc", Kind: "NAT", Protocol: "udp", Quorum: 1, Flags: map[string]bool{}}
	if vs.LbAlgo != "" {
		svc.Algo = vs.LbAlgo
	}
	if vs.LbKind != "" {
		svc.Kind = strings.ToUpper(vs.LbKind)
	}
	if vs.Protocol != "" {
		svc.Protocol = strings.ToLower(vs.Protocol)
	}
	port := 0
	switch {
	case vs.Fwmark != "":
		n, _ := strconv.ParseUint(vs.Fwmark, 10, 32)
		svc.Fwmark = uint32(n)
	case vs.Group != "":
		svc.Group = vs.Group
		g := groups[vs.Group]
		if g == nil {
			return nil, &Error{vs.Pos, fmt.Sprintf("virtual_server group %s: no virtual_server_group %s is defined", vs.Group, vs.Group)}
		}
		for _, l := range g.Lines {
			addrs, fwm, err := groupEntry(l)
			if err != nil {
				return nil, err
			}
			if fwm != 0 {
				svc.Fwmark = fwm
				continue
			}
			svc.Addrs = append(svc.Addrs, addrs...)
		}
		if len(svc.Addrs) > 0 {
			port = int(svc.Addrs[0].Port())
		}
	default:
		a, err := netip.ParseAddr(vs.Addr)
		if err != nil {
			return nil, &Error{vs.Pos, fmt.Sprintf("virtual_server address %q is not an IP address", vs.Addr)}
		}
		p, _ := strconv.Atoi(vs.Port)
		port = p
		svc.Addrs = []netip.AddrPort{netip.AddrPortFrom(a.Unmap(), uint16(p))}
	}
	if userspace {
		switch {
		case svc.Fwmark != 0:
			return nil, &Error{vs.Pos, "virtual_server fwmark needs the kernel's IPVS, which this host lacks: the userspace forwarder listens on addresses and ports; write the virtual_server as \"virtual_server IP PORT\""}
		case svc.Kind != "NAT":
			return nil, &Error{vs.Pos, fmt.Sprintf("lb_kind %s needs the kernel's IPVS, which this host lacks: the userspace forwarder only does lb_kind NAT", svc.Kind)}
		case svc.Protocol != "tcp" && svc.Protocol != "udp":
			return nil, &Error{vs.Pos, fmt.Sprintf("protocol %s needs the kernel's IPVS, which this host lacks: the userspace forwarder does protocol TCP and UDP", strings.ToUpper(svc.Protocol))}
		}
		if _, ok := newScheduler(svc.Algo, svc.Flags); !ok {
			return nil, &Error{vs.Pos, fmt.Sprintf("lb_algo %s is not known: use rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, mh, fo or ovf", svc.Algo)}
		}
	}
	inh := inherited{}.apply(vs.Settings)
	svc.DelayLoop, svc.ConnectTimeout = DefaultDelayLoop, DefaultConnectTimeout
	if inh.delayLoop != nil {
		svc.DelayLoop = *inh.delayLoop
	}
	if inh.connectTimeout != nil {
		svc.ConnectTimeout = *inh.connectTimeout
	}
	svc.Retry, svc.DelayBeforeRetry, svc.Warmup = inh.retry, inh.delayBeforeRetry, inh.warmup
	svc.Inhibit = inh.inhibit != nil && *inh.inhibit
	svc.VirtualHost = inh.virtualHost
	var sorryMethod *keepalivedconf.Setting
	for _, s := range vs.Settings {
		switch s.Keyword {
		case "persistence_timeout":
			svc.Persistence = DefaultPersistenceTimeout
			if n, err := strconv.Atoi(s.Arg(0)); err == nil && n > 0 {
				svc.Persistence = time.Duration(n) * time.Second
			}
		case "persistence_granularity":
			if m, err := netip.ParseAddr(s.Arg(0)); err == nil && m.Is4() {
				b := m.As4()
				bits := 0
				for _, x := range b {
					for i := 7; i >= 0 && x&(1<<i) != 0; i-- {
						bits++
					}
				}
				svc.Granularity = netip.PrefixFrom(m, bits)
			}
		case "quorum":
			if n, err := strconv.Atoi(s.Arg(0)); err == nil && n >= 1 {
				svc.Quorum = n
			}
		case "hysteresis":
			if n, err := strconv.Atoi(s.Arg(0)); err == nil && n >= 0 {
				svc.Hysteresis = n
			}
		case "quorum_up":
			svc.QuorumUp = strings.Join(s.Args, " ")
		case "quorum_down":
			svc.QuorumDown = strings.Join(s.Args, " ")
		case "alpha":
			svc.Alpha = true
		case "omega":
			svc.Omega = true
		case "ha_suspend":
			svc.HaSuspend = true
		case "smtp_alert":
			svc.SmtpAlert, svc.smtpAlertSet = boolArg(s), true
		case "ops", "one_packet_scheduling", "sh-port", "sh-fallback", "mh-port", "mh-fallback", "flag-1", "flag-2", "flag-3":
			svc.Flags[s.Keyword] = true
		case "lb_flags", "lvs_flags":
			for _, a := range s.Args {
				svc.Flags[a] = true
			}
		case "sorry_server":
			a, err := netip.ParseAddr(s.Arg(0))
			if err != nil {
				continue // keepalived: "Invalid sorry server IP address %s - skipping"
			}
			p := port
			if s.Arg(1) != "" {
				p, _ = strconv.Atoi(s.Arg(1))
			}
			svc.Sorry = &Dest{Pos: s.Pos, Addr: netip.AddrPortFrom(a.Unmap(), uint16(p)), Weight: 1, Kind: svc.Kind, IsSorry: true}
		case "sorry_server_inhibit":
			if svc.Sorry != nil {
				svc.Sorry.Inhibit = boolArg(s)
			}
		case "sorry_server_lvs_method":
			sorryMethod = s
		}
	}
	if svc.Sorry != nil && sorryMethod != nil {
		svc.Sorry.Kind = strings.ToUpper(sorryMethod.Arg(0))
		if userspace && svc.Sorry.Kind != "NAT" {
			return nil, &Error{sorryMethod.Pos, fmt.Sprintf("sorry_server_lvs_method %s needs the kernel's IPVS, which this host lacks: the userspace forwarder only does NAT", svc.Sorry.Kind)}
		}
	}
	if svc.Alpha && inh.alpha == nil {
		t := true
		inh.alpha = &t
	}
	for _, rs := range vs.RealServers {
		d, err := dest(svc, rs, inh, port, userspace, files)
		if err != nil {
			return nil, err
		}
		svc.Reals = append(svc.Reals, d)
	}
	// keepalived: "Warning - quorum %u for %s exceeds total weight of real
	// servers %u, reducing quorum to %u" and "hysteresis >= quorum".
	total := 0
	for _, d := range svc.Reals {
		total += max(d.Weight, 0)
	}
	if svc.Quorum > total && total > 0 {
		svc.Quorum = total
	}
	if svc.Hysteresis >= svc.Quorum {
		svc.Hysteresis = svc.Quorum - 1
	}
	return svc, nil
}

// groupEntry reads one virtual_server_group line: "IP PORT",
// "IP-LAST PORT" (a range over the last byte/word) or "fwmark N".
func groupEntry(l *keepalivedconf.Node) ([]netip.AddrPort, uint32, error) {
	if len(l.Words) == 0 {
		return nil, 0, nil
	}
	if l.Words[0] == "fwmark" {
		n, _ := strconv.ParseUint(get(l.Words, 1), 10, 32)
		return nil, uint32(n), nil
	}
	first, last, hasRange := strings.Cut(l.Words[0], "-")
	a, err := netip.ParseAddr(first)
	if err != nil {
		return nil, 0, &Error{l.Pos, fmt.Sprintf("virtual_server_group entry %q is not an IP address", l.Words[0])}
	}
	p, _ := strconv.Atoi(get(l.Words, 1))
	out := []netip.AddrPort{netip.AddrPortFrom(a.Unmap(), uint16(p))}
	if hasRange {
		end, err := strconv.ParseUint(last, 10, 16)
		if err != nil {
			return nil, 0, &Error{l.Pos, fmt.Sprintf("virtual_server_group range %q: the end must be a number", l.Words[0])}
		}
		b := a.AsSlice()
		lo := uint64(b[len(b)-1])
		if a.Is6() {
			lo = uint64(b[14])<<8 | uint64(b[15])
		}
		if end < lo || end-lo > 255 {
			return nil, 0, &Error{l.Pos, fmt.Sprintf("virtual_server_group range %q: the end must follow the start (at most 256 addresses)", l.Words[0])}
		}
		cur := a
		for i := lo; i < end; i++ {
			cur = cur.Next()
			out = append(out, netip.AddrPortFrom(cur.Unmap(), uint16(p)))
		}
	}
	return out, 0, nil
}

func get(w []string, i int) string {
	if i < len(w) {
		return w[i]
	}
	return ""
}

// tunnelArgs reads lvs_method TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum].
func tunnelArgs(d *Dest, args []string) {
	for i := 1; i < len(args); i++ {
		switch strings.ToLower(args[i]) {
		case "type":
			if i+1 < len(args) {
				d.Tunnel = strings.ToLower(args[i+1])
				i++
			}
		case "port":
			if i+1 < len(args) {
				n, _ := strconv.ParseUint(args[i+1], 10, 16)
				d.TunnelPort = uint16(n)
				i++
			}
		case "nocsum", "csum", "remcsum":
			d.TunnelCsum = strings.ToLower(args[i])
		}
	}
}

func dest(svc *Service, rs *keepalivedconf.RealServer, vsInh inherited, vsPort int, userspace bool, files map[string]*TrackFile) (*Dest, error) {
	a, err := netip.ParseAddr(rs.Addr)
	if err != nil {
		return nil, &Error{rs.Pos, fmt.Sprintf("real_server address %q is not an IP address", rs.Addr)}
	}
	p := vsPort
	if rs.Port != "" {
		p, _ = strconv.Atoi(rs.Port)
	}
	d := &Dest{Pos: rs.Pos, Addr: netip.AddrPortFrom(a.Unmap(), uint16(p)), Weight: rs.Weight, Kind: svc.Kind, SmtpAlert: true}
	inh := vsInh.apply(rs.Settings)
	if inh.inhibit != nil {
		d.Inhibit = *inh.inhibit
	}
	for _, s := range rs.Settings {
		switch s.Keyword {
		case "notify_up":
			d.NotifyUp = strings.Join(s.Args, " ")
		case "notify_down":
			d.NotifyDown = strings.Join(s.Args, " ")
		case "smtp_alert":
			d.SmtpAlert, d.smtpAlertSet = boolArg(s), true
		case "lvs_method":
			d.Kind = strings.ToUpper(s.Arg(0))
			tunnelArgs(d, s.Args)
		case "uthreshold":
			d.UThreshold, _ = strconv.Atoi(s.Arg(0))
		case "lthreshold":
			d.LThreshold, _ = strconv.Atoi(s.Arg(0))
		}
	}
	if userspace && d.Kind != "NAT" && svc.Fwmark == 0 && svc.Kind == "NAT" {
		return nil, &Error{s0(rs, "lvs_method"), fmt.Sprintf("lvs_method %s needs the kernel's IPVS, which this host lacks: the userspace forwarder only does NAT", d.Kind)}
	}
	for _, c := range rs.Checkers {
		cs := checkerSpec(c, d, inh, files)
		if cs != nil {
			d.Checkers = append(d.Checkers, cs)
		}
	}
	return d, nil
}

func s0(rs *keepalivedconf.RealServer, kw string) keepalivedconf.Pos {
	for _, s := range rs.Settings {
		if s.Keyword == kw {
			return s.Pos
		}
	}
	return rs.Pos
}

func checkerSpec(c *keepalivedconf.Setting, d *Dest, rsInh inherited, files map[string]*TrackFile) *CheckerSpec {
	switch c.Keyword {
	case "TCP_CHECK", "HTTP_GET", "SSL_GET", "MISC_CHECK", "SMTP_CHECK", "DNS_CHECK", "UDP_CHECK", "PING_CHECK":
	case "FILE_CHECK":
		return fileCheckSpec(c, files)
	default:
		return nil // BFD_CHECK is not run (no BFD)
	}
	inh := rsInh.apply(c.Sub)
	cs := &CheckerSpec{Pos: c.Pos, Type: c.Keyword, Connect: d.Addr, Retry: DefaultRetry,
		ConnectTimeout: DefaultConnectTimeout, DelayLoop: DefaultDelayLoop, HTTPProto: "1.0", DNSType: "SOA", DNSName: ".", MaxReply: 255}
	if inh.delayLoop != nil {
		cs.DelayLoop = *inh.delayLoop
	}
	cs.Warmup = cs.DelayLoop
	if inh.warmup != nil {
		cs.Warmup = *inh.warmup
	}
	if inh.connectTimeout != nil {
		cs.ConnectTimeout = *inh.connectTimeout
	}
	if inh.retry != nil {
		cs.Retry = *inh.retry
	}
	switch c.Keyword {
	case "HTTP_GET", "SSL_GET":
		cs.DelayBeforeRetry = DefaultHTTPDelayRetry
	case "DNS_CHECK":
		cs.DelayBeforeRetry = cs.DelayLoop
	default:
		cs.DelayBeforeRetry = DefaultDelayBeforeRetry
	}
	if inh.delayBeforeRetry != nil {
		cs.DelayBeforeRetry = *inh.delayBeforeRetry
	}
	if inh.alpha != nil {
		cs.Alpha = *inh.alpha
	}
	cs.VirtualHost = inh.virtualHost
	ip, port := d.Addr.Addr(), d.Addr.Port()
	bindIP, bindPort := "", ""
	for _, s := range c.Sub {
		switch s.Keyword {
		case "connect_ip":
			if a, err := netip.ParseAddr(s.Arg(0)); err == nil {
				ip = a.Unmap()
			}
		case "connect_port":
			if n, err := strconv.Atoi(s.Arg(0)); err == nil {
				port = uint16(n)
			}
		case "bindto":
			bindIP = s.Arg(0)
		case "bind_port":
			bindPort = s.Arg(0)
		case "log_all_failures":
			cs.LogAllFailures = boolArg(s)
		case "enable_sni":
			cs.EnableSNI = boolArg(s)
		case "http_protocol":
			cs.HTTPProto = s.Arg(0)
		case "misc_path":
			cs.MiscPath = strings.Join(s.Args, " ")
		case "misc_timeout":
			if d, ok := ParseTimer(s.Arg(0)); ok {
				cs.MiscTimeout = d
			}
		case "misc_dynamic":
			cs.MiscDynamic = boolArg(s)
		case "helo_name":
			cs.Helo = s.Arg(0)
		case "payload":
			if b, _, ok := checks.ParseHexString(strings.Join(s.Args, " "), false); ok {
				cs.Payload = b
			}
		case "require_reply":
			cs.RequireReply = true
			if len(s.Args) > 0 {
				if b, m, ok := checks.ParseHexString(strings.Join(s.Args, " "), true); ok {
					cs.Reply, cs.ReplyMask = b, m
				}
			}
		case "min_reply_length":
			if n, err := strconv.Atoi(s.Arg(0)); err == nil && n >= 0 && n <= 65535 {
				cs.MinReply = n
			}
		case "max_reply_length":
			if n, err := strconv.Atoi(s.Arg(0)); err == nil && n >= 0 && n <= 65535 {
				cs.MaxReply = n
			}
		case "type":
			cs.DNSType = strings.ToUpper(s.Arg(0))
		case "name":
			cs.DNSName = s.Arg(0)
		case "url":
			u := URLSpec{}
			for _, us := range s.Sub {
				switch us.Keyword {
				case "path":
					u.Path = us.Arg(0)
				case "digest":
					u.Digest = strings.ToLower(us.Arg(0))
				case "status_code":
					u.Status = append(u.Status, statusRanges(us.Args)...)
				case "virtualhost":
					u.VirtualHost = us.Arg(0)
				case "regex":
					u.Regex = us.Arg(0)
				case "regex_no_match":
					u.RegexNoMatch = true
				}
			}
			if u.Path == "" {
				continue // "HTTP/SSL_GET checker url has no path - ignoring"
			}
			cs.URLs = append(cs.URLs, u)
		}
	}
	cs.Connect = netip.AddrPortFrom(ip, port)
	switch {
	case bindIP != "" && bindPort != "":
		cs.BindTo = netip.AddrPortFrom(mustAddr(bindIP), uint16(atoi(bindPort))).String()
	case bindIP != "":
		cs.BindTo = bindIP
	case bindPort != "":
		cs.BindTo = ":" + bindPort
	}
	if c.Keyword == "MISC_CHECK" {
		if cs.MiscPath == "" {
			return nil // "No script path has been specified for MISC_CHECKER - skipping"
		}
		if cs.MiscTimeout == 0 {
			cs.MiscTimeout = cs.DelayLoop
		}
	}
	if (c.Keyword == "HTTP_GET" || c.Keyword == "SSL_GET") && len(cs.URLs) == 0 {
		return nil // "HTTP/SSL_GET checker has no urls specified - ignoring"
	}
	return cs
}

// fileCheckSpec is a FILE_CHECK: its track_file (nil, ignored, when
// unknown: keepalived reports "track_file %s not found") and weight.
func fileCheckSpec(c *keepalivedconf.Setting, files map[string]*TrackFile) *CheckerSpec {
	cs := &CheckerSpec{Pos: c.Pos, Type: c.Keyword}
	weightSet := false
	for _, s := range c.Sub {
		switch s.Keyword {
		case "track_file":
			cs.File = files[s.Arg(0)]
			if tf := cs.File; tf != nil && tf.Pos.File == s.Pos.File && tf.Pos.Line > s.Pos.Line {
				// keepalived only knows the track_files read before
				cs.File = nil
			}
		case "weight":
			cs.FileWeight, weightSet = atoi(s.Arg(0)), true
			cs.FileReverse = s.Arg(1) == "reverse"
		}
	}
	if cs.File == nil {
		return nil // "FILE_CHECK has no track_file specified - ignoring"
	}
	if !weightSet || cs.FileWeight == 0 {
		// file_end_handler: weight 0 (or none) takes the track_file's
		cs.FileWeight, cs.FileReverse = cs.File.Weight, cs.File.Reverse
	}
	return cs
}

func mustAddr(s string) netip.Addr {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.IPv4Unspecified()
	}
	return a.Unmap()
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// statusRanges reads status_code arguments: "200", "200-299".
func statusRanges(args []string) []StatusRange {
	var out []StatusRange
	for _, a := range args {
		lo, hi, isRange := strings.Cut(a, "-")
		l, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		h := l
		if isRange {
			if h, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		out = append(out, StatusRange{l, h})
	}
	return out
}

// FmtDest is keepalived's FMT_RS: "[10.0.0.2]:tcp:8443".
func (s *Service) FmtDest(d *Dest) string {
	return fmt.Sprintf("[%s]:%s:%d", d.Addr.Addr(), s.Protocol, d.Addr.Port())
}

// String is keepalived's FMT_VS: "[10.0.0.100]:tcp:8899", "[GROUP]:PORT"
// or "FWM N".
func (s *Service) String() string {
	switch {
	case s.Group != "":
		p := 0
		if len(s.Addrs) > 0 {
			p = int(s.Addrs[0].Port())
		}
		return fmt.Sprintf("[%s]:%d", s.Group, p)
	case s.Fwmark != 0:
		return fmt.Sprintf("FWM %d", s.Fwmark)
	case len(s.Addrs) > 0:
		return fmt.Sprintf("[%s]:%s:%d", s.Addrs[0].Addr(), s.Protocol, s.Addrs[0].Port())
	}
	return "[]"
}
