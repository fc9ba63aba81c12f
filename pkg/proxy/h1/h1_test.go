package h1

import (
	"errors"
	"strings"
	"testing"
)

// The verdicts below were observed against haproxy 2.6 (Debian) with raw
// requests; "ok" lines were forwarded, the others answered 400 or 422.
func TestParseRequestVerdicts(t *testing.T) {
	cases := []struct {
		req  string
		want error
	}{
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", nil},
		{"GET / HTTP/1.1\r\n\r\n", nil}, // no Host in 1.1: accepted
		{"GET / HTTP/1.0\r\n\r\n", nil},
		{"GET / HTTP/1.1\nHost: a\n\n", nil},
		{"\r\nGET / HTTP/1.1\r\n\r\n", nil},
		{"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", nil},
		{"GET /a\" HTTP/1.1\r\nHost: a\r\n\r\n", nil},
		{"GET / HTTP/2.0\r\nHost: a\r\n\r\n", nil},
		{"GET http://x.com/p?q HTTP/1.1\r\nHost: x.com\r\n\r\n", nil},
		{"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", nil},
		{"GET http://X:80 HTTP/1.1\r\nHost: x\r\n\r\n", nil},
		{"GET http://x:81/ HTTP/1.1\r\nHost: x\r\n\r\n", ErrBadRequest},
		{"GET / HTTP/1.1\r\nHost: a\r\nXy: 1\x01\x7f\xff\x00\r\n\r\n", nil},
		{"GET / HTTP/1.1\r\nHost: a\r\nXy: 1\r\n  2\r\n\r\n", nil},
		{"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", nil},
		{"POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n", nil},
		{"POST / HTTP/1.1\r\nContent-Length: 03\r\n\r\n", nil},
		{"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", nil},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n", nil},
		{"GET /\r\n\r\n", ErrBadRequest},
		{"G(T / HTTP/1.1\r\n\r\n", ErrBadRequest},
		{"GET /a b HTTP/1.1\r\n\r\n", ErrBadRequest},
		{"GET /a\x7f HTTP/1.1\r\n\r\n", ErrBadRequest},
		{"GET /a\x80 HTTP/1.1\r\n\r\n", ErrBadRequest},
		{"GET /a#x HTTP/1.1\r\n\r\n", ErrBadRequest},
		{"GET http://x.com/p HTTP/1.1\r\nHost: y.com\r\n\r\n", ErrBadRequest},
		{"GET / HTTP/1.1\r\nX(y: 1\r\n\r\n", ErrBadRequest},
		{"GET / HTTP/1.1\r\nX y: 1\r\n\r\n", ErrBadRequest},
		{"GET / HTTP/1.1\r\nXy : 1\r\n\r\n", ErrBadRequest},
		{"GET / HTTP/1.1\r\nNoColon\r\n\r\n", ErrBadRequest},
		{"GET / HTTP/1.1\r\n: v\r\n\r\n", ErrBadRequest},
		{"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", ErrBadRequest},
		{"GET / http/1.1\r\n\r\n", ErrBadRequest},
		{"GET / HTTP/1.1 \r\n\r\n", ErrBadRequest},
		{"GET HTTP/1.1\r\n\r\n", ErrBadRequest},
		{"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", ErrBadRequest},
		{"POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\n", ErrBadRequest},
		{"POST / HTTP/1.1\r\nContent-Length: \r\n\r\n", ErrBadRequest},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", ErrBadRequest},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", ErrBadRequest},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", ErrBadRequest},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", ErrUnprocessable},
		{"GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", ErrBadRequest},
		{"GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n\r\n", nil},
	}
	var m Message
	for _, c := range cases {
		buf := []byte(c.req)
		n, err := m.ParseRequest(buf, DefaultLimits)
		if !errors.Is(err, c.want) || err != nil && n != 0 {
			t.Errorf("%q: got %v, want %v", c.req, err, c.want)
			continue
		}
		if err == nil && n != len(c.req) {
			t.Errorf("%q: head length %d, want %d", c.req, n, len(c.req))
		}
		// every prefix is incomplete or already wrong, never accepted
		for k := 0; k < len(c.req); k++ {
			n, err := m.ParseRequest([]byte(c.req[:k]), DefaultLimits)
			if n != 0 {
				t.Errorf("%q: prefix of %d bytes parsed as complete", c.req, k)
			}
			if err != nil && c.want == nil {
				t.Errorf("%q: prefix of %d bytes rejected: %v", c.req, k, err)
			}
		}
	}
}

