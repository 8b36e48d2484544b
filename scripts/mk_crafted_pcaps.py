#!/usr/bin/env python3
"""mk_crafted_pcaps.py - captures no real client makes, written byte by byte
for tests/e2e_classify.py (pure python3 stdlib, deterministic: run
`python3 scripts/mk_crafted_pcaps.py` and `git diff` shows nothing).

tls_sni_nul.pcap: two TCP sessions 192.0.2.10 -> 198.51.100.20 (SYN,
SYN+ACK, ACK, then a ClientHello whose server_name holds a NUL byte:
"evil.example.test\\0.good.example.test", RFC 6066 forbids it, a crafted
client sends it). One to port 443 (a flow record with its sni), one to port
4444 (port_mismatch.nonstandard_port, whose evidence carries the sni). A
name cut at its NUL would show the harmless-looking first half.
"""
import os
import struct
import sys

SNI = b"evil.example.test\x00.good.example.test"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pcaps", "crafted")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def client_hello(sni):
    ext = struct.pack("!HHHBH", 0, len(sni) + 5, len(sni) + 3, 0, len(sni)) + sni
    body = b"\x03\x03" + b"A" * 32 + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00" + struct.pack("!H", len(ext)) + ext
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def packet(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + ip + tcp


def main():
    os.makedirs(OUT, exist_ok=True)
    c, s = bytes([192, 0, 2, 10]), bytes([198, 51, 100, 20])
    pkts = []
    for i, dport in enumerate((443, 4444)):
        cp = 40000 + i
        hello = client_hello(SNI)
        pkts += [packet(c, s, cp, dport, 1000, 0, 0x02),
                 packet(s, c, dport, cp, 5000, 1001, 0x12),
                 packet(c, s, cp, dport, 1001, 5001, 0x10),
                 packet(c, s, cp, dport, 1001, 5001, 0x18, hello)]
    t0 = 1767225600   # 2026-01-01T00:00:00Z
    with open(os.path.join(OUT, "tls_sni_nul.pcap"), "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for n, p in enumerate(pkts):
            f.write(struct.pack("<IIII", t0, n * 1000, len(p), len(p)) + p)


if __name__ == "__main__":
    sys.exit(main())
