/*
 * test_emit.c - the record writer, synchronous and with its output thread:
 * the thread must write exactly the bytes, in exactly the order, that the
 * synchronous writer writes, whatever mix of records and however full its
 * ring gets; and a write error must come back to the caller. Many flows at
 * once (ww_emit_flows_parallel(), on two threads) must come out as the
 * same records written one by one, in order, whichever thread is slowed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "wirewho/community_id.h"
#include "wirewho/emit.h"
#include "wirewho/jsonw.h"
#include "test_util.h"

/* The owner of every 7th flow: not stable, so formatted before queueing. */
static const struct ww_owner owner = { .pid = 4242, .uid = 0, .comm = "cu\"rl\x01", .exe = "/usr/bin/curl", .user = "root" };

static struct ww_flow flow_n(unsigned i)
{
	char c[64], s[64];
	if (i % 3 == 0) {
		snprintf(c, sizeof(c), "2001:db8::%x", i & 0xffff);
		snprintf(s, sizeof(s), "2001:db8:1::%x", (i >> 4) & 0xff);
	} else {
		snprintf(c, sizeof(c), "192.0.2.%u", i % 250 + 1);
		snprintf(s, sizeof(s), "198.51.100.%u", (i >> 8) % 250 + 1);
	}
	struct ww_flow f = ww_test_flow(c, (uint16_t)(1024 + i % 60000), s, (uint16_t)(i % 5 ? 443 : 53),
					i % 5 ? WW_IPPROTO_TCP : WW_IPPROTO_UDP);
	f.id = i + 1;
	f.first = 1764000000000000 + (ww_time_t)i * 1000;
	f.last = f.first + 123456;
	f.pkts[0] = i % 17;
	f.pkts[1] = i % 29;
	f.bytes[0] = (uint64_t)i * 61;
	f.bytes[1] = (uint64_t)i * 1499;
	f.end_reason = (uint8_t)(i % 5);
	return f;
}

static struct ww_flow_view view_n(const struct ww_flow *f, unsigned i, char *sni)
{
	struct ww_flow_view v = {
		.f = f, .app_proto = i % 4 ? "tls" : "unknown", .app_by = "payload",
		.service = i % 5 ? "https" : NULL, .attr_status = "none",
		.attr_reason = "replay without a socket timeline (--sockets)", .stable = true,
	};
	if (i % 2) {
		snprintf(sni, 300, "host-%u.example.\xff\"", i);
		v.sni = sni;
	}
	if (i % 7 == 0) {
		v.owner = &owner;
		v.attr_status = "exact";
		v.stable = false;
	}
	if (i % 11 == 0)
		v.stable = false;
	return v;
}

/* Write `n` flows (an alert after every 13th) and the stats; return the bytes. */
static char *run(bool thread, unsigned n, size_t *len)
{
	FILE *out = tmpfile();
	assert_non_null(out);
	struct ww_emitter *e = ww_emitter_new(out, WW_EMIT_JSON, false, false);
	assert_non_null(e);
	if (thread)
		assert_int_equal(ww_emitter_start_thread(e), 0);
	for (unsigned i = 0; i < n; i++) {
		char sni[300];
		struct ww_flow f = flow_n(i);
		struct ww_flow_view v = view_n(&f, i, sni);
		assert_int_equal(ww_emit_flow(e, &v), 0);
		/* The caller reuses its flow and strings at once, as the pipeline does. */
		memset(&f, 0xa5, sizeof(f));
		memset(sni, 'X', sizeof(sni) - 1);
		if (i % 13 == 0) {
			struct ww_alert a;
			memset(&a, 0, sizeof(a));
			a.kind = WW_ALERT_PORT_UNEXPECTED;
			a.severity = WW_SEV_MEDIUM;
			a.ts = 1764000000000000 + i;
			snprintf(a.message, sizeof(a.message), "alert %u", i);
			a.ev.direction = -1;
			struct ww_flow g = flow_n(i);
			struct ww_flow_view w = view_n(&g, i, sni);
			assert_int_equal(ww_emit_alert(e, &a, &w), 0);
		}
	}
	struct ww_stats st = { .packets = n, .flows = n };
	assert_int_equal(ww_emit_stats(e, &st, 1764000000000000), 0);
	ww_emitter_free(e);
	long sz = ftell(out);
	assert_true(sz > 0);
	char *buf = malloc((size_t)sz);
	assert_non_null(buf);
	rewind(out);
	assert_int_equal(fread(buf, 1, (size_t)sz, out), (size_t)sz);
	fclose(out);
	*len = (size_t)sz;
	return buf;
}

