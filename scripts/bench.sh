#!/bin/sh
# make bench: gohaproxy against haproxy on this machine, in one run, written
# to docs/BENCHMARKS.md as ratios: configuration loading (`-c`) on the seed
# and on a large generated configuration, TCP forwarding over keep-alive,
# TCP connections/s (a new connection per request) and MB/s of 1 MiB
# transfers with each proxy's CPU time per connection and peak RSS, HTTP
# keep-alive, TLS handshakes and TLS keep-alive, and (root) the seed's
# failover lab.
# Knobs: RUNS (-c runs), DUR (keep-alive seconds), CDUR and ROUNDS
# (connection/transfer rounds), BENCH_FAILOVER=0 skips the lab (~2 min),
# BENCH_ONLY=tcpconn, BENCH_ONLY=http, BENCH_ONLY=tls or BENCH_ONLY=vs (the
# userspace virtual_server beside both proxies) prints one section to stdout
# only.
set -eu
cd "$(dirname "$0")/.."
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
GOHAPROXY=./bin/gohaproxy
RUNS=${RUNS:-50}
tmp=$(mktemp -d)
opid= hpid= gpid= kpid=
trap 'kill $opid $hpid $gpid $kpid 2>/dev/null || true; rm -rf "$tmp"' EXIT

big=$tmp/big.cfg
{
	printf 'global\n  maxconn 100000\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n'
	printf 'frontend www\n  bind 127.0.0.1:18080\n'
	i=0
	while [ $i -lt 2000 ]; do
		printf '  acl host_%d hdr(host) -i app%d.example.com\n  use_backend be_%d if host_%d\n' $i $i $i $i
		i=$((i+1))
	done
	i=0
	while [ $i -lt 2000 ]; do
		printf 'backend be_%d\n  balance roundrobin\n  option httpchk GET /health\n' $i
		j=0
		while [ $j -lt 4 ]; do
			printf '  server s%d 10.%d.%d.%d:8080 check inter 2s weight %d\n' $j $((i / 250)) $((i % 250)) $((j + 1)) $((j + 1))
			j=$((j+1))
		done
		i=$((i+1))
	done
} >"$big"

# measure BIN CFG -> "mean_us maxrss_kb"
measure() {
	bin=$1 cfg=$2
	start=$(date +%s%N)
	n=0
	while [ $n -lt "$RUNS" ]; do
		"$bin" -c -q -f "$cfg" >/dev/null 2>&1 || true
		n=$((n+1))
	done
	end=$(date +%s%N)
	rss=$(/usr/bin/time -f %M "$bin" -c -q -f "$cfg" 2>&1 >/dev/null | tail -1)
	echo "$(( (end - start) / RUNS / 1000 )) $rss"
}

row() { # name cfg
	set -- "$1" "$2" $(measure "$HAPROXY" "$2") $(measure "$GOHAPROXY" "$2")
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$3" "$5" \
		"$(awk "BEGIN{printf \"%.2f\", $5/$3}")" "$4" "$6" "$(awk "BEGIN{printf \"%.2f\", $6/$4}")"
}

