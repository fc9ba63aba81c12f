package lvs

import (
	"strings"
	"testing"
	"time"
)

func newTestManager(s *Service) (*Manager, *fakeTable, *recorder) {
	tb, rec := &fakeTable{}, &recorder{}
	m := NewManager([]*Service{s}, Options{Table: tb, Hooks: rec.hooks()})
	return m, tb, rec
}

func TestTCPCheckerRetries(t *testing.T) {
	s := testService(1)
	m, tb, rec := newTestManager(s)
	m.pool.start(nil)
	tb.take()
	c := m.newChecker(s, s.Reals[0], s.Reals[0].Checkers[0])
	ok := attempt{ok: true, weight: -1}
	fail := attempt{reason: "TCP connection to [10.0.0.2]:tcp:8443 failed.", weight: -1}
	if d := c.outcome(ok); d != 6*time.Second {
		t.Fatalf("first success waits %v", d)
	}
	expect(t, "first success", rec.take(), "TCP connection to [10.0.0.2]:tcp:8443 success.")
	expect(t, "first success table", tb.take(), "")
	if d := c.outcome(fail); d != time.Second {
		t.Fatalf("a failure with retry 1 waits delay_before_retry, got %v", d)
	}
	expect(t, "retry", rec.take(), "")
	if d := c.outcome(fail); d != 6*time.Second {
		t.Fatalf("after the retries the checker waits delay_loop, got %v", d)
	}
	expect(t, "down", rec.take(), "TCP_CHECK on service [10.0.0.2]:tcp:8443 failed after 1 retries.\nRemoving service [10.0.0.2]:tcp:8443 from VS [10.0.0.100]:tcp:8899\nLost quorum 1-0=1 > 0 for VS [10.0.0.100]:tcp:8899")
	expect(t, "down table", tb.take(), "del 10.0.0.2:8443")
	expect(t, "down alert", strings.Join(rec.alerts, "|"), "[10.0.0.2]:tcp:8443 DOWN => TCP CHECK failed on service <=")
	c.outcome(fail)
	c.outcome(fail)
	expect(t, "still down", rec.take(), "")
	c.outcome(ok)
	expect(t, "up", rec.take(), "TCP connection to [10.0.0.2]:tcp:8443 success.\nAdding service [10.0.0.2]:tcp:8443 to VS [10.0.0.100]:tcp:8899\nGained quorum 1+0=1 <= 1 for VS [10.0.0.100]:tcp:8899")
}

func TestTCPCheckerLogAllFailures(t *testing.T) {
	s := testService(1)
	s.Reals[0].Checkers[0].LogAllFailures = true
	s.Reals[0].Checkers[0].Retry = 0
	m, _, rec := newTestManager(s)
	m.pool.start(nil)
	c := m.newChecker(s, s.Reals[0], s.Reals[0].Checkers[0])
	c.outcome(attempt{ok: true, weight: -1})
	rec.take()
	c.outcome(attempt{reason: "TCP connection to [10.0.0.2]:tcp:8443 timeout.", weight: -1})
	expect(t, "down", rec.take(), "TCP connection to [10.0.0.2]:tcp:8443 timeout.\nTCP_CHECK on service [10.0.0.2]:tcp:8443 failed.\nRemoving service [10.0.0.2]:tcp:8443 from VS [10.0.0.100]:tcp:8899\nLost quorum 1-0=1 > 0 for VS [10.0.0.100]:tcp:8899")
}

