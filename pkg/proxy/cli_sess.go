package proxy

import (
	"strconv"
	"strings"
	"time"
)

// cliSessCommand answers the runtime API's session and connection limit
// commands: "show sess", "shutdown session", "shutdown sessions server",
// "set maxconn frontend" and "set maxconn global". handled is false for
// any other command.
func (rt *Runtime) cliSessCommand(out []byte, s *cliSession, args []string) (_ []byte, handled bool) {
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	denied := func(need int) bool { return s.level < need }
	const permDenied = "Permission denied\n\n"
	switch {
	case args[0] == "show" && arg(1) == "sess":
		if denied(levelOperator) {
			return append(out, permDenied...), true
		}
		return rt.showSess(out, arg(2)), true
	case args[0] == "shutdown" && arg(1) == "session":
		if denied(levelAdmin) {
			return append(out, permDenied...), true
		}
		if arg(2) == "" {
			return append(out, "Session pointer expected (use 'show sess').\n\n"...), true
		}
		p := parseStreamPtr(arg(2))
		if p == 0 {
			return append(out, "Session pointer expected (use 'show sess').\n\n"...), true
		}
		st := rt.streams.find(p)
		if st == nil {
			return append(out, "No such session (use 'show sess').\n\n"...), true
		}
		st.kill()
		return append(out, '\n'), true
	case args[0] == "shutdown" && arg(1) == "sessions" && arg(2) == "server":
		if denied(levelAdmin) {
			return append(out, permDenied...), true
		}
		_, srv, msg := rt.findServer(arg(3))
		if msg != "" {
			return append(out, msg...), true
		}
		rt.shutdownServerSessions(srv)
		return append(out, '\n'), true
	case args[0] == "set" && arg(1) == "maxconn" && arg(2) == "frontend":
		if denied(levelAdmin) {
			return append(out, permDenied...), true
		}
		return append(out, rt.setMaxconnFrontend(arg(3), arg(4))...), true
	case args[0] == "set" && arg(1) == "maxconn" && arg(2) == "global":
		if denied(levelAdmin) {
			return append(out, permDenied...), true
		}
		return append(out, rt.setMaxconnGlobal(arg(3))...), true
	}
	return out, false
}

// showSess answers "show sess", "show sess all" and "show sess <id>".
func (rt *Runtime) showSess(out []byte, which string) []byte {
	now := time.Now()
	all := rt.streams.all()
	if which == "all" {
		for _, st := range all {
			out = appendShowSessDetail(out, st, now)
		}
		return append(out, '\n')
	}
	if p := parseStreamPtr(which); p != 0 {
		for _, st := range all {
			if st.ptr() == p {
				return append(appendShowSessDetail(out, st, now), '\n')
			}
		}
		return append(out, "Session not found.\n\n"...)
	}
	for _, st := range all {
		out = appendShowSess(out, st, now)
	}
	return append(out, '\n')
}

// findFrontend resolves a frontend by name or "#id" as haproxy's CLI does.
func (rt *Runtime) findFrontend(name string) *frontend {
	if id, ok := strings.CutPrefix(name, "#"); ok {
		n, err := strconv.Atoi(id)
		if err != nil {
			return nil
		}
		for _, p := range rt.stats.base.Proxies {
			if p.ID == n {
				name = p.Name
			}
		}
		if name[0] == '#' {
			return nil
		}
	}
	for _, fe := range rt.frontends {
		if fe.name == name {
			return fe
		}
	}
	return nil
}

// setMaxconnFrontend applies "set maxconn frontend <fe> <n>": new
// connections count against the new limit at once.
func (rt *Runtime) setMaxconnFrontend(name, value string) string {
	if name == "" {
		return "A frontend name is expected.\n\n"
	}
	fe := rt.findFrontend(name)
	if fe == nil {
		return "No such frontend.\n\n"
	}
	if value == "" {
		return "Integer value expected.\n\n"
	}
	n := cAtoi(value)
	if n < 0 {
		return "Value out of range.\n\n"
	}
	fe.slots.setMax(n)
	return "\n"
}

// setMaxconnGlobal applies "set maxconn global <n>": 0 (or anything that
// reads as 0) restores the hard limit the process started with.
func (rt *Runtime) setMaxconnGlobal(value string) string {
	if value == "" {
		return "Expects an integer value.\n\n"
	}
	n := cAtoi(value)
	hard := int64(rt.globalMaxconn)
	if n > hard {
		return "Value out of range.\n\n"
	}
	if n <= 0 {
		n = hard
	}
	rt.globalSlots.setMax(n)
	return "\n"
}

// cAtoi reads a number as C's atoi: optional blanks and sign, then digits
// up to the first other character; anything else reads as 0. Values
// beyond 32 bits wrap as they do in haproxy's int.
func cAtoi(s string) int64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var v int64
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		v = v*10 + int64(s[i]-'0')
		if v > 1<<40 {
			break
		}
	}
	if neg {
		v = -v
	}
	return int64(int32(v))
}
