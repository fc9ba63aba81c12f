package proxy

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
	"github.com/gohaproxy/gohaproxy/pkg/proxy/balance"
)

// rdpPersist is "persist rdp-cookie[(name)]": an RDP client that carries
// the routing token a Microsoft session broker hands out
// ("msts=<addr>.<port>.<reserved>") goes straight to that server.
type rdpPersist struct {
	cookie string // "" when not configured
	force  bool   // "option persist": even to a server that is down
}

func (be *backend) initPersist(px *haproxycfg.Proxy) {
	for _, d := range px.Other {
		if d.Args[0] != "persist" || len(d.Args) < 2 {
			continue
		}
		arg := d.Args[1]
		be.rdp.cookie = "msts"
		if strings.HasPrefix(arg, "rdp-cookie(") && strings.HasSuffix(arg, ")") {
			be.rdp.cookie = arg[len("rdp-cookie(") : len(arg)-1]
		}
	}
	be.rdp.force = px.OptionEnabled("persist")
}

// parseRDPToken reads "<addr>.<port>." where both numbers are the decimal
// value of the address and port in network byte order read as a
// little-endian integer (what a session broker writes).
func parseRDPToken(v []byte) (netip.AddrPort, bool) {
	s := string(v)
	a, rest, ok := strings.Cut(s, ".")
	if !ok {
		return netip.AddrPort{}, false
	}
	p, _, ok := strings.Cut(rest, ".")
	if !ok {
		return netip.AddrPort{}, false
	}
	av, err1 := strconv.ParseUint(a, 10, 32)
	pv, err2 := strconv.ParseUint(p, 10, 16)
	if err1 != nil || err2 != nil {
		return netip.AddrPort{}, false
	}
	var ip [4]byte
	binary.LittleEndian.PutUint32(ip[:], uint32(av))
	port := uint16(pv)<<8 | uint16(pv)>>8
	return netip.AddrPortFrom(netip.AddrFrom4(ip), port), true
}

// persistServer is the server the RDP routing token of payload names,
// or nil (no persistence configured, no token, no such server, or the
// server is down without "option persist").
func (be *backend) persistServer(payload []byte) *server {
	if be.rdp.cookie == "" {
		return nil
	}
	v, ok := balance.RDPCookie(payload, be.rdp.cookie)
	if !ok || len(v) == 0 {
		return nil
	}
	want, ok := parseRDPToken(v)
	if !ok {
		return nil
	}
	for _, s := range be.servers {
		if !s.portSet {
			continue
		}
		host, port, err := net.SplitHostPort(s.currentAddr())
		if err != nil {
			continue
		}
		ip, err := netip.ParseAddr(host)
		if err != nil || !ip.Is4() || ip != want.Addr() || port != strconv.Itoa(int(want.Port())) {
			continue
		}
		if be.rdp.force || !be.picker.toB[s].Down {
			return s
		}
	}
	return nil
}
