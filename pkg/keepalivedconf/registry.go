package keepalivedconf

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Status says how gokeepalived treats a keyword.
type Status int

const (
	// Parsed: arguments are checked as keepalived checks them and stored in
	// the typed model.
	Parsed Status = iota
	// Accepted: keepalived knows the keyword; gokeepalived stores its words
	// without checking them and reports it as not implemented.
	Accepted
	// Legacy: a deprecated 1.x keyword, accepted with a warning that names
	// its replacement, and mapped onto it.
	Legacy
	// Refused: gokeepalived refuses the keyword (keepalived features that
	// will not be offered).
	Refused
)

func (s Status) String() string {
	return [...]string{"parsed", "accepted (not implemented)", "legacy (mapped)", "refused"}[s]
}

// ArgKind is how a keyword's arguments are checked.
type ArgKind int

const (
	ArgNone   ArgKind = iota // no argument
	ArgAny                   // any words, unchecked
	ArgString                // one word required
	ArgUint                  // unsigned in [Min, Max]
	ArgInt                   // signed in [Min, Max]
	ArgTimer                 // seconds with up to 6 decimals, in [Min, Max] micro-seconds
	ArgBool                  // optional on|off|true|false|yes|no
	ArgEnum                  // one of Enum
	ArgBlock                 // a block of free-form lines
)

// Keyword is one entry of the registry.
type Keyword struct {
	Name        string
	Status      Status
	Arg         ArgKind
	Min, Max    int64
	Enum        []string
	Replacement string     // for Legacy
	Sub         []*Keyword // sub-keywords when the keyword opens a block
	Note        string
	// Missing is what keepalived does when the keyword is written without
	// its parameter.
	Missing MissKind
	// Check, when set, reports what keepalived says of the arguments
	// beyond Arg's checks: "" when they are good, else its lines
	// separated by newlines.
	Check func(args []string) string
	// Ours marks a keyword of gokeepalived's own, which keepalived does
	// not know (kept although the probed lists lack it).
	Ours    bool
	section string
}

// MissKind is keepalived's reaction to a keyword written without its
// parameter.
type MissKind int

const (
	// MissDefault: MissFatal for keywords that need a value (string,
	// number, timer, enumeration), MissOK for the others.
	MissDefault MissKind = iota
	MissOK               // accepted silently
	MissError            // reported; keepalived carries on (exit 5)
	MissFatal            // reported; keepalived stops at once (exit 2)
)

// missing resolves MissDefault.
func (k *Keyword) missing() MissKind {
	if k.Missing != MissDefault {
		return k.Missing
	}
	switch k.Arg {
	case ArgString, ArgUint, ArgInt, ArgTimer, ArgEnum:
		return MissFatal
	}
	return MissOK
}

// Reactions of keepalived 2.2.7 to a missing parameter that differ from
// the default, by keyword name (observed with keepalived -t).
var (
	missError = []string{"router_id", "notification_email_from", "script_user", "vrrp_priority",
		"checker_priority", "bfd_priority", "lvs_sync_daemon", "vrrp_iptables", "lvs_timeouts",
		"old_unicast_checksum", "virtualhost", "http_protocol", "lb_flags", "lvs_flags", "tunnel_type",
		"sorry_server_lvs_method", "sorry_server_inhibit"}
	missOK    = []string{"smtp_helo_name", "max_auto_priority", "script", "persistence_timeout"}
	missFatal = []string{"notify", "notify_master", "notify_backup", "notify_fault", "notify_stop",
		"notify_master_rx_lower_pri", "debug", "checker_process_name", "vrrp_process_name", "quorum_up",
		"quorum_down", "sorry_server", "notify_up", "notify_down", "user", "smtp_server", "misc_path"}
)

func setMissing(ks []*Keyword) {
	for _, k := range ks {
		for _, l := range []struct {
			names []string
			kind  MissKind
		}{{missError, MissError}, {missOK, MissOK}, {missFatal, MissFatal}} {
			for _, n := range l.names {
				if k.Name == n && !k.HasBlock() {
					k.Missing = l.kind
				}
			}
		}
		setMissing(k.Sub)
	}
}

// HasBlock reports whether the keyword opens a block of sub-keywords.
func (k *Keyword) HasBlock() bool { return k.Sub != nil || k.Arg == ArgBlock }

func kw(name string, arg ArgKind) *Keyword { return &Keyword{Name: name, Arg: arg} }

