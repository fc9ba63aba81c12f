// Package logfmt compiles haproxy 2.6 log-format strings once and renders
// them for each logged session into a reusable buffer, without allocating.
//
// A format string is made of literal text, separators (unescaped spaces,
// merged), %variables with optional %{+Q,-X,+E} flags, %o (flags for all
// following variables) and %[sample] expressions, which the caller
// evaluates through Event.Sample.
package logfmt

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/proxy/acl"
)

// The default formats of haproxy 2.6 (configuration manual, section 8.2).
const (
	TCPLog   = "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq"
	HTTPLog  = "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r"
	HTTPSLog = "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc"
	CLFLog   = "%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl"
)

// Flag bits of a variable.
const (
	FlagQuote  = 1 << iota // Q: quote strings
	FlagHex                // X: hexadecimal IPs, ports, %Ts, %rt, %pid
	FlagEscape             // E: escape '"', '\' and ']'
)

// Event holds what a log line may show about one session or request.
// Unknown timers are -1; unknown addresses are the zero AddrPort (shown
// as "-").
type Event struct {
	Accept   time.Time // accept date: %t %T %Tl %Ts %ms
	Request  time.Time // start of the HTTP request: %tr %trg %trl (zero: Accept)
	PID      int
	Hostname string // %H

	Client, FrontendAddr, BackendSrc, ServerAddr netip.AddrPort // %ci/%cp %fi/%fp %bi/%bp %si/%sp

	Frontend, Backend, Server string
	SSL                       bool // %ft gets '~'

	Th, Ti, TR, Tw, Tc, Tr, Ta, Tt, Tu int64 // milliseconds, -1 when not reached
	// Td is the data transfer time (from the connection's establishment
	// in TCP mode, from the response headers in HTTP mode, to the end),
	// -1 when that phase never started.
	Td int64

	BytesRead, BytesUploaded int64   // %B (to the client), %U (from the client)
	Status                   int     // %ST; 0 shows -1... use -1 for none
	Term                     [2]byte // %ts: first and second letter
	Cookie                   [2]byte // %tsc: persistence cookie letters

	ActConn, FeConn, BeConn, SrvConn int
	Retries                          int
	Redispatched                     bool // %rc gets a '+'
	SrvQueue, BeQueue                int

	LogCounter, RequestCounter uint64 // %lc %rt
	UniqueID                   string // %ID

	ReqCookie, ResCookie string // %CC %CS
	// ReqCaptures/ResCaptures hold one entry per "capture request/response
	// header"; a nil entry was not seen.
	ReqCaptures, ResCaptures [][]byte
	RequestLine              []byte // %r; nil renders <BADREQ>

	SSLVersion, SSLCipher string

	// Ctx is what the expressions bound with BindSamples read; without
	// it they render as missing.
	Ctx *acl.Context

	// Sample, when set, appends the value of a %[...] expression that
	// BindSamples did not bind.
	Sample func(dst []byte, expr string) []byte
}

type kind uint8

const (
	kText kind = iota
	kSep
	kVar
	kSample
)

type node struct {
	kind  kind
	v     varID
	flags uint8
	text  string
	smp   *acl.Sample
}

// Format is a compiled log-format string. It is immutable and safe for
// concurrent use.
type Format struct {
	nodes []node
	src   string
	// value: the format builds an HTTP value (header, location, body),
	// where a missing sample is empty rather than "-" and control
	// characters of samples are %-encoded, as haproxy's HTTP actions do.
	value bool
}

// CompileValue parses a log-format string used by an HTTP action
// (set-header, redirect, return lf-string, ...).
// Spaces are kept as written there, as haproxy keeps them.
func CompileValue(s string) (*Format, error) {
	return compile(s, true, true)
}

// CompileID parses a unique-id-format: separators are merged as in log
// lines, a missing sample is empty as in HTTP values.
func CompileID(s string) (*Format, error) {
	return compile(s, true, false)
}

