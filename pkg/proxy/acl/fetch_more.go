package acl

import (
	"bytes"
	"crypto/rand"
	mrand "math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/gohaproxy/gohaproxy/pkg/proxy/h1"
)

// Fetches used mostly in log-format values and dynamic backend names.
func init() {
	strS := func(s string) sample { return sample{k: kStr, s: strBytes(s)} }
	def(&fetchDef{out: kStr, match: "str", fn: func(c *Context, _ []string) (sample, bool, bool) {
		return strS(c.Frontend), c.Frontend != "", false
	}}, "fe_name")
	def(&fetchDef{out: kStr, match: "str", fn: func(c *Context, _ []string) (sample, bool, bool) {
		return strS(c.Backend), c.Backend != "", false
	}}, "be_name")
	def(&fetchDef{out: kStr, match: "str", fn: func(c *Context, _ []string) (sample, bool, bool) {
		return strS(c.Server), c.Server != "", false
	}}, "srv_name")
	def(&fetchDef{out: kStr, match: "str", minArgs: 1, maxArgs: 1, fn: func(_ *Context, a []string) (sample, bool, bool) {
		v, ok := os.LookupEnv(a[0])
		return strS(v), ok, false
	}}, "env")
	def(&fetchDef{out: kStr, match: "str", fn: func(*Context, []string) (sample, bool, bool) {
		h, err := os.Hostname()
		return strS(h), err == nil, false
	}}, "hostname")
	def(&fetchDef{out: kInt, match: "int", maxArgs: 1, fn: func(_ *Context, a []string) (sample, bool, bool) {
		if len(a) == 0 || a[0] == "" {
			return intS(int(mrand.Uint32())), true, false
		}
		n, err := strconv.ParseUint(a[0], 10, 32)
		if err != nil {
			return sample{}, false, false
		}
		// haproxy scales a 32-bit random number into [0, range)
		return sample{k: kInt, i: int64(uint64(mrand.Uint32()) * n >> 32)}, true, false
	}}, "rand")
	def(&fetchDef{out: kInt, match: "int", maxArgs: 2, fn: func(_ *Context, a []string) (sample, bool, bool) {
		t := time.Now()
		now := t.Unix()
		if len(a) > 1 {
			switch a[1] {
			case "", "s":
			case "ms":
				now = t.UnixMilli()
			case "us":
				now = t.UnixMicro()
			default:
				return sample{}, false, false
			}
		}
		if len(a) > 0 && a[0] != "" {
			off, err := strconv.ParseInt(a[0], 10, 64)
			if err != nil {
				return sample{}, false, false
			}
			now += off
		}
		return sample{k: kInt, i: now}, true, false
	}}, "date")
	def(&fetchDef{out: kStr, match: "str", maxArgs: 1, fn: func(_ *Context, a []string) (sample, bool, bool) {
		if len(a) > 0 && a[0] != "" && a[0] != "4" {
			return sample{}, false, false
		}
		return sample{k: kStr, s: uuid4()}, true, false
	}}, "uuid")
	def(&fetchDef{out: kStr, match: "str", http: true, fn: func(c *Context, _ []string) (sample, bool, bool) {
		return strS(c.UniqueID), c.UniqueID != "", false
	}}, "unique-id")
	def(&fetchDef{out: kStr, match: "str", http: true, fn: func(c *Context, _ []string) (sample, bool, bool) {
		m, _, ok := splitReqLine(c.ReqLine)
		return sample{k: kStr, s: m}, ok, false
	}}, "capture.req.method")
	def(&fetchDef{out: kStr, match: "str", http: true, fn: func(c *Context, _ []string) (sample, bool, bool) {
		_, u, ok := splitReqLine(c.ReqLine)
		return sample{k: kStr, s: u}, ok, false
	}}, "capture.req.uri")
	def(&fetchDef{out: kStr, match: "str", http: true, fn: func(c *Context, _ []string) (sample, bool, bool) {
		if c.Req == nil {
			return sample{}, false, false
		}
		var host []byte
		if c.Req.HasHost {
			host = c.Req.Host.In(c.ReqBuf)
		}
		p := h1.Path(c.Req.URI.In(c.ReqBuf))
		out := make([]byte, 0, len(host)+len(p))
		out = append(append(out, host...), p...)
		return sample{k: kStr, s: out}, true, false
	}}, "base")
	def(&fetchDef{out: kStr, match: "str", http: true, minArgs: 1, maxArgs: 2, fn: func(c *Context, a []string) (sample, bool, bool) {
		if c.Req == nil {
			return sample{}, false, false
		}
		return fullHdr(c.Req.Headers, c.ReqBuf, a, c.ReqExtra)
	}}, "req.fhdr")
	def(&fetchDef{out: kInt, match: "int", resp: true, fn: func(c *Context, _ []string) (sample, bool, bool) {
		if c.Resp != nil {
			return intS(c.Resp.StatusCode), true, false
		}
		return intS(c.Status), c.Status > 0, false
	}}, "status")
	def(&fetchDef{out: kStr, match: "str", resp: true, maxArgs: 2, fn: func(c *Context, a []string) (sample, bool, bool) {
		if c.Resp == nil || len(a) == 0 {
			return sample{}, false, false
		}
		r := Context{Req: c.Resp, ReqBuf: c.RespBuf}
		return fetchHdr(&r, a)
	}}, "res.hdr", "shdr")
	def(&fetchDef{out: kStr, match: "str", resp: true, minArgs: 1, maxArgs: 2, fn: func(c *Context, a []string) (sample, bool, bool) {
		if c.Resp == nil {
			return sample{}, false, false
		}
		return fullHdr(c.Resp.Headers, c.RespBuf, a, nil)
	}}, "res.fhdr")
}

// fullHdr is req.fhdr/res.fhdr: the whole value of the last (or occ-th)
// occurrence of a header, commas included.
func fullHdr(hs []h1.Header, buf []byte, a []string, extra *[][2]string) (sample, bool, bool) {
	occ := 0
	if len(a) > 1 && a[1] != "" {
		n, err := strconv.Atoi(a[1])
		if err != nil {
			return sample{}, false, false
		}
		occ = n
	}
	var found [][]byte
	for _, h := range hs {
		if !h.Drop && bytes.EqualFold(h.Name.In(buf), []byte(a[0])) {
			found = append(found, h.Value.In(buf))
		}
	}
	if extra != nil {
		for _, h := range *extra {
			if strings.EqualFold(h[0], a[0]) {
				found = append(found, []byte(h[1]))
			}
		}
	}
	i := len(found) - 1
	switch {
	case occ > 0:
		i = occ - 1
	case occ < 0:
		i = len(found) + occ
	}
	if i < 0 || i >= len(found) {
		return sample{}, false, false
	}
	return sample{k: kStr, s: found[i]}, true, false
}

// splitReqLine returns the method and URI of a request line.
func splitReqLine(l []byte) (method, uri []byte, ok bool) {
	i := bytes.IndexByte(l, ' ')
	if i <= 0 {
		return nil, nil, false
	}
	method, rest := l[:i], l[i+1:]
	if j := bytes.LastIndexByte(rest, ' '); j >= 0 {
		rest = rest[:j]
	}
	return method, rest, true
}

// uuid4 is a random (version 4) UUID in lower-case hexadecimal.
func uuid4() []byte {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexLower[c>>4], hexLower[c&15])
	}
	return out
}

// strBytes views a string as bytes without copying; samples are never
// written to in place (converters build new slices).
func strBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
