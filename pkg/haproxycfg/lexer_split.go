package haproxycfg

import "strings"

// This file reproduces haproxy 2.6's line tokenizer: how one physical line
// is cut into words, with quoting, escaping and environment expansion.
//
// The behaviour below was established against the real haproxy 2.6 binary
// (see lexer_test.go for the verified cases), including its quirks: the
// input line is modified in place while expanding "${NAME-default}" (the
// closing brace becomes an end of line), which is visible when the same line
// has to be tokenized a second time, and in error messages.

// MaxLineArgs is the maximum number of words on one configuration line.
const MaxLineArgs = 64

type splitErr uint8

const (
	splitOK splitErr = iota
	splitQuote
	splitBrace
	splitVarname
	splitHex
	splitExpand
)

// lookupFunc resolves a variable name (including the pseudo-variables
// starting with a dot) to its value; ok is false when it is not defined.
// bad reports an unsupported pseudo-variable name.
type lookupFunc func(name string) (value string, ok bool, bad bool)

// splitter holds the reusable buffers of the tokenizer.
type splitter struct {
	out    []byte // words, each followed by a NUL byte, like haproxy's outline
	starts []int  // start offset of each word in out
	// results of the last split
	nargs   int      // number of words (haproxy's nbargs)
	outlen  int      // bytes emitted, including the final NUL
	err     splitErr // first error
	errPos  int      // index in the input where the error was detected
	tooMany bool     // more than MaxLineArgs words
}