func TestHTTPCheckerOutcomes(t *testing.T) {
	s := testService(1)
	cs := s.Reals[0].Checkers[0]
	cs.Type, cs.Retry, cs.DelayBeforeRetry, cs.LogAllFailures = "SSL_GET", 2, 3*time.Second, true
	m, tb, rec := newTestManager(s)
	m.pool.start(nil)
	tb.take()
	c := m.newChecker(s, s.Reals[0], cs)
	ok := attempt{ok: true, weight: -1, successes: []string{"MD5 digest success to [10.0.0.2]:tcp:8443 url(/)"}}
	bad := attempt{reason: "MD5 digest error to server [10.0.0.2]:tcp:8443.", weight: -1}
	c.outcome(ok)
	expect(t, "first", rec.take(), "Remote Web server [10.0.0.2]:tcp:8443 succeed on service.")
	c.outcome(ok)
	expect(t, "steady", rec.take(), "")
	for i := 0; i < 2; i++ {
		if d := c.outcome(bad); d != 3*time.Second {
			t.Fatalf("retry %d waits %v", i, d)
		}
	}
	expect(t, "retries", rec.take(), "MD5 digest error to server [10.0.0.2]:tcp:8443.\nMD5 digest error to server [10.0.0.2]:tcp:8443.")
	if d := c.outcome(bad); d != 6*time.Second {
		t.Fatalf("final failure waits %v", d)
	}
	expect(t, "down", rec.take(), "MD5 digest error to server [10.0.0.2]:tcp:8443.\nHTTP_CHECK on service [10.0.0.2]:tcp:8443 failed after 2 retries.\nRemoving service [10.0.0.2]:tcp:8443 from VS [10.0.0.100]:tcp:8899\nLost quorum 1-0=1 > 0 for VS [10.0.0.100]:tcp:8899")
	if d := c.outcome(bad); d != 6*time.Second {
		t.Fatalf("a known dead server is not retried; waited %v", d)
	}
	expect(t, "dead", rec.take(), "")
	c.outcome(ok)
	expect(t, "back", rec.take(), "MD5 digest success to [10.0.0.2]:tcp:8443 url(/)\nRemote Web server [10.0.0.2]:tcp:8443 succeed on service.\nAdding service [10.0.0.2]:tcp:8443 to VS [10.0.0.100]:tcp:8899\nGained quorum 1+0=1 <= 1 for VS [10.0.0.100]:tcp:8899")
	expect(t, "alerts", strings.Join(rec.alerts, "|"), "[10.0.0.2]:tcp:8443 DOWN => CHECK failed on service : HTTP request failed <=|[10.0.0.2]:tcp:8443 UP => CHECK succeed on service <=")
}

func TestAlphaCheckerComesUp(t *testing.T) {
	s := testService(1)
	cs := s.Reals[0].Checkers[0]
	cs.Alpha = true
	m, tb, rec := newTestManager(s)
	m.pool.start(map[*Dest]int{s.Reals[0]: 1})
	expect(t, "start", tb.take(), "add-svc [10.0.0.100]:tcp:8899")
	c := m.newChecker(s, s.Reals[0], cs)
	c.outcome(attempt{ok: true, weight: -1})
	expect(t, "up", rec.take(), "TCP connection to [10.0.0.2]:tcp:8443 success.\nAdding service [10.0.0.2]:tcp:8443 to VS [10.0.0.100]:tcp:8899\nGained quorum 1+0=1 <= 1 for VS [10.0.0.100]:tcp:8899")
	expect(t, "up table", tb.take(), "add 10.0.0.2:8443 w1")
}

func TestMiscDynamicWeight(t *testing.T) {
	s := testService(1)
	cs := s.Reals[0].Checkers[0]
	cs.Type, cs.MiscDynamic, cs.MiscPath = "MISC_CHECK", true, "/bin/check"
	m, tb, rec := newTestManager(s)
	m.pool.start(nil)
	tb.take()
	c := m.newChecker(s, s.Reals[0], cs)
	c.outcome(attempt{ok: true, weight: 4})
	expect(t, "weight", tb.take(), "edit 10.0.0.2:8443 w5")
	expect(t, "logs", rec.take(), "Changing weight from 1 to 5 for active service [10.0.0.2]:tcp:8443 of VS [10.0.0.100]:tcp:8899\nMisc check for [[10.0.0.2]:tcp:8443 VS [10.0.0.100]:tcp:8899] by [/bin/check] succeeded.")
}

func TestSplitCommand(t *testing.T) {
	got := splitCommand(`/bin/sh -c "exit 3"  x`)
	if strings.Join(got, "|") != "/bin/sh|-c|exit 3|x" {
		t.Fatalf("%q", got)
	}
}
