/*
 * test_jsonw.c - the NDJSON writer: records are well formed, and untrusted
 * bytes come out as valid, escaped UTF-8 whatever they were.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>

#include "wirewho/jsonw.h"

static char *render(void (*build)(struct ww_jw *))
{
	static char out[4096];
	struct ww_jw w;
	FILE *f = fmemopen(out, sizeof(out), "w");
	assert_non_null(f);
	ww_jw_init(&w);
	ww_jw_record(&w, "flow", 0);
	build(&w);
	assert_int_equal(ww_jw_finish(&w, f), 0);
	fclose(f);
	ww_jw_free(&w);
	return out;
}

static void b_types(struct ww_jw *w)
{
	ww_jw_int(w, "i", -5);
	ww_jw_uint(w, "u", 18446744073709551615ull);
	ww_jw_bool(w, "b", true);
	ww_jw_null(w, "n");
	ww_jw_str(w, "s", NULL);
	ww_jw_obj_begin(w, "o");
	ww_jw_str(w, "k", "v");
	ww_jw_obj_end(w);
	ww_jw_arr_begin(w, "a");
	ww_jw_uint(w, NULL, 1);
	ww_jw_uint(w, NULL, 2);
	ww_jw_arr_end(w);
}

static void test_record_has_type_ts_and_members_in_order(void **s)
{
	(void)s;
	assert_string_equal(render(b_types),
		"{\"type\":\"flow\",\"ts\":\"1970-01-01T00:00:00.000000Z\",\"i\":-5,"
		"\"u\":18446744073709551615,\"b\":true,\"n\":null,\"s\":null,\"o\":{\"k\":\"v\"},"
		"\"a\":[1,2]}\n");
}

static void b_doubles(struct ww_jw *w)
{
	ww_jw_double(w, "a", 1.5);
	ww_jw_double(w, "b", -1e33);
	ww_jw_double(w, "c", 1e300);
	ww_jw_double(w, "d", -1.7976931348623157e308);
	ww_jw_double(w, "e", 0.0 / 0.0);
}

static void test_doubles_of_any_size_are_whole_json_numbers(void **s)
{
	(void)s;
	/* "%.6f" of 1e33 is 41 bytes, of 1e300 308: both used to overrun the
	 * 40-byte buffer (and write what lay past it). */
	assert_string_equal(render(b_doubles),
		"{\"type\":\"flow\",\"ts\":\"1970-01-01T00:00:00.000000Z\",\"a\":1.500000,"
		"\"b\":-9.9999999999999995e+32,\"c\":1.0000000000000001e+300,"
		"\"d\":-1.7976931348623157e+308,\"e\":null}\n");
}

static void test_control_quote_and_backslash_are_escaped(void **s)
{
	(void)s;
	char out[64];
	ww_json_escape(out, sizeof(out), "a\"b\\c\n\x01\x7f", 8);
	assert_string_equal(out, "a\\\"b\\\\c\\n\\u0001\\u007f");
}

/* The writer's sixteen-at-a-time fast path must notice an escapable byte
 * at any position of a long string, as the byte-wise escape does. */
static void test_a_byte_to_escape_is_found_at_every_position(void **s)
{
	(void)s;
	static const uint8_t bad[] = { 0x00, 0x01, 0x1f, '"', '\\', 0x7f, 0x80, 0xc3, 0xff };
	for (size_t len = 1; len <= 50; len++) {
		for (size_t pos = 0; pos < len; pos++) {
			for (size_t b = 0; b < sizeof(bad); b++) {
				char in[64], want[512], got[600];
				memset(in, 'x', len);
				in[pos] = (char)bad[b];
				ww_json_escape(want, sizeof(want), in, len);
				struct ww_jw w;
				ww_jw_init(&w);
				ww_jw_record(&w, "t", 0);
				ww_jw_strn(&w, "v", in, len);
				assert_int_equal(ww_jw_finish(&w, NULL), 0);
				snprintf(got, sizeof(got), "%.*s", (int)w.len, w.buf);
				ww_jw_free(&w);
				char *v = strstr(got, "\"v\":\"");
				assert_non_null(v);
				v += 5;
				assert_int_equal(strncmp(v, want, strlen(want)), 0);
				assert_int_equal(v[strlen(want)], '"');
				assert_true(strlen(want) > len);   /* something was escaped */
			}
		}
	}
}

