#!/bin/bash
# masquerade_e2e.sh - the indicators of every process object (#11.4), from
# real processes that hide what they are, each holding a TCP connection:
#   - a copy of socat run from /tmp as "cron"             -> temp_exe
#   - python3 renamed kworker/0:1 with prctl(PR_SET_NAME) -> comm_mismatch, kernel_thread_name
#   - perl that sets $0 to "[kworker/1:2]"               -> kernel_thread_name
#   - a copy of python3 that deletes itself, then connects -> deleted_exe (and temp_exe)
#   - socat exec'd from a memfd (python3 memfd_create + execve /proc/self/fd/N) -> memfd_exe
#   - python3 running a script from /tmp                  -> temp_script, script = its path
#   - /usr/bin/socat itself, the control                  -> no indicators
# Each is checked in `wirewho sockets --json` (the processes of its socket)
# and in `wirewho watch` (the process of its flow), and every record
# against docs/schema/. Needs root; exits 77 otherwise. Bounded; everything
# started is stopped by pid, the namespaces deleted by name.
#
# usage: masquerade_e2e.sh WIREWHO_BINARY
set -u
WW=${1:-}
[ -n "$WW" ] && [ -x "$WW" ] || { echo "usage: $0 WIREWHO_BINARY" >&2; exit 2; }
WW=$(readlink -f "$WW")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for p in ip socat perl; do
	command -v "$p" >/dev/null 2>&1 || { echo "SKIP: $p missing"; exit 77; }
done
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
SOCAT=$(command -v socat)

ID=$$
CLI=wwmasq-cli-$ID
SRV=wwmasq-srv-$ID
VC=wwmq-c$((ID % 100000))
VS=wwmq-s$((ID % 100000))
T=$(mktemp -d /tmp/wwmasq-e2e.XXXXXX)
FAIL=0
NSES=("$CLI" "$SRV")
. "$(dirname "$(readlink -f "$0")")/../scripts/netns-lib.sh"
ok()   { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAIL=1; }

two_hosts_v4   # netns-lib.sh: 192.0.2.1 ($CLI) -- 192.0.2.2 ($SRV)

# One server; every client holds its connection open until the end.
ip netns exec "$SRV" "$SOCAT" -u TCP-LISTEN:7000,fork,reuseaddr OPEN:/dev/null >/dev/null 2>&1 &
PIDS+=($!)
for ((i = 0; i < 50; i++)); do
	ip netns exec "$SRV" ss -H -tln "sport = :7000" | grep -q . && break; sleep 0.1
done

ip netns exec "$CLI" "$WW" watch -i "$VC" --json --record "$T/rec" --duration 60 \
	>"$T/live.json" 2>"$T/watch.err" &
WPID=$!
PIDS+=($WPID)
for ((i = 0; i < 50; i++)); do [ -s "$T/rec/sockets.ndjson" ] && break; sleep 0.1; done
sleep 0.3

declare -A WANT   # pid -> the case name
start() {   # name, command...: runs in the client namespace, stdin held open
	local name=$1; shift
	ip netns exec "$CLI" "$@" < <(sleep 40) >/dev/null 2>"$T/$name.err" &
	local pid=$!
	PIDS+=($pid)
	WANT[$pid]=$name
	# bounded: wait until it holds its connection
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$CLI" ss -H -tnp "dport = :7000" 2>/dev/null | grep -q "pid=$pid," && return 0
		sleep 0.1
	done
	echo "note: $name ($pid) holds no connection: $(cat "$T/$name.err")" >&2
}
CONNECT="import socket, time; s = socket.create_connection(('192.0.2.2', 7000)); time.sleep(40)"

mkdir -p "$T/bin"
cp "$SOCAT" "$T/bin/cron"
start cron "$T/bin/cron" - TCP:192.0.2.2:7000
start prctl "$PY" -c "import ctypes; ctypes.CDLL(None).prctl(15, b'kworker/0:1', 0, 0, 0); $CONNECT"
start perl0 perl -e 'use IO::Socket::INET; $0 = "[kworker/1:2]"; my $s = IO::Socket::INET->new("192.0.2.2:7000") or die; sleep 40'
# deletes its own executable before it connects (a copy of python3)
cp "$(readlink -f "$PY")" "$T/bin/gone"
start deleted "$T/bin/gone" -c "import os; os.unlink('$T/bin/gone'); $CONNECT"
start memfd "$PY" -c "
import os
fd = os.memfd_create('payload', 0)
os.write(fd, open('$SOCAT', 'rb').read())
os.execve('/proc/self/fd/%d' % fd, ['socat', '-', 'TCP:192.0.2.2:7000'], dict(os.environ))"
echo "$CONNECT" > "$T/bin/job.py"
start script "$PY" "$T/bin/job.py"
start control "$SOCAT" - TCP:192.0.2.2:7000
sleep 0.5

