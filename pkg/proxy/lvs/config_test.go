package lvs

import (
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/keepalivedconf"
)

func parse(t testing.TB, conf string) *keepalivedconf.Config {
	t.Helper()
	res := keepalivedconf.ParseBytes("/etc/keepalived/keepalived.conf", []byte(conf), keepalivedconf.Options{}, nil)
	return res.Config
}

const seedLike = `
virtual_server 10.0.0.100 8899 {
    delay_loop 6
    lb_algo wrr
    lb_kind NAT
    persistence_timeout 50
    protocol TCP
    quorum 1
    sorry_server 10.0.0.9 8443
    sorry_server_inhibit on
    inhibit_on_failure

    real_server 10.0.0.2 8443 {
        weight 3
        notify_down "/usr/local/bin/rs-down 10.0.0.2"
        SSL_GET {
            url {
              path /
              digest ff20ad2481f97b1754ef3e12ecd3a9cc
            }
            url {
              path /mrtg/
              status_code 200-299 301
            }
            connect_timeout 3
            nb_get_retry 3
            delay_before_retry 3
        }
    }
    real_server 10.0.0.3 8443 {
        weight 1
        TCP_CHECK {
            connect_port 9000
            bindto 10.0.0.1
            retry 2
        }
        MISC_CHECK {
            misc_path "/bin/check arg"
            misc_dynamic
        }
    }
}
`

func TestServicesFromConfig(t *testing.T) {
	svcs, err := Services(parse(t, seedLike), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(svcs) != 1 {
		t.Fatalf("%d services", len(svcs))
	}
	s := svcs[0]
	if s.String() != "[10.0.0.100]:tcp:8899" || s.Algo != "wrr" || s.Persistence != 50*time.Second {
		t.Fatalf("service %s algo %s persistence %v", s, s.Algo, s.Persistence)
	}
	if s.Sorry == nil || !s.Sorry.Inhibit || s.FmtDest(s.Sorry) != "[10.0.0.9]:tcp:8443" {
		t.Fatalf("sorry server %+v", s.Sorry)
	}
	a, b := s.Reals[0], s.Reals[1]
	if a.Weight != 3 || !a.Inhibit || a.NotifyDown != "/usr/local/bin/rs-down 10.0.0.2" {
		t.Fatalf("rs a %+v", a)
	}
	ssl := a.Checkers[0]
	if ssl.Type != "SSL_GET" || ssl.Retry != 3 || ssl.ConnectTimeout != 3*time.Second || ssl.DelayLoop != 6*time.Second || ssl.Warmup != 6*time.Second {
		t.Fatalf("ssl %+v", ssl)
	}
	if len(ssl.URLs) != 2 || ssl.URLs[0].Digest != "ff20ad2481f97b1754ef3e12ecd3a9cc" || len(ssl.URLs[1].Status) != 2 || ssl.URLs[1].Status[0] != (StatusRange{200, 299}) {
		t.Fatalf("urls %+v", ssl.URLs)
	}
	tcp := b.Checkers[0]
	if tcp.Connect.String() != "10.0.0.3:9000" || tcp.BindTo != "10.0.0.1" || tcp.Retry != 2 || tcp.DelayBeforeRetry != time.Second || tcp.ConnectTimeout != 5*time.Second {
		t.Fatalf("tcp %+v", tcp)
	}
	misc := b.Checkers[1]
	if misc.MiscPath != "/bin/check arg" || !misc.MiscDynamic || misc.MiscTimeout != 6*time.Second {
		t.Fatalf("misc %+v", misc)
	}
}

func TestUserspaceRefusals(t *testing.T) {
	for _, tc := range []struct{ conf, want string }{
		{"virtual_server 10.0.0.1 80 {\n lb_kind DR\n real_server 10.0.0.2 80 {\n }\n}\n", "/etc/keepalived/keepalived.conf:1: lb_kind DR needs the kernel's IPVS"},
		{"virtual_server 10.0.0.1 80 {\n lb_kind TUN\n}\n", "/etc/keepalived/keepalived.conf:1: lb_kind TUN needs the kernel's IPVS"},
		{"virtual_server fwmark 5 {\n lb_kind NAT\n}\n", "/etc/keepalived/keepalived.conf:1: virtual_server fwmark needs the kernel's IPVS"},
		{"virtual_server 10.0.0.1 53 {\n protocol SCTP\n}\n", "/etc/keepalived/keepalived.conf:1: protocol SCTP needs the kernel's IPVS"},
		{"virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.0.2 80 {\n  lvs_method DR\n }\n}\n", "/etc/keepalived/keepalived.conf:4: lvs_method DR needs the kernel's IPVS"},
		{"virtual_server 10.0.0.1 80 {\n sorry_server_lvs_method DR\n sorry_server 10.0.0.9 80\n}\n", "/etc/keepalived/keepalived.conf:2: sorry_server_lvs_method DR needs the kernel's IPVS"},
	} {
		_, err := Services(parse(t, tc.conf), true)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.conf, err, tc.want)
		}
		if _, err := Services(parse(t, tc.conf), false); err != nil && !strings.Contains(tc.conf, "lvs_method") {
			t.Errorf("with kernel IPVS %q is refused: %v", tc.conf, err)
		}
	}
}

