package proxy

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/gohaproxy/gohaproxy/pkg/proxy/listener"
)

// serveCLI answers the stats socket (haproxy's "stats socket"). This
// stage implements what a seamless reload needs: "_getsocks" on a socket
// with "expose-fd listeners" at level admin, which hands every listening
// socket to the new process (gohaproxy -x). "show info", "show stat" and
// "help" are answered from a stats snapshot (cli_stats.go); other commands
// are answered as unknown, with the list of those gohaproxy knows.
func (rt *Runtime) serveCLI(l *listener.Listener) {
	_, expose := l.Bind.Options["expose-fd"]
	level := "admin"
	if v, ok := l.Bind.Options["level"]; ok && len(v) > 0 {
		level = v[0]
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
			c.SetDeadline(time.Now().Add(10 * time.Second))
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil && line == "" {
				return
			}
			cmd := strings.TrimSpace(line)
			if cmd == "_getsocks" {
				uc, ok := c.(*net.UnixConn)
				if !expose || level != "admin" || !ok {
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
				return
			}
			c.Write(rt.answerCLI(cmd))
		}()
	}
}
