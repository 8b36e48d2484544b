/*
 * community_id.c - Community ID v1, with a small self-contained SHA-1.
 *
 * SHA-1 is here for interoperability, not security: the spec fixes it. The
 * implementation is the plain FIPS 180-4 compression function over a single
 * block: every Community ID input is shorter than 56 bytes, so one padded
 * block holds it and no streaming state is needed. It runs once per flow.
 *
 * Hash input (all big-endian): seed(2) saddr(4|16) daddr(4|16) proto(1)
 * pad(1) [sport(2) dport(2)], endpoints ordered so the smaller (ip, port)
 * comes first. ICMP types with a request/reply counterpart map to
 * (type, counter-type) and are ordered like ports; other ICMP types are
 * one-way (type, code) and keep their direction, exactly as Zeek does.
 */
#include "wirewho/community_id.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define WW_SHANI 1
#endif

static uint32_t rol(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

#define SHA1_ROUND(f, k)                                        \
	do {                                                    \
		uint32_t t = rol(a, 5) + (f) + e + (k) + W(i);  \
		e = d;                                          \
		d = c;                                          \
		c = rol(b, 30);                                 \
		b = a;                                          \
		a = t;                                          \
	} while (0)

static void sha1_block(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[16], a, b, c, d, e;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	/*
	 * The message schedule lives in a 16-word ring computed as the rounds
	 * go. An 80-word array filled up front gets vectorised by the compiler
	 * into loads of words it has just stored, and store-forwarding stalls
	 * made that loop cost more than all the rounds.
	 */
#define W(i) ((i) < 16 ? w[(i)] : (w[(i) & 15] = rol(w[((i) + 13) & 15] ^ w[((i) + 8) & 15] ^ \
							 w[((i) + 2) & 15] ^ w[(i) & 15], 1)))
	a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4];
	/* Four loops of twenty rounds: no per-round branch on the round number. */
	for (i = 0; i < 20; i++)
		SHA1_ROUND((b & c) | (~b & d), 0x5a827999);
	for (; i < 40; i++)
		SHA1_ROUND(b ^ c ^ d, 0x6ed9eba1);
	for (; i < 60; i++)
		SHA1_ROUND((b & c) | (b & d) | (c & d), 0x8f1bbcdc);
	for (; i < 80; i++)
		SHA1_ROUND(b ^ c ^ d, 0xca62c1d6);
	h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
#undef W
}

#ifdef WW_SHANI
/*
 * The same compression function with the x86 SHA extensions (Intel since
 * Goldmont/Ice Lake, AMD since Zen): four rounds per SHA1RNDS4, the
 * schedule by SHA1MSG1/SHA1MSG2, E carried by SHA1NEXTE. About five times
 * the portable code, and chosen at start-up only where CPUID says so.
 *
 * Vectors hold words in the instructions' order: A in the top lane of
 * `abcd`, E in the top lane of `e`, message words w[4j..4j+3] with w[4j]
 * on top, hence the byte reversal of each 16-byte load.
 */
#define RNDS(abcd, e, j)                                                   \
	do {                                                               \
		switch ((j) / 5) {                                         \
		case 0: abcd = _mm_sha1rnds4_epu32(abcd, e, 0); break;    \
		case 1: abcd = _mm_sha1rnds4_epu32(abcd, e, 1); break;    \
		case 2: abcd = _mm_sha1rnds4_epu32(abcd, e, 2); break;    \
		default: abcd = _mm_sha1rnds4_epu32(abcd, e, 3); break;   \
		}                                                          \
	} while (0)

__attribute__((target("sha,sse4.1,ssse3")))
static void sha1_block_shani(uint32_t h[5], const uint8_t *p)
{
	const __m128i rev = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
	__m128i abcd0 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h), 0x1b);
	__m128i e0 = _mm_set_epi32((int)h[4], 0, 0, 0);
	__m128i abcd = abcd0, prev, e, w[4];

	for (int j = 0; j < 4; j++)
		w[j] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * j)), rev);
	/* Twenty groups of four rounds; w[] is a ring of the last four
	 * schedule vectors: w[j] = msg2(msg1(w[j-4], w[j-3]) ^ w[j-2], w[j-1]). */
	e = _mm_add_epi32(e0, w[0]);
	prev = abcd;
	RNDS(abcd, e, 0);
	for (int j = 1; j < 20; j++) {
		if (j >= 4)
			w[j & 3] = _mm_sha1msg2_epu32(
				_mm_xor_si128(_mm_sha1msg1_epu32(w[j & 3], w[(j + 1) & 3]),
					      w[(j + 2) & 3]),
				w[(j + 3) & 3]);
		e = _mm_sha1nexte_epu32(prev, w[j & 3]);
		prev = abcd;
		RNDS(abcd, e, j);
	}
	e0 = _mm_sha1nexte_epu32(prev, e0);
	abcd = _mm_add_epi32(abcd, abcd0);
	_mm_storeu_si128((__m128i *)h, _mm_shuffle_epi32(abcd, 0x1b));
	h[4] = (uint32_t)_mm_extract_epi32(e0, 3);
}
#undef RNDS

static bool cpu_has_shani(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
		return false;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return false;
	return (b & bit_SHA) != 0;
}
#endif

static void (*sha1_block_fn)(uint32_t h[5], const uint8_t *p) = sha1_block;

