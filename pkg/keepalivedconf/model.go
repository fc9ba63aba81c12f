package keepalivedconf

import (
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// Host answers the questions keepalived asks the machine while checking a
// configuration. A nil Host accepts everything.
type Host interface {
	InterfaceExists(name string) bool
	ResolveHost(name string) bool
	// Script reports whether the command's program exists and is
	// executable, and whether it is secure (neither it nor a directory
	// above it writable by a non-root user).
	Script(cmd string) (found, secure bool)
	UserExists(name string) bool
}

// Config is the typed model of a keepalived.conf.
type Config struct {
	Files          []string
	StaticAddrs    []VIP
	StaticRoutes   []Route
	StaticRules    []Rule
	Global         Global
	Scripts        []*Script
	SyncGroups     []*SyncGroup
	Instances      []*Instance
	VirtualServers []*VirtualServer
	// Settings holds every top-level statement as parsed, including the
	// ones the typed fields above were built from.
	Settings []*Setting
}

// Global is global_defs.
type Global struct {
	Pos                  Pos
	RouterID             string
	NotificationEmail    []string
	EmailFrom            string
	SMTPServer           string
	SMTPPort             int
	SMTPConnectTimeout   int
	EnableScriptSecurity bool
	ScriptUser           string
	VRRPStrict           bool
	VRRPVersion          int
	Settings             []*Setting
}

// Script is a vrrp_script.
type Script struct {
	Pos      Pos
	Name     string
	Script   string
	Interval string
	Weight   int
	Rise     int
	Fall     int
	Settings []*Setting
}

// SyncGroup is a vrrp_sync_group.
type SyncGroup struct {
	Pos      Pos
	Name     string
	Group    []string
	Settings []*Setting
}

// VIP is one virtual_ipaddress line: IP/len brd X dev Y scope Z label L.
type VIP struct {
	Pos    Pos
	Prefix netip.Prefix
	Brd    string
	Dev    string
	Scope  string
	Label  string
	Peer   string
	Extra  []string
	// PrefixText is the address as written.
	PrefixText string
	// badLen is a prefix length too long for the address (keepalived
	// uses the full length), brdMissing a "brd" without its value.
	badLen     string
	brdMissing bool
}

// Instance is a vrrp_instance.
type Instance struct {
	Pos          Pos
	Name         string
	State        string
	Interface    string
	VRID         int
	Priority     int
	AdvertInt    string
	NoPreempt    bool
	AuthType     string
	AuthPass     string
	Version      int
	UnicastSrcIP string
	UnicastPeers []string
	VIPs         []VIP
	ExcludedVIPs []VIP
	TrackScripts []string
	TrackIfs     []string
	Routes       []Route
	Rules        []Rule
	Settings     []*Setting
	// trackWeights are the weights of TrackScripts (the entry's own
	// weight, else the script's).
	trackWeights []int
	// wroteUnicastSrc: unicast_src_ip was written (even with a value
	// keepalived refused).
	wroteUnicastSrc bool
}

// VirtualServer is a virtual_server (ip port, fwmark N or group NAME).
type VirtualServer struct {
	Pos         Pos
	Addr        string
	Port        string
	Fwmark      string
	Group       string
	LbAlgo      string
	LbKind      string
	Protocol    string
	DelayLoop   string
	RealServers []*RealServer
	Settings    []*Setting
}

// RealServer is a real_server with its checkers.
type RealServer struct {
	Pos      Pos
	Addr     string
	Port     string
	Weight   int
	Checkers []*Setting
	Settings []*Setting
}

var checkerNames = []string{"TCP_CHECK", "HTTP_GET", "SSL_GET", "MISC_CHECK", "SMTP_CHECK", "DNS_CHECK", "UDP_CHECK", "PING_CHECK", "FILE_CHECK", "BFD_CHECK"}

// Result is what Parse returns.
type Result struct {
	Config *Config
	// Diags holds every message keepalived -t prints, each once, in the
	// order it first prints them (WriteConfigTest prints them as
	// keepalived does, once per read that reports them).
	Diags Diags
	// all is every message, placed in its reads (see Pass) and sorted.
	all      Diags
	names    map[string]string
	mainFile string
}

// ExitCode is keepalived -t's exit status for this configuration.
func (r *Result) ExitCode() int { return r.Diags.Status().ExitCode() }

// Parse reads file and everything it includes, checks it against host and
// returns the model with every message keepalived -t would print.
func Parse(file string, opts Options, host Host) *Result {
	var diags Diags
	lx := lex(file, opts, &diags)
	r := parseLines(lx.lines, &diags, host)
	r.names, r.mainFile = lx.names, file
	return r
}

// ParseBytes parses data as if read from name (includes are resolved
// relative to name through opts.ReadFile/Glob when set).
func ParseBytes(name string, data []byte, opts Options, host Host) *Result {
	rf := opts.ReadFile
	opts.ReadFile = func(n string) ([]byte, error) {
		if n == name {
			return data, nil
		}
		if rf != nil {
			return rf(n)
		}
		return nil, os.ErrNotExist
	}
	if opts.Glob == nil {
		opts.Glob = func(string) ([]string, error) { return nil, nil }
	}
	return Parse(name, opts, host)
}

func parseLines(lines []Line, diags *Diags, host Host) *Result {
	nodes, linePass := buildTree(lines, diags)
	w := &walker{diags: diags}
	settings := w.walk(nodes, registry, nil)
	cfg := &Config{Settings: settings}
	seen := map[string]bool{}
	for _, l := range lines {
		if !seen[l.Pos.File] {
			seen[l.Pos.File] = true
			cfg.Files = append(cfg.Files, l.Pos.File)
		}
	}
	b := &builder{cfg: cfg, diags: diags, host: host, rulePref: 16384}
	b.build()
	b.validate()
	r := &Result{Config: cfg, all: place(*diags, lines, linePass)}
	// keepalived stops at the first keyword missing a parameter it needs:
	// nothing after it is reported.
	r.Diags = r.uniqueReports()
	return r
}

type builder struct {
	cfg   *Config
	diags *Diags
	host  Host
	// badIf is set when an interface the configuration names does not
	// exist: keepalived then stops before its script checks.
	badIf bool
	// rulePref is the preference keepalived gives the next rule written
	// without one (counting down from 16384).
	rulePref int
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func (b *builder) build() {
	c := b.cfg
	// Every process has global_defs before it reads the rest.
	for _, s := range c.Settings {
		if s.Keyword == "global_defs" {
			b.global(s)
		}
	}
	for _, s := range c.Settings {
		switch s.Keyword {
		case "vrrp_script":
			sc := &Script{Pos: s.Pos, Name: s.Arg(0), Settings: s.Sub, Weight: 0, Rise: 1, Fall: 1, Interval: "1"}
			if sc.Name == "" {
				b.diags.add(KindGeneral, s.Pos, "vrrp_script must have a name")
				continue
			}
			for _, v := range s.All("script") {
				if len(v.Args) > 0 {
					sc.Script = strings.Join(v.Args, " ")
				}
			}
			// keepalived checks the block when it closes ('}').
			end, endOrd := s.Pos, order{}
			if s.node != nil && s.node.endOrd.set {
				end, endOrd = s.node.end, s.node.endOrd
			}
			closing := func(format string, args ...any) {
				if endOrd.set {
					b.diags.addAt(endOrd, PassVRRP, KindGeneral, end, format, args...)
				} else {
					b.diags.addp(PassVRRP, KindGeneral, end, format, args...)
				}
			}
			if sc.Script == "" {
				closing("No script set for vrrp_script %s - removing", sc.Name)
				continue
			}
			if g := b.cfg.Global; g.EnableScriptSecurity && g.ScriptUser == "" && s.Get("user") == nil &&
				b.host != nil && !b.host.UserExists("keepalived_script") {
				closing("Unable to set default user keepalived_script for script")
				closing("Unable to set default user for vrrp script %s - removing", sc.Name)
				continue
			}
			if v := s.Get("interval"); v != nil {
				sc.Interval = v.Arg(0)
			}
			if v := s.Get("weight"); v != nil {
				sc.Weight = atoi(v.Arg(0))
			}
			if v := s.Get("rise"); v != nil {
				sc.Rise = atoi(v.Arg(0))
			}
			if v := s.Get("fall"); v != nil {
				sc.Fall = atoi(v.Arg(0))
			}
			c.Scripts = append(c.Scripts, sc)
		case "vrrp_sync_group":
			g := &SyncGroup{Pos: s.Pos, Name: s.Arg(0), Settings: s.Sub}
			if v := s.Get("group"); v != nil {
				for _, l := range v.Lines {
					g.Group = append(g.Group, l.Words...)
				}
			}
			c.SyncGroups = append(c.SyncGroups, g)
		case "vrrp_instance":
			b.instance(s)
		case "static_ipaddress":
			for _, l := range s.Lines {
				vip, ok := parseVIP(l)
				if !ok {
					b.diags.add(KindGeneral, l.Pos, "VRRP parsed invalid IP %s. skipping IP...", l.Words[0])
					continue
				}
				b.checkVIP(vip)
				c.StaticAddrs = append(c.StaticAddrs, vip)
			}
		case "static_routes":
			for _, l := range s.Lines {
				if r, ok := b.route(l); ok {
					c.StaticRoutes = append(c.StaticRoutes, r)
				}
			}
		case "static_rules":
			for _, l := range s.Lines {
				if r, ok := b.rule(l); ok {
					c.StaticRules = append(c.StaticRules, r)
				}
			}
		case "virtual_server":
			b.virtualServer(s)
		case "virtual_server_group":
			for _, l := range s.Lines {
				if l.Words[0] == "fwmark" {
					continue
				}
				// ADDR[-LAST] PORT
				a, _, _ := strings.Cut(l.Words[0], "-")
				if _, err := netip.ParseAddr(a); err != nil {
					port := ""
					if len(l.Words) > 1 {
						port = "/port/" + l.Words[1]
					}
					b.diags.add(KindGeneral, l.Pos, "Invalid virtual server group IP address %s %s - skipping", l.Words[0], port)
				}
			}
		}
	}
}

func (b *builder) global(s *Setting) {
	g := &b.cfg.Global
	g.Pos = s.Pos
	g.Settings = append(g.Settings, s.Sub...)
	for _, v := range s.Sub {
		switch v.Keyword {
		case "router_id":
			g.RouterID = v.Arg(0)
		case "notification_email":
			for _, l := range v.Lines {
				g.NotificationEmail = append(g.NotificationEmail, l.Words...)
			}
		case "notification_email_from":
			g.EmailFrom = v.Arg(0)
		case "smtp_server":
			if len(v.Args) == 0 {
				b.diags.add(KindMissingParam, v.Pos, "*** Configuration line starting `smtp_server` is missing a parameter after keyword `smtp_server` at word position 2")
				continue
			}
			g.SMTPServer, g.SMTPPort = v.Arg(0), 25
			if len(v.Args) > 1 {
				g.SMTPPort = atoi(v.Arg(1))
				if n, err := strconv.ParseUint(v.Arg(1), 10, 64); err != nil || n < 1 || n > 65535 {
					// keepalived reads the port twice before it gives up.
					for range 2 {
						if err != nil {
							b.diags.add(KindInvalidNumber, v.Pos, "invalid number '%s'", v.Arg(1))
						} else {
							b.diags.add(KindInvalidNumber, v.Pos, "number '%s' outside range [1, 65535]", v.Arg(1))
						}
					}
					b.diags.add(KindGeneral, v.Pos, "Invalid smtp server %s %s", v.Arg(0), v.Arg(1))
					g.SMTPServer = ""
					continue
				}
			}
			if b.host != nil {
				if _, err := netip.ParseAddr(g.SMTPServer); err != nil && !b.host.ResolveHost(g.SMTPServer) {
					b.diags.add(KindGeneral, v.Pos, "Invalid smtp server %s %d", g.SMTPServer, g.SMTPPort)
					g.SMTPServer = ""
				}
			}
		case "smtp_connect_timeout":
			g.SMTPConnectTimeout = atoi(v.Arg(0))
		case "enable_script_security":
			g.EnableScriptSecurity = true
		case "script_user":
			g.ScriptUser = v.Arg(0)
			if b.host != nil && g.ScriptUser != "" && !b.host.UserExists(g.ScriptUser) {
				b.diags.add(KindGeneral, v.Pos, "Error setting global script uid/gid")
			}
		case "vrrp_strict":
			g.VRRPStrict = true
		case "vrrp_version":
			g.VRRPVersion = atoi(v.Arg(0))
		}
	}
}

func parseVIP(l *Node) (VIP, bool) {
	v := VIP{Pos: l.Pos}
	a := l.Words[0]
	v.PrefixText = a
	var err error
	if strings.Contains(a, "/") {
		v.Prefix, err = netip.ParsePrefix(a)
		if err != nil {
			// A length beyond the address's: keepalived says so and
			// uses the full length.
			ap, lp, _ := strings.Cut(a, "/")
			ip, aerr := netip.ParseAddr(ap)
			n, lerr := strconv.ParseUint(lp, 10, 32)
			if aerr == nil && lerr == nil && int(n) > ip.BitLen() {
				v.Prefix, err, v.badLen = netip.PrefixFrom(ip, ip.BitLen()), nil, lp
			}
		}
	} else {
		var ip netip.Addr
		ip, err = netip.ParseAddr(a)
		if err == nil {
			v.Prefix = netip.PrefixFrom(ip, ip.BitLen())
		}
	}
	if err != nil {
		return v, false
	}
	for i := 1; i < len(l.Words); i++ {
		k := l.Words[i]
		val := ""
		if i+1 < len(l.Words) {
			val = l.Words[i+1]
		}
		switch k {
		case "brd", "broadcast":
			v.Brd = val
			v.brdMissing = val == ""
			i++
		case "dev":
			v.Dev = val
			i++
		case "scope":
			v.Scope = val
			i++
		case "label":
			v.Label = val
			i++
		case "peer":
			v.Peer = val
			i++
		case "preferred_lft":
			i++
		case "home", "-nodad", "noprefixroute", "autojoin", "no_track":
		default:
			v.Extra = append(v.Extra, k)
		}
	}
	return v, true
}

func (b *builder) instance(s *Setting) {
	in := &Instance{Pos: s.Pos, Name: s.Arg(0), State: "BACKUP", Priority: 100, AdvertInt: "1", Settings: s.Sub}
	if in.Name == "" {
		b.diags.add(KindGeneral, s.Pos, "vrrp_instance must have a name")
		return
	}
	if s.node != nil {
		for _, n := range s.node.Children {
			if len(n.Words) > 0 && n.Words[0] == "unicast_src_ip" {
				in.wroteUnicastSrc = true
			}
		}
	}
	for _, v := range s.Sub {
		switch v.Keyword {
		case "state":
			in.State = v.Arg(0)
		case "interface":
			in.Interface = v.Arg(0)
		case "virtual_router_id":
			in.VRID = atoi(v.Arg(0))
		case "priority":
			in.Priority = atoi(v.Arg(0))
		case "advert_int":
			in.AdvertInt = v.Arg(0)
		case "nopreempt":
			in.NoPreempt = true
		case "version":
			in.Version = atoi(v.Arg(0))
		case "unicast_src_ip":
			in.UnicastSrcIP = v.Arg(0)
		case "unicast_peer":
			for _, l := range v.Lines {
				if _, err := netip.ParseAddr(l.Words[0]); err != nil {
					b.diags.add(KindGeneral, l.Pos, "Configuration error: VRRP instance[%s] malformed unicast peer address[%s]. Skipping...", in.Name, l.Words[0])
					continue
				}
				in.UnicastPeers = append(in.UnicastPeers, l.Words[0])
			}
		case "authentication":
			if t := v.Get("auth_type"); t != nil {
				in.AuthType = t.Arg(0)
			}
			if p := v.Get("auth_pass"); p != nil {
				in.AuthPass = p.Arg(0)
				if len(in.AuthPass) > 8 {
					b.diags.add(KindGeneral, p.Pos, "Truncating auth_pass to 8 characters")
				}
			}
		case "virtual_ipaddress", "virtual_ipaddress_excluded":
			for _, l := range v.Lines {
				vip, ok := parseVIP(l)
				if !ok {
					b.diags.add(KindGeneral, l.Pos, "VRRP parsed invalid IP %s. skipping IP...", l.Words[0])
					continue
				}
				b.checkVIP(vip)
				if v.Keyword == "virtual_ipaddress" {
					in.VIPs = append(in.VIPs, vip)
				} else {
					in.ExcludedVIPs = append(in.ExcludedVIPs, vip)
				}
			}
		case "track_script":
			// keepalived looks the script up while reading the entry:
			// it must be defined (and kept) above.
			for _, l := range v.Lines {
				if !b.hasScript(l.Words[0]) {
					b.diags.add(KindGeneral, l.Pos, "(%s) track script %s not found, ignoring...", in.Name, l.Words[0])
					continue
				}
				if w, ok := entryWeight(l); ok {
					if n, err := strconv.Atoi(w); err == nil && (n < -254 || n > 254) {
						b.diags.add(KindInvalidNumber, l.Pos, "number '%s' outside range [-254, 254]", w)
						b.diags.add(KindGeneral, l.Pos, "(%s) track script %s: weight must be between [-253..253] inclusive, ignoring...", in.Name, l.Words[0])
					}
				}
				in.TrackScripts = append(in.TrackScripts, l.Words[0])
				in.trackWeights = append(in.trackWeights, trackWeight(l, b.script(l.Words[0])))
			}
		case "track_interface":
			for _, l := range v.Lines {
				if b.host != nil && !b.host.InterfaceExists(l.Words[0]) {
					b.diags.add(KindGeneral, l.Pos, "(%s) tracked interface %s doesn't exist", in.Name, l.Words[0])
					b.badIf = true
					continue
				}
				if w, ok := entryWeight(l); ok {
					switch n, err := strconv.Atoi(w); {
					case err != nil:
						b.diags.add(KindInvalidNumber, l.Pos, "invalid number '%s'", w)
						b.diags.add(KindGeneral, l.Pos, "(%s) weight %s for %s must be between [-253..253] inclusive. Ignoring...", in.Name, w, l.Words[0])
					case n < -254 || n > 254:
						b.diags.add(KindInvalidNumber, l.Pos, "number '%s' outside range [-254, 254]", w)
						b.diags.add(KindGeneral, l.Pos, "(%s) weight %s for %s must be between [-253..253] inclusive. Ignoring...", in.Name, w, l.Words[0])
					case n == 254 || n == -254:
						b.diags.add(KindGeneral, l.Pos, "(%s) weight for %s cannot be +/-254. Setting to +/-253", in.Name, l.Words[0])
					}
				}
				in.TrackIfs = append(in.TrackIfs, l.Words[0])
			}
		case "virtual_routes":
			for _, l := range v.Lines {
				if r, ok := b.route(l); ok {
					in.Routes = append(in.Routes, r)
				}
			}
		case "virtual_rules":
			for _, l := range v.Lines {
				if r, ok := b.rule(l); ok {
					in.Rules = append(in.Rules, r)
				}
			}
		}
	}
	// Checked when the block closes.
	if s.Get("use_vmac") != nil && s.Get("unicast_peer") != nil && s.Get("vmac_xmit_base") == nil &&
		s.node != nil && s.node.endOrd.set {
		b.diags.addAt(s.node.endOrd, PassVRRP, KindGeneral, s.node.end, "(%s) unicast with use_vmac requires vmac_xmit_base - setting", in.Name)
	}
	b.cfg.Instances = append(b.cfg.Instances, in)
}

// script returns the vrrp_script named name, or nil.
func (b *builder) script(name string) *Script {
	for _, s := range b.cfg.Scripts {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// entryWeight is the value after "weight" in a track_* entry.
func entryWeight(l *Node) (string, bool) {
	for i := 1; i+1 < len(l.Words); i++ {
		if l.Words[i] == "weight" {
			return l.Words[i+1], true
		}
	}
	return "", false
}

// trackWeight is the weight a track_script entry gives its script.
func trackWeight(l *Node, sc *Script) int {
	for i := 1; i+1 < len(l.Words); i++ {
		if l.Words[i] == "weight" {
			return atoi(l.Words[i+1])
		}
	}
	if sc != nil {
		return sc.Weight
	}
	return 0
}

func (b *builder) virtualServer(s *Setting) {
	vs := &VirtualServer{Pos: s.Pos, Settings: s.Sub}
	switch s.Arg(0) {
	case "fwmark":
		vs.Fwmark = s.Arg(1)
	case "group":
		vs.Group = s.Arg(1)
	default:
		vs.Addr, vs.Port = s.Arg(0), s.Arg(1)
	}
	for _, v := range s.Sub {
		switch v.Keyword {
		case "lb_algo", "lvs_sched":
			vs.LbAlgo = v.Arg(0)
		case "lb_kind", "lvs_method":
			vs.LbKind = v.Arg(0)
		case "protocol":
			vs.Protocol = v.Arg(0)
		case "delay_loop":
			vs.DelayLoop = v.Arg(0)
		case "real_server":
			rs := &RealServer{Pos: v.Pos, Addr: v.Arg(0), Port: v.Arg(1), Weight: 1, Settings: v.Sub}
			for _, c := range v.Sub {
				if c.Keyword == "weight" {
					rs.Weight = atoi(c.Arg(0))
				}
				for _, n := range checkerNames {
					if c.Keyword == n {
						rs.Checkers = append(rs.Checkers, c)
					}
				}
			}
			vs.RealServers = append(vs.RealServers, rs)
		}
	}
	b.cfg.VirtualServers = append(b.cfg.VirtualServers, vs)
}
