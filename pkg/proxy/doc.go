// Package proxy is gohaproxy's run time: it turns a validated
// haproxycfg.Config into listeners, frontends, backends and servers, and
// moves traffic between them.
//
// This first stage serves "mode tcp" proxies: bind lines, default_backend
// and unconditional use_backend, servers with weights, backup servers and
// maxconn, round-robin style balancing, connect retries and redispatch, and
// haproxy's timeouts. Anything the configuration asks for that the run time
// does not do yet is refused by New with the file:line of the keyword, so a
// configuration never runs with a part of it silently ignored.
package proxy