func checked(k *Keyword, f func([]string) string) *Keyword { k.Check = f; return k }

// replyLength is UDP_CHECK's second message on a bad min/max_reply_length.
func replyLength(which string) func([]string) string {
	return func(a []string) string {
		if len(a) == 0 {
			return ""
		}
		if n, err := strconv.ParseUint(a[0], 10, 64); err == nil && n <= 65535 {
			return ""
		}
		return fmt.Sprintf("UDP_CHECK %s length %s not valid - must be between 0 & 65535", which, a[0])
	}
}

// fileCheckWeight is check_file.c's track_file_weight_handler: an
// integer in [-2147483647, 2147483647], then optionally reverse or
// noreverse.
func fileCheckWeight(a []string) string {
	const bad = "weight for track file must be in [-2147483647..2147483647] inclusive. Ignoring..."
	if len(a) == 0 {
		return "track file weight missing"
	}
	n, err := strconv.ParseInt(a[0], 10, 64)
	switch {
	case err != nil && err.(*strconv.NumError).Err == strconv.ErrRange, err == nil && (n < -2147483648 || n > 2147483647):
		return fmt.Sprintf("number '%s' outside integer range\n%s", a[0], bad)
	case err != nil:
		return fmt.Sprintf("invalid number '%s'\n%s", a[0], bad)
	case n == -2147483648:
		return fmt.Sprintf("number '%s' outside range [-2147483647, 2147483647]\n%s", a[0], bad)
	}
	if len(a) > 1 && a[1] != "reverse" && a[1] != "noreverse" {
		return fmt.Sprintf("unknown track file weight option %s - ignoring", a[1])
	}
	return ""
}

// validHex reports whether s is one of keepalived's free-format hex
// strings (blank-separated hex digits; x or X too when mask).
func validHex(s string, mask bool) bool {
	n := 0
	for _, c := range s {
		switch {
		case c == ' ' || c == '\t':
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			n++
		case mask && (c == 'x' || c == 'X'):
			n++
		default:
			return false
		}
	}
	return n > 0
}
func kwu(name string, min, max int64) *Keyword {
	return &Keyword{Name: name, Arg: ArgUint, Min: min, Max: max}
}
func kwi(name string, min, max int64) *Keyword {
	return &Keyword{Name: name, Arg: ArgInt, Min: min, Max: max}
}
func kwt(name string, min, max int64) *Keyword {
	return &Keyword{Name: name, Arg: ArgTimer, Min: min, Max: max}
}
func kwe(name string, vals ...string) *Keyword { return &Keyword{Name: name, Arg: ArgEnum, Enum: vals} }
func blk(name string, subs ...*Keyword) *Keyword {
	return &Keyword{Name: name, Arg: ArgAny, Sub: append([]*Keyword{}, subs...)}
}
func legacy(name, repl string, arg ArgKind) *Keyword {
	return &Keyword{Name: name, Arg: arg, Status: Legacy, Replacement: repl}
}

// legacyRange is a deprecated numeric keyword checked like its replacement.
func legacyRange(name, repl string, min, max int64) *Keyword {
	k := legacy(name, repl, ArgUint)
	k.Min, k.Max = min, max
	return k
}
func acc(names ...string) []*Keyword {
	var out []*Keyword
	for _, n := range names {
		out = append(out, &Keyword{Name: n, Arg: ArgAny, Status: Accepted})
	}
	return out
}
func cat(groups ...[]*Keyword) []*Keyword {
	var out []*Keyword
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}
func ks(k ...*Keyword) []*Keyword { return k }

const maxTimer = 4294967295 // micro-seconds, as keepalived's TIMER_MAXIMUM for 32 bit values

func checkerCommon() []*Keyword {
	return ks(
		kw("connect_ip", ArgString), kwu("connect_port", 1, 65535), kw("bindto", ArgString),
		kwu("bind_port", 0, 65535), kw("bind_if", ArgString), kwt("connect_timeout", 1, maxTimer),
		kwu("fwmark", 0, 0xffffffff), kwu("retry", 0, 0xffffffff), kwt("delay_before_retry", 0, maxTimer),
		kwt("warmup", 0, maxTimer), kwt("delay_loop", 1, maxTimer), kw("alpha", ArgBool),
		legacyRange("nb_get_retry", "retry", 0, 0xffffffff), kw("log_all_failures", ArgBool),
	)
}

