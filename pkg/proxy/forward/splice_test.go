package forward

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// TestSpliceAndCopyAgree runs the same exchanges with splice(2) and with
// buffers: same bytes, same half-closes, same result.
func TestSpliceAndCopyAgree(t *testing.T) {
	for _, noSplice := range []bool{false, true} {
		pool := NewBufPool(0)
		pool.NoSplice = noSplice
		t.Cleanup(pool.Close)
		userClient, proxyClientSide := pair(t)
		proxyServerSide, userServer := pair(t)
		resc := make(chan Result, 1)
		go func() {
			resc <- Pipe(context.Background(), proxyClientSide, proxyServerSide, Timeouts{Client: 10 * time.Second, Server: 10 * time.Second}, pool)
		}()
		req := make([]byte, 3<<20+17)
		for i := range req {
			req[i] = byte(i * 7)
		}
		go func() {
			userClient.Write(req)
			userClient.(*net.TCPConn).CloseWrite()
		}()
		got, err := io.ReadAll(userServer)
		if err != nil || !bytes.Equal(got, req) {
			t.Fatalf("nosplice=%v: server got %d bytes (err %v), want %d", noSplice, len(got), err, len(req))
		}
		userServer.Write([]byte("reply"))
		userServer.(*net.TCPConn).CloseWrite()
		back, _ := io.ReadAll(userClient)
		res := <-resc
		if string(back) != "reply" || res.BytesIn != int64(len(req)) || res.BytesOut != 5 || res.Err != nil || res.Timeout != "" {
			t.Fatalf("nosplice=%v: client got %q, result %+v", noSplice, back, res)
		}
		if pooled := len(pool.pipes); (pooled > 0) == noSplice {
			t.Fatalf("nosplice=%v: %d pipes pooled after the session", noSplice, pooled)
		}
	}
}

// TestSpliceIdleTimeoutCountsActivity: the inactivity timeout is re-armed
// at every exchange, also when splicing: a session that talks more often
// than its timeout lives longer than the timeout.
func TestSpliceIdleTimeoutCountsActivity(t *testing.T) {
	for _, noSplice := range []bool{false, true} {
		pool := NewBufPool(0)
		pool.NoSplice = noSplice
		t.Cleanup(pool.Close)
		userClient, proxyClientSide := pair(t)
		proxyServerSide, userServer := pair(t)
		resc := make(chan Result, 1)
		idle := 300 * time.Millisecond
		go func() {
			resc <- Pipe(context.Background(), proxyClientSide, proxyServerSide, Timeouts{Client: idle, Server: idle}, pool)
		}()
		r := bufio.NewReader(userServer)
		cr := bufio.NewReader(userClient)
		// a bulk start moves both directions to splice (when allowed)
		bulk := bytes.Repeat([]byte("b"), 1<<20)
		go userClient.Write(bulk)
		go userServer.Write(bulk)
		if _, err := io.ReadFull(r, make([]byte, len(bulk))); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(cr, make([]byte, len(bulk))); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 8; i++ { // 8 exchanges 100ms apart: longer than idle
			userClient.Write([]byte("ping\n"))
			if l, err := r.ReadString('\n'); err != nil || l != "ping\n" {
				t.Fatalf("nosplice=%v: exchange %d: %q %v", noSplice, i, l, err)
			}
			userServer.Write([]byte("pong\n"))
			if l, err := cr.ReadString('\n'); err != nil || l != "pong\n" {
				t.Fatalf("nosplice=%v: exchange %d back: %q %v", noSplice, i, l, err)
			}
			time.Sleep(idle / 3)
		}
		select {
		case res := <-resc:
			t.Fatalf("nosplice=%v: session ended while active: %+v", noSplice, res)
		default:
		}
		if res := <-resc; res.Timeout == "" {
			t.Fatalf("nosplice=%v: idle session ended with %+v, want a timeout", noSplice, res)
		}
		if pooled := len(pool.pipes); (pooled > 0) == noSplice {
			t.Fatalf("nosplice=%v: %d pipes pooled: splice not used as expected", noSplice, pooled)
		}
	}
}

// TestPipeNonTCPCopies: connections splice cannot serve are copied.
func TestPipeNonTCPCopies(t *testing.T) {
	a, b := net.Pipe()
	c, d := net.Pipe()
	go func() { a.Write([]byte("hello")); a.Close() }()
	go func() { io.Copy(io.Discard, a) }()
	resc := make(chan Result, 1)
	go func() {
		resc <- Pipe(context.Background(), b, c, Timeouts{Client: 5 * time.Second, Server: 5 * time.Second}, nil)
	}()
	buf := make([]byte, 5)
	if _, err := io.ReadFull(d, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("got %q %v", buf, err)
	}
	d.Close()
	<-resc
}

// BenchmarkPipeBulk moves 64 MiB per session through Pipe, with splice(2)
// and with buffers.
func BenchmarkPipeBulk(b *testing.B) {
	for _, mode := range []struct {
		name     string
		noSplice bool
	}{{"splice", false}, {"copy", true}} {
		b.Run(mode.name, func(b *testing.B) {
			pool := NewBufPool(0)
			pool.NoSplice = mode.noSplice
			defer pool.Close()
			payload := make([]byte, 1<<20)
			const mib = 64
			b.SetBytes(mib << 20)
			b.ReportAllocs()
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
				done := make(chan struct{})
				go func() { Pipe(context.Background(), pc, ps, Timeouts{}, pool); close(done) }()
				go func() {
					for j := 0; j < mib; j++ {
						uc.Write(payload)
					}
					uc.(*net.TCPConn).CloseWrite()
				}()
				io.Copy(io.Discard, us)
				us.Close()
				io.Copy(io.Discard, uc)
				<-done
				uc.Close()
				pc.Close()
				ps.Close()
				ln.Close()
			}
		})
	}
}
