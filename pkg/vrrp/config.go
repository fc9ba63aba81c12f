package vrrp

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/keepalivedconf"
	"github.com/gohaproxy/gohaproxy/pkg/vrrp/codec"
)

// unsupported are keywords keepalived acts on at run time that the Node
// does not implement: refused rather than silently ignored.
var unsupported = map[string]string{
	"use_ipvlan":           "ipvlan interfaces are not implemented",
	"track_bfd":            "BFD tracking is not implemented",
	"garp_extra_if":        "extra GARP interfaces are not implemented",
	"old_unicast_checksum": "the pre-1.3.6 unicast checksum is not implemented",
	"track_src_ip":         "source address tracking is not implemented",
	"vrrp_startup_delay":   "delayed start is not implemented",
}

// unsupportedError names the file:line and keyword of a refused setting.
func unsupportedError(s *keepalivedconf.Setting, why string) error {
	return fmt.Errorf("%s: %q is not supported by gokeepalived (%s); remove it from the configuration", s.Pos, s.Keyword, why)
}

// parseSeconds reads a keepalived timer value: seconds, possibly with a
// fractional part ("1", "0.5").
func parseSeconds(s string) (time.Duration, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f < 0 || math.IsNaN(f) || f > 1e9 {
		return 0, fmt.Errorf("invalid time value %q", s)
	}
	return time.Duration(math.Round(f * float64(time.Second))), nil
}

// trackRef is one tracker an instance follows.
type trackRef struct {
	kind    TrackKind
	name    string
	weight  int
	reverse bool
}

func (r trackRef) key() string { return r.kind.String() + ":" + r.name }

// instanceSpec is everything the Node derives from a vrrp_instance.
type instanceSpec struct {
	conf    *keepalivedconf.Instance
	cfg     InstanceConfig
	ipv6    bool
	src     netip.Addr
	peers   []netip.Addr
	auth    uint8
	pass    [8]byte
	tracks  []trackRef
	skipAdv bool
	chkSrc  bool
	strict  bool
	// vmac is the VMAC interface name (use_vmac), empty without.
	vmac     string
	xmitBase bool
	// noAccept: while MASTER the instance's VIPs get keepalived's
	// firewall drop rules (vrrp_strict or no_accept, not address owner).
	noAccept bool
	// garpInterval and gnaInterval space the gratuitous ARPs and NAs
	// sent on the instance's interface (0: back to back).
	garpInterval, gnaInterval time.Duration
	// vips are the addresses of the adverts (the instance's family).
	vips []netip.Addr
	// warnings are what keepalived logs when it adjusts the settings.
	warnings []string
}

// ifname is the interface the instance's addresses, announcements and
// adverts use: its VMAC if it has one, else its interface.
func (s *instanceSpec) ifname() string {
	if s.vmac != "" {
		return s.vmac
	}
	return s.conf.Interface
}

// vmacAddr is the VMAC's MAC address: 00:00:5e:00:01:VRID, or
// 00:00:5e:00:02:VRID for IPv6.
func (s *instanceSpec) vmacAddr() net.HardwareAddr {
	m := net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, 0x01, s.cfg.VRID}
	if s.ipv6 {
		m[4] = 0x02
	}
	return m
}

// sockIf is the interface the adverts leave from and arrive on: the VMAC
// unless vmac_xmit_base.
func (s *instanceSpec) sockIf() string {
	if s.xmitBase {
		return s.conf.Interface
	}
	return s.ifname()
}

func (s *instanceSpec) connKey() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%v|%s|%v|", s.sockIf(), s.ipv6, s.src, s.auth == codec.AuthAH)
	for _, p := range s.peers {
		b.WriteString(p.String() + ",")
	}
	return b.String()
}

type globalDefaults struct {
	version         int
	garpDelay       time.Duration
	garpRepeat      int
	garpRefresh     time.Duration
	garpRefreshRep  int
	skipCheckAdv    bool
	checkUnicastSrc bool
	strict          bool
	lowerPrioNoAdv  bool
	higherPrioAdv   bool
	garpLowerRep    int
	garpLowerDelay  time.Duration
	garpInterval    time.Duration
	gnaInterval     time.Duration
}

