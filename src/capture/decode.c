/*
 * decode.c - link layers, IPv4/IPv6 and TCP/UDP/ICMP into a small packet view.
 *
 * Design. Decoding is one straight pass over the frame with a single rule:
 * before a header is read, its full length is checked against what is left
 * of the capture, and a length field that the packet claims (IP total length,
 * IPv6 payload length, TCP data offset, UDP length, an extension header's
 * length) is checked against both the captured and the claimed bytes of the
 * enclosing layer. Two limits travel down the layers: `cap`, the bytes that
 * were captured, and `claim`, the bytes the enclosing header says exist on the
 * wire. The L4 payload is min(claim, cap) past the transport header, so a
 * snaplen cut shortens the payload, and Ethernet padding after an IP datagram
 * (claim < cap) is never counted as payload. A transport header that is itself
 * cut off is an error: without it the flow key is unknown.
 *
 * All multi-byte loads go through memcpy/byte shifts (no unaligned pointer
 * casts); the common path (Ethernet, IPv4, TCP/UDP) has no loops and no
 * calls besides the inlined helpers. Nothing is allocated per packet.
 *
 * Fragments. The first fragment (offset 0, more-fragments set) is decoded as
 * usual and its result is remembered in a fixed-size, 4-way set-associative
 * table keyed by (src, dst, protocol, IP id); later fragments (offset != 0)
 * carry no transport header and take the first fragment's ports from it.
 * Entries age out after FRAG_TTL_US of packet time; a full bucket replaces
 * its stalest way, so the table never grows and a flood of fragments can only
 * turn later fragments into counted orphans, never exhaust memory. The hash
 * is fixed (not seeded) on purpose: the table decides which fragments join a
 * flow, and replays must give the same output on every run.
 *
 * IPv6 jumbograms (payload length 0 with a hop-by-hop Jumbo Payload option,
 * RFC 2675) are not supported: they cannot occur on Ethernet-sized links, and
 * with a payload length of 0 the first extension header does not fit in the
 * claimed payload, so they decode as errors.
 *
 * IPv6 atomic fragments (a fragment header with offset 0 and M clear, RFC
 * 6946) are whole datagrams: they are decoded normally, not marked as
 * fragments and not recorded.
 */
#include "wirewho/decode.h"

#include <stdlib.h>

/* Frame and header sizes, from the respective specifications. */
#define ETH_HLEN        14
#define VLAN_TAG_LEN    4
#define PPPOE_HLEN      6   /* ver/type, code, session id, length (RFC 2516) */
#define SLL_HLEN        16
#define SLL2_HLEN       20
#define NULL_HLEN       4
#define IP4_MIN_HLEN    20
#define IP6_HLEN        40
#define TCP_MIN_HLEN    20
#define UDP_HLEN        8
#define ICMP_HLEN       8   /* type, code, checksum, 4 bytes rest-of-header */
#define IP6_FRAG_HLEN   8

#define ETHERTYPE_IPV4   0x0800
#define ETHERTYPE_IPV6   0x86dd
#define ETHERTYPE_VLAN   0x8100  /* 802.1Q C-tag */
#define ETHERTYPE_QINQ   0x88a8  /* 802.1ad S-tag */
#define ETHERTYPE_QINQ_OLD 0x9100 /* pre-802.1ad vendor S-tag, still in the wild */
#define ETHERTYPE_PPPOE  0x8864  /* PPPoE session stage */
#define ETHERTYPE_MAX_LEN 1500   /* values <= 1500 are 802.3 lengths, not types */

#define PPP_IPV4  0x0021
#define PPP_IPV6  0x0057

/*
 * Bound on stacked VLAN tags. Real networks stack two (QinQ), rarely three;
 * eight is generous yet keeps a frame made only of tags from looping long.
 */
#define MAX_VLAN_TAGS 8

/*
 * Bound on IPv6 extension headers in one chain. RFC 8200 allows each to
 * appear once (destination options twice); eight leaves room for AH and odd
 * but valid orders, while a chain of hundreds of tiny headers is refused.
 */
