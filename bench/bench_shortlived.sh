#!/bin/bash
# bench_shortlived.sh - how many short-lived connections `wirewho watch`
# attributes to the right process, with each attribution engine, and what
# it costs.
#
# Two network namespaces joined by a veth pair; a server namespace runs a
# TCP sink and a UDP sink (python3). In the client namespace a launcher (a
# tiny C program: fork+exec on a fixed schedule, so the rate holds at
# 1,000/s where a shell loop would not) starts N client processes (connect,
# send one byte, hold the connection D ms, exit; D = 0: exit at once) at
# about R new clients per second, noting each pid. `wirewho watch
# --attribution ENGINE` runs on the client side; afterwards every client pid
# is looked up among the flow records: attributed to the right process means
# a flow to the sink whose process.pid is that pid and whose process.comm is
# the client's program. Reported per engine, protocol and hold time: % right,
# % wrong owner, % unresolved, the launch rate reached, wirewho's CPU time
# (user+system, from /proc/PID/stat) over the run, and for the bpf engine
# the CPU its programs took in the kernel (run_time_ns of wirewho's own
# programs, with kernel.bpf_stats_enabled on for the run and restored
# after), which /proc/PID/stat does not see: it is spent in the clients'
# system calls and in the packet path.
#
# TOPO=container (environment) runs the container topology of #12.3
# instead: the clients' namespace is a "container" (192.0.2.10) behind a
# veth whose other end is in a "host" namespace that routes to the server
# (198.51.100.2); wirewho runs in the host namespace on the container's
# veth, so neither end of a client's flow is the host's address.
#
# usage: bench_shortlived.sh WIREWHO [N=200] [RATE=50] [HOLDS="0 1"] [PROTOS="tcp udp"] [ENGINES="bpf proc"]
# Needs root. Prints a table; never fails on numbers.
set -u
WW=$(readlink -f "${1:?usage: $0 WIREWHO [N] [RATE] [HOLDS] [PROTOS] [ENGINES]}")
N=${2:-200}
RATE=${3:-50}
HOLDS=${4:-"0 1"}
PROTOS=${5:-"tcp udp"}
ENGINES=${6:-"bpf proc"}
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
PY=/usr/bin/python3; [ -x "$PY" ] || PY=$(command -v python3)

