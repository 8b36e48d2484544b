/*
 * test_netscope.c - bind and remote scopes, including the special-purpose
 * ranges of RFC 6890 and IPv4-mapped IPv6.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "wirewho/netscope.h"
#include "test_util.h"

#define A(s) ww_test_addr(s)

static enum ww_remote_scope R(const char *s)
{
	struct ww_addr a = A(s);
	return ww_netscope_remote(&a);
}

static enum ww_bind_scope B(const char *s, uint32_t ifindex)
{
	struct ww_addr a = A(s);
	return ww_netscope_bind(&a, ifindex, 1);
}

static void test_wildcard_binds_are_any(void **st)
{
	(void)st;
	assert_int_equal(B("0.0.0.0", 0), WW_BIND_ANY);
	assert_int_equal(B("::", 0), WW_BIND_ANY);
}

static void test_loopback_binds_are_loopback(void **st)
{
	(void)st;
	assert_int_equal(B("127.0.0.1", 0), WW_BIND_LOOPBACK);
	assert_int_equal(B("127.0.0.53", 0), WW_BIND_LOOPBACK);
	assert_int_equal(B("::1", 0), WW_BIND_LOOPBACK);
	assert_int_equal(B("::ffff:127.0.0.1", 0), WW_BIND_LOOPBACK);
}

static void test_one_address_binds_are_interface(void **st)
{
	(void)st;
	assert_int_equal(B("192.0.2.10", 0), WW_BIND_INTERFACE);
	assert_int_equal(B("2001:db8::10", 0), WW_BIND_INTERFACE);
	assert_int_equal(B("fe80::1", 0), WW_BIND_INTERFACE);
}

static void test_wildcard_bound_to_a_device_is_that_device(void **st)
{
	(void)st;
	assert_int_equal(B("0.0.0.0", 1), WW_BIND_LOOPBACK);    /* SO_BINDTODEVICE lo */
	assert_int_equal(B("::", 3), WW_BIND_INTERFACE);         /* eth-something */
}

static void test_unspecified_peer_is_none(void **st)
{
	(void)st;
	assert_int_equal(R("0.0.0.0"), WW_REMOTE_NONE);
	assert_int_equal(R("::"), WW_REMOTE_NONE);
	assert_int_equal(R("::ffff:0.0.0.0"), WW_REMOTE_NONE);
}

static void test_rfc1918_cgn_and_documentation_are_private(void **st)
{
	(void)st;
	const char *priv[] = { "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
			       "100.64.0.1", "100.127.255.254", "192.0.2.1", "198.51.100.7",
			       "203.0.113.9", "198.18.0.1", "198.19.255.255", "192.0.0.8",
			       "240.0.0.1", "255.255.255.255", "0.1.2.3", "239.1.1.1" };
	for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++) {
		assert_int_equal(R(priv[i]), WW_REMOTE_PRIVATE);
	}
}

static void test_range_edges_are_exact(void **st)
{
	(void)st;
	assert_int_equal(R("172.15.255.255"), WW_REMOTE_INTERNET);
	assert_int_equal(R("172.32.0.0"), WW_REMOTE_INTERNET);
	assert_int_equal(R("100.63.255.255"), WW_REMOTE_INTERNET);
	assert_int_equal(R("100.128.0.0"), WW_REMOTE_INTERNET);
	assert_int_equal(R("198.17.255.255"), WW_REMOTE_INTERNET);
	assert_int_equal(R("198.20.0.0"), WW_REMOTE_INTERNET);
	assert_int_equal(R("11.0.0.0"), WW_REMOTE_INTERNET);
	assert_int_equal(R("9.255.255.255"), WW_REMOTE_INTERNET);
}

static void test_globally_reachable_exceptions_inside_ietf_block_are_internet(void **st)
{
	(void)st;
	assert_int_equal(R("192.0.0.9"), WW_REMOTE_INTERNET);    /* PCP anycast */
	assert_int_equal(R("192.0.0.10"), WW_REMOTE_INTERNET);   /* TURN anycast */
	assert_int_equal(R("192.0.0.11"), WW_REMOTE_PRIVATE);
}

static void test_public_addresses_are_internet(void **st)
{
	(void)st;
	assert_int_equal(R("8.8.8.8"), WW_REMOTE_INTERNET);
	assert_int_equal(R("1.1.1.1"), WW_REMOTE_INTERNET);
	assert_int_equal(R("2606:4700:4700::1111"), WW_REMOTE_INTERNET);
	assert_int_equal(R("2a00:1450::1"), WW_REMOTE_INTERNET);
	assert_int_equal(R("64:ff9b::808:808"), WW_REMOTE_INTERNET);   /* NAT64 of 8.8.8.8 */
}

static void test_loopback_and_link_local_peers(void **st)
{
	(void)st;
	assert_int_equal(R("127.0.0.1"), WW_REMOTE_LOOPBACK);
	assert_int_equal(R("::1"), WW_REMOTE_LOOPBACK);
	assert_int_equal(R("169.254.169.254"), WW_REMOTE_LINK_LOCAL);
	assert_int_equal(R("fe80::1"), WW_REMOTE_LINK_LOCAL);
	assert_int_equal(R("febf::1"), WW_REMOTE_LINK_LOCAL);
	assert_int_equal(R("224.0.0.251"), WW_REMOTE_LINK_LOCAL);      /* mDNS group */
	assert_int_equal(R("ff02::fb"), WW_REMOTE_LINK_LOCAL);
}

