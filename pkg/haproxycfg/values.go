package haproxycfg

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// parseTime reads a haproxy time value: an unsigned decimal number with an
// optional unit (us, ms, s, m, h, d); defUnit applies when none is given.
// The error text is what haproxy says after the keyword.
func parseTime(s string, defUnit time.Duration, kw string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("'%s' expects an integer value (in milliseconds)", kw)
	}
	i := 0
	var n uint64
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + uint64(s[i]-'0')
		if n > math.MaxUint32*1000 {
			return 0, fmt.Errorf("timer overflow in argument '%s' to '%s' (maximum value is 2147483647 ms or ~24.8 days)", s, kw)
		}
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("unexpected character '%c' in '%s'", s[0], kw)
	}
	unit := defUnit
	switch rest := s[i:]; rest {
	case "":
	case "us":
		unit = time.Microsecond
	case "ms":
		unit = time.Millisecond
	case "s":
		unit = time.Second
	case "m":
		unit = time.Minute
	case "h":
		unit = time.Hour
	case "d":
		unit = 24 * time.Hour
	default:
		return 0, fmt.Errorf("unexpected character '%c' in '%s'", rest[0], kw)
	}
	d := time.Duration(n) * unit
	if d/unit != time.Duration(n) || d > 2147483647*time.Millisecond {
		return 0, fmt.Errorf("timer overflow in argument '%s' to '%s' (maximum value is 2147483647 ms or ~24.8 days)", s, kw)
	}
	if unit == time.Microsecond && n%1000 != 0 {
		// haproxy rounds microseconds up to the next millisecond.
		d = (d/time.Millisecond + 1) * time.Millisecond
	}
	return d, nil
}

// parseTimeLenient is parseTime as haproxy 2.6 applies it to timeouts and
// server timers: characters after a valid unit ("15min", "2sec") are
// ignored with a warning rather than refused.
func parseTimeLenient(s string, defUnit time.Duration, kw string) (time.Duration, string, error) {
	d, err := parseTime(s, defUnit, kw)
	if err == nil {
		return d, "", nil
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i == len(s) {
		return 0, "", err
	}
	rest := s[i:]
	for _, u := range []string{"us", "ms", "s", "m", "h", "d"} {
		if strings.HasPrefix(rest, u) && len(rest) > len(u) {
			d2, err2 := parseTime(s[:i+len(u)], defUnit, kw)
			if err2 != nil {
				return 0, "", err2
			}
			warn := fmt.Sprintf("unexpected character '%c' after the timer value '%s', only (us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported. This will be reported as an error in next versions.", rest[len(u)], s)
			return d2, warn, nil
		}
	}
	return 0, "", err
}

// parseSize reads a size with an optional k, m or g suffix (powers of 1024).
func parseSize(s string) (uint64, error) {
	if s == "" {
		return 0, fmt.Errorf("missing size")
	}
	i := 0
	var n uint64
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + uint64(s[i]-'0')
		if n > 1<<50 {
			return 0, fmt.Errorf("value too large")
		}
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("unexpected character '%c'", s[0])
	}
	switch strings.ToLower(s[i:]) {
	case "":
	case "k":
		n <<= 10
	case "m":
		n <<= 20
	case "g":
		n <<= 30
	default:
		return 0, fmt.Errorf("unknown size unit '%s'", s[i:])
	}
	return n, nil
}

// atoi mimics C's atol: leading digits, anything after ignored, 0 if none.
func atoi(s string) int {
	neg := false
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	n := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if n < math.MaxInt32 {
			n = n*10 + int(s[i]-'0')
		}
		i++
	}
	if neg {
		return -n
	}
	return n
}

// addrUse says what an address is for; it changes what is allowed.
type addrUse int

const (
	addrBind   addrUse = iota // listening address: port (range) required for inet
	addrServer                // server: port optional, +N/-N offsets, names resolved
	addrSource                // source address: port optional
	addrLog                   // log target: udp by default, port optional
	addrPeer                  // peer/mailer/nameserver: port required, no range
)

