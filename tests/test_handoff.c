/*
 * test_handoff.c - the reader -> analysis hand-off ring, with a real
 * consumer thread: every descriptor comes out once, in order, with the
 * payload bytes it was pushed with, however the two sides' speeds differ
 * (a consumer that naps makes the ring and the arena fill up and the
 * producer wait); a payload never wraps round the arena; ww_handoff_sync()
 * returns only when everything pushed is released; the consumer's first
 * error and its mark reach the producer; a stop ends an idle consumer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wirewho/handoff.h"

/* Payload length of descriptor i: none, short, a packet's, up to what the
 * classifier reads, and now and then the longest the ring takes. */
static uint32_t fixed_len;   /* when set, every payload is this long */

static uint32_t len_of(uint32_t i)
{
	uint32_t x = i * 2654435761u;
	if (fixed_len)
		return fixed_len;
	if (i % 1000 == 999)
		return WW_HANDOFF_COPY_MAX;
	switch (i % 4) {
	case 0: return 0;
	case 1: return x % 64;
	case 2: return x % 1500;
	default: return x % 4097;
	}
}

static uint8_t byte_of(uint32_t i, uint32_t k)
{
	/* i hashed: descriptors a power of two apart must differ */
	return (uint8_t)((i * 2654435761u >> 13) + k * 7 + (k >> 8));
}

struct consumer {
	struct ww_handoff *q;
	uint32_t seen;          /* descriptors taken */
	uint32_t bad;           /* out of order, wrong bytes, or a wrapped payload */
	uint32_t nap_every;     /* sleep 1 ms every this many descriptors (0: never) */
	int err_at, err;        /* release with `err` from descriptor err_at on */
	int err2;               /* ...and with err2 after that */
};

static void nap(void)
{
	struct timespec ts = { 0, 1000000 };
	nanosleep(&ts, NULL);
}

static void *consume(void *arg)
{
	struct consumer *c = arg;
	uint32_t h = 0;

	for (;;) {
		uint32_t t = ww_handoff_ready(c->q, h);
		if (t == h)
			break;
		while (h != t) {
			const struct ww_handoff_pkt *d = ww_handoff_at(c->q, h);
			uint32_t n = len_of(h);
			if (d->ts != (ww_time_t)h || d->payload_len != n ||
			    !!(d->bits & WW_HANDOFF_PAYLOAD) != !!n)
				c->bad++;
			if (n) {
				const uint8_t *p = ww_handoff_payload(c->q, d);
				if (d->payload_off % 16 || d->payload_off + n > WW_HANDOFF_ARENA)
					c->bad++;
				for (uint32_t k = 0; k < n; k++)
					if (p[k] != byte_of(h, k)) {
						c->bad++;
						break;
					}
			}
			h++;
			c->seen = h;
			if (c->nap_every && h % c->nap_every == 0)
				nap();
			int err = c->err_at && h >= (uint32_t)c->err_at ? (h == (uint32_t)c->err_at ? c->err : c->err2) : 0;
			if ((h & (WW_HANDOFF_PUBLISH - 1)) == 0)
				ww_handoff_release(c->q, h, err, h);
		}
		ww_handoff_release(c->q, h, 0, h);
	}
	return NULL;
}

/* Where the producer builds a payload before it is copied (libpcap's buffer). */
static uint8_t scratch[WW_HANDOFF_COPY_MAX];

static void push_one(struct ww_handoff *q, uint32_t i)
{
	struct ww_handoff_pkt *d = ww_handoff_slot(q);
	uint32_t n = len_of(i);

	memset(d, 0, sizeof(*d));
	d->ts = i;
	d->payload_len = n;
	if (n) {
		for (uint32_t k = 0; k < n; k++)
			scratch[k] = byte_of(i, k);
		d->payload_off = ww_handoff_copy(q, scratch, n);
		d->bits |= WW_HANDOFF_PAYLOAD;
	}
	ww_handoff_push(q);
}

