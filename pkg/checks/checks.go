// Package checks implements health probes (TCP, TCP send/expect sequences,
// HTTP/HTTPS, TLS hello, external programs, SMTP, DNS) and a scheduler that
// runs them with rise/fall counting.
//
// It knows nothing of haproxy or keepalived configuration: callers translate
// their configuration into probe specs and scheduler Checks, and consume the
// state-change Events. Suggested translations:
//
//	haproxy                        Check / probe
//	inter, fastinter, downinter    Intervals
//	rise, fall                     Rise, Fall (initial state Up, as 2.6)
//	timeout check (or inter)       Timeout
//	spread-checks                  Spread
//	source, addr, port             Target.Source, Target.Addr
//	option tcp-check / tcp-check   TCPSequence
//	option httpchk, http-check     HTTP (expect !... = Negate*)
//	http-check disable-on-404      HTTP.DisableOn404 (L7OKC)
//	check-ssl                      HTTP.TLS / TLSHello, check-sni = ServerName
//	option smtpchk                 SMTP
//	option external-check          Exec
//
//	keepalived                     Check / probe
//	delay_loop                     Intervals.Inter (Rise = Fall = 1)
//	connect_timeout                Timeout
//	retry, delay_before_retry      Retry, DelayBeforeRetry
//	alpha                          Initial = Down
//	warmup                         Warmup (default delay_loop)
//	bindto, bind_port              Target.Source
//	TCP_CHECK                      TCPConnect
//	HTTP_GET / SSL_GET             HTTP (status_code default 200-299,
//	                               digest, regex, regex_no_match,
//	                               virtualhost = Host, enable_sni)
//	MISC_CHECK                     Exec (misc_timeout, misc_dynamic)
//	SMTP_CHECK                     SMTP (helo_name)
//	DNS_CHECK                      DNS (type, name)
package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// Status is one of haproxy's check status codes.
type Status string

// The check status codes, with the texts haproxy reports for them.
const (
	StatusUNK      Status = "UNK"
	StatusINI      Status = "INI"
	StatusSOCKERR  Status = "SOCKERR"
	StatusL4OK     Status = "L4OK"
	StatusL4TOUT   Status = "L4TOUT"
	StatusL4CON    Status = "L4CON"
	StatusL6OK     Status = "L6OK"
	StatusL6TOUT   Status = "L6TOUT"
	StatusL6RSP    Status = "L6RSP"
	StatusL7TOUT   Status = "L7TOUT"
	StatusL7RSP    Status = "L7RSP"
	StatusL7OK     Status = "L7OK"
	StatusL7OKC    Status = "L7OKC"
	StatusL7STS    Status = "L7STS"
	StatusPROCERR  Status = "PROCERR"
	StatusPROCTOUT Status = "PROCTOUT"
	StatusPROCOK   Status = "PROCOK"
)

var statusText = map[Status]string{
	StatusUNK:      "Unknown",
	StatusINI:      "Initializing",
	StatusSOCKERR:  "Socket error",
	StatusL4OK:     "Layer4 check passed",
	StatusL4TOUT:   "Layer4 timeout",
	StatusL4CON:    "Layer4 connection problem",
	StatusL6OK:     "Layer6 check passed",
	StatusL6TOUT:   "Layer6 timeout",
	StatusL6RSP:    "Layer6 invalid response",
	StatusL7TOUT:   "Layer7 timeout",
	StatusL7RSP:    "Layer7 invalid response",
	StatusL7OK:     "Layer7 check passed",
	StatusL7OKC:    "Layer7 check conditionally passed",
	StatusL7STS:    "Layer7 wrong status",
	StatusPROCERR:  "External check error",
	StatusPROCTOUT: "External check timeout",
	StatusPROCOK:   "External check passed",
}

// Text returns haproxy's description of the status ("Layer4 timeout").
func (s Status) Text() string {
	if t, ok := statusText[s]; ok {
		return t
	}
	return statusText[StatusUNK]
}

