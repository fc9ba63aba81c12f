package proxy

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/stats"
)

// cliHelp lists the runtime API commands gohaproxy answers, in haproxy
// 2.6's words and order ("help" prints them; haproxy lists more).
var cliHelp = [][2]string{
	{"clear counters [all]", "clear max statistics counters (or all counters)"},
	{"disable server (DEPRECATED)", "disable a server for maintenance (use 'set server' instead)"},
	{"enable server  (DEPRECATED)", "enable a disabled server (use 'set server' instead)"},
	{"get weight <bk>/<srv>", "report a server's current weight"},
	{"operator", "lower the level of the current CLI session to operator"},
	{"set maxconn frontend <frontend> <value>", "change a frontend's maxconn setting"},
	{"set maxconn global <value>", "change the per-process maxconn setting"},
	{"set maxconn server <bk>/<srv>", "change a server's maxconn setting"},
	{"set server <bk>/<srv> [opts]", "change a server's state, weight, address or ssl"},
	{"set weight <bk>/<srv>  (DEPRECATED)", "change a server's weight (use 'set server' instead)"},
	{"show backend", "list backends in the current running config"},
	{"show cli level", "display the level of the current CLI session"},
	{"show errors [<px>] [request|response]", "report last request and/or response errors for each proxy"},
	{"show info [desc|json|typed|float]*", "report information about the running process"},
	{"show servers state [<backend>]", "dump volatile server information (all or for a single backend)"},
	{"show sess [id]", "report the list of current sessions or dump this exact session"},
	{"show stat [desc|json|no-maint|typed|up]*", "report counters for each proxy and server"},
	{"show table <table> [<filter>]*", "report table usage stats or dump this table's contents (filter: data/key)"},
	{"show version", "show version of the current process"},
	{"shutdown session [id]", "kill a specific session"},
	{"shutdown sessions server <bk>/<srv>", "kill sessions on a server"},
	{"user", "lower the level of the current CLI session to user"},
}

// cliHelpTail ends every help list.
var cliHelpTail = [][2]string{
	{"help [<command>]", "list matching or all commands"},
	{"prompt", "toggle interactive mode with prompt"},
	{"quit", "disconnect"},
}

func appendHelp(dst []byte, unknown bool, words []string) []byte {
	switch {
	case unknown && words != nil:
		// an empty command
		dst = append(dst, "Unknown command. Please enter one of the following commands only:\n"...)
		words = nil
	case unknown:
		dst = append(dst, "Unknown command, but maybe one of the following ones is a better match:\n"...)
	default:
		dst = append(dst, "The following commands are valid at this level:\n"...)
	}
	match := func(usage string) bool {
		f := strings.Fields(usage)
		for i, w := range words {
			if i >= len(f) || f[i] != w {
				return false
			}
		}
		return true
	}
	for _, h := range cliHelp {
		if unknown || match(h[0]) {
			dst = fmt.Appendf(dst, "  %-40s: %s\n", h[0], h[1])
		}
	}
	for _, h := range cliHelpTail {
		dst = fmt.Appendf(dst, "  %-40s: %s\n", h[0], h[1])
	}
	return append(dst, '\n')
}

