/*
 * flows.h - the flow engine: packets in, flows tracked in the flow table
 * (flowtab.h), each flow ended - and handed to a callback - when it closes,
 * goes idle, is evicted under the --max-flows cap, or the input ends.
 *
 * Timeouts are driven by packet time, never the wall clock, so a replay
 * gives the same output on every machine; a live caller advances the clock
 * on a quiet wire with ww_flows_expire().
 */
#ifndef WIREWHO_FLOWS_H
#define WIREWHO_FLOWS_H

#include "wirewho/flow.h"

/* Engine configuration; zeros mean the defaults below. */
struct ww_flow_cfg {
	uint32_t max_flows;                      /* --max-flows */
	uint32_t timeout_s[WW_TMO_NCLASSES];     /* idle timeout per class, seconds */
};
#define WW_DEFAULT_MAX_FLOWS   1000000u   /* issue #2: 1M flows in <= 192 MB */
#define WW_DEFAULT_TMO_TCP_EST 300        /* seconds, as Zeek/Suricata's established TCP */
#define WW_DEFAULT_TMO_TCP_NEW 30
#define WW_DEFAULT_TMO_CLOSED  10         /* absorb the last ACKs after FIN/RST */
#define WW_DEFAULT_TMO_UDP     60
#define WW_DEFAULT_TMO_OTHER   30

struct ww_flows;

/* Called for every flow that ends; the flow is freed when it returns. */
typedef void (*ww_flow_end_cb)(struct ww_flow *f, void *ud);

/*
 * New engine with a flow table for cfg->max_flows flows, hash seeded from
 * `seed`. Returns NULL when out of memory.
 */
struct ww_flows *ww_flows_new(const struct ww_flow_cfg *cfg, uint64_t seed,
			      ww_flow_end_cb on_end, void *ud);

/* Free the engine without emitting open flows. NULL is allowed. */
void ww_flows_free(struct ww_flows *fs);

/*
 * Account one decoded packet: expire idle flows (packet time), find or create
 * its flow, update counters and TCP state. Returns the flow and sets `*dir`;
 * the flow stays valid until the next call. This function can't fail: when
 * the table is full the least recently active flow is evicted (emitted).
 */
struct ww_flow *ww_flows_packet(struct ww_flows *fs, const struct ww_pkt *p,
				ww_time_t ts, enum ww_dir *dir);

/*
 * The same in two steps, so a caller holding several packets can overlap
 * their table misses: ww_flows_prepare() computes the key and hash and
 * prefetches the home chunk; ww_flows_prefetch_record() (a few packets
 * later) prefetches the candidate record; ww_flows_packet_prepared() (later
 * still) does the work of ww_flows_packet(). These functions can't fail.
 */
struct ww_flow_prep {
	struct ww_flowkey key;
	uint64_t hash;
	bool src_is_a;
};
void ww_flows_prepare(struct ww_flows *fs, const struct ww_pkt *p, struct ww_flow_prep *pp);
/*
 * The same when pp->key and pp->src_is_a are already set (a reader thread
 * built the key; see pipeline.c): compute the hash and prefetch.
 */
void ww_flows_prepare_key(struct ww_flows *fs, struct ww_flow_prep *pp);
void ww_flows_prefetch_record(struct ww_flows *fs, const struct ww_flow_prep *pp);
struct ww_flow *ww_flows_packet_prepared(struct ww_flows *fs, const struct ww_pkt *p,
					 ww_time_t ts, const struct ww_flow_prep *pp,
					 enum ww_dir *dir);

/*
 * Advance the engine's clock to `now` (never backwards) and emit every flow
 * idle for longer than its timeout. For live capture, where time passes on a
 * quiet wire; replay never needs it. This function can't fail.
 */
void ww_flows_expire(struct ww_flows *fs, ww_time_t now);

/* Emit every open flow (in flow_id order) and empty the table. */
void ww_flows_flush(struct ww_flows *fs);

/*
 * The same for a caller that emits the flows itself, on several threads:
 * the open flows in flow_id order, each marked as it ends (WW_END_EOF, or
 * WW_END_CLOSED for one already closed by FIN+FIN or RST), in a new array
 * of *n (the caller frees it); NULL when there are none or no memory (then
 * use ww_flows_flush()). The engine's end callback is not called. When
 * the caller is done with them, ww_flows_clear() empties the table.
 */
struct ww_flow **ww_flows_open_by_id(struct ww_flows *fs, size_t *n);
void ww_flows_clear(struct ww_flows *fs);


/*
 * For a thread that prepares memory ahead of the engine's inserts (a
 * replay's reader, see pipeline.c): the table's ww_flowtab_used(), read on
 * the engine's thread, and ww_flowtab_populate(), callable from any thread.
 */
uint32_t ww_flows_records_used(const struct ww_flows *fs);
int ww_flows_populate(const struct ww_flows *fs, bool index, uint32_t from, uint32_t to);

/* Counters. These functions can't fail. */
uint64_t ww_flows_created(const struct ww_flows *fs);
uint64_t ww_flows_evicted(const struct ww_flows *fs);
uint32_t ww_flows_active(const struct ww_flows *fs);

#endif
