// Package healthcheck turns haproxy 2.6 server check settings ("check",
// "option httpchk", "http-check", "option tcp-check", "tcp-check", the
// protocol checks, inter/fastinter/downinter/rise/fall, port/addr) into
// pkg/checks probes and scheduler checks, and runs them the way haproxy
// does: a check is a list of rules (connect, send, expect) and its result
// carries haproxy's status, code and info text, so that the proxy can log
// state changes with haproxy's exact words.
package healthcheck

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gohaproxy/gohaproxy/pkg/checks"
)

// Kind is the family of a ruleset; it decides haproxy's info texts.
type Kind int

// Rulesets kinds.
const (
	// KindPlain is "check" alone: a connection (and TLS handshake with
	// check-ssl).
	KindPlain Kind = iota
	// KindTCPCheck is "option tcp-check": failures name the step.
	KindTCPCheck
	// KindHTTP is "option httpchk".
	KindHTTP
	// KindProto is a protocol check (ssl-hello-chk, redis-check,
	// smtpchk...): no step in the texts.
	KindProto
)

type action int

const (
	actConnect action = iota
	actSend
	actExpect
	actHTTPSend
	actHTTPExpect
)

type expectKind int

const (
	expString expectKind = iota
	expRegex
	expBinary
	expBinaryRegex
	expCustom
)

// httpExpectKind selects what an HTTP expect rule looks at.
type httpExpectKind int

const (
	httpStatus httpExpectKind = iota
	httpStatusRegex
	httpBody
	httpBodyRegex
	httpHeader
)

// customFunc judges the data received so far; eof says that no more will
// come. It returns done=false to wait for more data.
type customFunc func(buf []byte, eof bool) (done bool, st checks.Status, code int, info string)

// Rule is one step of a check.
type Rule struct {
	act      action
	implicit bool // the connect haproxy adds before a ruleset without one
	index    int  // 0-based index among the configured rules
	// comment is the rule's "comment" option, else the text of the
	// "comment" step before it (expect steps in between are skipped), as
	// haproxy reports it when the rule fails.
	comment string

	// connect
	port int
	ssl  bool
	sni  string

	// send: data, or sendFn when the bytes change per check
	data   []byte
	sendFn func() []byte

	// expect
	exp     expectKind
	pattern string
	bin     []byte
	re      *regexp.Regexp
	negate  bool
	custom  customFunc
	okSt    checks.Status // status on success of a protocol expect (default L7OK)
	errSt   checks.Status // status on failure (default L7RSP)
	toutSt  checks.Status // status on timeout (default L7TOUT)
	minRecv int
	// onErr and onOK make the info of a failed or passed expect from the
	// data received (the protocol checks' texts); statusCode reads the
	// code from it (SMTP).
	onErr, onOK func(buf []byte) string
	statusCode  func(buf []byte) int
	// lfOK and lfErr are the on-success/on-error log-format strings of
	// http-check and tcp-check expect rules; codeExpr their status-code.
	lfOK, lfErr logFormat
	codeExpr    sampleExpr

	// HTTP send
	meth, uri, ver string
	hdrs           [][2]string
	body           string

	// HTTP expect
	hexp  httpExpectKind
	codes [][2]int
	// hdr/fhdr expect: name and value patterns with their "-m" methods
	// (regular expressions for "-m reg", log-format strings for name-lf
	// and value-lf)
	hdrName, hdrNameM, hdrVal, hdrValM string
	hdrHasVal, hdrFull                 bool
	hdrNameRe, hdrValRe                *regexp.Regexp
	hdrNameLF, hdrValLF                logFormat
	// string-lf
	bodyLF logFormat
}

// ruleCode is the code a finished expect rule reports: its status-code
// expression converted to an integer when it yields one, else code.
func (r *run) ruleCode(rule *Rule, code int) int {
	if rule.codeExpr == nil {
		return code
	}
	v := rule.codeExpr(r)
	if !v.found {
		return code
	}
	if n, ok := v.toInt(); ok {
		return int(n)
	}
	return code
}