func httpChecker(name string) *Keyword {
	url := blk("url", kw("path", ArgString), kw("digest", ArgString), kw("status_code", ArgAny),
		kw("virtualhost", ArgString), kw("regex", ArgAny), kw("regex_no_match", ArgNone),
		kwu("regex_min_offset", 0, 0xffffffff), kwu("regex_max_offset", 0, 0xffffffff),
		kw("regex_options", ArgAny), kw("regex_stack", ArgAny))
	url.Arg = ArgNone
	return blk(name, cat(checkerCommon(), ks(url, kw("virtualhost", ArgString),
		kwe("http_protocol", "1.0", "1.1", "1.0C", "1.0c"), kw("enable_sni", ArgBool),
		kw("fast_recovery", ArgBool)), acc("tls_compliant"))...)
}

var registry = buildRegistry()

func buildRegistry() []*Keyword {
	global := blk("global_defs", cat(ks(
		kw("router_id", ArgString),
		&Keyword{Name: "notification_email", Arg: ArgBlock},
		kw("notification_email_from", ArgString),
		kw("smtp_server", ArgAny),
		kw("smtp_helo_name", ArgString),
		kwu("smtp_connect_timeout", 1, 0xffffffff),
		kw("enable_script_security", ArgNone),
		kw("script_user", ArgAny),
		kw("vrrp_skip_check_adv_addr", ArgBool),
		kw("vrrp_strict", ArgNone),
		kw("vrrp_iptables", ArgAny),
		kwu("vrrp_version", 2, 3),
		kwt("vrrp_garp_master_delay", 0, maxTimer),
		kwu("vrrp_garp_master_repeat", 0, 0xffffffff),
		kwt("vrrp_garp_master_refresh", 0, maxTimer),
		kwu("vrrp_garp_master_refresh_repeat", 0, 0xffffffff),
		kwt("vrrp_garp_interval", 1, maxTimer),
		kwt("vrrp_gna_interval", 1, maxTimer),
		kwt("vrrp_garp_lower_prio_delay", 0, maxTimer),
		kwu("vrrp_garp_lower_prio_repeat", 0, 0xffffffff),
		kw("vrrp_lower_prio_no_advert", ArgBool),
		kw("vrrp_higher_prio_send_advert", ArgBool),
		kw("vrrp_mcast_group4", ArgString),
		kw("vrrp_mcast_group6", ArgString),
		kwi("max_auto_priority", -1, 99),
		kw("smtp_alert", ArgBool), kw("smtp_alert_vrrp", ArgBool), kw("smtp_alert_checker", ArgBool),
		kw("checker_log_all_failures", ArgBool), // virtual servers (pkg/proxy/lvs)
		&Keyword{Name: "lvs_userspace", Arg: ArgBool, Ours: true, Note: "gokeepalived's own: on forces the userspace forwarder for virtual servers, off asks for kernel IPVS (keepalived 2.2.7 refuses the keyword)"},
		// notify FIFOs and fault mails (cmd/gokeepalived/notifier.go)
		kw("notify_fifo", ArgAny), kw("notify_fifo_script", ArgAny),
		kw("vrrp_notify_fifo", ArgAny), kw("vrrp_notify_fifo_script", ArgAny),
		kw("no_email_faults", ArgNone),
		kw("lvs_flush", ArgNone), kw("lvs_flush_on_stop", ArgAny), kw("lvs_timeouts", ArgAny), kw("lvs_sync_daemon", ArgAny),
		kw("dynamic_interfaces", ArgAny), kw("script_user", ArgAny),
		kw("checker_process_name", ArgAny), kw("vrrp_process_name", ArgAny),
		kwi("vrrp_priority", -20, 19), kwi("checker_priority", -20, 19), kwi("bfd_priority", -20, 19),
		kw("vrrp_no_swap", ArgNone), kw("checker_no_swap", ArgNone),
		kwt("vrrp_startup_delay", 0, maxTimer),
		legacy("lvs_sync_daemon_interface", "lvs_sync_daemon", ArgAny),
		kw("snmp_socket", ArgAny),
		kw("include_check", ArgAny), // acted on while reading (see lexer)
		kwu("random_seed", 0, 0xffffffff),
	), refusedSNMP())...)
	global.Arg = ArgNone

	vipBlock := func(n string) *Keyword { return &Keyword{Name: n, Arg: ArgBlock} }
	trackBlock := func(n string) *Keyword { return &Keyword{Name: n, Arg: ArgBlock} }
	auth := blk("authentication", kwe("auth_type", "PASS", "AH"), kw("auth_pass", ArgString))
	auth.Arg = ArgNone

	instance := blk("vrrp_instance", cat(ks(
		kwe("state", "MASTER", "BACKUP"),
		kw("interface", ArgString),
		kwu("virtual_router_id", 1, 255),
		kwu("priority", 1, 255),
		kwt("advert_int", 1, 255*1000000),
		kw("nopreempt", ArgNone),
		kw("preempt", ArgNone),
		kwt("preempt_delay", 0, 1000*1000000),
		auth,
		vipBlock("virtual_ipaddress"), vipBlock("virtual_ipaddress_excluded"),
		vipBlock("virtual_routes"), vipBlock("virtual_rules"),
		trackBlock("track_interface"), trackBlock("track_script"), trackBlock("track_file"),
		trackBlock("track_process"), trackBlock("track_bfd"),
		kw("unicast_src_ip", ArgString), vipBlock("unicast_peer"),
		kwu("unicast_ttl", 0, 255),
		kw("mcast_src_ip", ArgString),
		kw("use_vmac", ArgAny), kw("vmac_xmit_base", ArgNone),
		kw("notify_master", ArgAny), kw("notify_backup", ArgAny), kw("notify_fault", ArgAny),
		kw("notify_stop", ArgAny), kw("notify", ArgAny), kw("notify_master_rx_lower_pri", ArgAny),
		kw("smtp_alert", ArgBool),
		kwt("garp_master_delay", 0, 255*1000000), kwu("garp_master_repeat", 1, 255),
		kwt("garp_master_refresh", 0, maxTimer), kwu("garp_master_refresh_repeat", 1, 255),
		kwt("garp_lower_prio_delay", 0, 255*1000000), kwu("garp_lower_prio_repeat", 0, 255),
		kwu("version", 2, 3),
		kw("accept", ArgNone), kw("no_accept", ArgNone),
		kw("dont_track_primary", ArgNone),
		kw("native_ipv6", ArgNone), kw("strict_mode", ArgBool),
		kw("skip_check_adv_addr", ArgBool), kw("debug", ArgAny),
		kw("check_unicast_src", ArgNone), kw("unicast_fault_no_peer", ArgNone),
		kw("lower_prio_no_advert", ArgBool), kw("higher_prio_send_advert", ArgBool),
		kw("promote_secondaries", ArgNone), kw("linkbeat_use_polling", ArgNone),
		kw("mcast_dst_ip", ArgString), kwu("down_timer_adverts", 1, 100),
		kw("old_unicast_checksum", ArgAny),
		legacy("lvs_sync_daemon_interface", "lvs_sync_daemon (global_defs)", ArgAny),
	), acc("track_src_ip", "kernel_rx_buf_size", "ipsets", "iptables", "nftables", "vrrp_garp_extra_if", "notify_deleted", "use_vmac_addr", "use_ipvlan", "track_group"))...)

	script := blk("vrrp_script",
		kw("script", ArgAny), kwt("interval", 1, maxTimer), kwt("timeout", 1, maxTimer),
		kwi("weight", -253, 253), kwu("rise", 1, 2147483647), kwu("fall", 1, 2147483647),
		kw("user", ArgAny), kw("init_fail", ArgNone))

	sync := blk("vrrp_sync_group", ks(
		&Keyword{Name: "group", Arg: ArgBlock},
		kw("notify_master", ArgAny), kw("notify_backup", ArgAny), kw("notify_fault", ArgAny),
		kw("notify_stop", ArgAny), kw("notify", ArgAny), kw("smtp_alert", ArgBool),
		kw("global_tracking", ArgNone), kw("sync_group_tracking_weight", ArgNone),
		trackBlock("track_interface"), trackBlock("track_script"), trackBlock("track_file"),
		trackBlock("track_process"), trackBlock("track_bfd"))...)

	realServer := blk("real_server", cat(ks(
		kwu("weight", 0, 2147483647), kw("inhibit_on_failure", ArgBool),
		kw("notify_up", ArgAny), kw("notify_down", ArgAny), kwt("delay_loop", 1, maxTimer),
		kw("smtp_alert", ArgBool), kw("alpha", ArgBool), kwu("retry", 0, 0xffffffff),
		kwt("delay_before_retry", 0, maxTimer), kwt("warmup", 0, maxTimer),
		kwt("connect_timeout", 1, maxTimer), kwe("lvs_method", "NAT", "DR", "TUN"),
		kwu("uthreshold", 0, 0xffffffff), kwu("lthreshold", 0, 0xffffffff),
		blk("TCP_CHECK", checkerCommon()...),
		httpChecker("HTTP_GET"), httpChecker("SSL_GET"),
		blk("MISC_CHECK", cat(checkerCommon(), ks(kw("misc_path", ArgAny), kwt("misc_timeout", 1, maxTimer),
			kw("misc_dynamic", ArgBool), kw("user", ArgAny)))...),
		blk("SMTP_CHECK", cat(checkerCommon(), ks(kw("helo_name", ArgString),
			blk("host", checkerCommon()...)))...),
		blk("DNS_CHECK", cat(checkerCommon(), ks(kw("type", ArgString), kw("name", ArgString)))...),
		blk("UDP_CHECK", cat(checkerCommon(), ks(
			checked(kw("payload", ArgAny), func(a []string) string {
				switch {
				case len(a) == 0:
					return "UDP_CHECK payload requires a payload"
				case !validHex(strings.Join(a, " "), false):
					return "Invalid hex string for UDP_CHECK payload"
				}
				return ""
			}),
			checked(kw("require_reply", ArgAny), func(a []string) string {
				if len(a) > 0 && !validHex(strings.Join(a, " "), true) {
					return "Invalid hex string for UDP_CHECK reply"
				}
				return ""
			}),
			checked(kwu("min_reply_length", 0, 65535), replyLength("min")),
			checked(kwu("max_reply_length", 0, 65535), replyLength("max"))))...),
		blk("PING_CHECK", checkerCommon()...),
		blk("FILE_CHECK", kw("track_file", ArgString), checked(kw("weight", ArgAny), fileCheckWeight), kw("reverse", ArgNone)),
		blk("BFD_CHECK", kwi("weight", -253, 253), kw("reverse", ArgNone)),
	), acc("rs_init_notifies"))...)

	vsKeys := func() []*Keyword {
		return cat(ks(
			kwt("delay_loop", 1, maxTimer),
			kw("lb_algo", ArgString), kw("lvs_sched", ArgString),
			kwe("lb_kind", "NAT", "DR", "TUN"), kwe("lvs_method", "NAT", "DR", "TUN"),
			kwu("persistence_timeout", 1, 2678400), kw("persistence_granularity", ArgString),
			kw("persistence_engine", ArgString),
			kwe("protocol", "TCP", "UDP", "SCTP"),
			kw("virtualhost", ArgString), kw("sorry_server", ArgAny), kw("sorry_server_inhibit", ArgBool),
			kwe("sorry_server_lvs_method", "NAT", "DR", "TUN"),
			kw("ha_suspend", ArgNone), kw("alpha", ArgNone), kw("omega", ArgNone),
			kwu("quorum", 1, 0xffffffff), kwu("hysteresis", 0, 0xffffffff),
			kw("quorum_up", ArgAny), kw("quorum_down", ArgAny), kw("smtp_alert", ArgBool),
			kwu("retry", 0, 0xffffffff), kwt("delay_before_retry", 0, maxTimer), kwt("warmup", 0, maxTimer),
			kwt("connect_timeout", 1, maxTimer), kw("inhibit_on_failure", ArgBool),
			kw("ops", ArgNone), kw("one_packet_scheduling", ArgNone),
			kw("lb_flags", ArgAny), kw("lvs_flags", ArgAny),
			kw("flag-1", ArgNone), kw("flag-2", ArgNone), kw("flag-3", ArgNone),
			kw("sh-port", ArgNone), kw("sh-fallback", ArgNone), kw("mh-port", ArgNone), kw("mh-fallback", ArgNone),
			kw("ip_family", ArgString), kw("tunnel_type", ArgAny),
			realServer,
		), acc("virtualhost"))
	}
	vs := blk("virtual_server", vsKeys()...)
	vsg := &Keyword{Name: "virtual_server_group", Arg: ArgBlock}

	top := ks(global,
		&Keyword{Name: "static_ipaddress", Arg: ArgBlock}, &Keyword{Name: "static_routes", Arg: ArgBlock},
		&Keyword{Name: "static_rules", Arg: ArgBlock},
		script,
		blk("vrrp_track_file", kw("file", ArgString), kwi("weight", -254, 254), kw("init_file", ArgAny)),
		// keepalived 2.2.7 knows only vrrp_track_process at the top level
		// (track_process is the block inside vrrp_instance naming them).
		blk("vrrp_track_process", kw("process", ArgAny), kw("param_match", ArgString), kwi("weight", -254, 254),
			kw("quorum", ArgAny), kw("quorum_max", ArgAny), kwt("delay", 0, maxTimer),
			kwt("terminate_delay", 0, maxTimer), kwt("fork_delay", 0, maxTimer), kw("full_command", ArgNone)),
		blk("track_file", kw("file", ArgString), kwi("weight", -254, 254), kw("init_file", ArgAny)),
		sync, instance, vsg, vs,
		&Keyword{Name: "garp_group", Arg: ArgBlock, Status: Accepted},
		&Keyword{Name: "bfd_instance", Arg: ArgBlock, Status: Accepted},
		&Keyword{Name: "linkbeat_interfaces", Arg: ArgBlock, Status: Accepted},
		&Keyword{Name: "track_group", Arg: ArgBlock, Status: Accepted},
		kw("net_namespace", ArgString), kw("net_namespace_ipvs", ArgString), kw("namespace_with_ipsets", ArgNone),
		kw("instance", ArgString), kw("use_pid_dir", ArgNone),
	)
	ssl := blk("SSL", acc("ca", "certificate", "key", "password")...)
	ssl.Arg, ssl.Status = ArgNone, Accepted
	top = append(top, ssl)
	setSections("", top)
	top = prune("", top)
	setMissing(top)
	return top
}

