package proxy

import (
	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/forward"
)

// pipeTimeouts are the inactivity limits of a TCP session (or an HTTP
// tunnel) between fe and be: haproxy takes the client side's from the
// frontend and the server side's from the backend.
func pipeTimeouts(fe *frontend, be *backend) forward.Timeouts {
	return forward.Timeouts{Client: fe.client, Server: be.server, Tunnel: be.tunnel,
		ClientFin: fe.clientFin, ServerFin: be.serverFin}
}

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
	return errs
}
