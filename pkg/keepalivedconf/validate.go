package keepalivedconf

import "strings"

// validate makes the checks keepalived makes once the whole configuration
// is read (vrrp_validate_config, check_validate_config, script security).
func (b *builder) validate() {
	c := b.cfg
	badIf := b.badIf
	names := map[string]bool{}
	for _, in := range c.Instances {
		if names[in.Name] {
			b.diags.add(KindGeneral, in.Pos, "vrrp_instance %s defined more than once", in.Name)
		}
		names[in.Name] = true
		if in.VRID == 0 {
			if s := lastSetting(in.Settings, "virtual_router_id"); s == nil {
				b.diags.add(KindGeneral, Pos{}, "(%s) the virtual router id must be set", in.Name)
			}
		}
		if in.Interface != "" && b.host != nil && !b.host.InterfaceExists(in.Interface) {
			s := lastSetting(in.Settings, "interface")
			b.diags.add(KindGeneral, s.Pos, "WARNING - interface %s for vrrp_instance %s doesn't exist", in.Interface, in.Name)
			badIf = true
		}
		if len(in.VIPs) == 0 {
			b.diags.add(KindGeneral, Pos{}, "(%s) No VIP specified; at least one is sensible", in.Name)
		}
		if in.State == "MASTER" && in.AuthType == "AH" && !c.Global.VRRPStrict {
			b.diags.add(KindGeneral, Pos{}, "(%s) Initial state master is incompatible with AH authentication - clearing", in.Name)
		}
		if c.Global.VRRPStrict && in.AuthType != "" {
			b.diags.add(KindGeneral, Pos{}, "(%s) Strict mode does not support authentication. Ignoring.", in.Name)
			in.AuthType, in.AuthPass = "", ""
		}
		if c.Global.VRRPStrict && in.State == "MASTER" && in.Priority != 255 && lastSetting(in.Settings, "priority") != nil {
			b.diags.add(KindGeneral, Pos{}, "(%s) State MASTER must match being address owner", in.Name)
			in.State = "BACKUP"
		}
		for _, ts := range in.TrackScripts {
			if !b.hasScript(ts) {
				b.diags.add(KindGeneral, Pos{}, "(%s) track script %s not found, ignoring...", in.Name, ts)
			}
		}
	}
	if badIf {
		b.diags.add(KindBadIf, Pos{}, "Non-existent interface specified in configuration")
	}
	for _, vs := range c.VirtualServers {
		// keepalived names a service "[ADDR]:proto:PORT"
		proto := strings.ToLower(vs.Protocol)
		if proto == "" {
			proto = "none"
		}
		named := func(proto string) string { return "[" + vs.Addr + "]:" + proto + ":" + vs.Port }
		name := named(proto)
		if vs.Fwmark != "" {
			name = "FWM " + vs.Fwmark
		} else if vs.Group != "" {
			name = "GROUP " + vs.Group
		}
		if vs.Protocol != "" && vs.Fwmark != "" {
			b.diags.add(KindGeneral, Pos{}, "Warning: Virtual server %s: protocol specified for fwmark - protocol will be ignored", name)
		}
		if vs.Protocol == "" && vs.Fwmark == "" {
			b.diags.add(KindGeneral, Pos{}, "Virtual server %s: no protocol set - defaulting to UDP", name)
			if vs.Group == "" {
				name = named("udp")
			}
		}
		if vs.LbAlgo == "" {
			b.diags.add(KindGeneral, Pos{}, "Virtual server %s: no scheduler set, setting default 'wlc'", name)
		}
		if vs.LbKind == "" {
			b.diags.add(KindGeneral, Pos{}, "Virtual server %s: no forwarding method set, setting default NAT", name)
		}
	}
	if !badIf {
		// keepalived stops before checking scripts when an interface is missing.
		b.scripts()
	}
}

func (b *builder) hasScript(name string) bool {
	for _, s := range b.cfg.Scripts {
		if s.Name == name {
			return true
		}
	}
	return false
}

// scripts applies keepalived's script checks: scripts that are not found
// are disabled; found scripts require enable_script_security, and with it
// insecure scripts are disabled.
func (b *builder) scripts() {
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
	for _, s := range b.cfg.Scripts {
		if s.Script == "" {
			continue
		}
		p := s.Pos
		if v := lastSetting(s.Settings, "script"); v != nil {
			p = v.Pos
		}
		uses = append(uses, use{p, s.Script, s.Name})
	}
	var walk func([]*Setting)
	walk = func(ss []*Setting) {
		for _, s := range ss {
			switch s.Keyword {
			case "notify", "notify_master", "notify_backup", "notify_fault", "notify_stop",
				"notify_master_rx_lower_pri", "notify_up", "notify_down", "quorum_up", "quorum_down", "misc_path":
				if len(s.Args) > 0 {
					uses = append(uses, use{s.Pos, strings.Join(s.Args, " "), ""})
				}
			}
			if s.Keyword != "global_defs" && s.Keyword != "vrrp_script" {
				walk(s.Sub)
			}
		}
	}
	walk(b.cfg.Settings)
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
				b.diags.add(KindGeneral, Pos{}, "Disabling track script %s since not found/accessible", u.track)
			}
			continue
		}
		if g.EnableScriptSecurity && !defaultUserOK {
			b.diags.add(KindGeneral, u.pos, "Unable to set default user keepalived_script for script")
			if u.track != "" {
				b.diags.add(KindGeneral, u.pos, "Unable to set default user for vrrp script %s - removing", u.track)
			}
			continue
		}
		found++
		if !secure {
			insecure = true
			if g.EnableScriptSecurity && u.track != "" {
				b.diags.add(KindGeneral, Pos{}, "Disabling track script %s due to insecure", u.track)
			}
		}
	}
	if found > 0 && !g.EnableScriptSecurity {
		msg := "SECURITY VIOLATION - scripts are being executed but script_security not enabled."
		if insecure {
			msg += " There are insecure scripts."
		}
		b.diags.add(KindSecurity, Pos{}, "%s", msg)
	}
}
