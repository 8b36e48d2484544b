/*
 * handoff.h - the ring that hands a replay's packets from the thread that
 * reads them to the thread that analyses them.
 *
 * One producer (the reader) and one consumer (the analysis thread), in
 * order. A packet crosses as one 64-byte descriptor (struct
 * ww_handoff_pkt): its flow key, time, lengths and flags, and, when the
 * consumer may read its payload, an offset into an arena of copied bytes
 * (libpcap reuses its buffer for the next frame, so what is to be read
 * later must be copied now). A slot and its arena bytes belong to the
 * producer until it pushes the slot, then to the consumer until it
 * releases it.
 *
 * Each side publishes its position every WW_HANDOFF_PUBLISH descriptors
 * (a shared cache line written per packet cost a miss per packet). A side
 * that runs dry spins briefly, then sleeps on a futex until the other has
 * moved a quarter of the ring on (WW_HANDOFF_WAKE_AT), so the two wake each
 * other a few thousand times per million packets, not per packet. When the
 * producer waits (ring or arena full, or ww_handoff_sync()), it marks the
 * request urgent, and the consumer takes whatever is there at once.
 *
 * The per-packet operations of both sides are inline below: they are the
 * replay's hot path, and a call per packet on either core shows in its
 * rate. The structure is exposed only for them; other code uses the
 * functions.
 */
#ifndef WIREWHO_HANDOFF_H
#define WIREWHO_HANDOFF_H

#include <stdatomic.h>
#include <stddef.h>
#include "wirewho/common.h"
#include "wirewho/flow.h"
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define WW_HANDOFF_SLOTS   2048u        /* descriptors: 128 KB, a power of two */
#define WW_HANDOFF_ARENA   (2u << 20)   /* payload bytes in flight */
#define WW_HANDOFF_PUBLISH 32u          /* each side publishes its position this often */
#define WW_HANDOFF_WAKE_AT (WW_HANDOFF_SLOTS / 4)   /* a sleeper is woken this far on */
#define WW_HANDOFF_SPIN    64           /* pause loops before sleeping */
/* The producer fetches for writing this many ring slots ahead of the one it
 * fills, and this many arena bytes ahead of the bytes it copies: the
 * consumer's core read those lines last. */
#define WW_HANDOFF_AHEAD_WRITE 8u
#define WW_HANDOFF_AHEAD_ARENA 1024u
/* A payload is at most this long: the arena holds several in flight. */
#define WW_HANDOFF_COPY_MAX (WW_HANDOFF_ARENA / 16)
_Static_assert((WW_HANDOFF_SLOTS & (WW_HANDOFF_SLOTS - 1)) == 0, "slots must be a power of two");
_Static_assert((WW_HANDOFF_PUBLISH & (WW_HANDOFF_PUBLISH - 1)) == 0, "publish period must be a power of two");

/*
 * A packet as handed over: what the flow engine and the classifier read of
 * a struct ww_pkt, in one cache line. Addresses, ports, VLAN and protocol
 * are in the key (the consumer rebuilds the packet view from it); the TCP
 * sequence number is not carried (nothing past the decoder reads it).
 */
struct ww_handoff_pkt {
	struct ww_flowkey key;
	ww_time_t ts;
	uint32_t ip_len;
	uint32_t payload_len;
	uint32_t payload_off;   /* in the arena, when WW_HANDOFF_PAYLOAD */
	uint8_t tcp_flags, icmp_type, icmp_code;
	uint8_t bits;           /* WW_HANDOFF_* */
};
_Static_assert(sizeof(struct ww_handoff_pkt) == 64, "a handed-over packet is one cache line");
#define WW_HANDOFF_SRC_IS_A  0x01
#define WW_HANDOFF_HAS_PORTS 0x02
#define WW_HANDOFF_FRAGMENT  0x04
#define WW_HANDOFF_PAYLOAD   0x08   /* payload bytes were copied to the arena */
/* No packet: payload_off is the interned tunnel path (decode.h) of the
 * packet in the next descriptor. Only tunnelled packets take one. */
#define WW_HANDOFF_TUNNEL    0x10

/* A futex a side sleeps on until the other's position reaches `at`. */
struct ww_handoff_bell {
	_Atomic uint32_t seq;      /* the futex word: bumped by every ring */
	_Atomic uint32_t armed;    /* someone sleeps (or is about to) */
	_Atomic uint32_t at;       /* the position it waits for */
};

/*
 * Laid out by writer: the lines each side writes are apart, so a position
 * published by one costs the other one miss per WW_HANDOFF_PUBLISH
 * descriptors, not one per descriptor.
 */
