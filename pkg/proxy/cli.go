package proxy

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/gohaproxy/gohaproxy/pkg/proxy/listener"
)

// CLI access levels, as haproxy's "level" bind option names them.
const (
	levelUser = iota
	levelOperator
	levelAdmin
)

var cliLevelNames = [...]string{"user", "operator", "admin"}

// cliSession is one connection to the stats socket.
type cliSession struct {
	level       int
	interactive bool // "prompt" mode
}

// serveCLI answers the stats socket (haproxy's "stats socket"): the line
// protocol of haproxy's runtime API, with its interactive "prompt" mode,
// the levels user, operator and admin, and "_getsocks" on a socket with
// "expose-fd listeners" at level admin, which hands every listening socket
// to the new process (gohaproxy -x).
func (rt *Runtime) serveCLI(l *listener.Listener, lid int) {
	_, expose := l.Bind.Options["expose-fd"]
	level := levelAdmin
	if v, ok := l.Bind.Options["level"]; ok && len(v) > 0 {
		for i, n := range cliLevelNames {
			if v[0] == n {
				level = i
			}
		}
	}
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		go func() {
			defer c.Close()
			// a stopping process closes its CLI connections
			stop := context.AfterFunc(rt.softCtx, func() { c.Close() })
			defer stop()
			st := rt.streams.add(nil, "GLOBAL", lid, c)
			defer rt.streams.remove(st)
			rt.cliConn(c, &cliSession{level: level}, expose)
		}()
	}
}

// cliConn runs one CLI connection: each line holds commands separated by
// ';'. Without "prompt", haproxy answers the lines already received and
// closes; with it, it prints "> " after each answer and waits for more.
func (rt *Runtime) cliConn(c net.Conn, s *cliSession, expose bool) {
	timeout := rt.cliTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	r := bufio.NewReader(c)
	first := true
	var out []byte
	for {
		c.SetReadDeadline(time.Now().Add(timeout))
		line, err := r.ReadString('\n')
		if err != nil && line == "" {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		if first && strings.TrimSpace(line) == "_getsocks" {
			rt.getsocks(c, s, expose)
			return
		}
		first = false
		out = out[:0]
		quit := false
		for _, cmd := range splitCLILine(line) {
			var stop bool
			out, stop = rt.cliCommand(out, s, cmd)
			if stop {
				quit = true
				break
			}
		}
		if quit {
			c.Write(out)
			return
		}
		if s.interactive {
			out = append(out, "> "...)
		}
		c.SetWriteDeadline(time.Now().Add(timeout))
		if _, err := c.Write(out); err != nil {
			return
		}
		if !s.interactive && r.Buffered() == 0 {
			return
		}
	}
}

// splitCLILine splits a line on unescaped ';' (haproxy's "\;" keeps one).
func splitCLILine(line string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == ';':
			cur.WriteByte(';')
			i++
		case line[i] == ';':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(line[i])
		}
	}
	return append(out, cur.String())
}

// getsocks hands the listening sockets to a new process.
func (rt *Runtime) getsocks(c net.Conn, s *cliSession, expose bool) {
	uc, ok := c.(*net.UnixConn)
	if !expose || s.level != levelAdmin || !ok {
		c.Write([]byte("Permission denied\n\n"))
		return
	}
	rt.mu.Lock()
	ls := append([]*listener.Listener(nil), rt.listeners...)
	rt.mu.Unlock()
	socks, err := listener.Export(ls)
	if err != nil {
		rt.log.Warn("cannot export listening sockets", zap.Error(err))
		return
	}
	defer func() {
		for _, s := range socks {
			s.File.Close()
		}
	}()
	if err := listener.ServeGetsocks(uc, socks); err != nil {
		rt.log.Warn("socket transfer failed", zap.Error(err))
	}
}
