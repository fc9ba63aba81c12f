// Package acl compiles haproxy ACL expressions and conditions once, at
// load, into matchers evaluated per connection against a Context, with
// haproxy 2.6's three-valued logic (an ACL may be undecided until more
// data arrives).
package acl

import (
	"fmt"
	"net/netip"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/h1"
)

// Result is the outcome of an ACL or condition: haproxy's
// ACL_TEST_FAIL, ACL_TEST_MISS and ACL_TEST_PASS, whose bit patterns make
// & and | the three-valued AND and OR.
type Result uint8

const (
	Fail Result = 0
	Miss Result = 1 // undecided: more data may change the outcome
	Pass Result = 3
)

func (r Result) String() string {
	switch r {
	case Pass:
		return "pass"
	case Miss:
		return "miss"
	}
	return "fail"
}

func (r Result) neg() Result {
	switch r {
	case Pass:
		return Fail
	case Fail:
		return Pass
	}
	return Miss
}

// Proxies answers questions about the run time's proxies and servers.
type Proxies interface {
	// NbSrv is the number of usable servers of backend be.
	NbSrv(be string) int
	// BeConn is the number of sessions on backend be.
	BeConn(be string) int
	// FeConn is the number of sessions on frontend fe.
	FeConn(fe string) int
	// SrvIsUp says whether server srv of backend be is up.
	SrvIsUp(be, srv string) bool
}

// Context is what a connection offers to sample fetches.
type Context struct {
	Src, Dst netip.AddrPort
	Frontend string
	Backend  string // the current backend (the frontend before switching)
	Payload  []byte // the client's data received so far
	// Final: no more data will be waited for (delay expired, buffer full,
	// client closed, or no inspection at all).
	Final bool
	// BufSize is the most the request buffer holds (tune.bufsize).
	BufSize int
	Proxies Proxies
	// Req is the parsed HTTP request (HTTP mode), its fields indexing
	// ReqBuf; nil in TCP mode, where HTTP fetches find nothing.
	Req    *h1.Message
	ReqBuf []byte
	// TLS is what the client connection's TLS handshake established; nil
	// on a connection without TLS.
	TLS *TLSInfo
}

// TLSInfo describes a TLS client connection for the ssl_fc* and ssl_c*
// fetches, with haproxy's names for versions and ciphers.
type TLSInfo struct {
	Protocol string // "TLSv1.2", "TLSv1.3"
	Cipher   string // OpenSSL name
	SNI      string // "" when the client sent none
	ALPN     string // "" when none was negotiated
	// ClientCert: the client presented a certificate; Verify is the
	// verification result (0: X509_V_OK).
	ClientCert bool
	Verify     int
	// ClientDN is the client certificate's subject as attribute short
	// name / value pairs, in order.
	ClientDN [][2]string
	// Resumed: the session was resumed (ticket or PSK).
	Resumed bool
}

// Cond is a compiled if/unless condition.
type Cond struct {
	Unless bool
	terms  [][]term
	Pos    haproxycfg.Pos
}

type term struct {
	neg   bool
	exprs []*Expr // an ACL name ORs all its lines
}

// Eval evaluates the condition's ACLs (before if/unless is applied).
func (c *Cond) Eval(ctx *Context) Result {
	res := Fail
	for _, suite := range c.terms {
		sres := Pass
		for _, t := range suite {
			r := Fail
			for _, e := range t.exprs {
				r |= e.Eval(ctx)
				if r == Pass {
					break
				}
			}
			if t.neg {
				r = r.neg()
			}
			sres &= r
			if sres == Fail {
				break
			}
		}
		res |= sres
		if res == Pass {
			break
		}
	}
	return res
}

// Match applies if/unless to a decided result: true when the rule applies.
// A nil condition always applies.
func (c *Cond) Match(ctx *Context) (applies, decided bool) {
	if c == nil {
		return true, true
	}
	r := c.Eval(ctx)
	if r == Miss {
		return false, false
	}
	return (r == Pass) != c.Unless, true
}

// NeedsContent says whether the condition fetches request contents.
func (c *Cond) NeedsContent() bool {
	if c == nil {
		return false
	}
	for _, s := range c.terms {
		for _, t := range s {
			for _, e := range t.exprs {
				if e.f.content {
					return true
				}
			}
		}
	}
	return false
}

// Unsupported says a fetch, converter, match or ACL cannot be served yet.
type Unsupported struct{ What string }

func (u *Unsupported) Error() string { return u.What }

// predefined are haproxy's built-in ACLs that make sense at layer 4.
var predefined = map[string][]string{
	"TRUE":        {"always_true"},
	"FALSE":       {"always_false"},
	"LOCALHOST":   {"src", "127.0.0.1/8", "::1"},
	"REQ_CONTENT": {"req.len", "gt", "0"},
	"WAIT_END":    {"wait_end"},
}

// Compiler compiles conditions of one proxy.
type Compiler struct {
	// Proxy is the section whose ACLs the condition names; its name is
	// the default of the backend and frontend arguments.
	Proxy *haproxycfg.Proxy
	// ReadFile reads a pattern file (-f); os.ReadFile when nil.
	ReadFile func(string) ([]byte, error)
	named    map[string][]*Expr
}

// Compile compiles cond.
func (cp *Compiler) Compile(cond *haproxycfg.Cond) (*Cond, error) {
	if cond == nil {
		return nil, nil
	}
	c := &Cond{Unless: cond.Unless, Pos: cond.Pos}
	for _, suite := range cond.Terms {
		var ts []term
		for _, ct := range suite {
			t := term{neg: ct.Negate}
			if ct.Anon != nil {
				e, err := cp.compileExpr(ct.Anon)
				if err != nil {
					return nil, err
				}
				t.exprs = []*Expr{e}
			} else {
				es, err := cp.lookup(ct.Name)
				if err != nil {
					return nil, err
				}
				t.exprs = es
			}
			ts = append(ts, t)
		}
		c.terms = append(c.terms, ts)
	}
	return c, nil
}

func (cp *Compiler) lookup(name string) ([]*Expr, error) {
	if es, ok := cp.named[name]; ok {
		return es, nil
	}
	var es []*Expr
	if cp.Proxy != nil {
		for _, a := range cp.Proxy.ACLs {
			if a.Name != name {
				continue
			}
			e, err := cp.compileExpr(a.Expr)
			if err != nil {
				return nil, err
			}
			es = append(es, e)
		}
	}
	if es == nil {
		words, ok := predefined[name]
		if !ok {
			return nil, &Unsupported{fmt.Sprintf("ACL '%s'", name)}
		}
		e, err := cp.compileExpr(&haproxycfg.ACLExpr{Fetch: words[0], Patterns: words[1:]})
		if err != nil {
			return nil, err
		}
		es = []*Expr{e}
	}
	if cp.named == nil {
		cp.named = map[string][]*Expr{}
	}
	cp.named[name] = es
	return es, nil
}

// NeedsHTTP says whether the condition fetches parts of an HTTP request,
// which only HTTP mode proxies parse.
func (c *Cond) NeedsHTTP() bool {
	if c == nil {
		return false
	}
	for _, s := range c.terms {
		for _, t := range s {
			for _, e := range t.exprs {
				if e.f.http {
					return true
				}
			}
		}
	}
	return false
}
