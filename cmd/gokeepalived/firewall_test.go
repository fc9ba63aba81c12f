package main

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// rulesetRun runs bin alone on router 0 with conf until every address in
// vips is on it and returns `nft list ruleset` while it is MASTER and
// after SIGTERM.
func rulesetRun(t *testing.T, bin, conf string, vips ...string) (running, after string) {
	l := newLAN(t, 2)
	r := newRouter(t, filepath.Base(bin), bin, l.routers[0], conf)
	r.start(t)
	for _, v := range vips {
		l.waitAddr(t, 0, v, true, 20*time.Second)
	}
	time.Sleep(500 * time.Millisecond)
	list := func() string {
		out, err := exec.Command("ip", "netns", "exec", l.routers[0], "nft", "list", "ruleset").CombinedOutput()
		if err != nil {
			t.Fatalf("nft list ruleset: %v\n%s", err, out)
		}
		return string(out)
	}
	running = list()
	r.stop(syscall.SIGTERM)
	return running, list()
}

// TestFirewallLikeKeepalived: with vrrp_strict (no_accept) and with
// use_vmac, Debian's keepalived 2.2.7 (nftables, no vrrp_iptables) fills
// the "keepalived" tables; gokeepalived must leave the same ruleset while
// MASTER and none after SIGTERM.
func TestFirewallLikeKeepalived(t *testing.T) {
	if _, err := exec.LookPath("nft"); err != nil {
		testenv.Unavailable(t, "nft (nftables) is not installed")
	}
	k := testenv.Oracle(t, "keepalived")
	g := testenv.Binary(t, "gokeepalived")
	inst := func(name string, vrid int, vip, extra string) string {
		return "vrrp_instance " + name + " {\n    interface eth0\n    virtual_router_id " + strconv.Itoa(vrid) +
			"\n    priority 150\n    advert_int 1\n" + extra + "    virtual_ipaddress {\n        " + vip + "\n    }\n}\n"
	}
	strict := "global_defs {\n    vrrp_strict\n}\n"
	for _, tc := range []struct {
		name, conf string
		vips       []string
	}{
		{"strict", strict + inst("VI_1", 42, "10.5.0.100/24\n        10.5.0.102/32", "") + inst("VI_6", 43, "2001:db8:5::100/64", ""),
			[]string{pairVIP, "10.5.0.102", pairVIP6}},
		{"vmac", inst("VI_1", 42, "10.5.0.100/24", "    use_vmac\n"), []string{pairVIP}},
		{"vmac_strict", strict + inst("VI_1", 42, "10.5.0.100/24", "    use_vmac\n") + inst("VI_2", 44, "10.5.0.101/24", "    use_vmac vmb\n"),
			[]string{pairVIP, "10.5.0.101"}},
		{"no_accept", inst("VI_1", 42, "10.5.0.100/24", "    no_accept\n"), []string{pairVIP}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantRun, wantAfter := rulesetRun(t, k, tc.conf, tc.vips...)
			gotRun, gotAfter := rulesetRun(t, g, tc.conf, tc.vips...)
			t.Logf("keepalived's ruleset:\n%s", wantRun)
			if gotRun != wantRun {
				t.Errorf("ruleset while MASTER differs:\n got:\n%s\nwant:\n%s", gotRun, wantRun)
			}
			if gotAfter != wantAfter || strings.TrimSpace(gotAfter) != "" {
				t.Errorf("ruleset after SIGTERM: got %q, keepalived %q", gotAfter, wantAfter)
			}
		})
	}
}
