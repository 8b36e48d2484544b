#!/bin/bash
# cli_e2e.sh - the command line of the real binary, the same in every command
# (issue #11's consistency items, #17.7), end to end.
#
# Without privileges: usage errors are one line on stderr, exit 2, and name
# the option as the user wrote it (watch, replay and sockets alike); -h and
# --help work on every command; --timeout takes a comma list; `watch --record`
# refuses a non-empty directory and leaves the earlier recording untouched.
#
# As root, `wirewho watch` on a veth pair between two network namespaces
# (192.0.2.1 watched, 192.0.2.2 the peer), with real python3 servers and
# clients: a bad BPF filter is exit 2 as in replay; --force lets --record
# overwrite; --timeout and --ports work live as in replay; the text stream
# has a line (with a time column, within 100 columns) while an attributed
# connection is still open; --json writes a stats record every
# --stats-interval and the final one last; packets still in the ring at
# SIGTERM are counted, so packets + dropped + discarded = received. Every
# record is checked against docs/schema/. Without root those are skipped and
# the rest still runs (exit 77 only when nothing could run).
#
# Bounded: every wait has a limit; everything started is stopped by pid and
# the namespaces are deleted by name on exit (scripts/netns-lib.sh).
#
# usage: cli_e2e.sh WIREWHO_BINARY
set -u

WW=${1:-}
[ -n "$WW" ] && [ -x "$WW" ] || { echo "usage: $0 WIREWHO_BINARY" >&2; exit 2; }
WW=$(readlink -f "$WW")
HERE=$(dirname "$(readlink -f "$0")")
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
SPY=${WW_SCHEMA_PYTHON:-/usr/bin/python3}
SDIR=${WW_SCHEMA_DIR:-$HERE/../docs/schema}
PCAP=$HERE/../pcaps/real/http.pcap

ID=$$
NA=wwcli-a-$ID
NB=wwcli-b-$ID
VA=wwcli-a$((ID % 100000))
VB=wwcli-b$((ID % 100000))
T=$(mktemp -d /tmp/wwcli-e2e.XXXXXX)
FAIL=0
NSES=()
. "$HERE/../scripts/netns-lib.sh"

ok()   { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAIL=1; }

# usage_error NAME SUBSTRING ARGS...: exit 2, exactly one line on stderr,
# and that line contains SUBSTRING (the option as written, and why).
usage_error() {
	local name=$1 want=$2
	shift 2
	"$WW" "$@" >"$T/u.out" 2>"$T/u.err" </dev/null
	local rc=$? lines
	lines=$(wc -l <"$T/u.err")
	if [ "$rc" = 2 ] && [ "$lines" = 1 ] && grep -qF -- "$want" "$T/u.err"; then
		ok "$name"
	else
		fail "$name (exit $rc, $lines stderr lines, want \"$want\"): $(head -c 300 "$T/u.err")"
	fi
}

# Wait (bounded) for pid $1 to exit; kill it after $2 seconds. Returns its status.
wait_pid() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return $?; }
		sleep 0.1
	done
	kill "$1" 2>/dev/null; wait "$1" 2>/dev/null
	return 124
}

# ---- usage, for every command ---------------------------------------------------
usage_error "test_watch_names_an_unknown_long_option" "option --bogus is unknown" watch --bogus -i lo
usage_error "test_watch_names_an_unknown_short_option" "option -x is unknown" watch -x -i lo
usage_error "test_watch_says_an_option_needs_its_argument" "option -i needs an argument" watch -i
usage_error "test_watch_says_record_needs_its_argument" "option --record needs an argument" watch -i lo --record
usage_error "test_watch_rejects_a_bad_timeout" "--timeout: \"tcp=soon\"" watch -i lo --timeout tcp=soon
usage_error "test_watch_rejects_an_extra_argument" "unexpected argument \"extra\"" watch -i lo extra
usage_error "test_replay_names_an_unknown_option" "option --bogus is unknown" replay --bogus x.pcap
usage_error "test_replay_says_timeout_needs_its_argument" "option --timeout needs an argument" replay x.pcap --timeout
usage_error "test_replay_rejects_a_timeout_list_with_a_hole" "--timeout: \"tcp=600,,udp=1\"" replay --timeout tcp=600,,udp=1 x.pcap
usage_error "test_sockets_tulpn_blames_the_letter_not_the_command" "option -t is unknown" sockets -tulpn
usage_error "test_sockets_passes_without_a_number_needs_an_argument" "option --passes needs an argument" sockets --passes
usage_error "test_sockets_passes_must_be_a_number" "--passes: \"many\"" sockets --passes many
usage_error "test_sockets_names_an_unknown_long_option" "option --bogus is unknown" sockets --bogus

