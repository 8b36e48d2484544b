/*
 * test_pdns.c - passive DNS (pdns.c): DNS responses built byte by byte as
 * resolvers send them (RFC 1035 wire format, compression pointers as
 * BIND writes them), learned, then asked for as a flow's first packet
 * would ask. The cap is shown under a flood of a million distinct
 * answers; TTLs, CNAME chains, mDNS announcements and hostile messages
 * each have a test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>

#include "wirewho/pdns.h"

#define T0 ((ww_time_t)1700000000 * WW_USEC_PER_SEC)
#define SEC WW_USEC_PER_SEC

/* A DNS message under construction. */
struct msg {
	uint8_t b[1024];
	uint32_t n;
};

static void u16(struct msg *m, uint16_t v) { m->b[m->n++] = (uint8_t)(v >> 8); m->b[m->n++] = (uint8_t)v; }
static void u32(struct msg *m, uint32_t v) { u16(m, (uint16_t)(v >> 16)); u16(m, (uint16_t)v); }

/* "www.example.com" as labels, ending with a pointer to `ptr` when ptr > 0 at `at_label` labels. */
static void name(struct msg *m, const char *dotted)
{
	const char *s = dotted;
	while (*s) {
		const char *d = strchr(s, '.');
		size_t l = d ? (size_t)(d - s) : strlen(s);
		m->b[m->n++] = (uint8_t)l;
		memcpy(m->b + m->n, s, l);
		m->n += (uint32_t)l;
		s += l + (d ? 1 : 0);
	}
	m->b[m->n++] = 0;
}

static void header(struct msg *m, uint16_t qd, uint16_t an, uint16_t ar)
{
	m->n = 0;
	u16(m, 0x1234);
	u16(m, 0x8180);   /* response, RD RA, NOERROR */
	u16(m, qd);
	u16(m, an);
	u16(m, 0);
	u16(m, ar);
}

static void question(struct msg *m, const char *q, uint16_t type)
{
	name(m, q);
	u16(m, type);
	u16(m, 1);
}

static void rr_a(struct msg *m, const char *owner, uint32_t ttl, const char *ip)
{
	uint8_t a[16];
	bool v6 = strchr(ip, ':');
	inet_pton(v6 ? AF_INET6 : AF_INET, ip, a);
	name(m, owner);
	u16(m, v6 ? 28 : 1);
	u16(m, 1);
	u32(m, ttl);
	u16(m, v6 ? 16 : 4);
	memcpy(m->b + m->n, a, v6 ? 16 : 4);
	m->n += v6 ? 16 : 4;
}

static void rr_cname(struct msg *m, const char *owner, uint32_t ttl, const char *target)
{
	name(m, owner);
	u16(m, 5);
	u16(m, 1);
	u32(m, ttl);
	uint32_t at = m->n;
	u16(m, 0);
	name(m, target);
	uint16_t l = (uint16_t)(m->n - at - 2);
	m->b[at] = (uint8_t)(l >> 8);
	m->b[at + 1] = (uint8_t)l;
}

static bool ask(struct ww_pdns *c, const char *ip, ww_time_t now, struct ww_pdns_hit *h)
{
	struct ww_addr a;
	memset(&a, 0, sizeof(a));
	if (strchr(ip, ':')) {
		inet_pton(AF_INET6, ip, a.b);
		return ww_pdns_lookup(c, 6, &a, now, h);
	}
	uint8_t v4[4];
	inet_pton(AF_INET, ip, v4);
	ww_addr_from_v4(&a, v4);
	return ww_pdns_lookup(c, 4, &a, now, h);
}

static void test_an_address_behind_cnames_is_named_by_the_name_asked(void **s)
{
	(void)s;
	struct msg m;
	struct ww_pdns_hit h;
	struct ww_pdns *c = ww_pdns_new(64, 1 << 20);
	header(&m, 1, 4, 0);
	question(&m, "WWW.example.com", 1);
	rr_cname(&m, "www.example.com", 300, "edge.example.net");
	rr_cname(&m, "edge.example.net", 300, "a1.cdn.example.org");
	rr_a(&m, "a1.cdn.example.org", 20, "192.0.2.10");
	rr_a(&m, "a1.cdn.example.org", 20, "192.0.2.11");
	struct ww_pdns_asker who = { 4242, "curl" };
	assert_int_equal(ww_pdns_learn(c, m.b, m.n, false, false, T0, &who), 2);
	assert_true(ask(c, "192.0.2.11", T0 + SEC, &h));
	assert_int_equal(h.len, strlen("WWW.example.com"));
	assert_memory_equal(h.name, "WWW.example.com", h.len);   /* as asked, not the CNAME target */
	assert_int_equal(h.pid, 4242);
	assert_int_equal(h.comm_len, 4);
	assert_memory_equal(h.comm, "curl", 4);
	assert_false(ask(c, "192.0.2.12", T0 + SEC, &h));
	ww_pdns_free(c);
}

