// Package proxyproto reads and writes PROXY protocol headers (versions 1
// and 2) the way HAProxy 2.6 does.
//
// The package is pure: it works on byte slices, starts no goroutines and does
// no I/O. The connection runtime peeks at the first bytes of a connection,
// calls Decode, and either waits for more bytes (ErrNeedMore), drops the
// connection (any other error) or skips the n bytes the header used.
//
// Decode accepts exactly what haproxy 2.6's "accept-proxy" accepts, quirks
// included (see Decode). DecodeStrict additionally enforces the letter of
// the specification. AppendV1 and AppendV2 build the bytes haproxy sends for
// "send-proxy" and "send-proxy-v2" with "proxy-v2-options"; Read is a
// bufio.Reader front end.
//
// haproxy peeks at the socket once per readiness event and refuses a
// header that is incomplete when some bytes have arrived ("Truncated PROXY
// protocol header received"). A runtime that wants that exact behaviour
// treats ErrNeedMore after a non-empty read as KindTruncated; one that
// prefers robustness keeps reading until its timeout.
//
// The differential tests (oracle_*_test.go) run /usr/sbin/haproxy and check
// that its send-proxy, send-proxy-v2, proxy-v2-options (crc32c, unique-id,
// authority, ssl, cert-cn, ssl-cipher, cert-sig, cert-key) and
// check-send-proxy headers are byte-identical to AppendV1/AppendV2, and that
// accept-proxy and expect-proxy layer4 accept and refuse the same headers
// as Decode and take the same addresses from them.
package proxyproto

import (
	"errors"
	"net/netip"
)

// Signature is the 12-byte block that opens every version 2 header.
const Signature = "\r\n\r\n\x00\r\nQUIT\n"

// Header sizes.
const (
	// MaxV1Len is the longest version 1 line the specification requires a
	// receiver to support, CRLF included.
	MaxV1Len = 107
	// V2HeaderLen is the fixed part of a version 2 header.
	V2HeaderLen = 16
	// V2AddrLenInet, V2AddrLenInet6 and V2AddrLenUnix are the address block
	// sizes of the three address families.
	V2AddrLenInet  = 12
	V2AddrLenInet6 = 36
	V2AddrLenUnix  = 216
	// MaxAuthorityLen and MaxUniqueIDLen are haproxy's limits on the
	// AUTHORITY and UNIQUE_ID TLVs it receives.
	MaxAuthorityLen = 255
	MaxUniqueIDLen  = 128
)

// Command is the command of a version 2 header.
type Command uint8

// Commands.
const (
	CmdLocal Command = 0x0
	CmdProxy Command = 0x1
)

// Family is the address family of a header.
type Family uint8

// Address families (the high nibble of the 14th byte of a v2 header).
const (
	FamUnspec Family = 0x0
	FamInet   Family = 0x1
	FamInet6  Family = 0x2
	FamUnix   Family = 0x3
)

// Transport is the transport protocol of a header.
type Transport uint8

// Transport protocols (the low nibble of the 14th byte of a v2 header).
const (
	TransUnspec Transport = 0x0
	TransStream Transport = 0x1
	TransDgram  Transport = 0x2
)

// TLV types and SSL sub-types.
const (
	TypeALPN          = 0x01
	TypeAuthority     = 0x02
	TypeCRC32C        = 0x03
	TypeNoop          = 0x04
	TypeUniqueID      = 0x05
	TypeSSL           = 0x20
	SubtypeSSLVersion = 0x21
	SubtypeSSLCN      = 0x22
	SubtypeSSLCipher  = 0x23
	SubtypeSSLSigAlg  = 0x24
	SubtypeSSLKeyAlg  = 0x25
	TypeNetNS         = 0x30
)

// Bits of the client field of the SSL TLV.
const (
	ClientSSL      = 0x01
	ClientCertConn = 0x02
	ClientCertSess = 0x04
)

