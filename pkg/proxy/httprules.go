package proxy

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/acl"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/h1"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/logfmt"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/stats"
)

// httpRule is a compiled "http-request" or "http-response" rule.
type httpRule struct {
	action string // allow, deny, redirect, return, set-header, add-header, del-header, set-path, set-status
	cond   *acl.Cond
	name   string // header name (lower case)
	value  string // header value, path
	code   int    // deny_status, return/redirect/set-status code
	reason string // set-status reason
	// redirect
	redirKind          string // location, prefix, scheme
	dropQuery, appSlsh bool
	// return
	ctype, body string
	// lf is the log-format of value (set-header, add-header, set-path,
	// redirect) or body (return lf-string/lf-file); nil when static.
	lf *logfmt.Format
}

// httpRuleSets are the HTTP rules of a proxy.
type httpRuleSets struct {
	req, resp []httpRule
	// redir are the "redirect" keyword rules, run after the
	// http-request rules (even after an "allow")
	redir []httpRule
}

// denyPages are haproxy 2.6's built-in pages for "deny_status" and
// "return" without content, byte for byte (captured from
// /usr/sbin/haproxy; header names are sent lower-cased).
var denyPages = map[int]string{
	200: "HTTP/1.1 200 OK\r\nContent-length: 58\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n",
	400: "HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n",
	401: "HTTP/1.1 401 Unauthorized\r\nContent-length: 112\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n",
	403: "HTTP/1.1 403 Forbidden\r\nContent-length: 93\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n",
	404: "HTTP/1.1 404 Not Found\r\nContent-length: 83\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>404 Not Found</h1>\nThe resource could not be found.\n</body></html>\n",
	421: "HTTP/1.1 421 Misdirected Request\r\nContent-length: 104\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>421 Misdirected Request</h1>\nRequest sent to a non-authoritative server.\n</body></html>\n",
	422: httpErrors[422],
	405: "HTTP/1.1 405 Method Not Allowed\r\nContent-length: 146\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>405 Method Not Allowed</h1>\nA request was made of a resource using a request method not supported by that resource\n</body></html>\n",
	407: "HTTP/1.1 407 Unauthorized\r\nContent-length: 112\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>407 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n",
	408: "HTTP/1.1 408 Request Time-out\r\nContent-length: 110\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n",
	410: "HTTP/1.1 410 Gone\r\nContent-length: 114\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>410 Gone</h1>\nThe resource is no longer available and will not be available again.\n</body></html>\n",
	413: "HTTP/1.1 413 Payload Too Large\r\nContent-length: 106\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>413 Payload Too Large</h1>\nThe request entity exceeds the maximum allowed.\n</body></html>\n",
	425: "HTTP/1.1 425 Too Early\r\nContent-length: 80\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>425 Too Early</h1>\nYour browser sent early data.\n</body></html>\n",
	429: "HTTP/1.1 429 Too Many Requests\r\nContent-length: 117\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>429 Too Many Requests</h1>\nYou have sent too many requests in a given amount of time.\n</body></html>\n",
	500: "HTTP/1.1 500 Internal Server Error\r\nContent-length: 97\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>500 Internal Server Error</h1>\nAn internal server error occurred.\n</body></html>\n",
	501: "HTTP/1.1 501 Not Implemented\r\nContent-length: 136\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>501 Not Implemented</h1>\n.The server does not support the functionality required to fulfill the request.\n</body></html>\n",
	502: httpErrors[502], 503: httpErrors[503], 504: httpErrors[504],
}

// reasons are haproxy's default reason phrases.
var reasons = map[int]string{
	100: "Continue", 101: "Switching Protocols", 200: "OK", 201: "Created", 202: "Accepted",
	203: "Non-Authoritative Information", 204: "No Content", 205: "Reset Content", 206: "Partial Content",
	300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
	305: "Use Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect",
	400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
	405: "Method Not Allowed", 406: "Not Acceptable", 407: "Proxy Authentication Required", 408: "Request Timeout",
	409: "Conflict", 410: "Gone", 411: "Length Required", 412: "Precondition Failed", 413: "Payload Too Large",
	414: "URI Too Long", 415: "Unsupported Media Type", 416: "Range Not Satisfiable", 417: "Expectation Failed",
	418: "I'm a teapot", 421: "Misdirected Request", 422: "Unprocessable Content", 425: "Too Early",
	426: "Upgrade Required", 428: "Precondition Required", 429: "Too Many Requests",
	431: "Request Header Fields Too Large", 451: "Unavailable For Legal Reasons",
	500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
	504: "Gateway Timeout", 505: "HTTP Version Not Supported", 506: "Variant Also Negotiates",
	507: "Insufficient Storage", 508: "Loop Detected", 510: "Not Extended", 511: "Network Authentication Required",
}

