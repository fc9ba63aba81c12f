package keepalivedconf

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Line is one logical configuration line after comments, conditionals,
// parameters and sequences have been processed, split into words.
type Line struct {
	Pos   Pos
	Words []string
}

// Options control reading.
type Options struct {
	// ConfigID is matched against @name / @^name lines (keepalived -i).
	// keepalived defaults it to the host name up to the first dot.
	ConfigID string
	// AllConfig makes a missing configuration file an error (keepalived -e).
	AllConfig bool
	// ReadFile replaces os.ReadFile (tests, fuzzing). Stat is then not used.
	ReadFile func(string) ([]byte, error)
	// Glob replaces filepath.Glob.
	Glob func(string) ([]string, error)
}

// Include checks (keepalived's include_check and the include variants).
const (
	incMatch    = 1 << iota // error if a file name without wildcard matches nothing
	incWildcard             // error if a wildcard pattern matches nothing
	incBrace                // error if an alternative of a brace expression matches nothing
	incAll      = incMatch | incWildcard | incBrace
)

type lexer struct {
	opts Options
	// incCheck is the include_check level of the file being read; it is
	// saved when an included file is opened and restored when it ends.
	incCheck int
	// braces counts open blocks, globalAt is the level global_defs opened
	// at (0: not inside global_defs): include_check acts while reading.
	braces, globalAt int
	pendingGlobal    bool
	diags            *Diags
	defs             map[string]string
	lines            []Line
	depth            int
	files            []string
	// names maps a file read to its name as keepalived reports it (the
	// main file as given, an included one as the include pattern wrote it).
	names  map[string]string
	budget int // bounds expansion (recursive parameters, sequences)
}

