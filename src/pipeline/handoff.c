/*
 * handoff.c - the reader -> analysis hand-off ring: its sleeps and wake-ups
 * (the per-packet operations are inline in handoff.h).
 *
 * A side sleeps on a futex word of its own (a "bell"), which the other
 * side rings only when the sleeper said it sleeps (`armed`) and its
 * position reached the one the sleeper waits for (`at`). The sleeper stores
 * `armed`, then reads the positions; the other side stores its position,
 * then reads `armed`; with both sequentially consistent, at least one sees
 * the other's store, so no wake-up is lost, and the futex word read before
 * the last check turns a ring in between into an immediate return.
 * Waking per quarter ring rather than per packet keeps the futex calls to
 * a few thousand per million packets.
 */
#include "wirewho/handoff.h"

#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

static inline bool reached(uint32_t pos, uint32_t at)
{
	return (int32_t)(pos - at) >= 0;
}

struct ww_handoff *ww_handoff_new(void)
{
	struct ww_handoff *q = aligned_alloc(_Alignof(struct ww_handoff), sizeof(*q));

	if (!q)
		return NULL;
	memset(q, 0, sizeof(*q));
	q->arena = malloc(WW_HANDOFF_ARENA);
	if (!q->arena) {
		free(q);
		return NULL;
	}
#if defined(__x86_64__) || defined(__i386__)
	unsigned eax, ebx, ecx, edx;
	if (__get_cpuid(0x80000001u, &eax, &ebx, &ecx, &edx))
		q->prefetchw = ecx & (1u << 8);   /* PRFCHW */
#endif
	return q;
}

void ww_handoff_free(struct ww_handoff *q)
{
	if (!q)
		return;
	free(q->arena);
	free(q);
}

static void futex_wait(_Atomic uint32_t *word, uint32_t val)
{
	/* EAGAIN (the word moved) and EINTR both just mean: look again */
	(void)syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void bell_ring(struct ww_handoff_bell *b)
{
	if (atomic_load(&b->armed)) {
		atomic_fetch_add(&b->seq, 1);
		(void)syscall(SYS_futex, (uint32_t *)&b->seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	}
}

/* After publishing position `pos` (a sequentially consistent store). */
static void bell_ring_at(struct ww_handoff_bell *b, uint32_t pos)
{
	if (atomic_load(&b->armed) && reached(pos, atomic_load(&b->at)))
		bell_ring(b);
}

/* ---- the consumer's sleep ------------------------------------------------ */

static bool consumer_may_go(struct ww_handoff *q, uint32_t h, uint32_t at)
{
	uint32_t t = atomic_load(&q->tail);
	return reached(t, at) || (t != h && atomic_load(&q->urgent)) || atomic_load(&q->stop);
}

void ww_handoff_wait_pushed(struct ww_handoff *q, uint32_t h)
{
	uint32_t at = h + WW_HANDOFF_WAKE_AT;
	for (int i = 0; i < WW_HANDOFF_SPIN; i++) {
		if (consumer_may_go(q, h, at))
			return;
		ww_cpu_relax();
	}
	atomic_store(&q->cbell.at, at);
	atomic_store(&q->cbell.armed, 1);
	for (;;) {
		uint32_t seq = atomic_load(&q->cbell.seq);
		if (consumer_may_go(q, h, at))
			break;
		futex_wait(&q->cbell.seq, seq);
	}
	atomic_store(&q->cbell.armed, 0);
}

void ww_handoff_release(struct ww_handoff *q, uint32_t pos, int err, uint32_t mark)
{
	if (WW_UNLIKELY(err) && !atomic_load_explicit(&q->err, memory_order_relaxed))
		atomic_store_explicit(&q->err, err, memory_order_relaxed);
	atomic_store_explicit(&q->mark, mark, memory_order_relaxed);
	atomic_store(&q->head, pos);
	bell_ring_at(&q->pbell, pos);
}

/* ---- the producer's sleep ------------------------------------------------ */

void ww_handoff_publish(struct ww_handoff *q)
{
	atomic_store(&q->tail, q->t);
	bell_ring_at(&q->cbell, q->t);
}

void ww_handoff_wait_released(struct ww_handoff *q, uint32_t target)
{
	atomic_store(&q->urgent, 1);
	ww_handoff_publish(q);
	bell_ring(&q->cbell);
	for (int i = 0; i < WW_HANDOFF_SPIN && !reached(atomic_load(&q->head), target); i++)
		ww_cpu_relax();
	if (!reached(atomic_load(&q->head), target)) {
		atomic_store(&q->pbell.at, target);
		atomic_store(&q->pbell.armed, 1);
		for (;;) {
			uint32_t seq = atomic_load(&q->pbell.seq);
			if (reached(atomic_load(&q->head), target))
				break;
			futex_wait(&q->pbell.seq, seq);
		}
		atomic_store(&q->pbell.armed, 0);
	}
	atomic_store(&q->urgent, 0);
	q->head_seen = atomic_load_explicit(&q->head, memory_order_acquire);
}

void ww_handoff_sync(struct ww_handoff *q)
{
	if (q->head_seen != q->t)
		ww_handoff_wait_released(q, q->t);
}

void ww_handoff_stop(struct ww_handoff *q)
{
	atomic_store(&q->stop, 1);
	bell_ring(&q->cbell);
}
