package logsink_test

import (
	"fmt"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/proxy/logsink"
)

// The header haproxy puts before a line for "log ... format rfc5424 local0".
func ExampleHeader_AppendLine() {
	h := logsink.Header{Format: logsink.FormatRFC5424, Facility: 16, MaxLevel: logsink.LevelDebug, Tag: "haproxy", PID: 1234}
	now := time.Date(2026, 11, 25, 14, 40, 12, 556606000, time.UTC)
	fmt.Printf("%q\n", h.AppendLine(nil, now, logsink.LevelInfo, []byte("hello")))
	// Output: "<134>1 2026-11-25T14:40:12.556606+00:00 - haproxy 1234 - - hello\n"
}
