/*
 * test_judge_flow.c - the policy judgement of flows: explained flows are quiet,
 * unexplained processes and unknown owners raise the right kind and
 * severity, `ignore` silences, `review` insists, a reload takes effect, and
 * a flood of identical alerts becomes one alert plus one summary with the
 * count and the first and last time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "wirewho/judge_flow.h"
#include "wirewho/procs.h"
#include "wirewho/policy.h"
#include "test_util.h"

#define SEC WW_USEC_PER_SEC
#define T0 (1795000000LL * SEC)

static struct ww_flow mkflow(const char *c, uint16_t cp, const char *s, uint16_t sp, uint8_t proto)
{
	return ww_test_flow(c, cp, s, sp, proto);
}

static struct ww_owner curl = { .pid = 100, .uid = 1000, .comm = "curl", .exe = "/usr/bin/curl", .user = "alice" };
static struct ww_owner sshd = { .pid = 22, .uid = 0, .comm = "sshd", .exe = "/usr/sbin/sshd", .user = "root" };
static struct ww_owner nc = { .pid = 666, .uid = 1000, .comm = "nc", .exe = "/usr/bin/nc", .user = "alice" };

static struct ww_judge *judge_with(const char *policy)
{
	struct ww_judge *j = ww_judge_new();
	assert_non_null(j);
	if (policy) {
		struct ww_policy *p = NULL;
		char err[256];
		assert_int_equal(ww_policy_parse(policy, strlen(policy), "test.policy", &p, err, sizeof(err)), 0);
		ww_judge_set_policy(j, p);
	}
	return j;
}

static const char *const POLICY =
	"allow comm=curl dir=out proto=tcp rport=80,443\n"
	"allow exe=/usr/sbin/sshd dir=in proto=tcp port=22\n"
	"review comm=nc\n"
	"ignore proto=udp port=5353\n";

static int judge(struct ww_judge *j, const struct ww_flow *f, const struct ww_owner *o,
		 bool server, ww_time_t t, struct ww_alert *out)
{
	struct ww_judge_flow in = {
		.f = f, .owner = o, .status = o ? "exact" : "unresolved",
		.reason = o ? "" : "socket closed before lookup", .local = true, .local_is_server = server,
	};
	return ww_judge_flow(j, &in, t, out, 4);
}

static void test_flows_the_policy_explains_raise_nothing(void **state)
{
	(void)state;
	struct ww_alert al[4];
	struct ww_judge *j = judge_with(POLICY);
	struct ww_flow web = mkflow("192.0.2.1", 40000, "192.0.2.2", 80, WW_IPPROTO_TCP);
	struct ww_flow ssh = mkflow("198.51.100.7", 50000, "192.0.2.1", 22, WW_IPPROTO_TCP);
	assert_int_equal(judge(j, &web, &curl, false, T0, al), 0);
	assert_int_equal(judge(j, &ssh, &sshd, true, T0, al), 0);
	ww_judge_free(j);
}

static void test_known_process_on_an_unexplained_port_is_unexplained_process(void **state)
{
	(void)state;
	struct ww_alert al[4];
	struct ww_judge *j = judge_with(POLICY);
	struct ww_flow odd = mkflow("192.0.2.1", 40000, "192.0.2.2", 8080, WW_IPPROTO_TCP);
	assert_int_equal(judge(j, &odd, &curl, false, T0, al), 1);
	assert_int_equal(al[0].kind, WW_ALERT_UNEXPLAINED_PROCESS);
	assert_int_equal(al[0].severity, WW_SEV_MEDIUM);
	assert_ptr_equal(al[0].flow, &odd);
	assert_non_null(strstr(al[0].message, "curl[100]"));
	assert_non_null(strstr(al[0].message, "192.0.2.2:8080/tcp"));
	assert_string_equal(al[0].ev.rule, "no rule matched");
	ww_judge_free(j);
}

static void test_review_rule_alerts_high_and_names_the_rule(void **state)
{
	(void)state;
	struct ww_alert al[4];
	struct ww_judge *j = judge_with(POLICY);
	struct ww_flow f = mkflow("192.0.2.1", 40000, "192.0.2.2", 443, WW_IPPROTO_TCP);
	assert_int_equal(judge(j, &f, &nc, false, T0, al), 1);
	assert_int_equal(al[0].kind, WW_ALERT_UNEXPLAINED_PROCESS);
	assert_int_equal(al[0].severity, WW_SEV_HIGH);
	assert_int_equal(al[0].ev.rule_line, 3);
	assert_string_equal(al[0].ev.rule, "review comm=nc");
	ww_judge_free(j);
}

static void test_a_flow_on_loopback_is_ignored_as_sockets_ignores_a_loopback_only_socket(void **state)
{
	(void)state;
	struct ww_alert al[4];
	struct ww_judge *j = judge_with(POLICY);
	struct ww_flow lo4 = mkflow("127.0.0.1", 40000, "127.0.0.1", 8080, WW_IPPROTO_TCP);
	struct ww_flow lo6 = mkflow("::1", 40001, "::1", 8080, WW_IPPROTO_TCP);
	struct ww_flow lo_udp = mkflow("127.0.0.1", 40002, "127.0.0.53", 53, WW_IPPROTO_UDP);
	/* the client's end and the server's end, a known owner and an unknown one */
	assert_int_equal(judge(j, &lo4, &curl, false, T0, al), 0);
	assert_int_equal(judge(j, &lo4, &sshd, true, T0, al), 0);
	assert_int_equal(judge(j, &lo6, &curl, false, T0, al), 0);
	assert_int_equal(judge(j, &lo_udp, NULL, false, T0, al), 0);
	/* a review rule still insists, as in sockets (rule 4 before rule 5) */
	assert_int_equal(judge(j, &lo4, &nc, false, T0, al), 1);
	assert_int_equal(al[0].severity, WW_SEV_HIGH);
	/* one end off loopback (a local address reached over lo) is judged */
	struct ww_flow mixed = mkflow("127.0.0.1", 40003, "192.0.2.2", 8080, WW_IPPROTO_TCP);
	assert_int_equal(judge(j, &mixed, &curl, false, T0, al), 1);
	assert_int_equal(al[0].kind, WW_ALERT_UNEXPLAINED_PROCESS);
	ww_judge_free(j);
}

