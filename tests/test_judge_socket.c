/*
 * test_judge_socket.c - every verdict rule of the socket audit, on hand-made
 * socket tables (no kernel involved).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdlib.h>

#include "wirewho/judge_socket.h"

#define MAXS 16

static struct ww_sock socks[MAXS];
static struct ww_sock_view views[MAXS];
static size_t ns;
static struct ww_alert *alerts;
static size_t nalerts;

static struct ww_proc P_SSHD = { { 812, 0, "sshd", "/usr/sbin/sshd", "root" }, "sshd -D", 100 };
static struct ww_proc P_SSHD_CHILD = { { 990, 0, "sshd", "/usr/sbin/sshd", "root" }, "sshd: alice", 900 };
static struct ww_proc P_NC = { { 4242, 1000, "nc", "/usr/bin/nc.openbsd", "alice" }, "nc -l 4444", 5000 };
static struct ww_proc P_DNS = { { 300, 101, "named", "/usr/sbin/named", "bind" }, "named", 50 };
static struct ww_proc P_CURL = { { 5000, 1000, "curl", "/usr/bin/curl", "alice" }, "curl x", 6000 };

static void addr(struct ww_addr *a, const char *s)
{
	uint8_t v4[4];
	if (inet_pton(AF_INET, s, v4) == 1)
		ww_addr_from_v4(a, v4);
	else
		assert_int_equal(inet_pton(AF_INET6, s, a->b), 1);
}

/* Add a socket; `rem` NULL for none. Returns its index. */
static size_t add(uint8_t proto, uint8_t state, int family, const char *loc, uint16_t lport,
		  const char *rem, uint16_t rport, const struct ww_proc *owner)
{
	assert_true(ns < MAXS);
	struct ww_sock *s = &socks[ns];
	memset(s, 0, sizeof(*s));
	s->proto = proto;
	s->state = state;
	s->family = (uint8_t)family;
	addr(&s->local, loc);
	addr(&s->remote, rem ? rem : (family == 4 ? "0.0.0.0" : "::"));
	s->lport = lport;
	s->rport = rport;
	s->inode = 1000 + ns;
	memset(&views[ns], 0, sizeof(views[ns]));
	views[ns].s = s;
	views[ns].netns = 4026531840u;
	if (owner) {
		views[ns].owners[0] = owner;
		views[ns].n_owners = 1;
	} else {
		views[ns].owner_reason = "permission";
	}
	return ns++;
}

static int setup(void **st)
{
	(void)st;
	ns = 0;
	free(alerts);
	alerts = NULL;
	nalerts = 0;
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	free(alerts);
	alerts = NULL;
	return 0;
}

static void audit(const char *policy_text)
{
	struct ww_policy *pol = NULL;
	char err[256];
	if (policy_text)
		assert_int_equal(ww_policy_parse(policy_text, strlen(policy_text), "p", &pol, err,
						 sizeof(err)), 0);
	ww_judge_socket_prepare(views, ns, 1);
	assert_int_equal(ww_judge_socket_run(pol, views, ns, 1, &alerts, &nalerts), 0);
	ww_policy_free(pol);
}

/* The alert raised about socket i, or NULL. */
static const struct ww_alert *alert_for(size_t i)
{
	for (size_t k = 0; k < nalerts; k++)
		if (alerts[k].sock == &socks[i])
			return &alerts[k];
	return NULL;
}

static void test_listener_bound_to_loopback_is_ignored(void **st)
{
	(void)st;
	size_t a = add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "127.0.0.1", 631, NULL, 0, &P_SSHD);
	size_t b = add(WW_IPPROTO_TCP, WW_SS_LISTEN, 6, "::1", 631, NULL, 0, &P_SSHD);
	audit(NULL);
	assert_int_equal(views[a].verdict, WW_VERDICT_IGNORED);
	assert_int_equal(views[b].verdict, WW_VERDICT_IGNORED);
	assert_string_equal(views[a].reason, "loopback only");
	assert_int_equal(nalerts, 0);
}

