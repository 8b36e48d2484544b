#!/bin/bash
# kattr_who_e2e.sh - who the process is (#12.4) and what the kernel engine
# saw, recorded and replayed (#12.5), from real processes.
#
# Two network namespaces joined by a veth pair; TCP and UDP sinks (python3)
# on the server side. On the client side a shell (sh) runs the client
# (python3 with a script file, or socat) as its child, from inside a cgroup
# named as docker names a container's (docker-<64 hex>.scope, made by this
# test in the cgroup v2 hierarchy), while `wirewho watch --hash-exe` runs
# beside them. Checks, each a sentence:
#   - with either engine (--attribution bpf, --attribution proc) a client
#     that holds its connection is named with its parent (the shell: pid,
#     comm, exe), its command line, its program's SHA-256 (as sha256sum
#     says) and its container (runtime docker, the cgroup's id); so is a
#     socat UDP client;
#   - with the kernel engine, clients that connect, send and exit at once
#     (kattr_client) are named with their parent and command line too, some
#     of them from the exec record alone (gone before /proc could be read);
#   - a policy rule `parent=sh container=docker:<id>` explains them: no
#     unexplained_process alert for them, and one for a rule that does not;
#   - `watch --record` with the kernel engine and short-lived clients writes
#     the engine's record beside each binding (kernel_tid, kernel_cgroup),
#     and `replay --sockets` of the recording names the same pid, comm,
#     parent and command line for every flow as the live run did;
#   - every record, and the timeline, match the JSON Schemas.
# Needs root and a cgroup v2 hierarchy; exits 77 (skipped) otherwise, and
# the kernel engine's checks are skipped when it cannot load. Bounded: every
# wait has a limit; everything started is stopped by pid, the namespaces
# deleted by name and the cgroup removed on exit.
#
# usage: kattr_who_e2e.sh WIREWHO_BINARY KATTR_CLIENT
set -u

WW=${1:-}
CL=${2:-}
[ -x "$WW" ] && [ -x "$CL" ] || { echo "usage: $0 WIREWHO_BINARY KATTR_CLIENT" >&2; exit 2; }
WW=$(readlink -f "$WW")
CL=$(readlink -f "$CL")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v ip >/dev/null && command -v socat >/dev/null || { echo "SKIP: ip or socat missing"; exit 77; }
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: /usr/bin/python3 missing"; exit 77; }
HERE=$(dirname "$(readlink -f "$0")")

ID=$$
CLI=wwwho-cli-$ID
SRV=wwwho-srv-$ID
VC=wwwh-c$((ID % 100000))
VS=wwwh-s$((ID % 100000))
T=$(mktemp -d /tmp/wwwho-e2e.XXXXXX)
FAIL=0

# A cgroup named as docker's systemd driver names a container's scope.
CG2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
[ -n "$CG2" ] && [ -w "$CG2" ] || { echo "SKIP: no writable cgroup v2 hierarchy"; exit 77; }
CID=$(printf 'wirewho-who-%s-%s' "$ID" "$(date +%s%N)" | sha256sum | cut -c1-64)
CGP=$CG2/wwwho-$ID.slice
CGD=$CGP/docker-$CID.scope
mkdir -p "$CGD" || { echo "SKIP: cannot make a cgroup"; exit 77; }

NSES=("$CLI" "$SRV")
. "$HERE/../scripts/netns-lib.sh"
# the cgroups go after the processes in them (netns-lib's cleanup runs first)
cleanup_all() {
	cleanup
	for ((i = 0; i < 20; i++)); do rmdir "$CGD" 2>/dev/null; [ -d "$CGD" ] || break; sleep 0.1; done
	rmdir "$CGP" 2>/dev/null
}
trap cleanup_all EXIT

ok()   { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAIL=1; }

two_hosts_v4   # netns-lib.sh: 192.0.2.1 ($CLI) -- 192.0.2.2 ($SRV)
cp "$CL" "$T/kattr_client" || exit 1   # where the namespace's exec sees it
CL=$T/kattr_client

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
    await loop.create_datagram_endpoint(Udp, local_addr=('192.0.2.2', 9100))
    srv = await asyncio.start_server(tcp, '192.0.2.2', 9100, backlog=1024)
    async with srv: await srv.serve_forever()
asyncio.run(main())
EOF
# The client: connect, send one line, hold HOLD seconds, exit.
cat > "$T/client.py" <<'EOF'
import socket, sys, time
s = socket.create_connection(('192.0.2.2', 9100))
s.sendall(b'who am i\n')
time.sleep(float(sys.argv[2]))
EOF
ip netns exec "$SRV" "$PY" "$T/sink.py" &
PIDS+=($!)
for ((i = 0; i < 50; i++)); do ip netns exec "$SRV" ss -Htln "sport = :9100" | grep -q . && break; sleep 0.1; done

