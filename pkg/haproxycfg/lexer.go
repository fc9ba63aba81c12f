package haproxycfg

import "errors"

// Line is one logical configuration line: its words after haproxy's quoting,
// escaping and environment expansion, with comments removed.
type Line struct {
	Pos  Pos
	Args []string
}

// Env is the environment the configuration is expanded against. The parser
// backs it by the process environment plus the global section's setenv,
// presetenv, unsetenv and resetenv, which take effect for the lines after them.
type Env interface {
	Lookup(name string) (string, bool)
}

// LexOptions tunes reading.
type LexOptions struct {
	Env Env // nil means the process environment
	// Version is the haproxy version predicates such as version_atleast()
	// compare against; empty means Version.
	Version string
}

// Version is the haproxy version gohaproxy behaves as.
const Version = "2.6.12"

// ReadFiles reads the configuration paths in the order haproxy -f reads
// them (a directory contributes its regular *.cfg files in lexical order) and
// calls fn for each logical line, in order, after applying quoting, escaping,
// environment expansion and the .if/.elif/.else/.endif blocks; .diag,
// .notice, .warning and .alert lines are turned into diagnostics. Problems
// on a line are recorded in diags and reading goes on; an error is returned
// only when a file or directory cannot be read, with haproxy's message
// ("Cannot open configuration file/directory PATH : REASON").
func ReadFiles(paths []string, opt LexOptions, diags *Diags, fn func(Line)) error {
	return errors.New("lexer not implemented yet")
}