func readGlobals(g keepalivedconf.Global) (globalDefaults, error) {
	d := globalDefaults{version: 2, garpDelay: 5 * time.Second, garpRepeat: 5, garpRefreshRep: 1, strict: g.VRRPStrict,
		garpLowerRep: -1, garpLowerDelay: -1}
	if g.VRRPVersion == 3 {
		d.version = 3
	}
	for _, s := range g.Settings {
		if why, bad := unsupported[s.Keyword]; bad {
			return d, unsupportedError(s, why)
		}
		var err error
		switch s.Keyword {
		case "vrrp_garp_master_delay":
			d.garpDelay, err = parseSeconds(s.Arg(0))
		case "vrrp_garp_master_repeat":
			d.garpRepeat, err = strconv.Atoi(s.Arg(0))
		case "vrrp_garp_master_refresh":
			d.garpRefresh, err = parseSeconds(s.Arg(0))
		case "vrrp_garp_master_refresh_repeat":
			d.garpRefreshRep, err = strconv.Atoi(s.Arg(0))
		case "vrrp_skip_check_adv_addr":
			d.skipCheckAdv = true
		case "vrrp_check_unicast_src":
			d.checkUnicastSrc = true
		case "vrrp_lower_prio_no_advert":
			d.lowerPrioNoAdv = s.Arg(0) != "false"
		case "vrrp_higher_prio_send_advert":
			d.higherPrioAdv = s.Arg(0) != "false"
		case "vrrp_garp_lower_prio_repeat":
			d.garpLowerRep, err = strconv.Atoi(s.Arg(0))
		case "vrrp_garp_lower_prio_delay":
			d.garpLowerDelay, err = parseSeconds(s.Arg(0))
		case "vrrp_garp_interval":
			d.garpInterval, err = parseSeconds(s.Arg(0))
		case "vrrp_gna_interval":
			d.gnaInterval, err = parseSeconds(s.Arg(0))
		}
		if err != nil {
			return d, fmt.Errorf("%s: %s: %v", s.Pos, s.Keyword, err)
		}
	}
	// keepalived's defaults for the lower priority GARPs are the master
	// ones (observed: 5 GARPs at once and 5 more vrrp_garp_master_delay
	// later).
	if d.garpLowerRep < 0 {
		d.garpLowerRep = d.garpRepeat
	}
	if d.garpLowerDelay < 0 {
		d.garpLowerDelay = d.garpDelay
	}
	return d, nil
}

// buildSpecs derives the instance specs of cfg, refusing what the Node
// cannot do.
func buildSpecs(cfg *keepalivedconf.Config) ([]*instanceSpec, globalDefaults, error) {
	g, err := readGlobals(cfg.Global)
	if err != nil {
		return nil, g, err
	}
	scripts := map[string]*keepalivedconf.Script{}
	for _, s := range cfg.Scripts {
		scripts[s.Name] = s
	}
	fileWeights, procWeights := map[string]int{}, map[string]int{}
	for _, s := range cfg.Settings {
		switch s.Keyword {
		case "vrrp_track_file", "track_file":
			w := 1
			if v := s.Get("weight"); v != nil {
				w, _ = strconv.Atoi(v.Arg(0))
				if v.Arg(1) == "reverse" {
					// a file's reverse is its weight negated (FileEffect)
					w = -w
				}
			}
			fileWeights[s.Arg(0)] = w
		case "vrrp_track_process":
			w := 0
			if v := s.Get("weight"); v != nil {
				w, _ = strconv.Atoi(v.Arg(0))
			}
			procWeights[s.Arg(0)] = w
		}
	}
	var out []*instanceSpec
	byName := map[string]*instanceSpec{}
	for _, in := range cfg.Instances {
		sp, err := buildSpec(in, g, scripts, fileWeights, procWeights)
		if err != nil {
			return nil, g, err
		}
		out = append(out, sp)
		byName[in.Name] = sp
	}
	// Tracking at sync group level applies to every member of the group.
	for _, sg := range cfg.SyncGroups {
		for _, s := range sg.Settings {
			if why, bad := unsupported[s.Keyword]; bad {
				return nil, g, unsupportedError(s, why)
			}
			switch s.Keyword {
			case "track_script", "track_file", "track_process", "track_interface":
			default:
				continue
			}
			refs := trackRefs(s, scripts, fileWeights, procWeights)
			for _, name := range sg.Group {
				sp := byName[name]
				if sp == nil {
					continue
				}
				for _, r := range refs {
					i := slices.IndexFunc(sp.tracks, func(x trackRef) bool { return x.key() == r.key() })
					if i < 0 {
						sp.tracks = append(sp.tracks, r)
						continue
					}
					// keepalived keeps one tracker, with the group's
					// weight unless the instance's is 0 (unweighted).
					if r.kind != TrackInterface {
						sp.warnings = append(sp.warnings, fmt.Sprintf("(%s) %s %s is configured on VRRP instance and sync group. Remove vrrp instance config", name, s.Keyword, r.name))
					}
					if sp.tracks[i].weight != 0 {
						sp.tracks[i].weight, sp.tracks[i].reverse = r.weight, r.reverse
					}
				}
			}
		}
	}
	return out, g, nil
}

