#!/usr/bin/env python3
"""End-to-end checks of `wirewho replay`: exit codes and messages on bad input,
the NDJSON records field by field on a generated capture, determinism, stdin,
filters and the flow cap. Every record of every --json run is validated
against the JSON Schemas in docs/schema/ (tests/schema_validate.py; the
directory can be given in $WW_SCHEMA_DIR).
usage: e2e_replay.py WIREWHO GEN_CAPTURE TMPDIR"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schema_validate  # noqa: E402  (fails loudly without python3-jsonschema)

WW, GEN, TMP = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(TMP, exist_ok=True)
failures = []
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
SCHEMAS = schema_validate.Validator(os.environ.get("WW_SCHEMA_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "docs", "schema"))
validated = {"runs": 0, "records": 0}


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(*args, stdin=None):
    p = subprocess.run([WW, *args], input=stdin, capture_output=True, timeout=120)
    if "--json" in args:   # every record, against docs/schema/
        name = "wirewho " + " ".join(os.path.basename(a) for a in args)
        errs = SCHEMAS.check_text(p.stdout, name)
        if errs:
            check(False, f"{name}: {len(errs)} records do not match docs/schema/:\n  "
                  + "\n  ".join(errs[:20]))
        validated["runs"] += 1
        validated["records"] += p.stdout.count(b"\n")
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")


def records(out):
    return [json.loads(line) for line in out.splitlines()]


def gen(name, flows):
    path = os.path.join(TMP, name)
    subprocess.run([GEN, path, str(flows)], check=True, capture_output=True, timeout=60)
    return path


# --- bad input: one clear line naming the file, exit 2 -------------------
missing = os.path.join(TMP, "no-such.pcap")
rc, out, err = run("replay", missing)
check(rc == 2 and missing in err and "No such file" in err and err.count("\n") == 1,
      "a missing file exits 2 with one line naming it")
rc, out, err = run("replay", TMP)
check(rc == 2 and "directory" in err, "a directory exits 2 and says so")
text = os.path.join(TMP, "notes.txt")
with open(text, "w") as f:
    f.write("this is not a capture\n" * 10)
rc, out, err = run("replay", text)
check(rc == 2 and "not a pcap" in err, "a text file exits 2: not a capture")
empty = os.path.join(TMP, "empty.pcap")
open(empty, "w").close()
rc, out, err = run("replay", empty)
check(rc == 2 and empty in err, "an empty file exits 2")

good = gen("gen300.pcap", 300)
data = open(good, "rb").read()
cut = os.path.join(TMP, "cut.pcap")
with open(cut, "wb") as f:
    f.write(data[: len(data) // 2 + 7])    # mid-record
rc, out, err = run("replay", "--json", cut)
recs = records(out)
check(rc == 2 and "truncated" in err and cut in err, "a truncated capture exits 2 and says truncated")
check(any(r["type"] == "flow" for r in recs) and recs[-1]["type"] == "stats",
      "a truncated capture still emits the flows read so far and stats")

absurd = os.path.join(TMP, "absurd.pcap")
with open(absurd, "wb") as f:
    f.write(data[:24] + (0).to_bytes(4, "little") * 2 + (0x7FFFFFFF).to_bytes(4, "little") * 2 + b"\0" * 64)
rc, out, err = run("replay", "--json", absurd)
check(rc == 2 and absurd in err, "an absurd record length exits 2 naming the file")

rc, out, err = run("replay", "--bogus", good)
check(rc == 2 and err.count("\n") == 1 and "option --bogus is unknown" in err and "--help" in err,
      "an unknown flag exits 2 with one line naming it and pointing to --help")
rc, out, err = run("replay", good, "--policy")
check(rc == 2 and err.count("\n") == 1 and "option --policy needs an argument" in err,
      "a flag without its argument exits 2 with one line saying so")
rc, out, err = run("replay", "-qx", good)
check(rc == 2 and "option -x is unknown" in err, "an unknown letter in a cluster of short options is named")
rc, out, err = run("replay")
check(rc == 2 and err.count("\n") == 1 and "no capture file" in err,
      "replay without a file exits 2 with one line")
for args in (["--version"], ["--help"], ["replay", "--json", good]):
    p = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", WW, *args], capture_output=True, timeout=60)
    check(p.returncode == 1 and b"standard output is closed" in p.stderr,
          f"{' '.join(args)} with standard output closed exits 1 and says so")
    with open("/dev/full", "wb") as full:
        p = subprocess.run([WW, *args], stdout=full, stderr=subprocess.PIPE, timeout=60)
    check(p.returncode == 1 and b"writing output failed" in p.stderr,
          f"{' '.join(args)} to a full device exits 1 and says so")
rc, out, err = run("replay", "-h")
check(rc == 0 and "usage:" in out and "--sockets" in out, "replay -h prints the usage on stdout")
rc, out, err = run("replay", "--max-flows", "zero", good)
check(rc == 2 and "--max-flows" in err, "a bad --max-flows value exits 2 naming the flag")
rc, out, err = run("replay", "-f", "tcp and and", good)
check(rc == 2 and "filter" in err, "a filter that does not compile exits 2")
rc, out, err = run("--version")
check(rc == 0 and out.startswith("wirewho "), "--version prints the version")
rc, out, err = run("--help")
check(rc == 0 and "replay" in out and "watch" in out and "sockets" in out, "--help lists the commands")

# --- the records, field by field ------------------------------------------
rc, out, err = run("replay", "--json", good)
recs = records(out)
flows = [r for r in recs if r["type"] == "flow"]
stats = recs[-1]
check(rc == 0 and err == "", "a good capture exits 0 with nothing on stderr")
check(stats["type"] == "stats" and sum(r["type"] == "stats" for r in recs) == 1,
      "exactly one stats record, and it is last")
check(len(flows) == 300 and stats["flows"] == 300, "300 generated flows give 300 flow records")
check(stats["packets"] == sum(f["pkts_toserver"] + f["pkts_toclient"] for f in flows),
      "every packet is counted in exactly one flow")
check(stats["decode_errors"] == 0 and stats["evicted"] == 0 and stats["dropped"] == 0,
      "no decode errors, evictions or drops on a clean capture")
check(sorted(f["flow_id"] for f in flows) == list(range(1, 301)), "flow ids are 1..N, unique")
fields = {"type", "ts", "flow_id", "community_id", "proto", "src_ip", "src_port", "dst_ip",
          "dst_port", "start", "end", "pkts_toserver", "pkts_toclient", "bytes_toserver",
          "bytes_toclient", "app_proto", "app_proto_by", "service", "process", "attribution"}
check(all(fields <= set(f) for f in flows), "every flow record has every field of the spec")
check(all(RFC3339.match(f["ts"]) and RFC3339.match(f["start"]) and RFC3339.match(f["end"])
          and f["start"] <= f["end"] for f in flows), "times are RFC 3339 UTC with microseconds")
check(all(re.match(r"^1:[A-Za-z0-9+/]{27}=$", f["community_id"]) for f in flows),
      "community ids have the v1 form")
check(all(f["dst_port"] in (22, 53, 80, 443, 9000) and f["src_port"] >= 32768 for f in flows),
      "flows are oriented client -> server")
tcp = [f for f in flows if f["proto"] == "tcp"]
check(all(f["pkts_toserver"] == 4 and f["pkts_toclient"] == 5 for f in tcp),
      "TCP flows count 4 packets to the server and 5 to the client")
check(all(f["process"] is None and f["attribution"]["status"] == "none" for f in flows),
      "replay without a timeline attributes nothing")
check(any(f["service"] == "http" for f in flows if f["dst_port"] == 80), "port 80 is the http service")
want = {80: "http", 443: "tls", 22: "ssh", 53: "dns", 9000: "unknown"}
check(all(f["app_proto"] == want[f["dst_port"]] for f in flows), "each generated flow speaks its protocol")
check(not [r for r in recs if r["type"] == "alert"], "generated flows raise no alerts")

# --- determinism, stdin, filter, several files, the cap --------------------
def strip(out):
    return [l for l in out.splitlines() if '"type":"stats"' not in l]

rc2, out2, _ = run("replay", "--json", good)
check(strip(out) == strip(out2), "two replays give identical records")
rc3, out3, _ = run("replay", "--json", "-", stdin=data)
check(rc3 == 0 and strip(out3) == strip(out), "standard input (-) gives the same records")
rc, outf, _ = run("replay", "--json", "-f", "udp", good)
fl = [r for r in records(outf) if r["type"] == "flow"]
check(rc == 0 and fl and all(f["proto"] == "udp" for f in fl), "a BPF filter keeps only matching packets")
rc, out2f, _ = run("replay", "--json", good, good)
check(rc == 0 and records(out2f)[-1]["packets"] == 2 * stats["packets"], "several files are all read")
rc, outc, _ = run("replay", "--json", "--max-flows", "50", good)
sc = records(outc)[-1]
check(rc == 0 and sc["evicted"] > 0, "a small --max-flows evicts and counts evictions")
rc, outt, _ = run("replay", good)
check(rc == 0 and any(l.startswith("FLOW") and "CLIENT" in l for l in outt.splitlines())
      and "flows" in outt.splitlines()[-1],
      "text mode prints a table header and a summary")

check(validated["runs"] >= 8 and validated["records"] > 1000,
      f"every record of {validated['runs']} --json runs ({validated['records']} records) "
      "was validated against docs/schema/")

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
