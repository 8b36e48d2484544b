#!/bin/sh
# bench_sockets.sh - `wirewho sockets --json` against `ss -tanp` on the same
# socket table, as a ratio measured in one run (bench/README.md, "Sockets").
#
# usage: bench/bench_sockets.sh [WIREWHO [PAIRS [RUNS]]]
#   WIREWHO  the binary (default build/wirewho)
#   PAIRS    established client+server pairs on loopback (default 10000,
#            i.e. 20,000 established TCP sockets)
#   RUNS     timed runs of each command; the median is reported (default 5)
#
# Everything runs in a private network namespace (wwb4_<pid>); the
# namespace and the connection holder are removed on exit, by id.
set -eu

WW=${1:-build/wirewho}
PAIRS=${2:-10000}
RUNS=${3:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
WW=$(cd "$(dirname "$WW")" && pwd)/$(basename "$WW")
NS=wwb4_$$
TMP=$(mktemp -d /tmp/wwb4.XXXXXX)
MK=

cleanup() {
	if [ -n "$MK" ]; then kill "$MK" 2>/dev/null || true; wait "$MK" 2>/dev/null || true; fi
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

[ "$(id -u)" = 0 ] || { echo "bench_sockets: needs root (ip netns)"; exit 77; }
[ -x "$WW" ] || { echo "bench_sockets: $WW not built"; exit 2; }

cc -O2 -o "$TMP/mkconns" "$HERE/mkconns.c"
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
NOFILE=$((PAIRS + 1000))
ip netns exec "$NS" sh -c "ulimit -n $NOFILE && exec '$TMP/mkconns' $PAIRS '$TMP/ready'" &
MK=$!
i=0
while [ ! -s "$TMP/ready" ]; do
	i=$((i + 1))
	[ $i -le 600 ] || { echo "bench_sockets: connections not ready after 60 s"; exit 1; }
	kill -0 "$MK" 2>/dev/null || { echo "bench_sockets: mkconns failed"; exit 1; }
	sleep 0.1
done

# Time RUNS runs of ss -tanp and of wirewho, interleaved (ss, wirewho, ss,
# ...) so that load from anything else on the machine falls on both alike.
# The clock is read inside the namespace, so `ip netns exec` is not counted.
# Prints "ss_ms ww_ms" medians.
interleaved_medians() {
	ip netns exec "$NS" sh -c '
		runs=$1; ww=$2
		i=0
		while [ $i -lt "$runs" ]; do
			t0=$(date +%s%N); ss -tanp > /dev/null; t1=$(date +%s%N)
			"$ww" sockets --json > /dev/null; t2=$(date +%s%N)
			echo "$(( (t1 - t0) / 1000 )) $(( (t2 - t1) / 1000 ))"
			i=$((i + 1))
		done' sh "$RUNS" "$WW" > "$TMP/times"
	a=$(cut -d" " -f1 "$TMP/times" | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", v[int((NR + 1) / 2)] / 1000 }')
	b=$(cut -d" " -f2 "$TMP/times" | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", v[int((NR + 1) / 2)] / 1000 }')
	echo "$a $b"
}

N_SS=$(ip netns exec "$NS" ss -tanH | wc -l)
N_WW=$(ip netns exec "$NS" "$WW" sockets --json | grep -c '"type":"socket"')
echo "sockets in the namespace: ss -tan lists $N_SS, wirewho lists $N_WW (incl. UDP/raw)"

# one untimed run of each first: both then start with /proc's dentries warm
ip netns exec "$NS" ss -tanp > /dev/null
ip netns exec "$NS" "$WW" sockets --json > /dev/null
set -- $(interleaved_medians)
SS_MS=$1
WW_MS=$2
# The cached path: seven passes in one process; pass 1 is cold, passes 2-7
# find nothing changed (no fd table re-read). Report the median of 2..7.
ip netns exec "$NS" "$WW" sockets --json --passes 7 2> "$TMP/passes" > /dev/null
CACHED_MS=$(awk '/^pass [2-7]:/ { print $3 }' "$TMP/passes" | sort -n | sed -n 3p)
COLD_MS=$(awk '/^pass 1:/ { print $3 }' "$TMP/passes")

echo "ss -tanp                          median of $RUNS: $SS_MS ms"
echo "wirewho sockets --json            median of $RUNS: $WW_MS ms"
echo "wirewho sockets, in-process pass 1 (cold cache): $COLD_MS ms"
echo "wirewho sockets, in-process passes 2-7 (nothing changed), median: $CACHED_MS ms"
sed 's/^/  /' "$TMP/passes"
awk -v a="$WW_MS" -v b="$SS_MS" -v c="$CACHED_MS" 'BEGIN {
	printf "ratio wirewho/ss = %.2f (target <= 0.50)\n", a / b
	printf "ratio cached pass/ss = %.2f\n", c / b
}'
