package notify

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// TestKeepalivedOracle runs Debian's keepalived 2.2.7 in a network
// namespace with an SMTP server, notify scripts and a notify FIFO, and
// compares with this package: the mail keepalived sends when its
// instance becomes MASTER, the arguments its notify script gets, the
// FIFO lines, and the messages of its script security checks.
func TestKeepalivedOracle(t *testing.T) {
	testenv.RequireRoot(t)
	keepalived := testenv.Oracle(t, "keepalived")
	sub := rand.IntN(200) + 20
	ifname := fmt.Sprintf("kn%d", rand.IntN(100000))
	ns := testenv.NewNetNS(t, testenv.Iface{Name: ifname, Addrs: []string{fmt.Sprintf("10.213.%d.1/24", sub)}})
	const smtpAddr = "127.0.0.1:2525" // the namespace's own loopback
	theirMails := testenv.StartSMTPIn(t, ns, smtpAddr)

	dir := t.TempDir() // root-owned, 0700, under the sticky /tmp: safe
	os.Chmod(dir, 0o755)
	argsFile := filepath.Join(dir, "args")
	notify := writeScript(t, dir, "notify.sh", `echo "$@" >> `+argsFile+"\n")
	open := filepath.Join(dir, "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777)
	unsafe := writeScript(t, open, "unsafe.sh", "exit 0\n")
	noexec := filepath.Join(dir, "noexec.sh")
	os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644)
	missing := filepath.Join(dir, "missing.sh")
	fifo := filepath.Join(dir, "fifo")

	conf := `global_defs {
    router_id R1
    notification_email {
        ops@example.com
        oncall@example.com
    }
    notification_email_from keepalived@r1.example
    smtp_server 127.0.0.1 2525
    smtp_helo_name r1.example
    smtp_connect_timeout 10
    enable_script_security
    script_user root
    vrrp_notify_fifo ` + fifo + `
}
vrrp_script chk_unsafe {
    script "` + unsafe + `"
}
vrrp_script chk_noexec {
    script "` + noexec + `"
}
vrrp_script chk_missing {
    script "` + missing + `"
}
vrrp_script chk_path {
    script "no-such-cmd-xq"
}
vrrp_instance VI_1 {
    interface ` + ifname + `
    state BACKUP
    virtual_router_id 51
    priority 100
    advert_int 1
    smtp_alert
    virtual_ipaddress {
        10.213.` + strconv.Itoa(sub) + `.100/32
    }
    track_script {
        chk_unsafe
        chk_noexec
        chk_missing
        chk_path
    }
    notify "` + notify + `"
}
`
	confPath := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := ns.Command(keepalived, "-n", "-l", "-D", "-f", confPath,
		"-p", filepath.Join(dir, "keepalived.pid"), "-r", filepath.Join(dir, "vrrp.pid"), "-c", filepath.Join(dir, "checkers.pid"))
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			syscall.Kill(pid, syscall.SIGKILL)
			<-done
		}
		// The VRRP child, should it outlive its parent.
		if b, err := os.ReadFile(filepath.Join(dir, "vrrp.pid")); err == nil {
			if child, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && child > 1 {
				syscall.Kill(child, syscall.SIGKILL)
			}
		}
	})

	// keepalived becomes MASTER after 3 advert intervals without a peer.
	// It mails on entering BACKUP (at start) and MASTER.
	theirs := waitMessages(t, theirMails, 2)
	if !testenv.WaitFor(30*time.Second, func() bool {
		b, _ := os.ReadFile(argsFile)
		return strings.Count(string(b), "\n") >= 2
	}) {
		b, _ := os.ReadFile(argsFile)
		t.Fatalf("notify script calls: %q\nkeepalived said:\n%s", b, out.String())
	}

	// The mail.
	addr, ourMails := testenv.StartSMTP(t)
	m := newTestMailer(t, MailerConfig{Servers: []string{addr}, HeloName: "r1.example",
		From: "keepalived@r1.example", To: []string{"ops@example.com", "oncall@example.com"}})
	for _, st := range []State{Backup, Master} {
		mail, _ := VRRPInstanceMail("R1", "VI_1", st)
		m.Send(mail)
	}
	ours := waitMessages(t, ourMails, 2)
	kaDate := regexp.MustCompile(`(?m)^Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$`)
	norm := func(s string) string { return kaDate.ReplaceAllString(withoutPeer(s), "Date: D") }
	for i := range ours {
		if norm(ours[i]) != norm(theirs[i]) {
			t.Errorf("keepalived sent:\n%q\nwe sent:\n%q", theirs[i], ours[i])
		}
	}

	// The notify script's arguments.
	b, _ := os.ReadFile(argsFile)
	want := strings.Join(NotifyArgs("INSTANCE", "VI_1", Backup, 100), " ") + "\n" +
		strings.Join(NotifyArgs("INSTANCE", "VI_1", Master, 100), " ") + "\n"
	if string(b) != want {
		t.Errorf("keepalived called notify with %q, NotifyArgs gives %q", b, want)
	}

	// The FIFO: keepalived keeps it open read-write, so the lines it
	// wrote wait there for a reader.
	rfd, err := syscall.Open(fifo, syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatalf("keepalived's FIFO: %v", err)
	}
	defer syscall.Close(rfd)
	buf := make([]byte, 4096)
	n, _ := syscall.Read(rfd, buf)
	if got, want := string(buf[:max(n, 0)]), InstanceLine("VI_1", Backup, 100)+InstanceLine("VI_1", Master, 100); got != want {
		t.Errorf("keepalived's FIFO: %q, InstanceLine gives %q", got, want)
	}

	// The script security messages.
	var logged []string
	for _, l := range strings.Split(out.String(), "\n") {
		if _, msg, ok := strings.Cut(l, " 2026: "); ok {
			logged = append(logged, msg)
		} else if i := strings.Index(l, ": "); i > 0 {
			logged = append(logged, l[i+2:])
		}
	}
	has := func(msg string) bool {
		for _, l := range logged {
			if l == msg {
				return true
			}
		}
		return false
	}
	for _, argv := range [][]string{{unsafe}, {noexec}, {missing}, {"no-such-cmd-xq"}, {notify}} {
		c := CheckScript(argv, UserID{}, true)
		if argv[0] == notify && c.Verdict != Secure {
			t.Errorf("%s: %v %q", argv[0], c.Verdict, c.Messages)
		}
		if argv[0] != notify && c.Verdict != Refused {
			t.Errorf("%s: %v, keepalived disabled it", argv[0], c.Verdict)
		}
		for _, msg := range c.Messages {
			if !has(msg) {
				t.Errorf("we say %q, keepalived did not:\n%s", msg, out.String())
			}
		}
	}
}