cat > "$T/policy" <<EOF
allow comm=python3 parent=sh container=docker:$CID dir=out
allow comm=socat parent=/usr/bin/dash,/bin/dash container=docker:${CID:0:12}* dir=out
allow comm=kattr_client parent=sh container=* dir=out
EOF

start_watch() {
	local name=$1
	shift
	ip netns exec "$CLI" "$WW" watch -i "$VC" --json -f "port 9100" --duration 120 --hash-exe \
		--policy "$T/policy" "$@" >"$T/$name.json" 2>"$T/$name.err" &
	WPID=$!
	PIDS+=($WPID)
	for ((i = 0; i < 100; i++)); do
		grep -q "attribution engine" "$T/$name.err" 2>/dev/null && break
		kill -0 $WPID 2>/dev/null || break
		sleep 0.1
	done
	sleep 0.5
}

stop_watch() {
	kill -TERM $WPID 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 $WPID 2>/dev/null || break
		sleep 0.1
	done
	wait $WPID
	WRC=$?
}

# Run COUNT chains "sh -> KIND" holding HOLD seconds, one after the other,
# in the container's cgroup; each line of FILE: the shell's pid, the client's
# pid (the shell's child). KIND: py (TCP, python3 client.py TAG HOLD),
# socat (UDP), kc (UDP, kattr_client: sends one datagram and exits at once,
# often before wirewho reads the packet).
chains() {
	local kind=$1 count=$2 hold=$3 file=$4
	# Into the cgroup first, from here: `ip netns exec` mounts a /sys of its
	# own, without the cgroup hierarchy. Children inherit the cgroup.
	for ((i = 0; i < count; i++)); do
		if [ "$kind" = kc ]; then
			# shellcheck disable=SC2016
			( echo $BASHPID >"$CGD/cgroup.procs" &&
			  exec ip netns exec "$CLI" /bin/sh -c '"$1" udp 192.0.2.2 9100 0 & echo "$$ $!"; wait' \
				sh "$CL" ) >>"$file"
		elif [ "$kind" = py ]; then
			# shellcheck disable=SC2016
			( echo $BASHPID >"$CGD/cgroup.procs" &&
			  exec ip netns exec "$CLI" /bin/sh -c '"$1" "$2" "tag-$3" "$4" & echo "$$ $!"; wait' \
				sh "$PY" "$T/client.py" "$i" "$hold" ) >>"$file"
		else
			# shellcheck disable=SC2016
			( echo $BASHPID >"$CGD/cgroup.procs" &&
			  exec ip netns exec "$CLI" /bin/sh -c '(echo who; sleep "$1") | socat - UDP:192.0.2.2:9100 & echo "$$ $!"; wait' \
				sh "$hold" ) >>"$file"
		fi
	done
}

PY_SHA=$(sha256sum "$(readlink -f "$PY")" | cut -c1-64)
SOCAT_SHA=$(sha256sum "$(readlink -f "$(command -v socat)")" | cut -c1-64)
KC_SHA=$(sha256sum "$CL" | cut -c1-64)

# check NAME KIND PIDFILE STATUS: every chain of PIDFILE has a flow named
# after its client, with the shell as parent, the command line, the
# program's SHA-256 and the container; status STATUS; no unexplained_process
# alert for it.
check() {
	"$PY" - "$T/$1.json" "$2" "$T/$3" "$4" "$CID" "$PY_SHA" "$SOCAT_SHA" "$T/client.py" "$KC_SHA" "$CL" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
kind, status, cid, py_sha, socat_sha, script = sys.argv[2], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7], sys.argv[8]
kc_sha, kc = sys.argv[9], sys.argv[10]
proto = 'tcp' if kind == 'py' else 'udp'
comms = {'py': 'python3', 'socat': 'socat', 'kc': 'kattr_client'}
shas = {'py': py_sha, 'socat': socat_sha, 'kc': kc_sha}
exited = 0
chains = [tuple(map(int, l.split())) for l in open(sys.argv[3]) if l.strip()]
flows = {}
for r in recs:
    if r['type'] == 'flow' and r['proto'] == proto and r['dst_port'] == 9100 and r.get('process'):
        flows[r['process']['pid']] = r
alerted = {r['process']['pid'] for r in recs
           if r['type'] == 'alert' and r['kind'] == 'unexplained_process' and r.get('process')}
