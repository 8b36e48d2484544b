/*
 * dns.c - DNS over UDP and TCP by the message structure (RFC 1035 §4.1).
 *
 * Header (§4.1.1): ID, flags (QR, Opcode, AA, TC, RD, RA, Z, AD, CD, RCODE),
 * QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT. We require: an assigned opcode (0
 * QUERY, 1 IQUERY (obsolete, RFC 3425), 2 STATUS, 4 NOTIFY (RFC 1996),
 * 5 UPDATE (RFC 2136)); the one still-reserved Z bit clear; exactly one
 * question (every resolver sends one; RFC 9619 makes QDCOUNT > 1 an error)
 * except for NOTIFY/UPDATE responses (and IQUERY, whose one answer record
 * is checked instead); record counts a 64 KB message could hold; a question
 * name whose labels (<= 63 bytes, name <= 255, RFC 1035 §2.3.4) end inside
 * the message; a QTYPE that is assigned or private-use and a QCLASS that is
 * IN, CH, HS, NONE or ANY. Random bytes pass all of these with probability
 * far below 1e-6, which is what keeps random UDP from looking like DNS.
 * Like tcpdump and Wireshark we are lenient past that: the record sections
 * need not match their counts, and a textbook header (see below) with a
 * mangled or cut name is a malformed DNS message, not something else. The
 * classifier asks again on the next datagram of a port-53 flow when one
 * datagram fails (classify.c), so one fuzzed packet does not decide.
 * Over TCP every message carries a 2-byte length prefix (RFC 1035 §4.2.2).
 * NetBIOS name service (RFC 1002) and LLMNR (RFC 4795) use this very format
 * on ports of their own, and are theirs: netbios.c and llmnr.c (Zeek counts
 * them as DNS, nDPI and Wireshark by their names); mDNS (port 5353) is
 * mdns.c.
 */
#include "proto.h"

#define DNS_HDR 12
#define DNS_MIN_RR 11     /* a root name (1) + type, class, ttl, rdlength (10) */
#define DNS_MDNS_PORT 5353
#define DNS_QUERY_MAX_AR 2   /* an EDNS OPT (RFC 6891) and a TSIG or SIG(0) */
#define DNS_RCODE_LAST_BASIC 5   /* NOERROR .. REFUSED (RFC 1035 §4.1.1) */

static bool qtype_ok(uint16_t t)
{
	/* assigned ranges (IANA DNS parameters), meta types, private use */
	return (t >= 1 && t <= 260) || t == 32768 || t == 32769 || t >= 65280;
}

/*
 * The name, type and class at p[i..n) (a question, RFC 1035 §4.1.2, or the
 * head of a resource record, §4.1.3). NEED when the bytes end inside it.
 * `bad_name` tells a mangled name (a label over 63, a pointer with nothing
 * before it to point at, a name over 255) from a bad type or class.
 */
static enum ww_det name_type_class(const uint8_t *p, uint32_t n, uint32_t i, bool mdns, bool *bad_name)
{
	uint32_t namelen = 0;
	*bad_name = false;
	for (;;) {
		if (i >= n)
			return WW_DET_NEED;
		uint8_t l = p[i];
		if (l == 0) {
			i++;
			break;
		}
		/* a pointer can only point back into the message; in the very
		 * first name there is nothing before it to point at */
		namelen += l + 1u;
		if (l > 63 || namelen > 255) {
			*bad_name = true;
			return WW_DET_NO;
		}
		i += 1u + l;
	}
	if (i + 4 > n)
		return WW_DET_NEED;
	uint16_t qtype = ww_be16(p + i), qclass = ww_be16(p + i + 2);
	if (mdns)
		qclass &= 0x7fff;  /* RFC 6762 §5.4 unicast-response bit */
	if (!qtype_ok(qtype) ||
	    !(qclass == 1 || qclass == 3 || qclass == 4 || qclass == 254 || qclass == 255))
		return WW_DET_NO;
	return WW_DET_YES;
}