static void test_listener_on_every_interface_needs_review_and_names_process(void **st)
{
	(void)st;
	size_t a = add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "0.0.0.0", 4444, NULL, 0, &P_NC);
	audit(NULL);
	assert_int_equal(views[a].verdict, WW_VERDICT_REVIEW);
	assert_int_equal(views[a].bind, WW_BIND_ANY);
	const struct ww_alert *al = alert_for(a);
	assert_non_null(al);
	assert_int_equal(al->kind, WW_ALERT_UNEXPLAINED_LISTENER);
	assert_int_equal(al->severity, WW_SEV_MEDIUM);
	assert_string_equal(al->ev.rule, "unexplained_listener");
	assert_non_null(strstr(al->message, "nc[4242]"));
	assert_non_null(strstr(al->message, "0.0.0.0:4444"));
}

static void test_listener_on_one_interface_is_low_severity(void **st)
{
	(void)st;
	size_t a = add(WW_IPPROTO_TCP, WW_SS_LISTEN, 6, "2001:db8::10", 8080, NULL, 0, &P_NC);
	audit(NULL);
	assert_int_equal(views[a].bind, WW_BIND_INTERFACE);
	assert_int_equal(alert_for(a)->severity, WW_SEV_LOW);
}

static void test_udp_with_tcp_twin_is_folded_into_the_listener(void **st)
{
	(void)st;
	size_t t = add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "0.0.0.0", 53, NULL, 0, &P_DNS);
	size_t u = add(WW_IPPROTO_UDP, WW_SS_CLOSE, 6, "::", 53, NULL, 0, &P_DNS);
	audit(NULL);
	assert_int_equal(views[u].twin, (int)t);
	assert_int_equal(views[t].udp_twins, 1);
	assert_null(alert_for(u));
	assert_int_equal(views[u].verdict, WW_VERDICT_REVIEW);   /* the listener's verdict */
	assert_non_null(strstr(alert_for(t)->message, "UDP twin"));
	assert_int_equal(nalerts, 1);
}

static void test_udp_twin_of_an_explained_listener_is_explained(void **st)
{
	(void)st;
	add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "0.0.0.0", 53, NULL, 0, &P_DNS);
	size_t u = add(WW_IPPROTO_UDP, WW_SS_CLOSE, 4, "192.0.2.1", 53, NULL, 0, &P_DNS);
	audit("allow comm=named proto=tcp port=53\n");
	assert_int_equal(views[u].verdict, WW_VERDICT_EXPLAINED);
	assert_int_equal(nalerts, 0);
}

static void test_udp_without_twin_is_unexplained_udp(void **st)
{
	(void)st;
	size_t u = add(WW_IPPROTO_UDP, WW_SS_CLOSE, 4, "0.0.0.0", 31337, NULL, 0, &P_NC);
	/* a TCP listener on the same port but only on loopback is no twin */
	add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "127.0.0.1", 31337, NULL, 0, &P_NC);
	audit(NULL);
	assert_int_equal(views[u].twin, -1);
	assert_int_equal(alert_for(u)->kind, WW_ALERT_UNEXPLAINED_UDP);
}

static void test_udp_twin_must_be_in_the_same_namespace(void **st)
{
	(void)st;
	add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "0.0.0.0", 53, NULL, 0, &P_DNS);
	size_t u = add(WW_IPPROTO_UDP, WW_SS_CLOSE, 4, "0.0.0.0", 53, NULL, 0, &P_DNS);
	views[u].netns = 4026532000u;
	audit(NULL);
	assert_int_equal(alert_for(u)->kind, WW_ALERT_UNEXPLAINED_UDP);
}

static struct ww_proc P_ROGUE = { { 6666, 0, "kworker", "/tmp/.x/socat", "root" }, "kworker", 7000 };