struct ww_handoff {
	/* written by the producer */
	_Alignas(64) _Atomic uint32_t tail;   /* descriptors published */
	_Atomic uint32_t urgent;              /* the producer waits: take what is there */
	_Atomic uint32_t stop;
	struct ww_handoff_bell cbell;         /* the consumer sleeps here */
	/* written by the consumer */
	_Alignas(64) _Atomic uint32_t head;   /* descriptors processed and released */
	_Atomic int err;                      /* the consumer's first error */
	_Atomic uint32_t mark;                /* the consumer's count, as of head */
	struct ww_handoff_bell pbell;         /* the producer sleeps here */
	/* the producer's own */
	_Alignas(64) uint32_t t;              /* descriptors filled, published or not */
	uint32_t head_seen;
	uint64_t arena_w;                     /* arena bytes handed out, ever */
	bool prefetchw;                       /* the CPU has PREFETCHW */
	uint64_t at[WW_HANDOFF_SLOTS];        /* arena offset where each slot's bytes start */
	/* shared, by ownership of slots */
	_Alignas(64) struct ww_handoff_pkt ring[WW_HANDOFF_SLOTS];
	uint8_t *arena;
};
_Static_assert(offsetof(struct ww_handoff, head) % 64 == 0 &&
	       offsetof(struct ww_handoff, t) - offsetof(struct ww_handoff, head) >= 64,
	       "the consumer's line is its own");

/* An empty ring. Returns NULL when out of memory. */
struct ww_handoff *ww_handoff_new(void);
/* Free the ring (its consumer must be gone). NULL is allowed. */
void ww_handoff_free(struct ww_handoff *q);

/* ---- the producer ---- */

/* Out of line, the slow paths of the inline functions below. */
void ww_handoff_publish(struct ww_handoff *q);
void ww_handoff_wait_released(struct ww_handoff *q, uint32_t target);

/*
 * Fetch a line for writing (PREFETCHW), where the CPU has it: the producer
 * then owns the line the consumer read last before it stores, instead of
 * stalling on the store. __builtin_prefetch(p, 1) emits it only when the
 * whole build targets such CPUs, hence the run-time test.
 */
static inline void ww_handoff_prefetch_w(const struct ww_handoff *q, const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
	if (q->prefetchw)
		__asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
#else
	(void)q;
	__builtin_prefetch(p, 1);
#endif
}

/*
 * The slot to fill next, waiting for the consumer to release one when the
 * ring is full. The slot is the producer's until ww_handoff_push(). This
 * function can't fail.
 */
static inline struct ww_handoff_pkt *ww_handoff_slot(struct ww_handoff *q)
{
	if (q->t - q->head_seen == WW_HANDOFF_SLOTS) {
		q->head_seen = atomic_load_explicit(&q->head, memory_order_acquire);
		if (q->t - q->head_seen == WW_HANDOFF_SLOTS)
			ww_handoff_wait_released(q, q->t - WW_HANDOFF_SLOTS + WW_HANDOFF_WAKE_AT);
	}
	q->at[q->t & (WW_HANDOFF_SLOTS - 1)] = q->arena_w;
	ww_handoff_prefetch_w(q, &q->ring[(q->t + WW_HANDOFF_AHEAD_WRITE) & (WW_HANDOFF_SLOTS - 1)]);
	return &q->ring[q->t & (WW_HANDOFF_SLOTS - 1)];
}

/*
 * memcpy() of a size known only at run time is inlined as REP MOVSQ, whose
 * start-up costs more than a payload of a few hundred bytes: sixteen bytes
 * at a time instead, the last sixteen overlapping (dst is 16-aligned).
 */
static inline void ww_handoff_copy_bytes(uint8_t *dst, const uint8_t *src, uint32_t n)
{
#ifdef __SSE2__
	if (n >= 16) {
		uint32_t i = 0;
		for (; i + 16 <= n; i += 16)
			_mm_store_si128((__m128i *)(void *)(dst + i), _mm_loadu_si128((const __m128i *)(const void *)(src + i)));
		if (i < n)
			_mm_storeu_si128((__m128i *)(void *)(dst + n - 16),
					 _mm_loadu_si128((const __m128i *)(const void *)(src + n - 16)));
		return;
	}
#endif
	for (uint32_t i = 0; i < n; i++)
		dst[i] = src[i];
}

/*
 * Copy `n` payload bytes (at most WW_HANDOFF_COPY_MAX) for the slot being
 * filled, waiting for the consumer to release older bytes when the arena
 * is full. Returns their offset for ww_handoff_payload(); a payload never
 * wraps round the arena's end. This function can't fail.
 */
