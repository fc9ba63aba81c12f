// Package lab builds the seed's deployment in network namespaces for tests:
// an Ethernet segment (a bridge inside its own namespace) and hosts attached
// to it (load-balancer nodes, backends, a client), each in a namespace of its
// own with one interface, eth0, and an address in 10.77.0.0/24.
//
// Everything a Lab creates — namespaces, links, processes — is removed when
// the test ends, also when it fails. Processes are stopped by PID. Nothing
// is created in the host's own namespace.
package lab

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// Subnet is the lab segment's prefix.
var Subnet = netip.MustParsePrefix("10.77.0.0/24")

// Lab is a segment and the hosts attached to it.
type Lab struct {
	t      testing.TB
	prefix string
	// Switch is the namespace holding the bridge.
	Switch string
	hosts  map[string]*Host
	dir    string
}

// Host is one namespace on the segment.
type Host struct {
	lab  *Lab
	Name string
	// NS is the network namespace's name (ip netns).
	NS string
	// IP is eth0's address.
	IP netip.Addr
	// port is the bridge-side veth of eth0 (in the switch namespace).
	port string
	// Dir is a scratch directory for the host's files.
	Dir string
}

var seq struct {
	sync.Mutex
	n int
}

// New makes the segment. It needs root and iproute2.
func New(t testing.TB) *Lab {
	t.Helper()
	testenv.RequireRoot(t)
	if _, err := exec.LookPath("ip"); err != nil {
		testenv.Unavailable(t, "ip (iproute2) is not installed")
	}
	seq.Lock()
	seq.n++
	n := seq.n
	seq.Unlock()
	l := &Lab{
		t:      t,
		prefix: fmt.Sprintf("lab%d%d", os.Getpid()%10000, n),
		hosts:  map[string]*Host{},
		dir:    t.TempDir(),
	}
	l.Switch = l.prefix + "sw"
	l.ip("netns", "add", l.Switch)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", l.Switch).Run() })
	l.ip("-n", l.Switch, "link", "set", "lo", "up")
	l.ip("-n", l.Switch, "link", "add", "br0", "type", "bridge")
	l.ip("-n", l.Switch, "link", "set", "br0", "up")
	return l
}

func (l *Lab) ip(args ...string) {
	l.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Add attaches a host named name with address 10.77.0.last.
func (l *Lab) Add(name string, last int) *Host {
	l.t.Helper()
	h := &Host{
		lab:  l,
		Name: name,
		NS:   l.prefix + name,
		IP:   netip.AddrFrom4([4]byte{10, 77, 0, byte(last)}),
		port: fmt.Sprintf("p%d", last),
		Dir:  l.dir + "/" + name,
	}
	if err := os.MkdirAll(h.Dir, 0o755); err != nil {
		l.t.Fatal(err)
	}
	l.ip("netns", "add", h.NS)
	l.t.Cleanup(func() { exec.Command("ip", "netns", "del", h.NS).Run() })
	l.ip("-n", h.NS, "link", "set", "lo", "up")
	l.ip("-n", l.Switch, "link", "add", h.port, "type", "veth", "peer", "name", "eth0", "netns", h.NS)
	l.ip("-n", l.Switch, "link", "set", h.port, "master", "br0")
	l.ip("-n", l.Switch, "link", "set", h.port, "up")
	l.ip("-n", h.NS, "addr", "add", h.IP.String()+"/24", "dev", "eth0")
	l.ip("-n", h.NS, "link", "set", "eth0", "up")
	l.hosts[name] = h
	return h
}

// Host returns the host called name.
func (l *Lab) Host(name string) *Host { return l.hosts[name] }

// SetLink cuts (up=false) or restores the host's cable: its port on the
// bridge goes down, so its eth0 loses carrier.
func (h *Host) SetLink(up bool) {
	h.lab.t.Helper()
	state := "down"
	if up {
		state = "up"
	}
	h.lab.ip("-n", h.lab.Switch, "link", "set", h.port, state)
}

// Addrs lists eth0's IPv4 addresses.
func (h *Host) Addrs() []netip.Addr {
	out, err := exec.Command("ip", "-n", h.NS, "-4", "-o", "addr", "show", "dev", "eth0").Output()
	if err != nil {
		return nil
	}
	var as []netip.Addr
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "inet" {
				if p, err := netip.ParsePrefix(f[i+1]); err == nil {
					as = append(as, p.Addr())
				}
			}
		}
	}
	return as
}