func buildSpec(in *keepalivedconf.Instance, g globalDefaults, scripts map[string]*keepalivedconf.Script, fileW, procW map[string]int) (*instanceSpec, error) {
	c := DefaultInstanceConfig(in.Name)
	c.GarpMasterDelay, c.GarpMasterRepeat = g.garpDelay, g.garpRepeat
	c.GarpMasterRefresh, c.GarpMasterRefreshRepeat = g.garpRefresh, g.garpRefreshRep
	c.LowerPrioNoAdvert = g.lowerPrioNoAdv
	c.HigherPrioSendAdvert = g.higherPrioAdv
	c.GarpLowerPrioRepeat = g.garpLowerRep
	c.GarpLowerPrioDelay = g.garpLowerDelay
	sp := &instanceSpec{conf: in, skipAdv: g.skipCheckAdv, chkSrc: g.checkUnicastSrc, strict: g.strict,
		garpInterval: g.garpInterval, gnaInterval: g.gnaInterval}
	if in.Interface == "" {
		return nil, fmt.Errorf("%s: vrrp_instance %s has no interface; add \"interface IFNAME\"", in.Pos, in.Name)
	}
	if in.VRID < 1 || in.VRID > 255 {
		return nil, fmt.Errorf("%s: vrrp_instance %s needs virtual_router_id 1..255", in.Pos, in.Name)
	}
	c.Name, c.Interface, c.VRID = in.Name, in.Interface, uint8(in.VRID)
	hasState, hasPrio := false, false
	for _, s := range in.Settings {
		hasState = hasState || s.Keyword == "state"
		hasPrio = hasPrio || s.Keyword == "priority"
	}
	c.Priority = in.Priority
	if c.Priority < 1 || c.Priority > 255 {
		c.Priority = 100
	}
	// keepalived derives a missing priority from the state and a missing
	// state from the priority.
	if !hasPrio && strings.EqualFold(in.State, "MASTER") {
		c.Priority = PriorityOwner
	}
	c.InitialMaster = strings.EqualFold(in.State, "MASTER") || (!hasState && c.Priority == PriorityOwner)
	c.NoPreempt = in.NoPreempt
	c.Version = uint8(g.version)
	if in.Version == 2 || in.Version == 3 {
		c.Version = uint8(in.Version)
	}
	adv, err := parseSeconds(in.AdvertInt)
	if err != nil || adv <= 0 {
		return nil, fmt.Errorf("%s: vrrp_instance %s: invalid advert_int %q", in.Pos, in.Name, in.AdvertInt)
	}
	for _, s := range in.Settings {
		if why, bad := unsupported[s.Keyword]; bad {
			return nil, unsupportedError(s, why)
		}
		var err error
		switch s.Keyword {
		case "preempt_delay":
			c.PreemptDelay, err = parseSeconds(s.Arg(0))
		case "garp_master_delay":
			c.GarpMasterDelay, err = parseSeconds(s.Arg(0))
		case "garp_master_repeat":
			c.GarpMasterRepeat, err = strconv.Atoi(s.Arg(0))
		case "garp_master_refresh":
			c.GarpMasterRefresh, err = parseSeconds(s.Arg(0))
		case "garp_master_refresh_repeat":
			c.GarpMasterRefreshRepeat, err = strconv.Atoi(s.Arg(0))
		case "lower_prio_no_advert":
			c.LowerPrioNoAdvert = s.Arg(0) != "false"
		case "higher_prio_send_advert":
			c.HigherPrioSendAdvert = s.Arg(0) != "false"
		case "garp_lower_prio_repeat":
			c.GarpLowerPrioRepeat, err = strconv.Atoi(s.Arg(0))
		case "garp_lower_prio_delay":
			c.GarpLowerPrioDelay, err = parseSeconds(s.Arg(0))
		case "notify_master_rx_lower_pri":
			c.NotifyMasterRxLowerPri = true
		case "skip_check_adv_addr":
			sp.skipAdv = s.Arg(0) != "false"
		case "check_unicast_src":
			sp.chkSrc = true
		case "strict_mode":
			sp.strict = s.Arg(0) != "false"
		case "native_ipv6":
			sp.ipv6 = true
		case "use_vmac":
			sp.vmac = s.Arg(0)
			if sp.vmac == "" {
				sp.vmac = fmt.Sprintf("vrrp.%d", in.VRID)
			}
			if len(sp.vmac) > 15 || strings.ContainsAny(sp.vmac, "/ ") {
				return nil, fmt.Errorf("%s: use_vmac: invalid interface name %q; use at most 15 characters without '/' or spaces", s.Pos, sp.vmac)
			}
		case "vmac_xmit_base":
			sp.xmitBase = true
		case "mcast_src_ip", "unicast_src_ip":
			sp.src, err = netip.ParseAddr(s.Arg(0))
		case "garp_interval":
			sp.garpInterval, err = parseSeconds(s.Arg(0))
		case "gna_interval":
			sp.gnaInterval, err = parseSeconds(s.Arg(0))
		case "track_script", "track_file", "track_process", "track_interface":
			sp.tracks = append(sp.tracks, trackRefs(s, scripts, fileW, procW)...)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", s.Pos, s.Keyword, err)
		}
	}
	for _, p := range in.UnicastPeers {
		a, err := netip.ParseAddr(p)
		if err != nil {
			return nil, fmt.Errorf("%s: vrrp_instance %s: invalid unicast_peer %q", in.Pos, in.Name, p)
		}
		sp.peers = append(sp.peers, a)
	}
	slices.SortFunc(sp.peers, func(a, b netip.Addr) int { return a.Compare(b) })
	if len(in.VIPs) > 0 {
		first := in.VIPs[0].Prefix.Addr()
		sp.ipv6 = first.Is6() && !first.Is4In6()
	}
	if sp.vmac != "" && sp.ipv6 {
		return nil, fmt.Errorf("%s: vrrp_instance %s: use_vmac is not supported by gokeepalived for IPv6 instances yet; remove use_vmac", in.Pos, in.Name)
	}
	if sp.ipv6 && c.Version == 2 {
		c.Version = 3
	}
	for _, v := range in.VIPs {
		a := v.Prefix.Addr()
		if (a.Is6() && !a.Is4In6()) == sp.ipv6 {
			sp.vips = append(sp.vips, a)
			c.VIPs = append(c.VIPs, a)
		}
	}
	if c.Version == 2 {
		// VRRPv2 carries whole seconds.
		if adv%time.Second != 0 {
			sp.warnings = append(sp.warnings, fmt.Sprintf("(%s) VRRPv2 advertisement interval %fs must be an integer. rounding", in.Name, adv.Seconds()))
		}
		secs := (adv + time.Second/2) / time.Second
		if secs < 1 {
			secs = 1
		}
		adv = secs * time.Second
	} else {
		adv = adv.Round(10 * time.Millisecond)
		if adv < 10*time.Millisecond {
			adv = 10 * time.Millisecond
		}
	}
	c.AdvertInt = adv
	switch strings.ToUpper(in.AuthType) {
	case "PASS":
		if c.Version == 2 && !sp.strict {
			sp.auth = codec.AuthPass
			sp.pass = codec.PassData(in.AuthPass)
		}
	case "AH":
		// keepalived: "Cannot use AH authentication with IPv6. ignoring".
		if c.Version == 2 && !sp.strict && !sp.ipv6 {
			sp.auth = codec.AuthAH
			sp.pass = codec.PassData(in.AuthPass)
		}
	}
	// Strict mode sends no lower priority GARPs unless configured.
	if sp.strict {
		lowerRep, lowerDelay := false, false
		for _, s := range in.Settings {
			lowerRep = lowerRep || s.Keyword == "garp_lower_prio_repeat"
			lowerDelay = lowerDelay || s.Keyword == "garp_lower_prio_delay"
		}
		if !lowerRep {
			c.GarpLowerPrioRepeat = 0
		}
		if !lowerDelay {
			c.GarpLowerPrioDelay = 0
		}
	}
	if sp.vmac != "" {
		c.Interface = sp.vmac
	}
	noAccept := sp.strict
	for _, s := range in.Settings {
		switch s.Keyword {
		case "no_accept":
			noAccept = true
		case "accept":
			if !sp.strict {
				noAccept = false
			}
		}
	}
	sp.noAccept = noAccept && c.Priority != PriorityOwner
	sp.cfg = c
	return sp, nil
}

