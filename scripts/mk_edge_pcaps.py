#!/usr/bin/env python3
"""mk_edge_pcaps.py - write the hand-made edge-case captures in pcaps/edge/.

    python3 scripts/mk_edge_pcaps.py --corpus fuzz/corpus/decode

writes instead the seed corpus of fuzz/fuzz_decode.c from the same packets:
one seed per packet, and one seed per file holding all its packets in order
(so fragments meet their first fragment), in that target's input layout.

Deterministic (fixed addresses, ports, timestamps and payloads; no randomness),
pure standard library: every byte of every file comes from struct.pack below,
so running it again reproduces the committed files exactly.

    python3 scripts/mk_edge_pcaps.py [OUTDIR]      (default: pcaps/edge)

Each file holds a few TCP/UDP/ICMP flows on one link type or one kind of
malformation; pcaps/README.md ("## Edge cases") lists what each contains and
the flows/decode errors wirewho should report. Addresses are documentation
ranges only (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32).
"""
import hashlib
import os
import struct
import sys

T0 = 1767225600  # 2026-01-01T00:00:00Z, the first packet of every file
STEP_US = 1000   # 1 ms between packets

C4, S4, S4B = "192.0.2.10", "198.51.100.20", "198.51.100.53"
C6, S6 = "2001:db8::10", "2001:db8:1::20"


# ---- addresses and checksums ---------------------------------------------

def a4(s):
    return bytes(int(x) for x in s.split("."))


def a6(s):
    head, _, tail = s.partition("::")
    h = [int(x, 16) for x in head.split(":") if x]
    t = [int(x, 16) for x in tail.split(":") if x]
    words = h + [0] * (8 - len(h) - len(t)) + t
    return struct.pack("!8H", *words)


def addr(s):
    return a6(s) if ":" in s else a4(s)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def l4_csum(src, dst, proto, l4):
    """Fill the TCP/UDP/ICMP/ICMPv6 checksum of a complete transport segment."""
    off = {6: 16, 17: 6, 1: 2, 58: 2}.get(proto)
    if off is None or len(l4) < off + 2:
        return l4
    l4 = l4[:off] + b"\0\0" + l4[off + 2:]
    if proto == 1:
        c = csum(l4)
    elif ":" in src:
        c = csum(addr(src) + addr(dst) + struct.pack("!IxxxB", len(l4), proto) + l4)
    else:
        c = csum(addr(src) + addr(dst) + struct.pack("!xBH", proto, len(l4)) + l4)
    if proto == 17 and c == 0:
        c = 0xFFFF
    return l4[:off] + struct.pack("!H", c) + l4[off + 2:]


# ---- transport -------------------------------------------------------------

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def tcp(sp, dp, seq, ack, flags, payload=b"", opts=b"", doff=None):
    if doff is None:
        doff = 5 + len(opts) // 4
    return struct.pack("!HHIIBBHHH", sp, dp, seq, ack, doff << 4, flags, 64240, 0, 0) + opts + payload


def udp(sp, dp, payload=b"", ulen=None):
    return struct.pack("!HHHH", sp, dp, 8 + len(payload) if ulen is None else ulen, 0) + payload


def icmp(typ, code, ident, seq, payload=b""):
    return struct.pack("!BBHHH", typ, code, 0, ident, seq) + payload


# ---- network ---------------------------------------------------------------