func TestParseRequestFields(t *testing.T) {
	buf := []byte("POST http://x/p?q HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\nXy: 1\r\n  2 \r\nContent-Length: 3, 3\r\nExpect: 100-continue\r\n\r\nabc")
	var m Message
	n, err := m.ParseRequest(buf, DefaultLimits)
	if err != nil || n != len(buf)-3 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if string(m.Method.In(buf)) != "POST" || string(m.URI.In(buf)) != "http://x/p?q" || !m.HTTP11() {
		t.Errorf("request line: %q %q", m.Method.In(buf), m.URI.In(buf))
	}
	if !m.ConnClose || m.KeepAlive() || !m.Expect100 || m.Body != BodyLength || m.ContentLength != 3 || string(m.CLText.In(buf)) != "3" {
		t.Errorf("flags: %+v", m)
	}
	got := []string{}
	for _, h := range m.Headers {
		if !h.Drop {
			got = append(got, string(h.Name.In(buf))+"="+string(h.Value.In(buf)))
		}
	}
	want := "Host=x|Connection=foo|Xy=1    2|Content-Length=3, 3|Expect=100-continue"
	if strings.Join(got, "|") != want {
		t.Errorf("headers %q, want %q", strings.Join(got, "|"), want)
	}
	if string(Path(m.URI.In(buf))) != "/p" {
		t.Errorf("path %q", Path(m.URI.In(buf)))
	}
}

func TestParseRequestBudget(t *testing.T) {
	// haproxy 2.6 with tune.bufsize 16384 accepts a 15254-byte value
	// after "GET / HTTP/1.1\r\nX: " and refuses one more byte
	var m Message
	mk := func(n int) []byte {
		return []byte("GET / HTTP/1.1\r\nX: " + strings.Repeat("a", n) + "\r\n\r\n")
	}
	if _, err := m.ParseRequest(mk(15254), DefaultLimits); err != nil {
		t.Errorf("15254: %v", err)
	}
	if _, err := m.ParseRequest(mk(15255), DefaultLimits); !errors.Is(err, ErrTooLarge) {
		t.Errorf("15255: %v", err)
	}
}

func TestParseResponse(t *testing.T) {
	cases := []struct {
		resp string
		body Body
		err  bool
	}{
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", BodyLength, false},
		{"HTTP/1.1 200\r\n\r\n", BodyClose, false},
		{"HTTP/1.0 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n", BodyChunked, false},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", BodyClose, false},
		{"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", BodyLength, false},
		{"HTTP/1.1 20 OK\r\n\r\n", 0, true},
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", 0, true},
		{"garbage\r\n\r\n", 0, true},
		{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 0, true},
		{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: a\r\n\r\n", BodyClose, false},
	}
	var m Message
	for _, c := range cases {
		n, err := m.ParseResponse([]byte(c.resp), DefaultLimits)
		if (err != nil) != c.err || !c.err && (n != len(c.resp) || m.Body != c.body) {
			t.Errorf("%q: n=%d err=%v body=%d", c.resp, n, err, m.Body)
		}
	}
}

func decodeAll(t testing.TB, body string, step int) (data, trailers string, err error) {
	var c Chunked
	in := []byte(body)
	var buf []byte
	for len(in) > 0 || len(buf) > 0 {
		k := step
		if k > len(in) {
			k = len(in)
		}
		buf = append(buf, in[:k]...)
		in = in[k:]
		for {
			n, ev, err := c.Decode(buf)
			if err != nil {
				return data, trailers, err
			}
			buf = buf[n:]
			switch ev.Kind {
			case EvData:
				data += string(ev.Data)
			case EvTrailer:
				trailers += string(ev.Name) + "=" + string(ev.Data) + ";"
			case EvEnd:
				return data, trailers, nil
			}
			if n == 0 {
				break
			}
		}
		if k == 0 {
			break
		}
	}
	return data, trailers, errors.New("incomplete")
}

func TestChunked(t *testing.T) {
	for step := 1; step < 40; step++ {
		d, tr, err := decodeAll(t, "3;ext=1\r\nabc\r\n10 \r\n0123456789abcdef\r\n0\r\nX-T: 1 \r\n\r\n", step)
		if err != nil || d != "abc0123456789abcdef" || tr != "X-T=1;" {
			t.Fatalf("step %d: %q %q %v", step, d, tr, err)
		}
	}
	for _, bad := range []string{"z\r\nabc\r\n0\r\n\r\n", "3\r\nabcX\r\n0\r\n\r\n", "ffffffffffffffffff\r\n", "\r\n", "3x\r\n", "0\r\nbad\r\n\r\n"} {
		if _, _, err := decodeAll(t, bad, 1000); !errors.Is(err, ErrBadChunk) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if got := string(AppendChunkSize(nil, 255)); got != "FF\r\n" {
		t.Errorf("chunk size %q", got)
	}
}

func TestParseZeroAlloc(t *testing.T) {
	req := []byte("GET /index.html?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: bench\r\nAccept: */*\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
	var m Message
	m.ParseRequest(append([]byte(nil), req...), DefaultLimits)
	buf := make([]byte, len(req))
	allocs := testing.AllocsPerRun(100, func() {
		copy(buf, req)
		if _, err := m.ParseRequest(buf, DefaultLimits); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per parsed request, want 0", allocs)
	}
}

func BenchmarkParseRequest(b *testing.B) {
	req := []byte("GET /index.html?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: text/html,application/xhtml+xml\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\nCookie: a=b; c=d\r\n\r\n")
	var m Message
	buf := make([]byte, len(req))
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for i := 0; i < b.N; i++ {
		copy(buf, req)
		if _, err := m.ParseRequest(buf, DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
}
