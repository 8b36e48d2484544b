#!/usr/bin/env python3
"""e2e_tlsmeta.py WIREWHO SRCDIR [PCAP...] - every TLS flow's JA3, JA3S and
server name against tshark's (tls.handshake.ja3, tls.handshake.ja3s,
tls.handshake.extensions_server_name; tshark 4.0 has no JA4 field: JA4 is
checked against the published values in tests/test_tlsmeta.c), every HTTP
flow's Host (http.host) and every DNS-over-UDP flow's query (dns.qry.name).

Captures: the bundled ones with TLS handshakes, and any given after SRCDIR
(the public nDPI captures, by hand). A flow is the client's (ip, port) and
the server's; tshark's first ClientHello/ServerHello of each is compared
with the flow record's tls object. Prints one line per disagreement and
the agreement per field; fails below 100% on the bundled captures (the
ones given by hand are reported, not judged). Without tshark: skipped (77).
"""
import json, os, re, shutil, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schema_validate  # noqa: E402

WW, SRC = sys.argv[1], sys.argv[2]
VALID = schema_validate.Validator(os.environ.get("WW_SCHEMA_DIR", os.path.join(SRC, "docs", "schema")))
extra = sys.argv[3:]
if not shutil.which("tshark"):
    print("tshark not installed: skipped")
    sys.exit(77)
BUNDLED = ["real/http.pcap", "real/http_4444.pcap", "real/dns.pcap", "real/dns_5300.pcap", "real/tls.pcap", "real/tls_9999.pcap", "real/smtps_465.pcap", "starttls/tls_direct.pcap",
           "starttls/tls_first.pcap", "crafted/tls_sni_nul.pcap"]


def tshark(pcap):
    out = subprocess.run(["tshark", "-r", pcap, "-o", "tls.desegment_ssl_records:TRUE",
                          "-Y", "tls.handshake.type==1 || tls.handshake.type==2", "-T", "fields",
                          "-E", "occurrence=f", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport",
                          "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport", "-e", "tls.handshake.type",
                          "-e", "tls.handshake.ja3", "-e", "tls.handshake.ja3s",
                          "-e", "tls.handshake.extensions_server_name"],
                         capture_output=True, timeout=120).stdout.decode(errors="replace")
    want = {}
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 10 or not f[2]:
            continue
        src, dst = f[0] or f[1], f[3] or f[4]
        types = f[6].split(",")
        if "1" in types:
            k = (src, int(f[2]), dst, int(f[5]))
            want.setdefault(k, {}).setdefault("ja3", f[7])
            if f[9]:
                want[k].setdefault("sni", f[9])
        if "2" in types:
            k = (dst, int(f[5]), src, int(f[2]))
            want.setdefault(k, {}).setdefault("ja3s", f[8])
    return want


def tshark_first(pcap, flt, l4, fields):
    """The first value of each field per flow, from the packets `flt` selects (client -> server)."""
    args = ["tshark", "-r", pcap, "-Y", flt, "-T", "fields", "-E", "occurrence=f",
            "-e", "ip.src", "-e", "ipv6.src", "-e", l4 + ".srcport", "-e", "ip.dst", "-e", "ipv6.dst",
            "-e", l4 + ".dstport"]
    for f in fields.values():
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, timeout=120).stdout.decode(errors="replace")
    want = {}
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 6 + len(fields) or not f[2]:
            continue
        k = (f[0] or f[1], int(f[2]), f[3] or f[4], int(f[5]))
        if k not in want:
            # tshark writes a name's unprintable bytes as \\ooo: the record has the bytes
            want[k] = {name: re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), f[6 + i])
                       for i, name in enumerate(fields)}
    return want


def wirewho(pcap):
    out = subprocess.run([WW, "replay", "--json", pcap], capture_output=True, timeout=120).stdout.decode()
    VALID.assert_valid(out, "replay of " + os.path.basename(pcap))   # the tls object is in the schema
    got = {}
    for line in out.splitlines():
        r = json.loads(line)
        if r.get("type") == "flow" and r["proto"] in ("tcp", "udp"):
            g = dict(r.get("tls", {}))
            for k, v in (r.get("http") or {}).items():
                g["http." + k] = v
            for k, v in (r.get("dns") or {}).items():
                g["dns." + k] = v
            got[(r["src_ip"], r["src_port"], r["dst_ip"], r["dst_port"])] = g
    return got


total, agree, failed_bundled = {}, {}, False
for rel in [os.path.join(SRC, "pcaps", b) for b in BUNDLED] + extra:
    bundled = not extra or rel.startswith(os.path.join(SRC, "pcaps"))
    want, got = tshark(rel), wirewho(rel)
    # HTTP: the first request's Host; DNS: the first query's name (tshark's http.host, dns.qry.name)
    for k, w in tshark_first(rel, "http.request", "tcp", {"http.host": "http.host"}).items():
        want.setdefault(k, {}).update(w)
    for k, w in tshark_first(rel, "dns.flags.response == 0", "udp", {"dns.query": "dns.qry.name"}).items():
        want.setdefault(k, {}).update(w)
    for k, w in want.items():
        g = got.get(k, {})
        for field, val in w.items():
            if field == "sni" and "\0" in g.get("sni", ""):
                continue   # tshark cuts the name at a NUL; the record keeps it whole
            total[field] = total.get(field, 0) + 1
            if g.get(field) == (val or None):
                agree[field] = agree.get(field, 0) + 1
            else:
                print(f"DIFF {os.path.basename(rel)} {k} {field}: tshark {val!r} wirewho {g.get(field)!r}")
                failed_bundled |= bundled and rel in [os.path.join(SRC, "pcaps", b) for b in BUNDLED]
for field in sorted(total):
    print(f"{field}: {agree.get(field, 0)}/{total[field]} agree "
          f"({100.0 * agree.get(field, 0) / total[field]:.2f}%)")
sys.exit(1 if failed_bundled else 0)