def ip4(src, dst, proto, l4, ident=1, fo=0, opts=b"", tot=None, ihl=None, ver=4, fix=True):
    if fix and fo == 0:
        l4 = l4_csum(src, dst, proto, l4)
    hl = 20 + len(opts)
    h = struct.pack("!BBHHHBBH4s4s", ver << 4 | (hl // 4 if ihl is None else ihl), 0,
                    hl + len(l4) if tot is None else tot, ident, fo, 64, proto, 0,
                    a4(src), a4(dst)) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + l4


def ip6(src, dst, nh, rest, plen=None):
    return struct.pack("!IHBB16s16s", 0x60000000, len(rest) if plen is None else plen, nh, 64,
                       a6(src), a6(dst)) + rest


def ext6(nh, body_len8=0, fill=b""):
    """A hop-by-hop/routing/destination-options header of (body_len8+1)*8 bytes."""
    body = fill.ljust(6 + 8 * body_len8, b"\0")
    return struct.pack("!BB", nh, body_len8) + body


def pad_opts6(nh):
    """Hop-by-hop or destination options holding one PadN option (RFC 8200 4.2)."""
    return struct.pack("!BBBB", nh, 0, 1, 4) + b"\0\0\0\0"


def routing6(nh):
    """Routing header, type 253 (RFC 3692 experiment), segments left 0: ignored by nodes."""
    return struct.pack("!BBBB", nh, 2, 253, 0) + b"\0" * 4 + a6("2001:db8::99")


def ah6(nh, icv=12):
    """Authentication header: its length counts 4-octet units minus 2 (RFC 4302)."""
    ln = (12 + icv) // 4 - 2
    return struct.pack("!BBHII", nh, ln, 0, 0x1000, 1) + b"\xaa" * icv


def frag6(nh, off, more, ident):
    return struct.pack("!BBHI", nh, 0, off | (1 if more else 0), ident)



def ip(src, dst, proto, l4, **kw):
    """Unfragmented IP packet of the family of `src`."""
    if ":" in src:
        return ip6(src, dst, proto, l4_csum(src, dst, proto, l4))
    return ip4(src, dst, proto, l4, **kw)


# ---- conversations (lists of IP packets) ----------------------------------

def tcp_session(c, s, cp, sp, req=b"GET / HTTP/1.1\r\nHost: example\r\n\r\n",
                resp=b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", wrap=None, opts4=b""):
    """The eight packets of a complete TCP conversation: handshake, data, FIN+FIN."""
    wrap = wrap or (lambda src, dst, l4: ip(src, dst, 6, l4, opts=opts4) if ":" not in src
                    else ip(src, dst, 6, l4))
    ci, si = 1000, 5000
    segs = [
        (c, s, tcp(cp, sp, ci, 0, SYN)),
        (s, c, tcp(sp, cp, si, ci + 1, SYN | ACK)),
        (c, s, tcp(cp, sp, ci + 1, si + 1, ACK)),
        (c, s, tcp(cp, sp, ci + 1, si + 1, PSH | ACK, req)),
        (s, c, tcp(sp, cp, si + 1, ci + 1 + len(req), PSH | ACK, resp)),
        (c, s, tcp(cp, sp, ci + 1 + len(req), si + 1 + len(resp), FIN | ACK)),
        (s, c, tcp(sp, cp, si + 1 + len(resp), ci + 2 + len(req), FIN | ACK)),
        (c, s, tcp(cp, sp, ci + 2 + len(req), si + 2 + len(resp), ACK)),
    ]
    return [wrap(a, b, l4) for a, b, l4 in segs]


def client_hello():
    """A minimal well-formed TLS 1.2 ClientHello (RFC 5246 7.4.1.2): one suite, no extensions."""
    body = struct.pack("!H", 0x0303) + bytes(range(32)) + b"\0" + struct.pack("!HH", 2, 0x1301) + b"\x01\x00"
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def dns_query(name=b"example.org"):
    labels = b"".join(bytes([len(x)]) + x for x in name.split(b".")) + b"\0"
    return struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + labels + struct.pack("!HH", 1, 1)


def dns_answer(name=b"example.org"):
    q = dns_query(name)
    return (struct.pack("!HHHHHH", 0x1234, 0x8180, 1, 1, 0, 0) + q[12:] +
            struct.pack("!HHHIH4s", 0xC00C, 1, 1, 300, 4, a4("192.0.2.200")))


def udp_exchange(c, s, cp, sp):
    return [ip(c, s, 17, udp(cp, sp, dns_query())), ip(s, c, 17, udp(sp, cp, dns_answer()))]


def ping(c, s, ident, payload=b"abcdefghijklmnopqrstuvwabcdefghi"):
    if ":" in c:
        return [ip(c, s, 58, icmp(128, 0, ident, 1, payload)), ip(s, c, 58, icmp(129, 0, ident, 1, payload))]
    return [ip(c, s, 1, icmp(8, 0, ident, 1, payload)), ip(s, c, 1, icmp(0, 0, ident, 1, payload))]


def frag4_datagram(src, dst, proto, l4, ident, mtu_payload=1480):
    """Fragment one IPv4 datagram (transport checksum over the whole datagram)."""
    l4 = l4_csum(src, dst, proto, l4)
    out = []
    for off in range(0, len(l4), mtu_payload):
        chunk = l4[off:off + mtu_payload]
        more = off + mtu_payload < len(l4)
        out.append(ip4(src, dst, proto, chunk, ident=ident, fo=(0x2000 if more else 0) | off // 8,
                       fix=False))
    return out


def frag6_datagram(src, dst, proto, l4, ident, pre=b"", pre_nh=None, chunk=1448):
    """Fragment one IPv6 datagram; `pre` are unfragmentable headers before the fragment header."""
    l4 = l4_csum(src, dst, proto, l4)
    out = []
    for off in range(0, len(l4), chunk):
        more = off + chunk < len(l4)
        fh = frag6(proto, off, more, ident)
        if pre:
            rest = pre[:0] + bytes([44]) + pre[1:] + fh + l4[off:off + chunk]
            out.append(ip6(src, dst, pre_nh, rest))
        else:
            out.append(ip6(src, dst, 44, fh + l4[off:off + chunk]))
    return out


# ---- link layers -----------------------------------------------------------

MAC_C = bytes.fromhex("020000000010")
MAC_S = bytes.fromhex("020000000020")


def from_server(pkt):
    """True when an IP packet comes from one of the server addresses (198.51.100/24, 2001:db8:1::/48)."""
    if pkt[0] >> 4 == 4 and len(pkt) >= 20:
        return pkt[12:15] == a4("198.51.100.0")[:3]
    if pkt[0] >> 4 == 6 and len(pkt) >= 40:
        return pkt[8:14] == a6(S6)[:6]
    return False


def eth(pkt, etype=None, tags=(), src=None, dst=None, pad=True):
    """Ethernet frame; `tags` is a list of (tpid, tci), outermost first; padded to 60 bytes."""
    if etype is None:
        etype = 0x86DD if pkt[0] >> 4 == 6 else 0x0800
    if src is None:
        src, dst2 = (MAC_S, MAC_C) if from_server(pkt) else (MAC_C, MAC_S)
        dst = dst or dst2
    dst = dst or MAC_S
    h = dst + src
    for tpid, tci in tags:
        h += struct.pack("!HH", tpid, tci)
    f = h + struct.pack("!H", etype) + pkt
    return f.ljust(60, b"\0") if pad else f


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, a4(spa), tha, a4(tpa))


def pppoe_session(pkt, proto=None, session=0x2a):
    if proto is None:
        proto = 0x0057 if pkt[0] >> 4 == 6 else 0x0021
    body = struct.pack("!H", proto) + pkt
    return struct.pack("!BBHH", 0x11, 0, session, len(body)) + body


def sll(pkt, proto=None, pkttype=0):
    if proto is None:
        proto = 0x86DD if pkt[0] >> 4 == 6 else 0x0800
    mac = MAC_S if from_server(pkt) else MAC_C
    return struct.pack("!HHH8sH", pkttype, 1, 6, mac + b"\0\0", proto) + pkt


def sll2(pkt, proto=None, pkttype=4):
    if proto is None:
        proto = 0x86DD if pkt[0] >> 4 == 6 else 0x0800
    return struct.pack("!HHIHBB8s", proto, 0, 2, 1, pkttype, 6, MAC_C + b"\0\0") + pkt


def null_hdr(pkt, af6=30, order="<"):
    af = af6 if pkt[0] >> 4 == 6 else 2
    return struct.pack(order + "I", af) + pkt


# ---- file writers ----------------------------------------------------------

def records(frames, t0=T0):
    """(ts_us, data, wirelen) for each frame; a frame may be (data, wirelen)."""
    out = []
    for i, f in enumerate(frames):
        data, wirelen = f if isinstance(f, tuple) else (f, len(f))
        out.append((t0 * 1000000 + i * STEP_US, data, wirelen))
    return out


def pcap_bytes(linktype, recs, order="<", nsec=False, snaplen=262144, frac_ns=None):
    magic = 0xA1B23C4D if nsec else 0xA1B2C3D4
    out = struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)
    for i, (ts, data, wirelen) in enumerate(recs):
        sec, us = divmod(ts, 1000000)
        frac = us * 1000 + (frac_ns[i] if frac_ns else 0) if nsec else us
        caplen = min(len(data), snaplen)
        out += struct.pack(order + "IIII", sec, frac, caplen, wirelen) + data[:caplen]
    return out


