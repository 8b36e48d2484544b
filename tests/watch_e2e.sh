#!/bin/bash
# watch_e2e.sh - `wirewho watch` against real programs, end to end.
#
# Two network namespaces joined by a veth pair. Real servers run on the
# server side (python3's http.server on 80 and on the odd port 4444, both
# holding each answer back 0.4 s, and unhurried on 8080; openssl s_server on
# 443, sshd on 22, named on 53); real clients run on the client side (curl,
# openssl s_client, ssh, dig, and a copy of curl renamed "wwbeacon", which no
# policy line explains). `wirewho watch` runs on the
# client side with a policy that explains the four well-known clients, and
# records. Checks, each a sentence:
#   - every client's flow names that client's pid and program, status exact (or kernel,
#     with the kernel engine)
#     (a DNS query answered in 0.2 ms and a page fetched in ~1 ms are
#     reported, not required: see below);
#   - the unexplained program raises unexplained_process; explained ones do not;
#   - HTTP moved to port 4444 raises port_mismatch.nonstandard_port;
#   - `replay --sockets` of the recording gives the same owner for every flow,
#     with status "recorded";
#   - a timeline replayed against another capture is refused (exit 2);
#   - every record of the live output, of the replay and of the recorded
#     timeline matches the JSON Schemas in docs/schema/ (tests/schema_validate.py,
#     run by $WW_SCHEMA_PYTHON, default /usr/bin/python3: it needs python3-jsonschema).
# Needs root (namespaces, capture); exits 77 (skipped) otherwise. Bounded:
# every wait has a limit; everything started is stopped by pid and the
# namespaces are deleted by name on exit.
#
# usage: watch_e2e.sh WIREWHO_BINARY
set -u

WW=${1:-}
[ -n "$WW" ] && [ -x "$WW" ] || { echo "usage: $0 WIREWHO_BINARY" >&2; exit 2; }
WW=$(readlink -f "$WW")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for p in ip curl openssl ssh sshd ssh-keygen dig named python3; do
	command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] || { echo "SKIP: $p missing"; exit 77; }
done
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

ID=$$
CLI=wwwatch-cli-$ID
SRV=wwwatch-srv-$ID
VC=wwwatch-c$((ID % 100000))
VS=wwwatch-s$((ID % 100000))
T=$(mktemp -d /tmp/wwwatch-e2e.XXXXXX)
FAIL=0

NSES=("$CLI" "$SRV")
. "$(dirname "$(readlink -f "$0")")/../scripts/netns-lib.sh"

ok()   { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAIL=1; }

# Wait (bounded) for pid $1 to exit; kill it after $2 seconds.
wait_pid() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
		sleep 0.1
	done
	kill "$1" 2>/dev/null; wait "$1" 2>/dev/null
	return 1
}

# Wait (bounded) until something listens on $2 ($1 = tcp|udp) in the server namespace.
wait_listen() {
	local i flag=-tln
	[ "$1" = udp ] && flag=-uln
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$SRV" ss -H $flag "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	echo "server on $1/$2 did not start" >&2
	return 1
}

# --- the network -------------------------------------------------------------
two_hosts_v4   # netns-lib.sh: 192.0.2.1 ($CLI) -- 192.0.2.2 ($SRV)

# --- servers ---------------------------------------------------------------------
mkdir -p "$T/www" "$T/bind" "$T/ssh"
echo hello > "$T/www/index.html"
# python's http.server, each answer held back by HOLD seconds: the clients'
# connections then live long enough that finding their owner at the first
# packet is not a race with the scheduler (see the note at the clients).
cat > "$T/slowhttp.py" <<'EOF2'
import http.server, sys, time
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        time.sleep(float(sys.argv[3]))
        super().do_GET()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
