#!/usr/bin/env python3
"""The schemas of docs/schema/ and their validator, tested on their own.

Each schema must be a valid draft 2020-12 schema that closes its record
(additionalProperties: false); one sample of every record shape, as the
program writes it, must pass; and each kind of drift must be caught: a
field removed, an undocumented field added, a field renamed, a value
outside its vocabulary, a time that is not RFC 3339, a wrong type. The
command-line form must name the file and line of a violation.

usage: schema_selftest.py SCHEMADIR"""
import copy
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schema_validate  # noqa: E402  (fails loudly without python3-jsonschema)

SDIR = sys.argv[1]
V = schema_validate.Validator(SDIR)
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


TS = "2026-11-26T06:22:25.123456Z"
IDENT = {"ppid": 4200, "parent": {"pid": 4200, "comm": "bash", "exe": "/usr/bin/bash"}}
PROC = dict({"pid": 4242, "comm": "curl", "exe": "/usr/bin/curl", "uid": 0, "user": "root",
             "indicators": [], "script": None, "cmdline": "curl -s http://192.0.2.2/"}, **IDENT)
SPROC = dict(PROC)
FLOW = {"type": "flow", "ts": TS, "flow_id": 1, "community_id": "1:G4eydgGReHmMaXpB6bTBWinZGGc=",
        "proto": "tcp", "src_ip": "192.0.2.1", "src_port": 40250, "dst_ip": "192.0.2.2",
        "dst_port": 443, "start": TS, "end": TS, "pkts_toserver": 7, "pkts_toclient": 5,
        "bytes_toserver": 451, "bytes_toclient": 455, "app_proto": "tls",
        "app_proto_by": "payload", "service": "https", "sni": "www.example.test", "process": PROC,
        "attribution": {"status": "exact", "reason": ""}, "end_reason": "closed"}
ICMP = dict(FLOW, proto="icmp6", src_ip="2001:db8::10", dst_ip="2001:db8:1::20", src_port=128,
            dst_port=0, icmp_id=3341, vlan=10, app_proto="unknown", app_proto_by="none",
            service=None, process=None, end_reason="end_of_input",
            attribution={"status": "none", "reason": "replay without a socket timeline (--sockets)"})
del ICMP["sni"]
GRE = dict(ICMP, proto="47", src_ip="192.0.2.1", dst_ip="192.0.2.2", src_port=None, dst_port=None)
del GRE["icmp_id"]
FLOW_ALERT = {"type": "alert", "ts": TS, "kind": "port_mismatch.nonstandard_port", "severity": "medium",
              "message": "HTTP seen on TCP port 4444, not one of its standard ports.", "flow_id": 1,
              "community_id": FLOW["community_id"], "proto": "tcp", "src_ip": "192.0.2.1",
              "src_port": 40250, "dst_ip": "192.0.2.2", "dst_port": 4444, "app_proto": "http",
              "process": PROC, "attribution": {"status": "exact", "reason": ""},
              "evidence": {"protocol": "http", "packet": 4, "direction": "toserver",
                           "first_bytes": "GET / HTTP/1.1\r\n", "expected_ports": [80, 8080],
                           "rule": "allow comm=curl", "rule_line": 2, "count": 3,
                           "first_seen": TS, "last_seen": TS}}
SOCKET = {"type": "socket", "ts": TS, "proto": "tcp", "state": "LISTEN", "local_ip": "0.0.0.0",
          "local_port": 22, "remote_ip": None, "remote_port": None, "processes": [SPROC],
          "netns": 4026531833, "inode": 1063, "uid": 0, "bind_scope": "any", "remote_scope": "none",
          "service": "ssh", "verdict": "review", "reason": "unexplained_listener on every interface",
          "family": 4, "direction": "in", "recv_q": 0, "send_q": 128}
RAW = dict(SOCKET, proto="raw", state="UNCONN", local_port=1, processes=[], owner_reason="not_found",
           owner_note="not held by any process visible in this /proc", raw_protocol=1, service=None,
           rule_line=3, family=6, local_ip="::")
del RAW["direction"]
SOCK_ALERT = {"type": "alert", "ts": TS, "kind": "unexplained_listener", "severity": "medium",
              "message": "sshd[1] listens on TCP 0.0.0.0:22; no policy rule explains it.",
              "proto": "tcp", "state": "LISTEN", "local_ip": "0.0.0.0", "local_port": 22,
              "remote_ip": None, "remote_port": None, "processes": [SPROC], "netns": 4026531833,
              "inode": 1063, "bind_scope": "any", "remote_scope": "none", "process": PROC,
              "evidence": {"rule": "unexplained_listener", "service": "ssh", "udp_twins": 1}}
