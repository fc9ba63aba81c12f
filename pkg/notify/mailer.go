package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"
)

// MailerConfig configures a Mailer. Keepalived's global_defs map to
//
//	notification_email { a b }     To
//	notification_email_from        From (keepalived's default:
//	                               "keepalived@" + local host name)
//	smtp_server HOST [PORT]        Servers (one; port 25 by default)
//	smtp_helo_name                 HeloName (default: local host name)
//	smtp_connect_timeout           Timeout (default 30 s)
//
// and haproxy's mailers section and email-alert keywords to
//
//	mailer NAME ADDR:PORT          Servers (the mail goes to each one)
//	timeout mail                   Timeout (haproxy's default 10 s)
//	email-alert from / to          From / To
//	email-alert myhostname         HeloName (default: host name)
//
// with Style HAProxy.
type MailerConfig struct {
	Style Style
	// Servers are host:port addresses; every mail is delivered to each.
	Servers  []string
	HeloName string
	From     string
	To       []string
	// Timeout bounds one delivery attempt (connect and dialogue); 0 means
	// 30 s for Keepalived and 10 s for HAProxy.
	Timeout time.Duration
	// Retries is how many times a failed delivery is tried again (default
	// 2; negative: never); Backoff the first wait between attempts
	// (default 1 s), doubled each time.
	Retries int
	Backoff time.Duration
	// QueueSize bounds the mails waiting for delivery (default 64); when
	// the queue is full, Send drops the mail and logs it.
	QueueSize int
	// Logger receives every success and failure (default: no logging).
	Logger *zap.Logger
	// Now and Location give the Date header (defaults: time.Now, Local).
	Now      func() time.Time
	Location *time.Location
	// Dial opens the connection to a server (default net.Dialer).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Default timeouts of the originals.
const (
	KeepalivedTimeout = 30 * time.Second
	HAProxyTimeout    = 10 * time.Second
)

// Errors of the Mailer.
var (
	ErrQueueFull = errors.New("notify: mail queue full")
	ErrClosed    = errors.New("notify: mailer closed")
	ErrNoServer  = errors.New("notify: no SMTP server configured (keepalived: smtp_server; haproxy: a mailer in the mailers section)")
	ErrNoRcpt    = errors.New("notify: no recipient configured (keepalived: notification_email; haproxy: email-alert to)")
)

// Mailer sends mails asynchronously: Send queues, a worker goroutine
// owned by the context given to NewMailer delivers.
type Mailer struct {
	cfg    MailerConfig
	log    *zap.Logger
	queue  chan job
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.RWMutex
	closed bool
}

type job struct {
	server string
	mail   Mail
	at     time.Time
}

// NewMailer validates cfg and starts the delivery worker, which lives
// until ctx ends or Close is called.
func NewMailer(ctx context.Context, cfg MailerConfig) (*Mailer, error) {
	if len(cfg.Servers) == 0 {
		return nil, ErrNoServer
	}
	if len(cfg.To) == 0 {
		return nil, ErrNoRcpt
	}
	for _, s := range cfg.Servers {
		if _, _, err := net.SplitHostPort(s); err != nil {
			return nil, fmt.Errorf("notify: SMTP server %q: want host:port: %w", s, err)
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = KeepalivedTimeout
		if cfg.Style == HAProxy {
			cfg.Timeout = HAProxyTimeout
		}
	}
	if cfg.Retries == 0 {
		cfg.Retries = 2
	} else if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 64
	}
	if cfg.HeloName == "" {
		cfg.HeloName = Hostname()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Dial == nil {
		var d net.Dialer
		cfg.Dial = d.DialContext
	}
	log := cfg.Logger
	if log == nil {
		log = zap.NewNop()
	}
	ctx, cancel := context.WithCancel(ctx)
	m := &Mailer{
		cfg:    cfg,
		log:    log.With(zap.String("style", cfg.Style.String())),
		queue:  make(chan job, cfg.QueueSize),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	go m.work()
	return m, nil
}

// Hostname is the local host name, "localhost" when it cannot be read
// (keepalived's fallback for smtp_helo_name).
func Hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	return h
}

// Send queues mail for every server and returns at once. It returns
// ErrQueueFull or ErrClosed (and logs the drop) when the mail cannot be
// queued.
func (m *Mailer) Send(mail Mail) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	at := m.cfg.Now()
	var err error
	for _, s := range m.cfg.Servers {
		if m.closed || m.ctx.Err() != nil {
			m.log.Error("SMTP alert dropped: the mailer is shut down",
				zap.String("server", s), zap.String("subject", mail.Subject))
			err = ErrClosed
			continue
		}
		select {
		case m.queue <- job{server: s, mail: mail, at: at}:
		default:
			m.log.Error("SMTP alert dropped: mail queue full (mails are queued faster than the SMTP server accepts them; check the server or raise the queue size)",
				zap.String("server", s), zap.String("subject", mail.Subject), zap.Int("queue_size", cap(m.queue)))
			err = ErrQueueFull
		}
	}
	return err
}

// Close stops accepting mails and delivers what is queued until ctx ends;
// mails still queued then are logged as dropped. It returns ctx.Err() if
// the queue was not drained.
func (m *Mailer) Close(ctx context.Context) error {
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		close(m.queue)
	}
	m.mu.Unlock()
	select {
	case <-m.done:
		m.cancel()
		return nil
	case <-ctx.Done():
		m.cancel()
		<-m.done
		return ctx.Err()
	}
}

