package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// notifyTestConf is a one-instance sync group on eth0 with every kind of
// notify script writing to dir/out, a notify FIFO at dir/fifo and an
// insecure script (in a world-writable directory) keepalived must refuse.
func notifyTestConf(dir string, extraGlobal, extraInst string) string {
	return fmt.Sprintf(`global_defs {
    router_id r1
    enable_script_security
    script_user root
    notify_fifo %[1]s/fifo
%[2]s}
vrrp_sync_group G1 {
    group {
        VI_1
    }
    notify_master "%[1]s/n.sh master-g"
    notify "%[1]s/n.sh gen-g"
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 42
    priority 150
    advert_int 1
    notify_master "%[1]s/n.sh master-i"
    notify_backup "%[1]s/n.sh backup-i"
    notify_stop "%[1]s/n.sh stop-i"
    notify "%[1]s/n.sh gen-i"
    notify_fault %[1]s/bad/n.sh
%[3]s    virtual_ipaddress {
        %[4]s
    }
}
`, dir, extraGlobal, extraInst, pairVIP)
}

// notifyRun is what one daemon did in runNotify.
type notifyRun struct {
	scripts []string // lines the notify scripts wrote, sorted
	fifo    []string // notify FIFO lines, in order
	log     string
}

// readLines returns the lines of path (none if it does not exist).
func readLines(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

// prepareNotifyDir writes the notify script, an insecure copy and the
// FIFO into a fresh directory.
func prepareNotifyDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	script := fmt.Sprintf("#!/bin/sh\necho \"$*\" >> %s/out\n", dir)
	if err := os.WriteFile(filepath.Join(dir, "n.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad")
	if err := os.Mkdir(bad, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(bad, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "n.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fifoReader collects the lines written to the FIFO at path.
func fifoReader(t *testing.T, path string) func() []string {
	t.Helper()
	// Read-write: the open does not wait for a writer.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var lines []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			mu.Lock()
			lines = append(lines, sc.Text())
			mu.Unlock()
		}
	}()
	t.Cleanup(func() { f.Close(); <-done })
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(lines)
	}
}

// runNotify runs bin on l's router 0 until it is MASTER, stops it and
// returns what the notifications produced once want script lines were
// written (want 0: until the output settles).
func runNotify(t *testing.T, l *lan, bin string, want int) notifyRun {
	t.Helper()
	dir := prepareNotifyDir(t)
	fifo := fifoReader(t, filepath.Join(dir, "fifo"))
	r := newRouter(t, filepath.Base(bin), bin, l.routers[0], notifyTestConf(dir, "", ""))
	r.start(t)
	l.waitAddr(t, 0, pairVIP, true, 20*time.Second)
	out := filepath.Join(dir, "out")
	if !testenv.WaitFor(10*time.Second, func() bool { return slices.Contains(readLines(out), "master-g") }) {
		t.Fatalf("%s: notify_master of the sync group not run; scripts wrote %q", bin, readLines(out))
	}
	r.stop(syscall.SIGTERM)
	settle := func() bool {
		n := len(readLines(out))
		if want > 0 {
			return n >= want
		}
		time.Sleep(time.Second)
		return n == len(readLines(out)) && slices.Contains(readLines(out), "gen-g GROUP G1 STOP 0")
	}
	testenv.WaitFor(10*time.Second, settle)
	time.Sleep(300 * time.Millisecond)
	lines := readLines(out)
	slices.Sort(lines)
	log, _ := os.ReadFile(filepath.Join(r.dir, "out.log"))
	return notifyRun{scripts: lines, fifo: fifo(), log: string(log)}
}

// TestNotifyScriptsAndFIFOAgainstKeepalived: the notify scripts of an
// instance and of its sync group (state scripts and the generic "notify"
// with TYPE NAME STATE PRIORITY), the notify FIFO lines and the script
// security verdict at start, keepalived 2.2.7 and gokeepalived on the same
// configuration.
func TestNotifyScriptsAndFIFOAgainstKeepalived(t *testing.T) {
	k := testenv.Oracle(t, "keepalived")
	g := testenv.Binary(t, "gokeepalived")
	l := newLAN(t, 1)
	ka := runNotify(t, l, k, 0)
	l.waitAddr(t, 0, pairVIP, false, 10*time.Second)
	gk := runNotify(t, l, g, len(ka.scripts))
	t.Logf("keepalived scripts: %q\nfifo: %q", ka.scripts, ka.fifo)
	if !slices.Equal(ka.scripts, gk.scripts) {
		t.Errorf("notify scripts:\nkeepalived   %q\ngokeepalived %q", ka.scripts, gk.scripts)
	}
	if !slices.Equal(ka.fifo, gk.fifo) {
		t.Errorf("notify_fifo lines:\nkeepalived   %q\ngokeepalived %q", ka.fifo, gk.fifo)
	}
	for _, want := range []string{"master-i", "gen-i INSTANCE VI_1 MASTER 150", "gen-g GROUP G1 MASTER 0", "stop-i"} {
		if !slices.Contains(gk.scripts, want) {
			t.Errorf("gokeepalived: no script line %q in %q", want, gk.scripts)
		}
	}
	// The insecure script is refused by both with keepalived's line.
	for name, run := range map[string]notifyRun{"keepalived": ka, "gokeepalived": gk} {
		if !strings.Contains(run.log, "/bad/n.sh' - disabling.") || !strings.Contains(run.log, ": Unsafe permissions found for script '") {
			t.Errorf("%s did not refuse the insecure script:\n%s", name, run.log)
		}
	}
}

// TestSMTPAlertAgainstKeepalived: smtp_alert mails of an instance and its
// sync group, delivered to a real SMTP server (aiosmtpd) inside the
// router's namespace, compared with the ones keepalived 2.2.7 sends.
func TestSMTPAlertAgainstKeepalived(t *testing.T) {
	k := testenv.Oracle(t, "keepalived")
	g := testenv.Binary(t, "gokeepalived")
	l := newLAN(t, 1)
	const smtpAddr = "127.0.0.1:2525" // inside the test's own namespace
	msgs := testenv.StartSMTPIn(t, &testenv.NetNS{Name: l.routers[0]}, smtpAddr)
	global := `    notification_email {
        ops@example.com
        oncall@example.com
    }
    notification_email_from keepalived@r1.example.com
    smtp_server 127.0.0.1 2525
    smtp_helo_name r1.example.com
    smtp_connect_timeout 10
`
	run := func(bin string, from int) []string {
		dir := prepareNotifyDir(t)
		conf := strings.Replace(notifyTestConf(dir, global, "    smtp_alert\n"), "    notify_master \""+dir+"/n.sh master-g\"", "    smtp_alert\n    notify_master \""+dir+"/n.sh master-g\"", 1)
		r := newRouter(t, filepath.Base(bin), bin, l.routers[0], conf)
		r.start(t)
		l.waitAddr(t, 0, pairVIP, true, 20*time.Second)
		// BACKUP and MASTER of the instance, MASTER of the group
		// (keepalived mails a group's BACKUP only when it changes).
		if !testenv.WaitFor(30*time.Second, func() bool { return len(msgs())-from >= 3 }) {
			t.Logf("%s: only %d mails", bin, len(msgs())-from)
		}
		r.stop(syscall.SIGTERM)
		time.Sleep(2 * time.Second)
		l.waitAddr(t, 0, pairVIP, false, 10*time.Second)
		var out []string
		for _, m := range msgs()[from:] {
			var keep []string
			for _, line := range strings.Split(m, "\n") {
				if strings.HasPrefix(line, "Date: ") || strings.HasPrefix(line, "X-Peer: ") {
					continue
				}
				keep = append(keep, line)
			}
			out = append(out, strings.Join(keep, "\n"))
		}
		slices.Sort(out)
		return out
	}
	ka := run(k, 0)
	gk := run(g, len(msgs()))
	t.Logf("keepalived sent %d mails:\n%s", len(ka), strings.Join(ka, "\n----\n"))
	if len(ka) == 0 {
		t.Fatal("keepalived sent no mail: the test setup is wrong")
	}
	// keepalived may lose the mails of the STOP transition when it exits;
	// every mail keepalived sent must come from gokeepalived too.
	for _, m := range ka {
		if !slices.Contains(gk, m) {
			t.Errorf("gokeepalived did not send:\n%s\n\ngokeepalived sent:\n%s", m, strings.Join(gk, "\n----\n"))
		}
	}
	for _, m := range gk {
		if slices.Contains(ka, m) {
			continue
		}
		// keepalived queues the "Stopping" mails but exits before
		// delivering them; gokeepalived delivers them (bounded wait).
		if !strings.Contains(m, " - Stopping\n") {
			t.Errorf("gokeepalived sent a mail keepalived does not:\n%s", m)
		}
	}
}

// TestSystemdNotify: with $NOTIFY_SOCKET (Type=notify), gokeepalived
// reports READY=1 with its MAINPID once started, RELOADING=1 then READY=1
// around a SIGHUP reload, and STOPPING=1 on SIGTERM.
func TestSystemdNotify(t *testing.T) {
	g := testenv.Binary(t, "gokeepalived")
	l := newLAN(t, 1)
	sock := filepath.Join(t.TempDir(), "notify")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan string, 16)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := ln.ReadFromUnix(buf)
			if err != nil {
				close(got)
				return
			}
			got <- string(buf[:n])
		}
	}()
	next := func(what string) string {
		t.Helper()
		select {
		case m, ok := <-got:
			if !ok {
				t.Fatalf("notify socket closed while waiting for %s", what)
			}
			return m
		case <-time.After(20 * time.Second):
			t.Fatalf("no %s on $NOTIFY_SOCKET within 20 s", what)
		}
		return ""
	}
	r := newRouter(t, "sd", g, l.routers[0], vrrpConf("r1", 150, pairVIP))
	r.env = []string{"NOTIFY_SOCKET=" + sock}
	r.start(t)
	// ip netns exec execs the daemon: its pid is the command's.
	ready := "READY=1\nMAINPID=" + strconv.Itoa(r.cmd.Process.Pid)
	if m := next("READY=1"); m != ready {
		t.Fatalf("first notification %q, want %q", m, ready)
	}
	r.signal(t, syscall.SIGHUP)
	if m := next("RELOADING=1"); m != "RELOADING=1" {
		t.Fatalf("after SIGHUP: %q, want RELOADING=1", m)
	}
	if m := next("READY=1 after the reload"); m != ready {
		t.Fatalf("after the reload: %q, want %q", m, ready)
	}
	r.signal(t, syscall.SIGTERM)
	if m := next("STOPPING=1"); m != "STOPPING=1" {
		t.Fatalf("after SIGTERM: %q, want STOPPING=1", m)
	}
	r.stop(syscall.SIGTERM)
}

