#!/bin/bash
# any_loopback_e2e.sh - under `watch -i any`, traffic to a loopback-only
# listener follows the same "ignored" rule as `sockets` (issue #11
# consistency). In a network namespace the test makes (lo and a dummy
# interface with 192.0.2.2), python3 serves HTTP on 127.0.0.1:80 (loopback
# only) and on 192.0.2.2:80 (one interface), each answer held back 0.4 s so
# the connections live long enough to be attributed. Under one policy
# (explaining neither):
#   - `sockets` calls the 127.0.0.1 listener "ignored" ("loopback only") and
#     raises nothing about it, and the 192.0.2.2 listener "review";
#   - `watch -i any` sees curl's flows to both; the loopback one raises no
#     alert (before: unexplained_process for curl), the other one does;
#   - every record matches docs/schema/.
# Needs root; exits 77 otherwise. Bounded; every process is stopped by pid,
# the namespace deleted by name.
#
# usage: any_loopback_e2e.sh WIREWHO_BINARY
set -u
WW=${1:-}
[ -n "$WW" ] && [ -x "$WW" ] || { echo "usage: $0 WIREWHO_BINARY" >&2; exit 2; }
WW=$(readlink -f "$WW")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for p in ip ss curl; do
	command -v "$p" >/dev/null 2>&1 || { echo "SKIP: $p missing"; exit 77; }
done
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
NS=wwanylo-$$
T=$(mktemp -d /tmp/wwanylo-e2e.XXXXXX)
BIN=$(mktemp -d /var/lib/wwanylo-bin.XXXXXX)   # not /tmp: no temp_script indicator
DIRS=("$BIN")
NSES=("$NS")
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

ip netns add "$NS" || { echo "SKIP: cannot create network namespaces"; exit 77; }
ip -n "$NS" link set lo up
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
if ! ip -n "$NS" link add wwd0 type dummy 2>/dev/null; then
	# no dummy module: one end of a veth pair, both ends in the namespace
	ip -n "$NS" link add wwd0 type veth peer name wwd1 || exit 1
	ip -n "$NS" link set wwd1 up
fi
ip -n "$NS" addr add 192.0.2.2/24 dev wwd0
ip -n "$NS" link set wwd0 up
# HTTP's own port on both: a port mismatch (a judgement of the bytes, not of
# the socket, made on loopback too) does not enter the comparison
PL=80; PC=80

cat >"$BIN/slowhttp.py" <<'PYEOF'
import http.server, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(float(sys.argv[3]))
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
PYEOF
ip netns exec "$NS" "$PY" "$BIN/slowhttp.py" 127.0.0.1 "$PL" 0.4 >/dev/null 2>&1 &
PIDS+=($!)
ip netns exec "$NS" "$PY" "$BIN/slowhttp.py" 192.0.2.2 "$PC" 0.4 >/dev/null 2>&1 &
PIDS+=($!)
for ((i = 0; i < 100; i++)); do
	[ "$(ip netns exec "$NS" ss -H -tln | grep -c ":$PL ")" = 2 ] && break
	sleep 0.1
done
# a policy that is present (so flows are judged) and explains neither server
echo "allow comm=sshd proto=tcp port=22" >"$T/policy"

ip netns exec "$NS" "$WW" sockets --json --policy "$T/policy" >"$T/sockets.json" 2>"$T/sockets.err" \
	|| fail "sockets failed: $(cat "$T/sockets.err")"
ip netns exec "$NS" "$WW" watch -i any --json --policy "$T/policy" --record "$T/rec" \
	--duration 60 >"$T/live.json" 2>"$T/watch.err" &
WPID=$!
PIDS+=($WPID)
for ((i = 0; i < 100; i++)); do [ -s "$T/rec/sockets.ndjson" ] && break; sleep 0.1; done
sleep 0.3
for url in "http://127.0.0.1:$PL/" "http://192.0.2.2:$PC/"; do
	ip netns exec "$NS" curl -s -m 10 "$url" </dev/null >/dev/null 2>&1 &
	CP=$!
	PIDS+=($CP)
	wait_pid "$CP" 15 || echo "note: curl $url was killed after 15 s" >&2
