package checks

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
)

// SMTP connects, expects a 220 greeting, sends HELO, expects 250, then
// sends QUIT (keepalived's SMTP_CHECK; haproxy's smtpchk).
type SMTP struct {
	Helo string // default "localhost"
	// Verb is "HELO" (default) or "EHLO" (haproxy's option smtpchk EHLO).
	Verb string
}

// Run implements Probe.
func (p SMTP) Run(ctx context.Context, t Target) Result {
	return timed(func() Result {
		c, r := dial(ctx, "tcp", t)
		if r != nil {
			return *r
		}
		defer c.Close()
		br := bufio.NewReaderSize(c, 1024)
		fail := func(err error) Result {
			if isTimeout(ctx, err) {
				return result(false, StatusL7TOUT, 0, err.Error())
			}
			return result(false, StatusL7RSP, 0, err.Error())
		}
		code, err := smtpReply(br)
		if err != nil {
			return fail(err)
		}
		if code != 220 {
			return result(false, StatusL7STS, code, "greeting")
		}
		helo := p.Helo
		if helo == "" {
			helo = "localhost"
		}
		verb := p.Verb
		if verb == "" {
			verb = "HELO"
		}
		if _, err := fmt.Fprintf(c, "%s %s\r\n", verb, helo); err != nil {
			return fail(err)
		}
		code, err = smtpReply(br)
		if err != nil {
			return fail(err)
		}
		if code != 250 {
			return result(false, StatusL7STS, code, verb)
		}
		fmt.Fprintf(c, "QUIT\r\n")
		smtpReply(br) // best effort
		return result(true, StatusL7OK, code, "")
	})
}

// smtpReply reads one (possibly multi-line) reply and returns its code.
func smtpReply(br *bufio.Reader) (int, error) {
	for lines := 0; lines < 64; lines++ {
		line, more, err := br.ReadLine()
		if err != nil {
			return 0, err
		}
		for more && err == nil { // discard the rest of an overlong line
			_, more, err = br.ReadLine()
		}
		if len(line) < 3 {
			return 0, fmt.Errorf("bad SMTP reply %q", line)
		}
		code, err := strconv.Atoi(string(line[:3]))
		if err != nil || code < 100 || code > 599 {
			return 0, fmt.Errorf("bad SMTP reply %q", truncate(string(line), 64))
		}
		if len(line) == 3 || line[3] == ' ' {
			return code, nil
		}
		if line[3] != '-' {
			return 0, fmt.Errorf("bad SMTP reply %q", truncate(string(line), 64))
		}
	}
	return 0, fmt.Errorf("SMTP reply too long")
}
