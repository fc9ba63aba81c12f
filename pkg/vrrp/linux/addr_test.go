package linux

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/keepalivedconf"
	"github.com/gohaproxy/gohaproxy/pkg/vrrp"
)

func vip(t *testing.T, line string) keepalivedconf.VIP {
	t.Helper()
	w := strings.Fields(line)
	v := keepalivedconf.VIP{PrefixText: w[0]}
	pfx, err := parsePrefixOrAddr(w[0])
	if err != nil {
		t.Fatal(err)
	}
	v.Prefix = pfx
	for i := 1; i+1 < len(w); i += 2 {
		switch w[i] {
		case "brd":
			v.Brd = w[i+1]
		case "dev":
			v.Dev = w[i+1]
		case "scope":
			v.Scope = w[i+1]
		case "label":
			v.Label = w[i+1]
		}
	}
	return v
}

func TestAddresses(t *testing.T) {
	p := newPair(t, "192.168.77.1/24", "")
	cases := []struct {
		line string
		want string // in `ip -o addr show dev veth0`
	}{
		{"192.168.77.100", "inet 192.168.77.100/32 scope global veth0"},
		{"192.168.77.101/24 brd 192.168.77.255 label veth0:vip", "inet 192.168.77.101/24 brd 192.168.77.255 scope global secondary veth0:vip"},
		{"192.168.77.102 scope link", "inet 192.168.77.102/32 scope link veth0"},
		{"2001:db8::100", "inet6 2001:db8::100/128 scope global nodad"},
		{"2001:db8::101/64", "inet6 2001:db8::101/64 scope global nodad"},
	}
	for _, c := range cases {
		v := vip(t, c.line)
		if err := p.PA.AddAddress("veth0", v); err != nil {
			t.Fatalf("add %s: %v", c.line, err)
		}
		// Adding again is harmless.
		if err := p.PA.AddAddress("veth0", v); err != nil {
			t.Fatalf("add %s again: %v", c.line, err)
		}
	}
	out := p.ip(t, p.A, "-o", "addr", "show", "dev", "veth0")
	for _, c := range cases {
		if !strings.Contains(out, c.want) {
			t.Errorf("after adding %q, `ip addr` lacks %q:\n%s", c.line, c.want, out)
		}
	}
	for _, c := range cases {
		v := vip(t, c.line)
		if err := p.PA.DelAddress("veth0", v); err != nil {
			t.Fatalf("delete %s: %v", c.line, err)
		}
		if err := p.PA.DelAddress("veth0", v); err != nil {
			t.Fatalf("delete %s twice: %v", c.line, err)
		}
	}
	out = p.ip(t, p.A, "-o", "addr", "show", "dev", "veth0")
	for _, c := range cases {
		if strings.Contains(out, c.want) {
			t.Errorf("after deleting %q, `ip addr` still has it:\n%s", c.line, out)
		}
	}
	if err := p.PA.AddAddress("nosuchif0", vip(t, "10.0.0.1")); err == nil || !strings.Contains(err.Error(), "nosuchif0") {
		t.Errorf("add on a missing interface: %v, want an error naming it", err)
	}
	if err := p.PA.DelAddress("nosuchif0", vip(t, "10.0.0.1")); err != nil {
		t.Errorf("delete on a missing interface: %v, want nil (nothing to remove)", err)
	}
}

