package healthcheck

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// AgentReply is one line of an agent-check answer, split as haproxy 2.6
// reads it: words separated by spaces, tabs or commas, then an optional
// description after '#'.
type AgentReply struct {
	// Health is the last of "up", "down", "stopped", "fail" (lower
	// case), or "".
	Health string
	// Admin is the last of "ready", "drain", "maint", or "".
	Admin string
	// Weight is the last "NN%" word, or "".
	Weight string
	// Maxconn is the value of the last "maxconn:N" word, or "".
	Maxconn string
	// HasMaxconn says that a "maxconn:" word came (maybe empty).
	HasMaxconn bool
	// Err is the first word that means nothing to haproxy.
	Err string
	// Desc is the text after '#'.
	Desc string
}

// ParseAgentReply reads one agent line (without its newline).
func ParseAgentReply(line string) AgentReply {
	var a AgentReply
	i := 0
	for i < len(line) {
		c := line[i]
		if c == ' ' || c == '\t' || c == ',' {
			i++
			continue
		}
		if c == '#' {
			i++
			for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
				i++
			}
			a.Desc = strings.TrimLeft(line[i:], " \n")
			return a
		}
		j := i + 1
		for j < len(line) && line[j] != ' ' && line[j] != '\t' && line[j] != '\n' && line[j] != ',' {
			j++
		}
		w := line[i:j]
		switch lw := strings.ToLower(w); {
		case lw == "up" || lw == "down" || lw == "stopped" || lw == "fail":
			a.Health = w
		case lw == "ready" || lw == "drain" || lw == "maint":
			a.Admin = lw
		case w[0] >= '0' && w[0] <= '9' && strings.Contains(w, "%"):
			a.Weight = w
		case strings.HasPrefix(lw, "maxconn:"):
			a.Maxconn, a.HasMaxconn = w[len("maxconn:"):], true
		default:
			if a.Err == "" {
				a.Err = w
			}
		}
		i = j + 1
	}
	return a
}

// AgentMaxconn reads the value of an agent's "maxconn:" word as haproxy
// 2.6 does (strtol: blanks and a sign allowed, nothing after the digits);
// msg is haproxy's warning when the value is refused.
func AgentMaxconn(v string) (n int, msg string) {
	if v == "" {
		return 0, "Require <maxconn>.\n"
	}
	i := 0
	for i < len(v) && (v[i] == ' ' || (v[i] >= '\t' && v[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(v) && (v[i] == '+' || v[i] == '-') {
		neg = v[i] == '-'
		i++
	}
	start := i
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		if n < 1<<31 {
			n = n*10 + int(v[i]-'0')
		}
		i++
	}
	if i == start {
		return 0, "maxconn string empty or preceded by garbage"
	}
	if i != len(v) {
		return 0, "Trailing garbage in maxconn string"
	}
	if neg {
		// no limit below zero exists here: taken as 0 (no limit)
		n = 0
	}
	return n, ""
}

// WeightPercent returns the percentage of a "NN%" word, as haproxy's
// weight change request reads it (digits up to the '%').
func WeightPercent(w string) (int, bool) {
	n := 0
	i := 0
	for i < len(w) && w[i] >= '0' && w[i] <= '9' {
		n = n*10 + int(w[i]-'0')
		if n > 1<<20 {
			return 0, false
		}
		i++
	}
	if i == 0 || i >= len(w) || w[i] != '%' {
		return 0, false
	}
	return n, true
}

// AgentProbe connects to a server's agent, sends Send and reads one line.
// The line is returned in Result.Info with OK set; a connection failure
// or an incomplete line gives OK=false (haproxy then changes nothing).
type AgentProbe struct {
	Send string
}

// Run implements checks.Probe.
func (p *AgentProbe) Run(ctx context.Context, t checks.Target) checks.Result {
	start := time.Now()
	out := p.run(ctx, t)
	out.Duration = time.Since(start)
	return out
}

func (p *AgentProbe) run(ctx context.Context, t checks.Target) checks.Result {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", t.Addr)
	if err != nil {
		return res(false, checks.StatusL4CON, 0, errnoText(err))
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	if p.Send != "" {
		if _, err := c.Write([]byte(p.Send)); err != nil {
			return res(false, checks.StatusSOCKERR, 0, errnoText(err))
		}
	}
	var buf []byte
	tmp := make([]byte, 1024)
	for len(buf) < 16384 {
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		// the line ends at the first CR or LF
		if i := bytes.IndexAny(buf, "\r\n"); i >= 0 {
			return res(true, checks.StatusL7OK, 0, string(buf[:i]))
		}
		if err != nil {
			break
		}
	}
	return res(false, checks.StatusL7RSP, 0, "Ignoring incomplete line from agent")
}

// AgentSpec is the agent check of a server.
type AgentSpec struct {
	Addr  string
	Inter time.Duration
	Probe *AgentProbe
}

// BuildAgent translates agent-check, agent-port, agent-addr, agent-inter
// and agent-send; nil when the server has no agent check.
func BuildAgent(px *haproxycfg.Proxy, s *haproxycfg.Server, inter time.Duration) (*AgentSpec, error) {
	if _, ok := s.Options["agent-check"]; !ok {
		return nil, nil
	}
	a := &AgentSpec{Inter: inter, Probe: &AgentProbe{}}
	v, ok := s.Options["agent-port"]
	if !ok || len(v) == 0 {
		return nil, &UnsupportedError{s.Pos, "'agent-check' without 'agent-port'"}
	}
	port, err := strconv.Atoi(v[0])
	if err != nil || port <= 0 || port > 65535 {
		return nil, &UnsupportedError{s.Pos, "server option 'agent-port " + v[0] + "'"}
	}
	// "addr" moves the agent too; "agent-addr" moves only the agent
	host := s.Addr.Host
	if v, ok := s.Options["addr"]; ok && len(v) > 0 {
		host = v[0]
	}
	if v, ok := s.Options["agent-addr"]; ok && len(v) > 0 {
		host = v[0]
	}
	if v, ok := s.Options["agent-inter"]; ok && len(v) > 0 {
		d, err := parseTime(v[0])
		if err != nil || d <= 0 {
			return nil, &UnsupportedError{s.Pos, "server option 'agent-inter " + v[0] + "'"}
		}
		a.Inter = d
	}
	if v, ok := s.Options["agent-send"]; ok && len(v) > 0 {
		a.Probe.Send = v[0]
	}
	a.Addr = net.JoinHostPort(host, strconv.Itoa(port))
	return a, nil
}