# tcp_bench: the same TCP-mode proxy configuration under haproxy and
# gohaproxy, in front of one fast HTTP responder (haproxy answering with
# http-request return), loaded by wrk over keep-alive connections.
tcp_bench() {
	command -v wrk >/dev/null 2>&1 || { echo "(wrk not installed: no TCP forwarding figures)"; return; }
	base=$((20000 + $$ % 20000))
	origin=$base; hport=$((base+1)); gport=$((base+2))
	printf 'global\n  nbthread 1\ndefaults\n  mode http\n  timeout client 10s\n  timeout server 10s\n  timeout connect 2s\nfrontend origin\n  bind 127.0.0.1:%d\n  http-request return status 200 content-type text/plain string ok\n' $origin >"$tmp/origin.cfg"
	for p in $hport $gport; do
		printf 'global\n  nbthread 2\ndefaults\n  mode tcp\n  timeout client 10s\n  timeout server 10s\n  timeout connect 2s\nlisten fwd\n  bind 127.0.0.1:%d\n  server o 127.0.0.1:%d\n' $p $origin >"$tmp/fwd$p.cfg"
	done
	"$HAPROXY" -db -f "$tmp/origin.cfg" >/dev/null 2>&1 & opid=$!
	"$HAPROXY" -db -f "$tmp/fwd$hport.cfg" >/dev/null 2>&1 & hpid=$!
	"$GOHAPROXY" -db -f "$tmp/fwd$gport.cfg" >/dev/null 2>&1 & gpid=$!
	sleep 1
	DUR=${DUR:-5}
	rps() { wrk -t1 -c32 -d${DUR}s "http://127.0.0.1:$1/" 2>/dev/null | awk '/Requests\/sec/ {print int($2)}'; }
	rss() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
	h=$(rps $hport); g=$(rps $gport)
	hm=$(rss $hpid); gm=$(rss $gpid)
	kill $opid $hpid $gpid 2>/dev/null || true; wait $opid $hpid $gpid 2>/dev/null || true; opid= hpid= gpid=
	echo "## TCP forwarding (mode tcp), wrk -t1 -c32 -d${DUR}s through each proxy to the same origin"
	echo
	echo "| proxy | requests/s | peak RSS KiB |"
	echo "|---|---|---|"
	echo "| haproxy (nbthread 2) | $h | $hm |"
	echo "| gohaproxy | $g | $gm |"
	echo
	echo "Ratio gohaproxy / haproxy: requests/s $(awk "BEGIN{printf \"%.2f\", $g/$h}"), memory $(awk "BEGIN{printf \"%.2f\", $gm/$hm}")."
	echo "The origin and wrk run on the same 2 cores, so these are ratios, not absolute capacities."
}