// Header is a decoded PROXY header. Byte slices alias the decoded input.
type Header struct {
	// Version is 1 or 2.
	Version int
	// Command is CmdProxy for version 1 lines other than UNKNOWN.
	Command Command
	// Family and Transport: the v2 family byte as received (for v1,
	// TCP4 is FamInet/TransStream, TCP6 FamInet6/TransStream and
	// UNKNOWN FamUnspec/TransUnspec).
	Family    Family
	Transport Transport
	// Src and Dst are the original endpoints. They are valid only when
	// HasAddrs is true; otherwise the receiver keeps the connection's own
	// addresses (LOCAL, UNKNOWN, unsupported families).
	Src, Dst netip.AddrPort
	HasAddrs bool
	// TLVs is the raw TLV area of a v2 header (nil for v1).
	TLVs []byte
}

// ErrNeedMore means the input is a valid beginning of a header: call again
// with more bytes.
var ErrNeedMore = errors.New("proxyproto: need more bytes")

// ErrInvalid matches (errors.Is) every error that rejects a header.
var ErrInvalid = errors.New("proxyproto: invalid header")

// Kind classifies invalid headers like haproxy's connection error codes.
type Kind uint8

// Kinds of invalid headers.
const (
	// KindNotHeader: the bytes are not a PROXY header at all
	// (haproxy CO_ER_PRX_NOT_HDR).
	KindNotHeader Kind = iota + 1
	// KindBadHeader: a malformed header (CO_ER_PRX_BAD_HDR).
	KindBadHeader
	// KindBadProto: a v1 line with an unknown protocol (CO_ER_PRX_BAD_PROTO).
	KindBadProto
	// KindTruncated: the header cannot be completed within the limits
	// (CO_ER_PRX_TRUNCATED).
	KindTruncated
)

// Error is a rejection with its reason. Values are static: returning one
// never allocates.
type Error struct {
	Kind   Kind
	Reason string
}

func (e *Error) Error() string { return "proxyproto: " + e.Reason }

// Is makes every *Error match ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// HAProxyMessage is the text haproxy logs for this kind of error.
func (e *Error) HAProxyMessage() string { return e.Kind.HAProxyMessage() }

// HAProxyMessage is the text haproxy logs for this kind of error.
func (k Kind) HAProxyMessage() string {
	switch k {
	case KindNotHeader:
		return "Received something which does not look like a PROXY protocol header"
	case KindBadProto:
		return "Received an unhandled protocol in the PROXY protocol header"
	case KindTruncated:
		return "Truncated PROXY protocol header received"
	default:
		return "Received an invalid PROXY protocol header"
	}
}

// Messages haproxy logs when the connection ends before or while the header
// is read (the runtime decides when these apply).
const (
	MsgEmpty = "Connection closed while waiting for PROXY protocol header"
	MsgAbort = "Connection error while waiting for PROXY protocol header"
)

func bad(reason string) *Error { return &Error{Kind: KindBadHeader, Reason: reason} }

// The rejections Decode returns.
var (
	ErrNotProxy        = &Error{KindNotHeader, "not a PROXY protocol header"}
	ErrV1BadProto      = &Error{KindBadProto, "v1: unknown protocol (want TCP4, TCP6 or UNKNOWN)"}
	ErrV1TooLong       = &Error{KindTruncated, "v1: no CRLF within 107 bytes"}
	ErrV1Syntax        = bad("v1: malformed line")
	ErrV1BadCRLF       = bad("v1: line not terminated by CRLF")
	ErrV1BadAddr       = bad("v1: invalid address")
	ErrV1BadPort       = bad("v1: invalid port")
	ErrV2BadCommand    = bad("v2: unsupported command")
	ErrV2ShortAddr     = bad("v2: length too small for the address family")
	ErrV2BadFamily     = bad("v2: unsupported address family or transport")
	ErrV2TLVTruncated  = bad("v2: truncated TLV")
	ErrV2BadCRC32C     = bad("v2: CRC32C mismatch")
	ErrV2BadCRC32CLen  = bad("v2: CRC32C TLV is not 4 bytes")
	ErrV2AuthorityLong = bad("v2: AUTHORITY TLV longer than 255 bytes")
	ErrV2UniqueIDLong  = bad("v2: UNIQUE_ID TLV longer than 128 bytes")
	ErrV2BadSSL        = bad("v2: malformed SSL TLV")
)

