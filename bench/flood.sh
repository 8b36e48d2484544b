#!/bin/bash
# flood.sh - the highest rate of new flows per second that `wirewho watch`
# holds without a kernel drop (#16 item 4, #17's live flood), for this build
# and a baseline binary measured in the same run, with both cores free and
# with one core busy.
#
# A veth pair between two namespaces; bench/pktsend.c sends 64-byte TCP
# SYNs (60 bytes captured), each a new 5-tuple, from 198.51.100.x into one
# end; `wirewho watch --json --max-flows MAXF` captures the other end, where
# the monitor's address is 192.0.2.1: DST=local (default) aims the SYNs at
# it (a SYN flood against the host: every flow is local and asks for its
# owner), DST=remote at 192.0.2.77 (traffic passing by: no owner to find).
# The frames carry a MAC that is not the veth's, so the monitor's kernel
# drops them after the capture tap (no RST comes back); the capture sees
# each one.
#
# One trial: a fresh watch, SECS seconds of SYNs at a rate, SIGTERM; the
# final stats record gives packets analysed, `dropped` (the kernel's) and
# `discarded`; clean means dropped + discarded = 0 and every packet sent was
# analysed. A search: the sender's flat-out rate first (its ceiling, with
# the watch running); clean there, the result is that ceiling ("ceil");
# else a binary search over STEPS halvings between 0 and it. Each search
# reports the highest clean rate the sender reached (its achieved rate, not
# the asked one), wirewho's CPU over the send (% of one core, user+system),
# its peak RSS (VmHWM) and /proc/loadavg at the start. BUSY runs put a busy
# loop (`timeout ... sh -c 'while :; do :; done'`, bounded) pinned to CPU 1
# with taskset for each trial. Rounds are interleaved (base, new; busy
# base, busy new; again) REPS times; the medians and new/base ratios are
# printed last.
#
# The sender runs at nice SND_NICE (-10: above the machine's other tenants,
# below watch's -15). On veth the receive path (delivery, the capture tap)
# runs on the sender's CPU, and watch, woken there, preempts the sender:
# the sender's ceiling then depends on what watch costs. PIN=1 puts the
# sender on CPU 0 and watch on CPU 1 (taskset), as a NIC's interrupts and
# a pinned monitor would be; the busy loop of BUSY runs then share CPU 1
# with watch.
#
# usage: [SECS=2] [STEPS=5] [REPS=3] [MAXF=100000] [DST=local|remote] [PIN=0|1]
#        [SND_NICE=-10] [LOADS="free busy"] bench/flood.sh NEW_WIREWHO BASE_WIREWHO
# Needs root. Prints tables; never fails on numbers. Runs about
# REPS * 4 * (STEPS + 1) * (SECS + 4) seconds (~7 minutes by default).
set -u
NEW=$(readlink -f "${1:?usage: $0 NEW_WIREWHO BASE_WIREWHO}")
BASE=$(readlink -f "${2:?usage: $0 NEW_WIREWHO BASE_WIREWHO}")
SECS=${SECS:-2}
STEPS=${STEPS:-5}
REPS=${REPS:-3}
MAXF=${MAXF:-100000}
DST=${DST:-local}
LOADS=${LOADS:-"free busy"}
PIN=${PIN:-0}   # 1: the sender (and so veth's receive path) on CPU 0, watch on CPU 1
SND_NICE=${SND_NICE:--10}   # the sender above the machine's other tenants (nice 0), below watch (-15)
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
HERE=$(cd "$(dirname "$0")" && pwd)
case $DST in
local) DADDR=192.0.2.1 ;;
remote) DADDR=192.0.2.77 ;;
*) echo "DST is local or remote" >&2; exit 2 ;;
esac

ID=$$
SND=wwflood-snd-$ID
MON=wwflood-mon-$ID
VS=wwfls$((ID % 100000))
VM=wwflm$((ID % 100000))
T=$(mktemp -d /tmp/wwflood.XXXXXX)
SHM=$(mktemp -d /dev/shm/wwflood.XXXXXX)
OUT=$SHM/records.json   # ~600 bytes an evicted flow: 360 MB for 2 s at 300,000/s
NSES=("$SND" "$MON")
DIRS=("$SHM")
. "$HERE/../scripts/netns-lib.sh"

cc -O2 -o "$T/pktsend" "$HERE/pktsend.c" || exit 1
ip netns add "$SND" && ip netns add "$MON" || exit 1
ip link add "$VS" netns "$SND" type veth peer name "$VM" netns "$MON" || exit 1
for ns in "$SND" "$MON"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set lo up
done
ip -n "$SND" link set "$VS" up
ip -n "$MON" link set "$VM" up
ip -n "$MON" addr add 192.0.2.1/24 dev "$VM"

WPIN="" SPIN=""
[ "$PIN" = 1 ] && WPIN="taskset -c 1" SPIN="taskset -c 0"
HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
NEXT_FLOW=0   # every trial's flows are new to the kernel's conntrack-free path and to the sender

