package proxy

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// loadErrorfiles reads a proxy's "errorfile CODE FILE" pages, kept in
// memory as haproxy keeps them. A page is a raw HTTP response; an empty
// file makes haproxy close without answering.
func loadErrorfiles(px *haproxycfg.Proxy) (map[int]string, error) {
	if len(px.Errorfiles) == 0 {
		return nil, nil
	}
	codes := make([]int, 0, len(px.Errorfiles))
	for code := range px.Errorfiles {
		codes = append(codes, code)
	}
	sort.Ints(codes)
	pages := map[int]string{}
	for _, code := range codes {
		file := px.Errorfiles[code]
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("parsing [%s:%d] : errorfile %d: cannot read '%s' (%v); give a readable file holding an HTTP response", px.Pos.File, px.Pos.Line, code, file, err)
		}
		page, err := normalizePage(b)
		if err != nil {
			return nil, fmt.Errorf("parsing [%s:%d] : errorfile %d: '%s' is not a valid HTTP response (%v); the file must hold a status line, headers, an empty line and the body", px.Pos.File, px.Pos.Line, code, file, err)
		}
		pages[code] = page
	}
	return pages, nil
}

// normalizePage rewrites a page's head with CRLF line ends (a file may
// use bare LFs) and keeps its body as is.
func normalizePage(b []byte) (string, error) {
	if len(b) == 0 {
		return "", nil
	}
	var head, body []byte
	i, j := bytes.Index(b, []byte("\r\n\r\n")), bytes.Index(b, []byte("\n\n"))
	switch {
	case i >= 0 && (j < 0 || i < j):
		head, body = b[:i], b[i+4:]
	case j >= 0:
		head, body = b[:j], b[j+2:]
	default:
		return "", fmt.Errorf("no end of head")
	}
	lines := bytes.Split(head, []byte("\n"))
	sl := bytes.TrimRight(lines[0], "\r")
	if len(sl) < 12 || !bytes.HasPrefix(sl, []byte("HTTP/1.")) || sl[8] != ' ' || !isDigits(string(sl[9:12])) || len(sl) > 12 && sl[12] != ' ' {
		return "", fmt.Errorf("bad status line %q", sl)
	}
	out := append([]byte(nil), sl...)
	if len(sl) == 12 {
		out = append(out, ' ') // haproxy writes the empty reason's space
	}
	out = append(out, '\r', '\n')
	for _, l := range lines[1:] {
		l = bytes.TrimRight(l, "\r")
		c := bytes.IndexByte(l, ':')
		if c <= 0 {
			return "", fmt.Errorf("bad header line %q", l)
		}
		out = append(out, l...)
		out = append(out, '\r', '\n')
	}
	out = append(out, '\r', '\n')
	return string(append(out, body...)), nil
}

// page is the answer for code in this transaction: the backend's
// errorfile, else the frontend's, else haproxy's own page.
func (s *httpSession) page(code int) string {
	if s.ev.Backend != "" && s.ev.Backend != s.fe.name {
		if be := s.rt.backends[s.ev.Backend]; be != nil {
			if p, ok := be.http.errPages[code]; ok {
				return p
			}
		}
	}
	if p, ok := s.fe.http.errPages[code]; ok {
		return p
	}
	if p, ok := httpErrors[code]; ok {
		return p
	}
	return denyPages[code]
}

// pageSize is what haproxy logs for the page of code.
func (s *httpSession) pageSize(code int) int64 {
	p := s.page(code)
	if p == httpErrors[code] {
		return htxErrorSize(code)
	}
	if p == "" {
		return 0
	}
	// an errorfile's own Connection header is part of what haproxy counts
	n := htxPageSize(p)
	head, _, _ := strings.Cut(p, "\r\n\r\n")
	for _, l := range strings.Split(head, "\r\n")[1:] {
		if name, value, _ := strings.Cut(l, ":"); strings.EqualFold(name, "connection") {
			n += int64(len(name) + len(strings.TrimSpace(value)))
		}
	}
	return n
}

// pageHTTP10 says whether a page is an HTTP/1.0 response: haproxy closes
// the client connection after it, without a connection header.
func pageHTTP10(p string) bool {
	return strings.HasPrefix(p, "HTTP/1.0 ")
}