func reasonFor(code int) string {
	if r, ok := reasons[code]; ok {
		return r
	}
	return "Other"
}

// compileHTTPRules compiles the http-request and http-response rules of
// px; a rule gohaproxy cannot run is refused with its line.
func compileHTTPRules(px *haproxycfg.Proxy) (httpRuleSets, error) {
	var sets httpRuleSets
	cp := &acl.Compiler{Proxy: px}
	for _, rs := range []string{"http-request", "http-response", "redirect"} {
		for _, r := range px.Rules[rs] {
			ruleSet := rs
			if rs == "redirect" {
				ruleSet = "http-request" // the keyword takes the action's words
			}
			rr := r
			if rs == "redirect" && len(r.Args) > 1 {
				// haproxy 2.6 sends the keyword's target as written,
				// %[...] included: it is not a log-format there
				c := *r
				c.Args = append([]string(nil), r.Args...)
				c.Args[1] = "/"
				rr = &c
			}
			hr, err := compileHTTPRule(ruleSet, rr, cp)
			if err != nil {
				return sets, err
			}
			if rr != r {
				hr.value = r.Args[1]
			}
			if r.Cond != nil {
				c, err := cp.Compile(r.Cond)
				if err != nil {
					return sets, &UnsupportedError{r.Pos, fmt.Sprintf("'%s %s' condition (%v)", rs, r.Action, err)}
				}
				if rs == "http-response" && c.NeedsContent() && !c.NeedsHTTP() {
					return sets, &UnsupportedError{r.Pos, fmt.Sprintf("'%s %s' condition on content", rs, r.Action)}
				}
				hr.cond = c
			}
			switch rs {
			case "http-request":
				sets.req = append(sets.req, hr)
			case "redirect":
				sets.redir = append(sets.redir, hr)
			default:
				sets.resp = append(sets.resp, hr)
			}
		}
	}
	return sets, nil
}

