package acl

import (
	"bytes"
	"strings"

	"github.com/gohaproxy/gohaproxy/pkg/proxy/h1"
)

// HTTP request fetches. Each has haproxy's ACL variants (path_beg is
// path with "-m beg", ...).
func init() {
	variants := func(f *fetchDef, base string, alias ...string) {
		for _, m := range []string{"", "beg", "end", "sub", "reg", "dir", "dom", "len"} {
			g := *f
			names := []string{}
			for _, b := range append([]string{base}, alias...) {
				if m == "" {
					names = append(names, b)
				} else {
					names = append(names, b+"_"+m)
				}
			}
			if m != "" {
				g.match = m
				g.aclOnly = true
			}
			def(&g, names...)
		}
	}
	variants(&fetchDef{out: kStr, match: "str", http: true, fn: func(c *Context, _ []string) (sample, bool, bool) {
		if c.Req == nil {
			return sample{}, false, false
		}
		return sample{k: kStr, s: h1.Path(c.Req.URI.In(c.ReqBuf))}, true, false
	}}, "path")
	variants(&fetchDef{out: kStr, match: "str", http: true, fn: func(c *Context, _ []string) (sample, bool, bool) {
		if c.Req == nil {
			return sample{}, false, false
		}
		return sample{k: kStr, s: c.Req.URI.In(c.ReqBuf)}, true, false
	}}, "url")
	variants(&fetchDef{out: kStr, match: "str", http: true, minArgs: 0, maxArgs: 2, fn: fetchHdr, each: eachHdr}, "req.hdr")
	// hdr is req.hdr on requests and res.hdr on responses
	variants(&fetchDef{out: kStr, match: "str", http: true, minArgs: 0, maxArgs: 2,
		fn:   func(c *Context, a []string) (sample, bool, bool) { return fetchHdr(respAsReq(c), a) },
		each: func(c *Context, a []string, yield func(sample) bool) { eachHdr(respAsReq(c), a, yield) },
	}, "hdr")
	def(&fetchDef{out: kStr, match: "str", http: true, fn: func(c *Context, _ []string) (sample, bool, bool) {
		if c.Req == nil {
			return sample{}, false, false
		}
		return sample{k: kStr, s: c.Req.Method.In(c.ReqBuf)}, true, false
	}}, "method")
	def(&fetchDef{out: kStr, match: "str", http: true, fn: func(c *Context, _ []string) (sample, bool, bool) {
		if c.Req == nil {
			return sample{}, false, false
		}
		q := h1.PathQuery(c.Req.URI.In(c.ReqBuf))
		i := bytes.IndexByte(q, '?')
		if i < 0 {
			return sample{}, false, false
		}
		return sample{k: kStr, s: q[i+1:]}, true, false
	}}, "query")
	def(&fetchDef{out: kStr, match: "str", http: true, fn: func(c *Context, _ []string) (sample, bool, bool) {
		if c.Req == nil {
			return sample{}, false, false
		}
		v := "1.1"
		if !c.Req.HTTP11() {
			v = "1.0"
		}
		return sample{k: kStr, s: []byte(v)}, true, false
	}}, "req.ver", "req_ver")
	def(&fetchDef{out: kInt, match: "int", http: true, maxArgs: 1, fn: func(c *Context, a []string) (sample, bool, bool) {
		if c.Req == nil {
			return sample{}, false, false
		}
		n := 0
		if len(a) == 0 || a[0] == "" {
			for _, h := range c.Req.Headers {
				if !h.Drop {
					n++
				}
			}
		} else {
			eachHdr(c, a[:1], func(sample) bool { n++; return true })
		}
		return intS(n), true, false
	}}, "hdr_cnt", "req.hdr_cnt")
}

// fetchHdr returns the last value of header a[0] (hdr(name,occ) with a
// positive occ: that one), values split on commas as haproxy does.
func fetchHdr(c *Context, a []string) (sample, bool, bool) {
	var last sample
	ok := false
	eachHdr(c, a, func(smp sample) bool {
		last, ok = smp, true
		return true
	})
	return last, ok, false
}

// eachHdr yields, as haproxy's ACLs see a header, every comma-separated
// value (blanks trimmed) of the occurrences of header a[0] (only the
// occ-th with a positive occ, counted on values).
func eachHdr(c *Context, a []string, yield func(sample) bool) {
	if c.Req == nil || len(a) == 0 {
		return
	}
	occ := 0
	if len(a) > 1 && a[1] != "" {
		for _, ch := range a[1] {
			if ch < '0' || ch > '9' {
				return
			}
			occ = occ*10 + int(ch-'0')
		}
	}
	k := 0
	for _, h := range c.Req.Headers {
		if h.Drop || !bytes.EqualFold(h.Name.In(c.ReqBuf), []byte(a[0])) {
			continue
		}
		v := h.Value.In(c.ReqBuf)
		for {
			part := v
			i := bytes.IndexByte(v, ',')
			if i >= 0 {
				part = v[:i]
			}
			part = bytes.Trim(part, " \t")
			k++
			if occ == 0 || k == occ {
				if !yield(sample{k: kStr, s: part}) {
					return
				}
			}
			if i < 0 {
				break
			}
			v = v[i+1:]
		}
	}
	if c.ReqExtra == nil {
		return
	}
	for _, h := range *c.ReqExtra {
		if !strings.EqualFold(h[0], a[0]) {
			continue
		}
		v := h[1]
		for {
			part := v
			i := strings.IndexByte(v, ',')
			if i >= 0 {
				part = v[:i]
			}
			part = strings.Trim(part, " \t")
			k++
			if occ == 0 || k == occ {
				if !yield(sample{k: kStr, s: []byte(part)}) {
					return
				}
			}
			if i < 0 {
				break
			}
			v = v[i+1:]
		}
	}
}

// respAsReq returns, at response time (no request, a response), a
// context whose request is the response, for the direction-neutral
// header fetches.
func respAsReq(c *Context) *Context {
	if c.Req != nil || c.Resp == nil {
		return c
	}
	return &Context{Req: c.Resp, ReqBuf: c.RespBuf}
}
