// Package notify delivers notifications the way keepalived 2.2.7 and
// haproxy 2.6 do: SMTP alerts (a bounded asynchronous queue, see Mailer),
// notify scripts (see Runner) and keepalived's notify FIFOs (see FIFO).
// Nothing in this package blocks its caller: work is queued and done by
// goroutines owned by a context, and every failure is logged with its
// reason.
//
// The subject and body builders (VRRPInstanceMail, RealServerMail,
// HAProxyServerMail, ...) return the exact texts the originals send, so
// the daemons only say what happened.
//
// Mail is sent by a small SMTP client of this package rather than
// gopkg.in/gomail.v2 (the library the architecture first named): gomail
// dials with a fixed timeout and no context, and adds MIME headers, and
// net/smtp adds BODY=8BITMIME; either would change the dialogue and the
// messages the originals send, which users' mail filters match on.
package notify

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Style selects whose SMTP dialogue and message layout a Mailer copies.
type Style int

const (
	// Keepalived: "HELO name", headers Date, From, Subject,
	// "X-Mailer: Keepalived", To; Date without the zone name.
	Keepalived Style = iota
	// HAProxy: "EHLO name", headers From, To, Date (with the zone name),
	// Subject.
	HAProxy
)

func (s Style) String() string {
	if s == HAProxy {
		return "haproxy"
	}
	return "keepalived"
}

// Mail is one alert: a subject and a body of text.
type Mail struct {
	Subject string
	Body    string
}

// keepalived copies the subject into a 256-byte and the body into a
// 512-byte buffer (MAX_HEADERS_LENGTH, MAX_BODY_LENGTH), NUL included.
const (
	keepalivedMaxSubject = 255
	keepalivedMaxBody    = 511
)

// State is a VRRP instance or sync group state as keepalived names it.
type State string

// VRRP states.
const (
	Master State = "MASTER"
	Backup State = "BACKUP"
	Fault  State = "FAULT"
	Stop   State = "STOP"
	// MasterRxLowerPri is only written to notify FIFOs (keepalived's
	// notify_master_rx_lower_pri event).
	MasterRxLowerPri State = "MASTER_RX_LOWER_PRI"
)

// keepalivedSubject prefixes "[router_id] " as smtp_alert does.
func keepalivedSubject(routerID, s string) string {
	if routerID != "" {
		s = "[" + routerID + "] " + s
	}
	return s
}

// VRRPInstanceMail is keepalived's alert for a VRRP instance entering
// state: subject "[router_id] VRRP Instance VI_1 - Entering MASTER state",
// body "=> VRRP Instance is now owning VRRP VIPs <=". ok is false for
// states keepalived sends no mail for.
func VRRPInstanceMail(routerID, instance string, state State) (m Mail, ok bool) {
	var what, body string
	switch state {
	case Master:
		what, body = "Entering MASTER state", "=> VRRP Instance is now owning VRRP VIPs <="
	case Backup:
		what, body = "Entering BACKUP state", "=> VRRP Instance is no longer owning VRRP VIPs <="
	case Fault:
		what, body = "Entering FAULT state", "=> VRRP Instance is no longer owning VRRP VIPs <="
	case Stop:
		what, body = "Stopping", "=> VRRP Instance stopping <="
	default:
		return Mail{}, false
	}
	return Mail{Subject: keepalivedSubject(routerID, "VRRP Instance "+instance+" - "+what), Body: body}, true
}

// VRRPGroupMail is keepalived's alert for a sync group entering state:
// "[router_id] VRRP Group G1 - Entering MASTER state",
// "=> All VRRP group instances are now in MASTER state <=".
func VRRPGroupMail(routerID, group string, state State) (m Mail, ok bool) {
	var what string
	switch state {
	case Master, Backup, Fault:
		what = "Entering " + string(state) + " state"
	case Stop:
		what = "Stopping"
	default:
		return Mail{}, false
	}
	body := "=> All VRRP group instances are now in " + string(state) + " state <="
	if state == Stop {
		body = "=> All VRRP group instances are now stopping <="
	}
	return Mail{Subject: keepalivedSubject(routerID, "VRRP Group "+group+" - "+what), Body: body}, true
}

// Service formats a keepalived virtual or real server address as
// keepalived prints it: "[10.0.0.2]:tcp:443" (inet_sockaddrtotrio).
// Proto is "tcp", "udp" or "sctp".
func Service(addr netip.AddrPort, proto string) string {
	return "[" + addr.Addr().String() + "]:" + proto + ":" + strconv.Itoa(int(addr.Port()))
}

// FwmarkService is keepalived's name for a virtual server by firewall
// mark: "FWM 7".
func FwmarkService(mark uint32) string { return "FWM " + strconv.FormatUint(uint64(mark), 10) }

// GroupService is keepalived's name for a virtual server defined by a
// virtual_server_group: "[NAME]:PORT".
func GroupService(group string, port uint16) string {
	return "[" + group + "]:" + strconv.Itoa(int(port))
}

// Checker kinds, for CheckerBody.
type Checker string

// Checker kinds, as keepalived's configuration names them.
const (
	TCPCheck   Checker = "TCP_CHECK"
	HTTPGet    Checker = "HTTP_GET"
	SSLGet     Checker = "SSL_GET"
	SMTPCheck  Checker = "SMTP_CHECK"
	DNSCheck   Checker = "DNS_CHECK"
	MiscCheck  Checker = "MISC_CHECK"
	UDPCheck   Checker = "UDP_CHECK"
	PingCheck  Checker = "PING_CHECK"
	FileCheck  Checker = "FILE_CHECK"
	BFDCheck   Checker = "BFD_CHECK"
	OtherCheck Checker = ""
)

