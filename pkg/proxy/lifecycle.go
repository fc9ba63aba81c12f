package proxy

import (
	"fmt"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// unsupportedLifecycle refuses the process-lifecycle settings the run time
// does not apply yet, rather than ignoring them silently. The global
// section's settings carry no line of their own in the parsed model, so the
// refusal points at the "global" line.
func unsupportedLifecycle(cfg *haproxycfg.Config) []error {
	var errs []error
	g := cfg.Global
	refuse := func(set bool, what string) {
		if set {
			errs = append(errs, &UnsupportedError{g.Pos, "global '" + what + "'"})
		}
	}
	refuse(g.UlimitN != 0, "ulimit-n")
	refuse(g.User != "", "user")
	refuse(g.Group != "", "group")
	refuse(g.UID != 0, "uid")
	refuse(g.GID != 0, "gid")
	refuse(g.Chroot != "", "chroot")
	for _, px := range cfg.Proxies {
		if px.Disabled {
			continue
		}
		if px.Timeouts.ClientFin != 0 {
			errs = append(errs, &UnsupportedError{px.Pos, fmt.Sprintf("'timeout client-fin' (%s '%s')", px.Kind, px.Name)})
		}
		if px.Timeouts.ServerFin != 0 {
			errs = append(errs, &UnsupportedError{px.Pos, fmt.Sprintf("'timeout server-fin' (%s '%s')", px.Kind, px.Name)})
		}
	}
	return errs
}