// dumps sends keepalived's DATA, STATS and JSON signals to r and returns
// the three files.
func dumps(t *testing.T, r *router) (data, stats, js []byte) {
	t.Helper()
	pid := r.cmd.Process.Pid
	if b, err := os.ReadFile(filepath.Join(r.dir, "keepalived.pid")); err == nil {
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	read := func(sig syscall.Signal, path string) []byte {
		os.Remove(path)
		if err := syscall.Kill(pid, sig); err != nil {
			t.Fatal(err)
		}
		var b []byte
		if !testenv.WaitFor(10*time.Second, func() bool {
			var err error
			b, err = os.ReadFile(path)
			return err == nil && len(b) > 0
		}) {
			t.Fatalf("%s: %s not written after signal %d", r.bin, path, sig)
		}
		time.Sleep(200 * time.Millisecond)
		b, _ = os.ReadFile(path)
		return b
	}
	return read(sigData, dataFile), read(sigStats, statsFile), read(sigJSON, jsonFile)
}

// TestDumpsAgainstKeepalived: every line gokeepalived writes in
// /tmp/keepalived.data and /tmp/keepalived.stats is one keepalived 2.2.7
// writes for the same state (time stamps aside), and every field of
// /tmp/keepalived.json has keepalived's name and value.
func TestDumpsAgainstKeepalived(t *testing.T) {
	k := testenv.Oracle(t, "keepalived")
	g := testenv.Binary(t, "gokeepalived")
	l := newLAN(t, 1)
	// One directory for both: the script paths are in the dumps.
	dir := prepareNotifyDir(t)
	confs := []string{notifyTestConf(dir, "", ""), fmt.Sprintf(`global_defs {
    router_id r1
    notification_email {
        a@example.com
        b@example.com
    }
    smtp_server 127.0.0.1 2599
    smtp_alert
    vrrp_version 3
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 42
    priority 100
    advert_int 1
    nopreempt
    virtual_ipaddress {
        %s/24
    }
}
`, pairVIP)}
	for i, conf := range confs {
		t.Run(strconv.Itoa(i), func(t *testing.T) { compareDumps(t, l, k, g, conf) })
	}
}

func compareDumps(t *testing.T, l *lan, k, g, conf string) {
	run := func(bin string) (data, stats, js []byte) {
		r := newRouter(t, filepath.Base(bin), bin, l.routers[0], conf)
		r.start(t)
		l.waitAddr(t, 0, pairVIP, true, 20*time.Second)
		time.Sleep(500 * time.Millisecond)
		data, stats, js = dumps(t, r)
		r.stop(syscall.SIGTERM)
		l.waitAddr(t, 0, pairVIP, false, 10*time.Second)
		return
	}
	kd, ks, kj := run(k)
	gd, gs, gj := run(g)
	kLines := strings.Split(string(kd), "\n")
	for _, line := range strings.Split(strings.TrimRight(string(gd), "\n"), "\n") {
		if strings.HasPrefix(line, "   Last transition = ") {
			continue
		}
		if !slices.Contains(kLines, line) {
			t.Errorf("data dump line %q is not in keepalived's", line)
		}
	}
	compareStats(t, ks, gs)
	var kjv, gjv []map[string]map[string]any
	if err := json.Unmarshal(kj, &kjv); err != nil {
		t.Fatalf("keepalived JSON: %v\n%s", err, kj)
	}
	if err := json.Unmarshal(gj, &gjv); err != nil {
		t.Fatalf("gokeepalived JSON: %v\n%s", err, gj)
	}
	if len(kjv) != 1 || len(gjv) != 1 {
		t.Fatalf("JSON dumps hold %d and %d instances, want 1", len(kjv), len(gjv))
	}
	for _, part := range []string{"data", "stats"} {
		for key, gv := range gjv[0][part] {
			kv, ok := kjv[0][part][key]
			if !ok {
				t.Errorf("JSON %s.%s is not a keepalived field", part, key)
				continue
			}
			if key == "last_transition" {
				continue
			}
			if fmt.Sprint(kv) != fmt.Sprint(gv) {
				t.Errorf("JSON %s.%s = %v, keepalived %v", part, key, gv, kv)
			}
		}
	}
}

// TestScriptSecurityLogAgainstKeepalived: without enable_script_security
// and script_user, keepalived 2.2.7 and gokeepalived log the same lines
// about the scripts at start (missing default user, missing script,
// unsafe permissions, the SECURITY VIOLATION summary), in the same order.
func TestScriptSecurityLogAgainstKeepalived(t *testing.T) {
	k := testenv.Oracle(t, "keepalived")
	g := testenv.Binary(t, "gokeepalived")
	l := newLAN(t, 1)
	dir := prepareNotifyDir(t)
	conf := strings.Replace(notifyTestConf(dir, "", ""), `notify_stop "`+dir+`/n.sh stop-i"`, "notify_stop "+dir+"/missing.sh", 1)
	conf = strings.Replace(conf, "    enable_script_security\n    script_user root\n", "", 1)
	keep := []string{"Script user '", "cannot be accessed", "Unsafe permissions", "SECURITY VIOLATION", "disabling"}
	run := func(bin string) []string {
		r := newRouter(t, filepath.Base(bin), bin, l.routers[0], conf)
		r.start(t)
		logPath := filepath.Join(r.dir, "out.log")
		if !testenv.WaitFor(20*time.Second, func() bool {
			b, _ := os.ReadFile(logPath)
			return strings.Contains(string(b), ": Startup complete")
		}) {
			t.Fatalf("%s did not start", bin)
		}
		r.stop(syscall.SIGTERM)
		var out []string
		for _, line := range readLines(logPath) {
			_, msg, ok := strings.Cut(line, " 2026: ")
			if !ok {
				if _, msg, ok = strings.Cut(line, ": "); !ok {
					continue
				}
			}
			for _, k := range keep {
				if strings.Contains(msg, k) {
					out = append(out, msg)
					break
				}
			}
		}
		return out
	}
	ka, gk := run(k), run(g)
	t.Logf("keepalived: %q", ka)
	if len(ka) < 3 {
		t.Fatalf("keepalived logged %q: the test setup is wrong", ka)
	}
	if !slices.Equal(ka, gk) {
		t.Errorf("script check lines:\nkeepalived   %q\ngokeepalived %q", ka, gk)
	}
}

// TestNotifyFIFOScriptAgainstKeepalived: vrrp_notify_fifo created by the
// daemon with vrrp_notify_fifo_script reading it (the FIFO's path is its
// argument); the lines the script reads are keepalived 2.2.7's.
func TestNotifyFIFOScriptAgainstKeepalived(t *testing.T) {
	k := testenv.Oracle(t, "keepalived")
	g := testenv.Binary(t, "gokeepalived")
	l := newLAN(t, 1)
	run := func(bin string) []string {
		dir := prepareNotifyDir(t)
		reader := fmt.Sprintf("#!/bin/sh\nwhile read -r line; do echo \"$1 $line\" >> %s/fifo-out; done < \"$1\"\n", dir)
		if err := os.WriteFile(filepath.Join(dir, "reader.sh"), []byte(reader), 0o755); err != nil {
			t.Fatal(err)
		}
		global := fmt.Sprintf("    vrrp_notify_fifo %[1]s/vfifo\n    vrrp_notify_fifo_script %[1]s/reader.sh\n", dir)
		r := newRouter(t, filepath.Base(bin), bin, l.routers[0], notifyTestConf(dir, global, ""))
		r.start(t)
		l.waitAddr(t, 0, pairVIP, true, 20*time.Second)
		out := filepath.Join(dir, "fifo-out")
		if !testenv.WaitFor(10*time.Second, func() bool { return len(readLines(out)) >= 4 }) {
			t.Errorf("%s: the FIFO script read %q", bin, readLines(out))
		}
		r.stop(syscall.SIGTERM)
		l.waitAddr(t, 0, pairVIP, false, 10*time.Second)
		var lines []string
		for _, line := range readLines(out) {
			lines = append(lines, strings.ReplaceAll(line, dir, "DIR"))
		}
		return lines[:min(4, len(lines))]
	}
	ka, gk := run(k), run(g)
	t.Logf("keepalived's FIFO script read %q", ka)
	if !slices.Equal(ka, gk) {
		t.Errorf("FIFO script input:\nkeepalived   %q\ngokeepalived %q", ka, gk)
	}
}

// TestNotifyReload: after SIGHUP the notifications follow the new
// configuration (a changed notify script), and the notify FIFO stays open
// across the reload.
func TestNotifyReload(t *testing.T) {
	g := testenv.Binary(t, "gokeepalived")
	l := newLAN(t, 1)
	dir := prepareNotifyDir(t)
	fifo := fifoReader(t, filepath.Join(dir, "fifo"))
	conf := notifyTestConf(dir, "", "")
	r := newRouter(t, "reload", g, l.routers[0], conf)
	r.start(t)
	l.waitAddr(t, 0, pairVIP, true, 20*time.Second)
	out := filepath.Join(dir, "out")
	if !testenv.WaitFor(10*time.Second, func() bool { return slices.Contains(readLines(out), "gen-i INSTANCE VI_1 MASTER 150") }) {
		t.Fatalf("no MASTER notification: %q", readLines(out))
	}
	changed := strings.Replace(conf, `notify "`+dir+`/n.sh gen-i"`, `notify "`+dir+`/n.sh new-i"`, 1)
	if err := os.WriteFile(r.conf, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	r.signal(t, syscall.SIGHUP)
	logPath := filepath.Join(r.dir, "out.log")
	if !testenv.WaitFor(20*time.Second, func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), ": Reload complete")
	}) {
		t.Fatal("reload not complete within 20 s")
	}
	r.stop(syscall.SIGTERM)
	if !testenv.WaitFor(10*time.Second, func() bool { return slices.Contains(readLines(out), "new-i INSTANCE VI_1 STOP 150") }) {
		t.Errorf("the reloaded notify script did not run at stop: %q", readLines(out))
	}
	if slices.Contains(readLines(out), "gen-i INSTANCE VI_1 STOP 150") {
		t.Errorf("the notify script of the old configuration ran after the reload: %q", readLines(out))
	}
	if !testenv.WaitFor(5*time.Second, func() bool { return slices.Contains(fifo(), `INSTANCE "VI_1" STOP 150`) }) {
		t.Errorf("no STOP line on the notify FIFO after the reload: %q", fifo())
	}
}

