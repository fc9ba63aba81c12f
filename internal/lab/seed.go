package lab

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// Product names the two daemons a node runs: the originals or ours.
type Product struct {
	Name  string
	Proxy string // haproxy or gohaproxy binary
	VRRP  string // keepalived or gokeepalived binary
}

// Originals is Debian's haproxy and keepalived.
func Originals(t testing.TB) Product {
	return Product{Name: "haproxy+keepalived", Proxy: testenv.Oracle(t, "haproxy"), VRRP: testenv.Oracle(t, "keepalived")}
}

// Ours is gohaproxy and gokeepalived, built from this checkout.
func Ours(t testing.TB) Product {
	return Product{Name: "gohaproxy+gokeepalived", Proxy: testenv.Binary(t, "gohaproxy"), VRRP: testenv.Binary(t, "gokeepalived")}
}

// The seed's addresses.
var (
	VIP1 = netip.MustParseAddr("10.77.0.201")
	VIP2 = netip.MustParseAddr("10.77.0.202")
)

// Node is a load-balancer node of the seed: a proxy and a VRRP daemon.
type Node struct {
	*Host
	Product Product
	Proxy   *Daemon
	VRRP    *Proc
	params  nodeParams
}

type nodeParams struct {
	Name, Dir      string
	B1, B2         string
	State1, State2 string
	Prio1, Prio2   int
	NoPreempt      bool
	VIP1, VIP2     string
}

// Seed is the seed's deployment: nodes n1 (MASTER of VIP1) and n2 (MASTER
// of VIP2), backends b1 and b2, and a client.
type Seed struct {
	Lab    *Lab
	N1, N2 *Node
	Client *Host
}

// SeedOptions varies the deployment.
type SeedOptions struct {
	// NoPreempt starts both instances BACKUP with nopreempt.
	NoPreempt bool
}

// NewSeed builds the lab and writes each node's configuration (the same
// files for the originals and for ours), without starting the daemons.
func NewSeed(t testing.TB, p1, p2 Product, o SeedOptions) *Seed {
	t.Helper()
	if _, err := os.Stat("/usr/bin/socat"); err != nil {
		testenv.Unavailable(t, "socat is not installed (make test-deps installs it)")
	}
	l := New(t)
	s := &Seed{Lab: l}
	b1, b2 := l.Add("b1", 21), l.Add("b2", 22)
	b1.ServeName(8080, "b1")
	b2.ServeName(8080, "b2")
	s.Client = l.Add("client", 100)
	mk := func(name string, last int, p Product, master1 bool) *Node {
		n := &Node{Host: l.Add(name, last), Product: p}
		n.params = nodeParams{
			Name: name, Dir: n.Dir, B1: b1.IP.String(), B2: b2.IP.String(),
			State1: "BACKUP", State2: "MASTER", Prio1: 100, Prio2: 150,
			NoPreempt: o.NoPreempt, VIP1: VIP1.String(), VIP2: VIP2.String(),
		}
		if master1 {
			n.params.State1, n.params.State2 = "MASTER", "BACKUP"
			n.params.Prio1, n.params.Prio2 = 150, 100
		}
		if o.NoPreempt {
			// keepalived ignores nopreempt on an instance that starts MASTER.
			n.params.State1, n.params.State2 = "BACKUP", "BACKUP"
		}
		for _, f := range []struct {
			tmpl, out string
			mode      os.FileMode
		}{
			{"haproxy.cfg.tmpl", "haproxy.cfg", 0o644},
			{"keepalived.conf.tmpl", "keepalived.conf", 0o644},
			{"chk_proxy.sh.tmpl", "chk_proxy.sh", 0o755},
			{"notify.sh.tmpl", "notify.sh", 0o755},
		} {
			writeTemplate(t, f.tmpl, filepath.Join(n.Dir, f.out), f.mode, n.params)
		}
		return n
	}
	s.N1 = mk("n1", 11, p1, true)
	s.N2 = mk("n2", 12, p2, false)
	return s
}

func writeTemplate(t testing.TB, name, out string, mode os.FileMode, data any) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "testdata", "lab", name))
	if err != nil {
		t.Fatal(err)
	}
	tm, err := template.New(name).Parse(string(src))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tm.Execute(&b, data); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, b.Bytes(), mode); err != nil {
		t.Fatal(err)
	}
}

// StartProxy starts the node's proxy as the distributions' init scripts
// do: a daemon (-D) writing the pid file its configuration names.
func (n *Node) StartProxy(t testing.TB, extra ...string) {
	t.Helper()
	n.Proxy = n.StartDaemon(filepath.Join(n.Dir, "haproxy.pid"), n.Product.Proxy,
		append([]string{"-D", "-f", filepath.Join(n.Dir, "haproxy.cfg")}, extra...)...)
	WaitFor(t, n.Name+"'s proxy to listen", 10*time.Second, func() bool {
		c, err := n.Dial("tcp", n.IP.String()+":80", 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// ReloadProxy starts a new proxy that takes the listening sockets over
// from the running one (-x on the stats socket) and tells it to finish
// (-sf), as the init scripts' reload does; it returns once the old one
// has gone.
func (n *Node) ReloadProxy(t testing.TB) {
	t.Helper()
	old := n.Proxy
	n.StartProxy(t, "-x", filepath.Join(n.Dir, "haproxy.sock"), "-sf", strconv.Itoa(old.Pid))
	WaitFor(t, "the old proxy to leave", 15*time.Second, old.Exited)
}

// StartVRRP starts the node's VRRP daemon in the foreground, logging to the
// console.
func (n *Node) StartVRRP(t testing.TB) {
	t.Helper()
	d := n.Dir
	n.VRRP = n.Start(n.Product.VRRP, "-n", "-l", "-D", "-f", filepath.Join(d, "keepalived.conf"),
		"-p", filepath.Join(d, "keepalived.pid"), "-r", filepath.Join(d, "vrrp.pid"), "-c", filepath.Join(d, "checkers.pid"))
}

// Notifications returns the lines the node's notify script logged.
func (n *Node) Notifications() []string {
	b, _ := os.ReadFile(filepath.Join(n.Dir, "notify.log"))
	return strings.Fields(strings.ReplaceAll(string(b), " ", "_"))
}

// WaitFor polls cond until it holds or max passes (then fails t).
func WaitFor(t testing.TB, what string, max time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < max {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s", max, what)
	return 0
}
