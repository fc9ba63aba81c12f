package keepalivedconf

import (
	"net/netip"
	"strconv"
	"strings"
)

// This file checks the free-form lines of virtual_ipaddress,
// static_ipaddress, virtual_routes, static_routes, virtual_rules and
// static_rules the way keepalived 2.2.7 reads them.

// Route is one virtual_routes / static_routes line.
type Route struct {
	Pos     Pos
	Dest    netip.Prefix
	Type    string
	Via     string
	Dev     string
	Table   string
	NoTrack bool
	Words   []string
}

// Rule is one virtual_rules / static_rules line.
type Rule struct {
	Pos        Pos
	From, To   string
	Table      string
	Preference string
	Words      []string
}

// parseAddrOrPrefix reads A, A/LEN or "default".
func parseAddrOrPrefix(s string) (netip.Prefix, bool) {
	if s == "default" || s == "all" || s == "any" {
		return netip.Prefix{}, true
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p, err == nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

var routeTypes = map[string]bool{"unicast": true, "local": true, "broadcast": true, "anycast": true,
	"multicast": true, "blackhole": true, "unreachable": true, "prohibit": true, "throw": true,
	"nat": true, "xresolve": true}

var routeScopes = map[string]bool{"global": true, "universe": true, "site": true, "link": true, "host": true, "nowhere": true}
var routeTables = map[string]bool{"main": true, "local": true, "default": true, "unspec": true}
var routeProtos = map[string]bool{"unspec": true, "redirect": true, "kernel": true, "boot": true, "static": true,
	"gated": true, "ra": true, "mrt": true, "zebra": true, "bird": true, "dnrouted": true, "xorp": true,
	"ntk": true, "dhcp": true, "keepalived": true, "babel": true, "bgp": true, "isis": true, "ospf": true, "rip": true, "eigrp": true}

func isUint(s string, max uint64) bool {
	n, err := strconv.ParseUint(s, 0, 64)
	return err == nil && n <= max
}

// route checks one route line. It reports through b.diags and returns
// false when keepalived drops the route.
func (b *builder) route(l *Node) (Route, bool) {
	r := Route{Pos: l.Pos, Words: l.Words}
	w := l.Words
	errf := func(format string, args ...any) (Route, bool) {
		b.diags.add(KindGeneral, l.Pos, format, args...)
		return r, false
	}
	arg := func(i int) string {
		if i < len(w) {
			return w[i]
		}
		return ""
	}
	haveDst, dest, protoSet, proto, nexthop := false, "", false, "", false
	i := 0
	for ; i < len(w); i++ {
		s := w[i]
		switch s {
		case "inet", "inet6", "onlink":
		case "src":
			i++
			if _, ok := parseAddrOrPrefix(arg(i)); !ok || arg(i) == "default" {
				return errf("invalid route src address %s", arg(i))
			}
		case "as":
			i++
			if arg(i) == "to" {
				i++
			}
			b.diags.add(KindGeneral, l.Pos, "\"as to\" for MPLS only - ignoring")
		case "via", "gw":
			if s == "gw" {
				b.diags.add(KindGeneral, l.Pos, "\"gw\" for routes is deprecated. Please use \"via\"")
			}
			i++
			if arg(i) == "inet" || arg(i) == "inet6" {
				i++
			}
			if a, err := netip.ParseAddr(arg(i)); err != nil {
				return errf("invalid route via address %s", arg(i))
			} else {
				r.Via = a.String()
			}
		case "from":
			i++
			p, ok := parseAddrOrPrefix(arg(i))
			if !ok {
				return errf("invalid route from address %s", arg(i))
			}
			if !p.Addr().Is6() {
				return errf("route from address only supported with IPv6 (%s)", arg(i))
			}
		case "tos", "dsfield":
			i++
			if !isUint(arg(i), 255) {
				return errf("TOS value %s is invalid", arg(i))
			}
		case "table":
			i++
			if !routeTables[arg(i)] && !isUint(arg(i), 0xffffffff) {
				return errf("Routing table %s not found for route", arg(i))
			}
			r.Table = arg(i)
		case "protocol":
			i++
			if !routeProtos[arg(i)] && !isUint(arg(i), 255) {
				return errf("Protocol %s not found or invalid for route", arg(i))
			}
			protoSet, proto = true, arg(i)
		case "scope":
			i++
			if !routeScopes[arg(i)] && !isUint(arg(i), 255) {
				return errf("Scope %s not found or invalid for route", arg(i))
			}
		case "metric", "priority", "preference":
			i++
			if !isUint(arg(i), 0xffffffff) {
				return errf("Invalid metric %s specified for route", arg(i))
			}
		case "dev", "oif":
			i++
			if b.host != nil && !b.host.InterfaceExists(arg(i)) {
				b.badIf = true
				return errf("WARNING - interface %s for VROUTE nexthop doesn't exist", arg(i))
			}
			r.Dev = arg(i)
		case "encap":
			// encap TYPE ARGS...: consume the rest of the encapsulation
			// words up to the next route keyword.
			i++
			for i+1 < len(w) && !routeKeyword(w[i+1]) {
				i++
			}
		case "expires", "initcwnd", "initrwnd", "window", "quickack", "fastopen_no_cookie":
			i++
			if !isUint(arg(i), 0xffffffff) {
				return errf("Invalid %s value %s specified for route", s, arg(i))
			}
		case "hoplimit":
			i++
			if !isUint(arg(i), 255) {
				return errf("Invalid hoplimit %s specified for route", arg(i))
			}
		case "mtu", "advmss", "reordering", "cwnd", "ssthresh":
			i++
			if arg(i) == "lock" {
				i++
			}
			if !isUint(arg(i), 0xffffffff) {
				return errf("Invalid %s %s specified for route", s, arg(i))
			}
		case "rtt", "rttvar", "rto_min":
			i++
			if arg(i) == "lock" {
				i++
			}
			if arg(i) == "" {
				return errf("Invalid %s %s for route", s, arg(i))
			}
		case "realms", "features", "congctl", "pref", "ttl-propagate":
			i++
			if s == "congctl" && arg(i) == "lock" {
				i++
			}
			if s == "features" && arg(i) != "ecn" {
				b.diags.add(KindGeneral, l.Pos, "feature %s not supported", arg(i))
			}
		case "or":
			b.diags.add(KindGeneral, l.Pos, "\"or\" for routes is deprecated. Please use \"nexthop\"")
			i++
			if _, err := netip.ParseAddr(arg(i)); err != nil {
				return errf("Invalid \"or\" address %s", arg(i))
			}
		case "nexthop":
			nexthop = true
		case "no_track":
			r.NoTrack = true
		case "track_group":
			i++
		default:
			if s == "to" {
				i++
			}
			if routeTypes[arg(i)] {
				r.Type = arg(i)
				i++
			}
			dest = arg(i)
			p, ok := parseAddrOrPrefix(dest)
			if !ok || dest == "all" || dest == "any" {
				b.diags.add(KindGeneral, l.Pos, "VRRP parsed invalid IP %s. skipping IP...", dest)
				return errf("unknown route keyword %s", dest)
			}
			r.Dest, haveDst = p, true
		}
		if nexthop {
			break
		}
	}
	if nexthop {
		// nexthop via A dev D weight N onlink ... [nexthop ...]
		for i++; i < len(w); i++ {
			switch w[i] {
			case "nexthop", "onlink":
			case "via":
				i++
				if arg(i) == "inet" || arg(i) == "inet6" {
					i++
				}
				if _, err := netip.ParseAddr(arg(i)); err != nil {
					return errf("invalid nexthop address %s", arg(i))
				}
			case "dev":
				i++
				if b.host != nil && !b.host.InterfaceExists(arg(i)) {
					b.badIf = true
					return errf("WARNING - interface %s for VROUTE nexthop doesn't exist", arg(i))
				}
			case "weight":
				i++
				if !isUint(arg(i), 256) || arg(i) == "0" {
					return errf("Invalid weight %s specified for route", arg(i))
				}
			case "realms", "encap":
				i++
			default:
				return errf("Route has trailing nonsense after nexthops - %s", w[i])
			}
		}
	}
	if !haveDst {
		return errf("Route must have a destination")
	}
	if !r.NoTrack {
		if protoSet && proto != "keepalived" && proto != "18" {
			b.diags.add(KindGeneral, l.Pos, "Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol")
		}
		if r.Dev == "" {
			b.diags.add(KindGeneral, l.Pos, "Warning - cannot track route %s with no interface specified, not tracking", dest)
			r.NoTrack = true
		}
	}
	return r, true
}

func routeKeyword(s string) bool {
	switch s {
	case "src", "via", "gw", "from", "tos", "dsfield", "table", "protocol", "scope", "metric", "priority",
		"preference", "dev", "oif", "onlink", "encap", "expires", "mtu", "hoplimit", "advmss", "rtt", "rttvar",
		"reordering", "window", "cwnd", "ssthresh", "realms", "rto_min", "initcwnd", "initrwnd", "features",
		"quickack", "congctl", "pref", "ttl-propagate", "fastopen_no_cookie", "or", "nexthop", "no_track", "track_group":
		return true
	}
	return false
}

// rule checks one rule line.
func (b *builder) rule(l *Node) (Rule, bool) {
	r := Rule{Pos: l.Pos, Words: l.Words}
	w := l.Words
	arg := func(i int) string {
		if i < len(w) {
			return w[i]
		}
		return ""
	}
	errf := func(format string, args ...any) (Rule, bool) {
		b.diags.add(KindGeneral, l.Pos, format, args...)
		return r, false
	}
	for i := 0; i < len(w); i++ {
		s := w[i]
		switch s {
		case "inet", "inet6", "not", "l3mdev", "no_track":
		case "from", "to":
			i++
			if _, ok := parseAddrOrPrefix(arg(i)); !ok {
				b.diags.add(KindGeneral, l.Pos, "VRRP parsed invalid IP %s. skipping IP...", arg(i))
				return errf("Invalid rule %s address %s", s, arg(i))
			}
			if s == "from" {
				r.From = arg(i)
			} else {
				r.To = arg(i)
			}
		case "table", "lookup":
			i++
			if !routeTables[arg(i)] && !isUint(arg(i), 0xffffffff) {
				return errf("Routing table %s not found for rule", arg(i))
			}
			r.Table = arg(i)
		case "preference", "priority", "order":
			i++
			if !isUint(arg(i), 0xffffffff) {
				return errf("Invalid rule preference %s specified", arg(i))
			}
			r.Preference = arg(i)
		case "iif", "iifname", "oif", "oifname":
			i++
			if b.host != nil && !b.host.InterfaceExists(arg(i)) {
				b.badIf = true
				b.diags.add(KindGeneral, l.Pos, "WARNING - interface %s for rule doesn't exist", arg(i))
			}
		case "fwmark", "tos", "dsfield", "realms", "suppress_prefixlength", "sup_pl", "suppress_ifgroup",
			"sup_group", "goto", "uidrange", "ipproto", "sport", "dport", "protocol", "track_group", "type":
			i++
			if arg(i) == "" {
				return errf("Missing value for rule option %s", s)
			}
		case "unicast", "blackhole", "unreachable", "prohibit", "nop":
		default:
			return errf("Unknown rule option %s", s)
		}
	}
	if r.Preference == "" {
		b.diags.add(KindGeneral, l.Pos, "Rule has no preference specified - setting to %d. This is probably not what you want.", b.rulePref)
		b.rulePref--
	}
	return r, true
}

// checkVIP reports the parts of a virtual/static address line keepalived
// complains about (unknown words, missing interfaces).
func (b *builder) checkVIP(v VIP) {
	if v.badLen != "" {
		b.diags.add(KindInvalidNumber, v.Pos, "number '%s' outside range [0, %d]", v.badLen, v.Prefix.Bits())
		b.diags.add(KindGeneral, v.Pos, "Invalid address prefix len %s for address %s - using %d", v.badLen, v.PrefixText, v.Prefix.Bits())
	}
	if v.brdMissing {
		b.diags.add(KindGeneral, v.Pos, "No brd parameter specified for %s", v.PrefixText)
	}
	for _, e := range v.Extra {
		b.diags.add(KindGeneral, v.Pos, "Unknown configuration entry '%s' for ip address - ignoring", e)
	}
	if v.Peer != "" && strings.Contains(v.PrefixText, "/") {
		b.diags.add(KindGeneral, v.Pos, "Cannot specify address prefix when specifying peer address - ignoring")
	}
	if v.Dev != "" && b.host != nil && !b.host.InterfaceExists(v.Dev) {
		b.badIf = true
		addr := v.Prefix.Addr().String()
		if strings.Contains(v.PrefixText, "/") {
			addr = v.PrefixText
		}
		b.diags.add(KindGeneral, v.Pos, "WARNING - interface %s for ip address %s doesn't exist", v.Dev, addr)
	}
}
