package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// garpGaps runs bin alone with extra global_defs lines and returns the
// gaps between the first three gratuitous ARPs (or NAs) seen on the LAN.
func garpGaps(t *testing.T, bin, globals, vip string) []time.Duration {
	l := newLAN(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	filter := "arp"
	if strings.Contains(vip, ":") {
		filter = "icmp6 and ip6[40] == 136"
	}
	// -tt: seconds.microseconds timestamps.
	lines := captureTT(ctx, t, l.routers[1], filter, 3)
	conf := strings.Replace(vrrpConf("r1", 150, vip), "global_defs {\n", "global_defs {\n"+globals, 1)
	r := newRouter(t, filepath.Base(bin), bin, l.routers[0], conf)
	r.start(t)
	defer r.stop(syscall.SIGTERM)
	var got []string
	select {
	case got = <-lines:
	case <-ctx.Done():
		t.Fatal("no gratuitous ARPs captured")
	}
	if len(got) < 3 {
		t.Fatalf("captured %d packets: %q", len(got), got)
	}
	var ts []float64
	for _, line := range got {
		f, err := strconv.ParseFloat(strings.Fields(line)[0], 64)
		if err != nil {
			t.Fatalf("timestamp of %q: %v", line, err)
		}
		ts = append(ts, f)
	}
	var gaps []time.Duration
	for i := 1; i < len(ts); i++ {
		gaps = append(gaps, time.Duration((ts[i]-ts[i-1])*float64(time.Second)).Round(time.Millisecond))
	}
	return gaps
}

func captureTT(ctx context.Context, t testing.TB, ns, filter string, count int) <-chan []string {
	t.Helper()
	return captureArgs(ctx, t, ns, []string{"-tt", "-c", fmt.Sprint(count), filter})
}

// TestGarpIntervalLikeKeepalived: vrrp_garp_interval / vrrp_gna_interval
// space the gratuitous ARPs / NAs as keepalived spaces them. keepalived
// 2.2.7 queues at most one waiting message per address, so of a burst of
// garp_master_repeat (5) it sends two, an interval apart, and the next two
// come with the second burst (garp_master_delay, 5 s, later).
func TestGarpIntervalLikeKeepalived(t *testing.T) {
	k := testenv.Oracle(t, "keepalived")
	g := testenv.Binary(t, "gokeepalived")
	for _, tc := range []struct{ name, globals, vip string }{
		{"garp", "    vrrp_garp_interval 0.4\n", pairVIP},
		{"gna", "    vrrp_gna_interval 0.4\n", pairVIP6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := garpGaps(t, k, tc.globals, tc.vip)
			got := garpGaps(t, g, tc.globals, tc.vip)
			t.Logf("gaps: keepalived %v, gokeepalived %v", want, got)
			// The second message an interval after the first; the third
			// with the second burst, garp_master_delay (5 s) after the
			// first. Scheduling on a loaded machine may delay a message.
			check := func(who string, g []time.Duration) {
				if g[0] < 350*time.Millisecond || g[0] > 1400*time.Millisecond {
					t.Errorf("%s: second message %v after the first, want about 400ms", who, g[0])
				}
				if total := g[0] + g[1]; total < 4900*time.Millisecond || total > 6500*time.Millisecond {
					t.Errorf("%s: third message %v after the first, want about 5s", who, total)
				}
			}
			check("keepalived (the test's premise)", want)
			check("gokeepalived", got)
		})
	}
}

// lowerPrioRun runs bin as MASTER, sends it one lower priority advert and
// returns the GARP lines it logged after the advert's line, and whether
// notify_master_rx_lower_pri ran.
func lowerPrioRun(t *testing.T, bin, extra string) (lines []string, notified bool) {
	l := newLAN(t, 2)
	mark := filepath.Join(t.TempDir(), "rx_lower")
	extra = strings.ReplaceAll(extra, "MARK", mark)
	r := newRouter(t, filepath.Base(bin), bin, l.routers[0], vrrpConf("r1", 150, pairVIP+"/24", extra))
	r.start(t)
	l.waitAddr(t, 0, pairVIP, true, 20*time.Second)
	time.Sleep(6 * time.Second) // the second master burst is over
	args := []string{"netns", "exec", l.routers[1], "python3", "-c", `import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
s.sendto(bytes.fromhex(sys.argv[1]), ("224.0.0.18", 0))
`}
	if out, err := exec.Command("ip", append(args, badAdverts(t)[0])...).CombinedOutput(); err != nil {
		t.Fatalf("sending the advert: %v\n%s", err, out)
	}
	time.Sleep(7 * time.Second)
	r.stop(syscall.SIGTERM)
	b, err := os.ReadFile(filepath.Join(r.dir, "out.log"))
	if err != nil {
		t.Fatal(err)
	}
	after := false
	for _, line := range strings.Split(string(b), "\n") {
		if i := strings.Index(line, ": "); i >= 0 && len(line) > 24 {
			line = line[i+2:]
		}
		switch {
		case strings.Contains(line, "with lower priority"):
			after = true
		case after && strings.Contains(line, "gratuitous ARP"):
			lines = append(lines, line)
		}
	}
	_, err = os.Stat(mark)
	return lines, err == nil
}

// TestLowerPrioGarpLikeKeepalived: a MASTER hearing a lower priority
// advert sends garp_lower_prio_repeat GARPs (default: garp_master_repeat)
// at once and again garp_lower_prio_delay later (default:
// vrrp_garp_master_delay), and runs notify_master_rx_lower_pri.
func TestLowerPrioGarpLikeKeepalived(t *testing.T) {
	k := testenv.Oracle(t, "keepalived")
	g := testenv.Binary(t, "gokeepalived")
	for _, tc := range []struct{ name, extra string }{
		{"defaults", ""},
		{"configured", "    garp_lower_prio_repeat 2\n    garp_lower_prio_delay 2\n    notify_master_rx_lower_pri \"/usr/bin/touch MARK\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, wantN := lowerPrioRun(t, k, tc.extra)
			got, gotN := lowerPrioRun(t, g, tc.extra)
			if strings.Contains(tc.extra, "notify_master_rx_lower_pri") && !wantN {
				t.Errorf("keepalived did not run notify_master_rx_lower_pri: the test's premise is wrong")
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") || gotN != wantN {
				t.Errorf("after the lower priority advert:\ngokeepalived (notified %v):\n%s\nkeepalived (notified %v):\n%s",
					gotN, strings.Join(got, "\n"), wantN, strings.Join(want, "\n"))
			}
		})
	}
}
