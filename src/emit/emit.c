/*
 * emit.c - picks the writer (NDJSON or text), applies --quiet, and can run
 * the JSON writer on a thread of its own.
 *
 * Kept apart from the two writers so each of them is only about format.
 *
 * The output thread. A replay of many short flows spends as long formatting
 * flow records (Community ID, addresses, times, escaping) as tracking their
 * packets, so with a second core the formatting moves there. The analysis
 * thread copies each finished flow into a slot of a single-producer,
 * single-consumer ring and goes on; the output thread formats and writes
 * the slots in ring order, so records keep their order. A record that is
 * not safe to format later (its view points at attribution data that will
 * change, see ww_flow_view.stable), and every alert and stats record, is
 * formatted on the analysis thread and queued as finished bytes instead.
 *
 * Waiting is rare and cheap: each side spins briefly, then sleeps on a
 * condition variable; the other side signals only when the sleeper said it
 * sleeps (a flag read after publishing, with sequentially consistent
 * operations on both sides so that one of the two always sees the other).
 * A sleeping output thread is woken only for a batch of records (a wake-up
 * is a system call on the analysis thread) or when everything must be
 * written; otherwise it naps at most OQ_NAP_NS.
 *
 * Many flows at once (ww_emit_flows_parallel(), a replay's end of input)
 * are formatted on two threads instead, chunk by chunk, and written in
 * order by the caller's: see "many flows at once" below.
 */
#include "wirewho/emit.h"
#include "wirewho/jsonw.h"
#include "wirewho/meta.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define OQ_SLOTS     1024u   /* a power of two; ~400 KiB, in the L2 of both cores */
#define OQ_SPINS     2000    /* polls before sleeping */
#define OQ_WAKE_AT   16      /* records queued before a sleeping output thread is woken */
#define OQ_NAP_NS    2000000 /* ...or it wakes by itself after this long */
#define OQ_PUBLISH   16      /* the output thread publishes its position this often */

enum { OQ_FLOW, OQ_RAW };

struct oq_slot {
	struct ww_flow f;            /* OQ_FLOW: the flow as it ended */
	const char *app_proto, *app_by, *service, *attr_status, *attr_reason;
	struct ww_jw jw;             /* OQ_RAW: a finished record; the buffer is the slot's, reused */
	uint8_t kind;
	char sni[WW_NAME_MAX];        /* "" when none */
	uint16_t sni_len;             /* its bytes: it may hold NULs */
	bool has_meta;                /* meta holds a copy of the flow's metadata object */
	/* the flow's metadata (meta.h), copied: the pipeline frees its own
	 * when the flow ends; only its used bytes are touched */
	_Alignas(8) unsigned char meta[sizeof(struct ww_meta) + WW_META_DATA_MAX];
};

struct outq {
	struct oq_slot *slot;
	_Atomic uint64_t head;       /* next slot to write; advanced by the output thread */
	_Atomic uint64_t tail;       /* next slot to fill; advanced by the analysis thread */
	uint64_t head_seen;          /* analysis thread's last look at head */
	_Atomic int err;             /* first write error, as ww_emit_* return it */
	_Atomic bool stop;
	_Atomic bool consumer_sleeps, producer_sleeps;
	pthread_mutex_t mu;
	pthread_cond_t wake_consumer, wake_producer;
	pthread_t th;
	struct ww_jw jw;             /* the output thread's own writer */
};

/*
 * When the ring is this full the output thread is behind (a burst of flows
 * ending at once, as at the end of a capture), and the analysis thread
 * formats records itself, in order, into the slot's own buffer: both cores
 * then format, each a share, instead of one waiting for the other.
 */
#define OQ_SHARE_AT  (OQ_SLOTS / 4)

struct ww_emitter {
	FILE *out;
	enum ww_emit_mode mode;
	bool quiet;
	bool color;
	bool live;            /* watch: the live text form (ww_emitter_set_live()) */
	unsigned rows;        /* text rows since the last header */
	struct ww_jw jw;
	struct outq *q;       /* NULL: records are written at once */
};

/* ---- the output thread --------------------------------------------------- */

/* Wake the side sleeping on `cv` (under the mutex: no lost wake-up). */
static void wake(struct outq *q, pthread_cond_t *cv)
{
	pthread_mutex_lock(&q->mu);
	pthread_cond_signal(cv);
	pthread_mutex_unlock(&q->mu);
}

