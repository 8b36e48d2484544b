#!/bin/sh
# names_vs_tshark.sh - agreement of the names and fingerprints with tshark
# (issue #13) on public captures: every TLS flow's JA3, JA3S and server
# name, every HTTP flow's Host and every DNS flow's first query, through
# tests/e2e_tlsmeta.py (which says how flows are matched), and QUIC's
# server name (tshark opens the client's Initial packets too).
#
#   bench/names_vs_tshark.sh [BUILDDIR] [PCAPDIR]
#     default: build, /tmp/pub/nDPI-4.2/tests/pcap (nDPI's test captures)
#   QUIC_ONLY=1: the QUIC part alone
#
# JA4: tshark 4.0 has no JA4 field; JA4 is checked against FoxIO's
# published values in tests/test_tlsmeta.c. Prints one line per
# disagreement and the agreement per field.
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
D=${2:-/tmp/pub/nDPI-4.2/tests/pcap}
command -v tshark >/dev/null || { echo "tshark missing" >&2; exit 2; }
[ -n "${QUIC_ONLY:-}" ] ||
	WW_SCHEMA_DIR=docs/schema python3 tests/e2e_tlsmeta.py "$B/wirewho" . "$D"/*.pcap "$D"/*.pcapng || true
# QUIC: each client port's first ClientHello server name
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
agree=0 total=0
for f in "$D"/*quic*.pcap* "$D"/doq*.pcap*; do
	[ -f "$f" ] || continue
	timeout 120 tshark -r "$f" -Y "quic && tls.handshake.type==1" -T fields -e udp.srcport \
		-e tls.handshake.extensions_server_name 2>/dev/null | awk -F'\t' '$2 != "" && !s[$1]++' > "$T/want"
	[ -s "$T/want" ] || continue
	"$B/wirewho" replay --json "$f" 2>/dev/null | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r.get("type") == "flow" and r.get("proto") == "udp" and r.get("dst_name_by") == "sni":
        print("%s\t%s" % (r["src_port"], r["dst_name"]))' > "$T/got"
	while IFS= read -r line; do
		total=$((total + 1))
		if grep -qxF "$line" "$T/got"; then agree=$((agree + 1))
		else echo "DIFF $(basename "$f") quic (port, sni) tshark: $line"; fi
	done < "$T/want"
done
echo "quic sni: $agree/$total agree"
