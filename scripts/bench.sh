#!/bin/sh
# make bench: gohaproxy against haproxy on this machine, in one run, written
# to docs/BENCHMARKS.md as ratios. The proxy data path does not exist yet, so
# what is measured today is configuration loading (`-c`): wall time per
# check and peak memory, on the seed configuration and on a large generated
# one (2000 backends, 8000 servers, 4000 ACL rules).
set -eu
cd "$(dirname "$0")/.."
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
GOHAPROXY=./bin/gohaproxy
RUNS=${RUNS:-50}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

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

out=docs/BENCHMARKS.md
{
	echo "# Benchmarks"
	echo
	echo "Written by \`make bench\` on $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r); haproxy: $($HAPROXY -v | head -1 | cut -d' ' -f1-3)."
	echo "Each figure is measured in the same run for both programs; ratios are gohaproxy / haproxy (below 1 is better)."
	echo
	echo "## Configuration check (\`-c\`), mean of $RUNS runs"
	echo
	echo "| configuration | haproxy µs | gohaproxy µs | time ratio | haproxy max RSS KiB | gohaproxy max RSS KiB | memory ratio |"
	echo "|---|---|---|---|---|---|---|"
	row "seed.cfg" testdata/haproxy/seed.cfg
	row "2000 backends / 8000 servers / 2000 ACL rules" "$big"
	echo
	echo "The proxy data path (requests/s, latency, memory per connection) is measured here once it exists."
} >"$out"
cat "$out"
