#!/bin/bash
# kattr_netns_e2e.sh - flows of processes in another network namespace,
# seen on the host side of its veth, are attributed (#12.3), with the kernel
# engine and without it.
#
# Three network namespaces: a "container" ($CT, 192.0.2.10) behind a veth
# whose other end is in a "host" ($HOST, 192.0.2.1), which routes to a
# server namespace ($SRV, 198.51.100.2; TCP and UDP sinks) over a second
# veth. wirewho runs in the host namespace watching the container's veth
# (as on a container host): neither end of a container's flow is the host's
# address. Checks, each a sentence:
#   - with --attribution bpf, clients in the container that connect (TCP)
#     or send (UDP) and exit at once are named, pid and program, status
#     "kernel", from the engine's records of the other namespace;
#   - with --attribution proc, clients that hold their socket are named,
#     status "exact", by the container namespace's own socket table, and
#     the reason names the namespace;
#   - flows of the host itself are still attributed as before (no
#     namespace in the reason), and a forwarded flow whose client socket is
#     gone is named by the server's listener in the server's namespace;
#   - every record matches the JSON Schemas.
# Needs root; exits 77 (skipped) otherwise; the kernel engine's checks are
# skipped when it cannot load. Bounded waits; everything started is stopped
# by pid and the namespaces are deleted by name on exit.
#
# usage: kattr_netns_e2e.sh WIREWHO_BINARY KATTR_CLIENT
set -u

WW=${1:-}
CL=${2:-}
[ -x "$WW" ] && [ -x "$CL" ] || { echo "usage: $0 WIREWHO_BINARY KATTR_CLIENT" >&2; exit 2; }
WW=$(readlink -f "$WW")
CL=$(readlink -f "$CL")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: ip missing"; exit 77; }
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: /usr/bin/python3 missing"; exit 77; }
HERE=$(dirname "$(readlink -f "$0")")

ID=$$
CT=wwns-ct-$ID
HOST=wwns-host-$ID
SRV=wwns-srv-$ID
VCT=wwnc$((ID % 100000))    # in $CT
VHC=wwnh$((ID % 100000))    # its peer, in $HOST: the watched interface
VHS=wwnx$((ID % 100000))    # $HOST's side to the server
VSS=wwns$((ID % 100000))    # in $SRV
T=$(mktemp -d /tmp/wwns-e2e.XXXXXX)
FAIL=0
N=${KATTR_NETNS_CLIENTS:-15}

NSES=("$CT" "$HOST" "$SRV")
. "$HERE/../scripts/netns-lib.sh"

ok()   { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAIL=1; }

cp "$CL" "$T/kattr_client" || exit 1
CL=$T/kattr_client

for ns in "$CT" "$HOST" "$SRV"; do
	ip netns add "$ns" || { echo "SKIP: cannot create network namespaces"; exit 77; }
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set lo up
done
ip link add "$VCT" netns "$CT" type veth peer name "$VHC" netns "$HOST" || exit 1
ip link add "$VHS" netns "$HOST" type veth peer name "$VSS" netns "$SRV" || exit 1
ip -n "$CT" addr add 192.0.2.10/24 dev "$VCT"
ip -n "$HOST" addr add 192.0.2.1/24 dev "$VHC"
ip -n "$HOST" addr add 198.51.100.1/24 dev "$VHS"
ip -n "$SRV" addr add 198.51.100.2/24 dev "$VSS"
for l in "$CT $VCT" "$HOST $VHC" "$HOST $VHS" "$SRV $VSS"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
ip -n "$CT" route add default via 192.0.2.1
ip -n "$SRV" route add default via 198.51.100.1
ip netns exec "$HOST" sysctl -qw net.ipv4.ip_forward=1

WATCH_IF=$VHC
. "$HERE/kattr_topo_lib.sh"

