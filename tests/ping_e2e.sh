#!/bin/bash
# ping_e2e.sh - ICMP echo flows belong to the ping that sent them (#11.2),
# and a replay of the recording gives the live run's records (#11.7).
#
# ping (iputils) sends from an ICMP datagram "ping socket" when the
# namespace's net.ipv4.ping_group_range admits its group, and from a raw
# socket otherwise (as root). Both are run here, IPv4 and IPv6, in a
# client namespace where `wirewho watch` records; checks, each a sentence:
#   - every echo flow of a ping names that ping's pid, status exact, both
#     with a ping socket (its port is the echo id) and with a raw one;
#   - the mode is what the test meant (a ping socket is listed in
#     /proc/net/icmp while it runs, a raw one is not);
#   - `replay --sockets` of the recording gives the same owner;
#   - the kernel's own ICMP (IPv6 neighbour solicitations and MLD reports,
#     port unreachables both ways from UDP sent to closed ports) raises no
#     alert live, and none in the replay: the replay raises exactly the live
#     alerts (kind, flow) and every flow has the live owner. What may
#     differ, and is not compared: the records' `ts` (live: the wall clock
#     at writing; replay: packet time), attribution status and reason
#     ("exact" live is "recorded" with reason "live: exact" in the replay),
#     the stats record (elapsed time, kernel drops), and the end of a flow
#     that timed out live (live expiry runs on the wall clock);
#   - --sockets with two capture files, or with the capture on standard
#     input, is refused (exit 2): neither can be checked (#17.3);
#   - every record matches docs/schema/.
# Needs root; exits 77 otherwise. Bounded; everything started is stopped by
# pid, the namespaces deleted by name.
#
# usage: ping_e2e.sh WIREWHO_BINARY
set -u
WW=${1:-}
[ -n "$WW" ] && [ -x "$WW" ] || { echo "usage: $0 WIREWHO_BINARY" >&2; exit 2; }
WW=$(readlink -f "$WW")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v ping >/dev/null 2>&1 || { echo "SKIP: ping missing"; exit 77; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

ID=$$
CLI=wwping-cli-$ID
SRV=wwping-srv-$ID
VC=wwpg-c$((ID % 100000))
VS=wwpg-s$((ID % 100000))
T=$(mktemp -d /tmp/wwping-e2e.XXXXXX)
FAIL=0
NSES=("$CLI" "$SRV")
. "$(dirname "$(readlink -f "$0")")/../scripts/netns-lib.sh"
ok()   { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAIL=1; }

ip netns add "$CLI" || { echo "SKIP: cannot create network namespaces"; exit 77; }
ip netns add "$SRV" || exit 1
ip link add "$VC" netns "$CLI" type veth peer name "$VS" netns "$SRV" || exit 1
for ns in "$CLI" "$SRV"; do ip -n "$ns" link set lo up; done
ip -n "$CLI" addr add 192.0.2.1/24 dev "$VC"
ip -n "$SRV" addr add 192.0.2.2/24 dev "$VS"
ip -n "$CLI" addr add 2001:db8::1/64 dev "$VC" nodad
ip -n "$SRV" addr add 2001:db8::2/64 dev "$VS" nodad
ip -n "$CLI" link set "$VC" up
ip -n "$SRV" link set "$VS" up
# no ping sockets for anyone at first: ping falls back to a raw socket
ip netns exec "$CLI" sysctl -qw net.ipv4.ping_group_range="1 0"

ip netns exec "$CLI" "$WW" watch -i "$VC" --json --record "$T/rec" --duration 60 \
	>"$T/live.json" 2>"$T/watch.err" &
WPID=$!
PIDS+=($WPID)
for ((i = 0; i < 50; i++)); do [ -s "$T/rec/sockets.ndjson" ] && break; sleep 0.1; done
sleep 0.3

declare -A WANT   # pid -> mode
run_ping() {   # mode, ping arguments...
	local mode=$1; shift
	ip netns exec "$CLI" ping -n -c 4 -i 0.3 -W 2 "$@" >"$T/ping.$mode.out" 2>&1 &
	local pid=$!
	PIDS+=($pid)
	WANT[$pid]=$mode
	sleep 0.5
	local icmp
	icmp=$(ip netns exec "$CLI" cat /proc/net/icmp /proc/net/icmp6 2>/dev/null | grep -cv "local_address")
	echo "$mode $icmp" >>"$T/modes"
	for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}
run_ping raw4 192.0.2.2
run_ping raw6 -6 2001:db8::2
ip netns exec "$CLI" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
run_ping dgram4 192.0.2.2
run_ping dgram6 -6 2001:db8::2
# UDP to closed ports: the server's kernel answers ours with a port
# unreachable, and ours answers the server's (each socat holds its socket 1 s)
ip netns exec "$CLI" socat -u - UDP:192.0.2.2:9 < <(echo x; sleep 1) >/dev/null 2>&1 &
PIDS+=($!)
ip netns exec "$SRV" socat -u - UDP:192.0.2.1:9 < <(echo x; sleep 1) >/dev/null 2>&1 &
PIDS+=($!)
sleep 1.5
kill -TERM "$WPID"
for ((i = 0; i < 150; i++)); do kill -0 "$WPID" 2>/dev/null || break; sleep 0.1; done
wait "$WPID" 2>/dev/null; WRC=$?
[ "$WRC" = 0 ] && ok "watch stopped cleanly (exit 0)" || fail "watch exit $WRC: $(cat "$T/watch.err")"
"$WW" replay --sockets "$T/rec/sockets.ndjson" --json "$T/rec/capture.pcap" >"$T/replay.json" 2>"$T/replay.err" \
	|| fail "replay --sockets: $(cat "$T/replay.err")"

# A timeline belongs to one capture: a second file, or standard input, cannot be checked (#17.3)
"$WW" replay --sockets "$T/rec/sockets.ndjson" --json "$T/rec/capture.pcap" "$T/rec/capture.pcap" \
	>/dev/null 2>"$T/two.err"
R2=$?
[ "$R2" = 2 ] && grep -q "belongs to one capture" "$T/two.err" \
	&& ok "--sockets with two capture files is refused (exit 2): $(cat "$T/two.err")" \
	|| fail "--sockets with two captures: exit $R2, $(cat "$T/two.err")"
"$WW" replay --sockets "$T/rec/sockets.ndjson" --json - <"$T/rec/capture.pcap" >/dev/null 2>"$T/stdin.err"
R3=$?
[ "$R3" = 2 ] && grep -q "standard input" "$T/stdin.err" \
	&& ok "--sockets with the capture on standard input is refused (exit 2): $(cat "$T/stdin.err")" \
	|| fail "--sockets with standard input: exit $R3, $(cat "$T/stdin.err")"

while read -r mode n; do
	case $mode in
	raw*) [ "$n" = 0 ] && ok "$mode: no ping socket while it ran (raw)" || fail "$mode: $n ping sockets listed" ;;
	dgram*) [ "$n" -ge 1 ] && ok "$mode: a ping socket was listed while it ran" || fail "$mode: no ping socket" ;;
	esac
