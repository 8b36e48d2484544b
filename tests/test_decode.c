/*
 * test_decode.c - the packet decoder on every link type, IPv4 options, IPv6
 * extension headers, fragments, and truncated or lying headers.
 *
 * Packets are built byte by byte with the small builders below (no checksums:
 * the decoder does not check them). The truncation test copies every prefix of
 * a valid frame into a buffer of exactly that size, so under ASan any read
 * past caplen is caught, and asserts the exact result for each length.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <pcap/pcap.h>

#include "wirewho/decode.h"

#ifndef WW_SRCDIR
#define WW_SRCDIR "."
#endif

/* ---- builders ------------------------------------------------------------ */

struct pb {
	uint8_t b[4096];
	size_t n;
};

static void put(struct pb *p, const void *v, size_t n)
{
	assert_true(p->n + n <= sizeof(p->b));
	memcpy(p->b + p->n, v, n);
	p->n += n;
}

static void put8(struct pb *p, unsigned v)
{
	uint8_t c = (uint8_t)v;
	put(p, &c, 1);
}

static void put16(struct pb *p, unsigned v)
{
	put8(p, v >> 8);
	put8(p, v);
}

static void put32(struct pb *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p, v & 0xffff);
}

static void zeros(struct pb *p, size_t n)
{
	while (n--)
		put8(p, 0);
}

static const uint8_t SRC4[4] = { 192, 0, 2, 1 };
static const uint8_t DST4[4] = { 198, 51, 100, 2 };
static const uint8_t SRC6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t DST6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 };

/* A TCP segment; `optwords` 32-bit words of NOP options; `doff` overrides when nonzero. */
static void tcp(struct pb *p, uint16_t sp, uint16_t dp, uint32_t seq, uint8_t flags,
		int optwords, unsigned doff, const char *payload)
{
	put16(p, sp);
	put16(p, dp);
	put32(p, seq);
	put32(p, 0);
	put8(p, (doff ? doff : 5u + (unsigned)optwords) << 4);
	put8(p, flags);
	put16(p, 65535);
	put32(p, 0);
	for (int i = 0; i < optwords * 4; i++)
		put8(p, 1);
	if (payload)
		put(p, payload, strlen(payload));
}

/* A UDP datagram; `ulen` overrides the length field when nonzero. */
static void udp(struct pb *p, uint16_t sp, uint16_t dp, unsigned ulen, const char *payload)
{
	size_t n = payload ? strlen(payload) : 0;
	put16(p, sp);
	put16(p, dp);
	put16(p, ulen ? ulen : 8 + n);
	put16(p, 0);
	if (payload)
		put(p, payload, n);
}

static void icmp(struct pb *p, uint8_t type, uint8_t code, uint16_t id, uint16_t seq,
		 const char *payload)
{
	put8(p, type);
	put8(p, code);
	put16(p, 0);
	put16(p, id);
	put16(p, seq);
	if (payload)
		put(p, payload, strlen(payload));
}

struct ip4o {
	uint8_t proto;
	uint16_t id;
	uint16_t fo;        /* flags + fragment offset field */
	int optwords;       /* IPv4 options, 32-bit words */
	int ihl;            /* override IHL when nonzero */
	int tot;            /* override total length when nonzero */
	int version;        /* override version when nonzero */
};

static void ip4(struct pb *p, const struct ip4o *o, const struct pb *l4)
{
	unsigned hl = 20 + 4u * (unsigned)o->optwords;
	put8(p, (unsigned)(o->version ? o->version : 4) << 4 |
		(unsigned)(o->ihl ? o->ihl : (int)hl / 4));
	put8(p, 0);
	put16(p, o->tot ? (unsigned)o->tot : hl + l4->n);
	put16(p, o->id);
	put16(p, o->fo);
	put8(p, 64);
	put8(p, o->proto);
	put16(p, 0);
	put(p, SRC4, 4);
	put(p, DST4, 4);
	for (int i = 0; i < o->optwords; i++)
		put32(p, 0x01010101);   /* NOP options */
	put(p, l4->b, l4->n);
}

/* IPv6: `rest` holds extension headers then transport; `plen` overrides when >= 0. */
static void ip6(struct pb *p, uint8_t nh, const struct pb *rest, int plen)
{
	put32(p, 0x60000000);
	put16(p, plen >= 0 ? (unsigned)plen : rest->n);
	put8(p, nh);
	put8(p, 64);
	put(p, SRC6, 16);
	put(p, DST6, 16);
	put(p, rest->b, rest->n);
}

/* A generic IPv6 extension header of (len8 + 1) * 8 bytes. */
static void ext6(struct pb *p, uint8_t nh, uint8_t len8)
{
	put8(p, nh);
	put8(p, len8);
	zeros(p, 6 + 8u * len8);
}

static void frag6(struct pb *p, uint8_t nh, uint16_t off8, bool more, uint32_t id)
{
	put8(p, nh);
	put8(p, 0);
	put16(p, (unsigned)(off8 << 3) | (more ? 1u : 0u));
	put32(p, id);
}

static void eth(struct pb *p, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	put(p, macs, 12);
	put16(p, type);
}

/* TCP 192.0.2.1:40000 -> 198.51.100.2:80, SYN, seq 1000, payload "hello". */
static void std_tcp4(struct pb *ip)
{
	struct pb l4 = { .n = 0 };
	tcp(&l4, 40000, 80, 1000, WW_TCP_SYN | WW_TCP_ACK, 0, 0, "hello");
	ip4(ip, &(struct ip4o){ .proto = 6, .id = 7 }, &l4);
}

/* UDP [2001:db8::1]:5353 -> [2001:db8:1::2]:53, payload "abc". */
static void std_udp6(struct pb *ip)
{
	struct pb l4 = { .n = 0 };
	udp(&l4, 5353, 53, 0, "abc");
	ip6(ip, 17, &l4, -1);
}

struct ctx {
	struct ww_decoder *d;
	struct ww_pkt pkt;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	c->d = ww_decoder_new();
	assert_non_null(c->d);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	ww_decoder_free(c->d);
	free(c);
	return 0;
}

/* Decode from an exactly-sized heap copy so ASan sees any overread. */
static enum ww_decode_result dec_at(struct ctx *c, int dlt, const struct pb *p, size_t len,
				    ww_time_t now)
{
	uint8_t *copy = malloc(len ? len : 1);
	memcpy(copy, p->b, len);
	enum ww_decode_result r = ww_decode(c->d, dlt, copy, (uint32_t)len, now, &c->pkt);
	if (r == WW_DECODE_OK && c->pkt.payload) {
		assert_true(c->pkt.payload >= copy);
		assert_true(c->pkt.payload + c->pkt.payload_len <= copy + len);
		/* Rebase into the builder so the caller may compare bytes. */
		c->pkt.payload = p->b + (c->pkt.payload - copy);
	}
	free(copy);
	return r;
}

static enum ww_decode_result dec(struct ctx *c, int dlt, const struct pb *p)
{
	return dec_at(c, dlt, p, p->n, 1000000);
}

static void assert_v4_addrs(const struct ww_pkt *k)
{
	struct ww_addr a;
	ww_addr_from_v4(&a, SRC4);
	assert_memory_equal(k->src.b, a.b, 16);
	ww_addr_from_v4(&a, DST4);
	assert_memory_equal(k->dst.b, a.b, 16);
}

static void assert_payload(const struct ww_pkt *k, const char *want)
{
	assert_int_equal(k->payload_len, strlen(want));
	assert_non_null(k->payload);
	assert_memory_equal(k->payload, want, strlen(want));
}

static void assert_std_tcp4(const struct ww_pkt *k)
{
	assert_int_equal(k->family, 4);
	assert_int_equal(k->proto, 6);
	assert_v4_addrs(k);
	assert_int_equal(k->sport, 40000);
	assert_int_equal(k->dport, 80);
	assert_int_equal(k->tcp_seq, 1000);
	assert_int_equal(k->tcp_flags, WW_TCP_SYN | WW_TCP_ACK);
	assert_true(k->has_ports);
	assert_false(k->is_fragment);
	assert_int_equal(k->ip_len, 20 + 20 + 5);
	assert_payload(k, "hello");
}

static void assert_std_udp6(const struct ww_pkt *k)
{
	assert_int_equal(k->family, 6);
	assert_int_equal(k->proto, 17);
	assert_memory_equal(k->src.b, SRC6, 16);
	assert_memory_equal(k->dst.b, DST6, 16);
	assert_int_equal(k->sport, 5353);
	assert_int_equal(k->dport, 53);
	assert_true(k->has_ports);
	assert_int_equal(k->ip_len, 40 + 8 + 3);
	assert_int_equal(k->tcp_flags, 0);
	assert_payload(k, "abc");
}

/* ---- link layers --------------------------------------------------------- */

static void test_ethernet_ipv4_tcp_fields_are_exact(void **state)
{
	struct ctx *c = *state;
	struct pb f = { .n = 0 };
	eth(&f, 0x0800);
	std_tcp4(&f);
	assert_int_equal(dec(c, WW_DLT_EN10MB, &f), WW_DECODE_OK);
	assert_std_tcp4(&c->pkt);
	assert_int_equal(c->pkt.vlan, 0);
	assert_int_equal(c->pkt.icmp_type, 0);
}

static void test_ethernet_ipv6_udp_fields_are_exact(void **state)
{
	struct ctx *c = *state;
	struct pb f = { .n = 0 };
	eth(&f, 0x86dd);
	std_udp6(&f);
	assert_int_equal(dec(c, WW_DLT_EN10MB, &f), WW_DECODE_OK);
	assert_std_udp6(&c->pkt);
}

static void test_vlan_single_tag_vid_is_kept(void **state)
{
	struct ctx *c = *state;
	struct pb f = { .n = 0 };
	eth(&f, 0x8100);
	put16(&f, 0xe000 | 42);      /* PCP 7, VID 42 */
	put16(&f, 0x0800);
	std_tcp4(&f);
	assert_int_equal(dec(c, WW_DLT_EN10MB, &f), WW_DECODE_OK);
	assert_int_equal(c->pkt.vlan, 42);
	assert_std_tcp4(&c->pkt);
}