def pcapng_bytes(linktype, recs, tsresol=6, extra_ns=0):
    def block(btype, body):
        body = body + b"\0" * (-len(body) % 4)
        ln = 12 + len(body)
        return struct.pack("<II", btype, ln) + body + struct.pack("<I", ln)

    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    opts = b""
    if tsresol != 6:
        opts += struct.pack("<HHB3x", 9, 1, tsresol)                  # if_tsresol
    opts += struct.pack("<HH", 2, 4) + b"eth0"                        # if_name
    opts += struct.pack("<HH", 0, 0)                                  # opt_endofopt
    idb = block(1, struct.pack("<HHI", linktype, 0, 262144) + opts)
    out = shb + idb
    for ts, data, wirelen in recs:
        units = ts * 1000 + extra_ns if tsresol == 9 else ts
        out += block(6, struct.pack("<IIIII", 0, units >> 32, units & 0xFFFFFFFF, len(data), wirelen) + data)
    return out


# ---- the files -------------------------------------------------------------

def f_en10mb_vlan_qinq():
    fr = [eth(p) for p in tcp_session(C4, S4, 40001, 80)]
    fr += [eth(p, tags=[(0x8100, 10)]) for p in udp_exchange(C4, S4B, 53001, 53)]
    fr += [eth(p, tags=[(0x8100, 0x2000 | 20)]) for p in udp_exchange(C4, S4B, 53001, 53)]
    fr += [eth(p, tags=[(0x88A8, 100), (0x8100, 200)]) for p in ping(C4, "198.51.100.1", 0x1234)]
    fr += [eth(p, tags=[(0x9100, 1), (0x8100, 2), (0x8100, 300)])
           for p in tcp_session(C6, S6, 40002, 443, req=client_hello(), resp=b"\x15\x03\x03\x00\x02\x02\x28")]  # alert: handshake_failure
    fr += [eth(arp(1, MAC_C, C4, b"\0" * 6, S4), etype=0x0806, src=MAC_C, dst=b"\xff" * 6),
           eth(arp(2, MAC_S, S4, MAC_C, C4), etype=0x0806, src=MAC_S, dst=MAC_C)]
    return pcap_bytes(1, records(fr))