// Probe runs a ruleset against a server. It implements checks.Probe.
type Probe struct {
	Kind  Kind
	Rules []Rule
	// SSL: the implicit connection uses TLS (check-ssl); SNI is check-sni.
	SSL bool
	SNI string
	// TLSBase, when set, is the server's own TLS configuration ("ssl"
	// with its crt, alpn, versions and ciphers), which check-ssl reuses
	// as haproxy does; the verification stays the probe's.
	TLSBase *tls.Config
	// Verify checks the server certificate chain against RootCAs (the
	// server's ca-file) as haproxy's "verify required" does; VerifyHost
	// also checks the name (verifyhost, or the SNI).
	Verify     bool
	RootCAs    *x509.CertPool
	VerifyHost string
	// ConnectTimeout bounds the connection when "timeout check" is set
	// (haproxy then uses min(timeout connect, inter)); ReadTimeout is
	// "timeout check" counted from the connection. Both zero: the whole
	// check is bounded by the scheduler's context (inter).
	ConnectTimeout, ReadTimeout time.Duration
	// BufSize is tune.bufsize: how much of a response is looked at.
	BufSize int
	// Disable404, when set ("http-check disable-on-404"), says whether a
	// 404 answer passes conditionally (L7OKC, the server then stops
	// taking new traffic): haproxy does so while the server is not down.
	Disable404 func() bool
	// CondPass says that an expect rule may pass conditionally (its
	// ok-status or error-status is L7OKC): the server then stops taking
	// new traffic (haproxy's NOLB state), as with disable-on-404.
	CondPass bool
}

// run is one execution of a probe.
type run struct {
	p     *Probe
	ctx   context.Context
	t     checks.Target
	conn  net.Conn
	isTLS bool
	buf   []byte
	eof   bool
	cur   *Rule
	// code of an HTTP response (reported on success)
	code int
	// http response parsed once per check
	resp *httpResp
	// okInfo is the info a protocol check reports on success
	okInfo string
	// deadline of the connection
	deadline time.Time
	// got404 says that an HTTP expect let a 404 through (disable-on-404)
	got404 bool
}

func res(ok bool, st checks.Status, code int, info string) checks.Result {
	if st == checks.StatusL7OKC {
		// conditionally passed (an ok-status or error-status L7OKC)
		ok = true
	}
	return checks.Result{OK: ok, Status: st, Code: code, Reason: st.Text(), Info: info, Weight: -1}
}

// Run implements checks.Probe.
func (p *Probe) Run(ctx context.Context, t checks.Target) checks.Result {
	start := time.Now()
	r := &run{p: p, ctx: ctx, t: t}
	out := r.exec()
	if r.conn != nil {
		r.conn.Close()
	}
	out.Duration = time.Since(start)
	return out
}

func (r *run) exec() checks.Result {
	rules := r.p.Rules
	if len(rules) == 0 || rules[0].act != actConnect {
		rules = append([]Rule{{act: actConnect, implicit: true, ssl: r.p.SSL, sni: r.p.SNI}}, rules...)
	}
	var last *Rule
	for i := range rules {
		rule := &rules[i]
		r.cur = rule
		last = rule
		var out *checks.Result
		switch rule.act {
		case actConnect:
			out = r.connect(rule)
		case actSend:
			data := rule.data
			if rule.sendFn != nil {
				data = rule.sendFn()
			}
			out = r.send(data)
		case actHTTPSend:
			out = r.send(rule.httpRequest())
		case actExpect:
			out = r.expect(rule)
		case actHTTPExpect:
			out = r.httpExpect(rule)
		}
		if out != nil {
			return *out
		}
	}
	switch last.act {
	case actConnect:
		st := checks.StatusL4OK
		if r.isTLS {
			st = checks.StatusL6OK
		}
		info := ""
		if !last.implicit && r.p.Kind == KindTCPCheck {
			info = "(tcp-check)"
		}
		return res(true, st, 0, info)
	case actHTTPExpect:
		if r.got404 && r.code == 404 {
			return res(true, checks.StatusL7OKC, 404, "")
		}
		st, info := last.okSt, ""
		if st == "" {
			st = checks.StatusL7OK
		}
		if last.onOK != nil {
			info = last.onOK(nil)
		}
		if last.lfOK != nil {
			info = last.lfOK(r)
		}
		return res(true, st, r.ruleCode(last, r.code), info)
	case actExpect:
		st := last.okSt
		if st == "" {
			st = checks.StatusL7OK
		}
		info := r.okInfo
		if last.lfOK != nil {
			info = last.lfOK(r)
		} else if r.p.Kind == KindTCPCheck {
			info = "(tcp-check)"
		}
		return res(true, st, r.ruleCode(last, r.code), info)
	default:
		info := r.okInfo
		if r.p.Kind == KindTCPCheck {
			info = "(tcp-check)"
		}
		return res(true, checks.StatusL7OK, r.code, info)
	}
}

// step is haproxy's step id of the current rule: 0 for the implicit
// connect, else its position among the configured rules.
func (r *run) step() int {
	if r.cur == nil || r.cur.implicit {
		return 0
	}
	return r.cur.index + 1
}