static void test_vlan_qinq_tags_are_skipped_and_inner_vid_kept(void **state)
{
	struct ctx *c = *state;
	static const uint16_t outer[] = { 0x88a8, 0x9100, 0x8100 };
	for (size_t i = 0; i < WW_ARRAY_SIZE(outer); i++) {
		struct pb f = { .n = 0 };
		eth(&f, outer[i]);
		put16(&f, 100);            /* S-tag VID 100 */
		put16(&f, 0x8100);
		put16(&f, 0x1000 | 200);   /* C-tag VID 200, DEI set */
		put16(&f, 0x8100);
		put16(&f, 4095);           /* a third tag, innermost */
		put16(&f, 0x86dd);
		std_udp6(&f);
		assert_int_equal(dec(c, WW_DLT_EN10MB, &f), WW_DECODE_OK);
		assert_int_equal(c->pkt.vlan, 4095);
		assert_std_udp6(&c->pkt);
	}
}

static void test_vlan_tags_beyond_the_bound_are_an_error(void **state)
{
	struct ctx *c = *state;
	struct pb f = { .n = 0 };
	eth(&f, 0x8100);
	for (int i = 0; i < 8; i++) {
		put16(&f, 1);
		put16(&f, 0x8100);
	}
	put16(&f, 1);
	put16(&f, 0x0800);
	std_tcp4(&f);
	assert_int_equal(dec(c, WW_DLT_EN10MB, &f), WW_DECODE_ERROR);
}

static void test_pppoe_session_carries_ipv4_and_ipv6(void **state)
{
	struct ctx *c = *state;
	struct pb ip = { .n = 0 };
	std_tcp4(&ip);
	struct pb f = { .n = 0 };
	eth(&f, 0x8864);
	put8(&f, 0x11); put8(&f, 0); put16(&f, 0x1234); put16(&f, ip.n + 2);
	put16(&f, 0x0021);
	put(&f, ip.b, ip.n);
	assert_int_equal(dec(c, WW_DLT_EN10MB, &f), WW_DECODE_OK);
	assert_std_tcp4(&c->pkt);

	struct pb ip6p = { .n = 0 };
	std_udp6(&ip6p);
	struct pb g = { .n = 0 };
	eth(&g, 0x8100);
	put16(&g, 7);
	put16(&g, 0x8864);
	put8(&g, 0x11); put8(&g, 0); put16(&g, 0x1234); put16(&g, ip6p.n + 1);
	put8(&g, 0x57);               /* protocol-field-compressed IPv6 */
	put(&g, ip6p.b, ip6p.n);
	assert_int_equal(dec(c, WW_DLT_EN10MB, &g), WW_DECODE_OK);
	assert_int_equal(c->pkt.vlan, 7);
	assert_std_udp6(&c->pkt);
}

static void test_pppoe_control_and_discovery_are_not_ip_and_bad_version_is_error(void **state)
{
	struct ctx *c = *state;
	struct pb f = { .n = 0 };
	eth(&f, 0x8864);
	put8(&f, 0x11); put8(&f, 0); put16(&f, 1); put16(&f, 6);
	put16(&f, 0xc021);            /* LCP */
	zeros(&f, 4);
	assert_int_equal(dec(c, WW_DLT_EN10MB, &f), WW_DECODE_NOT_IP);

	struct pb g = { .n = 0 };
	eth(&g, 0x8863);              /* discovery stage */
	zeros(&g, 20);
	assert_int_equal(dec(c, WW_DLT_EN10MB, &g), WW_DECODE_NOT_IP);

	struct pb h = { .n = 0 };
	eth(&h, 0x8864);
	put8(&h, 0x21); put8(&h, 0); put16(&h, 1); put16(&h, 6);
	put16(&h, 0x0021);
	std_tcp4(&h);
	assert_int_equal(dec(c, WW_DLT_EN10MB, &h), WW_DECODE_ERROR);
}

static void test_arp_lldp_and_8023_frames_are_not_ip(void **state)
{
	struct ctx *c = *state;
	static const uint16_t types[] = { 0x0806, 0x88cc, 0x05dc, 0x0026, 0x88b5 };
	for (size_t i = 0; i < WW_ARRAY_SIZE(types); i++) {
		struct pb f = { .n = 0 };
		eth(&f, types[i]);
		zeros(&f, 46);
		assert_int_equal(dec(c, WW_DLT_EN10MB, &f), WW_DECODE_NOT_IP);
	}
}

static void test_linux_cooked_v1_reads_protocol_at_offset_14(void **state)
{
	struct ctx *c = *state;
	struct pb f = { .n = 0 };
	put16(&f, 0);        /* packet type: to us */
	put16(&f, 1);        /* ARPHRD_ETHER */
	put16(&f, 6);
	zeros(&f, 8);
	put16(&f, 0x0800);
	std_tcp4(&f);
	assert_int_equal(f.n, 16 + 45);
	assert_int_equal(dec(c, WW_DLT_LINUX_SLL, &f), WW_DECODE_OK);
	assert_std_tcp4(&c->pkt);

	f.b[14] = 0x08; f.b[15] = 0x06;   /* ARP */
	assert_int_equal(dec(c, WW_DLT_LINUX_SLL, &f), WW_DECODE_NOT_IP);
}

static void test_linux_cooked_v2_reads_protocol_at_offset_0(void **state)
{
	struct ctx *c = *state;
	struct pb f = { .n = 0 };
	put16(&f, 0x86dd);
	put16(&f, 0);        /* reserved */
	put32(&f, 3);        /* ifindex */
	put16(&f, 1);        /* ARPHRD_ETHER */
	put8(&f, 4);         /* outgoing */
	put8(&f, 6);
	zeros(&f, 8);
	std_udp6(&f);
	assert_int_equal(dec(c, WW_DLT_LINUX_SLL2, &f), WW_DECODE_OK);
	assert_std_udp6(&c->pkt);

	struct pb g = { .n = 0 };
	put16(&g, 0x8100);   /* a VLAN tag left in place */
	zeros(&g, 18);
	put16(&g, 9);
	put16(&g, 0x86dd);
	std_udp6(&g);
	assert_int_equal(dec(c, WW_DLT_LINUX_SLL2, &g), WW_DECODE_OK);
	assert_int_equal(c->pkt.vlan, 9);
	assert_std_udp6(&c->pkt);
}

static void test_null_loopback_accepts_both_byte_orders_and_every_inet6_value(void **state)
{
	struct ctx *c = *state;
	struct pb ip = { .n = 0 };
	std_tcp4(&ip);
	static const uint8_t af4[2][4] = { { 2, 0, 0, 0 }, { 0, 0, 0, 2 } };
	for (int i = 0; i < 2; i++) {
		struct pb f = { .n = 0 };
		put(&f, af4[i], 4);
		put(&f, ip.b, ip.n);
		assert_int_equal(dec(c, WW_DLT_NULL, &f), WW_DECODE_OK);
		assert_std_tcp4(&c->pkt);
	}
	struct pb ip6p = { .n = 0 };
	std_udp6(&ip6p);
	static const uint8_t af6[] = { 10, 24, 28, 30 };
	for (size_t i = 0; i < WW_ARRAY_SIZE(af6); i++) {
		for (int be = 0; be < 2; be++) {
			struct pb f = { .n = 0 };
			uint8_t h[4] = { 0 };
			h[be ? 3 : 0] = af6[i];
			put(&f, h, 4);
			put(&f, ip6p.b, ip6p.n);
			assert_int_equal(dec(c, WW_DLT_NULL, &f), WW_DECODE_OK);
			assert_std_udp6(&c->pkt);
		}
	}
	struct pb g = { .n = 0 };
	put32(&g, 17);                 /* AF_NS or whatever: not IP */
	put(&g, ip.b, ip.n);
	assert_int_equal(dec(c, WW_DLT_NULL, &g), WW_DECODE_NOT_IP);
}

static void test_loop_reads_family_in_network_order(void **state)
{
	struct ctx *c = *state;
	struct pb f = { .n = 0 };
	put32(&f, 24);
	std_udp6(&f);
	assert_int_equal(dec(c, WW_DLT_LOOP, &f), WW_DECODE_OK);
	assert_std_udp6(&c->pkt);
	struct pb g = { .n = 0 };
	put32(&g, 2);
	std_tcp4(&g);
	assert_int_equal(dec(c, WW_DLT_LOOP, &g), WW_DECODE_OK);
	assert_std_tcp4(&c->pkt);
}

static void test_ppp_with_and_without_hdlc_framing_and_compressed_protocol(void **state)
{
	struct ctx *c = *state;
	struct pb f = { .n = 0 };
	put8(&f, 0xff);
	put8(&f, 0x03);
	put16(&f, 0x0021);            /* IPv4 */
	std_tcp4(&f);
	assert_int_equal(dec(c, WW_DLT_PPP, &f), WW_DECODE_OK);
	assert_std_tcp4(&c->pkt);
	assert_int_equal(dec(c, WW_DLT_PPP_SERIAL, &f), WW_DECODE_OK);
	assert_std_tcp4(&c->pkt);
	struct pb g = { .n = 0 };
	put8(&g, 0x57);               /* IPv6, protocol field compressed (RFC 1661 §6.5) */
	std_udp6(&g);
	assert_int_equal(dec(c, WW_DLT_PPP, &g), WW_DECODE_OK);
	assert_std_udp6(&c->pkt);
	struct pb lcp = { .n = 0 };
	put8(&lcp, 0xff);
	put8(&lcp, 0x03);
	put16(&lcp, 0xc021);          /* LCP */
	put32(&lcp, 0x01010004);
	assert_int_equal(dec(c, WW_DLT_PPP, &lcp), WW_DECODE_NOT_IP);
	struct pb cut = { .n = 0 };
	put8(&cut, 0xff);
	put8(&cut, 0x03);
	put8(&cut, 0x00);             /* a two-byte protocol cut after one byte */
	assert_int_equal(dec(c, WW_DLT_PPP, &cut), WW_DECODE_ERROR);
}

static void test_cisco_hdlc_carries_an_ethertype(void **state)
{
	struct ctx *c = *state;
	struct pb f = { .n = 0 };
	put8(&f, 0x0f);               /* unicast */
	put8(&f, 0x00);
	put16(&f, 0x86dd);
	std_udp6(&f);
	assert_int_equal(dec(c, WW_DLT_C_HDLC, &f), WW_DECODE_OK);
	assert_std_udp6(&c->pkt);
	assert_int_equal(dec(c, WW_DLT_PPP_SERIAL, &f), WW_DECODE_OK);   /* Cisco framing on a PPP link */
	assert_std_udp6(&c->pkt);
	assert_int_equal(dec(c, WW_DLT_PPP, &f), WW_DECODE_OK);          /* ...even one captured as DLT_PPP */
	assert_std_udp6(&c->pkt);
	struct pb s = { .n = 0 };
	put8(&s, 0x8f);
	put8(&s, 0x00);
	put8(&s, 0x08);               /* cut inside the ethertype */
	assert_int_equal(dec(c, WW_DLT_C_HDLC, &s), WW_DECODE_ERROR);
}