EOF2
HOLD=0.4
(cd "$T/www" && exec ip netns exec "$SRV" "$PY" "$T/slowhttp.py" 192.0.2.2 80 "$HOLD") >/dev/null 2>&1 &
PIDS+=($!)
(cd "$T/www" && exec ip netns exec "$SRV" "$PY" "$T/slowhttp.py" 192.0.2.2 4444 "$HOLD") >/dev/null 2>&1 &
PIDS+=($!)
(cd "$T/www" && exec ip netns exec "$SRV" "$PY" -m http.server 8080 --bind 192.0.2.2) >/dev/null 2>&1 &
PIDS+=($!)

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
	-days 1 -subj /CN=wwwatch.test >/dev/null 2>&1 || { echo "cannot make a certificate"; exit 1; }
ip netns exec "$SRV" openssl s_server -accept 443 -cert "$T/cert.pem" -key "$T/key.pem" -www -quiet \
	</dev/null >/dev/null 2>&1 &
PIDS+=($!)

ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/host" || exit 1
mkdir -p /run/sshd
ip netns exec "$SRV" /usr/sbin/sshd -D -e -f /dev/null -h "$T/ssh/host" -p 22 \
	-o ListenAddress=192.0.2.2 -o PidFile=none -o UsePAM=no >/dev/null 2>&1 &
PIDS+=($!)

cat > "$T/bind/named.conf" <<EOF
options { directory "$T/bind"; listen-on { 192.0.2.2; }; listen-on-v6 { none; };
          pid-file none; recursion yes; allow-recursion { any; }; dnssec-validation no; };
zone "wwwatch.test" { type primary; file "$T/bind/db"; };
// forwarded to an address nobody answers: named keeps the client waiting
zone "slow.test" { type forward; forward only; forwarders { 192.0.2.99; }; };
EOF
cat > "$T/bind/db" <<'EOF'
$TTL 60
@ IN SOA ns root 1 60 60 60 60
@ IN NS ns
ns IN A 192.0.2.2
www IN A 192.0.2.2
EOF
ip netns exec "$SRV" /usr/sbin/named -g -n 1 -c "$T/bind/named.conf" >"$T/named.log" 2>&1 &
PIDS+=($!)

for s in tcp:80 tcp:4444 tcp:8080 tcp:443 tcp:22 udp:53; do
	wait_listen "${s%%:*}" "${s##*:}" || { cat "$T/named.log" >&2; exit 1; }
done

# --- wirewho on the client side --------------------------------------------------------
cat > "$T/policy" <<'EOF'
# the clients this test expects
allow comm=curl    dir=out proto=tcp rport=80,4444,8080
allow comm=openssl dir=out proto=tcp rport=443
allow comm=ssh     dir=out proto=tcp rport=22
allow comm=dig     dir=out proto=udp,tcp rport=53
EOF
ip netns exec "$CLI" ${WRAP:-} ${WRAP:-} "$WW" watch -i "$VC" --json --policy "$T/policy" --record "$T/rec" \
	--duration 60 >"$T/live.json" 2>"$T/watch.err" &
WPID=$!
PIDS+=($WPID)
# Ready when the recording's header exists (after capture and caps drop).
for ((i = 0; i < 50; i++)); do [ -s "$T/rec/sockets.ndjson" ] && break; sleep 0.1; done
sleep 0.3

# --- clients, one at a time, each pid noted ---------------------------------------------
cp "$(command -v curl)" "$T/wwbeacon"
declare -A WANT   # pid -> expected comm
run_client() {   # comm, command... (stdin: open for HOLD seconds, then at its end)
	local comm=$1; shift
	ip netns exec "$CLI" "$@" < <(sleep "$HOLD") >/dev/null 2>&1 &
	local pid=$!
	WANT[$pid]=$comm
	wait_pid "$pid" 15 || echo "note: $comm ($pid) was killed after 15 s" >&2
}
run_client curl     curl -s -m 10 http://192.0.2.2/
run_client openssl  openssl s_client -connect 192.0.2.2:443 -servername wwwatch.test
run_client ssh      ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
			-o ConnectTimeout=10 -p 22 nobody@192.0.2.2 true