// where is the " at step N of tcp-check (...)" suffix haproxy adds to
// connection errors and timeouts of "option tcp-check" rulesets.
func (r *run) where() string {
	if r.p.Kind != KindTCPCheck {
		return ""
	}
	s := r.step()
	if s == 0 {
		return " at initial connection step of tcp-check"
	}
	out := fmt.Sprintf(" at step %d of tcp-check", s)
	switch r.cur.act {
	case actConnect:
		if r.cur.port != 0 {
			out += fmt.Sprintf(" (connect port %d)", r.cur.port)
		} else {
			out += " (connect)"
		}
	case actExpect:
		switch r.cur.exp {
		case expString:
			out += fmt.Sprintf(" (expect string '%s')", r.cur.pattern)
		case expBinary:
			out += fmt.Sprintf(" (expect binary '%s')", r.cur.pattern)
		case expRegex:
			out += " (expect regex)"
		case expBinaryRegex:
			out += " (expect binary regex)"
		}
	case actSend:
		out += " (send)"
	}
	if r.cur.comment != "" {
		out += " comment: '" + r.cur.comment + "'"
	}
	return out
}

// errnoText is strerror(errno) of a socket error, as haproxy prints it.
func errnoText(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		s := en.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return ""
}

func (r *run) timedOut(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return r.ctx.Err() != nil
}

func (r *run) fail(st checks.Status, info string) *checks.Result {
	out := res(false, st, 0, info)
	return &out
}

func (r *run) connect(rule *Rule) *checks.Result {
	if r.conn != nil {
		r.conn.Close()
		r.conn, r.isTLS = nil, false
	}
	r.buf, r.eof = r.buf[:0], false
	addr := r.t.Addr
	if rule.port != 0 {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return r.fail(checks.StatusSOCKERR, err.Error())
		}
		addr = net.JoinHostPort(host, strconv.Itoa(rule.port))
	}
	dctx := r.ctx
	if r.p.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(r.ctx, r.p.ConnectTimeout)
		defer cancel()
	}
	var d net.Dialer
	c, err := d.DialContext(dctx, "tcp", addr)
	if err != nil {
		if r.timedOut(err) || dctx.Err() != nil {
			return r.fail(checks.StatusL4TOUT, r.where())
		}
		msg := errnoText(err)
		if msg == "" {
			msg = err.Error()
		}
		return r.fail(checks.StatusL4CON, msg+r.where())
	}
	r.deadline = time.Time{}
	if dl, ok := r.ctx.Deadline(); ok {
		r.deadline = dl
	}
	if r.p.ReadTimeout > 0 {
		dl := time.Now().Add(r.p.ReadTimeout)
		if r.deadline.IsZero() || dl.Before(r.deadline) {
			r.deadline = dl
		}
	}
	c.SetDeadline(r.deadline)
	r.conn = c
	if rule.ssl {
		cfg := &tls.Config{InsecureSkipVerify: true, ServerName: rule.sni}
		if r.p.TLSBase != nil {
			cfg = r.p.TLSBase.Clone()
			cfg.ServerName, cfg.InsecureSkipVerify, cfg.VerifyConnection = rule.sni, true, nil
		}
		if r.p.Verify {
			cfg.VerifyPeerCertificate = r.p.verifyChain
		}
		tc := tls.Client(c, cfg)
		if err := tc.HandshakeContext(r.ctx); err != nil {
			if r.timedOut(err) {
				return r.fail(checks.StatusL6TOUT, r.where())
			}
			return r.fail(checks.StatusL6RSP, "SSL handshake failure"+r.where())
		}
		r.conn, r.isTLS = tc, true
	}
	return nil
}

func (r *run) send(data []byte) *checks.Result {
	if r.conn == nil {
		return r.fail(checks.StatusSOCKERR, "")
	}
	// haproxy reads each answer afresh after sending; an end of stream
	// already seen stays
	r.buf = r.buf[:0]
	r.resp = nil
	if _, err := r.conn.Write(data); err != nil {
		if r.timedOut(err) {
			return r.fail(checks.StatusL7TOUT, r.where())
		}
		msg := errnoText(err)
		return r.fail(checks.StatusSOCKERR, msg+r.where())
	}
	return nil
}

func (r *run) bufSize() int {
	if r.p.BufSize > 0 {
		return r.p.BufSize
	}
	return 16384
}

// more reads more data into buf. It returns a failure result on timeout or
// socket error; at end of stream it sets eof and returns nil.
func (r *run) more(toutSt checks.Status) *checks.Result {
	if r.eof {
		return nil
	}
	room := r.bufSize() - len(r.buf)
	if room <= 0 {
		r.eof = true
		return nil
	}
	tmp := make([]byte, min(room, 4096))
	n, err := r.conn.Read(tmp)
	r.buf = append(r.buf, tmp[:n]...)
	if err != nil {
		if errors.Is(err, io.EOF) {
			r.eof = true
			return nil
		}
		if r.timedOut(err) {
			return r.fail(toutSt, r.where())
		}
		if n > 0 {
			r.eof = true
			return nil
		}
		msg := errnoText(err)
		if msg == "" {
			r.eof = true
			return nil
		}
		return r.fail(checks.StatusSOCKERR, msg+r.where())
	}
	if len(r.buf) >= r.bufSize() {
		r.eof = true
		return nil
	}
	r.drain()
	return nil
}

