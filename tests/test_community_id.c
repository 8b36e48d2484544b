/*
 * test_community_id.c - Community ID v1 against the published test vectors
 * of the reference implementation (pycommunityid's tests), seed 0 and 1,
 * with each SHA-1 implementation this CPU has; and the two implementations
 * against each other on random tuples of every length.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include "wirewho/community_id.h"

static int addr(const char *s, struct ww_addr *a)
{
	uint8_t v4[4];
	if (inet_pton(AF_INET, s, v4) == 1) {
		ww_addr_from_v4(a, v4);
		return 4;
	}
	assert_int_equal(inet_pton(AF_INET6, s, a->b), 1);
	return 6;
}

static void check(const char *s, const char *d, uint8_t proto, bool ports, uint16_t sp,
		  uint16_t dp, uint16_t seed, const char *want)
{
	struct ww_addr a, b;
	char out[WW_COMMUNITY_ID_LEN];
	int fam = addr(s, &a);
	addr(d, &b);
	ww_community_id_tuple(seed, fam, &a, &b, proto, ports, sp, dp, out);
	assert_string_equal(out, want);
}

static void test_tcp_vectors_match_reference(void **state)
{
	(void)state;
	check("128.232.110.120", "66.35.250.204", 6, true, 34855, 80, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	check("66.35.250.204", "128.232.110.120", 6, true, 80, 34855, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	check("128.232.110.120", "66.35.250.204", 6, true, 34855, 80, 1, "1:3V71V58M3Ksw/yuFALMcW0LAHvc=");
	check("10.0.0.1", "10.0.0.2", 6, true, 10, 11569, 0, "1:SXBGMX1lBOwhhoDrZynfROxnhnM=");
}

static void test_udp_vectors_match_reference(void **state)
{
	(void)state;
	check("192.168.1.52", "8.8.8.8", 17, true, 54585, 53, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
	check("8.8.8.8", "192.168.1.52", 17, true, 53, 54585, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
	check("192.168.1.52", "8.8.8.8", 17, true, 54585, 53, 1, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=");
}

static void test_icmp_echo_request_and_reply_hash_alike(void **state)
{
	(void)state;
	check("192.168.0.89", "192.168.0.1", 1, true, 8, 0, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
	check("192.168.0.1", "192.168.0.89", 1, true, 0, 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
	check("192.168.0.1", "192.168.0.89", 1, true, 0, 20, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
	check("192.168.0.89", "192.168.0.1", 1, true, 8, 0, 1, "1:03g6IloqVBdcZlPyX8r0hgoE7kA=");
}

static void test_icmp_one_way_types_keep_their_code_and_direction(void **state)
{
	(void)state;
	check("192.168.0.89", "192.168.0.1", 1, true, 20, 0, 0, "1:3o2RFccXzUgjl7zDpqmY7yJi8rI=");
	check("192.168.0.89", "192.168.0.1", 1, true, 20, 1, 0, "1:tz/fHIDUHs19NkixVVoOZywde+I=");
}

static void test_icmp6_vectors_match_reference(void **state)
{
	(void)state;
	check("fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, true, 135, 0, 0,
	      "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
	check("fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 58, true, 136, 0, 0,
	      "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
	check("3ffe:507:0:1:260:97ff:fe07:69ea", "3ffe:507:0:1:200:86ff:fe05:80da", 58, true, 3, 0, 0,
	      "1:NdobDX8PQNJbAyfkWxhtL2Pqp5w=");
	check("3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:507:0:1:260:97ff:fe07:69ea", 58, true, 3, 0, 0,
	      "1:/OGBt9BN1ofenrmSPWYicpij2Vc=");
}

static void test_portless_protocols_hash_addresses_only(void **state)
{
	(void)state;
	check("10.1.24.4", "10.1.12.1", 46, false, 0, 0, 0, "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=");
	check("10.1.12.1", "10.1.24.4", 46, false, 0, 0, 0, "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=");
	check("10.1.24.4", "10.1.12.1", 46, false, 0, 0, 1, "1:BK3BVW3U2eemuwVQVN3zd/GULno=");
}

/* Random tuples of both families, with and without ports, any seed:
 * every message length the hash sees. */
static void test_sha_ni_and_portable_agree_on_random_tuples(void **state)
{
	(void)state;
	if (!ww_community_id_select("sha-ni"))
		skip();
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < 100000; i++) {
		struct ww_addr a, b;
		char o1[WW_COMMUNITY_ID_LEN], o2[WW_COMMUNITY_ID_LEN];
		for (int k = 0; k < 16; k++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			a.b[k] = (uint8_t)x;
			b.b[k] = (uint8_t)(x >> 8);
		}
		int fam = (x >> 16) & 1 ? 6 : 4;
		uint8_t proto = (uint8_t)(x >> 24);
		bool ports = (x >> 32) & 1;
		uint16_t sp = (uint16_t)(x >> 33), dp = (uint16_t)(x >> 49), seed = (uint16_t)(x >> 40);
		assert_true(ww_community_id_select("sha-ni"));
		ww_community_id_tuple(seed, fam, &a, &b, proto, ports, sp, dp, o1);
		assert_true(ww_community_id_select("portable"));
		ww_community_id_tuple(seed, fam, &a, &b, proto, ports, sp, dp, o2);
		assert_string_equal(o1, o2);
	}
}

static int use_portable(void **state)
{
	(void)state;
	return ww_community_id_select("portable") ? 0 : -1;
}

static int use_sha_ni(void **state)
{
	(void)state;
	if (!ww_community_id_select("sha-ni")) {
		print_message("this CPU has no SHA extensions: vectors checked with portable SHA-1 only\n");
		ww_community_id_select("portable");
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_vectors_match_reference),
		cmocka_unit_test(test_udp_vectors_match_reference),
		cmocka_unit_test(test_icmp_echo_request_and_reply_hash_alike),
		cmocka_unit_test(test_icmp_one_way_types_keep_their_code_and_direction),
		cmocka_unit_test(test_icmp6_vectors_match_reference),
		cmocka_unit_test(test_portless_protocols_hash_addresses_only),
	};
	const struct CMUnitTest cross[] = {
		cmocka_unit_test(test_sha_ni_and_portable_agree_on_random_tuples),
	};
	int fails = cmocka_run_group_tests_name("portable SHA-1", tests, use_portable, NULL);
	fails += cmocka_run_group_tests_name("SHA-NI", tests, use_sha_ni, NULL);
	return fails + cmocka_run_group_tests_name("cross-check", cross, NULL, NULL);
}
