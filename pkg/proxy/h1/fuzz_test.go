package h1

import (
	"bytes"
	"testing"
)

func checkMessage(t *testing.T, m *Message, buf []byte, n int) {
	if n <= 0 || n > len(buf) || m.HeadLen != n {
		t.Fatalf("head length %d of %d", n, len(buf))
	}
	for _, h := range m.Headers {
		if h.Name.Off < 0 || h.Name.End > int32(n) || h.Value.Off > h.Value.End || h.Value.End > int32(n) {
			t.Fatalf("span out of the head: %+v", h)
		}
		if bytes.ContainsAny(h.Value.In(buf), "\r\n") {
			t.Fatalf("line break in a value: %q", h.Value.In(buf))
		}
	}
	if m.Body == BodyLength && m.ContentLength < 0 {
		t.Fatal("negative length")
	}
}

func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST http://x/p HTTP/1.0\r\nHost: x\r\nContent-Length: 3, 3\r\nConnection: a, close\r\n\r\nabc",
		"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 2\r\n\r\n",
		"GET / HTTP/1.1\nX: 1\n 2\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Message
		buf := append([]byte(nil), data...)
		n, err := m.ParseRequest(buf, Limits{Budget: 4096})
		if err == nil && n > 0 {
			checkMessage(t, &m, buf, n)
		}
	})
}

func FuzzParseResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.0 304\r\nTransfer-Encoding: chunked\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Message
		buf := append([]byte(nil), data...)
		n, err := m.ParseResponse(buf, Limits{Budget: 4096})
		if err == nil && n > 0 {
			checkMessage(t, &m, buf, n)
		}
	})
}

func FuzzChunked(f *testing.F) {
	f.Add([]byte("3;x\r\nabc\r\n0\r\nT: v\r\n\r\n"), uint8(1))
	f.Add([]byte("10\r\n0123456789abcdef\r\n0\r\n\r\n"), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		var c Chunked
		var buf []byte
		in := data
		st := int(step%32) + 1
		for guard := 0; guard < 100000; guard++ {
			k := st
			if k > len(in) {
				k = len(in)
			}
			buf = append(buf, in[:k]...)
			in = in[k:]
			n, ev, err := c.Decode(buf)
			if err != nil {
				return
			}
			if n < 0 || n > len(buf) {
				t.Fatalf("consumed %d of %d", n, len(buf))
			}
			if ev.Kind == EvData && len(ev.Data) == 0 {
				t.Fatal("empty data event")
			}
			buf = buf[n:]
			if c.Done() || (n == 0 && k == 0) {
				return
			}
		}
	})
}
