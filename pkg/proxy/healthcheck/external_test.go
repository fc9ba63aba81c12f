package healthcheck

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
)

func buildGlobal(t *testing.T, body string) (*Spec, error) {
	t.Helper()
	cfg := load(t, "global\n  external-check\ndefaults\n  mode tcp\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\nbackend be\n"+body)
	px := cfg.Proxy("be")
	return Build(cfg.Global, px, px.Servers[0])
}

func TestBuildExternalCheck(t *testing.T) {
	sp, err := buildGlobal(t, "  option external-check\n  external-check command /bin/true\n  external-check path /bin\n  timeout check 3s\n  server s 10.0.0.1:80 check maxconn 5 inter 1s\n")
	if err != nil {
		t.Fatal(err)
	}
	e := sp.Ext
	if e == nil || e.Command != "/bin/true" || e.Info.Path != "/bin" || e.Timeout != time.Second || sp.Timeout != time.Second ||
		e.Info.ServerAddr != "10.0.0.1" || e.Info.ServerPort != "80" || e.Info.ServerMaxConn != 5 || e.Info.ProxyName != "be" {
		t.Errorf("external check %+v", e)
	}
	for _, body := range []string{
		"  option external-check\n  server s 10.0.0.1:80 check\n",
		"  option external-check\n  external-check command true\n  server s 10.0.0.1:80 check\n",
	} {
		_, err := buildGlobal(t, body)
		var ue *UnsupportedError
		if !errors.As(err, &ue) || ue.Pos.Line == 0 {
			t.Errorf("%q: got %v, want an UnsupportedError with its line", body, err)
		}
	}
}

func TestExternalRunsWithHaproxyEnvironment(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	script := filepath.Join(dir, "c.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$HAPROXY_SERVER_CURCONN $4 [$PATH]\" > "+out+"\nexit 2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	e := &External{Command: script, Timeout: 10 * time.Second, CurConn: func() int { return 4 }}
	e.Info.ServerAddr, e.Info.ServerPort = "10.0.0.1", "8080"
	r := e.Run(context.Background(), checks.Target{})
	if r.OK || r.Status != checks.StatusPROCERR || r.Code != 2 {
		t.Errorf("result %+v", r)
	}
	b, err := os.ReadFile(out)
	if err != nil || string(b) != "4 8080 []\n" {
		t.Errorf("script saw %q (%v)", b, err)
	}
}