# tcpconn_bench: the same TCP-mode configuration under haproxy and
# gohaproxy in front of one fast origin (internal/benchtool), measured in
# alternating rounds (haproxy, gohaproxy, haproxy, ...): connections/s with
# a new connection per request (wrk, Connection: close, "ok" body) and
# MB/s of 1 MiB responses (wrk over keep-alive, GET /big). Each proxy's CPU
# time (utime+stime from /proc/PID/stat) is read before and after each of
# its rounds and divided by the connections (or 1 MiB transfers) it served.
tcpconn_bench() {
	command -v wrk >/dev/null 2>&1 || { echo "(wrk not installed: no TCP connection figures)"; return; }
	go build -o "$tmp/benchtool" ./internal/benchtool || { echo "(internal/benchtool does not build: no TCP connection figures)"; return; }
	base=$((20000 + ($$ + 13) % 20000))
	origin=$base; hport=$((base+1)); gport=$((base+2))
	for p in $hport $gport; do
		printf 'global\n  nbthread 2\ndefaults\n  mode tcp\n  timeout client 10s\n  timeout server 10s\n  timeout connect 2s\nlisten fwd\n  bind 127.0.0.1:%d\n  server o 127.0.0.1:%d\n' $p $origin >"$tmp/conn$p.cfg"
	done
	"$tmp/benchtool" -listen 127.0.0.1:$origin >/dev/null 2>&1 & opid=$!
	"$HAPROXY" -db -f "$tmp/conn$hport.cfg" >/dev/null 2>&1 & hpid=$!
	"$GOHAPROXY" -db -f "$tmp/conn$gport.cfg" >/dev/null 2>&1 & gpid=$!
	sleep 1
	for p in $opid $hpid $gpid; do
		kill -0 $p 2>/dev/null || { echo "(a proxy or the origin did not start: no TCP connection figures)"; kill $opid $hpid $gpid 2>/dev/null || true; wait $opid $hpid $gpid 2>/dev/null || true; opid= hpid= gpid=; return; }
	done
	CDUR=${CDUR:-3} ROUNDS=${ROUNDS:-2}
	tck=$(getconf CLK_TCK)
	cpu() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
	# one PID PORT WRKARGS... -> adds "requests cputicks" to the totals file of PID
	one() {
		pid=$1 port=$2; shift 2
		c0=$(cpu $pid)
		# "N requests in 3.05s" -> "N 3.05" (wrk writes ms, s or m)
		nd=$(wrk "$@" "http://127.0.0.1:$port$path" 2>/dev/null | awk '/requests in/ {
			d = $4; sub(/,$/, "", d); m = 1
			if (d ~ /ms$/) { m = 0.001; sub(/ms$/, "", d) } else if (d ~ /m$/) { m = 60; sub(/m$/, "", d) } else sub(/s$/, "", d)
			print $1, d * m }')
		c1=$(cpu $pid)
		echo "${nd:-0 0} $((c1 - c0))" >>"$tmp/tot.$pid.$kind"
	}
	for kind in conn big; do
		: >"$tmp/tot.$hpid.$kind"; : >"$tmp/tot.$gpid.$kind"
		if [ $kind = conn ]; then path=/; set -- -t1 -c32 -d${CDUR}s -H 'Connection: close'
		else path=/big; set -- -t1 -c8 -d${CDUR}s; fi
		r=0
		while [ $r -lt "$ROUNDS" ]; do
			one $hpid $hport "$@"
			one $gpid $gport "$@"
			r=$((r+1))
		done
	done
	hwm() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
	hm=$(hwm $hpid); gm=$(hwm $gpid); hp=$hpid gp=$gpid
	kill $opid $hpid $gpid 2>/dev/null || true; wait $opid $hpid $gpid 2>/dev/null || true; opid= hpid= gpid=
	# stat PID KIND -> "per_second cpu_us_per_request" over all its rounds
	stat() { awk -v tck=$tck '{n += $1; s += $2; t += $3} END {if (n == 0 || s == 0) {print "0 0"} else printf "%.0f %.1f\n", n/s, t*1000000/tck/n}' "$tmp/tot.$1.$2"; }
	set -- $(stat $hp conn) $(stat $gp conn) $(stat $hp big) $(stat $gp big)
	hc=$1 hcu=$2 gc=$3 gcu=$4 hb=$5 hbu=$6 gb=$7 gbu=$8
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (b == 0) print "n/a"; else printf "%.2f", a/b}'; }
	mbs() { awk -v n="$1" 'BEGIN{printf "%.0f", n*1048576/1000000}'; }
	echo "## TCP connections and transfers (mode tcp), $ROUNDS alternating rounds of ${CDUR}s per proxy"
	echo
	echo "New connection per request: wrk -t1 -c32 -H 'Connection: close' (2-byte body); 1 MiB transfers: wrk -t1 -c8 over keep-alive."
	echo "CPU µs: the proxy's utime+stime over its rounds, per connection (per 1 MiB transfer for MB/s)."
	echo
	echo "| proxy | connections/s | CPU µs per connection | MB/s (1 MiB bodies) | CPU µs per MiB | peak RSS KiB |"
	echo "|---|---|---|---|---|---|"
	echo "| haproxy (nbthread 2) | $hc | $hcu | $(mbs $hb) | $hbu | $hm |"
	echo "| gohaproxy | $gc | $gcu | $(mbs $gb) | $gbu | $gm |"
	echo
	echo "Ratio gohaproxy / haproxy: connections/s $(ratio $gc $hc), CPU per connection $(ratio $gcu $hcu), MB/s $(ratio $gb $hb), CPU per MiB $(ratio $gbu $hbu), memory $(ratio $gm $hm)."
	echo "The origin and wrk run on the same 2 cores, so these are ratios, not absolute capacities."
}

