#!/bin/sh
# Runs every go-fuzz target of the repository for FUZZTIME each (30s by
# default): make fuzz FUZZTIME=5m.
set -e
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-30s}
GO=${GO:-go}
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r f; do
	dir=$(dirname "$f")
	for target in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$f"); do
		echo "== $dir $target"
		$GO test -run='^$' -fuzz="^${target}\$" -fuzztime="$FUZZTIME" "$dir"
	done
done