// BindSamples compiles each %[...] expression with compile, so that
// Append evaluates it against Event.Ctx. It must be called before the
// format is shared.
func (f *Format) BindSamples(compile func(expr string) (*acl.Sample, error)) error {
	for i := range f.nodes {
		if n := &f.nodes[i]; n.kind == kSample {
			s, err := compile(n.text)
			if err != nil {
				return err
			}
			n.smp = s
		}
	}
	return nil
}

// Static says whether the format is plain text (no variable, no
// sample), and returns that text.
func (f *Format) Static() (string, bool) {
	var b strings.Builder
	for _, n := range f.nodes {
		switch n.kind {
		case kText:
			b.WriteString(n.text)
		case kSep:
			b.WriteByte(' ')
		default:
			return "", false
		}
	}
	return b.String(), true
}

// Vars returns the names of the %-variables the format uses.
func (f *Format) Vars() []string {
	var out []string
	for _, n := range f.nodes {
		if n.kind == kVar {
			for name, v := range varNames {
				if v == n.v {
					out = append(out, name)
					break
				}
			}
		}
	}
	return out
}

// String returns the source of the format.
func (f *Format) String() string { return f.src }

// Compile parses a log-format string. Errors use haproxy's wording.
func Compile(s string) (*Format, error) {
	return compile(s, false, false)
}

func compile(s string, value, literalSpaces bool) (*Format, error) {
	f := &Format{src: s, value: value}
	var defFlags uint8
	lit := strings.Builder{}
	flushLit := func() {
		if lit.Len() > 0 {
			f.nodes = append(f.nodes, node{kind: kText, text: lit.String()})
			lit.Reset()
		}
	}
	addSep := func() {
		flushLit()
		if n := len(f.nodes); n == 0 || f.nodes[n-1].kind != kSep {
			f.nodes = append(f.nodes, node{kind: kSep})
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' && !literalSpaces {
			addSep()
			continue
		}
		if c != '%' {
			lit.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			return nil, fmt.Errorf("truncated line after '%%'.")
		}
		if s[i] == '%' {
			lit.WriteByte('%')
			continue
		}
		flags := defFlags
		if s[i] == '{' {
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				return nil, fmt.Errorf("truncated line after '%s'.", s[i+1:])
			}
			for _, a := range strings.Split(s[i+1:i+j], ",") {
				if len(a) != 2 || (a[0] != '+' && a[0] != '-') {
					continue
				}
				var b uint8
				switch a[1] {
				case 'Q':
					b = FlagQuote
				case 'X':
					b = FlagHex
				case 'E':
					b = FlagEscape
				}
				if a[0] == '+' {
					flags |= b
				} else {
					flags &^= b
				}
			}
			i += j + 1
			if i >= len(s) {
				return nil, fmt.Errorf("truncated line after '}'.")
			}
		}
		if s[i] == '[' {
			depth, end := 0, -1
			for j := i + 1; j < len(s); j++ {
				if s[j] == '(' {
					depth++
				} else if s[j] == ')' {
					depth--
				} else if s[j] == ']' && depth <= 0 {
					end = j
					break
				}
			}
			if end < 0 {
				return nil, fmt.Errorf("missing ']' after '%s'.", s[i+1:])
			}
			flushLit()
			f.nodes = append(f.nodes, node{kind: kSample, flags: flags, text: s[i+1 : end]})
			i = end
			continue
		}
		j := i
		for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
			j++
		}
		name := s[i:j]
		if name == "" {
			return nil, fmt.Errorf("unexpected character '%c' after '%%'.", s[i])
		}
		if name == "o" {
			defFlags = flags
			i = j - 1
			continue
		}
		v, ok := varNames[name]
		if !ok {
			return nil, fmt.Errorf("no such format variable '%s'. If you wanted to emit the '%%' character verbatim, you need to use '%%%%'.", name)
		}
		flushLit()
		f.nodes = append(f.nodes, node{kind: kVar, v: v, flags: flags})
		i = j - 1
	}
	flushLit()
	return f, nil
}

// Samples returns the %[...] expressions of the format, in order.
func (f *Format) Samples() []string {
	var out []string
	for _, n := range f.nodes {
		if n.kind == kSample {
			out = append(out, n.text)
		}
	}
	return out
}