ip netns exec "$CLI" "$WW" sockets --json >"$T/sockets.json" 2>"$T/sockets.err" \
	|| fail "sockets --json failed: $(cat "$T/sockets.err")"
kill -TERM "$WPID"
for ((i = 0; i < 150; i++)); do kill -0 "$WPID" 2>/dev/null || break; sleep 0.1; done
wait "$WPID" 2>/dev/null; WRC=$?
[ "$WRC" = 0 ] && ok "watch stopped cleanly (exit 0)" || fail "watch exit $WRC: $(cat "$T/watch.err")"
"$WW" replay --sockets "$T/rec/sockets.ndjson" --json "$T/rec/capture.pcap" >"$T/replay.json" 2>"$T/replay.err" \
	|| fail "replay --sockets: $(cat "$T/replay.err")"

HERE=$(dirname "$(readlink -f "$0")")
SPY=${WW_SCHEMA_PYTHON:-/usr/bin/python3}
SDIR=${WW_SCHEMA_DIR:-$HERE/../docs/schema}
if "$SPY" "$HERE/schema_validate.py" "$SDIR" "$T/live.json" "$T/sockets.json" "$T/replay.json" \
	"$T/rec/sockets.ndjson" >"$T/schema.out" 2>&1; then
	ok "every record matches docs/schema/: $(tail -n 1 "$T/schema.out")"
else
	fail "records that do not match docs/schema/:"; head -n 40 "$T/schema.out"
fi

WANT_ARGS=()
for p in "${!WANT[@]}"; do WANT_ARGS+=("$p=${WANT[$p]}"); done
"$PY" - "$T/sockets.json" "$T/live.json" "$T/replay.json" "$T/bin" "${WANT_ARGS[@]}" <<'EOF' || FAIL=1
import json, sys
socks = [json.loads(l) for l in open(sys.argv[1])]
live = [json.loads(l) for l in open(sys.argv[2])]
rep = [json.loads(l) for l in open(sys.argv[3])]
tbin = sys.argv[4]
want = {int(a.split('=')[0]): a.split('=')[1] for a in sys.argv[5:]}
expect = {   # case -> (indicators that must be there, indicators that must not)
    'cron': ({'temp_exe'}, {'comm_mismatch', 'kernel_thread_name', 'deleted_exe'}),
    'prctl': ({'comm_mismatch', 'kernel_thread_name'}, {'temp_exe', 'deleted_exe'}),
    'perl0': ({'kernel_thread_name'}, {'temp_exe', 'deleted_exe'}),
    'deleted': ({'deleted_exe', 'temp_exe'}, {'memfd_exe', 'comm_mismatch'}),
    'memfd': ({'memfd_exe'}, {'deleted_exe', 'temp_exe'}),
    'script': ({'temp_script'}, {'comm_mismatch', 'temp_exe'}),
    'control': (set(), {'temp_exe', 'deleted_exe', 'memfd_exe', 'comm_mismatch',
                        'kernel_thread_name', 'temp_script'}),
}
bad = 0
def check(cond, msg):
    global bad
    print(("ok   - " if cond else "FAIL - ") + msg)
    bad |= not cond
def procs_of(pid):
    out = []
    for r in socks:
        if r['type'] == 'socket' and r['proto'] == 'tcp' and r.get('remote_port') == 7000:
            out += [p for p in r['processes'] if p['pid'] == pid]
    return out
for where, recs in (('watch', live), ('replay --sockets', rep)):
    for r in recs:
        if r['type'] == 'flow' and r['process']:
            check('indicators' in r['process'] and 'script' in r['process'],
                  f"{where}: a flow's process object has indicators and script")
            break
for pid, name in sorted(want.items(), key=lambda x: x[1]):
    must, mustnot = expect[name]
    sp = procs_of(pid)
    check(bool(sp), f"{name} (pid {pid}): sockets --json lists it as the owner of its connection")
    for p in sp[:1]:
        ind = set(p['indicators'])
        check(must <= ind and not (mustnot & ind),
              f"{name}: sockets shows indicators {sorted(ind)} (comm {p['comm']!r}, exe {p['exe']!r})")
    for where, recs in (('watch', live), ('replay --sockets', rep)):
        fl = [f for f in recs if f['type'] == 'flow' and f['process'] and f['process']['pid'] == pid]
        check(bool(fl), f"{name}: {where} attributes its flow to pid {pid}")
        for f in fl[:1]:
            ind = set(f['process']['indicators'])
            check(must <= ind and not (mustnot & ind),
                  f"{name}: {where} flow shows indicators {sorted(ind)}")
            if name == 'script':
                check(f['process']['script'] == tbin + '/job.py',
                      f"script: {where} names the script {f['process']['script']!r}")
            elif name == 'control':
                check(f['process']['script'] is None, f"control: {where} names no script")
sys.exit(1 if bad else 0)
EOF
if [ "$FAIL" != 0 ]; then
	echo "--- watch stderr"; cat "$T/watch.err"
	exit 1
fi
echo "all masquerade checks passed"
exit 0
