#!/bin/bash
# live_text_e2e.sh - watch's live text stream (issue #11 consistency): a
# line when an attributed flow starts, a time column, and IPv4 lines that
# fit 100 columns even when the process's name is long and hostile. Two
# namespaces on a veth pair (192.0.2.1 -- 192.0.2.2); python3 serves TCP on
# 192.0.2.2:PORT; the client is python3 that renames itself with
# prctl(PR_SET_NAME) to ESC "[2Jwwevil-name" (the kernel keeps 15 bytes: a
# terminal control sequence and a long name) and holds its connection open 3 s. Two
# `watch -i` run at once, text and --json:
#   - the text stream has a "new" line for the flow while it is open, with
#     HH:MM:SS first, the name escaped (no raw ESC byte), cut and marked
#     "~" before the whole "[pid]", and its "end" line; no line over 100;
#   - the --json stream names the process by its whole comm;
#   - every JSON record matches docs/schema/.
# Needs root; exits 77 otherwise. Bounded; processes stopped by pid,
# namespaces deleted by name.
#
# usage: live_text_e2e.sh WIREWHO_BINARY
set -u
WW=${1:-}
[ -n "$WW" ] && [ -x "$WW" ] || { echo "usage: $0 WIREWHO_BINARY" >&2; exit 2; }
WW=$(readlink -f "$WW")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v ip >/dev/null 2>&1 || { echo "SKIP: ip missing"; exit 77; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
ID=$$
CLI=wwlive-cli-$ID
SRV=wwlive-srv-$ID
VC=wwlv-c$((ID % 100000))
VS=wwlv-s$((ID % 100000))
T=$(mktemp -d /tmp/wwlive-e2e.XXXXXX)
BIN=$(mktemp -d /var/lib/wwlive-bin.XXXXXX)   # not /tmp: no temp_script indicator
DIRS=("$BIN")
NSES=("$CLI" "$SRV")
FAIL=0
. "$(dirname "$(readlink -f "$0")")/../scripts/netns-lib.sh"
ok()   { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAIL=1; }
wait_pid() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
		sleep 0.1
	done
	kill "$1" 2>/dev/null; wait "$1" 2>/dev/null
	return 1
}
two_hosts_v4
PORT=$((20000 + ID % 10000))
cat >"$BIN/server.py" <<'PYEOF'
import socket, sys, threading, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.2", int(sys.argv[1]))); s.listen(8)
def serve(c):
    c.recv(100); time.sleep(5); c.close()
deadline = time.time() + 60
while time.time() < deadline:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PYEOF
cat >"$BIN/client.py" <<'PYEOF'
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"\x1b[2Jwwevil-name-x", 0, 0, 0)   # PR_SET_NAME
s = socket.create_connection(("192.0.2.2", int(sys.argv[1])), timeout=3)
s.sendall(b"hello\n")
time.sleep(float(sys.argv[2]))
PYEOF
ip netns exec "$SRV" "$PY" "$BIN/server.py" "$PORT" >/dev/null 2>&1 &
PIDS+=($!)
for ((i = 0; i < 50; i++)); do
	ip netns exec "$SRV" ss -H -tln "sport = :$PORT" | grep -q . && break; sleep 0.1
done
ip netns exec "$CLI" "$WW" watch -i "$VC" -f "tcp port $PORT" --duration 12 >"$T/text.out" 2>"$T/text.err" &
W1=$!
PIDS+=($W1)
ip netns exec "$CLI" "$WW" watch -i "$VC" -f "tcp port $PORT" --json --record "$T/rec" --duration 12 \
	>"$T/live.json" 2>"$T/json.err" &
W2=$!
PIDS+=($W2)
for ((i = 0; i < 100; i++)); do [ -s "$T/rec/sockets.ndjson" ] && grep -q "watching\|attribution" "$T/text.err" && break; sleep 0.1; done
sleep 1
ip netns exec "$CLI" "$PY" "$BIN/client.py" "$PORT" 3 &
CPID=$!
PIDS+=($CPID)
seen=""
for ((i = 0; i < 30; i++)); do
	kill -0 "$CPID" 2>/dev/null || break
	grep -qE "^[0-2][0-9]:[0-5][0-9]:[0-5][0-9] new +[0-9]+ tcp +192\.0\.2\.1:[0-9]+ +192\.0\.2\.2:$PORT .*~\[$CPID\]$" \
		"$T/text.out" && { seen=yes; break; }
	sleep 0.1
done
open_then=no
kill -0 "$CPID" 2>/dev/null && open_then=yes
wait_pid "$CPID" 10
kill -TERM "$W1" "$W2" 2>/dev/null
wait_pid "$W1" 15; wait_pid "$W2" 15
[ "$seen" = yes ] && [ "$open_then" = yes ] \
	&& ok "a 'new' line with a time column while the flow is open, the name cut before [$CPID]" \
	|| fail "no 'new' line for the open flow: $(grep -E " (new|end) " "$T/text.out" | head -3)"
grep -qE "^[0-2][0-9]:[0-5][0-9]:[0-5][0-9] end +[0-9]+ tcp +192\.0\.2\.1:[0-9]+ +192\.0\.2\.2:$PORT .*\[$CPID\]$" "$T/text.out" \
	&& ok "and an 'end' line" || fail "no 'end' line: $(grep -E " (new|end) " "$T/text.out" | head -3)"
wide=$(grep -E "^[0-2][0-9]:[0-5][0-9]:[0-5][0-9] (new|end) " "$T/text.out" | awk 'length($0) > 100' | head -3)
[ -z "$wide" ] && ok "no flow line of the text stream is over 100 columns" || fail "lines over 100 columns: $wide"
LC_ALL=C grep -q $'\x1b' "$T/text.out" && fail "a raw ESC byte reached the terminal stream" \
	|| ok "the name's control bytes are escaped"
grep -qE ' \\u[^ ]*~\['"$CPID"'\]$' "$T/text.out" && ok "the escaped name starts the process column" \
	|| fail "escaped name not shown: $(grep -E " new " "$T/text.out" | head -2)"
HERE=$(dirname "$(readlink -f "$0")")
SPY=${WW_SCHEMA_PYTHON:-/usr/bin/python3}
SDIR=${WW_SCHEMA_DIR:-$HERE/../docs/schema}
"$SPY" "$HERE/schema_validate.py" "$SDIR" "$T/live.json" >"$T/schema.out" 2>&1 \
	&& ok "every record matches docs/schema/: $(tail -n 1 "$T/schema.out")" \
	|| { fail "records that do not match docs/schema/:"; head -n 20 "$T/schema.out"; }
"$PY" - "$T/live.json" "$PORT" "$CPID" <<'PYEOF' || FAIL=1
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
port, cpid = int(sys.argv[2]), int(sys.argv[3])
f = [r for r in recs if r['type'] == 'flow' and r.get('dst_port') == port]
ok = len(f) == 1 and (f[0].get('process') or {}).get('pid') == cpid \
     and f[0]['process'].get('comm') == '\x1b[2Jwwevil-name'   # the kernel keeps 15 bytes
print(("ok   - " if ok else "FAIL - ") + f"--json names the process by its whole comm: "
      f"{[(r.get('process') or {}).get('comm') for r in f]}")
sys.exit(0 if ok else 1)
PYEOF
[ "$FAIL" = 0 ] || { echo "--- text stream"; head -n 8 "$T/text.out"; exit 1; }
echo "all live-text checks passed"
exit 0