bad = []
for i, (sh, child) in enumerate(chains):
    f = flows.get(child)
    if not f:
        bad.append(f"chain {sh}->{child}: no flow names the client")
        continue
    p = f['process']
    want_cmd = {'py': f"/usr/bin/python3 {script} tag-{i}", 'socat': "socat - UDP:192.0.2.2:9100",
                'kc': f"{kc} udp 192.0.2.2 9100 0"}[kind]
    exited += 'exited' in f['attribution']['reason']
    problems = []
    if f['attribution']['status'] != status:
        problems.append(f"status {f['attribution']['status']} ({f['attribution']['reason']})")
    if p['comm'] != comms[kind]:
        problems.append(f"comm {p['comm']}")
    if p['ppid'] != sh or not p['parent'] or p['parent']['pid'] != sh:
        problems.append(f"ppid {p['ppid']} parent {p['parent']}")
    # the resolved program while the shell lives; once it has exited before
    # its exec record was read, the path it was started by (records.md)
    elif p['parent']['comm'] != 'sh' or not ((p['parent']['exe'] or '').endswith('dash') or
                                             (kind == 'kc' and p['parent']['exe'] == '/bin/sh')):
        problems.append(f"parent {p['parent']}")
    if not (p['cmdline'] or '').startswith(want_cmd):
        problems.append(f"cmdline {p['cmdline']!r}, not {want_cmd!r}...")
    if p.get('exe_sha256') != shas[kind]:
        problems.append(f"exe_sha256 {p.get('exe_sha256')}")
    if p.get('container') != {'runtime': 'docker', 'id': cid}:
        problems.append(f"container {p.get('container')}")
    if p.get('unit') != f"docker-{cid}.scope":
        problems.append(f"unit {p.get('unit')}")
    if child in alerted:
        problems.append("an unexplained_process alert despite the parent=/container= rule")
    if problems:
        bad.append(f"chain {sh}->{child}: " + "; ".join(problems))
for b in bad[:6]:
    print("   ", b)
print(f"    {len(chains) - len(bad)}/{len(chains)} {kind} chains named with parent, cmdline, sha256, container ({status}); "
      f"{exited} had exited by their first packet")
# how many were gone is the scheduler's (test_kattr proves the exec record's
# command line and parent for a client that surely exited)
sys.exit(1 if bad or not chains else 0)
EOF
}

ENGINE_OK=1
# --- 1. the kernel engine ---------------------------------------------------------
start_watch bpf --attribution bpf
if ! grep -q "attribution engine: bpf" "$T/bpf.err"; then
	echo "note: the kernel engine cannot run here: its checks are skipped"; cat "$T/bpf.err"
	ENGINE_OK=0
	stop_watch
else
	: >"$T/bpf-held.pids"; : >"$T/bpf-gone.pids"; : >"$T/bpf-udp.pids"
	chains py 3 1 "$T/bpf-held.pids"
	chains kc 8 0 "$T/bpf-gone.pids"
	chains socat 3 1 "$T/bpf-udp.pids"
	sleep 1
	stop_watch
	[ "$WRC" = 0 ] || fail "watch --attribution bpf exits 0 (got $WRC)"
	check bpf py bpf-held.pids kernel &&
		ok "--attribution bpf: sh -> python3 holding its connection: parent, cmdline, sha256, container" ||
		fail "--attribution bpf: sh -> python3 holding its connection: parent, cmdline, sha256, container"
	check bpf kc bpf-gone.pids kernel &&
		ok "--attribution bpf: sh -> kattr_client that sent and exited at once: the same, from the kernel's records" ||
		fail "--attribution bpf: sh -> kattr_client that sent and exited at once: the same, from the kernel's records"
	check bpf socat bpf-udp.pids kernel &&
		ok "--attribution bpf: sh -> socat (UDP): parent, cmdline, sha256, container" ||
		fail "--attribution bpf: sh -> socat (UDP): parent, cmdline, sha256, container"
fi

# --- 2. the /proc + sock_diag engine ------------------------------------------------
start_watch proc --attribution proc
: >"$T/proc-held.pids"; : >"$T/proc-udp.pids"
chains py 3 1.5 "$T/proc-held.pids"
chains socat 3 1.5 "$T/proc-udp.pids"
sleep 1
stop_watch
[ "$WRC" = 0 ] || fail "watch --attribution proc exits 0 (got $WRC)"
check proc py proc-held.pids exact &&
	ok "--attribution proc: sh -> python3: parent, cmdline, sha256, container" ||
	fail "--attribution proc: sh -> python3: parent, cmdline, sha256, container"