static void test_unknown_owner_is_unattributed_and_ignore_silences_it(void **state)
{
	(void)state;
	struct ww_alert al[4];
	struct ww_judge *j = judge_with(POLICY);
	struct ww_flow f = mkflow("192.0.2.1", 41000, "192.0.2.2", 9999, WW_IPPROTO_UDP);
	struct ww_flow mdns = mkflow("192.0.2.1", 5353, "224.0.0.251", 5353, WW_IPPROTO_UDP);
	assert_int_equal(judge(j, &f, NULL, false, T0, al), 1);
	assert_int_equal(al[0].kind, WW_ALERT_UNATTRIBUTED);
	assert_int_equal(al[0].severity, WW_SEV_LOW);   /* closed before lookup: a race, not a mystery */
	assert_non_null(strstr(al[0].message, "socket closed before lookup"));
	assert_int_equal(judge(j, &mdns, NULL, false, T0, al), 0);
	ww_judge_free(j);
}

static void test_without_a_policy_only_unknown_owners_alert(void **state)
{
	(void)state;
	struct ww_alert al[4];
	struct ww_judge *j = judge_with(NULL);
	struct ww_flow f = mkflow("192.0.2.1", 40000, "192.0.2.2", 8080, WW_IPPROTO_TCP);
	assert_false(ww_judge_has_policy(j));
	assert_int_equal(judge(j, &f, &nc, false, T0, al), 0);
	assert_int_equal(judge(j, &f, NULL, false, T0, al), 1);
	assert_int_equal(al[0].kind, WW_ALERT_UNATTRIBUTED);
	ww_judge_free(j);
}

static void test_forwarded_traffic_is_not_judged(void **state)
{
	(void)state;
	struct ww_alert al[4];
	struct ww_judge *j = judge_with(POLICY);
	struct ww_flow f = mkflow("198.51.100.1", 40000, "198.51.100.2", 8080, WW_IPPROTO_TCP);
	struct ww_judge_flow in = { .f = &f, .status = "not_local", .reason = "", .local = false };
	assert_int_equal(ww_judge_flow(j, &in, T0, al, 4), 0);
	ww_judge_free(j);
}

