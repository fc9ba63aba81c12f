package proxy

import (
	"bytes"
	"strings"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/h1"
)

// cookieSpec is a backend's "cookie" persistence: the cookie's name and
// how haproxy treats it.
type cookieSpec struct {
	name                                  string
	insert, rewrite, prefix               bool
	indirect, nocache, postonly, preserve bool
	httponly, secure                      bool
	domain                                string // "a; domain=b" for several, as haproxy joins them
	attrs                                 string // the "attr" values joined with "; "
}

// The %tsc cookie letters: what the request's cookie did, and what
// happened to the response's Set-Cookie.
const (
	ckNone    = 'N'
	ckInvalid = 'I'
	ckDown    = 'D'
	ckValid   = 'V'
	ckUnused  = 'U'

	sckNone     = 'N'
	sckFound    = 'P'
	sckDeleted  = 'D'
	sckInserted = 'I'
	sckReplaced = 'R'
)

// cookieDelim separates the server's value from the application's in
// prefix mode.
const cookieDelim = '~'

// newCookieSpec reads a backend's "cookie" line (nil when it has none).
func newCookieSpec(px *haproxycfg.Proxy) (*cookieSpec, error) {
	d := px.Cookie
	if d == nil || len(d.Args) < 2 {
		return nil, nil
	}
	c := &cookieSpec{name: d.Args[1]}
	var attrs []string
	for i := 2; i < len(d.Args); i++ {
		switch d.Args[i] {
		case "insert":
			c.insert = true
		case "rewrite":
			c.rewrite = true
		case "prefix":
			c.prefix = true
		case "indirect":
			c.indirect = true
		case "nocache":
			c.nocache = true
		case "postonly":
			c.postonly = true
		case "preserve":
			c.preserve = true
		case "httponly":
			c.httponly = true
		case "secure":
			c.secure = true
		case "domain":
			i++
			if c.domain != "" {
				c.domain += "; domain="
			}
			c.domain += d.Args[i]
		case "attr":
			i++
			attrs = append(attrs, d.Args[i])
		case "maxidle", "maxlife", "dynamic":
			return nil, &UnsupportedError{d.Pos, "'cookie ... " + d.Args[i] + "'"}
		}
	}
	c.attrs = strings.Join(attrs, "; ")
	return c, nil
}

// cookieTxn is what the persistence cookie did in one transaction.
type cookieTxn struct {
	direct bool    // the request's cookie chose the server
	req    byte    // %tsc 3rd letter
	resp   byte    // %tsc 4th letter
	srv    *server // the server the cookie named (direct)
	// the request's facts the response side needs (its buffer may be
	// reused by then)
	isPost, reqCacheable bool
}

// cookieItem is one "name=value" item of a Cookie header value: the
// item spans v[start:end], its value v[vs:ve].
type cookieItem struct{ start, end, vs, ve int }

// cookieItems returns the items of cookie name in a Cookie header value,
// in order.
func cookieItems(v []byte, name string, out []cookieItem) []cookieItem {
	i := 0
	for i < len(v) {
		// skip separators and spaces
		for i < len(v) && (v[i] == ' ' || v[i] == '\t' || v[i] == ';' || v[i] == ',') {
			i++
		}
		st := i
		for i < len(v) && v[i] != ';' {
			i++
		}
		item := v[st:i]
		eq := bytes.IndexByte(item, '=')
		if eq < 0 {
			continue
		}
		if string(bytes.TrimRight(item[:eq], " \t")) != name {
			continue
		}
		vs, ve := st+eq+1, i
		for vs < ve && (v[vs] == ' ' || v[vs] == '\t') {
			vs++
		}
		for ve > vs && (v[ve-1] == ' ' || v[ve-1] == '\t') {
			ve--
		}
		out = append(out, cookieItem{st, i, vs, ve})
	}
	return out
}

// findCookie returns the value of the first cookie name in a Cookie
// header value, with the offsets of its whole "name=value" item.
func findCookie(v []byte, name string) (val []byte, start, end int, ok bool) {
	items := cookieItems(v, name, nil)
	if len(items) == 0 {
		return nil, 0, 0, false
	}
	it := items[0]
	return v[it.vs:it.ve], it.start, it.end, true
}

// removeItem removes the cookie item v[start:end] and its separator.
func removeItem(v []byte, start, end int) []byte {
	out := make([]byte, 0, len(v))
	next := end
	if next < len(v) {
		// drop the separator and the spaces after it: the next item
		// takes the removed one's place
		next++
		for next < len(v) && (v[next] == ' ' || v[next] == '\t') {
			next++
		}
		out = append(out, v[:start]...)
		return append(out, v[next:]...)
	}
	// the last item: drop the separator before it
	p := start
	for p > 0 && (v[p-1] == ' ' || v[p-1] == '\t') {
		p--
	}
	if p > 0 && v[p-1] == ';' {
		p--
	}
	for p > 0 && (v[p-1] == ' ' || v[p-1] == '\t') {
		p--
	}
	return append(out, v[:p]...)
}

