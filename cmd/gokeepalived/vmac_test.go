package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// capture runs tcpdump on eth0 of namespace ns until it has seen count
// packets matching filter (or ctx ends) and returns its lines (link-level
// headers shown).
func capture(ctx context.Context, t testing.TB, ns, filter string, count int) <-chan []string {
	t.Helper()
	return captureArgs(ctx, t, ns, []string{"-e", "-c", fmt.Sprint(count), filter})
}

// captureArgs runs `tcpdump -i eth0 -nn -l ARGS` in namespace ns and
// returns its lines once it exits (or ctx ends). It returns once tcpdump
// listens.
func captureArgs(ctx context.Context, t testing.TB, ns string, args []string) <-chan []string {
	t.Helper()
	if _, err := exec.LookPath("tcpdump"); err != nil {
		testenv.Unavailable(t, "tcpdump is not installed")
	}
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, "tcpdump", "-i", "eth0", "-nn", "-l"}, args...)...)
	listening := make(chan struct{})
	cmd.Stderr = &signalWriter{match: "listening on", done: listening}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case <-listening:
	case <-time.After(10 * time.Second):
	}
	res := make(chan []string, 1)
	go func() {
		var lines []string
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		_ = cmd.Wait()
		res <- lines
	}()
	return res
}

// vmacFacts is what a VMAC instance shows of itself: the VMAC link as `ip
// -d link` prints it, the sysctls of the VMAC and of the base interface,
// where the VIP is, and the source MACs of adverts and gratuitous ARPs.
type vmacFacts struct {
	link, sysctls, vipDev, advertMAC, garpMAC, after string
}

var ifindexRE = regexp.MustCompile(`^\d+: `)

func vmacRun(t *testing.T, bin, extra string) vmacFacts {
	l := newLAN(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	adverts := capture(ctx, t, l.routers[1], "ip proto 112", 2)
	garps := capture(ctx, t, l.routers[1], "arp", 1)
	r := newRouter(t, filepath.Base(bin), bin, l.routers[0], vrrpConf("r1", 150, pairVIP, extra))
	r.start(t)
	l.waitAddr(t, 0, pairVIP, true, 20*time.Second)
	var f vmacFacts
	f.vipDev = l.addrDev(t, 0, pairVIP)
	out, err := exec.Command("ip", "-n", l.routers[0], "-d", "-o", "link", "show", "dev", f.vipDev).CombinedOutput()
	if err != nil {
		t.Fatalf("ip link show %s: %v\n%s", f.vipDev, err, out)
	}
	f.link = ifindexRE.ReplaceAllString(strings.TrimSpace(string(out)), "")
	var sc []string
	for _, k := range []string{
		"ipv4/conf/" + f.vipDev + "/arp_ignore", "ipv4/conf/" + f.vipDev + "/arp_filter",
		"ipv4/conf/" + f.vipDev + "/accept_local", "ipv4/conf/" + f.vipDev + "/rp_filter",
		"ipv4/conf/" + f.vipDev + "/promote_secondaries", "ipv6/conf/" + f.vipDev + "/disable_ipv6",
		"ipv4/conf/eth0/arp_ignore", "ipv4/conf/eth0/arp_filter",
	} {
		b, err := exec.Command("ip", "netns", "exec", l.routers[0], "cat", "/proc/sys/net/"+k).CombinedOutput()
		if err != nil {
			t.Fatalf("sysctl %s: %v\n%s", k, err, b)
		}
		sc = append(sc, strings.ReplaceAll(k, f.vipDev, "VMAC")+"="+strings.TrimSpace(string(b)))
	}
	f.sysctls = strings.Join(sc, " ")
	base, err := l.handles[0].LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	baseMAC := base.Attrs().HardwareAddr.String()
	mac := func(lines []string) string {
		if len(lines) == 0 {
			return "(none)"
		}
		// "HH:MM:SS.us SRC > DST, ethertype ..."
		w := strings.Fields(lines[len(lines)-1])
		if len(w) < 2 {
			return lines[0]
		}
		if w[1] == baseMAC {
			return "(eth0's MAC)"
		}
		return w[1]
	}
	select {
	case a := <-adverts:
		f.advertMAC = mac(a)
	case <-ctx.Done():
		t.Fatal("no advert captured")
	}
	select {
	case a := <-garps:
		f.garpMAC = mac(a)
	case <-ctx.Done():
		t.Fatal("no gratuitous ARP captured")
	}
	r.stop(syscall.SIGTERM)
	out, _ = exec.Command("ip", "-n", l.routers[0], "-br", "link").CombinedOutput()
	var links []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if w := strings.Fields(line); len(w) > 0 {
			links = append(links, strings.SplitN(w[0], "@", 2)[0])
		}
	}
	f.after = strings.Join(links, " ")
	return f
}

// TestVMACLikeKeepalived runs an instance with use_vmac (and with a named
// VMAC and vmac_xmit_base) under keepalived 2.2.7 and gokeepalived and
// compares the VMAC interface, its sysctls, where the VIP goes, the source
// MACs on the wire and the clean-up at SIGTERM.
func TestVMACLikeKeepalived(t *testing.T) {
	k := testenv.Oracle(t, "keepalived")
	g := testenv.Binary(t, "gokeepalived")
	for _, tc := range []struct{ name, extra string }{
		{"default", "    use_vmac\n"},
		{"named", "    use_vmac vmtest\n"},
		{"xmit_base", "    use_vmac\n    vmac_xmit_base\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := vmacRun(t, k, tc.extra)
			got := vmacRun(t, g, tc.extra)
			t.Logf("keepalived: %+v", want)
			if got != want {
				t.Errorf("gokeepalived differs:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// The mixed pairs with use_vmac on both sides.
func TestVMACFailoverMixedGoMaster(t *testing.T) {
	failoverWith(t, testenv.Binary(t, "gokeepalived"), testenv.Oracle(t, "keepalived"), pairVIP, "    use_vmac\n", "    use_vmac\n")
}

func TestVMACFailoverMixedKeepalivedMaster(t *testing.T) {
	failoverWith(t, testenv.Oracle(t, "keepalived"), testenv.Binary(t, "gokeepalived"), pairVIP, "    use_vmac\n", "    use_vmac\n")
}

// signalWriter closes done once the text written to it contains match.
type signalWriter struct {
	mu    sync.Mutex
	buf   strings.Builder
	match string
	done  chan struct{}
	once  sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.match) {
		w.once.Do(func() { close(w.done) })
	}
	return len(p), nil
}
