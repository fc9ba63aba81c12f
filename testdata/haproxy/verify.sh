#!/bin/sh
# verify.sh - run the oracle (haproxy -c) over every corpus case and report
# each case whose "#@ expect:" header disagrees with haproxy's verdict.
#
# usage: testdata/haproxy/verify.sh [-v] [CASE...]
#   -v      print haproxy's output for every disagreeing case
#   CASE    paths relative to testdata/haproxy (default: seed.cfg, cases/*,
#           realworld/*)
# env: HAPROXY (default /usr/sbin/haproxy)
#
# Each run happens with testdata/haproxy as working directory and a clean
# environment (PATH only) plus the case's "#@ env:" settings; "#@ extra:"
# paths (relative to testdata/haproxy/cases) are passed as further -f.
# A directory case (cases/NAME.d/) is passed as -f DIR; its headers are read
# from its lexically first *.cfg file.
# Exit status: 0 when every case agrees, 1 otherwise.
set -u
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
cd "$(dirname "$0")" || exit 2
verbose=0
if [ "${1:-}" = "-v" ]; then verbose=1; shift; fi
if [ $# -eq 0 ]; then
	set -- seed.cfg
	for c in cases/*.cfg cases/*.d realworld/*.cfg; do
		[ -e "$c" ] && set -- "$@" "$c"
	done
fi

# headers FILE: print the "#@" directives from the leading comment block.
headers() {
	awk '/^[ \t]*#/ { if ($0 ~ /^#@ /) { sub(/^#@ /, ""); sub(/\r$/, ""); print } ; next } { exit }' "$1"
}

total=0; bad=0; nvalid=0; ninvalid=0
for c in "$@"; do
	hf=$c
	if [ -d "$c" ]; then
		hf=$(ls "$c"/*.cfg | LC_ALL=C sort | head -n 1)
	fi
	expect=$(headers "$hf" | sed -n 's/^expect:[ \t]*//p' | head -n 1)
	if [ -z "$expect" ]; then
		echo "NOEXPECT $c"; bad=$((bad+1)); continue
	fi
	envs=$(headers "$hf" | sed -n 's/^env:[ \t]*//p')
	extras=$(headers "$hf" | sed -n 's/^extra:[ \t]*//p')
	# shellcheck disable=SC2086
	args="-c -f $c"
	for e in $extras; do args="$args -f cases/$e"; done
	# The env list is split at newlines only, so values may contain spaces.
	out=$(
		IFS='
'
		# shellcheck disable=SC2086
		env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin $envs \
			sh -c 'IFS=" "; exec "$0" $1' "$HAPROXY" "$args" 2>&1
	)
	rc=$?
	if [ $rc -eq 0 ]; then got=valid; nvalid=$((nvalid+1)); else got=invalid; ninvalid=$((ninvalid+1)); fi
	total=$((total+1))
	if [ "$got" != "$expect" ]; then
		bad=$((bad+1))
		echo "MISMATCH $c: expect $expect, haproxy says $got (exit $rc)"
		[ $verbose -eq 1 ] && printf '%s\n' "$out" | sed 's/^/    /'
	fi
done
echo "verify: $total cases ($nvalid valid, $ninvalid invalid), $bad disagreeing"
[ $bad -eq 0 ]
