package codec

import (
	"fmt"
	"net/netip"
)

// InstanceParams is what a vrrp_instance expects of the adverts it receives.
type InstanceParams struct {
	Name string // instance name, as in "(VI_1) ..." log messages
	// Interface is the receiving interface, for the unknown VRID message.
	Interface string
	Version   uint8 // 2 or 3
	VRID      uint8
	// AuthType and AuthPass: keepalived's auth_type and auth_pass (the
	// password NUL padded / truncated to 8 bytes, see PassData).
	AuthType uint8
	AuthPass [8]byte
	// AdvertIntCentis is the configured advert_int in centiseconds
	// (VRRPv2 compares it with the advert's whole seconds).
	AdvertIntCentis uint32
	VIPs            []netip.Addr
	// SkipCheckAdvAddr is vrrp_skip_check_adv_addr / skip_check_adv_addr:
	// as in keepalived, the address count and list are then not checked
	// when the instance is BACKUP (Master false) and the advert comes from
	// the same router as the previous one (LastMaster); they still are in
	// MASTER state and when the advertising router changes.
	SkipCheckAdvAddr bool
	Master           bool
	LastMaster       netip.Addr
	// AHSeq is the instance's AH sequence counter: in MASTER state an AH
	// advert whose sequence number is not above it is a replay.
	AHSeq uint32
	// UnicastPeers; with none the instance expects multicast adverts with
	// TTL/hop limit 255.
	UnicastPeers []netip.Addr
	// CheckUnicastSrc: check_unicast_src / vrrp_check_unicast_src.
	CheckUnicastSrc bool
	// Multicast reports, for IPv6, whether the advert was received on the
	// multicast group (IPv4 uses the destination address).
	Multicast bool
	// StrictMode is vrrp_strict / strict_mode.
	StrictMode bool
	// IPv6 selects the instance's address family.
	IPv6 bool
	// InitialMaster ("state MASTER") and Priority, for the strict mode
	// address owner rules.
	InitialMaster bool
	Priority      uint8
}

// PassData returns the authentication data keepalived sends for auth_pass
// pw: the first 8 bytes, NUL padded.
func PassData(pw string) (d [8]byte) {
	copy(d[:], pw)
	return d
}

// Verdict classifies a rejected advert as keepalived does.
type Verdict int

const (
	// OK: the advert is accepted.
	OK Verdict = iota
	// KO: the advert is invalid (VRRP_PACKET_KO).
	KO
	// Drop: the advert is not relevant to the instance (VRRP_PACKET_DROP).
	Drop
	// Other: the advert is for another VRID (ignored, logged only with
	// log_unknown_vrids).
	Other
)

// RejectError is the reason Validate rejects an advert: Msg is the line
// keepalived 2.2.7 logs for it.
type RejectError struct {
	Verdict Verdict
	Msg     string
}

func (e *RejectError) Error() string { return e.Msg }