for cmd in replay watch sockets; do
	for h in -h --help; do
		if "$WW" $cmd $h >"$T/h.out" 2>"$T/h.err" && head -1 "$T/h.out" | grep -q "^usage: wirewho $cmd" &&
			[ ! -s "$T/h.err" ]; then
			ok "test_${cmd}_${h#-*-}_prints_its_usage_on_stdout ($h)"
		else
			fail "test_${cmd}_prints_its_usage_on_stdout ($h): $(head -c 200 "$T/h.err")"
		fi
	done
done

# The README's form: one --timeout with a comma list of CLASS=S.
if "$WW" replay --json --no-progress --timeout tcp=600,udp=120,closed=5,tcp-new=20,other=10 "$PCAP" >"$T/r.json" 2>"$T/r.err" &&
	tail -1 "$T/r.json" | grep -q '"type":"stats"'; then
	ok "test_replay_takes_a_comma_list_of_timeouts"
else
	fail "test_replay_takes_a_comma_list_of_timeouts: $(head -c 300 "$T/r.err")"
fi

# An evidence directory is never truncated: refused before anything opens.
mkdir -p "$T/old"
echo "an earlier recording" >"$T/old/capture.pcap"
usage_error "test_watch_record_refuses_a_non_empty_directory" "--record: $T/old is not empty" \
	watch -i lo --duration 1 --record "$T/old"
if [ "$(cat "$T/old/capture.pcap")" = "an earlier recording" ]; then
	ok "test_watch_record_leaves_the_earlier_recording_untouched"
else
	fail "test_watch_record_leaves_the_earlier_recording_untouched"
fi

# ---- live, as root ------------------------------------------------------------------
if [ "$(id -u)" != 0 ] || ! ip netns add "$NA" 2>/dev/null; then
	echo "# live tests skipped: need root and network namespaces"
	exit $FAIL
fi
NSES=("$NA" "$NB")
ip netns add "$NB" || exit 1
ip link add "$VA" netns "$NA" type veth peer name "$VB" netns "$NB" || exit 1
for ns in "$NA" "$NB"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set lo up
done
ip -n "$NA" addr add 192.0.2.1/24 dev "$VA"
ip -n "$NB" addr add 192.0.2.2/24 dev "$VB"
ip -n "$NA" link set "$VA" up
ip -n "$NB" link set "$VB" up

# watch_bg OUT ARGS...: start `wirewho watch -i VA ARGS` in NA, stdout to
# OUT, stderr to OUT.err; its pid in WPID, after a bounded wait for its
# packet socket to exist (ss -0), and a little more for its caches to warm.
watch_bg() {
	local out=$1 i
	shift
	ip netns exec "$NA" "$WW" watch -i "$VA" "$@" >"$out" 2>"$out.err" &
	WPID=$!
	PIDS+=("$WPID")
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$NA" ss -H -0 -p 2>/dev/null | grep -q "pid=$WPID," && break
		sleep 0.1
	done
	sleep 0.3
}

# A bad BPF filter is bad usage, as in replay: exit 2, one line naming -f.
ip netns exec "$NA" "$WW" watch -i "$VA" -f 'port nonsense(' --duration 2 >"$T/f.out" 2>"$T/f.err"
rc=$?
if [ "$rc" = 2 ] && [ "$(wc -l <"$T/f.err")" = 1 ] && grep -q -- "-f: bad filter" "$T/f.err"; then
	ok "test_watch_bad_filter_is_exit_2_as_in_replay"
