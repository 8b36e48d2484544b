#!/usr/bin/env python3
"""eval_tshark.py - flow fidelity of wirewho against tshark on public captures.

    python3 scripts/eval_tshark.py WIREWHO DIR... [-v] [--no-decap]

For every pcap/pcapng file under the DIRs: tshark's TCP and UDP
conversations (`-z conv,tcp -z conv,udp`: tunnel-inner ones included, as
tshark dissects through GRE, ERSPAN, VXLAN, Geneve, IP-in-IP, Teredo, GTP-U,
MPLS...) against wirewho's flows (`replay --json`), both reduced to distinct
(protocol, endpoint pair) keys, since a session timer splits a conversation
differently in each (wirewho's flows with one key are summed). Reported:

  found      tshark conversations that wirewho has a flow for
  packets    of those, the ones whose packet count is exact in both directions
  oriented   TCP conversations whose first SYN (without ACK) tshark sees:
             wirewho's client is that SYN's sender
  extra      wirewho TCP/UDP flows tshark has no conversation for

Files tshark cannot read, or reads with no TCP/UDP conversation, are
skipped. Convention differences (docs/accuracy.md): tshark counts frames
with bad checksums and reassembles nothing at the conversation level, as
wirewho; IP fragments: tshark reassembles them and counts the datagram's
frames in one conversation, wirewho joins later fragments by the first's
ports (orphans count nowhere).
"""
import json
import os
import re
import subprocess
import sys

CONV = re.compile(r"^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+(\d+)\s+\S+ \S+\s+(\d+)\s+\S+ \S+\s+(\d+)")


def norm(a):
    return a.lower()


def tshark_convs(path):
    p = subprocess.run(["tshark", "-r", path, "-q", "-n", "-z", "conv,tcp", "-z", "conv,udp"],
                       capture_output=True, timeout=300)
    out, proto = {}, None
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("TCP Conversations"):
            proto = "tcp"
        elif line.startswith("UDP Conversations"):
            proto = "udp"
        m = CONV.match(line)
        if m and proto:
            a, pa, b, pb, ba, ab, _ = m.groups()
            ea, eb = (norm(a), int(pa)), (norm(b), int(pb))
            key = (proto,) + tuple(sorted([ea, eb]))
            d = out.setdefault(key, {})
            d[ea] = d.get(ea, 0) + int(ab)   # frames sent by A
            d[eb] = d.get(eb, 0) + int(ba)
    return out


def tshark_syns(path):
    p = subprocess.run(["tshark", "-r", path, "-n", "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0",
                        "-T", "fields", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport",
                        "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport"],
                       capture_output=True, timeout=300)
    syn = {}
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        f = line.split("\t")
        if len(f) < 6:
            continue
        last = lambda s: s.split(",")[-1] if s else ""
        s = last(f[1]) or last(f[0])
        d = last(f[4]) or last(f[3])
        sp, dp = last(f[2]), last(f[5])
        if not (s and d and sp and dp):
            continue
        es, ed = (norm(s), int(sp)), (norm(d), int(dp))
        key = ("tcp",) + tuple(sorted([es, ed]))
        syn.setdefault(key, es)
    return syn


def wirewho_flows(ww, path, extra):
    p = subprocess.run([ww, "replay", "--json", "--no-progress", *extra, path], capture_output=True, timeout=300)
    out = {}
    client = {}
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if r.get("type") != "flow" or r["proto"] not in ("tcp", "udp"):
            continue
        c, s = (norm(r["src_ip"]), r["src_port"]), (norm(r["dst_ip"]), r["dst_port"])
        key = (r["proto"],) + tuple(sorted([c, s]))
        d = out.setdefault(key, {})
        d[c] = d.get(c, 0) + r["pkts_toserver"]
        d[s] = d.get(s, 0) + r["pkts_toclient"]
        client.setdefault(key, c)
    return out, client


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    verbose = "-v" in sys.argv
    extra = ["--no-decap"] if "--no-decap" in sys.argv else []
    ww, dirs = args[0], args[1:]
    files = []
    for d in dirs:
        for root, _, names in os.walk(d):
            for n in sorted(names):
                if re.search(r"\.(pcap|pcapng|cap)(\.gz)?$", n) and not n.endswith(".gz"):
                    files.append(os.path.join(root, n))
    tot = {"conv": 0, "found": 0, "exact": 0, "syn": 0, "oriented": 0, "extra": 0, "files": 0}
    for f in sorted(files):
        t = tshark_convs(f)
        if not t:
            continue
        w, client = wirewho_flows(ww, f, extra)
        syn = tshark_syns(f) if any(k[0] == "tcp" for k in t) else {}
        tot["files"] += 1
        found = [k for k in t if k in w]
        exact = [k for k in found if w[k] == t[k]]
        ori = [k for k in syn if k in client]
        good = [k for k in ori if client[k] == syn[k]]
        tot["conv"] += len(t)
        tot["found"] += len(found)
        tot["exact"] += len(exact)
        tot["syn"] += len(ori)
        tot["oriented"] += len(good)
        tot["extra"] += len([k for k in w if k not in t])
        if verbose and (len(found) < len(t) or len(exact) < len(found) or len(good) < len(ori)):
            print(f"{os.path.relpath(f)}: {len(found)}/{len(t)} found, {len(exact)} exact, "
                  f"{len(good)}/{len(ori)} oriented")
            for k in t:
                if k not in w:
                    print("   missing", k, t[k])
                elif w[k] != t[k]:
                    print("   counts ", k, "tshark", t[k], "wirewho", w[k])
    pc = lambda a, b: 100.0 * a / b if b else 0.0
    print(f"{tot['files']} captures, {tot['conv']} tshark conversations: "
          f"found {tot['found']} ({pc(tot['found'], tot['conv']):.1f}%), "
          f"packet counts exact {tot['exact']} ({pc(tot['exact'], tot['found']):.1f}% of found), "
          f"oriented {tot['oriented']}/{tot['syn']} TCP with a SYN ({pc(tot['oriented'], tot['syn']):.1f}%), "
          f"{tot['extra']} wirewho flows tshark lacks")


if __name__ == "__main__":
    main()
