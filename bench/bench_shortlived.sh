#!/bin/bash
# bench_shortlived.sh - how many short-lived connections `wirewho watch`
# attributes to the right process, and what it costs.
#
# Two network namespaces joined by a veth pair; a server namespace runs a
# TCP sink and a UDP sink (python3). In the client namespace a launcher
# starts N client processes (a tiny C program: connect, send one byte, hold
# the connection D ms, exit) at about R new clients per second, noting each
# pid. `wirewho watch` runs on the client side; afterwards every client pid
# is looked up among the flow records: attributed to the right process means
# a flow to the sink whose process.pid is that pid. Reported per protocol and
# hold time: % right, % wrong owner, % unresolved, and wirewho's CPU time
# (user+system, from /proc/PID/stat) over the run.
#
# usage: bench_shortlived.sh WIREWHO [N=200] [RATE=50] [HOLDS="100 10 1"] [PROTOS="tcp udp"]
# Needs root. Prints a table; never fails on numbers.
set -u
WW=$(readlink -f "${1:?usage: $0 WIREWHO [N] [RATE] [HOLDS] [PROTOS]}")
N=${2:-200}
RATE=${3:-50}
HOLDS=${4:-"100 10 1"}
PROTOS=${5:-"tcp udp"}
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
PY=/usr/bin/python3; [ -x "$PY" ] || PY=$(command -v python3)

ID=$$
CLI=wwwatch-bcli-$ID
SRV=wwwatch-bsrv-$ID
VC=wwwatch-bc$((ID % 10000))
VS=wwwatch-bs$((ID % 10000))
T=$(mktemp -d /tmp/wwwatch-bench.XXXXXX)
NSES=("$CLI" "$SRV")
. "$(dirname "$(readlink -f "$0")")/../scripts/netns-lib.sh"

cat > "$T/client.c" <<'EOF'
/* client PROTO IP PORT HOLD_MS: one connection, one byte, hold, exit. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	if (argc != 5)
		return 2;
	int udp = strcmp(argv[1], "udp") == 0;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[3])) };
	inet_pton(AF_INET, argv[2], &sa.sin_addr);
	int s = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 1;
	if (send(s, "x", 1, 0) != 1)
		return 1;
	long ms = atol(argv[4]);
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	return 0;
}
EOF
cc -O2 -o "$T/wwclient" "$T/client.c" || exit 1

ip netns add "$CLI" && ip netns add "$SRV" || exit 1
ip link add "$VC" netns "$CLI" type veth peer name "$VS" netns "$SRV" || exit 1
for ns in "$CLI" "$SRV"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set lo up
done
ip -n "$CLI" addr add 198.51.100.1/24 dev "$VC"
ip -n "$SRV" addr add 198.51.100.2/24 dev "$VS"
ip -n "$CLI" link set "$VC" up
ip -n "$SRV" link set "$VS" up

cat > "$T/sink.py" <<'EOF'
import asyncio
class Udp(asyncio.DatagramProtocol):
    def datagram_received(self, data, addr): pass
async def tcp(reader, writer):
    try:
        while await reader.read(4096): pass
    finally:
        writer.close()
async def main():
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(Udp, local_addr=('198.51.100.2', 9000))
    srv = await asyncio.start_server(tcp, '198.51.100.2', 9000, backlog=1024)
    async with srv: await srv.serve_forever()
asyncio.run(main())
EOF
ip netns exec "$SRV" "$PY" "$T/sink.py" &
PIDS+=($!)
for ((i = 0; i < 50; i++)); do ip netns exec "$SRV" ss -Htln "sport = :9000" | grep -q . && break; sleep 0.1; done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
HZ=$(getconf CLK_TCK)

printf "%-5s %7s %8s %9s %8s %10s %12s %9s\n" proto hold_ms clients right_% wrong_% unresolved_% wirewho_cpu_s cpu_%
for proto in $PROTOS; do
	for hold in $HOLDS; do
		out="$T/$proto-$hold"
		ip netns exec "$CLI" "$WW" watch -i "$VC" --json -f "port 9000" --duration 600 \
			>"$out.json" 2>"$out.err" &
		WPID=$!
		PIDS+=($WPID)
		sleep 1.5   # capture open, caches warm
		c0=$(cpu_ticks $WPID); t0=$(date +%s.%N)
		# The launcher runs inside the namespace so each client is a plain fork+exec.
		ip netns exec "$CLI" bash -c '
			for ((i = 0; i < '"$N"'; i++)); do
				'"$T"'/wwclient '"$proto"' 198.51.100.2 9000 '"$hold"' &
				echo $!
				sleep '"$(awk "BEGIN{print 1/$RATE}")"'
			done
			wait' >"$out.pids"
		sleep 1
		c1=$(cpu_ticks $WPID); t1=$(date +%s.%N)
		kill -TERM $WPID
		for ((i = 0; i < 100; i++)); do kill -0 $WPID 2>/dev/null || break; sleep 0.1; done
		"$PY" - "$out.json" "$out.pids" "$proto" "$hold" "$c0" "$c1" "$HZ" "$t0" "$t1" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
pids = [int(l) for l in open(sys.argv[2]) if l.strip()]
proto, hold = sys.argv[3], sys.argv[4]
c0, c1, hz, t0, t1 = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), float(sys.argv[8]), float(sys.argv[9])
flows = [r for r in recs if r['type'] == 'flow' and r['proto'] == proto and r['dst_port'] == 9000]
by_port = {}
for f in flows:
    by_port.setdefault(f['src_port'], []).append(f)
owners = {}
for f in flows:
    if f['process']:
        owners.setdefault(f['process']['pid'], []).append(f)
right = sum(1 for p in pids if p in owners)
# a flow owned by a pid that is not one of ours, or an unresolved one
wrong = sum(1 for f in flows if f['process'] and f['process']['pid'] not in set(pids))
unres = sum(1 for f in flows if not f['process'])
n = len(pids) or 1
# Two clients that drew the same source port within the flow timeout are one
# UDP flow to the capture (UDP has no handshake to tell them apart): counted.
merged = len(pids) - len(set(f['src_port'] for f in flows)) if proto == 'udp' else 0
cpu = (c1 - c0) / hz
print(f"{proto:<5} {hold:>7} {len(pids):>8} {100*right/n:>9.1f} {100*wrong/n:>8.1f} {100*unres/n:>10.1f} "
      f"{cpu:>12.2f} {100*cpu/(t1-t0):>9.1f}" + (f"   ({merged} clients reused a source port: one flow)" if merged > 0 else ""))
reasons = {}
for f in flows:
    if not f['process']:
        reasons[f['attribution']['reason']] = reasons.get(f['attribution']['reason'], 0) + 1
for r, k in sorted(reasons.items(), key=lambda x: -x[1]):
    print(f"      unresolved x{k}: {r}")
EOF
	done
done