# http_bench: the same HTTP-mode proxy configuration (keep-alive on both
# sides) under haproxy and gohaproxy, in front of the same origin, loaded
# by wrk over keep-alive connections.
http_bench() {
	command -v wrk >/dev/null 2>&1 || { echo "(wrk not installed: no HTTP figures)"; return; }
	base=$((20000 + ($$ + 7) % 20000))
	origin=$base; hport=$((base+1)); gport=$((base+2))
	printf 'global\n  nbthread 1\ndefaults\n  mode http\n  timeout client 10s\n  timeout server 10s\n  timeout connect 2s\nfrontend origin\n  bind 127.0.0.1:%d\n  http-request return status 200 content-type text/plain string ok\n' $origin >"$tmp/horigin.cfg"
	for p in $hport $gport; do
		printf 'global\n  nbthread 2\ndefaults\n  mode http\n  timeout client 10s\n  timeout server 10s\n  timeout connect 2s\n  timeout http-request 5s\nlisten web\n  bind 127.0.0.1:%d\n  option forwardfor\n  server o 127.0.0.1:%d\n' $p $origin >"$tmp/http$p.cfg"
	done
	"$HAPROXY" -db -f "$tmp/horigin.cfg" >/dev/null 2>&1 & opid=$!
	"$HAPROXY" -db -f "$tmp/http$hport.cfg" >/dev/null 2>&1 & hpid=$!
	"$GOHAPROXY" -db -f "$tmp/http$gport.cfg" >/dev/null 2>&1 & gpid=$!
	sleep 1
	DUR=${DUR:-5}
	rps() { wrk -t1 -c32 -d${DUR}s "http://127.0.0.1:$1/" 2>/dev/null | awk '/Requests\/sec/ {print int($2)}'; }
	rss() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
	h=$(rps $hport); g=$(rps $gport)
	hm=$(rss $hpid); gm=$(rss $gpid)
	kill $opid $hpid $gpid 2>/dev/null || true; wait $opid $hpid $gpid 2>/dev/null || true; opid= hpid= gpid=
	echo "## HTTP keep-alive (mode http, option forwardfor), wrk -t1 -c32 -d${DUR}s through each proxy to the same origin"
	echo
	echo "| proxy | requests/s | peak RSS KiB |"
	echo "|---|---|---|"
	echo "| haproxy (nbthread 2) | $h | $hm |"
	echo "| gohaproxy | $g | $gm |"
	echo
	echo "Ratio gohaproxy / haproxy: requests/s $(awk "BEGIN{printf \"%.2f\", $g/$h}"), memory $(awk "BEGIN{printf \"%.2f\", $gm/$hm}")."
	echo
	echo "HTTP/1 request head parsing (pkg/proxy/h1, go test -bench ParseRequest -benchmem):"
	echo
	echo '```'
	go test ./pkg/proxy/h1 -run XXX -bench ParseRequest -benchmem 2>/dev/null | grep '^Benchmark'
	echo '```'
}

