#!/usr/bin/env python3
"""starttls_peer.py - the plaintext half of each protocol's TLS upgrade, for
scripts/mk_starttls_pcaps.sh.

Design: one small server per protocol speaks exactly the dialogue its
specification prescribes before TLS (the greeting, the capability that
offers the upgrade, the upgrade command's positive reply), then wraps the
socket with Python's ssl module and finishes a real handshake with the
real client (openssl s_client -starttls PROTO, which parses these replies
strictly). RDP has no client in Debian that we can run headless here, so
this file is also its client: an X.224 Connection Request carrying
RDP_NEG_REQ (PROTOCOL_SSL | PROTOCOL_HYBRID), then TLS ([MS-RDPBCGR]
2.2.1.1). Every socket has a timeout, every server serves one connection.

usage: starttls_peer.py server PROTO PORT CERT KEY
       starttls_peer.py rdp-client HOST PORT
"""
import socket
import ssl
import struct
import sys

TIMEOUT = 10  # seconds: the machine is shared, a handshake can be slow


def mysql_greeting():
    """Protocol::HandshakeV10 with CLIENT_SSL (0x0800) in the capabilities."""
    body = (b"\x0a" + b"8.0.36-wirewho\x00" + struct.pack("<I", 7) + b"abcdefgh" + b"\x00"
            + struct.pack("<H", 0xffff) + b"\x21" + struct.pack("<H", 2) + struct.pack("<H", 0xc1ff)
            + b"\x15" + b"\x00" * 10 + b"ijklmnopqrst\x00" + b"mysql_native_password\x00")
    return struct.pack("<I", len(body))[:3] + b"\x00" + body


# PROTO: (greeting, [(what the client's bytes contain, reply)...]); TLS starts
# after the last reply. Replies follow RFC 3207, 2595, 4217, 4642, 5804, 6120.
DIALOGUES = {
    "smtp": (b"220 mail.example.test ESMTP wirewho-test\r\n",
             [(b"EHLO", b"250-mail.example.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"),
              (b"STARTTLS", b"220 2.0.0 Ready to start TLS\r\n")]),
    "pop3": (b"+OK wirewho-test POP3 ready\r\n",
             [(b"STLS", b"+OK Begin TLS negotiation\r\n")]),
    "imap": (b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] wirewho-test ready\r\n",
             [(b"CAPABILITY", b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n. OK done\r\n"),
              (b"STARTTLS", b". OK Begin TLS negotiation now\r\n")]),
    "ftp": (b"220 wirewho-test FTP server ready\r\n",
            [(b"AUTH TLS", b"234 AUTH TLS successful\r\n")]),
    "nntp": (b"200 news.example.test wirewho-test ready\r\n",
             [(b"CAPABILITIES", b"101 Capability list:\r\nVERSION 2\r\nREADER\r\nSTARTTLS\r\n.\r\n"),
              (b"STARTTLS", b"382 Continue with TLS negotiation\r\n")]),
    "sieve": (b"\"IMPLEMENTATION\" \"wirewho-test\"\r\n\"SIEVE\" \"fileinto\"\r\n\"STARTTLS\"\r\n"
              b"\"VERSION\" \"1.0\"\r\nOK \"ready\"\r\n",
              [(b"STARTTLS", b"OK \"Begin TLS negotiation now\"\r\n")]),
    "xmpp": (None,
             [(b"<stream:stream",
               b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
               b"xmlns:stream='http://etherx.jabber.org/streams' id='ww1' from='example.test' version='1.0'>"
               b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
               b"</stream:features>"),
              (b"<starttls", b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")]),
    # LDAPMessage{1, ExtendedResponse{success, "", "", responseName 1.3.6.1.4.1.1466.20037}}
    "ldap": (None,
             [(b"1.3.6.1.4.1.1466.20037",
               b"\x30\x24\x02\x01\x01\x78\x1f\x0a\x01\x00\x04\x00\x04\x00\x8a\x16"
               b"1.3.6.1.4.1.1466.20037")]),
    # SSLRequest (length 8, code 80877103) answered 'S'
    "postgres": (None, [(b"\x00\x00\x00\x08\x04\xd2\x16\x2f", b"S")]),
    "mysql": (mysql_greeting(), [(b"", None)]),   # the client's SSL request, then TLS
}


def read_until(conn, needle, buf):
    while needle not in buf:
        chunk = conn.recv(4096)
        if not chunk:
            raise ConnectionError("client left before %r" % needle)
        buf += chunk
    return buf[buf.index(needle) + len(needle):]


def serve(proto, port, cert, key):
    greeting, steps = DIALOGUES[proto]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(1)
    ls.settimeout(TIMEOUT * 3)
    conn, _ = ls.accept()
    conn.settimeout(TIMEOUT)
    if greeting:
        conn.sendall(greeting)
    buf = b""
    for needle, reply in steps:
        if proto == "mysql":
            buf += conn.recv(36)   # the SSL request packet: 32 bytes + header
        else:
            buf = read_until(conn, needle, buf)
        if reply:
            conn.sendall(reply)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    tls = ctx.wrap_socket(conn, server_side=True)
    try:
        while tls.recv(4096):
            pass
    except (ssl.SSLError, OSError):
        pass
    tls.close()


def rdp_client(host, port):
    s = socket.create_connection((host, port), timeout=TIMEOUT)
    # TPKT(3,0,len 19) X.224 CR(LI 14, 0xE0, dst 0, src 0, class 0) RDP_NEG_REQ(1, 0, 8, SSL|HYBRID)
    s.sendall(b"\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x03\x00\x00\x00")
    cc = s.recv(19)
    if len(cc) < 11 or cc[5] != 0xd0:
        raise SystemExit("no X.224 Connection Confirm")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    tls = ctx.wrap_socket(s, server_hostname="rdp.example.test")
    tls.close()


def rdp_server(port, cert, key):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(1)
    ls.settimeout(TIMEOUT * 3)
    conn, _ = ls.accept()
    conn.settimeout(TIMEOUT)
    conn.recv(19)
    # X.224 CC with RDP_NEG_RSP selecting PROTOCOL_SSL (1)
    conn.sendall(b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x00\x08\x00\x01\x00\x00\x00")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    tls = ctx.wrap_socket(conn, server_side=True)
    try:
        while tls.recv(4096):
            pass
    except (ssl.SSLError, OSError):
        pass
    tls.close()


if __name__ == "__main__":
    if sys.argv[1] == "server" and sys.argv[2] == "rdp":
        rdp_server(int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif sys.argv[1] == "server":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif sys.argv[1] == "rdp-client":
        rdp_client(sys.argv[2], int(sys.argv[3]))
    else:
        raise SystemExit(__doc__)