// TestTrackScriptSecurityAgainstKeepalived: with enable_script_security
// an insecure vrrp_script and a missing one are disabled with keepalived
// 2.2.7's lines, and the instance tracking them ignores them (it becomes
// MASTER instead of FAULT), in both implementations.
func TestTrackScriptSecurityAgainstKeepalived(t *testing.T) {
	k := testenv.Oracle(t, "keepalived")
	g := testenv.Binary(t, "gokeepalived")
	l := newLAN(t, 1)
	dir := prepareNotifyDir(t)
	conf := fmt.Sprintf(`global_defs {
    router_id r1
    enable_script_security
    script_user root
}
vrrp_script chk_bad {
    script "%[1]s/bad/n.sh"
    interval 1
    weight -20
}
vrrp_script chk_missing {
    script "%[1]s/missing.sh"
    interval 1
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 42
    priority 100
    advert_int 1
    track_script {
        chk_bad
        chk_missing
    }
    virtual_ipaddress {
        %[2]s
    }
}
`, dir, pairVIP)
	keep := []string{"cannot be accessed", "Unsafe permissions", "SECURITY VIOLATION", "Disabling track script", "Entering FAULT"}
	run := func(bin string) []string {
		r := newRouter(t, filepath.Base(bin), bin, l.routers[0], conf)
		r.start(t)
		l.waitAddr(t, 0, pairVIP, true, 20*time.Second)
		r.stop(syscall.SIGTERM)
		l.waitAddr(t, 0, pairVIP, false, 10*time.Second)
		var out []string
		for _, line := range readLines(filepath.Join(r.dir, "out.log")) {
			_, msg, ok := strings.Cut(line, " 2026: ")
			if !ok {
				continue
			}
			for _, k := range keep {
				if strings.Contains(msg, k) {
					out = append(out, msg)
					break
				}
			}
		}
		return out
	}
	ka, gk := run(k), run(g)
	t.Logf("keepalived: %q", ka)
	if len(ka) != 4 {
		t.Fatalf("keepalived logged %q: the test setup is wrong", ka)
	}
	if !slices.Equal(ka, gk) {
		t.Errorf("track script checks:\nkeepalived   %q\ngokeepalived %q", ka, gk)
	}
}