func compileHTTPRule(rs string, r *haproxycfg.Rule, cp *acl.Compiler) (httpRule, error) {
	hr := httpRule{action: r.Action}
	refuse := func(why string) (httpRule, error) {
		return hr, &UnsupportedError{r.Pos, fmt.Sprintf("'%s %s'%s", rs, r.Action, why)}
	}
	// lf compiles a log-format value: plain text stays a string
	lf := func(v string) (string, *logfmt.Format, error) {
		if !strings.Contains(v, "%") {
			return v, nil, nil
		}
		f, err := compileLF(v, cp, rs == "http-response")
		if err != nil {
			return "", nil, &UnsupportedError{r.Pos, fmt.Sprintf("'%s %s' value '%s' (%v)", rs, r.Action, v, err)}
		}
		if t, ok := f.Static(); ok {
			return t, nil, nil
		}
		return "", f, nil
	}
	a := r.Args
	switch r.Action {
	case "allow":
	case "deny":
		hr.code = 403
		if rs == "http-response" {
			hr.code = 502
		}
		for i := 0; i < len(a); i++ {
			if a[i] == "deny_status" && i+1 < len(a) {
				hr.code, _ = strconv.Atoi(a[i+1])
				i++
				continue
			}
			return refuse(fmt.Sprintf(" with '%s'", a[i]))
		}
		if _, ok := denyPages[hr.code]; !ok {
			return refuse(fmt.Sprintf(" with deny_status %d", hr.code))
		}
	case "set-header", "add-header":
		if len(a) != 2 {
			return refuse(" with options")
		}
		hr.name = strings.ToLower(a[0])
		var err error
		if hr.value, hr.lf, err = lf(a[1]); err != nil {
			return hr, err
		}
	case "del-header":
		if len(a) != 1 {
			return refuse(" with options")
		}
		hr.name = strings.ToLower(a[0])
	case "set-path":
		if len(a) != 1 {
			return refuse(" with options")
		}
		var err error
		if hr.value, hr.lf, err = lf(a[0]); err != nil {
			return hr, err
		}
	case "set-status":
		if rs != "http-response" || len(a) == 0 {
			return refuse("")
		}
		hr.code, _ = strconv.Atoi(a[0])
		hr.reason = reasonFor(hr.code)
		if len(a) == 3 && a[1] == "reason" {
			hr.reason = a[2]
		} else if len(a) != 1 {
			return refuse(" with options")
		}
	case "redirect":
		if rs != "http-request" || len(a) < 2 {
			return refuse("")
		}
		hr.redirKind, hr.code = a[0], 302
		if hr.redirKind == "scheme" && strings.Contains(a[1], "%") {
			return refuse(" with a log-format scheme")
		}
		var err error
		if hr.value, hr.lf, err = lf(a[1]); err != nil {
			return hr, err
		}
		for i := 2; i < len(a); i++ {
			switch {
			case a[i] == "code" && i+1 < len(a):
				hr.code, _ = strconv.Atoi(a[i+1])
				i++
			case a[i] == "drop-query":
				hr.dropQuery = true
			case a[i] == "append-slash":
				hr.appSlsh = true
			default:
				return refuse(fmt.Sprintf(" with '%s'", a[i]))
			}
		}
	case "return":
		if rs != "http-request" {
			return refuse("")
		}
		hr.code = 200
		for i := 0; i < len(a); i++ {
			switch {
			case a[i] == "status" && i+1 < len(a):
				hr.code, _ = strconv.Atoi(a[i+1])
				i++
			case a[i] == "content-type" && i+1 < len(a):
				hr.ctype = a[i+1]
				i++
			case a[i] == "string" && i+1 < len(a):
				hr.body = a[i+1]
				i++
			case (a[i] == "lf-string" || a[i] == "lf-file") && i+1 < len(a):
				src := a[i+1]
				if a[i] == "lf-file" {
					b, err := os.ReadFile(src)
					if err != nil {
						return refuse(fmt.Sprintf(" with lf-file '%s' (%v)", src, err))
					}
					src = string(b)
				}
				var err error
				if hr.body, hr.lf, err = lf(src); err != nil {
					return hr, err
				}
				i++
			default:
				return refuse(fmt.Sprintf(" with '%s'", a[i]))
			}
		}
	case "use-service":
		if rs != "http-request" || len(a) != 1 || a[0] != "prometheus-exporter" {
			return refuse("")
		}
	default:
		return refuse("")
	}
	return hr, nil
}

// requestRules runs a proxy's http-request rules, then its redirect
// rules.
func (s *httpSession) requestRules(sets *httpRuleSets, ctx func() *acl.Context, clientKeep bool) reqVerdict {
	if v := s.applyRequestRules(sets.req, ctx, clientKeep); v != verdictContinue {
		return v
	}
	return s.applyRequestRules(sets.redir, ctx, clientKeep)
}

// reqVerdict is what the http-request rules decided.
type reqVerdict uint8

const (
	verdictContinue reqVerdict = iota
	verdictAnswered            // a response was sent (deny, redirect, return)
	verdictClose               // the session ends
)

// applyRequestRules runs rules on the parsed request. Header edits go
// into the request's Drop flags and s.reqAdd; set-path into s.newPath.
func (s *httpSession) applyRequestRules(rules []httpRule, ctx func() *acl.Context, clientKeep bool) reqVerdict {
	req := &s.req
	buf := s.cbuf[:s.cw]
	answer := func() bool {
		// an answered request's body is read and dropped, as haproxy
		// does, so that the connection can carry the next request
		return s.discardBody() && clientKeep
	}
	for i := range rules {
		r := &rules[i]
		if r.cond != nil {
			c := ctx()
			c.Final = true
			if ok, _ := r.cond.Match(c); !ok {
				continue
			}
		}
		switch r.action {
		case "allow":
			return verdictContinue
		case "deny":
			s.fe.ctr.deniedReq.Add(1)
			s.ev.Term = [2]byte{'P', 'R'}
			if !s.sendPage(s.page(r.code), r.code, req, answer()) {
				return verdictClose
			}
			return verdictAnswered
		case "redirect":
			return s.sendRedirect(r, s.lfValue(r, ctx), req, buf, answer())
		case "return":
			body := r.body
			if r.lf != nil {
				body = s.lfValue(r, ctx)
			}
			return s.sendReturn(r, body, req, answer())
		case "use-service":
			return s.servePrometheus(req, buf, answer())
		case "del-header", "set-header":
			// the value is built before the header is removed, as in
			// haproxy ("set-header X %[req.hdr(X)]" keeps it)
			v := s.lfValue(r, ctx)
			dropHeader(req.Headers, buf, r.name)
			if r.action == "set-header" {
				s.reqAdd = append(s.reqAdd, [2]string{r.name, v})
			}
		case "add-header":
			s.reqAdd = append(s.reqAdd, [2]string{r.name, s.lfValue(r, ctx)})
		case "set-path":
			s.newPath = s.lfValue(r, ctx)
		}
	}
	return verdictContinue
}