# vs_bench: a gokeepalived virtual_server served by the userspace
# forwarder (lvs_userspace on, a 127.0.0.1 virtual address, one real
# server without checker) beside the same origin behind haproxy and
# gohaproxy in mode tcp, in alternating rounds: connections/s with a new
# connection per request (wrk, Connection: close) and requests/s over
# keep-alive, with each one's CPU time per connection (the healthcheck
# child's for gokeepalived: it runs the forwarder).
vs_bench() {
	command -v wrk >/dev/null 2>&1 || { echo "(wrk not installed: no virtual_server figures)"; return; }
	go build -o "$tmp/benchtool" ./internal/benchtool || { echo "(internal/benchtool does not build: no virtual_server figures)"; return; }
	GOKEEPALIVED=${GOKEEPALIVED:-./bin/gokeepalived}
	[ -x "$GOKEEPALIVED" ] || { echo "($GOKEEPALIVED is not built: no virtual_server figures)"; return; }
	base=$((20000 + ($$ + 29) % 20000))
	origin=$base; hport=$((base+1)); gport=$((base+2)); kport=$((base+3))
	for p in $hport $gport; do
		printf 'global\n  nbthread 2\ndefaults\n  mode tcp\n  timeout client 10s\n  timeout server 10s\n  timeout connect 2s\nlisten fwd\n  bind 127.0.0.1:%d\n  server o 127.0.0.1:%d\n' $p $origin >"$tmp/vs$p.cfg"
	done
	printf 'global_defs {\n  lvs_userspace on\n}\nvirtual_server 127.0.0.1 %d {\n  lb_algo wlc\n  lb_kind NAT\n  protocol TCP\n  real_server 127.0.0.1 %d {\n    weight 1\n  }\n}\n' $kport $origin >"$tmp/vs.conf"
	"$tmp/benchtool" -listen 127.0.0.1:$origin >/dev/null 2>&1 & opid=$!
	"$HAPROXY" -db -f "$tmp/vs$hport.cfg" >/dev/null 2>&1 & hpid=$!
	"$GOHAPROXY" -db -f "$tmp/vs$gport.cfg" >/dev/null 2>&1 & gpid=$!
	"$GOKEEPALIVED" -n -C -f "$tmp/vs.conf" -p "$tmp/gk.pid" -c "$tmp/gkc.pid" >/dev/null 2>&1 & kpid=$!
	sleep 2
	cpid=$(cat "$tmp/gkc.pid" 2>/dev/null || echo)
	for p in $opid $hpid $gpid $kpid $cpid; do
		kill -0 $p 2>/dev/null || { echo "(a proxy, gokeepalived or the origin did not start: no virtual_server figures)"; kill $opid $hpid $gpid $kpid 2>/dev/null || true; wait $opid $hpid $gpid $kpid 2>/dev/null || true; opid= hpid= gpid= kpid=; return; }
	done
	CDUR=${CDUR:-3} ROUNDS=${ROUNDS:-2}
	tck=$(getconf CLK_TCK)
	cpu() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
	one() { # PID PORT WRKARGS...
		pid=$1 port=$2; shift 2
		c0=$(cpu $pid)
		nd=$(wrk "$@" "http://127.0.0.1:$port/" 2>/dev/null | awk '/requests in/ {
			d = $4; sub(/,$/, "", d); m = 1
			if (d ~ /ms$/) { m = 0.001; sub(/ms$/, "", d) } else if (d ~ /m$/) { m = 60; sub(/m$/, "", d) } else sub(/s$/, "", d)
			print $1, d * m }')
		c1=$(cpu $pid)
		echo "${nd:-0 0} $((c1 - c0))" >>"$tmp/vs.$pid.$kind"
	}
	for kind in conn ka; do
		: >"$tmp/vs.$hpid.$kind"; : >"$tmp/vs.$gpid.$kind"; : >"$tmp/vs.$cpid.$kind"
		if [ $kind = conn ]; then set -- -t1 -c32 -d${CDUR}s -H 'Connection: close'
		else set -- -t1 -c32 -d${CDUR}s; fi
		r=0
		while [ $r -lt "$ROUNDS" ]; do
			one $hpid $hport "$@"
			one $gpid $gport "$@"
			one $cpid $kport "$@"
			r=$((r+1))
		done
	done
	hwm() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
	hm=$(hwm $hpid); gm=$(hwm $gpid); km=$(hwm $cpid); hp=$hpid gp=$gpid cp=$cpid
	kill $opid $hpid $gpid $kpid 2>/dev/null || true; wait $opid $hpid $gpid $kpid 2>/dev/null || true; opid= hpid= gpid= kpid=
	stat() { awk -v tck=$tck '{n += $1; s += $2; t += $3} END {if (n == 0 || s == 0) {print "0 0"} else printf "%.0f %.1f\n", n/s, t*1000000/tck/n}' "$tmp/vs.$1.$2"; }
	set -- $(stat $hp conn) $(stat $gp conn) $(stat $cp conn) $(stat $hp ka) $(stat $gp ka) $(stat $cp ka)
	hc=$1 hcu=$2 gc=$3 gcu=$4 kc=$5 kcu=$6 hk=$7 hku=$8 gk=$9
	shift 9; gku=$1 kk=$2 kku=$3
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (b == 0) print "n/a"; else printf "%.2f", a/b}'; }
	echo "## virtual_server (userspace forwarder), $ROUNDS alternating rounds of ${CDUR}s each"
	echo
	echo "gokeepalived -C with \`lvs_userspace on\` serving \`virtual_server 127.0.0.1 PORT\` (lb_kind NAT, wlc, one real server, no checker) beside haproxy and gohaproxy in mode tcp, all in front of the same origin (internal/benchtool)."
	echo "New connection per request: wrk -t1 -c32 -H 'Connection: close'; keep-alive: wrk -t1 -c32. CPU µs: utime+stime over the rounds per request (gokeepalived: its healthcheck child)."
	echo
	echo "| program | connections/s | CPU µs per connection | keep-alive requests/s | CPU µs per request | peak RSS KiB |"
	echo "|---|---|---|---|---|---|"
	echo "| haproxy mode tcp (nbthread 2) | $hc | $hcu | $hk | $hku | $hm |"
	echo "| gohaproxy mode tcp | $gc | $gcu | $gk | $gku | $gm |"
	echo "| gokeepalived virtual_server (userspace) | $kc | $kcu | $kk | $kku | $km |"
	echo
	echo "Ratio gokeepalived / haproxy: connections/s $(ratio $kc $hc), CPU per connection $(ratio $kcu $hcu), keep-alive requests/s $(ratio $kk $hk); gokeepalived / gohaproxy: connections/s $(ratio $kc $gc), CPU per connection $(ratio $kcu $gcu)."
	echo "The kernel's IPVS would forward without any userspace CPU; this host has no IPVS, so it is not measured."
}

