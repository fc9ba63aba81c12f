package proxyproto

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// The differential tests run Debian's haproxy 2.6 on loopback and compare
// what it sends and accepts with this package.

const ioTimeout = 5 * time.Second

// freePort returns a loopback port nobody listens on right now.
func freePort(t *testing.T, network, host string) int {
	t.Helper()
	ln, err := net.Listen(network, net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startHAProxy runs haproxy in the foreground with cfg and stops it (by PID)
// when t ends. It waits until every address in ready accepts connections.
func startHAProxy(t *testing.T, cfg string, ready ...string) {
	t.Helper()
	bin := testenv.Oracle(t, "haproxy")
	dir := t.TempDir()
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "-db", "-f", path)
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("haproxy output:\n%s", stderr.String())
		}
	})
	for _, addr := range ready {
		for i := 0; ; i++ {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-exited:
				t.Fatalf("haproxy exited:\n%s", stderr.String())
			default:
			}
			if i == 100 {
				t.Fatalf("haproxy does not listen on %s: %v\n%s", addr, err, stderr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// readHeader reads from c until Decode stops asking for more and returns
// the header, its raw bytes and what followed.
func readHeader(c net.Conn) (Header, []byte, []byte, error) {
	var buf []byte
	tmp := make([]byte, 4096)
	_ = c.SetReadDeadline(time.Now().Add(ioTimeout))
	for {
		h, n, err := Decode(buf)
		if err == nil {
			return h, buf[:n], buf[n:], nil
		}
		if !errors.Is(err, ErrNeedMore) {
			return h, buf, nil, fmt.Errorf("decode %q: %w", buf, err)
		}
		k, rerr := c.Read(tmp)
		buf = append(buf, tmp[:k]...)
		if rerr != nil && k == 0 {
			return h, buf, nil, fmt.Errorf("read after %q: %w", buf, rerr)
		}
	}
}

func addrPort(a net.Addr) netip.AddrPort { return a.(*net.TCPAddr).AddrPort() }

// TestOracleSend checks that haproxy's send-proxy, send-proxy-v2 and
// proxy-v2-options headers are byte-identical to AppendV1 and AppendV2, and
// that Decode reads them back.
func TestOracleSend(t *testing.T) {
	type variant struct {
		name, host, server string
		v2                 bool
		opts               V2Options
		uidFormat          string // unique-id-format
	}
	variants := []variant{
		{name: "v1-ipv4", host: "127.0.0.1", server: "send-proxy"},
		{name: "v1-ipv6", host: "::1", server: "send-proxy"},
		{name: "v2-ipv4", host: "127.0.0.1", server: "send-proxy-v2", v2: true},
		{name: "v2-ipv6", host: "::1", server: "send-proxy-v2", v2: true},
		{name: "v2-crc32c-uniqueid", host: "127.0.0.1", server: "send-proxy-v2 proxy-v2-options crc32c,unique-id", v2: true,
			opts: V2Options{CRC32C: true, UniqueID: true}, uidFormat: "uid-%ci-%cp"},
		{name: "v2-crc32c-uniqueid-ipv6", host: "::1", server: "send-proxy-v2 proxy-v2-options unique-id,crc32c", v2: true,
			opts: V2Options{CRC32C: true, UniqueID: true}, uidFormat: "gohaproxy-test-id"},
		{name: "v2-crc32c", host: "127.0.0.1", server: "send-proxy-v2 proxy-v2-options crc32c", v2: true, opts: V2Options{CRC32C: true}},
		// authority without SNI or received authority adds nothing.
		{name: "v2-authority-absent", host: "127.0.0.1", server: "send-proxy-v2 proxy-v2-options authority,crc32c", v2: true,
			opts: V2Options{CRC32C: true, Authority: true}},
		// ssl on a clear connection: an SSL TLV with client=0.
		{name: "v2-ssl-clear", host: "127.0.0.1", server: "send-proxy-v2-ssl-cn", v2: true, opts: V2Options{SSL: true, SSLCN: true}},
		{name: "v2-ssl-all-clear", host: "::1", server: "send-proxy-v2 proxy-v2-options ssl,cert-cn,ssl-cipher,cert-sig,cert-key,crc32c", v2: true,
			opts: V2Options{SSL: true, SSLCN: true, SSLCipher: true, SSLSigAlg: true, SSLKeyAlg: true, CRC32C: true}},
	}
	var cfg strings.Builder
	cfg.WriteString("global\n  maxconn 100\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 10s\n  timeout server 10s\n")
	type live struct {
		variant
		front string
		ln    net.Listener
	}
	var lives []live
	var ready []string
	for _, v := range variants {
		ln, err := net.Listen("tcp", net.JoinHostPort(v.host, "0"))
		if err != nil {
			testenv.Unavailable(t, "loopback "+v.host+": "+err.Error())
		}
		t.Cleanup(func() { ln.Close() })
		front := net.JoinHostPort(v.host, fmt.Sprint(freePort(t, "tcp", v.host)))
		fmt.Fprintf(&cfg, "listen %s\n  bind %s\n", v.name, front)
		if v.uidFormat != "" {
			fmt.Fprintf(&cfg, "  unique-id-format %s\n", v.uidFormat)
		}
		fmt.Fprintf(&cfg, "  server s %s %s\n", ln.Addr(), v.server)
		lives = append(lives, live{v, front, ln})
		ready = append(ready, front)
	}
	startHAProxy(t, cfg.String(), ready...)
	for _, l := range lives {
		t.Run(l.name, func(t *testing.T) {
			client, err := net.DialTimeout("tcp", l.front, ioTimeout)
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			if _, err := client.Write([]byte("hello")); err != nil {
				t.Fatal(err)
			}
			src, dst := addrPort(client.LocalAddr()), addrPort(client.RemoteAddr())
			// Skip the connections of the readiness probes: ours is the
			// one whose header names our source port.
			var (
				sc        net.Conn
				h         Header
				raw, rest []byte
			)
			for {
				_ = l.ln.(*net.TCPListener).SetDeadline(time.Now().Add(ioTimeout))
				sc, err = l.ln.Accept()
				if err != nil {
					t.Fatal(err)
				}
				defer sc.Close()
				h, raw, rest, err = readHeader(sc)
				if err == nil && h.Src.Port() == src.Port() {
					break
				}
			}
			for len(rest) < 5 {
				tmp := make([]byte, 16)
				k, err := sc.Read(tmp)
				if err != nil {
					t.Fatalf("payload: %v (have %q)", err, rest)
				}
				rest = append(rest, tmp[:k]...)
			}
			if string(rest) != "hello" {
				t.Errorf("payload after header = %q", rest)
			}
			var want []byte
			if l.v2 {
				c := &Conn{Src: src, Dst: dst, HasStream: true}
				switch l.uidFormat {
				case "uid-%ci-%cp":
					c.UniqueID = []byte(fmt.Sprintf("uid-%s-%d", src.Addr(), src.Port()))
				default:
					c.UniqueID = []byte(l.uidFormat)
				}
				want = AppendV2(nil, c, l.opts)
			} else {
				want = AppendV1(nil, src, dst)
			}
			if !bytes.Equal(raw, want) {
				t.Fatalf("haproxy sent\n%q\nAppend built\n%q", raw, want)
			}
			if !h.HasAddrs || h.Src != src || h.Dst != dst {
				t.Errorf("decoded %v -> %v (has %v), want %v -> %v", h.Src, h.Dst, h.HasAddrs, src, dst)
			}
			if _, _, err := DecodeStrict(raw); err != nil {
				t.Errorf("DecodeStrict refuses haproxy's header: %v", err)
			}
			t.Logf("%d bytes identical: %q", len(raw), raw)
		})
	}
}

// TestOracleSendCheck compares the headers haproxy's health checks send
// (check-send-proxy) with the encoder: v2 checks send LOCAL.
func TestOracleSendCheck(t *testing.T) {
	tests := []struct {
		name, server string
		v2           bool
		opts         V2Options
	}{
		{"v1", "send-proxy", false, V2Options{}},
		{"v2", "send-proxy-v2", true, V2Options{}},
		{"v2-crc32c", "send-proxy-v2 proxy-v2-options crc32c,unique-id", true, V2Options{CRC32C: true, UniqueID: true}},
	}
	var cfg strings.Builder
	cfg.WriteString("global\n  maxconn 100\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 10s\n  timeout server 10s\n  timeout check 5s\n")
	lns := make([]net.Listener, len(tests))
	for i, tc := range tests {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		lns[i] = ln
		fmt.Fprintf(&cfg, "backend %s\n  server s %s %s check check-send-proxy inter 200ms\n", tc.name, ln.Addr(), tc.server)
	}
	front := fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp", "127.0.0.1"))
	// The frontend exists only so haproxy has a listener to wait for; its
	// traffic (the start-up probe) must not reach the check listeners,
	// where it would be taken for a health check.
	fmt.Fprintf(&cfg, "backend sink\n  server s 127.0.0.1:9\nfrontend f\n  bind %s\n  default_backend sink\n", front)
	startHAProxy(t, cfg.String(), front)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_ = lns[i].(*net.TCPListener).SetDeadline(time.Now().Add(ioTimeout))
			sc, err := lns[i].Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			h, raw, _, err := readHeader(sc)
			if err != nil {
				t.Fatal(err)
			}
			var want []byte
			if tc.v2 {
				want = AppendV2(nil, &Conn{Local: true}, tc.opts)
			} else {
				// v1 describes the check connection itself.
				want = AppendV1(nil, addrPort(sc.RemoteAddr()), addrPort(sc.LocalAddr()))
			}
			if !bytes.Equal(raw, want) {
				t.Fatalf("haproxy sent %q, Append built %q", raw, want)
			}
			if tc.v2 && (h.Command != CmdLocal || h.HasAddrs) {
				t.Fatalf("decoded %+v", h)
			}
			t.Logf("%d bytes identical: %q", len(raw), raw)
		})
	}
}