var (
	defRe = regexp.MustCompile(`^\$([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)
	seqRe = regexp.MustCompile(`^~SEQ(x?)\(([^)]*)\)\s*(.*)$`)
)

// Lex reads file (and what it includes) into logical lines.
func Lex(file string, opts Options, diags *Diags) []Line {
	return lex(file, opts, diags).lines
}

func lex(file string, opts Options, diags *Diags) *lexer {
	lx := &lexer{opts: opts, diags: diags, defs: map[string]string{}, budget: 1 << 20, names: map[string]string{}}
	if opts.AllConfig {
		lx.incCheck = incAll
	}
	if lx.opts.ReadFile == nil {
		lx.opts.ReadFile = readConfigFile
	}
	if lx.opts.Glob == nil {
		lx.opts.Glob = filepath.Glob
	}
	lx.readFile(file, file, Pos{}, opts.AllConfig)
	return lx
}

// diag reports a message found while reading, before the line being read;
// reads are the reads that print it (PassParent for what only the parent
// sees: includes and files; the other reads get the included text).
func (lx *lexer) diag(reads Pass, k Kind, pos Pos, format string, args ...any) {
	lx.diags.addAt(order{line: len(lx.lines), word: -1}, reads, k, pos, format, args...)
}

// errNotRegular reports a configuration file keepalived skips.
type errNotRegular struct{ name string }

func (e errNotRegular) Error() string {
	return fmt.Sprintf("Configuration file '%s' is not a regular non-executable file - skipping", e.name)
}

func readConfigFile(name string) ([]byte, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Mode()&0o111 != 0 {
		return nil, errNotRegular{name}
	}
	return os.ReadFile(name)
}

func (lx *lexer) readFile(name, display string, from Pos, must bool) {
	if lx.depth > 32 {
		lx.diag(PassParent, KindGeneral, from, "include nesting too deep at '%s'", display)
		return
	}
	data, err := lx.opts.ReadFile(name)
	if err != nil {
		if e, ok := err.(errNotRegular); ok {
			e.name = display
			lx.diag(PassParent, KindInfo, from, "%s", e.Error())
			return
		}
		k := KindInfo
		if must && from.File == "" {
			k = KindFileNotFound // the main file (keepalived -e)
		} else if must {
			k = KindIncludeMissing
		}
		lx.diag(PassParent, k, from, "Config files missing '%s'.", display)
		return
	}
	if _, ok := lx.names[name]; !ok {
		lx.names[name] = display
	}
	lx.depth++
	savedCheck := lx.incCheck
	defer func() { lx.depth--; lx.incCheck = savedCheck }()
	lx.files = append(lx.files, name)
	prevPWD, hadPWD := lx.defs["_PWD"]
	lx.defs["_PWD"] = filepath.Dir(name)
	defer func() {
		if hadPWD {
			lx.defs["_PWD"] = prevPWD
		}
	}()

	phys := strings.Split(string(data), "\n")
	for i := 0; i < len(phys); i++ {
		pos := Pos{File: name, Line: i + 1}
		text := stripComment(phys[i])
		// Multi-line parameter definition: "$NAME= \" then lines ending in '\'.
		if m := defRe.FindStringSubmatch(strings.TrimSpace(text)); m != nil && strings.TrimSpace(m[2]) == `\` {
			var parts []string
			for i+1 < len(phys) {
				i++
				l := stripComment(phys[i])
				t := strings.TrimRight(l, " \t\r")
				if strings.HasSuffix(t, `\`) {
					parts = append(parts, strings.TrimSuffix(t, `\`))
					continue
				}
				parts = append(parts, t)
				break
			}
			lx.defs[m[1]] = strings.Join(parts, "\n")
			continue
		}
		lx.processLine(text, pos, 0)
	}
}

// stripComment removes a '#' or '!' comment that is not inside quotes.
func stripComment(s string) string {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#' || c == '!':
			return s[:i]
		}
	}
	return s
}

func (lx *lexer) processLine(text string, pos Pos, level int) {
	lx.budget--
	if lx.budget < 0 || level > 64 {
		if lx.budget == -1 || level > 64 {
			lx.diag(PassAll, KindGeneral, pos, "configuration expansion too large (recursive parameter or sequence?)")
		}
		return
	}
	t := strings.TrimSpace(text)
	if t == "" {
		return
	}
	// include is recognised before conditionals and parameters.
	if w := firstWord(t); w == "include" || w == "includer" || w == "includem" || w == "includew" || w == "includeb" || w == "includea" {
		lx.include(w, strings.TrimSpace(t[len(w):]), pos)
		return
	}
	// Conditional configuration.
	for strings.HasPrefix(t, "@") {
		w := firstWord(t)
		rest := strings.TrimSpace(t[len(w):])
		neg := strings.HasPrefix(w, "@^")
		id := strings.TrimPrefix(strings.TrimPrefix(w, "@^"), "@")
		if (id == lx.opts.ConfigID) == neg {
			return
		}
		t = rest
		if t == "" {
			return
		}
	}
	if m := defRe.FindStringSubmatch(t); m != nil {
		lx.defs[m[1]] = strings.TrimSpace(m[2])
		return
	}
	if m := seqRe.FindStringSubmatch(t); m != nil {
		lx.sequence(m[1] == "x", m[2], m[3], t, pos, level)
		return
	}
	if strings.HasPrefix(t, "~SEQ") {
		lx.diag(PassAll, KindGeneral, pos, "Invalid ~SEQ specification '%s'", t)
		return
	}
	if strings.Contains(t, "$") {
		if s, changed := lx.substitute(t); changed {
			for _, l := range strings.Split(s, "\n") {
				lx.processLine(stripComment(l), pos, level+1)
			}
			return
		}
	}
	words, ok := splitWords(t)
	if !ok {
		lx.diag(PassAll, KindUnmatchedQuote, pos, "Unmatched quote: '%s'", t)
	}
	if len(words) > 0 {
		lx.track(words, pos)
		lx.lines = append(lx.lines, Line{Pos: pos, Words: words})
	}
}

func firstWord(s string) string {
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i]
	}
	return s
}

// track follows the block structure while reading so that include_check
// in global_defs takes effect for the includes after it, as in keepalived.
func (lx *lexer) track(words []string, pos Pos) {
	if words[0] == "include_check" && lx.globalAt > 0 && lx.braces == lx.globalAt {
		lx.includeCheck(words[1:], pos)
	}
	for i, w := range words {
		switch w {
		case "{":
			lx.braces++
			if i > 0 && words[0] == "global_defs" && lx.braces == 1 {
				lx.globalAt = 1
			}
		case "}":
			if lx.braces == lx.globalAt {
				lx.globalAt = 0
			}
			if lx.braces > 0 {
				lx.braces--
			}
		}
	}
	if len(words) == 1 && words[0] == "global_defs" && lx.braces == 0 {
		lx.pendingGlobal = true
	} else if lx.pendingGlobal {
		if words[0] == "{" && lx.braces == 1 {
			lx.globalAt = 1
		}
		lx.pendingGlobal = false
	}
}

// includeCheck applies "include_check [[+|-]TYPE ...]".
func (lx *lexer) includeCheck(args []string, pos Pos) {
	if len(args) == 0 {
		lx.incCheck = incAll
		return
	}
	set := 0
	explicit := false
	for _, a := range args {
		op := byte(0)
		if a != "" && (a[0] == '+' || a[0] == '-') {
			op, a = a[0], a[1:]
		}
		var bit int
		switch a {
		case "match":
			bit = incMatch
		case "wildcard_match":
			bit = incWildcard
		case "brace_match":
			bit = incBrace
		default:
			lx.diag(PassParent, KindGeneral, pos, "Unknown include_check type '%s' - ignoring", a)
			continue
		}
		switch op {
		case '+':
			lx.incCheck |= bit
		case '-':
			lx.incCheck &^= bit
		default:
			set |= bit
			explicit = true
		}
	}
	if explicit {
		lx.incCheck = set
	}
}

func (lx *lexer) include(kind, pattern string, pos Pos) {
	// The file name is one word; braces in it are glob alternatives.
	words := strings.Fields(pattern)
	if len(words) > 0 {
		words[0] = strings.Trim(words[0], `"'`)
	}
	if len(words) == 0 {
		lx.diag(PassParent, KindMissingParam, pos, "No config file specified for %s", kind)
		return
	}
	check := lx.incCheck
	switch kind {
	case "includem":
		check |= incMatch
	case "includew":
		check |= incWildcard
	case "includeb":
		check |= incBrace
	case "includea":
		check = incAll
	}
	// keepalived changes to the including file's directory and globs the
	// pattern as written: it reports the pattern, and the files by the
	// names glob gave.
	pat := words[0]
	dir := ""
	if !filepath.IsAbs(pat) {
		dir = filepath.Dir(pos.File)
	}
	alts := expandBraces(pat)
	var matches []string
	missingAlt := false
	for _, a := range alts {
		full := a
		if dir != "" {
			full = filepath.Join(dir, a)
		}
		m, _ := lx.opts.Glob(full)
		if len(m) == 0 && !strings.ContainsAny(a, "*?[") {
			if _, err := lx.opts.ReadFile(full); err == nil {
				m = []string{full}
			}
		}
		if len(m) == 0 {
			missingAlt = true
		}
		matches = append(matches, m...)
	}
	if len(matches) == 0 {
		switch {
		case strings.ContainsAny(pat, "*?["):
			// A pattern whose directory is missing is reported as
			// missing files; one that matches nothing in an existing
			// directory only when include_check asks for it.
			k := KindInfo
			if check&incWildcard != 0 {
				k = KindIncludeMissing
			}
			pdir := filepath.Dir(pat)
			if dir != "" {
				pdir = filepath.Join(dir, pdir)
			}
			if m, _ := lx.opts.Glob(pdir); len(m) == 0 && !strings.ContainsAny(pdir, "*?[") {
				lx.diag(PassParent, k, pos, "Config files missing '%s'.", pat)
			} else if k == KindIncludeMissing {
				lx.diag(PassParent, k, pos, "No config files matched '%s'.", pat)
			}
		case check&incMatch != 0 || (len(alts) > 1 && check&incBrace != 0):
			lx.diag(PassParent, KindIncludeMissing, pos, "Config files missing '%s'.", pat)
		default:
			lx.diag(PassParent, KindInfo, pos, "Config files missing '%s'.", pat)
		}
		return
	}
	if missingAlt && len(alts) > 1 {
		k := KindInfo
		if check&incBrace != 0 {
			k = KindIncludeMissing
		}
		lx.diag(PassParent, k, pos, "Some config files missing: \"%s\".", pat)
	}
	for _, m := range matches {
		display := m
		if dir != "" {
			if r, err := filepath.Rel(dir, m); err == nil {
				display = r
			}
		}
		lx.readFile(m, display, pos, check&incMatch != 0)
	}
}

