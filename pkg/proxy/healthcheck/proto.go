package healthcheck

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// cutCRLF returns b up to its first CR or LF.
func cutCRLF(b []byte) string {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// payloadFrom returns buf from offset off on ("" when shorter).
func payloadFrom(buf []byte, off int) []byte {
	if len(buf) <= off {
		return nil
	}
	return buf[off:]
}

// smtpText is haproxy's "%[res.payload(4,0),ltrim(' '),cut_crlf]".
func smtpText(buf []byte) string {
	return cutCRLF(bytes.TrimLeft(payloadFrom(buf, 4), " "))
}

// smtpCode is "res.payload(0,3)" read as a number.
func smtpCode(buf []byte) int {
	if len(buf) < 3 {
		return 0
	}
	n, _ := strconv.Atoi(string(buf[:3]))
	return n
}

// sslv3Hello is the SSLv3 CLIENT HELLO of haproxy's ssl-hello-chk with the
// given time: the record and handshake headers, the time, 28 bytes of
// "random", no session, 39 cipher suites and the null compression.
func sslv3Hello(now time.Time) []byte {
	b := []byte{0x16, 0x03, 0x00, 0x00, 0x79, 0x01, 0x00, 0x00, 0x75, 0x03, 0x00}
	b = binary.BigEndian.AppendUint32(b, uint32(now.Unix()))
	b = append(b, "HAPROXYSSLCHK\nHAPROXYSSLCHK\n"...)
	b = append(b, 0x00, 0x00, 0x4E)
	for c := 0x01; c <= 0x1B; c++ {
		b = append(b, 0x00, byte(c))
	}
	for c := 0x2F; c <= 0x3A; c++ {
		b = append(b, 0x00, byte(c))
	}
	return append(b, 0x01, 0x00)
}

// pgsqlStartup is the startup packet of pgsql-check for user.
func pgsqlStartup(user string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(15+len(user)))
	b = append(b, 0x00, 0x03, 0x00, 0x00)
	b = append(b, "user\x00"...)
	b = append(b, user...)
	return append(b, 0x00, 0x00)
}

// protoRules builds the rules of the protocol checks gohaproxy runs, as
// haproxy 2.6 defines them (src/tcpcheck.c).
func protoRules(typ string, opt haproxycfg.Option) ([]Rule, error) {
	var rules []Rule
	switch typ {
	case "ssl-hello-chk":
		rules = []Rule{
			{act: actSend, sendFn: func() []byte { return sslv3Hello(time.Now()) }},
			{act: actExpect, exp: expBinaryRegex, re: regexp.MustCompile(`^1[56]`), minRecv: 5,
				okSt: checks.StatusL6OK, errSt: checks.StatusL6RSP, toutSt: checks.StatusL6TOUT},
		}
	case "redis-check":
		rules = []Rule{
			{act: actSend, data: []byte("*1\r\n$4\r\nPING\r\n")},
			{act: actExpect, exp: expString, pattern: "+PONG", errSt: checks.StatusL7STS,
				onErr: func(b []byte) string { return cutCRLF(b) },
				onOK:  func([]byte) string { return "Redis server is ok" }},
		}
	case "smtpchk":
		helo := "HELO localhost"
		if a := opt.Args; len(a) >= 2 && (a[0] == "HELO" || a[0] == "EHLO") {
			helo = a[0] + " " + a[1]
		}
		rules = []Rule{
			{act: actExpect, exp: expRegex, re: regexp.MustCompile("^[0-9]{3}[ \r]"), minRecv: 4, errSt: checks.StatusL7RSP,
				onErr: func(b []byte) string { return cutCRLF(b) }},
			{act: actExpect, exp: expRegex, re: regexp.MustCompile("^2[0-9]{2}[ \r]"), minRecv: 4, errSt: checks.StatusL7STS,
				onErr: smtpText, statusCode: smtpCode},
			{act: actSend, data: []byte(helo + "\r\n")},
			{act: actExpect, exp: expRegex, re: regexp.MustCompile("^2[0-9]{2}[- \r]"), minRecv: 4, errSt: checks.StatusL7STS,
				onErr: smtpText, onOK: smtpText, statusCode: smtpCode},
		}
	case "pgsql-check":
		a := opt.Args
		if len(a) < 2 || a[0] != "user" {
			return nil, &UnsupportedError{opt.Pos, "'option pgsql-check' without 'user <name>'"}
		}
		rules = []Rule{
			{act: actSend, data: pgsqlStartup(a[1])},
			{act: actExpect, exp: expRegex, re: regexp.MustCompile("^E"), negate: true, minRecv: 5, errSt: checks.StatusL7RSP,
				onErr: func(b []byte) string { return string(payloadFrom(b, 6)) }},
			{act: actExpect, exp: expBinaryRegex, re: regexp.MustCompile("^52000000(08|0A|0C)000000(00|02|03|04|05|06)"), minRecv: 9,
				errSt: checks.StatusL7STS, onOK: func([]byte) string { return "PostgreSQL server is ok" },
				onErr: func([]byte) string { return "PostgreSQL unknown error" }},
		}
	default:
		return nil, &UnsupportedError{opt.Pos, "'option " + typ + "'"}
	}
	// smtpchk and pgsql-check start with an explicit connect (index 0)
	first := 0
	if typ == "smtpchk" || typ == "pgsql-check" {
		first = 1
	}
	for i := range rules {
		rules[i].index = first + i
	}
	return rules, nil
}

// hexUpper is the hexadecimal dump rbinary patterns match against.
func hexUpper(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }
