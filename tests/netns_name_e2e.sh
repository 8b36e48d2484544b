#!/bin/bash
# netns_name_e2e.sh - `wirewho sockets --all-netns` names a network
# namespace as `ip netns` does (#11 consistency): a socat listener in a
# namespace made by `ip netns add` has that name in its socket record
# ("netns_name"), the host's own sockets have none, and every record matches
# docs/schema/. Needs root; exits 77 otherwise. Bounded; the listener is
# stopped by pid, the namespace deleted by name.
#
# usage: netns_name_e2e.sh WIREWHO_BINARY
set -u
WW=${1:-}
[ -n "$WW" ] && [ -x "$WW" ] || { echo "usage: $0 WIREWHO_BINARY" >&2; exit 2; }
WW=$(readlink -f "$WW")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v socat >/dev/null 2>&1 || { echo "SKIP: socat missing"; exit 77; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
NS=wwnsname-$$
T=$(mktemp -d /tmp/wwnsname-e2e.XXXXXX)
FAIL=0
NSES=("$NS")
. "$(dirname "$(readlink -f "$0")")/../scripts/netns-lib.sh"
ok()   { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAIL=1; }

ip netns add "$NS" || { echo "SKIP: cannot create network namespaces"; exit 77; }
ip -n "$NS" link set lo up
PORT=$((20000 + $$ % 10000))
ip netns exec "$NS" socat -u TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr OPEN:/dev/null >/dev/null 2>&1 &
PIDS+=($!)
for ((i = 0; i < 50; i++)); do
	ip netns exec "$NS" ss -H -tln "sport = :$PORT" | grep -q . && break; sleep 0.1
done
"$WW" sockets --all-netns --json >"$T/sockets.json" 2>"$T/sockets.err" \
	|| fail "sockets --all-netns failed: $(cat "$T/sockets.err")"
HERE=$(dirname "$(readlink -f "$0")")
SPY=${WW_SCHEMA_PYTHON:-/usr/bin/python3}
SDIR=${WW_SCHEMA_DIR:-$HERE/../docs/schema}
"$SPY" "$HERE/schema_validate.py" "$SDIR" "$T/sockets.json" >"$T/schema.out" 2>&1 \
	&& ok "every record matches docs/schema/: $(tail -n 1 "$T/schema.out")" \
	|| { fail "records that do not match docs/schema/:"; head -n 20 "$T/schema.out"; }
"$PY" - "$T/sockets.json" "$NS" "$PORT" "$(stat -L -c %i /proc/self/ns/net)" <<'EOF' || FAIL=1
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
ns, port, host = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
bad = 0
def check(cond, msg):
    global bad
    print(("ok   - " if cond else "FAIL - ") + msg)
    bad |= not cond
mine = [r for r in recs if r['type'] == 'socket' and r['proto'] == 'tcp' and r['local_port'] == port
        and r['state'] == 'LISTEN']
check(len(mine) == 1 and mine[0].get('netns_name') == ns,
      f"the listener in namespace {ns} is named by it: {[(r['netns'], r.get('netns_name')) for r in mine]}")
hosts = [r for r in recs if r['type'] == 'socket' and r['netns'] == host]
check(all('netns_name' not in r for r in hosts), f"the host's own {len(hosts)} sockets have no netns_name")
sys.exit(1 if bad else 0)
EOF
[ "$FAIL" = 0 ] || exit 1
echo "all netns-name checks passed"
exit 0
