package proxy

import (
	"github.com/gohaproxy/gohaproxy/pkg/proxy/forward"
)

// pipeTimeouts are the inactivity limits of a TCP session (or an HTTP
// tunnel) between fe and be: haproxy takes the client side's from the
// frontend and the server side's from the backend.
func pipeTimeouts(fe *frontend, be *backend) forward.Timeouts {
	return forward.Timeouts{Client: fe.client, Server: be.server, Tunnel: be.tunnel,
		ClientFin: fe.clientFin, ServerFin: be.serverFin}
}
