package notify

import (
	"errors"
	"strconv"
	"strings"
)

// ErrEmptyCommand is returned for a command line without words.
var ErrEmptyCommand = errors.New("notify: empty script command line")

// SplitCommand splits a notify script command line into words as
// keepalived does for notify, notify_master, ... and vrrp_script/
// MISC_CHECK commands: words are separated by blanks; 'single quotes'
// keep everything literally; "double quotes" keep blanks and honour
// backslash escapes; outside quotes a backslash escapes the next
// character. An unterminated quote is an error naming the position.
func SplitCommand(line string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool // inside a word
	)
	flush := func() {
		if in {
			words = append(words, cur.String())
			cur.Reset()
			in = false
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			flush()
		case c == '\'':
			in = true
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("notify: unterminated single quote at column " + strconv.Itoa(i+1) + " of script command " + strconv.Quote(line) + " (add the closing ')")
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			in = true
			closed := false
			for i++; i < len(line); i++ {
				if line[i] == '"' {
					closed = true
					break
				}
				if line[i] == '\\' && i+1 < len(line) {
					i++
				}
				cur.WriteByte(line[i])
			}
			if !closed {
				return nil, errors.New("notify: unterminated double quote in script command " + strconv.Quote(line) + " (add the closing \")")
			}
		case c == '\\':
			in = true
			if i+1 < len(line) {
				i++
				cur.WriteByte(line[i])
			}
		default:
			in = true
			cur.WriteByte(c)
		}
	}
	flush()
	if len(words) == 0 {
		return nil, ErrEmptyCommand
	}
	return words, nil
}

// NotifyArgs are the arguments keepalived appends to a generic "notify"
// script: TYPE ("INSTANCE" or "GROUP"), NAME, STATE, PRIORITY, e.g.
// INSTANCE VI_1 MASTER 100 (sync groups pass priority 0).
func NotifyArgs(typ, name string, state State, priority int) []string {
	return []string{typ, name, string(state), strconv.Itoa(priority)}
}

// HAProxyExternalCheck describes the server an haproxy external-check
// command checks; Args and Env give the command line arguments and the
// environment haproxy 2.6 passes.
type HAProxyExternalCheck struct {
	// ProxyAddr and ProxyPort are the proxy's first bind address and
	// port: empty for a backend (the arguments then say "NOT_USED"),
	// ProxyPort empty for a UNIX socket.
	ProxyAddr, ProxyPort   string
	ProxyName              string
	ProxyID                int
	ServerAddr, ServerPort string
	ServerName             string
	ServerID               int
	ServerMaxConn          int
	ServerCurConn          int
	ServerSSL              bool
	ServerProto            string // "cli", "syslog", "peers", "h1", "h2" or "tcp" (default)
	// Path is the PATH haproxy sets (external-check path), "" keeps the
	// caller's.
	Path string
}

// Args returns haproxy's arguments: <proxy_address> <proxy_port>
// <server_address> <server_port>.
func (h HAProxyExternalCheck) Args() []string {
	addr, port := h.ProxyAddr, h.ProxyPort
	if addr == "" {
		addr = "NOT_USED"
	}
	if port == "" {
		port = "NOT_USED"
	}
	return []string{addr, port, h.ServerAddr, h.ServerPort}
}

// Env returns the HAPROXY_* variables (and PATH when set).
func (h HAProxyExternalCheck) Env() []string {
	proto := h.ServerProto
	if proto == "" {
		proto = "tcp"
	}
	ssl := "0"
	if h.ServerSSL {
		ssl = "1"
	}
	env := []string{
		"HAPROXY_PROXY_ADDR=" + h.ProxyAddr,
		"HAPROXY_PROXY_ID=" + strconv.Itoa(h.ProxyID),
		"HAPROXY_PROXY_NAME=" + h.ProxyName,
		"HAPROXY_PROXY_PORT=" + h.ProxyPort,
		"HAPROXY_SERVER_ADDR=" + h.ServerAddr,
		"HAPROXY_SERVER_CURCONN=" + strconv.Itoa(h.ServerCurConn),
		"HAPROXY_SERVER_ID=" + strconv.Itoa(h.ServerID),
		"HAPROXY_SERVER_MAXCONN=" + strconv.Itoa(h.ServerMaxConn),
		"HAPROXY_SERVER_NAME=" + h.ServerName,
		"HAPROXY_SERVER_PORT=" + h.ServerPort,
		"HAPROXY_SERVER_SSL=" + ssl,
		"HAPROXY_SERVER_PROTO=" + proto,
	}
	if h.Path != "" {
		env = append(env, "PATH="+h.Path)
	}
	return env
}
