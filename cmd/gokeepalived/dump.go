package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/gohaproxy/gohaproxy/pkg/keepalivedconf"
	"github.com/gohaproxy/gohaproxy/pkg/notify"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/lvs"
	"github.com/gohaproxy/gohaproxy/pkg/vrrp"
)

// keepalived 2.2.7's signals (keepalived --signum=NAME).
const (
	sigStop       = syscall.SIGTERM
	sigReload     = syscall.SIGHUP
	sigData       = syscall.SIGUSR1
	sigStats      = syscall.SIGUSR2
	sigStatsClear = syscall.Signal(63) // SIGRTMAX-1
	sigJSON       = syscall.Signal(36) // SIGRTMIN+2
)

// signums are keepalived's --signum names.
var signums = map[string]syscall.Signal{
	"STOP": sigStop, "RELOAD": sigReload, "DATA": sigData, "STATS": sigStats,
	"STATS_CLEAR": sigStatsClear, "JSON": sigJSON,
}

// The files keepalived 2.2.7 writes on those signals.
const (
	dataFile  = "/tmp/keepalived.data"
	statsFile = "/tmp/keepalived.stats"
	jsonFile  = "/tmp/keepalived.json"
)

// dumpOnSignal writes the file keepalived writes on sig.
func dumpOnSignal(sig syscall.Signal, cfg *keepalivedconf.Config, snap vrrp.Snapshot, nt *notifier, lg *zap.Logger) {
	var path string
	var b bytes.Buffer
	switch sig {
	case sigData:
		path = dataFile
		writeData(&b, cfg, snap, nt)
	case sigStats, sigStatsClear:
		path = statsFile
		writeStats(&b, snap, nt, sig == sigStatsClear)
	case sigJSON:
		path = jsonFile
		if err := writeJSON(&b, cfg, snap, nt); err != nil {
			lg.Error(fmt.Sprintf("JSON dump: %v", err))
			return
		}
	default:
		return
	}
	// keepalived's umask 0177: the dumps are readable by root only.
	if err := writeFileAtomic(path, b.Bytes()); err != nil {
		lg.Error(fmt.Sprintf("Can't open %s (%v): check that /tmp is writable", path, err))
	}
}

// writeFileAtomic replaces path so that a reader never sees half a dump.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

func onOff(b bool, on, off string) string {
	if b {
		return on
	}
	return off
}

// defaultAlert is how keepalived shows an unset/true/false global.
func defaultAlert(cfg *keepalivedconf.Config, kw string) string {
	s := globalSetting(cfg.Global, kw)
	if s == nil {
		return "unset"
	}
	return onOff(boolArg(s), "on", "off")
}

// writeData writes keepalived's data dump (SIGUSR1) with the lines
// gokeepalived can fill: the global definitions it uses, the VRRP
// topology and the sync groups. keepalived's VRRP Sockpool and Interfaces
// sections and its tuning lines (garp, realtime, netlink buffers, SNMP,
// DBus...) are not written.
func writeData(w io.Writer, cfg *keepalivedconf.Config, snap vrrp.Snapshot, nt *notifier) {
	writeGlobalDefs(w, cfg, nt)
	writeTopology(w, cfg, snap, nt)
}

// parentDataFile is what keepalived's parent process writes on SIGUSR1.
const parentDataFile = "/tmp/keepalived_parent.data"

// writeParentData writes the parent process's data dump (SIGUSR1): the
// global definitions.
func writeParentData(path string, cfg *keepalivedconf.Config, lg *zap.Logger) {
	var b bytes.Buffer
	writeGlobalDefs(&b, cfg, nil)
	if err := writeFileAtomic(path, b.Bytes()); err != nil {
		lg.Error(fmt.Sprintf("Can't open %s (%v): check that /tmp is writable", path, err))
	}
}

