package acl

// TLS ClientHello inspection, with the semantics of haproxy 2.6's
// req.ssl_sni, req.ssl_hello_type and req.ssl_ver: each returns ok=false
// with more=true when the buffer is too short to decide, and ok=false with
// more=false when the data is not what the fetch looks for.

func be16(b []byte) int { return int(b[0])<<8 | int(b[1]) }

// ClientHelloSNI returns the host name of the server_name extension of a
// TLS ClientHello at the start of data.
func ClientHelloSNI(data []byte) (sni string, ok, more bool) {
	if len(data) == 0 {
		return "", false, true
	}
	if data[0] != 0x16 {
		return "", false, false
	}
	if len(data) < 3 {
		return "", false, true
	}
	if data[1] < 3 {
		return "", false, false
	}
	if len(data) < 5 {
		return "", false, true
	}
	const minHello = 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + 2
	if be16(data[3:]) < 1+3+minHello {
		return "", false, false
	}
	hs := data[5:]
	if len(hs) < 1 {
		return "", false, true
	}
	if hs[0] != 1 {
		return "", false, false
	}
	if len(hs) < 4 {
		return "", false, true
	}
	hsLen := int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3])
	if hsLen < minHello {
		return "", false, false
	}
	// haproxy compares the hello length with what follows the record
	// header (the 4-byte handshake header included)
	if len(hs) < hsLen {
		return "", false, true
	}
	body := hs[4:]
	if len(body) > hsLen {
		body = body[:hsLen]
	}
	if len(body) < 35 || body[0] < 3 || body[1] < 1 {
		return "", false, false
	}
	p := body[34:]
	sid := int(p[0])
	if sid > 32 || sid+1 > len(p) {
		return "", false, false
	}
	p = p[1+sid:]
	if len(p) < 4 {
		return "", false, false
	}
	cs := be16(p)
	if cs < 2 || 2+cs > len(p) {
		return "", false, false
	}
	p = p[2+cs:]
	if len(p) < 2 || p[0] < 1 || int(p[0])+1 > len(p) {
		return "", false, false
	}
	p = p[1+int(p[0]):]
	if len(p) < 2 {
		return "", false, false
	}
	el := be16(p)
	if el > len(p)-2 {
		return "", false, false
	}
	p = p[2 : 2+el]
	for len(p) >= 4 {
		typ, l := be16(p), be16(p[2:])
		if l > len(p)-4 {
			return "", false, false
		}
		ext := p[4 : 4+l]
		if typ == 0 {
			if len(ext) < 5 {
				return "", false, false
			}
			list := be16(ext)
			if list < 4 || list > len(ext)-2 {
				return "", false, false
			}
			if ext[2] == 0 {
				n := be16(ext[3:])
				if n > len(ext)-5 {
					return "", false, false
				}
				return string(ext[5 : 5+n]), true, false
			}
		}
		p = p[4+l:]
	}
	return "", false, false
}

// HelloType returns the handshake message type of a TLS record.
func HelloType(data []byte) (typ int, ok, more bool) {
	if len(data) == 0 {
		return 0, false, true
	}
	if !(data[0] >= 0x14 && data[0] <= 0x17 || data[0] == 0xff) {
		return 0, false, false
	}
	if len(data) < 9 {
		return 0, false, true
	}
	if int(data[1])<<16|int(data[2]) < 0x30000 || be16(data[3:]) < 4 {
		return 0, false, false
	}
	hl := int(data[6])<<16 | int(data[7])<<8 | int(data[8])
	if len(data) < 9+hl {
		return 0, false, true
	}
	return int(data[5]), true, false
}

// HelloVersion returns the client's protocol version as major<<16|minor:
// the ClientHello's version for SSLv3 and later records, the SSLv2 hello's
// version otherwise. limit is the most the buffer can hold.
func HelloVersion(data []byte, limit int) (ver int, ok, more bool) {
	if len(data) == 0 {
		return 0, false, true
	}
	var msgLen int
	left := data
	if data[0] >= 0x14 && data[0] <= 0x17 || data[0] == 0xff {
		if len(data) < 11 {
			return 0, false, true
		}
		v := int(data[1])<<16 | int(data[2])
		msgLen = be16(data[3:])
		if v < 0x30000 || msgLen < 6 || msgLen > 1<<14+2048 {
			return 0, false, false
		}
		left = data[5:]
		ver = int(left[4])<<16 | int(left[5])
	} else {
		var rlen, plen int
		if data[0]&0x80 != 0 {
			if len(data) < 3 {
				return 0, false, true
			}
			rlen = int(data[0]&0x7f)<<8 | int(data[1])
			left = data[2:]
		} else {
			if len(data) < 4 {
				return 0, false, true
			}
			rlen = int(data[0]&0x3f)<<8 | int(data[1])
			plen = int(data[2])
			left = data[3:]
		}
		if left[0] != 1 {
			return 0, false, false
		}
		left = left[1:]
		if len(left) < 8 {
			return 0, false, true
		}
		ver = int(left[0])<<16 | int(left[1])
		ci, si, ch := be16(left[2:]), be16(left[4:]), be16(left[6:])
		left = left[8:]
		if ci%3 != 0 || si != 0 && si != 16 || ch < 16 || ch > 32 || rlen != 9+ci+si+ch {
			return 0, false, false
		}
		msgLen = ci + si + ch + plen
	}
	// what precedes left counts against the buffer's capacity
	if room := limit - (len(data) - len(left)); limit > 0 && msgLen > room {
		msgLen = room
	}
	if len(left) < msgLen {
		return 0, false, true
	}
	return ver, true, false
}

