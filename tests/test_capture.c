/*
 * test_capture.c - what the capture layer says before and instead of
 * capturing: an interface is probed without being opened ("any" and lo are
 * up, a missing one does not exist, one that is down says so), a live open
 * of a missing interface fails with the probe's words, and a capture file
 * that is missing, a directory or empty is refused with a reason cut to the
 * caller's buffer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "wirewho/capture.h"

static void test_probe_finds_any_and_loopback_up_and_a_missing_interface_absent(void **state)
{
	(void)state;
	assert_int_equal(ww_capture_probe("any"), 0);
	assert_int_equal(ww_capture_probe("lo"), 0);
	assert_int_equal(ww_capture_probe("ww-nosuch0"), -ENODEV);
	assert_int_equal(ww_capture_probe("a-name-longer-than-ifnamsiz"), -ENODEV);
	assert_string_equal(ww_capture_probe_problem(-ENODEV), "does not exist");
	assert_string_equal(ww_capture_probe_problem(-ENETDOWN), "is down");
	assert_string_equal(ww_capture_probe_problem(-EPERM), strerror(EPERM));
}

static void test_live_open_of_a_missing_interface_says_it_does_not_exist(void **state)
{
	(void)state;
	char err[WW_CAPTURE_ERRLEN] = "";
	assert_null(ww_capture_open_live("ww-nosuch0", NULL, 0, 0, err, sizeof(err)));
	assert_string_equal(err, "interface ww-nosuch0 does not exist");
}

static void test_capture_files_that_cannot_be_captures_are_refused_with_a_reason(void **state)
{
	(void)state;
	char err[WW_CAPTURE_ERRLEN], path[] = "/tmp/ww-capture-test.XXXXXX";
	assert_null(ww_capture_open_file("/nonexistent/x.pcap", NULL, err, sizeof(err)));
	assert_string_equal(err, strerror(ENOENT));
	assert_null(ww_capture_open_file("/tmp", NULL, err, sizeof(err)));
	assert_string_equal(err, "is a directory, not a capture file");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_null(ww_capture_open_file(path, NULL, err, sizeof(err)));
	assert_string_equal(err, "empty file, not a capture");
	char small[8];
	assert_null(ww_capture_open_file(path, NULL, small, sizeof(small)));
	assert_string_equal(small, "empty f");
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_finds_any_and_loopback_up_and_a_missing_interface_absent),
		cmocka_unit_test(test_live_open_of_a_missing_interface_says_it_does_not_exist),
		cmocka_unit_test(test_capture_files_that_cannot_be_captures_are_refused_with_a_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