/* `n` flows written both ways: the same bytes; returns the thread's. */
static char *run_both(unsigned n, size_t *len)
{
	size_t n1;
	char *a = run(false, n, &n1);
	char *b = run(true, n, len);
	assert_int_equal(n1, *len);
	assert_memory_equal(a, b, n1);
	free(a);
	return b;
}

static void test_thread_writes_the_same_bytes_in_the_same_order(void **state)
{
	(void)state;
	size_t n2;
	char *b = run_both(20000, &n2);
	/* and the records are the ones asked for: 20000 flows, alerts, stats last */
	unsigned flows = 0, alerts = 0, lines = 0;
	for (char *p = b; p < b + n2; p = strchr(p, '\n') + 1) {
		lines++;
		flows += strncmp(p, "{\"type\":\"flow\"", 14) == 0;
		alerts += strncmp(p, "{\"type\":\"alert\"", 15) == 0;
	}
	assert_int_equal(flows, 20000);
	assert_int_equal(alerts, (20000 + 12) / 13);
	assert_int_equal(lines, flows + alerts + 1);
	char *last = b + n2 - 1;          /* the final newline */
	while (last > b && last[-1] != '\n')
		last--;
	assert_int_equal(strncmp(last, "{\"type\":\"stats\",", 16), 0);
	assert_non_null(strstr(b, "\"sni\":\"host-1.example.\\u00ff\\\"\""));
	assert_non_null(strstr(b, "\"comm\":\"cu\\\"rl\\u0001\""));
	free(b);
}

static void test_few_records_are_written_by_the_stats_call(void **state)
{
	(void)state;
	size_t n;
	free(run_both(3, &n));
}

static void test_write_error_reaches_the_caller(void **state)
{
	(void)state;
	FILE *out = fopen("/dev/full", "w");
	if (!out)
		skip();
	struct ww_emitter *e = ww_emitter_new(out, WW_EMIT_JSON, false, false);
	assert_int_equal(ww_emitter_start_thread(e), 0);
	int rc = 0;
	for (unsigned i = 0; i < 50000 && rc == 0; i++) {
		char sni[300];
		struct ww_flow f = flow_n(i);
		struct ww_flow_view v = view_n(&f, i, sni);
		rc = ww_emit_flow(e, &v);
	}
	struct ww_stats st = { 0 };
	int rs = ww_emit_stats(e, &st, 0);
	assert_true(rc == -EIO || rs == -EIO);
	assert_int_equal(rs, -EIO);   /* the summary call reports it in any case */
	ww_emitter_free(e);
	fclose(out);
}

static void test_quiet_writes_alerts_and_stats_only(void **state)
{
	(void)state;
	FILE *out = tmpfile();
	struct ww_emitter *e = ww_emitter_new(out, WW_EMIT_JSON, true, false);
	assert_int_equal(ww_emitter_start_thread(e), 0);
	char sni[300];
	struct ww_flow f = flow_n(1);
	struct ww_flow_view v = view_n(&f, 1, sni);
	assert_int_equal(ww_emit_flow(e, &v), 0);
	struct ww_stats st = { 0 };
	assert_int_equal(ww_emit_stats(e, &st, 0), 0);
	ww_emitter_free(e);
	char buf[4096];
	rewind(out);
	size_t n = fread(buf, 1, sizeof(buf) - 1, out);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "\"type\":\"stats\""));
	assert_null(strstr(buf, "\"type\":\"flow\""));
	fclose(out);
}

static void test_text_mode_has_no_thread(void **state)
{
	(void)state;
	struct ww_emitter *e = ww_emitter_new(stdout, WW_EMIT_TEXT, false, false);
	assert_int_equal(ww_emitter_start_thread(e), -1);
	ww_emitter_free(e);
}

