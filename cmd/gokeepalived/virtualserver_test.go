package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"

	"github.com/gohaproxy/gohaproxy/pkg/keepalivedconf"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/lvs"
)

// recordingDP is a Dataplane that records the calls the virtual servers
// make.
type recordingDP struct {
	mu  sync.Mutex
	ops []string
}

func (r *recordingDP) rec(f string, a ...any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, fmt.Sprintf(f, a...))
	return nil
}

func (r *recordingDP) take() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := strings.Join(r.ops, "\n")
	r.ops = nil
	return s
}

func (r *recordingDP) Name() string                       { return "recording" }
func (r *recordingDP) AddService(s *lvs.Service) error    { return r.rec("add-svc %s %s", s, s.Algo) }
func (r *recordingDP) RemoveService(s *lvs.Service) error { return r.rec("del-svc %s", s) }
func (r *recordingDP) AddDest(s *lvs.Service, d *lvs.Dest, w int) error {
	return r.rec("add %s to %s w%d", d.Addr, s, w)
}
func (r *recordingDP) EditDest(s *lvs.Service, d *lvs.Dest, w int) error {
	return r.rec("edit %s in %s w%d", d.Addr, s, w)
}
func (r *recordingDP) RemoveDest(s *lvs.Service, d *lvs.Dest) error {
	return r.rec("del %s from %s", d.Addr, s)
}

func vsConfig(t *testing.T, algoB string) *keepalivedconf.Config {
	t.Helper()
	text := `
virtual_server 10.0.0.1 80 {
    lb_algo rr
    protocol TCP
    real_server 10.0.1.1 80 {
        weight 1
    }
}
virtual_server 10.0.0.2 80 {
    lb_algo ` + algoB + `
    protocol TCP
    real_server 10.0.1.2 80 {
        weight 2
    }
}
`
	r := keepalivedconf.ParseBytes("keepalived.conf", []byte(text), keepalivedconf.Options{}, realHost{})
	if r.Config == nil {
		t.Fatalf("config: %v", r.Diags)
	}
	return r.Config
}

// TestReloadDataplane: at a reload the unchanged virtual server keeps its
// entries (no call), the changed one is removed and added again; at
// shutdown every entry leaves.
func TestReloadDataplane(t *testing.T) {
	dp := &recordingDP{}
	ctx, cancel := context.WithCancel(context.Background())
	var logs []string
	var mu sync.Mutex
	logf := func(f string, a ...any) {
		mu.Lock()
		logs = append(logs, fmt.Sprintf(f, a...))
		mu.Unlock()
	}
	rt, err := startWith(ctx, cancel, vsConfig(t, "rr"), zap.NewNop(), logf, &dataplane{dp: dp, close: func() {}})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.stop()
	if got, want := dp.take(), "add-svc [10.0.0.1]:tcp:80 rr\nadd 10.0.1.1:80 to [10.0.0.1]:tcp:80 w1\nadd-svc [10.0.0.2]:tcp:80 rr\nadd 10.0.1.2:80 to [10.0.0.2]:tcp:80 w2"; got != want {
		t.Errorf("start:\n got %s\nwant %s", got, want)
	}
	if err := rt.reload(vsConfig(t, "rr")); err != nil {
		t.Fatal(err)
	}
	if got := dp.take(); got != "" {
		t.Errorf("a reload without change touched the table:\n%s", got)
	}
	if err := rt.reload(vsConfig(t, "wlc")); err != nil {
		t.Fatal(err)
	}
	if got, want := dp.take(), "del 10.0.1.2:80 from [10.0.0.2]:tcp:80\ndel-svc [10.0.0.2]:tcp:80\nadd-svc [10.0.0.2]:tcp:80 wlc\nadd 10.0.1.2:80 to [10.0.0.2]:tcp:80 w2"; got != want {
		t.Errorf("reload with the second virtual server changed:\n got %s\nwant %s", got, want)
	}
	rt.stop()
	if got, want := dp.take(), "del 10.0.1.1:80 from [10.0.0.1]:tcp:80\ndel-svc [10.0.0.1]:tcp:80\ndel 10.0.1.2:80 from [10.0.0.2]:tcp:80\ndel-svc [10.0.0.2]:tcp:80"; got != want {
		// The Managers stop concurrently: accept either order of the two
		// virtual servers.
		alt := "del 10.0.1.2:80 from [10.0.0.2]:tcp:80\ndel-svc [10.0.0.2]:tcp:80\ndel 10.0.1.1:80 from [10.0.0.1]:tcp:80\ndel-svc [10.0.0.1]:tcp:80"
		if got != alt {
			t.Errorf("shutdown:\n got %s\nwant %s", got, want)
		}
	}
}

