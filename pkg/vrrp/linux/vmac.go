package linux

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// vmacSysctls are the IPv4 settings keepalived 2.2.7 gives a VMAC
// interface (observed with `use_vmac` in a namespace): it answers ARP only
// for its own addresses, accepts packets from local addresses (the base
// interface's adverts), does no reverse path filtering and promotes
// secondary addresses.
var vmacSysctls = []struct{ name, value string }{
	{"arp_ignore", "1"},
	{"accept_local", "1"},
	{"rp_filter", "0"},
	{"promote_secondaries", "1"},
}

// baseSysctls are what keepalived sets on the base interface of a VMAC so
// that the base interface does not answer ARP for the VIPs; keepalived
// leaves them set when it stops.
var baseSysctls = []struct{ name, value string }{
	{"arp_ignore", "1"},
	{"arp_filter", "1"},
}

// AddVMAC creates (or reuses) the macvlan interface name on base with MAC
// mac, as keepalived's use_vmac does: mode private, no IPv6 address
// generation, IPv6 disabled for an IPv4 instance, keepalived's sysctls on
// both interfaces, and up.
func (p *Platform) AddVMAC(name, base string, mac net.HardwareAddr, ipv6 bool) error {
	bl, err := p.link(base)
	if err != nil {
		return err
	}
	var l netlink.Link
	if old, err := p.nl.LinkByName(name); err == nil {
		mv, ok := old.(*netlink.Macvlan)
		if !ok || mv.Attrs().ParentIndex != bl.Attrs().Index {
			return fmt.Errorf("interface %s exists and is not a macvlan on %s: remove it or name the VMAC differently (use_vmac NAME)", name, base)
		}
		if err := p.nl.LinkSetHardwareAddr(old, mac); err != nil {
			return fmt.Errorf("set MAC %s on %s: %w", mac, name, err)
		}
		l = old
	} else {
		mv := &netlink.Macvlan{LinkAttrs: netlink.NewLinkAttrs(), Mode: netlink.MACVLAN_MODE_PRIVATE}
		mv.Name, mv.ParentIndex, mv.HardwareAddr = name, bl.Attrs().Index, mac
		if err := p.nl.LinkAdd(mv); err != nil {
			return fmt.Errorf("create VMAC interface %s on %s: %w", name, base, err)
		}
		if l, err = p.nl.LinkByName(name); err != nil {
			return fmt.Errorf("VMAC interface %s: %w", name, err)
		}
	}
	if err := p.nl.LinkSetIP6AddrGenMode(l, 1); err != nil { // IN6_ADDR_GEN_MODE_NONE
		return fmt.Errorf("set addrgenmode none on %s: %w", name, err)
	}
	err = p.inNS(func() error {
		var errs []error
		for _, s := range vmacSysctls {
			errs = append(errs, writeSysctl("ipv4/conf/"+name+"/"+s.name, s.value))
		}
		if !ipv6 {
			errs = append(errs, writeSysctl("ipv6/conf/"+name+"/disable_ipv6", "1"))
		}
		for _, s := range baseSysctls {
			errs = append(errs, writeSysctl("ipv4/conf/"+base+"/"+s.name, s.value))
		}
		return errors.Join(errs...)
	})
	if err != nil {
		return err
	}
	if err := p.nl.LinkSetUp(l); err != nil {
		return fmt.Errorf("bring VMAC interface %s up: %w", name, err)
	}
	return nil
}

// DelVMAC removes the VMAC interface name (no error if it is gone).
func (p *Platform) DelVMAC(name string) error {
	l, err := p.nl.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		return fmt.Errorf("interface %s: %w", name, err)
	}
	if _, ok := l.(*netlink.Macvlan); !ok {
		return fmt.Errorf("interface %s is not a VMAC (macvlan): left in place", name)
	}
	if err := p.nl.LinkDel(l); err != nil {
		return fmt.Errorf("remove VMAC interface %s: %w", name, err)
	}
	return nil
}

// writeSysctl writes /proc/sys/net/key (in the current thread's network
// namespace).
func writeSysctl(key, value string) error {
	path := filepath.Join("/proc/sys/net", key)
	f, err := os.OpenFile(path, os.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("sysctl %s: %w", path, err)
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sysctl %s=%s: %w", path, value, err)
	}
	return nil
}