// Result is the outcome of one probe run.
type Result struct {
	OK     bool
	Status Status
	// Code is the layer 7 status (HTTP status, SMTP reply code, DNS rcode)
	// or the exit code of an external program; 0 when not applicable.
	Code int
	// Reason is haproxy's text for Status.
	Reason string
	// Info is a short detail (error text, unexpected data), may be empty.
	Info string
	// Weight is the dynamic weight reported by an Exec probe with
	// MiscDynamic (keepalived's exit codes 2..255); -1 when unchanged.
	Weight   int
	Duration time.Duration
}

func (r Result) String() string {
	s := string(r.Status) + " " + r.Reason
	if r.Code != 0 {
		s += " code=" + strconv.Itoa(r.Code)
	}
	if r.Info != "" {
		s += ": " + r.Info
	}
	return s
}

func result(ok bool, st Status, code int, info string) Result {
	return Result{OK: ok, Status: st, Code: code, Reason: st.Text(), Info: info, Weight: -1}
}

// Target is the address a probe runs against.
type Target struct {
	// Addr is host:port.
	Addr string
	// Source optionally overrides the local address: "ip", "ip:port" or
	// ":port".
	Source string
}

// Probe is a health check.
type Probe interface {
	// Run runs the check once. The context carries the check timeout.
	Run(ctx context.Context, t Target) Result
}

// ProbeFunc adapts a function to Probe.
type ProbeFunc func(ctx context.Context, t Target) Result

// Run calls f.
func (f ProbeFunc) Run(ctx context.Context, t Target) Result { return f(ctx, t) }

func localAddr(network, src string) (net.Addr, error) {
	if src == "" {
		return nil, nil
	}
	host, port := src, "0"
	if h, p, err := net.SplitHostPort(src); err == nil {
		host, port = h, p
	}
	pn, err := strconv.Atoi(port)
	if err != nil || pn < 0 || pn > 65535 {
		return nil, fmt.Errorf("invalid source port %q", port)
	}
	var ip net.IP
	if host != "" {
		if ip = net.ParseIP(host); ip == nil {
			return nil, fmt.Errorf("invalid source address %q", host)
		}
	}
	if network == "udp" {
		return &net.UDPAddr{IP: ip, Port: pn}, nil
	}
	return &net.TCPAddr{IP: ip, Port: pn}, nil
}

// dial connects to the target, honouring the source override and the
// context deadline, and sets the connection deadline from the context.
// On failure it returns the layer 4 Result to report.
func dial(ctx context.Context, network string, t Target) (net.Conn, *Result) {
	la, err := localAddr(network, t.Source)
	if err != nil {
		r := result(false, StatusSOCKERR, 0, err.Error())
		return nil, &r
	}
	// No TCP keep-alive: a check connection lives for one probe, and the
	// three setsockopt calls cost ~7% of a TCP connect check's CPU.
	d := net.Dialer{LocalAddr: la, KeepAlive: -1}
	c, err := d.DialContext(ctx, network, t.Addr)
	if err != nil {
		st := StatusL4CON
		if isTimeout(ctx, err) {
			st = StatusL4TOUT
		}
		r := result(false, st, 0, err.Error())
		return nil, &r
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	// Close the connection early if the context is cancelled.
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	return &ctxConn{Conn: c, stop: stop}, nil
}

type ctxConn struct {
	net.Conn
	stop func() bool
}

func (c *ctxConn) Close() error {
	c.stop()
	return c.Conn.Close()
}

func isTimeout(ctx context.Context, err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return ctx.Err() != nil
}

// timed runs f and fills in Duration.
func timed(f func() Result) Result {
	start := time.Now()
	r := f()
	r.Duration = time.Since(start)
	if r.Reason == "" {
		r.Reason = r.Status.Text()
	}
	return r
}