// TestChooseDataplane: on this kernel the choice follows /proc/net/ip_vs
// and lvs_userspace.
func TestChooseDataplane(t *testing.T) {
	parse := func(global string) *keepalivedconf.Config {
		text := "global_defs {\n" + global + "\n}\nvirtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.1.1 80 {\n }\n}\n"
		r := keepalivedconf.ParseBytes("k.conf", []byte(text), keepalivedconf.Options{}, realHost{})
		if r.Config == nil {
			t.Fatalf("config: %v", r.Diags)
		}
		return r.Config
	}
	_, err := os.Stat(ipvsProc)
	hasIPVS := err == nil
	logf := func(string, ...any) {}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	d, err := chooseDataplane(ctx, parse("lvs_userspace on"), logf)
	if err != nil || !d.userspace || d.dp.Name() != "userspace forwarder" {
		t.Fatalf("lvs_userspace on: %+v %v", d, err)
	}
	cancel()
	d.close()
	if want := "Using the userspace forwarder for virtual servers (forced by lvs_userspace in k.conf:2)"; d.choice != want {
		t.Errorf("choice %q, want %q", d.choice, want)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	d, err = chooseDataplane(ctx, parse(""), logf)
	if hasIPVS {
		if err != nil || d.userspace || d.dp.Name() != "kernel IPVS" {
			t.Fatalf("with IPVS: %+v %v", d, err)
		}
		d.close()
	} else {
		if err != nil || !d.userspace {
			t.Fatalf("without IPVS: %+v %v", d, err)
		}
		cancel()
		d.close()
		if want := "Using the userspace forwarder for virtual servers (no kernel IPVS: /proc/net/ip_vs not found)"; d.choice != want {
			t.Errorf("choice %q, want %q", d.choice, want)
		}
		_, err = chooseDataplane(context.Background(), parse("lvs_userspace off"), logf)
		if err == nil || !strings.Contains(err.Error(), "k.conf:2: lvs_userspace off asks for kernel IPVS, which this kernel lacks") {
			t.Errorf("lvs_userspace off without IPVS: %v", err)
		}
	}
}

// TestDumpConfLiveState: -d logs keepalived's LVS topology with each real
// server's live state and weight once the services are in the table.
func TestDumpConfLiveState(t *testing.T) {
	dp := &recordingDP{}
	ctx, cancel := context.WithCancel(context.Background())
	rt, err := startWith(ctx, cancel, vsConfig(t, "rr"), zap.NewNop(), func(string, ...any) {}, &dataplane{dp: dp, close: func() {}})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.stop()
	var lines []string
	logCheckData(func(f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) }, vsConfig(t, "rr"), rt)
	text := strings.Join(lines, "\n")
	for _, want := range []string{
		"------< LVS Topology >------",
		" VS VIP = 10.0.0.2, VPORT = 80",
		"   RIP = 10.0.1.2, RPORT = 80, WEIGHT = 2",
		"   connection limit range = 0 -> 0",
		"   alive = 1",
		"   RS set = 1",
		"   quorum_state_up = 1",
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("no %q line in the dump:\n%s", want, text)
		}
	}
}
