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

#include <errno.h>
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
#define ETHERTYPE_MPLS   0x8847
#define ETHERTYPE_MPLS_MC 0x8848
#define ETHERTYPE_PBB    0x88e7  /* 802.1ah I-tag */
#define ETHERTYPE_VNTAG  0x8926
#define ETHERTYPE_FABRICPATH 0x8903
#define ETHERTYPE_TEB    0x6558  /* transparent Ethernet bridging */
#define ETHERTYPE_ERSPAN2 0x88be /* ERSPAN I and II */
#define ETHERTYPE_ERSPAN3 0x22eb
#define ETHERTYPE_PPP    0x880b  /* PPP in (enhanced) GRE */

#define MPLS_LSE_LEN     4
#define MPLS_PW_CW_LEN   4
#define PBB_ITAG_LEN     18  /* I-tag TCI 4, customer addresses 12, ethertype 2 */
#define VNTAG_LEN        6   /* tag 4, ethertype 2 */
#define FABRICPATH_LEN   16  /* FTag/TTL 2, classic Ethernet addresses 12, ethertype 2 */

/*
 * Bound on MPLS labels in one stack: real stacks hold two to four (VPN,
 * transport, entropy, a fast-reroute label); sixteen is generous.
 */
#define MAX_MPLS_LABELS 16

/*
 * Bound on link-layer headers one frame may chain (tags, PBB, VN-Tag,
 * FabricPath, an MPLS stack and its pseudowire's Ethernet...): every one
 * consumes bytes, but the bound keeps a frame of nothing else short.
 */
#define MAX_LINK_HDRS 16

#define PPP_IPV4  0x0021
#define PPP_IPV6  0x0057
#define PPP_MPLS  0x0281   /* RFC 3032 over PPP */
#define PPP_MPLS_MC 0x0283

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
	/* UDP ports that may carry a tunnel, a bit each: one load per port on
	 * the common path, whatever the number of ports configured. */
	uint8_t tun_port[65536 / 8];
	bool decap;
	uint8_t n_vxlan;
	uint16_t vxlan_port[WW_DECODE_MAX_VXLAN_PORTS];
	struct ww_tunnel_layer layer[WW_TUNNEL_MAX_DEPTH];
	struct ww_pkt carrier[WW_TUNNEL_MAX_DEPTH];
};

/* Well-known UDP ports of the tunnels (IANA). */
#define PORT_VXLAN   4789
#define PORT_GENEVE  6081
#define PORT_TEREDO  3544
#define PORT_GTPU    2152
#define PORT_AYIYA   5072
#define IPPROTO_IPIP 4
#define IPPROTO_IPV6 41
#define IPPROTO_GRE  47

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

static inline void port_set(struct ww_decoder *d, uint16_t port)
{
	d->tun_port[port >> 3] |= (uint8_t)(1u << (port & 7));
}

static inline bool port_is_tun(const struct ww_decoder *d, uint16_t port)
{
	return d->tun_port[port >> 3] >> (port & 7) & 1;
}

struct ww_decoder *ww_decoder_new(void)
{
	struct ww_decoder *d = calloc(1, sizeof(struct ww_decoder));
	if (!d)
		return NULL;
	d->decap = true;
	port_set(d, PORT_VXLAN);
	port_set(d, PORT_GENEVE);
	port_set(d, PORT_TEREDO);
	port_set(d, PORT_GTPU);
	port_set(d, PORT_AYIYA);
	return d;
}

void ww_decoder_set_decap(struct ww_decoder *d, bool on)
{
	d->decap = on;
}

int ww_decoder_add_vxlan_port(struct ww_decoder *d, uint16_t port)
{
	if (port == 0)
		return -EINVAL;
	for (unsigned i = 0; i < d->n_vxlan; i++)
		if (d->vxlan_port[i] == port)
			return 0;
	if (d->n_vxlan >= WW_DECODE_MAX_VXLAN_PORTS)
		return -ENOSPC;
	d->vxlan_port[d->n_vxlan++] = port;
	port_set(d, port);
	return 0;
}