// CheckerBody is the body keepalived's checker of kind sends when a real
// server goes up or down: "=> TCP CHECK failed on service <=",
// "=> MISC CHECK succeed on service <=", "=> CHECK failed on service :
// REASON <=" (HTTP_GET, SSL_GET, SMTP_CHECK, DNS_CHECK give a reason,
// e.g. "HTTP status code error").
func CheckerBody(kind Checker, up bool, reason string) string {
	verb := "failed"
	if up {
		verb = "succeed"
	}
	switch kind {
	case TCPCheck:
		return "=> TCP CHECK " + verb + " on service <="
	case MiscCheck:
		return "=> MISC CHECK " + verb + " on service <="
	case UDPCheck:
		return "=> UDP CHECK " + verb + " on service <="
	case PingCheck:
		return "=> PING CHECK " + verb + " on service <="
	}
	if !up && reason != "" {
		return "=> CHECK failed on service : " + reason + " <="
	}
	return "=> CHECK " + verb + " on service <="
}

// RealServerMail is keepalived's checker alert: subject "[router_id]
// Realserver [10.0.0.2]:tcp:443 of virtual server [10.0.0.1]:tcp:443 -
// DOWN", body from CheckerBody. rs and vs are formatted with Service,
// FwmarkService or GroupService.
func RealServerMail(routerID, rs, vs string, up bool, body string) Mail {
	st := "DOWN"
	if up {
		st = "UP"
	}
	return Mail{Subject: keepalivedSubject(routerID, "Realserver "+rs+" of virtual server "+vs+" - "+st), Body: body}
}

// VirtualServerMail is keepalived's virtual server alert (quorum gained
// or lost): "[router_id] Virtualserver [10.0.0.1]:tcp:80 - what".
func VirtualServerMail(routerID, vs, what, body string) Mail {
	return Mail{Subject: keepalivedSubject(routerID, "Virtualserver "+vs+" - "+what), Body: body}
}

// GenericMail is keepalived's alert without an object ("[router_id]
// subject").
func GenericMail(routerID, subject, body string) Mail {
	return Mail{Subject: keepalivedSubject(routerID, subject), Body: body}
}

// HAProxyServerMail is haproxy's email alert for a server state change.
// msg is the text haproxy logs, e.g. "Server be/srv1 is DOWN, reason:
// Layer4 connection problem, info: \"Connection refused\", check
// duration: 0ms. 0 active and 0 backup servers left. 0 sessions active, 0
// requeued, 0 remaining in queue." The mail carries it without the final
// "." haproxy adds to the log line (one trailing "." is removed): subject
// "[HAProxy Alert] "+text, body text.
func HAProxyServerMail(msg string) Mail {
	msg = strings.TrimSuffix(msg, ".")
	return Mail{Subject: "[HAProxy Alert] " + msg, Body: msg}
}

// Syslog levels, for haproxy's "email-alert level".
var syslogLevels = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// ParseLevel returns the number of a syslog level name ("alert" = 1).
func ParseLevel(name string) (int, bool) {
	for i, n := range syslogLevels {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

// HAProxyWants reports whether haproxy mails a message logged at level
// msgLevel when "email-alert level" is configured (default "alert"):
// messages at that level or more severe.
func HAProxyWants(msgLevel, configured int) bool { return msgLevel <= configured }

// Date formats: keepalived's strftime "%a, %d %b %Y %H:%M:%S %z",
// haproxy's "%a, %d %b %Y %T %z (%Z)".
const (
	keepalivedDate = "Mon, 02 Jan 2006 15:04:05 -0700"
	haproxyDate    = "Mon, 02 Jan 2006 15:04:05 -0700 (MST)"
)

// Render returns the DATA section (without the final ".\r\n") that style
// sends for m: headers, an empty line, the body and an empty line, lines
// ending in CRLF, lines starting with "." doubled.
func Render(style Style, now time.Time, from string, to []string, m Mail) []byte {
	subject, body := oneLine(m.Subject), m.Body
	if style == Keepalived {
		subject, body = truncate(subject, keepalivedMaxSubject), truncate(body, keepalivedMaxBody)
	}
	toHdr := oneLine(strings.Join(to, ", "))
	from = oneLine(from)
	var b bytes.Buffer
	switch style {
	case HAProxy:
		b.WriteString("From: " + from + "\r\n")
		b.WriteString("To: " + toHdr + "\r\n")
		b.WriteString("Date: " + now.Format(haproxyDate) + "\r\n")
		b.WriteString("Subject: " + subject + "\r\n")
	default:
		b.WriteString("Date: " + now.Format(keepalivedDate) + "\r\n")
		b.WriteString("From: " + from + "\r\n")
		b.WriteString("Subject: " + subject + "\r\n")
		b.WriteString("X-Mailer: Keepalived\r\n")
		b.WriteString("To: " + toHdr + "\r\n")
	}
	b.WriteString("\r\n")
	for _, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		if strings.HasPrefix(line, ".") {
			b.WriteByte('.')
		}
		b.WriteString(line)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// oneLine keeps a header value on one line (a CR or LF in a subject
// would start a new header).
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(s)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