static void test_rogue_udp_socket_next_to_sshd_is_not_its_twin(void **st)
{
	(void)st;
	size_t t = add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "0.0.0.0", 22, NULL, 0, &P_SSHD);
	size_t u = add(WW_IPPROTO_UDP, WW_SS_CLOSE, 4, "0.0.0.0", 22, NULL, 0, &P_ROGUE);
	audit("allow exe=/usr/sbin/sshd proto=tcp state=LISTEN port=22\n");
	assert_int_equal(views[u].twin, -1);
	assert_null(views[u].twin_of);
	assert_int_equal(views[t].udp_twins, 0);
	assert_int_equal(views[t].verdict, WW_VERDICT_EXPLAINED);
	assert_int_equal(views[u].verdict, WW_VERDICT_REVIEW);
	const struct ww_alert *al = alert_for(u);
	assert_non_null(al);
	assert_int_equal(al->kind, WW_ALERT_UNEXPLAINED_UDP);
	assert_non_null(strstr(al->message, "kworker[6666]"));
}

static void test_udp_twin_by_the_same_executable_in_another_process_says_whose(void **st)
{
	(void)st;
	static struct ww_proc P_DNS2 = { { 301, 101, "named", "/usr/sbin/named", "bind" }, "named", 51 };
	size_t t = add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "0.0.0.0", 53, NULL, 0, &P_DNS);
	size_t u = add(WW_IPPROTO_UDP, WW_SS_CLOSE, 4, "0.0.0.0", 53, NULL, 0, &P_DNS2);
	audit("allow comm=named proto=tcp port=53\n");
	assert_int_equal(views[u].twin, (int)t);
	assert_ptr_equal(views[u].twin_of, &socks[t]);
	assert_int_equal(views[u].twin_by, WW_TWIN_EXECUTABLE);
	assert_int_equal(views[u].twin_pid, 300);
	assert_int_equal(views[u].verdict, WW_VERDICT_EXPLAINED);
	assert_non_null(strstr(views[u].reason, "named[300]"));
}

/*
 * A made-up process tree: pid -> parent, and which pids lead a session.
 * 700 is a daemon (session leader, like every daemonised master) holding
 * TCP 5353; 701 its helper child with another executable, 702 a grandchild
 * through a plain shell 703... see each test.
 */
struct fake_proc { int pid, ppid; bool leader; };
static const struct fake_proc *fake_tree;
static size_t fake_n;

static int fake_parent(void *ctx, int pid, bool *leader)
{
	(void)ctx;
	for (size_t i = 0; i < fake_n; i++)
		if (fake_tree[i].pid == pid) {
			*leader = fake_tree[i].leader;
			return fake_tree[i].ppid;
		}
	return -1;
}

static void audit_tree(const struct fake_proc *t, size_t n, const char *policy_text)
{
	struct ww_policy *pol = NULL;
	char err[256];
	static const struct ww_judge_tree tree = { fake_parent, NULL };
	fake_tree = t;
	fake_n = n;
	if (policy_text)
		assert_int_equal(ww_policy_parse(policy_text, strlen(policy_text), "p", &pol, err,
						 sizeof(err)), 0);
	ww_judge_socket_prepare_tree(views, ns, 1, &tree);
	assert_int_equal(ww_judge_socket_run(pol, views, ns, 1, &alerts, &nalerts), 0);
	ww_policy_free(pol);
}

static struct ww_proc P_MASTER = { { 700, 0, "dnsd", "/usr/sbin/dnsd", "root" }, "dnsd", 10 };
static struct ww_proc P_HELPER = { { 701, 0, "dnsd-udp", "/usr/lib/dnsd/udp-helper", "root" },
				   "udp-helper", 11 };
static struct ww_proc P_GRANDCHILD = { { 702, 0, "udp-helper", "/usr/lib/dnsd/udp-helper", "root" },
				       "udp-helper", 12 };

