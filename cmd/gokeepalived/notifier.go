package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/gohaproxy/gohaproxy/pkg/keepalivedconf"
	"github.com/gohaproxy/gohaproxy/pkg/notify"
	"github.com/gohaproxy/gohaproxy/pkg/vrrp"
)

// stateScripts are the notify scripts and the mail switch of one
// vrrp_instance or vrrp_sync_group.
type stateScripts struct {
	byState map[string]*notify.Script // notify_master, notify_backup, ...
	generic *notify.Script            // notify
	smtp    bool
}

// notifyConf is what one configuration asks for on a state change.
type notifyConf struct {
	routerID string
	defUser  *notify.UserID
	inst     map[string]*stateScripts
	group    map[string]*stateScripts
	mailer   *notify.Mailer
	fifos    []*notify.FIFO
	// disabled are the vrrp_scripts keepalived would not run (missing,
	// not executable, or insecure with enable_script_security).
	disabled map[string]bool
	// noEmailFaults is no_email_faults: no mail on entering FAULT.
	noEmailFaults bool
	// stop ends the mailer and the FIFO scripts of this configuration.
	stop context.CancelFunc
}

// notifier turns the Node's state changes into keepalived's notify
// scripts, notify FIFO lines and SMTP alerts. Notify never blocks: scripts
// go to a notify.Runner, mails to a notify.Mailer.
type notifier struct {
	log    *zap.Logger
	runner *notify.Runner

	mu       sync.Mutex
	closed   bool
	cur      *notifyConf
	lastMail map[string]string // "I:name"/"G:name" -> state last mailed
	counts   map[string]*instCounts
}

// instCounts are the per-instance figures of the stats dump that the
// notifications give.
type instCounts struct {
	state          string
	lastTransition time.Time
	becameMaster   int
	releasedMaster int
	// statsBase are the packet counters at the last STATS_CLEAR.
	statsBase vrrp.InstanceStats
}

// scriptCtx is what building scripts needs to know from global_defs.
type scriptCtx struct {
	log      *zap.Logger
	security bool
	defUser  *notify.UserID // nil: the default user could not be set
	// The check messages of each script; keepalived logs them for the
	// last script read first.
	checked []checkedScript
	files   []string
}

type checkedScript struct {
	pos  keepalivedconf.Pos
	msgs []string
}

func (sc *scriptCtx) flush() {
	fileIdx := func(f string) int {
		for i, x := range sc.files {
			if x == f {
				return i
			}
		}
		return -1
	}
	slices.SortStableFunc(sc.checked, func(a, b checkedScript) int {
		if c := cmp.Compare(fileIdx(b.pos.File), fileIdx(a.pos.File)); c != 0 {
			return c
		}
		return cmp.Compare(b.pos.Line, a.pos.Line)
	})
	for _, c := range sc.checked {
		for _, m := range c.msgs {
			sc.log.Info(m)
		}
	}
	sc.checked = nil
}

// newNotifier starts the script runner (owned by ctx) and builds the
// notifications of cfg.
func newNotifier(ctx context.Context, cfg *keepalivedconf.Config, lg *zap.Logger) (*notifier, error) {
	n := &notifier{log: lg, lastMail: map[string]string{}, counts: map[string]*instCounts{}}
	// keepalived logs nothing when a notify script succeeds.
	n.runner = notify.NewRunner(ctx, notify.RunnerConfig{Logger: lg.WithOptions(zap.IncreaseLevel(zap.InfoLevel))})
	c, err := n.build(ctx, cfg, nil)
	if err != nil {
		_ = n.runner.Close(ctx)
		return nil, err
	}
	n.cur = c
	return n, nil
}

// reload replaces the notifications with those of cfg (SIGHUP).
func (n *notifier) reload(ctx context.Context, cfg *keepalivedconf.Config) error {
	// Built under the lock (FIFOs move from the old configuration), but
	// the old mailer drains after it: Notify must not wait for it.
	n.mu.Lock()
	old := n.cur
	c, err := n.build(ctx, cfg, old)
	if err != nil {
		n.mu.Unlock()
		return err
	}
	n.cur = c
	n.mu.Unlock()
	if old != nil {
		old.close(n.log)
	}
	return nil
}

