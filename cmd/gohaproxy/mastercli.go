package main

// The master CLI (-S <bind>[,<bind options>...]) of master-worker mode, as
// haproxy 2.6 answers it (management.txt, "9.4. Master CLI"): "show proc",
// "reload", "show version", "help", "quit", and the "@<relative pid>",
// "@!<pid>" and "@master" prefixes. A command for a worker is passed to
// the worker's stats socket (the first "stats socket" on a UNIX path),
// which is where gohaproxy's worker answers its runtime API.
//
// Commands are answered by the master's event loop (runMaster), which
// owns the process list: a connection sends each command line on a
// channel and writes back what the loop answers.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// cliRequest is one command for the master's loop.
type cliRequest struct {
	line  string
	reply chan cliReply
}

// cliReply is the loop's answer: text to write, or a worker's stats
// socket to pass the command to, and whether to close after.
type cliReply struct {
	text    string
	forward string // stats socket path to send the command to
	command string // the command for the worker (prefix removed)
	close   bool
}

// masterCLI listens on the -S address.
type masterCLI struct {
	ln   net.Listener
	path string // unix socket path to remove on close
	reqs chan cliRequest
	wg   sync.WaitGroup
}

// openMasterCLI opens the -S bind: "<address>[,<option>,<value>...]"
// where address is a UNIX socket path (optionally "unix@path") or
// [ipv4@|ipv6@]host:port. Options "mode" and "uid"/"gid" apply to a UNIX
// socket; the others are accepted and ignored.
func openMasterCLI(spec string) (*masterCLI, error) {
	parts := strings.Split(spec, ",")
	addr := parts[0]
	mode := os.FileMode(0)
	for i := 1; i < len(parts); i++ {
		if parts[i] == "mode" && i+1 < len(parts) {
			m, err := strconv.ParseUint(parts[i+1], 8, 32)
			if err != nil {
				return nil, fmt.Errorf("-S %s: invalid mode '%s' (an octal number like 600 is expected)", spec, parts[i+1])
			}
			mode = os.FileMode(m)
			i++
		}
	}
	m := &masterCLI{reqs: make(chan cliRequest)}
	var err error
	switch {
	case strings.HasPrefix(addr, "unix@"), strings.HasPrefix(addr, "/"), strings.HasPrefix(addr, "."):
		path := strings.TrimPrefix(addr, "unix@")
		os.Remove(path)
		m.ln, err = net.Listen("unix", path)
		if err == nil {
			m.path = path
			if mode != 0 {
				os.Chmod(path, mode)
			}
		}
	default:
		network := "tcp"
		switch {
		case strings.HasPrefix(addr, "ipv4@"):
			network, addr = "tcp4", addr[5:]
		case strings.HasPrefix(addr, "ipv6@"):
			network, addr = "tcp6", addr[5:]
		}
		m.ln, err = net.Listen(network, addr)
	}
	if err != nil {
		return nil, fmt.Errorf("-S %s: cannot listen: %v", spec, err)
	}
	return m, nil
}

// serve accepts master CLI connections until ctx is done.
func (m *masterCLI) serve(ctx context.Context) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		<-ctx.Done()
		m.ln.Close()
	}()
	for {
		c, err := m.ln.Accept()
		if err != nil {
			break
		}
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			stop := context.AfterFunc(ctx, func() { c.Close() })
			defer stop()
			m.session(ctx, c)
		}()
	}
	m.wg.Wait()
	if m.path != "" {
		os.Remove(m.path)
	}
}

