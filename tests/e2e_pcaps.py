#!/usr/bin/env python3
"""End-to-end replays of the bundled captures.

pcaps/real: captures of real programs in network namespaces; every flow of
pcaps/real/expected.tsv (made from tshark's view of the same files) must be
reported with the same orientation, app_proto and port_mismatch alert, and
nothing else may be alerted.  pcaps/edge: hand-made link types and
malformations; packet, flow and decode-error counts and exit codes as
pcaps/README.md documents them. Every record of every replay, and of a
replay of every capture under pcaps/, is validated against the JSON Schemas
in docs/schema/ (tests/schema_validate.py; $WW_SCHEMA_DIR may name them).

usage: e2e_pcaps.py WIREWHO SRCDIR"""
import collections
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schema_validate  # noqa: E402  (fails loudly without python3-jsonschema)

WW, SRC = sys.argv[1], sys.argv[2]
failures = []
SCHEMAS = schema_validate.Validator(os.environ.get("WW_SCHEMA_DIR") or
                                    os.path.join(SRC, "docs", "schema"))
validated = {"runs": 0, "records": 0}


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def replay(path, *extra):
    p = subprocess.run([WW, "replay", "--json", *extra, path], capture_output=True, timeout=60)
    name = os.path.relpath(path, SRC)
    errs = SCHEMAS.check_text(p.stdout, name)   # every record, against docs/schema/
    if errs:
        check(False, f"{name}: {len(errs)} records do not match docs/schema/:\n  " + "\n  ".join(errs[:20]))
    validated["runs"] += 1
    validated["records"] += p.stdout.count(b"\n")
    recs = [json.loads(l) for l in p.stdout.decode().splitlines()]
    return p.returncode, recs, p.stderr.decode("utf-8", "replace")


# --- real programs ----------------------------------------------------------
real = os.path.join(SRC, "pcaps", "real")
expected = collections.defaultdict(list)
totals = {}
for line in open(os.path.join(real, "expected.tsv")):
    cols = line.rstrip("\n").split("\t")
    if line.startswith("#flows"):
        totals[cols[1]] = int(cols[3].split("=")[1])
        continue
    if line.startswith("#") or cols[0] == "file":
        continue
    expected[cols[0]].append(dict(zip(
        ["file", "proto", "cip", "cport", "sip", "sport", "app", "alert", "sev", "note"], cols)))

for name in sorted(totals):
    rc, recs, err = replay(os.path.join(real, name))
    flows = [r for r in recs if r["type"] == "flow"]
    alerts = [r for r in recs if r["type"] == "alert"]
    check(rc == 0 and recs and recs[-1]["type"] == "stats", f"{name}: replays cleanly")
    check(len(flows) == totals[name], f"{name}: {len(flows)} flows, expected {totals[name]}")
    pool = list(flows)
    for e in expected[name]:
        match = None
        for f in pool:
            if (f["proto"] == e["proto"] and f["src_ip"] == e["cip"] and f["dst_ip"] == e["sip"]
                    and (e["cport"] == "-" or str(f["src_port"]) == e["cport"])
                    and (e["sport"] == "-" or str(f["dst_port"]) == e["sport"])):
                match = f
                break
        where = f"{name}: {e['proto']} {e['cip']}:{e['cport']} -> {e['sip']}:{e['sport']}"
        check(match is not None, where + " is reported, oriented client -> server")
        if match is None:
            continue
        pool.remove(match)
        check(match["app_proto"] == e["app"],
              f"{where} speaks {e['app']} (got {match['app_proto']}/{match['app_proto_by']})")
        kinds = {a["kind"] for a in alerts if a.get("flow_id") == match["flow_id"]}
        pm = {k.split(".", 1)[1] for k in kinds if k.startswith("port_mismatch.")}
        want = set() if e["alert"] == "-" else {e["alert"]}
        check(pm == want, f"{where}: port_mismatch alerts {sorted(pm) or 'none'}, expected {sorted(want) or 'none'}")
        if e["sev"] == "high":
            sev = {a["severity"] for a in alerts if a.get("flow_id") == match["flow_id"]}
            check(sev == {"high"}, f"{where}: the alert is high severity")
        for a in alerts:
            if a.get("flow_id") == match["flow_id"]:
                check(a["message"] and isinstance(a["evidence"], dict) and a["evidence"],
                      f"{where}: alert {a['kind']} has a message and evidence")