else
	fail "test_watch_bad_filter_is_exit_2_as_in_replay (exit $rc): $(head -c 300 "$T/f.err")"
fi

# --force: the user says so, and the directory is written.
ip netns exec "$NA" "$WW" watch -i "$VA" --json --duration 1 --record "$T/old" --force >"$T/force.json" 2>"$T/force.err"
rc=$?
if [ "$rc" = 0 ] && [ "$(head -c 4 "$T/old/capture.pcap" | od -An -tx1 | tr -d ' ')" != "616e2065" ] &&
	[ -s "$T/old/sockets.ndjson" ]; then
	ok "test_watch_record_force_overwrites_a_non_empty_directory"
else
	fail "test_watch_record_force_overwrites_a_non_empty_directory (exit $rc): $(head -c 300 "$T/force.err")"
fi

# An echo server in NB for UDP, and python's http.server on the odd port 4444.
cat >"$T/udpecho.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    d, a = s.recvfrom(2048)
    s.sendto(d, a)
EOF
mkdir -p "$T/www"
echo hello >"$T/www/index.html"
ip netns exec "$NB" "$PY" "$T/udpecho.py" 192.0.2.2 5300 >/dev/null 2>&1 &
PIDS+=($!)
(cd "$T/www" && exec ip netns exec "$NB" "$PY" -m http.server -b 192.0.2.2 4444) >/dev/null 2>&1 &
PIDS+=($!)
for ((i = 0; i < 50; i++)); do
	ip netns exec "$NB" ss -Htln "sport = :4444" | grep -q . && break
	sleep 0.1
done

# One UDP exchange at a time, the client holding its socket for `hold` seconds.
cat >"$T/udpclient.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((sys.argv[1], int(sys.argv[2])))
s.send(b"ping")
try:
    s.recv(2048)
except OSError:
    pass
time.sleep(float(sys.argv[3]))
EOF

# --timeout live: a UDP flow idle for 1 s ends by timeout while watch runs.
watch_bg "$T/tmo.json" --json --timeout udp=1,tcp=600 --duration 6 -f "udp port 5300"
ip netns exec "$NA" "$PY" "$T/udpclient.py" 192.0.2.2 5300 0.2
wait_pid "$WPID" 15
rc=$?
if [ "$rc" = 0 ] && grep '"type":"flow"' "$T/tmo.json" | grep -q '"end_reason":"timeout"'; then
	ok "test_watch_timeout_ends_an_idle_udp_flow_live"
else
	fail "test_watch_timeout_ends_an_idle_udp_flow_live (exit $rc): $(head -c 300 "$T/tmo.json.err")"
fi

# --ports live: HTTP on 4444 is a nonstandard port, unless --ports says it is http's.
echo "http 80 4444" >"$T/ports"
for mode in default ports; do
	extra=()
	[ $mode = ports ] && extra=(--ports "$T/ports")
	watch_bg "$T/ports-$mode.json" --json --duration 5 -f "tcp port 4444" "${extra[@]}"
	ip netns exec "$NA" curl -s -m 3 -o /dev/null http://192.0.2.2:4444/
	wait_pid "$WPID" 15
done
if grep -q 'port_mismatch.nonstandard_port' "$T/ports-default.json" &&
	! grep -q 'port_mismatch' "$T/ports-ports.json" && grep -q '"app_proto":"http"' "$T/ports-ports.json"; then
	ok "test_watch_ports_file_makes_4444_a_standard_http_port_live"
else
	fail "test_watch_ports_file_makes_4444_a_standard_http_port_live: $(head -c 300 "$T/ports-ports.json.err")"
fi

# The text stream: a line while the connection is open, with the time column,
# within 100 columns. The client is python3 under a short name (comm "wwc":
# a process shown in up to 12 characters, "wwc[123456]", fits).
ln -s "$PY" "$T/wwc"
cat >"$T/hold.py" <<'EOF'
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
time.sleep(float(sys.argv[3]))
EOF
watch_bg "$T/text.out" --duration 8 -f "tcp port 4444"
ip netns exec "$NA" "$T/wwc" "$T/hold.py" 192.0.2.2 4444 4 &
HPID=$!
PIDS+=("$HPID")
seen=""
for ((i = 0; i < 30; i++)); do
	kill -0 "$HPID" 2>/dev/null || break
	if grep -qE "^[0-2][0-9]:[0-5][0-9]:[0-5][0-9] new +[0-9]+ tcp +192\.0\.2\.1:[0-9]+ +192\.0\.2\.2:4444 .*wwc\[$HPID\]" "$T/text.out"; then
		seen=yes
		break
	fi
	sleep 0.1