/*
 * The flow record as the member functions write it: the oracle for the
 * direct writer of emit_json.c (which the first version of this file's
 * record was, field for field).
 */
static int reference_flow(struct ww_jw *w, const struct ww_flow_view *v)
{
	static const char *const ends[] = { "closed", "timeout", "reused", "evicted", "end_of_input" };
	const struct ww_flow *f = v->f;
	char cid[WW_COMMUNITY_ID_LEN], a[WW_ADDRSTRLEN], pb[4];
	uint8_t proto = f->key.proto;
	bool icmp = proto == WW_IPPROTO_ICMP || proto == WW_IPPROTO_ICMPV6;
	bool ports = proto == WW_IPPROTO_TCP || proto == WW_IPPROTO_UDP;

	ww_community_id_flow(f, cid);
	ww_jw_record(w, "flow", f->last);
	ww_jw_uint(w, "flow_id", f->id);
	ww_jw_str(w, "community_id", cid);
	ww_jw_str(w, "proto", ww_ipproto_name(proto, pb));
	for (int client = 1; client >= 0; client--) {   /* src_ then dst_ */
		const char *port_key = client ? "src_port" : "dst_port";
		ww_jw_str(w, client ? "src_ip" : "dst_ip",
			  ww_addr_str(client ? ww_flow_client_ip(f) : ww_flow_server_ip(f), f->key.family, a));
		if (icmp)
			ww_jw_uint(w, port_key, client ? f->icmp_type : f->icmp_code);
		else if (ports)
			ww_jw_uint(w, port_key, client ? ww_flow_client_port(f) : ww_flow_server_port(f));
		else
			ww_jw_null(w, port_key);
	}
	if (icmp)
		ww_jw_uint(w, "icmp_id", f->key.port_a);
	if (f->key.vlan)
		ww_jw_uint(w, "vlan", f->key.vlan);
	ww_jw_time(w, "start", f->first);
	ww_jw_time(w, "end", f->last);
	ww_jw_uint(w, "pkts_toserver", f->pkts[0]);
	ww_jw_uint(w, "pkts_toclient", f->pkts[1]);
	ww_jw_uint(w, "bytes_toserver", f->bytes[0]);
	ww_jw_uint(w, "bytes_toclient", f->bytes[1]);
	ww_jw_str(w, "app_proto", v->app_proto ? v->app_proto : "unknown");
	ww_jw_str(w, "app_proto_by", v->app_by ? v->app_by : "none");
	ww_jw_str(w, "service", v->service);
	if (v->sni && *v->sni)
		ww_jw_str(w, "sni", v->sni);
	if (v->sni && *v->sni) {   /* the server end's name: the SNI here (no metadata object) */
		ww_jw_str(w, "dst_name", v->sni);
		ww_jw_str(w, "dst_name_by", "sni");
	} else {
		ww_jw_null(w, "dst_name");
		ww_jw_null(w, "dst_name_by");
	}
	ww_emit_json_owner(w, v->owner);
	ww_jw_obj_begin(w, "attribution");
	ww_jw_str(w, "status", v->attr_status ? v->attr_status : "none");
	ww_jw_str(w, "reason", v->attr_reason ? v->attr_reason : "");
	ww_jw_obj_end(w);
	if (f->end_reason < 5)
		ww_jw_str(w, "end_reason", ends[f->end_reason]);
	return ww_jw_finish(w, NULL);
}

