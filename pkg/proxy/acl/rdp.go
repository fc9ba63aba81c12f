package acl

import "github.com/gohaproxy/gohaproxy/pkg/proxy/balance"

// The RDP cookie fetches (haproxy's req.rdp_cookie and req.rdp_cookie_cnt)
// and the predefined ACL RDP_COOKIE, which "balance rdp-cookie" and
// "persist rdp-cookie" configurations wait for with
// "tcp-request content accept if RDP_COOKIE".
func init() {
	def(&fetchDef{out: kStr, match: "str", content: true, maxArgs: 1, fn: func(c *Context, a []string) (sample, bool, bool) {
		v, ok, more := balance.RDPCookieMore(c.Payload, argOr(a, 0, ""))
		return sample{k: kStr, s: v}, ok, more
	}}, "req.rdp_cookie", "rdp_cookie")
	def(&fetchDef{out: kInt, match: "int", content: true, maxArgs: 1, fn: func(c *Context, a []string) (sample, bool, bool) {
		_, ok, more := balance.RDPCookieMore(c.Payload, argOr(a, 0, ""))
		if more {
			return sample{}, false, true
		}
		if ok {
			return intS(1), true, false
		}
		return intS(0), true, false
	}}, "req.rdp_cookie_cnt", "rdp_cookie_cnt")
	predefined["RDP_COOKIE"] = []string{"req.rdp_cookie_cnt", "gt", "0"}
}