// cliCommand answers one command, appending to out; stop ends the
// connection ("quit").
func (rt *Runtime) cliCommand(out []byte, s *cliSession, cmd string) ([]byte, bool) {
	args := strings.Fields(cmd)
	if len(args) == 0 {
		if s.interactive {
			return out, false
		}
		return appendHelp(out, true, []string{}), false
	}
	deny := func(need int) bool { return s.level < need }
	denied := append(out, "Permission denied\n\n"...)
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	if o, ok := rt.cliSessCommand(out, s, args); ok {
		return o, false // cli_sess.go
	}
	switch {
	case args[0] == "quit":
		return out, true
	case args[0] == "prompt":
		s.interactive = !s.interactive
		return append(out, '\n'), false
	case args[0] == "help":
		return appendHelp(out, false, args[1:]), false
	case args[0] == "operator" || args[0] == "user":
		want := levelUser
		if args[0] == "operator" {
			want = levelOperator
		}
		if want < s.level {
			s.level = want
		} else if want > s.level {
			return denied, false
		}
		return append(out, '\n'), false
	case args[0] == "show" && arg(1) == "cli" && arg(2) == "level":
		return append(append(out, cliLevelNames[s.level]...), '\n', '\n'), false
	case args[0] == "show" && arg(1) == "version":
		return append(append(out, haproxycfg.Version...), '\n', '\n'), false
	case args[0] == "show" && (arg(1) == "info" || arg(1) == "stat"):
		o, _ := stats.Answer(out, strings.Join(args, " "), rt.statsSnapshot)
		return o, false
	case args[0] == "show" && arg(1) == "backend":
		out = append(out, "# name\n"...)
		for _, name := range rt.backendOrder {
			out = append(append(out, name...), '\n')
		}
		return append(out, '\n'), false
	case args[0] == "show" && arg(1) == "servers" && arg(2) == "state":
		return rt.showServersState(out, arg(3)), false
	case args[0] == "show" && arg(1) == "errors":
		if deny(levelOperator) {
			return denied, false
		}
		// gohaproxy keeps no captures of invalid messages: none to show
		out = fmt.Appendf(out, "Total events captured on [%s] : 0\n", time.Now().Format("02/Jan/2006:15:04:05.000"))
		return append(out, '\n'), false
	case args[0] == "show" && arg(1) == "table" && len(args) == 2:
		return append(out, '\n'), false // no stick tables
	case args[0] == "get" && arg(1) == "weight":
		be, srv, msg := rt.findServer(arg(2))
		if msg != "" {
			return append(out, msg...), false
		}
		_ = be
		return fmt.Appendf(out, "%d (initial %d)\n\n", srv.effectiveWeight(), srv.weight), false
	case args[0] == "set" && arg(1) == "weight":
		if deny(levelAdmin) {
			return denied, false
		}
		be, srv, msg := rt.findServer(arg(2))
		if msg != "" {
			return append(out, msg...), false
		}
		return append(out, rt.cliSetWeight(be, srv, arg(3))...), false
	case args[0] == "set" && arg(1) == "server":
		if deny(levelAdmin) {
			return denied, false
		}
		be, srv, msg := rt.findServer(arg(2))
		if msg != "" {
			return append(out, msg...), false
		}
		return append(out, rt.cliSetServer(be, srv, args[3:])...), false
	case (args[0] == "disable" || args[0] == "enable") && arg(1) == "server":
		if deny(levelAdmin) {
			return denied, false
		}
		be, srv, msg := rt.findServer(arg(2))
		if msg != "" {
			return append(out, msg...), false
		}
		state := "maint"
		if args[0] == "enable" {
			state = "ready"
		}
		be.stateMu.Lock()
		rt.setAdminState(be, srv, state)
		be.serverStateChanged(srv)
		be.stateMu.Unlock()
		return append(out, '\n'), false
	case args[0] == "set" && arg(1) == "maxconn":
		if deny(levelAdmin) {
			return denied, false
		}
		if arg(2) != "server" {
			return appendHelp(out, true, nil), false
		}
		be, srv, msg := rt.findServer(arg(3))
		if msg != "" {
			return append(out, msg...), false
		}
		n, err := strconv.Atoi(arg(4))
		if err != nil || n < 0 {
			return append(out, "'set maxconn server' expects an integer argument.\n\n"...), false
		}
		be.setServerMaxconn(srv, n)
		return append(out, '\n'), false
	case args[0] == "clear" && arg(1) == "counters":
		all := arg(2) == "all"
		if deny(levelOperator) || all && deny(levelAdmin) {
			return denied, false
		}
		rt.clearCounters(all)
		return append(out, '\n'), false
	}
	return appendHelp(out, true, nil), false
}

// findServer resolves "backend/server" with haproxy's messages.
func (rt *Runtime) findServer(ref string) (*backend, *server, string) {
	bname, sname, ok := strings.Cut(ref, "/")
	if !ok {
		return nil, nil, "Require 'backend/server'.\n\n"
	}
	be := rt.backends[bname]
	if be == nil {
		return nil, nil, "No such backend.\n\n"
	}
	for _, s := range be.servers {
		if s.name == sname {
			return be, s, ""
		}
	}
	return nil, nil, "No such server.\n\n"
}