done
sleep 0.5
kill -TERM "$WPID"
wait_pid "$WPID" 15 || fail "watch did not stop within 15 s of SIGTERM"

HERE=$(dirname "$(readlink -f "$0")")
SPY=${WW_SCHEMA_PYTHON:-/usr/bin/python3}
SDIR=${WW_SCHEMA_DIR:-$HERE/../docs/schema}
"$SPY" "$HERE/schema_validate.py" "$SDIR" "$T/sockets.json" "$T/live.json" >"$T/schema.out" 2>&1 \
	&& ok "every record matches docs/schema/: $(tail -n 1 "$T/schema.out")" \
	|| { fail "records that do not match docs/schema/:"; head -n 20 "$T/schema.out"; }
"$PY" - "$T/sockets.json" "$T/live.json" "$PL" "$PC" <<'PYEOF' || FAIL=1
import json, sys
sk = [json.loads(l) for l in open(sys.argv[1])]
live = [json.loads(l) for l in open(sys.argv[2])]
pl, pc = int(sys.argv[3]), int(sys.argv[4])
bad = 0
def check(cond, msg):
    global bad
    print(("ok   - " if cond else "FAIL - ") + msg)
    bad |= not cond
def listener(ip, port):
    return [r for r in sk if r['type'] == 'socket' and r['proto'] == 'tcp' and r['local_port'] == port
            and r['state'] == 'LISTEN' and r['local_ip'] == ip]
def sock_alerts(ip, port):
    return [a for a in sk if a['type'] == 'alert' and a.get('local_port') == port and a.get('local_ip') == ip]
lo, ifc = listener('127.0.0.1', pl), listener('192.0.2.2', pc)
check(len(lo) == 1 and lo[0]['verdict'] == 'ignored' and lo[0]['reason'] == 'loopback only'
      and not sock_alerts('127.0.0.1', pl),
      f"sockets: the 127.0.0.1:{pl} listener is ignored, loopback only, no alert: "
      f"{[(r['verdict'], r['reason']) for r in lo]}")
check(len(ifc) == 1 and ifc[0]['verdict'] == 'review' and sock_alerts('192.0.2.2', pc),
      f"sockets: the 192.0.2.2:{pc} listener needs review: {[(r['verdict'], r['reason']) for r in ifc]}")
flows = lambda ip, port: [r for r in live if r['type'] == 'flow' and r.get('dst_port') == port
                          and r['dst_ip'] == ip]
falerts = lambda ip, port: [a for a in live if a['type'] == 'alert' and a.get('dst_port') == port
                            and a.get('dst_ip') == ip]
check(len(flows('127.0.0.1', pl)) >= 1,
      f"watch -i any saw the flow to 127.0.0.1:{pl}: "
      f"{[(f['src_ip'], f['dst_ip'], (f.get('process') or {}).get('comm')) for f in flows('127.0.0.1', pl)]}")
check(not falerts('127.0.0.1', pl),
      f"and, as sockets, raises nothing about it: {[(a['kind'], a['message']) for a in falerts('127.0.0.1', pl)]}")
check(len(flows('192.0.2.2', pc)) >= 1 and any(a['kind'] == 'unexplained_process' for a in falerts('192.0.2.2', pc)),
      f"the flow to 192.0.2.2:{pc} is judged, as its listener is reviewed: "
      f"{[(a['kind'], a['severity']) for a in falerts('192.0.2.2', pc)]}")
sys.exit(1 if bad else 0)
PYEOF
[ "$FAIL" = 0 ] || { echo "--- watch stderr"; head -n 20 "$T/watch.err"; exit 1; }
echo "all -i any loopback checks passed"
exit 0
