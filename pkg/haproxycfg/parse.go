package haproxycfg

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Options tunes Load.
type Options struct {
	LexOptions
	// Resolve, when set, is asked to resolve the host names of server
	// addresses as haproxy does when it starts (and when it checks with -c).
	// It returns a non-nil error when the name does not resolve.
	Resolve func(host string) error
	// Lookup reports whether a system user or group exists (for the user and
	// group keywords). Nil skips the check.
	LookupUser  func(name string) bool
	LookupGroup func(name string) bool
	// FileExists, when set, is used to check files the configuration refers
	// to (errorfile, stats socket parent directories ...). Nil skips it.
	FileExists func(path string) bool
	// CheckFD, when set, checks that an inherited file descriptor named by
	// "fd@N" is usable (haproxy -c checks it). Nil skips it.
	CheckFD func(fd int) error
	// MasterWorker tells that -W or -Ws was given (program sections need
	// master-worker mode).
	MasterWorker bool
}

// section is the parser's current section.
type section struct {
	kind    string // "global", "defaults", "frontend", ..., or "" outside any
	pos     Pos
	proxy   *Proxy
	userlst *Userlist
	mailers *Mailers
	herrs   *HTTPErrors
	other   *Section
}

// parser holds the state of one Load.
type parser struct {
	opt   Options
	cfg   *Config
	diags Diags
	env   *overlayEnv

	cur section
	// lastDefaults is what a proxy without "from" inherits.
	lastDefaults *Proxy
	// postResolveFailed: a server name did not resolve ("Failed to
	// initialize server(s) addr." follows).
	postResolveFailed bool
	// pendingRefs are backend references made inside sample fetch
	// arguments, checked when every proxy is known.
	pendingRefs []pendingRef
	// masterWorkerFlag: -W/-Ws given on the command line.
	masterWorkerFlag bool
	// curPos is the position of the line being parsed.
	curPos Pos
}

// Load reads the configuration files and directories in paths, in order,
// and returns the validated model together with every diagnostic. The
// configuration is usable only when diags.HasAlerts() is false. err is set
// only when a path cannot be read at all.
func Load(paths []string, opt Options) (*Config, Diags, error) {
	p := &parser{
		opt:              opt,
		cfg:              &Config{Files: paths, Global: newGlobal()},
		env:              newOverlayEnv(opt.Env),
		masterWorkerFlag: opt.MasterWorker,
	}
	p.env.section = p.currentSectionName
	lo := opt.LexOptions
	lo.Env = p.env
	userDone := lo.FileDone
	lo.FileDone = func(path string) {
		// a section never spans files: .SECTION starts undefined in each
		p.endSection()
		if userDone != nil {
			userDone(path)
		}
	}
	err := ReadFiles(paths, lo, &p.diags, p.line)
	if err != nil {
		return nil, p.diags, err
	}
	p.endSection()
	p.check()
	return p.cfg, p.diags, nil
}

func newGlobal() *Global {
	return &Global{Tune: map[string]string{}}
}

// overlayEnv is the process environment changed by setenv and friends.
type overlayEnv struct {
	cleared bool // resetenv: the base environment is gone
	// section reports the current section's name (or keyword when
	// unnamed) for the lexer's ".SECTION" variable.
	section func() (string, bool)
	base    Env
	set     map[string]string
	unset   map[string]bool
}

func newOverlayEnv(base Env) *overlayEnv {
	return &overlayEnv{base: base, set: map[string]string{}, unset: map[string]bool{}}
}

func (e *overlayEnv) Lookup(name string) (string, bool) {
	if name == ".SECTION" {
		if e.section == nil {
			return "", false
		}
		return e.section()
	}
	if v, ok := e.set[name]; ok {
		return v, true
	}
	if e.unset[name] || e.cleared {
		return "", false
	}
	if e.base != nil {
		return e.base.Lookup(name)
	}
	return os.LookupEnv(name)
}

