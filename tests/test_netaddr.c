/*
 * test_netaddr.c - the host address set: membership, duplicates across
 * interfaces, growth, netlink message parsing, and (in a private network
 * namespace, when we may create one) following a real address change.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wirewho/netaddr.h"
#include "test_util.h"

#define A(s) ww_test_addr(s)

static void test_all_of_127_slash_8_is_local_even_when_empty(void **state)
{
	(void)state;
	struct ww_netaddr *n = ww_netaddr_new();
	assert_non_null(n);
	struct ww_addr x = A("127.0.0.1");
	assert_true(ww_netaddr_is_local(n, &x));
	x = A("127.45.6.7");
	assert_true(ww_netaddr_is_local(n, &x));
	x = A("128.0.0.1");
	assert_false(ww_netaddr_is_local(n, &x));
	assert_int_equal(ww_netaddr_count(n), 0);
	ww_netaddr_close(n);
}

static void test_added_address_is_local_and_removed_one_is_not(void **state)
{
	(void)state;
	struct ww_netaddr *n = ww_netaddr_new();
	struct ww_addr a = A("192.0.2.10"), b = A("2001:db8::10"), c = A("192.0.2.11");
	assert_int_equal(ww_netaddr_add(n, &a, 2), 0);
	assert_int_equal(ww_netaddr_add(n, &b, 2), 0);
	assert_true(ww_netaddr_is_local(n, &a));
	assert_true(ww_netaddr_is_local(n, &b));
	assert_false(ww_netaddr_is_local(n, &c));
	assert_int_equal(ww_netaddr_del(n, &a, 2), 0);
	assert_false(ww_netaddr_is_local(n, &a));
	assert_true(ww_netaddr_is_local(n, &b));
	assert_int_equal(ww_netaddr_del(n, &a, 2), -ENOENT);
	ww_netaddr_close(n);
}

static void test_address_on_two_interfaces_stays_local_until_removed_from_both(void **state)
{
	(void)state;
	struct ww_netaddr *n = ww_netaddr_new();
	struct ww_addr a = A("198.51.100.1");
	assert_int_equal(ww_netaddr_add(n, &a, 3), 0);
	assert_int_equal(ww_netaddr_add(n, &a, 4), 0);
	assert_int_equal(ww_netaddr_add(n, &a, 4), 0);   /* a repeat is a no-op */
	assert_int_equal(ww_netaddr_count(n), 1);
	assert_int_equal(ww_netaddr_del(n, &a, 3), 0);
	assert_true(ww_netaddr_is_local(n, &a));
	assert_int_equal(ww_netaddr_del(n, &a, 4), 0);
	assert_false(ww_netaddr_is_local(n, &a));
	ww_netaddr_close(n);
}

static void test_a_thousand_addresses_are_all_found_and_strangers_are_not(void **state)
{
	(void)state;
	struct ww_netaddr *n = ww_netaddr_new();
	for (int i = 0; i < 1000; i++) {
		struct ww_addr a = A("2001:db8::");
		a.b[14] = (uint8_t)(i >> 8);
		a.b[15] = (uint8_t)i;
		assert_int_equal(ww_netaddr_add(n, &a, 1), 0);
	}
	assert_int_equal(ww_netaddr_count(n), 1000);
	for (int i = 0; i < 2000; i++) {
		struct ww_addr a = A("2001:db8::");
		a.b[14] = (uint8_t)(i >> 8);
		a.b[15] = (uint8_t)i;
		assert_int_equal(ww_netaddr_is_local(n, &a), i < 1000);
	}
	ww_netaddr_close(n);
}

/* Build an RTM_NEWADDR/RTM_DELADDR message the way the kernel sends it. */
static struct nlmsghdr *addr_msg(char *buf, int type, int family, int ifindex,
				 const void *address, const void *local, size_t alen)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (uint16_t)type;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_index = (uint32_t)ifindex;
	ifa->ifa_prefixlen = family == AF_INET ? 32 : 128;
	if (address)
		mnl_attr_put(nlh, IFA_ADDRESS, alen, address);
	if (local)
		mnl_attr_put(nlh, IFA_LOCAL, alen, local);
	return nlh;
}

