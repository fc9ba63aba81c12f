package linux

import (
	"bytes"
	"fmt"
	"net/netip"
	"os/exec"
	"sort"
	"strings"

	"github.com/gohaproxy/gohaproxy/pkg/vrrp"
)

// SetFirewall makes the nftables tables "ip keepalived" and "ip6
// keepalived" hold st, as keepalived 2.2.7 (built with nftables and no
// vrrp_iptables/nftables configured) fills them: a set of the VIPs of
// the MASTER instances that do not accept packets for them (vrrp_strict,
// no_accept) dropped on input and output, the neighbour discovery
// exceptions for IPv6, and for IPv4 VMACs the map that sends IGMP
// reports out of the base interface. Each call replaces the tables in one
// nft transaction; a family whose state is inactive has no table.
func (p *Platform) SetFirewall(st vrrp.FirewallState) error {
	var b strings.Builder
	// Creating then deleting makes the delete valid whether or not the
	// table exists.
	b.WriteString("table ip keepalived\ndelete table ip keepalived\n")
	b.WriteString("table ip6 keepalived\ndelete table ip6 keepalived\n")
	if st.V4 || len(st.VMACs) > 0 {
		writeTable4(&b, st)
	}
	if st.V6 {
		writeTable6(&b, st.Drop6)
	}
	return p.nft(b.String())
}

func elements(addrs []netip.Addr) string {
	if len(addrs) == 0 {
		return ""
	}
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return "; elements = { " + strings.Join(s, ", ") + " }"
}

func writeTable4(b *strings.Builder, st vrrp.FirewallState) {
	b.WriteString("table ip keepalived {\n")
	if len(st.VMACs) > 0 {
		names := make([]string, 0, len(st.VMACs))
		for n := range st.VMACs {
			names = append(names, n)
		}
		sort.Strings(names)
		var el []string
		for _, n := range names {
			el = append(el, fmt.Sprintf("%q : %q", n, st.VMACs[n]))
		}
		fmt.Fprintf(b, "\tmap vmac_map { type iface_index : iface_index; elements = { %s } }\n", strings.Join(el, ", "))
	}
	if st.V4 {
		fmt.Fprintf(b, "\tset vips { type ipv4_addr%s }\n", elements(st.Drop4))
	}
	b.WriteString("\tchain out {\n\t\ttype filter hook output priority -1; policy accept;\n")
	if len(st.VMACs) > 0 {
		b.WriteString("\t\tip protocol igmp meta oifkind \"macvlan\" dup to ip daddr device oif map @vmac_map drop\n")
	}
	if st.V4 {
		b.WriteString("\t\tip saddr @vips drop\n")
	}
	b.WriteString("\t}\n")
	if st.V4 {
		b.WriteString("\tchain in {\n\t\ttype filter hook input priority -1; policy accept;\n\t\tip daddr @vips drop\n\t}\n")
	}
	b.WriteString("}\n")
}

func writeTable6(b *strings.Builder, drop []netip.Addr) {
	fmt.Fprintf(b, `table ip6 keepalived {
	set vips { type ipv6_addr%s }
	set neighbor-discovery { type icmpv6_type; flags constant; elements = { nd-neighbor-solicit, nd-neighbor-advert } }
	chain out { type filter hook output priority -1; policy accept; }
	chain in { type filter hook input priority -1; policy accept; }
	chain in_link_local { }
	chain out_link_local { }
}
add rule ip6 keepalived out icmpv6 type @neighbor-discovery accept
add rule ip6 keepalived out ip6 saddr fe80::/10 goto out_link_local
add rule ip6 keepalived out ip6 saddr @vips drop
add rule ip6 keepalived in icmpv6 type @neighbor-discovery accept
add rule ip6 keepalived in ip6 daddr fe80::/10 goto in_link_local
add rule ip6 keepalived in ip6 daddr @vips drop
`, elements(drop))
}

// nft runs `nft -f -` with script in p's namespace.
func (p *Platform) nft(script string) error {
	bin, err := exec.LookPath("nft")
	if err != nil {
		return fmt.Errorf("nft is not installed: install nftables (keepalived's vrrp_strict/no_accept and use_vmac firewall rules need it)")
	}
	return p.inNS(func() error {
		cmd := exec.Command(bin, "-f", "-")
		cmd.Stdin = strings.NewReader(script)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("nft: %v: %s", err, strings.TrimSpace(out.String()))
		}
		return nil
	})
}
