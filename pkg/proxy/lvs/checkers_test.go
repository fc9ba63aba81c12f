package lvs

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// udpReal is a UDP real server answering each datagram with reply; it
// can be stopped (its port then answers ICMP port unreachable) and
// restarted on the same port.
type udpReal struct {
	t     *testing.T
	addr  string
	reply []byte
	mu    sync.Mutex
	pc    net.PacketConn
	got   [][]byte
}

func startUDPReal(t *testing.T, reply []byte) *udpReal {
	u := &udpReal{t: t, addr: "127.0.0.1:0", reply: reply}
	u.start()
	t.Cleanup(u.stop)
	return u
}

func (u *udpReal) start() {
	var pc net.PacketConn
	var err error
	for i := 0; i < 50; i++ {
		if pc, err = net.ListenPacket("udp", u.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		u.t.Fatal(err)
	}
	u.mu.Lock()
	u.pc, u.addr = pc, pc.LocalAddr().String()
	u.mu.Unlock()
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			u.mu.Lock()
			u.got = append(u.got, append([]byte(nil), buf[:n]...))
			u.mu.Unlock()
			pc.WriteTo(u.reply, from)
		}
	}()
}

func (u *udpReal) stop() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.pc != nil {
		u.pc.Close()
		u.pc = nil
	}
}

func (u *udpReal) port() string { _, p, _ := net.SplitHostPort(u.addr); return p }

func (u *udpReal) received() [][]byte {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([][]byte(nil), u.got...)
}

// TestUDPCheckDrivesPool: UDP_CHECK against a real UDP server; the
// payload arrives as written in hex, a reply that does not match
// require_reply fails, a closed port (ICMP port unreachable) takes the
// real server out and it comes back when the server answers again.
func TestUDPCheckDrivesPool(t *testing.T) {
	good := startUDPReal(t, []byte{0xca, 0xfe, 0x01, 0x02})
	bad := startUDPReal(t, []byte{0xca, 0xff})
	vip := testenv.FreeLoopbackAddr(t)
	vhost, vport, _ := net.SplitHostPort(vip)
	conf := fmt.Sprintf(`
virtual_server %s %s {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol UDP
    real_server 127.0.0.1 %s {
        UDP_CHECK {
            connect_timeout 1
            retry 0
            warmup 0
            log_all_failures
            payload 0102 a
            require_reply caXe
        }
    }
    real_server 127.0.0.1 %s {
        UDP_CHECK {
            connect_timeout 1
            retry 0
            warmup 0
            log_all_failures
            require_reply cafe
        }
    }
}
`, vhost, vport, good.port(), bad.port())
	r := runConfig(t, conf)
	vs := fmt.Sprintf("[%s]:udp:%s", vhost, vport)
	rg, rb := "[127.0.0.1]:udp:"+good.port(), "[127.0.0.1]:udp:"+bad.port()
	r.log.wait(t, fmt.Sprintf("UDP connection to %s success.", rg), 1)
	r.log.wait(t, fmt.Sprintf("UDP check to %s reply data mismatch.", rb), 1)
	r.log.wait(t, fmt.Sprintf("UDP_CHECK on service %s failed.", rb), 1)
	r.log.wait(t, fmt.Sprintf("Removing service %s from VS %s", rb, vs), 1)
	if got := good.received(); len(got) == 0 || string(got[0]) != "\x01\x02\x0a" {
		t.Fatalf("payload received: %q", got)
	}
	good.stop()
	r.log.wait(t, fmt.Sprintf("UDP connection to %s failed.", rg), 1)
	r.log.wait(t, fmt.Sprintf("UDP_CHECK on service %s failed.", rg), 1)
	r.log.wait(t, fmt.Sprintf("Removing service %s from VS %s", rg, vs), 1)
	good.start()
	r.log.wait(t, fmt.Sprintf("UDP connection to %s success.", rg), 2)
	r.log.wait(t, fmt.Sprintf("Adding service %s to VS %s", rg, vs), 1)
}

