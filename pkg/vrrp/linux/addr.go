package linux

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/gohaproxy/gohaproxy/pkg/keepalivedconf"
)

// scopes are the names iproute2 (and keepalived) give address and route
// scopes.
var scopes = map[string]int{"global": unix.RT_SCOPE_UNIVERSE, "universe": unix.RT_SCOPE_UNIVERSE,
	"site": unix.RT_SCOPE_SITE, "link": unix.RT_SCOPE_LINK, "host": unix.RT_SCOPE_HOST, "nowhere": unix.RT_SCOPE_NOWHERE}

// tables are the routing table names every iproute2 knows.
var tables = map[string]int{"main": unix.RT_TABLE_MAIN, "local": unix.RT_TABLE_LOCAL,
	"default": unix.RT_TABLE_DEFAULT, "unspec": unix.RT_TABLE_UNSPEC}

func parseScope(s string) (int, error) {
	if s == "" {
		return unix.RT_SCOPE_UNIVERSE, nil
	}
	if v, ok := scopes[s]; ok {
		return v, nil
	}
	n, err := strconv.ParseUint(s, 0, 8)
	if err != nil {
		return 0, fmt.Errorf("scope %q: use global, site, link, host, nowhere or 0-255", s)
	}
	return int(n), nil
}

func parseTable(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	if v, ok := tables[s]; ok {
		return v, nil
	}
	n, err := strconv.ParseUint(s, 0, 32)
	if err != nil {
		return 0, fmt.Errorf("table %q: use main, local, default or a number", s)
	}
	return int(n), nil
}

func prefixNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().Unmap().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().Unmap().BitLen())}
}

// vipAddr converts a virtual_ipaddress line to a netlink address as
// keepalived installs it: the prefix length as written (/32 or /128 when
// none), a broadcast address only when brd is given, scope, label and peer
// as written, and IFA_F_NODAD for IPv6 so that the address is usable at
// once.
func vipAddr(vip keepalivedconf.VIP) (*netlink.Addr, error) {
	if !vip.Prefix.IsValid() {
		return nil, fmt.Errorf("virtual address %q is not an IP address", vip.PrefixText)
	}
	ip := vip.Prefix.Addr().Unmap()
	a := &netlink.Addr{IPNet: &net.IPNet{IP: net.IP(ip.AsSlice()), Mask: net.CIDRMask(vip.Prefix.Bits(), ip.BitLen())}}
	var err error
	if a.Scope, err = parseScope(vip.Scope); err != nil {
		return nil, fmt.Errorf("virtual address %s: %w", vip.PrefixText, err)
	}
	if ip.Is6() {
		a.Flags = unix.IFA_F_NODAD
	} else {
		a.Label = vip.Label
		// netlink would compute a broadcast address; keepalived sets
		// none unless brd is written. 0.0.0.0 tells netlink "none".
		a.Broadcast = net.IPv4zero
		switch vip.Brd {
		case "":
		case "+", "-":
			// "+" sets the host bits, "-" clears them, as iproute2.
			pfx := vip.Prefix.Masked().Addr().As4()
			if vip.Brd == "+" && vip.Prefix.Bits() < 31 {
				m := net.CIDRMask(vip.Prefix.Bits(), 32)
				for i := range pfx {
					pfx[i] |= ^m[i]
				}
			}
			if vip.Brd == "+" {
				a.Broadcast = net.IP(pfx[:])
			}
		default:
			b, err := netip.ParseAddr(vip.Brd)
			if err != nil || !b.Unmap().Is4() {
				return nil, fmt.Errorf("virtual address %s: broadcast %q is not an IPv4 address", vip.PrefixText, vip.Brd)
			}
			a.Broadcast = net.IP(b.Unmap().AsSlice())
		}
	}
	if vip.Peer != "" {
		pp, err := parsePrefixOrAddr(vip.Peer)
		if err != nil {
			return nil, fmt.Errorf("virtual address %s: peer %q: %w", vip.PrefixText, vip.Peer, err)
		}
		a.Peer = prefixNet(pp)
	}
	return a, nil
}

func parsePrefixOrAddr(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// vipLink is the interface a VIP goes on: its own dev, else the instance's.
func (p *Platform) vipLink(ifname string, vip keepalivedconf.VIP) (netlink.Link, error) {
	if vip.Dev != "" {
		ifname = vip.Dev
	}
	if ifname == "" {
		return nil, fmt.Errorf("virtual address %s has no interface: add `dev IFNAME` or set the instance interface", vip.PrefixText)
	}
	return p.link(ifname)
}

// AddAddress adds vip to ifname (or to vip.Dev). Adding an address that is
// already there is not an error.
func (p *Platform) AddAddress(ifname string, vip keepalivedconf.VIP) error {
	l, err := p.vipLink(ifname, vip)
	if err != nil {
		return err
	}
	a, err := vipAddr(vip)
	if err != nil {
		return err
	}
	if err := p.nl.AddrAdd(l, a); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("add address %s to %s: %w", vip.Prefix, l.Attrs().Name, err)
	}
	return nil
}

