package checks

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// DNS record types known by name (keepalived's DNS_CHECK types).
var dnsTypes = map[string]uint16{
	"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28,
}

// DNSType returns the numeric record type for a name such as "SOA".
func DNSType(name string) (uint16, bool) {
	t, ok := dnsTypes[strings.ToUpper(name)]
	return t, ok
}

// DNS sends one query over UDP and expects a response with the same ID,
// RCODE NOERROR and at least one answer (keepalived's DNS_CHECK).
type DNS struct {
	Type uint16 // default SOA
	Name string // default "."
}

// Run implements Probe.
func (p DNS) Run(ctx context.Context, t Target) Result {
	return timed(func() Result {
		q, id, err := p.query()
		if err != nil {
			return result(false, StatusSOCKERR, 0, err.Error())
		}
		c, r := dial(ctx, "udp", t)
		if r != nil {
			return *r
		}
		defer c.Close()
		if _, err := c.Write(q); err != nil {
			// Connection refused surfaces here or on read for UDP.
			return result(false, StatusL4CON, 0, err.Error())
		}
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil {
				if isTimeout(ctx, err) {
					return result(false, StatusL7TOUT, 0, err.Error())
				}
				return result(false, StatusL4CON, 0, err.Error())
			}
			msg := buf[:n]
			if n < 12 || binary.BigEndian.Uint16(msg) != id || msg[2]&0x80 == 0 {
				continue // not our response
			}
			rcode := int(msg[3] & 0x0f)
			if rcode != 0 {
				return result(false, StatusL7STS, rcode, fmt.Sprintf("rcode %d", rcode))
			}
			if binary.BigEndian.Uint16(msg[6:]) == 0 {
				return result(false, StatusL7RSP, 0, "no answer")
			}
			return result(true, StatusL7OK, 0, "")
		}
	})
}

func (p DNS) query() ([]byte, uint16, error) {
	typ := p.Type
	if typ == 0 {
		typ = dnsTypes["SOA"]
	}
	var idb [2]byte
	rand.Read(idb[:])
	id := binary.BigEndian.Uint16(idb[:])
	m := make([]byte, 12, 64)
	binary.BigEndian.PutUint16(m[0:], id)
	m[2] = 0x01                          // RD
	binary.BigEndian.PutUint16(m[4:], 1) // QDCOUNT
	name, err := encodeName(p.Name)
	if err != nil {
		return nil, 0, err
	}
	m = append(m, name...)
	m = binary.BigEndian.AppendUint16(m, typ)
	m = binary.BigEndian.AppendUint16(m, 1) // IN
	return m, id, nil
}

func encodeName(name string) ([]byte, error) {
	name = strings.TrimSuffix(name, ".")
	var b []byte
	if name != "" {
		for _, l := range strings.Split(name, ".") {
			if l == "" || len(l) > 63 {
				return nil, errors.New("invalid DNS name " + name)
			}
			b = append(b, byte(len(l)))
			b = append(b, l...)
		}
	}
	b = append(b, 0)
	if len(b) > 255 {
		return nil, errors.New("DNS name too long")
	}
	return b, nil
}
