package haproxycfg

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"syscall"
)

// Line is one logical configuration line: its words after haproxy's quoting,
// escaping and environment expansion, with comments removed.
type Line struct {
	Pos  Pos
	Args []string
}

// Env is the environment the configuration is expanded against. The parser
// backs it by the process environment plus the global section's setenv,
// presetenv, unsetenv and resetenv, which take effect for the lines after them.
//
// Besides ordinary variables, the lexer asks Env for the pseudo-variable
// ".SECTION" (haproxy: the name of the current section, or its keyword when
// it has no name; undefined before the first section of each file), since
// only the parser knows sections. ".FILE" and ".LINE" are resolved by the
// lexer itself. Variables haproxy sets at startup for the configuration
// (HAPROXY_LOCALPEER, HAPROXY_STARTUP_VERSION, HAPROXY_MWORKER,
// HAPROXY_MASTER_CLI...) must be provided by Env when wanted; note that
// haproxy 2.6 sets HAPROXY_CFGFILES only after the configuration is parsed,
// so it is normally undefined while reading.
type Env interface {
	Lookup(name string) (string, bool)
}

// LexOptions tunes reading.
type LexOptions struct {
	Env Env // nil means the process environment
	// Version is the haproxy version predicates such as version_atleast()
	// compare against; empty means Version.
	Version string
	// Diagnostic enables the .diag directive's messages (haproxy -dD).
	Diagnostic bool
	// Features overrides the build feature list seen by feature(); empty
	// means Features.
	Features string
	// FileDone, when set, is called at the end of each file, before the
	// lexer decides whether the file had errors; the parser can close its
	// current section there (haproxy runs its post-section checks at the
	// end of each file).
	FileDone func(path string)
	// Abort, when set, is polled after each line handed to fn; returning
	// true stops reading everything (haproxy's ERR_ABORT).
	Abort func() bool
}

// Version is the haproxy version gohaproxy behaves as.
const Version = "2.6.12"

// SevDiag is the severity of .diag messages, shown as [DIAG]; it is below
// notices and never makes the configuration invalid.
const SevDiag Severity = -1

// maxNestedConds is haproxy's limit of nested .if blocks.
const maxNestedConds = 100

// maxFatal is the number of fatal errors after which haproxy stops reading
// a file.
const maxFatal = 50

type condState uint8

const (
	condIfTake condState = iota
	condIfDrop
	condIfSkip
	condElifTake
	condElifDrop
	condElifSkip
	condElseTake
	condElseDrop
)

func (c condState) dropped() bool {
	switch c {
	case condIfDrop, condIfSkip, condElifDrop, condElifSkip, condElseDrop:
		return true
	}
	return false
}

type processEnv struct{}

func (processEnv) Lookup(name string) (string, bool) { return os.LookupEnv(name) }

func envOrProcess(e Env) Env {
	if e == nil {
		return processEnv{}
	}
	return e
}

// ConfigFiles expands the -f paths into the list of files haproxy reads, in
// order: a file is taken as is; a directory contributes its entries whose
// name does not start with '.', whose first ".cfg" ends the name and which
// are regular files (after following symlinks), sorted bytewise. It is also
// what a caller needs to set HAPROXY_CFGFILES (joined with ';').
func ConfigFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("Cannot open configuration file/directory %s : %s", p, strerror(err))
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("Cannot open configuration directory %s : %s", p, strerror(err))
		}
		names, err := f.Readdirnames(-1)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("Cannot open configuration directory %s : %s", p, strerror(err))
		}
		sort.Strings(names)
		for _, name := range names {
			if name == "" || name[0] == '.' {
				continue
			}
			if k := strings.Index(name, ".cfg"); k < 0 || k+4 != len(name) {
				continue
			}
			full := p + "/" + name
			fst, err := os.Stat(full)
			if err != nil {
				return nil, fmt.Errorf("Cannot open configuration file %s : %s", p, strerror(err))
			}
			if !fst.Mode().IsRegular() {
				continue
			}
			files = append(files, full)
		}
	}
	return files, nil
}