// close delivers the queued mails (bounded), ends the FIFO scripts, then
// waits for the scripts still running (STOP notifications) for at most
// grace.
func (n *notifier) close(grace time.Duration) {
	n.mu.Lock()
	c, closed := n.cur, n.closed
	n.cur, n.closed = nil, true
	n.mu.Unlock()
	if closed {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if c != nil {
		if c.mailer != nil {
			_ = c.mailer.Close(ctx)
		}
		for _, f := range c.fifos {
			_ = f.Close()
		}
	}
	_ = n.runner.Close(ctx)
	if c != nil {
		c.stop()
	}
}

func (c *notifyConf) close(lg *zap.Logger) {
	if c.mailer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = c.mailer.Close(ctx)
		cancel()
	}
	for _, f := range c.fifos {
		if err := f.Close(); err != nil {
			lg.Warn(fmt.Sprintf("closing notify fifo %s: %v", f.Name(), err))
		}
	}
	c.stop()
}

// Notify implements vrrp.Notifier; it is called from the Node loop.
func (n *notifier) Notify(ev vrrp.Notification) {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := n.cur
	if c == nil {
		return
	}
	group := ev.Kind == "GROUP"
	st := notify.State(ev.State)
	if ev.State == vrrp.StateMasterRxLowerPri.String() {
		// A master heard a lower priority advert: only the
		// notify_master_rx_lower_pri script and the FIFOs hear of it.
		if ss := c.inst[ev.Name]; ss != nil && ss.byState[ev.State] != nil {
			_ = n.runner.Run(*ss.byState[ev.State])
		}
		for _, f := range c.fifos {
			_ = f.Instance(ev.Name, st, ev.Priority)
		}
		return
	}
	if !group {
		n.count(ev)
	}
	ss := c.inst[ev.Name]
	if group {
		ss = c.group[ev.Name]
	}
	if ss != nil {
		if s := ss.byState[ev.State]; s != nil {
			_ = n.runner.Run(*s)
		}
		if ss.generic != nil {
			_ = n.runner.Run(*ss.generic, notify.NotifyArgs(ev.Kind, ev.Name, st, ev.Priority)...)
		}
	}
	for _, f := range c.fifos {
		if group {
			_ = f.Group(ev.Name, st)
		} else {
			_ = f.Instance(ev.Name, st, ev.Priority)
		}
	}
	if ss == nil || !ss.smtp || c.mailer == nil || (c.noEmailFaults && st == notify.Fault) {
		return
	}
	key := "I:" + ev.Name
	if group {
		key = "G:" + ev.Name
	}
	if n.lastMail[key] == ev.State {
		return
	}
	var m notify.Mail
	var ok bool
	if group {
		m, ok = notify.VRRPGroupMail(c.routerID, ev.Name, st)
	} else {
		m, ok = notify.VRRPInstanceMail(c.routerID, ev.Name, st)
	}
	if !ok {
		return
	}
	n.lastMail[key] = ev.State
	_ = c.mailer.Send(m)
}

// routerID is the router_id mails carry (the host name by default).
func (n *notifier) routerID() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cur == nil {
		return ""
	}
	return n.cur.routerID
}

// defaultUser is the identity scripts run as when they name none.
func (n *notifier) defaultUser() *notify.UserID {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cur == nil {
		return nil
	}
	return n.cur.defUser
}

func (n *notifier) count(ev vrrp.Notification) {
	ic := n.counts[ev.Name]
	if ic == nil {
		ic = &instCounts{}
		n.counts[ev.Name] = ic
	}
	if ev.State == "MASTER" && ic.state != "MASTER" {
		ic.becameMaster++
	}
	if ev.State != "MASTER" && ic.state == "MASTER" {
		ic.releasedMaster++
	}
	ic.state = ev.State
	ic.lastTransition = time.Now()
}

// instanceCounts returns a copy of the figures of instance name; clear
// resets the master counts afterwards (keepalived's STATS_CLEAR).
func (n *notifier) instanceCounts(name string, clear bool) instCounts {
	n.mu.Lock()
	defer n.mu.Unlock()
	ic := n.counts[name]
	if ic == nil {
		return instCounts{}
	}
	c := *ic
	if clear {
		ic.becameMaster, ic.releasedMaster = 0, 0
	}
	return c
}

