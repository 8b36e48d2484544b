/*
 * test_meta.c - the HTTP, DNS and SSH metadata parsers and the server
 * end's name (meta.c, httpmeta.c, dnsmeta.c, sshmeta.c), on real message
 * layouts and on hostile ones: compression loops, huge names, NULs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>

#include "wirewho/meta.h"

#define S(x) (const uint8_t *)(x), (uint32_t)(sizeof(x) - 1)

/* www.example.com A, id 0x1234: a query, and its answer CNAME web.example.net -> 192.0.2.7 */
static const uint8_t q_www[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
	"\x03www\x07" "example\x03" "com\x00\x00\x01\x00\x01";
static const uint8_t a_www[] = "\x12\x34\x81\x80\x00\x01\x00\x02\x00\x00\x00\x00"
	"\x03www\x07" "example\x03" "com\x00\x00\x01\x00\x01"
	/* CNAME: name -> offset 12; rdata web.example.net */
	"\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x11\x03web\x07" "example\x03net\x00"
	/* A: name -> the CNAME target at offset 45 */
	"\xc0\x2d\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x07";

static void test_dns_query_then_answer_gives_the_name_asked_and_the_chain(void **s)
{
	(void)s;
	struct ww_dns_meta d;
	memset(&d, 0, sizeof(d));
	assert_int_equal(ww_dnsmeta_message(&d, q_www, sizeof(q_www) - 1, false), 0);
	assert_int_equal(ww_dnsmeta_message(&d, a_www, sizeof(a_www) - 1, false), 0);
	assert_memory_equal(d.query.s, "www.example.com", 15);
	assert_int_equal(d.query.len, 15);
	assert_string_equal(ww_dnsmeta_type_name(d.qtype), "A");
	assert_string_equal(ww_dnsmeta_rcode_name(d.rcode), "NOERROR");
	assert_int_equal(d.nanswers, 2);
	assert_memory_equal(d.answers[0], "web.example.net", 15);
	assert_memory_equal(d.answers[1], "192.0.2.7", 9);
}

static void test_dns_answer_with_another_id_is_not_the_answer(void **s)
{
	(void)s;
	struct ww_dns_meta d;
	memset(&d, 0, sizeof(d));
	uint8_t other[sizeof(a_www)];
	memcpy(other, a_www, sizeof(a_www));
	other[1] = 0x35;
	assert_int_equal(ww_dnsmeta_message(&d, q_www, sizeof(q_www) - 1, false), 0);
	assert_int_not_equal(ww_dnsmeta_message(&d, other, sizeof(other) - 1, false), 0);
	assert_int_equal(d.have_answer, 0);
}

static void test_dns_over_tcp_reads_past_the_length(void **s)
{
	(void)s;
	uint8_t m[2 + sizeof(q_www)];
	m[0] = 0;
	m[1] = sizeof(q_www) - 1;
	memcpy(m + 2, q_www, sizeof(q_www) - 1);
	struct ww_dns_meta d;
	memset(&d, 0, sizeof(d));
	assert_int_equal(ww_dnsmeta_message(&d, m, sizeof(m) - 1, true), 0);
	assert_memory_equal(d.query.s, "www.example.com", 15);
}

static void test_dns_compression_loops_end_the_name_instead_of_hanging(void **s)
{
	(void)s;
	/* the question's name points at itself; then two pointers at each other */
	static const uint8_t self[] = "\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01";
	static const uint8_t pair[] = "\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
		"\x01" "a\xc0\x10\x01" "b\xc0\x0c\x00\x01\x00\x01";
	struct ww_dns_meta d;
	memset(&d, 0, sizeof(d));
	assert_int_not_equal(ww_dnsmeta_message(&d, self, sizeof(self) - 1, false), 0);
	assert_int_not_equal(ww_dnsmeta_message(&d, pair, sizeof(pair) - 1, false), 0);
	assert_int_equal(d.have_query, 0);
}

static void test_dns_name_longer_than_255_bytes_is_cut_and_marked(void **s)
{
	(void)s;
	uint8_t m[12 + 6 * 64 + 5];
	uint32_t n = 0;
	memcpy(m, "\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
	n = 12;
	for (int l = 0; l < 6; l++) {   /* six 63-byte labels, one a NUL in it */
		m[n++] = 63;
		memset(m + n, l == 2 ? 0 : 'x', 63);
		n += 63;
	}
	m[n++] = 0;
	memcpy(m + n, "\x00\x01\x00\x01", 4);
	n += 4;
	struct ww_dns_meta d;
	memset(&d, 0, sizeof(d));
	assert_int_equal(ww_dnsmeta_message(&d, m, n, false), 0);
	assert_int_equal(d.query.len, 255);
	assert_true(d.query.cut);
	assert_int_equal(d.query.s[128], '\0');   /* kept raw: the writer escapes it */
}

static void test_http_request_gives_method_uri_host_and_agent(void **s)
{
	(void)s;
	struct ww_http_meta h;
	memset(&h, 0, sizeof(h));
	assert_int_equal(ww_httpmeta_request(&h, S("GET /a?b=1 HTTP/1.1\r\nhOsT:  www.example.com:8080 \r\n"
						  "User-Agent: curl/7.88.1\r\nHost: second.example\r\n\r\n")), 0);
	assert_memory_equal(h.method.s, "GET", 3);
	assert_memory_equal(h.uri.s, "/a?b=1", 6);
	assert_int_equal(h.host.len, 20);   /* the spaces around it dropped */
	assert_memory_equal(h.host.s, "www.example.com:8080", 20);
	assert_memory_equal(h.user_agent.s, "curl/7.88.1", 11);
	assert_int_equal(ww_httpmeta_response(&h, S("HTTP/1.1 404 Not Found\r\n")), 0);
	assert_int_equal(h.status, 404);
}

static void test_dst_name_is_the_host_without_its_port(void **s)
{
	(void)s;
	struct ww_meta *m;
	const char *by;
	size_t len;
	static const char *const hosts[][2] = {
		{ "www.example.com:8080", "www.example.com" }, { "www.example.com", "www.example.com" },
		{ "[2001:db8::1]:8080", "2001:db8::1" }, { "[2001:db8::1]", "2001:db8::1" },
		{ "2001:db8::1", "2001:db8::1" },
	};
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		char req[128];
		int n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", hosts[i][0]);
		const uint8_t *d[2] = { (const uint8_t *)req, NULL };
		uint32_t nn[2] = { (uint32_t)n, 0 };
		m = ww_meta_open(WW_META_HTTP, d, nn, true);
		assert_non_null(m);
		const char *dn = ww_meta_dst_name(m, &by, &len);
		assert_non_null(dn);
		assert_string_equal(by, "http_host");
		assert_int_equal(len, strlen(hosts[i][1]));
		assert_memory_equal(dn, hosts[i][1], len);
		ww_meta_free(m);
	}
	m = ww_meta_new(WW_META_TLS);
	assert_int_equal(ww_meta_add(&m, WW_MT_SNI, "tls.example", 11), 0);
	assert_non_null(ww_meta_dst_name(m, &by, &len));
	assert_string_equal(by, "sni");
	ww_meta_free(m);
	m = ww_meta_new(WW_META_TLS);
	assert_null(ww_meta_dst_name(m, &by, &len));
	ww_meta_free(m);
}

/* The packed object holds what the parsers read, in a fraction of the fixed structs' size. */
static void test_dns_flow_metadata_is_packed_to_its_values(void **s)
{
	(void)s;
	const uint8_t *d[2] = { q_www, a_www };
	uint32_t n[2] = { sizeof(q_www) - 1, sizeof(a_www) - 1 };
	struct ww_meta *m = ww_meta_open(WW_META_DNS, d, n, false);
	assert_non_null(m);
	uint16_t l;
	const char *q = ww_meta_get(m, WW_MT_QUERY, &l);
	assert_non_null(q);
	assert_int_equal(l, strlen("www.example.com"));
	assert_memory_equal(q, "www.example.com", l);
	assert_true(ww_meta_size(m) < 128);
	assert_true(ww_meta_size(m) * 4 < sizeof(struct ww_dns_meta));
	ww_meta_free(m);
}

/* A value that would pass the object's bound is dropped, the rest kept. */
static void test_meta_values_past_the_bound_are_dropped(void **s)
{
	(void)s;
	static char big[WW_META_DATA_MAX];
	memset(big, 'x', sizeof(big));
	struct ww_meta *m = NULL;
	int added = 0;
	for (int i = 0; i < 100; i++)
		if (ww_meta_add(&m, WW_MT_ANSWER, big, 200) == 0)
			added++;
	assert_int_equal(added, WW_META_DATA_MAX / 203);
	assert_true(m->len <= WW_META_DATA_MAX);
	assert_int_equal(ww_meta_add(&m, WW_MT_ANSWER, big, sizeof(big)), -E2BIG);
	ww_meta_free(m);
}

static void test_huge_http_header_value_is_cut_to_its_bound(void **s)
{
	(void)s;
	static char req[8192];
	int n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: ");
	memset(req + n, 'h', 4000);
	n += 4000;
	n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n\r\n");
	struct ww_http_meta h;
	memset(&h, 0, sizeof(h));
	assert_int_equal(ww_httpmeta_request(&h, (const uint8_t *)req, (uint32_t)n), 0);
	assert_int_equal(h.host.len, WW_META_STR_MAX);
	assert_true(h.host.cut);
}

static void test_ssh_banner_after_a_servers_other_lines(void **s)
{
	(void)s;
	struct ww_meta_str b;
	memset(&b, 0, sizeof(b));
	assert_int_equal(ww_sshmeta_banner(&b, S("Welcome\r\nSSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")), 0);
	assert_int_equal(b.len, 30);
	assert_memory_equal(b.s, "SSH-2.0-OpenSSH_9.2p1 Debian-2", 30);
	memset(&b, 0, sizeof(b));
	assert_int_not_equal(ww_sshmeta_banner(&b, S("HTTP/1.1 200 OK\r\n")), 0);
}

static void test_meta_waits_for_the_answer_then_stops(void **s)
{
	(void)s;
	const uint8_t *d[2] = { q_www, NULL };
	uint32_t n[2] = { sizeof(q_www) - 1, 0 };
	struct ww_meta *m = ww_meta_open(WW_META_DNS, d, n, false);
	assert_non_null(m);
	assert_true(ww_meta_wants(m));
	assert_true(ww_meta_feed(&m, 1, a_www, sizeof(a_www) - 1));
	assert_false(ww_meta_wants(m));
	uint32_t off = 0;
	const char *v;
	uint16_t l;
	unsigned t, answers = 0;
	while ((t = ww_meta_next(m, &off, &v, &l)))
		answers += t == WW_MT_ANSWER;
	assert_int_equal(answers, 2);
	ww_meta_free(m);
	/* an answer that never comes: a few packets, then no more */
	m = ww_meta_open(WW_META_DNS, d, n, false);
	int fed = 0;
	while (!ww_meta_feed(&m, 1, (const uint8_t *)"junk", 4) && fed < 100)
		fed++;
	assert_true(fed < 10);
	ww_meta_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_query_then_answer_gives_the_name_asked_and_the_chain),
		cmocka_unit_test(test_dns_answer_with_another_id_is_not_the_answer),
		cmocka_unit_test(test_dns_over_tcp_reads_past_the_length),
		cmocka_unit_test(test_dns_compression_loops_end_the_name_instead_of_hanging),
		cmocka_unit_test(test_dns_name_longer_than_255_bytes_is_cut_and_marked),
		cmocka_unit_test(test_http_request_gives_method_uri_host_and_agent),
		cmocka_unit_test(test_dst_name_is_the_host_without_its_port),
		cmocka_unit_test(test_huge_http_header_value_is_cut_to_its_bound),
		cmocka_unit_test(test_ssh_banner_after_a_servers_other_lines),
		cmocka_unit_test(test_meta_waits_for_the_answer_then_stops),
		cmocka_unit_test(test_dns_flow_metadata_is_packed_to_its_values),
		cmocka_unit_test(test_meta_values_past_the_bound_are_dropped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
