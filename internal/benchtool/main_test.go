package main

import (
	"bufio"
	"strings"
	"testing"
)

func TestReadRequest(t *testing.T) {
	cases := []struct {
		in         string
		big, close bool
		ok         bool
	}{
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", false, false, true},
		{"GET /big HTTP/1.1\r\nConnection: close\r\n\r\n", true, true, true},
		{"GET /big HTTP/1.1\r\nconnection:Close \r\n\n", true, true, true},
		{"GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", false, false, true},
		{"GET / HTTP/1.1\r\nHost: x\r\n", false, false, false},
	}
	for _, c := range cases {
		big, cl, err := readRequest(bufio.NewReader(strings.NewReader(c.in)))
		if (err == nil) != c.ok || big != c.big || cl != c.close {
			t.Errorf("readRequest(%q) = %v, %v, %v; want %v, %v, ok=%v", c.in, big, cl, err, c.big, c.close, c.ok)
		}
	}
}

func FuzzReadRequest(f *testing.F) {
	f.Add("GET /big HTTP/1.1\r\nConnection: close\r\n\r\n")
	f.Add("GET / HTTP/1.1\r\n\r\n")
	f.Add("\n")
	f.Fuzz(func(t *testing.T, s string) {
		r := bufio.NewReaderSize(strings.NewReader(s), 4096)
		for i := 0; i < 10; i++ {
			if _, _, err := readRequest(r); err != nil {
				return
			}
		}
	})
}
