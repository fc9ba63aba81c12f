package forward

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// pair returns the two ends of a loopback TCP connection.
func pair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ch := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		ch <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-ch
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestPipeCopiesBothWaysAndPropagatesClose(t *testing.T) {
	userClient, proxyClientSide := pair(t)
	proxyServerSide, userServer := pair(t)
	resc := make(chan Result, 1)
	go func() {
		resc <- Pipe(context.Background(), proxyClientSide, proxyServerSide, Timeouts{Client: 5 * time.Second, Server: 5 * time.Second}, nil)
	}()
	req := bytes.Repeat([]byte("a"), 100000)
	go func() {
		userClient.Write(req)
		userClient.(*net.TCPConn).CloseWrite()
	}()
	got, err := io.ReadAll(userServer)
	if err != nil || !bytes.Equal(got, req) {
		t.Fatalf("server got %d bytes (err %v), want %d", len(got), err, len(req))
	}
	userServer.Write([]byte("reply"))
	userServer.(*net.TCPConn).CloseWrite()
	back, _ := io.ReadAll(userClient)
	if string(back) != "reply" {
		t.Fatalf("client got %q", back)
	}
	res := <-resc
	if res.BytesIn != int64(len(req)) || res.BytesOut != 5 || res.Timeout != "" || res.Err != nil {
		t.Fatalf("result = %+v", res)
	}
}

func TestPipeClientTimeout(t *testing.T) {
	_, proxyClientSide := pair(t)
	proxyServerSide, _ := pair(t)
	res := Pipe(context.Background(), proxyClientSide, proxyServerSide, Timeouts{Client: 50 * time.Millisecond, Server: 10 * time.Second}, nil)
	if res.Timeout != "client" {
		t.Fatalf("Timeout = %q, want client (result %+v)", res.Timeout, res)
	}
}

func TestPipeServerTimeout(t *testing.T) {
	_, proxyClientSide := pair(t)
	proxyServerSide, _ := pair(t)
	res := Pipe(context.Background(), proxyClientSide, proxyServerSide, Timeouts{Client: 10 * time.Second, Server: 50 * time.Millisecond}, nil)
	if res.Timeout != "server" {
		t.Fatalf("Timeout = %q, want server (result %+v)", res.Timeout, res)
	}
}

func TestPipeStopsOnContext(t *testing.T) {
	_, proxyClientSide := pair(t)
	proxyServerSide, _ := pair(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	res := Pipe(ctx, proxyClientSide, proxyServerSide, Timeouts{}, nil)
	if res.Err == nil {
		t.Fatalf("Pipe returned %+v after cancel, want an error", res)
	}
}

func BenchmarkPipe(b *testing.B) {
	t := &testing.T{}
	_ = t
	payload := bytes.Repeat([]byte("x"), 1<<20)
	pool := NewBufPool(0)
	b.SetBytes(int64(len(payload)))
	for i := 0; i < b.N; i++ {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		ch := make(chan net.Conn, 2)
		go func() {
			for j := 0; j < 2; j++ {
				c, _ := ln.Accept()
				ch <- c
			}
		}()
		uc, _ := net.Dial("tcp", ln.Addr().String())
		pc := <-ch
		ps, _ := net.Dial("tcp", ln.Addr().String())
		us := <-ch
		go func() { Pipe(context.Background(), pc, ps, Timeouts{}, pool) }()
		go func() { uc.Write(payload); uc.(*net.TCPConn).CloseWrite() }()
		io.Copy(io.Discard, us)
		us.Close()
		io.Copy(io.Discard, uc)
		uc.Close()
		pc.Close()
		ps.Close()
		ln.Close()
	}
}
