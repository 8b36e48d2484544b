#!/bin/sh
# names_vs_tshark.sh - agreement of the names and fingerprints with tshark
# (issue #13) on public captures: every TLS flow's JA3, JA3S and server
# name, every HTTP flow's Host and every DNS flow's first query, through
# tests/e2e_tlsmeta.py (which says how flows are matched), and QUIC's
# server name (tshark decrypts the client's Initial packets too).
#
#   bench/names_vs_tshark.sh [BUILDDIR] [PCAPDIR]
#     default: build, /tmp/pub/nDPI-4.2/tests/pcap (nDPI's test captures)
#
# JA4: tshark 4.0 has no JA4 field; JA4 is checked against FoxIO's
# published values in tests/test_tlsmeta.c. Prints one line per
# disagreement and the agreement per field.
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
D=${2:-/tmp/pub/nDPI-4.2/tests/pcap}
command -v tshark >/dev/null || { echo "tshark missing" >&2; exit 2; }
WW_SCHEMA_DIR=docs/schema python3 tests/e2e_tlsmeta.py "$B/wirewho" . "$D"/*.pcap "$D"/*.pcapng || true
# QUIC: the client's first ClientHello server name, per client port
agree=0 total=0
for f in "$D"/quic*.pcap* "$D"/doq*.pcap*; do
	[ -f "$f" ] || continue
	want=$(timeout 120 tshark -r "$f" -Y "quic && tls.handshake.type==1" -T fields -e udp.srcport \
		-e tls.handshake.extensions_server_name 2>/dev/null | awk -F'\t' '$2 != "" && !s[$1]++')
	[ -n "$want" ] || continue
	got=$("$B/wirewho" replay --json "$f" 2>/dev/null | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r.get("type") == "flow" and r.get("proto") == "udp" and r.get("dst_name_by") == "sni":
        print("%s\t%s" % (r["src_port"], r["dst_name"]))')
	while IFS="$(printf '\t')" read -r port name; do
		total=$((total + 1))
		if printf '%s\n' "$got" | grep -qx "$port	$name"; then agree=$((agree + 1))
		else echo "DIFF $(basename "$f") quic port $port sni: tshark '$name'"; fi
	done <<E2
$want
E2
done
echo "quic sni: $agree/$total agree"