func TestGroupService(t *testing.T) {
	conf := "virtual_server_group web {\n 10.0.0.1-3 80\n 10.0.0.9 80\n}\nvirtual_server group web {\n protocol TCP\n lb_algo rr\n real_server 10.0.1.1 8080 {\n  TCP_CHECK {\n  }\n }\n}\n"
	svcs, err := Services(parse(t, conf), true)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range svcs[0].Addrs {
		got = append(got, a.String())
	}
	if strings.Join(got, " ") != "10.0.0.1:80 10.0.0.2:80 10.0.0.3:80 10.0.0.9:80" {
		t.Fatalf("group addresses %v", got)
	}
	if svcs[0].String() != "[web]:80" {
		t.Fatalf("FMT_VS %s", svcs[0])
	}
}

// FuzzServices: no configuration text makes the translation panic.
func FuzzServices(f *testing.F) {
	f.Add(seedLike)
	f.Add("virtual_server_group g {\n 10.0.0.1-300 80\n fwmark 3\n}\nvirtual_server group g {\n}\n")
	f.Fuzz(func(t *testing.T, conf string) {
		cfg := parse(t, conf)
		if cfg == nil {
			return
		}
		Services(cfg, true)
		Services(cfg, false)
	})
}

// FuzzWords: the small readers of command lines, timers and status codes
// never panic.
func FuzzWords(f *testing.F) {
	f.Add(`/bin/sh -c "exit 3"`, "1.5", "200-299")
	f.Add(`"unterminated`, "-1", "x-")
	f.Fuzz(func(t *testing.T, cmd, timer, status string) {
		splitCommand(cmd)
		ParseTimer(timer)
		statusRanges(strings.Fields(status))
	})
}

func TestSmtpAlertDefaults(t *testing.T) {
	base := "virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.0.2 80 {\n }\n real_server 10.0.0.3 80 {\n  smtp_alert off\n }\n}\n"
	svcs, _ := Services(parse(t, base), true)
	if s := svcs[0]; s.SmtpAlert || !s.Reals[0].SmtpAlert || s.Reals[1].SmtpAlert {
		t.Fatalf("defaults: vs %v rs %v %v", s.SmtpAlert, s.Reals[0].SmtpAlert, s.Reals[1].SmtpAlert)
	}
	svcs, _ = Services(parse(t, "global_defs {\n smtp_alert_checker off\n}\n"+base), true)
	if s := svcs[0]; s.SmtpAlert || s.Reals[0].SmtpAlert {
		t.Fatalf("smtp_alert_checker off: vs %v rs %v", s.SmtpAlert, s.Reals[0].SmtpAlert)
	}
	svcs, _ = Services(parse(t, "global_defs {\n smtp_alert on\n}\n"+base), true)
	if s := svcs[0]; !s.SmtpAlert || !s.Reals[0].SmtpAlert || s.Reals[1].SmtpAlert {
		t.Fatalf("smtp_alert on: vs %v rs %v %v", s.SmtpAlert, s.Reals[0].SmtpAlert, s.Reals[1].SmtpAlert)
	}
}

// TestSorryServerMethod: sorry_server_lvs_method sets the sorry server's
// forwarding method (before or after the sorry_server line).
func TestSorryServerMethod(t *testing.T) {
	svcs, err := Services(parse(t, "virtual_server 10.0.0.1 80 {\n lb_kind NAT\n sorry_server_lvs_method TUN\n sorry_server 10.0.0.9 80\n}\n"), false)
	if err != nil || len(svcs) != 1 || svcs[0].Sorry == nil {
		t.Fatalf("services %v, %v", svcs, err)
	}
	if k := svcs[0].Sorry.Kind; k != "TUN" {
		t.Errorf("sorry server method %s, want TUN", k)
	}
	svcs, err = Services(parse(t, "virtual_server 10.0.0.1 80 {\n sorry_server 10.0.0.9 80\n sorry_server_lvs_method NAT\n}\n"), true)
	if err != nil || svcs[0].Sorry.Kind != "NAT" {
		t.Errorf("userspace, NAT sorry server: %v, %v", svcs, err)
	}
}