// writeGlobalDefs writes the "Global definitions" section of the dumps
// (nt nil: the parent process, which runs no scripts).
func writeGlobalDefs(w io.Writer, cfg *keepalivedconf.Config, nt *notifier) {
	g := cfg.Global
	routerID := g.RouterID
	if routerID == "" {
		if nt != nil {
			routerID = nt.routerID()
		} else {
			routerID = notify.Hostname()
		}
	}
	fmt.Fprintln(w, "------< Global definitions >------")
	fmt.Fprintf(w, " Router ID = %s\n", routerID)
	if g.SMTPServer != "" {
		port := g.SMTPPort
		if port == 0 {
			port = 25
		}
		helo := notify.Hostname()
		if s := globalSetting(g, "smtp_helo_name"); s != nil && s.Arg(0) != "" {
			helo = s.Arg(0)
		}
		timeout := g.SMTPConnectTimeout
		if timeout == 0 {
			timeout = 30
		}
		fmt.Fprintf(w, " Smtp server = %s\n", g.SMTPServer)
		fmt.Fprintf(w, " Smtp server port = %d\n", port)
		fmt.Fprintf(w, " Smtp HELO name = %s\n", helo)
		fmt.Fprintf(w, " Smtp server connection timeout = %d\n", timeout)
	}
	if len(g.NotificationEmail) > 0 {
		fmt.Fprintf(w, " Email notification from = %s\n", emailFrom(g))
		fmt.Fprintln(w, " Email notification to:")
		for _, to := range g.NotificationEmail {
			fmt.Fprintf(w, "   %s\n", to)
		}
	}
	fmt.Fprintf(w, " Default smtp_alert = %s\n", defaultAlert(cfg, "smtp_alert"))
	fmt.Fprintf(w, " Default smtp_alert_vrrp = %s\n", defaultAlert(cfg, "smtp_alert_vrrp"))
	fmt.Fprintf(w, " Default smtp_alert_checker = %s\n", defaultAlert(cfg, "smtp_alert_checker"))
	ver := g.VRRPVersion
	if ver == 0 {
		ver = 2
	}
	fmt.Fprintf(w, " VRRP default protocol version = %d\n", ver)
	fmt.Fprintf(w, " VRRP strict mode = %t\n", g.VRRPStrict)
	fmt.Fprintf(w, " Script security %s\n", onOff(g.EnableScriptSecurity, "enabled", "disabled"))
	if nt != nil {
		if u := nt.defaultUser(); u != nil {
			fmt.Fprintf(w, " Default script uid:gid %d:%d\n", u.UID, u.GID)
		}
	}
}

// writeTopology writes the VRRP sections of the data dump.
func writeTopology(w io.Writer, cfg *keepalivedconf.Config, snap vrrp.Snapshot, nt *notifier) {
	confs := map[string]*keepalivedconf.Instance{}
	for _, in := range cfg.Instances {
		confs[in.Name] = in
	}
	fmt.Fprintln(w, "------< VRRP Topology >------")
	for _, in := range snap.Instances {
		fmt.Fprintf(w, " VRRP Instance = %s\n", in.Name)
		fmt.Fprintf(w, "   VRRP Version = %d\n", in.Version)
		if in.Group != "" {
			fmt.Fprintf(w, "   Sync group = %s\n", in.Group)
		}
		fmt.Fprintf(w, "   State = %s\n", in.State)
		fmt.Fprintf(w, "   Wantstate = %s\n", in.State)
		if nt != nil {
			if c := nt.instanceCounts(in.Name, false); !c.lastTransition.IsZero() {
				t := c.lastTransition
				fmt.Fprintf(w, "   Last transition = %d.%06d (%s)\n", t.Unix(), t.Nanosecond()/1000, t.Format("Mon Jan _2 15:04:05.000000 2006"))
			}
		}
		fmt.Fprintf(w, "   Interface = %s\n", in.Interface)
		fmt.Fprintf(w, "   Virtual Router ID = %d\n", in.VRID)
		fmt.Fprintf(w, "   Priority = %d\n", in.BasePriority)
		fmt.Fprintf(w, "   Effective priority = %d\n", in.Priority)
		if in.Version == 3 {
			fmt.Fprintf(w, "   Advert interval = %d milli-sec\n", in.AdvertInt/time.Millisecond)
		} else {
			fmt.Fprintf(w, "   Advert interval = %d sec\n", in.AdvertInt/time.Second)
		}
		conf := confs[in.Name]
		if conf != nil {
			fmt.Fprintf(w, "   Preempt = %s\n", onOff(conf.NoPreempt, "disabled", "enabled"))
			auth := "none"
			switch conf.AuthType {
			case "PASS":
				auth = "SIMPLE_PASSWORD"
			case "AH":
				auth = "IPSEC_AH"
			}
			if in.Version != 3 {
				fmt.Fprintf(w, "   Authentication type = %s\n", auth)
			}
			if len(conf.VIPs) > 0 {
				fmt.Fprintf(w, "   Virtual IP (%d):\n", len(conf.VIPs))
				for _, v := range conf.VIPs {
					fmt.Fprintf(w, "     %s\n", vipText(v, in))
				}
			}
		}
		if nt != nil {
			generic, byState, smtp := nt.scriptText(false, in.Name)
			fmt.Fprintf(w, "   Using smtp notification = %s\n", onOff(smtp, "yes", "no"))
			writeScripts(w, generic, byState)
		}
	}
	if len(snap.Groups) > 0 {
		fmt.Fprintln(w, "------< VRRP Sync groups >------")
	}
	for _, gr := range snap.Groups {
		fmt.Fprintf(w, " VRRP Sync Group = %s, %s\n", gr.Name, gr.State)
		fmt.Fprintln(w, "   VRRP member instances :")
		for _, m := range gr.Members {
			fmt.Fprintf(w, "     %s\n", m)
		}
		if nt != nil {
			generic, byState, smtp := nt.scriptText(true, gr.Name)
			fmt.Fprintf(w, "   Using smtp notification = %s\n", onOff(smtp, "yes", "no"))
			writeScripts(w, generic, byState)
		}
	}
}

