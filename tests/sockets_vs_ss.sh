#!/bin/sh
# sockets_vs_ss.sh - `wirewho sockets --json` against `ss -tunapH` in a network
# namespace full of sockets of every kind, owned by known processes.
#
# usage: tests/sockets_vs_ss.sh WIREWHO
#
# The namespace (ww4t_<pid>) gets lo, a veth pair with 192.0.2.10/24,
# 198.51.100.1/24 and 2001:db8::10/64, and one helper process ("ww4parent")
# holding: TCP listeners on 0.0.0.0, [::] (dual stack), one IPv4 address, one
# IPv6 address, 127.0.0.1 and ::1; UDP with and without a TCP twin, IPv4 and
# IPv6; established connections over loopback, over the veth addresses, IPv6,
# and IPv4 into the dual-stack listener; a connected UDP socket; and a
# listener shared with a forked child ("ww4child"); a raw ICMP socket. Checks:
#   1. the same sockets as ss (proto, state, local and remote endpoint), each
#      with the same owning pids;
#   2. scopes, verdicts and alerts of the audit on that table;
#   3. a --learn policy explains everything when given back with --policy;
#   4. a malformed policy is exit 2 with FILE:LINE:COL on stderr;
#   5. every socket and alert record matches the JSON Schemas in docs/schema/
#      (tests/schema_validate.py, run by $WW_SCHEMA_PYTHON, default
#      /usr/bin/python3: it needs python3-jsonschema).
# Exit 77 (skip) when not root or `ip netns` is unavailable. The namespace
# and the helper processes are removed by id on every exit path.
set -u

WW=${1:?usage: sockets_vs_ss.sh WIREWHO}
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
command -v ip > /dev/null && command -v ss > /dev/null || { echo "skip: no ip/ss"; exit 77; }
PY=$(command -v python3) || { echo "skip: no python3"; exit 77; }

NS=ww4t_$$
TMP=$(mktemp -d /tmp/ww4t.XXXXXX)
# The helper script lives outside the temporary directories: a script run
# from /tmp is a masquerading indicator (temp_script), and --learn rightly
# refuses to explain its sockets. Named as the comm it sets, for the same
# reason (comm_mismatch).
BIN=$(mktemp -d /var/lib/ww4t-bin.XXXXXX)
HELPER=
cleanup() {
	if [ -s "$TMP/pids" ]; then
		for p in $(cat "$TMP/pids"); do kill "$p" 2> /dev/null; done
	fi
	[ -n "$HELPER" ] && { kill "$HELPER" 2> /dev/null; wait "$HELPER" 2> /dev/null; }
	ip netns del "$NS" 2> /dev/null
	rm -rf "$TMP" "$BIN"
}
trap cleanup EXIT INT TERM

ip netns add "$NS" 2> /dev/null || { echo "skip: ip netns add failed"; exit 77; }
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo up
in_ns ip link add v0 type veth peer name v1 || { echo "skip: no veth"; exit 77; }
in_ns ip addr add 192.0.2.10/24 dev v0
in_ns ip addr add 198.51.100.1/24 dev v1
in_ns ip -6 addr add 2001:db8::10/64 dev v0 nodad
in_ns ip link set v0 up
in_ns ip link set v1 up

cat > "$BIN/ww4parent" << 'EOF'
import os, socket, sys, time
out = sys.argv[1]
def comm(name):
    with open('/proc/self/comm', 'w') as f:
        f.write(name)
def listen(fam, addr, port):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(16); return s
def udp(fam, addr, port):
    s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((addr, port)); return s
comm('ww4parent')
A4, A6 = socket.AF_INET, socket.AF_INET6
keep = [listen(A4, '0.0.0.0', 8001), udp(A4, '0.0.0.0', 8001),
        listen(A4, '192.0.2.10', 8002), listen(A4, '127.0.0.1', 8003),
        udp(A4, '0.0.0.0', 9009), listen(A6, '::', 8004), listen(A6, '::1', 8005),
        listen(A6, '2001:db8::10', 8006), udp(A6, '::', 9010), udp(A6, '2001:db8::10', 9011),
        listen(A4, '198.51.100.1', 8007)]
for fam, addr, port in [(A4, '127.0.0.1', 8001), (A4, '192.0.2.10', 8002),
                        (A6, '2001:db8::10', 8006), (A4, '127.0.0.1', 8004),
                        (A4, '198.51.100.1', 8007)]:
    c = socket.socket(fam, socket.SOCK_STREAM)
    if port == 8007:
        c.bind(('192.0.2.10', 0))
    c.connect((addr, port)); keep.append(c)
for l in keep[:11]:
    if l.type == socket.SOCK_STREAM:
        l.setblocking(False)
        try:
            while True:
                keep.append(l.accept()[0])
        except BlockingIOError:
            pass