static void write_slot(struct ww_emitter *e, struct oq_slot *s)
{
	struct outq *q = e->q;
	int rc;

	if (s->kind == OQ_RAW) {
		rc = fwrite(s->jw.buf, 1, s->jw.len, e->out) == s->jw.len ? 0 : -EIO;
		ww_jw_reset(&s->jw);
	} else {
		struct ww_flow_view v = {
			.f = &s->f, .app_proto = s->app_proto, .app_by = s->app_by,
			.service = s->service, .sni = s->sni_len ? s->sni : NULL, .sni_len = s->sni_len,
			.meta = s->has_meta ? (const struct ww_meta *)(const void *)s->meta : NULL,
			.attr_status = s->attr_status, .attr_reason = s->attr_reason,
			.stable = true,
		};
		rc = ww_emit_json_flow(&q->jw, e->out, &v);
	}
	if (rc) {
		int none = 0;
		atomic_compare_exchange_strong(&q->err, &none, rc);
	}
}

static void *output_thread(void *arg)
{
	struct ww_emitter *e = arg;
	struct outq *q = e->q;
	uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);

	for (;;) {
		uint64_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
		for (int spin = 0; tail == head && spin < OQ_SPINS; spin++) {
			ww_cpu_relax();
			tail = atomic_load_explicit(&q->tail, memory_order_acquire);
		}
		if (tail == head) {
			pthread_mutex_lock(&q->mu);
			atomic_store(&q->consumer_sleeps, true);
			while ((tail = atomic_load(&q->tail)) == head && !atomic_load(&q->stop)) {
				struct timespec t;
				clock_gettime(CLOCK_REALTIME, &t);
				t.tv_nsec += OQ_NAP_NS;
				if (t.tv_nsec >= 1000000000) {
					t.tv_sec++;
					t.tv_nsec -= 1000000000;
				}
				pthread_cond_timedwait(&q->wake_consumer, &q->mu, &t);
			}
			atomic_store(&q->consumer_sleeps, false);
			pthread_mutex_unlock(&q->mu);
			if (tail == head)
				break;   /* stopped with nothing left */
		}
		while (head != tail) {
			write_slot(e, &q->slot[head & (OQ_SLOTS - 1)]);
			head++;
			/* a sequentially consistent store and the line it sits on
			 * passed to the other core: every few records, and when
			 * caught up (what a waiting producer needs) */
			if (head % OQ_PUBLISH == 0 || head == tail) {
				atomic_store(&q->head, head);
				if (atomic_load(&q->producer_sleeps))
					wake(q, &q->wake_producer);
			}
		}
	}
	return NULL;
}

/* Wait until the output thread has written every slot before `target`. */
static void wait_head(struct outq *q, uint64_t target)
{
	uint64_t head = atomic_load_explicit(&q->head, memory_order_acquire);
	if (head < target && atomic_load(&q->consumer_sleeps))
		wake(q, &q->wake_consumer);
	for (int spin = 0; head < target && spin < OQ_SPINS; spin++) {
		ww_cpu_relax();
		head = atomic_load_explicit(&q->head, memory_order_acquire);
	}
	if (head < target) {
		pthread_mutex_lock(&q->mu);
		atomic_store(&q->producer_sleeps, true);
		while ((head = atomic_load(&q->head)) < target)
			pthread_cond_wait(&q->wake_producer, &q->mu);
		atomic_store(&q->producer_sleeps, false);
		pthread_mutex_unlock(&q->mu);
	}
	q->head_seen = head;
}

/* Wait until everything queued so far is written. */
static void wait_written(struct outq *q)
{
	wait_head(q, atomic_load_explicit(&q->tail, memory_order_relaxed));
}

/* A free slot to fill (the caller publishes it with publish()). */
static struct oq_slot *claim(struct outq *q)
{
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	if (tail - q->head_seen >= OQ_SLOTS) {
		q->head_seen = atomic_load_explicit(&q->head, memory_order_acquire);
		if (tail - q->head_seen >= OQ_SLOTS)
			wait_head(q, tail - OQ_SLOTS + 1);
	}
	return &q->slot[tail & (OQ_SLOTS - 1)];
}

static void publish(struct outq *q)
{
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed) + 1;
	atomic_store(&q->tail, tail);
	if (atomic_load(&q->consumer_sleeps) &&
	    tail - atomic_load_explicit(&q->head, memory_order_relaxed) >= OQ_WAKE_AT)
		wake(q, &q->wake_consumer);
}

/* Queue the record just formatted into s->jw (closed by ww_jw_finish(w,
 * NULL)) as bytes; a record that could not be built is dropped. */