func isSpaceC(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isAlphaC(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isDigitC(c byte) bool { return c >= '0' && c <= '9' }
func isAlnumC(c byte) bool { return isAlphaC(c) || isDigitC(c) }

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// at returns in[i], or NUL past the end, mimicking a C string.
func at(in []byte, i int) byte {
	if i < len(in) {
		return in[i]
	}
	return 0
}

// split tokenizes in (a line with leading blanks already removed). in may be
// modified the way haproxy modifies its line buffer. It returns false on a
// syntax error (s.err, s.errPos set).
func (s *splitter) split(in []byte, lookup lookupFunc) bool {
	s.out = s.out[:0]
	s.starts = append(s.starts[:0], 0)
	s.err = splitOK
	s.errPos = 0
	s.tooMany = false
	arg := 0
	squote, dquote := false, false
	quote := -1
	i := 0

	newWord := func() {
		s.out = append(s.out, 0)
		arg++
		if arg < MaxLineArgs {
			s.starts = append(s.starts, len(s.out))
		} else {
			s.tooMany = true
		}
	}

	for {
		c := at(in, i)
		if c >= '-' && c != '\\' && c < 0x80 {
			s.out = append(s.out, c)
			i++
			continue
		}
		switch {
		case c == 0 || c == '\n' || c == '\r':
			goto end
		case c == '#' && !squote && !dquote:
			goto end
		case c == '"' && !squote:
			if dquote {
				dquote = false
				quote = -1
			} else {
				dquote = true
				quote = i
			}
			i++
		case c == '\'' && !dquote:
			if squote {
				squote = false
				quote = -1
			} else {
				squote = true
				quote = i
			}
			i++
		case c == '\\' && !squote:
			tosend := c
			switch n := at(in, i+1); n {
			case ' ', '\\':
				tosend = n
				i++
			case 't':
				tosend = '\t'
				i++
			case 'n':
				tosend = '\n'
				i++
			case 'r':
				tosend = '\r'
				i++
			case '#', '\'', '"':
				i++
				tosend = n
			case '$':
				if dquote {
					i++
					tosend = n
				}
			case 'x':
				h1, ok1 := hexVal(at(in, i+2))
				h2, ok2 := hexVal(at(in, i+3))
				if !ok1 || !ok2 {
					s.err, s.errPos = splitHex, i
					goto leave
				}
				tosend = h1<<4 | h2
				i += 3
			}
			i++
			s.out = append(s.out, tosend)
		case isSpaceC(c) && !squote && !dquote:
			for isSpaceC(at(in, i)) {
				i++
			}
			newWord()
		case c == '$' && dquote:
			i++
			brace := -1
			if at(in, i) == '{' {
				brace = i
				i++
			}
			if c := at(in, i); !isAlphaC(c) && c != '_' && c != '.' {
				s.err, s.errPos = splitVarname, i
				goto leave
			}
			nameStart := i
			if at(in, i) == '.' {
				i++
			}
			for c := at(in, i); isAlnumC(c) || c == '_'; c = at(in, i) {
				i++
			}
			value, ok, bad := lookup(string(in[nameStart:i]))
			if bad {
				// haproxy leaves its line cut after the name here
				if i < len(in) {
					in[i] = 0
				}
				s.err, s.errPos = splitVarname, nameStart
				goto leave
			}
			wordExpand := false
			if at(in, i) == '[' && brace >= 0 {
				we := i
				i++
				if at(in, i) != '*' {
					s.err, s.errPos = splitExpand, we
					goto leave
				}
				i++
				if at(in, i) != ']' {
					s.err, s.errPos = splitExpand, we
					goto leave
				}
				i++
				wordExpand = true
			}
			if brace >= 0 {
				if at(in, i) == '-' {
					def := i + 1
					for at(in, i) != 0 && at(in, i) != '}' {
						i++
					}
					if at(in, i) == 0 {
						s.err, s.errPos = splitBrace, brace
						goto leave
					}
					if !ok {
						value, ok = string(in[def:i]), true
					}
					in[i] = 0 // haproxy terminates the default value in place
				} else if at(in, i) != '}' {
					s.err, s.errPos = splitBrace, brace
					goto leave
				}
				i++
			}
			if ok {
				for j := 0; j < len(value); {
					if value[j] == 0 {
						break
					}
					if wordExpand && isSpaceC(value[j]) {
						newWord()
						j++
						for j < len(value) && isSpaceC(value[j]) {
							j++
						}
						continue
					}
					s.out = append(s.out, value[j])
					j++
				}
			}
		default:
			s.out = append(s.out, c)
			i++
		}
	}
end:
	s.out = append(s.out, 0)
	s.outlen = len(s.out)
	// the last word only counts when it is not empty
	if arg < MaxLineArgs && s.starts[arg] != len(s.out)-1 {
		arg++
	}
	s.nargs = arg
	if quote >= 0 {
		s.err, s.errPos = splitQuote, quote
		return false
	}
	return true
leave:
	s.out = append(s.out, 0)
	s.outlen = len(s.out)
	s.nargs = arg
	return false
}

// word returns the i-th word as haproxy sees it: a C string, so it stops at
// the first NUL byte (a "\x00" escape truncates the word).
func (s *splitter) word(i int) string {
	if i >= s.nargs || i >= len(s.starts) {
		return ""
	}
	b := s.out[s.starts[i]:]
	for j, c := range b {
		if c == 0 {
			return string(b[:j])
		}
	}
	return string(b)
}

// words returns all words of the last successful split.
func (s *splitter) words() []string {
	n := s.nargs
	if n > len(s.starts) {
		n = len(s.starts)
	}
	ws := make([]string, n)
	if n == 0 {
		return ws
	}
	// one allocation for all words: they are substrings of the output
	all := string(s.out[:s.outlen])
	for i := range ws {
		w := all[s.starts[i]:]
		if k := strings.IndexByte(w, 0); k >= 0 {
			w = w[:k]
		}
		ws[i] = w
	}
	return ws
}

// tail returns the text from word i to the end of the output with the word
// separators turned into spaces, as haproxy rebuilds the condition of .if and
// .elif lines.
func (s *splitter) tail(i int) string {
	if i >= s.nargs || i >= len(s.starts) {
		return ""
	}
	b := []byte(s.out[s.starts[i] : s.outlen-1])
	for j, c := range b {
		if c == 0 {
			b[j] = ' '
		}
	}
	return string(b)
}

// cstr returns b up to its first NUL byte.
func cstr(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// sanitizeForPrinting renders line the way haproxy shows it under an error
// message: at most width characters around pos, blanks as spaces, other
// unprintable bytes as '?', with "..." where the line was cut. It returns the
// text and the new position of pos in it.
func sanitizeForPrinting(line []byte, pos, width int) (string, int) {
	line = cstr(line)
	out := make([]byte, 0, width+3)
	in := 0
	limit := width
	shift := 0
	shifted := false
	if pos >= width {
		shift = pos - width/2
		in = shift + 3
		limit = width - 6
		out = append(out, "..."...)
		shifted = true
	}
	for n := 0; n < limit && in < len(line); n++ {
		c := line[in]
		switch {
		case isSpaceC(c):
			out = append(out, ' ')
		case c >= 0x20 && c < 0x7f:
			out = append(out, c)
		default:
			out = append(out, '?')
		}
		in++
	}
	if shifted {
		out = append(out, "..."...)
	}
	return string(out), pos - shift
}

// SplitLine cuts one configuration line into words exactly like haproxy
// 2.6 does (quotes, escapes, comments, "${VAR}" expansion inside double
// quotes, "${VAR[*]}" word splitting, "${VAR-default}"). env may be nil for
// the process environment. The error text is haproxy's, without the
// "parsing [file:line]: " prefix and without the pointer lines.
func SplitLine(line string, env Env) ([]string, error) {
	var s splitter
	env = envOrProcess(env)
	in := []byte(line)
	lead := 0
	for lead < len(in) && isSpaceC(in[lead]) {
		lead++
	}
	ok := s.split(in[lead:], func(name string) (string, bool, bool) {
		if len(name) > 0 && name[0] == '.' {
			v, ok := env.Lookup(name)
			return v, ok, name != ".FILE" && name != ".LINE" && name != ".SECTION"
		}
		v, ok := env.Lookup(name)
		return v, ok, false
	})
	if !ok {
		return nil, &splitError{msg: splitErrText(s.err), pos: lead + s.errPos + 1}
	}
	if s.tooMany {
		return nil, &splitError{msg: "too many words", pos: 0}
	}
	return s.words(), nil
}

type splitError struct {
	msg string
	pos int
}

func (e *splitError) Error() string {
	if e.pos == 0 {
		return e.msg
	}
	return e.msg + " at position " + itoa(e.pos)
}

func splitErrText(e splitErr) string {
	switch e {
	case splitQuote:
		return "unmatched quote"
	case splitBrace:
		return "unmatched brace in environment variable name"
	case splitVarname:
		return "forbidden first char in environment variable name"
	case splitHex:
		return "truncated or invalid hexadecimal sequence"
	case splitExpand:
		return "truncated or invalid word expansion sequence"
	}
	return "ok"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