static void test_ipv6_special_ranges_are_not_internet(void **st)
{
	(void)st;
	assert_int_equal(R("fd00::1"), WW_REMOTE_PRIVATE);    /* ULA */
	assert_int_equal(R("fc00::1"), WW_REMOTE_PRIVATE);
	assert_int_equal(R("2001:db8::1"), WW_REMOTE_PRIVATE); /* documentation */
	assert_int_equal(R("3fff::1"), WW_REMOTE_PRIVATE);    /* documentation, RFC 9637 */
	assert_int_equal(R("100::1"), WW_REMOTE_PRIVATE);     /* discard-only */
	assert_int_equal(R("2001:2::1"), WW_REMOTE_PRIVATE);  /* benchmarking */
	assert_int_equal(R("2001:10::1"), WW_REMOTE_PRIVATE); /* deprecated ORCHID, in 2001::/23 */
	assert_int_equal(R("4000::1"), WW_REMOTE_PRIVATE);    /* outside global unicast */
	assert_int_equal(R("ff05::2"), WW_REMOTE_PRIVATE);    /* site-scope multicast */
	assert_int_equal(R("64:ff9b:1::1"), WW_REMOTE_PRIVATE); /* local-use NAT64 */
}

static void test_ipv4_mapped_peers_are_judged_as_ipv4(void **st)
{
	(void)st;
	assert_int_equal(R("::ffff:10.0.0.1"), WW_REMOTE_PRIVATE);
	assert_int_equal(R("::ffff:8.8.8.8"), WW_REMOTE_INTERNET);
	assert_int_equal(R("::ffff:127.0.0.1"), WW_REMOTE_LOOPBACK);
	assert_int_equal(R("::ffff:169.254.1.1"), WW_REMOTE_LINK_LOCAL);
}

static void test_names_match_the_interface_contract(void **st)
{
	(void)st;
	assert_string_equal(ww_netscope_bind_name(WW_BIND_ANY), "any");
	assert_string_equal(ww_netscope_bind_name(WW_BIND_INTERFACE), "interface");
	assert_string_equal(ww_netscope_bind_name(WW_BIND_LOOPBACK), "loopback");
	assert_string_equal(ww_netscope_remote_name(WW_REMOTE_NONE), "none");
	assert_string_equal(ww_netscope_remote_name(WW_REMOTE_LINK_LOCAL), "link_local");
	assert_string_equal(ww_netscope_remote_name(WW_REMOTE_INTERNET), "internet");
}

static void test_declared_home_net_makes_documentation_ranges_internet(void **st)
{
	(void)st;
	char err[128];
	assert_int_equal(ww_netscope_home_option("10.0.0.0/8,2001:db8:1::/48", err, sizeof(err)), 0);
	assert_int_equal(R("198.51.100.7"), WW_REMOTE_INTERNET);
	assert_int_equal(R("192.0.2.1"), WW_REMOTE_INTERNET);
	assert_int_equal(R("2001:db8:2::1"), WW_REMOTE_INTERNET);
	assert_int_equal(R("10.1.2.3"), WW_REMOTE_PRIVATE);
	assert_int_equal(R("2001:db8:1::5"), WW_REMOTE_PRIVATE);
	/* what is no network's host keeps its registry scope */
	assert_int_equal(R("127.0.0.1"), WW_REMOTE_LOOPBACK);
	assert_int_equal(R("169.254.1.1"), WW_REMOTE_LINK_LOCAL);
	assert_int_equal(R("224.0.1.1"), WW_REMOTE_PRIVATE);
	assert_int_equal(R("0.0.0.0"), WW_REMOTE_NONE);
	/* a policy's declaration does not override the command line's */
	struct ww_netscope_home h = { .n = 0 };
	assert_int_equal(ww_netscope_home_parse("198.51.100.0/24", 15, &h, err, sizeof(err)), 0);
	ww_netscope_set_home(&h, false);
	assert_int_equal(R("198.51.100.7"), WW_REMOTE_INTERNET);
	/* undeclared: the registries again */
	ww_netscope_set_home(NULL, true);
	assert_int_equal(R("198.51.100.7"), WW_REMOTE_PRIVATE);
	assert_int_equal(R("8.8.8.8"), WW_REMOTE_INTERNET);
}

static void test_home_net_lists_that_do_not_parse_are_refused(void **st)
{
	(void)st;
	char err[128];
	assert_int_equal(ww_netscope_home_option("10.0.0.0/33", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "prefix length"));
	assert_int_equal(ww_netscope_home_option("10.0.0.0/8,", err, sizeof(err)), -EINVAL);
	assert_int_equal(ww_netscope_home_option("lan", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'lan'"));
	assert_int_equal(R("198.51.100.7"), WW_REMOTE_PRIVATE);   /* nothing declared */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wildcard_binds_are_any),
		cmocka_unit_test(test_loopback_binds_are_loopback),
		cmocka_unit_test(test_one_address_binds_are_interface),
		cmocka_unit_test(test_wildcard_bound_to_a_device_is_that_device),
		cmocka_unit_test(test_unspecified_peer_is_none),
		cmocka_unit_test(test_rfc1918_cgn_and_documentation_are_private),
		cmocka_unit_test(test_range_edges_are_exact),
		cmocka_unit_test(test_globally_reachable_exceptions_inside_ietf_block_are_internet),
		cmocka_unit_test(test_public_addresses_are_internet),
		cmocka_unit_test(test_loopback_and_link_local_peers),
		cmocka_unit_test(test_ipv6_special_ranges_are_not_internet),
		cmocka_unit_test(test_ipv4_mapped_peers_are_judged_as_ipv4),
		cmocka_unit_test(test_names_match_the_interface_contract),
		cmocka_unit_test(test_declared_home_net_makes_documentation_ranges_internet),
		cmocka_unit_test(test_home_net_lists_that_do_not_parse_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
