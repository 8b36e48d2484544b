#!/bin/bash
# bench_tables.sh - build and run bench/bench_tables.c: wirewho's flow table
# against DPDK's rte_hash and absl's flat_hash_map, in one run (see the
# file's opening comment for what is measured and why it is fair).
#
# Not part of meson or CI: it needs libdpdk-dev, libabsl-dev and g++ (the
# product needs none of them). src/flow/flowtab.c is compiled here with the
# release build's flags (-O3, NDEBUG, C11), absl_map.cc with -O3 C++17.
#
#   bench/bench_tables.sh                    # 1M and 10M flows, 7 rounds (~3 min)
#   bench/bench_tables.sh -r 9 1000000       # arguments go to bench_tables
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${TMPDIR:-/tmp}/bench_tables.$(id -u)
mkdir -p "$out"
CC=${CC:-cc}
CXX=${CXX:-c++}
cflags="-O3 -DNDEBUG -std=c11 -D_GNU_SOURCE -I$root/include"
"$CXX" -O3 -DNDEBUG -std=c++17 -c "$here/absl_map.cc" -o "$out/absl_map.o" $(pkg-config --cflags absl_hash absl_raw_hash_set)
"$CC" $cflags -c "$root/src/flow/flowtab.c" -o "$out/flowtab.o"
"$CC" $cflags $(pkg-config --cflags libdpdk) -Wno-deprecated-declarations -c "$here/bench_tables.c" -o "$out/bench_tables.o"
"$CXX" -o "$out/bench_tables" "$out/bench_tables.o" "$out/flowtab.o" "$out/absl_map.o" \
	$(pkg-config --libs libdpdk) $(pkg-config --libs absl_hash absl_raw_hash_set)
cat /proc/loadavg | sed 's/^/loadavg before: /'
exec "$out/bench_tables" "$@"