files=()
# --- 1. the kernel engine ---------------------------------------------------------
start_watch bpf --attribution bpf
if grep -q "attribution engine: bpf" "$T/bpf.err"; then
	: >"$T/bpf-tcp.pids"; : >"$T/bpf-udp.pids"
	clients "$CT" tcp 0 "$T/bpf-tcp.pids"
	clients "$CT" udp 0 "$T/bpf-udp.pids"
	sleep 1
	stop_watch
	files+=("$T/bpf.json")
	[ "$WRC" = 0 ] || fail "watch --attribution bpf exits 0 (got $WRC)"
	check bpf tcp bpf-tcp.pids kernel "network namespace" &&
		ok "--attribution bpf: TCP clients of another namespace that connected, sent and exited are named" ||
		fail "--attribution bpf: TCP clients of another namespace that connected, sent and exited are named"
	check bpf udp bpf-udp.pids kernel "network namespace" &&
		ok "--attribution bpf: UDP clients of another namespace that sent and exited are named" ||
		fail "--attribution bpf: UDP clients of another namespace that sent and exited are named"
else
	echo "note: the kernel engine cannot run here: its checks are skipped"; cat "$T/bpf.err"
	stop_watch
fi

# --- 2. /proc + sock_diag in the other namespace ------------------------------------
start_watch proc --attribution proc
N=5
: >"$T/proc-tcp.pids"; : >"$T/proc-udp.pids"
clients "$CT" tcp 1500 "$T/proc-tcp.pids"
clients "$CT" udp 1500 "$T/proc-udp.pids"
# the host's own client, and a sender that is gone by its first packet
: >"$T/host.pids"
N=1 clients "$HOST" udp 1500 "$T/host.pids" 192.0.2.10   # out through the watched veth
ip netns exec "$CT" ip addr add 192.0.2.99/32 dev "$VCT"
ip netns exec "$CT" "$PY" -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('192.0.2.99', 0))
s.sendto(b'x', ('198.51.100.2', 9200))
" 2>/dev/null
sleep 1
stop_watch
files+=("$T/proc.json")
[ "$WRC" = 0 ] || fail "watch --attribution proc exits 0 (got $WRC)"
check proc tcp proc-tcp.pids exact "network namespace $CT" &&
	ok "--attribution proc: TCP clients of another namespace are named through its socket table (exact)" ||
	fail "--attribution proc: TCP clients of another namespace are named through its socket table (exact)"
check proc udp proc-udp.pids exact "network namespace $CT" &&
	ok "--attribution proc: UDP clients of another namespace are named through its socket table (exact)" ||
	fail "--attribution proc: UDP clients of another namespace are named through its socket table (exact)"
"$PY" - "$T/proc.json" "$(cat "$T/host.pids")" <<'EOF' && ok "the host's own client is still named as the host's (exact, no namespace)" || fail "the host's own client is still named as the host's (exact, no namespace)"
import json, sys
pid = int(sys.argv[2])
fl = [json.loads(l) for l in open(sys.argv[1])]
fl = [r for r in fl if r['type'] == 'flow' and r.get('process') and r['process']['pid'] == pid]
sys.exit(0 if fl and fl[0]['attribution']['status'] == 'exact' and 'namespace' not in fl[0]['attribution']['reason'] else 1)
EOF
# The sender above has exited, its socket with it: the flow's other end,
# the sink listening in the server's namespace, is named instead.
if grep '"src_ip":"192.0.2.99"' "$T/proc.json" | grep '"status":"listener"' |
   grep -q "\"reason\":\"in network namespace $SRV"; then
	ok "a flow whose client socket is gone is named by the server's listener in the server's namespace"
else
	fail "a flow whose client socket is gone is named by the server's listener in the server's namespace"
	grep '"src_ip":"192.0.2.99"' "$T/proc.json" | head -2
fi

# --- 3. every record against the schemas ---------------------------------------------
SPY=${WW_SCHEMA_PYTHON:-/usr/bin/python3}
SDIR=${WW_SCHEMA_DIR:-$HERE/../docs/schema}
if "$SPY" "$HERE/schema_validate.py" "$SDIR" "${files[@]}"; then
	ok "every record matches the JSON Schemas"
else
	fail "every record matches the JSON Schemas"
fi
exit $FAIL