tls = [r for r in replay(os.path.join(real, "tls.pcap"))[1] if r["type"] == "flow"]
check(any(r.get("sni") == "www.example.test" for r in tls), "TLS flows carry the SNI the client sent")
http = [r for r in replay(os.path.join(real, "http.pcap"))[1] if r["type"] == "flow"]
check(all("sni" not in r for r in http), "flows without TLS have no sni field")

# --- hand-made edge cases -----------------------------------------------------
# file: (exit code, packets, flows, decode_errors, extra stats)
EDGE = {
    "en10mb_vlan_qinq.pcap": (0, 24, 5, 0, {"non_ip": 2}),
    "pppoe.pcap": (0, 12, 2, 0, {"non_ip": 2}),
    "sll.pcap": (0, 11, 2, 0, {"non_ip": 1}),
    "sll2.pcap": (0, 10, 2, 0, {}),
    "null_le.pcap": (0, 12, 3, 0, {}),
    "null_be.pcap": (0, 10, 2, 0, {}),
    "loop.pcap": (0, 10, 2, 0, {}),
    "raw.pcap": (0, 12, 3, 0, {}),
    "ipv4_228.pcap": (0, 10, 2, 0, {}),
    "ipv6_229.pcap": (0, 10, 2, 0, {}),
    "pcapng_usec.pcapng": (0, 10, 2, 0, {}),
    "pcapng_nsec.pcapng": (0, 10, 2, 0, {}),
    "pcap_nsec.pcap": (0, 8, 1, 0, {}),
    "wlan_80211.pcap": (0, 4, 2, 0, {}),
    "unsupported_frelay.pcap": (0, 4, 0, 0, {"skipped_packets": 4}),
    "ipv4_options_frags.pcap": (0, 17, 3, 0, {"orphan_fragments": 1}),
    "ipv6_ext_frags.pcap": (0, 21, 6, 0, {"orphan_fragments": 1}),
    "malformed.pcap": (0, 24, 2, 15, {}),
    "truncated.pcap": (2, 9, 2, 0, {}),
    "absurd_caplen.pcap": (2, 3, 2, 0, {}),
    "snaplen_cut.pcap": (0, 13, 2, 3, {}),
}
edge = os.path.join(SRC, "pcaps", "edge")
for name, (code, pkts, nflows, derr, extra) in EDGE.items():
    rc, recs, err = replay(os.path.join(edge, name))
    st = recs[-1] if recs and recs[-1]["type"] == "stats" else {}
    nf = sum(r["type"] == "flow" for r in recs)
    ok = rc == code and st.get("packets") == pkts and nf == nflows and st.get("decode_errors") == derr
    ok = ok and all(st.get(k) == v for k, v in extra.items())
    check(ok, f"edge {name}: exit {rc}/{code}, packets {st.get('packets')}/{pkts}, "
              f"flows {nf}/{nflows}, decode_errors {st.get('decode_errors')}/{derr} {extra}")
    if code == 2 or "skipped_packets" in extra:
        check(name in err and err.count("\n") == 1, f"edge {name}: one stderr line naming the file")
rc, recs, err = replay(os.path.join(edge, "not_a_capture.pcap"))
check(rc == 2 and not recs and "not_a_capture.pcap" in err, "edge not_a_capture.pcap: exit 2, no records")

rc, recs, _ = replay(os.path.join(edge, "en10mb_vlan_qinq.pcap"))
vl = sorted(r.get("vlan", 0) for r in recs if r["type"] == "flow")
check(vl == [0, 10, 20, 200, 300], f"edge VLAN ids are part of the flow key ({vl})")
rc, recs, _ = replay(os.path.join(edge, "pcapng_nsec.pcapng"))
fl = [r for r in recs if r["type"] == "flow"]
check(fl and fl[0]["start"] == "2026-01-01T00:00:00.000000Z", "nanosecond pcapng times are truncated to microseconds")

# --- every capture in pcaps/, validated record by record ------------------------
caps = sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(SRC, "pcaps"))
              for f in fs if f.endswith((".pcap", ".pcapng")))
before = dict(validated)
for path in caps:
    replay(path)
n = validated["records"] - before["records"]
check(len(caps) >= 40 and n > 100,
      f"the replays of all {len(caps)} captures in pcaps/ ({n} records) match docs/schema/")
check(validated["runs"] > len(caps), f"every record of all {validated['runs']} replays was validated")

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
