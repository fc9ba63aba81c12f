package proxy

import (
	"os"
	"strings"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/stats"
)

// statsView is what the runtime API's "show info" and "show stat" need
// besides the live counters: the configuration's proxies and servers with
// haproxy's ids, and the process start.
type statsView struct {
	base  stats.Snapshot
	start time.Time
	node  string
}

func newStatsView(cfg *haproxycfg.Config, maxconn int) statsView {
	v := statsView{base: stats.FromConfig(cfg, maxconn), start: time.Now()}
	v.node, _ = os.Hostname()
	return v
}

// statsSnapshot copies the configuration's view and fills the live
// counters the run time keeps.
func (rt *Runtime) statsSnapshot() *stats.Snapshot {
	base := rt.stats.base
	now := time.Now()
	s := &stats.Snapshot{Proxies: make([]stats.Proxy, len(base.Proxies))}
	var curr int64
	for i, p := range base.Proxies {
		p.Servers = append([]stats.Server(nil), p.Servers...)
		for _, fe := range rt.frontends {
			if fe.name == p.Name {
				fe.ctr.fill(&p.FE, now)
				p.FE.Cur = fe.cur.Load()
				curr += p.FE.Cur
			}
		}
		if be := rt.backends[p.Name]; be != nil {
			be.ctr.fill(&p.BE, now)
			p.BE.Cur = be.q.beconn.Load()
			p.BE.Limit = be.q.fullconn
			be.q.mu.Lock()
			p.BE.QCur = int64(be.q.waiting.Len())
			for j := range p.Servers {
				sv := &p.Servers[j]
				for _, rs := range be.servers {
					if rs.name == sv.Name {
						rs.ctr.fill(&sv.Counters, now)
						sv.Cur = rs.cur.Load()
						sv.QCur = int64(rs.q.waiting.Len())
					}
				}
			}
			be.q.mu.Unlock()
		}
		s.Proxies[i] = p
	}
	rt.fillServerStates(s) // live server states (statspage.go)
	rt.mu.Lock()
	listeners := len(rt.listeners) + len(rt.statsListeners)
	rt.mu.Unlock()
	s.Info = stats.BuildInfo(stats.InfoParams{
		Version: haproxycfg.Version, PID: os.Getpid(), Nbthread: 1,
		Start: rt.stats.start, Now: time.Now(),
		Maxconn: rt.globalMaxconn, HardMaxconn: rt.globalMaxconn,
		CurrConns: curr, Node: rt.stats.node, Listeners: int64(listeners), IdlePct: 100,
	})
	return s
}

// answerCLI answers one line of the stats socket: commands separated by
// ';', each answered in turn.
func (rt *Runtime) answerCLI(line string) []byte {
	var out []byte
	for _, cmd := range strings.Split(line, ";") {
		cmd = strings.TrimSpace(cmd)
		if cmd == "" {
			continue
		}
		var ok bool
		out, ok = stats.Answer(out, cmd, rt.statsSnapshot)
		if !ok {
			out = stats.AppendHelp(out, true)
		}
	}
	return out
}