// parseAddress reads an address as haproxy's address parser does: an
// optional family prefix (ipv4@, ipv6@, unix@, abns@, fd@, sockpair@, udp@,
// udp4@, udp6@, tcp@, tcp4@, tcp6@, quic4@, quic6@, uxst@, uxdg@), then an
// IPv4 or IPv6 literal or a host name, then ":port", ":low-high" or, for
// servers, ":+N"/":-N". A path starting with "/" is a unix socket.
func parseAddress(raw string, use addrUse) (Address, error) {
	a := Address{Raw: raw}
	s := raw
	if i := strings.Index(s, "@"); i >= 0 {
		prefix := s[:i]
		switch prefix {
		case "ipv4", "tcp4":
			a.Family = FamilyIPv4
		case "ipv6", "tcp6":
			a.Family = FamilyIPv6
		case "tcp":
		case "udp", "udp4", "udp6":
			a.Proto = "udp"
			if prefix == "udp4" {
				a.Family = FamilyIPv4
			} else if prefix == "udp6" {
				a.Family = FamilyIPv6
			}
		case "quic4", "quic6":
			a.Proto = "quic"
			a.Family = FamilyIPv4
			if prefix == "quic6" {
				a.Family = FamilyIPv6
			}
		case "unix", "uxst", "uxdg":
			a.Family = FamilyUnix
			if prefix == "uxdg" {
				a.Proto = "udp"
			}
		case "abns":
			a.Family = FamilyAbstract
		case "fd":
			a.Family = FamilyFD
		case "sockpair":
			a.Family = FamilySockPair
		default:
			return a, fmt.Errorf("unknown address family '%s' in '%s'", prefix, raw)
		}
		s = s[i+1:]
	}
	switch a.Family {
	case FamilyUnix, FamilyAbstract:
		if s == "" {
			return a, fmt.Errorf("missing path in '%s'", raw)
		}
		a.Host = s
		return a, nil
	case FamilyFD, FamilySockPair:
		if _, err := strconv.Atoi(s); err != nil || s == "" {
			return a, fmt.Errorf("file descriptor '%s' is not a valid integer in '%s'", s, raw)
		}
		a.Host = s
		return a, nil
	}
	if strings.HasPrefix(s, "/") && a.Family == "" {
		a.Family = FamilyUnix
		a.Host = s
		return a, nil
	}
	host, port, hasPort := splitHostPort(s)
	a.Host = host
	if hasPort {
		if err := a.parsePort(port, use, raw); err != nil {
			return a, err
		}
	} else if use == addrBind || use == addrPeer {
		return a, fmt.Errorf("missing port number: '%s'", raw)
	}
	switch host {
	case "", "*":
		if a.Family == "" {
			a.Family = FamilyIPv4
		}
		a.Host = ""
		return a, nil
	}
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		fam := FamilyIPv4
		if ip.Is6() && !ip.Is4In6() {
			fam = FamilyIPv6
		}
		if a.Family == FamilyIPv4 && fam == FamilyIPv6 {
			return a, fmt.Errorf("invalid address: '%s' in '%s'", host, raw)
		}
		if a.Family == "" {
			a.Family = fam
		}
		a.Host = ip.String()
		return a, nil
	}
	if ip, ok := parseInetAton(host); ok {
		a.Family = FamilyIPv4
		a.Host = ip
		return a, nil
	}
	if !validHostName(host) || looksNumeric(host) {
		return a, fmt.Errorf("invalid address: '%s' in '%s'", host, raw)
	}
	if a.Family == "" {
		a.Family = FamilyHost
	}
	return a, nil
}

