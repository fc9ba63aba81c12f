package forward

import (
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// spliceChunk is the most one splice(2) call moves: a pipe's default
// capacity.
const spliceChunk = 64 << 10

// kpipe is a kernel pipe, the buffer splice(2) moves bytes through
// without copying them to user space.
type kpipe struct{ r, w int }

func newKpipe() (kpipe, error) {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return kpipe{}, err
	}
	return kpipe{r: fds[0], w: fds[1]}, nil
}

func (p kpipe) close() {
	unix.Close(p.r)
	unix.Close(p.w)
}

// getPipe takes a pipe from the pool, or makes one.
func (bp *BufPool) getPipe() (kpipe, error) {
	select {
	case p := <-bp.pipes:
		return p, nil
	default:
		return newKpipe()
	}
}

// putPipe keeps an empty pipe for the next session (or closes it when
// the pool is full or the pipe may still hold bytes).
func (bp *BufPool) putPipe(p kpipe, empty bool) {
	if empty {
		select {
		case bp.pipes <- p:
			return
		default:
		}
	}
	p.close()
}

// Close releases the pooled pipes.
func (bp *BufPool) Close() {
	for {
		select {
		case p := <-bp.pipes:
			p.close()
		default:
			return
		}
	}
}

// canSplice says whether src to dst can go through splice(2): both are
// plain TCP sockets (nothing buffered in user space in front of them).
func canSplice(dst, src net.Conn) (*net.TCPConn, *net.TCPConn, bool) {
	d, ok1 := dst.(*net.TCPConn)
	s, ok2 := src.(*net.TCPConn)
	return d, s, ok1 && ok2
}

// spliceHalf is copyHalf through a kernel pipe: the bytes never reach
// user space. The inactivity timeouts are re-armed before every wait, as
// copyHalf does, so a session behaves the same byte for byte and second
// for second. ok is false when no pipe could be had (the caller copies).
func spliceHalf(dst, src *net.TCPConn, dstIdle time.Duration, srcClock, dstClock *readClock, dstFin time.Duration, srcName, dstName string, pool *BufPool) (total int64, side string, err error, ok bool) {
	srcRaw, err1 := src.SyscallConn()
	dstRaw, err2 := dst.SyscallConn()
	if err1 != nil || err2 != nil {
		return 0, "", nil, false
	}
	p, perr := pool.getPipe()
	if perr != nil {
		return 0, "", nil, false
	}
	inPipe := 0
	defer func() { pool.putPipe(p, inPipe == 0) }()
	const flags = unix.SPLICE_F_MOVE | unix.SPLICE_F_NONBLOCK
	for {
		srcClock.arm()
		var n int64
		var serr error
		werr := srcRaw.Read(func(fd uintptr) bool {
			for {
				n, serr = unix.Splice(int(fd), nil, p.w, nil, spliceChunk, flags)
				if serr != unix.EINTR {
					return serr != unix.EAGAIN
				}
			}
		})
		if werr != nil {
			if isTimeout(werr) {
				return total, srcName, nil, true
			}
			return total, "", &sideErr{srcName, werr}, true
		}
		if serr != nil {
			return total, "", &sideErr{srcName, os.NewSyscallError("splice", serr)}, true
		}
		if n == 0 {
			dst.CloseWrite()
			dstClock.fin(dstFin)
			return total, "", nil, true
		}
		inPipe = int(n)
		for inPipe > 0 {
			if dstIdle > 0 {
				dst.SetWriteDeadline(time.Now().Add(dstIdle))
			}
			var m int64
			werr := dstRaw.Write(func(fd uintptr) bool {
				for {
					m, serr = unix.Splice(p.r, nil, int(fd), nil, inPipe, flags)
					if serr != unix.EINTR {
						return serr != unix.EAGAIN
					}
				}
			})
			if werr != nil {
				if isTimeout(werr) {
					return total, dstName, nil, true
				}
				return total, "", &sideErr{dstName, werr}, true
			}
			if serr != nil {
				return total, "", &sideErr{dstName, os.NewSyscallError("splice", serr)}, true
			}
			inPipe -= int(m)
			total += m
		}
	}
}
