// Package keepalivedconf reads keepalived 2.2.7 configuration files
// (keepalived.conf(5)) into a typed, validated model. It reproduces
// keepalived's lexical rules (comments, quoting, include, $parameters,
// @conditionals, ~SEQ), its keyword tree and the checks keepalived makes
// when it is started with --config-test, including the verdict (exit code).
//
// The package does no I/O beyond reading configuration files: everything
// that depends on the host (interfaces, name resolution, scripts, users) is
// asked through the Host interface.
package keepalivedconf

import (
	"fmt"
	"strings"
)

// Pos is where a configuration element was written.
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string {
	if p.File == "" {
		return fmt.Sprintf("line %d", p.Line)
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Kind mirrors keepalived's config_err_t: the configuration status of a
// --config-test run is the highest Kind reported.
type Kind int

// Kinds, in keepalived's order.
const (
	KindInfo           Kind = iota // a message that does not change the status
	KindFileNotFound               // keepalived cannot run the config
	KindBadIf                      // keepalived cannot run the config
	KindFatal                      // keepalived cannot run the config
	KindMultipleFiles              // errors below: keepalived still runs
	KindUnknownKeyword             //
	KindUnexpectedBOB              // '{'
	KindMissingBOB                 // '{'
	KindUnmatchedQuote             //
	KindMissingParam               //
	KindInvalidNumber              //
	KindGeneral                    //
	KindSecurity                   // scripts used without script_security
	// KindIncludeMissing: an include that include_check (or an include
	// variant, or -e) requires found nothing; it outranks the other errors.
	KindIncludeMissing
	// KindMissingFatal: a keyword whose value keepalived cannot do
	// without was written without it; keepalived stops reading there
	// and exits at once.
	KindMissingFatal
)

// Exit codes of keepalived 2.2.7 --config-test.
const (
	ExitOK         = 0
	ExitConfig     = 4 // file not found (with -e), bad interface, fatal
	ExitConfigTest = 5 // configuration errors keepalived would work around
	ExitSecurity   = 6 // script security not enabled although scripts are used
	// ExitMissingParam is what keepalived 2.2.7 -t exits with when it stops
	// at a keyword that lacks its parameter (observed from the oracle).
	ExitMissingParam = 2
)

// ExitCode is the exit status keepalived -t gives for a configuration
// whose highest reported kind is k.
func (k Kind) ExitCode() int {
	switch k {
	case KindInfo:
		return ExitOK
	case KindFileNotFound, KindBadIf, KindFatal:
		return ExitConfig
	case KindSecurity, KindIncludeMissing:
		return ExitSecurity
	case KindMissingFatal:
		return ExitMissingParam
	default:
		return ExitConfigTest
	}
}

// Diag is one message about the configuration.
type Diag struct {
	Kind Kind
	Pos  Pos // zero when the message is not about one line
	Msg  string
	// Unimplemented marks a keyword keepalived knows that gokeepalived
	// accepts but does not act on at run time.
	Unimplemented bool
	// Passes are the reads of the configuration that report the message
	// (see Pass); zero until Parse has placed the message.
	Passes Pass
	ord    order
}

// Pass is one of the reads keepalived -t makes of the configuration: the
// parent process reads the files as written (global_defs, includes),
// then the checker, VRRP and BFD processes each read the copy the parent
// made (includes expanded) with their own keywords active. Each read
// reports what its own keyword handlers find, so a message about the top
// level is printed once a read, and the order is: every message of the
// parent's read, then the checker's, the VRRP process's, the BFD
// process's.
type Pass uint8

// The reads, in the order keepalived -t makes them.
const (
	PassParent Pass = 1 << iota
	PassChecker
	PassVRRP
	PassBFD
	// PassAll: a message every read reports (top-level keywords, braces,
	// the lexer's messages about the lines themselves).
	PassAll = PassParent | PassChecker | PassVRRP | PassBFD
)

// Passes lists the reads in keepalived's order.
var Passes = [...]Pass{PassParent, PassChecker, PassVRRP, PassBFD}

// order places a message in a read: while reading (phase 0, by logical
// line and word), at the end of the read (phase 1) or while validating
// what was read (phase 2, in the order the checks run).
type order struct {
	set               bool
	phase, line, word int
}

func (a order) less(b order) bool {
	if a.phase != b.phase {
		return a.phase < b.phase
	}
	if a.line != b.line {
		return a.line < b.line
	}
	return a.word < b.word
}

// String renders the message the way keepalived -t prints it:
// "(FILE: Line N) message".
func (d Diag) String() string {
	if d.Pos.File == "" && d.Pos.Line == 0 {
		return d.Msg
	}
	return fmt.Sprintf("(%s: Line %d) %s", d.Pos.File, d.Pos.Line, d.Msg)
}

// Diags collects messages in the order they were found.
type Diags []Diag

func (ds *Diags) add(k Kind, pos Pos, format string, args ...any) {
	*ds = append(*ds, Diag{Kind: k, Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// addp adds a message reported by the reads p (the message's place in
// the read comes from its position).
func (ds *Diags) addp(p Pass, k Kind, pos Pos, format string, args ...any) {
	*ds = append(*ds, Diag{Kind: k, Pos: pos, Passes: p, Msg: fmt.Sprintf(format, args...)})
}

// addv adds a message of the validation the reads p make once they have
// read everything (in the order of the calls).
func (ds *Diags) addv(p Pass, k Kind, pos Pos, format string, args ...any) {
	*ds = append(*ds, Diag{Kind: k, Pos: pos, Passes: p, ord: order{set: true, phase: 2}, Msg: fmt.Sprintf(format, args...)})
}

// addAt adds a message at an explicit place in the reads p.
func (ds *Diags) addAt(o order, p Pass, k Kind, pos Pos, format string, args ...any) {
	o.set = true
	*ds = append(*ds, Diag{Kind: k, Pos: pos, Passes: p, ord: o, Msg: fmt.Sprintf(format, args...)})
}

// Status is the highest kind reported (keepalived keeps the maximum).
func (ds Diags) Status() Kind {
	s := KindInfo
	for _, d := range ds {
		if d.Unimplemented {
			continue
		}
		if d.Kind > s {
			s = d.Kind
		}
	}
	return s
}

// String renders every message, one a line.
func (ds Diags) String() string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}