// applyResponseRules runs rules on the parsed response head.
func (s *httpSession) applyResponseRules(rules []httpRule, ctx func() *acl.Context, rbuf []byte) (deny int) {
	resp := &s.resp
	for i := range rules {
		r := &rules[i]
		if r.cond != nil {
			c := ctx()
			c.Final = true
			if ok, _ := r.cond.Match(c); !ok {
				continue
			}
		}
		switch r.action {
		case "allow":
			return 0
		case "deny":
			return r.code
		case "del-header", "set-header":
			v := s.lfValue(r, ctx)
			// what the rules drop stays in %B, as in haproxy
			s.ruleAddSize -= dropHeaderSize(resp.Headers, rbuf, r.name)
			if r.action == "set-header" {
				s.respAdd = append(s.respAdd, [2]string{r.name, v})
				s.ruleAddSize += int64(len(r.name) + len(v))
			}
		case "add-header":
			v := s.lfValue(r, ctx)
			s.respAdd = append(s.respAdd, [2]string{r.name, v})
			s.ruleAddSize += int64(len(r.name) + len(v))
		case "set-status":
			s.newStatus, s.newReason = r.code, r.reason
		}
	}
	return 0
}

// sendPage sends one of haproxy's pages (deny, return without content)
// as the answer to req; false ends the session.
func (s *httpSession) sendPage(page string, code int, req *h1.Message, clientKeep bool) bool {
	s.ev.Status = code
	if page == "" {
		s.respBytes.Store(0)
		return false // an empty errorfile: haproxy closes silently
	}
	s.respBytes.Store(htxPageSize(page))
	if page != denyPages[code] && page != httpErrors[code] && page == s.page(code) {
		s.respBytes.Store(s.pageSize(code)) // an errorfile (errpage.go)
	}
	if pageHTTP10(page) || !pageHasLength(page) {
		clientKeep = false // an HTTP/1.0 page or one without a length closes
	}
	out := appendPage(s.out[:0], page, clientKeep, req.HTTP11())
	s.out = out
	if s.clientWrite(out) != nil {
		return false
	}
	return clientKeep
}

// appendPage writes a raw page with lower-cased header names and the
// connection header the client needs.
func appendPage(out []byte, page string, clientKeep, http11 bool) []byte {
	head, body, _ := strings.Cut(page, "\r\n\r\n")
	lines := strings.Split(head, "\r\n")
	out = append(out, lines[0]...)
	out = append(out, '\r', '\n')
	for _, l := range lines[1:] {
		name, _, _ := strings.Cut(l, ":")
		if strings.EqualFold(name, "connection") {
			continue
		}
		out = h1.AppendLower(out, []byte(name))
		out = append(out, l[len(name):]...)
		out = append(out, '\r', '\n')
	}
	switch {
	case pageHTTP10(page):
	case !clientKeep:
		out = append(out, "connection: close\r\n"...)
	case !http11:
		out = append(out, "connection: keep-alive\r\n"...)
	}
	out = append(out, '\r', '\n')
	return append(out, body...)
}

func (s *httpSession) sendRedirect(r *httpRule, target string, req *h1.Message, buf []byte, clientKeep bool) reqVerdict {
	uri := string(req.URI.In(buf))
	path, query := uri, ""
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		path, query = uri[:i], uri[i:]
	}
	loc := target
	switch r.redirKind {
	case "prefix":
		if r.appSlsh && !strings.HasSuffix(path, "/") {
			path += "/"
		}
		if r.dropQuery {
			query = ""
		}
		if loc == "/" {
			loc = ""
		}
		loc += path + query
	case "scheme":
		host := ""
		if req.HasHost {
			host = string(req.Host.In(buf))
		}
		if r.dropQuery {
			query = ""
		}
		loc = r.value + "://" + host + path + query
	}
	var page strings.Builder
	fmt.Fprintf(&page, "HTTP/1.1 %d %s\r\ncontent-length: 0\r\nlocation: %s\r\n", r.code, reasonFor(r.code), loc)
	if r.code == 302 || r.code == 303 || r.code == 307 {
		page.WriteString("cache-control: no-cache\r\n")
	}
	page.WriteString("\r\n")
	s.ev.Term = [2]byte{'L', 'R'}
	if !s.sendPage(page.String(), r.code, req, clientKeep) {
		return verdictClose
	}
	return verdictAnswered
}