def f_pppoe():
    padi = struct.pack("!BBHH", 0x11, 0x09, 0, 4) + struct.pack("!HH", 0x0101, 0)
    fr = [eth(padi, etype=0x8863, src=MAC_C, dst=b"\xff" * 6)]
    lcp_echo = struct.pack("!BBHI", 9, 1, 8, 0x01020304)
    fr += [eth(pppoe_session(lcp_echo, proto=0xC021), etype=0x8864)]
    fr += [eth(pppoe_session(p), etype=0x8864) for p in tcp_session(C4, S4, 40003, 80)]
    fr += [eth(pppoe_session(p), etype=0x8864) for p in udp_exchange(C6, S6, 53002, 53)]
    return pcap_bytes(1, records(fr))


def f_sll():
    fr = [sll(p, pkttype=4 if i % 2 == 0 else 0) for i, p in enumerate(tcp_session(C4, S4, 40004, 80))]
    fr += [sll(p) for p in udp_exchange(C6, S6, 53003, 53)]
    fr += [sll(arp(1, MAC_C, C4, b"\0" * 6, S4), proto=0x0806)]
    return pcap_bytes(113, records(fr))


def f_sll2():
    fr = [sll2(p) for p in tcp_session(C4, S4, 40005, 22, req=b"SSH-2.0-OpenSSH_9.2\r\n",
                                          resp=b"SSH-2.0-OpenSSH_9.2\r\n")]
    fr += [sll2(p) for p in ping(C6, S6, 0x0bad)]
    return pcap_bytes(276, records(fr))


def f_null_le():
    fr = [null_hdr(p) for p in tcp_session(C4, S4, 40006, 80)]
    fr += [null_hdr(p, af6=30) for p in udp_exchange(C6, S6, 53004, 53)]
    fr += [null_hdr(p, af6=28) for p in ping(C6, S6, 0x0c0c)]
    return pcap_bytes(0, records(fr), order="<")


