#!/bin/bash
# kattr_nat_e2e.sh - flows of a masqueraded network, watched on the
# router's outside interface, are attributed to the inside process (#12.3:
# NAT through conntrack), with the kernel engine and without it.
#
# Three network namespaces: a "container" ($CT, 192.0.2.10) behind a veth
# whose other end is in a router ($HOST, 192.0.2.1 inside, 198.51.100.1
# outside, masquerading what leaves on the outside: nft), and a server
# namespace ($SRV, 198.51.100.2; TCP and UDP sinks). wirewho runs in the
# router watching its outside interface: a container's flow shows there as
# 198.51.100.1:PORT -> 198.51.100.2:9200, the router's own address, and no
# socket has that 5-tuple; conntrack's event of the connection gives the
# inside one. Checks, each a sentence:
#   - with --attribution bpf, clients in the container that connect (TCP)
#     or send (UDP) and exit at once are named, pid and program, status
#     "kernel", the reason saying through which NAT;
#   - with --attribution proc, clients that hold their socket are named,
#     status "exact", by the container namespace's socket table;
#   - the router's own client is still named as the router's (no NAT);
#   - every record matches the JSON Schemas.
# Needs root; exits 77 (skipped) otherwise; the kernel engine's checks are
# skipped when it cannot load. Bounded waits; everything started is stopped
# by pid and the namespaces are deleted by name on exit.
#
# usage: kattr_nat_e2e.sh WIREWHO_BINARY KATTR_CLIENT
set -u

WW=${1:-}
CL=${2:-}
[ -x "$WW" ] && [ -x "$CL" ] || { echo "usage: $0 WIREWHO_BINARY KATTR_CLIENT" >&2; exit 2; }
WW=$(readlink -f "$WW")
CL=$(readlink -f "$CL")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v ip >/dev/null && command -v nft >/dev/null || { echo "SKIP: ip or nft missing"; exit 77; }
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: /usr/bin/python3 missing"; exit 77; }
HERE=$(dirname "$(readlink -f "$0")")

ID=$$
CT=wwnat-ct-$ID
HOST=wwnat-rt-$ID
SRV=wwnat-srv-$ID
VCT=wwtc$((ID % 100000))    # in $CT
VHC=wwth$((ID % 100000))    # its peer, in $HOST: the watched interface
VHS=wwtx$((ID % 100000))    # $HOST's side to the server
VSS=wwts$((ID % 100000))    # in $SRV
T=$(mktemp -d /tmp/wwnat-e2e.XXXXXX)
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
printf 'table ip wwnat {\n chain post {\n  type nat hook postrouting priority srcnat; policy accept;\n  oifname "%s" masquerade\n }\n}\n' "$VHS" >"$T/nat.nft"
ip netns exec "$HOST" nft -f "$T/nat.nft" || { echo "SKIP: nft cannot masquerade here"; exit 77; }

WATCH_IF=$VHS
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
	check bpf tcp bpf-tcp.pids kernel "through NAT from 192.0.2.10:" &&
		ok "--attribution bpf: masqueraded TCP clients that connected, sent and exited are named on the outside" ||
		fail "--attribution bpf: masqueraded TCP clients that connected, sent and exited are named on the outside"
	check bpf udp bpf-udp.pids kernel "through NAT from 192.0.2.10:" &&
		ok "--attribution bpf: masqueraded UDP clients that sent and exited are named on the outside" ||
		fail "--attribution bpf: masqueraded UDP clients that sent and exited are named on the outside"
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
# the router's own client
: >"$T/host.pids"
N=1 clients "$HOST" udp 1500 "$T/host.pids"   # the router's own: out through the watched interface
sleep 1
stop_watch
files+=("$T/proc.json")
[ "$WRC" = 0 ] || fail "watch --attribution proc exits 0 (got $WRC)"
check proc tcp proc-tcp.pids exact "through NAT from 192.0.2.10:" &&
	ok "--attribution proc: masqueraded TCP clients are named on the outside through the inside socket table (exact)" ||
	fail "--attribution proc: masqueraded TCP clients are named on the outside through the inside socket table (exact)"
check proc udp proc-udp.pids exact "through NAT from 192.0.2.10:" &&
	ok "--attribution proc: masqueraded UDP clients are named on the outside through the inside socket table (exact)" ||
	fail "--attribution proc: masqueraded UDP clients are named on the outside through the inside socket table (exact)"
"$PY" - "$T/proc.json" "$(cat "$T/host.pids")" <<'EOF' && ok "the router's own client is still named as the router's (exact, no NAT)" || fail "the router's own client is still named as the router's (exact, no NAT)"
import json, sys
pid = int(sys.argv[2])
fl = [json.loads(l) for l in open(sys.argv[1])]
fl = [r for r in fl if r['type'] == 'flow' and r.get('process') and r['process']['pid'] == pid]
sys.exit(0 if fl and fl[0]['attribution']['status'] == 'exact' and 'NAT' not in fl[0]['attribution']['reason'] else 1)
EOF
# --- 3. every record against the schemas ---------------------------------------------
SPY=${WW_SCHEMA_PYTHON:-/usr/bin/python3}
SDIR=${WW_SCHEMA_DIR:-$HERE/../docs/schema}
if "$SPY" "$HERE/schema_validate.py" "$SDIR" "${files[@]}"; then
	ok "every record matches the JSON Schemas"
else
	fail "every record matches the JSON Schemas"
fi
exit $FAIL
