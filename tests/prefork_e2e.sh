#!/bin/bash
# prefork_e2e.sh - flows to pre-forking servers name their process by a
# rule, not by timing (#11.6). nginx (a root master and three www-data
# workers sharing the listener) and sshd (a master that forks a child per
# connection) run in a server namespace where `wirewho watch` runs; a
# client namespace opens connections to both and holds each open. The rule
# (attribute.c, docs/records.md): the process that holds the connected
# socket when the lookup finds one (its newest holder: the worker or the
# session child, status "exact"), else the listener's oldest holder (the
# master, status "listener"). Checks, each a sentence:
#   - no flow names a worker or a child as the listener's owner, and no
#     nginx flow names the master as the holder of a connected socket (sshd's
#     master may be: it alone holds a connection between accept and fork);
#   - a listener flow to nginx names root's master, an exact one a www-data
#     worker, and a listener flow lists the three workers in other_holders;
#   - every record matches docs/schema/.
# Needs root; exits 77 otherwise. Bounded; everything started is stopped by
# pid, the namespaces deleted by name.
#
# usage: prefork_e2e.sh WIREWHO_BINARY
set -u
WW=${1:-}
[ -n "$WW" ] && [ -x "$WW" ] || { echo "usage: $0 WIREWHO_BINARY" >&2; exit 2; }
WW=$(readlink -f "$WW")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for p in /usr/sbin/nginx /usr/sbin/sshd socat ssh-keygen; do
	command -v "$p" >/dev/null 2>&1 || { echo "SKIP: $p missing"; exit 77; }
done
id www-data >/dev/null 2>&1 || { echo "SKIP: no www-data user"; exit 77; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

ID=$$
CLI=wwfork-cli-$ID
SRV=wwfork-srv-$ID
VC=wwfk-c$((ID % 100000))
VS=wwfk-s$((ID % 100000))
T=$(mktemp -d /tmp/wwfork-e2e.XXXXXX)
chmod 755 "$T"
FAIL=0
NSES=("$CLI" "$SRV")
. "$(dirname "$(readlink -f "$0")")/../scripts/netns-lib.sh"
ok()   { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAIL=1; }

two_hosts_v4   # netns-lib.sh: 192.0.2.1 ($CLI) -- 192.0.2.2 ($SRV)

# watch first, the servers after: their processes are new to its process
# cache (as after a restart of the servers), so which of nginx's processes
# a listener flow names is up to the lookup, not to a full refresh.
# The /proc + sock_diag engine: its rule for shared sockets is what this
# tests (the kernel engine names the listener's owner, the master, always).
ip netns exec "$SRV" "$WW" watch -i "$VS" --json --attribution proc --duration 90 >"$T/live.json" 2>"$T/watch.err" &
WPID=$!
PIDS+=($WPID)
# ready when it says so on stderr
for ((i = 0; i < 50; i++)); do grep -q . "$T/watch.err" 2>/dev/null && break; sleep 0.1; done
sleep 0.3

mkdir -p "$T/www" "$T/ssh"
echo hello > "$T/www/index.html"
chmod -R a+rX "$T/www"
cat > "$T/nginx.conf" <<EOF
worker_processes 3;
user www-data;
daemon off;
pid $T/nginx.pid;
error_log $T/nginx.err;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $T/cbt; proxy_temp_path $T/pt; fastcgi_temp_path $T/ft;
    uwsgi_temp_path $T/ut; scgi_temp_path $T/st;
    server { listen 192.0.2.2:80; root $T/www; }
}
EOF
ip netns exec "$SRV" /usr/sbin/nginx -p "$T" -c "$T/nginx.conf" >/dev/null 2>&1 &
NGINX=$!
PIDS+=($NGINX)
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/host" || exit 1
mkdir -p /run/sshd
ip netns exec "$SRV" /usr/sbin/sshd -D -e -f /dev/null -h "$T/ssh/host" -p 22 \
	-o ListenAddress=192.0.2.2 -o PidFile=none -o UsePAM=no >/dev/null 2>&1 &