static void test_udp_socket_of_a_daemons_child_with_another_exe_is_its_twin_by_process_tree(void **st)
{
	(void)st;
	static const struct fake_proc t[] = { { 700, 1, true }, { 701, 700, false } };
	size_t l = add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "0.0.0.0", 5353, NULL, 0, &P_MASTER);
	size_t u = add(WW_IPPROTO_UDP, WW_SS_CLOSE, 4, "0.0.0.0", 5353, NULL, 0, &P_HELPER);
	audit_tree(t, 2, "allow exe=/usr/sbin/dnsd proto=tcp state=LISTEN port=5353\n");
	assert_int_equal(views[u].twin, (int)l);
	assert_int_equal(views[u].twin_by, WW_TWIN_TREE);
	assert_int_equal(views[u].twin_pid, 700);
	assert_string_equal(ww_twin_by_name(views[u].twin_by), "process_tree");
	assert_int_equal(views[u].verdict, WW_VERDICT_EXPLAINED);
	assert_int_equal(nalerts, 0);
}

static void test_a_wrapper_holding_udp_is_the_twin_of_its_grandchilds_listener(void **st)
{
	(void)st;
	/* 702 (TCP) <- 703 sh <- 700 (UDP): the tree goes up from either side */
	static const struct fake_proc t[] = { { 700, 1, true }, { 703, 700, false }, { 702, 703, false } };
	size_t l = add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "0.0.0.0", 5353, NULL, 0, &P_GRANDCHILD);
	size_t u = add(WW_IPPROTO_UDP, WW_SS_CLOSE, 4, "0.0.0.0", 5353, NULL, 0, &P_MASTER);
	audit_tree(t, 3, NULL);
	assert_int_equal(views[u].twin, (int)l);
	assert_int_equal(views[u].twin_by, WW_TWIN_TREE);
	assert_int_equal(views[u].twin_pid, 700);
}

static void test_siblings_and_a_program_started_from_a_login_under_the_daemon_are_not_twins(void **st)
{
	(void)st;
	/*
	 * sshd's master 812 holds TCP 22. A rogue 6666 on UDP 22 was started
	 * from a shell 905 of an ssh session 990 (a session leader): it
	 * descends from 812, but through another session. 6667, a sibling of
	 * 812's child, shares only init.
	 */
	static const struct fake_proc t[] = {
		{ 812, 1, true }, { 990, 812, true }, { 905, 990, true }, { 6666, 905, false },
		{ 6667, 1, false },
	};
	static struct ww_proc P_SIB = { { 6667, 0, "socat", "/usr/bin/socat", "root" }, "socat", 7001 };
	size_t l = add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "0.0.0.0", 22, NULL, 0, &P_SSHD);
	size_t u = add(WW_IPPROTO_UDP, WW_SS_CLOSE, 4, "0.0.0.0", 22, NULL, 0, &P_ROGUE);
	size_t l2 = add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "0.0.0.0", 80, NULL, 0, &P_NC);
	size_t u2 = add(WW_IPPROTO_UDP, WW_SS_CLOSE, 4, "0.0.0.0", 80, NULL, 0, &P_SIB);
	audit_tree(t, 5, "allow exe=/usr/sbin/sshd proto=tcp state=LISTEN port=22\n");
	(void)l;
	(void)l2;
	assert_int_equal(views[u].twin, -1);
	assert_int_equal(views[u2].twin, -1);
	assert_int_equal(alert_for(u)->kind, WW_ALERT_UNEXPLAINED_UDP);
	assert_int_equal(alert_for(u2)->kind, WW_ALERT_UNEXPLAINED_UDP);
}

static void test_listeners_held_by_init_make_no_process_its_twin(void **st)
{
	(void)st;
	/* systemd (pid 1) holds socket-activated listeners: every process descends from it */
	static struct ww_proc P_INIT = { { 1, 0, "systemd", "/usr/lib/systemd/systemd", "root" }, "init", 1 };
	static const struct fake_proc t[] = { { 4242, 1, false } };
	add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "0.0.0.0", 4444, NULL, 0, &P_INIT);
	size_t u = add(WW_IPPROTO_UDP, WW_SS_CLOSE, 4, "0.0.0.0", 4444, NULL, 0, &P_NC);
	audit_tree(t, 1, NULL);
	assert_int_equal(views[u].twin, -1);
}