func (m *Mailer) work() {
	defer close(m.done)
	for {
		select {
		case j, ok := <-m.queue:
			if !ok {
				return
			}
			if m.ctx.Err() != nil {
				m.dropRest(j)
				return
			}
			m.deliverWithRetries(j)
		case <-m.ctx.Done():
			m.dropRest()
			return
		}
	}
}

// dropRest logs every mail still queued once the worker must stop.
func (m *Mailer) dropRest(first ...job) {
	drop := func(j job) {
		m.log.Error("SMTP alert dropped: shutting down before it could be sent",
			zap.String("server", j.server), zap.String("subject", j.mail.Subject))
	}
	for _, j := range first {
		drop(j)
	}
	for {
		select {
		case j, ok := <-m.queue:
			if !ok {
				return
			}
			drop(j)
		default:
			return
		}
	}
}

func (m *Mailer) deliverWithRetries(j job) {
	backoff := m.cfg.Backoff
	attempts := m.cfg.Retries + 1
	for i := 1; ; i++ {
		err := m.deliver(j)
		if err == nil {
			m.log.Info("SMTP alert successfully sent.",
				zap.String("server", j.server), zap.String("subject", j.mail.Subject), zap.Int("attempt", i))
			return
		}
		if m.ctx.Err() != nil {
			m.log.Error("SMTP alert dropped: shutting down while it was being sent",
				zap.String("server", j.server), zap.String("subject", j.mail.Subject), zap.Error(err))
			return
		}
		if i >= attempts {
			m.log.Error("SMTP alert lost: every attempt failed (check smtp_server / the mailers section and that the server accepts mail from this host)",
				zap.String("server", j.server), zap.String("subject", j.mail.Subject),
				zap.Int("attempts", i), zap.Error(err))
			return
		}
		m.log.Warn("SMTP alert not sent, will retry",
			zap.String("server", j.server), zap.String("subject", j.mail.Subject),
			zap.Int("attempt", i), zap.Duration("retry_in", backoff), zap.Error(err))
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-m.ctx.Done():
			t.Stop()
			m.log.Error("SMTP alert dropped: shutting down before it could be retried",
				zap.String("server", j.server), zap.String("subject", j.mail.Subject), zap.Error(err))
			return
		}
		backoff *= 2
	}
}

// SMTPError is a failed step of an SMTP dialogue.
type SMTPError struct {
	Server string
	// Step is the command that failed ("connect", "HELO", "EHLO", "MAIL",
	// "RCPT", "DATA", "DOT"), Code the server's reply code (0 for network
	// errors), Err the network error if any.
	Step string
	Code int
	Line string
	Err  error
}

func (e *SMTPError) Error() string {
	host := smtpHost(e.Server)
	switch {
	case e.Step == "connect" && e.Err != nil && isTimeout(e.Err):
		return "Timeout connecting SMTP server " + host + "."
	case e.Step == "connect" && e.Err != nil:
		return "SMTP connection ERROR to " + host + ": " + e.Err.Error()
	case e.Step == "connect":
		return "Error connecting SMTP server " + host + ". SMTP status code = " + strconv.Itoa(e.Code)
	case e.Err != nil && isTimeout(e.Err):
		return "Timeout during " + e.Step + " cmd on SMTP server " + host + "."
	case e.Err != nil:
		return "Error processing " + e.Step + " cmd on SMTP server " + host + ": " + e.Err.Error()
	}
	return "Error processing " + e.Step + " cmd on SMTP server " + host + ". SMTP status code = " + strconv.Itoa(e.Code) + " (" + e.Line + ")"
}

func (e *SMTPError) Unwrap() error { return e.Err }

// smtpHost formats host:port as keepalived logs it: "[127.0.0.1]:25".
func smtpHost(addr string) string {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return "[" + h + "]:" + p
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// deliver runs one SMTP dialogue for j, bounded by the attempt timeout.
func (m *Mailer) deliver(j job) error {
	ctx, cancel := context.WithTimeout(m.ctx, m.cfg.Timeout)
	defer cancel()
	conn, err := m.cfg.Dial(ctx, "tcp", j.server)
	if err != nil {
		return &SMTPError{Server: j.server, Step: "connect", Err: err}
	}
	defer conn.Close()
	dl, _ := ctx.Deadline()
	conn.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	m.log.Debug("Remote SMTP server connected.", zap.String("server", smtpHost(j.server)))
	data := Render(m.cfg.Style, j.at.In(m.cfg.Location), m.cfg.From, m.cfg.To, j.mail)
	return dialogue(conn, j.server, m.cfg.Style, m.cfg.HeloName, m.cfg.From, m.cfg.To, data)
}
