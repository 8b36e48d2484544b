/*
 * test_kattr.c - the kernel attribution engine against real short-lived
 * processes on loopback: a child connects (TCP) or sends (UDP) and exits at
 * once, and only then is the engine asked who owned the socket. The /proc
 * path cannot answer that any more; the kernel's record can. Needs root and
 * an engine that can load (skipped otherwise, saying why).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wirewho/kattr.h"
#include "test_util.h"

static struct ww_kattr *open_or_skip(void)
{
	char err[256];
	struct ww_kattr *k = ww_kattr_open(ww_kattr_netns_cookie(), NULL, err, sizeof(err));
	if (!k) {
		print_message("skipped: %s\n", err);
		skip();
	}
	return k;
}

/* A server socket on 127.0.0.1, its port in *port. */
static int server(int type, uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int s = socket(AF_INET, type, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(s, 8), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return s;
}

/*
 * Fork a child named `name` that connects to 127.0.0.1:port, sends one
 * byte and exits; wait for it. Returns its pid; its source port in *sport
 * (sent back through a pipe before it exits).
 */
static pid_t short_lived_client(int type, uint16_t port, const char *name, uint16_t *sport)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
		socklen_t len = sizeof(sa);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		prctl(PR_SET_NAME, name);
		int s = socket(AF_INET, type, 0);
		if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || send(s, "x", 1, 0) != 1)
			_exit(1);
		getsockname(s, (struct sockaddr *)&sa, &len);
		uint16_t sp = ntohs(sa.sin_port);
		(void)!write(p[1], &sp, sizeof(sp));
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], sport, sizeof(*sport)), (ssize_t)sizeof(*sport));
	close(p[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return pid;
}

static void check_exited_client_is_named(int type, uint8_t proto, const char *name)
{
	struct ww_kattr *k = open_or_skip();
	uint16_t port, sport;
	int srv = server(type, &port);
	pid_t pid = short_lived_client(type, port, name, &sport);
	struct ww_addr lo = ww_test_addr("127.0.0.1");
	struct ww_kattr_hit hit;

	assert_int_equal(ww_kattr_lookup(k, proto, &lo, sport, &lo, port, false, ww_wall_now(), &hit), 0);
	assert_int_equal(hit.owner.pid, pid);
	assert_string_equal(hit.owner.comm, name);
	assert_int_equal(hit.owner.uid, (int)geteuid());
	assert_int_equal(hit.ppid, getpid());
	assert_false(hit.listener);
	assert_true(hit.exited);
	/* forked without exec: the parent's program */
	assert_non_null(hit.owner.exe);
	close(srv);
	ww_kattr_close(k);
}

static void test_tcp_client_that_connected_and_exited_is_named_by_the_kernel(void **state)
{
	(void)state;
	check_exited_client_is_named(SOCK_STREAM, WW_IPPROTO_TCP, "wwkt-tcp");
}

static void test_udp_client_that_sent_and_exited_is_named_by_the_kernel(void **state)
{
	(void)state;
	check_exited_client_is_named(SOCK_DGRAM, WW_IPPROTO_UDP, "wwkt-udp");
}

/*
 * A child that execs bash, which connects, sends and exits: once it is
 * gone, the kernel's records alone say who it was: its command line (the
 * exec record's argv), its parent (this test: its comm and program).
 */
static void test_an_execd_client_that_exited_is_named_with_its_command_line_and_parent(void **state)
{
	(void)state;
	if (access("/bin/bash", X_OK) < 0)
		skip();
	struct ww_kattr *k = open_or_skip();
	uint16_t port;
	int srv = server(SOCK_STREAM, &port);
	char script[64];
	snprintf(script, sizeof(script), "echo x > /dev/tcp/127.0.0.1/%u", port);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/bin/bash", "bash", "-c", script, (char *)NULL);
		_exit(127);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	int c = accept(srv, (struct sockaddr *)&peer, &len);
	assert_true(c >= 0);
	struct ww_addr lo = ww_test_addr("127.0.0.1");
	struct ww_kattr_hit hit;
	assert_int_equal(ww_kattr_lookup(k, WW_IPPROTO_TCP, &lo, ntohs(peer.sin_port), &lo, port, false,
					 ww_wall_now(), &hit), 0);
	assert_int_equal(hit.owner.pid, pid);
	assert_true(hit.exited);
	assert_string_equal(hit.owner.comm, "bash");
	char want[128];
	snprintf(want, sizeof(want), "bash -c %s", script);
	assert_non_null(hit.owner.cmdline);
	assert_string_equal(hit.owner.cmdline, want);
	assert_int_equal(hit.owner.ppid, getpid());
	assert_string_equal(hit.owner.parent_comm, "test_kattr");
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_non_null(hit.owner.parent_exe);
	assert_string_equal(hit.owner.parent_exe, exe);
	close(c);
	close(srv);
	ww_kattr_close(k);
}

static void test_unconnected_udp_sender_is_named_for_each_peer(void **state)
{
	(void)state;
	struct ww_kattr *k = open_or_skip();
	uint16_t pa, pb, sport;
	int sa_ = server(SOCK_DGRAM, &pa), sb = server(SOCK_DGRAM, &pb), p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_in to = { .sin_family = AF_INET };
		socklen_t len = sizeof(to);
		to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		prctl(PR_SET_NAME, "wwkt-sendto");
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		to.sin_port = htons(pa);
		if (s < 0 || sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)) != 1)
			_exit(1);
		to.sin_port = htons(pb);
		if (sendto(s, "y", 1, 0, (struct sockaddr *)&to, sizeof(to)) != 1)
			_exit(1);
		getsockname(s, (struct sockaddr *)&to, &len);
		uint16_t sp = ntohs(to.sin_port);
		(void)!write(p[1], &sp, sizeof(sp));
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &sport, sizeof(sport)), (ssize_t)sizeof(sport));
	close(p[0]);
	assert_int_equal(waitpid(pid, NULL, 0), pid);

	struct ww_addr lo = ww_test_addr("127.0.0.1");
	struct ww_kattr_hit hit;
	assert_int_equal(ww_kattr_lookup(k, WW_IPPROTO_UDP, &lo, sport, &lo, pa, false, ww_wall_now(), &hit), 0);
	assert_int_equal(hit.owner.pid, pid);
	assert_string_equal(hit.owner.comm, "wwkt-sendto");
	assert_int_equal(ww_kattr_lookup(k, WW_IPPROTO_UDP, &lo, sport, &lo, pb, false, ww_wall_now(), &hit), 0);
	assert_int_equal(hit.owner.pid, pid);
	close(sa_);
	close(sb);
	ww_kattr_close(k);
}

