package checks

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// StatusRange is an inclusive range of HTTP status codes.
type StatusRange struct{ Lo, Hi int }

// HTTP sends one HTTP/1.x request and checks the response.
type HTTP struct {
	Method  string // default GET
	Path    string // default "/"
	Version string // default HTTP/1.0
	Host    string // Host header; none when empty
	Headers [][2]string
	Body    []byte

	// TLS enables HTTPS; ServerName sets SNI; the certificate is not
	// verified unless Verify is set (with RootCAs, nil = system roots).
	TLS        bool
	ServerName string
	Verify     bool
	TLSConfig  *tls.Config // optional base configuration

	// Expectations. With no status expectation 2xx and 3xx pass.
	ExpectStatus      []StatusRange
	ExpectStatusRegex *regexp.Regexp
	ExpectBody        string
	ExpectBodyRegex   *regexp.Regexp
	// NegateStatus and NegateBody invert the status and body
	// expectations (haproxy's "http-check expect !", keepalived's
	// regex_no_match).
	NegateStatus, NegateBody bool
	// DisableOn404 reports a 404 as L7OKC (conditionally passed, OK):
	// haproxy's "http-check disable-on-404"; the caller drains the server.
	DisableOn404 bool
	// Digest is keepalived's digest: lowercase hex MD5 of the body as
	// keepalived's genhash computes it (the bytes after the headers, up to
	// Content-Length; a chunked body is hashed with its chunk framing).
	Digest string

	// MaxBody bounds the body read (default 1 MiB); longer bodies are
	// truncated for matching and fail a Digest check.
	MaxBody int
}

const maxHeaderBytes = 16384

// Run implements Probe.
func (p HTTP) Run(ctx context.Context, t Target) Result {
	return timed(func() Result {
		c, r := dial(ctx, "tcp", t)
		if r != nil {
			return *r
		}
		defer c.Close()
		var conn net.Conn = c
		if p.TLS {
			tc, r := handshake(ctx, c, p.TLSConfig, p.ServerName, p.Verify, t)
			if r != nil {
				return *r
			}
			conn = tc
		}
		if _, err := conn.Write(p.request()); err != nil {
			if isTimeout(ctx, err) {
				return result(false, StatusL7TOUT, 0, err.Error())
			}
			return result(false, StatusSOCKERR, 0, err.Error())
		}
		return p.check(ctx, conn)
	})
}