/* Push `n` descriptors through a consumer that naps every `nap_every`. */
static void run(uint32_t n, uint32_t nap_every)
{
	struct consumer c = { .nap_every = nap_every };
	pthread_t th;

	c.q = ww_handoff_new();
	assert_non_null(c.q);
	assert_int_equal(pthread_create(&th, NULL, consume, &c), 0);
	for (uint32_t i = 0; i < n; i++)
		push_one(c.q, i);
	ww_handoff_sync(c.q);
	assert_int_equal(ww_handoff_mark(c.q), n);
	ww_handoff_stop(c.q);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(c.seen, n);
	assert_int_equal(c.bad, 0);
	assert_int_equal(ww_handoff_err(c.q), 0);
	ww_handoff_free(c.q);
}

static void test_every_packet_comes_out_once_in_order_with_its_bytes(void **state)
{
	(void)state;
	/* ~180 MB of payload: the arena wraps some 90 times, the ring 50 */
	run(100000, 0);
}

static void test_a_slow_consumer_makes_the_producer_wait_not_overwrite(void **state)
{
	(void)state;
	/* naps: the ring (2,048 descriptors) fills up behind it... */
	run(20 * WW_HANDOFF_SLOTS, 700);
	/* ...and the arena (2 MB, 512 payloads of 4 KB) before the ring */
	fixed_len = 4096;
	run(20 * WW_HANDOFF_SLOTS, 700);
	fixed_len = 0;
}

static void test_sync_returns_when_everything_pushed_is_released(void **state)
{
	(void)state;
	struct consumer c = { 0 };
	pthread_t th;

	c.q = ww_handoff_new();
	assert_non_null(c.q);
	assert_int_equal(pthread_create(&th, NULL, consume, &c), 0);
	/* fewer than a publish period: none is published before the sync */
	for (uint32_t i = 0; i < 5; i++)
		push_one(c.q, i);
	assert_int_equal(ww_handoff_pushed(c.q), 5);
	ww_handoff_sync(c.q);
	assert_int_equal(c.seen, 5);            /* the consumer's writes are visible */
	assert_int_equal(ww_handoff_mark(c.q), 5);
	ww_handoff_stop(c.q);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(c.bad, 0);
	ww_handoff_free(c.q);
}

static void test_the_consumers_first_error_reaches_the_producer(void **state)
{
	(void)state;
	struct consumer c = { .err_at = 3 * WW_HANDOFF_PUBLISH, .err = -EIO, .err2 = -ENOMEM };
	pthread_t th;

	c.q = ww_handoff_new();
	assert_non_null(c.q);
	assert_int_equal(pthread_create(&th, NULL, consume, &c), 0);
	for (uint32_t i = 0; i < 10 * WW_HANDOFF_PUBLISH; i++)
		push_one(c.q, i);
	ww_handoff_sync(c.q);
	assert_int_equal(ww_handoff_err(c.q), -EIO);   /* not the later -ENOMEM */
	ww_handoff_stop(c.q);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(c.bad, 0);
	ww_handoff_free(c.q);
}

static void test_stop_ends_a_consumer_waiting_on_an_empty_ring(void **state)
{
	(void)state;
	struct consumer c = { 0 };
	pthread_t th;

	c.q = ww_handoff_new();
	assert_non_null(c.q);
	assert_int_equal(pthread_create(&th, NULL, consume, &c), 0);
	nap();   /* long enough for it to go to sleep on its futex */
	nap();
	ww_handoff_sync(c.q);   /* nothing pushed: returns at once */
	ww_handoff_stop(c.q);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(c.seen, 0);
	ww_handoff_free(c.q);
}

static void test_free_accepts_null(void **state)
{
	(void)state;
	ww_handoff_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_packet_comes_out_once_in_order_with_its_bytes),
		cmocka_unit_test(test_a_slow_consumer_makes_the_producer_wait_not_overwrite),
		cmocka_unit_test(test_sync_returns_when_everything_pushed_is_released),
		cmocka_unit_test(test_the_consumers_first_error_reaches_the_producer),
		cmocka_unit_test(test_stop_ends_a_consumer_waiting_on_an_empty_ring),
		cmocka_unit_test(test_free_accepts_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