// splitHostPort splits on the last colon: haproxy writes IPv6 addresses
// without brackets (":::80" is "::" port 80), and also accepts brackets.
func splitHostPort(s string) (host, port string, ok bool) {
	if strings.HasPrefix(s, "[") {
		if j := strings.Index(s, "]"); j >= 0 {
			host = s[1:j]
			rest := s[j+1:]
			if strings.HasPrefix(rest, ":") {
				return host, rest[1:], true
			}
			return host, "", false
		}
	}
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

func (a *Address) parsePort(port string, use addrUse, raw string) error {
	if port == "" {
		if use == addrServer || use == addrSource || use == addrLog {
			return nil
		}
		return fmt.Errorf("missing port number: '%s'", raw)
	}
	if (port[0] == '+' || port[0] == '-') && use == addrServer {
		n, err := strconv.Atoi(port[1:])
		if err != nil || n > 65535 {
			return fmt.Errorf("invalid port offset '%s'", port)
		}
		if port[0] == '-' {
			n = -n
		}
		a.PortLow, a.PortHigh, a.HasPort, a.Offset = n, n, true, true
		return nil
	}
	lo, hi := port, port
	if i := strings.Index(port, "-"); i >= 0 {
		lo, hi = port[:i], port[i+1:]
		if use != addrBind && use != addrSource {
			return fmt.Errorf("port ranges and offsets are not allowed in '%s'", raw)
		}
	}
	l, err1 := strconv.Atoi(lo)
	h, err2 := strconv.Atoi(hi)
	if err1 != nil || l < 0 || l > 65535 {
		return fmt.Errorf("invalid port '%s'", lo)
	}
	if err2 != nil || h < 0 || h > 65535 {
		return fmt.Errorf("invalid port '%s'", hi)
	}
	if l == 0 && use == addrBind {
		return fmt.Errorf("invalid port '%s'", lo)
	}
	if h < l {
		return fmt.Errorf("invalid port range '%s'", port)
	}
	a.PortLow, a.PortHigh, a.HasPort = l, h, true
	return nil
}

// parseInetAton accepts the legacy IPv4 forms inet_aton accepts (a.b.c,
// a.b, a, with octal and hex parts), which haproxy inherits from libc.
func parseInetAton(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return "", false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		if p == "" {
			return "", false
		}
		v, err := strconv.ParseUint(p, 0, 32)
		if err != nil {
			return "", false
		}
		vals[i] = v
	}
	var ip uint64
	switch len(vals) {
	case 1:
		ip = vals[0]
	case 2:
		if vals[0] > 255 || vals[1] > 0xffffff {
			return "", false
		}
		ip = vals[0]<<24 | vals[1]
	case 3:
		if vals[0] > 255 || vals[1] > 255 || vals[2] > 0xffff {
			return "", false
		}
		ip = vals[0]<<24 | vals[1]<<16 | vals[2]
	case 4:
		for _, v := range vals {
			if v > 255 {
				return "", false
			}
		}
		ip = vals[0]<<24 | vals[1]<<16 | vals[2]<<8 | vals[3]
	}
	if ip > math.MaxUint32 {
		return "", false
	}
	return fmt.Sprintf("%d.%d.%d.%d", ip>>24, ip>>16&255, ip>>8&255, ip&255), true
}

// looksNumeric reports whether a name is made of digits and dots only: such
// a name that is not a valid IPv4 address is an invalid address, not a host.
func looksNumeric(h string) bool {
	for _, r := range h {
		if (r < '0' || r > '9') && r != '.' {
			return false
		}
	}
	return true
}

// expandAddrEnv expands ${NAME} in an address as haproxy's address parser
// does (even outside double quotes).
func expandAddrEnv(s string, env Env) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 || i+1 >= len(s) {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		var name string
		if s[i+1] == '{' {
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name, s = s[i+2:i+j], s[i+j+1:]
		} else {
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			if j == i+1 {
				b.WriteByte('$')
				s = s[i+1:]
				continue
			}
			name, s = s[i+1:j], s[j:]
		}
		if v, ok := env.Lookup(name); ok {
			b.WriteString(v)
		}
	}
}

func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, r := range h {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '-', r == '.', r == '_':
		default:
			return false
		}
	}
	return true
}