// scriptText is how the data dump shows the scripts of an instance or a
// group: keyword -> "'cmd' 'arg', uid:gid U:G".
func (n *notifier) scriptText(group bool, name string) (generic string, byState map[string]string, smtp bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cur == nil {
		return "", nil, false
	}
	ss := n.cur.inst[name]
	if group {
		ss = n.cur.group[name]
	}
	if ss == nil {
		return "", nil, false
	}
	show := func(s *notify.Script) string {
		t := s.String()
		if s.User != nil {
			t += fmt.Sprintf(", uid:gid %d:%d", s.User.UID, s.User.GID)
		}
		return t
	}
	byState = map[string]string{}
	for k, s := range ss.byState {
		byState[k] = show(s)
	}
	if ss.generic != nil {
		generic = show(ss.generic)
	}
	return generic, byState, ss.smtp
}

// build reads the notify keywords of cfg, checks the scripts as keepalived
// does at start-up (logging its lines) and opens the FIFOs and the mailer.
// A FIFO of old with the same path is kept open (with its script) across
// the reload and taken from old.
func (n *notifier) build(parent context.Context, cfg *keepalivedconf.Config, old *notifyConf) (*notifyConf, error) {
	ctx, cancel := context.WithCancel(parent)
	c := &notifyConf{inst: map[string]*stateScripts{}, group: map[string]*stateScripts{}, stop: cancel}
	g := cfg.Global
	c.routerID = g.RouterID
	if c.routerID == "" {
		c.routerID = notify.Hostname()
	}
	sc := &scriptCtx{log: n.log, security: g.EnableScriptSecurity, files: cfg.Files}
	if g.ScriptUser != "" {
		f := strings.Fields(g.ScriptUser)
		grp := ""
		if len(f) > 1 {
			grp = f[1]
		}
		if id, err := notify.LookupUser(f[0], grp); err != nil {
			n.log.Error(err.Error())
		} else {
			sc.defUser = &id
		}
	}
	if sc.defUser == nil {
		if !sc.security && g.ScriptUser == "" && usesScripts(cfg) && !(realHost{}).UserExists(notify.DefaultScriptUserName) {
			n.log.Info(fmt.Sprintf("Script user '%s' does not exist", notify.DefaultScriptUserName))
		}
		id, err := notify.DefaultScriptUser(sc.security && g.ScriptUser == "")
		if err != nil {
			n.log.Error(err.Error())
		} else {
			sc.defUser = &id
		}
	}

	c.disabled = sc.trackScripts(cfg.Scripts)
	c.noEmailFaults = globalSetting(g, "no_email_faults") != nil

	// Global smtp_alert_vrrp, else smtp_alert, gives the default of the
	// instances' and groups' smtp_alert.
	defMail := false
	if s := globalSetting(g, "smtp_alert"); s != nil {
		defMail = boolArg(s)
	}
	if s := globalSetting(g, "smtp_alert_vrrp"); s != nil {
		defMail = boolArg(s)
	}
	for _, sg := range cfg.SyncGroups {
		c.group[sg.Name] = sc.stateScripts(sg.Settings, defMail)
	}
	for _, in := range cfg.Instances {
		c.inst[in.Name] = sc.stateScripts(in.Settings, defMail)
	}

	for _, kind := range []string{"", "vrrp_"} {
		s := globalSetting(g, kind+"notify_fifo")
		if s == nil || s.Arg(0) == "" {
			continue
		}
		if old != nil {
			if i := slices.IndexFunc(old.fifos, func(f *notify.FIFO) bool { return f.Name() == s.Arg(0) }); i >= 0 {
				c.fifos = append(c.fifos, old.fifos[i])
				old.fifos = slices.Delete(old.fifos, i, i+1)
				continue
			}
		}
		var owner *notify.UserID
		if len(s.Args) > 1 {
			id, err := notify.LookupUser(s.Arg(1), s.Arg(2))
			if err != nil {
				n.log.Error(err.Error())
			} else {
				owner = &id
			}
		}
		f, err := notify.OpenFIFO(s.Arg(0), kind, owner, n.log)
		if err != nil {
			n.log.Error(err.Error())
			continue
		}
		c.fifos = append(c.fifos, f)
		if ss := globalSetting(g, kind+"notify_fifo_script"); ss != nil && ss.Arg(0) != "" {
			if script := sc.script(ss); script != nil {
				// The FIFO script reads the FIFO for as long as we run.
				script.Timeout = 100 * 365 * 24 * time.Hour
				_ = n.runner.Run(*script, f.Name())
			}
		}
	}
	c.defUser = sc.defUser
	sc.flush()

	if g.SMTPServer != "" && len(g.NotificationEmail) > 0 {
		port := g.SMTPPort
		if port == 0 {
			port = 25
		}
		from := emailFrom(g)
		mc := notify.MailerConfig{
			Style:   notify.Keepalived,
			Servers: []string{net.JoinHostPort(g.SMTPServer, strconv.Itoa(port))},
			From:    from,
			To:      g.NotificationEmail,
			Logger:  n.log,
		}
		if s := globalSetting(g, "smtp_helo_name"); s != nil {
			mc.HeloName = s.Arg(0)
		}
		if g.SMTPConnectTimeout > 0 {
			mc.Timeout = time.Duration(g.SMTPConnectTimeout) * time.Second
		}
		m, err := notify.NewMailer(ctx, mc)
		if err != nil && !errors.Is(err, notify.ErrNoServer) {
			n.log.Error(err.Error())
		}
		c.mailer = m
	}
	return c, nil
}

