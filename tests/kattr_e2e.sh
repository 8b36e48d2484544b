#!/bin/bash
# kattr_e2e.sh - the kernel attribution engine, end to end, against
# short-lived clients.
#
# Two network namespaces joined by a veth pair; a TCP and a UDP sink
# (python3) on the server side. On the client side `wirewho watch` runs and
# clients (tests/kattr_client.c) connect or send one message and exit at
# once, one after the other. Checks, each a sentence:
#   - with --attribution bpf every client's flow names that client's pid and
#     program, status "kernel", though the client had exited before its
#     first packet could be looked up in /proc; stats say engine "bpf";
#   - once the engine is loaded wirewho holds no BPF capability (CAP_BPF,
#     CAP_PERFMON, CAP_NET_ADMIN, CAP_SYS_ADMIN are gone from CapEff);
#   - with --attribution proc the /proc + sock_diag path still attributes
#     clients that hold their connection (status "exact"); stats say "proc";
#   - when the kernel engine is refused (a missing BTF file through
#     WIREWHO_BTF; no CAP_BPF/CAP_PERFMON/CAP_SYS_ADMIN under capsh) one
#     stderr line says the proc engine runs and why, the stats record says
#     so, the run still attributes, and exits 0;
#   - every record matches the JSON Schemas in docs/schema/.
# Needs root; exits 77 (skipped) otherwise, and when the kernel engine is not
# built or cannot load here. Bounded: every wait has a limit; everything
# started is stopped by pid and the namespaces are deleted by name on exit.
#
# usage: kattr_e2e.sh WIREWHO_BINARY KATTR_CLIENT
set -u