static void test_point_to_point_message_makes_the_local_end_local_not_the_peer(void **state)
{
	(void)state;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint8_t peer[4] = { 192, 0, 2, 1 }, mine[4] = { 192, 0, 2, 2 };
	struct ww_netaddr *n = ww_netaddr_new();
	assert_int_equal(ww_netaddr_apply(n, addr_msg(buf, RTM_NEWADDR, AF_INET, 5, peer, mine, 4)), 1);
	struct ww_addr p = A("192.0.2.1"), m = A("192.0.2.2");
	assert_true(ww_netaddr_is_local(n, &m));
	assert_false(ww_netaddr_is_local(n, &p));
	assert_int_equal(ww_netaddr_apply(n, addr_msg(buf, RTM_DELADDR, AF_INET, 5, peer, mine, 4)), 1);
	assert_false(ww_netaddr_is_local(n, &m));
	ww_netaddr_close(n);
}

static void test_ipv6_message_uses_ifa_address_and_other_messages_are_ignored(void **state)
{
	(void)state;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct ww_addr a = A("2001:db8::5");
	struct ww_netaddr *n = ww_netaddr_new();
	assert_int_equal(ww_netaddr_apply(n, addr_msg(buf, RTM_NEWADDR, AF_INET6, 7, a.b, NULL, 16)), 1);
	assert_true(ww_netaddr_is_local(n, &a));
	assert_int_equal(ww_netaddr_apply(n, addr_msg(buf, RTM_NEWLINK, AF_INET6, 7, a.b, NULL, 16)), 0);
	/* A truncated address attribute is not an address. */
	assert_int_equal(ww_netaddr_apply(n, addr_msg(buf, RTM_NEWADDR, AF_INET6, 7, a.b, NULL, 8)), 0);
	assert_int_equal(ww_netaddr_count(n), 1);
	ww_netaddr_close(n);
}

/* Send one RTM_NEWADDR request for 192.0.2.99/32 on lo; 0 or -errno. */
static int add_addr_on_lo(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint8_t v4[4] = { 192, 0, 2, 99 };
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	struct nlmsghdr *nlh = addr_msg(buf, RTM_NEWADDR, AF_INET, (int)if_nametoindex("lo"), v4, v4, 4);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	int rc = mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ? -errno : 0;
	if (rc == 0) {
		ssize_t len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		rc = len < 0 ? -errno : mnl_cb_run(buf, (size_t)len, 1, mnl_socket_get_portid(nl), NULL, NULL) < 0 ? -errno : 0;
	}
	mnl_socket_close(nl);
	return rc;
}

/* Child: in a fresh network namespace, open, add an address, see it arrive. */
static int child_follows_change(void)
{
	if (unshare(CLONE_NEWNET) < 0)
		return 77;
	int err = 0;
	struct ww_netaddr *n = ww_netaddr_open(&err);
	if (!n)
		return 10;
	struct ww_addr a = A("192.0.2.99");
	if (ww_netaddr_is_local(n, &a))
		return 11;
	if (add_addr_on_lo() < 0)
		return 12;
	struct pollfd pfd = { .fd = ww_netaddr_fd(n), .events = POLLIN };
	for (int i = 0; i < 20 && !ww_netaddr_is_local(n, &a); i++) {
		if (poll(&pfd, 1, 100) > 0 && ww_netaddr_process(n) < 0)
			return 13;
	}
	int ok = ww_netaddr_is_local(n, &a);
	ww_netaddr_close(n);
	return ok ? 0 : 14;
}

static void test_live_set_follows_an_address_added_after_opening(void **state)
{
	(void)state;
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_follows_change());
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		skip();   /* not allowed to create a network namespace */
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_live_dump_of_this_namespace_finds_something(void **state)
{
	(void)state;
	int err = 0;
	struct ww_netaddr *n = ww_netaddr_open(&err);
	assert_non_null(n);
	assert_true(ww_netaddr_fd(n) >= 0);
	assert_true(ww_netaddr_process(n) >= 0);   /* nothing pending is not an error */
	struct ww_addr lo = A("127.0.0.1");
	assert_true(ww_netaddr_is_local(n, &lo));
	ww_netaddr_close(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_of_127_slash_8_is_local_even_when_empty),
		cmocka_unit_test(test_added_address_is_local_and_removed_one_is_not),
		cmocka_unit_test(test_address_on_two_interfaces_stays_local_until_removed_from_both),
		cmocka_unit_test(test_a_thousand_addresses_are_all_found_and_strangers_are_not),
		cmocka_unit_test(test_point_to_point_message_makes_the_local_end_local_not_the_peer),
		cmocka_unit_test(test_ipv6_message_uses_ifa_address_and_other_messages_are_ignored),
		cmocka_unit_test(test_live_dump_of_this_namespace_finds_something),
		cmocka_unit_test(test_live_set_follows_an_address_added_after_opening),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