#define MAX_IP6_EXT_HDRS 8

/* Address family values seen in DLT_NULL/DLT_LOOP headers. */
#define BSD_AF_INET          2
#define BSD_AF_INET6_LINUX   10  /* a Linux host writing DLT_NULL */
#define BSD_AF_INET6_BSD     24  /* NetBSD, OpenBSD, BSD/OS */
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN  30

#define IPPROTO_HOPOPTS  0
#define IPPROTO_ROUTING  43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_AH       51
#define IPPROTO_NONE     59
#define IPPROTO_DSTOPTS  60

#define IP4_MF       0x2000
#define IP4_OFFMASK  0x1fff
#define IP6_OFFMASK  0xfff8
#define IP6_MF       0x0001

/*
 * Fragment entries live this long in packet time. 30 s is Linux's default
 * reassembly timeout (net.ipv4.ipfrag_time): a receiver drops a datagram
 * whose fragments take longer, so later fragments after that are not worth
 * joining to a flow either.
 */
#define FRAG_TTL_US (30 * WW_USEC_PER_SEC)

/*
 * 256 buckets x 4 ways = 1024 datagrams in flight (56 KiB). Fragments of one
 * datagram arrive back to back, so an entry is needed only briefly; 1024
 * concurrent datagrams is far above what fragmenting traffic shows, and the
 * 4 ways keep two hot datagrams that hash alike from evicting each other.
 */
#define FRAG_WAYS    4
#define FRAG_BUCKETS 256

struct frag_entry {
	struct ww_addr src, dst;  /* 32: what a lookup compares, first */
	ww_time_t seen;           /* packet time of the first fragment */
	uint32_t id;              /* IPv4 16-bit id or IPv6 32-bit id */
	uint16_t sport, dport;    /* the first fragment's ports */
	uint8_t key_proto;        /* v4: IP proto; v6: fragment header's next header */
	uint8_t proto;            /* final transport protocol */
	uint8_t family;           /* 4 or 6; 0 = empty slot */
	uint8_t icmp_type, icmp_code;
	bool has_ports;
};
_Static_assert(sizeof(struct frag_entry) == 56, "fragment entry is 56 bytes");

struct ww_decoder {
	struct frag_entry frag[FRAG_BUCKETS][FRAG_WAYS];
};

/* Identity of a fragmented datagram, gathered while the IP header is read. */
struct frag_key {
	uint32_t id;
	uint8_t key_proto;
};

static inline uint16_t ld16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t ld32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

static inline uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

struct ww_decoder *ww_decoder_new(void)
{
	return calloc(1, sizeof(struct ww_decoder));
}

void ww_decoder_free(struct ww_decoder *d)
{
	free(d);
}

bool ww_decode_linktype_supported(int dlt)
{
	switch (dlt) {
	case WW_DLT_NULL:
	case WW_DLT_EN10MB:
	case WW_DLT_RAW:
	case WW_DLT_RAW_OBSD:
	case WW_DLT_RAW_LT:
	case WW_DLT_LOOP:
	case WW_DLT_LINUX_SLL:
	case WW_DLT_LINUX_SLL2:
	case WW_DLT_IPV4:
	case WW_DLT_IPV6:
	case WW_DLT_PPP:
	case WW_DLT_PPP_SERIAL:
	case WW_DLT_C_HDLC:
	case WW_DLT_IEEE802_11:
	case WW_DLT_RADIOTAP:
	case WW_DLT_NFLOG:
		return true;
	default:
		return false;
	}
}

/* ---- fragment table ------------------------------------------------------ */

static inline uint64_t ld64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* A cheap multiply-xorshift mix over the identifying fields. */
static unsigned frag_bucket(const struct ww_pkt *p, const struct frag_key *k)
{
	uint64_t h = (uint64_t)k->id << 16 ^ (uint64_t)k->key_proto << 8 ^ p->family;
	const uint64_t m = 0x9e3779b97f4a7c15ULL;
	h = (h ^ ld64(p->src.b)) * m;
	h = (h ^ ld64(p->src.b + 8)) * m;
	h = (h ^ ld64(p->dst.b)) * m;
	h = (h ^ ld64(p->dst.b + 8)) * m;
	h ^= h >> 29;
	return (unsigned)(h >> 32) & (FRAG_BUCKETS - 1);
}