func (e *overlayEnv) Set(name, value string) {
	delete(e.unset, name)
	e.set[name] = value
}

// Reset drops every variable but those named in keep.
func (e *overlayEnv) Reset(keep []string) {
	kept := map[string]string{}
	for _, k := range keep {
		if v, ok := e.Lookup(k); ok {
			kept[k] = v
		}
	}
	e.cleared = true
	e.set = kept
	e.unset = map[string]bool{}
}

func (e *overlayEnv) Unset(name string) {
	delete(e.set, name)
	e.unset[name] = true
}

// currentSectionName is the lexer's ".SECTION": the current section's name, or its
// keyword when it has none; undefined outside any section.
func (p *parser) currentSectionName() (string, bool) {
	switch {
	case p.cur.kind == "" || p.cur.kind == "unsupported":
		return "", false
	case p.cur.proxy != nil && p.cur.proxy.Name != "":
		return p.cur.proxy.Name, true
	case p.cur.userlst != nil && p.cur.userlst.Name != "":
		return p.cur.userlst.Name, true
	case p.cur.mailers != nil && p.cur.mailers.Name != "":
		return p.cur.mailers.Name, true
	case p.cur.herrs != nil && p.cur.herrs.Name != "":
		return p.cur.herrs.Name, true
	case p.cur.other != nil && p.cur.other.Name != "":
		return p.cur.other.Name, true
	}
	return p.cur.kind, true
}

// sectionKeywords are the words that open a section.
var sectionKeywords = map[string]bool{
	"global": true, "defaults": true, "frontend": true, "backend": true, "listen": true,
	"userlist": true, "peers": true, "mailers": true, "resolvers": true, "http-errors": true,
	"cache": true, "program": true, "ring": true,
}

// unsupportedSections are sections haproxy 2.6 knows that gohaproxy refuses.
var unsupportedSections = map[string]bool{
	"fcgi-app": true,
}

func (p *parser) line(ln Line) {
	if len(ln.Args) == 0 {
		return
	}
	kw := ln.Args[0]
	p.curPos = ln.Pos
	if sectionKeywords[kw] {
		p.endSection()
		p.beginSection(ln)
		return
	}
	if unsupportedSections[kw] {
		p.endSection()
		p.unsupported(ln.Pos, kw, "section")
		p.cur = section{kind: "unsupported", pos: ln.Pos}
		return
	}
	switch p.cur.kind {
	case "":
		p.diags.Rawf(SevAlert, ln.Pos, "parsing [%s:%d]: unknown keyword '%s' out of section.", ln.Pos.File, ln.Pos.Line, kw)
	case "unsupported":
		// the section header was refused already
	case "global":
		p.globalLine(ln)
	case "defaults", "frontend", "backend", "listen":
		p.proxyLine(ln)
	default:
		p.otherLine(ln)
	}
}

// unsupported refuses a keyword haproxy knows but gohaproxy does not
// implement.
func (p *parser) unsupported(pos Pos, kw, where string) {
	p.diags.Alertf(pos, "'%s' is not supported by gohaproxy (in %s).", kw, where)
}

// validName reports the first character haproxy does not accept in a
// section name, or 0.
func invalidNameChar(name string) rune {
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '-', r == '_', r == '.', r == ':':
		default:
			return r
		}
	}
	return 0
}

