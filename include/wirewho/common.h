/*
 * common.h - small definitions every wirewho module shares.
 *
 * Addresses are kept in one 16-byte form for both families: an IPv4 address
 * is stored IPv4-mapped (::ffff:a.b.c.d), so one key type, one comparison and
 * one hash serve IPv4 and IPv6 alike; `family` says which one to print.
 * Times are microseconds since the Unix epoch (int64): that is the precision
 * of the output format, and pcapng nanosecond stamps are truncated to it.
 */
#ifndef WIREWHO_COMMON_H
#define WIREWHO_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define WW_VERSION "0.1.0"

/* Microseconds since 1970-01-01T00:00:00Z. */
typedef int64_t ww_time_t;
#define WW_USEC_PER_SEC 1000000LL

/* IP protocol numbers used across modules. */
#define WW_IPPROTO_ICMP   1
#define WW_IPPROTO_TCP    6
#define WW_IPPROTO_UDP    17
#define WW_IPPROTO_ICMPV6 58

/* TCP flag bits, as on the wire. */
#define WW_TCP_FIN 0x01
#define WW_TCP_SYN 0x02
#define WW_TCP_RST 0x04
#define WW_TCP_PSH 0x08
#define WW_TCP_ACK 0x10

/* Sizes more than one module keeps. */
#define WW_NAME_MAX    256   /* a server name (TLS SNI, later DNS and HTTP names) and its NUL:
				a DNS name is at most 253 bytes */
#define WW_ALPN_MAX    64    /* a TLS ALPN list as text ("h2,http/1.1"), cut to this */
#define WW_FIRST_BYTES 48    /* payload bytes kept as evidence: enough for a request line or banner */

/* An address of either family; `b` holds IPv4 as ::ffff:a.b.c.d. */
struct ww_addr {
	uint8_t b[16];
};

static inline void ww_addr_from_v4(struct ww_addr *a, const uint8_t v4[4])
{
	/* One 16-byte store where the CPU has one, so that the loads of the
	 * address right after (the flow key's 8-byte comparisons, its 16-byte
	 * copy) are forwarded from the store buffer: a load that spans
	 * several narrower stores waits for them to reach the cache. */
#ifdef __SSE2__
	int32_t x;
	memcpy(&x, v4, 4);
	__m128i v = _mm_or_si128(_mm_slli_si128(_mm_cvtsi32_si128(x), 12),
				 _mm_set_epi32(0, (int32_t)0xffff0000u, 0, 0));
	_mm_storeu_si128((__m128i *)(void *)a->b, v);
#else
	memset(a->b, 0, 10);
	a->b[10] = 0xff;
	a->b[11] = 0xff;
	memcpy(a->b + 12, v4, 4);
#endif
}

/* A pause in a spin-wait (lets the sibling hyper-thread run). */
static inline void ww_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* True when the address is IPv4-mapped. This function can't fail. */
static inline bool ww_addr_is_v4(const struct ww_addr *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return memcmp(a->b, prefix, 12) == 0;
}

/*
 * Format an address as text (dotted quad for IPv4-mapped addresses when
 * `family` is 4, RFC 5952 for IPv6). `buf` must hold WW_ADDRSTRLEN bytes.
 * Returns buf. This function can't fail.
 */
#define WW_ADDRSTRLEN 46
const char *ww_addr_str(const struct ww_addr *a, int family, char *buf);

/*
 * Format a time as RFC 3339 UTC with microseconds, e.g.
 * "2026-11-26T06:22:25.123456Z". `buf` must hold WW_TIMESTRLEN bytes.
 * Returns buf. This function can't fail.
 */
#define WW_TIMESTRLEN 32
const char *ww_time_str(ww_time_t t, char *buf);

/*
 * An IP protocol's name as records show it: "tcp", "udp", "icmp", "icmp6",
 * or the number in decimal, written to `buf`. Returns the name. This
 * function can't fail.
 */
const char *ww_ipproto_name(uint8_t proto, char buf[4]);

/* CLOCK_REALTIME as ww_time_t; CLOCK_MONOTONIC in seconds. Can't fail. */
ww_time_t ww_wall_now(void);
double ww_mono_now(void);

#define WW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define WW_LIKELY(x)   __builtin_expect(!!(x), 1)
#define WW_UNLIKELY(x) __builtin_expect(!!(x), 0)

#endif