// expandBraces expands csh-style {a,b} alternatives, as glob(GLOB_BRACE).
func expandBraces(p string) []string {
	depth, start := 0, -1
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '{':
			if depth == 0 {
				start = i
			}
			depth++
		case '}':
			if depth == 0 {
				continue
			}
			depth--
			if depth == 0 {
				var out []string
				for _, alt := range splitTop(p[start+1 : i]) {
					out = append(out, expandBraces(p[:start]+alt+p[i+1:])...)
				}
				return out
			}
		}
	}
	return []string{p}
}

// splitTop splits s at the commas that are not inside nested braces.
func splitTop(s string) []string {
	var out []string
	depth, last := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[last:i])
				last = i + 1
			}
		}
	}
	return append(out, s[last:])
}

// substitute replaces $NAME (followed by white space or end) and ${NAME}
// by their definitions, recursively. Undefined names stay as written.
func (lx *lexer) substitute(s string) (string, bool) {
	changed := false
	for round := 0; round < 32; round++ {
		var b strings.Builder
		did := false
		for i := 0; i < len(s); i++ {
			if s[i] != '$' {
				b.WriteByte(s[i])
				continue
			}
			if i+1 < len(s) && s[i+1] == '{' {
				if j := strings.IndexByte(s[i+2:], '}'); j >= 0 {
					name := s[i+2 : i+2+j]
					if v, ok := lx.lookup(name); ok {
						b.WriteString(v)
						i += 2 + j
						did = true
						continue
					}
				}
				b.WriteByte('$')
				continue
			}
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			if j > i+1 && (j == len(s) || s[j] == ' ' || s[j] == '\t') {
				if v, ok := lx.lookup(s[i+1 : j]); ok {
					b.WriteString(v)
					i = j - 1
					did = true
					continue
				}
			}
			b.WriteByte('$')
		}
		s = b.String()
		if !did {
			break
		}
		changed = true
		if len(s) > 1<<16 {
			break
		}
	}
	return s, changed
}

