/*
 * flowtab.h - the hot-path hash table: canonical flow key -> flow record.
 *
 * No other module knows the table's layout. It owns a preallocated pool of
 * `struct ww_flow` records (no malloc per packet), indexed by uint32, so
 * other modules can link flows by index (the engine's LRU lists do).
 * See flowtab.c for the design (open addressing, one-byte tags per slot
 * matched a group at a time, no tombstones).
 */
#ifndef WIREWHO_FLOWTAB_H
#define WIREWHO_FLOWTAB_H

#include "wirewho/flow.h"

struct ww_flowtab;

#define WW_FLOWTAB_NONE UINT32_MAX   /* "no flow" index */

/*
 * New table able to hold `max_flows` flows (>= 1), hashing with a key
 * derived from `seed` (pass a random seed so crafted traffic cannot force
 * collisions). Returns NULL when out of memory or max_flows is 0 or too big.
 */
struct ww_flowtab *ww_flowtab_new(uint32_t max_flows, uint64_t seed);

/* Free the table and its pool. NULL is allowed. */
void ww_flowtab_free(struct ww_flowtab *t);

/* Keyed hash of a flow key. This function can't fail. */
uint64_t ww_flowtab_hash(const struct ww_flowtab *t, const struct ww_flowkey *k);

/* Prefetch what a lookup of `hash` will touch first. This function can't fail. */
void ww_flowtab_prefetch(const struct ww_flowtab *t, uint64_t hash);

/*
 * Prefetch the record a lookup of `hash` would compare first. Reads the home
 * chunk, so call it after ww_flowtab_prefetch() has had time to bring that
 * chunk in. This function can't fail.
 */
void ww_flowtab_prefetch_record(const struct ww_flowtab *t, uint64_t hash);

/* The flow with key `k` (whose hash is `hash`), or NULL. Can't fail. */
struct ww_flow *ww_flowtab_lookup(struct ww_flowtab *t, const struct ww_flowkey *k, uint64_t hash);

/*
 * Look up `n` keys at once (prefetching across the batch); out[i] is the flow
 * or NULL. hashes[i] must be ww_flowtab_hash(keys[i]). Can't fail.
 */
void ww_flowtab_lookup_batch(struct ww_flowtab *t, const struct ww_flowkey *keys,
			     const uint64_t *hashes, struct ww_flow **out, size_t n);

/*
 * ww_flowtab_lookup_batch() for callers that have not hashed the keys yet:
 * writes hashes[i] = ww_flowtab_hash(keys[i]) (for a later insert of a key
 * not found) and out[i] as above. Faster than hashing first, as hashing
 * overlaps the memory latency. Can't fail.
 */
void ww_flowtab_hash_lookup_batch(struct ww_flowtab *t, const struct ww_flowkey *keys,
				  uint64_t *hashes, struct ww_flow **out, size_t n);

/*
 * Insert key `k` (not already present) and return its new flow record, zeroed
 * except for key and hash. Returns NULL when the pool is full.
 */
struct ww_flow *ww_flowtab_insert(struct ww_flowtab *t, const struct ww_flowkey *k, uint64_t hash);

/* Remove flow `f` (which must be in the table) and return its record to the pool. */
void ww_flowtab_remove(struct ww_flowtab *t, struct ww_flow *f);

/*
 * Write the pool index of every flow in the table to `out` (room for
 * ww_flowtab_count() entries), in table order; returns how many. Can't fail.
 */
uint32_t ww_flowtab_live(const struct ww_flowtab *t, uint32_t *out);

/* Number of flows in the table; capacity. These functions can't fail. */
uint32_t ww_flowtab_count(const struct ww_flowtab *t);

/*
 * Forget every flow at once (records become unused; pointers to them are
 * stale): what removing each one would do, without a probe per flow. Writes
 * only the chunks that hold something. This function can't fail.
 */
void ww_flowtab_clear(struct ww_flowtab *t);
uint32_t ww_flowtab_capacity(const struct ww_flowtab *t);

/*
 * Records ever handed out since construction or the last clear: pool
 * records [0, used) have been written, [used, capacity) never. Can't fail.
 */
uint32_t ww_flowtab_used(const struct ww_flowtab *t);

/*
 * Make memory resident now that the table would otherwise fault in (and
 * zero) on first write: the whole index when `index`, and pool records
 * [from, to). Memory already resident is left as it is. For a thread
 * other than the table's user, which may call it while the user inserts:
 * it reads only what construction set, and the kernel's
 * MADV_POPULATE_WRITE does the rest. Returns 0, or -errno (-EINVAL before
 * Linux 5.14, where nothing is done and nothing is lost but the head start).
 */
int ww_flowtab_populate(const struct ww_flowtab *t, bool index, uint32_t from, uint32_t to);

/*
 * Bytes of the table's index (its chunks), records apart: what the table
 * costs beyond sizeof(struct ww_flow) a flow. This function can't fail.
 */
size_t ww_flowtab_index_bytes(const struct ww_flowtab *t);

/* Index of a flow in the pool and back. These functions can't fail. */
uint32_t ww_flowtab_index(const struct ww_flowtab *t, const struct ww_flow *f);
struct ww_flow *ww_flowtab_at(struct ww_flowtab *t, uint32_t idx);

#endif
