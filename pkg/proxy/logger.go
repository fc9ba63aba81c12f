package proxy

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// NewLogger returns a logger that writes as haproxy writes on stderr in
// the foreground: "[WARNING]  (pid) : message" for warnings (server state
// changes among them), "[ALERT]    (pid) : message" for errors and
// "[NOTICE]   (pid) : message" for information. Fields follow the message
// as key=value.
func NewLogger(w io.Writer, pid int) *zap.Logger {
	return zap.New(&haproxyCore{w: w, pid: pid, mu: &sync.Mutex{}, level: zapcore.InfoLevel})
}

type haproxyCore struct {
	w      io.Writer
	pid    int
	mu     *sync.Mutex
	level  zapcore.Level
	fields []zapcore.Field
}

func (c *haproxyCore) Enabled(l zapcore.Level) bool { return l >= c.level }

func (c *haproxyCore) With(fs []zapcore.Field) zapcore.Core {
	n := *c
	n.fields = append(append([]zapcore.Field(nil), c.fields...), fs...)
	return &n
}

func (c *haproxyCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *haproxyCore) Write(e zapcore.Entry, fs []zapcore.Field) error {
	tag := "[NOTICE]  "
	switch {
	case e.Level >= zapcore.ErrorLevel:
		tag = "[ALERT]   "
	case e.Level == zapcore.WarnLevel:
		tag = "[WARNING] "
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%d) : %s", tag, c.pid, e.Message)
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range append(append([]zapcore.Field(nil), c.fields...), fs...) {
		f.AddTo(enc)
		fmt.Fprintf(&b, " %s=%v", f.Key, enc.Fields[f.Key])
	}
	b.WriteByte('\n')
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := io.WriteString(c.w, b.String())
	return err
}

func (c *haproxyCore) Sync() error { return nil }
