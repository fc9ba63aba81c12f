package proxyproto

import (
	"bufio"
	"io"
)

// ErrTooLarge means a header does not fit in the reader's buffer.
var ErrTooLarge = &Error{KindTruncated, "header larger than the read buffer"}

// Read reads a header from r with Decode and consumes exactly its bytes,
// leaving what follows in r. Byte slices in the header alias r's buffer and
// stay valid only until the next read from r. It returns io.EOF when the
// connection ends before sending anything (haproxy's MsgEmpty),
// io.ErrUnexpectedEOF when it ends inside a header, ErrTooLarge when r's
// buffer is smaller than the header, or Decode's error.
//
// Unlike haproxy, which refuses a header that did not arrive in its first
// read, Read waits for the rest; the runtime bounds the wait with a
// deadline (timeout client).
func Read(r *bufio.Reader) (Header, error) {
	want := 1
	for {
		b, err := r.Peek(want)
		if err != nil && len(b) < want {
			if len(b) == 0 && err == io.EOF {
				return Header{}, io.EOF
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			if err == bufio.ErrBufferFull {
				err = ErrTooLarge
			}
			return Header{}, err
		}
		// Look at everything already buffered.
		b, _ = r.Peek(r.Buffered())
		h, n, err := Decode(b)
		if err == nil {
			_, _ = r.Discard(n)
			return h, nil
		}
		if err != ErrNeedMore {
			return Header{}, err
		}
		want = len(b) + 1
		if want > r.Size() {
			return Header{}, ErrTooLarge
		}
	}
}