done <"$T/modes"

HERE=$(dirname "$(readlink -f "$0")")
SPY=${WW_SCHEMA_PYTHON:-/usr/bin/python3}
SDIR=${WW_SCHEMA_DIR:-$HERE/../docs/schema}
if "$SPY" "$HERE/schema_validate.py" "$SDIR" "$T/live.json" "$T/replay.json" "$T/rec/sockets.ndjson" \
	>"$T/schema.out" 2>&1; then
	ok "every record matches docs/schema/: $(tail -n 1 "$T/schema.out")"
else
	fail "records that do not match docs/schema/:"; head -n 40 "$T/schema.out"
fi

WANT_ARGS=()
for p in "${!WANT[@]}"; do WANT_ARGS+=("$p=${WANT[$p]}"); done
"$PY" - "$T/live.json" "$T/replay.json" "${WANT_ARGS[@]}" <<'EOF' || FAIL=1
import json, sys
live = [json.loads(l) for l in open(sys.argv[1])]
rep = [json.loads(l) for l in open(sys.argv[2])]
want = {int(a.split('=')[0]): a.split('=')[1] for a in sys.argv[3:]}
bad = 0
def check(cond, msg):
    global bad
    print(("ok   - " if cond else "FAIL - ") + msg)
    bad |= not cond
echo = [f for f in live if f['type'] == 'flow' and f['proto'] in ('icmp', 'icmp6')
        and f['src_port'] in (8, 128)]
check(len(echo) >= len(want), f"{len(echo)} echo flows seen for {len(want)} pings")
for pid, mode in sorted(want.items(), key=lambda x: x[1]):
    mine = [f for f in echo if f['process'] and f['process']['pid'] == pid]
    check(len(mine) == 1 and mine[0]['process']['comm'] == 'ping'
          and mine[0]['attribution']['status'] == 'exact',
          f"{mode} (pid {pid}): its echo flow names ping, status exact "
          + str([(f['dst_ip'], f['icmp_id'], f['attribution']) for f in mine]))
    r = [f for f in rep if f['type'] == 'flow' and f['process'] and f['process']['pid'] == pid]
    check(len(r) == 1 and r[0]['attribution']['status'] == 'recorded',
          f"{mode}: replay --sockets gives the same owner")
# the replay's records are the live run's, but for what may differ (above)
la = sorted((a['kind'], a.get('community_id', '')) for a in live if a['type'] == 'alert')
ra = sorted((a['kind'], a.get('community_id', '')) for a in rep if a['type'] == 'alert')
check(la == ra, f"replay raises the live alerts, no more, no fewer: live {la}, replay {ra}")
kern = [f for f in live if f['type'] == 'flow' and f['proto'] in ('icmp', 'icmp6')
        and f['src_port'] in (3, 1, 135, 143)]
check(len(kern) >= 2, f"the kernel's own ICMP was seen ({len(kern)} flows: "
      f"{sorted(set((f['proto'], f['src_port']) for f in kern))})")
def owner(f):
    return f['process'] and (f['process']['pid'], f['process']['comm'])
lf = {f['community_id']: owner(f) for f in live if f['type'] == 'flow'}
rf = {f['community_id']: owner(f) for f in rep if f['type'] == 'flow'}
check(lf == rf, f"every flow of the replay has the live owner ({len(lf)} flows): "
      + str({k: (lf.get(k), rf.get(k)) for k in set(lf) | set(rf) if lf.get(k) != rf.get(k)}))
unowned = [f for f in echo if not f['process']]
check(not unowned, f"no echo flow of this host is unattributed: {[f['attribution'] for f in unowned]}")
sys.exit(1 if bad else 0)
EOF
[ "$FAIL" = 0 ] || { echo "--- watch stderr"; cat "$T/watch.err"; [ -n "${WW_E2E_KEEP:-}" ] && cp -r "$T" "$WW_E2E_KEEP"; exit 1; }
echo "all ping checks passed"
exit 0
