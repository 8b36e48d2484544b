/*
 * test_sink.c - the sink set (src/sink/): records given the host and a
 * sequence, the file sink with its reopen, nats:// values, the options,
 * and the spool: order, resumption from the cursor after a restart, and
 * the oldest records dropped and counted when it is full.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "wirewho/sink.h"
#include "../src/sink/sink_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static const struct ww_host_id host = { "h1", "0123abcd", "b-o-o-t" };

static char tmpdir[256];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_sink.%d.XXXXXX", (int)getpid());
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	(void)state;
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_a_record_gets_host_and_seq_before_its_closing_brace(void **state)
{
	(void)state;
	const char *in = "{\"type\":\"flow\",\"flow_id\":7}";
	char *out;
	size_t n;
	assert_int_equal(ww_sink_enrich(in, strlen(in), &host, 42, 0, &out, &n), 0);
	assert_string_equal(out, "{\"type\":\"flow\",\"flow_id\":7,\"host\":{\"name\":\"h1\",\"machine_id\":"
			    "\"0123abcd\",\"boot_id\":\"b-o-o-t\"},\"seq\":42}");
	assert_int_equal(n, strlen(out));
	free(out);
}

static void test_a_stats_record_also_says_what_the_sinks_dropped(void **state)
{
	(void)state;
	const char *in = "{\"type\":\"stats\",\"packets\":1}";
	char *out;
	size_t n;
	assert_int_equal(ww_sink_enrich(in, strlen(in), &host, 3, 17, &out, &n), 0);
	assert_non_null(strstr(out, ",\"sink_dropped\":17,\"host\":{"));
	free(out);
}

static void test_a_host_name_with_quotes_is_escaped(void **state)
{
	(void)state;
	struct ww_host_id h = { "evil\"},\"x", "m", "b" };
	const char *in = "{\"type\":\"alert\"}";
	char *out;
	size_t n;
	assert_int_equal(ww_sink_enrich(in, strlen(in), &h, 1, 0, &out, &n), 0);
	assert_non_null(strstr(out, "\"name\":\"evil\\\"},\\\"x\""));
	free(out);
}

static void test_a_text_line_is_not_a_record(void **state)
{
	(void)state;
	char *out = NULL;
	size_t n;
	assert_int_equal(ww_sink_enrich("-- 12:00:00 eth0 --", 19, &host, 1, 0, &out, &n), -EINVAL);
	assert_null(out);
}

static void test_the_type_comes_from_the_leading_field_only(void **state)
{
	(void)state;
	char t[24];
	ww_sink_record_type("{\"type\":\"socket\",\"a\":1}", 23, t, sizeof(t));
	assert_string_equal(t, "socket");
	ww_sink_record_type("{\"a\":1,\"type\":\"flow\"}", 22, t, sizeof(t));
	assert_string_equal(t, "record");
	ww_sink_record_type("{\"type\":\"a.b*>\"}", 16, t, sizeof(t));
	assert_string_equal(t, "record");   /* never a subject token with wildcards */
}