# tls_bench: TLS termination (mode http, "bind ... ssl crt") under haproxy
# and gohaproxy in front of the same origin (internal/benchtool), in
# alternating rounds: full handshakes (wrk over https with Connection:
# close: a new TLS connection per request) and requests over kept-alive
# TLS connections. CPU time per request as in tcpconn_bench. The
# certificate is an ECDSA P-256 one made by openssl for the run.
tls_bench() {
	command -v wrk >/dev/null 2>&1 || { echo "(wrk not installed: no TLS figures)"; return; }
	command -v openssl >/dev/null 2>&1 || { echo "(openssl not installed: no TLS figures)"; return; }
	go build -o "$tmp/benchtool" ./internal/benchtool || { echo "(internal/benchtool does not build: no TLS figures)"; return; }
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench.test \
		-keyout "$tmp/tls.key" -out "$tmp/tls.crt" >/dev/null 2>&1 || { echo "(openssl could not make a certificate: no TLS figures)"; return; }
	cat "$tmp/tls.crt" "$tmp/tls.key" >"$tmp/tls.pem"
	base=$((20000 + ($$ + 19) % 20000))
	origin=$base; hport=$((base+1)); gport=$((base+2))
	for p in $hport $gport; do
		printf 'global\n  nbthread 2\n  tune.ssl.default-dh-param 2048\ndefaults\n  mode http\n  timeout client 10s\n  timeout server 10s\n  timeout connect 2s\nlisten tls\n  bind 127.0.0.1:%d ssl crt %s alpn http/1.1\n  server o 127.0.0.1:%d\n' $p "$tmp/tls.pem" $origin >"$tmp/tls$p.cfg"
	done
	"$tmp/benchtool" -listen 127.0.0.1:$origin >/dev/null 2>&1 & opid=$!
	"$HAPROXY" -db -f "$tmp/tls$hport.cfg" >/dev/null 2>&1 & hpid=$!
	"$GOHAPROXY" -db -f "$tmp/tls$gport.cfg" >/dev/null 2>&1 & gpid=$!
	sleep 1
	for p in $opid $hpid $gpid; do
		kill -0 $p 2>/dev/null || { echo "(a proxy or the origin did not start: no TLS figures)"; kill $opid $hpid $gpid 2>/dev/null || true; wait $opid $hpid $gpid 2>/dev/null || true; opid= hpid= gpid=; return; }
	done
	CDUR=${CDUR:-3} ROUNDS=${ROUNDS:-2}
	tck=$(getconf CLK_TCK)
	cpu() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
	one() {
		pid=$1 port=$2; shift 2
		c0=$(cpu $pid)
		nd=$(wrk "$@" "https://127.0.0.1:$port/" 2>/dev/null | awk '/requests in/ {
			d = $4; sub(/,$/, "", d); m = 1
			if (d ~ /ms$/) { m = 0.001; sub(/ms$/, "", d) } else if (d ~ /m$/) { m = 60; sub(/m$/, "", d) } else sub(/s$/, "", d)
			print $1, d * m }')
		c1=$(cpu $pid)
		echo "${nd:-0 0} $((c1 - c0))" >>"$tmp/tls.$pid.$kind"
	}
	for kind in hs ka; do
		: >"$tmp/tls.$hpid.$kind"; : >"$tmp/tls.$gpid.$kind"
		if [ $kind = hs ]; then set -- -t1 -c32 -d${CDUR}s -H 'Connection: close'
		else set -- -t1 -c32 -d${CDUR}s; fi
		r=0
		while [ $r -lt "$ROUNDS" ]; do
			one $hpid $hport "$@"
			one $gpid $gport "$@"
			r=$((r+1))
		done
	done
	hwm() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
	hm=$(hwm $hpid); gm=$(hwm $gpid); hp=$hpid gp=$gpid
	kill $opid $hpid $gpid 2>/dev/null || true; wait $opid $hpid $gpid 2>/dev/null || true; opid= hpid= gpid=
	stat() { awk -v tck=$tck '{n += $1; s += $2; t += $3} END {if (n == 0 || s == 0) {print "0 0"} else printf "%.0f %.1f\n", n/s, t*1000000/tck/n}' "$tmp/tls.$1.$2"; }
	set -- $(stat $hp hs) $(stat $gp hs) $(stat $hp ka) $(stat $gp ka)
	hh=$1 hhu=$2 gh=$3 ghu=$4 hk=$5 hku=$6 gk=$7 gku=$8
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (b == 0) print "n/a"; else printf "%.2f", a/b}'; }
	echo "## TLS termination (mode http, bind ssl crt, ECDSA P-256), $ROUNDS alternating rounds of ${CDUR}s per proxy"
	echo
	echo "Handshakes: wrk -t1 -c32 -H 'Connection: close' over https (a full TLS handshake per request); keep-alive: wrk -t1 -c32 over https."
	echo "CPU µs: the proxy's utime+stime over its rounds, per request."
	echo
	echo "| proxy | handshakes/s | CPU µs per handshake | keep-alive requests/s | CPU µs per request | peak RSS KiB |"
	echo "|---|---|---|---|---|---|"
	echo "| haproxy (nbthread 2) | $hh | $hhu | $hk | $hku | $hm |"
	echo "| gohaproxy | $gh | $ghu | $gk | $gku | $gm |"
	echo
	echo "Ratio gohaproxy / haproxy: handshakes/s $(ratio $gh $hh), CPU per handshake $(ratio $ghu $hhu), keep-alive requests/s $(ratio $gk $hk), CPU per request $(ratio $gku $hku), memory $(ratio $gm $hm)."
}

