/*
 * flowtab.c - the hot-path hash table: canonical flow key -> flow record.
 *
 * Design. Open addressing over 64-byte *chunks* (the layout of Facebook's
 * F14 tables, with Swiss-table tag matching): one chunk is one cache line
 * holding 12 one-byte tags, a 32-bit overflow count and the 12 uint32 pool
 * indexes those tags stand for. A lookup hashes the key, goes to the home
 * chunk (low bits of the hash), compares the key's tag (7 high bits of the
 * hash, top bit set) with all 12 tags in one SSE2 compare, and reads the
 * flow record only for a matching tag whose slot entry also carries the
 * key's next hash bits (a second filter in the spare high bits of the
 * 32-bit pool index, 7 to 11 more bits at 10M to 1M flows; see
 * filter_of()): a false record read went from 1 chance in 128 per occupied
 * slot to 1 in 16,384 or better. So a lookup of a present key costs one cache line of table
 * plus the record itself, where a classic Swiss table with a separate slot
 * array costs two lines of table; out of cache (1M flows is ~160 MB) every
 * line is a DRAM miss, and the misses are what the benchmark measures.
 * We chose this over bucketed cuckoo because an insert touches one probe
 * sequence instead of kicking entries between two buckets, and a removal
 * needs no search of alternative buckets; the prefetch story is the same.
 * The price: slots come as 12 per chunk, so the *chunk* count is the power
 * of two (index = hash & mask) and the slot count is 12 * 2^k.
 *
 * No tombstones. A chunk's overflow count says how many flows probed past
 * it on insertion; a lookup stops at the first chunk that has no match and
 * a zero count. Removal walks the same probe sequence (the full 64-bit hash
 * is kept in the record) and decrements the counts it passes, so counts are
 * exact. Exact counts are not enough, though: under churn at high load,
 * flows that were pushed past a then-full chunk stay displaced after that
 * chunk empties, and at 7/8 load almost every chunk ends up with a non-zero
 * count (we measured absent-key lookups going from 2.6 to 73 chunks after
 * 50 table-fulls of churn; F14-style double hashing only halved that). So
 * removal also moves one such displaced flow back into the freed slot, and
 * repeats at the slot that move frees (backward shift at chunk grain, see
 * refill()). That keeps the state a table built by inserts alone is in,
 * "a chunk with a non-zero count is full", and tests/test_flowtab.c checks
 * that a churned table probes exactly as much as a fresh one. Probing is
 * linear from chunk to chunk, which makes the flows to move back easy to find
 * (they sit after the freed chunk) and the next chunk prefetch-friendly; a
 * bit in each slot's index marks flows that are not in their home chunk.
 * A bitmap of one bit per chunk that overflowed (spilled(), 1/512 of the
 * index, cache-resident) lets a prefetch or a batch fetch the whole probe
 * run at once rather than learn of it a memory latency later.
 *
 * Records live in a pool of exactly max_flows `struct ww_flow` allocated at
 * construction with mmap (zero pages, so records never used cost no RAM),
 * handed out first from a "fresh" watermark and then from a free list of
 * uint32 indexes threaded through the freed records themselves (no extra
 * array). Nothing is allocated after ww_flowtab_new(). Records never move:
 * refill() moves 4-byte slot entries, not records, so a flow's pointer and
 * index stay valid until that flow itself is removed (the engine's LRU
 * links rely on it).
 *
 * Hash. It runs once per packet, so not SipHash-1-3: 14 ns for a 40-byte
 * key here against 4.5 ns for this one (bench/bench_flowtab.c measures
 * both), out of a ~30 ns budget per lookup. We use NH, the almost-universal
 * hash of UMAC (RFC 4418 section 5): the five key words, padded to six, are
 * added to secret words and multiplied pairwise to 128-bit products which
 * are summed. For any two distinct keys chosen without knowledge of the
 * secret, their sums collide with probability <= 2^-64 over the secret, so
 * crafted traffic cannot aim at a bucket. The 128-bit sum is then folded by
 * one more keyed 64x64->128 multiply (wyhash's "mum") so that both the low
 * bits (chunk index) and the high bits (tag) depend on every key bit. All
 * eight secret words come from the caller's seed through splitmix64. This
 * resists blind flooding; it is not a PRF, so an attacker who could time
 * individual lookups for a long while might learn about the secret: a
 * passive monitor exposes no such oracle.
 */