/* An 802.11 data frame header: frame control, duration, addresses, sequence. */
static void wlan(struct pb *f, uint8_t fc0, uint8_t fc1)
{
	put8(f, fc0);
	put8(f, fc1);
	zeros(f, 2 + 18 + 2);
}

static void snap(struct pb *f, uint16_t type)
{
	put8(f, 0xaa);
	put8(f, 0xaa);
	put8(f, 0x03);
	zeros(f, 3);
	put16(f, type);
}

static void test_wlan_data_frames_with_snap_carry_ip_and_others_are_not_ip(void **state)
{
	struct ctx *c = *state;
	struct pb f = { .n = 0 };
	wlan(&f, 0x08, 0x01);                 /* data, To DS */
	snap(&f, 0x0800);
	std_tcp4(&f);
	assert_int_equal(dec(c, WW_DLT_IEEE802_11, &f), WW_DECODE_OK);
	assert_std_tcp4(&c->pkt);
	struct pb q = { .n = 0 };
	wlan(&q, 0x88, 0x83);                 /* QoS data, To+From DS, +HTC */
	zeros(&q, 6 + 2 + 4);                 /* address 4, QoS control, HT control */
	snap(&q, 0x86dd);
	std_udp6(&q);
	assert_int_equal(dec(c, WW_DLT_IEEE802_11, &q), WW_DECODE_OK);
	assert_std_udp6(&c->pkt);
	struct pb prot = { .n = 0 };
	wlan(&prot, 0x08, 0x41);              /* protected: encrypted body */
	zeros(&prot, 40);
	assert_int_equal(dec(c, WW_DLT_IEEE802_11, &prot), WW_DECODE_NOT_IP);
	struct pb beacon = { .n = 0 };
	wlan(&beacon, 0x80, 0x00);            /* management: beacon */
	zeros(&beacon, 40);
	assert_int_equal(dec(c, WW_DLT_IEEE802_11, &beacon), WW_DECODE_NOT_IP);
	struct pb cut = { .n = 0 };
	wlan(&cut, 0x08, 0x01);
	put8(&cut, 0xaa);                     /* the SNAP header cut short */
	assert_int_equal(dec(c, WW_DLT_IEEE802_11, &cut), WW_DECODE_ERROR);
}

static void test_radiotap_length_is_skipped_little_endian(void **state)
{
	struct ctx *c = *state;
	struct pb f = { .n = 0 };
	put8(&f, 0);                          /* version */
	put8(&f, 0);
	put8(&f, 12);                         /* length 12, little-endian */
	put8(&f, 0);
	zeros(&f, 8);                         /* present flags and fields */
	wlan(&f, 0x08, 0x02);                 /* data, From DS */
	snap(&f, 0x0800);
	std_tcp4(&f);
	assert_int_equal(dec(c, WW_DLT_RADIOTAP, &f), WW_DECODE_OK);
	assert_std_tcp4(&c->pkt);
	f.b[2] = 0xff;                        /* a length past the capture */
	assert_int_equal(dec(c, WW_DLT_RADIOTAP, &f), WW_DECODE_ERROR);
}

/* An NFLOG TLV in host order, padded to 4 bytes. */
static void nflog_tlv(struct pb *f, uint16_t type, const struct pb *v)
{
	uint16_t len = (uint16_t)(4 + (v ? v->n : 0)), t = type;
	put(f, &len, 2);
	put(f, &t, 2);
	if (v)
		put(f, v->b, v->n);
	while (f->n % 4)
		put8(f, 0);
}

static void test_nflog_payload_tlv_is_the_ip_packet(void **state)
{
	struct ctx *c = *state;
	struct pb ip = { .n = 0 }, prefix = { .n = 0 }, f = { .n = 0 };
	std_tcp4(&ip);
	put(&prefix, "drop", 5);
	put8(&f, 2);                          /* AF_INET */
	put8(&f, 0);
	put16(&f, 0);
	nflog_tlv(&f, 10, &prefix);           /* NFULA_PREFIX */
	nflog_tlv(&f, 9, &ip);                /* NFULA_PAYLOAD */
	assert_int_equal(dec(c, WW_DLT_NFLOG, &f), WW_DECODE_OK);
	assert_std_tcp4(&c->pkt);
	struct pb none = { .n = 0 };
	put32(&none, 0x02000000);
	nflog_tlv(&none, 10, &prefix);
	assert_int_equal(dec(c, WW_DLT_NFLOG, &none), WW_DECODE_NOT_IP);
	struct pb lie = { .n = 0 };
	put32(&lie, 0x02000000);
	uint16_t big = 4000, t9 = 9;
	put(&lie, &big, 2);                   /* a TLV longer than the record */
	put(&lie, &t9, 2);
	assert_int_equal(dec(c, WW_DLT_NFLOG, &lie), WW_DECODE_ERROR);
}

static void test_raw_ip_version_nibble_decides_the_family(void **state)
{
	struct ctx *c = *state;
	static const int dlts[] = { WW_DLT_RAW, WW_DLT_RAW_OBSD, WW_DLT_RAW_LT };
	struct pb v4 = { .n = 0 }, v6 = { .n = 0 }, v5 = { .n = 0 };
	std_tcp4(&v4);
	std_udp6(&v6);
	std_tcp4(&v5);
	v5.b[0] = 0x55;
	for (size_t i = 0; i < WW_ARRAY_SIZE(dlts); i++) {
		assert_int_equal(dec(c, dlts[i], &v4), WW_DECODE_OK);
		assert_std_tcp4(&c->pkt);
		assert_int_equal(dec(c, dlts[i], &v6), WW_DECODE_OK);
		assert_std_udp6(&c->pkt);
		assert_int_equal(dec(c, dlts[i], &v5), WW_DECODE_ERROR);
	}
}

static void test_linktype_ipv4_and_ipv6_accept_only_their_version(void **state)
{
	struct ctx *c = *state;
	struct pb v4 = { .n = 0 }, v6 = { .n = 0 };
	std_tcp4(&v4);
	std_udp6(&v6);
	assert_int_equal(dec(c, WW_DLT_IPV4, &v4), WW_DECODE_OK);
	assert_std_tcp4(&c->pkt);
	assert_int_equal(dec(c, WW_DLT_IPV6, &v6), WW_DECODE_OK);
	assert_std_udp6(&c->pkt);
	assert_int_equal(dec(c, WW_DLT_IPV4, &v6), WW_DECODE_ERROR);
	assert_int_equal(dec(c, WW_DLT_IPV6, &v4), WW_DECODE_ERROR);
}

static void test_unknown_linktype_is_reported_and_not_supported(void **state)
{
	struct ctx *c = *state;
	struct pb v4 = { .n = 0 };
	std_tcp4(&v4);
	assert_int_equal(dec(c, 107, &v4), WW_DECODE_BAD_LINKTYPE);   /* frame relay */
	assert_int_equal(dec(c, 195, &v4), WW_DECODE_BAD_LINKTYPE);   /* 802.15.4 */
	assert_int_equal(dec(c, -1, &v4), WW_DECODE_BAD_LINKTYPE);
	static const int ok[] = { 0, 1, 9, 12, 14, 50, 101, 104, 105, 108, 113, 127, 228, 229, 239, 276 };
	for (size_t i = 0; i < WW_ARRAY_SIZE(ok); i++)
		assert_true(ww_decode_linktype_supported(ok[i]));
	assert_false(ww_decode_linktype_supported(107));
	assert_false(ww_decode_linktype_supported(195));
	assert_false(ww_decode_linktype_supported(10));   /* FDDI */
}

/* ---- IPv4 ---------------------------------------------------------------- */

static void test_ipv4_options_are_skipped_by_ihl(void **state)
{
	struct ctx *c = *state;
	struct pb l4 = { .n = 0 }, f = { .n = 0 };
	udp(&l4, 1234, 53, 0, "query");
	ip4(&f, &(struct ip4o){ .proto = 17, .optwords = 10 }, &l4);   /* IHL 15 */
	assert_int_equal(f.b[0], 0x4f);
	assert_int_equal(dec(c, WW_DLT_RAW, &f), WW_DECODE_OK);
	assert_int_equal(c->pkt.sport, 1234);
	assert_int_equal(c->pkt.dport, 53);
	assert_int_equal(c->pkt.ip_len, 60 + 8 + 5);
	assert_payload(&c->pkt, "query");
}

static void test_ipv4_lying_header_lengths_are_errors(void **state)
{
	struct ctx *c = *state;
	struct pb l4 = { .n = 0 };
	tcp(&l4, 1, 2, 3, WW_TCP_ACK, 0, 0, "data");
	struct pb f;

	f.n = 0;   /* IHL 4: shorter than the fixed header */
	ip4(&f, &(struct ip4o){ .proto = 6, .ihl = 4 }, &l4);
	assert_int_equal(dec(c, WW_DLT_RAW, &f), WW_DECODE_ERROR);
	f.n = 0;   /* total length 19 < header */
	ip4(&f, &(struct ip4o){ .proto = 6, .tot = 19 }, &l4);
	assert_int_equal(dec(c, WW_DLT_RAW, &f), WW_DECODE_ERROR);
	f.n = 0;   /* total length 30: TCP header does not fit in what IP claims */
	ip4(&f, &(struct ip4o){ .proto = 6, .tot = 30 }, &l4);
	assert_int_equal(dec(c, WW_DLT_RAW, &f), WW_DECODE_ERROR);
	f.n = 0;   /* version 5 on an IPv4 ethertype */
	eth(&f, 0x0800);
	ip4(&f, &(struct ip4o){ .proto = 6, .version = 5 }, &l4);
	assert_int_equal(dec(c, WW_DLT_EN10MB, &f), WW_DECODE_ERROR);
	f.n = 0;   /* IHL 15 but only a 20-byte header and the TCP segment captured */
	ip4(&f, &(struct ip4o){ .proto = 6, .ihl = 15, .tot = 100 }, &l4);
	assert_int_equal(f.n, 44);
	assert_int_equal(dec(c, WW_DLT_RAW, &f), WW_DECODE_ERROR);
}