STATS = {"type": "stats", "ts": TS, "packets": 38, "bytes": 3336, "flows": 5, "alerts": 3,
         "dropped": 0, "decode_errors": 0, "evicted": 0, "elapsed_s": 4.000936, "non_ip": 0,
         "orphan_fragments": 0, "skipped_packets": 0}
CAPID = "9d4b00609d4f1a971c936a59201a4e6a"
TL = [
    {"type": "header", "ts": TS, "format": "wirewho-sockets", "version": 1, "capture_id": CAPID,
     "interface": "lo", "linktype": 1, "snaplen": 4096, "pcap": "capture.pcap"},
    {"type": "capture", "ts": TS, "capture_id": CAPID, "first_packet": TS, "first_caplen": 74,
     "first_hash": "fc0fa7304f633ac5"},
    {"type": "socket", "ts": TS, "proto": 6, "src_ip": "127.0.0.1", "dst_ip": "127.0.0.1",
     "src_port": 40250, "dst_port": 18080, "from": TS, "to": TS, "local": "src", "status": "exact",
     "reason": "", "inode": 28581, "pid": 12675, "comm": "curl", "exe": "/usr/bin/curl", "uid": 0,
     "user": "root"},
    {"type": "socket", "ts": TS, "proto": 1, "src_ip": "127.0.0.1", "dst_ip": "127.0.0.1",
     "icmp_id": 0, "icmp_type": 3, "from": TS, "to": TS, "local": "src", "status": "unresolved",
     "reason": "sent by the kernel"},
    {"type": "end", "ts": TS, "packets": 38, "records": 5},
]
SAMPLES = {"flow": FLOW, "icmp6 flow": ICMP, "port-less flow": GRE, "flow alert": FLOW_ALERT,
           "socket": SOCKET, "raw socket without owner": RAW, "socket alert": SOCK_ALERT,
           "stats": STATS}

# --- the schemas themselves -----------------------------------------------------
names = sorted(f for f in os.listdir(SDIR) if f.endswith(".schema.json"))
want = sorted([t + ".schema.json" for t in schema_validate.RECORD_TYPES] +
              ["timeline-" + t + ".schema.json" for t in schema_validate.TIMELINE_TYPES])
check(names == want, f"docs/schema/ holds one schema per record type: {names}")
for n in names:
    s = json.load(open(os.path.join(SDIR, n)))
    check(s.get("$schema") == "https://json-schema.org/draft/2020-12/schema"
          and s.get("additionalProperties") is False and s.get("required"),
          f"{n}: draft 2020-12, closed (additionalProperties: false), with required fields")

# --- samples pass -------------------------------------------------------------
for what, rec in SAMPLES.items():
    errs = V.check_record(rec)
    check(not errs, f"a {what} record as the program writes it is valid {errs}")
errs = V.check_records(TL, "sockets.ndjson")
check(not errs, f"a recorded timeline is valid {errs}")


# --- drift is caught ------------------------------------------------------------
def caught(what, rec, family="records"):
    errs = V.check_record(rec, family)
    check(bool(errs), f"caught: {what}" + (f" ({errs[0]})" if errs else " (NOT CAUGHT)"))


def without(rec, k):
    r = copy.deepcopy(rec)
    del r[k]
    return r


def renamed(rec, k, new):
    r = without(rec, k)
    r[new] = rec[k]
    return r


