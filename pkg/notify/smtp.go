package notify

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"
)

// maxReplyLine bounds one SMTP reply line; maxReplyLines the lines of a
// multi-line reply (a misbehaving server cannot make us buffer forever).
const (
	maxReplyLine  = 1024
	maxReplyLines = 100
)

var errBadReply = errors.New("malformed SMTP reply")

// readReply reads one (possibly multi-line) SMTP reply and returns its
// code and last line.
func readReply(br *bufio.Reader) (int, string, error) {
	for n := 0; n < maxReplyLines; n++ {
		line, err := readLine(br)
		if err != nil {
			return 0, "", err
		}
		code, last, ok := parseReplyLine(line)
		if !ok {
			return 0, line, errBadReply
		}
		if last {
			return code, line, nil
		}
	}
	return 0, "", errBadReply
}

// parseReplyLine parses "250-text" / "250 text" / "250".
func parseReplyLine(line string) (code int, last, ok bool) {
	if len(line) < 3 {
		return 0, false, false
	}
	code, err := strconv.Atoi(line[:3])
	if err != nil || code < 100 || code > 599 {
		return 0, false, false
	}
	if len(line) == 3 || line[3] == ' ' {
		return code, true, true
	}
	if line[3] == '-' {
		return code, false, true
	}
	return 0, false, false
}

func readLine(br *bufio.Reader) (string, error) {
	var b []byte
	for {
		frag, more, err := br.ReadLine()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		b = append(b, frag...)
		if len(b) > maxReplyLine {
			return "", errBadReply
		}
		if !more {
			return string(b), nil
		}
	}
}

// dialogue runs the SMTP conversation the original daemon runs:
// keepalived sends HELO, haproxy EHLO; then MAIL FROM, one RCPT TO per
// recipient, DATA, the message, QUIT.
func dialogue(rw io.ReadWriter, server string, style Style, helo, from string, to []string, data []byte) error {
	br := bufio.NewReaderSize(rw, 4096)
	fail := func(step string, code int, line string, err error) error {
		return &SMTPError{Server: server, Step: step, Code: code, Line: line, Err: err}
	}
	code, line, err := readReply(br)
	if err != nil {
		return fail("connect", code, line, err)
	}
	if code != 220 {
		return fail("connect", code, line, nil)
	}
	greet := "HELO"
	if style == HAProxy {
		greet = "EHLO"
	}
	steps := []struct {
		name, cmd string
		want      int
	}{
		{greet, greet + " " + helo + "\r\n", 250},
		{"MAIL", "MAIL FROM:<" + from + ">\r\n", 250},
	}
	for _, r := range to {
		steps = append(steps, struct {
			name, cmd string
			want      int
		}{"RCPT", "RCPT TO:<" + r + ">\r\n", 250})
	}
	steps = append(steps, struct {
		name, cmd string
		want      int
	}{"DATA", "DATA\r\n", 354})
	for _, s := range steps {
		if strings.ContainsAny(s.cmd[:len(s.cmd)-2], "\r\n") {
			return fail(s.name, 0, "", errors.New("address or name contains a line break"))
		}
		if _, err := io.WriteString(rw, s.cmd); err != nil {
			return fail(s.name, 0, "", err)
		}
		code, line, err := readReply(br)
		if err != nil {
			return fail(s.name, code, line, err)
		}
		if code != s.want {
			return fail(s.name, code, line, nil)
		}
	}
	msg := make([]byte, 0, len(data)+3)
	msg = append(append(msg, data...), ".\r\n"...)
	if _, err := rw.Write(msg); err != nil {
		return fail("DOT", 0, "", err)
	}
	code, line, err = readReply(br)
	if err != nil {
		return fail("DOT", code, line, err)
	}
	if code != 250 {
		return fail("DOT", code, line, nil)
	}
	// The mail is accepted; QUIT is a courtesy whose failure does not
	// matter.
	if _, err := io.WriteString(rw, "QUIT\r\n"); err == nil {
		readReply(br)
	}
	return nil
}
