/*
 * test_socktab.c - the socket table against sockets this test opens itself
 * (on loopback, in whatever network namespace it runs in): what a dump
 * lists, what the exact query finds, and that the /proc/net fallback agrees
 * with sock_diag. The comparison with ss in a namespace full of sockets of
 * every kind is tests/sockets_vs_ss.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wirewho/socktab.h"

static uint64_t inode_of(int fd)
{
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	return st.st_ino;
}

static uint16_t port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &l), 0);
	return ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
				       : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int tcp_listen(int family, const char *ip)
{
	int s = socket(family, SOCK_STREAM, 0);
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		inet_pton(AF_INET, ip, &a->sin_addr);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &a->sin6_addr);
	}
	assert_int_equal(bind(s, (struct sockaddr *)&ss, family == AF_INET ? sizeof(struct sockaddr_in)
									 : sizeof(struct sockaddr_in6)), 0);
	assert_int_equal(listen(s, 16), 0);
	return s;
}

static int tcp_connect4(uint16_t port)
{
	int c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	return c;
}

static const struct ww_sock *find_inode(struct ww_socktab *t, uint64_t ino)
{
	size_t n;
	const struct ww_sock *s = ww_socktab_socks(t, &n);
	for (size_t i = 0; i < n; i++)
		if (s[i].inode == ino)
			return &s[i];
	return NULL;
}

static void lo4(struct ww_addr *a)
{
	uint8_t v4[4] = { 127, 0, 0, 1 };
	ww_addr_from_v4(a, v4);
}

static void test_dump_lists_our_listener_connection_and_udp_sockets(void **st)
{
	(void)st;
	int l = tcp_listen(AF_INET, "127.0.0.1");
	uint16_t port = port_of(l);
	int c = tcp_connect4(port);
	int a = accept(l, NULL, NULL);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in ua = { .sin_family = AF_INET };
	ua.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(u, (struct sockaddr *)&ua, sizeof(ua)), 0);
	int uc = socket(AF_INET, SOCK_DGRAM, 0);
	ua.sin_port = htons(port_of(u));
	assert_int_equal(connect(uc, (struct sockaddr *)&ua, sizeof(ua)), 0);

	struct ww_socktab *t = ww_socktab_new(0);
	assert_non_null(t);
	assert_string_equal(ww_socktab_backend(t), "sock_diag");
	assert_int_equal(ww_socktab_dump(t, WW_SOCKTAB_ALL), 0);

	const struct ww_sock *s = find_inode(t, inode_of(l));
	assert_non_null(s);
	assert_int_equal(s->proto, WW_IPPROTO_TCP);
	assert_int_equal(s->state, WW_SS_LISTEN);
	assert_int_equal(s->lport, port);
	assert_int_equal(s->family, 4);
	assert_int_equal(s->uid, geteuid());
	assert_string_equal(ww_sock_state_name(s->proto, s->state), "LISTEN");

	s = find_inode(t, inode_of(c));
	assert_non_null(s);
	assert_int_equal(s->state, WW_SS_ESTABLISHED);
	assert_int_equal(s->rport, port);
	assert_int_equal(s->remote.b[12], 127);
	s = find_inode(t, inode_of(a));
	assert_non_null(s);
	assert_int_equal(s->lport, port);
	assert_int_equal(s->rport, port_of(c));

	s = find_inode(t, inode_of(u));
	assert_non_null(s);
	assert_int_equal(s->proto, WW_IPPROTO_UDP);
	assert_string_equal(ww_sock_state_name(s->proto, s->state), "UNCONN");
	s = find_inode(t, inode_of(uc));
	assert_non_null(s);
	assert_string_equal(ww_sock_state_name(s->proto, s->state), "ESTABLISHED");
	assert_int_equal(s->rport, port_of(u));

	ww_socktab_free(t);
	close(uc);
	close(u);
	close(a);
	close(c);
	close(l);
}

static void test_exact_query_finds_connection_and_listener(void **st)
{
	(void)st;
	int l = tcp_listen(AF_INET, "127.0.0.1");
	uint16_t port = port_of(l);
	int c = tcp_connect4(port);
	struct ww_socktab *t = ww_socktab_new(0);
	struct ww_addr lo;
	struct ww_sock s;
	lo4(&lo);
	/* the client end: local = its ephemeral port */
	assert_int_equal(ww_socktab_query_exact(t, WW_IPPROTO_TCP, 4, &lo, port_of(c), &lo, port, &s), 0);
	assert_int_equal(s.inode, inode_of(c));
	assert_int_equal(s.state, WW_SS_ESTABLISHED);
	/* a tuple no connection has yet: the listener that would take it */
	assert_int_equal(ww_socktab_query_exact(t, WW_IPPROTO_TCP, 4, &lo, port, &lo, 1, &s), 0);
	assert_int_equal(s.inode, inode_of(l));
	assert_int_equal(s.state, WW_SS_LISTEN);
	/* and nothing at all */
	close(l);
	assert_int_equal(ww_socktab_query_exact(t, WW_IPPROTO_TCP, 4, &lo, port, &lo, 1, &s), -ENOENT);
	ww_socktab_free(t);
	close(c);
}

