package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// probeResult is how haproxy reacted to one candidate line.
type probeResult struct {
	section string // "global" or "proxy"
	line    string // the keyword words, e.g. "nbproc", "option forceclose"
	class   string // known, removed, deprecated
	msg     string // the message, without the "parsing [FILE:LINE] : " prefix
}

func parseProbe(b []byte) ([]probeResult, error) {
	var out []probeResult
	for n, l := range strings.Split(string(b), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Split(l, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("probe line %d: malformed %q", n+1, l)
		}
		out = append(out, probeResult{f[0], f[1], f[2], f[3]})
	}
	return out, nil
}

func formatProbe(res []probeResult) []byte {
	var b bytes.Buffer
	b.WriteString("# How haproxy 2.6 reacts to candidate keywords (haproxy -c), written by\n")
	b.WriteString("# pkg/haproxycfg/internal/gentables -probe; do not edit.\n")
	b.WriteString("# SECTION\tWORDS\tCLASS\tMESSAGE\n")
	for _, r := range res {
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", r.section, r.line, r.class, r.msg)
	}
	return b.Bytes()
}

func applyProbe(t *tables, res []probeResult) {
	probedGlobal := false
	status := map[string]string{} // "section words" -> class
	for _, r := range res {
		status[r.section+" "+r.line] = r.class
		if r.section == "global" {
			probedGlobal = true
		}
	}
	// Global keywords: with probe results, only what haproxy recognises;
	// documented keywords this build rejects go to globalMan (false).
	for k := range t.manGlobal {
		if !probedGlobal {
			t.global[k] = true
		}
	}
	for _, r := range res {
		key := r.section + " " + r.line
		switch r.class {
		case "removed":
			t.removed[key] = r.msg
		case "deprecated":
			t.warnings[key] = r.msg
		}
		switch r.section {
		case "global":
			if r.class != "unknown" {
				t.global[r.line] = true
			}
		case "proxy":
			if strings.HasPrefix(r.line, "option ") {
				name := strings.TrimPrefix(r.line, "option ")
				switch {
				case r.class == "removed" || r.class == "unknown":
					// Documented in 4.2 but refused by haproxy 2.6.
					delete(t.options, name)
				case t.options[name] == nil:
					t.options[name] = &option{name: name, noMatrix: true}
				}
				continue
			}
			k := t.proxy[r.line]
			if k == nil && r.class != "unknown" {
				covered := false
				for name := range t.proxy {
					if strings.HasPrefix(name, r.line+" ") {
						covered = true
					}
				}
				if r.line == "option" || (covered && r.class != "removed") ||
					strings.Contains(r.msg, "only allowed after") {
					continue // "usesrc" is part of the "source" syntax
				}
				k = &proxyKW{name: r.line, caps: t.used[r.line], noMatrix: true}
				t.proxy[r.line] = k
			}
			if k != nil && r.class == "removed" {
				k.removed = true
			}
			if k != nil && r.class == "deprecated" {
				k.deprecated = true
			}
		case "unknown":
			t.unknownMsg[r.line] = r.msg
		case "bind", "server":
			m, man := t.bind, t.bindMan
			if r.section == "server" {
				m, man = t.server, t.serverMan
			}
			if _, ok := man[r.line]; ok && r.class == "unknown" {
				man[r.line] = false
				delete(m, r.line)
			}
		}
	}
	for _, r := range res {
		if sec, ok := strings.CutPrefix(r.section, "caps "); ok && r.class == "allowed" && t.proxy[r.line] != nil {
			bit := map[string]int{"defaults": capDefaults, "frontend": capFrontend, "listen": capListen, "backend": capBackend}[sec]
			t.proxy[r.line].caps |= bit
		}
	}
	for _, r := range res {
		if sec, ok := strings.CutPrefix(r.section, "section "); ok && r.class == "unknown" && t.sections[sec] != nil {
			delete(t.sections[sec], r.line)
			t.sectionRefused[sec+" "+r.line] = false
		}
	}
	if probedGlobal {
		for k := range t.manGlobal {
			if !t.global[k] {
				t.globalMan[k] = false
			}
		}
	}
}

