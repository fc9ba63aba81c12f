// Package h1 is gohaproxy's HTTP/1 codec: request and response heads parsed
// in place with haproxy 2.6's strictness, and a streaming chunked-body
// decoder. Parsing allocates nothing once the Message's header slice has
// grown to the largest head seen: every field is an index pair into the
// caller's buffer.
package h1

import "errors"

// Errors a head parser returns. Each maps to the status haproxy answers
// with (see Status).
var (
	// ErrBadRequest: the head breaks HTTP/1 syntax or haproxy's rules
	// (haproxy answers 400).
	ErrBadRequest = errors.New("h1: invalid message")
	// ErrTooLarge: the head does not fit in the buffer (400 too).
	ErrTooLarge = errors.New("h1: message head too large for tune.bufsize")
	// ErrUnprocessable: a request Transfer-Encoding with codings other than
	// chunked (haproxy answers 422).
	ErrUnprocessable = errors.New("h1: transfer-encoding other than chunked")
	// ErrBadChunk: the chunked body is malformed.
	ErrBadChunk = errors.New("h1: invalid chunked body")
)

// Status is the HTTP status haproxy answers a client whose request failed
// with err.
func Status(err error) int {
	if errors.Is(err, ErrUnprocessable) {
		return 422
	}
	return 400
}

// Span is a field's position in the buffer a message was parsed from.
type Span struct{ Off, End int32 }

// Len is the span's length.
func (s Span) Len() int { return int(s.End - s.Off) }

// In returns the bytes of s in buf.
func (s Span) In(buf []byte) []byte { return buf[s.Off:s.End] }

// Header is one header line: its name and its value, blanks trimmed
// (obsolete line folding is replaced by spaces in the buffer).
type Header struct {
	Name, Value Span
	// Drop: the header is not forwarded (merged duplicate, connection
	// token header, content-length beside transfer-encoding).
	Drop bool
}

// Body says how a message's body is delimited.
type Body uint8

const (
	BodyNone    Body = iota // no body
	BodyLength              // Content-Length bytes
	BodyChunked             // chunked transfer coding
	BodyClose               // until the connection closes (responses)
)

// Message is a parsed request or response head.
type Message struct {
	// request: Method, URI; response: Status (3 digits), Reason.
	Method, URI  Span
	StatusCode   int
	Reason       Span
	Major, Minor int // the version as received
	Headers      []Header
	// HeadLen is the number of bytes of the head, final empty line included.
	HeadLen int

	Body          Body
	ContentLength int64
	// CLText is the content-length value forwarded (the first of merged
	// identical values).
	CLText Span
	// ConnClose, ConnKeepAlive: the Connection header's tokens.
	ConnClose, ConnKeepAlive bool
	// ForceClose: haproxy closes the connection after this transaction
	// (a request that had both Content-Length and Transfer-Encoding).
	ForceClose bool
	// Host is the (single, merged) Host header value; Off == End when absent.
	Host    Span
	HasHost bool
	// ConnHdr: index of a Connection header that still has tokens to
	// forward, -1 when none. ConnRest is what remains of it.
	Expect100 bool
	Upgrade   bool
	isResp    bool
}

// HTTP11 says whether the message is HTTP/1.1 (or later, forwarded as 1.1).
func (m *Message) HTTP11() bool { return m.Major > 1 || m.Major == 1 && m.Minor >= 1 }

// KeepAlive says whether the sender of m wants the connection kept open:
// HTTP/1.1 unless "Connection: close", HTTP/1.0 only with "Connection:
// keep-alive".
func (m *Message) KeepAlive() bool {
	if m.ConnClose || m.ForceClose {
		return false
	}
	if m.HTTP11() {
		return true
	}
	return m.ConnKeepAlive
}

func (m *Message) reset(resp bool) {
	hs := m.Headers[:0]
	*m = Message{Headers: hs, isResp: resp, ContentLength: -1}
}

// Limits bound a head.
type Limits struct {
	// Budget is how much haproxy's internal representation of the head
	// may take: tune.bufsize less tune.maxrewrite less its fixed
	// overhead. Each header costs 8 bytes plus its name and value; the
	// start line its three parts. 0: unlimited.
	Budget int
}

// DefaultLimits are haproxy's with tune.bufsize 16384.
var DefaultLimits = LimitsFor(16384)

// LimitsFor returns the limits of a tune.bufsize (maxrewrite: half of it,
// at most 1024, as haproxy defaults it).
func LimitsFor(bufsize int) Limits {
	rw := bufsize / 2
	if rw > 1024 {
		rw = 1024
	}
	// measured against haproxy 2.6: with bufsize 16384 the largest
	// accepted request costs 15275
	return Limits{Budget: bufsize - rw - 85}
}

var tchar [256]bool

func init() {
	for c := 'a'; c <= 'z'; c++ {
		tchar[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		tchar[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		tchar[c] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		tchar[c] = true
	}
}

// IsToken says whether c may appear in a method or header name.
func IsToken(c byte) bool { return tchar[c] }

// uriChar: haproxy 2.6 accepts visible ASCII in the URI except '#'.
func uriChar(c byte) bool { return c > 0x20 && c < 0x7f && c != '#' }
