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