static void test_ipv4_total_length_beyond_caplen_is_a_snaplen_cut(void **state)
{
	struct ctx *c = *state;
	struct pb l4 = { .n = 0 }, f = { .n = 0 };
	tcp(&l4, 1, 2, 3, WW_TCP_ACK, 0, 0, "data");
	ip4(&f, &(struct ip4o){ .proto = 6, .tot = 1500 }, &l4);
	assert_int_equal(dec(c, WW_DLT_RAW, &f), WW_DECODE_OK);
	assert_int_equal(c->pkt.ip_len, 1500);
	assert_payload(&c->pkt, "data");   /* only what was captured */
}

static void test_ethernet_padding_is_not_counted_as_payload(void **state)
{
	struct ctx *c = *state;
	struct pb l4 = { .n = 0 }, f = { .n = 0 };
	tcp(&l4, 443, 50000, 9, WW_TCP_ACK, 0, 0, NULL);
	eth(&f, 0x0800);
	ip4(&f, &(struct ip4o){ .proto = 6 }, &l4);
	zeros(&f, 6);                    /* pad to the 60-byte minimum */
	assert_int_equal(f.n, 60);
	assert_int_equal(dec(c, WW_DLT_EN10MB, &f), WW_DECODE_OK);
	assert_int_equal(c->pkt.ip_len, 40);
	assert_int_equal(c->pkt.payload_len, 0);
	assert_null(c->pkt.payload);

	struct pb u = { .n = 0 }, g = { .n = 0 };
	udp(&u, 1, 2, 0, "x");
	eth(&g, 0x86dd);
	ip6(&g, 17, &u, -1);
	zeros(&g, 5);
	assert_int_equal(dec(c, WW_DLT_EN10MB, &g), WW_DECODE_OK);
	assert_int_equal(c->pkt.ip_len, 49);
	assert_payload(&c->pkt, "x");
}

/* ---- IPv6 extension headers ---------------------------------------------- */

static void test_ipv6_hop_by_hop_routing_and_destination_options_are_skipped(void **state)
{
	struct ctx *c = *state;
	struct pb r = { .n = 0 }, f = { .n = 0 };
	ext6(&r, 43, 0);        /* hop-by-hop, 8 bytes */
	ext6(&r, 60, 2);        /* routing, 24 bytes */
	ext6(&r, 6, 1);         /* destination options, 16 bytes */
	tcp(&r, 2222, 22, 77, WW_TCP_PSH | WW_TCP_ACK, 3, 0, "SSH-2.0-x\r\n");
	ip6(&f, 0, &r, -1);
	assert_int_equal(dec(c, WW_DLT_IPV6, &f), WW_DECODE_OK);
	assert_int_equal(c->pkt.proto, 6);
	assert_int_equal(c->pkt.sport, 2222);
	assert_int_equal(c->pkt.dport, 22);
	assert_int_equal(c->pkt.tcp_seq, 77);
	assert_int_equal(c->pkt.ip_len, 40 + 8 + 24 + 16 + 32 + 11);
	assert_false(c->pkt.is_fragment);
	assert_payload(&c->pkt, "SSH-2.0-x\r\n");
}

static void test_ipv6_authentication_header_is_skipped_by_its_own_length_rule(void **state)
{
	struct ctx *c = *state;
	struct pb r = { .n = 0 }, f = { .n = 0 };
	put8(&r, 17);          /* AH: next header UDP */
	put8(&r, 4);           /* (4 + 2) * 4 = 24 bytes */
	zeros(&r, 22);
	udp(&r, 500, 500, 0, "ike");
	ip6(&f, 51, &r, -1);
	assert_int_equal(dec(c, WW_DLT_IPV6, &f), WW_DECODE_OK);
	assert_int_equal(c->pkt.proto, 17);
	assert_int_equal(c->pkt.sport, 500);
	assert_payload(&c->pkt, "ike");
}

static void test_ipv6_no_next_header_ends_the_chain_without_payload(void **state)
{
	struct ctx *c = *state;
	struct pb r = { .n = 0 }, f = { .n = 0 };
	ext6(&r, 59, 0);
	zeros(&r, 4);          /* ignored trailing bytes */
	ip6(&f, 60, &r, -1);
	assert_int_equal(dec(c, WW_DLT_IPV6, &f), WW_DECODE_OK);
	assert_int_equal(c->pkt.proto, 59);
	assert_false(c->pkt.has_ports);
	assert_int_equal(c->pkt.payload_len, 0);
	assert_null(c->pkt.payload);
}

static void test_ipv6_extension_chain_longer_than_the_bound_is_an_error(void **state)
{
	struct ctx *c = *state;
	struct pb r = { .n = 0 }, f = { .n = 0 };
	for (int i = 0; i < 8; i++)
		ext6(&r, 60, 0);
	udp(&r, 1, 2, 0, NULL);
	ip6(&f, 60, &r, -1);       /* nine destination-options headers */
	assert_int_equal(dec(c, WW_DLT_IPV6, &f), WW_DECODE_ERROR);

	struct pb r8 = { .n = 0 }, g = { .n = 0 };
	for (int i = 0; i < 7; i++)
		ext6(&r8, 60, 0);
	ext6(&r8, 17, 0);
	udp(&r8, 1, 2, 0, NULL);
	ip6(&g, 60, &r8, -1);      /* eight: the bound itself is fine */
	assert_int_equal(dec(c, WW_DLT_IPV6, &g), WW_DECODE_OK);
	assert_int_equal(c->pkt.dport, 2);
}

static void test_ipv6_extension_header_past_payload_length_is_an_error(void **state)
{
	struct ctx *c = *state;
	struct pb r = { .n = 0 }, f = { .n = 0 };
	ext6(&r, 17, 3);           /* 32 bytes */
	udp(&r, 1, 2, 0, "zz");
	ip6(&f, 0, &r, 16);        /* payload length says 16 */
	assert_int_equal(dec(c, WW_DLT_IPV6, &f), WW_DECODE_ERROR);

	struct pb g = { .n = 0 };
	ip6(&g, 0, &r, 0);         /* a jumbogram's payload length 0: unsupported */
	assert_int_equal(dec(c, WW_DLT_IPV6, &g), WW_DECODE_ERROR);
}

/* ---- transport ----------------------------------------------------------- */

static void test_tcp_options_are_skipped_by_data_offset(void **state)
{
	struct ctx *c = *state;
	struct pb l4 = { .n = 0 }, f = { .n = 0 };
	tcp(&l4, 5, 6, 0xdeadbeef, WW_TCP_FIN | WW_TCP_ACK, 10, 0, "tail");
	ip4(&f, &(struct ip4o){ .proto = 6 }, &l4);
	assert_int_equal(dec(c, WW_DLT_RAW, &f), WW_DECODE_OK);
	assert_int_equal(c->pkt.tcp_seq, 0xdeadbeef);
	assert_int_equal(c->pkt.tcp_flags, WW_TCP_FIN | WW_TCP_ACK);
	assert_payload(&c->pkt, "tail");
}

static void test_tcp_data_offset_below_five_or_beyond_segment_is_an_error(void **state)
{
	struct ctx *c = *state;
	for (unsigned doff = 0; doff < 5; doff++) {
		struct pb l4 = { .n = 0 }, f = { .n = 0 };
		tcp(&l4, 5, 6, 0, 0, 0, 0, "x");
		l4.b[12] = (uint8_t)(doff << 4);
		ip4(&f, &(struct ip4o){ .proto = 6 }, &l4);
		assert_int_equal(dec(c, WW_DLT_RAW, &f), WW_DECODE_ERROR);
	}
	struct pb l4 = { .n = 0 }, f = { .n = 0 };
	tcp(&l4, 5, 6, 0, 0, 0, 15, "0123456789");     /* 60-byte header in a 30-byte segment */
	ip4(&f, &(struct ip4o){ .proto = 6 }, &l4);
	assert_int_equal(dec(c, WW_DLT_RAW, &f), WW_DECODE_ERROR);
	/* Header fits the capture but not the IP-claimed segment (padding after it). */
	struct pb l4b = { .n = 0 }, g = { .n = 0 };
	tcp(&l4b, 5, 6, 0, 0, 0, 6, "abcd");           /* 24-byte header, 24 bytes in total */
	ip4(&g, &(struct ip4o){ .proto = 6, .tot = 20 + 22 }, &l4b);
	assert_int_equal(dec(c, WW_DLT_RAW, &g), WW_DECODE_ERROR);
}

static void test_udp_length_below_eight_or_above_ip_payload_is_an_error(void **state)
{
	struct ctx *c = *state;
	static const unsigned bad[] = { 1, 7, 8 + 5 + 1, 65535 };
	for (size_t i = 0; i < WW_ARRAY_SIZE(bad); i++) {
		struct pb l4 = { .n = 0 }, f = { .n = 0 };
		udp(&l4, 1, 2, bad[i], "12345");
		ip4(&f, &(struct ip4o){ .proto = 17 }, &l4);
		assert_int_equal(dec(c, WW_DLT_RAW, &f), WW_DECODE_ERROR);
	}
	/* A UDP length shorter than the IP payload: the rest is not payload. */
	struct pb l4 = { .n = 0 }, f = { .n = 0 };
	udp(&l4, 1, 2, 8 + 2, "12345");
	ip4(&f, &(struct ip4o){ .proto = 17 }, &l4);
	assert_int_equal(dec(c, WW_DLT_RAW, &f), WW_DECODE_OK);
	assert_payload(&c->pkt, "12");
}

static void test_icmp_echo_request_and_reply_carry_their_identifier(void **state)
{
	struct ctx *c = *state;
	static const uint8_t types[] = { 8, 0, 13, 14 };
	for (size_t i = 0; i < WW_ARRAY_SIZE(types); i++) {
		struct pb l4 = { .n = 0 }, f = { .n = 0 };
		icmp(&l4, types[i], 0, 0x4242, 7, "ping");
		ip4(&f, &(struct ip4o){ .proto = 1 }, &l4);
		assert_int_equal(dec(c, WW_DLT_RAW, &f), WW_DECODE_OK);
		assert_int_equal(c->pkt.proto, 1);
		assert_int_equal(c->pkt.icmp_type, types[i]);
		assert_int_equal(c->pkt.icmp_code, 0);
		assert_int_equal(c->pkt.sport, 0x4242);
		assert_int_equal(c->pkt.dport, types[i]);
		assert_true(c->pkt.has_ports);
		assert_payload(&c->pkt, "ping");
	}
	struct pb l4 = { .n = 0 }, f = { .n = 0 };
	icmp(&l4, 3, 3, 0x4242, 7, NULL);     /* port unreachable: no identifier */
	ip4(&f, &(struct ip4o){ .proto = 1 }, &l4);
	assert_int_equal(dec(c, WW_DLT_RAW, &f), WW_DECODE_OK);
	assert_int_equal(c->pkt.icmp_type, 3);
	assert_int_equal(c->pkt.icmp_code, 3);
	assert_int_equal(c->pkt.sport, 0);
	assert_int_equal(c->pkt.dport, 3);

	struct pb s = { .n = 0 }, g = { .n = 0 };
	icmp(&s, 8, 0, 1, 1, NULL);
	s.n = 7;                               /* one byte short of the ICMP header */
	ip4(&g, &(struct ip4o){ .proto = 1 }, &s);
	assert_int_equal(dec(c, WW_DLT_RAW, &g), WW_DECODE_ERROR);
}

