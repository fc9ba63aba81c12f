package proxyproto

import (
	"fmt"
	"hash/crc32"
	"net/netip"
	"strings"
)

// AppendV1 appends the version 1 line haproxy's "send-proxy" sends for a
// connection from src to dst. When either address is not IPv4 or IPv6 (the
// zero AddrPort, a UNIX socket) the line is "PROXY UNKNOWN\r\n". When the
// families differ, the IPv4 one is written as an IPv4-mapped IPv6 address.
func AppendV1(b []byte, src, dst netip.AddrPort) []byte {
	if !src.Addr().IsValid() || !dst.Addr().IsValid() {
		return append(b, "PROXY UNKNOWN\r\n"...)
	}
	if src.Addr().Is4() && dst.Addr().Is4() {
		b = append(b, "PROXY TCP4 "...)
		b = appendNtop4(b, src.Addr().As4())
		b = append(b, ' ')
		b = appendNtop4(b, dst.Addr().As4())
	} else {
		b = append(b, "PROXY TCP6 "...)
		b = appendNtop6(b, src.Addr().As16())
		b = append(b, ' ')
		b = appendNtop6(b, dst.Addr().As16())
	}
	b = append(b, ' ')
	b = appendUint(b, uint64(src.Port()))
	b = append(b, ' ')
	b = appendUint(b, uint64(dst.Port()))
	return append(b, '\r', '\n')
}

// V2Options are a server's "proxy-v2-options" ("send-proxy-v2-ssl" is
// SSL, "send-proxy-v2-ssl-cn" is SSL and SSLCN).
type V2Options struct {
	SSL       bool // ssl
	SSLCN     bool // cert-cn
	SSLCipher bool // ssl-cipher
	SSLSigAlg bool // cert-sig
	SSLKeyAlg bool // cert-key
	Authority bool // authority
	CRC32C    bool // crc32c
	UniqueID  bool // unique-id
}

// ParseV2Options reads the comma-separated argument of "proxy-v2-options"
// into o, adding to what o already holds.
func ParseV2Options(o *V2Options, list string) error {
	for _, name := range strings.Split(list, ",") {
		switch name {
		case "ssl":
			o.SSL = true
		case "cert-cn":
			o.SSLCN = true
		case "ssl-cipher":
			o.SSLCipher = true
		case "cert-sig":
			o.SSLSigAlg = true
		case "cert-key":
			o.SSLKeyAlg = true
		case "authority":
			o.Authority = true
		case "crc32c":
			o.CRC32C = true
		case "unique-id":
			o.UniqueID = true
		default:
			return fmt.Errorf("'%s' : proxy v2 option not implemented", name)
		}
	}
	return nil
}

// Conn is what the sender knows about the client connection a header
// describes.
type Conn struct {
	// Src and Dst are the client's address and the address it reached.
	// A zero (invalid) address makes the header LOCAL.
	Src, Dst netip.AddrPort
	// Local forces a LOCAL header, as haproxy sends for the connections it
	// initiates itself (health checks) unless pp2-never-send-local is set.
	Local bool
	// ALPN is the protocol negotiated on the client connection; sent when
	// not empty.
	ALPN []byte
	// Authority is the PROXY authority received from the client, or else
	// its TLS SNI; sent with the authority option when not nil.
	Authority []byte
	// UniqueID is the stream's unique-id; sent with the unique-id option
	// when HasStream (haproxy has no stream for health checks).
	UniqueID  []byte
	HasStream bool
	// TLS describes the client's TLS session, nil for clear connections.
	TLS *TLSInfo
	// NetNS is the network namespace the connection was accepted in.
	NetNS []byte
}

// TLSInfo is the client TLS session data the SSL TLV reports.
type TLSInfo struct {
	Version  string // e.g. "TLSv1.3"
	CertSess bool   // the client presented a certificate in the session
	CertConn bool   // ... on this connection
	Verify   uint32 // verify result, 0 = verified
	CN       string // client certificate common name
	KeyAlg   string // e.g. "RSA2048"
	SigAlg   string // e.g. "SHA256"
	Cipher   string // e.g. "TLS_AES_256_GCM_SHA384"
}

