// Package logsink sends log lines to haproxy's log targets: UDP syslog
// servers, unix datagram sockets and file descriptors (stdout, stderr,
// fd@N), with haproxy 2.6's header formats (local, rfc3164, rfc5424,
// short, raw, timed, iso, priority), facility, level and minlevel handling
// and "len" truncation.
//
// A Sink never stalls its caller: lines are formatted into a bounded set of
// reusable buffers and written by one goroutine owned by the Sink's
// context; when every buffer is in flight the line is dropped and counted,
// like haproxy's DroppedLogs.
package logsink

import (
	"fmt"
	"strconv"
	"time"
)

// Format is a syslog header format, as named by "log ... format <name>".
type Format int

// The header formats of haproxy 2.6.
const (
	FormatLocal    Format = iota // rfc3164 without the hostname field (the default)
	FormatRFC3164                // <PRI>Mmm dd hh:mm:ss host tag[pid]: text
	FormatRFC5424                // <PRI>1 ISO-time host tag pid - - text
	FormatShort                  // <LEVEL>text
	FormatRaw                    // text
	FormatTimed                  // <LEVEL>ISO-time text
	FormatISO                    // ISO-time text
	FormatPriority               // <PRI>text
)

var formatNames = []string{"local", "rfc3164", "rfc5424", "short", "raw", "timed", "iso", "priority"}

func (f Format) String() string {
	if f >= 0 && int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "format(" + strconv.Itoa(int(f)) + ")"
}

// ParseFormat returns the Format named s.
func ParseFormat(s string) (Format, error) {
	for i, n := range formatNames {
		if n == s {
			return Format(i), nil
		}
	}
	return 0, fmt.Errorf("unknown log format %q: use one of local, rfc3164, rfc5424, short, raw, timed, iso, priority", s)
}

// Facilities are the 24 syslog facilities in numeric order.
var Facilities = []string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "auth2", "ftp", "ntp", "audit", "alert", "cron2",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

// Levels are the 8 syslog severities in numeric order.
var Levels = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// The severities, for Log's level argument.
const (
	LevelEmerg = iota
	LevelAlert
	LevelCrit
	LevelErr
	LevelWarning
	LevelNotice
	LevelInfo
	LevelDebug
)

// ParseFacility returns the number of the facility named s.
func ParseFacility(s string) (int, error) {
	for i, n := range Facilities {
		if n == s {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown log facility %q: use one of kern, user, daemon, local0 ... local7 (see the \"log\" keyword)", s)
}

// ParseLevel returns the number of the severity named s.
func ParseLevel(s string) (int, error) {
	for i, n := range Levels {
		if n == s {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown log level %q: use one of emerg, alert, crit, err, warning, notice, info, debug", s)
}

// Header holds what a syslog header carries besides the time and level.
type Header struct {
	Format   Format
	Facility int
	MaxLevel int // lines less severe than this are not sent (7 sends all)
	MinLevel int // lines more severe than this are sent with this level (0 keeps them)
	MaxLen   int // the line, header included and newline excluded, is cut to this length; 0 means 1024
	Tag      string
	Hostname string // log-send-hostname; "" prints "localhost" (rfc3164) or "-" (rfc5424)
	PID      int
}

var months = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// Accept reports whether a line of severity level passes the MaxLevel filter.
func (h *Header) Accept(level int) bool { return level <= h.MaxLevel }

// AppendLine appends the complete datagram for text (header, text cut to
// MaxLen, and a newline) to dst. The caller checks Accept first.
func (h *Header) AppendLine(dst []byte, now time.Time, level int, text []byte) []byte {
	if level < h.MinLevel {
		level = h.MinLevel
	}
	if level < 0 {
		level = 0
	}
	if level > 7 {
		level = 7
	}
	start := len(dst)
	pri := h.Facility<<3 | level
	switch h.Format {
	case FormatLocal, FormatRFC3164:
		dst = appendPri(dst, pri)
		dst = append(dst, months[now.Month()-1]...)
		dst = append(dst, ' ')
		d := now.Day()
		if d < 10 {
			dst = append(dst, ' ')
		}
		dst = strconv.AppendInt(dst, int64(d), 10)
		dst = append(dst, ' ')
		dst = append2(dst, now.Hour())
		dst = append(dst, ':')
		dst = append2(dst, now.Minute())
		dst = append(dst, ':')
		dst = append2(dst, now.Second())
		dst = append(dst, ' ')
		if h.Format == FormatRFC3164 {
			// haproxy 2.6 prints "localhost" when log-send-hostname is not set.
			if h.Hostname != "" {
				dst = append(dst, h.Hostname...)
			} else {
				dst = append(dst, "localhost"...)
			}
			dst = append(dst, ' ')
		}
		dst = append(dst, h.Tag...)
		dst = append(dst, '[')
		dst = strconv.AppendInt(dst, int64(h.PID), 10)
		dst = append(dst, "]: "...)
	case FormatRFC5424:
		dst = appendPri(dst, pri)
		dst = append(dst, "1 "...)
		dst = now.AppendFormat(dst, "2006-01-02T15:04:05.000000-07:00")
		dst = append(dst, ' ')
		if h.Hostname != "" {
			dst = append(dst, h.Hostname...)
		} else {
			dst = append(dst, '-')
		}
		dst = append(dst, ' ')
		dst = append(dst, h.Tag...)
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, int64(h.PID), 10)
		dst = append(dst, " - - "...)
	case FormatShort:
		dst = appendPri(dst, level)
	case FormatTimed:
		dst = appendPri(dst, level)
		dst = now.AppendFormat(dst, "2006-01-02T15:04:05.000000-07:00")
		dst = append(dst, ' ')
	case FormatISO:
		dst = now.AppendFormat(dst, "2006-01-02T15:04:05.000000-07:00")
		dst = append(dst, ' ')
	case FormatPriority:
		dst = appendPri(dst, pri)
	}
	dst = append(dst, text...)
	max := h.MaxLen
	if max <= 0 {
		max = 1024
	}
	if len(dst)-start > max {
		dst = dst[:start+max]
	}
	return append(dst, '\n')
}

func appendPri(dst []byte, pri int) []byte {
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(pri), 10)
	return append(dst, '>')
}

func append2(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}
