package stats

import (
	"net"
	"strconv"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// FromConfig builds the static part of a snapshot from a configuration:
// proxies and servers with haproxy's ids (explicit "id" values kept, the
// others numbered from the lowest free id; with a "stats socket" id 1 is
// the CLI's own proxy), modes, algorithms, cookies, addresses, weights and
// limits. maxconn is the process's effective maxconn (the frontends'
// default slim). The runtime copies the result and fills the counters and
// states.
func FromConfig(cfg *haproxycfg.Config, maxconn int) Snapshot {
	var s Snapshot
	used := map[int]bool{}
	if cfg.Global != nil && len(cfg.Global.StatsSocket) > 0 {
		used[1] = true
	}
	for _, p := range cfg.Proxies {
		if p.ID > 0 {
			used[p.ID] = true
		}
	}
	next := 1
	nextID := func(used map[int]bool) int {
		for used[next] {
			next++
		}
		used[next] = true
		return next
	}
	for _, p := range cfg.Proxies {
		px := Proxy{Name: p.Name, ID: p.ID, Mode: string(p.Mode), Desc: p.Desc}
		if px.ID == 0 {
			px.ID = nextID(used)
		}
		if px.Mode == "" {
			px.Mode = "tcp"
		}
		px.Frontend = p.Kind == haproxycfg.KindFrontend || p.Kind == haproxycfg.KindListen
		px.Backend = p.Kind == haproxycfg.KindBackend || p.Kind == haproxycfg.KindListen
		px.Stopped = p.Disabled
		feLimit := int64(p.Maxconn)
		if feLimit == 0 {
			feLimit = int64(maxconn)
		}
		px.FE = Counters{Limit: feLimit, LastSess: -1}
		full := int64(p.Fullconn)
		if full == 0 {
			// haproxy: 10% of the sum of the maxconn of the frontends
			// that can use this backend, at least 1.
			var sum int64
			for _, f := range cfg.Proxies {
				if f.Kind != haproxycfg.KindFrontend && f.Kind != haproxycfg.KindListen {
					continue
				}
				if reaches(f, p.Name) {
					if f.Maxconn > 0 {
						sum += int64(f.Maxconn)
					} else {
						sum += int64(maxconn)
					}
				}
			}
			full = (sum + 9) / 10
			if full < 1 {
				full = 1
			}
		}
		px.BE = Counters{Limit: full, LastSess: -1}
		px.Algo = "roundrobin"
		if p.Balance != nil && p.Balance.Algorithm != "" {
			px.Algo = p.Balance.Algorithm
		}
		if p.Cookie != nil && len(p.Cookie.Args) > 1 {
			px.Cookie = p.Cookie.Args[1]
		}
		svUsed := map[int]bool{}
		for _, sv := range p.Servers {
			if v := sv.Options["id"]; len(v) > 0 {
				if n, err := strconv.Atoi(v[0]); err == nil {
					svUsed[n] = true
				}
			}
		}
		svNext := 1
		for _, sv := range p.Servers {
			id := 0
			if v := sv.Options["id"]; len(v) > 0 {
				id, _ = strconv.Atoi(v[0])
			}
			if id == 0 {
				for svUsed[svNext] {
					svNext++
				}
				id = svNext
				svUsed[id] = true
			}
			w := int64(sv.Weight)
			st := Server{Name: sv.Name, ID: id, Addr: serverAddr(sv.Addr), Weight: w, UWeight: w, Backup: sv.Backup,
				MaxQueue: int64(sv.Maxqueue), Status: "no check", Throttle: -1, Counters: Counters{LastSess: -1}}
			if sv.Disabled {
				st.Status = "MAINT"
			}
			if v := sv.Options["cookie"]; len(v) > 0 {
				st.Cookie = v[0]
			}
			px.Servers = append(px.Servers, st)
		}
		s.Proxies = append(s.Proxies, px)
	}
	return s
}

func serverAddr(a haproxycfg.Address) string {
	switch a.Family {
	case haproxycfg.FamilyUnix, haproxycfg.FamilyAbstract:
		return "unix"
	case haproxycfg.FamilyNone:
		return ""
	}
	port := 0
	if a.HasPort {
		port = a.PortLow
	}
	return net.JoinHostPort(a.Host, strconv.Itoa(port))
}

// reaches reports whether frontend f may send traffic to backend name.
func reaches(f *haproxycfg.Proxy, name string) bool {
	if f.Name == name && f.Kind == haproxycfg.KindListen {
		return true
	}
	if f.DefaultBackend != nil && !f.DefaultBackend.Dynamic && f.DefaultBackend.Name == name {
		return true
	}
	for _, u := range f.UseBackends {
		if !u.Dynamic && u.Name == name {
			return true
		}
	}
	return false
}
