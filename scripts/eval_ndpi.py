#!/usr/bin/env python3
"""Accuracy check against a public test suite: nDPI's test captures and the
per-flow protocol nDPI itself reports for them (tests/result/*.out).

The captures are not ours to commit. Fetch them once from Debian's source
package (it needs a deb-src line for bookworm main):

    mkdir -p /tmp/ndpi && cd /tmp/ndpi && apt-get source --download-only ndpi \
        && tar xzf ndpi_*.orig.tar.gz

then:  scripts/eval_ndpi.py build/wirewho /tmp/ndpi/nDPI-4.2/tests [-v]

Only flows nDPI labels by payload ("Confidence: DPI", or "DPI (cache)" for
the later flows of a peer it already identified) whose master protocol
is one wirewho detects count for agreement. The false port_mismatch rate is
counted over every flow wirewho reports, excluding flows where the alert
agrees with nDPI (nDPI's protocol is not the port's usual one)."""
import collections
import json
import os
import re
import subprocess
import sys

# nDPI master protocol -> wirewho app_proto
MAP = {
    "HTTP": "http", "HTTP_Proxy": "http", "HTTP_Connect": "http", "TLS": "tls",
    "DNS": "dns", "MDNS": "mdns", "SSH": "ssh", "SMTP": "smtp", "SMTPS": "tls",
    "POP3": "pop3", "POPS": "tls", "IMAP": "imap", "IMAPS": "tls", "FTP_CONTROL": "ftp",
    "FTPS": "tls", "QUIC": "quic", "RDP": "rdp", "SMBv1": "smb", "SMBv23": "smb",
    "NTP": "ntp", "SIP": "sip", "Telnet": "telnet", "DHCP": "dhcp", "SNMP": "snmp",
    "BitTorrent": "bittorrent", "IRC": "irc", "SOCKS": "socks", "Redis": "redis",
    "MySQL": "mysql", "PostgreSQL": "postgresql", "DoH_DoT": "tls",
    # issue 14's detectors
    "LDAP": "ldap", "Jabber": "xmpp", "Kerberos": "kerberos", "Syslog": "syslog",
    "DCE_RPC": "dcerpc", "MQTT": "mqtt", "STUN": "stun", "DTLS": "dtls", "SSDP": "ssdp",
    "WireGuard": "wireguard", "OpenVPN": "openvpn", "IPsec": "ipsec", "Modbus": "modbus",
    "LLMNR": "llmnr", "NetBIOS": "netbios", "RTSP": "rtsp",
}
LINE = re.compile(r"^\s*\d+\s+(TCP|UDP)\s+(\S+)\s+<?->\s+(\S+)\s+\[proto: [0-9.]+/([A-Za-z0-9_]+)[^\]]*\].*?\[Confidence: ([A-Za-z ()]+)\]")


def ep(s):
    m = re.match(r"^\[(.*)\]:(\d+)$", s) or re.match(r"^(.*):(\d+)$", s)
    return (m.group(1), int(m.group(2)))


def main():
    ww, tests = sys.argv[1], sys.argv[2]
    verbose = "-v" in sys.argv
    agree = total = 0
    flows_all = false_alerts = 0
    per = collections.Counter()
    per_ok = collections.Counter()
    misses = collections.Counter()
    alert_rows = []
    for res in sorted(os.listdir(os.path.join(tests, "result"))):
        if not res.endswith(".out"):
            continue
        cap = os.path.join(tests, "pcap", res[:-4])
        if not os.path.exists(cap):
            continue
        truth = {}
        for line in open(os.path.join(tests, "result", res), errors="replace"):
            m = LINE.match(line)
            if not m:
                continue
            proto, a, b, name, conf = m.groups()
            key = (proto.lower(), frozenset([ep(a), ep(b)]))
            truth[key] = (name, conf.strip())
        p = subprocess.run([ww, "replay", "--json", cap], capture_output=True, timeout=120)
        recs = [json.loads(l) for l in p.stdout.decode().splitlines() if l]
        alerts = collections.defaultdict(list)
        for r in recs:
            if r["type"] == "alert" and "flow_id" in r and r["kind"].startswith("port_mismatch"):
                alerts[r["flow_id"]].append(r)
        for r in recs:
            if r["type"] != "flow" or r["proto"] not in ("tcp", "udp"):
                continue
            flows_all += 1
            key = (r["proto"], frozenset([(r["src_ip"], r["src_port"]), (r["dst_ip"], r["dst_port"])]))
            name, conf = truth.get(key, (None, None))
            want = MAP.get(name) if (conf or "").startswith("DPI") else None
            for a in alerts.get(r["flow_id"], []):
                # An alert is a true positive when nDPI, by payload, names a
                # protocol other than the port's usual one.
                justified = (conf or "").startswith("DPI") and name not in (None, "Unknown") and \
                    a["evidence"].get("port_protocol") != MAP.get(name)
                if not justified:
                    false_alerts += 1
                    alert_rows.append(f"  {res[:-4]}: {a['kind']} {r['proto']} {r['src_ip']}:{r['src_port']} -> "
                                      f"{r['dst_ip']}:{r['dst_port']} ours={r['app_proto']} ndpi={name}/{conf}")
            if want is None:
                continue
            total += 1
            per[want] += 1
            if r["app_proto"] == want:
                agree += 1
                per_ok[want] += 1
            else:
                misses[(want, r["app_proto"])] += 1
                if verbose:
                    print(f"  miss {res[:-4]}: {r['proto']} {r['src_ip']}:{r['src_port']} -> "
                          f"{r['dst_ip']}:{r['dst_port']} ndpi={name} ours={r['app_proto']}/{r['app_proto_by']}")
    print(f"agreement: {agree}/{total} = {100.0 * agree / max(total, 1):.2f}% of flows nDPI labels by payload")
    for k in sorted(per, key=lambda k: -per[k]):
        print(f"  {k:12s} {per_ok[k]:5d}/{per[k]:<5d} {100.0 * per_ok[k] / per[k]:6.1f}%")
    print("disagreements (ndpi -> ours):", ", ".join(f"{a}->{b}: {n}" for (a, b), n in misses.most_common(15)))
    print(f"false port_mismatch alerts: {false_alerts}/{flows_all} flows = {100.0 * false_alerts / max(flows_all, 1):.2f}%")
    if verbose:
        print("\n".join(alert_rows[:60]))


main()
