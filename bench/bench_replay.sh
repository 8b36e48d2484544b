#!/bin/bash
# Replay benchmark (issue #2, #3): times `wirewho replay --json FILE > /dev/null`
# against the floor (libpcap reads the file and touches one byte per packet),
# with tcpdump -w /dev/null as a yardstick, and with classification switched
# off to show what classification costs. Every figure is a median of RUNS
# interleaved rounds taken in this one invocation; ratios, not absolute
# times, are the result (the machine is shared and noisy).
#
# Two captures from bench/gen_capture.c: "web" (200,000 flows, ~2.5M
# packets of ~650 bytes: responses of several full segments, as on a real
# link) and "small" (250,000 flows, 1.55M packets of ~230 bytes: the worst
# case for a flow monitor, per-flow work dominates).
#
# BASELINE=PATH/wirewho adds that binary (an older build) as one more
# variant of the same rounds, and prints this build's time as a ratio of it:
# how a change moved the speed, measured in one run.
#
# usage: [BASELINE=OLD/wirewho] bench/bench_replay.sh [BUILDDIR] [PROFILE...]
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
[ $# -gt 0 ] && shift
PROFILES=${*:-web small}
RUNS=${RUNS:-7}
ninja -C "$B" >/dev/null

# Interleaved rounds: each round runs every variant once, so a burst of
# load from the machine's other tenants hits all of them alike; the median
# over rounds is reported, and the fastest round. t VARIANT CMD appends
# one timing to $T/VARIANT.
# Wall time to the microsecond (bash's EPOCHREALTIME): /usr/bin/time's
# hundredths were 6% of the small profile's floor.
t() {
	local t0=$EPOCHREALTIME
	sh -c "$2" >/dev/null 2>&1
	local t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }' >> "$T/$1"
}
med() { sort -n "$T/$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
low() { sort -n "$T/$1" | head -n 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

for PROFILE in $PROFILES; do
case $PROFILE in
web) FLOWS=200000 ;;
small) FLOWS=250000 ;;
unshaped|unshaped2) FLOWS=200000 ;;   # bench/gen_unshaped.c, 50,000 flows at once; seeds 1 and 2
*) echo "unknown profile $PROFILE (web, small, unshaped, unshaped2)" >&2; exit 2 ;;
esac
CAP=${TMPDIR:-/tmp}/wirewho-bench-$PROFILE-$FLOWS.pcap
case $PROFILE in
unshaped) [ -f "$CAP" ] || "$B/bench/gen_unshaped" "$CAP" "$FLOWS" 50000 1 ;;
unshaped2) [ -f "$CAP" ] || "$B/bench/gen_unshaped" "$CAP" "$FLOWS" 50000 2 ;;
*) [ -f "$CAP" ] || "$B/gen_capture" "$CAP" "$FLOWS" "$PROFILE" ;;
esac
cat "$CAP" >/dev/null     # page cache warm: we measure CPU, not the disk
rm -f "$T"/*
has_tcpdump=false
command -v tcpdump >/dev/null && has_tcpdump=true
for i in $(seq "$RUNS"); do
	t floor "$B/pcap_floor $CAP"
	t full "$B/wirewho replay --json $CAP"
	t nocls "$B/wirewho replay --json --no-classify $CAP"
	t quiet "$B/wirewho replay --json -q $CAP"
	$has_tcpdump && t tcpd "tcpdump -r $CAP -w /dev/null"
	[ -n "${BASELINE:-}" ] && t base "$BASELINE replay --json $CAP"
done
floor=$(med floor); full=$(med full); nocls=$(med nocls); quiet=$(med quiet)
tcpd=nan
$has_tcpdump && tcpd=$(med tcpd)
# The fastest round of each, too: the machine's other tenants only ever add
# time, and a two-threaded program loses more than a one-threaded floor
# when they take a core, so the minimum is the steadier estimate of the
# work itself. Both are printed; the median is the headline.
floor_lo=$(low floor); full_lo=$(low full); nocls_lo=$(low nocls); quiet_lo=$(low quiet)
tcpd_lo=nan
$has_tcpdump && tcpd_lo=$(low tcpd)
pkts=$("$B/pcap_floor" "$CAP" | awk '{ print $1 }')
echo
echo "profile $PROFILE: $CAP ($pkts packets, $FLOWS flows), $RUNS interleaved rounds"
awk -v f="$floor" -v w="$full" -v n="$nocls" -v q="$quiet" -v t="$tcpd" -v p="$pkts" \
    -v fl="$floor_lo" -v wl="$full_lo" -v nl="$nocls_lo" -v ql="$quiet_lo" -v tl="$tcpd_lo" 'BEGIN {
	printf "%-44s %8s %8s %10s %8s\n", "", "median s", "x floor", "fastest s", "x floor"
	printf "%-44s %8.3f %8.2f %10.3f %8.2f\n", "floor (libpcap read, one byte per packet)", f, 1, fl, 1
	printf "%-44s %8.3f %8.2f %10.3f %8.2f\n", "tcpdump -r FILE -w /dev/null", t, t / f, tl, tl / fl
	printf "%-44s %8.3f %8.2f %10.3f %8.2f\n", "wirewho replay --json (target <= 2x)", w, w / f, wl, wl / fl
	printf "%-44s %8.3f %8.2f %10.3f %8.2f\n", "wirewho replay --json --no-classify", n, n / f, nl, nl / fl
	printf "%-44s %8.3f %8.2f %10.3f %8.2f\n", "wirewho replay --json -q (no flow records)", q, q / f, ql, ql / fl
	printf "classification adds %.1f%% (target <= 25%%; fastest rounds: %.1f%%); %.0f ns per packet over the floor\n",
		(w / n - 1) * 100, (wl / nl - 1) * 100, (w - f) / p * 1e9
}'
if [ -n "${BASELINE:-}" ]; then
	awk -v b="$(med base)" -v w="$full" -v bl="$(low base)" -v wl="$full_lo" -v f="$floor" -v B="$BASELINE" 'BEGIN {
		printf "baseline %s: %.3f s (%.2fx floor); this build / baseline: %.3f by median, %.3f fastest rounds\n",
			B, b, b / f, w / b, wl / bl
	}'
fi
done
