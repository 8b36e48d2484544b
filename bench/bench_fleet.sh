#!/bin/bash
# Fleet benchmark (issue #15): what shipping records to a three-node NATS
# JetStream cluster costs, beside writing the same records to a file.
#
# A three-node nats-server cluster runs in a network namespace of its own
# (configuration generated here, as tests/fleet_nats_e2e.sh does), with a
# stream of three replicas. The records are those of `wirewho replay` over
# bench/gen_capture.c's "small" capture (FLOWS flows, default 250,000: one
# record per flow): replay has no capture to protect, so its sinks set the
# pace, and the run's wall time is the sink's throughput. Variants, in
# interleaved rounds (RUNS, default 3) so a burst of load from the machine's
# other tenants hits all alike:
#   file   --output file:PATH                     (the baseline)
#   nats   --output nats://3 servers/SUBJECT      (publish, acknowledged)
# Per variant: the median wall time, records/s, and CPU (user+sys of
# wirewho alone, from /usr/bin/time): "extra CPU per 10,000 records/s" is
# (cpu_nats - cpu_file) / records * 10,000 s per second, i.e. the share of
# one core that shipping 10,000 records/s costs beyond writing them to a
# file. The brokers' own CPU is not wirewho's and is not counted.
# The load average is printed beside every figure. With FAULT=1 the fault
# test (tests/fleet_nats_e2e.sh) runs too and its figures are printed.
#
# Needs root (namespaces) and nats-server.
# usage: [RUNS=3] [FLOWS=250000] [FAULT=1] bench/bench_fleet.sh [BUILDDIR]
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
RUNS=${RUNS:-3}
FLOWS=${FLOWS:-250000}
ninja -C "$B" >/dev/null
WW=$(readlink -f "$B/wirewho")
NATS=$(command -v nats-server || echo /usr/sbin/nats-server)
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }

ID=$$
NS=wwbf-$ID
T=$(mktemp -d /tmp/wwbench-fleet.XXXXXX)
NSES=("$NS")
set +u
. scripts/netns-lib.sh
set -u
trap 'set +e; cleanup' EXIT   # under set -e the cleanup must not stop at its first failed kill
BROKER=192.0.2.1
URL="nats://$BROKER:4222,$BROKER:4223,$BROKER:4224/wwbench.{host}.{type}"

ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" addr add $BROKER/32 dev lo
for k in 1 2 3; do
	mkdir -p "$T/js$k"
	cat >"$T/n$k.conf" <<CONF