static void test_exact_query_finds_udp_bound_and_connected(void **st)
{
	(void)st;
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(u, (struct sockaddr *)&a, sizeof(a)), 0);
	uint16_t port = port_of(u);
	int uc = socket(AF_INET, SOCK_DGRAM, 0);
	a.sin_port = htons(port);
	assert_int_equal(connect(uc, (struct sockaddr *)&a, sizeof(a)), 0);

	struct ww_socktab *t = ww_socktab_new(0);
	struct ww_addr lo;
	struct ww_sock s;
	lo4(&lo);
	/* datagram from uc to u: the bound socket receives it */
	assert_int_equal(ww_socktab_query_exact(t, WW_IPPROTO_UDP, 4, &lo, port, &lo, port_of(uc), &s), 0);
	assert_int_equal(s.inode, inode_of(u));
	/* datagram from u to uc: the connected socket */
	assert_int_equal(ww_socktab_query_exact(t, WW_IPPROTO_UDP, 4, &lo, port_of(uc), &lo, port, &s), 0);
	assert_int_equal(s.inode, inode_of(uc));
	ww_socktab_free(t);
	close(uc);
	close(u);
}

static void test_exact_query_with_ipv4_tuple_finds_dual_stack_socket(void **st)
{
	(void)st;
	int l = tcp_listen(AF_INET6, "::");
	uint16_t port = port_of(l);
	int c = tcp_connect4(port);
	int a = accept(l, NULL, NULL);
	struct ww_socktab *t = ww_socktab_new(0);
	struct ww_addr lo;
	struct ww_sock s;
	lo4(&lo);
	assert_int_equal(ww_socktab_query_exact(t, WW_IPPROTO_TCP, 4, &lo, port, &lo, port_of(c), &s), 0);
	assert_int_equal(s.inode, inode_of(a));
	assert_int_equal(s.family, 6);
	assert_true(ww_addr_is_v4(&s.local));   /* ::ffff:127.0.0.1 */
	ww_socktab_free(t);
	close(a);
	close(c);
	close(l);
}

static void test_procfs_fallback_agrees_with_sock_diag(void **st)
{
	(void)st;
	int l = tcp_listen(AF_INET6, "::1");
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	assert_int_equal(bind(u, (struct sockaddr *)&a, sizeof(a)), 0);
	struct ww_socktab *d = ww_socktab_new(0), *p = ww_socktab_new(WW_SOCKTAB_FORCE_PROCFS);
	assert_string_equal(ww_socktab_backend(p), "procfs");
	assert_int_equal(ww_socktab_dump(d, WW_SOCKTAB_TCP | WW_SOCKTAB_UDP), 0);
	assert_int_equal(ww_socktab_dump(p, WW_SOCKTAB_TCP | WW_SOCKTAB_UDP), 0);
	uint64_t inos[2] = { inode_of(l), inode_of(u) };
	for (int i = 0; i < 2; i++) {
		const struct ww_sock *x = find_inode(d, inos[i]), *y = find_inode(p, inos[i]);
		assert_non_null(x);
		assert_non_null(y);
		assert_memory_equal(&x->local, &y->local, sizeof(x->local));
		assert_memory_equal(&x->remote, &y->remote, sizeof(x->remote));
		assert_int_equal(x->lport, y->lport);
		assert_int_equal(x->rport, y->rport);
		assert_int_equal(x->state, y->state);
		assert_int_equal(x->proto, y->proto);
		assert_int_equal(x->family, y->family);
		assert_int_equal(x->uid, y->uid);
	}
	struct ww_sock s;
	struct ww_addr lo;
	lo4(&lo);
	assert_int_equal(ww_socktab_query_exact(p, WW_IPPROTO_TCP, 4, &lo, 1, &lo, 2, &s), -EOPNOTSUPP);
	ww_socktab_free(d);
	ww_socktab_free(p);
	close(u);
	close(l);
}

static void test_table_opened_through_a_namespace_fd_reads_that_namespace(void **st)
{
	(void)st;
	int fd = open("/proc/self/ns/net", O_RDONLY);
	assert_true(fd >= 0);
	struct ww_socktab *t = ww_socktab_new_in_netns(fd, getpid(), 0);
	close(fd);
	if (!t && (errno == EPERM))
		skip();   /* setns needs CAP_SYS_ADMIN */
	assert_non_null(t);
	struct stat stt;
	assert_int_equal(stat("/proc/self/ns/net", &stt), 0);
	assert_int_equal(ww_socktab_netns(t), stt.st_ino);
	ww_socktab_free(t);
}

static void test_state_names_round_trip(void **st)
{
	(void)st;
	for (int s = WW_SS_ESTABLISHED; s <= WW_SS_CLOSING; s++) {
		const char *n = ww_sock_state_name(WW_IPPROTO_TCP, (uint8_t)s);
		assert_int_equal(ww_sock_state_parse(n, strlen(n)), s);
	}
	assert_string_equal(ww_sock_state_name(WW_IPPROTO_TCP, WW_SS_CLOSE), "CLOSE");
	assert_string_equal(ww_sock_state_name(WW_IPPROTO_UDP, WW_SS_CLOSE), "UNCONN");
	assert_string_equal(ww_sock_state_name(WW_IPPROTO_TCP, WW_SS_NEW_SYN_RECV), "SYN_RECV");
	assert_int_equal(ww_sock_state_parse("unconn", 6), WW_SS_CLOSE);
	assert_int_equal(ww_sock_state_parse("LISTENING", 9), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_lists_our_listener_connection_and_udp_sockets),
		cmocka_unit_test(test_exact_query_finds_connection_and_listener),
		cmocka_unit_test(test_exact_query_finds_udp_bound_and_connected),
		cmocka_unit_test(test_exact_query_with_ipv4_tuple_finds_dual_stack_socket),
		cmocka_unit_test(test_procfs_fallback_agrees_with_sock_diag),
		cmocka_unit_test(test_table_opened_through_a_namespace_fd_reads_that_namespace),
		cmocka_unit_test(test_state_names_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
