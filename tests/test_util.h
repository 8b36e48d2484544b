/*
 * test_util.h - small helpers the cmocka suites share.
 */
#ifndef WIREWHO_TEST_UTIL_H
#define WIREWHO_TEST_UTIL_H

#include <arpa/inet.h>
#include <string.h>
#include "wirewho/flow.h"

/* An address from its text, IPv4 stored mapped; fails the test if unparsable. */
static inline struct ww_addr ww_test_addr(const char *s)
{
	struct ww_addr a;
	uint8_t v4[4];
	if (inet_pton(AF_INET, s, v4) == 1)
		ww_addr_from_v4(&a, v4);
	else
		assert_int_equal(inet_pton(AF_INET6, s, a.b), 1);
	return a;
}

/*
 * A decoded packet src:sport -> dst:dport of `proto` (either family). ICMP
 * packets are echo requests with identifier `sport`. Needs flow.h.
 */
static inline struct ww_pkt ww_test_pkt(const char *src, uint16_t sport, const char *dst,
					uint16_t dport, uint8_t proto)
{
	struct ww_pkt p;
	memset(&p, 0, sizeof(p));
	p.src = ww_test_addr(src);
	p.dst = ww_test_addr(dst);
	p.family = ww_addr_is_v4(&p.src) ? 4 : 6;
	p.proto = proto;
	p.sport = sport;
	p.dport = dport;
	p.has_ports = proto == WW_IPPROTO_TCP || proto == WW_IPPROTO_UDP;
	if (proto == WW_IPPROTO_ICMP || proto == WW_IPPROTO_ICMPV6) {
		p.icmp_type = proto == WW_IPPROTO_ICMP ? 8 : 128;
		p.dport = p.icmp_type;
		p.has_ports = true;
	}
	p.ip_len = 40;
	return p;
}

/* A flow record whose client is `c`, as the engine would key and orient it. */
static inline struct ww_flow ww_test_flow(const char *c, uint16_t cp, const char *s, uint16_t sp,
					  uint8_t proto)
{
	struct ww_flow f;
	struct ww_pkt p = ww_test_pkt(c, cp, s, sp, proto);
	bool src_is_a;
	memset(&f, 0, sizeof(f));
	ww_flowkey_from_pkt(&p, &f.key, &src_is_a);
	f.client_is_a = src_is_a;
	f.icmp_type = p.icmp_type;
	return f;
}

#endif
