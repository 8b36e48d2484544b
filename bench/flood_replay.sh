#!/bin/bash
# flood_replay.sh - what a new flow costs against an existing flow's packet
# (#17's live flood: "a new flow costs no more than an existing one plus the
# insert"), as replay sees it, without the machine's scheduling in the way.
#
# Two captures from bench/flood_gen.c, same size, same packets (64-byte TCP,
# 60 captured), same 100,000 flows in the table at any time:
#   new:  N SYNs, each a new 5-tuple: every packet a lookup that misses, an
#         insert, and (past the first 100,000) an eviction and its record;
#   same: 100,000 flows, then ACKs of them round-robin: every packet a
#         lookup of a flow 100,000 packets cold, as cold as new's misses.
# Both replayed with --max-flows 100000, -q (flow tracking only: no flow
# records) and --json (records too, to /dev/null), beside pcap_floor (libpcap
# reading the file; the two files differ only in header bytes, so their
# floor timings are pooled). Per-packet cost = (time - floor) / N; the ratio
# new / same is the result. Interleaved rounds (every variant once per
# round, RUNS rounds), medians; BASELINE=OLD/wirewho adds that binary to the
# same rounds. /proc/loadavg is printed before and after.
#
# usage: [RUNS=7] [N=1000000] [BASELINE=OLD/wirewho] bench/flood_replay.sh [BUILDDIR]
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
RUNS=${RUNS:-7}
N=${N:-1000000}
CONC=100000
ninja -C "$B" wirewho pcap_floor >/dev/null
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cc -O2 -o "$T/flood_gen" bench/flood_gen.c
"$T/flood_gen" "$T/new.pcap" new "$N" "$CONC"
"$T/flood_gen" "$T/same.pcap" same "$N" "$CONC"
cat "$T/new.pcap" "$T/same.pcap" > /dev/null   # page cache warm

# t VARIANT CMD: append one wall time (s, to the microsecond) to $T/VARIANT.t
# and, with perf, the CPU time of all its threads (task-clock, s) to
# $T/VARIANT.c: on a machine whose other tenants preempt us, CPU time moves
# less than wall time (it still counts the threads' waits that spin).
PERF=$(command -v perf || true)
t() {
	local t0=$EPOCHREALTIME
	if [ -n "$PERF" ]; then
		"$PERF" stat -x, -e task-clock -o "$T/ps" sh -c "$2" >/dev/null 2>&1
	else
		sh -c "$2" >/dev/null 2>&1
	fi
	local t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }' >> "$T/$1.t"
	[ -n "$PERF" ] && awk -F, '$3 == "task-clock" { printf "%.6f\n", $1 / 1000 }' "$T/ps" >> "$T/$1.c"
	return 0
}
med() { sort -n "$T/$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

BINS="new=$B/wirewho"
[ -n "${BASELINE:-}" ] && BINS="$BINS base=$BASELINE"
echo "flood_replay: N=$N packets, $CONC flows at a time, RUNS=$RUNS; load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$RUNS"); do
	t floor "$B/pcap_floor $T/new.pcap"
	t floor "$B/pcap_floor $T/same.pcap"
	for nb in $BINS; do
		n=${nb%%=*} w=${nb#*=}
		for cap in new same; do
			t "${n}_q_$cap" "$w replay -q --max-flows $CONC $T/$cap.pcap"
			t "${n}_json_$cap" "$w replay --json --max-flows $CONC $T/$cap.pcap"
		done
	done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
table() {   # table SUFFIX LABEL
	local fn
	fn=$(med "floor.$1")   # the files differ only in a few header bytes: one floor, 2 RUNS timings
	echo
	echo "$2; floor (libpcap reading either file): ${fn} s"
	printf "%-5s %-6s %10s %10s %12s %12s %9s\n" bin mode new_s same_s new_ns/pkt same_ns/pkt new/same
	for nb in $BINS; do
		local n=${nb%%=*} mode a b
		for mode in q json; do
			a=$(med "${n}_${mode}_new.$1") b=$(med "${n}_${mode}_same.$1")
			awk -v n="$n" -v m="$mode" -v a="$a" -v b="$b" -v fl="$fn" -v N="$N" 'BEGIN {
				pa = (a - fl) / N * 1e9; pb = (b - fl) / N * 1e9
				printf "%-5s %-6s %10.3f %10.3f %12.0f %12.0f %8.2fx\n", n, m, a, b, pa, pb, (pb > 0 ? pa / pb : 0) }'
		done
	done
}
table t "wall time, medians of $RUNS"
[ -n "$PERF" ] && table c "CPU time of all threads (perf task-clock), medians of $RUNS"
exit 0