static void test_an_ancestor_beyond_the_depth_bound_is_not_the_tree(void **st)
{
	(void)st;
	/* 700 -> 710 -> 711 -> 712 -> 713 -> 701: five generations up */
	static const struct fake_proc t[] = {
		{ 700, 1, true }, { 710, 700, false }, { 711, 710, false }, { 712, 711, false },
		{ 713, 712, false }, { 701, 713, false },
	};
	add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "0.0.0.0", 5353, NULL, 0, &P_MASTER);
	size_t u = add(WW_IPPROTO_UDP, WW_SS_CLOSE, 4, "0.0.0.0", 5353, NULL, 0, &P_HELPER);
	audit_tree(t, 6, NULL);
	assert_int_equal(views[u].twin, -1);
}

static void test_udp_socket_with_unknown_owner_is_nobodys_twin(void **st)
{
	(void)st;
	add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "0.0.0.0", 53, NULL, 0, &P_DNS);
	size_t u = add(WW_IPPROTO_UDP, WW_SS_CLOSE, 4, "0.0.0.0", 53, NULL, 0, NULL);
	audit(NULL);
	assert_int_equal(views[u].twin, -1);
	assert_int_equal(alert_for(u)->kind, WW_ALERT_UNEXPLAINED_UDP);
}

static void test_udp_bound_to_loopback_is_ignored(void **st)
{
	(void)st;
	size_t u = add(WW_IPPROTO_UDP, WW_SS_CLOSE, 4, "127.0.0.53", 53, NULL, 0, &P_DNS);
	audit(NULL);
	assert_int_equal(views[u].verdict, WW_VERDICT_IGNORED);
}

static void test_outbound_connection_to_internet_is_unexplained_established(void **st)
{
	(void)st;
	size_t c = add(WW_IPPROTO_TCP, WW_SS_ESTABLISHED, 4, "192.0.2.10", 51000, "93.184.216.34",
		       443, &P_CURL);
	audit(NULL);
	assert_int_equal(views[c].dir, WW_DIR_OUT);
	assert_int_equal(views[c].remote, WW_REMOTE_INTERNET);
	const struct ww_alert *al = alert_for(c);
	assert_int_equal(al->kind, WW_ALERT_UNEXPLAINED_EST);
	assert_non_null(strstr(al->message, "outbound"));
	assert_non_null(strstr(al->message, "curl[5000]"));
}

static void test_accepted_connection_on_a_listener_port_is_inbound(void **st)
{
	(void)st;
	add(WW_IPPROTO_TCP, WW_SS_LISTEN, 6, "::", 22, NULL, 0, &P_SSHD);
	size_t c = add(WW_IPPROTO_TCP, WW_SS_ESTABLISHED, 6, "::ffff:192.0.2.10", 22,
		       "::ffff:8.8.4.4", 50123, &P_SSHD_CHILD);
	audit("allow comm=sshd state=LISTEN\n");
	assert_int_equal(views[c].dir, WW_DIR_IN);
	assert_int_equal(views[c].remote, WW_REMOTE_INTERNET);   /* mapped IPv4 read as IPv4 */
	assert_non_null(strstr(alert_for(c)->message, "inbound"));
}

static void test_connection_to_private_peer_needs_no_review(void **st)
{
	(void)st;
	size_t c = add(WW_IPPROTO_TCP, WW_SS_ESTABLISHED, 4, "10.0.0.5", 40000, "10.0.0.1", 5432,
		       &P_CURL);
	audit(NULL);
	assert_int_equal(views[c].verdict, WW_VERDICT_IGNORED);
	assert_string_equal(views[c].reason, "peer is private");
	assert_int_equal(nalerts, 0);
}

static void test_time_wait_to_internet_is_not_an_active_connection(void **st)
{
	(void)st;
	size_t c = add(WW_IPPROTO_TCP, WW_SS_TIME_WAIT, 4, "192.0.2.10", 40000, "1.1.1.1", 443, NULL);
	audit(NULL);
	assert_int_equal(views[c].verdict, WW_VERDICT_IGNORED);
	assert_int_equal(nalerts, 0);
}

