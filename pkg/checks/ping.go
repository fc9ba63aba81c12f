package checks

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// pingData is the size of the echo payload (keepalived sends 128 bytes
// after the ICMP header).
const pingData = 128

// Ping sends one ICMP (IPv4) or ICMPv6 echo request to the target's
// address and succeeds on the echo reply, as keepalived's PING_CHECK. It
// uses an unprivileged ping socket when /proc/sys/net/ipv4/ping_group_range
// allows it and a raw socket otherwise (keepalived widens the sysctl
// instead; gokeepalived leaves the host's settings alone). Silence until
// the context's deadline is L4TOUT, anything but an echo reply L4CON.
type Ping struct{}

// Run implements Probe. The port of t.Addr, if any, is ignored.
func (Ping) Run(ctx context.Context, t Target) Result {
	return timed(func() Result {
		dst, err := pingAddr(t.Addr)
		if err != nil {
			return result(false, StatusSOCKERR, 0, err.Error())
		}
		src := ""
		if t.Source != "" {
			src = t.Source
			if h, _, err := net.SplitHostPort(t.Source); err == nil {
				src = h
			}
		}
		v6 := dst.Is6()
		dgram, raw, proto := "udp4", "ip4:icmp", 1
		if src == "" {
			src = "0.0.0.0"
		}
		if v6 {
			dgram, raw, proto = "udp6", "ip6:ipv6-icmp", 58
			if src == "0.0.0.0" {
				src = "::"
			}
		}
		isRaw := false
		c, err := icmp.ListenPacket(dgram, src)
		if err != nil {
			if c, err = icmp.ListenPacket(raw, src); err != nil {
				return result(false, StatusSOCKERR, 0, err.Error())
			}
			isRaw = true
		}
		defer c.Close()
		if dl, ok := ctx.Deadline(); ok {
			c.SetDeadline(dl)
		}
		stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
		defer stop()

		id, seq := rand.IntN(0xffff)+1, rand.IntN(0x10000)
		var typ icmp.Type = ipv4.ICMPTypeEcho
		if v6 {
			typ = ipv6.ICMPTypeEchoRequest
		}
		data := make([]byte, pingData)
		for i := range data {
			data[i] = byte(i)
		}
		msg := icmp.Message{Type: typ, Body: &icmp.Echo{ID: id, Seq: seq, Data: data}}
		b, err := msg.Marshal(nil)
		if err != nil {
			return result(false, StatusSOCKERR, 0, err.Error())
		}
		var to net.Addr = &net.UDPAddr{IP: dst.AsSlice(), Zone: dst.Zone()}
		if isRaw {
			to = &net.IPAddr{IP: dst.AsSlice(), Zone: dst.Zone()}
		}
		if _, err := c.WriteTo(b, to); err != nil {
			var errno syscall.Errno
			errors.As(err, &errno)
			return result(false, StatusL4CON, 0, fmt.Sprintf("send ICMP packet fail - errno %d (%v)", int(errno), err))
		}
		buf := make([]byte, 1500)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				if isTimeout(ctx, err) {
					return result(false, StatusL4TOUT, 0, "timeout")
				}
				return result(false, StatusL4CON, 0, "recv ICMP packet error: "+err.Error())
			}
			m, err := icmp.ParseMessage(proto, buf[:n])
			if err != nil {
				if isRaw {
					continue
				}
				return result(false, StatusL4CON, 0, fmt.Sprintf("got short ICMP packet, %d bytes", n))
			}
			echo, isEcho := m.Body.(*icmp.Echo)
			reply := m.Type == ipv4.ICMPTypeEchoReply || m.Type == ipv6.ICMPTypeEchoReply
			if isRaw {
				// a raw socket sees every ICMP message of the host: only
				// our reply counts
				if !reply || !isEcho || echo.ID != id || echo.Seq != seq || !sameIP(from, dst) {
					continue
				}
				return result(true, StatusL4OK, 0, "")
			}
			if !reply {
				return result(false, StatusL4CON, 0, fmt.Sprintf("got ICMP packet with type 0x%x", icmpType(m.Type)))
			}
			if isEcho && echo.Seq != seq {
				continue // a late reply to an earlier request
			}
			return result(true, StatusL4OK, 0, "")
		}
	})
}

func icmpType(t icmp.Type) int {
	switch v := t.(type) {
	case ipv4.ICMPType:
		return int(v)
	case ipv6.ICMPType:
		return int(v)
	}
	return 0
}

// pingAddr takes the address of "ip", "ip:port" or "[ip]:port".
func pingAddr(s string) (netip.Addr, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("ping target %q is not an IP address", s)
	}
	return a.Unmap(), nil
}

func sameIP(a net.Addr, want netip.Addr) bool {
	var ip net.IP
	switch v := a.(type) {
	case *net.IPAddr:
		ip = v.IP
	case *net.UDPAddr:
		ip = v.IP
	default:
		return false
	}
	got, ok := netip.AddrFromSlice(ip)
	return ok && got.Unmap() == want.WithZone("")
}