func refusedSNMP() []*Keyword {
	var out []*Keyword
	for _, n := range []string{"enable_snmp_vrrp", "enable_snmp_checker", "enable_snmp_rfc", "enable_snmp_rfcv2", "enable_snmp_rfcv3", "enable_traps", "snmp_socket"} {
		out = append(out, &Keyword{Name: n, Arg: ArgAny, Status: Refused, Note: "SNMP is not offered by gokeepalived"})
	}
	return out
}

func setSections(prefix string, ks []*Keyword) {
	for _, k := range ks {
		k.section = prefix
		if k.Sub != nil {
			p := k.Name
			if prefix != "" {
				p = prefix + " > " + k.Name
			}
			setSections(p, k.Sub)
		}
	}
}

func findKw(ks []*Keyword, name string) *Keyword {
	var found *Keyword
	for _, k := range ks {
		if k.Name == name {
			found = k // later entries override earlier ones
		}
	}
	return found
}

// Registry returns every keyword with its section path ("" for the top
// level), sorted by section then name.
func Registry() []*Keyword {
	var out []*Keyword
	var walk func([]*Keyword)
	seen := map[*Keyword]bool{}
	walk = func(ks []*Keyword) {
		for _, k := range ks {
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, k)
			walk(k.Sub)
		}
	}
	walk(registry)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].section != out[j].section {
			return out[i].section < out[j].section
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Section is the path of blocks a keyword lives in ("" is the top level).
func (k *Keyword) Section() string { return k.section }

// oracleKnows reports whether keepalived 2.2.7 accepts word inside the
// block at section ("" is the top level; see oracleKeywords).
func oracleKnows(section, word string) bool {
	list, ok := oracleKeywords[section]
	if !ok {
		return false
	}
	for _, w := range strings.Fields(list) {
		if w == word {
			return true
		}
	}
	return false
}

// probed reports whether the oracle's keyword list covers section.
func probed(section string) bool { _, ok := oracleKeywords[section]; return ok }

// prune drops from ks (the keywords of block section) those keepalived
// 2.2.7 does not accept there, so the registry says exactly what
// keepalived says.
func prune(section string, ks []*Keyword) []*Keyword {
	var out []*Keyword
	for _, k := range ks {
		if probed(section) && !oracleKnows(section, k.Name) && !k.Ours {
			continue
		}
		if k.Sub != nil {
			p := k.Name
			if section != "" {
				p = section + " > " + k.Name
			}
			if k.Sub = prune(p, k.Sub); k.Sub == nil {
				k.Sub = []*Keyword{}
			}
		}
		out = append(out, k)
	}
	return out
}
