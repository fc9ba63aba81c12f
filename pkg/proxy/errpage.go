package proxy

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// loadErrorfiles reads a proxy's "errorfile CODE FILE" pages and those
// its "errorfiles NAME [CODE...]" lines import from http-errors sections,
// kept in memory as haproxy keeps them. A page is a raw HTTP response; an
// empty file makes haproxy close without answering.
func loadErrorfiles(cfg *haproxycfg.Config, px *haproxycfg.Proxy) (map[int]string, error) {
	var imports []haproxycfg.Directive
	for _, d := range px.Other {
		if d.Args[0] == "errorfiles" && len(d.Args) > 1 {
			imports = append(imports, d)
		}
	}
	if len(px.Errorfiles) == 0 && len(imports) == 0 {
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
	// the imports, in their order (each one overrides the earlier ones)
	imported := map[int]bool{}
	for _, d := range imports {
		var sec *haproxycfg.HTTPErrors
		if cfg != nil {
			for _, h := range cfg.HTTPErrors {
				if h.Name == d.Args[1] {
					sec = h
				}
			}
		}
		if sec == nil {
			return nil, fmt.Errorf("parsing [%s:%d] : errorfiles: no http-errors section named '%s'; declare it or fix the name", d.Pos.File, d.Pos.Line, d.Args[1])
		}
		var codes []int
		if len(d.Args) > 2 {
			for _, a := range d.Args[2:] {
				code := 0
				if _, err := fmt.Sscanf(a, "%d", &code); err != nil {
					return nil, fmt.Errorf("parsing [%s:%d] : errorfiles: '%s' is no status code", d.Pos.File, d.Pos.Line, a)
				}
				if _, ok := sec.Errorfiles[code]; ok {
					codes = append(codes, code)
				}
			}
		} else {
			for code := range sec.Errorfiles {
				codes = append(codes, code)
			}
			sort.Ints(codes)
		}
		for _, code := range codes {
			if _, ok := px.Errorfiles[code]; ok && !imported[code] {
				// haproxy applies errorfile and errorfiles lines in their
				// order, which the model does not keep for errorfile
				return nil, &UnsupportedError{d.Pos, fmt.Sprintf("'errorfiles %s' importing code %d that an 'errorfile' line of '%s' also sets", d.Args[1], code, px.Name)}
			}
			file := sec.Errorfiles[code]
			b, err := os.ReadFile(file)
			if err != nil {
				return nil, fmt.Errorf("parsing [%s:%d] : http-errors '%s' errorfile %d: cannot read '%s' (%v); give a readable file holding an HTTP response", sec.Pos.File, sec.Pos.Line, sec.Name, code, file, err)
			}
			page, err := normalizePage(b)
			if err != nil {
				return nil, fmt.Errorf("parsing [%s:%d] : http-errors '%s' errorfile %d: '%s' is not a valid HTTP response (%v); the file must hold a status line, headers, an empty line and the body", sec.Pos.File, sec.Pos.Line, sec.Name, code, file, err)
			}
			pages[code] = page
			imported[code] = true
		}
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
		return htxPageSize(p) // its Connection header is the connection layer's
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

// pageHasLength says whether a page tells its length (Content-Length or
// Transfer-Encoding): without one haproxy closes the client connection
// after it.
func pageHasLength(p string) bool {
	head, _, _ := strings.Cut(p, "\r\n\r\n")
	for _, l := range strings.Split(head, "\r\n")[1:] {
		name, _, _ := strings.Cut(l, ":")
		if strings.EqualFold(name, "content-length") || strings.EqualFold(name, "transfer-encoding") {
			return true
		}
	}
	return false
}
