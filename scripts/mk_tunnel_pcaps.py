#!/usr/bin/env python3
"""mk_tunnel_pcaps.py - write the hand-made tunnel, label and offload captures in pcaps/tunnels/.

    python3 scripts/mk_tunnel_pcaps.py [OUTDIR]        (default: pcaps/tunnels)
    python3 scripts/mk_tunnel_pcaps.py --corpus DIR    (fuzz_decode seeds, one per frame)

Deterministic and pure standard library, built on mk_edge_pcaps.py's packet
builders: every byte comes from struct.pack, so running it again reproduces
the committed files exactly. Each tunnel is built from its specification
(GRE RFC 2784/2890, ERSPAN I/II/III, VXLAN RFC 7348, Geneve RFC 8926,
IP-in-IP, Teredo RFC 4380, GTP-U 3GPP TS 29.281, AYIYA), each carrying one
complete TCP conversation (mk_edge_pcaps.tcp_session: 8 packets, 5 to the
server, 3 to the client) unless said otherwise. pcaps/README.md
("## Tunnels") lists what each file holds and the flows wirewho reports.
Addresses are documentation ranges only.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mk_edge_pcaps as E  # noqa: E402

C4, S4 = E.C4, E.S4
C6, S6 = E.C6, E.S6
VA4, VB4 = "192.0.2.1", "198.51.100.1"        # tunnel endpoints
VA6, VB6 = "2001:db8:ff::1", "2001:db8:ff::2"


def outer(pkt, proto, payload, v6=False):
    """The carrier of one inner packet: A->B for the client's, B->A for the server's."""
    back = E.from_server(pkt)
    if v6:
        a, b = (VB6, VA6) if back else (VA6, VB6)
        return E.ip6(a, b, proto, E.l4_csum(a, b, proto, payload) if proto == 17 else payload)
    a, b = (VB4, VA4) if back else (VA4, VB4)
    return E.ip4(a, b, proto, payload)


def udp_carrier(pkt, dport, payload, sport=49152, v6=False):
    back = E.from_server(pkt)
    return outer(pkt, 17, E.udp(sport, dport, payload) if not back else E.udp(sport, dport, payload), v6)


def gre(proto, payload, key=None, seq=None, csum=False, ver=0, ack=None):
    fl = ver
    opt = b""
    if csum:
        fl |= 0x8000
        opt += b"\0\0\0\0"
    if key is not None:
        fl |= 0x2000
        opt += struct.pack("!I", key)
    if seq is not None:
        fl |= 0x1000
        opt += struct.pack("!I", seq)
    if ack is not None:
        fl |= 0x0080
        opt += struct.pack("!I", ack)
    return struct.pack("!HH", fl, proto) + opt + payload


def inner_eth(pkt):
    return E.eth(pkt, pad=False)


def session(cp, sp=80, c=C4, s=S4):
    return E.tcp_session(c, s, cp, sp)


def write(outdir, name, linktype, frames):
    with open(os.path.join(outdir, name), "wb") as f:
        f.write(E.pcap_bytes(linktype, E.records(frames)))
    return frames


# ---- the files -------------------------------------------------------------

def f_gre():
    """GRE: IPv4 with key and sequence numbers; Ethernet bridging (0x6558) with a checksum; PPTP's enhanced GRE."""
    fr = [E.eth(outer(p, 47, gre(0x0800, p, key=0x1234, seq=i))) for i, p in enumerate(session(41001))]
    fr += [E.eth(outer(p, 47, gre(0x6558, inner_eth(p), csum=True))) for p in session(41002)]
    fr += [E.eth(outer(p, 47, gre(0x880B, b"\xff\x03\x00\x21" + p, key=(len(p) + 4) << 16 | 7, seq=i, ver=1)))
           for i, p in enumerate(session(41003))]
    return fr


def erspan2(p, session_id, seq):
    hdr = struct.pack("!HHI", 0x1000 | 10, session_id, 0)   # ver 1, vlan 10; session; index
    return gre(0x88BE, hdr + inner_eth(p), seq=seq)


def erspan3(p, session_id, seq):
    hdr = struct.pack("!HHIHBB", 0x2000 | 10, session_id, 0x01020304, 0, 0, 0)   # ver 2, ft 0, no platform header
    return gre(0x22EB, hdr + inner_eth(p), seq=seq)


def f_erspan():
    """ERSPAN type I (no header, no sequence number), II (session 5) and III (session 6)."""
    fr = [E.eth(outer(p, 47, gre(0x88BE, inner_eth(p)))) for p in session(42001)]
    fr += [E.eth(outer(p, 47, erspan2(p, 5, i))) for i, p in enumerate(session(42002))]
    fr += [E.eth(outer(p, 47, erspan3(p, 6, i))) for i, p in enumerate(session(42003))]
    return fr


def vxlan(p, vni):
    return struct.pack("!II", 0x08000000, vni << 8) + inner_eth(p)


