#!/bin/sh
# Quick start: install what is missing, build (optimized), and replay a
# bundled capture of real programs (curl against python's http.server).
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -d build ] || meson setup build --buildtype=release >/dev/null
ninja -C build >/dev/null
capture=pcaps/real/http.pcap
[ -f "$capture" ] || capture=$(ls pcaps/real/*.pcap | head -n 1)
echo "== wirewho replay $capture" >&2
./build/wirewho replay "$capture"
