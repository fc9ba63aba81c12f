package notify_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"go.uber.org/zap"

	"github.com/gohaproxy/gohaproxy/pkg/notify"
)

// How gokeepalived wires its global_defs and a VRRP instance's notify
// settings.
func Example_keepalived() {
	ctx := context.Background()
	log := zap.NewNop()

	mailer, err := notify.NewMailer(ctx, notify.MailerConfig{
		Style:    notify.Keepalived,
		Servers:  []string{"127.0.0.1:25"}, // smtp_server 127.0.0.1 [25]
		HeloName: "lb1",                    // smtp_helo_name
		From:     "keepalived@lb1",         // notification_email_from
		To:       []string{"ops@example.com"},
		Logger:   log,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	runner := notify.NewRunner(ctx, notify.RunnerConfig{Logger: log, Timeout: 30 * time.Second})

	// On a state change of VRRP instance VI_1:
	if m, ok := notify.VRRPInstanceMail("LVS_1", "VI_1", notify.Master); ok {
		mailer.Send(m) // never blocks
	}
	if argv, err := notify.SplitCommand(`/etc/keepalived/notify.sh "with arg"`); err == nil {
		if c := notify.CheckScript(argv, notify.UserID{}, true); c.Verdict != notify.Refused {
			runner.Run(notify.Script{Argv: c.Argv}, notify.NotifyArgs("INSTANCE", "VI_1", notify.Master, 100)...)
		}
	}

	// A checker's real server went down:
	rs := notify.Service(netip.MustParseAddrPort("10.0.0.2:443"), "tcp")
	vs := notify.Service(netip.MustParseAddrPort("10.0.0.1:443"), "tcp")
	m := notify.RealServerMail("LVS_1", rs, vs, false, notify.CheckerBody(notify.TCPCheck, false, ""))
	fmt.Println(m.Subject)
	fmt.Println(m.Body)

	shutdown, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	runner.Close(shutdown)
	mailer.Close(shutdown)
	// Output:
	// [LVS_1] Realserver [10.0.0.2]:tcp:443 of virtual server [10.0.0.1]:tcp:443 - DOWN
	// => TCP CHECK failed on service <=
}

// How gohaproxy mails a server state change (email-alert level permitting).
func Example_haproxy() {
	m := notify.HAProxyServerMail("Server be/srv1 is UP, reason: Layer4 check passed, check duration: 0ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.")
	fmt.Println(m.Subject)
	// Output:
	// [HAProxy Alert] Server be/srv1 is UP, reason: Layer4 check passed, check duration: 0ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue
}
