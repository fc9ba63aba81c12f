package proxyproto

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/netip"
	"testing"
	"testing/iotest"
)

func TestRead(t *testing.T) {
	ap := netip.MustParseAddrPort
	hdr := AppendV2(nil, &Conn{Src: ap("192.0.2.1:1"), Dst: ap("192.0.2.2:2"), HasStream: true, UniqueID: []byte("id")}, V2Options{CRC32C: true, UniqueID: true})
	big := AppendV2(nil, &Conn{Src: ap("192.0.2.1:1"), Dst: ap("192.0.2.2:2"), NetNS: make([]byte, 5000)}, V2Options{})
	tests := []struct {
		name    string
		in      []byte
		oneByte bool
		size    int
		err     error
		rest    string
	}{
		{name: "v2", in: append(append([]byte{}, hdr...), "rest"...), rest: "rest"},
		{name: "v2-byte-by-byte", in: append(append([]byte{}, hdr...), "rest"...), oneByte: true, rest: "rest"},
		{name: "v1-byte-by-byte", in: []byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nGET"), oneByte: true, rest: "GET"},
		{name: "empty", in: nil, err: io.EOF},
		{name: "cut", in: hdr[:20], err: io.ErrUnexpectedEOF},
		{name: "garbage", in: []byte("GET / HTTP/1.1\r\n"), err: ErrNotProxy},
		{name: "too-large", in: big, size: 4096, err: ErrTooLarge},
		{name: "large-ok", in: append(append([]byte{}, big...), 'x'), size: 8192, rest: "x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r io.Reader = bytes.NewReader(tc.in)
			if tc.oneByte {
				r = iotest.OneByteReader(r)
			}
			size := tc.size
			if size == 0 {
				size = 4096
			}
			br := bufio.NewReaderSize(r, size)
			_, err := Read(br)
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err == nil {
				rest, _ := io.ReadAll(br)
				if string(rest) != tc.rest {
					t.Fatalf("rest = %q", rest)
				}
			}
		})
	}
}
