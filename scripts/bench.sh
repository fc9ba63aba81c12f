#!/bin/sh
# Benchmarks gohaproxy against haproxy on this machine. The proxy data path does
# not exist yet (issue 4); until then this measures configuration loading only.
set -eu
cd "$(dirname "$0")/.."
cfg=testdata/haproxy/seed.cfg
n=200
t0=$(date +%s%N); i=0; while [ $i -lt $n ]; do haproxy -c -q -f $cfg >/dev/null 2>&1 || true; i=$((i+1)); done; t1=$(date +%s%N)
i=0; while [ $i -lt $n ]; do ./bin/gohaproxy -c -q -f $cfg >/dev/null 2>&1 || true; i=$((i+1)); done; t2=$(date +%s%N)
h=$(( (t1-t0)/n/1000 )); g=$(( (t2-t1)/n/1000 ))
echo "config check of $cfg, mean of $n runs: haproxy ${h}us, gohaproxy ${g}us"
