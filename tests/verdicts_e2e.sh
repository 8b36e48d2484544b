#!/bin/bash
# verdicts_e2e.sh - verdicts a responder can trust, from real processes.
#
# A "host" namespace runs real services: sshd on TCP 22, python's
# http.server on TCP 80 and on the odd port 4444 (each answer held back
# 0.4 s, so the connections live long enough to be attributed), named on TCP
# and UDP 53, and socat as a UDP-only syslog receiver on 514. A "clients"
# namespace, joined by a veth pair, holds 192.0.2.1 and 198.51.100.1. Checks,
# each a sentence:
#   - `sockets --learn` on the host writes a policy that loads, and under it
#     every socket of the host is explained;
#   - named's UDP 53 socket is the twin of named's TCP 53 listener, and its
#     record says so (twin_of);
#   - a renamed socat ("wwrogue") receiving UDP on port 22 next to sshd's
#     listener is not sshd's twin: it needs review and its alert names it;
#   - `watch --policy LEARNED` on the host, through ssh, http, dns (udp and
#     tcp) and syslog from the clients, raises no unexplained_process for the
#     learned services, and exactly the rogue's: one per peer, none folded;
#   - an ESTABLISHED ssh connection from 198.51.100.1 is private by default,
#     internet with `--home-net 192.0.2.0/24` or a policy's home_net line
#     (then unexplained_established names sshd);
#   - a review rule gives the same severity in sockets and in replay, and the
#     socket alert names the connection's peer;
#   - `allow app=http port=4444 exe=...` silences the flow's
#     port_mismatch.nonstandard_port and nothing else (its process is still
#     judged);
#   - the rogue runs from a temporary folder (masquerading indicator
#     temp_exe): its alerts are raised a level, in sockets and in watch, and
#     `sockets --learn` writes its rule commented out with the reason;
#   - every record matches docs/schema/.
# Needs root; exits 77 (skipped) otherwise or when a program is missing.
# Bounded: every wait has a limit; everything started is stopped by pid,
# the namespaces are deleted by name on exit.
#
# usage: verdicts_e2e.sh WIREWHO_BINARY
set -u

WW=${1:-}
[ -n "$WW" ] && [ -x "$WW" ] || { echo "usage: $0 WIREWHO_BINARY" >&2; exit 2; }
WW=$(readlink -f "$WW")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for p in ip ss sshd ssh-keygen named dig socat curl python3; do
	command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] || { echo "SKIP: $p missing"; exit 77; }
done
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
SOCAT=$(command -v socat)

ID=$$
CLI=wwverd-cli-$ID
SRV=wwverd-srv-$ID
VC=wwvd-c$((ID % 100000))
VS=wwvd-s$((ID % 100000))
T=$(mktemp -d /tmp/wwverd-e2e.XXXXXX)
# Server scripts live outside the temporary directories: a script run from
# /tmp is a masquerading indicator (temp_script), which --learn rightly
# refuses to whitelist. Removed by netns-lib.sh's cleanup (DIRS).
BIN=$(mktemp -d /var/lib/wwverd-bin.XXXXXX)
DIRS=("$BIN")
FAIL=0

NSES=("$CLI" "$SRV")
. "$(dirname "$(readlink -f "$0")")/../scripts/netns-lib.sh"

ok()   { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAIL=1; }

wait_pid() {   # pid, seconds: wait (bounded), then kill
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
		sleep 0.1
	done
	kill "$1" 2>/dev/null; wait "$1" 2>/dev/null
	return 1
}

wait_listen() {   # tcp|udp, port: in the host namespace
	local i flag=-tln
	[ "$1" = udp ] && flag=-uln
	for ((i = 0; i < 100; i++)); do
		ip netns exec "$SRV" ss -H $flag "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	echo "server on $1/$2 did not start" >&2
	return 1
}