def f_vxlan():
    """VXLAN on 4789, VNI 100, outer IPv4; and VNI 101 over outer IPv6."""
    fr = [E.eth(udp_carrier(p, 4789, vxlan(p, 100))) for p in session(43001)]
    fr += [E.eth(udp_carrier(p, 4789, vxlan(p, 101), v6=True)) for p in session(43002, c=C6, s=S6)]
    return fr


def f_vxlan_8472():
    """VXLAN on Linux's old default port 8472 (read as VXLAN only with --vxlan-port 8472)."""
    return [E.eth(udp_carrier(p, 8472, vxlan(p, 7))) for p in session(43003)]


def geneve(p, vni, opts=b""):
    return struct.pack("!BBHI", len(opts) // 4, 0, 0x6558, vni << 8) + opts + inner_eth(p)


def f_geneve():
    """Geneve, VNI 200, 8 bytes of options (skipped by their length); and an IPv4 payload (0x0800)."""
    opt = struct.pack("!HBB", 0x0102, 0x80, 1) + b"\xaa\xbb\xcc\xdd"
    fr = [E.eth(udp_carrier(p, 6081, geneve(p, 200, opt))) for p in session(44001)]
    fr += [E.eth(udp_carrier(p, 6081, struct.pack("!BBHI", 0, 0, 0x0800, 201 << 8) + p)) for p in session(44002)]
    return fr


def f_ipip():
    """IP-in-IP in the four combinations: 4in4, 6in4, 4in6, 6in6."""
    fr = [E.eth(outer(p, 4, p)) for p in session(45001)]
    fr += [E.eth(outer(p, 41, p)) for p in session(45002, c=C6, s=S6)]
    fr += [E.eth(outer(p, 4, p, v6=True)) for p in session(45003)]
    fr += [E.eth(outer(p, 41, p, v6=True)) for p in session(45004, c=C6, s=S6)]
    return fr


def f_teredo():
    """Teredo: IPv6 in UDP 3544; the server's packets carry an origin indication, the SYN an authentication one."""
    fr = []
    for i, p in enumerate(session(46001, c=C6, s=S6)):
        pre = b""
        if i == 0:
            pre = struct.pack("!HBB", 1, 0, 0) + b"\x11" * 8 + b"\0"
        if E.from_server(p):
            pre += struct.pack("!HH4s", 0, 46001 ^ 0xFFFF, bytes(x ^ 0xFF for x in E.a4(VA4)))
        fr.append(E.eth(udp_carrier(p, 3544, pre + p, sport=3544)))
    return fr


def gtpu(p, teid, ext=False):
    if ext:   # S and E flags: sequence number, N-PDU, then one PDU session container (type 0x85)
        body = struct.pack("!HBB", 1, 0, 0x85) + struct.pack("!BBBB", 1, 0x10, 9, 0) + p
        return struct.pack("!BBHI", 0x36, 0xFF, len(body), teid) + body
    return struct.pack("!BBHI", 0x30, 0xFF, len(p), teid) + p


def f_gtpu():
    """GTP-U G-PDUs, TEID 0x11223344, the second packet with an extension header; an echo request (not a G-PDU)."""
    fr = [E.eth(udp_carrier(p, 2152, gtpu(p, 0x11223344, ext=i == 1), sport=2152))
          for i, p in enumerate(session(47001))]
    echo = struct.pack("!BBHI", 0x32, 1, 4, 0) + struct.pack("!HBB", 1, 0, 0)
    fr.append(E.eth(E.ip4(VA4, VB4, 17, E.udp(2152, 2152, echo))))
    return fr


def f_ayiya():
    """AYIYA: IPv6 forwarded (opcode 1) with a 16-byte identity and a 20-byte signature."""
    fr = []
    for p in session(48001, c=C6, s=S6):
        hdr = struct.pack("!BBBBI", 4 << 4 | 1, 5 << 4 | 2, 1 << 4 | 1, 41, 1767225600)
        fr.append(E.eth(udp_carrier(p, 5072, hdr + b"\x01" * 16 + b"\x02" * 20 + p, sport=5072)))
    return fr


def f_nested():
    """VXLAN inside GRE (two layers); IP-in-IP five deep (four are taken off)."""
    fr = [E.eth(outer(p, 47, gre(0x0800, udp_carrier(p, 4789, vxlan(p, 300)), key=9))) for p in session(49001)]
    for p in session(49002):
        q = p
        for _ in range(5):
            q = outer(p, 4, q)
        fr.append(E.eth(q))
    return fr


def f_malformed_tunnel():
    """Tunnels whose inner packet is cut or lies: each a counted decode error, the carrier still a flow."""
    p = session(49101)[0]
    fr = [
        E.eth(udp_carrier(p, 4789, vxlan(p, 5)[:8 + 10])),          # inner Ethernet cut at 10 bytes
        E.eth(outer(p, 47, gre(0x0800, p[:12], key=1))),            # inner IPv4 header cut
        E.eth(outer(p, 47, gre(0x0800, b"", key=1)[:6])),           # GRE key cut off
        E.eth(outer(p, 4, p[:2] + b"\x00\x0a" + p[4:])),            # inner total length 10 < header
    ]
    return fr


def mpls(labels, payload, cw=False):
    out = b""
    for i, lab in enumerate(labels):
        out += struct.pack("!I", lab << 12 | (1 << 8 if i == len(labels) - 1 else 0) | 64)
    return out + (b"\0\0\0\0" if cw else b"") + payload


def f_mpls():
    """MPLS: two labels then IPv4; one multicast label then IPv6; an Ethernet pseudowire with its control word."""
    fr = [E.eth(mpls([100, 200], p), etype=0x8847) for p in session(50001)]
    fr += [E.eth(mpls([300], p), etype=0x8848) for p in session(50002, c=C6, s=S6)]
    fr += [E.eth(mpls([400, 500], inner_eth(p), cw=True), etype=0x8847) for p in session(50003)]
    return fr


def f_pbb_vntag_fabricpath():
    """802.1ah PBB (B-tag then I-tag), VN-Tag, Cisco FabricPath around one conversation each."""
    cust = b"\x02\0\0\0\0\x0a\x02\0\0\0\0\x0b"
    fr = [E.eth(struct.pack("!I", 0x00010000 | 77) + cust + struct.pack("!H", 0x0800) + p,
                etype=0x88E7, tags=[(0x88A8, 5)]) for p in session(51001)]
    fr += [E.eth(struct.pack("!I", 0x80010002) + struct.pack("!H", 0x0800) + p, etype=0x8926)
           for p in session(51002)]
    fr += [E.eth(struct.pack("!H", 0x0101) + cust + struct.pack("!H", 0x0800) + p, etype=0x8903)
           for p in session(51003)]
    return fr


def f_tso():
    """TCP segmentation offload as the sending host captures it: IPv4 total length 0 on its big segments."""
    out = []
    for p in session(52001):
        if not E.from_server(p) and len(p) > 40:
            p = p[:2] + b"\0\0" + p[4:]
        out.append(p)
    big = E.ip4(C4, S4, 6, E.tcp(52001, 80, 1001 + 38, 5001, E.ACK | E.PSH, b"x" * 3000))
    out.insert(4, big[:2] + b"\0\0" + big[4:])
    return [E.eth(p) for p in out]


FILES = {
    "gre.pcap": f_gre, "erspan.pcap": f_erspan, "vxlan.pcap": f_vxlan, "vxlan_8472.pcap": f_vxlan_8472,
    "geneve.pcap": f_geneve, "ipip.pcap": f_ipip, "teredo.pcap": f_teredo, "gtpu.pcap": f_gtpu,
    "ayiya.pcap": f_ayiya, "nested.pcap": f_nested, "malformed_tunnel.pcap": f_malformed_tunnel,
    "mpls.pcap": f_mpls, "pbb_vntag_fabricpath.pcap": f_pbb_vntag_fabricpath, "tso.pcap": f_tso,
}


def pcapng_multi():
    """pcapng whose interfaces differ in link type and snap length (libpcap 1.10 refuses it)."""
    def block(btype, body):
        body = body + b"\0" * (-len(body) % 4)
        ln = 12 + len(body)
        return struct.pack("<II", btype, ln) + body + struct.pack("<I", ln)
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", 1, 0, 262144) + struct.pack("<HH", 0, 0))      # 0: Ethernet
    out += block(1, struct.pack("<HHI", 101, 0, 65535) + struct.pack("<HH", 0, 0))     # 1: raw IP
    out += block(1, struct.pack("<HHI", 113, 0, 1500) + struct.pack("<HH", 0, 0))      # 2: Linux cooked
    recs = []
    for i, p in enumerate(session(53001)):
        recs.append((0, E.eth(p)))
    for p in session(53002):
        recs.append((1, p))
    for p in session(53003):
        recs.append((2, E.sll(p)))
    for i, (ifc, data) in enumerate(recs):
        ts = E.T0 * 1000000 + i * E.STEP_US
        out += block(6, struct.pack("<IIIII", ifc, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data)) + data)
    return out


def main():
    args = sys.argv[1:]
    if args[:1] == ["--corpus"]:
        outdir = args[1]
        os.makedirs(outdir, exist_ok=True)
        for name, fn in FILES.items():
            for i, f in enumerate(fn()):
                with open(os.path.join(outdir, "tun_%s_%02d" % (name.split(".")[0], i)), "wb") as fh:
                    fh.write(bytes([1]) + f)   # byte 0 = index 1 of fuzz_decode's list: Ethernet
        return
    outdir = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pcaps", "tunnels")
    os.makedirs(outdir, exist_ok=True)
    for name, fn in FILES.items():
        write(outdir, name, 1, fn())
    with open(os.path.join(outdir, "pcapng_multi_linktype.pcapng"), "wb") as f:
        f.write(pcapng_multi())


if __name__ == "__main__":
    main()