#include "wirewho/flowtab.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#if defined(__SSE2__) && !defined(WW_FLOWTAB_PORTABLE)
#include <emmintrin.h>
#define FT_USE_SSE2 1
#endif

#define FT_SLOTS        12          /* slots per chunk: 12 tags + 4-byte count + 12 x 4-byte index = 64 B */
#define FT_SLOT_MASK    0x0fffu     /* the tag bytes among the 16 the SSE2 compare reads */
#define FT_LOAD_NUM     7           /* at most 7/8 of the slots used at max_flows: */
#define FT_LOAD_DEN     8           /* keeps chunk overflow and probe runs short */
#define FT_MAX_FLOWS    (1u << 31)  /* beyond this the pool alone is > 300 GB: a caller's mistake */
#define FT_TAG_EMPTY    0x00        /* occupied tags have the top bit set, so never 0 */
#define FT_DISPLACED    0x80000000u /* in a slot's entry: the flow is not in its home chunk */
#define FT_ENTRY_MASK   0x7fffffffu /* a slot's entry less that bit: filter bits | pool index */
#define FT_FILTER_SHIFT 25          /* filter bits come from hash bits 25 + idx_bits .. 55: */
				    /* above the chunk index (< idx_bits bits), below the tag (57..63) */
#define FT_BATCH_WINDOW 32u         /* keys in flight in lookup_batch; ~2 misses each fills the CPU's miss queues */
#define FT_PREFETCH_RUN 4           /* chunks fetched past a spilled home: runs are ~1-2 long at 7/8 load */
#define FT_HUGE_MIN     (2u << 20)  /* ask for transparent huge pages from one huge page up: fewer TLB misses */

/*
 * Functions made only of prefetches must be inlined: GCC 12's IPA modref
 * pass finds that such a function writes no memory, and its callers' DCE
 * then deletes the call (ww_flowtab_prefetch() compiled to a bare `ret`,
 * and the ring ran at a third of its speed).
 */
#define FT_PREFETCH_FN static inline __attribute__((always_inline))

/*
 * One chunk, one cache line. The tags and the overflow count form the first
 * 16 bytes so SSE2 can load them in one aligned load; the overflow bytes are
 * masked off the result.
 */
struct chunk {
	uint8_t tag[FT_SLOTS];     /* FT_TAG_EMPTY or 0x80 | hash >> 57 */
	uint32_t overflow;         /* flows whose probe went past this chunk */
	uint32_t idx[FT_SLOTS];    /* each slot's entry: pool index | filter bits | FT_DISPLACED */
};
_Static_assert(sizeof(struct chunk) == 64, "a chunk must be exactly one cache line");
_Static_assert(FT_BATCH_WINDOW <= 256, "lookup_window() keeps window positions in bytes");
_Static_assert(offsetof(struct chunk, overflow) == FT_SLOTS, "tags then count form the 16-byte control word");

struct ww_flowtab {
	struct chunk *chunks;      /* chunk_mask + 1 chunks, page aligned */
	uint64_t *spill;           /* bit i set when chunks[i].overflow != 0 (see spill_set()) */
	struct ww_flow *pool;      /* max_flows records */
	uint32_t chunk_mask;
	uint32_t idx_mask;         /* an entry's pool index bits: 2^idx_bits - 1 >= max_flows - 1 */
	uint32_t filter_mask;      /* the bits above them, below FT_DISPLACED: a second tag */
	uint32_t count;
	uint32_t max_flows;
	uint32_t fresh;            /* records [fresh, max_flows) were never handed out */
	uint32_t free_head;        /* last freed record, or WW_FLOWTAB_NONE */
	size_t chunks_bytes, pool_bytes, spill_bytes;
	uint64_t k[8];             /* hash secrets derived from the seed */
};

/*
 * Test seam, compiled only into tests/test_flowtab.c (which includes this
 * file with WW_TESTING defined): fail allocations on demand, count probes.
 */