static void test_the_kernels_own_traffic_is_not_judged(void **state)
{
	(void)state;
	struct ww_alert al[4];
	struct ww_judge *j = judge_with(POLICY);
	struct ww_flow f = mkflow("192.0.2.1", 0, "192.0.2.2", 0, WW_IPPROTO_ICMP);
	struct ww_judge_flow in = { .f = &f, .status = "unresolved", .reason = "sent by the kernel",
				    .local = true, .kernel = true };
	assert_int_equal(ww_judge_flow(j, &in, T0, al, 4), 0);
	ww_judge_free(j);
}

static void test_reloaded_policy_takes_effect_at_once(void **state)
{
	(void)state;
	struct ww_alert al[4];
	struct ww_judge *j = judge_with(POLICY);
	struct ww_flow f = mkflow("192.0.2.1", 40000, "192.0.2.2", 8080, WW_IPPROTO_TCP);
	assert_int_equal(judge(j, &f, &curl, false, T0, al), 1);
	struct ww_policy *p = NULL;
	char err[256];
	const char *np = "allow comm=curl\n";
	assert_int_equal(ww_policy_parse(np, strlen(np), "new.policy", &p, err, sizeof(err)), 0);
	ww_judge_set_policy(j, p);
	struct ww_flow g = mkflow("192.0.2.1", 40001, "192.0.2.2", 8080, WW_IPPROTO_TCP);
	assert_int_equal(judge(j, &g, &curl, false, T0 + 1, al), 0);
	ww_judge_free(j);
}

static void test_learned_listener_and_udp_rules_explain_the_flows_they_accept(void **state)
{
	(void)state;
	struct ww_alert al[4];
	struct ww_owner named = { .pid = 53, .uid = 101, .comm = "named", .exe = "/usr/sbin/named", .user = "bind" };
	struct ww_judge *j = judge_with(
		"allow exe=/usr/sbin/sshd user=root proto=tcp state=LISTEN port=22\n"
		"allow exe=/usr/sbin/named user=bind proto=udp state=UNCONN port=53\n"
		"allow exe=/usr/sbin/named user=bind proto=tcp state=LISTEN port=53\n");
	struct ww_flow ssh = mkflow("198.51.100.7", 50000, "192.0.2.1", 22, WW_IPPROTO_TCP);
	struct ww_flow dns = mkflow("198.51.100.7", 50001, "192.0.2.1", 53, WW_IPPROTO_UDP);
	struct ww_flow dnst = mkflow("198.51.100.7", 50002, "192.0.2.1", 53, WW_IPPROTO_TCP);
	assert_int_equal(judge(j, &ssh, &sshd, true, T0, al), 0);
	assert_int_equal(judge(j, &dns, &named, true, T0, al), 0);
	assert_int_equal(judge(j, &dnst, &named, true, T0, al), 0);
	/* a listener's rule does not explain what the same program connects out to */
	struct ww_flow out = mkflow("192.0.2.1", 22, "198.51.100.7", 4444, WW_IPPROTO_TCP);
	assert_int_equal(judge(j, &out, &sshd, false, T0, al), 1);
	/* nor another program on the same port */
	struct ww_flow rogue = mkflow("198.51.100.7", 50003, "192.0.2.1", 22, WW_IPPROTO_TCP);
	assert_int_equal(judge(j, &rogue, &nc, true, T0, al), 1);
	ww_judge_free(j);
}

