/*
 * test_ports.c - standard ports per protocol, the user file that changes
 * them, and service names from the services database or its fallback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "wirewho/ports.h"

static int reset(void **st)
{
	(void)st;
	ww_ports_reset();
	return 0;
}

/* Write `text` to a temporary file; returns its path (static buffer). */
static const char *tmpfile_with(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/ww_ports_test_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_http_alternative_ports_are_standard_and_4444_is_not(void **st)
{
	(void)st;
	const uint16_t alt[] = { 80, 8080, 8000, 8008, 8888 };
	for (size_t i = 0; i < WW_ARRAY_SIZE(alt); i++)
		assert_true(ww_ports_is_standard("http", alt[i], WW_IPPROTO_TCP));
	assert_false(ww_ports_is_standard("http", 4444, WW_IPPROTO_TCP));
	assert_false(ww_ports_is_standard("http", 80, WW_IPPROTO_UDP));
}

static void test_implicit_tls_ports_are_standard_for_tls(void **st)
{
	(void)st;
	const uint16_t tls[] = { 443, 8443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995 };
	for (size_t i = 0; i < WW_ARRAY_SIZE(tls); i++)
		assert_true(ww_ports_is_standard("tls", tls[i], WW_IPPROTO_TCP));
	assert_false(ww_ports_is_standard("tls", 991, WW_IPPROTO_TCP));
}

static void test_well_known_ports_name_their_protocol(void **st)
{
	(void)st;
	assert_string_equal(ww_ports_protocol_of(443, WW_IPPROTO_TCP), "tls");
	assert_string_equal(ww_ports_protocol_of(443, WW_IPPROTO_UDP), "quic");
	assert_string_equal(ww_ports_protocol_of(22, WW_IPPROTO_TCP), "ssh");
	assert_string_equal(ww_ports_protocol_of(53, WW_IPPROTO_UDP), "dns");
	assert_string_equal(ww_ports_protocol_of(3389, WW_IPPROTO_TCP), "rdp");
	assert_null(ww_ports_protocol_of(4444, WW_IPPROTO_TCP));
	assert_null(ww_ports_protocol_of(22, WW_IPPROTO_UDP));
	assert_null(ww_ports_protocol_of(53, WW_IPPROTO_ICMP));
	/* STARTTLS ports allow TLS but stay known for the plaintext protocol */
	assert_true(ww_ports_is_standard("tls", 25, WW_IPPROTO_TCP));
	assert_string_equal(ww_ports_protocol_of(25, WW_IPPROTO_TCP), "smtp");
}

static void test_only_unambiguous_ports_are_strict(void **st)
{
	(void)st;
	assert_true(ww_ports_is_strict(80, WW_IPPROTO_TCP));
	assert_true(ww_ports_is_strict(53, WW_IPPROTO_UDP));
	assert_false(ww_ports_is_strict(8080, WW_IPPROTO_TCP));
	assert_false(ww_ports_is_strict(443, WW_IPPROTO_UDP));
	assert_false(ww_ports_is_strict(50000, WW_IPPROTO_TCP));
}

static void test_standard_list_is_sorted_and_bounded(void **st)
{
	(void)st;
	uint16_t p[4];
	int n = ww_ports_standard_list("http", WW_IPPROTO_TCP, p, 4);
	assert_int_equal(n, 4);
	assert_int_equal(p[0], 80);
	assert_int_equal(p[1], 81);
	for (int i = 1; i < n; i++)
		assert_true(p[i - 1] < p[i]);
	assert_int_equal(ww_ports_standard_list("nosuch", WW_IPPROTO_TCP, p, 4), 0);
}

static void test_user_file_adds_and_replaces_ports(void **st)
{
	(void)st;
	const char *path = tmpfile_with("# site ports\n"
					"http 8181 9000-9002/tcp   # app servers\n"
					"ssh = 2222\n"
					"\n"
					"dns 5300/udp\n");
	char err[WW_PORTS_ERRLEN] = "";
	assert_int_equal(ww_ports_load_user(path, err, sizeof(err)), 0);
	assert_string_equal(err, "");   /* a good file leaves err alone */
	assert_true(ww_ports_is_standard("http", 8181, WW_IPPROTO_TCP));
	assert_true(ww_ports_is_standard("http", 9001, WW_IPPROTO_TCP));
	assert_true(ww_ports_is_standard("http", 80, WW_IPPROTO_TCP));
	assert_string_equal(ww_ports_protocol_of(9002, WW_IPPROTO_TCP), "http");
	assert_true(ww_ports_is_standard("ssh", 2222, WW_IPPROTO_TCP));
	assert_false(ww_ports_is_standard("ssh", 22, WW_IPPROTO_TCP));
	assert_null(ww_ports_protocol_of(22, WW_IPPROTO_TCP));
	assert_true(ww_ports_is_standard("dns", 5300, WW_IPPROTO_UDP));
	assert_false(ww_ports_is_standard("dns", 5300, WW_IPPROTO_TCP));
	unlink(path);
}

static void expect_error(const char *text, const char *where)
{
	const char *path = tmpfile_with(text);
	char err[WW_PORTS_ERRLEN];
	assert_int_equal(ww_ports_load_user(path, err, sizeof(err)), -EINVAL);
	char want[128];
	snprintf(want, sizeof(want), "%s:%s:", path, where);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", err, want);
	unlink(path);
}

static void test_user_file_errors_say_file_line_and_column(void **st)
{
	(void)st;
	expect_error("http 80\nhttp 70000\n", "2:6");
	expect_error("gopher 70\n", "1:1");
	expect_error("http 90-80\n", "1:9");
	expect_error("http 80/sctp\n", "1:9");
	expect_error("  http\n", "1:7");
	expect_error("HTTP 80\n", "1:1");
	/* nothing of a bad file is applied */
	expect_error("http 7777\nhttp x\n", "2:6");
	assert_false(ww_ports_is_standard("http", 7777, WW_IPPROTO_TCP));
}

static void test_missing_user_file_is_an_errno(void **st)
{
	(void)st;
	char err[WW_PORTS_ERRLEN];
	assert_int_equal(ww_ports_load_user("/nonexistent/ww-ports", err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/ww-ports: No such file or directory");
}

static void test_services_come_from_the_database(void **st)
{
	(void)st;
	const char *path = tmpfile_with("# test db\n"
					"ssh\t\t22/tcp\t\t# SSH\n"
					"domain\t\t53/tcp\n"
					"domain\t\t53/udp\n"
					"first\t\t7000/tcp\n"
					"second\t\t7000/tcp\n"
					"weird\t\t7001/ddp\n");
	assert_int_equal(ww_ports_load_services(path), 0);
	assert_true(ww_ports_services_from_file());
	assert_string_equal(ww_ports_service(22, WW_IPPROTO_TCP), "ssh");
	assert_string_equal(ww_ports_service(53, WW_IPPROTO_UDP), "domain");
	assert_string_equal(ww_ports_service(7000, WW_IPPROTO_TCP), "first");
	assert_null(ww_ports_service(7001, WW_IPPROTO_TCP));
	assert_null(ww_ports_service(80, WW_IPPROTO_TCP));   /* not in this database */
	unlink(path);
}

static void test_missing_services_database_falls_back_to_builtin_names(void **st)
{
	(void)st;
	assert_int_equal(ww_ports_load_services("/nonexistent/services"), -ENOENT);
	assert_false(ww_ports_services_from_file());
	assert_string_equal(ww_ports_service(22, WW_IPPROTO_TCP), "ssh");
	assert_string_equal(ww_ports_service(443, WW_IPPROTO_TCP), "https");
	assert_null(ww_ports_service(12345, WW_IPPROTO_TCP));
}

/* Write n bytes (NULs allowed) to a temporary file; returns its path (static buffer). */
static const char *tmpfile_bytes(const char *b, size_t n)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/ww_ports_test_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	close(fd);
	return path;
}

static void test_ports_file_of_zeros_is_refused_at_its_first_byte(void **st)
{
	(void)st;
	char err[WW_PORTS_ERRLEN];
	/* before, fgets() read /dev/zero as empty lines for ever */
	assert_int_equal(ww_ports_load_user("/dev/zero", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "/dev/zero:1:1: NUL byte: not a text file");
}

static void test_a_nul_byte_hides_nothing_after_it(void **st)
{
	(void)st;
	static const char text[] = "http 8081\0 junk\nhttp 7777\n";
	const char *path = tmpfile_bytes(text, sizeof(text) - 1);
	char err[WW_PORTS_ERRLEN], want[128];
	assert_int_equal(ww_ports_load_user(path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:1:10: NUL byte: not a text file", path);
	assert_string_equal(err, want);
	assert_false(ww_ports_is_standard("http", 7777, WW_IPPROTO_TCP));   /* nothing applied */
	unlink(path);
}

static void test_ports_file_larger_than_any_real_one_is_refused(void **st)
{
	(void)st;
	/* 1 MiB and a bit of comment lines: valid text, but no ports file is that large */
	size_t n = (1u << 20) + 100;
	char *b = malloc(n);
	assert_non_null(b);
	for (size_t i = 0; i < n; i++)
		b[i] = i % 64 == 63 ? '\n' : '#';
	const char *path = tmpfile_bytes(b, n);
	free(b);
	char err[WW_PORTS_ERRLEN];
	assert_int_equal(ww_ports_load_user(path, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, "not a ports file"));
	unlink(path);
}

static void test_overlong_ports_line_and_unreadable_file_are_errors(void **st)
{
	(void)st;
	char line[2000];
	memset(line, ' ', sizeof(line));
	memcpy(line, "http", 4);
	line[sizeof(line) - 1] = '\n';
	const char *path = tmpfile_bytes(line, sizeof(line));
	char err[WW_PORTS_ERRLEN];
	assert_int_equal(ww_ports_load_user(path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":1:1024: line too long"));
	unlink(path);
	/* a directory opens but does not read */
	assert_int_equal(ww_ports_load_user("/tmp", err, sizeof(err)), -EIO);
	assert_string_equal(err, "/tmp: read error: Is a directory");
}

static void test_services_database_with_a_nul_or_overlong_line_is_not_used(void **st)
{
	(void)st;
	static const char text[] = "ssh\t\t22/tcp\nfirst\t\t7000/tcp\0\n";
	const char *path = tmpfile_bytes(text, sizeof(text) - 1);
	assert_int_equal(ww_ports_load_services(path), -EINVAL);
	assert_false(ww_ports_services_from_file());
	assert_null(ww_ports_service(7000, WW_IPPROTO_TCP));
	assert_string_equal(ww_ports_service(443, WW_IPPROTO_TCP), "https");   /* the built-in names */
	unlink(path);
	assert_int_equal(ww_ports_load_services("/dev/zero"), -EINVAL);
	char line[1500];
	memset(line, 'x', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	path = tmpfile_bytes(line, sizeof(line));
	assert_int_equal(ww_ports_load_services(path), -E2BIG);
	assert_false(ww_ports_services_from_file());
	unlink(path);
	assert_int_equal(ww_ports_load_services("/tmp"), -EIO);
}

static void test_system_services_database_names_http(void **st)
{
	(void)st;
	if (access(WW_SERVICES_PATH, R_OK) != 0)
		skip();
	assert_int_equal(ww_ports_load_services(NULL), 0);
	assert_string_equal(ww_ports_service(80, WW_IPPROTO_TCP), "http");
	assert_string_equal(ww_ports_service(53, WW_IPPROTO_UDP), "domain");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_http_alternative_ports_are_standard_and_4444_is_not, reset),
		cmocka_unit_test_setup(test_implicit_tls_ports_are_standard_for_tls, reset),
		cmocka_unit_test_setup(test_well_known_ports_name_their_protocol, reset),
		cmocka_unit_test_setup(test_only_unambiguous_ports_are_strict, reset),
		cmocka_unit_test_setup(test_standard_list_is_sorted_and_bounded, reset),
		cmocka_unit_test_setup(test_user_file_adds_and_replaces_ports, reset),
		cmocka_unit_test_setup(test_user_file_errors_say_file_line_and_column, reset),
		cmocka_unit_test_setup(test_missing_user_file_is_an_errno, reset),
		cmocka_unit_test_setup(test_services_come_from_the_database, reset),
		cmocka_unit_test_setup(test_missing_services_database_falls_back_to_builtin_names, reset),
		cmocka_unit_test_setup(test_system_services_database_names_http, reset),
		cmocka_unit_test_setup(test_ports_file_of_zeros_is_refused_at_its_first_byte, reset),
		cmocka_unit_test_setup(test_a_nul_byte_hides_nothing_after_it, reset),
		cmocka_unit_test_setup(test_ports_file_larger_than_any_real_one_is_refused, reset),
		cmocka_unit_test_setup(test_overlong_ports_line_and_unreadable_file_are_errors, reset),
		cmocka_unit_test_setup(test_services_database_with_a_nul_or_overlong_line_is_not_used, reset),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	ww_ports_reset();
	return r;
}