func init() {
	str := func(s string, ok bool) (sample, bool, bool) { return sample{k: kStr, s: []byte(s)}, ok, false }
	def(&fetchDef{out: kBool, match: "bool", fn: func(c *Context, _ []string) (sample, bool, bool) {
		return boolS(c.TLS != nil), true, false
	}}, "ssl_fc")
	def(&fetchDef{out: kBool, match: "bool", fn: func(c *Context, _ []string) (sample, bool, bool) {
		return boolS(c.TLS != nil && c.TLS.SNI != ""), c.TLS != nil, false
	}}, "ssl_fc_has_sni")
	def(&fetchDef{out: kStr, match: "str", fn: func(c *Context, _ []string) (sample, bool, bool) {
		if c.TLS == nil {
			return str("", false)
		}
		return str(c.TLS.SNI, c.TLS.SNI != "")
	}}, "ssl_fc_sni")
	def(&fetchDef{out: kStr, match: "str", fn: func(c *Context, _ []string) (sample, bool, bool) {
		if c.TLS == nil {
			return str("", false)
		}
		return str(c.TLS.Protocol, true)
	}}, "ssl_fc_protocol")
	def(&fetchDef{out: kStr, match: "str", fn: func(c *Context, _ []string) (sample, bool, bool) {
		if c.TLS == nil {
			return str("", false)
		}
		return str(c.TLS.Cipher, true)
	}}, "ssl_fc_cipher")
	def(&fetchDef{out: kStr, match: "str", fn: func(c *Context, _ []string) (sample, bool, bool) {
		if c.TLS == nil {
			return str("", false)
		}
		return str(c.TLS.ALPN, c.TLS.ALPN != "")
	}}, "ssl_fc_alpn")
	def(&fetchDef{out: kBool, match: "bool", fn: func(c *Context, _ []string) (sample, bool, bool) {
		if c.TLS == nil {
			return sample{}, false, false
		}
		return boolS(c.TLS.ClientCert), true, false
	}}, "ssl_c_used")
	def(&fetchDef{out: kInt, match: "int", fn: func(c *Context, _ []string) (sample, bool, bool) {
		if c.TLS == nil {
			return sample{}, false, false
		}
		return intS(c.TLS.Verify), true, false
	}}, "ssl_c_verify")
	def(&fetchDef{out: kStr, match: "str", maxArgs: 2, fn: fetchClientDN}, "ssl_c_s_dn")
}

// fetchClientDN is ssl_c_s_dn([entry[,occ]]): the whole subject in
// OpenSSL's one-line form, or the occ-th value of an entry (negative
// occurrences count from the end).
func fetchClientDN(c *Context, a []string) (sample, bool, bool) {
	if c.TLS == nil || !c.TLS.ClientCert {
		return sample{}, false, false
	}
	dn := c.TLS.ClientDN
	if len(a) == 0 || a[0] == "" {
		var b []byte
		for _, kv := range dn {
			b = append(b, '/')
			b = append(b, kv[0]...)
			b = append(b, '=')
			b = append(b, kv[1]...)
		}
		return sample{k: kStr, s: b}, true, false
	}
	occ := 1
	if len(a) > 1 && a[1] != "" {
		n := 0
		neg := false
		s := a[1]
		if s[0] == '-' {
			neg, s = true, s[1:]
		}
		for _, ch := range []byte(s) {
			if ch < '0' || ch > '9' || n > 1<<20 {
				return sample{}, false, false
			}
			n = n*10 + int(ch-'0')
		}
		if neg {
			n = -n
		}
		if n != 0 {
			occ = n
		}
	}
	var vals []string
	for _, kv := range dn {
		if kv[0] == a[0] {
			vals = append(vals, kv[1])
		}
	}
	i := occ - 1
	if occ < 0 {
		i = len(vals) + occ
	}
	if i < 0 || i >= len(vals) {
		return sample{}, false, false
	}
	return sample{k: kStr, s: []byte(vals[i])}, true, false
}
