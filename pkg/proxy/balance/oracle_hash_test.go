package balance

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
)

// hashTypeConfig translates a hash-type line into Config fields.
func hashTypeConfig(cfg *Config, ht string) {
	f := strings.Fields(ht)
	if len(f) > 0 && f[0] == "consistent" {
		cfg.Consistent = true
	}
	if len(f) > 1 {
		cfg.Func, _ = ParseHashFunc(f[1])
	} else if cfg.Consistent {
		cfg.Avalanche = true // "consistent" alone means sdbm avalanche
	}
	if len(f) > 2 && f[2] == "avalanche" {
		cfg.Avalanche = true
	}
}

func TestOracleSource(t *testing.T) {
	// The client's source address varies over 127.0.0.2 .. 127.0.0.n.
	cases := []struct {
		hashType string
		specs    []srvSpec
		n        int
		v6       bool // dual-stack listener: the key is ::ffff:127.0.x.y
	}{
		{"map-based", weights(1, 1, 1), 40, true},
		{"consistent wt6", weights(1, 2, 1), 40, true},
		{"map-based", weights(1, 1, 1), 60, false},
		{"map-based sdbm avalanche", weights(3, 1, 2), 60, false},
		{"map-based", weights(4, 6, 2), 60, false},
		{"map-based djb2", []srvSpec{{weight: 1}, {weight: 0}, {weight: 5}, {weight: 2, backup: true}}, 40, false},
		{"consistent", weights(1, 1, 1), 80, false},
		{"consistent sdbm avalanche", weights(1, 2, 3), 80, false},
		{"consistent djb2", weights(10, 10, 10, 10), 80, false},
		{"consistent wt6 avalanche", weights(1, 1), 60, false},
		{"consistent crc32", []srvSpec{{weight: 1, id: 7}, {weight: 1, id: 3}, {weight: 2}}, 80, false},
		{"consistent crc32 avalanche", weights(256, 1, 50), 80, false},
		{"consistent crc32", weights(1, 1, 2), 60, false},
		{"consistent crc32 avalanche", []srvSpec{{weight: 1, id: 7}, {weight: 1, id: 3}, {weight: 2}}, 60, false},
		{"consistent djb2", []srvSpec{{weight: 1, id: 7}, {weight: 1, id: 3}, {weight: 2, id: 4}}, 60, false},
	}
	for _, tc := range cases {
		t.Run(tc.hashType+fmt.Sprint(len(tc.specs)), func(t *testing.T) {
			bs := startBackends(t, len(tc.specs), false, false)
			var extra []string
			if tc.v6 {
				extra = []string{"#v4v6"}
			}
			addr, _ := runHaproxy(t, "tcp", "source", tc.hashType, extra, tc.specs, bs)
			cfg := Config{Algorithm: "source"}
			hashTypeConfig(&cfg, tc.hashType)
			a, err := New(cfg, mkServers(tc.specs))
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for i := 0; i < tc.n; i++ {
				ip := net.IPv4(127, 0, byte(i/7), byte(2+i*37%250)).To4()
				name, _ := ask(t, addr, ip.String(), "", false)
				want = append(want, name)
				k := SrcIPv4([4]byte(ip))
				if tc.v6 {
					k = SrcKey(netip.AddrFrom16([16]byte(ip.To16())))
				}
				got = append(got, a.Pick(k).String())
			}
			t.Logf("haproxy: %v", want)
			compare(t, "source "+strings.Fields(tc.hashType)[0], got, want)
		})
	}
}