#ifdef WW_TESTING
static long test_allocs_left = -1;   /* < 0: never fail; else that many succeed, then all fail */
static uint64_t test_probes;         /* chunks visited by lookups */
static long test_live_maps;          /* mappings made and not yet unmapped (LSan can't see mmap) */
static uint64_t test_record_reads;   /* records read by lookups to compare keys */
#define COUNT_PROBE() (test_probes++)
#define COUNT_RECORD_READ() (test_record_reads++)
static bool test_alloc_fails(void)
{
	if (test_allocs_left < 0)
		return false;
	if (test_allocs_left == 0)
		return true;
	test_allocs_left--;
	return false;
}
#else
#define COUNT_PROBE() ((void)0)
#define COUNT_RECORD_READ() ((void)0)
static inline bool test_alloc_fails(void) { return false; }
#endif

/* ---- hashing ---------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#ifdef __SIZEOF_INT128__
static inline void mul128(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi)
{
	unsigned __int128 p = (unsigned __int128)a * b;
	*lo = (uint64_t)p;
	*hi = (uint64_t)(p >> 64);
}
#else
static inline void mul128(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi)
{
	uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
	uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
	uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
	*lo = (mid << 32) | (uint32_t)ll;
	*hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}
#endif

static inline uint64_t load64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

uint64_t ww_flowtab_hash(const struct ww_flowtab *t, const struct ww_flowkey *key)
{
	const unsigned char *p = (const unsigned char *)key;
	const uint64_t *k = t->k;
	uint64_t l0, h0, l1, h1, l2, h2, lo, hi, c;

	/* NH: sum of (w[2i] + k[2i]) * (w[2i+1] + k[2i+1]) mod 2^128, the sixth word is 0. */
	mul128(load64(p) + k[0], load64(p + 8) + k[1], &l0, &h0);
	mul128(load64(p + 16) + k[2], load64(p + 24) + k[3], &l1, &h1);
	mul128(load64(p + 32) + k[4], k[5], &l2, &h2);
	lo = l0 + l1;
	c = lo < l0;
	lo += l2;
	c += lo < l2;
	hi = h0 + h1 + h2 + c;
	/* Fold 128 -> 64 bits through one more keyed multiply. */
	mul128(lo ^ k[6], hi ^ k[7], &l0, &h0);
	return l0 ^ h0;
}

/* ---- chunk matching ------------------------------------------------------ */

static inline uint8_t tag_of(uint64_t hash)
{
	return (uint8_t)(0x80 | (hash >> 57));
}

/*
 * The second filter. A slot's 32-bit entry needs only idx_bits bits for the
 * pool index (20 at 1M flows, 24 at 10M) and one for FT_DISPLACED; the rest
 * hold more bits of the hash. A tag match whose entry disagrees there is
 * not the key, and that is known from the chunk's own cache line: the
 * record is read only when 7 + (31 - idx_bits) hash bits agree (18 at 1M,
 * 14 at 10M), where 7 alone let 1 in 128 occupied slots through, each a
 * DRAM miss on a record for nothing (0.12 a lookup at 10M flows).
 */
static inline uint32_t filter_of(const struct ww_flowtab *t, uint64_t hash)
{
	return (uint32_t)(hash >> FT_FILTER_SHIFT) & t->filter_mask;
}

/* Bit s set when slot s holds `tag`. */
static inline uint32_t match_tag(const struct chunk *c, uint8_t tag)
{
#ifdef FT_USE_SSE2
	__m128i ctrl = _mm_load_si128((const __m128i *)(const void *)c);
	return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(ctrl, _mm_set1_epi8((char)tag))) & FT_SLOT_MASK;
#else
	uint32_t m = 0;
	for (unsigned s = 0; s < FT_SLOTS; s++)
		m |= (uint32_t)(c->tag[s] == tag) << s;
	return m;
#endif
}

/* Bit s set when slot s is empty (an empty tag is the only one without its top bit). */
static inline uint32_t match_empty(const struct chunk *c)
{
#ifdef FT_USE_SSE2
	__m128i ctrl = _mm_load_si128((const __m128i *)(const void *)c);
	return ~(uint32_t)_mm_movemask_epi8(ctrl) & FT_SLOT_MASK;
#else
	uint32_t m = 0;
	for (unsigned s = 0; s < FT_SLOTS; s++)
		m |= (uint32_t)(c->tag[s] == FT_TAG_EMPTY) << s;
	return m;
#endif
}