// cliSetWeight applies "set weight" / "set server ... weight": an
// absolute weight (0-256) or a percentage of the initial weight.
func (rt *Runtime) cliSetWeight(be *backend, srv *server, v string) string {
	if v == "" {
		return "Require <weight> or <weight%>.\n\n"
	}
	pct := strings.HasSuffix(v, "%")
	n, err := strconv.Atoi(strings.TrimSuffix(v, "%"))
	if err != nil || n < 0 {
		return "Empty weight string empty or preceded by garbage\n"
	}
	w := n
	if pct {
		w = srv.weight * n / 100
		if w > 256 {
			w = 256
		}
	} else if n > 256 {
		return "Absolute weight can only be between 0 and 256 inclusive.\n\n"
	}
	be.stateMu.Lock()
	defer be.stateMu.Unlock()
	srv.agentWeight.Store(int32(w))
	be.picker.algo.SetWeight(be.picker.toB[srv], w)
	be.serverStateChanged(srv)
	return "\n"
}

// cliSetServer applies "set server BE/SRV ...".
func (rt *Runtime) cliSetServer(be *backend, srv *server, args []string) string {
	const usage = "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n\n"
	if len(args) == 0 {
		return usage
	}
	switch args[0] {
	case "state":
		st := ""
		if len(args) > 1 {
			st = args[1]
		}
		switch st {
		case "ready", "drain", "maint":
		default:
			return "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n"
		}
		be.stateMu.Lock()
		rt.setAdminState(be, srv, st)
		be.serverStateChanged(srv)
		be.stateMu.Unlock()
		return "\n"
	case "weight":
		v := ""
		if len(args) > 1 {
			v = args[1]
		}
		return rt.cliSetWeight(be, srv, v)
	case "addr", "agent", "agent-addr", "agent-port", "agent-send", "check-addr", "check-port", "health":
		reply, _ := rt.cliSetServerMore(be, srv, args) // cli_server.go
		return reply
	case "fqdn":
		return "set server <b>/<s> fqdn failed because no resolution is configured.\n\n"
	case "ssl":
		return "'set server <srv> ssl' is not supported by gohaproxy yet; change the configuration and reload.\n\n"
	}
	return usage
}

// clearCounters resets the max counters (haproxy's "clear counters") or
// every counter ("clear counters all").
func (rt *Runtime) clearCounters(all bool) {
	for _, fe := range rt.frontends {
		fe.ctr.clear(all)
	}
	for _, name := range rt.backendOrder {
		be := rt.backends[name]
		be.ctr.clear(all)
		for _, s := range be.servers {
			s.ctr.clear(all)
		}
	}
}

// showServersState answers "show servers state [BACKEND]" in haproxy's
// state file format (version 1).
func (rt *Runtime) showServersState(out []byte, only string) []byte {
	if only != "" && rt.backends[only] == nil {
		return append(out, "Can't find backend.\n\n"...)
	}
	out = append(out, "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n"...)
	now := time.Now()
	for _, p := range rt.stats.base.Proxies {
		be := rt.backends[p.Name]
		if be == nil || !p.Backend || only != "" && p.Name != only {
			continue
		}
		beForced := 0
		if rt.stats.forced[p.Name] {
			beForced = 1
		}
		for i, srv := range be.servers {
			var id int
			for _, sv := range p.Servers {
				if sv.Name == srv.name {
					id = sv.ID
				}
			}
			_ = i
			host, port, _ := net.SplitHostPort(srv.currentAddr())
			if port == "" {
				port = "0"
			}
			op := 2 // running
			if srv.down.Load() || srv.maint.Load() {
				op = 0
			} else if srv.stopping.Load() {
				op = 3
			}
			admin := 0
			if srv.maint.Load() {
				admin |= 0x01
			}
			if srv.drain.Load() {
				admin |= 0x08
			}
			chkStatus, chkResult, chkState := srv.view.stateFileCheck(srv.check != nil)
			health := srv.view.healthValue()
			_, _, lastChg, _ := srv.view.history(now)
			srvForced := 0
			if srv.id > 0 {
				srvForced = 1
			}
			a := srv.addrs()
			agentState := 0
			if srv.agent != nil {
				agentState = 0x16 // haproxy's CHK_ST_CONFIGURED|ENABLED|AGENT
			}
			chkAddr, agAddr := dashIfEmpty(a.chkHost), dashIfEmpty(a.agHost)
			out = fmt.Appendf(out, "%d %s %d %s %s %d %d %d %d %d %d %d %d %d %d %d %d - %s - 0 %d %s %s %d\n",
				p.ID, p.Name, id, srv.name, host, op, admin, srv.effectiveWeight(), srv.weight, lastChg,
				chkStatus, chkResult, health, chkState, agentState, beForced, srvForced, port, a.chkPort, chkAddr, agAddr, a.agPort)
		}
	}
	return append(out, '\n')
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
