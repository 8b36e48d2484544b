#!/bin/sh
# The whole test suite, as CI runs it: install what is missing, then build
# twice -- optimized, and with ASan+UBSan -- with warnings as errors, and run
# every meson test (cmocka unit suites and the end-to-end tests) on both.
# The last line is the total: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
scripts/deps.sh || exit 1

pass=0
fail=0
status=0
# What a failed test said, short enough to survive in a CI summary: from
# each output meson prints for a failure, the lines that name what failed
# (a check's FAIL, a cmocka failure, a sanitizer's report) and its last lines.
failure_logs() {
	awk '
	/^Summary of Failures/ { exit }
	/^ *[0-9]+\/[0-9]+ .* (FAIL|TIMEOUT) / { print "  --- " $0 }
	/✀/ { inside = 1; n = 0; shown = 0; next }
	inside && /^――――/ {
		print "  --- the end of that output:"
		for (i = (n > 12 ? n - 12 : 0); i < n; i++) print "    " last[i]
		inside = 0; next
	}
	inside {
		last[n++] = $0
		if (shown < 40 && $0 ~ /FAIL|\[  FAILED|ERROR|error:|runtime error|Assert|SUMMARY/) {
			print "    " $0; shown++
		}
	}
	' "$1"
}

run() {  # run NAME BUILDDIR MESON-OPTIONS...
	name=$1; dir=$2; shift 2
	echo "== $name build ($dir)"
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; status=1; fail=$((fail + 1)); return; }
	fi
	if ! ninja -C "$dir" >"$dir.build.log" 2>&1; then
		cat "$dir.build.log"
		status=1
		fail=$((fail + 1))
		return
	fi
	meson test -C "$dir" --print-errorlogs --num-processes 2 >"$dir.test.log" 2>&1
	rc=$?
	sed -n '/^Summary of Failures/,$p;/^Ok:/,/^Timeout:/p' "$dir.test.log" | sed 's/^/  /'
	grep -E '^ *[0-9]+/[0-9]+ ' "$dir.test.log" | sed 's/^/  /'
	[ "$rc" -eq 0 ] || failure_logs "$dir.test.log"
	ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$dir.test.log" | tail -n 1)
	bad=0
	for k in Fail Timeout "Unexpected Pass"; do
		n=$(sed -n "s/^$k: *\([0-9]*\).*/\1/p" "$dir.test.log" | tail -n 1)
		bad=$((bad + ${n:-0}))
	done
	pass=$((pass + ${ok:-0}))
	fail=$((fail + bad))
	[ "$rc" -eq 0 ] || status=1
}

run optimized build-test --buildtype=release -Dwerror=true
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
run asan+ubsan build-asan --buildtype=debugoptimized -Dwerror=true \
	-Db_sanitize=address,undefined -Db_lundef=false
echo "$pass passed, $fail failed"
exit $status