func writeScripts(w io.Writer, generic string, byState map[string]string) {
	for _, s := range []struct{ state, label string }{{"BACKUP", "Backup"}, {"MASTER", "Master"}, {"FAULT", "Fault"}, {"STOP", "Stop"}} {
		if t := byState[s.state]; t != "" {
			fmt.Fprintf(w, "   %s state transition script = %s\n", s.label, t)
		}
	}
	if generic != "" {
		fmt.Fprintf(w, "   Generic state transition script = %s\n", generic)
	}
}

// vipText is a virtual address as keepalived's dump shows it:
// "10.0.0.1 dev eth0 scope global set".
func vipText(v keepalivedconf.VIP, in vrrp.InstanceStatus) string {
	addr := v.Prefix.Addr().String()
	if v.Prefix.Bits() != v.Prefix.Addr().BitLen() {
		addr = v.Prefix.String()
	}
	dev := v.Dev
	if dev == "" {
		dev = in.Interface
	}
	scope := v.Scope
	if scope == "" {
		scope = "global"
	}
	s := fmt.Sprintf("%s dev %s scope %s", addr, dev, scope)
	if v.Label != "" {
		s += " label " + v.Label
	}
	if in.VIPsSet {
		s += " set"
	}
	return s
}

// writeStats writes keepalived's stats dump (SIGUSR2): per instance the
// advert counters, the master transitions, the packet and authentication
// error counters and the priority 0 counters.
func writeStats(w io.Writer, snap vrrp.Snapshot, nt *notifier, clear bool) {
	for _, in := range snap.Instances {
		var c instCounts
		st := in.Stats
		if nt != nil {
			c = nt.instanceCounts(in.Name, clear)
			st = nt.packetStats(in.Name, in.Stats, clear)
		}
		fmt.Fprintf(w, "VRRP Instance: %s\n", in.Name)
		fmt.Fprintf(w, "  Advertisements:\n")
		fmt.Fprintf(w, "    Received: %d\n", st.AdvertRcvd)
		fmt.Fprintf(w, "    Sent: %d\n", st.AdvertSent)
		fmt.Fprintf(w, "  Became master: %d\n", c.becameMaster)
		fmt.Fprintf(w, "  Released master: %d\n", c.releasedMaster)
		fmt.Fprintf(w, "  Packet Errors:\n")
		fmt.Fprintf(w, "    Length: %d\n", st.PacketLenErr)
		fmt.Fprintf(w, "    TTL: %d\n", st.IPTTLErr)
		fmt.Fprintf(w, "    Invalid Type: %d\n", st.InvalidTypeRcvd)
		fmt.Fprintf(w, "    Advertisement Interval: %d\n", st.AdvertIntervalErr)
		fmt.Fprintf(w, "    Address List: %d\n", st.AddrListErr)
		fmt.Fprintf(w, "  Authentication Errors:\n")
		fmt.Fprintf(w, "    Invalid Type: %d\n", st.InvalidAuthType)
		fmt.Fprintf(w, "    Type Mismatch: %d\n", st.AuthTypeMismatch)
		fmt.Fprintf(w, "    Failure: %d\n", st.AuthFailure)
		fmt.Fprintf(w, "  Priority Zero:\n")
		fmt.Fprintf(w, "    Received: %d\n", st.PriZeroRcvd)
		fmt.Fprintf(w, "    Sent: %d\n", st.PriZeroSent)
	}
}