/* Pick the compression function once, before main() and any thread. */
__attribute__((constructor))
static void pick_sha1(void)
{
#ifdef WW_SHANI
	if (cpu_has_shani())
		sha1_block_fn = sha1_block_shani;
#endif
}


bool ww_community_id_select(const char *impl)
{
	if (strcmp(impl, "portable") == 0) {
		sha1_block_fn = sha1_block;
		return true;
	}
#ifdef WW_SHANI
	if (strcmp(impl, "sha-ni") == 0 && cpu_has_shani()) {
		sha1_block_fn = sha1_block_shani;
		return true;
	}
#endif
	return false;
}

/*
 * SHA-1 of a message shorter than 56 bytes, already written at the start of
 * the zeroed block `blk`: it fits one padded block, so there is no
 * streaming state. Writing the message straight into the block (rather
 * than copying it there) also avoids reloading bytes just stored one at a
 * time, which stalls store forwarding.
 */
static void sha1_short(uint8_t blk[64], size_t n, uint8_t out[20])
{
	uint32_t h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
	uint64_t bits = (uint64_t)n * 8;

	blk[n] = 0x80;
	for (int i = 0; i < 8; i++)
		blk[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha1_block_fn(h, blk);
	for (int i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

/* Zeek's ICMP counterpart types; -1 when the type is one-way. */
static int icmp_counterpart(uint8_t proto, uint8_t type)
{
	if (proto == WW_IPPROTO_ICMP) {
		switch (type) {
		case 8: return 0;   case 0: return 8;    /* echo */
		case 13: return 14; case 14: return 13;  /* timestamp */
		case 15: return 16; case 16: return 15;  /* information */
		case 10: return 9;  case 9: return 10;   /* router solicitation/advert */
		case 17: return 18; case 18: return 17;  /* address mask */
		}
	} else {
		switch (type) {
		case 128: return 129; case 129: return 128;  /* echo */
		case 130: return 131; case 131: return 130;  /* MLD query/report */
		case 133: return 134; case 134: return 133;  /* router sol/adv */
		case 135: return 136; case 136: return 135;  /* neighbour sol/adv */
		case 139: return 140; case 140: return 139;  /* who-are-you */
		case 144: return 145; case 145: return 144;  /* HA address discovery */
		}
	}
	return -1;
}

static void base64(const uint8_t *in, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n) v |= in[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

void ww_community_id_tuple(uint16_t seed, int family, const struct ww_addr *src,
			   const struct ww_addr *dst, uint8_t proto, bool has_ports,
			   uint16_t sport, uint16_t dport, char out[WW_COMMUNITY_ID_LEN])
{
	const size_t alen = family == 4 ? 4 : 16;
	const size_t aoff = family == 4 ? 12 : 0;
	bool one_way = false;

	if (proto == WW_IPPROTO_ICMP || proto == WW_IPPROTO_ICMPV6) {
		int cp = icmp_counterpart(proto, (uint8_t)sport);
		has_ports = true;
		if (cp >= 0)
			dport = (uint16_t)cp;
		else
			one_way = true;
	}

	int c = memcmp(src->b + aoff, dst->b + aoff, alen);
	if (!one_way && (c > 0 || (c == 0 && has_ports && sport > dport))) {
		const struct ww_addr *t = src;
		uint16_t tp = sport;
		src = dst;
		dst = t;
		sport = dport;
		dport = tp;
	}

	uint8_t msg[64] = { 0 };   /* the message, then SHA-1's padding */
	size_t n = 0;
	msg[n++] = (uint8_t)(seed >> 8);
	msg[n++] = (uint8_t)seed;
	memcpy(msg + n, src->b + aoff, alen);
	n += alen;
	memcpy(msg + n, dst->b + aoff, alen);
	n += alen;
	msg[n++] = proto;
	msg[n++] = 0;
	if (has_ports) {
		msg[n++] = (uint8_t)(sport >> 8);
		msg[n++] = (uint8_t)sport;
		msg[n++] = (uint8_t)(dport >> 8);
		msg[n++] = (uint8_t)dport;
	}

	uint8_t dig[20];
	_Static_assert(2 + 16 + 16 + 2 + 4 < 56, "Community ID input must fit one SHA-1 block");
	sha1_short(msg, n, dig);
	out[0] = '1';
	out[1] = ':';
	base64(dig, sizeof(dig), out + 2);
}

void ww_community_id_flow(const struct ww_flow *f, char out[WW_COMMUNITY_ID_LEN])
{
	const struct ww_flowkey *k = &f->key;
	bool icmp = k->proto == WW_IPPROTO_ICMP || k->proto == WW_IPPROTO_ICMPV6;
	/* The decoder reads ports of TCP and UDP only, so SCTP hashes as port-less. */
	bool ports = k->proto == WW_IPPROTO_TCP || k->proto == WW_IPPROTO_UDP;

	if (icmp)
		ww_community_id_tuple(0, k->family, ww_flow_client_ip(f), ww_flow_server_ip(f),
				      k->proto, true, f->icmp_type, f->icmp_code, out);
	else
		ww_community_id_tuple(0, k->family, ww_flow_client_ip(f), ww_flow_server_ip(f),
				      k->proto, ports, ww_flow_client_port(f),
				      ww_flow_server_port(f), out);
}