// TestFileCheckWeights: FILE_CHECK follows its track_file on disk: the
// value times the weight is added to the real server's weight, and with
// weight 0 a non-zero value takes the server out.
func TestFileCheckWeights(t *testing.T) {
	a := startRealServer(t, false, "A")
	b := startRealServer(t, false, "B")
	dir := t.TempDir()
	fa, fb := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(fb, []byte("0\n"), 0o644)
	vip := testenv.FreeLoopbackAddr(t)
	vhost, vport, _ := net.SplitHostPort(vip)
	conf := fmt.Sprintf(`
track_file fa {
    file %s
    weight 2
    init_file 1
}
track_file fb {
    file %s
    weight 0
}
virtual_server %s %s {
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    real_server 127.0.0.1 %s {
        weight 1
        FILE_CHECK {
            track_file fa
        }
    }
    real_server 127.0.0.1 %s {
        weight 1
        FILE_CHECK {
            track_file fb
        }
    }
}
`, fa, fb, vhost, vport, a.port(), b.port())
	r := runConfig(t, conf)
	vs := fmt.Sprintf("[%s]:tcp:%s", vhost, vport)
	ra, rb := "[127.0.0.1]:tcp:"+a.port(), "[127.0.0.1]:tcp:"+b.port()
	r.m.Start()
	if v, _ := os.ReadFile(fa); strings.TrimSpace(string(v)) != "1" {
		t.Fatalf("init_file wrote %q", v)
	}
	weights := func() map[string]int {
		out := map[string]int{}
		for _, d := range r.m.Snapshot() {
			if d.InTable {
				out[d.Dest.Addr.String()] = d.Weight
			}
		}
		return out
	}
	if w := weights(); w["127.0.0.1:"+a.port()] != 3 || w["127.0.0.1:"+b.port()] != 1 {
		t.Fatalf("start weights %v, want a 1+1*2 and b 1", w)
	}
	if strings.Contains(r.log.dump(), "ctivating healthchecker") {
		t.Fatalf("FILE_CHECK has no checker thread to activate:\n%s", r.log.dump())
	}
	os.WriteFile(fa, []byte("5\n"), 0o644)
	r.log.wait(t, fmt.Sprintf("Changing weight from 3 to 11 for active service %s of VS %s", ra, vs), 1)
	os.WriteFile(fb, []byte("1\n"), 0o644)
	r.log.wait(t, fmt.Sprintf("Removing service %s from VS %s", rb, vs), 1)
	os.Remove(fb)
	r.log.wait(t, fmt.Sprintf("Adding service %s to VS %s", rb, vs), 1)
	os.WriteFile(fa, []byte("-1\n"), 0o644)
	r.log.wait(t, fmt.Sprintf("Changing weight from 11 to 0 for active service %s of VS %s", ra, vs), 1)
	if got := seen(false, vip, 4); got["B"] != 4 {
		t.Fatalf("with a's weight below 0 every request goes to b: %v", got)
	}
	os.WriteFile(fa, []byte("junk"), 0o644)
	r.log.wait(t, fmt.Sprintf("Changing weight from 0 to 1 for active service %s of VS %s", ra, vs), 1)
}

func TestFileStatusAndStrtol(t *testing.T) {
	for _, c := range []struct {
		v    int64
		w    int
		rev  bool
		want int
	}{
		{0, 0, false, 0}, {3, 0, false, fileFault}, {0, 0, true, fileFault}, {3, 0, true, 0},
		{4, 2, false, 8}, {4, 2, true, -8}, {-2147483648, 2, false, fileFault}, {1 << 40, 1 << 30, false, 2147483647},
	} {
		if got := fileStatus(c.v, c.w, c.rev); got != c.want {
			t.Errorf("fileStatus(%d, %d, %v) = %d, want %d", c.v, c.w, c.rev, got, c.want)
		}
	}
	for s, want := range map[string]int64{"12": 12, " -7x": -7, "0x1f\n": 31, "010": 8, "junk": 0, "+3": 3, "0x": 0} {
		if got, _ := strtol(s); got != want {
			t.Errorf("strtol(%q) = %d, want %d", s, got, want)
		}
	}
	if _, bad := strtol("99999999999999999999"); !bad {
		t.Error("overflow not reported")
	}
}

func FuzzStrtol(f *testing.F) {
	f.Add("0x7fffffffffffffff")
	f.Add("-9223372036854775808")
	f.Fuzz(func(t *testing.T, s string) {
		strtol(s)
	})
}

// TestICMPCheckerRetries: icmp_epilog retries only while the checker is
// up, and names the virtual server in its "failed after" line.
func TestICMPCheckerRetries(t *testing.T) {
	s := testService(1)
	cs := s.Reals[0].Checkers[0]
	cs.Type = "PING_CHECK"
	m, tb, rec := newTestManager(s)
	m.pool.start(nil)
	tb.take()
	c := m.newChecker(s, s.Reals[0], cs)
	ok := attempt{ok: true, weight: -1}
	fail := attempt{reason: "ICMP connection to address [10.0.0.2]:tcp:8443 timeout.", weight: -1}
	c.outcome(ok)
	expect(t, "first success", rec.take(), "ICMP connection to [10.0.0.2]:tcp:8443 success.")
	if d := c.outcome(fail); d != time.Second {
		t.Fatalf("an up checker retries after delay_before_retry, waited %v", d)
	}
	c.outcome(fail)
	expect(t, "down", rec.take(), "ICMP CHECK on service [10.0.0.2]:tcp:8443 of [10.0.0.100]:tcp:8899 failed after 1 retries.\nRemoving service [10.0.0.2]:tcp:8443 from VS [10.0.0.100]:tcp:8899\nLost quorum 1-0=1 > 0 for VS [10.0.0.100]:tcp:8899")
	expect(t, "alert", strings.Join(rec.alerts, "|"), "[10.0.0.2]:tcp:8443 DOWN => ICMP CHECK failed on service <=")
	if d := c.outcome(fail); d != 6*time.Second {
		t.Fatalf("a down checker does not retry, waited %v", d)
	}
	expect(t, "still down", rec.take(), "")
	c.outcome(ok)
	expect(t, "up", rec.take(), "ICMP connection to [10.0.0.2]:tcp:8443 success.\nAdding service [10.0.0.2]:tcp:8443 to VS [10.0.0.100]:tcp:8899\nGained quorum 1+0=1 <= 1 for VS [10.0.0.100]:tcp:8899")
}
