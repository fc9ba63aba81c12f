package proxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

// BenchmarkTCPConnection measures one TCP session through a tcp mode
// Runtime per iteration: connect, 2 bytes each way, close (the path
// "make bench" measures as connections/s and CPU per connection), with
// tcplog lines to a UDP sink when logged.
func BenchmarkTCPConnection(b *testing.B) {
	for _, logged := range []bool{false, true} {
		b.Run(fmt.Sprintf("logged=%v", logged), func(b *testing.B) { benchTCPConnection(b, logged) })
	}
}

func benchTCPConnection(b *testing.B, logged bool) {
	oln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := oln.Accept()
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 2)
				io.ReadFull(c, buf)
				c.Write(buf)
				c.Close()
			}()
		}
	}()
	defer func() { oln.Close(); wg.Wait() }()
	sink, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := sink.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := pln.Addr().String()
	pln.Close()
	logs := ""
	if logged {
		logs = fmt.Sprintf("  log %s local0\n  option tcplog\n", sink.LocalAddr())
	}
	cfg := loadTB(b, fmt.Sprintf("defaults\n  mode tcp\n  timeout client 5s\n  timeout server 5s\n  timeout connect 1s\n%slisten l\n  bind %s\n  server s1 %s\n", logs, addr, oln.Addr()))
	serveRuntime(b, cfg)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 2)
		for pb.Next() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Error(err)
				return
			}
			c.Write([]byte("hi"))
			io.ReadFull(c, buf)
			c.Close()
		}
	})
}

// BenchmarkHTTPKeepAlive measures one HTTP/1.1 request over a kept-alive
// client connection through an http mode Runtime per iteration (the path
// "make bench" measures as HTTP keep-alive requests/s).
func BenchmarkHTTPKeepAlive(b *testing.B) {
	oln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer oln.Close()
	const resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	go func() {
		for {
			c, err := oln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					// one request per read: the proxy sends whole heads
					if n > 0 {
						io.WriteString(c, resp)
					}
				}
			}()
		}
	}()
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := pln.Addr().String()
	pln.Close()
	cfg := loadTB(b, fmt.Sprintf("defaults\n  mode http\n  option forwardfor\n  timeout client 5s\n  timeout server 5s\n  timeout connect 1s\nlisten l\n  bind %s\n  server s1 %s\n", addr, oln.Addr()))
	serveRuntime(b, cfg)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		req := []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		buf := make([]byte, 4096)
		for pb.Next() {
			c.Write(req)
			got := 0
			for got < 100 { // the head and the 2-byte body
				n, err := c.Read(buf[got:])
				if err != nil {
					b.Error(err)
					return
				}
				got += n
				if got >= 4 && string(buf[got-2:got]) == "ok" {
					break
				}
			}
		}
	})
}

// serveRuntime runs a Runtime on cfg until the test ends (a hard stop).
func serveRuntime(tb testing.TB, cfg *haproxycfg.Config) *Runtime {
	tb.Helper()
	rt, err := New(cfg, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	if err := rt.Listen(nil); err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() { rt.Serve(context.Background()); close(done) }()
	tb.Cleanup(func() { rt.HardStop(); <-done })
	return rt
}
