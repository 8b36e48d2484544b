#!/usr/bin/env bash
# mk_starttls_pcaps.sh - capture TLS upgrades and TLS from the first byte on
# the ports whose protocol must speak plaintext first (issue 11.3), for
# tests/e2e_starttls.py.
#
# Design. Two network namespaces joined by a veth pair, client 192.0.2.1 and
# server 192.0.2.2, named with this run's PID so concurrent runs never meet;
# tcpdump captures on the client's side, one file per kind of scenario:
#
#   starttls.pcap   each protocol's own upgrade, as its RFC prescribes: a
#                   real client (openssl s_client -starttls smtp|pop3|imap|
#                   ftp|nntp|sieve|xmpp|ldap|postgres|mysql) against a server
#                   that speaks the greeting and then wraps the socket with
#                   TLS (scripts/starttls_peer.py); RDP's X.224 negotiation
#                   from starttls_peer.py on both ends. Must stay quiet.
#   tls_first.pcap  openssl s_server and s_client speaking TLS from the first
#                   byte on the same ports: must alert
#                   (port_mismatch.unexpected_protocol, "TLS without STARTTLS").
#   postgres.pcap   a real PostgreSQL server (Debian's postgresql, when
#                   installed) and psql, with sslmode=require (SSLRequest,
#                   'S', TLS) and sslmode=disable. Must stay quiet.
#   tls_direct.pcap TLS first where it is right: the implicit-TLS ports of
#                   RFC 8314 and friends (465, 993, 995, 636, 563, 990, 5223),
#                   PostgreSQL 17's direct TLS (ALPN "postgresql") on 5432 and
#                   XEP-0368's (ALPN "xmpp-client") on 5222. Must stay quiet.
#
# Certificates are throwaway (one day), never committed. Every wait is
# bounded (timeout or a counted loop); the namespaces and every process we
# started are removed by name/PID on exit. Run as root:
#   bash scripts/mk_starttls_pcaps.sh [OUTDIR]   (default pcaps/starttls)
# Needs: iproute2 tcpdump openssl python3 (all in scripts/deps.sh); postgresql
# (server and psql) for postgres.pcap.
set -euo pipefail

readonly NS_C=wwst$$c NS_S=wwst$$s IF_C=wwst$$a IF_S=wwst$$b
readonly C4=192.0.2.1 S4=192.0.2.2
readonly PY=/usr/bin/python3
REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$REPO/pcaps/starttls}
PEER=$REPO/scripts/starttls_peer.py
WORK=$(mktemp -d /tmp/wwst.XXXXXX)
declare -a PIDS=()

log() { printf '[mk_starttls_pcaps] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
cx() { ip netns exec "$NS_C" "$@"; }
sx() { ip netns exec "$NS_S" "$@"; }

cleanup() {
	local pid ns
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for ns in "$NS_C" "$NS_S"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	if [ -n "${KEEP_WORK:-}" ]; then log "work files kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || die "must run as root (network namespaces)"
for t in ip tcpdump openssl "$PY"; do command -v "$t" >/dev/null || die "missing $t"; done
mkdir -p "$OUT"

ip netns add "$NS_C"
ip netns add "$NS_S"
for ns in "$NS_C" "$NS_S"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set lo up
done
ip link add "$IF_C" netns "$NS_C" address 02:77:78:00:00:01 type veth \
	peer name "$IF_S" netns "$NS_S" address 02:77:78:00:00:02
ip -n "$NS_C" addr add "$C4/24" dev "$IF_C"
ip -n "$NS_S" addr add "$S4/24" dev "$IF_S"
ip -n "$NS_C" neigh add "$S4" lladdr 02:77:78:00:00:02 dev "$IF_C" nud permanent
ip -n "$NS_S" neigh add "$C4" lladdr 02:77:78:00:00:01 dev "$IF_S" nud permanent
ip -n "$NS_C" link set "$IF_C" up
ip -n "$NS_S" link set "$IF_S" up

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj '/CN=mail.example.test' \
	-keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null

wait_listen() {       # wait_listen PORT: bounded at 20 s
	local i
	for i in $(seq 1 200); do
		sx ss -H -ltn "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	die "nothing listens on tcp/$1 after 20 s: $(tail -n 3 "$WORK"/*.log 2>/dev/null)"
}

bg_srv() {            # bg_srv CMD...: a server in the server namespace
	ip netns exec "$NS_S" "$@" >>"$WORK/servers.log" 2>&1 &
	PIDS+=("$!")
	SRV=$!
}

end_srv() {           # end the last server, bounded
	local i
	for i in $(seq 1 50); do kill -0 "$SRV" 2>/dev/null || break; sleep 0.1; done
	kill -TERM "$SRV" 2>/dev/null || true
	wait "$SRV" 2>/dev/null || true
}

cap_start() {         # cap_start FILE
	ip netns exec "$NS_C" tcpdump -i "$IF_C" -n -U --immediate-mode -Z root -w "$OUT/$1" tcp >"$WORK/td.log" 2>&1 &
	PIDS+=("$!")
	CAP=$!
	local i
	for i in $(seq 1 50); do grep -q 'listening on' "$WORK/td.log" && return 0; sleep 0.1; done
	die "tcpdump did not start"
}

cap_stop() {
	sleep 0.5
	kill -INT "$CAP" 2>/dev/null || true
	wait "$CAP" 2>/dev/null || true
	log "$1: $(grep -h 'packets captured' "$WORK/td.log" || echo '?')"
}

client() { timeout 20 ip netns exec "$NS_C" "$@" >>"$WORK/clients.log" 2>&1 </dev/null || true; }

# --- each protocol's own upgrade ----------------------------------------------
# proto:port:s_client's -starttls name
UPGRADES="smtp:25:smtp smtp:587:smtp pop3:110:pop3 imap:143:imap ftp:21:ftp nntp:119:nntp
sieve:4190:sieve xmpp:5222:xmpp ldap:389:ldap postgres:5432:postgres mysql:3306:mysql"
cap_start starttls.pcap
for u in $UPGRADES; do
	IFS=: read -r proto port st <<<"$u"
	bg_srv "$PY" "$PEER" server "$proto" "$port" "$WORK/cert.pem" "$WORK/key.pem"
	wait_listen "$port"
	extra=()
	[ "$st" = xmpp ] && extra=(-xmpphost example.test)
	echo "== $proto $port" >>"$WORK/servers.log"
	client openssl s_client -connect "$S4:$port" -starttls "$st" "${extra[@]}" -servername mail.example.test
	end_srv
done
bg_srv "$PY" "$PEER" server rdp 3389 "$WORK/cert.pem" "$WORK/key.pem"
wait_listen 3389
client "$PY" "$PEER" rdp-client "$S4" 3389
end_srv
cap_stop starttls.pcap

# --- TLS from the first byte: openssl on both ends ---------------------------
tls_pair() {          # tls_pair PORT [ALPN]
	local port=$1 alpn=${2:-}
	local sa=() ca=()
	[ -n "$alpn" ] && sa=(-alpn "$alpn") && ca=(-alpn "$alpn")
	bg_srv openssl s_server -accept "$port" -cert "$WORK/cert.pem" -key "$WORK/key.pem" -naccept 1 -quiet "${sa[@]}"
	wait_listen "$port"
	client openssl s_client -connect "$S4:$port" -servername mail.example.test "${ca[@]}"
	end_srv
}
cap_start tls_first.pcap
for port in 21 25 110 119 143 389 587 3306 3389 4190 5222 5269 5432; do tls_pair "$port"; done
cap_stop tls_first.pcap

cap_start tls_direct.pcap
for port in 465 563 636 990 993 995 5223; do tls_pair "$port"; done
tls_pair 5432 postgresql
tls_pair 5222 xmpp-client
cap_stop tls_direct.pcap
# --- a real PostgreSQL server: psql with sslmode=require (SSLRequest, 'S', TLS) --
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -n "$PGBIN" ] && id postgres >/dev/null 2>&1 && command -v psql >/dev/null; then
	chmod 755 "$WORK"
	mkdir -p "$WORK/pg"
	install -o postgres -m 600 "$WORK/key.pem" "$WORK/pg/key.pem"
	install -o postgres -m 644 "$WORK/cert.pem" "$WORK/pg/cert.pem"
	chown postgres "$WORK/pg"
	runuser -u postgres -- "$PGBIN/initdb" -A trust -D "$WORK/pg/data" >>"$WORK/servers.log" 2>&1
	bg_srv runuser -u postgres -- "$PGBIN/postgres" -D "$WORK/pg/data" -c listen_addresses="$S4" \
		-c unix_socket_directories="$WORK/pg" -c ssl=on -c ssl_cert_file="$WORK/pg/cert.pem" \
		-c ssl_key_file="$WORK/pg/key.pem"
	wait_listen 5432
	cap_start postgres.pcap
	client psql "host=$S4 user=postgres dbname=postgres sslmode=require" -c 'select 1'
	client psql "host=$S4 user=postgres dbname=postgres sslmode=disable" -c 'select 1'
	cap_stop postgres.pcap
	kill -INT "$SRV" 2>/dev/null || true
	end_srv
else
	log "no PostgreSQL server here: postgres.pcap not made"
fi
log "clients: $(grep -c 'Protocol' "$WORK/clients.log" || true) TLS sessions reported by s_client"
