package balance

import (
	"bytes"
	"testing"
)

func rdpRequest(cookie string) []byte {
	return append([]byte("\x03\x00\x00\x2c\x27\xe0\x00\x00\x00\x00\x00"), cookie...)
}

func TestRDPCookieMore(t *testing.T) {
	full := rdpRequest("Cookie: mstshash=alice\r\n\x01\x00\x08\x00")
	for _, tc := range []struct {
		data     []byte
		name     string
		value    string
		ok, more bool
	}{
		{full, "mstshash", "alice", true, false},
		{full, "", "alice", true, false},
		{full, "MSTSHASH", "alice", true, false},
		{full, "msts", "", false, false},
		{full[:20], "mstshash", "", false, true},
		{full[:len(full)-5], "mstshash", "", false, true},
		{rdpRequest("Cookie: mstshash=alice\rX"), "mstshash", "", false, false},
		{rdpRequest("Hello: x"), "", "", false, false},
		{rdpRequest("Cookie: novalue\r\n"), "", "", false, false},
		{nil, "", "", false, true},
	} {
		v, ok, more := RDPCookieMore(tc.data, tc.name)
		if string(v) != tc.value || ok != tc.ok || more != tc.more {
			t.Errorf("%q name %q: %q %v %v, want %q %v %v", tc.data, tc.name, v, ok, more, tc.value, tc.ok, tc.more)
		}
	}
}

func FuzzRDPCookie(f *testing.F) {
	f.Add(rdpRequest("Cookie: mstshash=alice\r\n"), "mstshash")
	f.Add(rdpRequest("Cookie: a=b\r\n"), "")
	f.Add([]byte("short"), "x")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		v, ok, more := RDPCookieMore(data, name)
		if ok && more {
			t.Fatal("ok and more at once")
		}
		if ok && !bytes.Contains(data, v) {
			t.Fatalf("value %q not in the data", v)
		}
		if ok && bytes.ContainsAny(v, "\r") {
			t.Fatalf("value %q holds a CR", v)
		}
	})
}
