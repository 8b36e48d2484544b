#!/bin/bash
# bench_load.sh - how many packets per second `wirewho watch` takes without
# kernel drops, what CPU that costs, and whether --max-flows bounds memory
# under a flood of new flows.
#
# A veth pair between two namespaces; bench/pktsend.c sends 60-byte UDP
# frames into one end at a fixed rate over PF_PACKET; `wirewho watch` captures
# the other end (--json, flow records to /dev/null) and its final stats record
# gives packets seen and kernel drops. CPU is wirewho's user+system time over
# the send (from /proc/PID/stat), as a % of one core.
#   1. rates: RATES packets/s for SECS s each over 10,000 flows;
#   2. flood: 1,000,000 packets, each a new flow, with --max-flows MAXF;
#      wirewho's peak resident memory (VmHWM) is reported, next to the same
#      flood with the default --max-flows.
#
# usage: bench_load.sh WIREWHO [RATES="50000 100000 200000 300000 400000"] [SECS=5] [MAXF=100000]
# Needs root. Prints tables; never fails on numbers. On a 2-core machine the
# sender and wirewho share the cores: the sender's own softirq work (veth
# delivery, the capture tap) runs on its core.
set -u
WW=$(readlink -f "${1:?usage: $0 WIREWHO [RATES] [SECS] [MAXF]}")
RATES=${2:-"50000 100000 200000 300000 400000"}
SECS=${3:-5}
MAXF=${4:-100000}
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
HERE=$(cd "$(dirname "$0")" && pwd)

ID=$$
SND=wwwatch-lsnd-$ID
MON=wwwatch-lmon-$ID
VS=wwwatch-ls$((ID % 10000))
VM=wwwatch-lm$((ID % 10000))
T=$(mktemp -d /tmp/wwwatch-load.XXXXXX)
NSES=("$SND" "$MON")
. "$(dirname "$(readlink -f "$0")")/../scripts/netns-lib.sh"

cc -O2 -o "$T/pktsend" "$HERE/pktsend.c" || exit 1
ip netns add "$SND" && ip netns add "$MON" || exit 1
ip link add "$VS" netns "$SND" type veth peer name "$VM" netns "$MON" || exit 1
for ns in "$SND" "$MON"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set lo up
done
ip -n "$SND" link set "$VS" up
ip -n "$MON" link set "$VM" up
ip -n "$MON" addr add 198.51.100.9/24 dev "$VM"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
HZ=$(getconf CLK_TCK)

# The final stats record goes to stdout; run wirewho through a wrapper that
# keeps only the last line.
cat > "$T/ww" <<EOF
#!/bin/sh
exec "$WW" "\$@" | tail -n 1 > "$T/last.json"
EOF
chmod +x "$T/ww"

row() {   # label pps secs nflows [opts]
	local label=$1 pps=$2 secs=$3 nflows=$4; shift 4
	rm -f "$T/last.json"
	ip netns exec "$MON" "$T/ww" watch -i "$VM" --json --buffer-size 64 "$@" 2>"$T/err" &
	local w=$!
	PIDS+=($w)
	local ww=""
	for ((i = 0; i < 50; i++)); do
		ww=$(pgrep -P $w -x wirewho | head -1)
		[ -z "$ww" ] && ww=$(pgrep -f "^$WW watch -i $VM" | head -1)
		[ -n "$ww" ] && break
		sleep 0.1
	done
	sleep 1.5
	local c0; c0=$(cpu_ticks "$ww")
	local snd; snd=$(ip netns exec "$SND" "$T/pktsend" "$VS" "$pps" "$secs" "$nflows")
	sleep 1
	local c1; c1=$(cpu_ticks "$ww")
	local hwm; hwm=$(awk '/VmHWM/ {print $2}' "/proc/$ww/status" 2>/dev/null)
	kill -TERM "$ww" 2>/dev/null
	for ((i = 0; i < 150; i++)); do kill -0 $w 2>/dev/null || break; sleep 0.1; done
	python3 - "$label" "$snd" "$c0" "$c1" "$HZ" "$secs" "${hwm:-0}" "$T/last.json" <<'PYEOF'
import json, re, sys
label, snd, c0, c1, hz, secs, hwm, last = sys.argv[1:]
m = re.search(r'sent (\d+) packets in ([\d.]+) s \((\d+) pps\)', snd)
sent, took, rate = (int(m.group(1)), float(m.group(2)), int(m.group(3))) if m else (0, 0.0, 0)
try:
    st = json.loads(open(last).read())
except Exception:
    st = {}
cpu = (int(c1) - int(c0)) / int(hz)
print(f"{label:<22} {rate:>10} {sent:>9} {st.get('packets', -1):>9} {st.get('dropped', -1):>8} "
      f"{st.get('flows', -1):>9} {st.get('evicted', -1):>8} {100 * cpu / max(took, 0.001):>6.0f} {int(hwm) // 1024:>8}")
PYEOF
}

printf "%-22s %10s %9s %9s %8s %9s %8s %6s %8s\n" run sent_pps sent seen dropped flows evicted cpu_% peak_MB
for r in $RATES; do
	row "rate $r pps" "$r" "$SECS" 10000
done
row "flood 1M, max-flows $MAXF" 200000 5 1000000 --max-flows "$MAXF"
row "flood 1M, default" 200000 5 1000000