static void test_inbound_flow_is_named_by_its_listener_and_not_after_close(void **state)
{
	(void)state;
	struct ww_kattr *k = open_or_skip();
	uint16_t port;
	int srv = server(SOCK_STREAM, &port);
	struct ww_addr lo = ww_test_addr("127.0.0.1"), peer = ww_test_addr("127.0.0.1");
	struct ww_kattr_hit hit;

	assert_int_equal(ww_kattr_lookup(k, WW_IPPROTO_TCP, &lo, port, &peer, 40000, true,
					 ww_wall_now(), &hit), 0);
	assert_int_equal(hit.owner.pid, getpid());
	assert_true(hit.listener);
	close(srv);
	assert_int_equal(ww_kattr_lookup(k, WW_IPPROTO_TCP, &lo, port, &peer, 40000, true,
					 ww_wall_now(), &hit), -ENOENT);
	ww_kattr_close(k);
}

static void test_a_flow_nobody_opened_is_not_found(void **state)
{
	(void)state;
	struct ww_kattr *k = open_or_skip();
	struct ww_addr a = ww_test_addr("192.0.2.1"), b = ww_test_addr("192.0.2.2");
	struct ww_kattr_hit hit;
	struct ww_kattr_stats st;
	assert_int_equal(ww_kattr_lookup(k, WW_IPPROTO_TCP, &a, 1234, &b, 80, false, ww_wall_now(), &hit),
			 -ENOENT);
	ww_kattr_stats(k, &st);
	assert_int_equal(st.misses, 1);
	ww_kattr_close(k);
}

static void test_a_bogus_btf_path_is_refused_with_its_reason(void **state)
{
	(void)state;
	char err[256] = "";
	struct ww_kattr *k = ww_kattr_open(0, "/nonexistent/wirewho-btf", err, sizeof(err));
	assert_null(k);
	if (ww_kattr_built())
		assert_non_null(strstr(err, "/nonexistent/wirewho-btf"));
	else
		assert_non_null(strstr(err, "not built"));
}

static void test_modes_parse_and_others_are_refused(void **state)
{
	(void)state;
	enum ww_kattr_mode m;
	assert_int_equal(ww_kattr_parse_mode("auto", &m), 0);
	assert_int_equal(m, WW_KATTR_AUTO);
	assert_int_equal(ww_kattr_parse_mode("bpf", &m), 0);
	assert_int_equal(m, WW_KATTR_BPF);
	assert_int_equal(ww_kattr_parse_mode("proc", &m), 0);
	assert_int_equal(m, WW_KATTR_PROC);
	assert_int_equal(ww_kattr_parse_mode("ebpf", &m), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes_parse_and_others_are_refused),
		cmocka_unit_test(test_a_bogus_btf_path_is_refused_with_its_reason),
		cmocka_unit_test(test_tcp_client_that_connected_and_exited_is_named_by_the_kernel),
		cmocka_unit_test(test_udp_client_that_sent_and_exited_is_named_by_the_kernel),
		cmocka_unit_test(test_an_execd_client_that_exited_is_named_with_its_command_line_and_parent),
		cmocka_unit_test(test_unconnected_udp_sender_is_named_for_each_peer),
		cmocka_unit_test(test_inbound_flow_is_named_by_its_listener_and_not_after_close),
		cmocka_unit_test(test_a_flow_nobody_opened_is_not_found),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
