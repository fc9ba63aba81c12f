package lvs

import (
	"context"
	"io"
	"net"
	"net/netip"
	"testing"
)

// echoServer echoes every connection until the client closes.
func echoServer(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

func benchForwarder(b *testing.B) (vip string) {
	rs := echoServer(b)
	ctx, cancel := context.WithCancel(context.Background())
	fw := NewForwarder(ctx, ForwarderOptions{})
	b.Cleanup(func() { cancel(); fw.Wait() })
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	vip = ln.Addr().String()
	ln.Close()
	s := &Service{Addrs: []netip.AddrPort{netip.MustParseAddrPort(vip)}, Protocol: "tcp", Kind: "NAT", Algo: "wlc"}
	if err := fw.AddService(s); err != nil {
		b.Fatal(err)
	}
	d := &Dest{Addr: netip.MustParseAddrPort(rs), Weight: 1}
	fw.AddDest(s, d, 1)
	return vip
}

func oneExchange(b *testing.B, addr string, buf []byte) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Write(buf); err != nil {
		b.Fatal(err)
	}
	if _, err := io.ReadFull(c, buf); err != nil {
		b.Fatal(err)
	}
	c.Close()
}

// BenchmarkConnDirect is the baseline: a connection straight to the echo
// server; BenchmarkConnForwarder the same through the userspace forwarder.
func BenchmarkConnDirect(b *testing.B) {
	addr := echoServer(b)
	buf := make([]byte, 64)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		oneExchange(b, addr, buf)
	}
}

func BenchmarkConnForwarder(b *testing.B) {
	vip := benchForwarder(b)
	buf := make([]byte, 64)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		oneExchange(b, vip, buf)
	}
}

// BenchmarkStreamForwarder moves 1 MiB per operation through one
// forwarded connection, echoed back.
func BenchmarkStreamForwarder(b *testing.B) {
	vip := benchForwarder(b)
	c, err := net.Dial("tcp", vip)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 1<<20)
	in := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		go c.Write(buf)
		if _, err := io.ReadFull(c, in); err != nil {
			b.Fatal(err)
		}
	}
}