static void test_flood_of_identical_alerts_folds_into_one_summary(void **state)
{
	(void)state;
	struct ww_alert al[8];
	struct ww_judge *j = judge_with(POLICY);
	int emitted = 0;
	/* 100 short-lived nc processes, each its own pid and source port. */
	for (int i = 0; i < 100; i++) {
		struct ww_owner o = nc;
		o.pid = 1000 + i;
		struct ww_flow f = mkflow("192.0.2.1", (uint16_t)(30000 + i), "192.0.2.2", 4444, WW_IPPROTO_TCP);
		emitted += judge(j, &f, &o, false, T0 + i * (SEC / 10), al);
	}
	assert_int_equal(emitted, 1);
	assert_int_equal(ww_judge_folded(j), 99);
	/* The window is still open: nothing to summarise yet. */
	assert_int_equal(ww_judge_flush(j, T0 + 20 * SEC, false, al, 8), 0);
	int n = ww_judge_flush(j, T0 + WW_JUDGE_FOLD_WINDOW + 1, false, al, 8);
	assert_int_equal(n, 1);
	assert_int_equal(al[0].kind, WW_ALERT_UNEXPLAINED_PROCESS);
	assert_null(al[0].flow);
	assert_int_equal(al[0].ev.count, 99);
	assert_int_equal(al[0].ev.first_ts, T0 + SEC / 10);
	assert_int_equal(al[0].ev.last_ts, T0 + 99 * (SEC / 10));
	assert_non_null(strstr(al[0].message, "99 more alerts like this"));
	/* After the summary a new occurrence is news again. */
	struct ww_flow f = mkflow("192.0.2.1", 31000, "192.0.2.2", 4444, WW_IPPROTO_TCP);
	assert_int_equal(judge(j, &f, &nc, false, T0 + 2 * WW_JUDGE_FOLD_WINDOW, al), 1);
	ww_judge_free(j);
}

static void test_alerts_that_differ_in_port_or_program_are_not_folded(void **state)
{
	(void)state;
	struct ww_alert al[8];
	struct ww_judge *j = judge_with(POLICY);
	struct ww_flow a = mkflow("192.0.2.1", 30000, "192.0.2.2", 4444, WW_IPPROTO_TCP);
	struct ww_flow b = mkflow("192.0.2.1", 30001, "192.0.2.2", 4445, WW_IPPROTO_TCP);
	assert_int_equal(judge(j, &a, &nc, false, T0, al), 1);
	assert_int_equal(judge(j, &b, &nc, false, T0, al), 1);
	assert_int_equal(judge(j, &a, &curl, false, T0, al), 1);
	/* Windows with no repeats close without a summary. */
	assert_int_equal(ww_judge_flush(j, 0, true, al, 8), 0);
	ww_judge_free(j);
}

static void test_a_new_peer_is_a_new_alert_not_a_folded_one(void **state)
{
	(void)state;
	struct ww_alert al[8];
	struct ww_judge *j = judge_with(POLICY);
	struct ww_flow a = mkflow("192.0.2.1", 30000, "192.0.2.2", 4444, WW_IPPROTO_TCP);
	struct ww_flow b = mkflow("192.0.2.1", 30001, "198.51.100.2", 4444, WW_IPPROTO_TCP);
	struct ww_flow a2 = mkflow("192.0.2.1", 30002, "192.0.2.2", 4444, WW_IPPROTO_TCP);
	assert_int_equal(judge(j, &a, &nc, false, T0, al), 1);
	assert_int_equal(judge(j, &b, &nc, false, T0 + SEC, al), 1);
	assert_non_null(strstr(al[0].message, "198.51.100.2"));
	assert_int_equal(judge(j, &a2, &nc, false, T0 + 2 * SEC, al), 0);   /* the same peer again */
	/* one repeat: "1 more alert", singular */
	assert_int_equal(ww_judge_flush(j, 0, true, al, 8), 1);
	assert_non_null(strstr(al[0].message, "1 more alert like this"));
	ww_judge_free(j);
}

static void test_app_rule_explains_the_protocol_on_its_port_and_nothing_else(void **state)
{
	(void)state;
	struct ww_alert al[4];
	struct ww_owner py = { .pid = 80, .uid = 0, .comm = "python3", .exe = "/usr/bin/python3.11", .user = "root" };
	struct ww_judge *j = judge_with("allow app=http proto=tcp port=4444 exe=/usr/bin/python3*\n");
	struct ww_flow f = mkflow("192.0.2.1", 30000, "192.0.2.2", 4444, WW_IPPROTO_TCP);
	struct ww_judge_flow in = { .f = &f, .owner = &py, .status = "exact", .reason = "",
				    .local = true, .local_is_server = true };
	assert_true(ww_judge_explains_app(j, &in, "http"));
	assert_false(ww_judge_explains_app(j, &in, "ssh"));
	in.owner = &nc;
	assert_false(ww_judge_explains_app(j, &in, "http"));
	/* the process is still judged: the app rule does not explain it */
	assert_int_equal(judge(j, &f, &py, true, T0, al), 1);
	assert_int_equal(al[0].kind, WW_ALERT_UNEXPLAINED_PROCESS);
	ww_judge_free(j);
}