static void test_icmpv6_echo_carries_identifier_and_neighbor_discovery_does_not(void **state)
{
	struct ctx *c = *state;
	static const uint8_t types[] = { 128, 129 };
	for (size_t i = 0; i < WW_ARRAY_SIZE(types); i++) {
		struct pb l4 = { .n = 0 }, f = { .n = 0 };
		icmp(&l4, types[i], 0, 0xbeef, 1, "v6");
		ip6(&f, 58, &l4, -1);
		assert_int_equal(dec(c, WW_DLT_IPV6, &f), WW_DECODE_OK);
		assert_int_equal(c->pkt.proto, 58);
		assert_int_equal(c->pkt.icmp_type, types[i]);
		assert_int_equal(c->pkt.sport, 0xbeef);
		assert_int_equal(c->pkt.dport, types[i]);
		assert_payload(&c->pkt, "v6");
	}
	struct pb l4 = { .n = 0 }, f = { .n = 0 };
	icmp(&l4, 135, 0, 0xbeef, 1, NULL);
	ip6(&f, 58, &l4, -1);
	assert_int_equal(dec(c, WW_DLT_IPV6, &f), WW_DECODE_OK);
	assert_int_equal(c->pkt.icmp_type, 135);
	assert_int_equal(c->pkt.sport, 0);
	assert_int_equal(c->pkt.dport, 135);
}

static void test_other_ip_protocols_are_portless_with_the_ip_payload(void **state)
{
	struct ctx *c = *state;
	struct pb l4 = { .n = 0 }, f = { .n = 0 };
	put(&l4, "GREGRE", 6);
	ip4(&f, &(struct ip4o){ .proto = 47 }, &l4);
	assert_int_equal(dec(c, WW_DLT_RAW, &f), WW_DECODE_OK);
	assert_int_equal(c->pkt.proto, 47);
	assert_false(c->pkt.has_ports);
	assert_int_equal(c->pkt.sport, 0);
	assert_int_equal(c->pkt.dport, 0);
	assert_payload(&c->pkt, "GREGRE");
}

static void test_snaplen_cut_payload_is_what_was_captured(void **state)
{
	struct ctx *c = *state;
	struct pb f = { .n = 0 };
	eth(&f, 0x0800);
	std_tcp4(&f);
	assert_int_equal(dec_at(c, WW_DLT_EN10MB, &f, f.n - 3, 0), WW_DECODE_OK);
	assert_int_equal(c->pkt.ip_len, 45);
	assert_payload(&c->pkt, "he");
}

/* ---- fragments ----------------------------------------------------------- */

static void frag4(struct pb *f, uint16_t id, uint16_t fo, const struct pb *l4)
{
	f->n = 0;
	ip4(f, &(struct ip4o){ .proto = 17, .id = id, .fo = fo }, l4);
}

static void test_ipv4_later_fragment_takes_the_first_fragments_ports(void **state)
{
	struct ctx *c = *state;
	struct pb first = { .n = 0 }, later = { .n = 0 }, f;
	udp(&first, 5000, 6000, 8 + 32, "0123456789abcdef");  /* 24 of 40 bytes */
	frag4(&f, 99, 0x2000, &first);
	assert_int_equal(dec(c, WW_DLT_RAW, &f), WW_DECODE_OK);
	assert_true(c->pkt.is_fragment);
	assert_int_equal(c->pkt.sport, 5000);
	assert_int_equal(c->pkt.dport, 6000);
	assert_payload(&c->pkt, "0123456789abcdef");

	put(&later, "GHIJKLMNOPQRSTUV", 16);
	frag4(&f, 99, 3, &later);        /* offset 24 bytes, last */
	assert_int_equal(dec(c, WW_DLT_RAW, &f), WW_DECODE_OK);
	assert_true(c->pkt.is_fragment);
	assert_true(c->pkt.has_ports);
	assert_int_equal(c->pkt.proto, 17);
	assert_int_equal(c->pkt.sport, 5000);
	assert_int_equal(c->pkt.dport, 6000);
	assert_int_equal(c->pkt.ip_len, 36);
	assert_null(c->pkt.payload);
	assert_int_equal(c->pkt.payload_len, 0);
	assert_v4_addrs(&c->pkt);

	frag4(&f, 100, 3, &later);       /* another id: never saw its first */
	assert_int_equal(dec(c, WW_DLT_RAW, &f), WW_DECODE_FRAG_ORPHAN);
}

static void test_ipv4_first_fragment_too_short_for_transport_header_is_an_error(void **state)
{
	struct ctx *c = *state;
	struct pb l4 = { .n = 0 }, f;
	put(&l4, "\x13\x88\x17", 3);
	frag4(&f, 5, 0x2000, &l4);
	assert_int_equal(dec(c, WW_DLT_RAW, &f), WW_DECODE_ERROR);
	struct pb later = { .n = 0 };
	put(&later, "12345678", 8);
	frag4(&f, 5, 1, &later);
	assert_int_equal(dec(c, WW_DLT_RAW, &f), WW_DECODE_FRAG_ORPHAN);
}

static void test_ipv6_fragments_join_through_the_fragment_header(void **state)
{
	struct ctx *c = *state;
	struct pb r = { .n = 0 }, f = { .n = 0 };
	ext6(&r, 44, 0);                          /* hop-by-hop before the fragment header */
	frag6(&r, 6, 0, true, 0xabcdef01);
	tcp(&r, 8080, 443, 5, WW_TCP_ACK, 0, 0, "first");
	ip6(&f, 0, &r, -1);
	assert_int_equal(dec(c, WW_DLT_IPV6, &f), WW_DECODE_OK);
	assert_true(c->pkt.is_fragment);
	assert_int_equal(c->pkt.proto, 6);
	assert_int_equal(c->pkt.sport, 8080);
	assert_payload(&c->pkt, "first");

	struct pb r2 = { .n = 0 }, g = { .n = 0 };
	frag6(&r2, 6, 4, false, 0xabcdef01);
	put(&r2, "later bytes", 11);
	ip6(&g, 44, &r2, -1);
	assert_int_equal(dec(c, WW_DLT_IPV6, &g), WW_DECODE_OK);
	assert_true(c->pkt.is_fragment);
	assert_true(c->pkt.has_ports);
	assert_int_equal(c->pkt.proto, 6);
	assert_int_equal(c->pkt.sport, 8080);
	assert_int_equal(c->pkt.dport, 443);
	assert_int_equal(c->pkt.tcp_flags, 0);
	assert_null(c->pkt.payload);
	assert_int_equal(c->pkt.ip_len, 40 + 8 + 11);

	g.b[40 + 7] ^= 1;                         /* another id */
	assert_int_equal(dec(c, WW_DLT_IPV6, &g), WW_DECODE_FRAG_ORPHAN);
}

static void test_ipv6_atomic_fragment_is_a_whole_datagram(void **state)
{
	struct ctx *c = *state;
	struct pb r = { .n = 0 }, f = { .n = 0 };
	frag6(&r, 17, 0, false, 1);
	udp(&r, 1, 2, 0, "atomic");
	ip6(&f, 44, &r, -1);
	assert_int_equal(dec(c, WW_DLT_IPV6, &f), WW_DECODE_OK);
	assert_false(c->pkt.is_fragment);
	assert_payload(&c->pkt, "atomic");

	struct pb r2 = { .n = 0 }, g = { .n = 0 };
	frag6(&r2, 44, 0, false, 1);
	frag6(&r2, 17, 0, false, 1);
	udp(&r2, 1, 2, 0, "twice");
	ip6(&g, 44, &r2, -1);
	assert_int_equal(dec(c, WW_DLT_IPV6, &g), WW_DECODE_ERROR);
}

static void test_fragment_entries_age_out_after_thirty_seconds_of_packet_time(void **state)
{
	struct ctx *c = *state;
	struct pb first = { .n = 0 }, later = { .n = 0 }, f1, f2;
	udp(&first, 7, 8, 100, "x");
	frag4(&f1, 1, 0x2000, &first);
	put(&later, "12345678", 8);
	frag4(&f2, 1, 10, &later);
	ww_time_t t0 = 50 * WW_USEC_PER_SEC;
	assert_int_equal(dec_at(c, WW_DLT_RAW, &f1, f1.n, t0), WW_DECODE_OK);
	assert_int_equal(dec_at(c, WW_DLT_RAW, &f2, f2.n, t0 + 30 * WW_USEC_PER_SEC),
			 WW_DECODE_OK);
	assert_int_equal(c->pkt.sport, 7);
	assert_int_equal(dec_at(c, WW_DLT_RAW, &f2, f2.n, t0 + 30 * WW_USEC_PER_SEC + 1),
			 WW_DECODE_FRAG_ORPHAN);
	/* Time going back (a second, older file) beyond the TTL does not match either. */
	assert_int_equal(dec_at(c, WW_DLT_RAW, &f2, f2.n, t0 - 31 * WW_USEC_PER_SEC),
			 WW_DECODE_FRAG_ORPHAN);
}

static void test_fragment_table_is_bounded_and_keeps_the_newest_datagrams(void **state)
{
	struct ctx *c = *state;
	enum { N = 20000 };
	struct pb first = { .n = 0 }, later = { .n = 0 }, f;
	udp(&first, 1, 2, 100, "x");
	put(&later, "12345678", 8);
	for (unsigned i = 0; i < N; i++) {
		frag4(&f, (uint16_t)i, 0x2000, &first);
		assert_int_equal(dec_at(c, WW_DLT_RAW, &f, f.n, 1000 + i), WW_DECODE_OK);
	}
	/* The most recent datagram is always found; the earliest was replaced. */
	frag4(&f, (uint16_t)(N - 1), 5, &later);
	assert_int_equal(dec_at(c, WW_DLT_RAW, &f, f.n, 1000 + N), WW_DECODE_OK);
	unsigned found = 0;
	for (unsigned i = 0; i < N; i++) {
		frag4(&f, (uint16_t)i, 5, &later);
		found += dec_at(c, WW_DLT_RAW, &f, f.n, 1000 + N) == WW_DECODE_OK;
	}
	assert_true(found <= 1024);            /* 256 buckets x 4 ways */
	assert_true(found >= 1000);            /* and the table is in use */
	frag4(&f, 0, 5, &later);
	assert_int_equal(dec_at(c, WW_DLT_RAW, &f, f.n, 1000 + N), WW_DECODE_FRAG_ORPHAN);
}