// requestCookie applies the backend's cookie to the request: it finds the
// server the client's cookie names and marks the Cookie header edits in
// s.reqCookieEdit. It returns the server to force, nil for none.
//
// assigned: a use-server rule already chose the server (haproxy runs them
// first): the cookie is then "unused" (U) and no Set-Cookie is inserted.
func (s *httpSession) requestCookie(be *backend, req *h1.Message, buf []byte, assigned bool) *server {
	ck := be.http.cookie
	s.ck = cookieTxn{resp: sckNone, isPost: equalFoldASCII(req.Method.In(buf), "post"), reqCacheable: requestCacheable(req, buf)}
	s.cookieEdits = s.cookieEdits[:0]
	var items []cookieItem
	for hi := range req.Headers {
		h := &req.Headers[hi]
		if h.Drop || !equalFoldASCII(h.Name.In(buf), "cookie") {
			continue
		}
		v := h.Value.In(buf)
		items = cookieItems(v, ck.name, items[:0])
		if len(items) == 0 {
			continue
		}
		// every occurrence counts, in order; the first usable one chooses
		// the server and the later ones are not looked at
		for _, it := range items {
			if assigned {
				s.ck.req = ckUnused
				continue
			}
			if s.ck.direct {
				break
			}
			s.cookieMatch(be, v[it.vs:it.ve])
		}
		// the edits, from the last item so that offsets hold
		nv := append([]byte(nil), v...)
		changed := false
		for k := len(items) - 1; k >= 0; k-- {
			it := items[k]
			val := nv[it.vs:it.ve]
			switch {
			case ck.prefix:
				if d := bytes.IndexByte(val, cookieDelim); d >= 0 {
					// the server's part goes: the application sees its own value
					nv = append(nv[:it.vs], nv[it.vs+d+1:]...)
					changed = true
				}
			case ck.insert && ck.indirect:
				nv = removeItem(nv, it.start, it.end)
				changed = true
			}
		}
		if !changed {
			continue
		}
		if len(bytes.TrimSpace(nv)) == 0 {
			h.Drop = true
		} else {
			s.cookieEdits = append(s.cookieEdits, cookieEdit{hdr: hi, value: nv})
		}
	}
	if s.ck.req == 0 {
		s.ck.req = ckNone
	}
	if assigned {
		s.ck.direct, s.ck.srv = true, nil
	}
	return s.ck.srv
}

// cookieMatch looks for the server a cookie value names and sets the
// %tsc letter as haproxy does: V (valid), D (its server is down), I (no
// such server).
func (s *httpSession) cookieMatch(be *backend, val []byte) {
	id := val
	if be.http.cookie.prefix {
		if i := bytes.IndexByte(val, cookieDelim); i >= 0 {
			id = val[:i]
		}
	}
	down := false
	for _, srv := range be.servers {
		if srv.cookie == "" || srv.cookie != string(id) {
			continue
		}
		up := !srv.down.Load() && !srv.maint.Load()
		if up || be.persist {
			s.ck.direct, s.ck.srv = true, srv
			s.ck.req = ckValid
			if !up {
				s.ck.req = ckDown
			}
			return
		}
		down = true
	}
	if down {
		s.ck.req = ckDown
	} else if s.ck.req != ckDown {
		s.ck.req = ckInvalid
	}
}

// cookieEdit replaces (or removes) a header of the message.
type cookieEdit struct {
	hdr   int
	value []byte
}

// editFor returns the edit of header hi among edits.
func editFor(edits []cookieEdit, hi int) (*cookieEdit, bool) {
	for i := range edits {
		if edits[i].hdr == hi {
			return &edits[i], true
		}
	}
	return nil, false
}