done
open_then=no
kill -0 "$HPID" 2>/dev/null && open_then=yes
wait_pid "$HPID" 10
wait_pid "$WPID" 15
wide=$(grep -E "^[0-2][0-9]:[0-5][0-9]:[0-5][0-9] (new|end) " "$T/text.out" | awk 'length($0) > 100' | head -3)
if [ "$seen" = yes ] && [ "$open_then" = yes ]; then
	ok "test_watch_text_shows_an_attributed_flow_while_it_is_open"
else
	fail "test_watch_text_shows_an_attributed_flow_while_it_is_open: $(head -c 400 "$T/text.out")"
fi
if grep -qE "^[0-2][0-9]:[0-5][0-9]:[0-5][0-9] end +[0-9]+ tcp .*192\.0\.2\.2:4444 .*http" "$T/text.out" && [ -z "$wide" ]; then
	ok "test_watch_text_lines_have_a_time_column_and_fit_100_columns"
else
	fail "test_watch_text_lines_have_a_time_column_and_fit_100_columns: ${wide:-$(head -c 400 "$T/text.out")}"
fi

# --json: a stats record every --stats-interval seconds, the final one last.
watch_bg "$T/stats.json" --json --stats-interval 1 --duration 4 -f "udp port 5300"
ip netns exec "$NA" "$PY" "$T/udpclient.py" 192.0.2.2 5300 0
wait_pid "$WPID" 15
rc=$?
n=$(grep -c '"type":"stats"' "$T/stats.json")
if [ "$rc" = 0 ] && [ "$n" -ge 3 ] && tail -1 "$T/stats.json" | grep -q '"type":"stats".*"received"'; then
	ok "test_watch_json_writes_stats_every_interval_and_the_final_last ($n stats records)"
else
	fail "test_watch_json_writes_stats_every_interval_and_the_final_last (exit $rc, $n stats records)"
fi

# SIGTERM with packets still in the ring: they are counted. watch is stopped
# (SIGSTOP) while NB sends 500 datagrams, then told to stop and let go on.
cat >"$T/burst.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[3])):
    s.sendto(b"x" * 64, (sys.argv[1], int(sys.argv[2])))
    if i % 50 == 49:
        time.sleep(0.01)
EOF
watch_bg "$T/ring.json" --json --duration 30 -f "udp port 7777"
kill -STOP "$WPID"
ip netns exec "$NB" "$PY" "$T/burst.py" 192.0.2.1 7777 500
sleep 0.3
kill -TERM "$WPID"
kill -CONT "$WPID"
wait_pid "$WPID" 15
rc=$?
if "$PY" - "$T/ring.json" <<'EOF'
import json, sys
st = [json.loads(l) for l in open(sys.argv[1]) if '"type":"stats"' in l][-1]
got = st["packets"] + st["dropped"] + st["discarded"]
print("# stats: packets %d dropped %d discarded %d received %d" %
      (st["packets"], st["dropped"], st["discarded"], st["received"]))
sys.exit(0 if st["packets"] >= 500 and got == st["received"] else 1)
EOF
then
	ok "test_watch_counts_the_packets_still_in_the_ring_at_sigterm (exit $rc)"
else
	fail "test_watch_counts_the_packets_still_in_the_ring_at_sigterm (exit $rc)"
fi

# Every record written above matches the schemas.
if "$SPY" "$HERE/schema_validate.py" "$SDIR" "$T"/*.json "$T/old/sockets.ndjson" >"$T/schema.out" 2>&1; then
	ok "test_every_live_record_matches_the_schemas"
else
	fail "test_every_live_record_matches_the_schemas: $(head -c 600 "$T/schema.out")"
fi
exit $FAIL
