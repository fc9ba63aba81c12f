package proxy

import (
	"context"
	"errors"
	"net"
	"time"

	"go.uber.org/zap"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/forward"
)

// frontend accepts connections and hands them to a backend.
type frontend struct {
	name      string
	kind      string
	binds     []*haproxycfg.Bind
	listeners []net.Listener
	backend   *backend
	client    time.Duration
	slots     chan struct{} // maxconn; nil for unlimited
	backlog   int
	maxconn   int
}

func (rt *Runtime) newFrontend(px *haproxycfg.Proxy) (*frontend, error) {
	fe := &frontend{name: px.Name, kind: px.Kind.String(), binds: px.Binds, client: px.Timeouts.Client, backlog: px.Backlog, maxconn: px.Maxconn}
	for _, b := range px.Binds {
		for _, opt := range []string{"ssl", "accept-proxy"} {
			if _, ok := b.Options[opt]; ok {
				return nil, &UnsupportedError{b.Pos, "bind option '" + opt + "'"}
			}
		}
		switch b.Addr.Family {
		case haproxycfg.FamilyIPv4, haproxycfg.FamilyIPv6, haproxycfg.FamilyUnix:
		default:
			return nil, &UnsupportedError{b.Pos, "bind address family '" + string(b.Addr.Family) + "'"}
		}
	}
	for rs, rules := range px.Rules {
		if len(rules) > 0 {
			return nil, &UnsupportedError{rules[0].Pos, "'" + rs + "' rules"}
		}
	}
	for _, ub := range px.UseBackends {
		if ub.Cond != nil || ub.Dynamic {
			return nil, &UnsupportedError{ub.Pos, "conditional or dynamic 'use_backend'"}
		}
	}
	target := ""
	if len(px.UseBackends) > 0 {
		target = px.UseBackends[0].Name
	} else if px.DefaultBackend != nil {
		target = px.DefaultBackend.Name
	} else if px.Kind == haproxycfg.KindListen {
		target = px.Name
	}
	if target != "" {
		fe.backend = rt.backends[target]
	}
	if px.Maxconn > 0 {
		fe.slots = make(chan struct{}, px.Maxconn)
	}
	return fe, nil
}

func (fe *frontend) acceptLoop(rt *Runtime, ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			rt.log.Warn("accept failed", zap.String("frontend", fe.name), zap.Error(err))
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if fe.slots != nil {
			// haproxy stops accepting at maxconn; the kernel backlog
			// holds the rest. Waiting here has the same effect.
			select {
			case fe.slots <- struct{}{}:
			case <-rt.hardCtx.Done():
				c.Close()
				return
			}
		}
		var first *server
		if fe.backend != nil {
			first = fe.backend.picker.pick(nil)
		}
		rt.sessions.Add(1)
		go func() {
			defer rt.sessions.Done()
			if fe.slots != nil {
				defer func() { <-fe.slots }()
			}
			fe.serve(rt, c, first)
		}()
	}
}

// serve runs one TCP session.
func (fe *frontend) serve(rt *Runtime, c net.Conn, first *server) {
	defer c.Close()
	be := fe.backend
	if be == nil {
		return // no backend: haproxy closes the connection
	}
	dstPort := 0
	if ta, ok := c.LocalAddr().(*net.TCPAddr); ok {
		dstPort = ta.Port
	}
	ctx := rt.hardCtx
	sc, srv, err := be.dial(ctx, first, dstPort)
	if err != nil {
		rt.log.Info("connection to backend failed", zap.String("frontend", fe.name), zap.String("backend", be.name), zap.Error(err))
		return
	}
	defer sc.Close()
	srv.total.Add(1)
	defer be.release(srv)
	forward.Pipe(ctx, c, sc, forward.Timeouts{Client: fe.client, Server: be.server, Tunnel: be.tunnel}, rt.pool)
	_ = context.Background
}