static void test_without_a_decoder_later_fragments_are_orphans(void **state)
{
	(void)state;
	struct pb first = { .n = 0 }, f;
	udp(&first, 1, 2, 100, "x");
	frag4(&f, 3, 0x2000, &first);
	struct ww_pkt k;
	assert_int_equal(ww_decode(NULL, WW_DLT_RAW, f.b, (uint32_t)f.n, 0, &k), WW_DECODE_OK);
	frag4(&f, 3, 5, &first);
	assert_int_equal(ww_decode(NULL, WW_DLT_RAW, f.b, (uint32_t)f.n, 0, &k),
			 WW_DECODE_FRAG_ORPHAN);
	ww_decoder_free(NULL);
}

/* ---- truncation at every layer ------------------------------------------- */

struct trunc_case {
	int dlt;
	struct pb f;
	size_t l4_end;     /* offset where the transport header ends */
};

/*
 * Every prefix shorter than the end of the transport header is an error;
 * every longer one decodes with exactly the captured payload bytes.
 */
static void check_prefixes(struct ctx *c, const struct trunc_case *t)
{
	for (size_t len = 0; len <= t->f.n; len++) {
		enum ww_decode_result r = dec_at(c, t->dlt, &t->f, len, 0);
		if (len < t->l4_end) {
			assert_int_equal(r, WW_DECODE_ERROR);
		} else {
			assert_int_equal(r, WW_DECODE_OK);
			assert_int_equal(c->pkt.payload_len, len - t->l4_end);
		}
	}
}

static void test_every_prefix_of_a_valid_frame_is_an_error_or_claims_only_captured_bytes(void **state)
{
	struct ctx *c = *state;
	struct trunc_case t;

	memset(&t, 0, sizeof(t));     /* Ethernet QinQ IPv4 with options, TCP with options */
	t.dlt = WW_DLT_EN10MB;
	eth(&t.f, 0x88a8);
	put16(&t.f, 1); put16(&t.f, 0x8100); put16(&t.f, 2); put16(&t.f, 0x0800);
	{
		struct pb l4 = { .n = 0 };
		tcp(&l4, 1, 2, 3, WW_TCP_ACK, 2, 0, "payload!");
		ip4(&t.f, &(struct ip4o){ .proto = 6, .optwords = 2 }, &l4);
	}
	t.l4_end = 22 + 28 + 28;
	check_prefixes(c, &t);

	memset(&t, 0, sizeof(t));     /* PPPoE IPv6 with extension headers, UDP */
	t.dlt = WW_DLT_EN10MB;
	eth(&t.f, 0x8864);
	put8(&t.f, 0x11); put8(&t.f, 0); put16(&t.f, 1); put16(&t.f, 0);
	put16(&t.f, 0x0057);
	{
		struct pb r = { .n = 0 };
		ext6(&r, 51, 1);
		put8(&r, 60); put8(&r, 1); zeros(&r, 10);    /* AH, 12 bytes */
		ext6(&r, 17, 0);
		udp(&r, 1, 2, 0, "udp data");
		ip6(&t.f, 0, &r, -1);
	}
	t.l4_end = 22 + 40 + 16 + 12 + 8 + 8;
	check_prefixes(c, &t);

	memset(&t, 0, sizeof(t));     /* SLL2 IPv4 ICMP echo */
	t.dlt = WW_DLT_LINUX_SLL2;
	put16(&t.f, 0x0800); zeros(&t.f, 18);
	{
		struct pb l4 = { .n = 0 };
		icmp(&l4, 8, 0, 1, 2, "echo");
		ip4(&t.f, &(struct ip4o){ .proto = 1 }, &l4);
	}
	t.l4_end = 20 + 20 + 8;
	check_prefixes(c, &t);

	memset(&t, 0, sizeof(t));     /* SLL IPv6 first fragment, TCP */
	t.dlt = WW_DLT_LINUX_SLL;
	zeros(&t.f, 14); put16(&t.f, 0x86dd);
	{
		struct pb r = { .n = 0 };
		frag6(&r, 6, 0, true, 77);
		tcp(&r, 1, 2, 3, 0, 0, 0, "frag");
		ip6(&t.f, 44, &r, -1);
	}
	t.l4_end = 16 + 40 + 8 + 20;
	check_prefixes(c, &t);

	memset(&t, 0, sizeof(t));     /* NULL, LOOP, raw: IPv4 UDP */
	for (int i = 0; i < 3; i++) {
		static const int dlts[] = { WW_DLT_NULL, WW_DLT_LOOP, WW_DLT_RAW };
		memset(&t, 0, sizeof(t));
		t.dlt = dlts[i];
		if (i < 2)
			put32(&t.f, 2);
		struct pb l4 = { .n = 0 };
		udp(&l4, 1, 2, 0, "abc");
		ip4(&t.f, &(struct ip4o){ .proto = 17 }, &l4);
		t.l4_end = (i < 2 ? 4 : 0) + 20 + 8;
		check_prefixes(c, &t);
	}
}

/* Random bytes on every link type: the result is one of the enum values and
 * an OK result never points outside the buffer (ASan checks the reads). */
static void test_random_frames_never_read_past_caplen(void **state)
{
	struct ctx *c = *state;
	static const int dlts[] = { 0, 1, 12, 14, 101, 108, 113, 228, 229, 276 };
	uint32_t x = 12345;
	for (int n = 0; n < 20000; n++) {
		struct pb f = { .n = 0 };
		size_t len = (size_t)(n % 120);
		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			put8(&f, x >> 16);
		}
		/* Make the interesting paths likely: valid IP version and ethertype. */
		int dlt = dlts[n % WW_ARRAY_SIZE(dlts)];
		if (len > 24 && dlt == 1) {
			f.b[12] = (n & 1) ? 0x08 : 0x86;
			f.b[13] = (n & 1) ? 0x00 : 0xdd;
			f.b[14] = (n & 1) ? 0x45 : 0x60;
		}
		if (len > 2 && (dlt == 12 || dlt == 228))
			f.b[0] = 0x45;
		enum ww_decode_result r = dec_at(c, dlt, &f, len, n);
		assert_true(r <= WW_DECODE_BAD_LINKTYPE);
		assert_true(r != WW_DECODE_BAD_LINKTYPE);
	}
}

/* ---- the committed edge-case captures ------------------------------------ */

/* What decoding a whole file gives: counts per result and distinct flows. */
struct file_counts {
	int pkts, ok, not_ip, orphan, error, bad_linktype;
	int flows;
	bool read_error;        /* libpcap stopped before the end (truncated, absurd) */
	bool open_error;        /* not a capture at all */
};

/* A crude bidirectional key: sorted (addr, port) pairs, VLAN, proto, echo type pair. */
struct mini_key {
	uint8_t a[18], b[18];
	uint16_t vlan;
	uint8_t proto;
};

static void mini_key(const struct ww_pkt *k, struct mini_key *m)
{
	uint16_t sp = k->sport, dp = k->dport;
	bool icmp = k->proto == 1 || k->proto == 58;
	if ((k->proto == 1 && dp == 0) || (k->proto == 58 && dp == 129))
		dp = k->proto == 1 ? 8 : 128;          /* a reply keys as its request */
	uint8_t x[18], y[18];
	memcpy(x, k->src.b, 16);
	memcpy(y, k->dst.b, 16);
	x[16] = (uint8_t)(sp >> 8); x[17] = (uint8_t)sp;
	y[16] = (uint8_t)(dp >> 8); y[17] = (uint8_t)dp;
	/* ICMP: (id, type) belong to the exchange, not to a side; order addresses only. */
	bool swap = memcmp(x, y, icmp ? 16 : 18) > 0;
	memcpy(m->a, swap ? y : x, 16);
	memcpy(m->b, swap ? x : y, 16);
	if (icmp) {
		memcpy(m->a + 16, x + 16, 2);
		memcpy(m->b + 16, y + 16, 2);
	} else {
		memcpy(m->a + 16, (swap ? y : x) + 16, 2);
		memcpy(m->b + 16, (swap ? x : y) + 16, 2);
	}
	m->vlan = k->vlan;
	m->proto = k->proto;
}

static void count_file(const char *name, struct file_counts *fc)
{
	char path[512], err[PCAP_ERRBUF_SIZE];
	snprintf(path, sizeof(path), "%s/pcaps/edge/%s", WW_SRCDIR, name);
	memset(fc, 0, sizeof(*fc));
	pcap_t *p = pcap_open_offline(path, err);
	if (!p) {
		fc->open_error = true;
		return;
	}
	struct ww_decoder *d = ww_decoder_new();
	assert_non_null(d);
	static struct mini_key keys[256];
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		struct ww_pkt k;
		ww_time_t now = (ww_time_t)h->ts.tv_sec * WW_USEC_PER_SEC + h->ts.tv_usec;
		fc->pkts++;
		switch (ww_decode(d, pcap_datalink(p), data, h->caplen, now, &k)) {
		case WW_DECODE_OK: {
			fc->ok++;
			struct mini_key m;
			memset(&m, 0, sizeof(m));
			mini_key(&k, &m);
			int i;
			for (i = 0; i < fc->flows; i++)
				if (memcmp(&keys[i], &m, sizeof(m)) == 0)
					break;
			if (i == fc->flows) {
				assert_true(fc->flows < 256);
				keys[fc->flows++] = m;
			}
			break;
		}
		case WW_DECODE_NOT_IP: fc->not_ip++; break;
		case WW_DECODE_FRAG_ORPHAN: fc->orphan++; break;
		case WW_DECODE_ERROR: fc->error++; break;
		case WW_DECODE_BAD_LINKTYPE: fc->bad_linktype++; break;
		}
	}
	fc->read_error = rc == -1;
	ww_decoder_free(d);
	pcap_close(p);
}