// jsonInstance carries the fields of keepalived's JSON dump that
// gokeepalived can fill, with keepalived's names.
type jsonInstance struct {
	Data struct {
		Iname             string   `json:"iname"`
		IfpIfname         string   `json:"ifp_ifname"`
		LastTransition    float64  `json:"last_transition"`
		VRID              int      `json:"vrid"`
		BasePriority      int      `json:"base_priority"`
		EffectivePriority int      `json:"effective_priority"`
		VIPSet            bool     `json:"vipset"`
		AdverInt          float64  `json:"adver_int"`
		NoPreempt         bool     `json:"nopreempt"`
		State             int      `json:"state"`
		WantState         int      `json:"wantstate"`
		Version           int      `json:"version"`
		SMTPAlert         bool     `json:"smtp_alert"`
		Script            string   `json:"script,omitempty"`
		VIPs              []string `json:"vips"`
	} `json:"data"`
	Stats struct {
		BecomeMaster  int `json:"become_master"`
		ReleaseMaster int `json:"release_master"`
	} `json:"stats"`
}

// stateNumber is keepalived's numeric VRRP state.
func stateNumber(s string) int {
	switch s {
	case "BACKUP":
		return 1
	case "MASTER":
		return 2
	case "FAULT":
		return 3
	}
	return 0
}

// writeJSON writes keepalived's JSON dump (keepalived --signum=JSON).
func writeJSON(w io.Writer, cfg *keepalivedconf.Config, snap vrrp.Snapshot, nt *notifier) error {
	confs := map[string]*keepalivedconf.Instance{}
	for _, in := range cfg.Instances {
		confs[in.Name] = in
	}
	out := make([]jsonInstance, 0, len(snap.Instances))
	for _, in := range snap.Instances {
		var j jsonInstance
		d := &j.Data
		d.Iname, d.IfpIfname, d.VRID = in.Name, in.Interface, in.VRID
		d.BasePriority, d.EffectivePriority = in.BasePriority, in.Priority
		d.VIPSet, d.AdverInt, d.Version = in.VIPsSet, in.AdvertInt.Seconds(), in.Version
		d.State = stateNumber(in.State)
		d.WantState = d.State
		d.VIPs = []string{}
		if conf := confs[in.Name]; conf != nil {
			d.NoPreempt = conf.NoPreempt
			for _, v := range conf.VIPs {
				d.VIPs = append(d.VIPs, vipText(v, in))
			}
		}
		if nt != nil {
			c := nt.instanceCounts(in.Name, false)
			if !c.lastTransition.IsZero() {
				d.LastTransition = float64(c.lastTransition.UnixMicro()) / 1e6
			}
			j.Stats.BecomeMaster, j.Stats.ReleaseMaster = c.becameMaster, c.releasedMaster
			generic, _, smtp := nt.scriptText(false, in.Name)
			d.SMTPAlert = smtp
			if i := bytes.Index([]byte(generic), []byte(", uid:gid")); i >= 0 {
				generic = generic[:i]
			}
			d.Script = generic
		}
		out = append(out, j)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	// keepalived's JSON writer escapes "/".
	b = bytes.ReplaceAll(b, []byte("/"), []byte(`\/`))
	_, err = w.Write(b)
	return err
}

// logCheckData logs the healthcheck child's data dump line by line, as
// keepalived -d does at start.
func logCheckData(logf func(string, ...any), cfg *keepalivedconf.Config, rt *vsRuntime) {
	var b bytes.Buffer
	writeCheckData(&b, cfg, rt.services(), rt.snapshot(), rt.serviceStates(), rt.reloadedSet())
	for _, l := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		logf("%s", l)
	}
}

