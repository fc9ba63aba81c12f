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
	case "mysql-check":
		a := opt.Args
		if len(a) > 0 {
			if a[0] != "user" || len(a) < 2 {
				return nil, &UnsupportedError{opt.Pos, "'option mysql-check " + strings.Join(a, " ") + "'"}
			}
			post41 := len(a) < 3 || a[2] == "post-41"
			rules = append(rules, Rule{act: actSend, data: mysqlAuth(a[1], post41)})
			rules = append(rules,
				Rule{act: actExpect, exp: expCustom, custom: mysqlPacket(false, false)},
				Rule{act: actExpect, exp: expCustom, custom: mysqlPacket(true, true)})
		} else {
			rules = []Rule{{act: actExpect, exp: expCustom, custom: mysqlPacket(false, true)}}
		}
	case "ldap-check":
		rules = []Rule{
			{act: actSend, data: []byte{0x30, 0x0C, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00}},
			{act: actExpect, exp: expBinaryRegex, re: regexp.MustCompile("^30"), minRecv: 14,
				onErr: func([]byte) string { return "Not LDAPv3 protocol" }},
			{act: actExpect, exp: expCustom, custom: ldapBindResponse},
		}
	default:
		return nil, &UnsupportedError{opt.Pos, "'option " + typ + "'"}
	}
	// smtpchk, pgsql-check and mysql-check start with an explicit connect
	// (index 0)
	first := 0
	if typ == "smtpchk" || typ == "pgsql-check" || typ == "mysql-check" {
		first = 1
	}
	for i := range rules {
		rules[i].index = first + i
	}
	return rules, nil
}

// hexUpper is the hexadecimal dump rbinary patterns match against.
func hexUpper(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

// mysqlAuth is mysql-check's client authentication packet for user
// followed by COM_QUIT, in the 4.1 (post41) or older format.
func mysqlAuth(user string, post41 bool) []byte {
	var body []byte
	if post41 {
		body = append(body, 0x00, 0x82, 0x00, 0x00, 0x00, 0x80, 0x00, 0x01, 0x21)
		body = append(body, make([]byte, 23)...)
	} else {
		body = append(body, 0x00, 0x80, 0x00, 0x00, 0x01)
	}
	body = append(body, user...)
	body = append(body, 0x00, 0x00)
	n := len(body)
	out := []byte{byte(n), byte(n >> 8), byte(n >> 16), 1}
	out = append(out, body...)
	return append(out, 0x01, 0x00, 0x00, 0x00, 0x01)
}

// cString returns b up to its first NUL.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// mysqlPacket checks a MySQL packet: the server's initial handshake
// (second=false) or the answer to the authentication that follows it. On
// the last rule, success reports the server version as haproxy does.
func mysqlPacket(second, last bool) customFunc {
	return func(buf []byte, eof bool) (bool, checks.Status, int, string) {
		off := 0
		if second {
			if len(buf) < 3 {
				return true, checks.StatusL7RSP, 0, ""
			}
			off = 4 + int(buf[0]) + int(buf[1])<<8 + int(buf[2])<<16
		}
		if len(buf) < off+4 {
			if !eof {
				return false, "", 0, ""
			}
			return true, checks.StatusL7RSP, 0, ""
		}
		plen := int(buf[off]) + int(buf[off+1])<<8 + int(buf[off+2])<<16
		if len(buf) < off+plen+4 {
			if !eof {
				return false, "", 0, ""
			}
			return true, checks.StatusL7RSP, 0, ""
		}
		if len(buf) > off+4 && buf[off+4] == 0xff {
			code := 0
			if len(buf) > off+6 {
				code = int(buf[off+5]) + int(buf[off+6])<<8
			}
			return true, checks.StatusL7STS, code, string(payloadFrom(buf, off+7))
		}
		if !last {
			return true, "", 0, ""
		}
		return true, "", 0, cString(payloadFrom(buf, 5))
	}
}

// ldapBindResponse checks the LDAPv3 bind response of ldap-check.
func ldapBindResponse(buf []byte, eof bool) (bool, checks.Status, int, string) {
	const notLDAP = "Not LDAPv3 protocol"
	at := func(i int) byte {
		if i < len(buf) {
			return buf[i]
		}
		return 0
	}
	msglen := 0
	if at(1)&0x80 != 0 {
		msglen = int(at(1) & 0x7f)
	}
	if msglen > 2 || len(buf) < 6+msglen || !bytes.Equal(buf[2+msglen:6+msglen], []byte{0x02, 0x01, 0x01, 0x61}) {
		return true, checks.StatusL7RSP, 0, notLDAP
	}
	if at(msglen+6)&0x80 != 0 {
		msglen += int(at(msglen+6) & 0x7f)
	}
	if msglen > 4 || len(buf) < 9+msglen || !bytes.Equal(buf[7+msglen:9+msglen], []byte{0x0a, 0x01}) {
		return true, checks.StatusL7RSP, 0, notLDAP
	}
	code := int(at(msglen + 9))
	if code != 0 {
		return true, checks.StatusL7STS, code, "See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9"
	}
	return true, "", 0, "Success"
}