# --- the network -----------------------------------------------------------------------
ip netns add "$CLI" || { echo "SKIP: cannot create network namespaces"; exit 77; }
ip netns add "$SRV" || exit 1
ip link add "$VC" netns "$CLI" type veth peer name "$VS" netns "$SRV" || exit 1
for ns in "$CLI" "$SRV"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set lo up
done
ip -n "$CLI" addr add 192.0.2.1/24 dev "$VC"
ip -n "$CLI" addr add 198.51.100.1/24 dev "$VC"
ip -n "$SRV" addr add 192.0.2.2/24 dev "$VS"
ip -n "$SRV" addr add 198.51.100.2/24 dev "$VS"
ip -n "$CLI" link set "$VC" up
ip -n "$SRV" link set "$VS" up

# --- the host's services ----------------------------------------------------------------
mkdir -p "$T/www" "$T/bind" "$T/ssh"
echo hello > "$T/www/index.html"
cat > "$BIN/slowhttp.py" <<'EOF2'
import http.server, sys, time
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        time.sleep(float(sys.argv[3]))
        super().do_GET()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
EOF2
(cd "$T/www" && exec ip netns exec "$SRV" "$PY" "$BIN/slowhttp.py" 0.0.0.0 80 0.4) >/dev/null 2>&1 &
PIDS+=($!)
(cd "$T/www" && exec ip netns exec "$SRV" "$PY" "$BIN/slowhttp.py" 0.0.0.0 4444 0.4) >/dev/null 2>&1 &
PIDS+=($!)
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/host" || exit 1
mkdir -p /run/sshd
ip netns exec "$SRV" /usr/sbin/sshd -D -e -f /dev/null -h "$T/ssh/host" -p 22 \
	-o ListenAddress=0.0.0.0 -o PidFile=none -o UsePAM=no -o LoginGraceTime=60 >/dev/null 2>&1 &
PIDS+=($!)
cat > "$T/bind/named.conf" <<EOF
options { directory "$T/bind"; listen-on { 192.0.2.2; }; listen-on-v6 { none; };
          pid-file none; recursion no; dnssec-validation no; };
zone "wwverd.test" { type primary; file "$T/bind/db"; };
EOF
cat > "$T/bind/db" <<'EOF'
$TTL 60
@ IN SOA ns root 1 60 60 60 60
@ IN NS ns
ns IN A 192.0.2.2
www IN A 192.0.2.2
EOF
ip netns exec "$SRV" /usr/sbin/named -g -n 1 -c "$T/bind/named.conf" >"$T/named.log" 2>&1 &
PIDS+=($!)
ip netns exec "$SRV" "$SOCAT" -u UDP-RECV:514 OPEN:/dev/null >/dev/null 2>&1 &
PIDS+=($!)
for s in tcp:80 tcp:4444 tcp:22 tcp:53 udp:53 udp:514; do
	wait_listen "${s%%:*}" "${s##*:}" || { cat "$T/named.log" >&2; exit 1; }
done

# --- learn the host ------------------------------------------------------------------------
ip netns exec "$SRV" "$WW" sockets --learn >"$T/learned.policy" 2>"$T/learn.err"
LRC=$?
[ "$LRC" = 0 ] && ok "sockets --learn runs on the host ($(grep -vc '^#' "$T/learned.policy") rules)" \
	|| fail "sockets --learn: exit $LRC: $(cat "$T/learn.err")"
ip netns exec "$SRV" "$WW" sockets --json --all --policy "$T/learned.policy" >"$T/learned.json" 2>"$T/l.err"
LRC=$?
[ "$LRC" = 0 ] && ok "the learned policy loads (exit 0)" || fail "the learned policy: exit $LRC: $(cat "$T/l.err")"

# --- the rogue: a renamed socat receiving UDP on sshd's port ----------------------------------
cp "$SOCAT" "$T/wwrogue"
ip netns exec "$SRV" "$T/wwrogue" -u UDP-RECV:22 OPEN:/dev/null >/dev/null 2>&1 &
ROGUE=$!
PIDS+=($ROGUE)
wait_listen udp 22 || exit 1
# learning again now: the rogue runs from a temporary folder (temp_exe), so
# its rule is written commented out, not whitelisted
ip netns exec "$SRV" "$WW" sockets --learn >"$T/learned2.policy" 2>"$T/learn2.err"

