//go:build !linux

package forward

import (
	"net"
	"time"
)

type kpipe struct{}

// Close releases the pooled pipes (none outside Linux).
func (bp *BufPool) Close() {}

func canSplice(dst, src net.Conn) (*net.TCPConn, *net.TCPConn, bool) { return nil, nil, false }

func spliceHalf(dst, src *net.TCPConn, dstIdle time.Duration, srcClock, dstClock *readClock, dstFin time.Duration, srcName, dstName string, pool *BufPool) (int64, string, error, bool) {
	return 0, "", nil, false
}