// drain reads what is already there, as haproxy reads until the socket
// would block, so that an end of stream sent with the data is seen with it.
func (r *run) drain() {
	tmp := make([]byte, 4096)
	for len(r.buf) < r.bufSize() {
		r.conn.SetReadDeadline(time.Now().Add(time.Millisecond))
		n, err := r.conn.Read(tmp[:min(len(tmp), r.bufSize()-len(r.buf))])
		r.buf = append(r.buf, tmp[:n]...)
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				r.eof = true
			}
			break
		}
	}
	r.conn.SetReadDeadline(r.deadline)
}

func (rule *Rule) match(buf []byte) bool {
	switch rule.exp {
	case expRegex:
		return rule.re.Match(buf)
	case expBinary:
		return bytes.Contains(buf, rule.bin)
	case expBinaryRegex:
		// rbinary matches the hexadecimal dump of the data
		return rule.re.MatchString(hexUpper(buf))
	default:
		return bytes.Contains(buf, []byte(rule.pattern))
	}
}

func (r *run) expect(rule *Rule) *checks.Result {
	if r.conn == nil {
		return r.fail(checks.StatusSOCKERR, "")
	}
	tout := rule.toutSt
	if tout == "" {
		tout = checks.StatusL7TOUT
	}
	errSt := rule.errSt
	if errSt == "" {
		errSt = checks.StatusL7RSP
	}
	for {
		if r.eof && len(r.buf) == 0 {
			info := fmt.Sprintf("TCPCHK got an empty response at step %d", r.step())
			if rule.comment != "" {
				info += " comment: '" + rule.comment + "'"
			}
			return r.fail(errSt, info)
		}
		if rule.exp == expCustom {
			if len(r.buf) == 0 {
				// nothing to judge yet
			} else if done, st, code, info := rule.custom(r.buf, r.eof); done {
				if st == "" {
					r.code, r.okInfo = code, info
					return nil
				}
				out := res(false, st, code, info)
				return &out
			}
		} else if len(r.buf) >= max(rule.minRecv, 1) || r.eof {
			m := rule.match(r.buf)
			if m || r.eof || rule.minRecv > 0 {
				code := 0
				if rule.statusCode != nil {
					code = rule.statusCode(r.buf)
				}
				if m != rule.negate {
					r.code, r.okInfo = code, ""
					if rule.onOK != nil {
						r.okInfo = rule.onOK(r.buf)
					}
					return nil
				}
				info := r.expectInfo(rule, m)
				if rule.onErr != nil {
					info = rule.onErr(r.buf)
				}
				if rule.lfErr != nil {
					info = rule.lfErr(r)
				}
				info = withComment(info, rule.comment)
				out := res(false, errSt, r.ruleCode(rule, code), info)
				return &out
			}
		}
		if r.eof {
			if rule.exp == expCustom {
				return r.fail(errSt, "")
			}
			continue
		}
		if f := r.more(tout); f != nil {
			return f
		}
	}
}

// expectInfo is haproxy's text for a failed expect rule.
func (r *run) expectInfo(rule *Rule, matched bool) string {
	if r.p.Kind != KindTCPCheck {
		return ""
	}
	s := "TCPCHK did not match content"
	if matched {
		s = "TCPCHK matched unwanted content"
	}
	switch rule.exp {
	case expString:
		s += fmt.Sprintf(" '%s' at step %d", rule.pattern, r.step())
	case expBinary:
		s += fmt.Sprintf(" (binary) at step %d", r.step())
	case expRegex:
		s += fmt.Sprintf(" (regex) at step %d", r.step())
	case expBinaryRegex:
		s += fmt.Sprintf(" (binary regex) at step %d", r.step())
	}
	return s
}

// verifyChain verifies the server's chain (and name when VerifyHost is
// set), without Go's default host name check.
func (p *Probe) verifyChain(raw [][]byte, _ [][]*x509.Certificate) error {
	if len(raw) == 0 {
		return errors.New("no certificate")
	}
	certs := make([]*x509.Certificate, len(raw))
	for i, b := range raw {
		c, err := x509.ParseCertificate(b)
		if err != nil {
			return err
		}
		certs[i] = c
	}
	opts := x509.VerifyOptions{Roots: p.RootCAs, Intermediates: x509.NewCertPool(), DNSName: p.VerifyHost}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	_, err := certs[0].Verify(opts)
	return err
}

// withComment appends the " comment: TEXT" haproxy adds to the info of a
// failed expect rule that has a comment.
func withComment(info, comment string) string {
	if comment == "" {
		return info
	}
	return info + " comment: " + comment
}
