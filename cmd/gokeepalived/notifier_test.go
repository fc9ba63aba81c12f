package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
	"github.com/gohaproxy/gohaproxy/pkg/keepalivedconf"
	"github.com/gohaproxy/gohaproxy/pkg/vrrp"
)

// Mails go once per state (keepalived's last_email_state), not for FAULT
// with no_email_faults, and to a real SMTP server (aiosmtpd).
func TestNotifierMailRules(t *testing.T) {
	addr, msgs := testenv.StartSMTP(t)
	host, port, _ := net.SplitHostPort(addr)
	conf := fmt.Sprintf(`global_defs {
    router_id r9
    notification_email {
        ops@example.com
    }
    notification_email_from ka@example.com
    smtp_server %s %s
    smtp_alert
    no_email_faults
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 9
    priority 100
    virtual_ipaddress {
        10.9.9.9
    }
}
`, host, port)
	res := keepalivedconf.ParseBytes("keepalived.conf", []byte(conf), keepalivedconf.Options{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n, err := newNotifier(ctx, res.Config, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{"BACKUP", "BACKUP", "FAULT", "MASTER"} {
		n.Notify(vrrp.Notification{Kind: "INSTANCE", Name: "VI_1", State: st, Priority: 100})
	}
	n.close(30 * time.Second)
	if !testenv.WaitFor(30*time.Second, func() bool { return len(msgs()) >= 2 }) {
		t.Fatalf("mails received: %q", msgs())
	}
	time.Sleep(500 * time.Millisecond)
	got := msgs()
	if len(got) != 2 {
		t.Fatalf("got %d mails, want 2 (BACKUP once, no FAULT, MASTER):\n%s", len(got), strings.Join(got, "\n----\n"))
	}
	for i, want := range []string{"Subject: [r9] VRRP Instance VI_1 - Entering BACKUP state", "Subject: [r9] VRRP Instance VI_1 - Entering MASTER state"} {
		if !strings.Contains(got[i], want) {
			t.Errorf("mail %d:\n%s\nwant %q", i, got[i], want)
		}
	}
	if c := n.instanceCounts("VI_1", false); c.becameMaster != 1 || c.releasedMaster != 0 {
		t.Errorf("counts %+v", c)
	}
}