// Has reports whether eth0 carries a.
func (h *Host) Has(a netip.Addr) bool {
	for _, x := range h.Addrs() {
		if x == a {
			return true
		}
	}
	return false
}

// Do runs fn on an OS thread that has entered the host's namespace: the
// sockets fn creates belong to the host. The thread is discarded afterwards.
func (h *Host) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// Never unlocked: the runtime ends the thread with the goroutine,
		// so no other goroutine ever runs in this namespace.
		f, err := os.Open("/run/netns/" + h.NS)
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", h.NS, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// Listen opens a listener inside the host.
func (h *Host) Listen(network, addr string) (net.Listener, error) {
	var ln net.Listener
	err := h.Do(func() (err error) {
		ln, err = net.Listen(network, addr)
		return err
	})
	return ln, err
}

// Dial connects from inside the host.
func (h *Host) Dial(network, addr string, timeout time.Duration) (net.Conn, error) {
	var c net.Conn
	err := h.Do(func() (err error) {
		c, err = net.DialTimeout(network, addr, timeout)
		return err
	})
	return c, err
}

// Proc is a process a host runs.
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	out  *syncBuf
	done chan struct{}
}

// Start runs a command inside the host and stops it (SIGTERM, then SIGKILL)
// when the test ends. Its output is kept (Output) and shown when the test
// fails.
func (h *Host) Start(name string, args ...string) *Proc {
	t := h.lab.t
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", h.NS, name}, args...)...)
	cmd.Dir = h.Dir
	p := &Proc{Name: h.Name + ":" + name, Cmd: cmd, out: &syncBuf{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	// ip netns exec execs the command: the PID is the program's own.
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", p.Name, err)
	}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Stop(syscall.SIGTERM, 5*time.Second)
		if t.Failed() {
			t.Logf("output of %s:\n%s", p.Name, p.Output())
		}
	})
	return p
}

// Pid is the process's PID.
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// Output is what the process printed so far.
func (p *Proc) Output() string { return p.out.String() }

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Signal sends sig to the process.
func (p *Proc) Signal(sig syscall.Signal) { p.Cmd.Process.Signal(sig) }

// Stop sends sig and waits up to grace for the exit, then kills.
func (p *Proc) Stop(sig syscall.Signal, grace time.Duration) {
	if p.Exited() {
		return
	}
	p.Cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.Cmd.Process.Kill()
		<-p.done
	}
}

// Wait waits until the process exits or ctx ends.
func (p *Proc) Wait(ctx context.Context) bool {
	select {
	case <-p.done:
		return true
	case <-ctx.Done():
		return false
	}
}

// Daemon is a process that put itself in the background and wrote its
// PID to a file.
type Daemon struct {
	Name string
	Pid  int
}

// StartDaemon runs a command that daemonizes inside the host, waits for
// the launcher to return and for pidfile to name a new running process,
// and kills that process by PID when the test ends.
func (h *Host) StartDaemon(pidfile, name string, args ...string) *Daemon {
	t := h.lab.t
	t.Helper()
	before, _ := os.ReadFile(pidfile)
	cmd := exec.Command("ip", append([]string{"netns", "exec", h.NS, name}, args...)...)
	cmd.Dir = h.Dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %s %s: %v\n%s", h.Name, name, strings.Join(args, " "), err, out)
	}
	d := &Daemon{Name: h.Name + ":" + name}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(pidfile)
		if len(b) > 0 && !bytes.Equal(b, before) {
			fmt.Sscan(string(b), &d.Pid)
		}
		if d.Pid > 0 && !d.Exited() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no running process in %s after start", d.Name, pidfile)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() { d.Stop(syscall.SIGTERM, 5*time.Second) })
	return d
}

// Exited reports whether the daemon is gone (absent or a zombie).
func (d *Daemon) Exited() bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", d.Pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] == 'Z' || s[i+2] == 'X'
}

// Stop sends sig, waits up to grace, then kills.
func (d *Daemon) Stop(sig syscall.Signal, grace time.Duration) {
	if d.Exited() {
		return
	}
	syscall.Kill(d.Pid, sig)
	deadline := time.Now().Add(grace)
	for !d.Exited() {
		if time.Now().After(deadline) {
			syscall.Kill(d.Pid, syscall.SIGKILL)
			deadline = time.Now().Add(time.Hour)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
