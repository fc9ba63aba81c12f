// Command benchtool is the origin server `make bench` puts behind both
// proxies: a minimal HTTP/1.1 responder that answers GET /big with a 1 MiB
// body and anything else with "ok", keeps connections alive unless the
// request says "Connection: close", and exits when its context ends
// (SIGINT/SIGTERM). It is a measurement fixture, not part of gohaproxy.
//
// Usage: benchtool -listen 127.0.0.1:PORT
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
)

// bigSize is the body size of GET /big.
const bigSize = 1 << 20

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (host:port)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *listen); err != nil {
		fmt.Fprintf(os.Stderr, "benchtool: %v\n", err)
		os.Exit(1)
	}
}

type server struct {
	small      []byte // full response for "ok"
	smallClose []byte // the same, announcing Connection: close
	big        []byte // full response for the 1 MiB body
}

func newServer() *server {
	body := make([]byte, bigSize)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	head := "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + strconv.Itoa(bigSize) + "\r\n\r\n"
	return &server{
		small:      []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"),
		smallClose: []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"),
		big:        append([]byte(head), body...),
	}
}

func run(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (pass a free host:port with -listen): %w", addr, err)
	}
	s := newServer()
	var wg sync.WaitGroup
	conns := make(map[net.Conn]struct{})
	var mu sync.Mutex
	go func() {
		<-ctx.Done()
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				continue
			}
			wg.Wait()
			return fmt.Errorf("accept on %s: %w", addr, err)
		}
		mu.Lock()
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serve(c)
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
			c.Close()
		}()
	}
	wg.Wait()
	return nil
}

// serve answers requests on c until the peer closes, a request asks for
// Connection: close, or a request head cannot be read.
func (s *server) serve(c net.Conn) {
	r := bufio.NewReaderSize(c, 4096)
	for {
		big, closeAfter, err := readRequest(r)
		if err != nil {
			return
		}
		resp := s.small
		if closeAfter {
			resp = s.smallClose
		}
		if big {
			resp = s.big
		}
		if _, err := c.Write(resp); err != nil {
			return
		}
		if closeAfter {
			return
		}
	}
}

// readRequest reads one request head (no body: the load generators send
// GET) and reports whether it asked for /big and for Connection: close.
func readRequest(r *bufio.Reader) (big, closeAfter bool, err error) {
	first := true
	for n := 0; ; n++ {
		if n > 100 {
			return false, false, errors.New("request head has more than 100 lines")
		}
		line, err := r.ReadSlice('\n')
		if err != nil {
			return false, false, err
		}
		if first {
			big = parseTarget(line) == "/big"
			first = false
			continue
		}
		if len(line) <= 2 && (len(line) == 1 || line[0] == '\r') {
			return big, closeAfter, nil
		}
		if isConnectionClose(line) {
			closeAfter = true
		}
	}
}

// parseTarget returns the request target of a request line, or "".
func parseTarget(line []byte) string {
	sp := -1
	for i, b := range line {
		if b == ' ' {
			if sp < 0 {
				sp = i
				continue
			}
			return string(line[sp+1 : i])
		}
	}
	return ""
}

// isConnectionClose reports whether a header line is "Connection: close"
// (case-insensitive, optional whitespace).
func isConnectionClose(line []byte) bool {
	const name = "connection:"
	if len(line) < len(name) {
		return false
	}
	for i := 0; i < len(name); i++ {
		b := line[i]
		if b >= 'A' && b <= 'Z' {
			b += 'a' - 'A'
		}
		if b != name[i] {
			return false
		}
	}
	v := line[len(name):]
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	for len(v) > 0 && (v[len(v)-1] == '\n' || v[len(v)-1] == '\r' || v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
		v = v[:len(v)-1]
	}
	if len(v) != 5 {
		return false
	}
	for i := 0; i < 5; i++ {
		b := v[i]
		if b >= 'A' && b <= 'Z' {
			b += 'a' - 'A'
		}
		if b != "close"[i] {
			return false
		}
	}
	return true
}
