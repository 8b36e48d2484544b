/*
 * test_capture.c - what the capture layer says before and instead of
 * capturing: an interface is probed without being opened ("any" and lo are
 * up, a missing one does not exist, one that is down says so), a live open
 * of a missing interface fails with the probe's words, and a capture file
 * that is missing, a directory or empty is refused with a reason cut to the
 * caller's buffer; crafted pcapng stamps that overflow (near 2^64, a 2^62 s
 * offset, one-second resolution) get the last good time and are counted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdint.h>
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

/* --- crafted pcapng files (#17.4) ------------------------------------------- */

struct buf { uint8_t b[512]; size_t n; };
static void put32(struct buf *b, uint32_t v) { memcpy(b->b + b->n, &v, 4); b->n += 4; }
static void put_opt(struct buf *b, uint16_t code, const void *v, uint16_t len)
{
	memcpy(b->b + b->n, &code, 2);
	memcpy(b->b + b->n + 2, &len, 2);
	if (len)
		memcpy(b->b + b->n + 4, v, len);
	b->n += 4 + ((len + 3u) & ~3u);
}
/* Close a block begun at `start`: its total length at both ends. */
static void end_block(struct buf *b, size_t start)
{
	uint32_t len = (uint32_t)(b->n - start + 4);
	memcpy(b->b + start + 4, &len, 4);
	put32(b, len);
}

/*
 * A pcapng file: one interface (if_tsresol `resol` when >= 0, if_tsoffset
 * `offset` when nonzero) and packets of a 60-byte frame at the raw stamps
 * ts[0..n) (units of the interface's resolution).
 */
static void write_pcapng(const char *path, int resol, uint64_t offset, const uint64_t *ts, size_t n)
{
	struct buf b = { .n = 0 };
	size_t st = b.n;
	put32(&b, 0x0A0D0D0A); put32(&b, 0); put32(&b, 0x1A2B3C4D);
	put32(&b, 0x00000001);               /* version 1.0 */
	put32(&b, 0xFFFFFFFF); put32(&b, 0xFFFFFFFF);   /* section length unknown */
	end_block(&b, st);
	st = b.n;
	put32(&b, 1); put32(&b, 0); put32(&b, 1 /* EN10MB */ | (0u << 16)); put32(&b, 65535);
	if (resol >= 0) {
		uint8_t r = (uint8_t)resol;
		put_opt(&b, 9, &r, 1);
	}
	if (offset)
		put_opt(&b, 14, &offset, 8);
	put_opt(&b, 0, NULL, 0);
	end_block(&b, st);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fwrite(b.b, 1, b.n, f);
	for (size_t i = 0; i < n; i++) {
		struct buf e = { .n = 0 };
		uint8_t frame[60] = { 0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5, 6, 7, 0x08, 0x00, 0x45 };
		put32(&e, 6); put32(&e, 0); put32(&e, 0);
		put32(&e, (uint32_t)(ts[i] >> 32)); put32(&e, (uint32_t)ts[i]);
		put32(&e, sizeof(frame)); put32(&e, sizeof(frame));
		memcpy(e.b + e.n, frame, sizeof(frame));
		e.n += sizeof(frame);
		end_block(&e, 0);
		fwrite(e.b, 1, e.n, f);
	}
	fclose(f);
}

/* Read every packet: the times into out[], the count returned. */
static size_t read_times(const char *path, ww_time_t *out, size_t max, uint64_t *bad)
{
	char err[WW_CAPTURE_ERRLEN];
	struct ww_capture *c = ww_capture_open_file(path, NULL, err, sizeof(err));
	assert_non_null(c);
	const uint8_t *d;
	uint32_t cl, wl;
	ww_time_t ts;
	size_t n = 0;
	while (ww_capture_next(c, &d, &cl, &wl, &ts) == WW_CAP_PACKET && n < max)
		out[n++] = ts;
	*bad = ww_capture_bad_times(c);
	ww_capture_close(c);
	return n;
}

#define T2026 1767225600ULL   /* 2026-01-01T00:00:00Z */

static void test_crafted_pcapng_times_out_of_range_get_the_last_good_time_and_are_counted(void **state)
{
	(void)state;
	char path[] = "/tmp/ww-capture-ng.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	ww_time_t t[4];
	uint64_t bad;
	const ww_time_t good = (ww_time_t)T2026 * WW_USEC_PER_SEC;

	/* microseconds (the default): a stamp near 2^64 */
	const uint64_t near64[] = { T2026 * 1000000ULL, UINT64_MAX - 15, T2026 * 1000000ULL + 1 };
	write_pcapng(path, -1, 0, near64, 3);
	assert_int_equal(read_times(path, t, 4, &bad), 3);
	assert_int_equal(bad, 1);
	assert_true(t[0] == good && t[1] == good && t[2] == good + 1);

	/* an interface time offset of 2^62 seconds on every packet */
	const uint64_t plain[] = { T2026 * 1000000ULL, T2026 * 1000000ULL + 5 };
	write_pcapng(path, -1, 1ULL << 62, plain, 2);
	assert_int_equal(read_times(path, t, 4, &bad), 2);
	assert_int_equal(bad, 2);
	assert_true(t[0] == 0 && t[1] == 0);   /* no good time before them: 0 */

	/* a resolution of one second: a stamp of 2^64 - 1 seconds wraps to before 1970 */
	const uint64_t secs[] = { T2026, UINT64_MAX, T2026 + 1 };
	write_pcapng(path, 0, 0, secs, 3);
	assert_int_equal(read_times(path, t, 4, &bad), 3);
	assert_int_equal(bad, 1);
	assert_true(t[0] == good && t[1] == good && t[2] == good + WW_USEC_PER_SEC);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_finds_any_and_loopback_up_and_a_missing_interface_absent),
		cmocka_unit_test(test_live_open_of_a_missing_interface_says_it_does_not_exist),
		cmocka_unit_test(test_capture_files_that_cannot_be_captures_are_refused_with_a_reason),
		cmocka_unit_test(test_crafted_pcapng_times_out_of_range_get_the_last_good_time_and_are_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
