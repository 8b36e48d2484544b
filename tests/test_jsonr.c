/*
 * test_jsonr.c - the JSON line reader: what the writer (jsonw.h) writes
 * reads back field by field, escapes and all; nested values are skipped and
 * later scalar fields still found; a line that is not exactly one object is
 * refused with a reason; numbers are taken only when whole and in range;
 * and times read back as the writer's microseconds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "wirewho/jsonr.h"
#include "wirewho/jsonw.h"

#define T0 (1795000000LL * WW_USEC_PER_SEC + 123456)

/* A record written by jsonw, as a NUL-terminated line the caller frees. */
static char *written(const char *comm)
{
	struct ww_jw w;
	ww_jw_init(&w);
	ww_jw_record(&w, "socket", T0);
	ww_jw_str(&w, "comm", comm);
	ww_jw_uint(&w, "inode", 123456789);
	ww_jw_int(&w, "uid", -1);
	ww_jw_bool(&w, "up", true);
	ww_jw_null(&w, "exe");
	ww_jw_time(&w, "from", T0);
	assert_int_equal(ww_jw_finish(&w, NULL), 0);
	char *line = strndup(w.buf, w.len);
	ww_jw_free(&w);
	return line;
}

static void test_a_written_record_reads_back_field_by_field(void **state)
{
	(void)state;
	char *line = written("curl \"x\"\\\t\xc3\xa9");
	struct ww_jsonr_obj o;
	const char *why = NULL;
	double v;
	ww_time_t t;

	assert_int_equal(ww_jsonr_parse(line, &o, &why), 0);
	assert_string_equal(ww_jsonr_get_str(&o, "type"), "socket");
	assert_string_equal(ww_jsonr_get_str(&o, "comm"), "curl \"x\"\\\t\xc3\xa9");
	assert_true(ww_jsonr_get_num(&o, "inode", 0, 1e18, &v));
	assert_true(v == 123456789.0);
	assert_true(ww_jsonr_get_num(&o, "uid", -1, 0, &v));
	assert_true(v == -1.0);
	assert_int_equal(ww_jsonr_get(&o, "up")->t, WW_JSONR_BOOL);
	assert_true(ww_jsonr_get(&o, "up")->b);
	assert_int_equal(ww_jsonr_get(&o, "exe")->t, WW_JSONR_NULL);
	assert_null(ww_jsonr_get_str(&o, "exe"));
	assert_null(ww_jsonr_get(&o, "missing"));
	assert_int_equal(ww_jsonr_parse_time(ww_jsonr_get_str(&o, "from"), &t), 0);
	assert_true(t == T0);
	assert_int_equal(ww_jsonr_parse_time(ww_jsonr_get_str(&o, "ts"), &t), 0);
	assert_true(t == T0);
	free(line);
}

