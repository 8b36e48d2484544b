/*
 * test_timeline.c - the recorded socket/process timeline: what `watch
 * --record` writes is what `replay --sockets` reads back, ported 5-tuples
 * and ICMP alike; a reused 5-tuple keeps both owners apart by time; untrusted
 * process names survive the round trip; a timeline that is malformed or that
 * belongs to another capture is refused with the file, line and reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "wirewho/timeline.h"
#include "test_util.h"

#define SEC WW_USEC_PER_SEC
#define T0 (1795000000LL * SEC)

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ww-tl-test.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct ww_flow flow(const char *c, uint16_t cp, const char *s, uint16_t sp, uint8_t proto,
			   ww_time_t first, ww_time_t last)
{
	struct ww_flow f = ww_test_flow(c, cp, s, sp, proto);   /* ICMP: echo request, id cp */
	f.first = first;
	f.last = last;
	return f;
}

static char *path(const char *name)
{
	static char buf[4][128];
	static int i;
	char *b = buf[i++ % 4];
	snprintf(b, 128, "%s/%s", dir, name);
	return b;
}

static const uint8_t frame[60] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 0x08, 0x00, 0x45 };

/* Record a small session: two packets and the bindings of four flows. */
static void record_session(void)
{
	char err[WW_TIMELINE_ERRLEN];
	struct ww_tl_writer *w = ww_timeline_create(dir, DLT_EN10MB, 65535, "veth0", T0, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(ww_timeline_packet(w, frame, sizeof(frame), sizeof(frame), T0 + 1), 0);
	assert_int_equal(ww_timeline_packet(w, frame, sizeof(frame), sizeof(frame), T0 + 2), 0);

	struct ww_owner curl = { .pid = 4242, .uid = 1000, .comm = "curl", .exe = "/usr/bin/curl", .user = "alice" };
	struct ww_owner evil = { .pid = 77, .uid = 0, .comm = "ev\"il\n\x01name", .exe = NULL, .user = "root" };
	struct ww_flow a = flow("192.0.2.1", 40000, "192.0.2.2", 80, WW_IPPROTO_TCP, T0 + 1, T0 + 5 * SEC);
	struct ww_flow b = flow("2001:db8::1", 5353, "2001:db8::2", 53, WW_IPPROTO_UDP, T0 + 2, T0 + 3);
	struct ww_flow c = flow("192.0.2.1", 999, "192.0.2.9", 0, WW_IPPROTO_ICMP, T0 + 4, T0 + 4);
	/* The same 5-tuple as `a`, a minute later, another process. */
	struct ww_flow d = flow("192.0.2.1", 40000, "192.0.2.2", 80, WW_IPPROTO_TCP, T0 + 60 * SEC, T0 + 61 * SEC);
	assert_int_equal(ww_timeline_binding(w, &a, &curl, 123456, "exact", "", false), 0);
	assert_int_equal(ww_timeline_binding(w, &b, NULL, 0, "unresolved", "socket closed before lookup", false), 0);
	assert_int_equal(ww_timeline_binding(w, &c, NULL, 0, "unresolved", "raw socket", false), 0);
	assert_int_equal(ww_timeline_binding(w, &d, &evil, 99, "listener", "", true), 0);
	assert_int_equal(ww_timeline_close(w), 0);
}

static void test_recorded_bindings_read_back_by_flow_key_and_time(void **state)
{
	(void)state;
	char err[WW_TIMELINE_ERRLEN];
	record_session();
	struct ww_timeline *tl = ww_timeline_load(path(WW_TIMELINE_FILE), err, sizeof(err));
	assert_non_null(tl);
	assert_int_equal(ww_timeline_count(tl), 4);

	/* The replayed flow may be seen from the server side first: same key. */
	struct ww_flow a = flow("192.0.2.2", 80, "192.0.2.1", 40000, WW_IPPROTO_TCP, T0 + 1, T0 + 1);
	const struct ww_tl_rec *r = ww_timeline_find(tl, &a.key, a.first);
	assert_non_null(r);
	assert_true(r->has_owner);
	assert_int_equal(r->owner.pid, 4242);
	assert_string_equal(r->owner.comm, "curl");
	assert_string_equal(r->owner.exe, "/usr/bin/curl");
	assert_string_equal(r->owner.user, "alice");
	assert_int_equal(r->owner.uid, 1000);
	assert_int_equal(r->inode, 123456);
	assert_string_equal(r->status, "exact");
	assert_false(r->local_is_server);

	struct ww_flow b = flow("2001:db8::1", 5353, "2001:db8::2", 53, WW_IPPROTO_UDP, T0 + 2, T0 + 2);
	r = ww_timeline_find(tl, &b.key, b.first);
	assert_non_null(r);
	assert_false(r->has_owner);
	assert_string_equal(r->status, "unresolved");
	assert_string_equal(r->reason, "socket closed before lookup");

	struct ww_flow c = flow("192.0.2.1", 999, "192.0.2.9", 0, WW_IPPROTO_ICMP, T0 + 4, T0 + 4);
	r = ww_timeline_find(tl, &c.key, c.first);
	assert_non_null(r);
	assert_string_equal(r->reason, "raw socket");
	ww_timeline_free(tl);
}

static void test_reused_five_tuple_gives_each_flow_the_owner_of_its_time(void **state)
{
	(void)state;
	char err[WW_TIMELINE_ERRLEN];
	record_session();
	struct ww_timeline *tl = ww_timeline_load(path(WW_TIMELINE_FILE), err, sizeof(err));
	assert_non_null(tl);
	struct ww_flow early = flow("192.0.2.1", 40000, "192.0.2.2", 80, WW_IPPROTO_TCP, T0 + 2 * SEC, 0);
	struct ww_flow late = flow("192.0.2.1", 40000, "192.0.2.2", 80, WW_IPPROTO_TCP, T0 + 60 * SEC, 0);
	struct ww_flow never = flow("192.0.2.1", 40000, "192.0.2.2", 80, WW_IPPROTO_TCP, T0 + 30 * SEC, 0);
	assert_int_equal(ww_timeline_find(tl, &early.key, early.first)->owner.pid, 4242);
	const struct ww_tl_rec *r = ww_timeline_find(tl, &late.key, late.first);
	assert_int_equal(r->owner.pid, 77);
	assert_true(r->local_is_server);
	assert_string_equal(r->status, "listener");
	/* Untrusted bytes come back exactly (escaped on disk, unescaped here). */
	assert_string_equal(r->owner.comm, "ev\"il\n\x01name");
	assert_null(r->owner.exe);
	/* Between the two spans, far from both: no owner is invented. */
	assert_null(ww_timeline_find(tl, &never.key, never.first));
	ww_timeline_free(tl);
}

static void test_timeline_belongs_to_its_capture_and_not_to_another(void **state)
{
	(void)state;
	char err[WW_TIMELINE_ERRLEN], other[160];
	record_session();
	struct ww_timeline *tl = ww_timeline_load(path(WW_TIMELINE_FILE), err, sizeof(err));
	assert_non_null(tl);
	assert_int_equal(ww_timeline_check_capture(tl, path(WW_TIMELINE_PCAP), err, sizeof(err)), 0);

	/* Another capture (one packet a microsecond later), in another directory. */
	snprintf(other, sizeof(other), "%s/other", dir);
	assert_int_equal(mkdir(other, 0700), 0);
	struct ww_tl_writer *w = ww_timeline_create(other, DLT_EN10MB, 65535, "veth0", T0, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(ww_timeline_packet(w, frame, sizeof(frame), sizeof(frame), T0 + 9), 0);
	assert_int_equal(ww_timeline_close(w), 0);
	/* Its capture.id would give it away; without one, the packets must. */
	char idfile[200];
	snprintf(idfile, sizeof(idfile), "%s/" WW_TIMELINE_ID, other);
	assert_int_equal(unlink(idfile), 0);
	strcat(other, "/" WW_TIMELINE_PCAP);
	assert_int_equal(ww_timeline_check_capture(tl, other, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "does not belong"));

	/* The same pcap beside a capture.id of another recording: refused. */
	FILE *f = fopen(path(WW_TIMELINE_ID), "w");
	fputs("0123456789abcdef0123456789abcdef\n", f);
	fclose(f);
	assert_int_equal(ww_timeline_check_capture(tl, path(WW_TIMELINE_PCAP), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "capture.id"));

	/* Standard input cannot be read twice: it cannot be checked, so it is refused. */
	assert_int_equal(ww_timeline_check_capture(tl, "-", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "standard input"));
	ww_timeline_free(tl);
}

static struct ww_timeline *load_text(const char *text, char *err)
{
	FILE *f = fopen(path("t.ndjson"), "w");
	fputs(text, f);
	fclose(f);
	return ww_timeline_load(path("t.ndjson"), err, WW_TIMELINE_ERRLEN);
}

#define HDR "{\"type\":\"header\",\"ts\":\"2026-11-26T06:22:25.000000Z\",\"format\":\"wirewho-sockets\"," \
	    "\"version\":1,\"capture_id\":\"0123456789abcdef0123456789abcdef\",\"linktype\":1}\n"

static void test_malformed_timelines_are_refused_with_file_line_and_reason(void **state)
{
	(void)state;
	char err[WW_TIMELINE_ERRLEN];

	assert_null(load_text("", err));
	assert_non_null(strstr(err, "empty file"));

	assert_null(load_text("{\"type\":\"flow\",\"ts\":\"2026-11-26T06:22:25Z\"}\n", err));
	assert_non_null(strstr(err, ":1: not a wirewho socket timeline"));

	assert_null(load_text(HDR "{\"type\":\"socket\",\"proto\":6,\n", err));
	assert_non_null(strstr(err, "t.ndjson:2: "));

	assert_null(load_text(HDR "{\"type\":\"socket\",\"proto\":6,\"src_ip\":\"192.0.2.1\","
			      "\"dst_ip\":\"192.0.2.2\",\"src_port\":1,\"dst_port\":2,"
			      "\"from\":\"yesterday\",\"to\":\"2026-11-26T06:22:25Z\",\"status\":\"exact\"}\n", err));
	assert_non_null(strstr(err, ":2: socket record without a valid \"from\"/\"to\""));

	assert_null(load_text(HDR "{\"type\":\"socket\",\"proto\":6,\"src_ip\":\"192.0.2.1\","
			      "\"dst_ip\":\"2001:db8::1\",\"src_port\":1,\"dst_port\":2}\n", err));
	assert_non_null(strstr(err, "one family"));

	assert_null(load_text("this is not json\n", err));
	assert_non_null(strstr(err, ":1: not a JSON object"));

	/* A record from a later version with extra fields, nested ones too, loads. */
	struct ww_timeline *tl = load_text(HDR "{\"type\":\"socket\",\"proto\":6,\"src_ip\":\"192.0.2.1\","
					   "\"dst_ip\":\"192.0.2.2\",\"src_port\":1,\"dst_port\":2,"
					   "\"from\":\"2026-11-26T06:22:25.5Z\",\"to\":\"2026-11-26T06:22:26Z\","
					   "\"status\":\"listener\",\"extra\":{\"a\":[1,2,{\"b\":null}]},"
					   "\"pid\":5,\"uid\":0,\"comm\":\"sshd\"}\n"
					   "{\"type\":\"future\",\"x\":true}\n", err);
	assert_non_null(tl);
	assert_int_equal(ww_timeline_count(tl), 1);
	assert_int_equal(tl ? ww_timeline_count(tl) : 0, 1);
	ww_timeline_free(tl);
}

/* Writes 'x' into a FIFO until the reader goes away or 64 MiB are written. */
struct endless { const char *fifo; size_t written; };
static void *endless_writer(void *arg)
{
	struct endless *e = arg;
	char chunk[65536];
	memset(chunk, 'x', sizeof(chunk));
	int fd = open(e->fifo, O_WRONLY);
	if (fd < 0)
		return NULL;
	while (e->written < (64u << 20)) {
		ssize_t n = write(fd, chunk, sizeof(chunk));
		if (n <= 0)
			break;   /* EPIPE: the reader stopped */
		e->written += (size_t)n;
	}
	close(fd);
	return NULL;
}

static void test_a_line_without_end_is_refused_after_one_mebibyte_not_read_whole(void **state)
{
	(void)state;
	char err[WW_TIMELINE_ERRLEN];
	struct endless e = { path("endless"), 0 };
	pthread_t th;

	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(mkfifo(e.fifo, 0600), 0);
	assert_int_equal(pthread_create(&th, NULL, endless_writer, &e), 0);
	assert_null(ww_timeline_load(e.fifo, err, sizeof(err)));
	pthread_join(th, NULL);
	assert_non_null(strstr(err, ":1: line too long"));
	/* the reader stopped at the limit: 1 MiB and the pipe's buffer, not 64 MiB */
	assert_true(e.written < (4u << 20));
	unlink(e.fifo);

	/* /dev/zero: the first byte is a NUL, refused at once */
	assert_null(ww_timeline_load("/dev/zero", err, sizeof(err)));
	assert_non_null(strstr(err, "/dev/zero:1: a NUL byte"));
	assert_int_equal(errno, EINVAL);
}

static void test_numbers_that_json_has_not_are_refused_not_cast(void **state)
{
	(void)state;
	char err[WW_TIMELINE_ERRLEN];
	/* strtod() reads these; JSON has no NaN, infinity or hex: "bad value" */
	static const char *const bad[] = { "NaN", "nan", "inf", "-Infinity", "0x1p0" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text),
			 "{\"type\":\"header\",\"format\":\"wirewho-sockets\",\"version\":%s,"
			 "\"capture_id\":\"0123456789abcdef0123456789abcdef\",\"linktype\":1}\n", bad[i]);
		assert_null(load_text(text, err));
		assert_non_null(strstr(err, ":1: bad value"));
	}
}

static void test_an_error_longer_than_the_callers_buffer_is_cut_to_fit(void **state)
{
	(void)state;
	char small[16];
	memset(small, 'x', sizeof(small));
	assert_null(ww_timeline_load("/nonexistent/dir/sockets.ndjson", small, sizeof(small)));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, "/nonexistent/di", sizeof(small));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_recorded_bindings_read_back_by_flow_key_and_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reused_five_tuple_gives_each_flow_the_owner_of_its_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeline_belongs_to_its_capture_and_not_to_another, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_timelines_are_refused_with_file_line_and_reason, setup, teardown),
		cmocka_unit_test(test_an_error_longer_than_the_callers_buffer_is_cut_to_fit),
		cmocka_unit_test_setup_teardown(test_a_line_without_end_is_refused_after_one_mebibyte_not_read_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_numbers_that_json_has_not_are_refused_not_cast, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