// session answers the command lines of one connection; several commands
// may be separated by ';' on a line.
func (m *masterCLI) session(ctx context.Context, c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		c.SetReadDeadline(time.Now().Add(5 * time.Minute))
		line, err := r.ReadString('\n')
		if strings.TrimSpace(line) == "" && err != nil {
			return
		}
		for _, cmd := range strings.Split(strings.TrimSpace(line), ";") {
			cmd = strings.TrimSpace(cmd)
			if cmd == "" {
				continue
			}
			reply := make(chan cliReply, 1)
			select {
			case m.reqs <- cliRequest{line: cmd, reply: reply}:
			case <-ctx.Done():
				return
			}
			var rep cliReply
			select {
			case rep = <-reply:
			case <-ctx.Done():
				return
			}
			c.SetWriteDeadline(time.Now().Add(30 * time.Second))
			if rep.forward != "" {
				if err := forwardCommand(c, rep.forward, rep.command); err != nil {
					io.WriteString(c, err.Error()+"\n")
				}
			} else if _, err := io.WriteString(c, rep.text); err != nil {
				return
			}
			if rep.close {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// forwardCommand sends cmd to the worker's stats socket and copies its
// answer to w.
func forwardCommand(w io.Writer, path, cmd string) error {
	wc, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return fmt.Errorf("Can't connect to the worker's stats socket %s: %v", path, err)
	}
	defer wc.Close()
	wc.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(wc, cmd+"\n"); err != nil {
		return err
	}
	_, err = io.Copy(w, wc)
	return err
}

// procEntry is one process as "show proc" lists it.
type procEntry struct {
	pid     int
	reloads int
	started time.Time
}

// uptimeText writes a duration as haproxy's "show proc" does: 0d00h00m03s.
func uptimeText(d time.Duration) string {
	s := int(d / time.Second)
	return fmt.Sprintf("%dd%02dh%02dm%02ds", s/86400, s/3600%24, s/60%60, s%60)
}

// showProc renders "show proc".
func showProc(master procEntry, failed int, current, old []procEntry, now time.Time) string {
	sortProcs(current)
	sortProcs(old)
	var b strings.Builder
	fmt.Fprintf(&b, "#%-14s %-15s %-15s %-15s %-15s\n", "<PID>", "<type>", "<reloads>", "<uptime>", "<version>")
	fmt.Fprintf(&b, "%-15d %-15s %-15s %-15s %-15s\n", master.pid, "master", fmt.Sprintf("%d [failed: %d]", master.reloads, failed), uptimeText(now.Sub(master.started)), version)
	b.WriteString("# workers\n")
	for _, w := range current {
		fmt.Fprintf(&b, "%-15d %-15s %-15d %-15s %-15s\n", w.pid, "worker", w.reloads, uptimeText(now.Sub(w.started)), version)
	}
	if len(old) > 0 {
		b.WriteString("# old workers\n")
		for _, w := range old {
			fmt.Fprintf(&b, "%-15d %-15s %-15d %-15s %-15s\n", w.pid, "worker", w.reloads, uptimeText(now.Sub(w.started)), version)
		}
	}
	b.WriteString("# programs\n\n")
	return b.String()
}

// masterHelp is the list "help" prints at the master CLI.
var masterHelp = []struct{ cmd, what string }{
	{"@!<pid>", "send a command to the <pid> process"},
	{"@<relative pid>", "send a command to the <relative pid> process"},
	{"@master", "send a command to the master process"},
	{"reload", "reload haproxy"},
	{"show proc", "show processes status"},
	{"show version", "show version of the current process"},
	{"help [<command>]", "list matching or all commands"},
	{"quit", "disconnect"},
}

func masterHelpText(header string) string {
	var b strings.Builder
	b.WriteString(header + "\n")
	for _, h := range masterHelp {
		fmt.Fprintf(&b, "  %-39s : %s\n", h.cmd, h.what)
	}
	b.WriteString("\n")
	return b.String()
}

// masterState is what the master's loop knows to answer the CLI.
type masterState struct {
	master  procEntry
	failed  int
	current []procEntry
	old     []procEntry
	stats   string // the worker's stats socket path, "" if none
}

// answer handles one command line at the master; reload is true when
// the command asks for a reload (done by the loop after answering).
func (st masterState) answer(line string, now time.Time) (rep cliReply, reload bool) {
	cmd := line
	if strings.HasPrefix(cmd, "@") {
		target, rest, _ := strings.Cut(cmd, " ")
		rest = strings.TrimSpace(rest)
		switch {
		case target == "@master" || target == "@0":
			cmd = rest
		default:
			pid := 0
			if strings.HasPrefix(target, "@!") {
				want, err := strconv.Atoi(target[2:])
				if err == nil {
					for _, w := range append(append([]procEntry(nil), st.current...), st.old...) {
						if w.pid == want {
							pid = want
						}
					}
				}
			} else if n, err := strconv.Atoi(target[1:]); err == nil && n == 1 && len(st.current) > 0 {
				pid = st.current[0].pid
			}
			if pid == 0 {
				return cliReply{text: fmt.Sprintf("Can't find the target PID matching the prefix '%s'\n", target), close: true}, false
			}
			if rest == "" {
				return cliReply{}, false
			}
			if st.stats == "" {
				return cliReply{text: "gohaproxy's worker answers its runtime API on its stats socket only: add a 'stats socket /path' line to the global section.\n\n"}, false
			}
			return cliReply{forward: st.stats, command: rest}, false
		}
		if cmd == "" {
			return cliReply{}, false
		}
	}
	switch {
	case cmd == "show proc":
		return cliReply{text: showProc(st.master, st.failed, st.current, st.old, now)}, false
	case cmd == "reload":
		return cliReply{close: true}, true
	case cmd == "show version":
		return cliReply{text: version + "\n\n"}, false
	case cmd == "help" || strings.HasPrefix(cmd, "help "):
		return cliReply{text: masterHelpText("The following commands are valid at this level:")}, false
	case cmd == "quit":
		return cliReply{close: true}, false
	}
	return cliReply{text: masterHelpText("Unknown command, but maybe one of the following ones is a better match:")}, false
}

// workerStatsSocket is the path of the worker's first UNIX stats socket,
// where commands prefixed with @N go ("" when there is none).
func workerStatsSocket(cfg *haproxycfg.Config) string {
	for _, b := range cfg.Global.StatsSocket {
		if b.Addr.Family == haproxycfg.FamilyUnix {
			return b.Addr.Host
		}
	}
	return ""
}

// sortProcs orders processes newest first.
func sortProcs(ps []procEntry) {
	sort.Slice(ps, func(i, j int) bool { return ps[i].started.After(ps[j].started) })
}