if [ "${BENCH_ONLY:-}" = vs ]; then
	vs_bench
	exit 0
fi
if [ "${BENCH_ONLY:-}" = tcpconn ]; then
	tcpconn_bench
	exit 0
fi
if [ "${BENCH_ONLY:-}" = http ]; then
	http_bench
	exit 0
fi
if [ "${BENCH_ONLY:-}" = tls ]; then
	tls_bench
	exit 0
fi

# checks_bench: pkg/checks' scheduler with 10,000 targets checked every
# second for 10 s: a no-op probe (the scheduler alone) and TCP connects to
# local listeners. No haproxy counterpart is run: these are absolute figures.
checks_bench() {
	echo
	echo "## Health checks: 10,000 targets every second (pkg/checks scheduler, 10 s)"
	echo
	echo "| probe | checks/s | failed | CPU (% of one core) | peak RSS MiB |"
	echo "|---|---|---|---|---|"
	go test -run='^$' -bench=BenchmarkScheduler10k -benchtime=1x ./pkg/checks 2>/dev/null |
		grep 'targets every 1s' |
		sed -E 's/.*\(([0-9]+)\/s, ([0-9]+) failed\), CPU [0-9.]+s \(([0-9.]+)% of one core\), peak RSS ([0-9.]+) MiB.*/\1 \2 \3 \4/' |
		{
			read -r a b c d && echo "| no-op (scheduler alone) | $a | $b | $c | $d |"
			read -r a b c d && echo "| TCP connect (loopback) | $a | $b | $c | $d |"
		} || true
	echo
	echo "TCP checks share the 2 cores with the listeners they connect to; a check runs again one interval after its probe ends."
}

