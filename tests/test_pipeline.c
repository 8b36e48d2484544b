/*
 * test_pipeline.c - the stages wired together, one packet at a time (live,
 * or a replay without a second core) and with the analysis thread (replay):
 * both must write exactly the same records for the same packets, on
 * every bundled capture and on a synthetic mix that wraps the hand-over
 * arena many times over (payloads up to 9,000 bytes, longer than what the
 * classifier may read); statistics asked for in the middle of a run must
 * count every packet handed over; a write error must come back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wirewho/capture.h"
#include "wirewho/pipeline.h"

enum mode { LIVE, THREAD, NMODES };
static const char *const mode_name[NMODES] = { "live", "thread" };

static struct ww_pipeline *new_pipeline_max(enum mode m, FILE *out, bool no_classify,
					    uint32_t max_flows, bool quiet)
{
	struct ww_pipeline_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.quiet = quiet;
	cfg.flow.max_flows = max_flows;
	cfg.out = out;
	cfg.mode = WW_EMIT_JSON;
	cfg.none_reason = "test";
	cfg.no_classify = no_classify;
	cfg.live = m == LIVE;
	cfg.analysis_thread = m == THREAD;
	struct ww_pipeline *pl = ww_pipeline_new(&cfg);
	assert_non_null(pl);
	return pl;
}

static struct ww_pipeline *new_pipeline(enum mode m, FILE *out, bool no_classify)
{
	return new_pipeline_max(m, out, no_classify, 0, false);
}

/* Everything written to `f`, NUL-terminated; the caller frees it. */
static char *slurp(FILE *f, size_t *len)
{
	long n;
	assert_int_equal(fflush(f), 0);
	n = ftell(f);
	assert_true(n >= 0);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	rewind(f);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* ---- the bundled captures ------------------------------------------------ */

/* Replay `path` in mode m; returns the records, NULL if it does not open. */
static char *replay_file(const char *path, enum mode m, size_t *len)
{
	char err[WW_CAPTURE_ERRLEN];
	struct ww_capture *c = ww_capture_open_file(path, NULL, err, sizeof(err));
	if (!c)
		return NULL;
	FILE *out = tmpfile();
	assert_non_null(out);
	struct ww_pipeline *pl = new_pipeline(m, out, false);
	const uint8_t *data;
	uint32_t caplen, wirelen;
	ww_time_t ts;
	int dlt = ww_capture_datalink(c);
	while (ww_capture_next(c, &data, &caplen, &wirelen, &ts) == WW_CAP_PACKET) {
		if (ww_decode_linktype_supported(dlt))
			assert_int_equal(ww_pipeline_packet(pl, dlt, data, caplen, wirelen, ts), 0);
		else
			ww_pipeline_skip(pl, wirelen);
	}
	ww_capture_close(c);
	assert_int_equal(ww_pipeline_finish(pl, ww_pipeline_now(pl), 0.0, 0), 0);
	ww_pipeline_free(pl);
	char *s = slurp(out, len);
	fclose(out);
	return s;
}

static void test_bundled_captures_same_records_in_every_mode(void **state)
{
	static const char *const dirs[] = { WW_SRCDIR "/pcaps/real", WW_SRCDIR "/pcaps/edge" };
	unsigned files = 0;
	(void)state;
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *de;
		assert_non_null(dir);
		while ((de = readdir(dir))) {
			char path[4096];
			if (!strstr(de->d_name, ".pcap"))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[d], de->d_name);
			size_t len[NMODES];
			char *rec[NMODES];
			for (int m = 0; m < NMODES; m++)
				rec[m] = replay_file(path, (enum mode)m, &len[m]);
			if (!rec[0]) {   /* not a capture: no mode opens it */
				assert_null(rec[1]);
				continue;
			}
			files++;
			assert_non_null(strstr(rec[0], "\"type\":\"stats\""));
			for (int m = 1; m < NMODES; m++) {
				if (len[m] != len[0] || memcmp(rec[m], rec[0], len[0]) != 0) {
					if (getenv("WW_TEST_DUMP")) {
						FILE *a = fopen("/tmp/pl_live.json", "w"), *b = fopen("/tmp/pl_other.json", "w");
						fputs(rec[0], a); fputs(rec[m], b); fclose(a); fclose(b);
					}
					fail_msg("%s: %s records differ from live ones", path, mode_name[m]);
				}
			}
			for (int m = 0; m < NMODES; m++)
				free(rec[m]);
		}
		closedir(dir);
	}
	assert_true(files >= 30);
}

