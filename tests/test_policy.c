/*
 * test_policy.c - the policy file: what parses, what is rejected (and where
 * the error points), what matches, and that --learn lines parse back and
 * match what they were learned from.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "wirewho/policy.h"
#include "wirewho/procs.h"
#include "wirewho/socktab.h"
#include "wirewho/netscope.h"
#include "test_util.h"

static struct ww_policy *parse_ok(const char *text)
{
	struct ww_policy *p = NULL;
	char err[256] = "";
	int rc = ww_policy_parse(text, strlen(text), "test.policy", &p, err, sizeof(err));
	if (rc)
		print_message("unexpected error: %s\n", err);
	assert_int_equal(rc, 0);
	return p;
}

/* Parse text that must fail; return the message. */
static const char *parse_err(const char *text)
{
	static char err[256];
	struct ww_policy *p = NULL;
	err[0] = '\0';
	assert_int_equal(ww_policy_parse(text, strlen(text), "test.policy", &p, err, sizeof(err)),
			 -EINVAL);
	assert_null(p);
	return err;
}

static struct ww_policy_query sshd_listener(void)
{
	struct ww_policy_query q = {
		.comm = "sshd", .exe = "/usr/sbin/sshd", .user = "root", .uid = 0,
		.proto = WW_IPPROTO_TCP, .state = WW_SS_LISTEN, .local_port = 22,
		.dir = WW_DIR_IN, .bind_scope = WW_BIND_ANY,
	};
	return q;
}

static void test_comments_and_blank_lines_make_an_empty_policy(void **st)
{
	(void)st;
	struct ww_policy *p = parse_ok("# nothing here\n\n   \t\n# allow comm=x\n");
	assert_int_equal(ww_policy_count(p), 0);
	ww_policy_free(p);
}

static void test_listener_rule_explains_its_listener_and_names_its_line(void **st)
{
	(void)st;
	struct ww_policy *p = parse_ok("# ssh\n"
				       "allow exe=/usr/sbin/sshd user=root proto=tcp state=LISTEN port=22  # ok\n");
	struct ww_policy_query q = sshd_listener();
	struct ww_policy_verdict v;
	assert_true(ww_policy_match(p, &q, &v));
	assert_int_equal(v.action, WW_POLICY_ALLOW);
	assert_int_equal(v.line, 2);
	assert_string_equal(v.text, "allow exe=/usr/sbin/sshd user=root proto=tcp state=LISTEN port=22");
	q.local_port = 2222;
	assert_false(ww_policy_match(p, &q, &v));
	ww_policy_free(p);
}

static void test_first_matching_rule_wins(void **st)
{
	(void)st;
	struct ww_policy *p = parse_ok("review comm=sshd port=22\nallow comm=sshd\n");
	struct ww_policy_query q = sshd_listener();
	struct ww_policy_verdict v;
	assert_true(ww_policy_match(p, &q, &v));
	assert_int_equal(v.action, WW_POLICY_REVIEW);
	q.local_port = 23;
	assert_true(ww_policy_match(p, &q, &v));
	assert_int_equal(v.action, WW_POLICY_ALLOW);
	assert_int_equal(v.line, 2);
	ww_policy_free(p);
}

static void test_globs_lists_and_ranges_match(void **st)
{
	(void)st;
	struct ww_policy *p = parse_ok("allow comm=nginx,apache* port=80,443,8000-8099\n");
	struct ww_policy_query q = sshd_listener();
	struct ww_policy_verdict v;
	q.comm = "apache2";
	q.local_port = 8042;
	assert_true(ww_policy_match(p, &q, &v));
	q.local_port = 8100;
	assert_false(ww_policy_match(p, &q, &v));
	q.local_port = 443;
	q.comm = "nginx";
	assert_true(ww_policy_match(p, &q, &v));
	q.comm = "nginx2";
	assert_false(ww_policy_match(p, &q, &v));
	ww_policy_free(p);
}

static void test_exe_glob_does_not_cross_directories(void **st)
{
	(void)st;
	struct ww_policy *p = parse_ok("allow exe=/usr/bin/*\n");
	struct ww_policy_query q = sshd_listener();
	struct ww_policy_verdict v;
	q.exe = "/usr/bin/curl";
	assert_true(ww_policy_match(p, &q, &v));
	q.exe = "/usr/bin/sub/evil";
	assert_false(ww_policy_match(p, &q, &v));
	ww_policy_free(p);
}

static void test_process_rules_never_match_an_unknown_owner(void **st)
{
	(void)st;
	struct ww_policy *p = parse_ok("allow comm=*\nallow user=root\n");
	struct ww_policy_query q = sshd_listener();
	struct ww_policy_verdict v;
	q.comm = q.exe = q.user = NULL;
	q.uid = -1;
	assert_false(ww_policy_match(p, &q, &v));
	ww_policy_free(p);
}