static void test_unicode_escapes_become_utf8_and_lone_surrogates_the_replacement(void **state)
{
	(void)state;
	char line[] = "{\"a\":\"\\u00e9\\u20ac\\ud83d\\ude00\",\"b\":\"\\ud800x\",\"c\":\"\\/\\n\"}";
	struct ww_jsonr_obj o;
	const char *why;

	assert_int_equal(ww_jsonr_parse(line, &o, &why), 0);
	assert_string_equal(ww_jsonr_get_str(&o, "a"), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	assert_string_equal(ww_jsonr_get_str(&o, "b"), "\xef\xbf\xbdx");
	assert_string_equal(ww_jsonr_get_str(&o, "c"), "/\n");
}

static void test_nested_values_are_skipped_and_later_fields_still_found(void **state)
{
	(void)state;
	char line[] = " { \"x\" : {\"a\":[1,2,{\"b\":null}],\"c\":\"}\"} , \"y\":[] ,\"z\": 7 }\n";
	struct ww_jsonr_obj o;
	const char *why;
	double v;

	assert_int_equal(ww_jsonr_parse(line, &o, &why), 0);
	assert_int_equal(o.n, 1);
	assert_null(ww_jsonr_get(&o, "x"));
	assert_true(ww_jsonr_get_num(&o, "z", 0, 10, &v));
	assert_true(v == 7.0);
}

static void refused(const char *text, const char *reason)
{
	char *line = strdup(text);
	struct ww_jsonr_obj o;
	const char *why = NULL;
	assert_int_equal(ww_jsonr_parse(line, &o, &why), -EINVAL);
	assert_non_null(why);
	if (strcmp(why, reason) != 0)
		fail_msg("\"%s\": reason \"%s\", not \"%s\"", text, why, reason);
	free(line);
}

static void test_a_line_that_is_not_one_object_is_refused_with_a_reason(void **state)
{
	(void)state;
	refused("this is not json", "not a JSON object");
	refused("[1,2]", "not a JSON object");
	refused("{\"a\":1} {}", "trailing characters after the object");
	refused("{a:1}", "expected a quoted key");
	refused("{\"a\" 1}", "expected ':' after a key");
	refused("{\"a\":\"unterminated}", "bad string value");
	refused("{\"a\":\"bad \\q escape\"}", "bad string value");
	refused("{\"a\":[1,}", "bad nested value");
	refused("{\"a\":nope}", "bad value");
	refused("{\"a\":1", "expected ',' or '}'");
}

static void test_numbers_are_taken_only_when_whole_and_in_range(void **state)
{
	(void)state;
	char line[] = "{\"half\":1.5,\"big\":70000,\"s\":\"5\",\"ok\":65535}";
	struct ww_jsonr_obj o;
	const char *why;
	double v = 42;

	assert_int_equal(ww_jsonr_parse(line, &o, &why), 0);
	assert_false(ww_jsonr_get_num(&o, "half", 0, 10, &v));
	assert_false(ww_jsonr_get_num(&o, "big", 0, 65535, &v));
	assert_false(ww_jsonr_get_num(&o, "s", 0, 10, &v));
	assert_false(ww_jsonr_get_num(&o, "none", 0, 10, &v));
	assert_true(v == 42.0);
	assert_true(ww_jsonr_get_num(&o, "ok", 0, 65535, &v));
	assert_true(v == 65535.0);
}

static void test_fields_beyond_the_limit_are_parsed_and_dropped(void **state)
{
	(void)state;
	char line[64 * 16] = "{";
	for (int i = 0; i < WW_JSONR_MAX_FIELDS + 4; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s\"k%d\":%d", i ? "," : "", i, i);
	strcat(line, "}");
	struct ww_jsonr_obj o;
	const char *why;
	double v;

	assert_int_equal(ww_jsonr_parse(line, &o, &why), 0);
	assert_int_equal(o.n, WW_JSONR_MAX_FIELDS);
	assert_true(ww_jsonr_get_num(&o, "k0", 0, 100, &v));
	assert_false(ww_jsonr_get_num(&o, "k35", 0, 100, &v));
}

static void test_times_read_back_to_the_microsecond_and_malformed_ones_are_refused(void **state)
{
	(void)state;
	ww_time_t t = 0;
	assert_int_equal(ww_jsonr_parse_time("1970-01-01T00:00:00Z", &t), 0);
	assert_true(t == 0);
	assert_int_equal(ww_jsonr_parse_time("2026-11-26T06:22:25.5Z", &t), 0);
	assert_true(t == 1795674145LL * WW_USEC_PER_SEC + 500000);
	char buf[WW_TIMESTRLEN];
	assert_int_equal(ww_jsonr_parse_time(ww_time_str(T0, buf), &t), 0);
	assert_true(t == T0);
	assert_int_equal(ww_jsonr_parse_time(NULL, &t), -EINVAL);
	assert_int_equal(ww_jsonr_parse_time("yesterday", &t), -EINVAL);
	assert_int_equal(ww_jsonr_parse_time("2026-11-26T06:22:25", &t), -EINVAL);
	assert_int_equal(ww_jsonr_parse_time("2026-13-26T06:22:25Z", &t), -EINVAL);
	assert_int_equal(ww_jsonr_parse_time("2026-11-26T06:22:25.Z", &t), -EINVAL);
	assert_int_equal(ww_jsonr_parse_time("2026-11-26T06:22:25+01:00", &t), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_written_record_reads_back_field_by_field),
		cmocka_unit_test(test_unicode_escapes_become_utf8_and_lone_surrogates_the_replacement),
		cmocka_unit_test(test_nested_values_are_skipped_and_later_fields_still_found),
		cmocka_unit_test(test_a_line_that_is_not_one_object_is_refused_with_a_reason),
		cmocka_unit_test(test_numbers_are_taken_only_when_whole_and_in_range),
		cmocka_unit_test(test_fields_beyond_the_limit_are_parsed_and_dropped),
		cmocka_unit_test(test_times_read_back_to_the_microsecond_and_malformed_ones_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