# trial WW RATE BUSY -> "clean achieved_pps cpu_pct hwm_mb sent seen dropped discarded"
# (RATE 0: the sender flat out, its ceiling)
trial() {
	local ww=$1 rate=$2 busy=$3 b=""
	rm -f "$T/last.json" "$T/err" "$OUT"
	# Records go to a file in memory (tmpfs): a pipe's reader, scheduled
	# like any process on a loaded machine, would block watch's writes and
	# measure itself. The final stats record is the file's last line.
	ip netns exec "$MON" $WPIN "$ww" watch -i "$VM" --json --max-flows "$MAXF" --stats-interval 0 \
		> "$OUT" 2>"$T/err" &
	local w=$! pid i
	PIDS+=($w)
	pid=$w
	for ((i = 0; i < 100; i++)); do
		grep -q "attribution engine" "$T/err" 2>/dev/null && break
		sleep 0.1
	done
	sleep 0.7   # the flow table allocated, the socket cache warm
	if [ "$busy" = busy ]; then
		timeout $((SECS + 3)) taskset -c 1 sh -c 'while :; do :; done' &
		b=$!
		PIDS+=($b)
	fi
	local c0 c1 hwm snd
	c0=$(cpu_ticks "$pid")
	snd=$(ip netns exec "$SND" nice -n "$SND_NICE" $SPIN "$T/pktsend" "$VS" "$rate" "$SECS" 100000000 "$NEXT_FLOW" syn "$DADDR")
	NEXT_FLOW=$(( (NEXT_FLOW + 2000000) % 12000000 ))
	sleep 0.5
	c1=$(cpu_ticks "$pid")
	hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null)
	[ -n "$b" ] && kill "$b" 2>/dev/null
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 200; i++)); do kill -0 $w 2>/dev/null || break; sleep 0.05; done
	tail -n 1 "$OUT" > "$T/last.json"
	rm -f "$OUT"
	python3 - "$snd" "$c0" "$c1" "$HZ" "${hwm:-0}" "$T/last.json" <<'PYEOF'
import json, re, sys
snd, c0, c1, hz, hwm, last = sys.argv[1:]
m = re.search(r'sent (\d+) packets in ([\d.]+) s \((\d+) pps\)', snd)
sent, took, rate = (int(m.group(1)), float(m.group(2)), int(m.group(3))) if m else (0, 1.0, 0)
try:
    st = json.loads(open(last).read())
except Exception:
    st = {}
seen, dropped, disc = st.get('packets', -1), st.get('dropped', -1), st.get('discarded', 0)
clean = int(sent > 0 and dropped == 0 and disc == 0 and seen >= sent)
cpu = 100 * (int(c1) - int(c0)) / int(hz) / max(took, 0.001)
print(clean, rate, f"{cpu:.0f}", int(hwm) // 1024, sent, seen, dropped, disc)
PYEOF
}

# search WW BUSY -> "rate cpu hwm how" (how: ceil = clean at the sender's ceiling)
search() {
	local ww=$1 busy=$2 r lo=0 lo_cpu=0 lo_hwm=0 hi s
	r=($(trial "$ww" 0 "$busy"))
	echo "    $3 $busy flat-out: clean=${r[0]} sent ${r[1]} pps, cpu ${r[2]}%, seen ${r[5]}/${r[4]}, dropped ${r[6]}, discarded ${r[7]}" >&2
	if [ "${r[0]}" = 1 ]; then
		echo "${r[1]} ${r[2]} ${r[3]} ceil"
		return
	fi
	hi=${r[1]}
	for ((s = 0; s < STEPS; s++)); do
		local mid=$(( (lo + hi) / 2 ))
		r=($(trial "$ww" "$mid" "$busy"))
		echo "    $3 $busy $mid pps: clean=${r[0]} sent ${r[1]} pps, cpu ${r[2]}%, dropped ${r[6]}, discarded ${r[7]}" >&2
		if [ "${r[0]}" = 1 ]; then
			lo=${r[1]} lo_cpu=${r[2]} lo_hwm=${r[3]}
		else
			hi=$mid
		fi
	done
	echo "$lo $lo_cpu $lo_hwm search"
}

echo "flood.sh: DST=$DST ($DADDR) MAXF=$MAXF SECS=$SECS STEPS=$STEPS REPS=$REPS PIN=$PIN SND_NICE=$SND_NICE"
echo "new:  $NEW"
echo "base: $BASE"
# The sender alone (no watch): its ceiling and its CPU.
snd=$(ip netns exec "$SND" nice -n "$SND_NICE" $SPIN "$T/pktsend" "$VS" 0 "$SECS" 100000000 0 syn "$DADDR")
echo "sender alone, flat out: $snd  (load $(cut -d' ' -f1-3 /proc/loadavg))"
printf "%-4s %-5s %-5s %10s %6s %8s %-7s %s\n" rep load bin new_fl/s cpu_% rss_MB how loadavg
for ((rep = 1; rep <= REPS; rep++)); do
	for load in $LOADS; do
		for bin in base new; do
			ww=$BASE
			[ $bin = new ] && ww=$NEW
			la=$(cut -d' ' -f1-3 /proc/loadavg)
			res=($(search "$ww" "$load" "$bin"))
			printf "%-4s %-5s %-5s %10s %6s %8s %-7s %s\n" "$rep" "$load" "$bin" "${res[0]}" "${res[1]}" \
				"${res[2]}" "${res[3]}" "$la" | tee -a "$T/results"
		done
	done
done
echo
echo "medians over $REPS rounds (rate: highest clean new flows/s the sender reached):"
python3 - "$T/results" "$LOADS" <<'PYEOF'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1])]
for load in sys.argv[2].split():
    med = {}
    for b in ("base", "new"):
        rs = [r for r in rows if r[1] == load and r[2] == b]
        if not rs:
            continue
        med[b] = (statistics.median(int(r[3]) for r in rs), statistics.median(int(r[4]) for r in rs),
                  statistics.median(int(r[5]) for r in rs), ",".join(r[6] for r in rs))
        print(f"  {load:<5} {b:<5} {med[b][0]:>10.0f} new flows/s  cpu {med[b][1]:.0f}%  rss {med[b][2]:.0f} MB  ({med[b][3]})")
    if "base" in med and "new" in med and med["base"][0] > 0:
        print(f"  {load:<5} new/base rate ratio {med['new'][0] / med['base'][0]:.2f}x")
PYEOF