# --- an ssh connection from 198.51.100.1, held open (sshd waits for our banner) --------------
ip netns exec "$CLI" "$SOCAT" -u TCP:192.0.2.2:22,bind=198.51.100.1 OPEN:/dev/null >/dev/null 2>&1 &
HELD=$!
PIDS+=($HELD)
for ((i = 0; i < 50; i++)); do
	ip netns exec "$SRV" ss -Htn state established "sport = :22" | grep -q 198.51.100.1 && break
	sleep 0.1
done

printf 'review comm=sshd\n' >"$T/review.policy"
printf 'home_net 192.0.2.0/24\n' >"$T/home.policy"
ip netns exec "$SRV" "$WW" sockets --json --all >"$T/plain.json" 2>&1
ip netns exec "$SRV" "$WW" sockets --json --all --policy "$T/learned.policy" >"$T/rogue.json" 2>&1
ip netns exec "$SRV" "$WW" sockets --json --all --home-net 192.0.2.0/24 >"$T/homeopt.json" 2>&1
ip netns exec "$SRV" "$WW" sockets --json --all --policy "$T/home.policy" >"$T/homepol.json" 2>&1
ip netns exec "$SRV" "$WW" sockets --json --all --policy "$T/review.policy" >"$T/review.json" 2>&1
kill "$HELD" 2>/dev/null; wait "$HELD" 2>/dev/null

# --- watch the host under the learned policy --------------------------------------------------
ip netns exec "$SRV" "$WW" watch -i "$VS" --json --policy "$T/learned.policy" --record "$T/rec" \
	--duration 90 >"$T/live.json" 2>"$T/watch.err" &
WPID=$!
PIDS+=($WPID)
for ((i = 0; i < 100; i++)); do [ -s "$T/rec/sockets.ndjson" ] && break; sleep 0.1; done
sleep 0.3

client() {   # seconds, command...: in the clients' namespace, bounded
	local lim=$1; shift
	ip netns exec "$CLI" "$@" </dev/null >/dev/null 2>&1 &
	wait_pid "$!" "$lim" || echo "note: $1 killed after $lim s" >&2
}
# ssh: read the banner, keep the connection a second
client 10 timeout 5 bash -c 'exec 3<>/dev/tcp/192.0.2.2/22; head -c 8 <&3 >/dev/null; sleep 1'
client 15 curl -s -m 10 http://192.0.2.2/
client 15 curl -s -m 10 http://192.0.2.2:4444/
client 10 dig +tries=1 +time=3 @192.0.2.2 www.wwverd.test A
client 10 dig +tcp +tries=1 +time=3 @192.0.2.2 www.wwverd.test A
client 10 bash -c 'echo "<13>wwverd hello" | socat -u - UDP:192.0.2.2:514'
sleep 0.3
# the rogue, from two peers
client 10 bash -c 'echo x | socat -u - UDP:192.0.2.2:22,bind=192.0.2.1'
sleep 0.3
client 10 bash -c 'echo x | socat -u - UDP:192.0.2.2:22,bind=198.51.100.1'
sleep 0.5
kill -TERM "$WPID"
wait_pid "$WPID" 15 || fail "watch did not stop within 15 s of SIGTERM"

"$WW" replay --sockets "$T/rec/sockets.ndjson" --policy "$T/review.policy" --json \
	"$T/rec/capture.pcap" >"$T/replay-review.json" 2>"$T/rr.err" || fail "replay (review): $(cat "$T/rr.err")"
PYEXE=$(readlink -f "$PY")
printf 'allow app=http proto=tcp port=4444 exe=%s\n' "$PYEXE" >"$T/app.policy"
"$WW" replay --sockets "$T/rec/sockets.ndjson" --policy "$T/app.policy" --json \
	"$T/rec/capture.pcap" >"$T/replay-app.json" 2>"$T/ra.err" || fail "replay (app): $(cat "$T/ra.err")"
"$WW" replay --sockets "$T/rec/sockets.ndjson" --json \
	"$T/rec/capture.pcap" >"$T/replay-none.json" 2>"$T/rn.err" || fail "replay (none): $(cat "$T/rn.err")"