// lvsVersion is what keepalived 2.2.7 prints as the LVS version it was
// built with ("System is compiled with LVS v1.2.1").
const lvsVersion = "1.2.1"

// writeCheckData writes the healthcheck child's data dump (SIGUSR1,
// /tmp/keepalived_check.data): the global definitions, then keepalived's
// LVS topology with each virtual server's and real server's settings and
// live state (alive, weight, failed checkers, in the table). The checkers
// queue section keepalived appends is not written.
func writeCheckData(w io.Writer, cfg *keepalivedconf.Config, svcs []*lvs.Service, live []lvs.DestState, vstates []lvs.ServiceState, reloaded map[*lvs.Service]bool) {
	writeGlobalDefs(w, cfg, nil)
	if len(svcs) == 0 {
		return
	}
	byDest := map[*lvs.Dest]lvs.DestState{}
	for _, d := range live {
		byDest[d.Dest] = d
	}
	byVS := map[*lvs.Service]lvs.ServiceState{}
	for _, v := range vstates {
		byVS[v.Service] = v
	}
	secs := func(d time.Duration) string { return fmt.Sprintf("%f", d.Seconds()) }
	en := func(b bool) string { return onOff(b, "enabled", "disabled") }
	b01 := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	fmt.Fprintln(w, "------< LVS Topology >------")
	fmt.Fprintf(w, " System is compiled with LVS v%s\n", lvsVersion)
	for _, s := range svcs {
		fmt.Fprintln(w, " ------< Virtual server >------")
		switch {
		case s.Group != "":
			fmt.Fprintf(w, " VS GROUP = %s\n", s)
		case s.Fwmark != 0:
			fmt.Fprintf(w, " VS FWMARK = %d\n", s.Fwmark)
		case len(s.Addrs) > 0:
			fmt.Fprintf(w, " VS VIP = %s, VPORT = %d\n", s.Addrs[0].Addr(), s.Addrs[0].Port())
		}
		if s.VirtualHost != "" {
			fmt.Fprintf(w, "   VirtualHost = %s\n", s.VirtualHost)
		}
		if len(s.Addrs) > 0 {
			fmt.Fprintf(w, "   Address family = inet%s\n", onOff(s.Addrs[0].Addr().Is6(), "6", ""))
		}
		fmt.Fprintf(w, "   connection timeout = %s\n", secs(s.ConnectTimeout))
		fmt.Fprintf(w, "   delay_loop = %s\n", secs(s.DelayLoop))
		fmt.Fprintf(w, "   lvs_sched = %s\n", s.Algo)
		fmt.Fprintf(w, "   Hashed = disabled\n")
		switch s.Algo {
		case "sh", "mh":
			fmt.Fprintf(w, "   %s-port = %s\n", s.Algo, en(s.Flags[s.Algo+"-port"] || s.Flags["flag-2"]))
			fmt.Fprintf(w, "   %s-fallback = %s\n", s.Algo, en(s.Flags[s.Algo+"-fallback"] || s.Flags["flag-1"]))
		default:
			for i := 1; i <= 3; i++ {
				fmt.Fprintf(w, "   flag-%d = %s\n", i, en(s.Flags[fmt.Sprintf("flag-%d", i)]))
			}
		}
		ops := s.Flags["ops"] || s.Flags["one_packet_scheduling"]
		inactive := ""
		if ops && s.Protocol != "udp" {
			inactive = " (inactive due to not UDP)"
		}
		fmt.Fprintf(w, "   One packet scheduling = %s%s\n", en(ops), inactive)
		if s.Persistence > 0 {
			fmt.Fprintf(w, "   persistence timeout = %d\n", int(s.Persistence/time.Second))
		}
		if s.Granularity.IsValid() {
			fmt.Fprintf(w, "   persistence granularity = %s\n", s.Granularity.Addr())
		}
		fmt.Fprintf(w, "   protocol = %s\n", strings.ToUpper(s.Protocol))
		fmt.Fprintf(w, "   alpha is %s\n", onOff(s.Alpha, "ON", "OFF"))
		fmt.Fprintf(w, "   omega is %s\n", onOff(s.Omega, "ON", "OFF"))
		if s.Retry != nil {
			fmt.Fprintf(w, "   Retry count = %d\n", *s.Retry)
		}
		if s.DelayBeforeRetry != nil {
			fmt.Fprintf(w, "   Retry delay = %s\n", secs(*s.DelayBeforeRetry))
		}
		if s.Warmup != nil {
			fmt.Fprintf(w, "   Warmup = %s\n", secs(*s.Warmup))
		}
		fmt.Fprintf(w, "   Inhibit on failure is %s\n", onOff(s.Inhibit, "ON", "OFF"))
		fmt.Fprintf(w, "   quorum = %d, hysteresis = %d\n", s.Quorum, s.Hysteresis)
		if s.QuorumUp != "" {
			fmt.Fprintf(w, "   Quorum up notify script = %s, uid:gid 0:0\n", s.QuorumUp)
		}
		if s.QuorumDown != "" {
			fmt.Fprintf(w, "   Quorum down notify script = %s, uid:gid 0:0\n", s.QuorumDown)
		}
		if s.HaSuspend {
			fmt.Fprintln(w, "   Using HA suspend")
		}
		fmt.Fprintf(w, "   Using smtp notification = %s\n", onOff(s.SmtpAlert, "yes", "no"))
		fmt.Fprintf(w, "   default forwarding method = %s\n", s.Kind)
		if s.Sorry != nil {
			fmt.Fprintf(w, "   sorry server = %s\n", s.FmtDest(s.Sorry))
			fmt.Fprintf(w, "   sorry server forwarding method = %s\n", s.Sorry.Kind)
		}
		vst := byVS[s]
		fmt.Fprintf(w, "   alive = %d\n", b01(vst.Alive > 0))
		fmt.Fprintf(w, "   quorum_state_up = %d\n", b01(vst.QuorumUp))
		fmt.Fprintf(w, "   reloaded = %d\n", b01(reloaded[s]))
		for _, d := range s.Reals {
			st := byDest[d]
			fmt.Fprintln(w, "   ------< Real server >------")
			fmt.Fprintf(w, "   RIP = %s, RPORT = %d, WEIGHT = %d\n", d.Addr.Addr(), d.Addr.Port(), st.Weight)
			fmt.Fprintf(w, "   forwarding method = %s\n", d.Kind)
			alpha, ct, dl := false, s.ConnectTimeout, s.DelayLoop
			if len(d.Checkers) > 0 {
				alpha, ct, dl = d.Checkers[0].Alpha, d.Checkers[0].ConnectTimeout, d.Checkers[0].DelayLoop
			}
			fmt.Fprintf(w, "   Alpha is %s\n", onOff(alpha, "ON", "OFF"))
			fmt.Fprintf(w, "   connection timeout = %s\n", secs(ct))
			fmt.Fprintf(w, "   connection limit range = %d -> %d\n", d.LThreshold, d.UThreshold)
			fmt.Fprintf(w, "   Delay loop = %s\n", secs(dl))
			fmt.Fprintf(w, "   Inhibit on failure is %s\n", onOff(d.Inhibit, "ON", "OFF"))
			if d.NotifyUp != "" {
				fmt.Fprintf(w, "     RS up notify script = %s, uid:gid 0:0\n", d.NotifyUp)
			}
			if d.NotifyDown != "" {
				fmt.Fprintf(w, "     RS down notify script = %s, uid:gid 0:0\n", d.NotifyDown)
			}
			fmt.Fprintf(w, "   Using smtp notification = %s\n", onOff(d.SmtpAlert, "yes", "no"))
			fmt.Fprintf(w, "   initial weight = %d\n", d.Weight)
			fmt.Fprintf(w, "   previous weight = %d\n", d.Weight)
			fmt.Fprintf(w, "   alive = %d\n", b01(st.Alive))
			fmt.Fprintf(w, "   num failed checkers = %d\n", st.Failed)
			fmt.Fprintf(w, "   RS set = %d\n", b01(st.InTable))
			fmt.Fprintf(w, "   reloaded = %d\n", b01(reloaded[s]))
		}
	}
}
