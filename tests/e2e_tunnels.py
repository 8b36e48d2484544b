#!/usr/bin/env python3
"""e2e_tunnels.py - replays of pcaps/tunnels (scripts/mk_tunnel_pcaps.py): the
inner conversation of every tunnel is a flow with its `tunnel` layers, the
carrier is a flow of its own, --no-decap and --vxlan-port do what they say,
malformed inner packets are counted decode errors, TSO segments count, and a
pcapng whose interfaces differ in link type and snap length is read whole.
Every record is validated against docs/schema/.

usage: e2e_tunnels.py WIREWHO SRCDIR"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schema_validate  # noqa: E402

WW, SRC = sys.argv[1], sys.argv[2]
SCHEMAS = schema_validate.Validator(os.environ.get("WW_SCHEMA_DIR") or os.path.join(SRC, "docs", "schema"))
DIR = os.path.join(SRC, "pcaps", "tunnels")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def replay(name, *extra):
    p = subprocess.run([WW, "replay", "--json", *extra, os.path.join(DIR, name)], capture_output=True, timeout=60)
    errs = SCHEMAS.check_text(p.stdout, name)
    check(not errs, f"{name} {' '.join(extra)}: records match the schema {errs[:3]}")
    recs = [json.loads(l) for l in p.stdout.decode().splitlines()]
    return p.returncode, [r for r in recs if r["type"] == "flow"], recs[-1]


def inner(flows):
    return [f for f in flows if f.get("tunnel")]


# Each tunnel: (file, inner TCP flows, layer types of the first, its id or None, carrier flows)
CASES = [
    ("gre.pcap", 3, ["gre"], 0x1234, 1),
    ("erspan.pcap", 3, ["erspan-1"], None, 1),
    ("vxlan.pcap", 2, ["vxlan"], 100, 4),
    ("geneve.pcap", 2, ["geneve"], 200, 2),
    ("ipip.pcap", 4, ["ip-in-ip"], None, 4),
    ("teredo.pcap", 1, ["teredo"], None, 1),
    ("gtpu.pcap", 1, ["gtp-u"], 0x11223344, 1),
    ("ayiya.pcap", 1, ["ayiya"], None, 1),
    ("nested.pcap", 1, ["gre", "vxlan"], 9, 4),
]
for name, n_inner, types, ident, n_carrier in CASES:
    rc, flows, st = replay(name)
    tf = inner(flows)
    tcp = [f for f in tf if f["proto"] == "tcp"]
    first = tcp[0] if tcp else {}
    layers = first.get("tunnel", [])
    ok = rc == 0 and len(tcp) == n_inner and [l["type"] for l in layers] == types
    ok = ok and (ident is None or layers[0].get("id") == ident)
    ok = ok and all(f["pkts_toserver"] == 5 and f["pkts_toclient"] == 3 and f["src_port"] != 80 for f in tcp)
    ok = ok and len(flows) - len(tcp) == n_carrier and st["decode_errors"] == 0
    check(ok, f"{name}: {len(tcp)}/{n_inner} inner TCP flows 5+3 packets, client first, layers "
              f"{[l['type'] for l in layers]}/{types}, {len(flows) - len(tcp)}/{n_carrier} carrier flows")

rc, flows, st = replay("gre.pcap", "--no-decap")
check(len(flows) == 1 and not inner(flows) and flows[0]["proto"] == "47", "--no-decap: only the GRE carrier")
rc, flows, st = replay("vxlan_8472.pcap")
check(not inner(flows), "VXLAN on 8472 is plain UDP without --vxlan-port")
rc, flows, st = replay("vxlan_8472.pcap", "--vxlan-port", "8472")
check(len(inner(flows)) == 1 and inner(flows)[0]["tunnel"][0]["id"] == 7, "--vxlan-port 8472: the inner flow, VNI 7")
p = subprocess.run([WW, "replay", "--vxlan-port", "0", os.path.join(DIR, "vxlan.pcap")], capture_output=True)
check(p.returncode == 2 and p.stderr.decode().count("\n") == 1, "--vxlan-port 0 is a one-line usage error")

rc, flows, st = replay("malformed_tunnel.pcap")
check(st["decode_errors"] == 4 and len(flows) == 3 and not inner(flows),
      f"malformed inner packets: 4 decode errors ({st['decode_errors']}), the carriers still flows")
rc, flows, st = replay("mpls.pcap")
check(len(flows) == 3 and all(f["pkts_toserver"] == 5 and f["app_proto"] == "http" for f in flows),
      "MPLS (labels, multicast, pseudowire control word): three HTTP flows")
rc, flows, st = replay("pbb_vntag_fabricpath.pcap")
check(len(flows) == 3 and st["decode_errors"] == 0, "PBB, VN-Tag, FabricPath: three flows, no errors")
rc, flows, st = replay("tso.pcap")
check(len(flows) == 1 and flows[0]["pkts_toserver"] == 6 and st["decode_errors"] == 0 and
      flows[0]["bytes_toserver"] > 3000, "TSO segments (IPv4 total length 0) count with their bytes")
rc, flows, st = replay("pcapng_multi_linktype.pcapng")
check(rc == 0 and len(flows) == 3 and st["packets"] == 24 and st["skipped_packets"] == 0,
      f"pcapng of Ethernet, raw IP and cooked interfaces: 3 flows of 24 packets (exit {rc}, {len(flows)})")
rc, flows, st = replay("pcapng_multi_linktype.pcapng", "-f", "tcp port 53002")
check(rc == 0 and len(flows) == 1 and flows[0]["src_port"] == 53002, "a filter applies per interface link type")

print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
