#!/bin/sh
# Quick start: install what is missing, build (optimized), and replay two
# bundled captures of real programs: curl against python's http.server, and
# an ssh server moved to port 443 (which wirewho flags).
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -d build ] || meson setup build --buildtype=release >/dev/null
ninja -C build >/dev/null
capture="pcaps/real/http.pcap pcaps/real/ssh_443.pcap"
echo "== wirewho replay $capture" >&2
./build/wirewho replay $capture
