package logsink

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logsink/oracletest"
)

func TestConfigs(t *testing.T) {
	g := &haproxycfg.Global{
		LogTag: "gt",
		Logs: []*haproxycfg.LogTarget{
			{Address: "127.0.0.1:514", Facility: "local0", Level: "info", MinLevel: "err"},
			{Address: "/dev/log", Facility: "daemon", Format: "raw", Length: 2048},
		},
		Other: []haproxycfg.Directive{{Args: []string{"log-send-hostname", "node1"}}},
	}
	logs := []*haproxycfg.LogTarget{{Global: true}, {Address: "stdout", Facility: "user"}}
	cs, err := Configs(g, logs, "", 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 3 {
		t.Fatalf("got %d configs", len(cs))
	}
	if c := cs[0]; c.Format != FormatRFC3164 || c.Facility != 16 || c.MaxLevel != LevelInfo || c.MinLevel != LevelErr || c.Hostname != "node1" || c.Tag != "gt" || c.PID != 7 {
		t.Errorf("first: %+v", c)
	}
	if c := cs[1]; c.Format != FormatRaw || c.MaxLen != 2048 || c.Facility != 3 {
		t.Errorf("second: %+v", c)
	}
	if c := cs[2]; c.Address != "stdout" || c.Facility != 1 || c.MaxLevel != LevelDebug {
		t.Errorf("third: %+v", c)
	}
	if _, err := Configs(nil, []*haproxycfg.LogTarget{{Address: "1.2.3.4", Facility: "local0", Sample: "1:2"}}, "", 1); err == nil {
		t.Error("sample accepted")
	}
}

func TestGroup(t *testing.T) {
	a, b := oracletest.ListenUDP(t), oracletest.ListenUDP(t)
	g, err := Open(context.Background(), []Config{
		{Address: a.Addr, Header: Header{Format: FormatRaw, MaxLevel: LevelDebug}},
		{Address: b.Addr, Header: Header{Format: FormatShort, MaxLevel: LevelErr}},
	})
	if err != nil {
		t.Fatal(err)
	}
	g.Log(time.Now(), LevelInfo, []byte("info"))
	g.Log(time.Now(), LevelErr, []byte("err"))
	if got := string(a.Next(t, 10*time.Second)) + string(a.Next(t, 10*time.Second)); got != "info\nerr\n" {
		t.Errorf("a got %q", got)
	}
	if got := string(b.Next(t, 10*time.Second)); got != "<3>err\n" {
		t.Errorf("b got %q", got)
	}
	g.Close()
	if _, err := Open(context.Background(), []Config{{Address: "ring@x"}}); err == nil {
		t.Error("ring accepted")
	}
}

// TestSinkFD writes to a pipe given as fd@N and checks that closing and
// forgetting the sink leaves the descriptor open.
func TestSinkFD(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	s, err := New(context.Background(), Config{Address: fmt.Sprintf("fd@%d", w.Fd()), Header: Header{Format: FormatShort, MaxLevel: LevelDebug}})
	if err != nil {
		t.Fatal(err)
	}
	s.Log(time.Now(), LevelNotice, []byte("to the pipe"))
	s.Close()
	s = nil
	runtime.GC()
	if _, err := w.Write([]byte("still open\n")); err != nil {
		t.Fatalf("the sink closed its descriptor: %v", err)
	}
	buf := make([]byte, 100)
	r.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _ := io.ReadAtLeast(r, buf, len("<5>to the pipe\nstill open\n"))
	if got := string(buf[:n]); got != "<5>to the pipe\nstill open\n" {
		t.Fatalf("got %q", got)
	}
}