WW=${1:-}
CL=${2:-}
[ -x "$WW" ] && [ -x "$CL" ] || { echo "usage: $0 WIREWHO_BINARY KATTR_CLIENT" >&2; exit 2; }
WW=$(readlink -f "$WW")
CL=$(readlink -f "$CL")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v ip >/dev/null && command -v python3 >/dev/null || { echo "SKIP: ip or python3 missing"; exit 77; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
HERE=$(dirname "$(readlink -f "$0")")

ID=$$
CLI=wwkattr-cli-$ID
SRV=wwkattr-srv-$ID
VC=wwka-c$((ID % 100000))
VS=wwka-s$((ID % 100000))
T=$(mktemp -d /tmp/wwkattr-e2e.XXXXXX)
FAIL=0
N=${KATTR_E2E_CLIENTS:-25}   # clients per protocol

NSES=("$CLI" "$SRV")
. "$HERE/../scripts/netns-lib.sh"

ok()   { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAIL=1; }

# The client must be runnable from inside the namespace: copy it where the
# namespace sees it (the build tree may be on a path exec'd under another name).
cp "$CL" "$T/kattr_client" || exit 1
CL=$T/kattr_client

two_hosts_v4   # netns-lib.sh: 192.0.2.1 ($CLI) -- 192.0.2.2 ($SRV)

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
    await loop.create_datagram_endpoint(Udp, local_addr=('192.0.2.2', 9000))
    srv = await asyncio.start_server(tcp, '192.0.2.2', 9000, backlog=1024)
    async with srv: await srv.serve_forever()
asyncio.run(main())
EOF
ip netns exec "$SRV" "$PY" "$T/sink.py" &
PIDS+=($!)
for ((i = 0; i < 50; i++)); do ip netns exec "$SRV" ss -Htln "sport = :9000" | grep -q . && break; sleep 0.1; done

# Start watch (args after the name) in the client namespace as $WPID, output
# in $T/NAME.json and .err; wait (bounded) until it says which engine runs.
# PREFIX (an env-style array) runs before it: capsh, env.
start_watch() {
	local name=$1
	shift
	ip netns exec "$CLI" "${PREFIX[@]}" "$WW" watch -i "$VC" --json -f "port 9000" --duration 120 "$@" \
		>"$T/$name.json" 2>"$T/$name.err" &
	WPID=$!
	PIDS+=($WPID)
	for ((i = 0; i < 100; i++)); do
		grep -q "attribution engine" "$T/$name.err" 2>/dev/null && break
		kill -0 $WPID 2>/dev/null || break
		sleep 0.1
	done
	sleep 0.5   # capture open, caches warm
}

# Stop watch (bounded) and keep its exit status in $WRC.
stop_watch() {
	kill -TERM $WPID 2>/dev/null
	WRC=
	for ((i = 0; i < 100; i++)); do
		kill -0 $WPID 2>/dev/null || break
		sleep 0.1
	done
	wait $WPID
	WRC=$?
}

# Run $N clients of PROTO holding HOLD ms, one after the other; pids into FILE.
clients() {
	local proto=$1 hold=$2 file=$3
	ip netns exec "$CLI" bash -c '
		for ((i = 0; i < '"$N"'; i++)); do
			'"$CL"' '"$proto"' 192.0.2.2 9000 '"$hold"' &
			echo $!
			wait $!
			sleep 0.02
		done' >>"$file"
}

# check NAME PROTO PIDFILE STATUS: every pid of PIDFILE owns a PROTO flow to
# the sink with program kattr_client and attribution status STATUS.
check() {
	"$PY" - "$T/$1.json" "$2" "$T/$3" "$4" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
proto, status = sys.argv[2], sys.argv[4]
pids = [int(l) for l in open(sys.argv[3]) if l.strip()]
flows = [r for r in recs if r['type'] == 'flow' and r['proto'] == proto and r['dst_port'] == 9000]
by_pid = {}
for f in flows:
    if f.get('process'):
        by_pid[f['process']['pid']] = f
bad = []
for p in pids:
    f = by_pid.get(p)
    if not f:
        bad.append(f"pid {p}: no flow names it")
    elif f['process']['comm'] != 'kattr_client' or f['attribution']['status'] != status:
        bad.append(f"pid {p}: {f['process']['comm']} {f['attribution']['status']} {f['attribution']['reason']}")
for b in bad[:5]:
    print("   ", b)
unres = {}
for f in flows:
    if not f.get('process'):
        unres[f['attribution']['reason']] = unres.get(f['attribution']['reason'], 0) + 1
for r, k in unres.items():
    print(f"    unresolved x{k}: {r}")
print(f"    {len(pids) - len(bad)}/{len(pids)} {proto} clients attributed with status {status}")
sys.exit(1 if bad or not pids else 0)
EOF
}

# stats NAME ENGINE: the stats record names ENGINE.
stats_engine() {
	"$PY" - "$T/$1.json" "$2" <<'EOF'
import json, sys
st = [json.loads(l) for l in open(sys.argv[1]) if '"type":"stats"' in l]
sys.exit(0 if st and st[-1].get('attribution_engine') == sys.argv[2] and st[-1].get('attribution_engine_reason') else 1)
EOF
}

# --- 1. the kernel engine: clients that exit at once --------------------------------
PREFIX=(env)
start_watch bpf --attribution bpf
if ! grep -q "attribution engine: bpf" "$T/bpf.err"; then
	cat "$T/bpf.err"
	echo "SKIP: the kernel engine cannot run here"
	exit 77
fi
caps=$(awk '/^CapEff/ {print $2}' /proc/$WPID/status 2>/dev/null)
# the watch process is "ip netns exec" until it execs wirewho: find wirewho itself
for ((i = 0; i < 20; i++)); do
	[ "$(cat /proc/$WPID/comm 2>/dev/null)" = wirewho ] && break
	sleep 0.1
done
caps=$(awk '/^CapEff/ {print $2}' /proc/$WPID/status 2>/dev/null)
if [ -n "$caps" ] && (( (0x$caps >> 39 & 1) == 0 && (0x$caps >> 38 & 1) == 0 &&
			(0x$caps >> 21 & 1) == 0 && (0x$caps >> 12 & 1) == 0 )); then
	ok "with the kernel engine loaded, wirewho keeps no BPF capability (CapEff $caps)"
else
	fail "with the kernel engine loaded, wirewho keeps no BPF capability (CapEff ${caps:-unreadable})"
fi
: >"$T/bpf-tcp.pids"; : >"$T/bpf-udp.pids"
clients tcp 0 "$T/bpf-tcp.pids"
clients udp 0 "$T/bpf-udp.pids"
sleep 1
stop_watch
[ "$WRC" = 0 ] || fail "watch --attribution bpf exits 0 (got $WRC)"
if check bpf tcp bpf-tcp.pids kernel; then
	ok "--attribution bpf: every TCP client that connected, sent and exited is named by the kernel"
else
	fail "--attribution bpf: every TCP client that connected, sent and exited is named by the kernel"
fi
if check bpf udp bpf-udp.pids kernel; then
	ok "--attribution bpf: every UDP client that sent and exited is named by the kernel"
else
	fail "--attribution bpf: every UDP client that sent and exited is named by the kernel"
fi
stats_engine bpf bpf && ok "the stats record says the bpf engine ran" || fail "the stats record says the bpf engine ran"

# --- 2. the /proc path alone still works -------------------------------------------
start_watch proc --attribution proc
grep -q "attribution engine: proc (--attribution proc)" "$T/proc.err" &&
	ok "--attribution proc says so on stderr" || { fail "--attribution proc says so on stderr"; cat "$T/proc.err"; }
N=5
: >"$T/proc-tcp.pids"; : >"$T/proc-udp.pids"
clients tcp 300 "$T/proc-tcp.pids"
clients udp 300 "$T/proc-udp.pids"
sleep 1
stop_watch
[ "$WRC" = 0 ] || fail "watch --attribution proc exits 0 (got $WRC)"
if check proc tcp proc-tcp.pids exact && check proc udp proc-udp.pids exact; then
	ok "--attribution proc: clients that hold their socket are attributed by /proc + sock_diag (exact)"
else
	fail "--attribution proc: clients that hold their socket are attributed by /proc + sock_diag (exact)"
fi
stats_engine proc proc && ok "the stats record says the proc engine ran" || fail "the stats record says the proc engine ran"

# --- 3. the kernel engine refused: fallback, said once, exit 0 ----------------------
PREFIX=(env WIREWHO_BTF=/nonexistent/wwkattr-$ID.btf)
start_watch nobtf
: >"$T/nobtf-tcp.pids"
clients tcp 300 "$T/nobtf-tcp.pids"
sleep 1
stop_watch
if [ "$(grep -c "attribution engine" "$T/nobtf.err")" = 1 ] &&
   grep -q "attribution engine: proc (the kernel engine cannot run: no kernel BTF at /nonexistent/wwkattr-$ID.btf" "$T/nobtf.err" &&
   [ "$WRC" = 0 ] && stats_engine nobtf proc && check nobtf tcp nobtf-tcp.pids exact >/dev/null; then
	ok "without BTF: one line says the proc engine runs and why, it attributes, exit 0"
else
	fail "without BTF: one line says the proc engine runs and why, it attributes, exit 0 (exit $WRC)"
	cat "$T/nobtf.err"
fi
if command -v capsh >/dev/null; then
	PREFIX=(capsh --drop=cap_bpf,cap_perfmon,cap_sys_admin --)
	# capsh runs its arguments through bash: hand it the command as one string
	ip netns exec "$CLI" capsh --drop=cap_bpf,cap_perfmon,cap_sys_admin -- -c \
		"exec $WW watch -i $VC --json -f 'port 9000' --duration 2 --attribution bpf" \
		>"$T/nocap.json" 2>"$T/nocap.err"
	WRC=$?
	if [ "$WRC" = 0 ] && grep -q "attribution engine: proc (the kernel engine cannot run: without CAP_BPF and CAP_PERFMON" "$T/nocap.err" &&
	   stats_engine nocap proc; then
		ok "without CAP_BPF and CAP_PERFMON: --attribution bpf falls back to proc, says why, exit 0"
	else
		fail "without CAP_BPF and CAP_PERFMON: --attribution bpf falls back to proc, says why, exit 0 (exit $WRC)"
		cat "$T/nocap.err"
	fi
else
	echo "note: capsh missing (libcap2-bin): the capability fallback is not checked"
fi

# --- 4. every record against the schemas ---------------------------------------------
SPY=${WW_SCHEMA_PYTHON:-/usr/bin/python3}
SDIR=${WW_SCHEMA_DIR:-$HERE/../docs/schema}
files=("$T/bpf.json" "$T/proc.json" "$T/nobtf.json")
[ -s "$T/nocap.json" ] && files+=("$T/nocap.json")
if "$SPY" "$HERE/schema_validate.py" "$SDIR" "${files[@]}"; then
	ok "every record matches docs/schema/"
else
	fail "every record matches docs/schema/"
fi
exit $FAIL
