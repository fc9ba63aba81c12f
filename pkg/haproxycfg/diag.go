package haproxycfg

import (
	"fmt"
	"strings"
)

// Pos is where a configuration element was written.
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// Severity orders diagnostics as haproxy prints them.
type Severity int

const (
	SevNotice Severity = iota
	SevWarning
	SevAlert
)

// Tag returns the bracketed word haproxy prints for the severity.
func (s Severity) Tag() string {
	switch s {
	case SevAlert:
		return "ALERT"
	case SevWarning:
		return "WARNING"
	case SevDiag:
		return "DIAG"
	default:
		return "NOTICE"
	}
}

// Diag is one message about the configuration. Alerts make the
// configuration invalid; warnings and notices do not.
type Diag struct {
	Sev Severity
	Pos Pos // zero when the message is not about one line
	Msg string
	// Verbatim says Msg already carries its location in haproxy's words
	// (haproxy is not uniform: some messages read "[file:line] : ..." or
	// "Proxy 'x': ..."), so String must not add "parsing [file:line] : ".
	Verbatim bool
	// Tight selects haproxy's other location prefix, "parsing [f:l]: "
	// (no space before the colon), used by its line reader.
	Tight bool
}

// String renders the message body the way haproxy does after its
// "[ALERT]    (pid) : config : " prefix.
func (d Diag) String() string {
	if d.Pos.File == "" || d.Verbatim {
		return d.Msg
	}
	if d.Tight {
		return fmt.Sprintf("parsing [%s:%d]: %s", d.Pos.File, d.Pos.Line, d.Msg)
	}
	return fmt.Sprintf("parsing [%s:%d] : %s", d.Pos.File, d.Pos.Line, d.Msg)
}

// Diags collects diagnostics in the order they were found.
type Diags []Diag

func (ds *Diags) add(sev Severity, pos Pos, format string, args ...any) {
	*ds = append(*ds, Diag{Sev: sev, Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// Alertf records an error at pos.
func (ds *Diags) Alertf(pos Pos, format string, args ...any) { ds.add(SevAlert, pos, format, args...) }

// Warnf records a warning at pos.
func (ds *Diags) Warnf(pos Pos, format string, args ...any) { ds.add(SevWarning, pos, format, args...) }

// Noticef records a notice at pos.
func (ds *Diags) Noticef(pos Pos, format string, args ...any) {
	ds.add(SevNotice, pos, format, args...)
}

// tightf records a message of haproxy's line reader ("parsing [f:l]: ").
func (ds *Diags) tightf(sev Severity, pos Pos, format string, args ...any) {
	*ds = append(*ds, Diag{Sev: sev, Pos: pos, Msg: fmt.Sprintf(format, args...), Tight: true})
}

// Rawf records a message at pos whose text already says where it is.
func (ds *Diags) Rawf(sev Severity, pos Pos, format string, args ...any) {
	*ds = append(*ds, Diag{Sev: sev, Pos: pos, Msg: fmt.Sprintf(format, args...), Verbatim: true})
}

// HasAlerts reports whether any diagnostic is an error.
func (ds Diags) HasAlerts() bool {
	for _, d := range ds {
		if d.Sev == SevAlert {
			return true
		}
	}
	return false
}

// HasWarnings reports whether any diagnostic is a warning.
func (ds Diags) HasWarnings() bool {
	for _, d := range ds {
		if d.Sev == SevWarning {
			return true
		}
	}
	return false
}

func (ds Diags) String() string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "[%s] %s\n", d.Sev.Tag(), d)
	}
	return b.String()
}
