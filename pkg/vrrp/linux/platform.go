// Package linux implements vrrp.Platform on Linux as keepalived 2.2.7 does:
// raw IP sockets (protocol 112, or 51 for auth_type AH) bound to the
// interface for adverts, netlink for addresses, routes and rules, a packet
// socket for gratuitous ARP and an ICMPv6 socket for unsolicited neighbour
// advertisements.
//
// A Platform works in one network namespace: the caller's (the default) or
// a named one (Options.NetNS, as created by `ip netns add`), which is how
// the tests drive two routers from one process.
package linux

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/gohaproxy/gohaproxy/pkg/vrrp"
)

// Options configure a Platform.
type Options struct {
	// NetNS is the name of a network namespace (under /var/run/netns) to
	// work in; empty means the namespace of the calling process.
	NetNS string
}

// Platform is the Linux vrrp.Platform.
type Platform struct {
	ns     netns.NsHandle // -1 for the caller's namespace
	nsName string
	nl     *netlink.Handle
	mu     sync.Mutex
	closed bool
}

var _ vrrp.Platform = (*Platform)(nil)

// New returns a Platform working in the namespace o names.
func New(o Options) (*Platform, error) {
	p := &Platform{ns: netns.None(), nsName: o.NetNS}
	var err error
	if o.NetNS != "" {
		p.ns, err = netns.GetFromName(o.NetNS)
		if err != nil {
			return nil, fmt.Errorf("network namespace %q: %w (create it with `ip netns add %s` or fix the name)", o.NetNS, err, o.NetNS)
		}
		p.nl, err = netlink.NewHandleAt(p.ns)
	} else {
		p.nl, err = netlink.NewHandle()
	}
	if err != nil {
		if p.ns.IsOpen() {
			p.ns.Close()
		}
		return nil, fmt.Errorf("netlink socket: %w (gokeepalived needs CAP_NET_ADMIN)", err)
	}
	return p, nil
}

// Close releases the netlink handle and the namespace handle. Conns opened
// from p stay usable until closed themselves.
func (p *Platform) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	p.nl.Close()
	if p.ns.IsOpen() {
		return p.ns.Close()
	}
	return nil
}

// inNS runs f on an OS thread switched to p's namespace. Sockets f creates
// belong to that namespace for their whole life.
func (p *Platform) inNS(f func() error) error {
	if !p.ns.IsOpen() {
		return f()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// The thread is not unlocked: if restoring the namespace fails
		// it must die with the goroutine rather than serve others.
		orig, err := netns.Get()
		if err != nil {
			errc <- fmt.Errorf("current network namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(p.ns); err != nil {
			errc <- fmt.Errorf("enter network namespace %q: %w", p.nsName, err)
			return
		}
		ferr := f()
		if err := netns.Set(orig); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("leave network namespace %q: %w", p.nsName, err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// errNoInterface is wrapped by the errors about a missing interface.
var errNoInterface = errors.New("does not exist")

// link finds ifname.
func (p *Platform) link(ifname string) (netlink.Link, error) {
	l, err := p.nl.LinkByName(ifname)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil, fmt.Errorf("interface %s %w: check the interface/dev name in the configuration", ifname, errNoInterface)
		}
		return nil, fmt.Errorf("interface %s: %w", ifname, err)
	}
	return l, nil
}

// LinkUp reports whether ifname exists and is up. keepalived treats an
// interface as usable when it is administratively up and running (carrier);
// operstate UNKNOWN (dummy, some tunnels) counts as up.
func (p *Platform) LinkUp(ifname string) (bool, error) {
	l, err := p.link(ifname)
	if err != nil {
		return false, err
	}
	return linkIsUp(l.Attrs()), nil
}

func linkIsUp(a *netlink.LinkAttrs) bool {
	if a.Flags&unix.IFF_UP == 0 {
		return false
	}
	switch a.OperState {
	case netlink.OperUp, netlink.OperUnknown:
		return a.RawFlags&unix.IFF_RUNNING != 0
	}
	return false
}

// PrimaryAddr returns the address keepalived sends adverts from when no
// source is configured: for IPv4 the interface's first primary (not
// secondary) address, for IPv6 its link-local address.
func (p *Platform) PrimaryAddr(ifname string, ipv6 bool) (netip.Addr, error) {
	l, err := p.link(ifname)
	if err != nil {
		return netip.Addr{}, err
	}
	fam := netlink.FAMILY_V4
	if ipv6 {
		fam = netlink.FAMILY_V6
	}
	addrs, err := p.nl.AddrList(l, fam)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("addresses of %s: %w", ifname, err)
	}
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		if a.Flags&(unix.IFA_F_TENTATIVE|unix.IFA_F_DADFAILED) != 0 {
			continue
		}
		if ipv6 {
			if ip.Is6() && ip.IsLinkLocalUnicast() {
				return ip, nil
			}
			continue
		}
		if ip.Is4() && a.Flags&unix.IFA_F_SECONDARY == 0 {
			return ip, nil
		}
	}
	if ipv6 {
		return netip.Addr{}, fmt.Errorf("interface %s has no IPv6 link-local address: bring it up with IPv6 enabled or set mcast_src_ip/unicast_src_ip", ifname)
	}
	return netip.Addr{}, fmt.Errorf("interface %s has no IPv4 address: add one or set mcast_src_ip/unicast_src_ip", ifname)
}

// WatchLinks streams up/down changes of every interface until ctx ends.
func (p *Platform) WatchLinks(ctx context.Context) (<-chan vrrp.LinkEvent, error) {
	updates := make(chan netlink.LinkUpdate, 16)
	done := make(chan struct{})
	opts := netlink.LinkSubscribeOptions{
		ErrorCallback: func(error) {},
	}
	if p.ns.IsOpen() {
		ns := p.ns
		opts.Namespace = &ns
	}
	if err := netlink.LinkSubscribeWithOptions(updates, done, opts); err != nil {
		return nil, fmt.Errorf("subscribe to link changes: %w", err)
	}
	out := make(chan vrrp.LinkEvent)
	go func() {
		defer close(out)
		defer func() {
			// netlink's reader closes updates once done is closed.
			close(done)
			for range updates {
			}
		}()
		last := map[string]bool{}
		for {
			select {
			case <-ctx.Done():
				return
			case u, ok := <-updates:
				if !ok {
					return
				}
				a := u.Attrs()
				if a == nil {
					continue
				}
				up := linkIsUp(a) && u.Header.Type != unix.RTM_DELLINK
				if prev, seen := last[a.Name]; seen && prev == up {
					continue
				}
				last[a.Name] = up
				select {
				case out <- vrrp.LinkEvent{Interface: a.Name, Up: up}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}
