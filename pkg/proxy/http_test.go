package proxy

import (
	"strconv"
	"strings"
	"testing"
)

// TestHTTPModeRefused: in mode http, what the run time serves loads and
// every keyword it does not serve yet is refused with its line.
func TestHTTPModeRefused(t *testing.T) {
	head := "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nbackend b1\n  server s1 127.0.0.1:1\nfrontend fe\n  bind 127.0.0.1:8443\n  default_backend b1\n"
	for _, tc := range []struct {
		line string
		want string // "" when served
	}{
		{"use_backend b1 if { path_beg /api } || { hdr(host) -i example.com }", ""},
		{"option forwardfor", ""},
		{"option http-server-close", ""},
		{"option httpclose", ""},
		{"timeout http-request 5s", ""},
		{"tcp-request connection reject if { src 10.0.0.0/8 }", ""},
		{"http-request deny", ""},
		{"http-response del-header server", ""},
		{"http-request set-header X-Ip %[req.body]", ":11] : 'http-request set-header' value '%[req.body]' (fetch 'req.body')"},
		{"http-request set-var(txn.x) str(a)", ":11] : 'http-request set-var(txn.x)'"},
		{"http-request deny deny_status 404", ""},
		{"option forwardfor except 127.0.0.0/8", ":11] : 'option forwardfor' with arguments"},
		{"errorfile 503 /dev/null", ""},            // served (errpage.go)
		{"cookie SRV insert indirect nocache", ""}, // served (cookie.go)
		{"cookie SRV insert maxidle 1h", ":11] : 'cookie ... maxidle'"},
		{"stats enable", ""}, // served (statspage.go)
		{"capture request header Host len 20", ":11] : 'capture' in mode http"},
		{"tcp-request content reject if { req.len gt 0 }", "'tcp-request content' rules in mode http"},
	} {
		t.Run(tc.line, func(t *testing.T) {
			cfg := load(t, head+"  "+tc.line+"\n")
			_, err := New(cfg, Options{})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	// HTTP fetches in a TCP mode proxy are refused too
	cfg := load(t, strings.Replace(head, "mode http", "mode tcp", 1)+"  use_backend b1 if { path_beg /x }\n")
	if _, err := New(cfg, Options{}); err == nil || !strings.Contains(err.Error(), "an HTTP fetch in a mode tcp condition") {
		t.Fatalf("tcp mode path_beg: %v", err)
	}
}

func TestHTTPErrorsConsistent(t *testing.T) {
	for code, msg := range httpErrors {
		head, body, ok := strings.Cut(msg, "\r\n\r\n")
		if !ok || !strings.Contains(head, "Content-length: "+strconv.Itoa(len(body))+"\r\n") {
			t.Errorf("%d: content-length does not match the body (%d bytes)", code, len(body))
		}
	}
}