# A client whose connection lives ~1 ms (a DNS answer from a local
# authoritative server, a page from an unhurried local web server) is gone
# from the socket table a millisecond after its first packet: whether its
# owner is caught depends on how soon this host schedules us, under load or
# under ASan (bench/bench_shortlived.sh measures that race). Those are
# reported, not required; the required ones are held open by their servers
# (HOLD above, named's forward to nobody) or by their own stdin.
run_client dig      dig +tries=1 +time=2 @192.0.2.2 www.slow.test A
FAST=()
ip netns exec "$CLI" dig +tries=1 +time=3 @192.0.2.2 www.wwwatch.test A </dev/null >/dev/null 2>&1 &
FAST+=($!)
wait_pid "$!" 10
ip netns exec "$CLI" curl -s -m 10 http://192.0.2.2:8080/ </dev/null >/dev/null 2>&1 &
FAST+=($!)
wait_pid "$!" 15
run_client curl     curl -s -m 10 http://192.0.2.2:4444/
run_client wwbeacon "$T/wwbeacon" -s -m 10 http://192.0.2.2/
sleep 0.5

kill -TERM "$WPID"
wait_pid "$WPID" 15 || fail "watch did not stop within 15 s of SIGTERM"
wait "$WPID" 2>/dev/null; WRC=$?
[ "$WRC" = 0 ] && ok "watch stopped cleanly on SIGTERM (exit 0)" || fail "watch exit status $WRC: $(cat "$T/watch.err")"

# --- replay the recording ----------------------------------------------------------------------
"$WW" replay --sockets "$T/rec/sockets.ndjson" --policy "$T/policy" --json "$T/rec/capture.pcap" \
	>"$T/replay.json" 2>"$T/replay.err"
RRC=$?
[ "$RRC" = 0 ] && ok "replay --sockets of the recording runs (exit 0)" || fail "replay exit $RRC: $(cat "$T/replay.err")"

# A timeline against a capture it does not belong to: exit 2 with a reason.
"$PY" - "$T/rec/capture.pcap" "$T/other.pcap" <<'EOF'
import sys, struct
data = open(sys.argv[1], 'rb').read()
hdr, rest = data[:24], bytearray(data[24:])
if len(rest) >= 16:
    sec, usec = struct.unpack_from('<II', rest, 0)
    struct.pack_into('<II', rest, 0, sec, (usec + 1) % 1000000)   # shift the first packet by 1 us
open(sys.argv[2], 'wb').write(hdr + bytes(rest))
EOF
"$WW" replay --sockets "$T/rec/sockets.ndjson" --json "$T/other.pcap" >/dev/null 2>"$T/other.err"
ORC=$?
[ "$ORC" = 2 ] && grep -q "does not belong" "$T/other.err" \
	&& ok "a timeline replayed against another capture is refused (exit 2): $(cat "$T/other.err")" \
	|| fail "mismatched timeline: exit $ORC, $(cat "$T/other.err")"

# --- every record against docs/schema/ -------------------------------------------------------
HERE=$(dirname "$(readlink -f "$0")")
SPY=${WW_SCHEMA_PYTHON:-/usr/bin/python3}
SDIR=${WW_SCHEMA_DIR:-$HERE/../docs/schema}
if "$SPY" "$HERE/schema_validate.py" "$SDIR" "$T/live.json" "$T/replay.json" "$T/rec/sockets.ndjson" \
	>"$T/schema.out" 2>&1; then
	ok "every record of the live output, the replay and the timeline matches docs/schema/: $(tail -n 1 "$T/schema.out")"
else
	fail "records that do not match docs/schema/:"; head -n 40 "$T/schema.out"
fi

# --- the checks, on the NDJSON ---------------------------------------------------------------
WANT_ARGS=()
for p in "${!WANT[@]}"; do WANT_ARGS+=("$p=${WANT[$p]}"); done
"$PY" - "$T/live.json" "$T/replay.json" "$(IFS=,; echo "${FAST[*]}")" "${WANT_ARGS[@]}" <<'EOF' || FAIL=1
import json, sys
live = [json.loads(l) for l in open(sys.argv[1])]
rep = [json.loads(l) for l in open(sys.argv[2])]
fast_pids = [int(p) for p in sys.argv[3].split(',')]
want = {int(a.split('=')[0]): a.split('=')[1] for a in sys.argv[4:]}
bad = 0
def check(cond, msg):
    global bad
    print(("ok   - " if cond else "FAIL - ") + msg)
    bad |= not cond