static void test_flow_record_as_the_member_functions_write_it(void **state)
{
	static const uint8_t protos[] = { WW_IPPROTO_TCP, WW_IPPROTO_UDP, WW_IPPROTO_ICMP,
					  WW_IPPROTO_ICMPV6, 47 /* GRE: no ports */, 132 };
	static const char *const odd[] = { NULL, "", "plain", "quo\"te\\", "ctl\x01\x7f\n",
					   "caf\xc3\xa9", "bad\xff\xfe utf8", "x.example.test" };
	struct ww_jw ref, got;
	char big[700];
	(void)state;
	ww_jw_init(&ref);
	ww_jw_init(&got);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[300] = '\x02';   /* a long string that needs escaping */
	for (unsigned i = 0; i < 6000; i++) {
		struct ww_flow f = flow_n(i);
		f.key.proto = protos[i % 6];
		if (f.key.proto == WW_IPPROTO_ICMP || f.key.proto == WW_IPPROTO_ICMPV6) {
			f.icmp_type = (uint8_t)(i % 256);
			f.icmp_code = (uint8_t)(i % 7);
		}
		f.key.vlan = (uint16_t)(i % 4 == 0 ? i % 4095 : 0);
		f.end_reason = (uint8_t)(i % 7);   /* 5 and 6: no end_reason */
		f.pkts[0] = i % 9 == 0 ? UINT64_MAX : f.pkts[0];
		f.bytes[1] = i % 10 == 0 ? 0 : f.bytes[1];
		struct ww_owner o = { .pid = (int)i, .uid = (int)(i % 3) - 1, .comm = "c\"o\x1bmm",
				      .exe = "/usr/bin/\xff", .user = "u" };
		struct ww_flow_view v = {
			.f = &f, .app_proto = odd[i % 8], .app_by = odd[(i / 8) % 8],
			.service = i % 5 == 0 ? big : odd[(i / 3) % 8], .sni = i % 7 == 0 ? big : odd[(i / 5) % 8],
			.attr_status = odd[(i / 2) % 8], .attr_reason = i % 11 == 0 ? big : odd[(i / 7) % 8],
			.owner = i % 4 == 1 ? &o : NULL,
		};
		assert_int_equal(reference_flow(&ref, &v), 0);
		assert_int_equal(ww_emit_json_flow(&got, NULL, &v), 0);
		if (got.len != ref.len || memcmp(got.buf, ref.buf, ref.len) != 0)
			fail_msg("flow %u:\n%.*s\n%.*s", i, (int)ref.len, ref.buf, (int)got.len, got.buf);
		ww_jw_reset(&ref);
		ww_jw_reset(&got);
	}
	ww_jw_free(&ref);
	ww_jw_free(&got);
}

/* ---- many flows at once -------------------------------------------------- */

static struct ww_alert alert_n(unsigned i)
{
	struct ww_alert a;
	memset(&a, 0, sizeof(a));
	a.kind = WW_ALERT_PORT_UNEXPECTED;
	a.severity = WW_SEV_MEDIUM;
	a.ts = 1764000000000000 + i;
	snprintf(a.message, sizeof(a.message), "alert %u", i);
	a.ev.direction = -1;
	return a;
}

static _Atomic unsigned each_calls;

/* Flow f->id - 1: an alert after every 13th, then its record; every third
 * chunk of 512 starts with a nap, so the two threads finish out of turn. */