// binaryWords returns the NUL-terminated strings of the haproxy binary that
// look like configuration keywords: the candidates for hard-coded keywords.
func binaryWords(bin string) ([]string, error) {
	b, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	re := regexp.MustCompile(`^[a-z][a-z0-9_.-]*[a-z0-9]$`)
	seen := map[string]bool{}
	start := -1
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
		if ok {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && c == 0 && i-start >= 3 && i-start <= 48 {
			w := string(b[start:i])
			// The linker merges string literals that end alike, so
			// "cookie" may only exist as the tail of "set-cookie": also
			// take the tails that follow a separator.
			for j := 0; j < len(w); j++ {
				if j == 0 || w[j-1] == '-' || w[j-1] == '_' || w[j-1] == '.' {
					if t := w[j:]; len(t) >= 3 && re.MatchString(t) {
						seen[t] = true
					}
				}
			}
		}
		start = -1
	}
	return sortedKeys(seen), nil
}

const probeSentinel = "zz-gentables-probe-sentinel"

var msgRe = regexp.MustCompile(`^\[(ALERT|WARNING|NOTICE)\] +\(\d+\) : config : (?:parsing )?\[[^\]:]*:(\d+)\] ?: (?:parsing \[[^\]]*\] ?: )?(.*)$`)

type probeMsg struct{ sev, text string }

// probeBatch runs haproxy -c on header followed by the lines and returns the
// messages of each line (index into lines). Runs whose parsing stopped early
// (the sentinel line was not reported) are split and retried.
func probeBatch(bin, dir, header string, lines []string) (map[int][]probeMsg, error) {
	cfg := filepath.Join(dir, "probe.cfg")
	body := header + strings.Join(lines, "\n") + "\n" + probeSentinel + "\n"
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		return nil, err
	}
	out, _ := exec.Command(bin, "-c", "-f", cfg).CombinedOutput()
	first := strings.Count(header, "\n") + 1 // line number of lines[0]
	sentinel := first + len(lines)
	res := map[int][]probeMsg{}
	sawSentinel := false
	text := string(out)
	for _, sev := range []string{"[ALERT]", "[WARNING]", "[NOTICE]"} {
		text = strings.ReplaceAll(text, sev, "\n"+sev)
	}
	for _, l := range strings.Split(text, "\n") {
		m := msgRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		var n int
		fmt.Sscan(m[2], &n)
		if n == sentinel {
			sawSentinel = true
			continue
		}
		if strings.Contains(m[3], "too many fatal errors") {
			continue
		}
		if n >= first && n < sentinel {
			res[n-first] = append(res[n-first], probeMsg{m[1], strings.TrimSpace(m[3])})
		}
	}
	if sawSentinel || len(lines) == 1 {
		return res, nil
	}
	// Parsing stopped: keep what was said before the stop and retry the
	// rest in halves.
	last := -1
	for i := range res {
		if i > last {
			last = i
		}
	}
	keep := map[int][]probeMsg{}
	for i, v := range res {
		if i < last {
			keep[i] = v
		}
	}
	if last >= 0 {
		keep[last] = res[last]
	}
	rest := lines[last+1:]
	if last < 0 {
		// Nothing was reported: split.
		h := len(lines) / 2
		a, err := probeBatch(bin, dir, header, lines[:h])
		if err != nil {
			return nil, err
		}
		b, err := probeBatch(bin, dir, header, lines[h:])
		if err != nil {
			return nil, err
		}
		for i, v := range b {
			a[i+h] = v
		}
		return a, nil
	}
	if len(rest) == 0 {
		return keep, nil
	}
	r, err := probeBatch(bin, dir, header, rest)
	if err != nil {
		return nil, err
	}
	for i, v := range r {
		keep[i+last+1] = v
	}
	return keep, nil
}

// probeChunks runs probeBatch on chunks small enough to stay below
// haproxy's limit of 50 fatal errors per run.
func probeChunks(bin, dir, header string, lines []string) (map[int][]probeMsg, error) {
	const chunk = 40
	all := map[int][]probeMsg{}
	for s := 0; s < len(lines); s += chunk {
		e := s + chunk
		if e > len(lines) {
			e = len(lines)
		}
		r, err := probeBatch(bin, dir, header, lines[s:e])
		if err != nil {
			return nil, err
		}
		for i, v := range r {
			all[s+i] = v
		}
	}
	return all, nil
}

