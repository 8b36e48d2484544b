#!/bin/bash
# twins_e2e.sh - a UDP socket is a TCP listener's twin by the process tree
# (issue #11.1, "same executable, or the same process tree"), from real
# processes in a network namespace the test makes:
#   - a python3 "daemon" listens on TCP P1 and starts socat (another
#     executable, holding none of its sockets) receiving UDP P1: the UDP
#     socket is the listener's twin, `twin_of` says by "process_tree" and
#     names the daemon's pid, and it takes the listener's verdict;
#   - the same daemon listens on TCP P2, and a socat on UDP P2 descends from
#     it through a shell that leads its own session (as a program started
#     from an ssh login descends from sshd's master): not a twin, reviewed,
#     its alert names socat;
#   - a python3 listener on TCP P3 and a socat on UDP P3, both children of
#     this script (siblings): not twins;
#   - every record matches docs/schema/.
# Needs root; exits 77 otherwise. Bounded waits; every process is stopped by
# its pid, its process group's id, or as a pid of the test's namespace
# (`ip netns pids`), the namespace deleted by name.
#
# usage: twins_e2e.sh WIREWHO_BINARY
set -u
WW=${1:-}
[ -n "$WW" ] && [ -x "$WW" ] || { echo "usage: $0 WIREWHO_BINARY" >&2; exit 2; }
WW=$(readlink -f "$WW")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for p in ip ss socat setsid; do
	command -v "$p" >/dev/null 2>&1 || { echo "SKIP: $p missing"; exit 77; }
done
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
SOCAT=$(command -v socat)
NS=wwtwins-$$
T=$(mktemp -d /tmp/wwtwins-e2e.XXXXXX)
BIN=$(mktemp -d /var/lib/wwtwins-bin.XXXXXX)   # not /tmp: no temp_script indicator
DIRS=("$BIN")
NSES=("$NS")
FAIL=0
. "$(dirname "$(readlink -f "$0")")/../scripts/netns-lib.sh"
GROUPS_TO_KILL=()
stop_groups() {
	for g in "${GROUPS_TO_KILL[@]}"; do kill -- "-$g" 2>/dev/null; done
	# and whatever else still runs in the test's own namespace, by pid
	PIDS+=($(ip netns pids "$NS" 2>/dev/null))
	sleep 0.2
	for g in "${GROUPS_TO_KILL[@]}"; do kill -9 -- "-$g" 2>/dev/null; done
	cleanup
}
trap stop_groups EXIT
ok()   { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAIL=1; }

ip netns add "$NS" || { echo "SKIP: cannot create network namespaces"; exit 77; }
ip -n "$NS" link set lo up
B=$((20000 + $$ % 10000))
P1=$B; P2=$((B + 1)); P3=$((B + 2))

cat >"$BIN/daemon.py" <<'PYEOF'
import os, socket, subprocess, sys, time
socat, p1, p2, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ls = []
for p in (p1, p2):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", p))
    s.listen(8)
    ls.append(s)
# close_fds (the default): the helpers hold none of the daemon's sockets
helper = subprocess.Popen([socat, "-u", f"UDP-RECV:{p1}", "OPEN:/dev/null"])
# setsid execs in place (a Popen child leads no group), so the shell leads a
# new session; the trailing ':' keeps sh from exec'ing socat
login = subprocess.Popen(["setsid", "sh", "-c", f"{socat} -u UDP-RECV:{p2} OPEN:/dev/null; :"])
with open(out + ".tmp", "w") as f:
    f.write(f"{os.getpid()} {helper.pid} {login.pid}\n")
os.rename(out + ".tmp", out)
time.sleep(120)   # bounded: the test stops it long before
PYEOF
ip netns exec "$NS" "$PY" "$BIN/daemon.py" "$SOCAT" "$P1" "$P2" "$T/pids" >/dev/null 2>&1 &
PIDS+=($!)
ip netns exec "$NS" "$PY" -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', $P3)); s.listen(8); time.sleep(120)" >/dev/null 2>&1 &
PIDS+=($!)
ip netns exec "$NS" "$SOCAT" -u UDP-RECV:$P3 OPEN:/dev/null >/dev/null 2>&1 &
PIDS+=($!)
for ((i = 0; i < 100; i++)); do
	[ -s "$T/pids" ] && [ "$(ip netns exec "$NS" ss -H -uln | grep -c ":\($P1\|$P2\|$P3\) ")" = 3 ] \
		&& [ "$(ip netns exec "$NS" ss -H -tln | grep -c ":\($P1\|$P2\|$P3\) ")" = 3 ] && break
	sleep 0.1