static void each_flow(void *ud, struct ww_flow *f, struct ww_emit_batch *b)
{
	unsigned i = (unsigned)f->id - 1;
	char sni[300];
	struct ww_flow_view v = view_n(f, i, sni);

	(void)ud;
	atomic_fetch_add(&each_calls, 1);
	if (i % 512 == 0 && (i / 512) % 3 == 1) {
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
	if (i % 13 == 0) {
		struct ww_alert a = alert_n(i);
		assert_int_equal(ww_emit_batch_alert(b, &a, &v), 0);
	}
	assert_int_equal(ww_emit_batch_flow(b, &v), 0);
}

/* A record before, `n` flows (one by one or at once), the stats after. */
static char *run_many(bool at_once, bool quiet, unsigned n, size_t *len)
{
	FILE *out = tmpfile();
	assert_non_null(out);
	struct ww_emitter *e = ww_emitter_new(out, WW_EMIT_JSON, quiet, false);
	assert_non_null(e);
	assert_int_equal(ww_emitter_start_thread(e), 0);
	char sni[300];
	struct ww_flow head = flow_n(100000);
	struct ww_flow_view hv = view_n(&head, 100000, sni);
	assert_int_equal(ww_emit_flow(e, &hv), 0);   /* queued: must come first */

	struct ww_flow *flows = calloc(n + 1, sizeof(*flows));
	struct ww_flow **ptrs = calloc(n + 1, sizeof(*ptrs));
	assert_true(flows && ptrs);
	for (unsigned i = 0; i < n; i++) {
		flows[i] = flow_n(i);
		ptrs[i] = &flows[i];
	}
	if (at_once) {
		uint64_t alerts = 99;
		assert_true(ww_emit_parallel_ok(e));
		atomic_store(&each_calls, 0);
		assert_int_equal(ww_emit_flows_parallel(e, ptrs, n, each_flow, NULL, &alerts), 0);
		assert_int_equal(atomic_load(&each_calls), n);
		assert_int_equal(alerts, (n + 12) / 13);
	} else {
		for (unsigned i = 0; i < n; i++) {
			struct ww_flow_view v = view_n(&flows[i], i, sni);
			if (i % 13 == 0) {
				struct ww_alert a = alert_n(i);
				assert_int_equal(ww_emit_alert(e, &a, &v), 0);
			}
			assert_int_equal(ww_emit_flow(e, &v), 0);
		}
	}
	struct ww_stats st = { .packets = n, .flows = n };
	assert_int_equal(ww_emit_stats(e, &st, 1764000000000000), 0);
	ww_emitter_free(e);
	free(flows);
	free(ptrs);
	long sz = ftell(out);
	assert_true(sz > 0);
	char *buf = malloc((size_t)sz + 1);
	assert_non_null(buf);
	rewind(out);
	assert_int_equal(fread(buf, 1, (size_t)sz, out), (size_t)sz);
	buf[sz] = '\0';
	fclose(out);
	*len = (size_t)sz;
	return buf;
}

static void same_both_ways(bool quiet, unsigned n)
{
	size_t la, lb;
	char *a = run_many(false, quiet, n, &la);
	char *b = run_many(true, quiet, n, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	if (!quiet && n)
		assert_non_null(strstr(b, "\"flow_id\":1,"));
	free(a);
	free(b);
}

static void test_many_flows_at_once_are_the_records_written_one_by_one(void **state)
{
	(void)state;
	same_both_ways(false, 5000);        /* 10 chunks, two threads, naps */
	same_both_ways(false, 3);           /* one chunk: the caller's thread alone */
	same_both_ways(false, 0);
	same_both_ways(true, 5000);         /* -q: the alerts only */
}

static void test_many_flows_at_once_need_json(void **state)
{
	(void)state;
	struct ww_emitter *e = ww_emitter_new(stdout, WW_EMIT_TEXT, false, false);
	struct ww_flow f = flow_n(1);
	struct ww_flow *pf = &f;
	uint64_t alerts = 7;

	assert_false(ww_emit_parallel_ok(e));
	atomic_store(&each_calls, 0);
	assert_int_equal(ww_emit_flows_parallel(e, &pf, 1, each_flow, NULL, &alerts), -EOPNOTSUPP);
	assert_int_equal(atomic_load(&each_calls), 0);
	assert_int_equal(alerts, 0);
	ww_emitter_free(e);
}

static void test_many_flows_at_once_report_a_write_error(void **state)
{
	(void)state;
	FILE *out = fopen("/dev/full", "w");
	if (!out)
		skip();
	setvbuf(out, NULL, _IONBF, 0);
	struct ww_emitter *e = ww_emitter_new(out, WW_EMIT_JSON, false, false);
	enum { N = 2000 };
	struct ww_flow *flows = calloc(N, sizeof(*flows));
	struct ww_flow **ptrs = calloc(N, sizeof(*ptrs));
	uint64_t alerts;
	assert_true(flows && ptrs);
	for (unsigned i = 0; i < N; i++) {
		flows[i] = flow_n(i);
		ptrs[i] = &flows[i];
	}
	assert_int_equal(ww_emit_flows_parallel(e, ptrs, N, each_flow, NULL, &alerts), -EIO);
	assert_int_equal(alerts, (N + 12) / 13);   /* every record was still made */
	ww_emitter_free(e);
	fclose(out);
	free(flows);
	free(ptrs);
}

/* Every line of the live stream for `v` (new and end) written into buf; returns the end line. */
static const char *live_lines(const struct ww_flow_view *v, char *buf, size_t n)
{
	FILE *out = fmemopen(buf, n, "w");
	unsigned rows = 1;   /* no header */
	assert_non_null(out);
	assert_int_equal(ww_emit_text_flow_live(out, &rows, false, v, true), 0);
	assert_int_equal(ww_emit_text_flow_live(out, &rows, false, v, false), 0);
	fclose(out);
	const char *nl = strchr(buf, '\n');
	assert_non_null(nl);
	return nl + 1;
}

static void assert_lines_fit(const char *buf, size_t cols)
{
	for (const char *l = buf; *l;) {
		const char *e = strchr(l, '\n');
		assert_non_null(e);
		if ((size_t)(e - l) > cols)
			fail_msg("a %zu-column line: %.*s", (size_t)(e - l), (int)(e - l), l);
		l = e + 1;
	}
}

static void test_live_ipv4_lines_fit_100_columns_with_a_long_escaped_name_cut_before_its_pid(void **state)
{
	(void)state;
	static const struct ww_owner longname = {
		.pid = 4194304, .uid = 0, .comm = "\x1b[2Jwwevil-name-x", .exe = "/usr/bin/x", .user = "root"
	};
	struct ww_flow f = ww_test_flow("198.51.100.123", 65535, "192.0.2.254", 65535, WW_IPPROTO_TCP);
	f.id = 99999;
	f.first = 1764000000000000;
	f.last = f.first + 5000000;
	f.pkts[0] = 123456;
	f.pkts[1] = 654321;
	f.bytes[0] = 1023ull * 1024 * 1024;
	f.bytes[1] = 1;
	struct ww_flow_view v = { .f = &f, .app_proto = "unknown", .owner = &longname };
	char buf[1024];
	const char *end = live_lines(&v, buf, sizeof(buf));
	assert_lines_fit(buf, 100);
	assert_null(strchr(buf, '\x1b'));                        /* escaped, never raw */
	assert_non_null(strstr(end, " \\u~[4194304]\n"));     /* cut, marked, pid whole */
	assert_non_null(strstr(end, " 778k "));                  /* counts in 5 columns */
	assert_non_null(strstr(end, " 1.0G "));
	assert_non_null(strstr(buf, " new 99999 tcp  198.51.100.123:65535 "));
}

static void test_live_line_keeps_a_short_name_whole_and_a_longer_flow_id_takes_from_the_name(void **state)
{
	(void)state;
	static const struct ww_owner curl = { .pid = 1234, .comm = "curl", .exe = "/usr/bin/curl" };
	static const struct ww_owner py = { .pid = 123456, .comm = "python3.11-long" };
	struct ww_flow f = ww_test_flow("192.0.2.1", 40000, "192.0.2.2", 80, WW_IPPROTO_TCP);
	f.id = 7;
	struct ww_flow_view v = { .f = &f, .app_proto = "http", .owner = &curl };
	char buf[1024];
	const char *end = live_lines(&v, buf, sizeof(buf));
	assert_non_null(strstr(end, " curl[1234]\n"));
	f.id = 1234567;   /* a watch that ran for a long time: two more columns */
	v.owner = &py;
	end = live_lines(&v, buf, sizeof(buf));
	assert_lines_fit(buf, 100);
	assert_non_null(strstr(end, " p~[123456]\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thread_writes_the_same_bytes_in_the_same_order),
		cmocka_unit_test(test_flow_record_as_the_member_functions_write_it),
		cmocka_unit_test(test_few_records_are_written_by_the_stats_call),
		cmocka_unit_test(test_write_error_reaches_the_caller),
		cmocka_unit_test(test_quiet_writes_alerts_and_stats_only),
		cmocka_unit_test(test_text_mode_has_no_thread),
		cmocka_unit_test(test_many_flows_at_once_are_the_records_written_one_by_one),
		cmocka_unit_test(test_many_flows_at_once_need_json),
		cmocka_unit_test(test_many_flows_at_once_report_a_write_error),
		cmocka_unit_test(test_live_ipv4_lines_fit_100_columns_with_a_long_escaped_name_cut_before_its_pid),
		cmocka_unit_test(test_live_line_keeps_a_short_name_whole_and_a_longer_flow_id_takes_from_the_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