# --- records against docs/schema/ ---------------------------------------------------------------
HERE=$(dirname "$(readlink -f "$0")")
SPY=${WW_SCHEMA_PYTHON:-/usr/bin/python3}
SDIR=${WW_SCHEMA_DIR:-$HERE/../docs/schema}
if "$SPY" "$HERE/schema_validate.py" "$SDIR" "$T/learned.json" "$T/plain.json" "$T/rogue.json" \
	"$T/homeopt.json" "$T/homepol.json" "$T/review.json" "$T/live.json" "$T/replay-review.json" \
	"$T/replay-app.json" >"$T/schema.out" 2>&1; then
	ok "every record matches docs/schema/: $(tail -n 1 "$T/schema.out")"
else
	fail "records that do not match docs/schema/:"; head -n 40 "$T/schema.out"
fi

# --- the checks ------------------------------------------------------------------------------
"$PY" - "$T" "$ROGUE" <<'EOF' || FAIL=1
import json, sys, os
T, rogue_pid = sys.argv[1], int(sys.argv[2])
def load(n):
    out = []
    for l in open(os.path.join(T, n)):
        l = l.strip()
        if l.startswith('{'):
            out.append(json.loads(l))
    return out
bad = 0
def check(cond, msg):
    global bad
    print(("ok   - " if cond else "FAIL - ") + msg)
    bad |= not cond
def comms(r):
    return {p['comm'] for p in r.get('processes', [])}
def socks(recs): return [r for r in recs if r['type'] == 'socket']
def alerts(recs): return [r for r in recs if r['type'] == 'alert']

learned = load('learned.json')
unexpl = [s for s in socks(learned) if s['verdict'] == 'review']
check(not unexpl and not alerts(learned),
      f"under the learned policy every socket of the host is explained ({len(socks(learned))} sockets; "
      f"review: {[(s['proto'], s['local_port'], sorted(comms(s))) for s in unexpl]})")
dns_udp = [s for s in socks(learned) if s['proto'] == 'udp' and s['local_port'] == 53]
check(dns_udp and all(s.get('twin_of', {}).get('local_port') == 53 and s['twin_of']['proto'] == 'tcp'
                      for s in dns_udp),
      f"named's UDP 53 socket names its twin, named's TCP 53 listener: {[s.get('twin_of') for s in dns_udp]}")

for name in ('plain.json', 'rogue.json'):
    recs = load(name)
    r22 = [s for s in socks(recs) if s['proto'] == 'udp' and s['local_port'] == 22]
    check(len(r22) == 1 and r22[0]['verdict'] == 'review' and 'twin_of' not in r22[0]
          and not r22[0]['reason'].startswith('udp twin'),
          f"{name}: the rogue's UDP 22 is not sshd's twin: {[(s['verdict'], s['reason']) for s in r22]}")
    al = [a for a in alerts(recs) if a.get('local_port') == 22 and a.get('proto') == 'udp']
    check(len(al) == 1 and al[0]['kind'] == 'unexplained_udp' and 'wwrogue' in al[0]['message']
          and al[0].get('process', {}).get('pid') == rogue_pid,
          f"{name}: its alert is unexplained_udp naming wwrogue[{rogue_pid}]: {[a['message'] for a in al]}")
    check(al and al[0]['severity'] == 'high' and 'temp_exe' in al[0]['message'],
          f"{name}: it runs from a temporary folder, so that alert is raised from medium to high: "
          f"{[(a['severity'], a['message']) for a in al]}")
l2 = open(os.path.join(T, 'learned2.policy')).read().splitlines()
rl = [x for x in l2 if 'wwrogue' in x]
check(rl and all(x.startswith('# allow ') and 'not learned' in x and 'temp_exe' in x for x in rl),
      f"--learn does not whitelist the rogue silently: {rl}")

def held(recs):
    return [s for s in socks(recs) if s['proto'] == 'tcp' and s['state'] == 'ESTABLISHED'
            and s['local_port'] == 22 and s.get('remote_ip') == '198.51.100.1']