func (s *httpSession) sendReturn(r *httpRule, body string, req *h1.Message, clientKeep bool) reqVerdict {
	var page strings.Builder
	fmt.Fprintf(&page, "HTTP/1.1 %d %s\r\ncontent-length: %d\r\n", r.code, reasonFor(r.code), len(body))
	if r.ctype != "" {
		fmt.Fprintf(&page, "content-type: %s\r\n", r.ctype)
	}
	page.WriteString("\r\n")
	page.WriteString(body)
	s.ev.Term = [2]byte{'L', 'R'}
	if !s.sendPage(page.String(), r.code, req, clientKeep) {
		return verdictClose
	}
	return verdictAnswered
}

// pathWithQuery returns uri with its path replaced by path.
func pathWithQuery(uri []byte, path string) []byte {
	q := []byte(nil)
	if i := indexByte(uri, '?'); i >= 0 {
		q = uri[i:]
	}
	return append([]byte(path), q...)
}

// dropHeaderSize drops the headers called name (lower case) and returns
// the size of their names and values.
func dropHeaderSize(hs []h1.Header, buf []byte, name string) int64 {
	var n int64
	for j := range hs {
		if h := &hs[j]; !h.Drop && equalFoldString(h.Name.In(buf), name) {
			h.Drop = true
			n += int64(h.Name.Len() + h.Value.Len())
		}
	}
	return n
}

// respEditSize is what the edits change in the byte count haproxy logs
// for a response head: the headers added other than by http-response
// rules (cookie.go takes its own out again) and a changed reason phrase.
// Headers the rules add or remove do not change it (haproxy 2.6 logs
// the same %B with and without "http-response set-header/add-header/
// del-header").
func (s *httpSession) respEditSize(resp *h1.Message) int64 {
	n := -s.ruleAddSize
	for _, h := range s.respAdd {
		n += int64(len(h[0]) + len(h[1]))
	}
	if s.newStatus != 0 {
		n += int64(len(s.newReason) - resp.Reason.Len())
	}
	return n
}

// discardBody reads and drops the request body (a Content-Length one);
// false when it cannot (chunked, or the client failed).
func (s *httpSession) discardBody() bool {
	req := &s.req
	switch req.Body {
	case h1.BodyNone:
		return true
	case h1.BodyLength:
		left := req.ContentLength
		for left > 0 {
			if s.cr == s.cw {
				if err := s.clientRead(); err != nil {
					return false
				}
			}
			k := int64(s.cw - s.cr)
			if k > left {
				k = left
			}
			s.cr += int(k)
			left -= k
		}
		return true
	}
	return false
}

// servePrometheus answers a request with haproxy's Prometheus exporter
// ("http-request use-service prometheus-exporter"): the metrics of the
// stats snapshot, chunked, as haproxy's exporter sends them.
func (s *httpSession) servePrometheus(req *h1.Message, buf []byte, clientKeep bool) reqVerdict {
	uri := req.URI.In(buf)
	query := ""
	if i := indexByte(uri, '?'); i >= 0 {
		query = string(uri[i+1:])
	}
	s.ev.Server, s.ev.Term = "<PROMEX>", [2]byte{'L', 'R'}
	q := stats.ParsePromQuery(query)
	if q.Invalid {
		if !s.sendPage(s.page(400), 400, req, clientKeep) {
			return verdictClose
		}
		return verdictAnswered
	}
	body := stats.AppendPrometheus(nil, s.rt.statsSnapshot(), q)
	isHead := equalFoldASCII(req.Method.In(buf), "head")
	const ctype = stats.PromContentType
	out := append(s.out[:0], "HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: "...)
	out = append(out, ctype...)
	out = append(out, "\r\ntransfer-encoding: chunked\r\n"...)
	switch {
	case !clientKeep:
		out = append(out, "connection: close\r\n"...)
	case !req.HTTP11():
		out = append(out, "connection: keep-alive\r\n"...)
	}
	out = append(out, '\r', '\n')
	n := int64(htxStartLine+8+3+2) + int64(len("cache-control")+len("no-cache")+len("content-type")+len(ctype)+len("transfer-encoding")+len("chunked"))
	if !isHead {
		out = h1.AppendChunkSize(out, int64(len(body)))
		out = append(out, body...)
		out = append(out, "\r\n0\r\n\r\n"...)
		n += int64(len(body))
	}
	s.out = out
	s.ev.Status = 200
	s.respBytes.Store(n)
	if s.clientWrite(out) != nil || !clientKeep {
		return verdictClose
	}
	return verdictAnswered
}

