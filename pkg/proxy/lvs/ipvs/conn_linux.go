package ipvs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Generic netlink controller (linux/genetlink.h).
const (
	genlIDCtrl         = 0x10
	ctrlCmdGetFamily   = 3
	ctrlAttrFamilyID   = 1
	ctrlAttrFamilyName = 2
	ctrlVersion        = 1
	recvBufSize        = 1 << 16
	recvTimeoutSeconds = 5
)

// Errno is the kernel's answer to one command.
type Errno struct {
	Cmd   uint8
	Errno syscall.Errno
}

func (e *Errno) Error() string {
	return fmt.Sprintf("IPVS command %d: %v", e.Cmd, e.Errno)
}

func (e *Errno) Unwrap() error { return e.Errno }

// Conn is a generic netlink socket bound to the IPVS family. Its methods
// are safe for concurrent use (one request at a time).
type Conn struct {
	mu     sync.Mutex
	fd     int
	family uint16
	seq    uint32
}

// Open opens a generic netlink socket and resolves the IPVS family; it
// fails when the kernel has no IPVS (module not loaded, or not built).
func Open() (*Conn, error) {
	fd, err := openSocket()
	if err != nil {
		return nil, err
	}
	c := &Conn{fd: fd}
	id, err := c.resolve(FamilyName)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	c.family = id
	return c, nil
}

// openSocket opens and binds a generic netlink socket whose reads time
// out.
func openSocket() (int, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_GENERIC)
	if err != nil {
		return -1, fmt.Errorf("generic netlink socket: %w", err)
	}
	tv := unix.Timeval{Sec: recvTimeoutSeconds}
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("generic netlink bind: %w", err)
	}
	return fd, nil
}

// Close closes the socket.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fd < 0 {
		return nil
	}
	err := unix.Close(c.fd)
	c.fd = -1
	return err
}

// resolve asks the controller for a family's id.
func (c *Conn) resolve(name string) (uint16, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	req := CtrlGetFamily(name, c.nextSeq())
	var id uint16
	err := c.roundTrip(req, func(b []byte) error {
		if len(b) < nlmsgHdrLen+genlHdrLen {
			return nil
		}
		attrs, err := parseAttrs(b[nlmsgHdrLen+genlHdrLen:])
		if err != nil {
			return err
		}
		for _, a := range attrs {
			if a.typ == ctrlAttrFamilyID {
				if id, err = a.u16(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("generic netlink family %s: %w", name, err)
	}
	if id == 0 {
		return 0, fmt.Errorf("generic netlink family %s: no id in the controller's answer", name)
	}
	return id, nil
}

// CtrlGetFamily is the controller request for a family's id.
func CtrlGetFamily(name string, seq uint32) []byte {
	b := make([]byte, nlmsgHdrLen+genlHdrLen, 64)
	b[nlmsgHdrLen] = ctrlCmdGetFamily
	b[nlmsgHdrLen+1] = ctrlVersion
	b = putAttr(b, ctrlAttrFamilyName, append([]byte(name), 0))
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], genlIDCtrl)
	ne.PutUint16(b[6:], flagRequest|flagAck)
	ne.PutUint32(b[8:], seq)
	return b
}

func (c *Conn) nextSeq() uint32 {
	c.seq++
	return c.seq
}

// roundTrip sends req and reads the answers with its sequence number
// until the acknowledgement (or an error); each data message goes to
// onMsg.
func (c *Conn) roundTrip(req []byte, onMsg func([]byte) error) error {
	if c.fd < 0 {
		return errors.New("IPVS netlink socket is closed")
	}
	seq := binary.NativeEndian.Uint32(req[8:])
	if err := unix.Sendto(c.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	ack := binary.NativeEndian.Uint16(req[6:])&flagAck != 0
	buf := make([]byte, recvBufSize)
	// SO_RCVTIMEO bounds each read: a silent kernel ends in EAGAIN.
	for {
		n, _, err := unix.Recvfrom(c.fd, buf, 0)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return err
		}
		b := buf[:n]
		for len(b) >= nlmsgHdrLen {
			l := int(binary.NativeEndian.Uint32(b[0:]))
			if l < nlmsgHdrLen || l > len(b) {
				return fmt.Errorf("malformed netlink answer (length %d of %d bytes)", l, len(b))
			}
			msg := b[:l]
			b = b[min(align4(l), len(b)):]
			typ := binary.NativeEndian.Uint16(msg[4:])
			flags := binary.NativeEndian.Uint16(msg[6:])
			if binary.NativeEndian.Uint32(msg[8:]) != seq {
				continue
			}
			switch typ {
			case nlmsgError:
				if l < nlmsgHdrLen+4 {
					return errors.New("truncated netlink error message")
				}
				code := int32(binary.NativeEndian.Uint32(msg[nlmsgHdrLen:]))
				if code == 0 {
					return nil
				}
				return syscall.Errno(-code)
			case nlmsgDone:
				return nil
			default:
				if err := onMsg(msg); err != nil {
					return err
				}
				if flags&flagMulti == 0 && !ack {
					return nil
				}
			}
		}
	}
}

// Do sends one IPVS command (Type, Seq and Flags are filled in) and
// waits for the kernel's acknowledgement.
func (c *Conn) Do(m *Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	m.Type, m.Version, m.Seq = c.family, FamilyVersion, c.nextSeq()
	m.Flags = flagRequest | flagAck
	req, err := m.Marshal()
	if err != nil {
		return err
	}
	if err := c.roundTrip(req, func([]byte) error { return nil }); err != nil {
		var en syscall.Errno
		if errors.As(err, &en) {
			return &Errno{Cmd: m.Cmd, Errno: en}
		}
		return err
	}
	return nil
}

// Info asks the kernel for its IPVS version (keepalived's ipvs_init).
func (c *Conn) Info() (Info, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := &Message{Type: c.family, Flags: flagRequest | flagAck, Seq: c.nextSeq(), Cmd: CmdGetInfo, Version: FamilyVersion}
	req, err := m.Marshal()
	if err != nil {
		return Info{}, err
	}
	var info Info
	err = c.roundTrip(req, func(b []byte) error {
		r, err := Parse(b)
		if err != nil {
			return err
		}
		if r.Info != nil {
			info = *r.Info
		}
		return nil
	})
	return info, err
}

// Flush removes every service (IPVS_CMD_FLUSH).
func (c *Conn) Flush() error { return c.Do(&Message{Cmd: CmdFlush}) }

// NewService adds a service.
func (c *Conn) NewService(s *Service) error { return c.Do(&Message{Cmd: CmdNewService, Service: s}) }

// SetService edits a service.
func (c *Conn) SetService(s *Service) error { return c.Do(&Message{Cmd: CmdSetService, Service: s}) }

// DelService removes a service and its destinations.
func (c *Conn) DelService(s *Service) error { return c.Do(&Message{Cmd: CmdDelService, Service: s}) }

// NewDest adds a destination to a service.
func (c *Conn) NewDest(s *Service, d *Dest) error {
	return c.Do(&Message{Cmd: CmdNewDest, Service: s, Dest: d})
}

// SetDest edits a destination (its weight, thresholds, method).
func (c *Conn) SetDest(s *Service, d *Dest) error {
	return c.Do(&Message{Cmd: CmdSetDest, Service: s, Dest: d})
}

// DelDest removes a destination.
func (c *Conn) DelDest(s *Service, d *Dest) error {
	return c.Do(&Message{Cmd: CmdDelDest, Service: s, Dest: d})
}