/* Of the slots in tag match m, those whose entry also carries filter bits fv. */
static inline uint32_t match_filter(const struct ww_flowtab *t, const struct chunk *c, uint32_t m, uint32_t fv)
{
	uint32_t out = 0;
	for (; m; m &= m - 1) {
		unsigned s = (unsigned)__builtin_ctz(m);
		if (((c->idx[s] ^ fv) & t->filter_mask) == 0)
			out |= 1u << s;
	}
	return out;
}

/* Slots of chunk c that may hold the key of `hash`: tag and filter agree. */
static inline uint32_t match_hash(const struct ww_flowtab *t, const struct chunk *c, uint64_t hash)
{
	uint32_t m = match_tag(c, tag_of(hash));
	return m ? match_filter(t, c, m, filter_of(t, hash)) : 0;
}

/* The key compare, as five word XORs: same result as memcmp() == 0, no call, one branch. */
static inline bool key_eq(const struct ww_flowkey *x, const struct ww_flowkey *y)
{
	const unsigned char *a = (const unsigned char *)x, *b = (const unsigned char *)y;
	uint64_t d = (load64(a) ^ load64(b)) | (load64(a + 8) ^ load64(b + 8)) |
		     (load64(a + 16) ^ load64(b + 16)) | (load64(a + 24) ^ load64(b + 24)) |
		     (load64(a + 32) ^ load64(b + 32));
	return d == 0;
}

/*
 * A record is 160 bytes, three cache lines at a 160-byte stride. The lookup
 * compares the key and the caller updates times and counters right after:
 * all within the record's first WW_FLOW_HOT_BYTES, two lines, which is all
 * a packet of a known flow needs fetched. A record about to be handed out
 * is cleared whole: all three (ww_flow_prefetch()).
 */
FT_PREFETCH_FN void prefetch_record(const struct ww_flow *f)
{
	__builtin_prefetch(f);
	__builtin_prefetch((const char *)f + WW_FLOW_HOT_BYTES - 1);
}

/*
 * The spill bitmap: one bit per chunk, set while the chunk's overflow count
 * is non-zero, so while a lookup that finds no match there must go on to
 * the next chunk. The count is in the chunk, so a batch learns it only once
 * the chunk has arrived, and its prefetch of the next chunk then costs a
 * second memory latency in a row, for the whole batch, whenever one key of
 * the batch needs it (at 10M flows, 79% load, a quarter of absent keys'
 * home chunks have overflowed). The bitmap is 1/512 of the index (128 KB at
 * 10M flows: it stays in L2), so ww_flowtab_prefetch() and the batch read
 * it up front and fetch both chunks at once when the home one spilled: two
 * adjacent lines, as rte_hash fetches its two buckets, but only a quarter
 * of the time.
 */
static inline bool spilled(const struct ww_flowtab *t, uint32_t i)
{
	return (t->spill[i >> 6] >> (i & 63)) & 1;
}

static inline void spill_set(struct ww_flowtab *t, uint32_t i)
{
	t->spill[i >> 6] |= 1ull << (i & 63);
}

static inline void spill_clear(struct ww_flowtab *t, uint32_t i)
{
	t->spill[i >> 6] &= ~(1ull << (i & 63));
}

/*
 * Prefetch home chunk i and the chunks a lookup that matches nothing would
 * go on to: up to and including the first that did not spill, at most
 * FT_PREFETCH_RUN more (runs end within one bitmap word, almost always: a
 * run that crosses one is cut there, which only costs a later miss).
 */
FT_PREFETCH_FN void prefetch_chunks(const struct ww_flowtab *t, uint32_t i)
{
	uint64_t run = t->spill[i >> 6] >> (i & 63);   /* bit j: chunk i + j spilled */

	__builtin_prefetch(&t->chunks[i]);
	if (WW_UNLIKELY(run & 1)) {
		unsigned more = ~run ? (unsigned)__builtin_ctzll(~run) : 63u;
		if (more > FT_PREFETCH_RUN)
			more = FT_PREFETCH_RUN;
		for (unsigned j = 1; j <= more; j++)
			__builtin_prefetch(&t->chunks[(i + j) & t->chunk_mask]);
	}
}

