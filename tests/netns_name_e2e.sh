#!/bin/bash
# netns_name_e2e.sh - `wirewho sockets --all-netns` names a network
# namespace as `ip netns` does (#11 consistency): a socat listener in a
# namespace made by `ip netns add` has that name in its socket record
# ("netns_name"), the host's own sockets have none, and every record matches
# docs/schema/. And the container, when one is known: a second namespace's
# socat runs in its own PID namespace (unshare --pid) and in a docker-like
# cgroup (cgroup v2: .../docker-<64 hex>.scope): its records carry
# "container" {"runtime": "docker", "id"}, its process the host's pid and
# "ns_pid" 1, and the text table shows NAME/docker:<12 hex> and PID(ns:1)
# with a note that says what the pids are. Needs root; exits 77 otherwise.
# Bounded; the listeners are stopped by pid, the namespaces deleted by name,
# the cgroups removed by path.
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
NS2=wwnsctr-$$
T=$(mktemp -d /tmp/wwnsname-e2e.XXXXXX)
FAIL=0
NSES=("$NS" "$NS2")
. "$(dirname "$(readlink -f "$0")")/../scripts/netns-lib.sh"
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
HEX=$(printf 'ee%062x' $$)
CGP=${CG2:+$CG2/wwnsctr-$$.slice}
CGD=${CGP:+$CGP/docker-$HEX.scope}
cleanup_all() {
	PIDS+=($(ip netns pids "$NS2" 2>/dev/null))   # the container's processes, by pid
	cleanup
	for ((i = 0; i < 50; i++)); do
		[ -z "$CGD" ] || [ ! -d "$CGD" ] || rmdir "$CGD" 2>/dev/null
		[ -z "$CGP" ] || [ ! -d "$CGP" ] || rmdir "$CGP" 2>/dev/null
		[ -z "$CGP" ] || [ ! -d "$CGP" ] || { sleep 0.1; continue; }
		break
	done
}
trap cleanup_all EXIT
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
# the "container": its own network and PID namespaces, a docker scope's cgroup
HAVE_CTR=0
PORT2=$((PORT + 1))
if [ -n "$CG2" ] && command -v unshare >/dev/null 2>&1 && ip netns add "$NS2"; then
	ip -n "$NS2" link set lo up
	ip netns exec "$NS2" unshare --pid --fork "$(command -v socat)" -u \
		TCP-LISTEN:$PORT2,bind=127.0.0.1,reuseaddr OPEN:/dev/null >/dev/null 2>&1 &
	UPID=$!
	PIDS+=("$UPID")
	CPID=
	for ((i = 0; i < 50; i++)); do
		CPID=$(ps -o pid= --ppid "$UPID" | tr -d ' ' | head -n 1)
		[ -n "$CPID" ] && ip netns exec "$NS2" ss -H -tln "sport = :$PORT2" | grep -q . && break
		sleep 0.1
	done
	if [ -n "$CPID" ] && mkdir -p "$CGD" && echo "$CPID" >"$CGD/cgroup.procs"; then
		PIDS+=("$CPID")
		HAVE_CTR=1
	else
		fail "could not put the container's process into $CGD"
	fi
else
	echo "note - no cgroup v2 or unshare: the container checks are not run"
fi
"$WW" sockets --all-netns --json >"$T/sockets.json" 2>"$T/sockets.err" \
	|| fail "sockets --all-netns failed: $(cat "$T/sockets.err")"
"$WW" sockets --all-netns --all >"$T/sockets.txt" 2>"$T/sockets.err" \
	|| fail "sockets --all-netns --all failed: $(cat "$T/sockets.err")"
if [ "$HAVE_CTR" = 1 ]; then
	L=$(grep -E "127\.0\.0\.1:$PORT2 " "$T/sockets.txt")
	echo "$L" | grep -qF "$NS2/docker:${HEX:0:12}" && echo "$L" | grep -qF "$CPID(ns:1)/socat" \
		&& ok "the table names the namespace and its container and marks the pid: $L" \
		|| fail "the table's line for the container's listener: '$L'"
	grep -q "^Pids are as this host's PID namespace numbers them" "$T/sockets.txt" \
		&& ok "the table says what its pids are" \
		|| fail "no note on PID namespaces: $(tail -n 3 "$T/sockets.txt")"
fi
HERE=$(dirname "$(readlink -f "$0")")
SPY=${WW_SCHEMA_PYTHON:-/usr/bin/python3}
SDIR=${WW_SCHEMA_DIR:-$HERE/../docs/schema}
"$SPY" "$HERE/schema_validate.py" "$SDIR" "$T/sockets.json" >"$T/schema.out" 2>&1 \
	&& ok "every record matches docs/schema/: $(tail -n 1 "$T/schema.out")" \
	|| { fail "records that do not match docs/schema/:"; head -n 20 "$T/schema.out"; }
"$PY" - "$T/sockets.json" "$NS" "$PORT" "$(stat -L -c %i /proc/self/ns/net)" \
	"$HAVE_CTR" "$NS2" "$PORT2" "$HEX" "${CPID:-0}" <<'EOF' || FAIL=1
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
ns, port, host = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
have_ctr, ns2, port2, hexid, cpid = sys.argv[5] == '1', sys.argv[6], int(sys.argv[7]), sys.argv[8], int(sys.argv[9])
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
check(len(mine) == 1 and 'container' not in mine[0] and 'ns_pid' not in mine[0]['processes'][0],
      f"namespace {ns}'s listener is in no container and our PID namespace: "
      f"{[(r.get('container'), r['processes']) for r in mine]}")
if have_ctr:
    c = [r for r in recs if r['type'] == 'socket' and r['proto'] == 'tcp' and r['local_port'] == port2
         and r['state'] == 'LISTEN']
    check(len(c) == 1 and c[0].get('netns_name') == ns2
          and c[0].get('container') == {'runtime': 'docker', 'id': hexid},
          f"the container's listener names its namespace and container: "
          f"{[(r.get('netns_name'), r.get('container')) for r in c]}")
    p = c[0]['processes'] if c else []
    check(len(p) == 1 and p[0]['pid'] == cpid and p[0].get('ns_pid') == 1,
          f"its process is shown by the host's pid {cpid}, and its own pid 1 as ns_pid: {p}")
sys.exit(1 if bad else 0)
EOF
[ "$FAIL" = 0 ] || exit 1
echo "all netns-name checks passed"
exit 0