// trackScripts checks the vrrp_scripts as keepalived does at start,
// logging its lines, and returns the names of those it disables.
func (sc *scriptCtx) trackScripts(scripts []*keepalivedconf.Script) map[string]bool {
	disabled := map[string]bool{}
	for _, s := range scripts {
		argv, err := notify.SplitCommand(s.Script)
		if err != nil || len(argv) == 0 {
			sc.log.Info(fmt.Sprintf("Disabling track script %s since not found/accessible", s.Name))
			disabled[s.Name] = true
			continue
		}
		id := sc.defUser
		for _, v := range s.Settings {
			if v.Keyword == "user" && v.Arg(0) != "" {
				u, err := notify.LookupUser(v.Arg(0), v.Arg(1))
				if err != nil {
					sc.log.Error(err.Error())
					id = nil
				} else {
					id = &u
				}
			}
		}
		if id == nil {
			continue // the Node reports the user it cannot run as
		}
		chk := notify.CheckScript(argv, *id, sc.security)
		for _, m := range chk.Messages {
			sc.log.Info(m)
		}
		if chk.Verdict != notify.Refused {
			continue
		}
		disabled[s.Name] = true
		insecure := false
		for _, m := range chk.Messages {
			if strings.HasPrefix(m, "Unsafe permissions") {
				insecure = true
			}
		}
		if insecure {
			sc.log.Info(fmt.Sprintf("Disabling track script %s due to insecure", s.Name))
		} else {
			sc.log.Info(fmt.Sprintf("Disabling track script %s since not found/accessible", s.Name))
		}
	}
	return disabled
}

// nodeConfig is cfg without the vrrp_scripts keepalived disables: the
// instances tracking them ignore them, as keepalived's do.
func (n *notifier) nodeConfig(cfg *keepalivedconf.Config) *keepalivedconf.Config {
	n.mu.Lock()
	defer n.mu.Unlock()
	cp := *cfg
	// keepalived runs vrrp_scripts as keepalived_script when that user
	// exists and no script_user is set.
	if cfg.Global.ScriptUser == "" && len(cfg.Scripts) > 0 && (realHost{}).UserExists(notify.DefaultScriptUserName) {
		cp.Global.ScriptUser = notify.DefaultScriptUserName
	}
	if n.cur == nil || len(n.cur.disabled) == 0 {
		return &cp
	}
	cp.Scripts = nil
	for _, s := range cfg.Scripts {
		if !n.cur.disabled[s.Name] {
			cp.Scripts = append(cp.Scripts, s)
		}
	}
	return &cp
}

// stateScripts reads notify_master/backup/fault/stop, notify and
// smtp_alert of an instance or a sync group.
func (sc *scriptCtx) stateScripts(settings []*keepalivedconf.Setting, defMail bool) *stateScripts {
	ss := &stateScripts{byState: map[string]*notify.Script{}, smtp: defMail}
	for _, s := range settings {
		switch s.Keyword {
		case "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify_master_rx_lower_pri":
			if script := sc.script(s); script != nil {
				ss.byState[strings.ToUpper(strings.TrimPrefix(s.Keyword, "notify_"))] = script
			}
		case "notify":
			ss.generic = sc.script(s)
		case "smtp_alert":
			ss.smtp = boolArg(s)
		}
	}
	return ss
}