caught("a flow without end_reason", without(FLOW, "end_reason"))
caught("a flow with an undocumented field", dict(FLOW, ttl=64))
caught("a flow whose bytes_toserver is renamed", renamed(FLOW, "bytes_toserver", "bytes_to_server"))
caught("a flow with an unknown app_proto", dict(FLOW, app_proto="gopher"))
caught("app_proto_by none with a protocol", dict(FLOW, app_proto_by="none"))
caught("a flow with an unknown end_reason", dict(FLOW, end_reason="finished"))
caught("a flow time without microseconds", dict(FLOW, ts="2026-11-26T06:22:25Z"))
caught("a flow time with an offset", dict(FLOW, start="2026-11-26T06:22:25.123456+01:00"))
caught("a flow port as a string", dict(FLOW, dst_port="443"))
caught("a TCP flow with null ports", dict(FLOW, dst_port=None))
caught("an ICMP flow without icmp_id", without(ICMP, "icmp_id"))
caught("a port-less flow with ports", dict(GRE, src_port=0))
caught("a named protocol as a number", dict(GRE, proto="6"))
caught("a process with an extra member", dict(FLOW, process=dict(PROC, tty=1)))
caught("a process without its parent", dict(FLOW, process=without(PROC, "parent")))
caught("a parent without exe", dict(FLOW, process=dict(PROC, parent={"pid": 1, "comm": "init"})))
caught("an exe_sha256 that is not 64 hex digits", dict(FLOW, process=dict(PROC, exe_sha256="abc")))
caught("a container without id", dict(FLOW, process=dict(PROC, container={"runtime": "docker"})))
caught("attribution with an unknown status", dict(FLOW, attribution={"status": "guessed", "reason": ""}))
caught("attribution without reason", dict(FLOW, attribution={"status": "exact"}))
caught("an alert with an unknown kind", dict(FLOW_ALERT, kind="port_mismatch.odd"))
caught("an alert with an unknown severity", dict(FLOW_ALERT, severity="critical"))
caught("an alert without evidence", without(FLOW_ALERT, "evidence"))
caught("evidence with an undocumented member", dict(FLOW_ALERT, evidence={"score": 3}))
caught("folded evidence without first_seen", dict(FLOW_ALERT, evidence={"count": 2, "last_seen": TS}))
caught("a flow alert with socket fields", dict(FLOW_ALERT, netns=1))
caught("a socket alert without inode", without(SOCK_ALERT, "inode"))
caught("a socket alert with owners but no process", without(SOCK_ALERT, "process"))
caught("a socket without verdict", without(SOCKET, "verdict"))
caught("a socket with an unknown verdict", dict(SOCKET, verdict="suspicious"))
caught("a socket with an unknown state", dict(SOCKET, state="ESTAB"))
caught("a socket with an unknown bind_scope", dict(SOCKET, bind_scope="public"))
caught("a socket with an unknown remote_scope", dict(SOCKET, remote_scope="global"))
caught("a socket with a remote port but no address", dict(SOCKET, remote_port=22))
caught("an owned socket with owner_reason", dict(SOCKET, owner_reason="not_found", owner_note=""))
caught("an ownerless socket without owner_reason", without(RAW, "owner_reason"))
caught("a raw socket without raw_protocol", without(RAW, "raw_protocol"))
caught("a TCP socket with raw_protocol", dict(SOCKET, raw_protocol=6))
caught("a socket process without cmdline", dict(SOCKET, processes=[without(SPROC, "cmdline")]))
caught("stats without skipped_packets", without(STATS, "skipped_packets"))
caught("stats with a negative count", dict(STATS, packets=-1))
caught("an unknown record type", dict(STATS, type="summary"))
caught("a timeline socket with a named proto", dict(TL[2], proto="tcp"), "timeline")
caught("a timeline socket with half an owner", without(TL[2], "comm"), "timeline")
caught("a timeline header of another format", dict(TL[0], format="pcap"), "timeline")
caught("a timeline ICMP record with ports", dict(TL[3], src_port=0), "timeline")

# --- the command line names file and line ----------------------------------------
with tempfile.TemporaryDirectory() as d:
    good, bad = os.path.join(d, "good.ndjson"), os.path.join(d, "bad.ndjson")
    with open(good, "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in SAMPLES.values())
    with open(bad, "w") as f:
        f.write(json.dumps(FLOW) + "\n" + json.dumps(without(STATS, "flows")) + "\n" + "{oops\n")
    tl = os.path.join(d, "sockets.ndjson")
    with open(tl, "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in TL)
    cli = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema_validate.py"), SDIR]
    p = subprocess.run(cli + [good, tl], capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, f"the command line passes valid files: {p.stdout.strip()} {p.stderr.strip()}")
    p = subprocess.run(cli + [bad], capture_output=True, text=True, timeout=60)
    check(p.returncode == 1 and f"{bad}:2: stats record: (record): 'flows' is a required property" in p.stderr
          and f"{bad}:3: not a JSON object" in p.stderr,
          "the command line fails (exit 1) naming file, line and violation"
          + ("" if p.returncode == 1 else f" (exit {p.returncode}:\n{p.stderr})"))
    p = subprocess.run(cli, capture_output=True, text=True, timeout=60)
    check(p.returncode == 2 and "usage" in p.stderr, "the command line without files is a usage error")

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