/*
 * True when `seen` is within the TTL of `now`, either way (a second file may
 * go back in time). Unsigned arithmetic: |now - seen| <= TTL without signed
 * overflow whatever the stamps are.
 */
static inline bool frag_fresh(ww_time_t seen, ww_time_t now)
{
	uint64_t diff = (uint64_t)now - (uint64_t)seen;
	return diff + (uint64_t)FRAG_TTL_US <= 2 * (uint64_t)FRAG_TTL_US;
}

static inline bool frag_match(const struct frag_entry *e, const struct ww_pkt *p,
			      const struct frag_key *k)
{
	return e->family == p->family && e->id == k->id && e->key_proto == k->key_proto &&
	       memcmp(&e->src, &p->src, sizeof(e->src)) == 0 &&
	       memcmp(&e->dst, &p->dst, sizeof(e->dst)) == 0;
}

/* Remember a decoded first fragment; a repeat of it refreshes its entry. */
static void frag_record(struct ww_decoder *d, const struct ww_pkt *p,
			const struct frag_key *k, ww_time_t now)
{
	struct frag_entry *b = d->frag[frag_bucket(p, k)];
	struct frag_entry *victim = &b[0];
	for (int i = 0; i < FRAG_WAYS; i++) {
		struct frag_entry *e = &b[i];
		if (frag_match(e, p, k)) {
			victim = e;
			break;
		}
		/* Prefer an empty or expired way, else the one seen longest ago. */
		if (victim->family && frag_fresh(victim->seen, now) &&
		    (!e->family || !frag_fresh(e->seen, now) || e->seen < victim->seen))
			victim = e;
	}
	memcpy(&victim->src, &p->src, sizeof(p->src));
	memcpy(&victim->dst, &p->dst, sizeof(p->dst));
	victim->seen = now;
	victim->id = k->id;
	victim->sport = p->sport;
	victim->dport = p->dport;
	victim->key_proto = k->key_proto;
	victim->proto = p->proto;
	victim->family = p->family;
	victim->icmp_type = p->icmp_type;
	victim->icmp_code = p->icmp_code;
	victim->has_ports = p->has_ports;
}

/* A later fragment: take the first fragment's protocol and ports, or orphan. */
static enum ww_decode_result frag_later(struct ww_decoder *d, struct ww_pkt *p,
					const struct frag_key *k, ww_time_t now)
{
	p->is_fragment = true;
	if (!d)
		return WW_DECODE_FRAG_ORPHAN;
	const struct frag_entry *b = d->frag[frag_bucket(p, k)];
	for (int i = 0; i < FRAG_WAYS; i++) {
		const struct frag_entry *e = &b[i];
		if (frag_match(e, p, k) && frag_fresh(e->seen, now)) {
			p->proto = e->proto;
			p->sport = e->sport;
			p->dport = e->dport;
			p->icmp_type = e->icmp_type;
			p->icmp_code = e->icmp_code;
			p->has_ports = e->has_ports;
			return WW_DECODE_OK;
		}
	}
	return WW_DECODE_FRAG_ORPHAN;
}

/* ---- transport ----------------------------------------------------------- */

/* ICMP types whose rest-of-header starts with an identifier (RFC 792, 950). */
static inline bool icmp4_has_id(uint8_t type)
{
	switch (type) {
	case 0: case 8:    /* echo reply / request */
	case 13: case 14:  /* timestamp request / reply */
	case 15: case 16:  /* information request / reply */
	case 17: case 18:  /* address mask request / reply */
		return true;
	default:
		return false;
	}
}

/* ICMPv6 echo request/reply (RFC 4443) are the id-bearing types. */
static inline bool icmp6_has_id(uint8_t type)
{
	return type == 128 || type == 129;
}