const char *ww_tunnel_type_name(unsigned type)
{
	static const char *const names[WW_TUN_NTYPES] = {
		[WW_TUN_NONE] = "none", [WW_TUN_GRE] = "gre", [WW_TUN_ERSPAN1] = "erspan-1",
		[WW_TUN_ERSPAN2] = "erspan-2", [WW_TUN_ERSPAN3] = "erspan-3",
		[WW_TUN_VXLAN] = "vxlan", [WW_TUN_GENEVE] = "geneve", [WW_TUN_IPIP] = "ip-in-ip",
		[WW_TUN_TEREDO] = "teredo", [WW_TUN_GTPU] = "gtp-u", [WW_TUN_AYIYA] = "ayiya",
	};
	return type < WW_TUN_NTYPES ? names[type] : "none";
}

const struct ww_tunnel_layer *ww_decode_layer(const struct ww_decoder *d, unsigned i)
{
	return i < WW_TUNNEL_MAX_DEPTH ? &d->layer[i] : NULL;
}

const struct ww_pkt *ww_decode_carrier(const struct ww_decoder *d, unsigned i)
{
	return i < WW_TUNNEL_MAX_DEPTH ? &d->carrier[i] : NULL;
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
	/* A total length of 0 is what a host captures of its own TCP
	 * segmentation offload (the kernel fills it in later): the datagram
	 * is what was captured, as tcpdump and Zeek read it. */
	if (WW_UNLIKELY(tot == 0))
		tot = cap;
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
static enum ww_decode_result decode_ethertype(struct ww_decoder *d, const uint8_t *data,
					      uint32_t caplen, uint32_t off, uint16_t type,
					      ww_time_t now, struct ww_pkt *p);

static enum ww_decode_result decode_ppp_proto(struct ww_decoder *d, const uint8_t *data,
					      uint32_t caplen, uint32_t off, ww_time_t now,
					      struct ww_pkt *p, bool mpls)
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
	/* MPLS only on a PPP link, not in a PPPoE session: MPLS's pseudowire
	 * may carry PPPoE, and the two would recurse frame after frame. */
	if (mpls && (proto == PPP_MPLS || proto == PPP_MPLS_MC))
		return decode_ethertype(d, data, caplen, off, ETHERTYPE_MPLS, now, p);
	return WW_DECODE_NOT_IP;   /* LCP, IPCP, CHAP... */
}

/*
 * MPLS (RFC 3032): 4-byte label stack entries down to the one with the
 * bottom-of-stack bit. What follows has no type field: its first nibble
 * says IPv4 (4) or IPv6 (6); 0 is the pseudowire control word (RFC 4385),
 * 4 bytes, then an Ethernet pseudowire's frame (RFC 4448), as tcpdump and
 * Wireshark read it. 802.1ah PBB: an I-tag (4 bytes) then the customer's
 * addresses and ethertype. VN-Tag (802.1Qbh): 4 bytes of tag, then the
 * ethertype. Cisco FabricPath: after the outer addresses and 0x8903, 2
 * bytes of FTag/TTL, then the classic Ethernet header.
 */