/* ---- a synthetic mix ------------------------------------------------------ */

#define MIX_FLOWS   6000u
#define MIX_WINDOW  700u    /* flows interleaved at a time */
#define MIX_STEPS   9u

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/*
 * Raw IPv4 (DLT_RAW) frame of step `step` of flow `f`: a TCP connection
 * (handshake, request, two answers, FIN both ways) or, for every fifth
 * flow, UDP datagrams. Payloads: an HTTP request, a TLS-looking record, an
 * SSH banner or random bytes, some of them longer than the classifier's
 * 4,096-byte view.
 */
/*
 * With mix_reuse, flow f and flow f + MIX_WINDOW share their 5-tuple: the
 * next window reuses every connection's ports (a new SYN after FIN+FIN;
 * for UDP, the same datagram tuple again).
 */
static bool mix_reuse;

static uint32_t mix_frame(unsigned f, unsigned step, uint8_t *b)
{
	unsigned t = mix_reuse ? f % MIX_WINDOW : f;   /* what the tuple is made of */
	static const char http[] = "GET /index.html HTTP/1.1\r\nHost: www.example.test\r\n\r\n";
	static const char ssh[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";
	bool udp = f % 5 == 4;
	/* SYN, SYN+ACK, ACK, request, two answers, FIN, FIN, last ACK */
	bool to_server = step == 0 || step == 2 || step == 3 || step == 6 || step == 8;
	uint32_t cli = 0xc0000200u | (t % 250 + 1);          /* 192.0.2.x */
	uint32_t srv = 0xc6336400u | ((t / 250) % 250 + 1);  /* 198.51.100.y */
	uint16_t cport = (uint16_t)(20000 + t), sport = udp ? 53 : (f % 4 == 1 ? 443 : f % 4 == 2 ? 22 : 80);
	uint8_t flags = 0x10;   /* ACK */
	uint32_t plen = 0;
	uint8_t *pl;
	unsigned l4 = udp ? 8 : 20;

	if (!udp) {
		static const uint8_t fl[MIX_STEPS] = { 0x02, 0x12, 0x10, 0x18, 0x18, 0x18, 0x11, 0x11, 0x10 };
		flags = fl[step];
	}
	pl = b + 20 + l4;
	if (udp && (f / 5) % 2 == 0) {
		/* DNS: a query for www.example.test, its answer, a query */
		static const uint8_t q[] = { 0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
			3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0,
			0, 1, 0, 1 };
		plen = sizeof(q);
		memcpy(pl, q, plen);
		pl[0] = (uint8_t)(f >> 8);
		pl[1] = (uint8_t)f;
		if (step == 1)
			pl[2] = 0x81, pl[3] = 0x80;
	} else if (udp) {
		plen = 20 + rnd() % 400;
		for (uint32_t i = 0; i < plen; i++)
			pl[i] = (uint8_t)rnd();
	} else if (step == 3) {
		switch (f % 4) {
		case 0: plen = sizeof(http) - 1; memcpy(pl, http, plen); break;
		case 1: plen = 5000 + f % 3000; pl[0] = 0x16; pl[1] = 3; pl[2] = 1;
			for (uint32_t i = 3; i < plen; i++) pl[i] = (uint8_t)rnd();
			break;
		case 2: plen = sizeof(ssh) - 1; memcpy(pl, ssh, plen); break;
		default: plen = 1 + rnd() % 9000;
			for (uint32_t i = 0; i < plen; i++) pl[i] = (uint8_t)rnd();
		}
	} else if (step == 4 || step == 5) {
		plen = 1 + (f * 37 + step * 1111) % 9000;
		for (uint32_t i = 0; i < plen; i++)
			pl[i] = (uint8_t)rnd();
	}
	uint32_t total = 20 + l4 + plen;
	uint32_t s = to_server ? cli : srv, d = to_server ? srv : cli;
	uint16_t sp = to_server ? cport : sport, dp = to_server ? sport : cport;
	memset(b, 0, 20 + l4);
	b[0] = 0x45;
	b[2] = (uint8_t)(total >> 8);
	b[3] = (uint8_t)total;
	b[8] = 64;
	b[9] = udp ? 17 : 6;
	for (int i = 0; i < 4; i++) {
		b[12 + i] = (uint8_t)(s >> (24 - 8 * i));
		b[16 + i] = (uint8_t)(d >> (24 - 8 * i));
	}
	b[20] = (uint8_t)(sp >> 8);
	b[21] = (uint8_t)sp;
	b[22] = (uint8_t)(dp >> 8);
	b[23] = (uint8_t)dp;
	if (udp) {
		b[24] = (uint8_t)((8 + plen) >> 8);
		b[25] = (uint8_t)(8 + plen);
	} else {
		b[24 + 3] = (uint8_t)step;     /* sequence number */
		b[32] = 0x50;                  /* data offset: 5 words */
		b[33] = flags;
	}
	return total;
}

struct mix {
	bool no_classify;
	bool quiet;            /* alerts and stats only */
	bool reuse;            /* see mix_reuse */
	bool open_end;         /* no FINs: every flow is still open at the end */
	ww_time_t gap;         /* packet time between windows: past the idle timeouts */
	uint32_t max_flows;    /* 0: default; small: evictions */
	unsigned stats_at;     /* ask for the statistics after this many packets */
};

/*
 * Feed the mix to a pipeline in mode m; after x->stats_at packets (0:
 * never) ask for the statistics and check every packet so far is counted.
 */
static char *replay_mix(enum mode m, struct mix *x, size_t *len)
{
	static uint8_t frame[65536];
	FILE *out = tmpfile();
	assert_non_null(out);
	struct ww_pipeline *pl = new_pipeline_max(m, out, x->no_classify, x->max_flows, x->quiet);
	unsigned stats_at = x->stats_at;
	ww_time_t ts = 1764000000000000;
	uint64_t n = 0;

	rnd_state = 12345;
	mix_reuse = x->reuse;
	for (unsigned base = 0; base < MIX_FLOWS; base += MIX_WINDOW, ts += x->gap) {
		for (unsigned step = 0; step < MIX_STEPS; step++) {
			for (unsigned f = base; f < base + MIX_WINDOW && f < MIX_FLOWS; f++) {
				if (f % 5 == 4 && step > 2)
					continue;   /* UDP: three datagrams */
				if (x->open_end && step >= 6)
					continue;
				uint32_t caplen = mix_frame(f, step, frame);
				assert_int_equal(ww_pipeline_packet(pl, 12 /* DLT_RAW */, frame, caplen, caplen, ts), 0);
				ts += 10;
				if (++n == stats_at) {
					const struct ww_stats *s = ww_pipeline_stats(pl);
					assert_int_equal(s->packets, n);
					assert_int_equal(s->decode_errors, 0);
					assert_true(s->flows > 0);
				}
			}
		}
	}
	assert_int_equal(ww_pipeline_finish(pl, ts, 0.0, 0), 0);
	ww_pipeline_free(pl);
	mix_reuse = false;
	char *s = slurp(out, len);
	fclose(out);
	return s;
}

/* Occurrences of `what` in s. By hand: strstr() from each match is
 * quadratic under ASan, whose interceptor measures the rest of s each time. */
static unsigned count(const char *s, const char *what)
{
	size_t n = strlen(s), m = strlen(what);
	unsigned k = 0;
	for (size_t i = 0; i + m <= n; i++) {
		if (s[i] == what[0] && memcmp(s + i, what, m) == 0) {
			k++;
			i += m - 1;
		}
	}
	return k;
}

/* The mix in both modes: the same records; returns them (live's). */
static char *mix_both(struct mix *x, size_t *len)
{
	size_t l1;
	struct mix live = *x;
	live.stats_at = 0;
	char *a = replay_mix(LIVE, &live, len);
	char *b = replay_mix(THREAD, x, &l1);
	assert_int_equal(l1, *len);
	assert_memory_equal(a, b, *len);
	free(b);
	return a;
}

static void test_mix_same_records_in_every_mode(void **state)
{
	struct mix x = { .stats_at = 12345 };
	size_t len;
	(void)state;
	char *rec = mix_both(&x, &len);
	/* the mix is what it claims: every flow reported, payloads classified */
	assert_int_equal(count(rec, "\"type\":\"flow\""), MIX_FLOWS);
	assert_true(count(rec, "\"app_proto\":\"http\",\"app_proto_by\":\"payload\"") >= MIX_FLOWS / 5);
	assert_true(count(rec, "\"app_proto\":\"ssh\",\"app_proto_by\":\"payload\"") >= MIX_FLOWS / 5);
	free(rec);
}

/* Every way a 5-tuple's flow can end and start again: a new SYN after
 * FIN+FIN, idle timeouts, evictions. */
static void test_mix_reuse_timeouts_evictions_same_records(void **state)
{
	size_t len;
	(void)state;
	struct mix reuse = { .reuse = true, .stats_at = 999 };
	char *rec = mix_both(&reuse, &len);
	assert_true(count(rec, "\"end_reason\":\"reused\"") >= MIX_FLOWS / 2);
	assert_true(count(rec, "\"app_proto\":\"http\",\"app_proto_by\":\"payload\"") >= MIX_FLOWS / 5);
	free(rec);

	struct mix gap = { .reuse = true, .gap = 61 * WW_USEC_PER_SEC };
	rec = mix_both(&gap, &len);
	assert_true(count(rec, "\"end_reason\":\"timeout\"") >= MIX_FLOWS / 10);   /* UDP */
	assert_true(count(rec, "\"app_proto\":\"dns\",\"app_proto_by\":\"payload\"") >= MIX_FLOWS / 20);
	assert_true(count(rec, "\"end_reason\":\"closed\"") >= MIX_FLOWS / 2);     /* TCP */
	assert_true(count(rec, "\"app_proto\":\"http\",\"app_proto_by\":\"payload\"") >= MIX_FLOWS / 5);
	free(rec);

	/* a gap just under the shortest timeout (closed, 10 s): flows live on */
	struct mix near = { .reuse = true, .gap = 9 * WW_USEC_PER_SEC };
	rec = mix_both(&near, &len);
	free(rec);

	/* evictions of closed flows, then of flows in the middle of their
	 * connection (the table is smaller than the window) */
	struct mix evict = { .reuse = false, .max_flows = 1000 };
	rec = mix_both(&evict, &len);
	assert_true(count(rec, "\"end_reason\":\"evicted\"") > 0);
	free(rec);
	struct mix evict2 = { .reuse = true, .max_flows = 500 };
	rec = mix_both(&evict2, &len);
	assert_true(count(rec, "\"end_reason\":\"evicted\"") > MIX_FLOWS);
	free(rec);
}

/*
 * Every flow still open at the end: the end-of-input flush writes them on
 * two threads (12 chunks of 512 flows through 4 buffers), alerts before
 * their flow, all in flow_id order; and with -q, the alerts alone.
 */
static void test_mix_open_at_end_same_records(void **state)
{
	struct mix x = { .open_end = true };
	size_t len, l1;
	(void)state;
	char *rec = mix_both(&x, &len);
	assert_int_equal(count(rec, "\"end_reason\":\"end_of_input\""), MIX_FLOWS);
	assert_true(count(rec, "\"type\":\"alert\"") >= MIX_FLOWS / 10);
	/* Which thread formats which chunk, and when, changes from run to run:
	 * a few more runs, each of them written in the same order. */
	for (int i = 0; i < 16; i++) {
		char *again = replay_mix(THREAD, &x, &l1);
		assert_int_equal(l1, len);
		assert_memory_equal(again, rec, len);
		free(again);
	}
	free(rec);

	struct mix q = { .open_end = true, .quiet = true };
	rec = mix_both(&q, &len);
	assert_int_equal(count(rec, "\"type\":\"flow\""), 0);
	assert_true(count(rec, "\"type\":\"alert\"") >= MIX_FLOWS / 10);
	assert_int_equal(count(rec, "\"type\":\"stats\""), 1);
	free(rec);
}

static void test_mix_no_classify_same_records(void **state)
{
	struct mix x = { .no_classify = true, .stats_at = 777 };
	size_t len;
	(void)state;
	char *rec = mix_both(&x, &len);
	assert_int_equal(count(rec, "\"app_proto_by\":\"payload\""), 0);
	free(rec);
}

/* ---- errors --------------------------------------------------------------- */

static void test_thread_write_error_comes_back(void **state)
{
	static uint8_t frame[65536];
	FILE *out = fopen("/dev/full", "w");
	(void)state;
	if (!out)
		skip();
	struct ww_pipeline *pl = new_pipeline(THREAD, out, false);
	ww_time_t ts = 1764000000000000;
	int rc = 0;
	rnd_state = 1;
	/* whole connections one after another: each ends (FIN+FIN), and the
	 * closed timeout emits it 10 s later while packets keep coming */
	for (unsigned f = 0; f < 3000 && rc == 0; f++) {
		for (unsigned step = 0; step < MIX_STEPS && rc == 0; step++) {
			uint32_t caplen = mix_frame(f * 5, step, frame);   /* f*5: TCP */
			rc = ww_pipeline_packet(pl, 12, frame, caplen, caplen, ts);
			ts += 10000;
		}
	}
	if (rc == 0)
		rc = ww_pipeline_finish(pl, ts, 0.0, 0);
	assert_int_equal(rc, -EIO);
	ww_pipeline_free(pl);
	fclose(out);
}

/*
 * A run stopped early (ww_pipeline_free() without ww_pipeline_finish(), as
 * after a write error): the flows still open, some in the middle of being
 * classified, are dropped and what they hold is freed. CI's ASan build
 * checks for leaks at exit: without the release this test leaks hundreds
 * of classifier states.
 */
static void test_free_without_finish_releases_open_flows(void **state)
{
	static uint8_t frame[65536];
	(void)state;
	for (int m = 0; m < NMODES; m++) {
		FILE *out = tmpfile();
		assert_non_null(out);
		struct ww_pipeline *pl = new_pipeline((enum mode)m, out, false);
		ww_time_t ts = 1764000000000000;
		rnd_state = 7;
		for (unsigned f = 0; f < 2000; f++)
			for (unsigned step = 0; step < 4; step++) {   /* up to the request */
				uint32_t caplen = mix_frame(f, step, frame);
				assert_int_equal(ww_pipeline_packet(pl, 12, frame, caplen, caplen, ts), 0);
				ts += 1000;
			}
		assert_int_equal(ww_pipeline_stats(pl)->flows, 2000);
		ww_pipeline_free(pl);
		fclose(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bundled_captures_same_records_in_every_mode),
		cmocka_unit_test(test_mix_same_records_in_every_mode),
		cmocka_unit_test(test_mix_reuse_timeouts_evictions_same_records),
		cmocka_unit_test(test_mix_open_at_end_same_records),
		cmocka_unit_test(test_mix_no_classify_same_records),
		cmocka_unit_test(test_thread_write_error_comes_back),
		cmocka_unit_test(test_free_without_finish_releases_open_flows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
