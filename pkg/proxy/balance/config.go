package balance

import (
	"fmt"
	"net/netip"
	"strconv"
)

// ConfigFrom builds a Config from the words of a backend's "balance" and
// "hash-type" lines, as plain values (the runtime takes them from the
// configuration model): algorithm, param and options as in "balance",
// draws for random, and method, function and avalanche from "hash-type"
// (empty method: map-based; empty function: the default). It applies
// haproxy's defaults: rdp-cookie's cookie is "mstshash", random draws 2,
// and "hash-type consistent" without a function means sdbm with avalanche.
func ConfigFrom(algorithm, param string, draws int, options []string, method, function string, avalanche bool) (Config, error) {
	c := Config{Algorithm: algorithm, Param: param, Draws: draws}
	switch method {
	case "", "map-based":
	case "consistent":
		c.Consistent = true
	default:
		return c, fmt.Errorf("balance: unknown hash-type method %q", method)
	}
	f, ok := ParseHashFunc(function)
	if !ok {
		return c, fmt.Errorf("balance: unknown hash function %q", function)
	}
	c.Func, c.Avalanche = f, avalanche
	if c.Consistent && function == "" {
		c.Avalanche = true
	}
	num := func(i int) (int, error) {
		if i+1 >= len(options) {
			return 0, fmt.Errorf("balance %s: '%s' expects a positive integer", algorithm, options[i])
		}
		n, err := strconv.Atoi(options[i+1])
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("balance %s: '%s' expects a positive integer (got '%s')", algorithm, options[i], options[i+1])
		}
		return n, nil
	}
	switch algorithm {
	case "random":
		if c.Draws <= 0 {
			c.Draws = 2
		}
	case "rdp-cookie":
		if c.Param == "" {
			c.Param = "mstshash"
		}
	case "uri":
		for i := 0; i < len(options); i++ {
			switch options[i] {
			case "whole":
				c.URIWhole = true
			case "path-only":
				c.URIPathOnly = true
			case "len", "depth":
				n, err := num(i)
				if err != nil {
					return c, err
				}
				if options[i] == "len" {
					c.URILen = n
				} else {
					c.URIDepth = n
				}
				i++
			default:
				return c, fmt.Errorf("balance uri: unknown option '%s'", options[i])
			}
		}
	case "url_param":
		for i := 0; i < len(options); i++ {
			switch options[i] {
			case "check_post":
				c.CheckPost = true
				if i+1 < len(options) {
					if n, err := strconv.Atoi(options[i+1]); err == nil && n > 0 {
						i++ // the old max_wait argument, ignored
					}
				}
			default:
				return c, fmt.Errorf("balance url_param: unknown option '%s'", options[i])
			}
		}
	case "hdr":
		for _, o := range options {
			if o != "use_domain_only" {
				return c, fmt.Errorf("balance hdr(%s): unknown option '%s'", param, o)
			}
			c.UseDomainOnly = true
		}
	}
	return c, nil
}

// SrcKey returns the Key of "balance source" for the client address a. An
// IPv4 address hashes its 4 bytes; any IPv6 address, IPv4-mapped ones
// included (a client on a v6 socket), hashes its 16 bytes.
func SrcKey(a netip.Addr) Key {
	var k Key
	if a.Is4() {
		b := a.As4()
		copy(k.Src[:], b[:])
		return k
	}
	k.Src = a.As16()
	k.SrcV6 = true
	return k
}