static void test_user_matches_by_name_or_number(void **st)
{
	(void)st;
	struct ww_policy *p = parse_ok("allow user=www-data\nallow uid=33\nallow user=1000\n");
	struct ww_policy_query q = sshd_listener();
	struct ww_policy_verdict v;
	q.user = "www-data";
	q.uid = 12;
	assert_true(ww_policy_match(p, &q, &v));
	assert_int_equal(v.line, 1);
	q.user = NULL;
	q.uid = 33;
	assert_true(ww_policy_match(p, &q, &v));
	assert_int_equal(v.line, 2);
	q.uid = 1000;
	assert_true(ww_policy_match(p, &q, &v));
	assert_int_equal(v.line, 3);
	q.uid = 0;
	q.user = "root";
	assert_false(ww_policy_match(p, &q, &v));
	ww_policy_free(p);
}

static void test_remote_cidrs_scopes_and_ports(void **st)
{
	(void)st;
	struct ww_policy *p = parse_ok("allow dir=out proto=tcp remote=10.0.0.0/8,2001:db8::/32 rport=443\n"
				       "ignore remote=private\n"
				       "allow remote=internet rport=53 proto=udp\n");
	struct ww_addr a = ww_test_addr("10.2.3.4"), b = ww_test_addr("2001:db8::5"), c = ww_test_addr("172.16.0.1"),
		       d = ww_test_addr("8.8.8.8"), e = ww_test_addr("::ffff:10.9.9.9");
	struct ww_policy_query q = { .proto = WW_IPPROTO_TCP, .state = WW_SS_ESTABLISHED,
				     .dir = WW_DIR_OUT, .remote = &a, .remote_port = 443,
				     .uid = -1, .bind_scope = -1 };
	struct ww_policy_verdict v;
	assert_true(ww_policy_match(p, &q, &v));
	assert_int_equal(v.line, 1);
	q.remote = &b;
	assert_true(ww_policy_match(p, &q, &v));
	assert_int_equal(v.line, 1);
	q.remote = &e;   /* IPv4-mapped is IPv4 */
	assert_true(ww_policy_match(p, &q, &v));
	assert_int_equal(v.line, 1);
	q.remote = &c;
	assert_true(ww_policy_match(p, &q, &v));
	assert_int_equal(v.action, WW_POLICY_IGNORE);
	q.remote = &d;
	q.proto = WW_IPPROTO_UDP;
	q.remote_port = 53;
	assert_true(ww_policy_match(p, &q, &v));
	assert_int_equal(v.line, 3);
	q.remote = NULL;   /* no peer: remote rules do not apply */
	assert_false(ww_policy_match(p, &q, &v));
	ww_policy_free(p);
}

static bool host_matches(struct ww_policy *p, const char *host, int *line)
{
	static struct ww_addr peer;
	peer = ww_test_addr("192.0.2.80");
	struct ww_policy_query q = { .proto = WW_IPPROTO_TCP, .state = WW_SS_ESTABLISHED, .dir = WW_DIR_OUT,
				     .remote = &peer,
				     .remote_port = 443, .uid = -1, .bind_scope = -1, .flow = true,
				     .host = host, .host_len = host ? strlen(host) : 0 };
	struct ww_policy_verdict v;
	bool m = ww_policy_match(p, &q, &v);
	*line = m ? v.line : 0;
	return m;
}

static void test_host_wildcard_matches_exactly_one_label_as_certificates_do(void **st)
{
	(void)st;
	int line;
	struct ww_policy *p = parse_ok("allow host=*.example.com rport=443\n"
				       "ignore host=Example.ORG\n");
	assert_true(host_matches(p, "www.example.com", &line));
	assert_int_equal(line, 1);
	assert_true(host_matches(p, "API.EXAMPLE.COM", &line));
	assert_false(host_matches(p, "example.com", &line));          /* no label for the '*' */
	assert_false(host_matches(p, "a.b.example.com", &line));      /* two labels: not one */
	assert_false(host_matches(p, "wwwexample.com", &line));
	assert_false(host_matches(p, ".example.com", &line));         /* an empty label */
	assert_true(host_matches(p, "example.org", &line));
	assert_int_equal(line, 2);
	assert_false(host_matches(p, "www.example.org", &line));
	assert_false(host_matches(p, NULL, &line));                   /* a flow without a name */
	struct ww_policy_query q = { .proto = WW_IPPROTO_TCP, .dir = WW_DIR_OUT, .remote_port = 443, .uid = -1,
				     .bind_scope = -1, .flow = true, .host = "x\0.example.com", .host_len = 15 };
	struct ww_policy_verdict v;
	assert_false(ww_policy_match(p, &q, &v));                     /* a NUL is not a label's text */
	ww_policy_free(p);
	assert_non_null(strstr(parse_err("allow host=www.*.example.com\n"), "wildcard"));
	assert_non_null(strstr(parse_err("allow host=*example.com\n"), "wildcard"));
	assert_non_null(strstr(parse_err("allow host=*.*.example.com\n"), "wildcard"));
}

