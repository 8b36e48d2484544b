# shellcheck shell=bash
# The two-hop topology's common part for kattr_netns_e2e.sh and
# kattr_nat_e2e.sh (sourced, after they built the namespaces): a TCP+UDP sink
# on 198.51.100.2:9200 in $SRV, watch on $WATCH_IF in $HOST, short-lived
# clients ($CL, $N of them) and the check that every client's pid names its
# flow. The callers differ only in the interface watched and the reason they
# expect (another namespace, or through NAT).
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
    await loop.create_datagram_endpoint(Udp, local_addr=('0.0.0.0', 9200))
    srv = await asyncio.start_server(tcp, '0.0.0.0', 9200, backlog=1024)
    async with srv: await srv.serve_forever()
asyncio.run(main())
EOF
ip netns exec "$SRV" "$PY" "$T/sink.py" &
PIDS+=($!)
for ((i = 0; i < 50; i++)); do ip netns exec "$SRV" ss -Htln "sport = :9200" | grep -q . && break; sleep 0.1; done
ip netns exec "$CT" ping -c1 -W2 198.51.100.2 >/dev/null || { fail "the container reaches the server through the host"; exit 1; }

start_watch() {
	local name=$1
	shift
	ip netns exec "$HOST" "$WW" watch -i "$WATCH_IF" --json -f "port 9200" --duration 120 "$@" \
		>"$T/$name.json" 2>"$T/$name.err" &
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

# Run $N clients of PROTO in NS holding HOLD ms, one after the other, to
# DST (default: the server); pids into FILE.
clients() {
	local ns=$1 proto=$2 hold=$3 file=$4 dst=${5:-198.51.100.2}
	ip netns exec "$ns" bash -c '
		for ((i = 0; i < '"$N"'; i++)); do
			'"$CL"' '"$proto"' '"$dst"' 9200 '"$hold"' &
			echo $!
			wait $!
			sleep 0.02
		done' >>"$file"
}

# check NAME PROTO PIDFILE STATUS REASON_PART: every pid has a flow named after it.
check() {
	"$PY" - "$T/$1.json" "$2" "$T/$3" "$4" "$5" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
proto, status, part = sys.argv[2], sys.argv[4], sys.argv[5]
pids = [int(l) for l in open(sys.argv[3]) if l.strip()]
flows = [r for r in recs if r['type'] == 'flow' and r['proto'] == proto and r['dst_port'] == 9200]
by_pid = {f['process']['pid']: f for f in flows if f.get('process')}
bad = []
for p in pids:
    f = by_pid.get(p)
    if not f:
        bad.append(f"pid {p}: no flow names it")
    elif (f['process']['comm'] != 'kattr_client' or f['attribution']['status'] != status
          or part not in f['attribution']['reason']):
        bad.append(f"pid {p}: {f['process']['comm']} {f['attribution']['status']} {f['attribution']['reason']}")
for b in bad[:5]:
    print("   ", b)
unres = {}
for f in flows:
    if not f.get('process'):
        k = f"{f['attribution']['status']}: {f['attribution']['reason']}"
        unres[k] = unres.get(k, 0) + 1
for r, k in unres.items():
    print(f"    unattributed x{k}: {r}")
print(f"    {len(pids) - len(bad)}/{len(pids)} {proto} clients in the container attributed ({status})")
sys.exit(1 if bad or not pids else 0)
EOF
}