check proc socat proc-udp.pids exact &&
	ok "--attribution proc: sh -> socat (UDP): parent, cmdline, sha256, container" ||
	fail "--attribution proc: sh -> socat (UDP): parent, cmdline, sha256, container"

# A rule that does not fit (another parent) leaves the process unexplained.
sed -i 's/parent=sh /parent=bash /' "$T/policy"
start_watch unexplained --attribution proc
: >"$T/unexp.pids"
chains py 1 1.5 "$T/unexp.pids"
sleep 1
stop_watch
child=$(awk '{print $2}' "$T/unexp.pids")
if grep '"kind":"unexplained_process"' "$T/unexplained.json" | grep -q "\"pid\":$child,"; then
	ok "a parent= rule naming another parent does not explain the client (unexplained_process)"
else
	fail "a parent= rule naming another parent does not explain the client (unexplained_process)"
fi
sed -i 's/parent=bash /parent=sh /' "$T/policy"

# --- 3. recorded with the kernel engine, replayed -----------------------------------
files=("$T/proc.json" "$T/unexplained.json")
if [ "$ENGINE_OK" = 1 ]; then
	files+=("$T/bpf.json")
	start_watch rec --attribution bpf --record "$T/rec"
	: >"$T/rec.pids"
	chains kc 6 0 "$T/rec.pids"
	chains py 3 0 "$T/rec.pids"
	sleep 1
	stop_watch
	"$WW" replay --json "$T/rec/capture.pcap" --sockets "$T/rec/sockets.ndjson" --policy "$T/policy" \
		>"$T/replay.json" 2>"$T/replay.err"
	RRC=$?
	files+=("$T/rec.json" "$T/replay.json")
	if [ "$RRC" = 0 ] && "$PY" - "$T/rec.json" "$T/replay.json" "$T/rec/sockets.ndjson" "$T/rec.pids" <<'EOF'
import json, sys
def flows(path):
    out = {}
    for l in open(path):
        r = json.loads(l)
        if r['type'] == 'flow' and r['dst_port'] == 9100:
            out[(r['proto'], r['src_port'])] = r
    return out
live, rep = flows(sys.argv[1]), flows(sys.argv[2])
tl = [json.loads(l) for l in open(sys.argv[3])]
kern = [r for r in tl if r.get('type') == 'socket' and r.get('status') == 'kernel']
children = {int(l.split()[1]) for l in open(sys.argv[4]) if l.strip()}
bad = []
named = 0
for k, f in live.items():
    r = rep.get(k)
    if not r:
        bad.append(f"{k}: not in the replay")
        continue
    a, b = f.get('process'), r.get('process')
    if a and a['pid'] in children:
        named += 1
    keys = ('pid', 'comm', 'exe', 'ppid', 'parent', 'cmdline', 'container', 'exe_sha256')
    if (a is None) != (b is None) or (a and any(a.get(x) != b.get(x) for x in keys)):
        bad.append(f"{k}: live {a and {x: a.get(x) for x in keys}} replay {b and {x: b.get(x) for x in keys}}")
    if r['attribution']['status'] != 'recorded' and a:
        bad.append(f"{k}: replay status {r['attribution']['status']}")
if named != len(children):
    bad.append(f"the live run named {named} of {len(children)} short-lived clients")
if not kern or not all('kernel_tid' in r and 'kernel_cgroup' in r and r.get('kernel_event') == 'flow' for r in kern):
    bad.append(f"timeline: {len(kern)} kernel bindings, not all with the engine's record")
for b in bad[:6]:
    print("   ", b)
print(f"    {len(live) - len(bad)}/{len(live)} flows the same in the replay; {len(kern)} kernel bindings")
sys.exit(1 if bad or not live else 0)
EOF
	then
		ok "--record with the kernel engine and clients that exit at once: replay --sockets names the same pid, comm, parent, cmdline per flow"
	else
		fail "--record with the kernel engine and clients that exit at once: replay --sockets names the same pid, comm, parent, cmdline per flow (replay exit $RRC)"
		cat "$T/replay.err"
	fi
	files+=("$T/rec/sockets.ndjson")
fi

# --- 4. every record against the schemas ---------------------------------------------
SPY=${WW_SCHEMA_PYTHON:-/usr/bin/python3}
SDIR=${WW_SCHEMA_DIR:-$HERE/../docs/schema}
if "$SPY" "$HERE/schema_validate.py" "$SDIR" "${files[@]}"; then
	ok "every record matches the JSON Schemas"
else
	fail "every record matches the JSON Schemas"
fi
exit $FAIL
