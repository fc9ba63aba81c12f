package logfmt_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/proxy/logfmt"
)

// A session's tcplog line: compile the format once, render each session
// into a reused buffer.
func Example() {
	f, err := logfmt.Compile(logfmt.TCPLog)
	if err != nil {
		panic(err)
	}
	ev := logfmt.Event{
		Accept:   time.Date(2026, 2, 6, 12, 14, 14, 655e6, time.Local),
		Client:   netip.MustParseAddrPort("10.0.1.2:33317"),
		Frontend: "fnt", Backend: "bck", Server: "srv1",
		Tw: 0, Tc: 0, Tt: 5007, BytesRead: 212,
		ActConn: 0, FeConn: 0, BeConn: 0, SrvConn: 0,
	}
	buf := make([]byte, 0, 1024)
	buf = f.Append(buf[:0], &ev)
	fmt.Println(string(buf))
	// Output: 10.0.1.2:33317 [06/Feb/2026:12:14:14.655] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/0 0/0
}