func (p *parser) beginSection(ln Line) {
	kw := ln.Args[0]
	p.cur = section{kind: kw, pos: ln.Pos}
	switch kw {
	case "global":
		p.cfg.Global.Pos = ln.Pos
		if len(ln.Args) > 1 {
			p.diags.Alertf(ln.Pos, "'global' cannot handle unexpected argument '%s'.", ln.Args[1])
		}
	case "defaults", "frontend", "backend", "listen":
		p.beginProxy(ln)
	case "userlist":
		name := p.sectionName(ln)
		u := &Userlist{Pos: ln.Pos, Name: name}
		for _, o := range p.cfg.Userlists {
			if o.Name == name && name != "" {
				p.diags.Alertf(ln.Pos, "ignoring duplicated userlist '%s'.", name)
			}
		}
		p.cfg.Userlists = append(p.cfg.Userlists, u)
		p.cur.userlst = u
	case "mailers":
		name := p.sectionName(ln)
		m := &Mailers{Pos: ln.Pos, Name: name}
		p.cfg.Mailers = append(p.cfg.Mailers, m)
		p.cur.mailers = m
	case "http-errors":
		name := p.sectionName(ln)
		for _, o := range p.cfg.HTTPErrors {
			if o.Name == name && name != "" {
				p.diags.Alertf(ln.Pos, "http-errors section '%s' already exists (declared at %s:%d).", name, o.Pos.File, o.Pos.Line)
			}
		}
		h := &HTTPErrors{Pos: ln.Pos, Name: name, Errorfiles: map[int]string{}}
		p.cfg.HTTPErrors = append(p.cfg.HTTPErrors, h)
		p.cur.herrs = h
	default: // peers, resolvers, cache, program, ring
		name := p.sectionName(ln)
		s := &Section{Kind: kw, Pos: ln.Pos, Name: name}
		p.cur.other = s
		switch kw {
		case "peers":
			p.cfg.Peers = append(p.cfg.Peers, s)
		case "resolvers":
			p.cfg.Resolvers = append(p.cfg.Resolvers, s)
		case "cache":
			p.cfg.Caches = append(p.cfg.Caches, s)
		case "program":
			p.cfg.Programs = append(p.cfg.Programs, s)
		case "ring":
			p.cfg.Rings = append(p.cfg.Rings, s)
		}
	}
}

// sectionName validates the name argument of a named section.
func (p *parser) sectionName(ln Line) string {
	kw := ln.Args[0]
	if len(ln.Args) < 2 || ln.Args[1] == "" {
		p.diags.Alertf(ln.Pos, "'%s' expects <name> as argument.", kw)
		return ""
	}
	name := ln.Args[1]
	if r := invalidNameChar(name); r != 0 {
		p.diags.Alertf(ln.Pos, "character '%c' is not permitted in '%s' name '%s'.", r, kw, name)
	}
	return name
}

func (p *parser) endSection() {
	if p.cur.proxy != nil {
		p.endProxy(p.cur.proxy)
	}
	p.cur = section{}
}

// check runs the validations that need the whole configuration: references
// between sections, and the consistency haproxy checks after parsing.
func (p *parser) check() {
	p.checkProxies()
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// quoteList renders words as haproxy lists alternatives: 'a', 'b' and 'c'.
func quoteList(words []string) string {
	var b strings.Builder
	for i, w := range words {
		switch {
		case i == 0:
		case i == len(words)-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		b.WriteString("'" + w + "'")
	}
	return b.String()
}

// fileExists checks a file the configuration names, relative paths being
// taken as "default-path" says (the working directory by default, the
// configuration file's directory with "default-path config", ...).
func (p *parser) fileExists(path string) bool {
	if p.opt.FileExists == nil {
		return true
	}
	return p.opt.FileExists(p.filePath(path))
}

func (p *parser) filePath(path string) string {
	if strings.HasPrefix(path, "/") {
		return path
	}
	for i := len(p.cfg.Global.Other) - 1; i >= 0; i-- {
		d := p.cfg.Global.Other[i]
		if d.Args[0] != "default-path" || len(d.Args) < 2 {
			continue
		}
		dir := ""
		switch d.Args[1] {
		case "config":
			dir = filepath.Dir(p.curPos.File)
		case "parent":
			dir = filepath.Dir(filepath.Dir(p.curPos.File))
		case "origin":
			if len(d.Args) > 2 {
				dir = d.Args[2]
			}
		}
		if dir == "" {
			return path
		}
		return filepath.Join(dir, path)
	}
	return path
}