// dropHeader marks every header called name (lower case) as not
// forwarded.
func dropHeader(hs []h1.Header, buf []byte, name string) {
	for j := range hs {
		if h := &hs[j]; !h.Drop && equalFoldString(h.Name.In(buf), name) {
			h.Drop = true
		}
	}
}

// compileLF compiles a log-format value of an HTTP action, its sample
// expressions included; resp says the rule runs on responses.
func compileLF(v string, cp *acl.Compiler, resp bool) (*logfmt.Format, error) {
	f, err := logfmt.CompileValue(v)
	if err != nil {
		return nil, err
	}
	return f, bindSamples(f, cp, resp)
}

// bindSamples compiles the sample expressions of f.
func bindSamples(f *logfmt.Format, cp *acl.Compiler, resp bool) error {
	return f.BindSamples(func(expr string) (*acl.Sample, error) {
		smp, err := cp.CompileSample(expr)
		if err != nil {
			return nil, err
		}
		if smp.NeedsContent() {
			return nil, fmt.Errorf("sample '%s' reads raw request content", expr)
		}
		if smp.NeedsResponse() && !resp {
			return nil, fmt.Errorf("sample '%s' needs a response", expr)
		}
		return smp, nil
	})
}

// lfValue is the value of rule r: its text, or its log-format rendered
// into the transaction's arena (the string lives until the next
// transaction resets the arena, never longer than reqAdd/respAdd).
func (s *httpSession) lfValue(r *httpRule, ctx func() *acl.Context) string {
	if r.lf == nil {
		return r.value
	}
	c := ctx()
	c.Server = s.ev.Server
	if c.Server == "<NOSRV>" {
		c.Server = ""
	}
	s.ev.Ctx = c
	start := len(s.lfArena)
	if cap(s.lfArena)-start < 256 {
		// a fresh block: strings already handed out keep the old one
		s.lfArena = make([]byte, 0, max(1024, 2*cap(s.lfArena)))
		start = 0
	}
	s.lfArena = r.lf.Append(s.lfArena, &s.ev)
	s.ev.Ctx = nil
	out := s.lfArena[start:]
	if len(out) == 0 {
		return ""
	}
	return unsafe.String(&out[0], len(out))
}

// uniqueIDSetup reads the unique-id-format and unique-id-header of an
// HTTP frontend.
func uniqueIDSetup(px *haproxycfg.Proxy) (*logfmt.Format, string, error) {
	var f *logfmt.Format
	header := ""
	cp := &acl.Compiler{Proxy: px}
	for _, d := range px.Other {
		switch {
		case d.Args[0] == "unique-id-format" && len(d.Args) > 1:
			if px.Kind == haproxycfg.KindBackend {
				continue
			}
			var err error
			f, err = logfmt.CompileID(strings.Join(d.Args[1:], " "))
			if err == nil {
				err = bindSamples(f, cp, false)
			}
			if err != nil {
				return nil, "", &UnsupportedError{d.Pos, fmt.Sprintf("'unique-id-format' (%v)", err)}
			}
		case d.Args[0] == "unique-id-header" && len(d.Args) > 1:
			header = strings.ToLower(d.Args[1])
		}
	}
	return f, header, nil
}

// uniqueID builds the request's unique-id (%ID, the unique-id fetch and
// unique-id-header) from the frontend's format.
func (s *httpSession) uniqueID(f *logfmt.Format, c *acl.Context) {
	s.ev.Ctx = c
	s.uidBuf = f.Append(s.uidBuf[:0], &s.ev)
	s.ev.Ctx = nil
	s.ev.UniqueID = string(s.uidBuf)
	c.UniqueID = s.ev.UniqueID
}