done
read -r DPID HPID LPID <"$T/pids" || { fail "the daemon did not start"; exit 1; }
PIDS+=("$HPID")
GROUPS_TO_KILL+=("$LPID")   # the session's shell leads its group: socat is in it

ip netns exec "$NS" "$WW" sockets --json >"$T/sockets.json" 2>"$T/sockets.err" \
	|| fail "sockets failed: $(cat "$T/sockets.err")"
HERE=$(dirname "$(readlink -f "$0")")
SPY=${WW_SCHEMA_PYTHON:-/usr/bin/python3}
SDIR=${WW_SCHEMA_DIR:-$HERE/../docs/schema}
"$SPY" "$HERE/schema_validate.py" "$SDIR" "$T/sockets.json" >"$T/schema.out" 2>&1 \
	&& ok "every record matches docs/schema/: $(tail -n 1 "$T/schema.out")" \
	|| { fail "records that do not match docs/schema/:"; head -n 20 "$T/schema.out"; }
"$PY" - "$T/sockets.json" "$P1" "$P2" "$P3" "$DPID" <<'PYEOF' || FAIL=1
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
p1, p2, p3, dpid = (int(x) for x in sys.argv[2:6])
bad = 0
def check(cond, msg):
    global bad
    print(("ok   - " if cond else "FAIL - ") + msg)
    bad |= not cond
def udp(port):
    return [r for r in recs if r['type'] == 'socket' and r['proto'] == 'udp' and r['local_port'] == port]
def tcp(port):
    return [r for r in recs if r['type'] == 'socket' and r['proto'] == 'tcp' and r['local_port'] == port
            and r['state'] == 'LISTEN']
def alert_on(port):
    return [a for a in recs if a['type'] == 'alert' and a['kind'] == 'unexplained_udp'
            and a.get('local_port') == port]
u1, t1 = udp(p1), tcp(p1)
check(len(u1) == 1 and u1[0].get('twin_of', {}).get('by') == 'process_tree'
      and u1[0]['twin_of'].get('pid') == dpid and u1[0]['twin_of'].get('local_port') == p1
      and t1 and u1[0]['twin_of'].get('inode') == t1[0]['inode'],
      f"the daemon's helper (socat, another exe) on UDP {p1} is the twin of the daemon's "
      f"TCP listener by process tree, and says whose: {[r.get('twin_of') for r in u1]}")
check(len(u1) == 1 and len(t1) == 1 and u1[0]['verdict'] == t1[0]['verdict']
      and u1[0]['reason'].startswith('udp twin') and not alert_on(p1),
      f"it takes the listener's verdict and raises no alert: {[(r['verdict'], r['reason']) for r in u1]}")
u2 = udp(p2)
check(len(u2) == 1 and 'twin_of' not in u2[0] and u2[0]['verdict'] == 'review',
      f"socat on UDP {p2}, below the daemon through another session, is no twin: "
      f"{[(r['verdict'], r['reason'], r.get('twin_of')) for r in u2]}")
a2 = alert_on(p2)
check(len(a2) == 1 and a2[0].get('process', {}).get('comm') == 'socat',
      f"its alert names socat: {[(a.get('process', {}).get('comm'), a['message']) for a in a2]}")
u3 = udp(p3)
check(len(u3) == 1 and 'twin_of' not in u3[0] and len(alert_on(p3)) == 1,
      f"a socat on UDP {p3} beside a sibling's TCP listener is no twin: "
      f"{[(r['verdict'], r['reason']) for r in u3]}")
sys.exit(1 if bad else 0)
PYEOF
[ "$FAIL" = 0 ] || exit 1
echo "all twin checks passed"
exit 0