static enum ww_decode_result decode_ethertype(struct ww_decoder *d, const uint8_t *data,
					      uint32_t caplen, uint32_t off, uint16_t type,
					      ww_time_t now, struct ww_pkt *p)
{
	int tags = 0;
	for (int hops = 0;; hops++) {
		if (WW_LIKELY(type == ETHERTYPE_IPV4))
			return decode_ip4(d, data + off, caplen - off, now, p);
		if (hops >= MAX_LINK_HDRS)
			return WW_DECODE_ERROR;
		switch (type) {
		case ETHERTYPE_IPV6:
			return decode_ip6(d, data + off, caplen - off, now, p);
		case ETHERTYPE_VLAN:
		case ETHERTYPE_QINQ:
		case ETHERTYPE_QINQ_OLD:
			if (tags++ >= MAX_VLAN_TAGS || off + VLAN_TAG_LEN > caplen)
				return WW_DECODE_ERROR;
			p->vlan = ld16(data + off) & 0x0fff;   /* the last tag read is the innermost */
			type = ld16(data + off + 2);
			off += VLAN_TAG_LEN;
			break;
		case ETHERTYPE_PBB:
			if (off + PBB_ITAG_LEN > caplen)
				return WW_DECODE_ERROR;
			type = ld16(data + off + PBB_ITAG_LEN - 2);
			off += PBB_ITAG_LEN;
			break;
		case ETHERTYPE_VNTAG:
			if (off + VNTAG_LEN > caplen)
				return WW_DECODE_ERROR;
			type = ld16(data + off + VNTAG_LEN - 2);
			off += VNTAG_LEN;
			break;
		case ETHERTYPE_FABRICPATH:
			if (off + FABRICPATH_LEN > caplen)
				return WW_DECODE_ERROR;
			type = ld16(data + off + FABRICPATH_LEN - 2);
			off += FABRICPATH_LEN;
			break;
		case ETHERTYPE_MPLS:
		case ETHERTYPE_MPLS_MC: {
			for (int n = 0;; n++) {
				if (n >= MAX_MPLS_LABELS || off + MPLS_LSE_LEN > caplen)
					return WW_DECODE_ERROR;
				bool bos = data[off + 2] & 1;
				off += MPLS_LSE_LEN;
				if (bos)
					break;
			}
			if (off >= caplen)
				return WW_DECODE_ERROR;
			switch (data[off] >> 4) {
			case 4: return decode_ip4(d, data + off, caplen - off, now, p);
			case 6: return decode_ip6(d, data + off, caplen - off, now, p);
			case 0:
				off += MPLS_PW_CW_LEN;
				if (off + ETH_HLEN > caplen)
					return WW_DECODE_ERROR;
				type = ld16(data + off + 12);
				off += ETH_HLEN;
				break;
			default:
				return WW_DECODE_NOT_IP;
			}
			break;
		}
		case ETHERTYPE_PPPOE:
			if (off + PPPOE_HLEN + 1 > caplen)
				return WW_DECODE_ERROR;
			if (data[off] != 0x11 || data[off + 1] != 0)
				return WW_DECODE_ERROR;      /* version 1, type 1, session data code 0 */
			return decode_ppp_proto(d, data, caplen, off + PPPOE_HLEN, now, p, false);
		default:
			return WW_DECODE_NOT_IP;        /* ARP, LLDP, 802.3 lengths, ... */
		}
	}
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
	return decode_ppp_proto(d, data, caplen, off, now, out, true);
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

/* ---- tunnels ------------------------------------------------------------- */

/*
 * A carrier's payload is parsed as the tunnel its protocol or UDP port
 * names, each from its specification; the inner packet then goes through
 * the same decoders as a frame would (Ethernet with its tags, IP), bounded
 * by the carrier's captured payload, so nothing is read past caplen however
 * deep the nesting. A carrier that is a fragment is not opened (the inner
 * packet is not whole); a UDP datagram on a tunnel's port whose header is
 * not that tunnel's stays an ordinary datagram.
 */
enum inner_kind { IN_ETH, IN_IP, IN_IP4, IN_IP6, IN_PPP, IN_MPLS };

#define GRE_HLEN        4
#define GRE_F_CSUM      0x8000
#define GRE_F_ROUTING   0x4000
#define GRE_F_KEY       0x2000
#define GRE_F_SEQ       0x1000
#define GRE_F_ACK       0x0080   /* enhanced GRE (PPTP, RFC 2637) */
#define GRE_VER_MASK    0x0007
#define GRE_MAX_SRES    16       /* RFC 1701 source route entries; real ones have a few */
#define ERSPAN2_HLEN    8
#define ERSPAN3_HLEN    12
#define ERSPAN3_PLAT_LEN 8       /* the optional platform-specific subheader */
#define VXLAN_HLEN      8
#define VXLAN_F_VNI     0x08
#define GENEVE_HLEN     8
#define GTPU_HLEN       8
#define GTPU_OPT_LEN    4        /* sequence number, N-PDU number, next extension type */
#define GTPU_G_PDU      0xff
#define GTPU_MAX_EXT    8        /* extension headers in one packet; 29.281 defines a handful */
#define AYIYA_HLEN      8
#define AYIYA_OP_FORWARD 1
#define TEREDO_AUTH_HLEN 4       /* indicator type, id length, auth length */
#define TEREDO_NONCE_CONF 9      /* nonce 8, confirmation 1 */
#define TEREDO_ORIGIN_LEN 8

/* Parsed tunnel header: 1 a tunnel, 0 not one, -1 a tunnel header cut off or lying. */
struct tun_hdr {
	const uint8_t *in;
	uint32_t inlen;
	enum inner_kind kind;
};

static int parse_gre(const uint8_t *g, uint32_t len, struct ww_tunnel_layer *l, struct tun_hdr *h)
{
	if (len < GRE_HLEN)
		return -1;
	uint16_t fl = ld16(g), proto = ld16(g + 2);
	unsigned ver = fl & GRE_VER_MASK;
	uint32_t off = GRE_HLEN;
	if (ver > 1)
		return -1;
	l->type = WW_TUN_GRE;
	if (fl & (GRE_F_CSUM | GRE_F_ROUTING))
		off += 4;                      /* checksum and offset */
	if (fl & GRE_F_KEY) {
		if (off + 4 > len)
			return -1;
		uint32_t key = ld32(g + off);
		l->id = ver == 1 ? (key & 0xffff) : key;   /* PPTP: payload length, call id */
		l->has_id = true;
		off += 4;
	}
	if (fl & GRE_F_SEQ)
		off += 4;
	if (ver == 1 && (fl & GRE_F_ACK))
		off += 4;
	if (off > len)
		return -1;
	if (fl & GRE_F_ROUTING) {
		for (int n = 0;; n++) {
			if (n >= GRE_MAX_SRES || off + 4 > len)
				return -1;
			uint16_t af = ld16(g + off);
			uint8_t sl = g[off + 3];
			off += 4;
			if (af == 0 && sl == 0)
				break;
			if (off + sl > len)
				return -1;
			off += sl;
		}
	}
	switch (proto) {
	case ETHERTYPE_IPV4: h->kind = IN_IP4; break;
	case ETHERTYPE_IPV6: h->kind = IN_IP6; break;
	case ETHERTYPE_TEB: h->kind = IN_ETH; break;
	case ETHERTYPE_PPP: h->kind = IN_PPP; break;
	case ETHERTYPE_MPLS:
	case ETHERTYPE_MPLS_MC: h->kind = IN_MPLS; break;
	case ETHERTYPE_ERSPAN2:
		h->kind = IN_ETH;
		if (!(fl & GRE_F_SEQ)) {
			l->type = WW_TUN_ERSPAN1;  /* type I: no ERSPAN header at all */
			l->has_id = false;
			break;
		}
		if (off + ERSPAN2_HLEN > len)
			return -1;
		if ((g[off] >> 4) != 1)
			return -1;             /* version 1 is type II */
		l->type = WW_TUN_ERSPAN2;
		l->id = ld16(g + off + 2) & 0x3ff;   /* session id */
		l->has_id = true;
		off += ERSPAN2_HLEN;
		break;
	case ETHERTYPE_ERSPAN3: {
		if (off + ERSPAN3_HLEN > len)
			return -1;
		if ((g[off] >> 4) != 2)
			return -1;             /* version 2 is type III */
		unsigned ft = (g[off + 10] >> 2) & 0x1f;
		bool plat = g[off + 11] & 1;
		l->type = WW_TUN_ERSPAN3;
		l->id = ld16(g + off + 2) & 0x3ff;
		l->has_id = true;
		off += ERSPAN3_HLEN + (plat ? ERSPAN3_PLAT_LEN : 0);
		if (off > len)
			return -1;
		if (ft == 0)
			h->kind = IN_ETH;
		else if (ft == 2)
			h->kind = IN_IP;       /* an IP packet without its frame */
		else
			return 0;
		break;
	}
	default:
		return 0;                      /* keepalives, WCCP, NSH...: the GRE flow alone */
	}
	h->in = g + off;
	h->inlen = len - off;
	return 1;
}

static int parse_udp_tunnel(const struct ww_decoder *d, const struct ww_pkt *p,
			    struct ww_tunnel_layer *l, struct tun_hdr *h)
{
	const uint8_t *u = p->payload;
	uint32_t len = p->payload_len, off;
	uint16_t port = port_is_tun(d, p->dport) ? p->dport : p->sport;

	bool vx = port == PORT_VXLAN;
	for (unsigned i = 0; !vx && i < d->n_vxlan; i++)
		vx = port == d->vxlan_port[i];
	if (vx) {
		if (len < VXLAN_HLEN)
			return -1;
		if (!(u[0] & VXLAN_F_VNI))
			return 0;
		l->type = WW_TUN_VXLAN;
		l->id = ld32(u + 4) >> 8;
		l->has_id = true;
		h->kind = IN_ETH;
		off = VXLAN_HLEN;
	} else if (port == PORT_GENEVE) {
		if (len < GENEVE_HLEN)
			return -1;
		if ((u[0] >> 6) != 0)
			return 0;              /* only version 0 is defined */
		off = GENEVE_HLEN + (uint32_t)(u[0] & 0x3f) * 4;   /* options, skipped by length */
		switch (ld16(u + 2)) {
		case ETHERTYPE_TEB: h->kind = IN_ETH; break;
		case ETHERTYPE_IPV4: h->kind = IN_IP4; break;
		case ETHERTYPE_IPV6: h->kind = IN_IP6; break;
		default: return 0;
		}
		if (off > len)
			return -1;
		l->type = WW_TUN_GENEVE;
		l->id = ld32(u + 4) >> 8;
		l->has_id = true;
	} else if (port == PORT_GTPU) {
		if (len < GTPU_HLEN)
			return -1;
		if ((u[0] >> 5) != 1 || !(u[0] & 0x10) || u[1] != GTPU_G_PDU)
			return 0;              /* GTPv1, protocol type GTP; only G-PDUs carry packets */
		uint32_t end = GTPU_HLEN + ld16(u + 2);
		if (end < len)
			len = end;             /* the length field bounds the T-PDU */
		off = GTPU_HLEN;
		if (u[0] & 0x07) {
			if (len < GTPU_HLEN + GTPU_OPT_LEN)
				return -1;
			uint8_t next = u[GTPU_HLEN + GTPU_OPT_LEN - 1];
			off += GTPU_OPT_LEN;
			for (int n = 0; next; n++) {
				if (n >= GTPU_MAX_EXT || off + 1 > len)
					return -1;
				uint32_t el = (uint32_t)u[off] * 4;
				if (el == 0 || off + el > len)
					return -1;
				next = u[off + el - 1];
				off += el;
			}
		}
		l->type = WW_TUN_GTPU;
		l->id = ld32(u + 4);
		l->has_id = true;
		h->kind = IN_IP;
	} else if (port == PORT_TEREDO) {
		/* No header of its own: optional authentication and origin
		 * indicators, then an IPv6 packet that must be whole. */
		off = 0;
		if (len >= TEREDO_AUTH_HLEN && ld16(u) == 0x0001)
			off = TEREDO_AUTH_HLEN + u[2] + u[3] + TEREDO_NONCE_CONF;
		if (off + 2 <= len && ld16(u + off) == 0x0000)
			off += TEREDO_ORIGIN_LEN;
		if (off + IP6_HLEN > len || (u[off] >> 4) != 6 ||
		    IP6_HLEN + (uint32_t)ld16(u + off + 4) != len - off)
			return 0;
		l->type = WW_TUN_TEREDO;
		h->kind = IN_IP6;
	} else if (port == PORT_AYIYA) {
		if (len < AYIYA_HLEN)
			return 0;
		uint8_t nh = u[3];
		if ((u[2] & 0x0f) != AYIYA_OP_FORWARD || (nh != IPPROTO_IPIP && nh != IPPROTO_IPV6))
			return 0;
		off = AYIYA_HLEN + (1u << (u[0] >> 4)) + (uint32_t)(u[1] >> 4) * 4;
		if (off > len)
			return -1;
		l->type = WW_TUN_AYIYA;
		h->kind = nh == IPPROTO_IPIP ? IN_IP4 : IN_IP6;
	} else {
		return 0;
	}
	h->in = u + off;
	h->inlen = len - off;
	return 1;
}

/* True when `p` may carry another packet: the cheap test on every packet. */
static inline bool maybe_carrier(const struct ww_decoder *d, const struct ww_pkt *p)
{
	if (p->proto == WW_IPPROTO_TCP)
		return false;
	if (!d || !d->decap || p->is_fragment || !p->payload)
		return false;
	if (p->proto == WW_IPPROTO_UDP)
		return port_is_tun(d, p->dport) || port_is_tun(d, p->sport);
	return p->proto == IPPROTO_GRE || p->proto == IPPROTO_IPIP || p->proto == IPPROTO_IPV6;
}

static enum ww_decode_result decode_inner(struct ww_decoder *d, const struct tun_hdr *h,
					  ww_time_t now, struct ww_pkt *p)
{
	switch (h->kind) {
	case IN_ETH:
		if (h->inlen < ETH_HLEN)
			return WW_DECODE_ERROR;
		return decode_ethertype(d, h->in, h->inlen, ETH_HLEN, ld16(h->in + 12), now, p);
	case IN_IP:
		return decode_raw(d, h->in, h->inlen, now, p);
	case IN_IP4:
		return decode_ip4(d, h->in, h->inlen, now, p);
	case IN_IP6:
		return decode_ip6(d, h->in, h->inlen, now, p);
	case IN_PPP:
		return decode_ppp(d, h->in, h->inlen, now, p);
	case IN_MPLS:
		return decode_ethertype(d, h->in, h->inlen, 0, ETHERTYPE_MPLS, now, p);
	}
	return WW_DECODE_ERROR;
}

/*
 * Take tunnels off `p` while it carries one, at most WW_TUNNEL_MAX_DEPTH.
 * Each carrier's view is kept in d->carrier[], its layer in d->layer[]. An
 * inner packet that does not decode leaves `p` its carrier: marked
 * inner_error when it was malformed, as is when it was no IP (ARP in a
 * VXLAN) or an orphan fragment.
 */
static void decap(struct ww_decoder *d, ww_time_t now, struct ww_pkt *p)
{
	for (unsigned depth = 0; depth < WW_TUNNEL_MAX_DEPTH && maybe_carrier(d, p); depth++) {
		struct ww_tunnel_layer l = { .family = p->family };
		struct tun_hdr h;
		int k;

		if (p->proto == WW_IPPROTO_UDP) {
			k = parse_udp_tunnel(d, p, &l, &h);
		} else if (p->proto == IPPROTO_GRE) {
			k = parse_gre(p->payload, p->payload_len, &l, &h);
		} else {
			l.type = WW_TUN_IPIP;
			h.in = p->payload;
			h.inlen = p->payload_len;
			h.kind = p->proto == IPPROTO_IPIP ? IN_IP4 : IN_IP6;
			k = 1;
		}
		if (k <= 0) {
			p->inner_error = k < 0;
			return;
		}
		memcpy(&l.src, &p->src, sizeof(l.src));
		memcpy(&l.dst, &p->dst, sizeof(l.dst));
		d->carrier[depth] = *p;
		uint16_t vlan = p->vlan;
		memset(p, 0, sizeof(*p));
		if (h.kind != IN_ETH)
			p->vlan = vlan;        /* no frame of its own: the carrier's VLAN */
		enum ww_decode_result r = decode_inner(d, &h, now, p);
		if (r != WW_DECODE_OK) {
			*p = d->carrier[depth];
			p->inner_error = r == WW_DECODE_ERROR;
			return;
		}
		d->layer[depth] = l;
		p->tunnel_depth = (uint8_t)(depth + 1);
	}
}

/* ---- interned tunnel paths ------------------------------------------------ */

/*
 * Open addressing over twice the entries, so a probe ends soon; the hash
 * is fixed (not seeded) for the same reason as the fragment table's: the
 * numbering must be the same on every run.
 */
#define TUN_SLOTS 8192
_Static_assert(TUN_SLOTS >= 2 * (WW_TUNNELS_MAX + 1), "the index is at most half full");

struct ww_tunnels {
	uint32_t n;                                  /* paths, numbered 1..n */
	uint16_t last[WW_TUNNEL_MAX_DEPTH];          /* the last path returned, per depth */
	uint16_t slot[TUN_SLOTS];                    /* path numbers, 0 = empty */
	struct ww_tunnel_path path[WW_TUNNELS_MAX + 1];
};

struct ww_tunnels *ww_tunnels_new(void)
{
	return calloc(1, sizeof(struct ww_tunnels));
}

void ww_tunnels_free(struct ww_tunnels *t)
{
	free(t);
}

static void path_of(struct ww_tunnel_path *pa, const struct ww_tunnel_layer *layers, unsigned n)
{
	memset(pa, 0, sizeof(*pa));
	pa->depth = (uint8_t)n;
	for (unsigned i = 0; i < n; i++) {
		struct ww_tunnel_layer *l = &pa->layer[i];
		memcpy(&l->src, &layers[i].src, sizeof(l->src));
		memcpy(&l->dst, &layers[i].dst, sizeof(l->dst));
		l->id = layers[i].has_id ? layers[i].id : 0;
		l->type = layers[i].type;
		l->family = layers[i].family;
		l->has_id = layers[i].has_id;
	}
}

/* True when `pa` is the path of layers[0..n). */
static bool tun_same(const struct ww_tunnel_path *pa, const struct ww_tunnel_layer *layers, unsigned n)
{
	if (pa->depth != n)
		return false;
	for (unsigned i = 0; i < n; i++) {
		const struct ww_tunnel_layer *a = &pa->layer[i], *b = &layers[i];
		if (a->type != b->type || a->family != b->family || a->has_id != b->has_id ||
		    (b->has_id && a->id != b->id) || memcmp(&a->src, &b->src, sizeof(a->src)) != 0 ||
		    memcmp(&a->dst, &b->dst, sizeof(a->dst)) != 0)
			return false;
	}
	return true;
}

uint16_t ww_tunnels_intern(struct ww_tunnels *t, const struct ww_tunnel_layer *layers, unsigned n)
{
	struct ww_tunnel_path key;

	if (!t || n < 1 || n > WW_TUNNEL_MAX_DEPTH)
		return 0;
	/* The last path interned, at each depth: a tunnel's packets come in
	 * runs, and a hit costs one compare instead of a hash and a probe. */
	uint16_t last = t->last[n - 1];
	if (last && tun_same(&t->path[last], layers, n))
		return last;
	path_of(&key, layers, n);   /* padding zeroed: compared as bytes */
	const uint64_t m = 0x9e3779b97f4a7c15ULL;
	uint64_t h = n;
	for (unsigned j = 0; j < n; j++) {
		const struct ww_tunnel_layer *l = &key.layer[j];
		h = (h ^ ld64(l->src.b) ^ ld64(l->src.b + 8)) * m;
		h = (h ^ ld64(l->dst.b) ^ ld64(l->dst.b + 8)) * m;
		h = (h ^ ((uint64_t)l->id << 16 | (uint64_t)l->type << 8 | l->family)) * m;
	}
	h ^= h >> 29;
	for (uint32_t i = (uint32_t)(h >> 40) & (TUN_SLOTS - 1);; i = (i + 1) & (TUN_SLOTS - 1)) {
		uint16_t s = t->slot[i];
		if (s == 0) {
			if (t->n >= WW_TUNNELS_MAX)
				return 0;
			t->path[++t->n] = key;
			t->slot[i] = (uint16_t)t->n;
			t->last[n - 1] = (uint16_t)t->n;
			return (uint16_t)t->n;
		}
		if (memcmp(&t->path[s], &key, sizeof(key)) == 0) {
			t->last[n - 1] = s;
			return s;
		}
	}
}

const struct ww_tunnel_path *ww_tunnels_get(const struct ww_tunnels *t, uint16_t idx)
{
	if (!t || idx == 0 || idx > WW_TUNNELS_MAX)
		return NULL;
	return t->path[idx].depth ? &t->path[idx] : NULL;
}

static enum ww_decode_result decode_link(struct ww_decoder *d, int dlt, const uint8_t *data,
					 uint32_t caplen, ww_time_t now, struct ww_pkt *out)
{
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

enum ww_decode_result ww_decode(struct ww_decoder *d, int dlt, const uint8_t *data,
				uint32_t caplen, ww_time_t now, struct ww_pkt *out)
{
	enum ww_decode_result r;

	memset(out, 0, sizeof(*out));
	/* The common case first, ahead of the link-type switch: Ethernet + IPv4. */
	if (WW_LIKELY(dlt == WW_DLT_EN10MB && caplen >= ETH_HLEN)) {
		uint16_t type = ld16(data + 12);
		if (WW_LIKELY(type == ETHERTYPE_IPV4))
			r = decode_ip4(d, data + ETH_HLEN, caplen - ETH_HLEN, now, out);
		else
			r = decode_ethertype(d, data, caplen, ETH_HLEN, type, now, out);
	} else {
		r = decode_link(d, dlt, data, caplen, now, out);
	}
	if (r == WW_DECODE_OK && WW_UNLIKELY(maybe_carrier(d, out)))
		decap(d, now, out);
	return r;
}