/*
 * Decode the transport header at `l4`. `claim` is the IP payload length the
 * IP header claims, `cap` the captured part of it (cap <= claim). A first
 * fragment's UDP length covers the whole datagram, so it is not checked
 * against this fragment's payload.
 */
static inline __attribute__((always_inline))
enum ww_decode_result decode_l4(struct ww_pkt *p, const uint8_t *l4, uint32_t claim,
				uint32_t cap, bool frag)
{
	uint32_t hl, plen;

	switch (p->proto) {
	case WW_IPPROTO_TCP:
		if (WW_UNLIKELY(cap < TCP_MIN_HLEN))
			return WW_DECODE_ERROR;
		hl = (uint32_t)(l4[12] >> 4) * 4;
		if (WW_UNLIKELY(hl < TCP_MIN_HLEN || hl > cap))
			return WW_DECODE_ERROR;  /* hl > cap covers hl > claim, as cap <= claim */
		p->sport = ld16(l4);
		p->dport = ld16(l4 + 2);
		p->tcp_seq = ld32(l4 + 4);
		p->tcp_flags = l4[13];
		p->has_ports = true;
		plen = cap - hl;
		break;
	case WW_IPPROTO_UDP: {
		if (WW_UNLIKELY(cap < UDP_HLEN))
			return WW_DECODE_ERROR;
		uint32_t ulen = ld16(l4 + 4);
		if (WW_UNLIKELY(ulen < UDP_HLEN || (!frag && ulen > claim)))
			return WW_DECODE_ERROR;
		p->sport = ld16(l4);
		p->dport = ld16(l4 + 2);
		p->has_ports = true;
		hl = UDP_HLEN;
		/* Bytes after the UDP length (but inside the IP payload) are not payload. */
		plen = min32(ulen, cap) - hl;
		break;
	}
	case WW_IPPROTO_ICMP:
	case WW_IPPROTO_ICMPV6: {
		if (WW_UNLIKELY(cap < ICMP_HLEN))
			return WW_DECODE_ERROR;
		uint8_t type = l4[0];
		bool id = p->proto == WW_IPPROTO_ICMP ? icmp4_has_id(type) : icmp6_has_id(type);
		p->icmp_type = type;
		p->icmp_code = l4[1];
		p->sport = id ? ld16(l4 + 4) : 0;
		p->dport = type;
		p->has_ports = true;
		hl = ICMP_HLEN;
		plen = cap - hl;
		break;
	}
	case IPPROTO_NONE:
		return WW_DECODE_OK;  /* nothing follows, by definition */
	default:
		hl = 0;               /* port-less protocol: the whole IP payload */
		plen = cap;
		break;
	}
	p->payload_len = plen;
	p->payload = plen ? l4 + hl : NULL;
	return WW_DECODE_OK;
}

/* ---- network layer ------------------------------------------------------- */

static enum ww_decode_result decode_ip4(struct ww_decoder *d, const uint8_t *ip, uint32_t cap,
					ww_time_t now, struct ww_pkt *p)
{
	if (WW_UNLIKELY(cap < IP4_MIN_HLEN || (ip[0] >> 4) != 4))
		return WW_DECODE_ERROR;
	uint32_t hl = (uint32_t)(ip[0] & 0x0f) * 4;
	uint32_t tot = ld16(ip + 2);
	if (WW_UNLIKELY(hl < IP4_MIN_HLEN || hl > cap || tot < hl))
		return WW_DECODE_ERROR;

	p->family = 4;
	p->proto = ip[9];
	p->ip_len = tot;
	ww_addr_from_v4(&p->src, ip + 12);
	ww_addr_from_v4(&p->dst, ip + 16);

	/* Options are skipped whole by hl; trailing link padding is cut by tot. */
	uint32_t claim = tot - hl;
	uint32_t l4cap = min32(cap, tot) - hl;
	uint16_t fo = ld16(ip + 6);
	if (WW_LIKELY(!(fo & (IP4_MF | IP4_OFFMASK))))
		return decode_l4(p, ip + hl, claim, l4cap, false);

	struct frag_key k = { .id = ld16(ip + 4), .key_proto = ip[9] };
	p->is_fragment = true;
	if (fo & IP4_OFFMASK)
		return frag_later(d, p, &k, now);
	enum ww_decode_result r = decode_l4(p, ip + hl, claim, l4cap, true);
	if (r == WW_DECODE_OK && d)
		frag_record(d, p, &k, now);
	return r;
}

