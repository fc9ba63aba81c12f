package h1

import "bytes"

// EventKind is what a step of the chunked decoder found.
type EventKind uint8

const (
	EvNone       EventKind = iota // more input needed
	EvChunkStart                  // a chunk of Size bytes begins
	EvData                        // Data is chunk payload
	EvChunkEnd                    // the chunk's closing CRLF
	EvLastChunk                   // the zero-size chunk
	EvTrailer                     // a trailer field: Name, Data is its value
	EvEnd                         // the final empty line: the body is over
)

// Event is one step of a chunked body.
type Event struct {
	Kind EventKind
	Size int64
	Name []byte
	Data []byte
}

type chunkState uint8

const (
	csSize chunkState = iota
	csData
	csDataEnd
	csTrailer
	csDone
)

// Chunked decodes a chunked body incrementally without buffering it: each
// call consumes what it can of the input and reports one event. Lines
// (chunk sizes, trailers) are only consumed whole; the caller bounds how
// much it buffers while waiting for one.
type Chunked struct {
	state chunkState
	left  int64
}

// Reset prepares c for a new body.
func (c *Chunked) Reset() { *c = Chunked{} }

// Done says whether the body is complete.
func (c *Chunked) Done() bool { return c.state == csDone }

// Decode consumes a prefix of in and returns its length and the event it
// completes (EvNone with n == 0: more input is needed).
func (c *Chunked) Decode(in []byte) (n int, ev Event, err error) {
	switch c.state {
	case csSize:
		lf := bytes.IndexByte(in, '\n')
		if lf < 0 {
			return 0, Event{}, nil
		}
		line := in[:lf]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		var size int64
		i := 0
		for ; i < len(line); i++ {
			d := unhex(line[i])
			if d < 0 {
				break
			}
			if size > (1<<60)>>4 {
				return 0, Event{}, ErrBadChunk
			}
			size = size<<4 | int64(d)
		}
		if i == 0 {
			return 0, Event{}, ErrBadChunk
		}
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i < len(line) && line[i] != ';' {
			return 0, Event{}, ErrBadChunk
		}
		if bytes.IndexByte(line, '\r') >= 0 {
			return 0, Event{}, ErrBadChunk
		}
		if size == 0 {
			c.state = csTrailer
			return lf + 1, Event{Kind: EvLastChunk}, nil
		}
		c.state, c.left = csData, size
		return lf + 1, Event{Kind: EvChunkStart, Size: size}, nil
	case csData:
		if len(in) == 0 {
			return 0, Event{}, nil
		}
		k := int64(len(in))
		if k > c.left {
			k = c.left
		}
		c.left -= k
		if c.left == 0 {
			c.state = csDataEnd
		}
		return int(k), Event{Kind: EvData, Data: in[:k]}, nil
	case csDataEnd:
		if len(in) == 0 {
			return 0, Event{}, nil
		}
		switch {
		case in[0] == '\n':
			c.state = csSize
			return 1, Event{Kind: EvChunkEnd}, nil
		case in[0] == '\r' && len(in) == 1:
			return 0, Event{}, nil
		case in[0] == '\r' && in[1] == '\n':
			c.state = csSize
			return 2, Event{Kind: EvChunkEnd}, nil
		}
		return 0, Event{}, ErrBadChunk
	case csTrailer:
		lf := bytes.IndexByte(in, '\n')
		if lf < 0 {
			return 0, Event{}, nil
		}
		line := in[:lf]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if len(line) == 0 {
			c.state = csDone
			return lf + 1, Event{Kind: EvEnd}, nil
		}
		i := 0
		for i < len(line) && tchar[line[i]] {
			i++
		}
		if i == 0 || i >= len(line) || line[i] != ':' {
			return 0, Event{}, ErrBadChunk
		}
		name := line[:i]
		v := line[i+1:]
		for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
			v = v[1:]
		}
		for len(v) > 0 && (v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
			v = v[:len(v)-1]
		}
		if bytes.IndexByte(v, '\r') >= 0 {
			return 0, Event{}, ErrBadChunk
		}
		return lf + 1, Event{Kind: EvTrailer, Name: name, Data: v}, nil
	}
	return 0, Event{}, nil
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// AppendChunkSize appends a chunk-size line for size n, in upper-case
// hexadecimal as haproxy writes it.
func AppendChunkSize(dst []byte, n int64) []byte {
	const hexd = "0123456789ABCDEF"
	var tmp [16]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = hexd[n&15]
		n >>= 4
		if n == 0 {
			break
		}
	}
	dst = append(dst, tmp[i:]...)
	return append(dst, '\r', '\n')
}

// AppendLower appends b with ASCII letters lower-cased.
func AppendLower(dst, b []byte) []byte {
	for _, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}