// sectionWords start a new section in haproxy.cfg; probing them would
// change the section of the following lines.
var sectionWords = map[string]bool{
	"global": true, "defaults": true, "frontend": true, "backend": true, "listen": true,
	"userlist": true, "peers": true, "mailers": true, "resolvers": true, "cache": true,
	"program": true, "ring": true, "http-errors": true, "log-forward": true, "fcgi-app": true,
	"crt-store": true, "traces": true,
}

func classify(msgs []probeMsg) (class, msg string) {
	for _, m := range msgs {
		t := m.text
		switch {
		case strings.Contains(t, "unknown keyword") || strings.Contains(t, "unknown option"):
			return "unknown", t
		case strings.Contains(t, "not supported any more") || strings.Contains(t, "not supported anymore") ||
			strings.Contains(t, "no longer supported") || strings.Contains(t, "doesn't exist anymore"):
			return "removed", t
		}
	}
	for _, m := range msgs {
		if m.sev == "WARNING" && strings.Contains(m.text, "deprecated") {
			return "deprecated", m.text
		}
	}
	if len(msgs) > 0 {
		return "known", msgs[0].text
	}
	return "known", ""
}

const probeDefaults = "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"

func runProbe(bin string, d *dump, facts []string) ([]probeResult, error) {
	dir, err := os.MkdirTemp("", "gentables-probe")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	words, err := binaryWords(bin)
	if err != nil {
		return nil, err
	}
	cand := map[string]bool{}
	for _, w := range words {
		if !sectionWords[w] {
			cand[w] = true
		}
	}
	bindCand, serverCand := map[string]bool{}, map[string]bool{}
	for _, g := range d.global {
		cand[g] = true
	}
	for _, k := range d.listen {
		cand[k] = true
	}
	for _, o := range d.options {
		cand[o.name] = true
	}
	for _, b := range d.bind {
		bindCand[b.name] = true
	}
	for _, s := range d.server {
		serverCand[s.name] = true
	}
	for _, f := range facts {
		w := strings.Split(f, "\t")
		switch w[0] {
		case "global", "globalkw":
			cand[w[1]] = true
		case "matrix", "usedin":
			f := strings.Fields(w[1])
			if f[0] == "no" && len(f) > 1 {
				f = f[1:]
			}
			cand[f[0]] = true
			if f[0] == "option" && len(f) > 1 {
				cand[f[1]] = true
			}
		case "bind":
			bindCand[w[1]] = true
		case "server":
			serverCand[w[1]] = true
		}
	}
	all := sortedKeys(cand)
	var out []probeResult
	record := func(section string, lines, words []string, res map[int][]probeMsg, keepUnknown bool) {
		for i := range lines {
			class, msg := classify(res[i])
			if class == "unknown" && !keepUnknown {
				continue
			}
			msg = strings.ReplaceAll(msg, "\t", " ")
			out = append(out, probeResult{section, words[i], class, msg})
		}
	}
	// Global keywords, alone on their line.
	res, err := probeChunks(bin, dir, "global\n", all)
	if err != nil {
		return nil, err
	}
	record("global", all, all, res, false)
	// Proxy keywords and options, in a listen section.
	res, err = probeChunks(bin, dir, probeDefaults+"listen l\n", all)
	if err != nil {
		return nil, err
	}
	record("proxy", all, all, res, false)
	// Where haproxy accepts the recognised proxy keywords that neither the
	// matrix, -dK nor a 4.2 heading describes (max-session-srv-conns, ...):
	// try each with a dummy argument in every proxy section.
	described := map[string]bool{}
	for _, k := range d.listen {
		described[k] = true
	}
	for _, f := range facts {
		w := strings.Split(f, "\t")
		if w[0] == "matrix" || w[0] == "usedin" {
			described[strings.Fields(w[1])[0]] = true
		}
	}
	var undescribed []string
	for _, r := range out {
		if r.section == "proxy" && r.class == "known" && !described[r.line] && !strings.Contains(r.line, " ") &&
			!strings.Contains(r.msg, "only allowed after") {
			undescribed = append(undescribed, r.line)
		}
	}
	for _, kw := range undescribed {
		for _, sec := range []string{"defaults d", "frontend f", "listen l", "backend b"} {
			res, err := probeBatch(bin, dir, probeDefaults+sec+"\n", []string{kw + " 1"})
			if err != nil {
				return nil, err
			}
			class := "allowed"
			for _, m := range res[0] {
				if strings.Contains(m.text, "ignored because") || strings.Contains(m.text, "not allowed") {
					class = "refused"
				}
			}
			out = append(out, probeResult{"caps " + strings.Fields(sec)[0], kw, class, ""})
		}
	}
	opts := make([]string, len(all))
	optWords := make([]string, len(all))
	for i, w := range all {
		opts[i] = "option " + w
		optWords[i] = "option " + w
	}
	res, err = probeChunks(bin, dir, probeDefaults+"listen l\n", opts)
	if err != nil {
		return nil, err
	}
	record("proxy", opts, optWords, res, false)
	// Bind and server options (without their argument).
	bl := sortedKeys(bindCand)
	lines := make([]string, len(bl))
	for i, b := range bl {
		lines[i] = "bind 127.0.0.1:8000 " + b
	}
	res, err = probeChunks(bin, dir, probeDefaults+"frontend f\n", lines)
	if err != nil {
		return nil, err
	}
	record("bind", lines, bl, res, true)
	sl := sortedKeys(serverCand)
	lines = make([]string, len(sl))
	for i, s := range sl {
		lines[i] = fmt.Sprintf("server s%d 127.0.0.1:1 %s", i, s)
	}
	res, err = probeChunks(bin, dir, probeDefaults+"backend b\n", lines)
	if err != nil {
		return nil, err
	}
	record("server", lines, sl, res, true)
	// Keywords of the other sections, alone on their line.
	secKW := map[string]map[string]bool{}
	for _, f := range facts {
		w := strings.Split(f, "\t")
		if w[0] == "section" {
			if secKW[w[1]] == nil {
				secKW[w[1]] = map[string]bool{}
			}
			secKW[w[1]][w[2]] = true
		}
	}
	for _, sec := range sortedKeys(secKW) {
		kws := sortedKeys(secKW[sec])
		res, err := probeChunks(bin, dir, sec+" s\n", kws)
		if err != nil {
			return nil, err
		}
		record("section "+sec, kws, kws, res, true)
	}
	// The message of an unknown keyword, per section.
	const word = "zzunknownzz"
	for _, u := range []struct{ name, cfg string }{
		{"out-of-section", ""},
		{"global", "global\n"},
		{"defaults", "defaults\n"},
		{"frontend", "frontend f\n"},
		{"listen", "listen l\n"},
		{"backend", "backend b\n"},
		{"option", "backend b\n  option"},
		{"bind", "frontend f\n  bind 127.0.0.1:8000"},
		{"server", "backend b\n  server s 127.0.0.1:80"},
		{"userlist", "userlist s\n"},
		{"peers", "peers s\n"},
		{"mailers", "mailers s\n"},
		{"resolvers", "resolvers s\n"},
		{"cache", "cache s\n"},
		{"program", "program s\n"},
		{"ring", "ring s\n"},
		{"http-errors", "http-errors s\n"},
		{"log-forward", "log-forward s\n"},
		{"fcgi-app", "fcgi-app s\n"},
	} {
		cfg := filepath.Join(dir, "probe.cfg")
		sep := "  "
		if strings.HasSuffix(u.cfg, "0") || strings.HasSuffix(u.cfg, "option") {
			sep = " "
		}
		body := u.cfg + sep + word + "\n"
		if u.cfg == "" {
			body = word + "\n"
		}
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			return nil, err
		}
		o, _ := exec.Command(bin, "-c", "-f", cfg).CombinedOutput()
		n := strings.Count(body, "\n")
		for _, l := range strings.Split(string(o), "\n") {
			_, msg, ok := strings.Cut(l, " : config : ")
			if !ok || !strings.Contains(msg, word) {
				continue
			}
			msg = strings.ReplaceAll(msg, cfg, "{file}")
			msg = strings.ReplaceAll(msg, fmt.Sprintf("{file}:%d]", n), "{file}:{line}]")
			msg = strings.ReplaceAll(msg, word, "{kw}")
			out = append(out, probeResult{"unknown", u.name, "message", msg})
			break
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].section != out[j].section {
			return out[i].section < out[j].section
		}
		return out[i].line < out[j].line
	})
	return out, nil
}