server_name: b$k
listen: $BROKER:$((4221 + k))
jetstream { store_dir: "$T/js$k", max_file_store: 8G }
cluster {
  name: wwbench$ID
  listen: $BROKER:$((6221 + k))
  routes: [ nats-route://$BROKER:6222, nats-route://$BROKER:6223, nats-route://$BROKER:6224 ]
}
CONF
	ip netns exec "$NS" "$NATS" -c "$T/n$k.conf" >"$T/n$k.log" 2>&1 &
	PIDS+=($!)
done
for ((i = 0; i < 60; i++)); do
	ip netns exec "$NS" "$WW" collect --replicas 3 --stream WWBENCH --idle 1 "$URL" >/dev/null 2>&1 && break
	sleep 0.5
done

CAP=$T/small.pcap
"$B/gen_capture" "$CAP" "$FLOWS" small >/dev/null

# one run of a variant: wall and CPU seconds into $T/VARIANT.{wall,cpu}
run() {
	local v=$1 out=$2 t0 t1
	rm -f "$T/records.ndjson"
	t0=$EPOCHREALTIME
	ip netns exec "$NS" /usr/bin/time -f "%U %S" -o "$T/time" "$WW" replay --no-progress \
		--output "$out" "$CAP" >/dev/null 2>"$T/$v.err" || { echo "$v failed: $(tail -2 "$T/$v.err")" >&2; }
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }' >>"$T/$v.wall"
	awk '{ printf "%.3f\n", $1 + $2 }' "$T/time" >>"$T/$v.cpu"
	echo "  $v: $(tail -n 1 "$T/$v.wall") s wall, $(tail -n 1 "$T/$v.cpu") s cpu; load $(cut -d' ' -f1-3 /proc/loadavg)"
}
med() { sort -n "$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

RECS=$("$WW" replay --no-progress --json "$CAP" | wc -l)
echo "records per run: $RECS ($FLOWS flows of gen_capture small, and a stats record)"
for ((r = 1; r <= RUNS; r++)); do
	echo "round $r"
	run file "file:$T/records.ndjson"
	run nats "$URL"
done
fw=$(med "$T/file.wall"); nw=$(med "$T/nats.wall")
fc=$(med "$T/file.cpu"); nc=$(med "$T/nats.cpu")
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v r="$RECS" -v fw="$fw" -v nw="$nw" -v fc="$fc" -v nc="$nc" 'BEGIN {
	printf "file: %.2f s, %.0f records/s, %.2f s CPU\n", fw, r / fw, fc
	printf "nats (3 nodes, R3, acknowledged): %.2f s, %.0f records/s, %.2f s CPU\n", nw, r / nw, nc
	printf "extra CPU of shipping: %.1f%% of one core per 10,000 records/s (%.1f us a record); nats/file CPU %.2fx\n",
		(nc - fc) / r * 10000 * 100, (nc - fc) / r * 1e6, nc / fc
}'
# CPU at a fixed rate: `wirewho watch` on a veth that bench/pktsend.c feeds
# RATE new UDP flows a second for SECS seconds (--timeout udp=1: each flow's
# record follows a second later, so about RATE records a second), flow
# records to a file: sink, or to the cluster; wirewho's user+system time
# over the run from /proc/PID/stat (all its threads, libnats's included).
RATE=${RATE:-10000}
SECS=${SECS:-10}
SND=wwbf-snd-$ID
MON=wwbf-mon-$ID
NSES+=("$SND" "$MON")
cc -O2 -o "$T/pktsend" bench/pktsend.c
ip netns add "$SND"; ip netns add "$MON"
ip link add "wbs$((ID % 100000))" netns "$SND" type veth peer name wbm netns "$MON"
ip link add "wbk$((ID % 100000))" netns "$NS" type veth peer name wbn netns "$MON"
ip -n "$SND" link set "wbs$((ID % 100000))" up
ip -n "$MON" link set wbm up
ip -n "$MON" link set wbn up
ip -n "$MON" link set lo up
ip -n "$MON" addr add 198.51.100.9/24 dev wbm
ip -n "$MON" addr add 192.0.2.129/30 dev wbn
ip -n "$NS" addr add 192.0.2.130/30 dev "wbk$((ID % 100000))"
ip -n "$NS" link set "wbk$((ID % 100000))" up
ip -n "$MON" route add $BROKER/32 via 192.0.2.130
HZ=$(getconf CLK_TCK)
live() {   # $1 = variant, $2 = sink
	rm -f "$T/live.ndjson"
	ip netns exec "$MON" "$WW" watch -i wbm --attribution proc --timeout udp=1 --stats-interval 0 \
		--output "$2" >/dev/null 2>"$T/live-$1.err" &
	local pid=$! first=$((FIRST += RATE * SECS))
	sleep 2
	local c0; c0=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
	ip netns exec "$SND" "$T/pktsend" "wbs$((ID % 100000))" "$RATE" "$SECS" $((RATE * SECS)) "$first" >/dev/null
	sleep 2
	local c1; c1=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
	kill -INT $pid; wait $pid
	awk -v a="$c0" -v b="$c1" -v hz="$HZ" -v s="$((SECS + 2))" 'BEGIN { printf "%.2f\n", (b - a) / hz / s * 100 }' >>"$T/live-$1.cpu"
	echo "  watch, $1: $(tail -n 1 "$T/live-$1.cpu")% of a core at $RATE records/s; load $(cut -d' ' -f1-3 /proc/loadavg)"
}
FIRST=0
echo
echo "watch at $RATE new flows (records) a second, $SECS s:"
for ((r = 1; r <= RUNS; r++)); do
	live file "file:$T/live.ndjson"
	live nats "$URL"
done
lf=$(med "$T/live-file.cpu"); ln=$(med "$T/live-nats.cpu")
awk -v f="$lf" -v n="$ln" -v r="$RATE" 'BEGIN {
	printf "watch CPU at %d records/s: file %.1f%%, nats %.1f%% of a core: shipping adds %.1f points (%.0f%% more)\n",
		r, f, n, n - f, (f > 0 ? (n - f) / f * 100 : 0) }'
grep -h "dropped" "$T"/live-*.err | head -3 || true

if [ "${FAULT:-0}" = 1 ]; then
	echo
	echo "fault test (tests/fleet_nats_e2e.sh):"
	WW_FLEET_FIGURES=$T/fault.txt tests/fleet_nats_e2e.sh "$WW" | grep -E "^(FAIL|# figures)" || true
fi
