package notify

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"

	"go.uber.org/zap"
)

// FIFO writes keepalived's notify_fifo lines to a named pipe without ever
// blocking: the pipe is opened read-write and non-blocking (so it works
// with no reader), and a line that does not fit in the pipe is dropped
// and logged.
type FIFO struct {
	name    string
	kind    string
	log     *zap.Logger
	mu      sync.Mutex
	fd      int
	created bool
}

// OpenFIFO opens (creating it, mode 0644, if needed) the FIFO at path as
// keepalived's notify_fifo, vrrp_notify_fifo or lvs_notify_fifo does.
// kind is "", "vrrp_" or "lvs_" and only names the FIFO in messages. If
// owner is not nil a FIFO we create is given to that user. An existing
// file that is not a FIFO owned by us or owner is refused.
func OpenFIFO(path, kind string, owner *UserID, log *zap.Logger) (*FIFO, error) {
	if log == nil {
		log = zap.NewNop()
	}
	f := &FIFO{name: path, kind: kind, log: log, fd: -1}
	err := syscall.Mkfifo(path, syscall.S_IRUSR|syscall.S_IWUSR|syscall.S_IRGRP|syscall.S_IROTH)
	switch {
	case err == nil:
		f.created = true
		if owner != nil && (owner.UID != uint32(os.Getuid()) || owner.GID != uint32(os.Getgid())) {
			if err := os.Chown(path, int(owner.UID), int(owner.GID)); err != nil {
				log.Warn(fmt.Sprintf("Failed to set uid:gid for fifo %s", path), zap.Error(err))
			}
		}
	case errors.Is(err, syscall.EEXIST):
	default:
		return nil, fmt.Errorf("Unable to create %snotify fifo %s: %w", kind, path, err)
	}
	fd, err := syscall.Open(path, syscall.O_RDWR|syscall.O_CLOEXEC|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		if f.created {
			os.Remove(path)
		}
		return nil, fmt.Errorf("Unable to open %snotify fifo %s - errno %d (%w)", kind, path, int(err.(syscall.Errno)), err)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFIFO ||
		(st.Uid != uint32(os.Getuid()) && (owner == nil || st.Uid != owner.UID)) {
		syscall.Close(fd)
		return nil, fmt.Errorf("%snotify fifo %s is not a fifo we own - not using", kind, path)
	}
	f.fd = fd
	return f, nil
}

// Name is the FIFO's path.
func (f *FIFO) Name() string { return f.name }

// write writes one line; it never blocks.
func (f *FIFO) write(line string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fd < 0 {
		return os.ErrClosed
	}
	for {
		n, err := syscall.Write(f.fd, []byte(line))
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err == nil && n != len(line) {
			err = fmt.Errorf("short write (%d of %d bytes)", n, len(line))
		}
		if err != nil {
			reason := err.Error()
			if errors.Is(err, syscall.EAGAIN) {
				reason = "the FIFO is full: its reader does not keep up"
			}
			f.log.Error("notify FIFO line dropped", zap.String("fifo", f.name), zap.String("line", line[:len(line)-1]), zap.String("reason", reason))
			return err
		}
		return nil
	}
}

// Instance writes `INSTANCE "VI_1" MASTER 100`.
func (f *FIFO) Instance(name string, state State, priority int) error {
	return f.write(InstanceLine(name, state, priority))
}

// Group writes `GROUP "G1" MASTER 0`.
func (f *FIFO) Group(name string, state State) error { return f.write(GroupLine(name, state)) }

// VirtualServer writes `VS [192.168.201.15]:tcp:80 UP`.
func (f *FIFO) VirtualServer(vs string, up bool) error { return f.write(VSLine(vs, up)) }

// RealServer writes `RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 DOWN`.
func (f *FIFO) RealServer(rs, vs string, up bool) error { return f.write(RSLine(rs, vs, up)) }

// InstanceLine is keepalived's FIFO line for a VRRP instance.
func InstanceLine(name string, state State, priority int) string {
	return "INSTANCE \"" + name + "\" " + string(state) + " " + strconv.Itoa(priority) + "\n"
}

// GroupLine is keepalived's FIFO line for a sync group (priority 0).
func GroupLine(name string, state State) string {
	return "GROUP \"" + name + "\" " + string(state) + " 0\n"
}

func upDown(up bool) string {
	if up {
		return "UP"
	}
	return "DOWN"
}

// VSLine is keepalived's LVS FIFO line for a virtual server.
func VSLine(vs string, up bool) string { return "VS " + vs + " " + upDown(up) + "\n" }

// RSLine is keepalived's LVS FIFO line for a real server.
func RSLine(rs, vs string, up bool) string {
	return "RS " + rs + " " + vs + " " + upDown(up) + "\n"
}

// Close closes the FIFO and removes it if OpenFIFO created it (first, so
// that a reader looping on reopen cannot reopen it).
func (f *FIFO) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.created {
		os.Remove(f.name)
		f.created = false
	}
	if f.fd < 0 {
		return nil
	}
	err := syscall.Close(f.fd)
	f.fd = -1
	return err
}
