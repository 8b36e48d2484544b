#!/usr/bin/env python3
"""Replays of pcaps/starttls/ (made by scripts/mk_starttls_pcaps.sh from real
clients and servers): TLS from the first byte on a port whose protocol must
speak plaintext first is port_mismatch.unexpected_protocol with evidence
rule "TLS without STARTTLS"; each protocol's own upgrade (STARTTLS, STLS,
AUTH TLS, LDAP's extended operation, XMPP's <starttls/>, PostgreSQL's
SSLRequest, MySQL's SSL request, RDP's X.224 negotiation) and TLS first on
implicit-TLS ports or with the protocol's own direct-TLS ALPN are quiet.
pcaps/crafted/ (scripts/mk_crafted_pcaps.py): a TLS server name holding a
NUL is written whole, the NUL escaped, in flow records (JSON and text) and
in an alert's evidence.sni - never cut at the NUL (issue 17.7).

usage: e2e_classify.py WIREWHO SRCDIR"""
import json
import os
import subprocess
import sys

WW, SRC = sys.argv[1], sys.argv[2]
DIR = os.path.join(SRC, "pcaps", "starttls")
CRAFTED = os.path.join(SRC, "pcaps", "crafted")
failures = []

PLAIN_FIRST = [21, 25, 110, 119, 143, 389, 587, 3306, 3389, 4190, 5222, 5269, 5432]
# what each upgrade's flow is, where we detect the plaintext protocol
UPGRADE_APP = {25: "smtp", 587: "smtp", 110: "pop3", 143: "imap", 21: "ftp", 5432: "postgresql",
               3306: "mysql", 3389: "rdp", 119: "unknown", 4190: "unknown", 5222: "xmpp",
               389: "ldap"}
DIRECT = [465, 563, 636, 990, 993, 995, 5223, 5432, 5222]


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def replay(name, d=DIR):
    p = subprocess.run([WW, "replay", "--json", os.path.join(d, name)], capture_output=True, timeout=60)
    check(p.returncode == 0, f"{name}: replay exits 0 ({p.stderr.decode()[:200]})")
    recs = [json.loads(l) for l in p.stdout.decode().splitlines()]
    flows = [r for r in recs if r["type"] == "flow"]
    alerts = [r for r in recs if r["type"] == "alert" and r["kind"].startswith("port_mismatch")]
    return flows, alerts


def sport(r):
    return r["flow"]["dst_port"] if "flow" in r else r["dst_port"]


flows, alerts = replay("tls_first.pcap")
check(sorted(f["dst_port"] for f in flows) == sorted(PLAIN_FIRST), "tls_first.pcap: one flow per port")
by_port = {a["dst_port"]: a for a in alerts}
for port in PLAIN_FIRST:
    a = by_port.get(port)
    check(a is not None and a["kind"] == "port_mismatch.unexpected_protocol"
          and a["evidence"].get("rule") == "TLS without STARTTLS" and a["evidence"].get("protocol") == "tls",
          f"tls_first.pcap: TLS from the first byte on {port} is unexpected_protocol, TLS without STARTTLS")
check(len(alerts) == len(PLAIN_FIRST), f"tls_first.pcap: one alert per flow ({len(alerts)})")

flows, alerts = replay("starttls.pcap")
check(alerts == [], f"starttls.pcap: every protocol's own upgrade is quiet ({[a['message'] for a in alerts]})")
apps = {f["dst_port"]: f["app_proto"] for f in flows}
for port, app in UPGRADE_APP.items():
    check(apps.get(port) == app, f"starttls.pcap: the upgrade on {port} stays {app} ({apps.get(port)})")

flows, alerts = replay("tls_direct.pcap")
check(alerts == [], f"tls_direct.pcap: TLS first on implicit-TLS ports and with the protocol's ALPN is quiet "
      f"({[a['message'] for a in alerts]})")
check(sorted(f["dst_port"] for f in flows) == sorted(DIRECT) and all(f["app_proto"] == "tls" for f in flows),
      "tls_direct.pcap: every flow is TLS")

# a real PostgreSQL server and psql, sslmode=require and disable (made only
# where the script found postgresql)
if os.path.exists(os.path.join(DIR, "postgres.pcap")):
    flows, alerts = replay("postgres.pcap")
    check(len(flows) == 2 and all(f["app_proto"] == "postgresql" for f in flows) and not alerts,
          "postgres.pcap: psql to a real server, with TLS and without, is PostgreSQL and quiet")

SNI = "evil.example.test\u0000.good.example.test"
flows, alerts = replay("tls_sni_nul.pcap", CRAFTED)
check([f.get("sni") for f in flows] == [SNI, SNI], "tls_sni_nul.pcap: both flows carry the whole name, NUL escaped")
check(len(alerts) == 1 and alerts[0]["evidence"].get("sni") == SNI,
      "tls_sni_nul.pcap: the alert's evidence.sni is the whole name, NUL escaped")
raw = subprocess.run([WW, "replay", "--json", os.path.join(CRAFTED, "tls_sni_nul.pcap")],
                     capture_output=True, timeout=60).stdout.decode()
# two flows (their sni and their tls object's) and the alert's evidence
check(raw.count('"sni":"evil.example.test\\u0000.good.example.test"') == 5,
      "tls_sni_nul.pcap: the NUL is written as \\u0000 in every sni")
text = subprocess.run([WW, "replay", os.path.join(CRAFTED, "tls_sni_nul.pcap")],
                      capture_output=True, timeout=60).stdout.decode()
check(text.count("sni=evil.example.test\\u0000.good.example.test") == 2,
      "tls_sni_nul.pcap: the text writer shows the whole name, NUL escaped")

if failures:
    print(f"{len(failures)} failures")
    sys.exit(1)