static enum ww_decode_result decode_ip6(struct ww_decoder *d, const uint8_t *ip, uint32_t cap,
					ww_time_t now, struct ww_pkt *p)
{
	if (WW_UNLIKELY(cap < IP6_HLEN || (ip[0] >> 4) != 6))
		return WW_DECODE_ERROR;
	uint32_t tot = IP6_HLEN + ld16(ip + 4);
	uint8_t nh = ip[6];

	p->family = 6;
	p->ip_len = tot;
	memcpy(p->src.b, ip + 8, 16);
	memcpy(p->dst.b, ip + 24, 16);

	/* Extension headers must fit in both the claimed and the captured bytes. */
	uint32_t end = min32(cap, tot);
	uint32_t off = IP6_HLEN;
	bool first_frag = false, seen_frag = false;
	struct frag_key k = { 0, 0 };
	for (int n = 0;; n++) {
		uint32_t hl;
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (off + 8 > end)
				return WW_DECODE_ERROR;
			hl = ((uint32_t)ip[off + 1] + 1) * 8;   /* RFC 8200: 8-octet units, minus the first */
			break;
		case IPPROTO_AH:
			if (off + 8 > end)
				return WW_DECODE_ERROR;
			hl = ((uint32_t)ip[off + 1] + 2) * 4;   /* RFC 4302: 4-octet units, minus 2 */
			break;
		case IPPROTO_FRAGMENT: {
			if (off + IP6_FRAG_HLEN > end || seen_frag)
				return WW_DECODE_ERROR;     /* cut off, or two fragment headers */
			seen_frag = true;
			uint16_t fo = ld16(ip + off + 2);
			k.id = ld32(ip + off + 4);
			k.key_proto = ip[off];
			if (fo & IP6_OFFMASK) {
				p->proto = ip[off];
				return frag_later(d, p, &k, now);
			}
			first_frag = (fo & IP6_MF) != 0;   /* else an atomic fragment */
			p->is_fragment = first_frag;
			hl = IP6_FRAG_HLEN;
			break;
		}
		default: {
			p->proto = nh;
			enum ww_decode_result r = decode_l4(p, ip + off, tot - off, end - off, first_frag);
			if (first_frag && r == WW_DECODE_OK && d)
				frag_record(d, p, &k, now);
			return r;
		}
		}
		if (n >= MAX_IP6_EXT_HDRS || off + hl > end)
			return WW_DECODE_ERROR;
		nh = ip[off];
		off += hl;
	}
}

/* Raw IP: the version nibble says which. */
static inline enum ww_decode_result decode_raw(struct ww_decoder *d, const uint8_t *ip,
					       uint32_t cap, ww_time_t now, struct ww_pkt *p)
{
	if (WW_UNLIKELY(cap < 1))
		return WW_DECODE_ERROR;
	switch (ip[0] >> 4) {
	case 4: return decode_ip4(d, ip, cap, now, p);
	case 6: return decode_ip6(d, ip, cap, now, p);
	default: return WW_DECODE_ERROR;
	}
}

/* ---- link layers --------------------------------------------------------- */

/*
 * Dispatch on an ethertype at `data + off` (after Ethernet or cooked headers),
 * through any VLAN tags and a PPPoE session header.
 */
/*
 * The PPP protocol field at `off` -- 2 bytes, or 1 when compressed (odd
 * first byte, RFC 1661 §6.5) -- and what it carries. Shared by PPPoE
 * sessions and PPP links.
 */
static enum ww_decode_result decode_ppp_proto(struct ww_decoder *d, const uint8_t *data,
					      uint32_t caplen, uint32_t off, ww_time_t now,
					      struct ww_pkt *p)
{
	uint16_t proto;