enum ww_det ww_dns_message(const uint8_t *p, uint32_t n, bool mdns)
{
	if (n < 4)
		return WW_DET_NEED;
	uint8_t qr = p[2] >> 7, opcode = (p[2] >> 3) & 0xf, rcode = p[3] & 0xf;
	if (opcode == 3 || opcode > 5)
		return WW_DET_NO;
	if (p[3] & 0x40)          /* Z: reserved, must be zero */
		return WW_DET_NO;
	if (!qr && rcode != 0)    /* a query carries no error code */
		return WW_DET_NO;
	if (n >= 6 && !mdns && ww_be16(p + 4) > 1)
		return WW_DET_NO;
	if (n < DNS_HDR)
		return WW_DET_NEED;
	uint16_t qd = ww_be16(p + 4), an = ww_be16(p + 6), ns = ww_be16(p + 8), ar = ww_be16(p + 10);
	if (!qr && (an > 16 || ns > 16) && opcode != 5)
		return WW_DET_NO;
	uint32_t records = (uint32_t)an + ns + ar;
	if (records * DNS_MIN_RR > 65535)
		return WW_DET_NO;
	/* An inverse query (opcode 1, obsolete but still sent: RFC 1035
	 * §6.4.1, RFC 3425) carries one answer record and no question. */
	if (!mdns && !qr && opcode == 1 && qd == 0 && an == 1) {
		bool bad;
		enum ww_det r = name_type_class(p, n, DNS_HDR, false, &bad);
		return r == WW_DET_NEED ? WW_DET_NO : r;
	}
	/* A textbook header - a standard QUERY with one question, and for a
	 * query no flags a stub would not set, no answer or authority records,
	 * at most an OPT and a signature in the additional section; for a
	 * response an assigned RCODE and fewer than 256 records per section -
	 * is some 45 bits that random data rarely matches. Such a message is
	 * DNS even when its name is then mangled or cut (a fuzzed packet, or a
	 * capture's snap length: tcpdump prints it as a cut message), as long
	 * as the name at least starts with a label. A question that is all
	 * there is is still judged by its type and class. */
	bool textbook = !mdns && opcode == 0 && qd == 1 && n > DNS_HDR && p[DNS_HDR] <= 63 &&
			(qr ? rcode <= DNS_RCODE_LAST_BASIC && an < 256 && ns < 256 && ar < 256
			    : !(p[2] & 0x06) && an == 0 && ns == 0 && ar <= DNS_QUERY_MAX_AR);
	if (mdns) {
		if (opcode != 0 || qd > 64 || (qd == 0 && (!qr || records == 0)))
			return WW_DET_NO;
	} else if (qd != 1 && !(qr && qd == 0 && (opcode == 4 || opcode == 5 || rcode != 0))) {
		return WW_DET_NO;
	}
	if (qd == 0) {
		/* responses without a question: the counts must fit what is here */
		if (n < DNS_HDR + records * DNS_MIN_RR)
			return WW_DET_NEED;
		return WW_DET_YES;
	}
	bool bad_name;
	enum ww_det r = name_type_class(p, n, DNS_HDR, mdns, &bad_name);
	if (textbook && (r == WW_DET_NEED || bad_name))
		return WW_DET_YES;
	/* The record sections are not held to their counts: a header and a
	 * whole question already prove the format, and a truncated or mangled
	 * answer is still a (malformed) DNS message to tcpdump and Wireshark.
	 * A cut question is NEED: a datagram or a framed message this short
	 * is not DNS, a TCP stream may bring the rest. */
	return r;
}

/* One direction's first bytes: a datagram, or a TCP stream of framed messages. */
static enum ww_det one(const struct ww_pview *v, int dir)
{
	const uint8_t *p = v->d[dir];
	uint32_t n = v->n[dir];
	if (v->ipproto == WW_IPPROTO_UDP) {
		enum ww_det r = ww_dns_message(p, n, false);
		/* a datagram is all there is: a cut question means not DNS */
		return r == WW_DET_NEED ? WW_DET_NO : r;
	}
	if (n < 2)
		return WW_DET_NEED;
	uint32_t ml = ww_be16(p);
	if (ml < DNS_HDR)
		return WW_DET_NO;
	uint32_t avail = n - 2 < ml ? n - 2 : ml;
	enum ww_det r = ww_dns_message(p + 2, avail, false);
	if (r == WW_DET_NEED && avail == ml)
		return WW_DET_NO;   /* the whole message is here and is cut short */
	return r;
}

enum ww_det ww_detect_dns(const struct ww_pview *v)
{
	if (v->sport == DNS_MDNS_PORT || v->cport == DNS_MDNS_PORT || v->mcast_mdns)
		return WW_DET_NO;   /* mdns.c */
	if (v->sport == WW_LLMNR_PORT || v->cport == WW_LLMNR_PORT || v->sport == WW_NBNS_PORT ||
	    v->cport == WW_NBNS_PORT)
		return WW_DET_NO;   /* llmnr.c, netbios.c */
	enum ww_det a = v->n[0] ? one(v, 0) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v, 1) : WW_DET_NEED;
	/* A query is to the server and a response to the client; a datagram
	 * both ways with QR reversed on port 53 is not DNS traffic as we know it. */
	if (v->ipproto == WW_IPPROTO_UDP && v->sport == 53) {
		if (v->n[0] && a == WW_DET_YES && (v->d[0][2] & 0x80) && v->cport != 53)
			a = WW_DET_NO;
		if (v->n[1] && b == WW_DET_YES && !(v->d[1][2] & 0x80) && v->cport != 53)
			b = WW_DET_NO;
	}
	return ww_det_merge(a, b);
}