// params is what codec.Validate checks for this instance.
func (s *instanceSpec) params(m *Instance, ifname string) codec.InstanceParams {
	return codec.InstanceParams{
		Name: s.cfg.Name, Interface: ifname, Version: s.cfg.Version, VRID: s.cfg.VRID,
		AuthType: s.auth, AuthPass: s.pass,
		AdvertIntCentis:  uint32(s.cfg.AdvertInt / (10 * time.Millisecond)),
		VIPs:             s.vips,
		SkipCheckAdvAddr: s.skipAdv, Master: m.State() == StateMaster, LastMaster: m.LastMaster(),
		UnicastPeers: s.peers, CheckUnicastSrc: s.chkSrc, StrictMode: s.strict, IPv6: s.ipv6,
		InitialMaster: s.cfg.InitialMaster, Priority: uint8(m.Priority()),
	}
}

// packet is the advert the instance sends with priority prio.
func (s *instanceSpec) packet(prio int) codec.Packet {
	p := codec.Packet{Version: s.cfg.Version, Type: codec.TypeAdvertisement, VRID: s.cfg.VRID, Priority: uint8(prio), Addresses: s.vips}
	if s.cfg.Version == 2 {
		p.AdvertInt = uint16(s.cfg.AdvertInt / time.Second)
		p.AuthType = s.auth
		if s.auth == codec.AuthPass {
			p.AuthData = s.pass
		}
	} else {
		p.AdvertInt = uint16(s.cfg.AdvertInt / (10 * time.Millisecond))
	}
	return p
}