/* The table of pcaps/README.md "## Edge cases", checked packet by packet. */
static void test_edge_captures_decode_as_the_readme_says(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		struct file_counts want;
	} files[] = {
		/*                          pkts ok  nonip orph err badlt flows rderr open */
		{ "en10mb_vlan_qinq.pcap",  { 24, 22, 2, 0, 0, 0, 5, false, false } },
		{ "pppoe.pcap",             { 12, 10, 2, 0, 0, 0, 2, false, false } },
		{ "sll.pcap",               { 11, 10, 1, 0, 0, 0, 2, false, false } },
		{ "sll2.pcap",              { 10, 10, 0, 0, 0, 0, 2, false, false } },
		{ "null_le.pcap",           { 12, 12, 0, 0, 0, 0, 3, false, false } },
		{ "null_be.pcap",           { 10, 10, 0, 0, 0, 0, 2, false, false } },
		{ "loop.pcap",              { 10, 10, 0, 0, 0, 0, 2, false, false } },
		{ "raw.pcap",               { 12, 12, 0, 0, 0, 0, 3, false, false } },
		{ "ipv4_228.pcap",          { 10, 10, 0, 0, 0, 0, 2, false, false } },
		{ "ipv6_229.pcap",          { 10, 10, 0, 0, 0, 0, 2, false, false } },
		{ "pcapng_usec.pcapng",     { 10, 10, 0, 0, 0, 0, 2, false, false } },
		{ "pcapng_nsec.pcapng",     { 10, 10, 0, 0, 0, 0, 2, false, false } },
		{ "pcap_nsec.pcap",         {  8,  8, 0, 0, 0, 0, 1, false, false } },
		{ "wlan_80211.pcap",        {  4,  4, 0, 0, 0, 0, 2, false, false } },
		{ "unsupported_frelay.pcap",{  4,  0, 0, 0, 0, 4, 0, false, false } },
		{ "ipv4_options_frags.pcap",{ 17, 16, 0, 1, 0, 0, 3, false, false } },
		{ "ipv6_ext_frags.pcap",    { 21, 20, 0, 1, 0, 0, 6, false, false } },
		{ "malformed.pcap",         { 24,  9, 0, 0, 15, 0, 2, false, false } },
		{ "truncated.pcap",         {  9,  9, 0, 0, 0, 0, 2, true, false } },
		{ "absurd_caplen.pcap",     {  3,  3, 0, 0, 0, 0, 2, true, false } },
		{ "not_a_capture.pcap",     {  0,  0, 0, 0, 0, 0, 0, false, true } },
		{ "snaplen_cut.pcap",       { 13, 10, 0, 0, 3, 0, 2, false, false } },
	};
	for (size_t i = 0; i < WW_ARRAY_SIZE(files); i++) {
		struct file_counts got;
		const struct file_counts *w = &files[i].want;
		count_file(files[i].name, &got);
		print_message("%-24s pkts %d ok %d not_ip %d orphan %d error %d badlt %d flows %d%s%s\n",
			      files[i].name, got.pkts, got.ok, got.not_ip, got.orphan, got.error,
			      got.bad_linktype, got.flows, got.read_error ? " read-error" : "",
			      got.open_error ? " open-error" : "");
		assert_int_equal(got.pkts, w->pkts);
		assert_int_equal(got.ok, w->ok);
		assert_int_equal(got.not_ip, w->not_ip);
		assert_int_equal(got.orphan, w->orphan);
		assert_int_equal(got.error, w->error);
		assert_int_equal(got.bad_linktype, w->bad_linktype);
		assert_int_equal(got.flows, w->flows);
		assert_int_equal(got.read_error, w->read_error);
		assert_int_equal(got.open_error, w->open_error);
	}
}


/* ---- tunnels, labels, offload (pcaps/tunnels, scripts/mk_tunnel_pcaps.py) ---- */

struct tun_counts {
	int pkts, ok, error;
	int tunnelled;          /* OK packets with at least one layer taken off */
	int inner_errors;       /* OK packets that are a carrier whose inner packet was malformed */
	int depth[WW_TUNNEL_MAX_DEPTH + 1];
	unsigned types;         /* bit per enum ww_tunnel_type seen, any layer */
	uint32_t ids[8];        /* distinct layer ids seen (has_id), in order */
	int nids;
	int inner_tcp;          /* innermost packets that are TCP to port 80 */
	uint32_t max_payload;
};

/* Decode every frame of pcaps/tunnels/NAME; `vxlan_port` != 0 adds that port, `decap` false turns it off. */
static void count_tunnels(const char *name, bool decap, uint16_t vxlan_port, struct tun_counts *tc)
{
	char path[512], err[PCAP_ERRBUF_SIZE];
	snprintf(path, sizeof(path), "%s/pcaps/tunnels/%s", WW_SRCDIR, name);
	memset(tc, 0, sizeof(*tc));
	pcap_t *p = pcap_open_offline(path, err);
	assert_non_null(p);
	struct ww_decoder *d = ww_decoder_new();
	assert_non_null(d);
	ww_decoder_set_decap(d, decap);
	if (vxlan_port)
		assert_int_equal(ww_decoder_add_vxlan_port(d, vxlan_port), 0);
	struct pcap_pkthdr *h;
	const u_char *data;
	while (pcap_next_ex(p, &h, &data) == 1) {
		struct ww_pkt k;
		tc->pkts++;
		enum ww_decode_result r = ww_decode(d, pcap_datalink(p), data, h->caplen, 0, &k);
		if (r == WW_DECODE_ERROR)
			tc->error++;
		if (r != WW_DECODE_OK)
			continue;
		tc->ok++;
		assert_true(k.tunnel_depth <= WW_TUNNEL_MAX_DEPTH);
		assert_true(!k.payload || (k.payload >= data && k.payload + k.payload_len <= data + h->caplen));
		tc->depth[k.tunnel_depth]++;
		tc->tunnelled += k.tunnel_depth > 0;
		tc->inner_errors += k.inner_error;
		if (k.proto == WW_IPPROTO_TCP && (k.dport == 80 || k.sport == 80))
			tc->inner_tcp++;
		if (k.payload_len > tc->max_payload)
			tc->max_payload = k.payload_len;
		for (unsigned i = 0; i < k.tunnel_depth; i++) {
			const struct ww_tunnel_layer *l = ww_decode_layer(d, i);
			const struct ww_pkt *c = ww_decode_carrier(d, i);
			assert_non_null(l);
			assert_int_equal(c->tunnel_depth, i);
			assert_memory_equal(&l->src, &c->src, sizeof(l->src));
			tc->types |= 1u << l->type;
			if (!l->has_id)
				continue;
			int j;
			for (j = 0; j < tc->nids && tc->ids[j] != l->id; j++)
				;
			if (j == tc->nids && tc->nids < 8)
				tc->ids[tc->nids++] = l->id;
		}
	}
	ww_decoder_free(d);
	pcap_close(p);
}

#define TB(t) (1u << (t))

static void test_each_tunnel_capture_yields_its_inner_conversation_and_layers(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		int pkts, tunnelled, inner_tcp;
		unsigned types;
		int nids;
		uint32_t ids[3];
	} files[] = {
		{ "gre.pcap",     24, 24, 24, TB(WW_TUN_GRE), 2, { 0x1234, 7 } },
		{ "erspan.pcap",  24, 24, 24, TB(WW_TUN_ERSPAN1) | TB(WW_TUN_ERSPAN2) | TB(WW_TUN_ERSPAN3), 2, { 5, 6 } },
		{ "vxlan.pcap",   16, 16, 16, TB(WW_TUN_VXLAN), 2, { 100, 101 } },
		{ "geneve.pcap",  16, 16, 16, TB(WW_TUN_GENEVE), 2, { 200, 201 } },
		{ "ipip.pcap",    32, 32, 32, TB(WW_TUN_IPIP), 0, { 0 } },
		{ "teredo.pcap",   8,  8,  8, TB(WW_TUN_TEREDO), 0, { 0 } },
		{ "gtpu.pcap",     9,  8,  8, TB(WW_TUN_GTPU), 1, { 0x11223344 } },
		{ "ayiya.pcap",    8,  8,  8, TB(WW_TUN_AYIYA), 0, { 0 } },
	};
	for (size_t i = 0; i < WW_ARRAY_SIZE(files); i++) {
		struct tun_counts tc;
		count_tunnels(files[i].name, true, 0, &tc);
		print_message("%-14s pkts %d tunnelled %d tcp %d types %#x ids %d\n", files[i].name,
			      tc.pkts, tc.tunnelled, tc.inner_tcp, tc.types, tc.nids);
		assert_int_equal(tc.pkts, files[i].pkts);
		assert_int_equal(tc.ok, files[i].pkts);
		assert_int_equal(tc.tunnelled, files[i].tunnelled);
		assert_int_equal(tc.depth[1], files[i].tunnelled);
		assert_int_equal(tc.inner_tcp, files[i].inner_tcp);
		assert_int_equal(tc.types, files[i].types);
		assert_int_equal(tc.nids, files[i].nids);
		for (int j = 0; j < files[i].nids; j++)
			assert_int_equal(tc.ids[j], files[i].ids[j]);
		assert_int_equal(tc.inner_errors, 0);
	}
}

static void test_without_decapsulation_a_tunnel_is_only_its_carrier(void **state)
{
	(void)state;
	struct tun_counts tc;
	count_tunnels("gre.pcap", false, 0, &tc);
	assert_int_equal(tc.ok, 24);
	assert_int_equal(tc.tunnelled, 0);
	assert_int_equal(tc.inner_tcp, 0);
	count_tunnels("vxlan.pcap", false, 0, &tc);
	assert_int_equal(tc.tunnelled, 0);
}

static void test_vxlan_on_another_port_only_when_asked(void **state)
{
	(void)state;
	struct tun_counts tc;
	count_tunnels("vxlan_8472.pcap", true, 0, &tc);
	assert_int_equal(tc.tunnelled, 0);
	count_tunnels("vxlan_8472.pcap", true, 8472, &tc);
	assert_int_equal(tc.tunnelled, 8);
	assert_int_equal(tc.ids[0], 7);
	struct ww_decoder *d = ww_decoder_new();
	assert_int_equal(ww_decoder_add_vxlan_port(d, 0), -EINVAL);
	for (unsigned i = 0; i < WW_DECODE_MAX_VXLAN_PORTS; i++)
		assert_int_equal(ww_decoder_add_vxlan_port(d, (uint16_t)(10000 + i)), 0);
	assert_int_equal(ww_decoder_add_vxlan_port(d, 20000), -ENOSPC);
	ww_decoder_free(d);
}

