package keepalivedconf

import "strings"

// validate makes the checks keepalived makes once the whole configuration
// is read: the checker's (check_validate_config: virtual servers, then
// check scripts' security) and the VRRP process's (vrrp_validate_config:
// interfaces, scripts, instances, sync groups), each in its own read.
func (b *builder) validate() {
	b.validateChecker()
	b.validateVRRP()
}

func (b *builder) validateChecker() {
	c := b.cfg
	for _, vs := range c.VirtualServers {
		// keepalived names a service "[ADDR]:proto:PORT"
		proto := strings.ToLower(vs.Protocol)
		if proto == "" {
			proto = "none"
		}
		port := vs.Port
		if port == "" {
			port = "0"
		}
		named := func(proto string) string { return "[" + vs.Addr + "]:" + proto + ":" + port }
		name := named(proto)
		if vs.Fwmark != "" {
			name = "FWM " + vs.Fwmark
		} else if vs.Group != "" {
			name = "GROUP " + vs.Group
		}
		if len(vs.RealServers) == 0 {
			b.diags.addv(PassChecker, KindGeneral, Pos{}, "Virtual server %s has no real servers - ignoring", name)
			continue
		}
		if port == "0" && vs.Fwmark == "" && vs.Group == "" && lastSetting(vs.Settings, "persistence_timeout") == nil {
			b.diags.addv(PassChecker, KindGeneral, Pos{}, "Virtual server %s: zero port only valid for persistent services - setting", name)
		}
		if vs.Protocol != "" && vs.Fwmark != "" {
			b.diags.addv(PassChecker, KindGeneral, Pos{}, "Warning: Virtual server %s: protocol specified for fwmark - protocol will be ignored", name)
		}
		if vs.Protocol == "" && vs.Fwmark == "" {
			b.diags.addv(PassChecker, KindGeneral, Pos{}, "Virtual server %s: no protocol set - defaulting to UDP", name)
			if vs.Group == "" {
				name = named("udp")
			}
		}
		if vs.LbAlgo == "" {
			b.diags.addv(PassChecker, KindGeneral, Pos{}, "Virtual server %s: no scheduler set, setting default 'wlc'", name)
		}
		if vs.LbKind == "" {
			b.diags.addv(PassChecker, KindGeneral, Pos{}, "Virtual server %s: no forwarding method set, setting default NAT", name)
		}
	}
	b.scripts(PassChecker)
}