func TestRoutesAndRules(t *testing.T) {
	p := newPair(t, "192.168.77.1/24", "")
	route := func(words string) keepalivedconf.Route {
		w := strings.Fields(words)
		r := keepalivedconf.Route{Words: w}
		i := 0
		if _, ok := routeTypes[w[0]]; ok {
			r.Type = w[0]
			i = 1
		}
		if pf, err := parsePrefixOrAddr(w[i]); err == nil {
			r.Dest = pf
		}
		return r
	}
	routes := []struct {
		words, table, want string
	}{
		{"10.9.0.0/16 via 192.168.77.2 dev veth0 table 100 metric 5", "100", "10.9.0.0/16 via 192.168.77.2 dev veth0 metric 5"},
		{"blackhole 10.10.0.0/16", "main", "blackhole 10.10.0.0/16"},
		{"10.11.0.0/16 dev veth0", "main", "10.11.0.0/16 dev veth0 scope link"},
		{"2001:db8:5::/48 via fe80::b dev veth0", "main", "2001:db8:5::/48 via fe80::b dev veth0"},
	}
	for _, r := range routes {
		if err := p.PA.AddRoute(route(r.words)); err != nil {
			t.Fatalf("add route %s: %v", r.words, err)
		}
		if err := p.PA.AddRoute(route(r.words)); err != nil {
			t.Fatalf("add route %s again: %v", r.words, err)
		}
		fam := "-4"
		if strings.Contains(r.words, ":") {
			fam = "-6"
		}
		if out := p.ip(t, p.A, fam, "route", "show", "table", r.table); !strings.Contains(out, r.want) {
			t.Errorf("route %q: table %s lacks %q:\n%s", r.words, r.table, r.want, out)
		}
	}
	rule := keepalivedconf.Rule{From: "192.168.77.100", Table: "100", Preference: "100",
		Words: strings.Fields("from 192.168.77.100 table 100 preference 100")}
	if err := p.PA.AddRule(rule); err != nil {
		t.Fatal(err)
	}
	if err := p.PA.AddRule(rule); err != nil {
		t.Fatal(err)
	}
	if out := p.ip(t, p.A, "rule"); !strings.Contains(out, "100:\tfrom 192.168.77.100 lookup 100") {
		t.Errorf("`ip rule` lacks the rule:\n%s", out)
	}
	if err := p.PA.DelRule(rule); err != nil {
		t.Fatal(err)
	}
	if err := p.PA.DelRule(rule); err != nil {
		t.Fatalf("deleting an absent rule: %v", err)
	}
	if out := p.ip(t, p.A, "rule"); strings.Contains(out, "192.168.77.100") {
		t.Errorf("rule still there:\n%s", out)
	}
	for _, r := range routes {
		if err := p.PA.DelRoute(route(r.words)); err != nil {
			t.Fatalf("delete route %s: %v", r.words, err)
		}
		if err := p.PA.DelRoute(route(r.words)); err != nil {
			t.Fatalf("delete absent route %s: %v", r.words, err)
		}
	}
	if out := p.ip(t, p.A, "route", "show", "table", "all"); strings.Contains(out, "10.9.0.0") || strings.Contains(out, "10.10.0.0") {
		t.Errorf("routes still there:\n%s", out)
	}
	if err := p.PA.AddRoute(route("10.12.0.0/16 dev veth0 realms 5")); err == nil || !strings.Contains(err.Error(), "realms") {
		t.Errorf("unsupported route option: %v, want an error naming it", err)
	}
}

func TestLinks(t *testing.T) {
	p := newPair(t, "192.168.77.1/24", "192.168.77.2/24")
	if up, err := p.PA.LinkUp("veth0"); err != nil || !up {
		t.Fatalf("LinkUp(veth0) = %v, %v; want up", up, err)
	}
	if _, err := p.PA.LinkUp("nosuchif0"); err == nil {
		t.Fatal("LinkUp of a missing interface: no error")
	}
	if a, err := p.PA.PrimaryAddr("veth0", false); err != nil || a != netip.MustParseAddr("192.168.77.1") {
		t.Fatalf("PrimaryAddr v4 = %s, %v", a, err)
	}
	if a, err := p.PA.PrimaryAddr("veth0", true); err != nil || a != netip.MustParseAddr("fe80::a") {
		t.Fatalf("PrimaryAddr v6 = %s, %v", a, err)
	}
	if _, err := p.PA.PrimaryAddr("lo", false); err != nil {
		t.Fatalf("PrimaryAddr lo: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ev, err := p.PA.WatchLinks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The peer going down takes our carrier away.
	p.ip(t, p.B, "link", "set", "veth0", "down")
	waitEvent(t, ev, "veth0", false)
	if up, _ := p.PA.LinkUp("veth0"); up {
		t.Error("LinkUp = true without carrier")
	}
	p.ip(t, p.B, "link", "set", "veth0", "up")
	waitEvent(t, ev, "veth0", true)
	cancel()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-ev:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("WatchLinks channel not closed after its context ended")
		}
	}
}

func waitEvent(t *testing.T, ev <-chan vrrpLinkEvent, name string, up bool) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-ev:
			if e.Interface == name && e.Up == up {
				return
			}
		case <-timeout:
			t.Fatalf("no event %s up=%v", name, up)
		}
	}
}

type vrrpLinkEvent = vrrp.LinkEvent
