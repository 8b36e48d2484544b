#!/bin/sh
# fuzz.sh - build the libFuzzer targets fuzz/fuzz_*.c with clang under
# ASan+UBSan and run each for a given number of seconds.
#
#   scripts/fuzz.sh SECONDS [target...]     e.g.  scripts/fuzz.sh 180 decode
#
# A target is named by its file (fuzz/fuzz_decode.c -> "decode" or
# "fuzz_decode"); with none given, every fuzz/fuzz_*.c runs, one after the
# other (the machine is shared: one fuzzing process at a time).
#
# Sources: a target lists what it links in a comment line
#   " * fuzz-sources: src/capture/decode.c src/common/common.c"
# and without one gets every .c file under src/ but the commands (src/cli/),
# linked with libpcap, libmnl and libm.
#
# The committed seed corpus fuzz/corpus/<name>/ is only read: new inputs go
# to a scratch corpus under $WW_FUZZ_DIR (default /tmp/wirewho-fuzz), and so
# do crash artifacts, whose paths are printed. Exit status: 0 when every
# target ran its time without a finding, 1 otherwise, 2 on bad usage.
set -eu

usage() {
	echo "usage: scripts/fuzz.sh SECONDS [target...]" >&2
	exit 2
}
[ $# -ge 1 ] || usage
secs=$1
shift
case $secs in '' | *[!0-9]*) usage ;; esac

root=$(cd "$(dirname "$0")/.." && pwd)
work=${WW_FUZZ_DIR:-/tmp/wirewho-fuzz}
cc=${CC_FUZZ:-clang}
command -v "$cc" >/dev/null 2>&1 || { echo "fuzz.sh: $cc not found (libFuzzer needs clang)" >&2; exit 2; }
mkdir -p "$work"

if [ $# -eq 0 ]; then
	set -- $(cd "$root/fuzz" && ls fuzz_*.c 2>/dev/null | sed 's/\.c$//')
fi
[ $# -ge 1 ] || { echo "fuzz.sh: no fuzz/fuzz_*.c targets" >&2; exit 2; }

cflags="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes"

status=0
for t in "$@"; do
	name=${t#fuzz_}
	name=${name%.c}
	src="$root/fuzz/fuzz_$name.c"
	[ -f "$src" ] || { echo "fuzz.sh: no such target: $src" >&2; exit 2; }

	srcs=$(sed -n 's|^[ /*]*fuzz-sources:[ ]*||; T; s|[ ]*[*]/.*$||; p' "$src" | head -n 1)
	libs="-lcrypto"   # tlsmeta.c hashes with libcrypto (any target with the classifier)
	if [ -z "$srcs" ]; then
		srcs=$(cd "$root" && find src -name '*.c' ! -path 'src/cli/*' ! -path 'src/*/bpf/*' | sort | tr '\n' ' ')
		libs="-lpcap -lmnl -lm -lcrypto"
	fi
	bin="$work/fuzz_$name"
	echo "== building fuzz_$name"
	# shellcheck disable=SC2086  # word splitting of the flag and file lists is wanted
	(cd "$root" && $cc $cflags -Iinclude $srcs "fuzz/fuzz_$name.c" $libs -o "$bin")

	scratch="$work/corpus_$name"
	art="$work/artifacts_$name/"
	mkdir -p "$scratch" "$art"
	seeds="$root/fuzz/corpus/$name"
	[ -d "$seeds" ] || seeds=""
	echo "== running fuzz_$name for ${secs}s (seeds: ${seeds:-none}, scratch: $scratch)"
	log="$work/fuzz_$name.log"
	# shellcheck disable=SC2086
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art" "$scratch" $seeds >"$log" 2>&1; then
		grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)|DONE' "$log" || true
		echo "== fuzz_$name: no finding"
	else
		status=1
		tail -n 40 "$log"
		echo "== fuzz_$name: FINDING, artifacts in $art (full log $log)"
	fi
done
exit $status