flows = [r for r in live if r['type'] == 'flow']
alerts = [r for r in live if r['type'] == 'alert']
check(any(r['type'] == 'stats' for r in live), "the live output ends with a stats record")
for pid, comm in sorted(want.items()):
    mine = [f for f in flows if f['process'] and f['process']['pid'] == pid]
    check(len(mine) >= 1 and all(f['process']['comm'] == comm for f in mine),
          f"{comm} (pid {pid}): {len(mine)} flow(s) name pid {pid} and program {comm}"
          + "".join(f" [{f['proto']} {f['dst_ip']}:{f['dst_port']} {f['attribution']['status']}]" for f in mine))
    check(all(f['attribution']['status'] in ('exact', 'listener', 'kernel') for f in mine),
          f"{comm} (pid {pid}): attributed at the first packet (exact/listener/kernel)")
for pid, what in zip(fast_pids, ("DNS query (dig)", "HTTP fetch (curl)")):
    fast = [f for f in flows if f['process'] and f['process']['pid'] == pid]
    print(f"info - the short-lived {what}, pid {pid}: "
          + (f"attributed to {fast[0]['process']['comm']}" if fast else "not attributed (lost the race)"))
    if fast:
        check(all(f['process']['comm'] == what.split('(')[1][:-1] for f in fast),
              f"the short-lived {what}, when attributed, names its own program")
# the short-lived clients' flows (DNS on 53, the unhurried web server on 8080) may go unowned
client_flows = [f for f in flows if f['src_ip'] == '192.0.2.1' and f['proto'] in ('tcp', 'udp')
                and not (f['dst_port'] in (53, 8080) and not f['process'])]
unowned = [f for f in client_flows if not f['process']]
check(not unowned, f"every client TCP/UDP flow has an owner ({len(client_flows)} flows, "
      f"{len(unowned)} without: {[(f['dst_port'], f['attribution']) for f in unowned]})")
unexp = [a for a in alerts if a['kind'] == 'unexplained_process']
check(any(a.get('process', {}).get('comm') == 'wwbeacon' for a in unexp),
      "the unexplained program (wwbeacon) raises unexplained_process")
explained = {'curl', 'openssl', 'ssh', 'dig'}
check(not [a for a in unexp if a.get('process', {}).get('comm') in explained],
      "explained programs (curl, openssl, ssh, dig) raise no unexplained_process: "
      + str([a['message'] for a in unexp if a.get('process', {}).get('comm') in explained]))
check(any(a['kind'] == 'port_mismatch.nonstandard_port' and a.get('dst_port') == 4444 for a in alerts),
      "HTTP on port 4444 raises port_mismatch.nonstandard_port")
# replay reproduces the live attribution, flow by flow
rflows = {(f['community_id'], f['start']): f for f in rep if f['type'] == 'flow'}
same = diff = 0
for f in flows:
    r = rflows.get((f['community_id'], f['start']))
    if not r:
        continue
    lp = f['process'] and (f['process']['pid'], f['process']['comm'])
    rp = r['process'] and (r['process']['pid'], r['process']['comm'])
    if lp == rp and (not lp or r['attribution']['status'] == 'recorded'):
        same += 1
    else:
        diff += 1
        print(f"  differs: live {lp} {f['attribution']} / replay {rp} {r['attribution']}")
check(same >= len(want) and diff == 0,
      f"replay --sockets reproduces the live attribution ({same} flows the same, {diff} different)")
check(any(a['kind'] == 'unexplained_process' and a.get('process', {}).get('comm') == 'wwbeacon'
          for a in rep if a['type'] == 'alert'),
      "replay with the policy raises the same unexplained_process for wwbeacon")
sys.exit(1 if bad else 0)
EOF

if [ "$FAIL" != 0 ]; then
	echo "--- watch stderr"; cat "$T/watch.err"; [ -n "${WW_E2E_QUIET:-}" ] && exit 1
	echo "--- live output"; cat "$T/live.json"
	exit 1
fi
echo "all watch end-to-end checks passed"
exit 0
