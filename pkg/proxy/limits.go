package proxy

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// FDLimits are haproxy 2.6's file descriptor sizing of a configuration:
// the global maxconn (computed from the process's limits when the
// configuration sets none), maxsock, and the RLIMIT_NOFILE the process
// must reach.
type FDLimits struct {
	Maxconn int
	Maxsock int
	// UlimitN is what "show info" reports: "ulimit-n", else Maxsock.
	UlimitN int
	// Target is the file descriptor limit to raise the process to; the
	// limit is never lowered.
	Target int
	// Strict: a failure to raise is fatal (haproxy's default
	// "strict-limits"; "no strict-limits" makes it a warning).
	Strict bool
}

// defaultMaxconn is haproxy's DEFAULT_MAXCONN, the floor of a computed
// maxconn.
const defaultMaxconn = 100

// fdReserve counts the descriptors haproxy sets aside besides two per
// connection: three per thread (poller and wake-up pipe), one per
// listening socket and per checked server, each stats socket's own
// "stats maxconn" (10 by default), and ten more.
func fdReserve(cfg *haproxycfg.Config, nbthread int) int {
	n := 3*nbthread + 10
	for _, px := range cfg.Proxies {
		if px.Disabled {
			continue
		}
		if px.Kind.IsFrontend() {
			for _, b := range px.Binds {
				if b.Addr.PortHigh > b.Addr.PortLow {
					n += b.Addr.PortHigh - b.Addr.PortLow + 1
				} else {
					n++
				}
			}
		}
		if px.Kind.IsBackend() {
			for _, s := range px.Servers {
				if _, ok := s.Options["check"]; ok && !s.Disabled {
					n++
				}
			}
		}
	}
	statsMaxconn := cfg.Global.StatsMaxconn
	if statsMaxconn <= 0 {
		statsMaxconn = 10
	}
	n += len(cfg.Global.StatsSocket) * (1 + statsMaxconn)
	return n
}

// computeFDLimits sizes cfg for a process whose RLIMIT_NOFILE is cur
// (soft) and max (hard), as haproxy 2.6 does at start.
func computeFDLimits(cfg *haproxycfg.Config, cur, max uint64) FDLimits {
	g := cfg.Global
	nbthread := g.Nbthread
	if nbthread <= 0 {
		nbthread = runtime.NumCPU()
	}
	reserve := fdReserve(cfg, nbthread)
	l := FDLimits{Maxconn: g.Maxconn, Strict: true}
	for _, d := range g.Other {
		if len(d.Args) > 1 && d.Args[0] == "no" && d.Args[1] == "strict-limits" {
			l.Strict = false
		}
	}
	if l.Maxconn <= 0 {
		remain := int64(cur)
		if int64(max) > remain {
			remain = int64(max)
		}
		if remain > 1<<30 {
			remain = 1 << 30
		}
		remain -= int64(reserve)
		l.Maxconn = int(remain / 2)
		if l.Maxconn < defaultMaxconn {
			l.Maxconn = defaultMaxconn
		}
	}
	l.Maxsock = 2*l.Maxconn + reserve
	l.UlimitN, l.Target = l.Maxsock, l.Maxsock
	if g.UlimitN > 0 {
		l.UlimitN, l.Target = g.UlimitN, g.UlimitN
	}
	return l
}

// FDLimits returns the file descriptor sizing the runtime was built with.
func (rt *Runtime) FDLimits() FDLimits { return rt.limits }

// RaiseFDLimit raises the process's RLIMIT_NOFILE to l.Target when it is
// lower. The error, when not nil, is haproxy's message; whether it is
// fatal is l.Strict.
func RaiseFDLimit(l FDLimits, progname string) error {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return nil
	}
	if l.Target <= 0 || uint64(l.Target) <= rl.Cur {
		return nil
	}
	want := unix.Rlimit{Cur: uint64(l.Target), Max: rl.Max}
	if want.Max < want.Cur {
		want.Max = want.Cur
	}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &want); err != nil {
		return fmt.Errorf("[%s.main()] Cannot raise FD limit to %d, limit is %d.", progname, l.Target, rl.Cur)
	}
	return nil
}

// processFDLimits reads the process's RLIMIT_NOFILE.
func processFDLimits() (cur, max uint64) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 1024, 1024
	}
	return rl.Cur, rl.Max
}
