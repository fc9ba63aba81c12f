#!/bin/sh
# make run: the example backends and gohaproxy on examples/haproxy.cfg, in
# the foreground; Ctrl-C stops everything this script started.
set -eu
cd "$(dirname "$0")/.."
go build -o bin/example-backend ./examples/backend
./bin/example-backend -listen web1=127.0.0.1:9001 -listen web2=127.0.0.1:9002 -listen api1=127.0.0.1:9101 &
backends=$!
trap 'kill $backends 2>/dev/null; wait $backends 2>/dev/null || true' EXIT INT TERM
./bin/gohaproxy -c -f examples/haproxy.cfg
cat <<MSG

gohaproxy serves examples/haproxy.cfg:
  curl http://127.0.0.1:8080/        -> backend web (web1, web2 in turn)
  curl http://127.0.0.1:8080/api/x   -> backend api (api1)
  http://127.0.0.1:8888/               -> stats page (admin/admin; drain or stop servers there)
  curl http://127.0.0.1:8404/metrics -> Prometheus metrics
  echo "show stat" | socat - UNIX:/tmp/gohaproxy-example.sock
Traffic is logged on stdout as haproxy's httplog lines.
Health checks run every 2s: stop a backend and watch gohaproxy's messages.
Ctrl-C stops gohaproxy and the backends.

MSG
./bin/gohaproxy -db -f examples/haproxy.cfg || true