// strerror renders an error's errno the way glibc's strerror() does.
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// ReadFiles reads the configuration paths in the order haproxy -f reads
// them (a directory contributes its regular *.cfg files in lexical order) and
// calls fn for each logical line, in order, after applying quoting, escaping,
// environment expansion and the .if/.elif/.else/.endif blocks; .diag,
// .notice, .warning and .alert lines are turned into diagnostics. Problems
// on a line are recorded in diags and reading goes on; an error is returned
// only when a file or directory cannot be read, with haproxy's message
// ("Cannot open configuration file/directory PATH : REASON").
//
// Like haproxy, reading stops altogether after errors haproxy treats as
// aborting (.alert, bad conditions, unbalanced blocks), and a file stops
// being read after an unknown '.' directive, a stray NUL byte or 50 fatal
// errors. After each file that produced an alert (from the lexer or from
// fn), the lexer adds haproxy's "Error(s) found in configuration file : PATH".
func ReadFiles(paths []string, opt LexOptions, diags *Diags, fn func(Line)) error {
	files, err := ConfigFiles(paths)
	if err != nil {
		return err
	}
	lx := &lexer{
		opt:   opt,
		env:   envOrProcess(opt.Env),
		diags: diags,
		fn:    fn,
	}
	lx.cond = condEnv{env: lx.env, version: opt.Version, features: opt.Features, ssllib: SSLLibVersion}
	if lx.cond.version == "" {
		lx.cond.version = Version
	}
	if lx.cond.features == "" {
		lx.cond.features = Features
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("Could not open configuration file %s : %s", f, strerror(err))
		}
		start := len(*diags)
		abort := lx.readData(f, data)
		if opt.FileDone != nil {
			opt.FileDone(f)
		}
		if Diags((*diags)[start:]).HasAlerts() {
			diags.Alertf(Pos{}, "Error(s) found in configuration file : %s", f)
		}
		if abort {
			break
		}
	}
	return nil
}

// lexData runs the lexer over in-memory contents, as if read from file
// name. It returns whether haproxy would abort.
func lexData(name string, data []byte, opt LexOptions, diags *Diags, fn func(Line)) bool {
	lx := &lexer{opt: opt, env: envOrProcess(opt.Env), diags: diags, fn: fn}
	lx.cond = condEnv{env: lx.env, version: opt.Version, features: opt.Features, ssllib: SSLLibVersion}
	if lx.cond.version == "" {
		lx.cond.version = Version
	}
	if lx.cond.features == "" {
		lx.cond.features = Features
	}
	return lx.readData(name, data)
}

type lexer struct {
	opt   LexOptions
	env   Env
	diags *Diags
	fn    func(Line)
	cond  condEnv
	sp    splitter
	buf   []byte
}

// caret builds haproxy's two-line excerpt: the sanitized line and a '^'
// under the offending character, the caret at column col+width.
func caret(prefix, line string, newpos, indent int) string {
	return "\n  " + prefix + line + "\n  " + strings.Repeat(" ", newpos+indent) + "^"
}

