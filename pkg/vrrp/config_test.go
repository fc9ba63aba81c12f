package vrrp

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/vrrp/codec"
)

func specsOf(t *testing.T, text string) []*instanceSpec {
	t.Helper()
	specs, _, err := buildSpecs(parseConf(t, text))
	if err != nil {
		t.Fatal(err)
	}
	return specs
}

func TestBuildSpec(t *testing.T) {
	sp := specsOf(t, `vrrp_script chk {
    script "/bin/true"
    weight -20
}
vrrp_track_file tf {
    file /tmp/x
    weight 3
}
vrrp_instance A {
    state MASTER
    interface eth0
    virtual_router_id 7
    advert_int 2
    preempt_delay 15
    garp_master_repeat 2
    authentication {
        auth_type PASS
        auth_pass secret123
    }
    track_script {
        chk
    }
    track_file {
        tf weight -2 reverse
    }
    track_interface {
        eth1 weight 10
    }
    virtual_ipaddress {
        10.1.1.1/24
        10.1.1.2
    }
}
vrrp_instance B {
    interface eth0
    virtual_router_id 8
    priority 255
    advert_int 0.25
    virtual_ipaddress {
        fe80::1/64
    }
}
`)
	a, b := sp[0], sp[1]
	if a.cfg.Priority != 255 || !a.cfg.InitialMaster {
		t.Errorf("A: state MASTER without priority: prio %d initial master %v", a.cfg.Priority, a.cfg.InitialMaster)
	}
	if a.cfg.Version != 2 || a.cfg.AdvertInt != 2*time.Second || a.cfg.PreemptDelay != 15*time.Second || a.cfg.GarpMasterRepeat != 2 {
		t.Errorf("A: %+v", a.cfg)
	}
	if a.auth != codec.AuthPass || string(a.pass[:]) != "secret12" {
		t.Errorf("A auth %d %q", a.auth, a.pass)
	}
	want := []trackRef{{TrackScript, "chk", -20, false}, {TrackFile, "tf", -2, true}, {TrackInterface, "eth1", 10, false}}
	if len(a.tracks) != len(want) {
		t.Fatalf("tracks %+v", a.tracks)
	}
	for i := range want {
		if a.tracks[i] != want[i] {
			t.Errorf("track %d: %+v want %+v", i, a.tracks[i], want[i])
		}
	}
	if len(a.vips) != 2 {
		t.Errorf("vips %v", a.vips)
	}
	p := a.packet(200)
	if p.AdvertInt != 2 || p.Priority != 200 || p.AuthType != codec.AuthPass {
		t.Errorf("packet %+v", p)
	}
	if !b.ipv6 || b.cfg.Version != 3 || b.cfg.AdvertInt != 250*time.Millisecond || !b.cfg.InitialMaster {
		t.Errorf("B: ipv6 %v %+v", b.ipv6, b.cfg)
	}
	if p := b.packet(255); p.AdvertInt != 25 {
		t.Errorf("B advert int %d cs", p.AdvertInt)
	}
}

func TestBuildSpecErrors(t *testing.T) {
	for _, c := range []struct{ extra, want string }{
		{"use_ipvlan", `keepalived.conf:10: "use_ipvlan" is not supported`},
		{"use_vmac a/b", `keepalived.conf:10: use_vmac: invalid interface name "a/b"`},
	} {
		_, _, err := buildSpecs(parseConf(t, confText(100, c.extra)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v", c.extra, err)
		}
	}
}

func TestVMACSpec(t *testing.T) {
	sp := specsOf(t, confText(100, "use_vmac"))[0]
	if sp.vmac != fmt.Sprintf("vrrp.%d", sp.cfg.VRID) || sp.ifname() != sp.vmac || sp.sockIf() != sp.vmac {
		t.Errorf("vmac %q ifname %q sock %q", sp.vmac, sp.ifname(), sp.sockIf())
	}
	if got := sp.vmacAddr().String(); got != fmt.Sprintf("00:00:5e:00:0%d:%02x", map[bool]int{false: 1, true: 2}[sp.ipv6], sp.cfg.VRID) {
		t.Errorf("VMAC address %s", got)
	}
	sp = specsOf(t, confText(100, "use_vmac vm1\nvmac_xmit_base"))[0]
	if sp.vmac != "vm1" || sp.sockIf() != sp.conf.Interface {
		t.Errorf("vmac %q sock %q", sp.vmac, sp.sockIf())
	}
}

func TestV2AdvertIntRounding(t *testing.T) {
	sp := specsOf(t, strings.Replace(strings.Replace(confText(100, ""), "    version 3\n", "", 1), "advert_int 0.1", "advert_int 1.6", 1))
	if sp[0].cfg.AdvertInt != 2*time.Second {
		t.Errorf("advert_int %v", sp[0].cfg.AdvertInt)
	}
	want := "(VI_1) VRRPv2 advertisement interval 1.600000s must be an integer. rounding"
	if len(sp[0].warnings) != 1 || sp[0].warnings[0] != want {
		t.Errorf("warnings %q", sp[0].warnings)
	}
}

func TestSyncGroupTracksApplyToMembers(t *testing.T) {
	conf := `vrrp_script chk {
    script "/bin/true"
    weight 10
}
vrrp_sync_group G {
    group {
        A
        B
    }
    track_script {
        chk weight -20
    }
    track_interface {
        eth9 weight 5
    }
}
vrrp_instance A {
    interface eth0
    virtual_router_id 1
    track_script {
        chk weight 3
    }
    virtual_ipaddress {
        10.0.0.1
    }
}
vrrp_instance B {
    interface eth1
    virtual_router_id 2
    virtual_ipaddress {
        10.0.1.1
    }
}
`
	sp := specsOf(t, conf)
	for _, s := range sp {
		want := []trackRef{{kind: TrackScript, name: "chk", weight: -20}, {kind: TrackInterface, name: "eth9", weight: 5}}
		if !slices.Equal(s.tracks, want) {
			t.Errorf("%s tracks %+v, want %+v", s.cfg.Name, s.tracks, want)
		}
	}
	if w := sp[0].warnings; len(w) != 1 || w[0] != "(A) track_script chk is configured on VRRP instance and sync group. Remove vrrp instance config" {
		t.Errorf("warnings %q", w)
	}
}

// TestTrackFileReverse: "weight N reverse" in a vrrp_track_file block
// reverses the file's effect for the instances that track it.
func TestTrackFileReverse(t *testing.T) {
	conf := `vrrp_track_file f {
    file /tmp/none
    weight 5 reverse
}
vrrp_instance A {
    interface eth0
    virtual_router_id 1
    track_file {
        f
    }
    virtual_ipaddress {
        10.0.0.1
    }
}
`
	sp := specsOf(t, conf)
	for _, s := range sp {
		if len(s.tracks) != 1 {
			t.Fatalf("tracks %+v", s.tracks)
		}
		r := s.tracks[0]
		fault, d := FileEffect(2, r.weight, r.reverse)
		if fault || d != -10 {
			t.Errorf("value 2 with weight 5 reverse: fault %v, delta %d; want -10", fault, d)
		}
	}
}
