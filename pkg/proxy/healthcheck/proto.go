package healthcheck

import (
	"bytes"
	"regexp"
	"strconv"

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

var smtpReply = regexp.MustCompile(`^[0-9]{3}[ \r]`)

// smtpExpect judges one SMTP reply as haproxy's smtpchk does: a reply code
// first, then a 2xx code; the info is the reply text.
func smtpExpect(success bool) customFunc {
	return func(buf []byte, eof bool) (bool, checks.Status, int, string) {
		if len(buf) < 4 && !eof {
			return false, "", 0, ""
		}
		if !smtpReply.Match(buf) {
			return true, checks.StatusL7RSP, 0, cutCRLF(buf)
		}
		code, _ := strconv.Atoi(string(buf[:3]))
		text := cutCRLF(bytes.TrimLeft(buf[4:], " "))
		if buf[0] != '2' {
			return true, checks.StatusL7STS, code, text
		}
		if success {
			return true, "", code, text
		}
		return true, "", code, ""
	}
}

// protoRules builds the rules of the protocol checks gohaproxy runs.
func protoRules(typ string, opt haproxycfg.Option) ([]Rule, error) {
	var rules []Rule
	switch typ {
	case "redis-check":
		rules = []Rule{
			{act: actSend, data: []byte("*1\r\n$4\r\nPING\r\n")},
			{act: actExpect, exp: expCustom, custom: func(buf []byte, eof bool) (bool, checks.Status, int, string) {
				if bytes.Contains(buf, []byte("+PONG")) {
					return true, "", 0, "Redis server is ok"
				}
				if !eof {
					return false, "", 0, ""
				}
				return true, checks.StatusL7STS, 0, cutCRLF(buf)
			}},
		}
	case "smtpchk":
		helo := "HELO localhost\r\n"
		if a := opt.Args; len(a) >= 2 && (a[0] == "HELO" || a[0] == "EHLO") {
			helo = a[0] + " " + a[1] + "\r\n"
		}
		rules = []Rule{
			{act: actExpect, exp: expCustom, custom: smtpExpect(false)},
			{act: actSend, data: []byte(helo)},
			{act: actExpect, exp: expCustom, custom: smtpExpect(true)},
			{act: actSend, data: []byte("QUIT\r\n")},
		}
	default:
		return nil, &UnsupportedError{opt.Pos, "'option " + typ + "'"}
	}
	for i := range rules {
		rules[i].index = i
	}
	return rules, nil
}