static void test_an_answer_names_only_flows_that_start_after_it(void **s)
{
	(void)s;
	struct msg m;
	struct ww_pdns_hit h;
	struct ww_pdns *c = ww_pdns_new(64, 1 << 20);
	header(&m, 1, 1, 0);
	question(&m, "v6.example.com", 28);
	rr_a(&m, "v6.example.com", 600, "2001:db8::7");
	assert_int_equal(ww_pdns_learn(c, m.b, m.n, false, false, T0, NULL), 1);
	assert_false(ask(c, "2001:db8::7", T0 - 1, &h));
	assert_true(ask(c, "2001:db8::7", T0, &h));
	assert_int_equal(h.pid, 0);
	assert_null(h.comm);
	ww_pdns_free(c);
}

static void test_ttl_is_held_between_its_floor_and_its_ceiling(void **s)
{
	(void)s;
	struct msg m;
	struct ww_pdns_hit h;
	struct ww_pdns *c = ww_pdns_new(64, 1 << 20);
	header(&m, 1, 3, 0);
	question(&m, "ttl.example.com", 1);
	rr_a(&m, "ttl.example.com", 0, "192.0.2.20");
	rr_a(&m, "ttl.example.com", 0x7fffffff, "192.0.2.21");
	rr_a(&m, "ttl.example.com", 300, "192.0.2.22");
	assert_int_equal(ww_pdns_learn(c, m.b, m.n, false, false, T0, NULL), 3);
	assert_true(ask(c, "192.0.2.20", T0 + (WW_PDNS_TTL_FLOOR - 1) * SEC, &h));
	assert_false(ask(c, "192.0.2.20", T0 + (WW_PDNS_TTL_FLOOR + 1) * SEC, &h));
	assert_true(ask(c, "192.0.2.21", T0 + (WW_PDNS_TTL_CEIL - 1) * SEC, &h));
	assert_false(ask(c, "192.0.2.21", T0 + (WW_PDNS_TTL_CEIL + 1) * SEC, &h));
	assert_true(ask(c, "192.0.2.22", T0 + 299 * SEC, &h));
	assert_false(ask(c, "192.0.2.22", T0 + 301 * SEC, &h));
	ww_pdns_free(c);
}

static void test_dns_over_tcp_and_mdns_announcements_name_addresses(void **s)
{
	(void)s;
	struct msg m, t;
	struct ww_pdns_hit h;
	struct ww_pdns *c = ww_pdns_new(64, 1 << 20);
	header(&m, 1, 1, 0);
	question(&m, "tcp.example.com", 1);
	rr_a(&m, "tcp.example.com", 60, "198.51.100.5");
	t.n = 0;
	u16(&t, (uint16_t)m.n);
	memcpy(t.b + 2, m.b, m.n);
	t.n = m.n + 2;
	assert_int_equal(ww_pdns_learn(c, t.b, t.n, true, false, T0, NULL), 1);
	assert_true(ask(c, "198.51.100.5", T0, &h));
	assert_memory_equal(h.name, "tcp.example.com", h.len);
	/* mDNS: no question; the address record in the additional section names itself */
	header(&m, 0, 0, 1);
	m.b[2] = 0x84;   /* response, authoritative */
	m.b[3] = 0x00;
	rr_a(&m, "printer.local", 120, "192.0.2.30");
	assert_int_equal(ww_pdns_learn(c, m.b, m.n, false, true, T0, NULL), 1);
	assert_true(ask(c, "192.0.2.30", T0, &h));
	assert_memory_equal(h.name, "printer.local", h.len);
	ww_pdns_free(c);
}