// readData processes one file's contents. It returns true when haproxy
// would abort the whole configuration.
func (lx *lexer) readData(file string, data []byte) (abort bool) {
	var (
		linenum     int
		fatal       int
		missingLF   = -1
		outlineSize int
		lvl         int
		conds       [maxNestedConds]condState
	)
	diags := lx.diags
	lookup := func(name string) (string, bool, bool) {
		if name != "" && name[0] == '.' {
			switch name {
			case ".LINE":
				return itoa(linenum), true, false
			case ".FILE":
				return file, true, false
			case ".SECTION":
				v, ok := lx.env.Lookup(".SECTION")
				return v, ok, false
			}
			return "", false, true
		}
		v, ok := lx.env.Lookup(name)
		return v, ok, false
	}

	p := 0
lines:
	for p < len(data) {
		nl := indexByte(data[p:], '\n')
		var raw []byte
		if nl < 0 {
			raw = data[p:]
			p = len(data)
		} else {
			raw = data[p : p+nl+1]
			p += nl + 1
		}
		if missingLF != -1 {
			diags.tightf(SevAlert, Pos{file, linenum}, "Stray NUL character at position %d.", missingLF+1)
			missingLF = -1
			break
		}
		linenum++
		pos := Pos{file, linenum}
		if fatal >= maxFatal {
			diags.tightf(SevAlert, pos, "too many fatal errors (%d), stopping now.", fatal)
			break
		}
		n := indexByte(raw, 0)
		if n < 0 {
			n = len(raw)
		}
		if n > 0 && raw[n-1] == '\n' {
			n--
		} else {
			missingLF = n
		}
		lx.buf = append(lx.buf[:0], raw[:n]...)
		buf := lx.buf
		lead := 0
		for lead < len(buf) && isSpaceC(buf[lead]) {
			lead++
		}
		if lead < len(buf) && buf[lead] == '[' {
			if lx.scope(pos, buf[lead:]) {
				abort = true
			}
			continue
		}

		sp := &lx.sp
		for {
			ok := sp.split(buf[lead:], lookup)
			if !ok {
				sline, newpos := sanitizeForPrinting(buf[lead:], sp.errPos, 80)
				diags.tightf(SevAlert, pos, "%s at position %d:%s", splitErrText(sp.err), lead+sp.errPos+1, caret("", sline, newpos, 0))
				fatal++
				continue lines
			}
			if sp.outlen > outlineSize {
				outlineSize = (sp.outlen + 1023) &^ 1023
				continue
			}
			break
		}
		if sp.tooMany {
			diags.tightf(SevAlert, pos, "too many words, truncating after word %d, position %d: <%s>.",
				MaxLineArgs, sp.starts[MaxLineArgs-1]+1, sp.word(MaxLineArgs-1))
			fatal++
			continue
		}
		if sp.nargs == 0 {
			continue
		}
		arg0 := sp.word(0)
		if arg0 == "" {
			continue
		}

		if arg0[0] == '.' {
			switch arg0 {
			case ".if":
				lvl++
				if lvl >= maxNestedConds {
					diags.tightf(SevAlert, pos, "too many nested '.if', max is %d.", maxNestedConds)
					return true
				}
				if lvl > 1 && conds[lvl-1].dropped() {
					conds[lvl] = condIfSkip
					continue
				}
				ok, err := lx.evalCond(pos, ".if", 76)
				if err {
					return true
				}
				if ok {
					conds[lvl] = condIfTake
				} else {
					conds[lvl] = condIfDrop
				}
				continue
			case ".elif":
				if lvl == 0 {
					diags.tightf(SevAlert, pos, "lone '.elif' with no matching '.if'.")
					return true
				}
				switch conds[lvl] {
				case condElseTake, condElseDrop:
					diags.tightf(SevAlert, pos, "'.elif' after '.else' is not permitted.")
					return true
				case condIfTake, condIfSkip, condElifTake, condElifSkip:
					conds[lvl] = condElifSkip
					continue
				}
				ok, err := lx.evalCond(pos, ".elif", 74)
				if err {
					return true
				}
				if ok {
					conds[lvl] = condElifTake
				} else {
					conds[lvl] = condElifDrop
				}
				continue
			case ".else":
				if a := sp.word(1); a != "" {
					diags.tightf(SevAlert, pos, "Unexpected argument '%s' for '%s'.", a, arg0)
					abort = true
					break lines
				}
				if lvl == 0 {
					diags.tightf(SevAlert, pos, "lone '.else' with no matching '.if'.")
					return true
				}
				switch conds[lvl] {
				case condElseTake, condElseDrop:
					diags.tightf(SevAlert, pos, "'.else' after '.else' is not permitted.")
					return true
				case condIfTake, condIfSkip, condElifTake, condElifSkip:
					conds[lvl] = condElseDrop
				default:
					conds[lvl] = condElseTake
				}
				continue
			case ".endif":
				if a := sp.word(1); a != "" {
					diags.tightf(SevAlert, pos, "Unexpected argument '%s' for '%s'.", a, arg0)
					abort = true
					break lines
				}
				if lvl == 0 {
					diags.tightf(SevAlert, pos, "lone '.endif' with no matching '.if'.")
					abort = true
					break lines
				}
				lvl--
				continue
			}
		}

		if lvl > 0 && conds[lvl].dropped() {
			continue
		}

		if arg0[0] == '.' {
			switch arg0 {
			case ".alert", ".warning", ".notice", ".diag":
				if a := sp.word(2); a != "" {
					diags.tightf(SevAlert, pos, "Unexpected argument '%s' for '%s'. Use quotes if the message should contain spaces.", a, arg0)
					continue
				}
				msg := sp.word(1)
				switch arg0 {
				case ".alert":
					diags.tightf(SevAlert, pos, "'%s'.", msg)
					return true
				case ".warning":
					diags.tightf(SevWarning, pos, "'%s'.", msg)
				case ".notice":
					diags.tightf(SevNotice, pos, "'%s'.", msg)
				case ".diag":
					if lx.opt.Diagnostic {
						diags.tightf(SevDiag, pos, "'%s'.", msg)
					}
				}
				continue
			default:
				diags.tightf(SevAlert, pos, "unknown directive '%s'.", arg0)
				fatal++
				break lines
			}
		}

		before := len(*diags)
		lx.fn(Line{Pos: pos, Args: sp.words()})
		if Diags((*diags)[before:]).HasAlerts() {
			fatal++
		}
		if lx.opt.Abort != nil && lx.opt.Abort() {
			return true
		}
	}

	if missingLF != -1 {
		diags.tightf(SevAlert, Pos{file, linenum}, "Missing LF on last line, file might have been truncated at position %d.", missingLF+1)
	}
	if lvl > 0 {
		diags.tightf(SevAlert, Pos{file, linenum}, "non-terminated '.if' block.")
		abort = true
	}
	return abort
}