// TLV is one type-length-value entry.
type TLV struct {
	Type  uint8
	Value []byte
}

// NextTLV splits the first TLV off b. ok is false at the end of b or when the
// next TLV does not fit.
func NextTLV(b []byte) (t TLV, rest []byte, ok bool) {
	if len(b) < 3 {
		return TLV{}, nil, false
	}
	n := int(b[1])<<8 | int(b[2])
	if 3+n > len(b) {
		return TLV{}, nil, false
	}
	return TLV{Type: b[0], Value: b[3 : 3+n : 3+n]}, b[3+n:], true
}

// TLV returns the value of the first TLV of type typ.
func (h *Header) TLV(typ uint8) ([]byte, bool) {
	b := h.TLVs
	for {
		t, rest, ok := NextTLV(b)
		if !ok {
			return nil, false
		}
		if t.Type == typ {
			return t.Value, true
		}
		b = rest
	}
}

// AppendTLVs appends every TLV of the header to dst.
func (h *Header) AppendTLVs(dst []TLV) []TLV {
	b := h.TLVs
	for {
		t, rest, ok := NextTLV(b)
		if !ok {
			return dst
		}
		dst = append(dst, t)
		b = rest
	}
}

// ALPN returns the ALPN TLV.
func (h *Header) ALPN() ([]byte, bool) { return h.TLV(TypeALPN) }

// Authority returns the AUTHORITY TLV (haproxy's fc_pp_authority).
func (h *Header) Authority() ([]byte, bool) { return h.TLV(TypeAuthority) }

// UniqueID returns the UNIQUE_ID TLV (haproxy's fc_pp_unique_id).
func (h *Header) UniqueID() ([]byte, bool) { return h.TLV(TypeUniqueID) }

// NetNS returns the NETNS TLV.
func (h *Header) NetNS() ([]byte, bool) { return h.TLV(TypeNetNS) }

// CRC32C returns the checksum carried by the CRC32C TLV.
func (h *Header) CRC32C() (uint32, bool) {
	v, ok := h.TLV(TypeCRC32C)
	if !ok || len(v) != 4 {
		return 0, false
	}
	return uint32(v[0])<<24 | uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3]), true
}

// SSL is the decoded SSL TLV.
type SSL struct {
	Client uint8
	Verify uint32
	// Sub is the raw sub-TLV area; the fields below are its well-known
	// entries.
	Sub                                 []byte
	Version, CN, Cipher, SigAlg, KeyAlg []byte
}

// SSL decodes the SSL TLV. It reports ErrV2BadSSL when the TLV is present but
// malformed (haproxy 2.6 does not look inside it, so Decode accepts such
// headers; DecodeStrict rejects them).
func (h *Header) SSL() (SSL, bool, error) {
	v, ok := h.TLV(TypeSSL)
	if !ok {
		return SSL{}, false, nil
	}
	s, err := ParseSSL(v)
	return s, true, err
}

// ParseSSL decodes the value of an SSL TLV.
func ParseSSL(v []byte) (SSL, error) {
	if len(v) < 5 {
		return SSL{}, ErrV2BadSSL
	}
	s := SSL{Client: v[0], Verify: uint32(v[1])<<24 | uint32(v[2])<<16 | uint32(v[3])<<8 | uint32(v[4]), Sub: v[5:]}
	b := s.Sub
	for len(b) > 0 {
		t, rest, ok := NextTLV(b)
		if !ok {
			return s, ErrV2BadSSL
		}
		switch t.Type {
		case SubtypeSSLVersion:
			s.Version = t.Value
		case SubtypeSSLCN:
			s.CN = t.Value
		case SubtypeSSLCipher:
			s.Cipher = t.Value
		case SubtypeSSLSigAlg:
			s.SigAlg = t.Value
		case SubtypeSSLKeyAlg:
			s.KeyAlg = t.Value
		}
		b = rest
	}
	return s, nil
}