def f_null_be():
    fr = [null_hdr(p, order=">") for p in tcp_session(C4, S4, 40007, 80)]
    fr += [null_hdr(p, af6=24, order=">") for p in udp_exchange(C6, S6, 53005, 53)]
    return pcap_bytes(0, records(fr), order=">")


def f_loop():
    fr = [struct.pack("!I", 2) + p for p in udp_exchange(C4, S4B, 53006, 53)]
    fr += [struct.pack("!I", 24) + p for p in tcp_session(C6, S6, 40008, 80)]
    return pcap_bytes(108, records(fr))


def f_raw():
    fr = tcp_session(C4, S4, 40009, 80) + udp_exchange(C6, S6, 53007, 53) + ping(C4, S4, 0x0101)
    return pcap_bytes(101, records(fr))


def f_ipv4_228():
    return pcap_bytes(228, records(tcp_session(C4, S4, 40010, 80) + udp_exchange(C4, S4B, 53008, 53)))


def f_ipv6_229():
    return pcap_bytes(229, records(tcp_session(C6, S6, 40011, 80) + ping(C6, S6, 0x0d0d)))


def ng_frames():
    return [eth(p) for p in tcp_session(C4, S4, 40012, 80)] + \
           [eth(p) for p in udp_exchange(C6, S6, 53009, 53)]


def f_pcapng_usec():
    return pcapng_bytes(1, records(ng_frames()), tsresol=6)


def f_pcapng_nsec():
    return pcapng_bytes(1, records(ng_frames()), tsresol=9, extra_ns=789)


def f_pcap_nsec():
    return pcap_bytes(1, records([eth(p) for p in tcp_session(C4, S4, 40013, 80)]), nsec=True,
                      frac_ns=[789] * 8)


def wlan_frames():
    # IEEE 802.11 data frames (no DS bits) with LLC/SNAP IPv4: a DNS exchange and a ping.
    return [struct.pack("<HH6s6s6sH", 0x0008, 0, MAC_S, MAC_C, MAC_S, i << 4) +
            b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + p
            for i, p in enumerate(udp_exchange(C4, S4B, 53010, 53) + ping(C4, S4, 1))]


def f_wlan_80211():
    return pcap_bytes(105, records(wlan_frames()))


def f_unsupported_frelay():
    # The same bytes under Frame Relay (107), a link type wirewho does not decode:
    # it must say so once and skip the file's packets.
    return pcap_bytes(107, records(wlan_frames()))


# IPv4 Record Route option (RFC 791): type 7, length 11, pointer 4, room for 2 addresses, EOL.
RR_OPT = struct.pack("!BBB", 7, 11, 4) + b"\0" * 8 + b"\0"


def f_ipv4_options_frags():
    fr = [eth(p) for p in tcp_session(C4, S4, 40014, 80, opts4=RR_OPT)]
    big = bytes(range(256)) * 11 + b"0123456789" * 19 + b"!!"   # 3008 bytes of payload
    fr += [eth(p) for p in frag4_datagram(C4, S4, 17, udp(5000, 6000, big), ident=0x4001)]
    fr += [eth(ip(S4, C4, 17, udp(6000, 5000, b"ack")))]
    echo = bytes(range(200)) * 10
    fr += [eth(p) for p in frag4_datagram(C4, S4, 1, icmp(8, 0, 0x0a0a, 1, echo), ident=0x4002)]
    fr += [eth(p) for p in frag4_datagram(S4, C4, 1, icmp(0, 0, 0x0a0a, 1, echo), ident=0x4003)]
    # A later fragment (offset 1480) of a datagram whose first fragment never came.
    fr += [eth(ip4("192.0.2.99", S4, 17, b"z" * 100, ident=0x7777, fo=185, fix=False))]
    return pcap_bytes(1, records(fr))