static void test_invalid_utf8_bytes_become_u00_escapes(void **s)
{
	(void)s;
	char out[64];
	/* lone continuation byte, overlong NUL, truncated 3-byte sequence */
	ww_json_escape(out, sizeof(out), "\x80\xc0\x80\xe2\x82", 5);
	assert_string_equal(out, "\\u0080\\u00c0\\u0080\\u00e2\\u0082");
}

static void test_valid_utf8_passes_through(void **s)
{
	(void)s;
	char out[64];
	ww_json_escape(out, sizeof(out), "caf\xc3\xa9 \xe2\x82\xac", 9);
	assert_string_equal(out, "caf\xc3\xa9 \xe2\x82\xac");
}

static void test_escape_never_splits_an_escape_at_the_buffer_end(void **s)
{
	(void)s;
	char out[8];
	size_t n = ww_json_escape(out, sizeof(out), "ab\x01", 3);
	assert_string_equal(out, "ab");     /* "\u0001" does not fit: dropped whole */
	assert_int_equal(n, 2);
}

static void test_time_is_rfc3339_utc_with_microseconds(void **s)
{
	(void)s;
	char b[WW_TIMESTRLEN];
	assert_string_equal(ww_time_str(1795674145123456LL, b), "2026-11-26T06:22:25.123456Z");
	assert_string_equal(ww_time_str(951782400000001LL, b), "2000-02-29T00:00:00.000001Z");
	assert_string_equal(ww_time_str(-1, b), "1969-12-31T23:59:59.999999Z");
}

static void test_addresses_print_as_dotted_quad_or_rfc5952(void **s)
{
	(void)s;
	struct ww_addr a;
	char b[WW_ADDRSTRLEN];
	const uint8_t v4[4] = { 192, 0, 2, 1 };
	ww_addr_from_v4(&a, v4);
	assert_string_equal(ww_addr_str(&a, 4, b), "192.0.2.1");
	assert_true(ww_addr_is_v4(&a));
	memset(&a, 0, sizeof(a));
	a.b[0] = 0x20; a.b[1] = 0x01; a.b[2] = 0x0d; a.b[3] = 0xb8; a.b[15] = 1;
	assert_string_equal(ww_addr_str(&a, 6, b), "2001:db8::1");
}

static void test_ipv6_text_matches_inet_ntop_on_random_addresses(void **s)
{
	(void)s;
	uint64_t x = 0x243f6a8885a308d3ull;
	for (int t = 0; t < 200000; t++) {
		struct ww_addr a;
		char mine[WW_ADDRSTRLEN], libc[INET6_ADDRSTRLEN];
		for (int i = 0; i < 16; i++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			/* mostly zero groups, so every compression case comes up */
			a.b[i] = (x & 3) && t % 5 ? 0 : (uint8_t)(x >> 24);
		}
		ww_addr_str(&a, 6, mine);
		assert_non_null(inet_ntop(AF_INET6, a.b, libc, sizeof(libc)));
		assert_string_equal(mine, libc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_has_type_ts_and_members_in_order),
		cmocka_unit_test(test_doubles_of_any_size_are_whole_json_numbers),
		cmocka_unit_test(test_control_quote_and_backslash_are_escaped),
		cmocka_unit_test(test_a_byte_to_escape_is_found_at_every_position),
		cmocka_unit_test(test_invalid_utf8_bytes_become_u00_escapes),
		cmocka_unit_test(test_valid_utf8_passes_through),
		cmocka_unit_test(test_escape_never_splits_an_escape_at_the_buffer_end),
		cmocka_unit_test(test_time_is_rfc3339_utc_with_microseconds),
		cmocka_unit_test(test_addresses_print_as_dotted_quad_or_rfc5952),
		cmocka_unit_test(test_ipv6_text_matches_inet_ntop_on_random_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