static void test_listen_with_remote_address_is_state_anomaly(void **st)
{
	(void)st;
	size_t a = add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "0.0.0.0", 80, "6.6.6.6", 1234, &P_NC);
	audit("allow comm=nc\n");   /* an allow rule does not hide a structural anomaly */
	const struct ww_alert *al = alert_for(a);
	assert_int_equal(al->kind, WW_ALERT_STATE_ANOMALY);
	assert_int_equal(al->severity, WW_SEV_HIGH);
	assert_int_equal(views[a].verdict, WW_VERDICT_REVIEW);
}

static void test_established_without_peer_is_state_anomaly(void **st)
{
	(void)st;
	size_t a = add(WW_IPPROTO_TCP, WW_SS_ESTABLISHED, 4, "127.0.0.1", 9000, NULL, 0, &P_NC);
	size_t u = add(WW_IPPROTO_UDP, WW_SS_ESTABLISHED, 4, "0.0.0.0", 9001, NULL, 0, &P_NC);
	audit(NULL);
	assert_int_equal(alert_for(a)->kind, WW_ALERT_STATE_ANOMALY);
	assert_int_equal(alert_for(u)->kind, WW_ALERT_STATE_ANOMALY);
}

static void test_ignore_rule_silences_even_an_anomaly(void **st)
{
	(void)st;
	size_t a = add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "0.0.0.0", 80, "6.6.6.6", 1234, &P_NC);
	audit("ignore port=80\n");
	assert_int_equal(views[a].verdict, WW_VERDICT_IGNORED);
	assert_int_equal(nalerts, 0);
}

static void test_policy_allow_explains_and_records_its_line(void **st)
{
	(void)st;
	size_t a = add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "0.0.0.0", 22, NULL, 0, &P_SSHD);
	audit("# ssh\nallow exe=/usr/sbin/sshd state=LISTEN port=22\n");
	assert_int_equal(views[a].verdict, WW_VERDICT_EXPLAINED);
	assert_int_equal(views[a].rule_line, 2);
	assert_int_equal(nalerts, 0);
}

static void test_review_rule_on_an_established_socket_names_its_peer_at_high_severity(void **st)
{
	(void)st;
	size_t c = add(WW_IPPROTO_TCP, WW_SS_ESTABLISHED, 4, "192.0.2.1", 41000, "198.51.100.9", 4444,
		       &P_NC);
	audit("review comm=nc\n");
	const struct ww_alert *al = alert_for(c);
	assert_non_null(al);
	assert_int_equal(al->kind, WW_ALERT_UNEXPLAINED_PROCESS);
	assert_int_equal(al->severity, WW_SEV_HIGH);   /* as the same rule gives a flow */
	assert_non_null(strstr(al->message, "198.51.100.9:4444"));
}

static void test_a_masquerading_owner_raises_the_alert_one_level(void **st)
{
	(void)st;
	static struct ww_proc P_FAKE = { { 4343, 0, "sshd", "/tmp/.x/sshd", "root", 0x3 }, "sshd", 100 };
	size_t a = add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "0.0.0.0", 2222, NULL, 0, &P_FAKE);
	size_t b = add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "192.0.2.1", 2223, NULL, 0, &P_FAKE);
	audit(NULL);
	assert_int_equal(alert_for(a)->severity, WW_SEV_HIGH);     /* medium, raised */
	assert_int_equal(alert_for(b)->severity, WW_SEV_MEDIUM);   /* low, raised */
	assert_non_null(strstr(alert_for(a)->message, "masquerading indicators (deleted_exe, temp_exe)"));
}

static void test_policy_review_flags_even_a_loopback_socket(void **st)
{
	(void)st;
	size_t a = add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "127.0.0.1", 4444, NULL, 0, &P_NC);
	audit("review comm=nc\n");
	const struct ww_alert *al = alert_for(a);
	assert_int_equal(al->kind, WW_ALERT_UNEXPLAINED_PROCESS);
	assert_string_equal(al->ev.rule, "policy p:1: review comm=nc");
	assert_int_equal(al->ev.rule_line, 1);
}