func (b *builder) validateVRRP() {
	c := b.cfg
	names := map[string]bool{}
	for _, in := range c.Instances {
		if names[in.Name] {
			b.diags.add(KindGeneral, in.Pos, "vrrp_instance %s defined more than once", in.Name)
		}
		names[in.Name] = true
		if in.Interface != "" && b.host != nil && !b.host.InterfaceExists(in.Interface) {
			s := lastSetting(in.Settings, "interface")
			b.diags.add(KindGeneral, s.Pos, "WARNING - interface %s for vrrp_instance %s doesn't exist", in.Interface, in.Name)
			b.badIf = true
		}
	}
	if b.badIf {
		// keepalived stops here: nothing else is checked.
		b.diags.addv(PassVRRP, KindBadIf, Pos{}, "Non-existent interface specified in configuration")
		return
	}
	if len(c.Instances) == 0 {
		// Without instances the VRRP process checks nothing more.
		return
	}
	b.scripts(PassVRRP)
	for _, in := range c.Instances {
		if in.VRID == 0 {
			if s := lastSetting(in.Settings, "virtual_router_id"); s == nil {
				// keepalived gives up the instances at the first one.
				b.diags.addv(PassVRRP, KindGeneral, Pos{}, "(%s) the virtual router id must be set", in.Name)
				return
			}
		}
		version := in.Version
		if version == 0 {
			version = c.Global.VRRPVersion
		}
		if us, ok := parseTimer(in.AdvertInt); ok && version != 3 && us%1000000 != 0 {
			b.diags.addv(PassVRRP, KindGeneral, Pos{}, "(%s) VRRPv2 advertisement interval %fs must be an integer. rounding", in.Name, float64(us)/1e6)
		}
		if len(in.VIPs) == 0 {
			for range 2 { // keepalived says it twice
				b.diags.addv(PassVRRP, KindGeneral, Pos{}, "(%s) No VIP specified; at least one is sensible", in.Name)
			}
		}
		if len(in.UnicastPeers) == 0 && lastSetting(in.Settings, "unicast_peer") == nil && in.wroteUnicastSrc {
			b.diags.addv(PassVRRP, KindGeneral, Pos{}, "(%s) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.", in.Name)
		}
		if in.State == "MASTER" && in.AuthType == "AH" && !c.Global.VRRPStrict {
			b.diags.addv(PassVRRP, KindGeneral, Pos{}, "(%s) Initial state master is incompatible with AH authentication - clearing", in.Name)
		}
		if c.Global.VRRPStrict && in.State == "MASTER" && in.Priority != 255 && lastSetting(in.Settings, "priority") != nil {
			b.diags.addv(PassVRRP, KindGeneral, Pos{}, "(%s) State MASTER must match being address owner", in.Name)
			in.State = "BACKUP"
		}
		if c.Global.VRRPStrict && in.AuthType != "" {
			b.diags.addv(PassVRRP, KindGeneral, Pos{}, "(%s) Strict mode does not support authentication. Ignoring.", in.Name)
			in.AuthType, in.AuthPass = "", ""
		}
		// An initial MASTER without a priority is the address owner.
		owner := in.Priority == 255 || (in.State == "MASTER" && lastSetting(in.Settings, "priority") == nil)
		switch {
		case in.NoPreempt && owner:
			b.diags.addv(PassVRRP, KindGeneral, Pos{}, "(%s) nopreempt is incompatible with priority 255. resetting nopreempt", in.Name)
		case in.NoPreempt && in.State == "MASTER":
			b.diags.addv(PassVRRP, KindGeneral, Pos{}, "(%s) Warning - nopreempt will not work with initial state MASTER - clearing", in.Name)
		}
		if in.State == "MASTER" && !owner && lastSetting(in.Settings, "preempt_delay") != nil {
			b.diags.addv(PassVRRP, KindGeneral, Pos{}, "(%s) Warning - preempt delay will not work with initial state MASTER - clearing", in.Name)
		}
		for _, ti := range in.TrackIfs {
			if ti == in.Interface {
				b.diags.addv(PassVRRP, KindGeneral, Pos{}, "(%s) Ignoring track_interface %s since own interface", in.Name, ti)
			}
		}
	}
	// Two instances may not share a VRID on one interface and family.
	for i, a := range c.Instances {
		for _, o := range c.Instances[i+1:] {
			if a.VRID == 0 || a.VRID != o.VRID || a.Interface == "" || a.Interface != o.Interface || vipFamily(a) != vipFamily(o) {
				continue
			}
			b.diags.addv(PassVRRP, KindGeneral, Pos{}, "%s and %s both use VRID %d with %s on interface %s", a.Name, o.Name, a.VRID, vipFamily(a), a.Interface)
		}
	}
	inGroup := map[string]bool{}
	for _, g := range c.SyncGroups {
		n := 0
		for _, m := range g.Group {
			if names[m] {
				n++
			}
		}
		switch {
		case n == 0:
			b.diags.addv(PassVRRP, KindGeneral, Pos{}, "Sync group %s has no virtual router(s). removing", g.Name)
			continue
		case n == 1:
			b.diags.addv(PassVRRP, KindInfo, Pos{}, "Sync group %s has only 1 virtual router(s) - this probably isn't what you want", g.Name)
		}
		for _, m := range g.Group {
			inGroup[m] = true
		}
	}
	// Weighted track scripts do not move the priority of an instance in a
	// sync group nor of the address owner.
	for _, in := range c.Instances {
		why := ""
		switch {
		case inGroup[in.Name]:
			why = "SYNC group"
		case in.Priority == 255:
			why = "address_owner"
		default:
			continue
		}
		for i, ts := range in.TrackScripts {
			if i < len(in.trackWeights) && in.trackWeights[i] != 0 {
				b.diags.addv(PassVRRP, KindGeneral, Pos{}, "(%s) ignoring tracked script %s with weights due to %s", in.Name, ts, why)
			}
		}
	}
}