static void test_nesting_is_taken_off_four_layers_deep_at_most(void **state)
{
	(void)state;
	struct tun_counts tc;
	count_tunnels("nested.pcap", true, 0, &tc);
	assert_int_equal(tc.ok, 16);
	assert_int_equal(tc.depth[2], 8);                    /* TCP in VXLAN in GRE */
	assert_int_equal(tc.depth[WW_TUNNEL_MAX_DEPTH], 8);  /* five IP-in-IP: four off, the fifth a carrier */
	assert_int_equal(tc.inner_tcp, 8);
	assert_int_equal(tc.types, TB(WW_TUN_GRE) | TB(WW_TUN_VXLAN) | TB(WW_TUN_IPIP));
}

static void test_a_malformed_inner_packet_is_a_counted_error_and_its_carrier_stays(void **state)
{
	(void)state;
	struct tun_counts tc;
	count_tunnels("malformed_tunnel.pcap", true, 0, &tc);
	assert_int_equal(tc.pkts, 4);
	assert_int_equal(tc.ok, 4);
	assert_int_equal(tc.inner_errors, 4);
	assert_int_equal(tc.tunnelled, 0);
}

static void test_mpls_pbb_vntag_and_fabricpath_carry_their_ip(void **state)
{
	(void)state;
	struct tun_counts tc;
	count_tunnels("mpls.pcap", true, 0, &tc);
	assert_int_equal(tc.ok, 24);
	assert_int_equal(tc.inner_tcp, 24);
	count_tunnels("pbb_vntag_fabricpath.pcap", true, 0, &tc);
	assert_int_equal(tc.ok, 24);
	assert_int_equal(tc.inner_tcp, 24);
	assert_int_equal(tc.tunnelled, 0);
}

static void test_ipv4_total_length_zero_takes_the_captured_length(void **state)
{
	struct ctx *c = *state;
	struct tun_counts tc;
	count_tunnels("tso.pcap", true, 0, &tc);
	assert_int_equal(tc.ok, 9);
	assert_int_equal(tc.error, 0);
	assert_int_equal(tc.max_payload, 3000);

	struct pb l4 = { .n = 0 }, ip = { .n = 0 }, f = { .n = 0 };
	tcp(&l4, 40000, 80, 1, WW_TCP_ACK, 0, 0, "segment");
	ip4(&ip, &(struct ip4o){ .proto = 6 }, &l4);
	ip.b[2] = ip.b[3] = 0;
	eth(&f, 0x0800);
	put(&f, ip.b, ip.n);
	assert_int_equal(dec(c, WW_DLT_EN10MB, &f), WW_DECODE_OK);
	assert_int_equal(c->pkt.ip_len, ip.n);
	assert_int_equal(c->pkt.payload_len, 7);
	assert_memory_equal(c->pkt.payload, "segment", 7);
}

/* Every prefix of every tunnelled frame: never past caplen, never a payload outside it. */
static void test_every_prefix_of_a_tunnelled_frame_stays_inside_it(void **state)
{
	(void)state;
	static const char *names[] = { "gre.pcap", "erspan.pcap", "vxlan.pcap", "geneve.pcap", "ipip.pcap",
				       "teredo.pcap", "gtpu.pcap", "ayiya.pcap", "nested.pcap", "mpls.pcap",
				       "pbb_vntag_fabricpath.pcap", "malformed_tunnel.pcap" };
	struct ww_decoder *d = ww_decoder_new();
	for (size_t i = 0; i < WW_ARRAY_SIZE(names); i++) {
		char path[512], err[PCAP_ERRBUF_SIZE];
		snprintf(path, sizeof(path), "%s/pcaps/tunnels/%s", WW_SRCDIR, names[i]);
		pcap_t *p = pcap_open_offline(path, err);
		assert_non_null(p);
		struct pcap_pkthdr *h;
		const u_char *data;
		for (int n = 0; n < 3 && pcap_next_ex(p, &h, &data) == 1; n++) {
			for (uint32_t len = 0; len <= h->caplen; len++) {
				uint8_t *b = malloc(len ? len : 1);
				memcpy(b, data, len);
				struct ww_pkt k;
				enum ww_decode_result r = ww_decode(d, pcap_datalink(p), b, len, 0, &k);
				if (r == WW_DECODE_OK && k.payload)
					assert_true(k.payload >= b && k.payload + k.payload_len <= b + len);
				free(b);
			}
		}
		pcap_close(p);
	}
	ww_decoder_free(d);
}

static void test_mpls_over_a_ppp_link_carries_ip(void **state)
{
	struct ctx *c = *state;
	struct pb f = { .n = 0 };
	put8(&f, 0xff); put8(&f, 0x03);
	put16(&f, 0x0281);                   /* PPP: MPLS unicast */
	put32(&f, 100u << 12 | 1u << 8 | 64);  /* one label, bottom of stack */
	std_tcp4(&f);
	assert_int_equal(dec(c, WW_DLT_PPP, &f), WW_DECODE_OK);
	assert_std_tcp4(&c->pkt);
}

static void test_tunnel_paths_are_interned_once_and_stay(void **state)
{
	(void)state;
	struct ww_tunnels *t = ww_tunnels_new();
	struct ww_tunnel_layer l[2] = {
		{ .type = WW_TUN_GRE, .family = 4, .id = 9, .has_id = true },
		{ .type = WW_TUN_VXLAN, .family = 4, .id = 100, .has_id = true },
	};
	uint16_t a = ww_tunnels_intern(t, l, 2);
	uint16_t b = ww_tunnels_intern(t, l, 1);
	assert_int_not_equal(a, 0);
	assert_int_not_equal(b, 0);
	assert_int_not_equal(a, b);
	assert_int_equal(ww_tunnels_intern(t, l, 2), a);
	const struct ww_tunnel_path *pa = ww_tunnels_get(t, a);
	assert_int_equal(pa->depth, 2);
	assert_int_equal(pa->layer[1].id, 100);
	assert_null(ww_tunnels_get(t, 0));
	assert_int_equal(ww_tunnels_intern(t, l, 0), 0);
	assert_int_equal(ww_tunnels_intern(t, l, WW_TUNNEL_MAX_DEPTH + 1), 0);
	for (uint32_t i = 0; i < WW_TUNNELS_MAX + 10; i++) {
		l[0].id = 1000 + i;
		uint16_t n = ww_tunnels_intern(t, l, 1);
		assert_true(n != 0 || i >= WW_TUNNELS_MAX - 2);
	}
	assert_ptr_equal(ww_tunnels_get(t, a), pa);
	assert_int_equal(pa->layer[1].id, 100);
	ww_tunnels_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_ethernet_ipv4_tcp_fields_are_exact),
		T(test_each_tunnel_capture_yields_its_inner_conversation_and_layers),
		T(test_without_decapsulation_a_tunnel_is_only_its_carrier),
		T(test_vxlan_on_another_port_only_when_asked),
		T(test_nesting_is_taken_off_four_layers_deep_at_most),
		T(test_a_malformed_inner_packet_is_a_counted_error_and_its_carrier_stays),
		T(test_mpls_pbb_vntag_and_fabricpath_carry_their_ip),
		T(test_ipv4_total_length_zero_takes_the_captured_length),
		T(test_every_prefix_of_a_tunnelled_frame_stays_inside_it),
		T(test_tunnel_paths_are_interned_once_and_stay),
		T(test_mpls_over_a_ppp_link_carries_ip),
		T(test_ppp_with_and_without_hdlc_framing_and_compressed_protocol),
		T(test_cisco_hdlc_carries_an_ethertype),
		T(test_wlan_data_frames_with_snap_carry_ip_and_others_are_not_ip),
		T(test_radiotap_length_is_skipped_little_endian),
		T(test_nflog_payload_tlv_is_the_ip_packet),
		T(test_ethernet_ipv6_udp_fields_are_exact),
		T(test_vlan_single_tag_vid_is_kept),
		T(test_vlan_qinq_tags_are_skipped_and_inner_vid_kept),
		T(test_vlan_tags_beyond_the_bound_are_an_error),
		T(test_pppoe_session_carries_ipv4_and_ipv6),
		T(test_pppoe_control_and_discovery_are_not_ip_and_bad_version_is_error),
		T(test_arp_lldp_and_8023_frames_are_not_ip),
		T(test_linux_cooked_v1_reads_protocol_at_offset_14),
		T(test_linux_cooked_v2_reads_protocol_at_offset_0),
		T(test_null_loopback_accepts_both_byte_orders_and_every_inet6_value),
		T(test_loop_reads_family_in_network_order),
		T(test_raw_ip_version_nibble_decides_the_family),
		T(test_linktype_ipv4_and_ipv6_accept_only_their_version),
		T(test_unknown_linktype_is_reported_and_not_supported),
		T(test_ipv4_options_are_skipped_by_ihl),
		T(test_ipv4_lying_header_lengths_are_errors),
		T(test_ipv4_total_length_beyond_caplen_is_a_snaplen_cut),
		T(test_ethernet_padding_is_not_counted_as_payload),
		T(test_ipv6_hop_by_hop_routing_and_destination_options_are_skipped),
		T(test_ipv6_authentication_header_is_skipped_by_its_own_length_rule),
		T(test_ipv6_no_next_header_ends_the_chain_without_payload),
		T(test_ipv6_extension_chain_longer_than_the_bound_is_an_error),
		T(test_ipv6_extension_header_past_payload_length_is_an_error),
		T(test_tcp_options_are_skipped_by_data_offset),
		T(test_tcp_data_offset_below_five_or_beyond_segment_is_an_error),
		T(test_udp_length_below_eight_or_above_ip_payload_is_an_error),
		T(test_icmp_echo_request_and_reply_carry_their_identifier),
		T(test_icmpv6_echo_carries_identifier_and_neighbor_discovery_does_not),
		T(test_other_ip_protocols_are_portless_with_the_ip_payload),
		T(test_snaplen_cut_payload_is_what_was_captured),
		T(test_ipv4_later_fragment_takes_the_first_fragments_ports),
		T(test_ipv4_first_fragment_too_short_for_transport_header_is_an_error),
		T(test_ipv6_fragments_join_through_the_fragment_header),
		T(test_ipv6_atomic_fragment_is_a_whole_datagram),
		T(test_fragment_entries_age_out_after_thirty_seconds_of_packet_time),
		T(test_fragment_table_is_bounded_and_keeps_the_newest_datagrams),
		T(test_without_a_decoder_later_fragments_are_orphans),
		T(test_every_prefix_of_a_valid_frame_is_an_error_or_claims_only_captured_bytes),
		T(test_random_frames_never_read_past_caplen),
		T(test_edge_captures_decode_as_the_readme_says),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