	if (off >= caplen)
		return WW_DECODE_ERROR;
	if (data[off] & 1) {
		proto = data[off];
		off += 1;
	} else {
		if (off + 2 > caplen)
			return WW_DECODE_ERROR;
		proto = ld16(data + off);
		off += 2;
	}
	if (proto == PPP_IPV4)
		return decode_ip4(d, data + off, caplen - off, now, p);
	if (proto == PPP_IPV6)
		return decode_ip6(d, data + off, caplen - off, now, p);
	return WW_DECODE_NOT_IP;   /* LCP, IPCP, CHAP... */
}

static enum ww_decode_result decode_ethertype(struct ww_decoder *d, const uint8_t *data,
					      uint32_t caplen, uint32_t off, uint16_t type,
					      ww_time_t now, struct ww_pkt *p)
{
	for (int tags = 0; WW_UNLIKELY(type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ ||
				       type == ETHERTYPE_QINQ_OLD); tags++) {
		if (tags >= MAX_VLAN_TAGS || off + VLAN_TAG_LEN > caplen)
			return WW_DECODE_ERROR;
		p->vlan = ld16(data + off) & 0x0fff;   /* the last tag read is the innermost */
		type = ld16(data + off + 2);
		off += VLAN_TAG_LEN;
	}
	if (WW_LIKELY(type == ETHERTYPE_IPV4))
		return decode_ip4(d, data + off, caplen - off, now, p);
	if (type == ETHERTYPE_IPV6)
		return decode_ip6(d, data + off, caplen - off, now, p);
	if (type == ETHERTYPE_PPPOE) {
		if (off + PPPOE_HLEN + 1 > caplen)
			return WW_DECODE_ERROR;
		if (data[off] != 0x11 || data[off + 1] != 0)
			return WW_DECODE_ERROR;      /* version 1, type 1, session data code 0 */
		return decode_ppp_proto(d, data, caplen, off + PPPOE_HLEN, now, p);
	}
	return WW_DECODE_NOT_IP;                /* ARP, LLDP, 802.3 lengths, ... */
}

/* DLT_NULL/DLT_LOOP family value -> IP version (0 for neither). */
static inline int bsd_family(uint32_t af)
{
	switch (af) {
	case BSD_AF_INET:
		return 4;
	case BSD_AF_INET6_LINUX:
	case BSD_AF_INET6_BSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN:
		return 6;
	default:
		return 0;
	}
}

/*
 * PPP (RFC 1661), as DLT_PPP and DLT_PPP_SERIAL carry it: an optional
 * 0xff 0x03 address/control pair (HDLC-like framing, RFC 1662), then the
 * protocol field, one byte when compressed (odd first byte) or two. Cisco
 * HDLC (DLT_C_HDLC): address 0x0f/0x8f, control 0x00, then an ethertype.
 * Cisco routers put Cisco HDLC frames on links captured as PPP too
 * (DLT_PPP_SERIAL by the book, DLT_PPP in the wild); 0x0f or 0x8f then 0x00
 * is no PPP header (protocol 0x0f/0x8f is unassigned), so it is read as
 * Cisco HDLC.
 */
#define HDLC_ADDR_ALL     0xff
#define HDLC_CTRL_UI      0x03
#define CHDLC_UNICAST     0x0f
#define CHDLC_BROADCAST   0x8f
#define CHDLC_HLEN        4

static enum ww_decode_result decode_chdlc(struct ww_decoder *d, const uint8_t *data,
					  uint32_t caplen, ww_time_t now, struct ww_pkt *out);

static enum ww_decode_result decode_ppp(struct ww_decoder *d, const uint8_t *data,
					uint32_t caplen, ww_time_t now, struct ww_pkt *out)
{
	uint32_t off = 0;

	if (caplen >= 2 && (data[0] == CHDLC_UNICAST || data[0] == CHDLC_BROADCAST) && data[1] == 0)
		return decode_chdlc(d, data, caplen, now, out);
	if (caplen >= 2 && data[0] == HDLC_ADDR_ALL && data[1] == HDLC_CTRL_UI)
		off = 2;
	return decode_ppp_proto(d, data, caplen, off, now, out);
}