def f_ipv6_ext_frags():
    def wrap_ext(src, dst, l4):
        # hop-by-hop -> destination options -> routing -> TCP
        l4 = l4_csum(src, dst, 6, l4)
        return ip6(src, dst, 0, pad_opts6(60) + pad_opts6(43) + routing6(6) + l4)

    fr = [eth(p) for p in tcp_session(C6, S6, 40015, 80, wrap=wrap_ext)]
    q = l4_csum(C6, S6, 17, udp(41000, 41001, b"authenticated"))
    r = l4_csum(S6, C6, 17, udp(41001, 41000, b"reply"))
    fr += [eth(ip6(C6, S6, 51, ah6(17) + q)), eth(ip6(S6, C6, 51, ah6(17) + r))]
    big = bytes(range(256)) * 12                                     # 3072 bytes
    fr += [eth(p, pad=False) for p in frag6_datagram(C6, S6, 17, udp(41002, 41003, big), 0xF00D0001)]
    fr += [eth(ip(S6, C6, 17, udp(41003, 41002, b"ack")))]
    echo = bytes(range(250)) * 8                                     # 2000 bytes
    fr += [eth(p) for p in frag6_datagram(C6, S6, 58, icmp(128, 0, 0x0e0e, 1, echo), 0xF00D0002,
                                          pre=pad_opts6(44), pre_nh=60)]
    fr += [eth(p) for p in frag6_datagram(S6, C6, 58, icmp(129, 0, 0x0e0e, 1, echo), 0xF00D0003,
                                          pre=pad_opts6(44), pre_nh=60)]
    fr += [eth(ip6(C6, S6, 0, pad_opts6(59)))]                       # No Next Header
    fr += [eth(ip6(C6, S6, 44, frag6(17, 0, False, 0xF00D0004) +     # atomic fragment
                   l4_csum(C6, S6, 17, udp(41004, 41005, b"atomic"))))]
    fr += [eth(ip6("2001:db8::99", S6, 44, frag6(17, 1448, True, 0xF00D0005) + b"y" * 64))]  # orphan
    return pcap_bytes(1, records(fr))


def f_malformed():
    fr = [eth(p) for p in tcp_session(C4, S4, 40016, 80)]
    t = tcp(40017, 80, 1, 0, SYN)
    bad = [
        eth(ip4(C4, S4, 6, t, ihl=4)),                                    # IHL 4 < 5
        eth(ip4(C4, S4, 6, t, tot=10)),                                   # total length < header
        eth(ip4(C4, S4, 6, t, ver=5)),                                    # version 5 on 0x0800
        eth(ip4(C4, S4, 6, tcp(40017, 80, 1, 0, SYN, doff=3))),           # TCP data offset 3
        eth(ip4(C4, S4, 6, tcp(40017, 80, 1, 0, SYN, b"x" * 8, doff=15))),  # doff past segment
        eth(ip4(C4, S4, 6, t, tot=30)),                                   # TCP cut by IP total length
        eth(ip4(C4, S4, 17, udp(53011, 53, b"abcdef", ulen=5))),          # UDP length < 8
        eth(ip4(C4, S4, 17, udp(53011, 53, b"abcdef", ulen=500))),        # UDP length > IP payload
        eth(ip4(C4, S4, 1, icmp(8, 0, 1, 1)[:4])),                        # ICMP header cut
        eth(ip6(C6, S6, 60, ext6(17, 4) + udp(1, 2, b"q"), plen=16)),     # ext header past payload length
        eth(ip6(C6, S6, 60, b"".join(ext6(60) for _ in range(11)) + ext6(17) + udp(1, 2))),  # 12 ext headers
        eth(ip6(C6, S6, 0, ext6(17) + udp(1, 2, b"j"), plen=0)),          # jumbogram-style length 0
        eth(b"\x45\x00", pad=False)[:10],                                 # 10-byte Ethernet frame
        eth(ip(C4, S4, 6, t), tags=[(0x8100, 1)] * 10),                   # 10 stacked VLAN tags
        eth(struct.pack("!BBHH", 0x21, 0, 1, 42) + b"\x00\x21" + ip(C4, S4, 6, t), etype=0x8864),
    ]
    # IP total length beyond the capture but with whole headers: a snaplen cut, decoded.
    cut = ip4(C4, S4B, 17, udp(53012, 53, dns_query(), ulen=900), tot=1000)
    fr += bad + [(eth(cut), 14 + 1000)]
    return pcap_bytes(1, records(fr))


def truncated_and_absurd():
    fr = [eth(p) for p in tcp_session(C4, S4, 40018, 80)] + [eth(p) for p in udp_exchange(C4, S4B, 53013, 53)]
    whole = pcap_bytes(1, records(fr))
    last = len(fr[-1])
    truncated = whole[:len(whole) - last + 30]     # the last record's data stops after 30 bytes

    fr2 = [eth(p) for p in udp_exchange(C4, S4B, 53014, 53) + ping(C4, S4, 0x0f0f)[:1]]
    head = pcap_bytes(1, records(fr2))
    sec = T0 + 1
    absurd = head + struct.pack("<IIII", sec, 0, 0x7FFFFFFF, 0x7FFFFFFF) + b"\xde\xad" * 32
    return truncated, absurd