static void test_learned_outbound_rule_names_the_host_where_seen(void **st)
{
	(void)st;
	char buf[512];
	struct ww_policy_query q = { .comm = "curl", .exe = "/usr/bin/curl", .user = "root", .uid = 0,
				     .proto = WW_IPPROTO_TCP, .state = WW_SS_ESTABLISHED, .dir = WW_DIR_OUT,
				     .remote_port = 443, .bind_scope = -1, .host = "www.example.com", .host_len = 15 };
	assert_true(ww_policy_format_rule(buf, sizeof(buf), WW_POLICY_ALLOW, &q, WW_PF_COMM | WW_PF_HOST) > 0);
	assert_non_null(strstr(buf, " host=www.example.com"));
	struct ww_policy *p = parse_ok(buf);   /* and it reads back, matching the name */
	int line;
	assert_false(host_matches(p, "other.example.com", &line));
	ww_policy_free(p);
	q.host = NULL;
	q.host_len = 0;
	assert_true(ww_policy_format_rule(buf, sizeof(buf), WW_POLICY_ALLOW, &q, WW_PF_COMM | WW_PF_HOST) > 0);
	assert_null(strstr(buf, "host="));
}

static void test_state_dir_and_bind_constraints(void **st)
{
	(void)st;
	struct ww_policy *p = parse_ok("allow proto=udp state=UNCONN bind=loopback,interface\n"
				       "allow dir=in state=established,close_wait\n");
	struct ww_policy_query q = { .proto = WW_IPPROTO_UDP, .state = WW_SS_CLOSE, .uid = -1,
				     .bind_scope = WW_BIND_INTERFACE };
	struct ww_policy_verdict v;
	assert_true(ww_policy_match(p, &q, &v));
	q.bind_scope = WW_BIND_ANY;
	assert_false(ww_policy_match(p, &q, &v));
	q.proto = WW_IPPROTO_TCP;
	q.state = WW_SS_CLOSE_WAIT;
	q.dir = WW_DIR_IN;
	assert_true(ww_policy_match(p, &q, &v));
	q.dir = WW_DIR_OUT;
	assert_false(ww_policy_match(p, &q, &v));
	q.dir = WW_DIR_IN;
	q.state = -1;   /* unknown state never satisfies a state= rule */
	assert_false(ww_policy_match(p, &q, &v));
	ww_policy_free(p);
}

static void test_quoted_values_carry_spaces_commas_and_escapes(void **st)
{
	(void)st;
	struct ww_policy *p = parse_ok("allow comm=\"my app, v2\",\"tab\\x09x\" exe=\"/opt/a \\\"b\\\"/c\"\n");
	struct ww_policy_query q = sshd_listener();
	struct ww_policy_verdict v;
	q.comm = "my app, v2";
	q.exe = "/opt/a \"b\"/c";
	assert_true(ww_policy_match(p, &q, &v));
	q.comm = "tab\tx";
	assert_true(ww_policy_match(p, &q, &v));
	ww_policy_free(p);
}

static void test_malformed_lines_name_file_line_and_column(void **st)
{
	(void)st;
	assert_string_equal(parse_err("allow comm=x\npermit comm=y\n"),
			    "test.policy:2:1: expected allow, ignore, review or home_net, got 'permit'");
	assert_string_equal(parse_err("allow prot=tcp\n"), "test.policy:1:7: unknown key 'prot'");
	assert_string_equal(parse_err("allow port=70000\n"),
			    "test.policy:1:12: '70000' is not a port (0-65535)");
	assert_string_equal(parse_err("allow port=90-80\n"), "test.policy:1:12: port range 90-80 is reversed");
	assert_string_equal(parse_err("allow proto=sctp\n"),
			    "test.policy:1:13: unknown protocol 'sctp' (tcp, udp, raw, any)");
	assert_string_equal(parse_err("allow state=LISTENING\n"),
			    "test.policy:1:13: unknown state 'LISTENING'");
	assert_string_equal(parse_err("allow remote=10.0.0.0/33\n"),
			    "test.policy:1:14: bad prefix length in '10.0.0.0/33' (0-32)");
	assert_string_equal(parse_err("allow remote=example.com\n"),
			    "test.policy:1:14: 'example.com' is not an IPv4/IPv6 address or CIDR");
	assert_string_equal(parse_err("allow comm\n"), "test.policy:1:7: expected KEY=VALUE, got 'comm'");
	assert_string_equal(parse_err("allow comm=\n"), "test.policy:1:12: empty value");
	assert_string_equal(parse_err("allow comm=a,\n"), "test.policy:1:14: empty value");
	assert_string_equal(parse_err("allow comm=\"abc\n"), "test.policy:1:12: unterminated quoted value");
	assert_string_equal(parse_err("allow comm=\"a\\q\"\n"), "test.policy:1:14: unknown escape \\q");
	assert_string_equal(parse_err("allow comm=\"a\"b\n"), "test.policy:1:15: unexpected 'b' after value");
	assert_string_equal(parse_err("allow dir=sideways\n"),
			    "test.policy:1:11: dir must be in or out, not 'sideways'");
	assert_string_equal(parse_err("allow uid=root\n"), "test.policy:1:11: 'root' is not a uid");
	assert_string_equal(parse_err("\n\n  review bind=everywhere\n"),
			    "test.policy:3:15: bind must be any, interface or loopback, not 'everywhere'");
}