/* ---- construction -------------------------------------------------------- */

/* Zeroed, page-aligned memory that costs RAM only once touched. */
static void *alloc_pages(size_t bytes)
{
	if (test_alloc_fails())
		return NULL;
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef WW_TESTING
	test_live_maps++;
#endif
#ifdef MADV_HUGEPAGE
	/* Random access over ~100+ MB: 4 KB pages would add a TLB miss to most lookups. */
	if (bytes >= FT_HUGE_MIN)
		(void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
	return p;
}

static void free_pages(void *p, size_t bytes)
{
	if (!p)
		return;
	munmap(p, bytes);
#ifdef WW_TESTING
	test_live_maps--;
#endif
}

/* The fewest low bits that hold every pool index below max_flows (at least one). */
static uint32_t idx_mask_for(uint32_t max_flows)
{
	uint32_t m = 1;
	while (m < max_flows - 1)
		m = m << 1 | 1;
	return m;
}

struct ww_flowtab *ww_flowtab_new(uint32_t max_flows, uint64_t seed)
{
	struct ww_flowtab *t;
	uint64_t need, nchunks = 1;

	if (max_flows == 0 || max_flows > FT_MAX_FLOWS)
		return NULL;
	/* Smallest power-of-two chunk count with max_flows <= 7/8 of the slots. */
	need = ((uint64_t)max_flows * FT_LOAD_DEN + FT_SLOTS * FT_LOAD_NUM - 1) / (FT_SLOTS * FT_LOAD_NUM);
	while (nchunks < need)
		nchunks <<= 1;

	t = test_alloc_fails() ? NULL : calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->chunk_mask = (uint32_t)(nchunks - 1);
	t->idx_mask = idx_mask_for(max_flows);
	t->filter_mask = FT_ENTRY_MASK & ~t->idx_mask;
	t->max_flows = max_flows;
	t->free_head = WW_FLOWTAB_NONE;
	t->chunks_bytes = (size_t)nchunks * sizeof(struct chunk);
	t->pool_bytes = (size_t)max_flows * sizeof(struct ww_flow);
	t->chunks = alloc_pages(t->chunks_bytes);
	if (!t->chunks)
		goto err;
	t->spill_bytes = (nchunks + 63) / 64 * sizeof(uint64_t);
	t->spill = alloc_pages(t->spill_bytes);
	if (!t->spill)
		goto err;
	t->pool = alloc_pages(t->pool_bytes);
	if (!t->pool)
		goto err;
	for (unsigned i = 0; i < WW_ARRAY_SIZE(t->k); i++)
		t->k[i] = splitmix64(&seed);
	return t;
err:
	ww_flowtab_free(t);
	return NULL;
}

void ww_flowtab_free(struct ww_flowtab *t)
{
	if (!t)
		return;
	free_pages(t->chunks, t->chunks_bytes);
	free_pages(t->spill, t->spill_bytes);
	free_pages(t->pool, t->pool_bytes);
	free(t);
}

/* ---- lookup -------------------------------------------------------------- */

void ww_flowtab_prefetch(const struct ww_flowtab *t, uint64_t hash)
{
	prefetch_chunks(t, (uint32_t)hash & t->chunk_mask);
}

void ww_flowtab_prefetch_record(const struct ww_flowtab *t, uint64_t hash)
{
	uint32_t i = (uint32_t)hash & t->chunk_mask;
	const struct chunk *c = &t->chunks[i];
	uint32_t m = match_hash(t, c, hash);
	/* All three lines: the engine re-links a flow in its timeout list (the
	 * links are in the cold third line) about once a second of its life,
	 * and with 50,000 flows at once that was a miss every other packet. */
	if (m)
		ww_flow_prefetch(&t->pool[c->idx[__builtin_ctz(m)] & t->idx_mask]);
}

/*
 * Continue a lookup at chunk i, where `m` is the tag and filter match of
 * that chunk (already computed by the caller). Bounded by the chunk count:
 * overflow counts could in theory be non-zero all the way round.
 */
static inline struct ww_flow *lookup_from(struct ww_flowtab *t, const struct ww_flowkey *k,
					  uint64_t hash, uint32_t i, uint32_t m)
{
	for (uint32_t n = 0; n <= t->chunk_mask; n++) {
		const struct chunk *c = &t->chunks[i];
		COUNT_PROBE();
		for (; m; m &= m - 1) {
			struct ww_flow *f = &t->pool[c->idx[__builtin_ctz(m)] & t->idx_mask];
			COUNT_RECORD_READ();
			if (WW_LIKELY(key_eq(&f->key, k)))
				return f;
		}
		if (WW_LIKELY(c->overflow == 0))
			return NULL;
		i = (i + 1) & t->chunk_mask;
		m = match_hash(t, &t->chunks[i], hash);
	}
	return NULL;
}

struct ww_flow *ww_flowtab_lookup(struct ww_flowtab *t, const struct ww_flowkey *k, uint64_t hash)
{
	uint32_t i = (uint32_t)hash & t->chunk_mask;
	return lookup_from(t, k, hash, i, match_hash(t, &t->chunks[i], hash));
}

/*
 * Three passes over a window of keys so that the DRAM misses of different
 * keys overlap instead of following one another: prefetch every home chunk
 * (and the probe run after it, when the spill bitmap says the lookup may go
 * on); then match tags in each (those lines are arriving) and, for a key
 * the home chunk rules out -- no match, no overflow: most absent keys --
 * answer NULL at once, else prefetch the record of the first match and keep
 * the key for the last pass, which finishes those lookups, by now mostly
 * from cache.
 */
static inline void lookup_window(struct ww_flowtab *t, const struct ww_flowkey *keys, uint64_t *hashes,
				 struct ww_flow **out, size_t w, bool hash_here)
{
	uint32_t home[FT_BATCH_WINDOW], match[FT_BATCH_WINDOW];
	uint8_t pend[FT_BATCH_WINDOW];
	unsigned np = 0;

	for (size_t j = 0; j < w; j++) {
		if (hash_here)
			hashes[j] = ww_flowtab_hash(t, &keys[j]);
		home[j] = (uint32_t)hashes[j] & t->chunk_mask;
		prefetch_chunks(t, home[j]);
	}
	for (size_t j = 0; j < w; j++) {
		const struct chunk *c = &t->chunks[home[j]];
		uint32_t m = match_hash(t, c, hashes[j]);
		match[j] = m;
		out[j] = NULL;
		if (m)
			prefetch_record(&t->pool[c->idx[__builtin_ctz(m)] & t->idx_mask]);
		if (m || c->overflow)
			pend[np++] = (uint8_t)j;
	}
	for (unsigned p = 0; p < np; p++) {
		size_t j = pend[p];
		out[j] = lookup_from(t, &keys[j], hashes[j], home[j], match[j]);
	}
}

void ww_flowtab_lookup_batch(struct ww_flowtab *t, const struct ww_flowkey *keys,
			     const uint64_t *hashes, struct ww_flow **out, size_t n)
{
	for (size_t i = 0; i < n; i += FT_BATCH_WINDOW) {
		size_t w = n - i < FT_BATCH_WINDOW ? n - i : FT_BATCH_WINDOW;
		/* hash_here is false: lookup_window only reads hashes. */
		lookup_window(t, keys + i, (uint64_t *)(uintptr_t)(hashes + i), out + i, w, false);
	}
}

/*
 * The same, hashing each key just before prefetching its chunk (as
 * rte_hash_lookup_bulk does): the first keys' memory latency then overlaps
 * the later keys' hashing, where hashing all first made the window wait
 * for both in turn.
 */
void ww_flowtab_hash_lookup_batch(struct ww_flowtab *t, const struct ww_flowkey *keys,
				  uint64_t *hashes, struct ww_flow **out, size_t n)
{
	for (size_t i = 0; i < n; i += FT_BATCH_WINDOW) {
		size_t w = n - i < FT_BATCH_WINDOW ? n - i : FT_BATCH_WINDOW;
		lookup_window(t, keys + i, hashes + i, out + i, w, true);
	}
}

/* ---- insert and remove --------------------------------------------------- */

/*
 * The record the next insert hands out, fetched now: a new flow's record
 * was last touched long ago (a freed one) or never (a fresh one), and
 * clearing it would otherwise stall on up to three cache misses. Inserts
 * come a packet or more apart, time enough for the lines to arrive.
 */
FT_PREFETCH_FN void prefetch_next_record(const struct ww_flowtab *t)
{
	uint32_t idx = t->free_head != WW_FLOWTAB_NONE ? t->free_head : t->fresh;
	if (idx < t->max_flows)
		ww_flow_prefetch(&t->pool[idx]);   /* all three lines */
}

struct ww_flow *ww_flowtab_insert(struct ww_flowtab *t, const struct ww_flowkey *k, uint64_t hash)
{
	uint32_t idx, home = (uint32_t)hash & t->chunk_mask;
	struct ww_flow *f;

	if (t->count == t->max_flows)
		return NULL;
	if (t->free_head != WW_FLOWTAB_NONE) {
		idx = t->free_head;
		t->free_head = (uint32_t)t->pool[idx].hash;   /* freed records link through .hash */
	} else {
		idx = t->fresh++;
	}
	f = &t->pool[idx];
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->hash = hash;

	/* count < max_flows <= 7/8 of the slots, so an empty slot exists within the mask. */
	for (uint32_t i = home;; i = (i + 1) & t->chunk_mask) {
		struct chunk *c = &t->chunks[i];
		uint32_t e = match_empty(c);
		if (e) {
			unsigned s = (unsigned)__builtin_ctz(e);
			c->tag[s] = tag_of(hash);
			c->idx[s] = idx | filter_of(t, hash) | (i != home ? FT_DISPLACED : 0);
			break;
		}
		if (c->overflow++ == 0)
			spill_set(t, i);
	}
	t->count++;
	prefetch_next_record(t);
	return f;
}

/*
 * Slot s of chunk x has just been vacated. If flows probed past x, x was
 * full when they were inserted and they belong here more than where they
 * are: move one of them back (the nearest, found by scanning forward, as
 * they can only sit after x), which frees a slot further on; repeat there.
 * This keeps "a chunk with a non-zero overflow count is full", the state a
 * table built by inserts alone is in, so lookups never pay for past churn.
 * Only flows marked displaced can qualify; the home of each is read from its
 * record, which costs a cache miss per candidate, paid on removal only.
 */
static void refill(struct ww_flowtab *t, uint32_t x, unsigned s)
{
	const uint32_t mask = t->chunk_mask;

	while (t->chunks[x].overflow > 0) {
		struct chunk *cx = &t->chunks[x], *cy = NULL;
		uint32_t y = x, dist = 0, home = 0;
		unsigned r = 0;
		bool found = false;

		while (!found && dist < mask) {
			y = (y + 1) & mask;
			dist++;
			cy = &t->chunks[y];
			for (uint32_t m = ~match_empty(cy) & FT_SLOT_MASK; m; m &= m - 1) {
				r = (unsigned)__builtin_ctz(m);
				if (!(cy->idx[r] & FT_DISPLACED))
					continue;
				home = (uint32_t)t->pool[cy->idx[r] & t->idx_mask].hash & mask;
				if (((y - home) & mask) >= dist) {   /* its probe passed x */
					found = true;
					break;
				}
			}
		}
		assert(found);
		if (!found)
			break;
		cx->tag[s] = cy->tag[r];
		cx->idx[s] = (cy->idx[r] & FT_ENTRY_MASK) | (x != home ? FT_DISPLACED : 0);
		for (uint32_t i = x; i != y; i = (i + 1) & mask)
			if (--t->chunks[i].overflow == 0)
				spill_clear(t, i);
		x = y;
		s = r;
	}
	t->chunks[x].tag[s] = FT_TAG_EMPTY;
}

void ww_flowtab_remove(struct ww_flowtab *t, struct ww_flow *f)
{
	uint32_t idx = ww_flowtab_index(t, f);
	uint64_t hash = f->hash;
	uint8_t tag = tag_of(hash);

	assert(idx < t->fresh && t->count > 0);
	/* Walk the insert's probe sequence again, undoing its overflow increments. */
	for (uint32_t i = (uint32_t)hash & t->chunk_mask, n = 0; n <= t->chunk_mask;
	     i = (i + 1) & t->chunk_mask, n++) {
		struct chunk *c = &t->chunks[i];
		for (uint32_t m = match_tag(c, tag); m; m &= m - 1) {
			unsigned s = (unsigned)__builtin_ctz(m);
			if ((c->idx[s] & t->idx_mask) == idx) {
				f->hash = t->free_head;
				t->free_head = idx;
				t->count--;
				refill(t, i, s);
				return;
			}
		}
		assert(c->overflow > 0);
		if (--c->overflow == 0)
			spill_clear(t, i);
	}
	assert(!"ww_flowtab_remove: flow not in the table");
}

/* ---- accessors ----------------------------------------------------------- */

uint32_t ww_flowtab_live(const struct ww_flowtab *t, uint32_t *out)
{
	/* Chunks in address order: a sequential, prefetcher-friendly scan,
	 * where walking any list of flows would chase one cold record after
	 * another. */
	uint32_t n = 0;
	for (uint32_t i = 0; i <= t->chunk_mask; i++) {
		const struct chunk *c = &t->chunks[i];
		for (uint32_t m = ~match_empty(c) & FT_SLOT_MASK; m; m &= m - 1)
			out[n++] = c->idx[__builtin_ctz(m)] & t->idx_mask;
	}
	return n;
}

void ww_flowtab_clear(struct ww_flowtab *t)
{
	for (uint32_t i = 0; i <= t->chunk_mask && t->fresh; i++) {
		struct chunk *c = &t->chunks[i];
		bool dirty = c->overflow != 0;
		for (unsigned j = 0; j < FT_SLOTS && !dirty; j++)
			dirty = c->tag[j] != FT_TAG_EMPTY;
		if (dirty) {
			memset(c->tag, FT_TAG_EMPTY, sizeof(c->tag));
			c->overflow = 0;
		}
	}
	if (t->fresh)
		memset(t->spill, 0, t->spill_bytes);
	t->count = 0;
	t->fresh = 0;
	t->free_head = WW_FLOWTAB_NONE;
}

uint32_t ww_flowtab_used(const struct ww_flowtab *t)
{
	return t->fresh;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23   /* Linux 5.14; older glibc headers lack it */
#endif

static int populate(void *base, size_t from, size_t to)
{
	const uintptr_t page = 4096;
	uintptr_t lo = ((uintptr_t)base + from) & ~(page - 1);
	uintptr_t hi = ((uintptr_t)base + to + page - 1) & ~(page - 1);
	if (hi <= lo)
		return 0;
	return madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE) == 0 ? 0 : -errno;
}

int ww_flowtab_populate(const struct ww_flowtab *t, bool index, uint32_t from, uint32_t to)
{
	int rc = 0;
	if (index)
		rc = populate(t->chunks, 0, t->chunks_bytes);
	if (index && rc == 0)
		rc = populate(t->spill, 0, t->spill_bytes);
	if (to > t->max_flows)
		to = t->max_flows;
	if (rc == 0 && from < to)
		rc = populate(t->pool, (size_t)from * sizeof(struct ww_flow), (size_t)to * sizeof(struct ww_flow));
	return rc;
}

uint32_t ww_flowtab_count(const struct ww_flowtab *t)
{
	return t->count;
}

uint32_t ww_flowtab_capacity(const struct ww_flowtab *t)
{
	return t->max_flows;
}

size_t ww_flowtab_index_bytes(const struct ww_flowtab *t)
{
	return t->chunks_bytes + t->spill_bytes;
}

uint32_t ww_flowtab_index(const struct ww_flowtab *t, const struct ww_flow *f)
{
	return f ? (uint32_t)(f - t->pool) : WW_FLOWTAB_NONE;
}

struct ww_flow *ww_flowtab_at(struct ww_flowtab *t, uint32_t idx)
{
	return idx < t->max_flows ? &t->pool[idx] : NULL;
}
