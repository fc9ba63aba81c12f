package h1

import "bytes"

// ParseRequest parses the request head at the start of buf into m. It
// returns the head's length, or 0 and a nil error when buf holds an
// incomplete but so far valid head. Header folding is undone in buf, and
// a Connection header's hop-by-hop tokens are removed from it in place.
func (m *Message) ParseRequest(buf []byte, lim Limits) (int, error) {
	m.reset(false)
	return m.parse(buf, lim)
}

// ParseResponse parses a response head like ParseRequest.
func (m *Message) ParseResponse(buf []byte, lim Limits) (int, error) {
	m.reset(true)
	return m.parse(buf, lim)
}

func (m *Message) parse(buf []byte, lim Limits) (int, error) {
	i := 0
	// empty lines before a message are ignored
	for i < len(buf) && (buf[i] == '\r' || buf[i] == '\n') {
		if buf[i] == '\r' && i+1 < len(buf) && buf[i+1] != '\n' {
			return 0, ErrBadRequest
		}
		i++
	}
	var n int
	var err error
	if m.isResp {
		n, err = m.statusLine(buf, i)
	} else {
		n, err = m.requestLine(buf, i)
	}
	if n == 0 || err != nil {
		return 0, err
	}
	cost := 0
	if m.isResp {
		cost = 8 + 3 + m.Reason.Len()
	} else {
		cost = m.Method.Len() + m.URI.Len() + 8
	}
	i = n
	for {
		if i >= len(buf) {
			return 0, nil
		}
		switch buf[i] {
		case '\r':
			if i+1 >= len(buf) {
				return 0, nil
			}
			if buf[i+1] != '\n' {
				return 0, ErrBadRequest
			}
			i += 2
			return m.finish(buf, i)
		case '\n':
			i++
			return m.finish(buf, i)
		}
		var h Header
		j := i
		for j < len(buf) && tchar[buf[j]] {
			j++
		}
		if j >= len(buf) {
			return 0, nil
		}
		if j == i || buf[j] != ':' {
			return 0, ErrBadRequest
		}
		h.Name = Span{int32(i), int32(j)}
		j++
		for j < len(buf) && (buf[j] == ' ' || buf[j] == '\t') {
			j++
		}
		vs := j
		ve := -1
		for ve < 0 {
			for j < len(buf) && buf[j] != '\r' && buf[j] != '\n' {
				j++
			}
			if j >= len(buf) {
				return 0, nil
			}
			eol := j
			if buf[j] == '\r' {
				if j+1 >= len(buf) {
					return 0, nil
				}
				if buf[j+1] != '\n' {
					return 0, ErrBadRequest
				}
				j++
			}
			j++ // past LF
			if j >= len(buf) {
				return 0, nil // a folded line may follow
			}
			if buf[j] == ' ' || buf[j] == '\t' {
				// obsolete line folding: the line break becomes blanks
				for k := eol; k < j; k++ {
					buf[k] = ' '
				}
				continue
			}
			ve = eol
		}
		for ve > vs && (buf[ve-1] == ' ' || buf[ve-1] == '\t') {
			ve--
		}
		if vs > ve {
			vs = ve
		}
		h.Value = Span{int32(vs), int32(ve)}
		cost += 8 + h.Name.Len() + h.Value.Len()
		if lim.Budget > 0 && cost > lim.Budget {
			return 0, ErrTooLarge
		}
		m.Headers = append(m.Headers, h)
		i = j
	}
}

func (m *Message) requestLine(buf []byte, i int) (int, error) {
	s := i
	for i < len(buf) && tchar[buf[i]] {
		i++
	}
	if i >= len(buf) {
		return 0, nil
	}
	if i == s || buf[i] != ' ' {
		return 0, ErrBadRequest
	}
	m.Method = Span{int32(s), int32(i)}
	for i < len(buf) && buf[i] == ' ' {
		i++
	}
	s = i
	for i < len(buf) && uriChar(buf[i]) {
		i++
	}
	if i >= len(buf) {
		return 0, nil
	}
	if i == s || buf[i] != ' ' {
		return 0, ErrBadRequest // includes HTTP/0.9 (no version)
	}
	m.URI = Span{int32(s), int32(i)}
	for i < len(buf) && buf[i] == ' ' {
		i++
	}
	return m.version(buf, i, true)
}