static void test_queries_errors_and_loops_name_nothing(void **s)
{
	(void)s;
	struct msg m;
	struct ww_pdns_hit h;
	struct ww_pdns *c = ww_pdns_new(64, 1 << 20);
	header(&m, 1, 1, 0);
	question(&m, "nx.example.com", 1);
	rr_a(&m, "nx.example.com", 60, "192.0.2.40");
	m.b[3] = 0x83;   /* NXDOMAIN */
	assert_int_equal(ww_pdns_learn(c, m.b, m.n, false, false, T0, NULL), -EINVAL);
	m.b[2] = 0x01;   /* a query */
	m.b[3] = 0x00;
	assert_int_equal(ww_pdns_learn(c, m.b, m.n, false, false, T0, NULL), -EINVAL);
	/* an answer whose owner is a pointer to itself: a loop, not read */
	header(&m, 0, 1, 0);
	uint32_t at = m.n;
	m.b[m.n++] = (uint8_t)(0xc0 | (at >> 8));
	m.b[m.n++] = (uint8_t)at;
	u16(&m, 1); u16(&m, 1); u32(&m, 60); u16(&m, 4);
	m.b[m.n++] = 192; m.b[m.n++] = 0; m.b[m.n++] = 2; m.b[m.n++] = 41;
	assert_int_equal(ww_pdns_learn(c, m.b, m.n, false, false, T0, NULL), 0);
	assert_false(ask(c, "192.0.2.41", T0, &h));
	/* a CNAME loop (a -> b -> a) ends: the address keeps its owner's name */
	header(&m, 1, 3, 0);
	question(&m, "q.example.com", 1);
	rr_cname(&m, "a.example.com", 60, "b.example.com");
	rr_cname(&m, "b.example.com", 60, "a.example.com");
	rr_a(&m, "a.example.com", 60, "192.0.2.42");
	assert_int_equal(ww_pdns_learn(c, m.b, m.n, false, false, T0, NULL), 1);
	assert_true(ask(c, "192.0.2.42", T0, &h));
	assert_memory_equal(h.name, "a.example.com", h.len);
	ww_pdns_free(c);
}

/*
 * A flood of a million distinct answers (random subdomains, each a new
 * IPv6 address in 2001:db8::/32) cycles through the cache: entries and
 * bytes never pass the cap, the newest answers are there, the oldest gone.
 */
static void test_a_million_distinct_answers_stay_within_the_cap(void **s)
{
	(void)s;
	struct msg m;
	struct ww_pdns_hit h;
	char q[64], ip[64];
	uint32_t entries, max_entries = 0;
	size_t bytes, max_bytes = 0;
	struct ww_pdns *c = ww_pdns_new(WW_PDNS_ENTRIES_DEFAULT, WW_PDNS_BYTES_DEFAULT);
	assert_non_null(c);
	for (uint32_t i = 0; i < 1000000; i++) {
		snprintf(q, sizeof(q), "r%08x.flood.example.com", i * 2654435761u);
		snprintf(ip, sizeof(ip), "2001:db8:%x:%x::1", i >> 16, i & 0xffff);
		header(&m, 1, 1, 0);
		question(&m, q, 28);
		rr_a(&m, q, 3600, ip);
		assert_int_equal(ww_pdns_learn(c, m.b, m.n, false, false, T0 + i, NULL), 1);
		ww_pdns_usage(c, &entries, &bytes);
		if (entries > max_entries)
			max_entries = entries;
		if (bytes > max_bytes)
			max_bytes = bytes;
	}
	print_message("pdns flood: 1000000 answers, at most %u entries and %zu bytes held (caps %u, %u)\n",
		      max_entries, max_bytes, WW_PDNS_ENTRIES_DEFAULT, WW_PDNS_BYTES_DEFAULT);
	assert_true(max_entries <= WW_PDNS_ENTRIES_DEFAULT);
	assert_true(max_bytes <= WW_PDNS_BYTES_DEFAULT);
	assert_true(ask(c, "2001:db8:f:423f::1", T0 + 1000000, &h));   /* the last one */
	assert_false(ask(c, "2001:db8:0:0::1", T0 + 1000000, &h));     /* the first: forgotten */
	ww_pdns_free(c);
	/* the byte cap alone: a small cap holds fewer entries than the entry cap */
	c = ww_pdns_new(WW_PDNS_ENTRIES_DEFAULT, 64 * 1024);
	for (uint32_t i = 0; i < 100000; i++) {
		snprintf(q, sizeof(q), "r%08x.flood.example.com", i);
		snprintf(ip, sizeof(ip), "2001:db8:%x:%x::2", i >> 16, i & 0xffff);
		header(&m, 1, 1, 0);
		question(&m, q, 28);
		rr_a(&m, q, 3600, ip);
		(void)ww_pdns_learn(c, m.b, m.n, false, false, T0, NULL);
		ww_pdns_usage(c, &entries, &bytes);
		assert_true(bytes <= 64 * 1024);
	}
	assert_true(entries < 2000);
	ww_pdns_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_an_address_behind_cnames_is_named_by_the_name_asked),
		cmocka_unit_test(test_an_answer_names_only_flows_that_start_after_it),
		cmocka_unit_test(test_ttl_is_held_between_its_floor_and_its_ceiling),
		cmocka_unit_test(test_dns_over_tcp_and_mdns_announcements_name_addresses),
		cmocka_unit_test(test_queries_errors_and_loops_name_nothing),
		cmocka_unit_test(test_a_million_distinct_answers_stay_within_the_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