static void test_a_nats_value_lists_servers_and_a_subject(void **state)
{
	(void)state;
	struct ww_nats_url u;
	char err[256];
	assert_int_equal(ww_nats_parse_url("nats://192.0.2.1:4222,192.0.2.2:4223,h:1/ww.{host}.{type}", &u,
					   err, sizeof(err)), 0);
	assert_int_equal(u.n, 3);
	assert_string_equal(u.servers[1], "nats://192.0.2.2:4223");
	assert_string_equal(u.subject, "ww.{host}.{type}");
	assert_int_equal(ww_nats_parse_url("nats://192.0.2.1:4222", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(ww_nats_parse_url("nats://192.0.2.1/x", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(ww_nats_parse_url("nats://192.0.2.1:42,/x", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(ww_nats_parse_url("nats://192.0.2.1:42/a b", &u, err, sizeof(err)), -EINVAL);
}

static void test_sink_options_are_checked_before_anything_opens(void **state)
{
	(void)state;
	struct ww_sinks_cfg c = { 0 };
	char err[512];
	assert_int_equal(ww_sinks_cfg_option(&c, WW_SINK_OPT_OUTPUT, "kafka://x", err, sizeof(err)), -EINVAL);
	assert_int_equal(ww_sinks_cfg_option(&c, WW_SINK_OPT_OUTPUT, "file:", err, sizeof(err)), -EINVAL);
	assert_int_equal(ww_sinks_cfg_option(&c, WW_SINK_OPT_OUTPUT, "syslog+tcp://192.0.2.1", err, sizeof(err)), -EINVAL);
	assert_int_equal(ww_sinks_cfg_option(&c, WW_SINK_OPT_OUTPUT, "syslog+tcp://[2001:db8::1]:514", err, sizeof(err)), 1);
	assert_int_equal(ww_sinks_cfg_option(&c, WW_SINK_OPT_FACILITY, "local3", err, sizeof(err)), 1);
	assert_int_equal(c.syslog_facility, 19);
	assert_int_equal(ww_sinks_cfg_option(&c, WW_SINK_OPT_FACILITY, "24", err, sizeof(err)), -EINVAL);
	assert_int_equal(ww_sinks_cfg_option(&c, WW_SINK_OPT_APP, "a b", err, sizeof(err)), -EINVAL);
	assert_int_equal(ww_sinks_cfg_option(&c, WW_SINK_OPT_SPOOL, "/tmp/x", err, sizeof(err)), 1);
	/* a spool without a nats:// sink has nothing to keep */
	assert_int_equal(ww_sinks_cfg_check(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nats://"));
	assert_int_equal(ww_sinks_cfg_option(&c, 'x', NULL, err, sizeof(err)), 0);
}

static size_t count_lines(const char *path, char *last, size_t lastsz)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	size_t n = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (last)
			snprintf(last, lastsz, "%s", line);
	}
	fclose(f);
	return n;
}

static void test_a_file_sink_gets_every_record_numbered_and_reopens_when_asked(void **state)
{
	(void)state;
	char spec[400], path[300], moved[320], err[512], last[4096];
	snprintf(path, sizeof(path), "%s/records.ndjson", tmpdir);
	snprintf(moved, sizeof(moved), "%s.1", path);
	snprintf(spec, sizeof(spec), "file:%s", path);
	struct ww_sinks_cfg c = { .outputs = { spec }, .n_outputs = 1, .wait_when_full = true };
	struct ww_sinks *s = ww_sinks_open(&c, err, sizeof(err));
	assert_non_null(s);
	FILE *f = ww_sinks_file(s);
	for (int i = 0; i < 1000; i++)
		fprintf(f, "{\"type\":\"flow\",\"flow_id\":%d}\n", i);
	fflush(f);
	/* logrotate: rename, then SIGUSR1; the sink's thread reopens between records */
	for (int i = 0; i < 100 && count_lines(path, NULL, 0) < 1000; i++)
		usleep(20000);
	assert_int_equal(count_lines(path, NULL, 0), 1000);
	assert_int_equal(rename(path, moved), 0);
	ww_sinks_request_reopen();
	usleep(300000);   /* the thread wakes at least every 200 ms */
	fprintf(f, "{\"type\":\"stats\",\"packets\":5}\n");
	assert_int_equal(ww_sinks_close(s, 5.0, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(count_lines(moved, last, sizeof(last)), 1000);
	assert_non_null(strstr(last, "\"flow_id\":999,\"host\":{"));
	assert_non_null(strstr(last, "\"seq\":1000}"));
	assert_int_equal(count_lines(path, last, sizeof(last)), 1);
	assert_non_null(strstr(last, "\"sink_dropped\":0,"));
	assert_non_null(strstr(last, "\"seq\":1001}"));
}

static void test_a_spool_drains_in_order_and_the_next_run_resumes_at_its_cursor(void **state)
{
	(void)state;
	char dir[400], err[512];
	snprintf(dir, sizeof(dir), "%s/spool-a", tmpdir);
	struct ww_sinks_cfg c = { 0 };
	struct ww_sinks *set = ww_sinks_open(&c, err, sizeof(err));
	assert_non_null(set);
	struct ww_spool *sp = ww_spool_open(dir, 0, set, err, sizeof(err));
	assert_non_null(sp);
	char line[64];
	for (int i = 1; i <= 10; i++) {
		int n = snprintf(line, sizeof(line), "id%d\tsubj\t{\"n\":%d}", i, i);
		assert_int_equal(ww_spool_append(sp, line, (size_t)n), 0);
	}
	const char *l;
	size_t len;
	struct ww_spool_pos end, acked = { 0, 0, 0 };
	for (int i = 1; i <= 6; i++) {
		assert_int_equal(ww_spool_next(sp, &l, &len, &end), 1);
		snprintf(line, sizeof(line), "id%d\t", i);
		assert_memory_equal(l, line, strlen(line));
		if (i == 4)
			acked = end;   /* 5 and 6 were sent, not acknowledged */
	}
	ww_spool_commit(sp, acked);
	assert_int_equal(ww_spool_pending(sp), 6);
	ww_spool_close(sp);   /* wirewho stops */

	sp = ww_spool_open(dir, 0, set, err, sizeof(err));
	assert_non_null(sp);
	assert_int_equal(ww_spool_pending(sp), 6);
	assert_int_equal(ww_spool_append(sp, "id11\ts\t{}", 9), 0);
	for (int i = 5; i <= 11; i++) {
		assert_int_equal(ww_spool_next(sp, &l, &len, &end), 1);
		snprintf(line, sizeof(line), "id%d\t", i);
		assert_memory_equal(l, line, strlen(line));
		ww_spool_commit(sp, end);
	}
	assert_int_equal(ww_spool_next(sp, &l, &len, &end), 0);
	assert_int_equal(ww_spool_pending(sp), 0);
	ww_spool_close(sp);
	assert_int_equal(ww_sinks_dropped(set), 0);
	ww_sinks_close(set, 0, NULL, NULL, NULL, 0);
}

static void test_a_full_spool_drops_its_oldest_records_and_counts_them(void **state)
{
	(void)state;
	char dir[400], err[512], note[512];
	snprintf(dir, sizeof(dir), "%s/spool-b", tmpdir);
	struct ww_sinks_cfg c = { 0 };
	struct ww_sinks *set = ww_sinks_open(&c, err, sizeof(err));
	struct ww_spool *sp = ww_spool_open(dir, 1u << 20, set, err, sizeof(err));
	assert_non_null(sp);
	static char line[1024];
	const size_t recs = (WW_SPOOL_SEGMENT / sizeof(line)) + 200;   /* a segment and a bit */
	for (size_t i = 0; i < recs; i++) {
		int n = snprintf(line, sizeof(line), "id%zu\ts\t", i);
		memset(line + n, 'x', sizeof(line) - 1 - (size_t)n);
		assert_int_equal(ww_spool_append(sp, line, sizeof(line) - 1), 0);
	}
	uint64_t dropped = ww_sinks_dropped(set);
	assert_true(dropped > 0);
	assert_int_equal(ww_spool_pending(sp) + dropped, recs);
	assert_int_equal(ww_sinks_take_notice(set, note, sizeof(note)), 1);
	assert_non_null(strstr(note, "is full"));
	/* what is left is the newest, in order */
	const char *l;
	size_t len;
	struct ww_spool_pos end;
	assert_int_equal(ww_spool_next(sp, &l, &len, &end), 1);
	snprintf(line, sizeof(line), "id%" PRIu64 "\t", dropped);
	assert_memory_equal(l, line, strlen(line));
	ww_spool_close(sp);
	ww_sinks_close(set, 0, NULL, NULL, NULL, 0);
}

static void test_a_torn_last_line_is_cut_at_the_next_start(void **state)
{
	(void)state;
	char dir[400], err[512], seg[500];
	snprintf(dir, sizeof(dir), "%s/spool-c", tmpdir);
	struct ww_sinks_cfg c = { 0 };
	struct ww_sinks *set = ww_sinks_open(&c, err, sizeof(err));
	struct ww_spool *sp = ww_spool_open(dir, 0, set, err, sizeof(err));
	assert_non_null(sp);
	assert_int_equal(ww_spool_append(sp, "a\ts\t{}", 6), 0);
	ww_spool_close(sp);
	snprintf(seg, sizeof(seg), "%s/seg-%016d", dir, 1);
	FILE *f = fopen(seg, "a");
	assert_non_null(f);
	fputs("b\ts\t{\"half", f);   /* a crash in the middle of a write */
	fclose(f);
	sp = ww_spool_open(dir, 0, set, err, sizeof(err));
	assert_non_null(sp);
	assert_int_equal(ww_spool_pending(sp), 1);
	const char *l;
	size_t len;
	struct ww_spool_pos end;
	assert_int_equal(ww_spool_next(sp, &l, &len, &end), 1);
	assert_int_equal(len, 6);
	assert_int_equal(ww_spool_next(sp, &l, &len, &end), 0);
	ww_spool_close(sp);
	ww_sinks_close(set, 0, NULL, NULL, NULL, 0);
}

static void test_a_local_syslog_message_is_rfc5424_with_the_record_as_its_message(void **state)
{
	(void)state;
	char path[100], err[512], buf[8192];
	snprintf(path, sizeof(path), "%.80s/log.sock", tmpdir);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	setenv("WIREWHO_SYSLOG_SOCKET", path, 1);
	struct ww_sinks_cfg c = { .outputs = { "syslog" }, .n_outputs = 1, .syslog_app = "wwunit",
				  .syslog_facility = 19, .facility_set = true };
	struct ww_sinks *s = ww_sinks_open(&c, err, sizeof(err));
	assert_non_null(s);
	FILE *f = ww_sinks_file(s);
	fputs("{\"type\":\"alert\",\"kind\":\"x\"}\n{\"type\":\"flow\",\"flow_id\":1}\n", f);
	fflush(f);
	struct timeval tv = { 5, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	/* local3 (19) * 8 + warning (4) = 156 for the alert */
	assert_memory_equal(buf, "<156>1 ", 7);
	assert_non_null(strstr(buf, " wwunit "));
	assert_non_null(strstr(buf, " alert [wirewho@32473 seq=\"1\"] {\"type\":\"alert\",\"kind\":\"x\",\"host\":{"));
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_memory_equal(buf, "<158>1 ", 7);   /* info for the rest */
	assert_non_null(strstr(buf, " flow [wirewho@32473 seq=\"2\"] {\"type\":\"flow\""));
	assert_int_equal(ww_sinks_close(s, 5.0, NULL, NULL, err, sizeof(err)), 0);
	unsetenv("WIREWHO_SYSLOG_SOCKET");
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_record_gets_host_and_seq_before_its_closing_brace),
		cmocka_unit_test(test_a_stats_record_also_says_what_the_sinks_dropped),
		cmocka_unit_test(test_a_host_name_with_quotes_is_escaped),
		cmocka_unit_test(test_a_text_line_is_not_a_record),
		cmocka_unit_test(test_the_type_comes_from_the_leading_field_only),
		cmocka_unit_test(test_a_nats_value_lists_servers_and_a_subject),
		cmocka_unit_test(test_sink_options_are_checked_before_anything_opens),
		cmocka_unit_test(test_a_file_sink_gets_every_record_numbered_and_reopens_when_asked),
		cmocka_unit_test(test_a_spool_drains_in_order_and_the_next_run_resumes_at_its_cursor),
		cmocka_unit_test(test_a_full_spool_drops_its_oldest_records_and_counts_them),
		cmocka_unit_test(test_a_torn_last_line_is_cut_at_the_next_start),
		cmocka_unit_test(test_a_local_syslog_message_is_rfc5424_with_the_record_as_its_message),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