static void test_a_masquerading_process_raises_its_flow_alert_one_level(void **state)
{
	(void)state;
	struct ww_alert al[4];
	struct ww_judge *j = judge_with(POLICY);
	struct ww_owner fake = nc;
	fake.indicators = 0x1;
	struct ww_flow f = mkflow("192.0.2.1", 30000, "192.0.2.2", 9999, WW_IPPROTO_TCP);
	fake.comm = "kworker";
	assert_int_equal(judge(j, &f, &fake, false, T0, al), 1);
	assert_int_equal(al[0].kind, WW_ALERT_UNEXPLAINED_PROCESS);
	assert_int_equal(al[0].severity, WW_SEV_HIGH);   /* medium, raised */
	assert_non_null(strstr(al[0].message, "peer. The process shows masquerading indicators (deleted_exe)"));
	ww_judge_free(j);
}

static void test_a_full_fold_table_emits_rather_than_drops(void **state)
{
	(void)state;
	struct ww_alert al[8];
	struct ww_judge *j = judge_with(POLICY);
	int emitted = 0, total = WW_JUDGE_FOLD_MAX + 50;
	for (int i = 0; i < total; i++) {
		struct ww_owner o = nc;
		char comm[16];
		snprintf(comm, sizeof(comm), "nc%d", i);
		o.comm = comm;
		struct ww_flow f = mkflow("192.0.2.1", 30000, "192.0.2.2", 4444, WW_IPPROTO_TCP);
		emitted += judge(j, &f, &o, false, T0, al);
	}
	assert_int_equal(emitted, total);
	/* Every window, repeated or not, is released by a final flush. */
	while (ww_judge_flush(j, 0, true, al, 8) == 8)
		;
	struct ww_owner o = nc;
	o.comm = "again";
	struct ww_flow f = mkflow("192.0.2.1", 30000, "192.0.2.2", 4444, WW_IPPROTO_TCP);
	assert_int_equal(judge(j, &f, &o, false, T0, al), 1);
	assert_int_equal(judge(j, &f, &o, false, T0 + 1, al), 0);   /* folding works again */
	ww_judge_free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flows_the_policy_explains_raise_nothing),
		cmocka_unit_test(test_known_process_on_an_unexplained_port_is_unexplained_process),
		cmocka_unit_test(test_review_rule_alerts_high_and_names_the_rule),
		cmocka_unit_test(test_a_flow_on_loopback_is_ignored_as_sockets_ignores_a_loopback_only_socket),
		cmocka_unit_test(test_unknown_owner_is_unattributed_and_ignore_silences_it),
		cmocka_unit_test(test_without_a_policy_only_unknown_owners_alert),
		cmocka_unit_test(test_forwarded_traffic_is_not_judged),
		cmocka_unit_test(test_the_kernels_own_traffic_is_not_judged),
		cmocka_unit_test(test_reloaded_policy_takes_effect_at_once),
		cmocka_unit_test(test_learned_listener_and_udp_rules_explain_the_flows_they_accept),
		cmocka_unit_test(test_flood_of_identical_alerts_folds_into_one_summary),
		cmocka_unit_test(test_alerts_that_differ_in_port_or_program_are_not_folded),
		cmocka_unit_test(test_a_full_fold_table_emits_rather_than_drops),
		cmocka_unit_test(test_a_masquerading_process_raises_its_flow_alert_one_level),
		cmocka_unit_test(test_a_new_peer_is_a_new_alert_not_a_folded_one),
		cmocka_unit_test(test_app_rule_explains_the_protocol_on_its_port_and_nothing_else),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
