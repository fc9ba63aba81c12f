package main

import (
	"fmt"
	"regexp"
	"strings"
)

// The manual extractor turns the HAProxy 2.6 configuration manual into a
// short list of facts, one per line, TAB-separated:
//
//	global      NAME [deprecated]      keyword list at the top of section 3
//	globalkw    NAME SYNTAX            keyword headings of sections 3.1-3.3
//	matrix      ROW                    a row of the 4.1 proxy keywords matrix
//	usedin      SYNTAX D F L B         4.2 heading and its "May be used in sections" row
//	action      RULESET NAME SYNTAX    4.2 action syntax lines
//	bind        NAME SYNTAX            5.1 headings
//	server      NAME SYNTAX            5.2 headings
//	predefacl   NAME DEFINITION        7.4 table
//	section     SECTION NAME SYNTAX    keyword headings of other sections
//
// Only syntax lines and table cells are kept, never descriptive prose.

// manualSection returns the body lines of the numbered section whose title
// line is exactly title (the occurrence followed by a dashed underline, not
// the table of contents), up to the next title line in stop.
func manualSection(lines []string, title string, stops ...string) ([]string, error) {
	start := -1
	for i := 0; i+1 < len(lines); i++ {
		if lines[i] == title && strings.HasPrefix(lines[i+1], "---") {
			start = i + 2
			break
		}
	}
	if start < 0 {
		return nil, fmt.Errorf("manual: section %q not found", title)
	}
	for j := start; j+1 < len(lines); j++ {
		for _, s := range stops {
			if lines[j] == s && strings.HasPrefix(lines[j+1], "---") {
				return lines[start:j], nil
			}
		}
	}
	return nil, fmt.Errorf("manual: end of section %q not found", title)
}

// isHeading says whether lines[i] is a keyword heading: a line starting in
// column 0 with a lower-case keyword, which opens a paragraph, is not a
// sentence, and is followed by the keyword's description or another
// heading.
func isHeading(lines []string, i int) bool {
	l := lines[i]
	if l == "" || l[0] < 'a' || l[0] > 'z' {
		return false
	}
	// Walk back over the headings stacked above (alternative syntaxes such
	// as "option x" / "no option x") to the empty line opening the block.
	for j := i - 1; j >= 0 && lines[j] != ""; j-- {
		if !isHeadingShape(lines[j]) {
			return false
		}
	}
	if !isHeadingShape(l) {
		return false
	}
	if i+1 >= len(lines) || lines[i+1] == "" {
		// A heading directly followed by an empty line happens for
		// multi-line syntaxes; accept it only if it looks like syntax.
		return strings.ContainsAny(l, "<[{")
	}
	return true
}

var firstWordRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