func TestOracleHTTP(t *testing.T) {
	uris := []string{"/", "/a", "/a/b", "/a/b/c?x=1", "/index.html?user=bob&id=7", "/img/logo.png",
		"/api/v1/users/42", "/api/v1/users/43?user=alice", "/x?id=1&user=carol", "/static/app.js?v=3",
		"/a/b/c/d/e/f", "/q?user=", "/?user=dave", "http://example.com/abs/path?user=eve", "/long/path/with/many/segments/to/cut",
		"/search?q=haproxy&user=frank", "/%20encoded", "/UPPER/case", "/trailing/", "/z"}
	hosts := []string{"www.example.com", "example.com", "a.b.c.example.org", "localhost", "shop.example.co.uk",
		"api.test", "foo.bar.baz", "intranet", "x.y", "www.haproxy.org"}
	cases := []struct {
		name     string
		balance  string
		hashType string
		specs    []srvSpec
		cfg      Config
		header   string // header name for hdr()
	}{
		{"uri", "uri", "", weights(1, 1, 1), Config{Algorithm: "uri"}, ""},
		{"uri-whole", "uri whole", "map-based djb2", weights(2, 3, 1), Config{Algorithm: "uri", URIWhole: true}, ""},
		{"uri-len-depth", "uri len 12 depth 2", "consistent", weights(1, 1, 1, 1), Config{Algorithm: "uri", URILen: 12, URIDepth: 2}, ""},
		{"uri-depth1", "uri depth 1", "map-based wt6 avalanche", weights(1, 2, 3), Config{Algorithm: "uri", URIDepth: 1}, ""},
		{"uri-path-only", "uri path-only", "consistent crc32 avalanche", weights(1, 1, 2), Config{Algorithm: "uri", URIPathOnly: true}, ""},
		{"url_param", "url_param user", "map-based", weights(1, 1, 1), Config{Algorithm: "url_param", Param: "user"}, ""},
		{"url_param-ch", "url_param user", "consistent wt6", weights(3, 1, 1), Config{Algorithm: "url_param", Param: "user"}, ""},
		{"hdr", "hdr(Host)", "map-based", weights(1, 1, 1), Config{Algorithm: "hdr"}, "Host"},
		{"hdr-domain", "hdr(Host) use_domain_only", "map-based djb2", weights(1, 2, 1), Config{Algorithm: "hdr", UseDomainOnly: true}, "Host"},
		{"hdr-domain-ch", "hdr(X-Key) use_domain_only", "consistent sdbm avalanche", weights(1, 1, 1, 1), Config{Algorithm: "hdr", UseDomainOnly: true}, "X-Key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bs := startBackends(t, len(tc.specs), true, false)
			addr, _ := runHaproxy(t, "http", tc.balance, tc.hashType, nil, tc.specs, bs)
			cfg := tc.cfg
			hashTypeConfig(&cfg, tc.hashType)
			a, err := New(cfg, mkServers(tc.specs))
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for i := 0; i < 2*len(uris); i++ {
				uri := uris[i%len(uris)]
				host := hosts[i%len(hosts)]
				if strings.HasPrefix(uri, "http://") {
					host = "example.com" // must match the authority
				}
				req := fmt.Sprintf("GET %s HTTP/1.0\r\nHost: %s\r\n", uri, host)
				if tc.header != "" && tc.header != "Host" {
					req += fmt.Sprintf("%s: %s\r\n", tc.header, hosts[(i+3)%len(hosts)])
				}
				// haproxy's use_domain_only looks at one byte past the
				// value (the start of the next header in its buffer):
				// keep a header after the hashed one so that it is not a dot.
				req += "X-Pad: 1\r\n\r\n"
				name, _ := ask(t, addr, "", req, false)
				want = append(want, name)
				k := Key{URI: uri}
				switch tc.header {
				case "Host":
					k.Value = host
				case "":
				default:
					k.Value = hosts[(i+3)%len(hosts)]
				}
				got = append(got, a.Pick(k).String())
			}
			t.Logf("haproxy: %v", want)
			compare(t, tc.cfg.Algorithm, got, want)
		})
	}
}

// rdpPayload is the start of an RDP connection request carrying a cookie.
func rdpPayload(cookie string) string {
	body := "Cookie: mstshash=" + cookie + "\r\n"
	n := 11 + len(body)
	hdr := []byte{3, 0, byte(n >> 8), byte(n), byte(n - 5), 0xe0, 0, 0, 0, 0, 0}
	return string(hdr) + body
}

func TestOracleRDPCookie(t *testing.T) {
	users := []string{"alice", "bob", "carol", "dave", "eve", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar", "peggy", "trent", "walter"}
	for _, ht := range []string{"map-based", "consistent djb2"} {
		t.Run(ht, func(t *testing.T) {
			specs := weights(1, 2, 1)
			bs := startBackends(t, len(specs), false, false)
			addr, _ := runHaproxy(t, "tcp", "rdp-cookie", ht, []string{"tcp-request inspect-delay 2s", "tcp-request content accept if RDP_COOKIE"}, specs, bs)
			cfg := Config{Algorithm: "rdp-cookie"}
			hashTypeConfig(&cfg, ht)
			a, err := New(cfg, mkServers(specs))
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for _, u := range users {
				p := rdpPayload(u)
				name, _ := ask(t, addr, "", p, false)
				want = append(want, name)
				v, ok := RDPCookie([]byte(p), "mstshash")
				if !ok || string(v) != u {
					t.Fatalf("RDPCookie: %q %v", v, ok)
				}
				got = append(got, a.Pick(Key{Value: string(v)}).String())
			}
			t.Logf("haproxy: %v", want)
			compare(t, "rdp-cookie", got, want)
		})
	}
}