h = held(load('plain.json'))
check(len(h) == 1 and h[0]['remote_scope'] == 'private' and h[0]['verdict'] == 'ignored',
      f"by default (RFC 6890) a peer in 198.51.100.0/24 is private: {[(s['remote_scope'], s['verdict']) for s in h]}")
for name, how in (('homeopt.json', '--home-net 192.0.2.0/24'), ('homepol.json', 'a policy line home_net 192.0.2.0/24')):
    recs = load(name)
    h = held(recs)
    al = [a for a in alerts(recs) if a['kind'] == 'unexplained_established' and a.get('remote_ip') == '198.51.100.1']
    check(len(h) == 1 and h[0]['remote_scope'] == 'internet' and h[0]['verdict'] == 'review'
          and len(al) == 1 and 'sshd' in al[0]['message'],
          f"with {how} it is internet, and unexplained_established names sshd: "
          f"{[(s['remote_scope'], s['verdict']) for s in h]} {[a['message'] for a in al]}")

rv = [a for a in alerts(load('review.json')) if a['kind'] == 'unexplained_process'
      and a.get('remote_ip') == '198.51.100.1']
check(len(rv) == 1 and '198.51.100.1' in rv[0]['message'],
      f"a review alert about an ESTABLISHED socket names its peer: {[a['message'] for a in rv]}")
rf = [a for a in alerts(load('replay-review.json')) if a['kind'] == 'unexplained_process'
      and a.get('process', {}).get('comm') == 'sshd']
check(rv and rf and {a['severity'] for a in rf} == {rv[0]['severity']},
      f"the review rule gives the same severity in sockets ({rv[0]['severity'] if rv else None}) "
      f"and in replay ({sorted({a['severity'] for a in rf})})")

live = load('live.json')
flows = [r for r in live if r['type'] == 'flow']
up = [a for a in alerts(live) if a['kind'] == 'unexplained_process']
services = {'sshd', 'python3', 'named', 'socat'}
seen = {f['process']['comm'] for f in flows if f.get('process')}
check(services <= seen | {'python3'} and 'sshd' in seen and 'named' in seen and 'socat' in seen,
      f"the services' flows are attributed: {sorted(seen)}")
other = [a for a in up if a.get('process', {}).get('comm') != 'wwrogue']
check(not other, f"the learned services raise no unexplained_process under watch --policy: "
      f"{[a['message'] for a in other]}")
mine = [a for a in up if a.get('process', {}).get('comm') == 'wwrogue']
peers = sorted(a.get('src_ip') for a in mine)
check(len(mine) == 2 and peers == ['192.0.2.1', '198.51.100.1']
      and not any('more alert' in a['message'] for a in mine),
      f"the unexpected program raises exactly its alerts, one per peer, none folded: "
      f"{[a['message'] for a in mine]}")
check(mine and all(a['severity'] == 'high' for a in mine),
      f"and, as in sockets, they are raised from medium to high: {[a['severity'] for a in mine]}")

def ns4444(recs):
    return [a for a in alerts(recs) if a['kind'] == 'port_mismatch.nonstandard_port' and a.get('dst_port') == 4444]
check(ns4444(load('replay-none.json')), "HTTP on 4444 raises port_mismatch.nonstandard_port without a rule")
app = load('replay-app.json')
check(not ns4444(app), f"allow app=http port=4444 exe=... silences it: {[a['message'] for a in ns4444(app)]}")
p4444 = [a for a in alerts(app) if a['kind'] == 'unexplained_process' and a.get('dst_port') == 4444]
check(p4444, "and nothing else: the process on 4444 is still judged (unexplained_process)")
sys.exit(1 if bad else 0)
EOF

if [ "$FAIL" != 0 ]; then
	echo "--- learned policy"; cat "$T/learned.policy"
	echo "--- watch stderr"; cat "$T/watch.err"
	[ -n "${WW_E2E_QUIET:-}" ] && exit 1
	echo "--- live alerts"; grep '"alert"' "$T/live.json" | head -20
	exit 1
fi
echo "all verdict end-to-end checks passed"
exit 0