// evalCond evaluates the condition of the current .if/.elif line; it
// reports errors the way haproxy does and returns err=true then.
func (lx *lexer) evalCond(pos Pos, kw string, width int) (bool, bool) {
	text := lx.sp.tail(1)
	ok, cerr := lx.cond.evalCondition(text)
	if cerr == nil {
		return ok, false
	}
	sline, newpos := sanitizeForPrinting([]byte(text), cerr.pos, width)
	lx.diags.tightf(SevAlert, pos, "%s in '%s' at position %d:%s", cerr.msg, kw, cerr.pos+1,
		caret(kw+" ", sline, newpos, len(kw)+1))
	return false, true
}

// scope checks a "[name]" scope line; it returns true when haproxy would
// abort after this file.
func (lx *lexer) scope(pos Pos, line []byte) bool {
	beg := line[1:]
	end := indexByte(beg, ']')
	if end <= 0 {
		lx.diags.Alertf(pos, "empty scope name is forbidden.")
		return false
	}
	for _, c := range beg[:end] {
		if !isAlnumC(c) && c != '.' && c != ':' && c != '-' && c != '_' {
			lx.diags.Alertf(pos, "character '%c' is not permitted in a scope name.", c)
			return true
		}
	}
	rest := beg[end+1:]
	i := 0
	for i < len(rest) && isSpaceC(rest[i]) {
		i++
	}
	if i < len(rest) && rest[i] != '#' {
		lx.diags.Alertf(pos, "character '%c' is not permitted after scope declaration.", rest[i])
		return true
	}
	return false
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