static enum ww_decode_result decode_chdlc(struct ww_decoder *d, const uint8_t *data,
					  uint32_t caplen, ww_time_t now, struct ww_pkt *out)
{
	if (caplen < CHDLC_HLEN)
		return WW_DECODE_ERROR;
	return decode_ethertype(d, data, caplen, CHDLC_HLEN, ld16(data + 2), now, out);
}

/*
 * IEEE 802.11 (IEEE Std 802.11-2020 §9.2): only unprotected data frames
 * carry IP, behind an LLC/SNAP header (RFC 1042). The MAC header is 24
 * bytes, plus a fourth address when both To DS and From DS are set, a QoS
 * Control field in QoS data subtypes, and an HT Control field when a QoS
 * frame has the +HTC/Order bit. Management, control, null-data and
 * protected (encrypted) frames are well formed but not IP.
 */
#define WLAN_HLEN          24
#define WLAN_FC_TYPE_DATA  2
#define WLAN_FC_TODS       0x01
#define WLAN_FC_FROMDS     0x02
#define WLAN_FC_PROTECTED  0x40
#define WLAN_FC_ORDER      0x80
#define WLAN_SUBTYPE_QOS   0x08   /* subtype bit: QoS Control present */
#define WLAN_SUBTYPE_NULL  0x04   /* subtype bit: no frame body */
#define LLC_SNAP_HLEN      8      /* AA AA 03, OUI, ethertype */

static enum ww_decode_result decode_wlan(struct ww_decoder *d, const uint8_t *data,
					 uint32_t caplen, ww_time_t now, struct ww_pkt *out)
{
	if (caplen < 2)
		return WW_DECODE_ERROR;
	uint8_t fc0 = data[0], fc1 = data[1];
	unsigned type = (fc0 >> 2) & 3, subtype = fc0 >> 4;
	if (type != WLAN_FC_TYPE_DATA || (subtype & WLAN_SUBTYPE_NULL) ||
	    (fc1 & WLAN_FC_PROTECTED))
		return WW_DECODE_NOT_IP;
	uint32_t off = WLAN_HLEN;
	if ((fc1 & (WLAN_FC_TODS | WLAN_FC_FROMDS)) == (WLAN_FC_TODS | WLAN_FC_FROMDS))
		off += 6;
	if (subtype & WLAN_SUBTYPE_QOS) {
		off += 2;
		if (fc1 & WLAN_FC_ORDER)
			off += 4;
	}
	if (off + LLC_SNAP_HLEN > caplen)
		return WW_DECODE_ERROR;
	const uint8_t *llc = data + off;
	if (llc[0] != 0xaa || llc[1] != 0xaa || llc[2] != 0x03)
		return WW_DECODE_NOT_IP;   /* not SNAP: no ethertype to read */
	return decode_ethertype(d, data, caplen, off + LLC_SNAP_HLEN, ld16(llc + 6), now, out);
}

/* Radiotap (radiotap.org): version 0, a pad byte, then its length, little-endian. */
static enum ww_decode_result decode_radiotap(struct ww_decoder *d, const uint8_t *data,
					     uint32_t caplen, ww_time_t now, struct ww_pkt *out)
{
	if (caplen < 4 || data[0] != 0)
		return WW_DECODE_ERROR;
	uint32_t len = (uint32_t)data[2] | (uint32_t)data[3] << 8;
	if (len < 8 || len > caplen)
		return WW_DECODE_ERROR;
	return decode_wlan(d, data + len, caplen - len, now, out);
}

/*
 * NFLOG (Linux netfilter log, LINKTYPE_NFLOG): family, version, resource id,
 * then TLVs of host-order length (including the 4-byte TLV header) and type,
 * each padded to 4 bytes. NFULA_PAYLOAD (type 9) is the IP packet.
 */
#define NFLOG_HLEN        4
#define NFULA_PAYLOAD     9
#define NFLOG_MAX_TLVS    32      /* a real record has about ten */

