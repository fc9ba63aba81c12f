package listener

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// haproxy's seamless reload: the new process connects to the old one's
// stats socket (declared with "expose-fd listeners"), writes "_getsocks\n"
// and receives:
//
//  1. a native-endian 32-bit count of sockets (0: nothing follows);
//  2. messages carrying up to maxSendFD descriptors each in an SCM_RIGHTS
//     control message, with one record per descriptor in the data:
//     a byte with the namespace name's length, the name, a byte with the
//     interface name's length, the name, and 4 bytes that used to hold the
//     listener options and are now zero.
//
// The receiver answers each message with a 32-bit acknowledgement; the
// sender waits for it after every full batch before sending the next.

const (
	maxSendFD = 253 // haproxy's MAX_SEND_FD
	// largest record: len + namespace path (MAXPATHLEN) + len + IFNAMSIZ + 4
	maxRecord = 1 + 4096 + 1 + 16 + 4
	// GetsocksCommand is the CLI command a new process sends.
	GetsocksCommand = "_getsocks\n"
)

// GetSockets is haproxy's -x: it asks the process serving the stats socket
// at path for its listening sockets and returns them as a pool for Open.
// It waits at most one second per read, as haproxy does, or less when ctx
// has an earlier deadline.
func GetSockets(ctx context.Context, path string) (*Inherited, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("Failed to connect to the old process socket '%s'", path)
	}
	defer conn.Close()
	uc := conn.(*net.UnixConn)
	deadline := func() {
		t := time.Now().Add(time.Second)
		if dl, ok := ctx.Deadline(); ok && dl.Before(t) {
			t = dl
		}
		uc.SetDeadline(t)
	}
	deadline()
	if _, err := uc.Write([]byte(GetsocksCommand)); err != nil {
		return nil, fmt.Errorf("Failed to get the number of sockets to be transferred ! (%v)", err)
	}
	var cnt [4]byte
	if _, err := io.ReadFull(uc, cnt[:]); err != nil {
		return nil, fmt.Errorf("Failed to get the number of sockets to be transferred ! (%v)", err)
	}
	total := int(int32(binary.NativeEndian.Uint32(cnt[:])))
	in := &Inherited{}
	if total <= 0 {
		return in, nil
	}
	if total > 1<<16 {
		return nil, fmt.Errorf("Failed to get the number of sockets to be transferred ! (bad count %d: is 'expose-fd listeners' set on %s?)", total, path)
	}
	var fds []int
	var data []byte
	buf := make([]byte, maxSendFD*maxRecord)
	oob := make([]byte, unix.CmsgSpace(4*maxSendFD))
	closeAll := func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}
	for len(fds) < total {
		deadline()
		n, oobn, _, _, err := uc.ReadMsgUnix(buf, oob)
		if err != nil || n == 0 {
			closeAll()
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("Failed to transfer sockets: got %d of %d (%v)", len(fds), total, err)
		}
		var ack [4]byte
		binary.NativeEndian.PutUint32(ack[:], uint32(len(fds)))
		uc.Write(ack[:])
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("Failed to transfer sockets: %v", err)
		}
		for _, m := range msgs {
			got, err := unix.ParseUnixRights(&m)
			if err != nil {
				continue
			}
			fds = append(fds, got...)
		}
		data = append(data, buf[:n]...)
		if len(fds) > total {
			closeAll()
			return nil, fmt.Errorf("Got to many sockets !")
		}
	}
	// one record per descriptor, in order
	for i, fd := range fds {
		var ns, ifn string
		var ok bool
		if ns, data, ok = lenString(data); !ok {
			closeAll()
			return nil, fmt.Errorf("Inconsistency while transferring sockets (record %d)", i)
		}
		if ifn, data, ok = lenString(data); !ok {
			closeAll()
			return nil, fmt.Errorf("Inconsistency while transferring sockets (record %d)", i)
		}
		if len(data) < 4 {
			closeAll()
			return nil, fmt.Errorf("Inconsistency while transferring sockets (record %d)", i)
		}
		data = data[4:]
		if _, err := in.Add(fd, "getsocks", "", ns, ifn); err != nil {
			unix.Close(fd)
			continue // haproxy skips sockets it cannot inspect
		}
	}
	return in, nil
}

func lenString(b []byte) (string, []byte, bool) {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return "", nil, false
	}
	n := int(b[0])
	return string(b[1 : 1+n]), b[1+n:], true
}

// Exported is one socket a process offers to its successor.
type Exported struct {
	File      *os.File
	Namespace string
	Interface string
}

// Export describes listeners for ServeGetsocks. Inherited fd@N sockets
// are not exported, as in haproxy. The caller closes the files.
func Export(ls []*Listener) ([]Exported, error) {
	var out []Exported
	for _, l := range ls {
		if l.Inherited == "fd" {
			continue
		}
		f, err := l.File()
		if err != nil {
			for _, e := range out {
				e.File.Close()
			}
			return nil, err
		}
		out = append(out, Exported{File: f, Namespace: l.Namespace, Interface: l.Interface})
	}
	return out, nil
}

// ServeGetsocks answers a "_getsocks" command read from conn (a stats
// socket connection with "expose-fd listeners") by sending socks the way
// haproxy does. The caller has consumed the command line.
func ServeGetsocks(conn *net.UnixConn, socks []Exported) error {
	var cnt [4]byte
	binary.NativeEndian.PutUint32(cnt[:], uint32(len(socks)))
	if _, err := conn.Write(cnt[:]); err != nil {
		return fmt.Errorf("Failed to send the number of sockets to send: %v", err)
	}
	for start := 0; start < len(socks); start += maxSendFD {
		end := min(start+maxSendFD, len(socks))
		var data []byte
		fds := make([]int, 0, end-start)
		for _, s := range socks[start:end] {
			if len(s.Namespace) > 255 || len(s.Interface) > 255 {
				return errors.New("namespace or interface name too long")
			}
			data = append(data, byte(len(s.Namespace)))
			data = append(data, s.Namespace...)
			data = append(data, byte(len(s.Interface)))
			data = append(data, s.Interface...)
			data = append(data, 0, 0, 0, 0)
			fd, err := rawFD(s.File)
			if err != nil {
				return err
			}
			fds = append(fds, fd)
		}
		n, _, err := conn.WriteMsgUnix(data, unix.UnixRights(fds...), nil)
		if err != nil || n != len(data) {
			return fmt.Errorf("Failed to transfer sockets: %v", err)
		}
		if end-start == maxSendFD && end < len(socks) {
			var ack [4]byte
			if _, err := io.ReadFull(conn, ack[:]); err != nil {
				return fmt.Errorf("Unexpected error while transferring sockets: %v", err)
			}
		}
	}
	return nil
}

// rawFD returns f's descriptor without switching it to blocking mode, as
// File.Fd would (the mode is shared with our own listener's copy).
func rawFD(f *os.File) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	if err := rc.Control(func(u uintptr) { fd = int(u) }); err != nil {
		return -1, err
	}
	return fd, nil
}
