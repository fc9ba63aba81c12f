package proxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
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
	rt, err := New(cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := rt.Listen(nil); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { rt.Serve(context.Background()); close(done) }()
	defer func() { rt.HardStop(); <-done }()
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