uc = socket.socket(A4, socket.SOCK_DGRAM); uc.connect(('127.0.0.1', 9009)); keep.append(uc)
keep.append(socket.socket(A4, socket.SOCK_RAW, socket.IPPROTO_ICMP))
shared = listen(A4, '0.0.0.0', 8008)
r, w = os.pipe()
child = os.fork()
if child == 0:
    comm('ww4child')
    os.closerange(3, shared.fileno())
    os.closerange(shared.fileno() + 1, 1024)
    time.sleep(120)
    os._exit(0)
with open(out + '.tmp', 'w') as f:
    f.write('%d %d\n' % (os.getpid(), child))
os.rename(out + '.tmp', out)
time.sleep(120)
EOF

in_ns "$PY" "$BIN/ww4parent" "$TMP/pids" &
HELPER=$!
i=0
while [ ! -s "$TMP/pids" ]; do
	i=$((i + 1))
	[ $i -le 100 ] || { echo "FAIL: helper did not start"; exit 1; }
	sleep 0.1
done

NETNS=$(in_ns stat -L -c %i /proc/self/ns/net)
in_ns ss -tunapH > "$TMP/ss.txt"
in_ns "$WW" sockets --json > "$TMP/ww.json"
rc=$?
[ $rc = 0 ] || { echo "FAIL: wirewho sockets --json exited $rc"; exit 1; }
in_ns "$WW" sockets --learn > "$TMP/learned.policy" || { echo "FAIL: --learn"; exit 1; }
in_ns "$WW" sockets --json --policy "$TMP/learned.policy" > "$TMP/ww2.json" || { echo "FAIL: --policy"; exit 1; }
in_ns "$WW" sockets > "$TMP/table.txt" || { echo "FAIL: table"; exit 1; }
printf 'allow comm=sshd\nallow port=22 prot=tcp\n' > "$TMP/bad.policy"
in_ns "$WW" sockets --policy "$TMP/bad.policy" > /dev/null 2> "$TMP/bad.err"
badrc=$?

HERE=$(dirname "$(readlink -f "$0")")
SPY=${WW_SCHEMA_PYTHON:-/usr/bin/python3}
SDIR=${WW_SCHEMA_DIR:-$HERE/../docs/schema}
schema_rc=0
"$SPY" "$HERE/schema_validate.py" "$SDIR" "$TMP/ww.json" "$TMP/ww2.json" || {
	echo "FAIL: socket records that do not match docs/schema/ (above)"; schema_rc=1; }

"$PY" - "$TMP" "$NETNS" "$badrc" << 'EOF' || exit 1
import ipaddress, json, re, sys
tmp, netns, badrc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
parent, child = map(int, open(tmp + '/pids').read().split())
fails = []
def check(cond, what):
    if not cond:
        fails.append(what)

SS_STATE = {'ESTAB': 'ESTABLISHED', 'LISTEN': 'LISTEN', 'TIME-WAIT': 'TIME_WAIT',
            'SYN-SENT': 'SYN_SENT', 'SYN-RECV': 'SYN_RECV', 'FIN-WAIT-1': 'FIN_WAIT1',
            'FIN-WAIT-2': 'FIN_WAIT2', 'CLOSE-WAIT': 'CLOSE_WAIT', 'LAST-ACK': 'LAST_ACK',
            'CLOSING': 'CLOSING'}
def norm_addr(a):
    a = a.strip('[]')
    if a == '*':
        return 'any'
    ip = ipaddress.ip_address(a.split('%')[0])
    return 'any' if ip.is_unspecified else str(ip)
def split_ep(ep):
    addr, _, port = ep.rpartition(':')
    return addr, port

ss = {}
for line in open(tmp + '/ss.txt'):
    f = line.split()
    if len(f) < 6:
        continue
    proto, state = f[0], f[1]
    state = 'UNCONN' if state == 'UNCONN' and proto == 'udp' else \
            ('CLOSE' if state == 'UNCONN' else SS_STATE.get(state, state))
    la, lp = split_ep(f[4]); ra, rp = split_ep(f[5])
    remote = None if rp == '*' else (norm_addr(ra), int(rp))
    key = (proto, state, norm_addr(la), int(lp), remote)
    pids = frozenset(int(p) for p in re.findall(r'pid=(\d+)', line))
    ss.setdefault(key, []).append(pids)