static inline uint32_t ww_handoff_copy(struct ww_handoff *q, const uint8_t *src, uint32_t n)
{
	uint64_t off = (q->arena_w + 15) & ~(uint64_t)15;
	if (off % WW_HANDOFF_ARENA + n > WW_HANDOFF_ARENA)
		off += WW_HANDOFF_ARENA - off % WW_HANDOFF_ARENA;
	for (;;) {
		/* bytes still in use start at the oldest unreleased slot */
		uint64_t used = q->head_seen == q->t ? off : q->at[q->head_seen & (WW_HANDOFF_SLOTS - 1)];
		if (off + n - used <= WW_HANDOFF_ARENA)
			break;
		q->head_seen = atomic_load_explicit(&q->head, memory_order_acquire);
		if (q->head_seen != q->t &&
		    off + n - q->at[q->head_seen & (WW_HANDOFF_SLOTS - 1)] > WW_HANDOFF_ARENA)
			ww_handoff_wait_released(q, q->head_seen + (q->t - q->head_seen + 1) / 2);
	}
	ww_handoff_copy_bytes(q->arena + off % WW_HANDOFF_ARENA, src, n);
	q->at[q->t & (WW_HANDOFF_SLOTS - 1)] = off;
	q->arena_w = off + n;
	for (unsigned i = 0; i < 4; i++)
		ww_handoff_prefetch_w(q, q->arena + (q->arena_w + WW_HANDOFF_AHEAD_ARENA + 64 * i) % WW_HANDOFF_ARENA);
	return (uint32_t)(off % WW_HANDOFF_ARENA);
}

/* The slot filled goes to the consumer (seen by it within
 * WW_HANDOFF_PUBLISH pushes, or at ww_handoff_sync()). Can't fail. */
static inline void ww_handoff_push(struct ww_handoff *q)
{
	q->t++;
	if ((q->t & (WW_HANDOFF_PUBLISH - 1)) == 0)
		ww_handoff_publish(q);
}

/* Descriptors pushed so far, ever (wraps at 2^32). Can't fail. */
static inline uint32_t ww_handoff_pushed(const struct ww_handoff *q)
{
	return q->t;
}

/*
 * Wait until the consumer has released everything pushed: what it did with
 * it is then visible to the producer. This function can't fail.
 */
void ww_handoff_sync(struct ww_handoff *q);

/* Tell the consumer to end once it has taken everything pushed
 * (ww_handoff_ready() then returns its own position). Can't fail. */
void ww_handoff_stop(struct ww_handoff *q);

/* The consumer's first error (ww_handoff_release()), 0 when none. Can't fail. */
static inline int ww_handoff_err(const struct ww_handoff *q)
{
	return atomic_load_explicit(&q->err, memory_order_relaxed);
}

/* The count the consumer last released with, as of some recent position. Can't fail. */
static inline uint32_t ww_handoff_mark(const struct ww_handoff *q)
{
	return atomic_load_explicit(&q->mark, memory_order_relaxed);
}

/* ---- the consumer ---- */

/* Out of line: sleep until there is work past `h` (or a stop). */
void ww_handoff_wait_pushed(struct ww_handoff *q, uint32_t h);

/*
 * The position up to which descriptors are ready for a consumer at `h`,
 * waiting (spin, then futex) until there is one. Returns `h` itself only
 * once the ring is stopped and empty: the consumer should end. Can't fail.
 */
static inline uint32_t ww_handoff_ready(struct ww_handoff *q, uint32_t h)
{
	for (;;) {
		uint32_t t = atomic_load_explicit(&q->tail, memory_order_acquire);
		if (t != h)
			return t;
		if (atomic_load(&q->stop))
			return h;
		ww_handoff_wait_pushed(q, h);
	}
}

/* The descriptor at position `pos` (ready, not yet released). */
static inline const struct ww_handoff_pkt *ww_handoff_at(const struct ww_handoff *q, uint32_t pos)
{
	return &q->ring[pos & (WW_HANDOFF_SLOTS - 1)];
}

/* The payload bytes of a descriptor with WW_HANDOFF_PAYLOAD. */
static inline const uint8_t *ww_handoff_payload(const struct ww_handoff *q, const struct ww_handoff_pkt *d)
{
	return q->arena + d->payload_off;
}

/*
 * Give back every descriptor before `pos` (and its arena bytes) to the
 * producer, publishing with it `err` (kept when it is the first non-zero
 * one; see ww_handoff_err()) and `mark` (ww_handoff_mark()). Call it at
 * least every WW_HANDOFF_PUBLISH descriptors and when caught up, or a
 * waiting producer waits on. This function can't fail.
 */
void ww_handoff_release(struct ww_handoff *q, uint32_t pos, int err, uint32_t mark);

#endif