func appendTLV(b []byte, typ byte, v []byte) []byte {
	b = append(b, typ, byte(len(v)>>8), byte(len(v)))
	return append(b, v...)
}

func appendTLVString(b []byte, typ byte, v string) []byte {
	b = append(b, typ, byte(len(v)>>8), byte(len(v)))
	return append(b, v...)
}

// AppendV2 appends the version 2 header haproxy's "send-proxy-v2" sends
// with options o for connection c. TLVs come in haproxy's order: CRC32C,
// ALPN, AUTHORITY, UNIQUE_ID, SSL (VERSION, CN, KEY_ALG, SIG_ALG, CIPHER),
// NETNS.
func AppendV2(b []byte, c *Conn, o V2Options) []byte {
	start := len(b)
	b = append(b, Signature...)
	src, dst := c.Src.Addr(), c.Dst.Addr()
	switch {
	case c.Local || !src.IsValid() || !dst.IsValid():
		b = append(b, 0x20|byte(CmdLocal), 0x00, 0, 0)
	case src.Is4() && dst.Is4():
		b = append(b, 0x20|byte(CmdProxy), 0x11, 0, 0)
		s4, d4 := src.As4(), dst.As4()
		b = append(b, s4[:]...)
		b = append(b, d4[:]...)
		b = append(b, byte(c.Src.Port()>>8), byte(c.Src.Port()), byte(c.Dst.Port()>>8), byte(c.Dst.Port()))
	default:
		b = append(b, 0x20|byte(CmdProxy), 0x21, 0, 0)
		s6, d6 := src.As16(), dst.As16()
		b = append(b, s6[:]...)
		b = append(b, d6[:]...)
		b = append(b, byte(c.Src.Port()>>8), byte(c.Src.Port()), byte(c.Dst.Port()>>8), byte(c.Dst.Port()))
	}
	crcAt := -1
	if o.CRC32C {
		crcAt = len(b) + 3
		b = append(b, TypeCRC32C, 0, 4, 0, 0, 0, 0)
	}
	if len(c.ALPN) > 0 {
		b = appendTLV(b, TypeALPN, c.ALPN)
	}
	if o.Authority && c.Authority != nil {
		b = appendTLV(b, TypeAuthority, c.Authority)
	}
	if o.UniqueID && c.HasStream {
		b = appendTLV(b, TypeUniqueID, c.UniqueID)
	}
	if o.SSL {
		at := len(b)
		b = append(b, TypeSSL, 0, 0, 0, 0, 0, 0, 0)
		if t := c.TLS; t != nil {
			client := byte(ClientSSL)
			if t.Version != "" {
				b = appendTLVString(b, SubtypeSSLVersion, t.Version)
			}
			if t.CertSess {
				client |= ClientCertSess
				b[at+4], b[at+5], b[at+6], b[at+7] = byte(t.Verify>>24), byte(t.Verify>>16), byte(t.Verify>>8), byte(t.Verify)
				if t.CertConn {
					client |= ClientCertConn
				}
			}
			if o.SSLCN && t.CN != "" {
				b = appendTLVString(b, SubtypeSSLCN, t.CN)
			}
			if o.SSLKeyAlg && t.KeyAlg != "" {
				b = appendTLVString(b, SubtypeSSLKeyAlg, t.KeyAlg)
			}
			if o.SSLSigAlg && t.SigAlg != "" {
				b = appendTLVString(b, SubtypeSSLSigAlg, t.SigAlg)
			}
			if o.SSLCipher && t.Cipher != "" {
				b = appendTLVString(b, SubtypeSSLCipher, t.Cipher)
			}
			b[at+3] = client
		}
		n := len(b) - at - 3
		b[at+1], b[at+2] = byte(n>>8), byte(n)
	}
	if c.NetNS != nil {
		b = appendTLV(b, TypeNetNS, c.NetNS)
	}
	n := len(b) - start - V2HeaderLen
	b[start+14], b[start+15] = byte(n>>8), byte(n)
	if crcAt >= 0 {
		sum := crc32.Checksum(b[start:], castagnoli)
		b[crcAt], b[crcAt+1], b[crcAt+2], b[crcAt+3] = byte(sum>>24), byte(sum>>16), byte(sum>>8), byte(sum)
	}
	return b
}