ww, alerts = {}, []
recs = []
for line in open(tmp + '/ww.json'):
    r = json.loads(line)
    if r['type'] == 'alert':
        alerts.append(r)
        continue
    check(r['type'] == 'socket', 'record type %r' % r['type'])
    recs.append(r)
    if r['proto'] not in ('tcp', 'udp'):
        continue
    remote = None if r['remote_ip'] is None else (norm_addr(r['remote_ip']), r['remote_port'])
    key = (r['proto'], r['state'], norm_addr(r['local_ip']), r['local_port'], remote)
    ww.setdefault(key, []).append(frozenset(p['pid'] for p in r['processes']))
    check(r['netns'] == netns, 'netns %r != %r' % (r['netns'], netns))
    check(re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$', r['ts']), 'ts format')

for k in sorted(set(ss) | set(ww), key=str):
    a, b = sorted(map(sorted, ss.get(k, []))), sorted(map(sorted, ww.get(k, [])))
    check(a == b, 'socket %s: ss owners %s, wirewho owners %s' % (k, a, b))
check(len(ss) >= 20, 'only %d distinct sockets in the namespace' % len(ss))

def rec(proto, state, lport, lip=None):
    for r in recs:
        if r['proto'] == proto and r['state'] == state and r['local_port'] == lport and \
           (lip is None or norm_addr(r['local_ip']) == lip):
            return r
    fails.append('no record %s %s %s %s' % (proto, state, lip, lport))
    return None
def alert_on(kind, proto, lport):
    return [a for a in alerts if a['kind'] == kind and a['proto'] == proto and a['local_port'] == lport]

r = rec('tcp', 'LISTEN', 8003)
if r:
    check(r['bind_scope'] == 'loopback' and r['verdict'] == 'ignored', '8003: %s' % r)
    check(r['processes'][0]['comm'] == 'ww4parent', '8003 comm')
r = rec('tcp', 'LISTEN', 8005)
if r:
    check(r['bind_scope'] == 'loopback' and r['verdict'] == 'ignored', '::1 8005: %s' % r)
r = rec('tcp', 'LISTEN', 8001)
if r:
    check(r['bind_scope'] == 'any' and r['verdict'] == 'review', '8001: %s' % r)
check(len(alert_on('unexplained_listener', 'tcp', 8001)) == 1, 'listener alert 8001')
check(len(alert_on('unexplained_udp', 'udp', 8001)) == 0, 'udp 8001 has a TCP twin: no udp alert')
check(len(alert_on('unexplained_udp', 'udp', 9009)) == 1, 'udp 9009 without twin: alert')
check(len(alert_on('unexplained_udp', 'udp', 9011)) == 1, 'udp6 9011 without twin: alert')
r = rec('tcp', 'LISTEN', 8002)
if r:
    check(r['bind_scope'] == 'interface', '8002 interface scope')
r = rec('tcp', 'LISTEN', 8006)
if r:
    check(r['bind_scope'] == 'interface' and r['local_ip'] == '2001:db8::10', '8006')
r = rec('tcp', 'LISTEN', 8008)
if r:
    check(sorted(p['pid'] for p in r['processes']) == sorted([parent, child]), 'shared 8008 owners')
    check(sorted(p['comm'] for p in r['processes']) == ['ww4child', 'ww4parent'], 'shared comms')
est = [x for x in recs if x['state'] == 'ESTABLISHED' and x['proto'] == 'tcp' and x['local_port'] == 8007]
check(len(est) == 1 and est[0]['remote_scope'] == 'private' and est[0]['direction'] == 'in',
      'accepted 8007 connection: %s' % est)
check(not alert_on('state_anomaly', 'tcp', 8001), 'no anomalies')
raw = [x for x in recs if x['proto'] == 'raw']
check(len(raw) == 1 and raw[0]['raw_protocol'] == 1 and raw[0]['processes'][0]['pid'] == parent,
      'raw ICMP socket: %s' % raw)
check(len([a for a in alerts if a['proto'] == 'raw' and a['kind'] == 'unexplained_process'
           and a['severity'] == 'high']) == 1, 'raw socket alert')
for a in alerts:
    check(a['message'] and a['severity'] in ('low', 'medium', 'high'), 'alert fields %s' % a)

learned = [json.loads(l) for l in open(tmp + '/ww2.json')]
left = [x for x in learned if x['type'] == 'alert']
check(not left, 'learned policy leaves alerts: %s' % [a['message'] for a in left])
check(all(x['verdict'] in ('explained', 'ignored') for x in learned if x['type'] == 'socket'),
      'learned policy leaves sockets to review')
table = open(tmp + '/table.txt').read()
check('Local Address' in table and 'ww4parent' in table and 'need review' in table, 'table')
check('\x1b' not in table, 'no colour when stdout is not a terminal')
err = open(tmp + '/bad.err').read()
check(badrc == 2 and 'bad.policy:2:15: unknown key' in err, 'bad policy: rc %d, %r' % (badrc, err))

for f in fails:
    print('FAIL:', f)
print('%d sockets compared with ss, %d alerts, %d failures' % (len(ss), len(alerts), len(fails)))
sys.exit(1 if fails else 0)
EOF
exit $schema_rc