static int queue_raw(struct outq *q, struct oq_slot *s, int rc)
{
	if (rc) {
		ww_jw_reset(&s->jw);
		return rc;
	}
	s->kind = OQ_RAW;
	publish(q);
	return atomic_load_explicit(&q->err, memory_order_relaxed);
}

/* The output thread is OQ_SHARE_AT behind (head looked at again only then). */
static bool behind(struct outq *q)
{
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	if (tail - q->head_seen < OQ_SHARE_AT)
		return false;
	q->head_seen = atomic_load_explicit(&q->head, memory_order_acquire);
	return tail - q->head_seen >= OQ_SHARE_AT;
}

static int queue_flow(struct ww_emitter *e, const struct ww_flow_view *v)
{
	struct outq *q = e->q;
	struct oq_slot *s = claim(q);

	s->kind = OQ_FLOW;
	s->f = *v->f;
	s->app_proto = v->app_proto;
	s->app_by = v->app_by;
	s->service = v->service;
	s->attr_status = v->attr_status;
	s->attr_reason = v->attr_reason;
	s->sni[0] = '\0';
	s->sni_len = 0;
	if (v->sni) {
		size_t n = v->sni_len ? v->sni_len : strlen(v->sni);
		if (n > WW_NAME_MAX - 1)
			n = WW_NAME_MAX - 1;
		memcpy(s->sni, v->sni, n);   /* by length: the name may hold NULs */
		s->sni[n] = '\0';
		s->sni_len = (uint16_t)n;
	}
	s->has_meta = v->meta && ww_meta_size(v->meta) <= sizeof(s->meta);
	if (s->has_meta)
		memcpy(s->meta, v->meta, ww_meta_size(v->meta));
	publish(q);
	return atomic_load_explicit(&q->err, memory_order_relaxed);
}

/* Everything of a queue whose thread has ended or never started. */
static void free_queue(struct outq *q)
{
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->wake_consumer);
	pthread_cond_destroy(&q->wake_producer);
	ww_jw_free(&q->jw);
	for (unsigned i = 0; i < OQ_SLOTS; i++)
		ww_jw_free(&q->slot[i].jw);
	free(q->slot);
	free(q);
}

int ww_emitter_start_thread(struct ww_emitter *e)
{
	struct outq *q;

	if (e->q || e->mode != WW_EMIT_JSON)
		return e->q ? 0 : -1;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -1;
	q->slot = calloc(OQ_SLOTS, sizeof(*q->slot));
	if (!q->slot)
		goto err;
	ww_jw_init(&q->jw);
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->wake_consumer, NULL);
	pthread_cond_init(&q->wake_producer, NULL);
	e->q = q;
	if (pthread_create(&q->th, NULL, output_thread, e) != 0) {
		e->q = NULL;
		free_queue(q);
		return -1;
	}
	return 0;
err:
	free(q->slot);
	free(q);
	return -1;
}

/* Let the output thread write what is queued, and end it. */
static void stop_thread(struct ww_emitter *e)
{
	struct outq *q = e->q;

	atomic_store(&q->stop, true);
	wake(q, &q->wake_consumer);   /* it re-checks `stop` under the mutex */
	pthread_join(q->th, NULL);
	free_queue(q);
	e->q = NULL;
}

/* ---- the writer ---------------------------------------------------------- */

struct ww_emitter *ww_emitter_new(FILE *out, enum ww_emit_mode mode, bool quiet, bool color)
{
	struct ww_emitter *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->out = out;
	e->mode = mode;
	e->quiet = quiet;
	e->color = color;
	ww_jw_init(&e->jw);
	return e;
}

void ww_emitter_free(struct ww_emitter *e)
{
	if (!e)
		return;
	if (e->q) {
		stop_thread(e);
		fflush(e->out);
	}
	ww_jw_free(&e->jw);
	free(e);
}

int ww_emit_flow(struct ww_emitter *e, const struct ww_flow_view *v)
{
	if (e->quiet)
		return 0;
	if (e->q) {
		if (v->stable && !v->owner && !behind(e->q))
			return queue_flow(e, v);
		struct oq_slot *s = claim(e->q);
		return queue_raw(e->q, s, ww_emit_json_flow(&s->jw, NULL, v));
	}
	if (e->mode == WW_EMIT_JSON)
		return ww_emit_json_flow(&e->jw, e->out, v);
	if (e->live)
		return ww_emit_text_flow_live(e->out, &e->rows, e->color, v, false);
	return ww_emit_text_flow(e->out, &e->rows, e->color, v);
}

