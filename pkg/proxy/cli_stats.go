package proxy

import (
	"os"
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
	// forced: the proxies whose id is set in the configuration
	forced map[string]bool
}

func newStatsView(cfg *haproxycfg.Config, maxconn int) statsView {
	v := statsView{base: stats.FromConfig(cfg, maxconn), start: time.Now(), forced: map[string]bool{}}
	for _, px := range cfg.Proxies {
		if px.ID > 0 {
			v.forced[px.Name] = true
		}
	}
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
				if m := fe.slots.max.Load(); m != unlimited {
					p.FE.Limit = m // "set maxconn frontend" may have changed it
				}
				curr += p.FE.Cur
			}
		}
		if be := rt.backends[p.Name]; be != nil {
			be.ctr.fill(&p.BE, now)
			_, p.ChkDown, p.LastChange, p.Downtime = be.view.history(now)
			p.BE.Cur = be.q.beconn.Load()
			p.BE.Limit = be.q.fullconn
			be.q.mu.Lock()
			p.BE.QCur = int64(be.q.waiting.Len())
			for j := range p.Servers {
				sv := &p.Servers[j]
				for _, rs := range be.servers {
					if rs.name == sv.Name {
						rs.ctr.fill(&sv.Counters, now)
						rt.fillServerState(sv, rs, now)
						sv.Cur = rs.cur.Load()
						sv.QCur = int64(rs.q.waiting.Len())
					}
				}
			}
			be.q.mu.Unlock()
		}
		s.Proxies[i] = p
	}
	rt.mu.Lock()
	listeners := len(rt.listeners) + len(rt.statsListeners)
	rt.mu.Unlock()
	s.Info = stats.BuildInfo(stats.InfoParams{
		Version: haproxycfg.Version, PID: os.Getpid(), Nbthread: 1,
		Start: rt.stats.start, Now: time.Now(),
		Maxconn: int(rt.globalSlots.max.Load()), HardMaxconn: rt.globalMaxconn,
		UlimitN: rt.limits.UlimitN, Maxsock: rt.limits.Maxsock,
		CurrConns: curr, Node: rt.stats.node, Listeners: int64(listeners), IdlePct: 100,
	})
	return s
}