// DelAddress removes vip; removing an absent address is not an error.
func (p *Platform) DelAddress(ifname string, vip keepalivedconf.VIP) error {
	l, err := p.vipLink(ifname, vip)
	if err != nil {
		if errors.Is(err, errNoInterface) {
			return nil
		}
		return err
	}
	a, err := vipAddr(vip)
	if err != nil {
		return err
	}
	if err := p.nl.AddrDel(l, a); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("delete address %s from %s: %w", vip.Prefix, l.Attrs().Name, err)
	}
	return nil
}

var routeTypes = map[string]int{"unicast": unix.RTN_UNICAST, "local": unix.RTN_LOCAL, "broadcast": unix.RTN_BROADCAST,
	"anycast": unix.RTN_ANYCAST, "multicast": unix.RTN_MULTICAST, "blackhole": unix.RTN_BLACKHOLE,
	"unreachable": unix.RTN_UNREACHABLE, "prohibit": unix.RTN_PROHIBIT, "throw": unix.RTN_THROW,
	"nat": unix.RTN_NAT, "xresolve": unix.RTN_XRESOLVE}

// nlRoute converts a virtual_routes/static_routes line. The common forms
// are supported: [TYPE] DEST[/LEN] [src ADDR] [via GW] [dev IF] [table N]
// [metric N] [scope S] [protocol P] [onlink]. Other words are refused with
// an error naming them rather than silently dropped.
func (p *Platform) nlRoute(r keepalivedconf.Route) (*netlink.Route, error) {
	nr := &netlink.Route{Type: unix.RTN_UNICAST, Scope: netlink.SCOPE_UNIVERSE, Protocol: unix.RTPROT_BOOT}
	if r.Type != "" {
		t, ok := routeTypes[r.Type]
		if !ok {
			return nil, fmt.Errorf("route type %q is not supported", r.Type)
		}
		nr.Type = t
	}
	fam := netlink.FAMILY_V4
	if r.Dest.IsValid() {
		nr.Dst = prefixNet(r.Dest)
		if r.Dest.Addr().Unmap().Is6() {
			fam = netlink.FAMILY_V6
		}
	}
	scopeSet := false
	w := r.Words
	arg := func(i int) string {
		if i < len(w) {
			return w[i]
		}
		return ""
	}
	for i := 0; i < len(w); i++ {
		switch s := w[i]; s {
		case "inet", "inet6", "no_track", "onlink":
			if s == "onlink" {
				nr.Flags |= unix.RTNH_F_ONLINK
			}
		case "via", "gw":
			i++
			if arg(i) == "inet" || arg(i) == "inet6" {
				i++
			}
			gw, err := netip.ParseAddr(arg(i))
			if err != nil {
				return nil, fmt.Errorf("route via %q is not an IP address", arg(i))
			}
			nr.Gw = net.IP(gw.Unmap().AsSlice())
			if gw.Unmap().Is6() {
				fam = netlink.FAMILY_V6
			}
		case "src":
			i++
			a, err := netip.ParseAddr(arg(i))
			if err != nil {
				return nil, fmt.Errorf("route src %q is not an IP address", arg(i))
			}
			nr.Src = net.IP(a.Unmap().AsSlice())
		case "dev", "oif":
			i++
			l, err := p.link(arg(i))
			if err != nil {
				return nil, err
			}
			nr.LinkIndex = l.Attrs().Index
		case "table":
			i++
			t, err := parseTable(arg(i))
			if err != nil {
				return nil, err
			}
			nr.Table = t
		case "metric", "priority", "preference":
			i++
			n, err := strconv.ParseUint(arg(i), 0, 32)
			if err != nil {
				return nil, fmt.Errorf("route metric %q is not a number", arg(i))
			}
			nr.Priority = int(n)
		case "scope":
			i++
			sc, err := parseScope(arg(i))
			if err != nil {
				return nil, err
			}
			nr.Scope, scopeSet = netlink.Scope(sc), true
		case "protocol":
			i++
			if arg(i) == "keepalived" {
				nr.Protocol = 18
				break
			}
			n, err := strconv.ParseUint(arg(i), 0, 8)
			if err != nil {
				return nil, fmt.Errorf("route protocol %q: use a number or keepalived", arg(i))
			}
			nr.Protocol = netlink.RouteProtocol(n)
		default:
			if _, isType := routeTypes[s]; isType && i == 0 {
				continue
			}
			if pr, err := parsePrefixOrAddr(s); err == nil && pr == r.Dest {
				continue
			}
			if s == "default" || s == "all" || s == "any" || s == "to" {
				continue
			}
			return nil, fmt.Errorf("route option %q is not supported by gokeepalived yet: remove it or use a notify script", s)
		}
	}
	if nr.Dst == nil {
		// default route: the kernel wants an explicit family.
		if fam == netlink.FAMILY_V6 {
			nr.Dst = &net.IPNet{IP: net.IPv6zero, Mask: net.CIDRMask(0, 128)}
		} else {
			nr.Dst = &net.IPNet{IP: net.IPv4zero, Mask: net.CIDRMask(0, 32)}
		}
	}
	nr.Family = fam
	if !scopeSet {
		// iproute2's defaults: link scope for direct unicast routes,
		// host for local, universe otherwise.
		switch {
		case nr.Type == unix.RTN_LOCAL || nr.Type == unix.RTN_NAT:
			nr.Scope = netlink.SCOPE_HOST
		case nr.Type == unix.RTN_UNICAST && nr.Gw == nil && nr.LinkIndex != 0 && fam == netlink.FAMILY_V4:
			nr.Scope = netlink.SCOPE_LINK
		}
	}
	return nr, nil
}