func isHeadingShape(l string) bool {
	if l == "" || l[0] < 'a' || l[0] > 'z' {
		return false
	}
	if strings.Contains(l, ". ") || strings.HasSuffix(l, ".") || strings.HasSuffix(l, ",") ||
		strings.HasSuffix(l, ":") || strings.HasSuffix(l, ";") {
		return false
	}
	w := strings.Fields(l)
	return firstWordRe.MatchString(w[0])
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// joinSyntax joins the continuation lines of a multi-line syntax starting at
// lines[i]: indented lines which start with "[" or "{", or which follow an
// unbalanced bracket.
func joinSyntax(lines []string, i int) string {
	s := lines[i]
	for j := i + 1; j < len(lines); j++ {
		l := lines[j]
		if l == "" || (l[0] != ' ' && l[0] != '\t') {
			break
		}
		t := strings.TrimSpace(l)
		if !(strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{") || unbalanced(s)) {
			break
		}
		s += " " + t
	}
	return collapse(s)
}

func unbalanced(s string) bool {
	return strings.Count(s, "[") > strings.Count(s, "]") || strings.Count(s, "{") > strings.Count(s, "}")
}

var actionRulesets = []string{
	"http-request", "http-response", "http-after-response",
	"tcp-request connection", "tcp-request session", "tcp-request content",
	"tcp-response content",
}

// extractManual returns the fact lines of the manual text.
func extractManual(text string) ([]string, error) {
	lines := strings.Split(strings.ReplaceAll(text, "\r", ""), "\n")
	var out []string
	add := func(f ...string) { out = append(out, strings.Join(f, "\t")) }

	// Section 3: keyword list and global keyword headings.
	s3, err := manualSection(lines, "3. Global parameters", "3.1. Process management and security")
	if err != nil {
		return nil, err
	}
	listRe := regexp.MustCompile(`^   - (\S+)( \(deprecated\))?$`)
	for _, l := range s3 {
		if m := listRe.FindStringSubmatch(l); m != nil {
			if m[2] != "" {
				add("global", m[1], "deprecated")
			} else {
				add("global", m[1])
			}
		}
	}
	g, err := manualSection(lines, "3.1. Process management and security", "3.4. Userlists")
	if err != nil {
		return nil, err
	}
	for i := range g {
		if isHeading(g, i) && !strings.HasPrefix(g[i], "no ") {
			add("globalkw", strings.Fields(g[i])[0], joinSyntax(g, i))
		}
	}

	// Other sections made of keyword headings.
	others := []struct{ title, name string }{
		{"3.4. Userlists", "userlist"},
		{"3.5. Peers", "peers"},
		{"3.6. Mailers", "mailers"},
		{"3.7. Programs", "program"},
		{"3.8. HTTP-errors", "http-errors"},
		{"3.9. Rings", "ring"},
		{"3.10. Log forwarding", "log-forward"},
		{"5.3.2. The resolvers section", "resolvers"},
		{"6.2.1. Cache section", "cache"},
		{"10.1.1. Fcgi-app section", "fcgi-app"},
	}
	for _, o := range others {
		body, err := manualSection(lines, o.title, "3.5. Peers", "3.6. Mailers", "3.7. Programs",
			"3.8. HTTP-errors", "3.9. Rings", "3.10. Log forwarding", "4. Proxies",
			"6. Cache", "6.2.2. Proxy section", "7. Using ACLs and fetching samples",
			"10.1.2. Proxy section")
		if err != nil {
			return nil, err
		}
		for i := range body {
			if !isHeading(body, i) {
				continue
			}
			syn := joinSyntax(body, i)
			w := strings.Fields(syn)
			if w[0] == o.name || w[0] == "no" {
				continue
			}
			name := w[0]
			if (name == "timeout" || name == "option" || name == "log" || name == "log-stderr") &&
				len(w) > 1 && firstWordRe.MatchString(w[1]) {
				name += " " + w[1]
			}
			add("section", o.name, name, syn)
		}
	}

	// 4.1 matrix.
	m, err := manualSection(lines, "4.1. Proxy keywords matrix", "4.2. Alphabetically sorted keywords reference")
	if err != nil {
		return nil, err
	}
	in := false
	for _, l := range m {
		if strings.HasPrefix(l, "------------------------------------+") {
			if in {
				break
			}
			in = true
			continue
		}
		if !in || strings.TrimSpace(l) == "" || strings.HasPrefix(l, "--") {
			continue
		}
		add("matrix", strings.TrimRight(l, " "))
	}

	// 4.2 headings, "May be used in sections" rows, actions.
	k, err := manualSection(lines, "4.2. Alphabetically sorted keywords reference", "5. Bind and server options")
	if err != nil {
		return nil, err
	}
	for i := range k {
		l := k[i]
		// The manual misspells one "tcp-response content" syntax line.
		if strings.HasPrefix(l, "tcp-resposne ") {
			l = "tcp-response " + strings.TrimPrefix(l, "tcp-resposne ")
		}
		handled := false
		for _, rs := range actionRulesets {
			if !strings.HasPrefix(l, rs+" ") {
				continue
			}
			rest := strings.TrimSpace(l[len(rs):])
			if rest == "" || rest[0] == '<' || !(rest[0] >= 'a' && rest[0] <= 'z') {
				continue
			}
			name := strings.Fields(rest)[0]
			if p := strings.IndexByte(name, '('); p >= 0 {
				name = name[:p]
			}
			syn := joinSyntax(k, i)
			add("action", rs, name, strings.TrimSpace(syn[len(rs):]))
			handled = true
			break
		}
		if handled || !isHeading(k, i) {
			continue
		}
		// Look for the "May be used in sections" row of this heading.
		for j := i + 1; j < len(k) && j < i+8; j++ {
			if k[j] == "" {
				break
			}
			if strings.Contains(k[j], "May be used in sections") && j+1 < len(k) {
				cells := strings.Split(k[j+1], "|")
				if len(cells) == 4 {
					f := []string{"usedin", joinSyntax(k, i)}
					for _, c := range cells {
						f = append(f, strings.TrimSpace(c))
					}
					add(f...)
				}
				break
			}
		}
	}

	// 5.1 and 5.2 headings.
	for _, s := range []struct{ title, stop, kind string }{
		{"5.1. Bind options", "5.2. Server and default-server options", "bind"},
		{"5.2. Server and default-server options", "5.3. Server IP address resolution using DNS", "server"},
	} {
		body, err := manualSection(lines, s.title, s.stop)
		if err != nil {
			return nil, err
		}
		for i := range body {
			if isHeading(body, i) {
				syn := joinSyntax(body, i)
				add(s.kind, strings.Fields(syn)[0], syn)
			}
		}
	}

	// 7.4 predefined ACLs.
	p, err := manualSection(lines, "7.4. Pre-defined ACLs", "8. Logging")
	if err != nil {
		return nil, err
	}
	var cols []int
	for _, l := range p {
		if strings.HasPrefix(l, "---") && strings.Contains(l, "+") {
			if cols != nil {
				break
			}
			for c := 0; c < len(l); c++ {
				if l[c] == '+' {
					cols = append(cols, c)
				}
			}
			continue
		}
		if cols == nil || len(cols) < 2 || len(l) <= cols[1] {
			continue
		}
		name := strings.TrimSpace(l[:cols[0]])
		def := collapse(l[cols[0]:cols[1]])
		if name != "" {
			add("predefacl", name, def)
		}
	}
	return out, nil
}
