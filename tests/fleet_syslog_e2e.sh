#!/bin/bash
# fleet_syslog_e2e.sh - `wirewho watch --output syslog+tcp://...` into a real
# rsyslog, RFC 5424 with octet counting (RFC 6587), every record once.
#
# Two namespaces on one veth pair (scripts/netns-lib.sh: 192.0.2.1 runs
# wirewho and curl, 192.0.2.2 runs rsyslogd with its own configuration,
# pid file and work directory, imtcp on port 5514, and python3's
# http.server). wirewho starts first, while no syslog daemon listens (its
# records wait in the sink's queue and the sink retries), rsyslog a few
# seconds later; real traffic and a stats record every second follow. Then:
#   - every record of the file: sink arrives at rsyslog exactly once, whole
#     (the JSON message is the record, byte for byte);
#   - facility and APP-NAME are the ones asked for (--syslog-facility local3,
#     --syslog-app), the host name is the sender's, the severity is warning
#     for alerts and info otherwise, and the structured data's seq is the
#     record's;
# Needs root and rsyslogd; exits 77 (skipped) otherwise. Bounded: every wait
# has a limit; everything started is stopped by pid and the namespaces are
# deleted by name on exit.
#
# usage: fleet_syslog_e2e.sh WIREWHO_BINARY
set -u

WW=${1:-}
[ -n "$WW" ] && [ -x "$WW" ] || { echo "usage: $0 WIREWHO_BINARY" >&2; exit 2; }
WW=$(readlink -f "$WW")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$RSYSLOGD" ] || { echo "SKIP: rsyslogd missing"; exit 77; }
for p in ip curl python3; do
	command -v "$p" >/dev/null 2>&1 || { echo "SKIP: $p missing"; exit 77; }
done
PY=${WW_SCHEMA_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=$(command -v python3)

ID=$$
CLI=wwsl-cli-$ID
SRV=wwsl-srv-$ID
VC=wwsl-c$((ID % 100000))
VS=wwsl-s$((ID % 100000))
T=$(mktemp -d /tmp/wwsyslog-e2e.XXXXXX)
FAIL=0
NSES=("$CLI" "$SRV")
. "$(dirname "$(readlink -f "$0")")/../scripts/netns-lib.sh"

ok()   { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAIL=1; }

two_hosts_v4
mkdir -p "$T/www" "$T/rs"
echo hello >"$T/www/index.html"
ip netns exec "$SRV" python3 -m http.server 8080 --bind 192.0.2.2 --directory "$T/www" >/dev/null 2>&1 &
PIDS+=($!)

cat >"$T/rsyslog.conf" <<CONF
global(workDirectory="$T/rs" maxMessageSize="64k")
module(load="imtcp")
input(type="imtcp" address="192.0.2.2" port="5514")
template(name="ww" type="string"
  string="%syslogfacility-text%|%syslogseverity-text%|%app-name%|%hostname%|%structured-data%|%msg%\n")
action(type="omfile" file="$T/received.log" template="ww")
CONF

ip netns exec "$CLI" unshare --uts sh -c "hostname slhost-$ID; exec \"\$0\" \"\$@\"" \
	"$WW" watch -i "$VC" --attribution proc --stats-interval 1 \
	--output "file:$T/records.ndjson" --output syslog+tcp://192.0.2.2:5514 \
	--syslog-facility local3 --syslog-app wwtest$ID >"$T/watch.out" 2>"$T/watch.err" &
WPID=$!
PIDS+=($WPID)
sleep 3   # records wait: no daemon listens yet
ip netns exec "$SRV" "$RSYSLOGD" -n -f "$T/rsyslog.conf" -i "$T/rsyslog.pid" >"$T/rsyslog.out" 2>&1 &
RPID=$!
PIDS+=($RPID)
for ((i = 0; i < 50; i++)); do
	ip netns exec "$SRV" ss -H -tln "sport = :5514" | grep -q . && break
	sleep 0.1
done
for ((r = 0; r < 20; r++)); do
	ip netns exec "$CLI" curl -s -m 2 -o /dev/null http://192.0.2.2:8080/
	sleep 0.3
done
sleep 2
kill -TERM $WPID
for ((i = 0; i < 200; i++)); do kill -0 $WPID 2>/dev/null || break; sleep 0.1; done
wait $WPID 2>/dev/null
grep -q "cannot connect" "$T/watch.err" && grep -q "connected" "$T/watch.err" &&
	ok "the sink says when the daemon is away and when it is back" ||
	fail "no notice of the daemon away and back: $(cat "$T/watch.err")"
# rsyslog writes asynchronously: wait (bounded) for as many lines as records
want=$(wc -l <"$T/records.ndjson")
for ((i = 0; i < 100; i++)); do
	[ -f "$T/received.log" ] && [ "$(wc -l <"$T/received.log")" -ge "$want" ] && break
	sleep 0.1
done

"$PY" - "$T" "$ID" <<'PYEOF'
import json, sys, collections
T, ID = sys.argv[1], sys.argv[2]
written = [l for l in open(T + "/records.ndjson").read().splitlines() if l]
got = []
for line in open(T + "/received.log").read().splitlines():
    fac, sev, app, host, sd, msg = line.split("|", 5)
    got.append((fac, sev, app, host, sd, msg.lstrip(" ")))
def check(ok, what):
    print(("ok   - " if ok else "FAIL - ") + what)
    return ok
good = True
msgs = collections.Counter(g[5] for g in got)
lost = [w for w in written if w not in msgs]
dups = sum(n - 1 for n in msgs.values() if n > 1)
print("# figures: written %d received %d duplicates %d lost %d" % (len(written), len(got), dups, len(lost)))
good &= check(len(written) > 20, "wirewho wrote records (%d)" % len(written))
good &= check(not lost, "every record reached rsyslog (%d lost%s)" % (len(lost), ": " + lost[0][:200] if lost else ""))
good &= check(dups == 0 and len(got) == len(written), "each exactly once (%d received, %d duplicates)" % (len(got), dups))
bad = []
for fac, sev, app, host, sd, msg in got:
    r = json.loads(msg)
    want_sev = "warning" if r["type"] == "alert" else "info"
    if fac != "local3" or app != "wwtest" + ID or host != "slhost-" + ID or sev != want_sev or \
       sd != '[wirewho@32473 seq="%d"]' % r["seq"]:
        bad.append((fac, sev, app, host, sd))
good &= check(not bad, "facility local3, the APP-NAME, the host name, the severity and seq in the "
              "structured data%s" % (": " + repr(bad[0]) if bad else ""))
sys.exit(0 if good else 1)
PYEOF
[ $? = 0 ] || { FAIL=1; tail -n 5 "$T/watch.err" "$T/rsyslog.out"; }
exit $FAIL
