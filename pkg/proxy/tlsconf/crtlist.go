// Package tlsconf turns haproxy's TLS settings (bind and server ssl
// options, crt-list files, the global ssl-default-* directives) into
// crypto/tls configurations, and chooses the certificate a client gets by
// its SNI as haproxy 2.6 does. It reads files but opens no sockets.
package tlsconf

import (
	"fmt"
	"strings"
)

// CrtListLine is one entry of a crt-list file:
//
//	<crtfile> [\[<sslbindconf> ...\]] [[!]<snifilter> ...]
type CrtListLine struct {
	Line    int
	Path    string
	Options map[string][]string // ssl options between brackets
	Filters []string            // SNI filters, "!" for the negative ones
}

// crtListOptionArgs are the options haproxy 2.6 accepts in a crt-list
// line's brackets, with their argument counts.
var crtListOptionArgs = map[string]int{
	"allow-0rtt": 0, "alpn": 1, "ca-file": 1, "ca-verify-file": 1, "ciphers": 1, "ciphersuites": 1,
	"crl-file": 1, "curves": 1, "ecdhe": 1, "no-ca-names": 0, "npn": 1, "ssl-min-ver": 1,
	"ssl-max-ver": 1, "verify": 1,
}

// ParseCrtList parses the text of a crt-list file. name is the file's
// name for error messages. Lines that are empty or start with '#' are
// skipped.
func ParseCrtList(name string, data []byte) ([]CrtListLine, error) {
	var out []CrtListLine
	for i, raw := range strings.Split(string(data), "\n") {
		lineNo := i + 1
		line := strings.TrimRight(raw, "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		words, err := splitCrtListLine(trimmed)
		if err != nil {
			return nil, fmt.Errorf("crt-list '%s' line %d: %v", name, lineNo, err)
		}
		e := CrtListLine{Line: lineNo, Path: words[0].text, Options: map[string][]string{}}
		if words[0].bracket {
			return nil, fmt.Errorf("crt-list '%s' line %d: the line must start with a certificate file name, not '['", name, lineNo)
		}
		j := 1
		if j < len(words) && words[j].bracket {
			opts := words[j].inner
			for k := 0; k < len(opts); k++ {
				n, ok := crtListOptionArgs[opts[k]]
				if !ok {
					return nil, fmt.Errorf("crt-list '%s' line %d: '%s' is not an ssl option allowed in a crt-list (use one of alpn, ca-file, ciphers, ciphersuites, crl-file, curves, ecdhe, npn, ssl-min-ver, ssl-max-ver, verify, ...)", name, lineNo, opts[k])
				}
				if n > 0 && k+n >= len(opts) {
					return nil, fmt.Errorf("crt-list '%s' line %d: ssl option '%s' expects an argument", name, lineNo, opts[k])
				}
				e.Options[opts[k]] = append([]string(nil), opts[k+1:k+1+n]...)
				k += n
			}
			j++
		}
		for ; j < len(words); j++ {
			if words[j].bracket {
				return nil, fmt.Errorf("crt-list '%s' line %d: ssl options between brackets must come right after the certificate file name", name, lineNo)
			}
			f := words[j].text
			if f == "" || f == "!" {
				return nil, fmt.Errorf("crt-list '%s' line %d: empty SNI filter", name, lineNo)
			}
			e.Filters = append(e.Filters, f)
		}
		out = append(out, e)
	}
	return out, nil
}

type clWord struct {
	text    string
	bracket bool
	inner   []string
}

// splitCrtListLine splits a line into words; a "[...]" group (which may
// contain spaces) is one word. Backslashes escape the next character.
func splitCrtListLine(s string) ([]clWord, error) {
	var words []clWord
	i := 0
	for i < len(s) {
		c := s[i]
		if c == ' ' || c == '\t' {
			i++
			continue
		}
		if c == '#' {
			break // a comment ends the line
		}
		if c == '[' {
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("missing ']' after the ssl options")
			}
			inner := strings.Fields(s[i+1 : i+end])
			words = append(words, clWord{bracket: true, inner: inner})
			i += end + 1
			continue
		}
		var b strings.Builder
		for i < len(s) && s[i] != ' ' && s[i] != '\t' {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			b.WriteByte(s[i])
			i++
		}
		words = append(words, clWord{text: b.String()})
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("empty line")
	}
	return words, nil
}