# failover_bench: the seed's two-node deployment (internal/lab) under load,
# each failure scenario with the originals and with ours, side by side.
failover_bench() {
	echo
	echo "## Failover (the seed's two nodes, a client requesting VIP1 every 20 ms)"
	echo
	if [ "${BENCH_FAILOVER:-1}" = 0 ]; then
		echo "(BENCH_FAILOVER=0: no failover figures)"
		return
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "(not root: the lab needs network namespaces; no failover figures)"
		return
	fi
	lab=$tmp/lab.md
	if ! LAB_RESULTS=$lab go test -count=1 -timeout 15m -run 'TestSeedFailover|TestSeedNoPreempt' ./internal/lab >"$tmp/lab.log" 2>&1; then
		echo "(the lab run failed; see \`go test -v -run 'TestSeedFailover|TestSeedNoPreempt' ./internal/lab\`)"
		echo
	fi
	echo "Recovery: from the failure until VIP1 answers from the other node (or, for the"
	echo "rows marked back, from the failed node again); failed: requests that got no answer."
	echo "In the nopreempt tables the returning node must not take VIP1 back: its row is the"
	echo "first answer from the peer after the node's VRRP daemon starts again, over 8 s."
	echo
	cat "$lab" 2>/dev/null || true
}

out=docs/BENCHMARKS.md
{
	echo "# Benchmarks"
	echo
	echo "Written by \`make bench\` on $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r); haproxy: $($HAPROXY -v | head -1 | cut -d' ' -f1-3)."
	echo "Each figure is measured in the same run for both programs; ratios are gohaproxy / haproxy (time and memory: below 1 is better; requests/s: above 1 is better)."
	echo
	echo "## Configuration check (\`-c\`), mean of $RUNS runs"
	echo
	echo "| configuration | haproxy µs | gohaproxy µs | time ratio | haproxy max RSS KiB | gohaproxy max RSS KiB | memory ratio |"
	echo "|---|---|---|---|---|---|---|"
	row "seed.cfg" testdata/haproxy/seed.cfg
	row "2000 backends / 8000 servers / 2000 ACL rules" "$big"
	echo
	echo
	tcp_bench
	echo
	tcpconn_bench
	echo
	http_bench
	echo
	tls_bench
	echo
	vs_bench
	checks_bench
	failover_bench
} >"$out"
cat "$out"
