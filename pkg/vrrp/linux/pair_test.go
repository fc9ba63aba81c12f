package linux

import (
	"crypto/rand"
	"encoding/hex"
	"os/exec"
	"strings"
	"testing"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// pair is two network namespaces joined by a veth pair; each end is named
// veth0 inside its namespace.
type pair struct {
	A, B   string // namespace names
	PA, PB *Platform
}

func randSuffix(t testing.TB) string {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

func ipCmd(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newPair creates the namespaces gtA-XXXXXX and gtB-XXXXXX, the veth pair
// between them with addrA/addrB (CIDR, may be empty) and IPv6 link-local
// addresses fe80::a / fe80::b without DAD, and Platforms for both. All of
// it is removed when t ends.
func newPair(t testing.TB, addrA, addrB string) *pair {
	t.Helper()
	testenv.RequireRoot(t)
	if _, err := exec.LookPath("ip"); err != nil {
		testenv.Unavailable(t, "ip (iproute2) is not installed")
	}
	sfx := randSuffix(t)
	p := &pair{A: "gtA-" + sfx, B: "gtB-" + sfx}
	for _, ns := range []string{p.A, p.B} {
		ipCmd(t, "netns", "add", ns)
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
		ipCmd(t, "-n", ns, "link", "set", "lo", "up")
	}
	va, vb := "gva"+sfx, "gvb"+sfx
	ipCmd(t, "link", "add", va, "type", "veth", "peer", "name", vb)
	// Deleting a namespace deletes its end; the pair goes with it. If a
	// step below fails before the move, remove it from here.
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", va).Run() })
	ipCmd(t, "link", "set", va, "netns", p.A, "name", "veth0")
	ipCmd(t, "link", "set", vb, "netns", p.B, "name", "veth0")
	for i, ns := range []string{p.A, p.B} {
		ipCmd(t, "-n", ns, "link", "set", "veth0", "addrgenmode", "none")
		ll := []string{"fe80::a/64", "fe80::b/64"}[i]
		ipCmd(t, "-n", ns, "addr", "add", ll, "dev", "veth0", "nodad")
		if a := []string{addrA, addrB}[i]; a != "" {
			ipCmd(t, "-n", ns, "addr", "add", a, "dev", "veth0")
		}
		ipCmd(t, "-n", ns, "link", "set", "veth0", "up")
	}
	var err error
	if p.PA, err = New(Options{NetNS: p.A}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.PA.Close() })
	if p.PB, err = New(Options{NetNS: p.B}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.PB.Close() })
	return p
}

func (p *pair) ip(t testing.TB, ns string, args ...string) string {
	t.Helper()
	return ipCmd(t, append([]string{"-n", ns}, args...)...)
}