// script reads `keyword "command line" [user [group]]`, checks it as
// keepalived does and returns nil (after logging why) when it must not run.
func (sc *scriptCtx) script(s *keepalivedconf.Setting) *notify.Script {
	argv, err := notify.SplitCommand(s.Arg(0))
	if err != nil {
		sc.log.Error(fmt.Sprintf("%s: %s: %v - disabling", s.Pos, s.Keyword, err))
		return nil
	}
	if len(argv) == 0 {
		return nil
	}
	id := sc.defUser
	if len(s.Args) > 1 {
		u, err := notify.LookupUser(s.Arg(1), s.Arg(2))
		if err != nil {
			sc.log.Error(err.Error())
			return nil
		}
		id = &u
	}
	if id == nil {
		return nil
	}
	chk := notify.CheckScript(argv, *id, sc.security)
	sc.checked = append(sc.checked, checkedScript{pos: s.Pos, msgs: chk.Messages})
	if chk.Verdict == notify.Refused {
		return nil
	}
	u := *id
	return &notify.Script{Argv: chk.Argv, User: &u}
}

// emailFrom is notification_email_from, by default keepalived's
// "USER@HOST" (the user gokeepalived runs as, the local host name).
func emailFrom(g keepalivedconf.Global) string {
	if g.EmailFrom != "" {
		return g.EmailFrom
	}
	name := "root"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return name + "@" + notify.Hostname()
}

// usesScripts reports whether cfg names any script keepalived runs.
func usesScripts(cfg *keepalivedconf.Config) bool {
	if len(cfg.Scripts) > 0 {
		return true
	}
	scripted := func(ss []*keepalivedconf.Setting) bool {
		for _, s := range ss {
			switch s.Keyword {
			case "notify", "notify_master", "notify_backup", "notify_fault", "notify_stop",
				"notify_master_rx_lower_pri", "notify_fifo_script", "vrrp_notify_fifo_script":
				return true
			}
		}
		return false
	}
	if scripted(cfg.Global.Settings) {
		return true
	}
	for _, in := range cfg.Instances {
		if scripted(in.Settings) {
			return true
		}
	}
	for _, g := range cfg.SyncGroups {
		if scripted(g.Settings) {
			return true
		}
	}
	return false
}

func globalSetting(g keepalivedconf.Global, kw string) *keepalivedconf.Setting {
	var last *keepalivedconf.Setting
	for _, s := range g.Settings {
		if s.Keyword == kw {
			last = s
		}
	}
	return last
}

// boolArg is keepalived's optional boolean: no argument means true.
func boolArg(s *keepalivedconf.Setting) bool {
	switch strings.ToLower(s.Arg(0)) {
	case "off", "false", "no":
		return false
	}
	return true
}

// packetStats returns the packet counters of instance name since the last
// STATS_CLEAR (cur are the Node's counters); clear starts a new period.
func (n *notifier) packetStats(name string, cur vrrp.InstanceStats, clear bool) vrrp.InstanceStats {
	n.mu.Lock()
	defer n.mu.Unlock()
	ic := n.counts[name]
	if ic == nil {
		ic = &instCounts{}
		n.counts[name] = ic
	}
	b := ic.statsBase
	out := vrrp.InstanceStats{
		AdvertRcvd: cur.AdvertRcvd - b.AdvertRcvd, AdvertSent: cur.AdvertSent - b.AdvertSent,
		PacketLenErr: cur.PacketLenErr - b.PacketLenErr, IPTTLErr: cur.IPTTLErr - b.IPTTLErr,
		InvalidTypeRcvd: cur.InvalidTypeRcvd - b.InvalidTypeRcvd, AdvertIntervalErr: cur.AdvertIntervalErr - b.AdvertIntervalErr,
		AddrListErr: cur.AddrListErr - b.AddrListErr, InvalidAuthType: cur.InvalidAuthType - b.InvalidAuthType,
		AuthTypeMismatch: cur.AuthTypeMismatch - b.AuthTypeMismatch, AuthFailure: cur.AuthFailure - b.AuthFailure,
		PriZeroRcvd: cur.PriZeroRcvd - b.PriZeroRcvd, PriZeroSent: cur.PriZeroSent - b.PriZeroSent,
	}
	if clear {
		ic.statsBase = cur
	}
	return out
}