// Validate applies to p (from Decode) the checks keepalived 2.2.7 makes on a
// received advert (vrrp_check_packet), in keepalived's order, and returns
// nil or a *RejectError whose message is what keepalived logs.
func Validate(p Packet, want InstanceParams) error {
	ko := func(v Verdict, format string, args ...any) error {
		return &RejectError{Verdict: v, Msg: fmt.Sprintf(format, args...)}
	}
	name := want.Name
	if p.VRID != want.VRID {
		return ko(Other, "Unknown VRID(%d) received on interface(%s). ignoring...", p.VRID, want.Interface)
	}
	ipv6 := p.Src.Is6()
	if ipv6 != want.IPv6 {
		return ko(KO, "(%s) configured address family is %d, which is neither AF_INET or AF_INET6. This is probably a bug - please report", name, map[bool]int{false: 2, true: 10}[want.IPv6])
	}
	if !ipv6 && (p.AH != nil) != (want.AuthType == AuthAH) {
		// keepalived has these messages, but its receive socket is opened
		// for IP protocol AH (auth_type AH) or VRRP (otherwise), so the
		// kernel never hands it the other kind: silently not seen.
		return ko(Drop, "")
	}
	unicast := len(want.UnicastPeers) > 0
	if !unicast && p.TTL != -1 && p.TTL != TTL {
		return ko(KO, "(%s) invalid TTL/HL. Received %d and expect %d", name, p.TTL, TTL)
	}
	if p.Version != want.Version {
		return ko(KO, "(%s) wrong version. Received %d and expect %d", name, p.Version, want.Version)
	}
	if want.Version == 2 {
		if p.AuthType != AuthNone && p.AuthType != AuthPass && p.AuthType != AuthAH {
			return ko(KO, "(%s) Invalid auth type: %d", name, p.AuthType)
		}
		if p.AuthType != want.AuthType {
			return ko(KO, "(%s) received a %d auth, expecting %d!", name, p.AuthType, want.AuthType)
		}
		if want.AuthType == AuthPass && p.AuthData != want.AuthPass {
			return ko(KO, "(%s) received an invalid passwd!", name)
		}
		if want.AuthType == AuthAH && p.AH != nil {
			if p.AH.NextHeader != IPProtoVRRP {
				return ko(Drop, "")
			}
			if !p.AH.Valid {
				return ko(KO, "(%s) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !", name)
			}
			if want.Master && p.AH.Seq <= want.AHSeq {
				return ko(KO, "(%s) IPSEC-AH : sequence number %d already processed. Packet dropped. Local(%d)", name, p.AH.Seq, want.AHSeq)
			}
		}
		if want.AdvertIntCentis != uint32(p.AdvertInt)*100 {
			return ko(Drop, "(%s) advertisement interval mismatch mine=%d sec rcv'd=%d sec", name, want.AdvertIntCentis/100, p.AdvertInt)
		}
	}
	if p.Type != TypeAdvertisement {
		return ko(KO, "(%s) Invalid packet type. %d and expect %d", name, p.Type, TypeAdvertisement)
	}
	checkVIP := !want.SkipCheckAdvAddr || want.Master || want.LastMaster.Unmap() != p.Src
	if checkVIP && len(p.Addresses) != len(want.VIPs) {
		return ko(KO, "(%s) received an unexpected ip number count %d, expected %d!", name, len(p.Addresses), len(want.VIPs))
	}
	// keepalived leaves the IPv6 checksum to the kernel, which drops a bad
	// one silently.
	if !p.ChecksumValid {
		if ipv6 {
			return ko(Drop, "")
		}
		return ko(KO, "(%s) Invalid VRRPv%d checksum", name, p.Version)
	}
	multicast := p.Dst.IsMulticast()
	if ipv6 {
		multicast = want.Multicast || p.Dst.IsMulticast()
	}
	if multicast == unicast {
		w, g := "mult", "un"
		if unicast {
			w, g = "un", "mult"
		}
		return ko(KO, "(%s) Expected %sicast packet but received %sicast packet", name, w, g)
	}
	if checkVIP {
		for _, vip := range want.VIPs {
			found := false
			for _, a := range p.Addresses {
				if a == vip.Unmap() {
					found = true
					break
				}
			}
			if !found {
				return ko(KO, "(%s) ip address associated with VRID %d not present in MASTER advert: %s", name, want.VRID, vip)
			}
		}
		if unicast && want.CheckUnicastSrc {
			found := false
			for _, a := range want.UnicastPeers {
				if a.Unmap() == p.Src {
					found = true
					break
				}
			}
			if !found {
				return ko(KO, "(%s) unicast source address %s not a unicast peer", name, p.Src)
			}
		}
	}
	return nil
}

// ConfigWarnings returns what keepalived 2.2.7 logs when it adjusts an
// instance's configuration for the VRRP packet rules (strict mode, v3 and
// authentication, AH with IPv6); keepalived carries on with authentication
// cleared.
func ConfigWarnings(p InstanceParams) []string {
	var w []string
	if p.StrictMode && p.InitialMaster != (p.Priority == 255) {
		w = append(w, fmt.Sprintf("(%s) State MASTER must match being address owner", p.Name))
	}
	if p.AuthType != AuthNone {
		switch {
		case p.StrictMode:
			w = append(w, fmt.Sprintf("(%s) Strict mode does not support authentication. Ignoring.", p.Name))
		case p.Version == 3:
			w = append(w, fmt.Sprintf("(%s) VRRP version 3 does not support authentication. Ignoring.", p.Name))
		case p.AuthType == AuthAH && p.IPv6:
			w = append(w, fmt.Sprintf("(%s) Cannot use AH authentication with IPv6. ignoring", p.Name))
		}
	}
	if p.StrictMode && len(p.UnicastPeers) > 0 {
		w = append(w, fmt.Sprintf("(%s) Unicast peers are not supported in strict mode", p.Name))
	}
	return w
}

// AddressOwnerConflict reports what keepalived logs when an advert with
// priority 255 (address owner) reaches an instance that is itself the
// address owner; keepalived then reduces its own priority.
func AddressOwnerConflict(p Packet, local InstanceParams) (string, bool) {
	if p.Priority == 255 && local.Priority == 255 {
		return fmt.Sprintf("(%s) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority", local.Name), true
	}
	return "", false
}
