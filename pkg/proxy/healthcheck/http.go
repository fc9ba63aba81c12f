package healthcheck

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
)

// httpResp is the part of an HTTP response the expect rules look at.
type httpResp struct {
	code   int
	reason string
	body   []byte
	// hdrs are the header fields, names as received
	hdrs [][2]string
}

// headerFields splits the header lines of a response head (after its
// status line) into names and values, as haproxy's expect rules see them.
func headerFields(head []byte) [][2]string {
	var out [][2]string
	lines := bytes.Split(head, []byte("\r\n"))
	for _, l := range lines[1:] {
		name, val, ok := bytes.Cut(l, []byte(":"))
		if !ok || strings.EqualFold(string(bytes.TrimSpace(name)), "connection") {
			// haproxy's HTTP/1 parser consumes the Connection header:
			// expect rules never see it
			continue
		}
		out = append(out, [2]string{string(bytes.TrimSpace(name)), string(bytes.Trim(val, " \t"))})
	}
	return out
}

// strMatch matches s against pattern p with haproxy's "-m" method (str,
// beg, end or sub); fold makes it case-insensitive.
func strMatch(method, s, p string, fold bool) bool {
	if fold {
		s, p = strings.ToLower(s), strings.ToLower(p)
	}
	switch method {
	case "beg":
		return strings.HasPrefix(s, p)
	case "end":
		return strings.HasSuffix(s, p)
	case "sub":
		return strings.Contains(s, p)
	default:
		return s == p
	}
}

// headerMatch is haproxy's hdr/fhdr expect: a header whose name matches
// and, when a value pattern is given, one of whose values matches (each
// comma-separated value for hdr, the whole line for fhdr).
func (rule *Rule) headerMatch(r *run, hdrs [][2]string) bool {
	name, val := rule.hdrName, rule.hdrVal
	if rule.hdrNameLF != nil {
		name = rule.hdrNameLF(r)
	}
	if rule.hdrValLF != nil {
		val = rule.hdrValLF(r)
	}
	for _, h := range hdrs {
		if rule.hdrNameRe != nil {
			if !rule.hdrNameRe.MatchString(h[0]) {
				continue
			}
		} else if !strMatch(rule.hdrNameM, h[0], name, true) {
			continue
		}
		if !rule.hdrHasVal {
			return true
		}
		vals := []string{h[1]}
		if !rule.hdrFull {
			vals = strings.Split(h[1], ",")
		}
		for _, v := range vals {
			v = strings.Trim(v, " \t")
			if rule.hdrValRe != nil {
				if rule.hdrValRe.MatchString(v) {
					return true
				}
			} else if strMatch(rule.hdrValM, v, val, false) {
				return true
			}
		}
	}
	return false
}