def f_snaplen_cut():
    snap = 54   # Ethernet + IPv4 + TCP without options, exactly
    big = b"A" * 1000
    fr = [eth(p) for p in tcp_session(C4, S4, 40019, 80, req=big, resp=big)]
    fr += [eth(p) for p in udp_exchange(C4, S4B, 53015, 53)]          # 42-byte headers: payload cut
    fr += [eth(p) for p in udp_exchange(C6, S6, 53016, 53)]           # 62-byte headers: cut, errors
    fr += [eth(ip(C4, S4, 6, tcp(40020, 80, 1, 0, SYN), opts=RR_OPT))]  # 66-byte headers: error
    recs = records([(f, len(f)) for f in fr])
    return pcap_bytes(1, recs, snaplen=snap)


# The link-type list of fuzz/fuzz_decode.c, in its order: byte 0 of an input indexes it.
FUZZ_DLTS = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276]


def pcap_records(data):
    """(linktype, [packet bytes]) of a classic pcap image; None for anything else."""
    if len(data) < 24:
        return None
    for order in "<>":
        magic, = struct.unpack(order + "I", data[:4])
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            break
    else:
        return None
    linktype, = struct.unpack(order + "I", data[20:24])
    pkts, off = [], 24
    while off + 16 <= len(data):
        caplen, = struct.unpack(order + "I", data[off + 8:off + 12])
        if off + 16 + caplen > len(data):
            break
        pkts.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return linktype, pkts


def write_corpus(out, files):
    os.makedirs(out, exist_ok=True)
    seeds = set()
    for name, data in files.items():
        parsed = pcap_records(data)
        if not parsed or parsed[0] not in FUZZ_DLTS:
            continue
        idx = bytes([FUZZ_DLTS.index(parsed[0])])
        framed = [struct.pack("!H", len(p)) + p for p in parsed[1]]
        seeds.update(idx + f for f in framed)
        seeds.add(idx + b"".join(framed))
    for s in sorted(seeds):
        with open(os.path.join(out, hashlib.sha1(s).hexdigest()), "wb") as f:
            f.write(s)
    print("%d seeds in %s" % (len(seeds), out))


def main():
    corpus = len(sys.argv) > 2 and sys.argv[1] == "--corpus"
    out = sys.argv[2] if corpus else sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(os.path.dirname(__file__), "..", "pcaps", "edge")
    truncated, absurd = truncated_and_absurd()
    files = {
        "en10mb_vlan_qinq.pcap": f_en10mb_vlan_qinq(),
        "pppoe.pcap": f_pppoe(),
        "sll.pcap": f_sll(),
        "sll2.pcap": f_sll2(),
        "null_le.pcap": f_null_le(),
        "null_be.pcap": f_null_be(),
        "loop.pcap": f_loop(),
        "raw.pcap": f_raw(),
        "ipv4_228.pcap": f_ipv4_228(),
        "ipv6_229.pcap": f_ipv6_229(),
        "pcapng_usec.pcapng": f_pcapng_usec(),
        "pcapng_nsec.pcapng": f_pcapng_nsec(),
        "pcap_nsec.pcap": f_pcap_nsec(),
        "wlan_80211.pcap": f_wlan_80211(),
        "unsupported_frelay.pcap": f_unsupported_frelay(),
        "ipv4_options_frags.pcap": f_ipv4_options_frags(),
        "ipv6_ext_frags.pcap": f_ipv6_ext_frags(),
        "malformed.pcap": f_malformed(),
        "truncated.pcap": truncated,
        "absurd_caplen.pcap": absurd,
        "not_a_capture.pcap": b"This is not a capture file, just text with a .pcap name.\n",
        "snaplen_cut.pcap": f_snaplen_cut(),
    }
    if corpus:
        write_corpus(out, files)
        return
    os.makedirs(out, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print("%-26s %6d bytes" % (name, len(data)))


if __name__ == "__main__":
    main()