// responseCookie applies the backend's cookie to the response head: the
// server's Set-Cookie of our name is kept, removed, rewritten or
// prefixed, and haproxy's own Set-Cookie (and Cache-control) is added to
// s.respAdd when the client must learn its server.
func (s *httpSession) responseCookie(be *backend, srv *server, resp *h1.Message, buf []byte) {
	ck := be.http.cookie
	s.respEdits = s.respEdits[:0]
	s.respEditDelta = 0
	for hi := range resp.Headers {
		h := &resp.Headers[hi]
		if h.Drop || !equalFoldASCII(h.Name.In(buf), "set-cookie") {
			continue
		}
		v := h.Value.In(buf)
		first := v
		if i := bytes.IndexByte(first, ';'); i >= 0 {
			first = first[:i]
		}
		eq := bytes.IndexByte(first, '=')
		if eq < 0 || string(bytes.TrimSpace(first[:eq])) != ck.name {
			continue
		}
		s.ck.resp = sckFound
		vs := eq + 1
		for vs < len(first) && (first[vs] == ' ' || first[vs] == '\t') {
			vs++
		}
		ve := len(first)
		for ve > vs && (first[ve-1] == ' ' || first[ve-1] == '\t') {
			ve--
		}
		switch {
		case ck.preserve:
		case srv != nil && ck.insert || s.ck.direct && ck.indirect:
			// haproxy counts the head as the server sent it
			h.Drop = true
			s.respEditDelta += int64(h.Name.Len() + h.Value.Len())
			s.ck.resp = sckDeleted
		case srv != nil && srv.cookie != "" && ck.rewrite:
			nv := append(append(append([]byte(nil), v[:vs]...), srv.cookie...), v[ve:]...)
			s.respEdits = append(s.respEdits, cookieEdit{hdr: hi, value: nv})
			s.ck.resp = sckReplaced
		case srv != nil && srv.cookie != "" && ck.prefix:
			nv := append(append(append(append([]byte(nil), v[:vs]...), srv.cookie...), cookieDelim), v[vs:]...)
			s.respEdits = append(s.respEdits, cookieEdit{hdr: hi, value: nv})
			s.ck.resp = sckReplaced
		}
	}
	found := s.ck.resp != sckNone
	if srv == nil || !ck.insert || found && ck.preserve || s.ck.direct {
		return
	}
	if ck.postonly && !s.ck.isPost {
		return
	}
	var sc string
	if srv.cookie == "" {
		sc = ck.name + "=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/"
	} else {
		sc = ck.name + "=" + srv.cookie + "; path=/"
	}
	if ck.domain != "" {
		sc += "; domain=" + ck.domain
	}
	if ck.httponly {
		sc += "; HttpOnly"
	}
	if ck.secure {
		sc += "; Secure"
	}
	if ck.attrs != "" {
		sc += "; " + ck.attrs
	}
	// haproxy's byte counts leave its own headers out (respEditSize
	// counts what respAdd holds)
	s.respAdd = append(s.respAdd, [2]string{"set-cookie", sc})
	s.respEditDelta -= int64(len("set-cookie") + len(sc))
	s.ck.resp = sckInserted
	if ck.nocache && s.ck.reqCacheable && cacheable(resp, buf) {
		s.respAdd = append(s.respAdd, [2]string{"cache-control", "private"})
		s.respEditDelta -= int64(len("cache-control") + len("private"))
	}
}

// requestCacheable says whether haproxy 2.6 lets the response to req be
// cached: a GET or HEAD (the request's Pragma and Cache-Control do not
// matter there).
func requestCacheable(req *h1.Message, reqBuf []byte) bool {
	m := req.Method.In(reqBuf)
	return equalFoldASCII(m, "get") || equalFoldASCII(m, "head")
}

// cacheable says whether haproxy 2.6 deems the response cacheable (for
// "nocache"): freshness or validator information, nothing saying private
// or no-cache.
func cacheable(resp *h1.Message, buf []byte) bool {
	switch resp.StatusCode {
	case 200, 203, 204, 206, 300, 301, 404, 405, 410, 414, 501:
		// the statuses cacheable by default (RFC 7231 6.1)
	default:
		return false
	}
	ok, fresh, validator := true, false, false
	for _, h := range resp.Headers {
		if h.Drop {
			continue
		}
		n, v := h.Name.In(buf), h.Value.In(buf)
		switch {
		case equalFoldASCII(n, "pragma"):
			if equalFoldASCII(bytes.TrimSpace(v), "no-cache") {
				return false
			}
		case equalFoldASCII(n, "cache-control"):
			for _, p := range bytes.Split(v, []byte(",")) {
				p = bytes.TrimSpace(p)
				lp := bytes.ToLower(p)
				switch {
				case string(lp) == "public":
					ok = true
				case string(lp) == "private" || string(lp) == "no-cache" || string(lp) == "no-store" || string(lp) == "max-age=0" || string(lp) == "s-maxage=0":
					ok = false
				case bytes.HasPrefix(lp, []byte("s-maxage")) || bytes.HasPrefix(lp, []byte("max-age")):
					fresh = true
				}
			}
		case equalFoldASCII(n, "expires"):
			fresh = true
		case equalFoldASCII(n, "etag"), equalFoldASCII(n, "last-modified"):
			validator = true
		}
	}
	return ok && (fresh || validator)
}
