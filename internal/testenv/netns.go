package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
)

// Iface is an interface to create in a test network namespace. Kind is
// "veth" (default; the peer stays in the namespace, named by PeerName) or
// "dummy" (needs the dummy kernel module).
type Iface struct {
	Name  string
	Kind  string
	Addrs []string // CIDR addresses, e.g. "192.168.99.10/24"
	Down  bool
}

// NetNS is a network namespace that a test created.
type NetNS struct {
	Name string
}

var nsSeq atomic.Int64

// NewNetNS creates a namespace holding lo (up) and ifaces, and removes it
// when t ends. It needs root (see RequireRoot).
func NewNetNS(t testing.TB, ifaces ...Iface) *NetNS {
	t.Helper()
	RequireRoot(t)
	if _, err := exec.LookPath("ip"); err != nil {
		Unavailable(t, "ip (iproute2) is not installed")
	}
	ns := &NetNS{Name: fmt.Sprintf("gt%d-%d", os.Getpid(), nsSeq.Add(1))}
	if out, err := exec.Command("ip", "netns", "add", ns.Name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v\n%s", ns.Name, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns.Name).Run() })
	run := func(args ...string) {
		t.Helper()
		full := append([]string{"-n", ns.Name}, args...)
		if out, err := exec.Command("ip", full...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(full, " "), err, out)
		}
	}
	run("link", "set", "lo", "up")
	for i, ifc := range ifaces {
		switch ifc.Kind {
		case "dummy":
			run("link", "add", ifc.Name, "type", "dummy")
		default:
			run("link", "add", ifc.Name, "type", "veth", "peer", "name", PeerName(i))
			run("link", "set", PeerName(i), "up")
		}
		for _, a := range ifc.Addrs {
			run("addr", "add", a, "dev", ifc.Name)
		}
		if !ifc.Down {
			run("link", "set", ifc.Name, "up")
		}
	}
	return ns
}

// PeerName is the name of the veth peer of the i-th interface.
func PeerName(i int) string { return fmt.Sprintf("gtpeer%d", i) }

// Command returns a command that runs name inside the namespace.
func (ns *NetNS) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}
