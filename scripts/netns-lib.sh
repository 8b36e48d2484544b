# netns-lib.sh - sourced (bash) by the tests and benchmarks that start
# network namespaces and processes: one cleanup, run on every exit.
#
# Before sourcing, the caller sets NSES (its namespace names), T (its
# temporary folder) and, optionally, DIRS (more folders it made), and
# appends the pid of every process it starts to
# PIDS. Everything is removed by its own id or name: processes first
# politely, then for good; never anything by program name.
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for ns in "${NSES[@]}"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$T" "${DIRS[@]}"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The common topology: two hosts on one veth pair, IPv4 only - $CLI with
# 192.0.2.1 on $VC and $SRV with 192.0.2.2 on $VS (the caller names them,
# unique per run). Exits 77 (skip) when namespaces cannot be made.
two_hosts_v4() {
	ip netns add "$CLI" || { echo "SKIP: cannot create network namespaces"; exit 77; }
	ip netns add "$SRV" || exit 1
	ip link add "$VC" netns "$CLI" type veth peer name "$VS" netns "$SRV" || exit 1
	local ns
	for ns in "$CLI" "$SRV"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
		ip -n "$ns" link set lo up
	done
	ip -n "$CLI" addr add 192.0.2.1/24 dev "$VC"
	ip -n "$SRV" addr add 192.0.2.2/24 dev "$VS"
	ip -n "$CLI" link set "$VC" up
	ip -n "$SRV" link set "$VS" up
}