void ww_emitter_set_live(struct ww_emitter *e)
{
	e->live = true;
}

int ww_emit_flow_start(struct ww_emitter *e, const struct ww_flow_view *v)
{
	if (e->quiet || e->mode != WW_EMIT_TEXT || !e->live)
		return 0;
	return ww_emit_text_flow_live(e->out, &e->rows, e->color, v, true);
}

int ww_emit_stats_record(struct ww_emitter *e, const struct ww_stats *s, ww_time_t ts)
{
	if (e->mode != WW_EMIT_JSON)
		return 0;
	return ww_emit_stats(e, s, ts);
}

int ww_emit_alert(struct ww_emitter *e, const struct ww_alert *a, const struct ww_flow_view *v)
{
	if (e->q) {
		struct oq_slot *s = claim(e->q);
		return queue_raw(e->q, s, ww_emit_json_alert(&s->jw, NULL, a, v));
	}
	if (e->mode == WW_EMIT_JSON)
		return ww_emit_json_alert(&e->jw, e->out, a, v);
	e->rows = 0;   /* re-print the flow header after an alert line */
	return ww_emit_text_alert(e->out, e->color, a, v);
}

int ww_emit_stats(struct ww_emitter *e, const struct ww_stats *s, ww_time_t ts)
{
	int rc;
	if (e->q) {
		struct oq_slot *sl = claim(e->q);
		rc = queue_raw(e->q, sl, ww_emit_json_stats(&sl->jw, NULL, s, ts));
		wait_written(e->q);   /* everything before the summary, when it returns */
		if (rc == 0)
			rc = atomic_load(&e->q->err);
	} else if (e->mode == WW_EMIT_JSON) {
		rc = ww_emit_json_stats(&e->jw, e->out, s, ts);
	} else {
		rc = ww_emit_text_stats(e->out, s);
	}
	if (fflush(e->out) != 0 && rc == 0)
		rc = -EIO;
	return rc;
}

/* ---- many flows at once -------------------------------------------------- */

/*
 * A capture's end leaves most of its flows open (a 15-second capture of
 * short connections: four in five), and writing their records is then the
 * only work left: a few hundred nanoseconds each, mostly formatting. Two
 * threads share it. The flows, in the caller's order, are cut into chunks
 * of FLUSH_CHUNK; each thread claims the next chunk not yet claimed and
 * formats it into one of FLUSH_SLOTS batches (chunk c into slot
 * c % FLUSH_SLOTS, free once chunk c - FLUSH_SLOTS is written), and the
 * caller's thread writes the formatted chunks in order between its own.
 * Claiming rather than taking turns matters on a shared machine: when one
 * thread is slowed (here, at times, to half speed), the other formats more
 * chunks instead of waiting for it. The output is byte for byte what one
 * thread writes.
 */
#define FLUSH_CHUNK 512    /* flows: ~350 KB of JSON */
#define FLUSH_SLOTS 4      /* chunks formatted and not yet written, at most */
#define FLUSH_AHEAD 8      /* records fetched 2x this ahead of the one formatted, what they point to 1x */
#define FLUSH_SPINS 4096   /* pause loops before a waiting thread yields its core */

/* One chunk's records, formatted and not yet written; a line of its own,
 * as the two threads fill neighbouring slots at once. */
struct ww_emit_batch {
	_Alignas(64) struct ww_jw jw;
	uint64_t alerts;           /* alerts formatted into this slot, ever */
	int err;                   /* the slot's first error */
	bool quiet;                /* no flow records (-q) */
	_Atomic bool ready;        /* formatted, not yet written */
};

struct flush {
	struct ww_flow *const *flows;
	size_t n, chunks;
	FILE *out;
	ww_emit_each_fn *each;
	void *ud;
	_Atomic size_t next;       /* the next chunk to claim */
	_Atomic size_t written;    /* chunks written, all of them before this */
	struct ww_emit_batch slot[FLUSH_SLOTS];
};

static void note(struct ww_emit_batch *b, int rc)
{
	if (rc && !b->err)
		b->err = rc;
}

int ww_emit_batch_flow(struct ww_emit_batch *b, const struct ww_flow_view *v)
{
	if (b->quiet)
		return 0;
	int rc = ww_emit_json_flow(&b->jw, NULL, v);
	note(b, rc);
	return rc;
}