// trackRefs reads a track_script/track_file/track_process/track_interface
// block (of an instance or a sync group); names that are not defined are
// skipped as keepalived skips them.
func trackRefs(s *keepalivedconf.Setting, scripts map[string]*keepalivedconf.Script, fileW, procW map[string]int) []trackRef {
	var out []trackRef
	kind := map[string]TrackKind{"track_script": TrackScript, "track_file": TrackFile, "track_process": TrackProcess, "track_interface": TrackInterface}[s.Keyword]
	for _, l := range s.Lines {
		if len(l.Words) == 0 {
			continue
		}
		r := trackRef{kind: kind, name: l.Words[0]}
		switch kind {
		case TrackScript:
			sc, ok := scripts[r.name]
			if !ok {
				continue // keepalived: "track script ... not found, ignoring..."
			}
			r.weight = sc.Weight
			for _, w := range sc.Settings {
				if w.Keyword == "weight" && slices.Contains(w.Args, "reverse") {
					r.reverse = true
				}
			}
		case TrackFile:
			w, ok := fileW[r.name]
			if !ok {
				continue
			}
			r.weight = w
		case TrackProcess:
			w, ok := procW[r.name]
			if !ok {
				continue
			}
			r.weight = w
		}
		for i := 1; i < len(l.Words); i++ {
			switch l.Words[i] {
			case "weight":
				if i+1 < len(l.Words) {
					r.weight, _ = strconv.Atoi(l.Words[i+1])
					i++
				}
			case "reverse":
				r.reverse = true
			case "noreverse":
				r.reverse = false
			}
		}
		out = append(out, r)
	}
	return out
}