// compareStats checks two stats dumps agree line for line; the number of
// adverts sent depends on when the signal came (within two).
func compareStats(t *testing.T, ks, gs []byte) {
	t.Helper()
	ksLines := strings.Split(strings.TrimRight(string(ks), "\n"), "\n")
	gsLines := strings.Split(strings.TrimRight(string(gs), "\n"), "\n")
	if len(ksLines) != len(gsLines) {
		t.Errorf("stats dump:\n%s\nkeepalived's:\n%s", gs, ks)
	}
	for i := 0; i < len(ksLines) && i < len(gsLines); i++ {
		k, g := ksLines[i], gsLines[i]
		if i >= 2 && ksLines[i-2] == "  Advertisements:" && strings.HasPrefix(k, "    Sent: ") && strings.HasPrefix(g, "    Sent: ") {
			kn, _ := strconv.Atoi(strings.TrimPrefix(k, "    Sent: "))
			gn, _ := strconv.Atoi(strings.TrimPrefix(g, "    Sent: "))
			if gn < 1 || gn > kn+2 || gn < kn-2 {
				t.Errorf("stats dump: %d adverts sent, keepalived %d", gn, kn)
			}
			continue
		}
		if k != g {
			t.Errorf("stats dump line %d is %q, keepalived's %q", i+1, g, k)
		}
	}
}