static enum ww_decode_result decode_nflog(struct ww_decoder *d, const uint8_t *data,
					  uint32_t caplen, ww_time_t now, struct ww_pkt *out)
{
	if (caplen < NFLOG_HLEN)
		return WW_DECODE_ERROR;
	uint32_t off = NFLOG_HLEN;
	for (int n = 0; n < NFLOG_MAX_TLVS && off + 4 <= caplen; n++) {
		uint16_t tlen, ttype;
		memcpy(&tlen, data + off, 2);
		memcpy(&ttype, data + off + 2, 2);
		if (tlen < 4 || tlen > caplen - off)
			return WW_DECODE_ERROR;
		if ((ttype & 0x7fff) == NFULA_PAYLOAD)
			return decode_raw(d, data + off + 4, tlen - 4u, now, out);
		off += (tlen + 3u) & ~3u;
	}
	return WW_DECODE_NOT_IP;   /* a log record without a packet */
}

enum ww_decode_result ww_decode(struct ww_decoder *d, int dlt, const uint8_t *data,
				uint32_t caplen, ww_time_t now, struct ww_pkt *out)
{
	memset(out, 0, sizeof(*out));

	/* The common case first, ahead of the link-type switch: Ethernet + IPv4. */
	if (WW_LIKELY(dlt == WW_DLT_EN10MB && caplen >= ETH_HLEN)) {
		uint16_t type = ld16(data + 12);
		if (WW_LIKELY(type == ETHERTYPE_IPV4))
			return decode_ip4(d, data + ETH_HLEN, caplen - ETH_HLEN, now, out);
		return decode_ethertype(d, data, caplen, ETH_HLEN, type, now, out);
	}

	switch (dlt) {
	case WW_DLT_EN10MB:
		return WW_DECODE_ERROR;   /* shorter than an Ethernet header */
	case WW_DLT_LINUX_SLL:
		if (caplen < SLL_HLEN)
			return WW_DECODE_ERROR;
		return decode_ethertype(d, data, caplen, SLL_HLEN, ld16(data + 14), now, out);
	case WW_DLT_LINUX_SLL2:
		if (caplen < SLL2_HLEN)
			return WW_DECODE_ERROR;
		return decode_ethertype(d, data, caplen, SLL2_HLEN, ld16(data), now, out);
	case WW_DLT_NULL:
	case WW_DLT_LOOP: {
		if (caplen < NULL_HLEN)
			return WW_DECODE_ERROR;
		uint32_t af = ld32(data);   /* network order: right for DLT_LOOP */
		/*
		 * DLT_NULL is in the writer's host order, which may not be ours.
		 * Family values are small, so a value with its high half set was
		 * written the other way round.
		 */
		if (af > 0xffff)
			af = __builtin_bswap32(af);
		switch (bsd_family(af)) {
		case 4: return decode_ip4(d, data + NULL_HLEN, caplen - NULL_HLEN, now, out);
		case 6: return decode_ip6(d, data + NULL_HLEN, caplen - NULL_HLEN, now, out);
		default: return WW_DECODE_NOT_IP;
		}
	}
	case WW_DLT_RAW:
	case WW_DLT_RAW_OBSD:
	case WW_DLT_RAW_LT:
		return decode_raw(d, data, caplen, now, out);
	case WW_DLT_IPV4:
		return decode_ip4(d, data, caplen, now, out);
	case WW_DLT_IPV6:
		return decode_ip6(d, data, caplen, now, out);
	case WW_DLT_PPP:
	case WW_DLT_PPP_SERIAL:
		return decode_ppp(d, data, caplen, now, out);
	case WW_DLT_C_HDLC:
		return decode_chdlc(d, data, caplen, now, out);
	case WW_DLT_IEEE802_11:
		return decode_wlan(d, data, caplen, now, out);
	case WW_DLT_RADIOTAP:
		return decode_radiotap(d, data, caplen, now, out);
	case WW_DLT_NFLOG:
		return decode_nflog(d, data, caplen, now, out);
	default:
		return WW_DECODE_BAD_LINKTYPE;
	}
}