// version parses "HTTP/d.d"; eol: a line end must follow.
func (m *Message) version(buf []byte, i int, eol bool) (int, error) {
	const v = "HTTP/"
	for k := 0; k < 8; k++ {
		if i+k >= len(buf) {
			return 0, nil
		}
		c := buf[i+k]
		switch {
		case k < 5 && c != v[k],
			(k == 5 || k == 7) && (c < '0' || c > '9'),
			k == 6 && c != '.':
			return 0, ErrBadRequest
		}
	}
	m.Major, m.Minor = int(buf[i+5]-'0'), int(buf[i+7]-'0')
	if m.Major < 1 {
		return 0, ErrBadRequest
	}
	i += 8
	if !eol {
		return i, nil
	}
	return lineEnd(buf, i)
}

func lineEnd(buf []byte, i int) (int, error) {
	if i >= len(buf) {
		return 0, nil
	}
	switch buf[i] {
	case '\n':
		return i + 1, nil
	case '\r':
		if i+1 >= len(buf) {
			return 0, nil
		}
		if buf[i+1] == '\n' {
			return i + 2, nil
		}
	}
	return 0, ErrBadRequest
}

func (m *Message) statusLine(buf []byte, i int) (int, error) {
	n, err := m.version(buf, i, false)
	if n == 0 || err != nil {
		return 0, err
	}
	i = n
	if i >= len(buf) {
		return 0, nil
	}
	if buf[i] != ' ' {
		return 0, ErrBadRequest
	}
	i++
	st := 0
	for k := 0; k < 3; k++ {
		if i >= len(buf) {
			return 0, nil
		}
		if buf[i] < '0' || buf[i] > '9' {
			return 0, ErrBadRequest
		}
		st = st*10 + int(buf[i]-'0')
		i++
	}
	m.StatusCode = st
	if i >= len(buf) {
		return 0, nil
	}
	if buf[i] == ' ' {
		i++
		s := i
		for i < len(buf) && buf[i] != '\r' && buf[i] != '\n' {
			i++
		}
		m.Reason = Span{int32(s), int32(i)}
	} else {
		m.Reason = Span{int32(i), int32(i)}
	}
	return lineEnd(buf, i)
}

func eqFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range b {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// tokens calls fn with each comma-separated element of v, blanks trimmed
// (empty elements included).
func tokens(v []byte, fn func(tok []byte, off, end int) bool) bool {
	s := 0
	for s <= len(v) {
		e := bytes.IndexByte(v[s:], ',')
		if e < 0 {
			e = len(v)
		} else {
			e += s
		}
		a, b := s, e
		for a < b && (v[a] == ' ' || v[a] == '\t') {
			a++
		}
		for b > a && (v[b-1] == ' ' || v[b-1] == '\t') {
			b--
		}
		if !fn(v[a:b], a, b) {
			return false
		}
		s = e + 1
	}
	return true
}

// finish applies the semantic rules to a complete head of n bytes.
func (m *Message) finish(buf []byte, n int) (int, error) {
	m.HeadLen = n
	var cl int64 = -1
	chunked, teSeen, teOther, clSeen := false, false, false, false
	nChunked := 0
	websocket, wsKey := false, false
	for k := range m.Headers {
		h := &m.Headers[k]
		name, val := h.Name.In(buf), h.Value.In(buf)
		switch {
		case eqFold(name, "content-length"):
			first := !clSeen
			clSeen = true
			ok := tokens(val, func(tok []byte, a, b int) bool {
				if len(tok) == 0 {
					return false
				}
				var v int64
				for _, c := range tok {
					if c < '0' || c > '9' || v > (1<<62)/10 {
						return false
					}
					v = v*10 + int64(c-'0')
				}
				if cl >= 0 && v != cl {
					return false
				}
				if cl < 0 && first {
					m.CLText = Span{h.Value.Off + int32(a), h.Value.Off + int32(b)}
				}
				cl = v
				return true
			})
			if !ok {
				return 0, ErrBadRequest
			}
			if !first {
				h.Drop = true
			}
		case eqFold(name, "transfer-encoding"):
			teSeen = true
			tokens(val, func(tok []byte, _, _ int) bool {
				if len(tok) == 0 {
					return true
				}
				if eqFold(tok, "chunked") {
					nChunked++
					chunked = true
				} else {
					teOther = true
					chunked = false
				}
				return true
			})
		case eqFold(name, "connection"):
			m.connection(buf, h)
		case eqFold(name, "host"):
			if m.HasHost {
				if !bytes.EqualFold(m.Host.In(buf), val) {
					return 0, ErrBadRequest
				}
				h.Drop = true
			} else {
				m.Host, m.HasHost = h.Value, true
			}
		case eqFold(name, "upgrade"):
			tokens(val, func(tok []byte, _, _ int) bool {
				if eqFold(tok, "websocket") {
					websocket = true
				}
				return true
			})
		case eqFold(name, "sec-websocket-key") && !m.isResp, eqFold(name, "sec-websocket-accept") && m.isResp:
			wsKey = true
		case eqFold(name, "expect"):
			if eqFold(val, "100-continue") {
				m.Expect100 = true
			}
		}
	}
	if teSeen {
		if !m.isResp {
			// chunked must come once, last
			if nChunked != 1 || !chunked {
				return 0, ErrBadRequest
			}
			if teOther {
				return 0, ErrUnprocessable
			}
		}
		if clSeen {
			// Transfer-Encoding wins; the Content-Length goes, and the
			// connection closes after the transaction
			for k := range m.Headers {
				if eqFold(m.Headers[k].Name.In(buf), "content-length") {
					m.Headers[k].Drop = true
				}
			}
			cl = -1
			m.ForceClose = true
		}
	}
	switch {
	case chunked:
		m.Body = BodyChunked
	case teSeen:
		m.Body = BodyClose
	case cl > 0:
		m.Body, m.ContentLength = BodyLength, cl
	case cl == 0:
		m.ContentLength = 0
		m.Body = BodyNone
		if m.isResp {
			m.Body = BodyLength
		}
	default:
		m.Body = BodyNone
		if m.isResp {
			m.Body = BodyClose
		}
	}
	if m.Upgrade && websocket && !wsKey && (!m.isResp || m.StatusCode == 101) {
		// haproxy refuses a websocket upgrade without its key, and a
		// switch to websocket without the accept header
		return 0, ErrBadRequest
	}
	if !m.isResp && m.HasHost {
		if auth, ok := authority(m.URI.In(buf)); ok {
			// compared after the scheme's default port is dropped
			uri := m.URI.In(buf)
			host := m.Host.In(buf)
			port := ""
			switch {
			case len(uri) > 7 && eqFold(uri[:7], "http://"):
				port = ":80"
			case len(uri) > 8 && eqFold(uri[:8], "https://"):
				port = ":443"
			}
			if port != "" {
				auth = bytes.TrimSuffix(auth, []byte(port))
				host = bytes.TrimSuffix(host, []byte(port))
			}
			if !bytes.EqualFold(auth, host) {
				return 0, ErrBadRequest
			}
		}
	}
	return n, nil
}

// connection records the Connection header's close/keep-alive tokens and
// removes them from the header in place; the header is dropped when
// nothing else remains.
func (m *Message) connection(buf []byte, h *Header) {
	val := h.Value.In(buf)
	w := 0
	tokens(val, func(tok []byte, _, _ int) bool {
		switch {
		case eqFold(tok, "close"):
			m.ConnClose = true
			return true
		case eqFold(tok, "keep-alive"):
			m.ConnKeepAlive = true
			return true
		case len(tok) == 0:
			return true
		case eqFold(tok, "upgrade"):
			m.Upgrade = true
		}
		if w > 0 {
			w += copy(val[w:], ", ")
		}
		w += copy(val[w:], tok)
		return true
	})
	h.Value.End = h.Value.Off + int32(w)
	if w == 0 {
		h.Drop = true
	}
}

// authority returns the authority of an absolute-form URI.
func authority(uri []byte) ([]byte, bool) {
	i := bytes.Index(uri, []byte("://"))
	if i <= 0 || !(uri[0] >= 'a' && uri[0] <= 'z' || uri[0] >= 'A' && uri[0] <= 'Z') {
		return nil, false
	}
	for _, c := range uri[1:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return nil, false
		}
	}
	a := uri[i+3:]
	if e := bytes.IndexByte(a, '/'); e >= 0 {
		a = a[:e]
	}
	if e := bytes.LastIndexByte(a, '@'); e >= 0 {
		a = a[e+1:]
	}
	return a, true
}

// Path returns the path of a request URI (without the query string), as
// haproxy's "path" fetch: the part from the first '/' after the
// authority of an absolute URI; empty for "*" or an authority.
func Path(uri []byte) []byte {
	p := PathQuery(uri)
	if q := bytes.IndexByte(p, '?'); q >= 0 {
		p = p[:q]
	}
	return p
}

// PathQuery returns the path and query of a request URI.
func PathQuery(uri []byte) []byte {
	if len(uri) == 0 || uri[0] == '*' {
		return nil
	}
	if uri[0] != '/' {
		i := bytes.Index(uri, []byte("://"))
		if i < 0 {
			return nil
		}
		a := uri[i+3:]
		e := bytes.IndexByte(a, '/')
		if e < 0 {
			return nil
		}
		return a[e:]
	}
	return uri
}
