package balance

// RDPCookie extracts the value of the RDP cookie name (haproxy's default for
// "balance rdp-cookie" is "mstshash") from the first bytes a client sends
// on an RDP connection: after the 11-byte TPKT and X.224 headers comes
// "Cookie: name=value\r\n". The name and the "Cookie:" keyword are
// case-insensitive; an empty name matches any cookie. ok is false when the
// payload holds no such cookie (or is still incomplete).
func RDPCookie(payload []byte, name string) (value []byte, ok bool) {
	value, ok, _ = RDPCookieMore(payload, name)
	return value, ok
}

// RDPCookieMore is RDPCookie telling also whether more data could still
// make the cookie appear (the payload ends before the answer is known), as
// haproxy's req.rdp_cookie fetch flags its result "may change".
func RDPCookieMore(payload []byte, name string) (value []byte, ok, more bool) {
	if len(payload) <= 11 {
		return nil, false, true
	}
	d := payload[11:]
	if len(d) <= 7 {
		return nil, false, true
	}
	if !equalFold(d[:7], "Cookie:") {
		return nil, false, false
	}
	d = d[7:]
	for len(d) > 0 && d[0] == ' ' {
		d = d[1:]
	}
	if name != "" {
		if len(d) <= len(name) {
			return nil, false, true
		}
		if d[len(name)] != '=' || !equalFold(d[:len(name)], name) {
			return nil, false, false
		}
		d = d[len(name)+1:]
	} else {
		i := 0
		for i < len(d) && d[i] != '=' {
			if d[i] == '\r' || d[i] == '\n' {
				return nil, false, false
			}
			i++
		}
		if i == len(d) {
			return nil, false, true
		}
		d = d[i+1:]
	}
	i := 0
	for i < len(d) && d[i] != '\r' {
		i++
	}
	if len(d)-i < 2 {
		return nil, false, true
	}
	if d[i+1] != '\n' {
		return nil, false, false
	}
	return d[:i], true, false
}

func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