SSHD=$!
PIDS+=($SSHD)
for port in 80 22; do
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$SRV" ss -H -tln "sport = :$port" | grep -q . && break; sleep 0.1
	done
done
sleep 0.5


# Connections, each held open 1.5 s; a partial HTTP request keeps nginx's worker waiting.
for ((n = 0; n < 6; n++)); do
	ip netns exec "$CLI" socat -u - TCP:192.0.2.2:80 < <(printf 'GET / HTTP/1.1\r\nHost: x\r\n'; sleep 1.5) \
		>/dev/null 2>&1 &
	PIDS+=($!)
	ip netns exec "$CLI" socat - TCP:192.0.2.2:22 < <(sleep 1.5) >/dev/null 2>&1 &
	PIDS+=($!)
	sleep 0.3
done
sleep 2.5
kill -TERM "$WPID"
for ((i = 0; i < 150; i++)); do kill -0 "$WPID" 2>/dev/null || break; sleep 0.1; done
wait "$WPID" 2>/dev/null; WRC=$?
[ "$WRC" = 0 ] && ok "watch stopped cleanly (exit 0)" || fail "watch exit $WRC: $(cat "$T/watch.err")"

HERE=$(dirname "$(readlink -f "$0")")
SPY=${WW_SCHEMA_PYTHON:-/usr/bin/python3}
SDIR=${WW_SCHEMA_DIR:-$HERE/../docs/schema}
if "$SPY" "$HERE/schema_validate.py" "$SDIR" "$T/live.json" >"$T/schema.out" 2>&1; then
	ok "every record matches docs/schema/: $(tail -n 1 "$T/schema.out")"
else
	fail "records that do not match docs/schema/:"; head -n 40 "$T/schema.out"
fi

"$PY" - "$T/live.json" "$NGINX" "$SSHD" <<'EOF' || FAIL=1
import json, sys
live = [json.loads(l) for l in open(sys.argv[1])]
masters = {80: int(sys.argv[2]), 22: int(sys.argv[3])}
bad = 0
def check(cond, msg):
    global bad
    print(("ok   - " if cond else "FAIL - ") + msg)
    bad |= not cond
for port, name in ((80, 'nginx'), (22, 'sshd')):
    fl = [f for f in live if f['type'] == 'flow' and f['proto'] == 'tcp' and f['dst_port'] == port]
    seen = [(f['attribution']['status'], f['process'] and f['process']['pid'],
             f['process'] and f['process']['user']) for f in fl]
    check(len(fl) >= 6, f"{name}: {len(fl)} inbound flows seen: {seen}")
    m = masters[port]
    check(all(f['process'] for f in fl), f"{name}: every flow has an owner")
    # sshd's master alone holds an accepted connection between accept() and
    # fork(): an exact flow may name it then (that is the rule, not a race
    # of ours); a listener flow must always name the master
    wrong = [s for s in seen if (s[0] == 'listener' and s[1] != m) or
             (s[0] == 'exact' and s[1] == m and port == 80)]
    check(not wrong, f"{name}: the master (pid {m}) is named exactly for the listener, "
          f"a worker or child exactly for a connected socket (wrong: {wrong})")
    if port == 80:
        check(all(s[2] == ('root' if s[0] == 'listener' else 'www-data') for s in seen),
              "nginx: a listener flow names root's master, an exact one a www-data worker")
        lis = [f for f in fl if f['attribution']['status'] == 'listener']
        check(all(len(f['process'].get('other_holders', [])) == 3 for f in lis),
              "nginx: a listener flow lists the three workers that share the listener: "
              + str([f['process'].get('other_holders') for f in lis]))
sys.exit(1 if bad else 0)
EOF
[ "$FAIL" = 0 ] || { echo "--- watch stderr"; cat "$T/watch.err"; exit 1; }
echo "all pre-forking server checks passed"
exit 0