// AddRoute installs r; an identical route already present is not an error.
func (p *Platform) AddRoute(r keepalivedconf.Route) error {
	nr, err := p.nlRoute(r)
	if err != nil {
		return err
	}
	if err := p.nl.RouteAdd(nr); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("add route %s: %w", strings.Join(r.Words, " "), err)
	}
	return nil
}

// DelRoute removes r; an absent route is not an error.
func (p *Platform) DelRoute(r keepalivedconf.Route) error {
	nr, err := p.nlRoute(r)
	if err != nil {
		if errors.Is(err, errNoInterface) {
			return nil
		}
		return err
	}
	if err := p.nl.RouteDel(nr); err != nil && !errors.Is(err, unix.ESRCH) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("delete route %s: %w", strings.Join(r.Words, " "), err)
	}
	return nil
}

// nlRule converts a virtual_rules/static_rules line: from/to/table/
// preference and the common selectors (iif, oif, fwmark, tos).
func nlRule(r keepalivedconf.Rule) (*netlink.Rule, error) {
	nr := netlink.NewRule()
	nr.Family = netlink.FAMILY_V4
	setFam := func(p netip.Prefix) {
		if p.Addr().Unmap().Is6() {
			nr.Family = netlink.FAMILY_V6
		}
	}
	addr := func(s string) (*net.IPNet, error) {
		if s == "" || s == "all" || s == "any" || s == "default" {
			return nil, nil
		}
		p, err := parsePrefixOrAddr(s)
		if err != nil {
			return nil, fmt.Errorf("rule address %q is not an IP address or prefix", s)
		}
		setFam(p)
		return prefixNet(p), nil
	}
	var err error
	if nr.Src, err = addr(r.From); err != nil {
		return nil, err
	}
	if nr.Dst, err = addr(r.To); err != nil {
		return nil, err
	}
	if nr.Table, err = parseTable(r.Table); err != nil {
		return nil, err
	}
	if r.Table == "" {
		nr.Table = -1
	}
	if r.Preference != "" {
		n, err := strconv.ParseUint(r.Preference, 0, 32)
		if err != nil {
			return nil, fmt.Errorf("rule preference %q is not a number", r.Preference)
		}
		nr.Priority = int(n)
	}
	w := r.Words
	arg := func(i int) string {
		if i < len(w) {
			return w[i]
		}
		return ""
	}
	for i := 0; i < len(w); i++ {
		switch s := w[i]; s {
		case "from", "to", "table", "lookup", "preference", "priority", "order", "pref", "prio":
			i++
		case "inet", "inet6":
			if s == "inet6" {
				nr.Family = netlink.FAMILY_V6
			}
		case "not":
			nr.Invert = true
		case "iif", "iifname", "dev":
			i++
			nr.IifName = arg(i)
		case "oif", "oifname":
			i++
			nr.OifName = arg(i)
		case "fwmark":
			i++
			mark, mask, hasMask := strings.Cut(arg(i), "/")
			n, err := strconv.ParseUint(mark, 0, 32)
			if err != nil {
				return nil, fmt.Errorf("rule fwmark %q is not a number", arg(i))
			}
			nr.Mark = uint32(n)
			if hasMask {
				m, err := strconv.ParseUint(mask, 0, 32)
				if err != nil {
					return nil, fmt.Errorf("rule fwmark mask %q is not a number", mask)
				}
				m32 := uint32(m)
				nr.Mask = &m32
			}
		case "tos", "dsfield":
			i++
			n, err := strconv.ParseUint(arg(i), 0, 8)
			if err != nil {
				return nil, fmt.Errorf("rule tos %q is not a number", arg(i))
			}
			nr.Tos = uint(n)
		case "no_track":
		default:
			return nil, fmt.Errorf("rule option %q is not supported by gokeepalived yet: remove it or use a notify script", s)
		}
	}
	if nr.Table == -1 && nr.Goto == -1 {
		return nil, fmt.Errorf("rule without table: add `table N`")
	}
	return nr, nil
}

// AddRule installs r; an identical rule already present is not an error.
func (p *Platform) AddRule(r keepalivedconf.Rule) error {
	nr, err := nlRule(r)
	if err != nil {
		return err
	}
	if err := p.nl.RuleAdd(nr); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("add rule %s: %w", strings.Join(r.Words, " "), err)
	}
	return nil
}

// DelRule removes r; an absent rule is not an error.
func (p *Platform) DelRule(r keepalivedconf.Rule) error {
	nr, err := nlRule(r)
	if err != nil {
		return err
	}
	if err := p.nl.RuleDel(nr); err != nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("delete rule %s: %w", strings.Join(r.Words, " "), err)
	}
	return nil
}