int ww_emit_batch_alert(struct ww_emit_batch *b, const struct ww_alert *a, const struct ww_flow_view *v)
{
	int rc = ww_emit_json_alert(&b->jw, NULL, a, v);
	note(b, rc);
	b->alerts++;
	return rc;
}

static void spin_or_yield(unsigned *spin)
{
	if ((*spin)++ < FLUSH_SPINS)
		ww_cpu_relax();
	else
		sched_yield();
}

/* The caller's part: write every formatted chunk that is next in order. */
static void write_ready(struct flush *fl)
{
	size_t w = atomic_load_explicit(&fl->written, memory_order_relaxed);
	for (; w < fl->chunks; w++) {
		struct ww_emit_batch *b = &fl->slot[w % FLUSH_SLOTS];
		if (!atomic_load_explicit(&b->ready, memory_order_acquire))
			break;
		if (b->jw.len && fwrite(b->jw.buf, 1, b->jw.len, fl->out) != b->jw.len && !b->err)
			b->err = -EIO;
		ww_jw_reset(&b->jw);
		atomic_store_explicit(&b->ready, false, memory_order_relaxed);
		atomic_store_explicit(&fl->written, w + 1, memory_order_release);
	}
}

/* Claim a chunk and format it; false when none is left. */
static bool flush_one(struct flush *fl, bool writer)
{
	size_t c = atomic_fetch_add(&fl->next, 1);
	unsigned spin = 0;

	if (c >= fl->chunks)
		return false;
	/* its slot is free once the chunk FLUSH_SLOTS before it is written */
	while (c >= atomic_load_explicit(&fl->written, memory_order_acquire) + FLUSH_SLOTS) {
		if (writer)
			write_ready(fl);
		spin_or_yield(&spin);
	}
	struct ww_emit_batch *b = &fl->slot[c % FLUSH_SLOTS];
	size_t lo = c * FLUSH_CHUNK, hi = lo + FLUSH_CHUNK < fl->n ? lo + FLUSH_CHUNK : fl->n;
	for (size_t j = lo; j < hi; j++) {
		if (j + 2 * FLUSH_AHEAD < hi)
			ww_flow_prefetch(fl->flows[j + 2 * FLUSH_AHEAD]);
		if (j + FLUSH_AHEAD < hi) {
			/* what the record points to, now that the record is here:
			 * the classifier's state and the server name the view reads */
			const struct ww_flow *g = fl->flows[j + FLUSH_AHEAD];
			if (g->cls)
				__builtin_prefetch(g->cls);
			if (g->meta)
				__builtin_prefetch(g->meta);
		}
		fl->each(fl->ud, fl->flows[j], b);
	}
	atomic_store_explicit(&b->ready, true, memory_order_release);
	return true;
}

static void *flush_helper(void *arg)
{
	struct flush *fl = arg;
	while (flush_one(fl, false))
		;
	return NULL;
}

bool ww_emit_parallel_ok(const struct ww_emitter *e)
{
	return e->mode == WW_EMIT_JSON;
}

int ww_emit_flows_parallel(struct ww_emitter *e, struct ww_flow *const *flows, size_t n,
			   ww_emit_each_fn *each, void *ud, uint64_t *alerts)
{
	struct flush fl = { .flows = flows, .n = n, .out = e->out, .each = each, .ud = ud };
	pthread_t th;
	bool two;
	int rc = 0;

	*alerts = 0;
	if (!ww_emit_parallel_ok(e))
		return -EOPNOTSUPP;
	if (e->q)
		wait_written(e->q);   /* what was queued comes first */
	fl.chunks = (n + FLUSH_CHUNK - 1) / FLUSH_CHUNK;
	for (int i = 0; i < FLUSH_SLOTS; i++) {
		fl.slot[i].quiet = e->quiet;
		ww_jw_init(&fl.slot[i].jw);
	}
	two = fl.chunks > 1 && pthread_create(&th, NULL, flush_helper, &fl) == 0;
	while (flush_one(&fl, true))
		write_ready(&fl);
	for (unsigned spin = 0; atomic_load(&fl.written) < fl.chunks;) {
		write_ready(&fl);
		if (atomic_load(&fl.written) < fl.chunks)
			spin_or_yield(&spin);
	}
	if (two)
		pthread_join(th, NULL);
	for (int i = 0; i < FLUSH_SLOTS; i++) {
		*alerts += fl.slot[i].alerts;
		if (!rc)
			rc = fl.slot[i].err;
		ww_jw_free(&fl.slot[i].jw);
	}
	return rc;
}