// httpRequest is the request of an "http-check send" / "option httpchk"
// rule, in HTTP/1.1 wire form.
func (rule *Rule) httpRequest() []byte {
	meth, uri, ver := rule.meth, rule.uri, rule.ver
	if meth == "" {
		meth = "OPTIONS"
	}
	if uri == "" {
		uri = "/"
	}
	if ver == "" {
		ver = "HTTP/1.0"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s %s\r\n", meth, uri, ver)
	// haproxy's HTTP/1 encoder writes header names in lower case and
	// closes HTTP/1.1 checks explicitly
	hasConn := false
	for _, h := range rule.hdrs {
		name := strings.ToLower(h[0])
		hasConn = hasConn || name == "connection"
		fmt.Fprintf(&b, "%s: %s\r\n", name, h[1])
	}
	if rule.body != "" {
		fmt.Fprintf(&b, "content-length: %d\r\n", len(rule.body))
	}
	if ver != "HTTP/1.0" && !hasConn {
		b.WriteString("connection: close\r\n")
	}
	b.WriteString("\r\n")
	b.WriteString(rule.body)
	return b.Bytes()
}

// parseResponse reads a whole response head (and the body when needBody).
// It returns a failure result, or nil with r.resp set.
func (r *run) readResponse(needBody bool, tout checks.Status) *checks.Result {
	if r.resp != nil && (!needBody || r.resp.body != nil) {
		return nil
	}
	for {
		end := bytes.Index(r.buf, []byte("\r\n\r\n"))
		if end >= 0 {
			head := r.buf[:end]
			line, _, _ := bytes.Cut(head, []byte("\r\n"))
			code, reason, ok := parseStatus(string(line))
			if !ok {
				return r.fail(checks.StatusL7RSP, "")
			}
			if code < 200 {
				// interim response: drop it and read the final one
				r.buf = append(r.buf[:0], r.buf[end+4:]...)
				continue
			}
			resp := &httpResp{code: code, reason: reason, hdrs: headerFields(head)}
			if !needBody {
				r.resp = resp
				return nil
			}
			clen := contentLength(head)
			body := r.buf[end+4:]
			if r.eof || (clen >= 0 && len(body) >= clen) {
				if clen >= 0 && len(body) > clen {
					body = body[:clen]
				}
				resp.body = append([]byte{}, body...)
				r.resp = resp
				return nil
			}
		} else if r.eof {
			if len(r.buf) == 0 {
				return r.fail(checks.StatusL7RSP, "")
			}
			// a head cut short: judge the status line alone
			line, _, _ := bytes.Cut(r.buf, []byte("\r\n"))
			code, reason, ok := parseStatus(string(line))
			if !ok {
				return r.fail(checks.StatusL7RSP, "")
			}
			r.resp = &httpResp{code: code, reason: reason, body: []byte{}}
			return nil
		}
		if f := r.more(tout); f != nil {
			return f
		}
	}
}

func parseStatus(line string) (int, string, bool) {
	v, rest, ok := strings.Cut(line, " ")
	if !ok || !strings.HasPrefix(v, "HTTP/") {
		return 0, "", false
	}
	cs, reason, _ := strings.Cut(rest, " ")
	if len(cs) != 3 {
		return 0, "", false
	}
	code, err := strconv.Atoi(cs)
	if err != nil || code < 100 || code > 999 {
		return 0, "", false
	}
	return code, reason, true
}

func contentLength(head []byte) int {
	for _, l := range bytes.Split(head, []byte("\r\n"))[1:] {
		name, val, ok := bytes.Cut(l, []byte(":"))
		if ok && strings.EqualFold(string(bytes.TrimSpace(name)), "content-length") {
			n, err := strconv.Atoi(string(bytes.TrimSpace(val)))
			if err == nil && n >= 0 {
				return n
			}
		}
	}
	return -1
}

func (r *run) httpExpect(rule *Rule) *checks.Result {
	if r.conn == nil {
		return r.fail(checks.StatusSOCKERR, "")
	}
	tout := rule.toutSt
	if tout == "" {
		tout = checks.StatusL7TOUT
	}
	needBody := rule.hexp == httpBody || rule.hexp == httpBodyRegex
	if f := r.readResponse(needBody, tout); f != nil {
		return f
	}
	resp := r.resp
	r.code = resp.code
	if resp.code == 404 && r.p.Disable404 != nil && r.p.Disable404() {
		// haproxy skips the rule: the check passes conditionally
		r.got404 = true
		return nil
	}
	// fail reports a failed expect as haproxy does: the rule's
	// error-status or st, and its on-error text instead of desc
	fail := func(st checks.Status, desc string) *checks.Result {
		if rule.errSt != "" {
			st = rule.errSt
		}
		if rule.onErr != nil {
			desc = rule.onErr(nil)
		}
		if rule.lfErr != nil {
			desc = rule.lfErr(r)
		}
		out := res(false, st, r.ruleCode(rule, resp.code), withComment(desc, rule.comment))
		return &out
	}
	switch rule.hexp {
	case httpStatus, httpStatusRegex:
		var m bool
		if rule.hexp == httpStatusRegex {
			m = rule.re.MatchString(strconv.Itoa(resp.code))
		} else {
			for _, c := range rule.codes {
				if resp.code >= c[0] && resp.code <= c[1] {
					m = true
				}
			}
		}
		if m != rule.negate {
			return nil
		}
		return fail(checks.StatusL7STS, resp.reason)
	case httpHeader:
		if rule.headerMatch(r, resp.hdrs) != rule.negate {
			return nil
		}
		return fail(checks.StatusL7STS, resp.reason)
	default:
		if len(resp.body) == 0 {
			return fail(checks.StatusL7RSP, "HTTP content check could not find a response body")
		}
		var m bool
		if rule.hexp == httpBodyRegex {
			m = rule.re.Match(resp.body)
		} else {
			pat := rule.pattern
			if rule.bodyLF != nil {
				pat = rule.bodyLF(r)
			}
			m = bytes.Contains(resp.body, []byte(pat))
		}
		if m != rule.negate {
			return nil
		}
		// haproxy words it after the rule, not after what matched
		info := "HTTP content check did not match"
		if rule.negate {
			info = "HTTP check matched unwanted content"
		}
		return fail(checks.StatusL7RSP, info)
	}
}