func (p HTTP) request() []byte {
	m, path, v := p.Method, p.Path, p.Version
	if m == "" {
		m = "GET"
	}
	if path == "" {
		path = "/"
	}
	if v == "" {
		v = "HTTP/1.0"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s %s\r\n", m, path, v)
	if p.Host != "" {
		fmt.Fprintf(&b, "Host: %s\r\n", p.Host)
	}
	hasLen, hasConn := false, false
	for _, h := range p.Headers {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
		switch strings.ToLower(h[0]) {
		case "content-length":
			hasLen = true
		case "connection":
			hasConn = true
		}
	}
	if len(p.Body) > 0 && !hasLen {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(p.Body))
	}
	if !hasConn {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	b.Write(p.Body)
	return b.Bytes()
}

var errTooLong = errors.New("response headers too long")

func (p HTTP) check(ctx context.Context, conn net.Conn) Result {
	br := bufio.NewReaderSize(conn, 4096)
	fail := func(err error) Result {
		if isTimeout(ctx, err) {
			return result(false, StatusL7TOUT, 0, err.Error())
		}
		return result(false, StatusL7RSP, 0, err.Error())
	}
	total := 0
	readLine := func() (string, error) {
		var line []byte
		for {
			frag, more, err := br.ReadLine()
			if err != nil {
				return "", err
			}
			total += len(frag) + 2
			if total > maxHeaderBytes {
				return "", errTooLong
			}
			line = append(line, frag...)
			if !more {
				return string(line), nil
			}
		}
	}
	var (
		status        string
		code          int
		contentLength int64
		chunked       bool
	)
	for interim := true; interim; {
		var err error
		status, err = readLine()
		if err != nil {
			return fail(err)
		}
		var ok bool
		code, ok = parseStatusLine(status)
		if !ok {
			return result(false, StatusL7RSP, 0, "bad status line "+strconv.Quote(truncate(status, 64)))
		}
		// 1xx responses are followed by the final one.
		interim = code < 200
		if contentLength, chunked, err = readHeaders(readLine); err != nil {
			return fail(err)
		}
	}

	// Status expectations.
	statusOK := false
	switch {
	case p.ExpectStatusRegex != nil:
		statusOK = p.ExpectStatusRegex.MatchString(strconv.Itoa(code))
	case len(p.ExpectStatus) > 0:
		for _, r := range p.ExpectStatus {
			if code >= r.Lo && code <= r.Hi {
				statusOK = true
			}
		}
	default:
		statusOK = code >= 200 && code < 400
	}
	if p.NegateStatus {
		statusOK = !statusOK
	}
	if !statusOK && code == 404 && p.DisableOn404 {
		return result(true, StatusL7OKC, code, "")
	}
	if !statusOK {
		return result(false, StatusL7STS, code, truncate(status, 64))
	}
	needBody := p.ExpectBody != "" || p.ExpectBodyRegex != nil || p.Digest != ""
	if !needBody {
		return result(true, StatusL7OK, code, "")
	}
	max := p.MaxBody
	if max <= 0 {
		max = 1 << 20
	}
	var (
		body, raw []byte
		truncated bool
		err       error
	)
	if chunked && p.Digest != "" {
		// keepalived (HTTP_GET/SSL_GET and genhash) hashes the bytes
		// that follow the headers as they are, chunk framing included;
		// the expectations see the decoded body.
		raw, err = io.ReadAll(io.LimitReader(br, int64(max)+1))
		if err != nil && !isEOFish(err) {
			r := fail(err)
			r.Code = code
			return r
		}
		if len(raw) > max {
			raw, truncated = raw[:max], true
		}
		body, _, _ = readBody(bufio.NewReader(bytes.NewReader(raw)), -1, true, max)
	} else {
		body, truncated, err = readBody(br, contentLength, chunked, max)
		if err != nil {
			r := fail(err)
			r.Code = code
			return r
		}
		raw = body
	}
	if p.ExpectBody != "" && bytes.Contains(body, []byte(p.ExpectBody)) == p.NegateBody {
		return result(false, StatusL7RSP, code, "body string expectation failed")
	}
	if p.ExpectBodyRegex != nil && p.ExpectBodyRegex.Match(body) == p.NegateBody {
		return result(false, StatusL7RSP, code, "body regex expectation failed")
	}
	if p.Digest != "" {
		if truncated {
			return result(false, StatusL7RSP, code, "body too long for digest")
		}
		sum := md5.Sum(raw)
		if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, p.Digest) {
			return result(false, StatusL7RSP, code, "digest mismatch: "+got)
		}
	}
	return result(true, StatusL7OK, code, "")
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// parseStatusLine parses "HTTP/1.x NNN reason".
func parseStatusLine(s string) (int, bool) {
	v, rest, ok := strings.Cut(s, " ")
	if !ok || (v != "HTTP/1.0" && v != "HTTP/1.1") {
		return 0, false
	}
	cs, _, _ := strings.Cut(rest, " ")
	if len(cs) != 3 {
		return 0, false
	}
	code, err := strconv.Atoi(cs)
	if err != nil || code < 100 {
		return 0, false
	}
	return code, true
}

// readBody reads at most max bytes of body; truncated reports more data.
func readBody(br *bufio.Reader, length int64, chunked bool, max int) ([]byte, bool, error) {
	var body []byte
	if chunked {
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return body, false, err
			}
			sz, _, _ := strings.Cut(strings.TrimSpace(string(line)), ";")
			n, err := strconv.ParseInt(sz, 16, 64)
			if err != nil || n < 0 {
				return body, false, errors.New("bad chunk size")
			}
			if n == 0 {
				return body, false, nil
			}
			if int64(len(body))+n > int64(max) {
				keep := max - len(body)
				b := make([]byte, keep)
				_, err := io.ReadFull(br, b)
				return append(body, b...), true, err
			}
			b := make([]byte, n+2)
			if _, err := io.ReadFull(br, b); err != nil {
				return body, false, err
			}
			if b[n] != '\r' || b[n+1] != '\n' {
				return body, false, errors.New("bad chunk terminator")
			}
			body = append(body, b[:n]...)
		}
	}
	if length >= 0 {
		n := min(length, int64(max))
		body = make([]byte, n)
		_, err := io.ReadFull(br, body)
		return body, length > int64(max), err
	}
	body, err := io.ReadAll(io.LimitReader(br, int64(max)+1))
	if len(body) > max {
		return body[:max], true, nil
	}
	if err != nil && !isEOFish(err) {
		return body, false, err
	}
	return body, false, nil
}

func isEOFish(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)
}

type errBadHeader string

func (e errBadHeader) Error() string { return string(e) }

// readHeaders reads header lines up to the empty line.
func readHeaders(readLine func() (string, error)) (contentLength int64, chunked bool, err error) {
	contentLength = -1
	for {
		line, err := readLine()
		if err != nil {
			return 0, false, err
		}
		if line == "" {
			return contentLength, chunked, nil
		}
		name, val, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return 0, false, errBadHeader("bad header line " + strconv.Quote(truncate(line, 64)))
		}
		val = strings.TrimSpace(val)
		switch strings.ToLower(name) {
		case "content-length":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n < 0 {
				return 0, false, errBadHeader("bad Content-Length")
			}
			contentLength = n
		case "transfer-encoding":
			chunked = strings.EqualFold(val, "chunked")
		}
	}
}
