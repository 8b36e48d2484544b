#!/bin/bash
# record_full_e2e.sh - `watch --record` on a full disk loses no evidence
# silently (#17.1). The recording goes to a real 1 MB tmpfs; a 4 MB TCP
# transfer fills it. Checks, each a sentence:
#   - the failed write is reported at once on stderr, naming capture.pcap
#     and the reason (No space left on device), and says recording stopped;
#   - the analysis goes on: a connection made after the disk filled is still
#     a flow of the live output, which ends with its stats record;
#   - the run ends with exit 1;
#   - capture.pcap holds whole packets only (replay reads it without a
#     "truncated" complaint), and the timeline's end line, when it could be
#     written, claims exactly the packets that are in capture.pcap and names
#     the error;
#   - every record matches docs/schema/.
# Needs root (namespaces, mount); exits 77 otherwise. Bounded; the mount is
# removed by its path, processes by pid, namespaces by name.
#
# usage: record_full_e2e.sh WIREWHO_BINARY
set -u
WW=${1:-}
[ -n "$WW" ] && [ -x "$WW" ] || { echo "usage: $0 WIREWHO_BINARY" >&2; exit 2; }
WW=$(readlink -f "$WW")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v socat >/dev/null 2>&1 || { echo "SKIP: socat missing"; exit 77; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

ID=$$
CLI=wwfull-cli-$ID
SRV=wwfull-srv-$ID
VC=wwfl-c$((ID % 100000))
VS=wwfl-s$((ID % 100000))
T=$(mktemp -d /tmp/wwfull-e2e.XXXXXX)
FAIL=0
NSES=("$CLI" "$SRV")
. "$(dirname "$(readlink -f "$0")")/../scripts/netns-lib.sh"
trap 'umount "$T/full" 2>/dev/null; cleanup' EXIT
ok()   { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAIL=1; }

mkdir "$T/full"
mount -t tmpfs -o size=1m "wwfull-$ID" "$T/full" || { echo "SKIP: cannot mount a tmpfs"; exit 77; }
two_hosts_v4   # netns-lib.sh: 192.0.2.1 ($CLI) -- 192.0.2.2 ($SRV)

ip netns exec "$SRV" socat -u TCP-LISTEN:7001,fork,reuseaddr OPEN:/dev/null >/dev/null 2>&1 &
PIDS+=($!)
for ((i = 0; i < 50; i++)); do
	ip netns exec "$SRV" ss -H -tln "sport = :7001" | grep -q . && break; sleep 0.1
done

ip netns exec "$CLI" "$WW" watch -i "$VC" --json --record "$T/full/rec" --duration 60 \
	>"$T/live.json" 2>"$T/watch.err" &
WPID=$!
PIDS+=($WPID)
for ((i = 0; i < 50; i++)); do [ -s "$T/full/rec/sockets.ndjson" ] && break; sleep 0.1; done
sleep 0.3

# 4 MB: four times the disk
# More than the 1 MB fills, sent again (at most 5 times) while the disk has
# not filled: a loaded machine's capture may drop part of a burst.
for ((round = 0; round < 5; round++)); do
	head -c 4000000 /dev/zero | ip netns exec "$CLI" timeout 30 socat -u - TCP:192.0.2.2:7001 >/dev/null 2>&1
	# reported at once: before watch stops (bounded wait)
	for ((i = 0; i < 50; i++)); do grep -q "No space left" "$T/watch.err" && break; sleep 0.1; done
	grep -q "No space left" "$T/watch.err" && break
done
grep -q "capture.pcap: No space left on device" "$T/watch.err" \
	&& ok "the full disk is reported at once, naming the file and the reason: $(head -n 1 "$T/watch.err")" \
	|| fail "no report of the full disk while watch runs: $(cat "$T/watch.err")"
grep -q "recording stopped" "$T/watch.err" && ok "it says recording stopped" || fail "it does not say recording stopped"
# after the disk filled: another connection, which the analysis must still see
echo after | ip netns exec "$CLI" timeout 10 socat -u - TCP:192.0.2.2:7001,sourceport=45678 >/dev/null 2>&1
sleep 0.5
kill -TERM "$WPID"
for ((i = 0; i < 150; i++)); do kill -0 "$WPID" 2>/dev/null || break; sleep 0.1; done
wait "$WPID" 2>/dev/null; WRC=$?
[ "$WRC" = 1 ] && ok "watch ends with exit 1" || fail "watch exit $WRC (want 1): $(cat "$T/watch.err")"

"$WW" replay --json "$T/full/rec/capture.pcap" >"$T/replay.json" 2>"$T/replay.err"
RRC=$?
[ "$RRC" = 0 ] && ! grep -q truncated "$T/replay.err" \
	&& ok "capture.pcap holds whole packets: replay reads it (exit 0)" \
	|| fail "replay of the cut capture: exit $RRC, $(cat "$T/replay.err")"

HERE=$(dirname "$(readlink -f "$0")")
SPY=${WW_SCHEMA_PYTHON:-/usr/bin/python3}
SDIR=${WW_SCHEMA_DIR:-$HERE/../docs/schema}
if "$SPY" "$HERE/schema_validate.py" "$SDIR" "$T/live.json" "$T/replay.json" "$T/full/rec/sockets.ndjson" \
	>"$T/schema.out" 2>&1; then
	ok "every record matches docs/schema/: $(tail -n 1 "$T/schema.out")"
else
	fail "records that do not match docs/schema/:"; head -n 40 "$T/schema.out"
fi

"$PY" - "$T/live.json" "$T/full/rec/capture.pcap" "$T/full/rec/sockets.ndjson" <<'EOF' || FAIL=1
import json, struct, sys
live = [json.loads(l) for l in open(sys.argv[1])]
bad = 0
def check(cond, msg):
    global bad
    print(("ok   - " if cond else "FAIL - ") + msg)
    bad |= not cond
data = open(sys.argv[2], 'rb').read()
off, n = 24, 0
while off + 16 <= len(data):
    cl = struct.unpack_from('<I', data, off + 8)[0]
    if off + 16 + cl > len(data):
        break
    off += 16 + cl
    n += 1
check(off == len(data), f"capture.pcap ends at a packet's end ({n} packets, {len(data)} bytes)")
flows = [r for r in live if r['type'] == 'flow']
check(any(f['src_port'] == 45678 for f in flows),
      "the connection made after the disk filled is a flow of the live output (analysis went on)")
check(live and live[-1]['type'] == 'stats', "the live output ends with its stats record")
lines = open(sys.argv[3]).read().split('\n')
check(lines[-1] == '', "the timeline ends with a whole line")
recs = [json.loads(l) for l in lines if l]
end = [r for r in recs if r['type'] == 'end']
if end:
    e = end[-1]
    check(e['packets'] == n and 'No space left' in e.get('error', ''),
          f"the end line claims the {n} packets on disk, no more ({e})")
else:
    print("info - the end line could not be written (the disk was full): it claims nothing")
sys.exit(1 if bad else 0)
EOF
[ "$FAIL" = 0 ] || { echo "--- watch stderr"; cat "$T/watch.err"; exit 1; }
echo "all full-disk checks passed"
exit 0