static void test_shared_socket_is_explained_by_any_owner(void **st)
{
	(void)st;
	size_t a = add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "0.0.0.0", 8080, NULL, 0, &P_NC);
	views[a].owners[1] = &P_SSHD;
	views[a].n_owners = 2;
	audit("allow comm=sshd port=8080\n");
	assert_int_equal(views[a].verdict, WW_VERDICT_EXPLAINED);
}

static void test_unknown_owner_is_explained_only_by_a_rule_without_process(void **st)
{
	(void)st;
	size_t a = add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "0.0.0.0", 2024, NULL, 0, NULL);
	size_t b = add(WW_IPPROTO_TCP, WW_SS_LISTEN, 4, "0.0.0.0", 2025, NULL, 0, NULL);
	audit("allow comm=* port=2024\nallow proto=tcp port=2025\n");
	assert_int_equal(views[a].verdict, WW_VERDICT_REVIEW);
	assert_non_null(strstr(alert_for(a)->message, "owner permission"));
	assert_int_equal(views[b].verdict, WW_VERDICT_EXPLAINED);
}

static void test_raw_socket_is_a_finding(void **st)
{
	(void)st;
	size_t a = add(WW_SOCK_PROTO_RAW, WW_SS_CLOSE, 4, "0.0.0.0", 1, NULL, 0, &P_NC);
	socks[a].raw_proto = 1;
	audit(NULL);
	assert_int_equal(alert_for(a)->kind, WW_ALERT_UNEXPLAINED_PROCESS);
	assert_int_equal(alert_for(a)->severity, WW_SEV_HIGH);
	assert_string_equal(alert_for(a)->ev.rule, "raw_socket");
}

static void test_verdict_names_match_the_interface_contract(void **st)
{
	(void)st;
	assert_string_equal(ww_verdict_name(WW_VERDICT_IGNORED), "ignored");
	assert_string_equal(ww_verdict_name(WW_VERDICT_EXPLAINED), "explained");
	assert_string_equal(ww_verdict_name(WW_VERDICT_REVIEW), "review");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_listener_bound_to_loopback_is_ignored),
		T(test_listener_on_every_interface_needs_review_and_names_process),
		T(test_listener_on_one_interface_is_low_severity),
		T(test_udp_with_tcp_twin_is_folded_into_the_listener),
		T(test_udp_twin_of_an_explained_listener_is_explained),
		T(test_udp_without_twin_is_unexplained_udp),
		T(test_udp_twin_must_be_in_the_same_namespace),
		T(test_rogue_udp_socket_next_to_sshd_is_not_its_twin),
		T(test_udp_twin_by_the_same_executable_in_another_process_says_whose),
		T(test_udp_socket_with_unknown_owner_is_nobodys_twin),
		T(test_udp_socket_of_a_daemons_child_with_another_exe_is_its_twin_by_process_tree),
		T(test_a_wrapper_holding_udp_is_the_twin_of_its_grandchilds_listener),
		T(test_siblings_and_a_program_started_from_a_login_under_the_daemon_are_not_twins),
		T(test_listeners_held_by_init_make_no_process_its_twin),
		T(test_an_ancestor_beyond_the_depth_bound_is_not_the_tree),
		T(test_udp_bound_to_loopback_is_ignored),
		T(test_outbound_connection_to_internet_is_unexplained_established),
		T(test_accepted_connection_on_a_listener_port_is_inbound),
		T(test_connection_to_private_peer_needs_no_review),
		T(test_time_wait_to_internet_is_not_an_active_connection),
		T(test_listen_with_remote_address_is_state_anomaly),
		T(test_established_without_peer_is_state_anomaly),
		T(test_ignore_rule_silences_even_an_anomaly),
		T(test_policy_allow_explains_and_records_its_line),
		T(test_policy_review_flags_even_a_loopback_socket),
		T(test_a_masquerading_owner_raises_the_alert_one_level),
		T(test_review_rule_on_an_established_socket_names_its_peer_at_high_severity),
		T(test_shared_socket_is_explained_by_any_owner),
		T(test_unknown_owner_is_explained_only_by_a_rule_without_process),
		T(test_raw_socket_is_a_finding),
		T(test_verdict_names_match_the_interface_contract),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