static void test_home_net_line_declares_the_sites_networks_when_loaded(void **st)
{
	(void)st;
	char path[] = "/tmp/wwpolicy-home-XXXXXX", err[256];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "home_net 10.0.0.0/8, 192.168.0.0/16  # the LAN\n"
			   "allow remote=private\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct ww_policy *p = NULL;
	assert_int_equal(ww_policy_load(path, &p, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(ww_policy_count(p), 1);
	struct ww_addr a = ww_test_addr("198.51.100.7");
	assert_int_equal(ww_netscope_remote(&a), WW_REMOTE_INTERNET);
	struct ww_policy_query q = { .uid = -1, .state = -1, .bind_scope = -1, .remote = &a,
				     .proto = WW_IPPROTO_TCP, .remote_port = 443 };
	struct ww_policy_verdict v;
	assert_false(ww_policy_match(p, &q, &v));
	a = ww_test_addr("10.9.9.9");
	assert_true(ww_policy_match(p, &q, &v));
	ww_policy_free(p);
	ww_netscope_set_home(NULL, false);
	assert_string_equal(parse_err("home_net 10.0.0.0/40\n"),
			    "test.policy:1:10: bad prefix length in '10.0.0.0/40' (0-32)");
	assert_string_equal(parse_err("home_net\n"), "test.policy:1:9: home_net needs CIDR[,CIDR...]");
}

static void test_load_refuses_dev_zero_urandom_huge_files_and_endless_lines_at_once(void **st)
{
	(void)st;
	struct ww_policy *p = NULL;
	char err[512];
	assert_int_equal(ww_policy_load("/dev/zero", &p, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "/dev/zero:1:1: NUL byte in the policy file");
	assert_int_equal(ww_policy_load("/dev/urandom", &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "/dev/urandom:"));
	assert_null(p);

	char path[] = "/tmp/wwpolicy-big-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 17 << 20), 0);   /* sparse: costs no disk */
	assert_int_equal(ww_policy_load(path, &p, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, "larger than a policy can be"));
	/* a line that never ends */
	assert_int_equal(ftruncate(fd, 0), 0);
	static char longline[70000];
	memset(longline, 'a', sizeof(longline));
	assert_int_equal(write(fd, "allow comm=x\n", 13), 13);
	assert_int_equal(write(fd, longline, sizeof(longline)), (ssize_t)sizeof(longline));
	close(fd);
	assert_int_equal(ww_policy_load(path, &p, err, sizeof(err)), -EINVAL);
	char want[600];
	snprintf(want, sizeof(want), "%s:2: line longer than 65536 bytes", path);
	assert_string_equal(err, want);
	unlink(path);
	assert_int_equal(ww_policy_load("/tmp", &p, err, sizeof(err)), -EISDIR);
}

static void test_load_reports_a_missing_file(void **st)
{
	(void)st;
	struct ww_policy *p = NULL;
	char err[256];
	assert_int_equal(ww_policy_load("/nonexistent/wirewho.policy", &p, err, sizeof(err)), -ENOENT);
	assert_null(p);
	assert_non_null(strstr(err, "/nonexistent/wirewho.policy: "));
}

static void test_load_reads_a_file_and_errors_name_it(void **st)
{
	(void)st;
	char path[] = "/tmp/ww_policy_testXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "allow comm=sshd port=22\nallow comm=x port=y\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct ww_policy *p = NULL;
	char err[512], want[600];
	assert_int_equal(ww_policy_load(path, &p, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2:19: 'y' is not a port (0-65535)", path);
	assert_string_equal(err, want);
	unlink(path);
}

static void test_learned_rule_parses_back_and_matches_its_socket(void **st)
{
	(void)st;
	struct ww_policy_query q = sshd_listener();
	q.comm = "we*ird, \"name\"";
	q.exe = "/opt/x y/[bin]";
	char line[512];
	assert_true(ww_policy_format_rule(line, sizeof(line), WW_POLICY_ALLOW, &q,
					  WW_PF_EXE | WW_PF_COMM | WW_PF_USER | WW_PF_PROTO |
					  WW_PF_STATE | WW_PF_PORT) > 0);
	struct ww_policy *p = parse_ok(line);
	struct ww_policy_verdict v;
	assert_true(ww_policy_match(p, &q, &v));
	/* the glob characters were escaped: they match only themselves */
	struct ww_policy_query other = q;
	other.comm = "weXird, \"name\"";
	assert_false(ww_policy_match(p, &other, &v));
	ww_policy_free(p);
}

static void test_learned_outbound_rule_uses_the_remote_port(void **st)
{
	(void)st;
	struct ww_addr peer = ww_test_addr("93.184.216.34");
	struct ww_policy_query q = { .comm = "curl", .exe = "/usr/bin/curl", .user = "alice",
				     .uid = 1000, .proto = WW_IPPROTO_TCP,
				     .state = WW_SS_ESTABLISHED, .local_port = 51000,
				     .remote = &peer, .remote_port = 443, .dir = WW_DIR_OUT,
				     .bind_scope = WW_BIND_INTERFACE };
	char line[512];
	assert_true(ww_policy_format_rule(line, sizeof(line), WW_POLICY_ALLOW, &q,
					  WW_PF_EXE | WW_PF_USER | WW_PF_PROTO | WW_PF_DIR |
					  WW_PF_RPORT) > 0);
	assert_string_equal(line, "allow exe=/usr/bin/curl user=alice proto=tcp dir=out rport=443");
	assert_int_equal(ww_policy_format_rule(line, 10, WW_POLICY_ALLOW, &q, WW_PF_EXE), -ENOSPC);
}

/* What ww_policy_learn_write() wrote, as a string the caller frees. */
static char *learned(struct ww_policy_learn *l, size_t n_socks)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(ww_policy_learn_write(l, f, 1795674145LL * WW_USEC_PER_SEC, n_socks), 0);
	long len = ftell(f);
	char *text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	rewind(f);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return text;
}

static void test_learning_writes_each_rule_once_sorted_under_a_dated_header(void **st)
{
	(void)st;
	struct ww_addr peer = ww_test_addr("93.184.216.34");
	struct ww_policy_query curl = { .comm = "curl", .exe = "/usr/bin/curl", .user = "alice",
					.uid = 1000, .proto = WW_IPPROTO_TCP,
					.state = WW_SS_ESTABLISHED, .local_port = 51000,
					.remote = &peer, .remote_port = 443, .dir = WW_DIR_OUT,
					.bind_scope = WW_BIND_INTERFACE };
	struct ww_policy_query curl2 = curl, sshd = sshd_listener();
	curl2.local_port = 51001;   /* another connection of the same client */
	struct ww_policy_learn *l = ww_policy_learn_new();
	assert_non_null(l);
	assert_int_equal(ww_policy_learn_add(l, &curl, WW_POLICY_LEARN_UNEXPLAINED), 0);
	assert_int_equal(ww_policy_learn_add(l, &sshd, WW_POLICY_LEARN_UNEXPLAINED), 0);
	assert_int_equal(ww_policy_learn_add(l, &curl2, WW_POLICY_LEARN_UNEXPLAINED), 0);
	char *text = learned(l, 7);
	assert_string_equal(text,
		"# wirewho policy learned 2026-11-26T06:22:25.000000Z from 7 sockets.\n"
		"# Each line explains sockets present at that time; review before keeping.\n"
		"# Format: README.md, section 'wirewho sockets'. First matching line wins.\n"
		"allow exe=/usr/bin/curl comm=curl user=alice proto=tcp dir=out rport=443\n"
		"allow exe=/usr/sbin/sshd comm=sshd user=root proto=tcp state=LISTEN port=22\n");
	/* and what was learned explains what it was learned from */
	struct ww_policy *p = parse_ok(text);
	struct ww_policy_verdict v;
	assert_true(ww_policy_match(p, &curl2, &v));
	assert_int_equal(v.action, WW_POLICY_ALLOW);
	assert_true(ww_policy_match(p, &sshd, &v));
	ww_policy_free(p);
	free(text);
	ww_policy_learn_free(l);
}

static void test_learned_rules_fit_the_kind_of_socket(void **st)
{
	(void)st;
	struct ww_addr peer = ww_test_addr("198.51.100.7");
	struct ww_policy_query served = { .comm = "nginx", .exe = "/usr/sbin/nginx", .user = "www",
					  .uid = 33, .proto = WW_IPPROTO_TCP,
					  .state = WW_SS_ESTABLISHED, .local_port = 443,
					  .remote = &peer, .remote_port = 40000, .dir = WW_DIR_IN };
	struct ww_policy_query udp = { .comm = "chronyd", .user = "chrony", .uid = 101,
				       .proto = WW_IPPROTO_UDP, .state = WW_SS_CLOSE,
				       .local_port = 123, .dir = WW_DIR_IN };
	struct ww_policy_query raw = { .comm = "ping", .uid = 0, .proto = WW_SOCK_PROTO_RAW,
				       .state = WW_SS_CLOSE, .local_port = 1 };
	struct ww_policy_learn *l = ww_policy_learn_new();
	assert_int_equal(ww_policy_learn_add(l, &served, WW_POLICY_LEARN_UNEXPLAINED), 0);
	assert_int_equal(ww_policy_learn_add(l, &udp, WW_POLICY_LEARN_UNEXPLAINED), 0);
	assert_int_equal(ww_policy_learn_add(l, &raw, WW_POLICY_LEARN_UNEXPLAINED), 0);
	char *text = learned(l, 3);
	const char *rules = strstr(text, "wins.\n") + 6;
	assert_string_equal(rules,
		"allow comm=chronyd user=chrony proto=udp state=UNCONN port=123\n"
		"allow comm=ping uid=0 proto=raw port=1\n"
		"allow exe=/usr/sbin/nginx comm=nginx user=www proto=tcp port=443 dir=in\n");
	free(text);
	ww_policy_learn_free(l);
}

static void test_an_anomaly_is_learned_as_an_ignore_rule_and_a_reviewed_socket_not_at_all(void **st)
{
	(void)st;
	struct ww_addr peer = ww_test_addr("203.0.113.9");
	struct ww_policy_query odd = sshd_listener();
	odd.remote = &peer;   /* a listener attached to a peer */
	odd.remote_port = 4444;
	struct ww_policy_query nc = { .comm = "nc", .exe = "/usr/bin/nc", .user = "bob", .uid = 1001,
				      .proto = WW_IPPROTO_TCP, .state = WW_SS_LISTEN,
				      .local_port = 31337, .dir = WW_DIR_IN };
	struct ww_policy_learn *l = ww_policy_learn_new();
	assert_int_equal(ww_policy_learn_add(l, &odd, WW_POLICY_LEARN_ANOMALY), 0);
	assert_int_equal(ww_policy_learn_add(l, &nc, WW_POLICY_LEARN_REVIEWED), 0);
	char *text = learned(l, 2);
	const char *rules = strstr(text, "wins.\n") + 6;
	assert_string_equal(rules, "ignore exe=/usr/sbin/sshd comm=sshd user=root proto=tcp "
				   "state=LISTEN port=22 remote=203.0.113.9 rport=4444\n");
	free(text);
	ww_policy_learn_free(l);
}

static void test_learn_refuses_to_whitelist_a_masquerading_process_silently(void **st)
{
	(void)st;
	struct ww_policy_query fake = sshd_listener();
	fake.indicators = 0x5;
	struct ww_policy_learn *l = ww_policy_learn_new();
	assert_int_equal(ww_policy_learn_add(l, &fake, WW_POLICY_LEARN_UNEXPLAINED), 0);
	char *text = learned(l, 1);
	const char *rules = strstr(text, "wins.\n") + 6;
	assert_string_equal(rules, "# allow exe=/usr/sbin/sshd comm=sshd user=root proto=tcp state=LISTEN "
				   "port=22   # not learned: the process shows masquerading indicators "
				   "(deleted_exe, memfd_exe); review it first\n");
	struct ww_policy *p = parse_ok(text);
	assert_int_equal(ww_policy_count(p), 0);   /* in the file, not in force */
	ww_policy_free(p);
	free(text);
	ww_policy_learn_free(l);
}

static void test_what_learn_writes_for_empty_names_and_numeric_users_loads_and_matches(void **st)
{
	(void)st;
	struct ww_policy_query nameless = { .comm = "", .exe = NULL, .user = "", .uid = 1000,
					    .proto = WW_IPPROTO_TCP, .state = WW_SS_LISTEN,
					    .local_port = 8080, .dir = WW_DIR_IN };
	struct ww_policy_query numeric = { .comm = "svc", .exe = "/opt/svc", .user = "1234", .uid = 5000,
					   .proto = WW_IPPROTO_UDP, .state = WW_SS_CLOSE,
					   .local_port = 9000, .dir = WW_DIR_IN };
	struct ww_policy_learn *l = ww_policy_learn_new();
	assert_int_equal(ww_policy_learn_add(l, &nameless, WW_POLICY_LEARN_UNEXPLAINED), 0);
	assert_int_equal(ww_policy_learn_add(l, &numeric, WW_POLICY_LEARN_UNEXPLAINED), 0);
	char *text = learned(l, 2);
	assert_string_equal(strstr(text, "wins.\n") + 6,
		"allow comm=\"\" user=\"\" proto=tcp state=LISTEN port=8080\n"
		"allow exe=/opt/svc comm=svc user=\"1234\" proto=udp state=UNCONN port=9000\n");
	struct ww_policy *p = parse_ok(text);
	struct ww_policy_verdict v;
	assert_true(ww_policy_match(p, &nameless, &v));
	assert_int_equal(v.line, 4);
	assert_true(ww_policy_match(p, &numeric, &v));
	assert_int_equal(v.line, 5);
	/* "1234" is the user's name, not uid 1234 */
	struct ww_policy_query uid1234 = numeric;
	uid1234.user = "bob";
	uid1234.uid = 1234;
	assert_false(ww_policy_match(p, &uid1234, &v));
	ww_policy_free(p);
	free(text);
	ww_policy_learn_free(l);
	/* a bare empty value is still an error */
	assert_string_equal(parse_err("allow comm= port=1\n"), "test.policy:1:12: empty value");
}

static void test_an_anomaly_rule_comes_before_the_owners_allow_rule(void **st)
{
	(void)st;
	struct ww_addr peer = ww_test_addr("203.0.113.9");
	struct ww_policy_query ok = sshd_listener(), odd = sshd_listener();
	odd.remote = &peer;
	odd.remote_port = 4444;
	struct ww_policy_learn *l = ww_policy_learn_new();
	assert_int_equal(ww_policy_learn_add(l, &ok, WW_POLICY_LEARN_UNEXPLAINED), 0);
	assert_int_equal(ww_policy_learn_add(l, &odd, WW_POLICY_LEARN_ANOMALY), 0);
	char *text = learned(l, 2);
	struct ww_policy *p = parse_ok(text);
	struct ww_policy_verdict v;
	assert_true(ww_policy_match(p, &odd, &v));
	assert_int_equal(v.action, WW_POLICY_IGNORE);   /* an allow would not hide the anomaly */
	assert_true(ww_policy_match(p, &ok, &v));
	assert_int_equal(v.action, WW_POLICY_ALLOW);
	ww_policy_free(p);
	free(text);
	ww_policy_learn_free(l);
}

static void test_learning_nothing_writes_only_the_header(void **st)
{
	(void)st;
	struct ww_policy_learn *l = ww_policy_learn_new();
	char *text = learned(l, 0);
	assert_non_null(strstr(text, "from 0 sockets."));
	assert_string_equal(strstr(text, "wins.\n") + 6, "");
	struct ww_policy *p = parse_ok(text);
	assert_int_equal(ww_policy_count(p), 0);
	ww_policy_free(p);
	free(text);
	ww_policy_learn_free(l);
	ww_policy_learn_free(NULL);
}

/* An outbound connection of python3 started by a shell, in a docker container. */
static struct ww_owner child_of_sh(struct ww_container *c)
{
	snprintf(c->runtime, sizeof(c->runtime), "docker");
	snprintf(c->id, sizeof(c->id), "3f2a9c0d1e2b3a4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4");
	struct ww_owner o = {
		.pid = 4242, .uid = 0, .comm = "python3", .exe = "/usr/bin/python3.11",
		.ppid = 4200, .parent_comm = "sh", .parent_exe = "/usr/bin/dash", .container = c,
	};
	return o;
}

static void test_parent_rule_matches_the_parents_comm_or_with_a_slash_its_exe(void **st)
{
	(void)st;
	struct ww_container c;
	struct ww_owner o = child_of_sh(&c);
	struct ww_policy *p = parse_ok("allow comm=python3 parent=sh\n"
				       "allow comm=curl parent=/usr/bin/*\n"
				       "review parent=cron,atd\n");
	struct ww_policy_query q = { .comm = o.comm, .exe = o.exe, .uid = 0, .owner = &o,
				     .proto = WW_IPPROTO_TCP, .state = WW_SS_ESTABLISHED, .flow = true,
				     .dir = WW_DIR_OUT, .bind_scope = -1 };
	struct ww_policy_verdict v;
	assert_true(ww_policy_match(p, &q, &v));
	assert_int_equal(v.line, 1);
	o.parent_comm = "bash";   /* another parent: line 1 no longer explains it */
	assert_false(ww_policy_match(p, &q, &v));
	q.comm = o.comm = "curl";   /* by the parent's exe: /usr/bin/dash */
	assert_true(ww_policy_match(p, &q, &v));
	assert_int_equal(v.line, 2);
	o.parent_exe = "/usr/local/bin/dash";   /* FNM_PATHNAME: * does not cross / */
	assert_false(ww_policy_match(p, &q, &v));
	o.parent_comm = "cron";
	assert_true(ww_policy_match(p, &q, &v));
	assert_int_equal(v.action, WW_POLICY_REVIEW);
	ww_policy_free(p);
}

static void test_parent_rule_never_matches_an_unknown_parent_or_owner(void **st)
{
	(void)st;
	struct ww_container c;
	struct ww_owner o = child_of_sh(&c);
	struct ww_policy *p = parse_ok("allow parent=*\n");
	struct ww_policy_query q = { .comm = o.comm, .uid = 0, .owner = &o, .bind_scope = -1,
				     .state = -1 };
	struct ww_policy_verdict v;
	assert_true(ww_policy_match(p, &q, &v));
	o.ppid = 0;   /* the parent is unknown */
	assert_false(ww_policy_match(p, &q, &v));
	q.owner = NULL;
	assert_false(ww_policy_match(p, &q, &v));
	ww_policy_free(p);
}

static void test_container_rule_matches_the_id_or_runtime_and_id_and_never_the_host(void **st)
{
	(void)st;
	struct ww_container c;
	struct ww_owner o = child_of_sh(&c);
	struct ww_policy *p = parse_ok("allow container=docker:3f2a9c* comm=python3\n"
				       "ignore container=9e*\n"
				       "review container=*\n");
	struct ww_policy_query q = { .comm = o.comm, .uid = 0, .owner = &o, .bind_scope = -1,
				     .state = -1 };
	struct ww_policy_verdict v;
	assert_true(ww_policy_match(p, &q, &v));
	assert_int_equal(v.line, 1);
	snprintf(c.runtime, sizeof(c.runtime), "podman");   /* same id, other runtime */
	assert_true(ww_policy_match(p, &q, &v));
	assert_int_equal(v.line, 3);
	snprintf(c.id, sizeof(c.id), "9e01");
	assert_true(ww_policy_match(p, &q, &v));
	assert_int_equal(v.line, 2);
	o.container = NULL;   /* a host process: in no container */
	assert_false(ww_policy_match(p, &q, &v));
	ww_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_comments_and_blank_lines_make_an_empty_policy),
		cmocka_unit_test(test_listener_rule_explains_its_listener_and_names_its_line),
		cmocka_unit_test(test_first_matching_rule_wins),
		cmocka_unit_test(test_globs_lists_and_ranges_match),
		cmocka_unit_test(test_exe_glob_does_not_cross_directories),
		cmocka_unit_test(test_process_rules_never_match_an_unknown_owner),
		cmocka_unit_test(test_user_matches_by_name_or_number),
		cmocka_unit_test(test_remote_cidrs_scopes_and_ports),
		cmocka_unit_test(test_host_wildcard_matches_exactly_one_label_as_certificates_do),
		cmocka_unit_test(test_learned_outbound_rule_names_the_host_where_seen),
		cmocka_unit_test(test_state_dir_and_bind_constraints),
		cmocka_unit_test(test_quoted_values_carry_spaces_commas_and_escapes),
		cmocka_unit_test(test_malformed_lines_name_file_line_and_column),
		cmocka_unit_test(test_home_net_line_declares_the_sites_networks_when_loaded),
		cmocka_unit_test(test_load_reports_a_missing_file),
		cmocka_unit_test(test_what_learn_writes_for_empty_names_and_numeric_users_loads_and_matches),
		cmocka_unit_test(test_an_anomaly_rule_comes_before_the_owners_allow_rule),
		cmocka_unit_test(test_load_refuses_dev_zero_urandom_huge_files_and_endless_lines_at_once),
		cmocka_unit_test(test_learn_refuses_to_whitelist_a_masquerading_process_silently),
		cmocka_unit_test(test_load_reads_a_file_and_errors_name_it),
		cmocka_unit_test(test_learned_rule_parses_back_and_matches_its_socket),
		cmocka_unit_test(test_learned_outbound_rule_uses_the_remote_port),
		cmocka_unit_test(test_learning_writes_each_rule_once_sorted_under_a_dated_header),
		cmocka_unit_test(test_learned_rules_fit_the_kind_of_socket),
		cmocka_unit_test(test_an_anomaly_is_learned_as_an_ignore_rule_and_a_reviewed_socket_not_at_all),
		cmocka_unit_test(test_learning_nothing_writes_only_the_header),
		cmocka_unit_test(test_parent_rule_matches_the_parents_comm_or_with_a_slash_its_exe),
		cmocka_unit_test(test_parent_rule_never_matches_an_unknown_parent_or_owner),
		cmocka_unit_test(test_container_rule_matches_the_id_or_runtime_and_id_and_never_the_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