// vipFamily is the address family an instance advertises.
func vipFamily(in *Instance) string {
	if len(in.VIPs) > 0 && in.VIPs[0].Prefix.Addr().Is6() && !in.VIPs[0].Prefix.Addr().Is4In6() {
		return "IPv6"
	}
	return "IPv4"
}

func (b *builder) hasScript(name string) bool {
	for _, s := range b.cfg.Scripts {
		if s.Name == name {
			return true
		}
	}
	return false
}

// scripts applies keepalived's script checks in the read p (the VRRP
// process checks vrrp_script and notify scripts, the checker misc_path,
// notify_up/down and quorum_up/down): scripts that are not found are
// disabled; found scripts require enable_script_security, and with it
// insecure scripts are disabled.
func (b *builder) scripts(p Pass) {
	if b.host == nil {
		return
	}
	g := &b.cfg.Global
	type use struct {
		pos   Pos
		cmd   string
		track string // vrrp_script name, or "" for notify/misc scripts
	}
	var uses []use
	if p == PassVRRP {
		for _, s := range b.cfg.Scripts {
			if s.Script == "" {
				continue
			}
			pos := s.Pos
			if v := lastSetting(s.Settings, "script"); v != nil {
				pos = v.Pos
			}
			uses = append(uses, use{pos, s.Script, s.Name})
		}
	}
	var walk func([]*Setting, string)
	walk = func(ss []*Setting, top string) {
		for _, s := range ss {
			t := top
			if t == "" {
				t = s.Keyword
			}
			var mine bool
			switch s.Keyword {
			case "notify", "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify_master_rx_lower_pri":
				mine = p == PassVRRP && t != "virtual_server"
			case "notify_up", "notify_down", "quorum_up", "quorum_down", "misc_path":
				mine = p == PassChecker
			}
			if mine && len(s.Args) > 0 {
				uses = append(uses, use{s.Pos, strings.Join(s.Args, " "), ""})
			}
			if s.Keyword != "global_defs" && s.Keyword != "vrrp_script" {
				walk(s.Sub, t)
			}
		}
	}
	walk(b.cfg.Settings, "")
	found, insecure := 0, false
	defaultUserOK := g.ScriptUser != "" || b.host.UserExists("keepalived_script")
	for _, u := range uses {
		if strings.HasPrefix(strings.TrimSpace(u.cmd), "<") {
			// A bare shell redirection ("</dev/tcp/HOST/PORT"): keepalived
			// neither reports it missing nor counts it as a script.
			continue
		}
		ok, secure := b.host.Script(u.cmd)
		if !ok {
			if u.track != "" {
				b.diags.addv(p, KindGeneral, Pos{}, "Disabling track script %s since not found/accessible", u.track)
			}
			continue
		}
		if g.EnableScriptSecurity && !defaultUserOK {
			b.diags.addp(p, KindGeneral, u.pos, "Unable to set default user keepalived_script for script")
			if u.track != "" {
				b.diags.addp(p, KindGeneral, u.pos, "Unable to set default user for vrrp script %s - removing", u.track)
			}
			continue
		}
		found++
		if !secure {
			insecure = true
			if g.EnableScriptSecurity && u.track != "" {
				b.diags.addv(p, KindGeneral, Pos{}, "Disabling track script %s due to insecure", u.track)
			}
		}
	}
	if found > 0 && !g.EnableScriptSecurity {
		msg := "SECURITY VIOLATION - scripts are being executed but script_security not enabled."
		if p == PassChecker {
			msg = "SECURITY VIOLATION - check scripts are being executed but script_security not enabled."
		}
		if insecure {
			msg += " There are insecure scripts."
		}
		b.diags.addv(p, KindSecurity, Pos{}, "%s", msg)
	}
}
