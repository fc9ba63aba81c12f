// Command backend is the small HTTP server `make run` starts behind the
// example configuration: each -listen NAME=ADDR serves "NAME: METHOD PATH"
// on every path, 200 on /health, until interrupted.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

type listens []string

func (l *listens) String() string     { return strings.Join(*l, ",") }
func (l *listens) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var ls listens
	flag.Var(&ls, "listen", "NAME=ADDR to serve (repeatable)")
	flag.Parse()
	if len(ls) == 0 {
		fmt.Fprintln(os.Stderr, "usage: backend -listen web1=127.0.0.1:9001 [-listen ...]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var servers []*http.Server
	for _, l := range ls {
		name, addr, ok := strings.Cut(l, "=")
		if !ok {
			log.Fatalf("-listen %q: want NAME=ADDR", l)
		}
		srv := &http.Server{Addr: addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/health" {
				fmt.Fprintln(w, "ok")
				return
			}
			fmt.Fprintf(w, "%s: %s %s\n", name, r.Method, r.URL.RequestURI())
		})}
		servers = append(servers, srv)
		go func() {
			if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
				log.Fatalf("%s on %s: %v", name, addr, err)
			}
		}()
		log.Printf("%s listening on %s", name, addr)
	}
	<-ctx.Done()
	for _, s := range servers {
		s.Close()
	}
}