ID=$$
CLI=wwwatch-bcli-$ID
SRV=wwwatch-bsrv-$ID
VC=wwwatch-bc$((ID % 10000))
VS=wwwatch-bs$((ID % 10000))
T=$(mktemp -d /tmp/wwwatch-bench.XXXXXX)
TOPO=${TOPO:-direct}
HOSTNS=wwwatch-bhost-$ID
VH=wwwatch-bh$((ID % 10000))
VH2=wwwatch-bx$((ID % 10000))
NSES=("$CLI" "$SRV" "$HOSTNS")
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
	if (ms > 0) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	return 0;
}
EOF
cat > "$T/launch.c" <<'EOF'
/* launch N RATE CMD ARGS...: start N copies of CMD, one every 1/RATE s on
 * an absolute schedule, print each pid, reap them all, print the launch
 * span in seconds last ("span S"). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	long n = atol(argv[1]);
	double rate = atof(argv[2]);
	struct timespec t0, next, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	next = t0;
	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) {
			execv(argv[3], argv + 3);
			_exit(127);
		}
		if (p > 0)
			printf("%d\n", (int)p);
		long step = (long)(1e9 / rate);
		next.tv_nsec += step;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	while (wait(NULL) > 0)
		;
	printf("span %.3f\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
EOF
cc -O2 -o "$T/wwclient" "$T/client.c" || exit 1
cc -O2 -o "$T/launch" "$T/launch.c" || exit 1

ip netns add "$CLI" && ip netns add "$SRV" || exit 1
if [ "$TOPO" = container ]; then
	ip netns add "$HOSTNS" || exit 1
	ip link add "$VC" netns "$CLI" type veth peer name "$VH" netns "$HOSTNS" || exit 1
	ip link add "$VH2" netns "$HOSTNS" type veth peer name "$VS" netns "$SRV" || exit 1
	for ns in "$CLI" "$SRV" "$HOSTNS"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
		ip -n "$ns" link set lo up
	done
	ip -n "$CLI" addr add 192.0.2.10/24 dev "$VC"
	ip -n "$HOSTNS" addr add 192.0.2.1/24 dev "$VH"
	ip -n "$HOSTNS" addr add 198.51.100.1/24 dev "$VH2"
	ip -n "$SRV" addr add 198.51.100.2/24 dev "$VS"
	ip -n "$CLI" link set "$VC" up
	ip -n "$HOSTNS" link set "$VH" up
	ip -n "$HOSTNS" link set "$VH2" up
	ip -n "$SRV" link set "$VS" up
	ip -n "$CLI" route add default via 192.0.2.1
	ip -n "$SRV" route add default via 198.51.100.1
	ip netns exec "$HOSTNS" sysctl -qw net.ipv4.ip_forward=1
	WNS=$HOSTNS WIF=$VH   # wirewho on the host side of the container's veth
else
	ip link add "$VC" netns "$CLI" type veth peer name "$VS" netns "$SRV" || exit 1
	for ns in "$CLI" "$SRV"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
		ip -n "$ns" link set lo up
	done
	ip -n "$CLI" addr add 198.51.100.1/24 dev "$VC"
	ip -n "$SRV" addr add 198.51.100.2/24 dev "$VS"
	ip -n "$CLI" link set "$VC" up
	ip -n "$SRV" link set "$VS" up
	WNS=$CLI WIF=$VC
fi

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
# Nanoseconds the BPF programs of process $1 ran so far (needs
# kernel.bpf_stats_enabled): its programs are the prog_id of its
# descriptors (/proc/PID/fdinfo), so other wirewho processes do not count.
bpf_ns() {
	local ids
	ids=$(cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '/^prog_id:/ {print $2}' | sort -u)
	[ -n "$ids" ] || { echo 0; return; }
	bpftool prog show -j 2>/dev/null | "$PY" -c '
import json, sys
ids = set(int(x) for x in sys.argv[1].split())
print(sum(p.get("run_time_ns", 0) for p in json.load(sys.stdin) if p["id"] in ids))' "$ids" 2>/dev/null || echo 0
}
STATS0=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
sysctl -qw kernel.bpf_stats_enabled=1 2>/dev/null
trap 'sysctl -qw kernel.bpf_stats_enabled='"$STATS0"' 2>/dev/null; cleanup' EXIT

printf "%-6s %-5s %7s %8s %7s %8s %8s %12s %9s %8s %10s\n" engine proto hold_ms clients rate/s right_% wrong_% unresolved_% ww_cpu_s ww_cpu_% bpf_cpu_s
for engine in $ENGINES; do
for proto in $PROTOS; do
	for hold in $HOLDS; do
		out="$T/$engine-$proto-$hold"
		ip netns exec "$WNS" "$WW" watch -i "$WIF" --json -f "port 9000" --duration 600 \
			--attribution "$engine" >"$out.json" 2>"$out.err" &
		WPID=$!
		PIDS+=($WPID)
		sleep 1.5   # capture open, programs attached, caches warm
		grep -q "attribution engine: $engine" "$out.err" ||
			echo "note: $(grep 'attribution engine' "$out.err")"
		c0=$(cpu_ticks $WPID); b0=$(bpf_ns $WPID); t0=$(date +%s.%N)
		ip netns exec "$CLI" "$T/launch" "$N" "$RATE" "$T/wwclient" "$proto" 198.51.100.2 9000 "$hold" \
			>"$out.pids"
		sleep 1
		c1=$(cpu_ticks $WPID); b1=$(bpf_ns $WPID); t1=$(date +%s.%N)
		kill -TERM $WPID
		for ((i = 0; i < 100; i++)); do kill -0 $WPID 2>/dev/null || break; sleep 0.1; done
		"$PY" - "$out.json" "$out.pids" "$proto" "$hold" "$c0" "$c1" "$HZ" "$t0" "$t1" "$engine" "$b0" "$b1" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
lines = [l.split() for l in open(sys.argv[2]) if l.strip()]
pids = [int(l[0]) for l in lines if l[0] != 'span']
span = [float(l[1]) for l in lines if l[0] == 'span']
proto, hold = sys.argv[3], sys.argv[4]
c0, c1, hz, t0, t1 = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), float(sys.argv[8]), float(sys.argv[9])
engine, b0, b1 = sys.argv[10], int(sys.argv[11]), int(sys.argv[12])
flows = [r for r in recs if r['type'] == 'flow' and r['proto'] == proto and r['dst_port'] == 9000]
owners = {}
for f in flows:
    if f['process']:
        owners.setdefault(f['process']['pid'], []).append(f)
right = sum(1 for p in pids if any(f['process']['comm'] == 'wwclient' for f in owners.get(p, [])))
wrong = sum(1 for f in flows if f['process'] and (f['process']['pid'] not in set(pids)
                                                   or f['process']['comm'] != 'wwclient'))
unres = sum(1 for f in flows if not f['process'])
n = len(pids) or 1
merged = len(pids) - len(set(f['src_port'] for f in flows)) if proto == 'udp' else 0
cpu = (c1 - c0) / hz
rate = len(pids) / span[0] if span and span[0] > 0 else 0
bpf = f"{(b1 - b0) / 1e9:>10.3f}" if engine == 'bpf' else f"{'-':>10}"
print(f"{engine:<6} {proto:<5} {hold:>7} {len(pids):>8} {rate:>7.0f} {100*right/n:>8.1f} {100*wrong/n:>8.1f} "
      f"{100*unres/n:>12.1f} {cpu:>9.2f} {100*cpu/(t1-t0):>8.1f} {bpf}"
      + (f"   ({merged} clients reused a source port: one flow)" if merged > 0 else ""))
reasons = {}
for f in flows:
    if not f['process']:
        reasons[f['attribution']['reason']] = reasons.get(f['attribution']['reason'], 0) + 1
for r, k in sorted(reasons.items(), key=lambda x: -x[1]):
    print(f"      unresolved x{k}: {r}")
others = {}
for f in flows:
    if f['process'] and (f['process']['pid'] not in set(pids) or f['process']['comm'] != 'wwclient'):
        k = f"{f['process']['comm']} ({f['attribution']['status']}: {f['attribution']['reason'][:60]})"
        others[k] = others.get(k, 0) + 1
for r, k in sorted(others.items(), key=lambda x: -x[1]):
    print(f"      other owner x{k}: {r}")
EOF
	done
done
done
