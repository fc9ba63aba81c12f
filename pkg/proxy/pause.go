package proxy

import (
	"fmt"

	"github.com/gohaproxy/gohaproxy/pkg/proxy/listener"
)

// Pause stops accepting on every listener, as haproxy does on SIGTTOU:
// TCP clients are refused until Resume. Each proxy that was accepting is
// reported as haproxy reports it ("Paused frontend f.").
func (rt *Runtime) Pause() {
	rt.eachListenerGroup(func(what string, ls []*listener.Listener) {
		changed := false
		for _, l := range ls {
			ok, err := l.Pause()
			if err != nil {
				rt.log.Warn(fmt.Sprintf("Cannot pause %s %s on %s: %v.", what, "listener", l.Address, err))
			}
			changed = changed || ok
		}
		if changed {
			rt.log.Warn(fmt.Sprintf("Paused %s.", what))
		}
	})
}

// Resume accepts again after Pause (haproxy's SIGTTIN).
func (rt *Runtime) Resume() {
	rt.eachListenerGroup(func(what string, ls []*listener.Listener) {
		changed := false
		for _, l := range ls {
			ok, err := l.Resume()
			if err != nil {
				rt.log.Warn(fmt.Sprintf("Cannot resume %s %s on %s: %v.", what, "listener", l.Address, err))
			}
			changed = changed || ok
		}
		if changed {
			rt.log.Warn(fmt.Sprintf("Resumed %s.", what))
		}
	})
}

// eachListenerGroup calls fn with each proxy's listeners in configuration
// order, then the stats sockets' (haproxy's "GLOBAL" frontend), naming them
// as haproxy does: "frontend f", "proxy l" for a listen section.
func (rt *Runtime) eachListenerGroup(fn func(what string, ls []*listener.Listener)) {
	rt.mu.Lock()
	stats := append([]*listener.Listener(nil), rt.statsListeners...)
	rt.mu.Unlock()
	for _, fe := range rt.frontends {
		kind := "frontend"
		if fe.kind == "listen" {
			kind = "proxy"
		}
		fn(kind+" "+fe.name, fe.listeners)
	}
	if len(stats) > 0 {
		fn("frontend GLOBAL", stats)
	}
}