func (lx *lexer) lookup(name string) (string, bool) {
	switch name {
	case "_HASH":
		return "#", true
	case "_BANG":
		return "!", true
	case "_INSTANCE":
		return lx.opts.ConfigID, true
	}
	if f := strings.Fields(name); len(f) > 0 && f[0] == "_RANDOM" && len(f) <= 3 {
		// ${_RANDOM [MIN [MAX]]}: a random integer in [MIN, MAX].
		lo, hi := uint64(0), uint64(32767)
		var err error
		if len(f) > 1 {
			if lo, err = strconv.ParseUint(f[1], 10, 32); err != nil {
				return "", false
			}
		}
		if len(f) > 2 {
			if hi, err = strconv.ParseUint(f[2], 10, 32); err != nil {
				return "", false
			}
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		return strconv.FormatUint(lo+rand.Uint64N(hi-lo+1), 10), true
	}
	v, ok := lx.defs[name]
	return v, ok
}

// sequence expands ~SEQ(var, start, step, end) rest.
func (lx *lexer) sequence(hex bool, args, rest, line string, pos Pos, level int) {
	bad := func(what string) {
		lx.diag(PassAll, KindGeneral, pos, "%s '%s'", what, line)
		lx.diag(PassAll, KindGeneral, pos, "Invalid ~SEQ specification '%s'", line)
	}
	// keepalived reads "VAR, [START,] [STEP,] END" with strtol: a number
	// that is not one reads as 0.
	p := strings.TrimLeft(args, " \t") + ")"
	i := strings.IndexAny(p, " \t,)")
	name := p[:i]
	p = strings.TrimLeft(p[i:], " \t")
	if name == "" || p == "" || p[0] == ')' {
		bad("Invalid ~SEQ definition")
		return
	}
	p = p[1:]
	var nums []int64
	for {
		var n int64
		n, p = strtol(p)
		p = strings.TrimLeft(p, " \t")
		nums = append(nums, n)
		if p != "" && p[0] == ')' {
			break
		}
		if p == "" || p[0] != ',' || len(nums) == 3 {
			bad("Invalid ~SEQ definition")
			return
		}
		p = p[1:]
	}
	var start, step, end int64
	switch len(nums) {
	case 1:
		end, step, start = nums[0], 1, 1
		if end < 1 {
			step = -1
		}
		if end < 0 {
			start = -1
		}
	case 2:
		start, end, step = nums[0], nums[1], 1
		if start > end {
			step = -1
		}
	case 3:
		start, step, end = nums[0], nums[1], nums[2]
		if step == 0 || (start < end && step < 0) || (start > end && step > 0) {
			bad("Invalid ~SEQ values")
			return
		}
	}
	if hex && (start < 0 || end < 0) {
		bad("~SEQx is only valid for positive numbers")
		return
	}
	saved, had := lx.defs[name]
	for v, n := start, 0; (step > 0 && v <= end) || (step < 0 && v >= end); v += step {
		if n++; n > 100000 {
			lx.diag(PassAll, KindGeneral, pos, "~SEQ produces too many lines")
			break
		}
		if hex {
			lx.defs[name] = strconv.FormatInt(v, 16)
		} else {
			lx.defs[name] = strconv.FormatInt(v, 10)
		}
		lx.processLine(rest, pos, level+1)
	}
	if had {
		lx.defs[name] = saved
	} else {
		delete(lx.defs, name)
	}
}

// strtol reads a number as C's strtol with base 0 does (leading white
// space, sign, 0x for hex, 0 for octal) and returns it with the rest of s;
// where no number starts it returns 0 and s.
func strtol(s string) (int64, string) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	base := int64(10)
	switch {
	case len(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') && strings.IndexByte("0123456789abcdefABCDEF", t[2]) >= 0:
		base, t = 16, t[2:]
	case len(t) > 0 && t[0] == '0':
		base = 8
	}
	var n int64
	i := 0
	for ; i < len(t); i++ {
		d := strings.IndexByte("0123456789abcdef", t[i]|0x20)
		if t[i] >= '0' && t[i] <= '9' {
			d = int(t[i] - '0')
		}
		if d < 0 || int64(d) >= base {
			break
		}
		if n < 1<<58 {
			n = n*base + int64(d)
		}
	}
	if i == 0 {
		return 0, s
	}
	if neg {
		n = -n
	}
	return n, t[i:]
}

// splitWords splits a line into words: white space separates, " and '
// quote (the quotes are removed, escapes are honoured inside them), and
// '{' and '}' outside quotes are words of their own.
func splitWords(s string) ([]string, bool) {
	var words []string
	var cur strings.Builder
	in := false
	flush := func() {
		if in {
			words = append(words, cur.String())
			cur.Reset()
			in = false
		}
	}
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if quote != 0 {
			switch {
			case c == quote:
				quote = 0
			case c == '\\' && i+1 < len(s):
				i++
				cur.WriteString(unescape(s, &i))
			default:
				cur.WriteByte(c)
			}
			continue
		}
		switch c {
		case ' ', '\t', '\r', '\n', '\v', '\f':
			flush()
		case '"', '\'':
			quote = c
			in = true
		case '{', '}':
			flush()
			words = append(words, string(c))
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	flush()
	return words, quote == 0
}

// unescape decodes the escape whose character is s[*i] (after '\').
func unescape(s string, i *int) string {
	switch c := s[*i]; c {
	case 'a':
		return "\a"
	case 'b':
		return "\b"
	case 'E':
		return "\x1b"
	case 'f':
		return "\f"
	case 'n':
		return "\n"
	case 'r':
		return "\r"
	case 't':
		return "\t"
	case 'v':
		return "\v"
	case 'x':
		j := *i + 1
		for j < len(s) && strings.IndexByte("0123456789abcdefABCDEF", s[j]) >= 0 {
			j++
		}
		if j == *i+1 {
			return "x"
		}
		v, _ := strconv.ParseUint(s[*i+1:j], 16, 64)
		*i = j - 1
		return string(rune(byte(v)))
	case 'c':
		if *i+1 < len(s) {
			*i++
			return string(rune(s[*i] & 0x1f))
		}
		return "c"
	default:
		if c >= '0' && c <= '7' {
			j := *i
			for j < len(s) && j < *i+3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(s[*i:j], 8, 16)
			*i = j - 1
			return string(rune(byte(v)))
		}
		return string(c)
	}
}
