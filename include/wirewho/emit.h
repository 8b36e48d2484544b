/*
 * emit.h - the record writers: flows, alerts and run statistics, as NDJSON
 * (emit_json.c) or as a human-readable table (emit_text.c).
 *
 * Writers are the only code that formats output. What a record shows comes
 * to them as values (record.h: the flow view, the stats; alert.h; procs.h:
 * the owner), so a writer never calls back into the analysis.
 */
#ifndef WIREWHO_EMIT_H
#define WIREWHO_EMIT_H

#include <stdio.h>
#include "wirewho/alert.h"
#include "wirewho/flow.h"
#include "wirewho/procs.h"
#include "wirewho/record.h"

enum ww_emit_mode { WW_EMIT_TEXT = 0, WW_EMIT_JSON };

struct ww_emitter;

/*
 * New writer on `out`. `quiet` suppresses flow records (alerts only);
 * `color` enables ANSI colour in text mode. Returns NULL when out of memory.
 */
struct ww_emitter *ww_emitter_new(FILE *out, enum ww_emit_mode mode, bool quiet, bool color);
/*
 * A live stream (watch): text flow lines get a time column and the "new"
 * lines of ww_emit_flow_start(). JSON is unchanged. Can't fail.
 */
void ww_emitter_set_live(struct ww_emitter *e);
/* Write the queued records (output thread), then free. NULL is allowed. */
void ww_emitter_free(struct ww_emitter *e);

/*
 * Format and write JSON records on a second thread from here on (replay:
 * formatting a flow record costs as much as tracking its packets, and a
 * second core is idle). Records keep their order; a write error shows in
 * the return of a later ww_emit_*() call, and ww_emit_stats() returns only
 * when everything before it is written and flushed. Returns 0, or -1 when
 * the thread could not be started (output stays synchronous, still
 * correct). Text output stays synchronous: it is for people, not volume.
 */
int ww_emitter_start_thread(struct ww_emitter *e);

/* Write one record. Return 0 or -EIO / -ENOMEM (the run should stop with exit 1). */
int ww_emit_flow(struct ww_emitter *e, const struct ww_flow_view *v);
int ww_emit_alert(struct ww_emitter *e, const struct ww_alert *a, const struct ww_flow_view *v);
int ww_emit_stats(struct ww_emitter *e, const struct ww_stats *s, ww_time_t ts);
/*
 * A live text stream: the line of a flow that started (its owner known),
 * before its record at the end. 0 (nothing written: JSON, -q, not live) or
 * -EIO.
 */
int ww_emit_flow_start(struct ww_emitter *e, const struct ww_flow_view *v);
/* A stats record in the middle of a run: JSON only (0, nothing written, in
 * text), flushed at once. 0 or -EIO / -ENOMEM. */
int ww_emit_stats_record(struct ww_emitter *e, const struct ww_stats *s, ww_time_t ts);

/*
 * Many flows ended at once (a replay's end of input): their records are
 * formatted on two threads and written in the order of `flows`, after
 * every record handed over before and before any handed over after, byte
 * for byte as ww_emit_flow() and ww_emit_alert() would write them. `each`
 * is called once per flow, on either thread (so it must be safe on two
 * at once), and writes that flow's records to the batch it is given with
 * ww_emit_batch_alert() and ww_emit_batch_flow(). `*alerts` is set to the
 * number of alerts written. JSON only (ww_emit_parallel_ok()). Returns 0,
 * the first error of a record (-EIO, -ENOMEM: the other records are still
 * written), or -EOPNOTSUPP for a text writer (nothing called).
 */
struct ww_emit_batch;
typedef void ww_emit_each_fn(void *ud, struct ww_flow *f, struct ww_emit_batch *b);
bool ww_emit_parallel_ok(const struct ww_emitter *e);
int ww_emit_flows_parallel(struct ww_emitter *e, struct ww_flow *const *flows, size_t n,
			   ww_emit_each_fn *each, void *ud, uint64_t *alerts);
/* A record into a batch of ww_emit_flows_parallel(), -q applied; 0 or
 * -ENOMEM (the batch also keeps its first error for the return above). */
int ww_emit_batch_flow(struct ww_emit_batch *b, const struct ww_flow_view *v);
int ww_emit_batch_alert(struct ww_emit_batch *b, const struct ww_alert *a, const struct ww_flow_view *v);

/* Per-mode implementations: emit_json.c and emit_text.c. */
struct ww_jw;
int ww_emit_json_flow(struct ww_jw *w, FILE *out, const struct ww_flow_view *v);
int ww_emit_json_alert(struct ww_jw *w, FILE *out, const struct ww_alert *a,
		       const struct ww_flow_view *v);
int ww_emit_json_stats(struct ww_jw *w, FILE *out, const struct ww_stats *s, ww_time_t ts);
/* "process": {pid, comm, exe, uid, user} or null; shared with the socket writer. */
void ww_emit_json_owner(struct ww_jw *w, const struct ww_owner *o);
/* Who the process is (#12.4): "ppid", "parent" {pid, comm, exe} or null,
 * "cmdline" (when with_cmdline), "exe_sha256" and "container" {runtime, id}
 * (when known). Can't fail. */
void ww_emit_json_identity(struct ww_jw *w, const struct ww_owner *o, bool with_cmdline);
int ww_emit_text_flow(FILE *out, unsigned *rows, bool color, const struct ww_flow_view *v);
/* The live form (watch): TIME, EV ("new" at its first packet, "end" with
 * the time of its last), then the flow in at most 100 columns for IPv4 and
 * a process shown in up to 12 characters ("curl[123456]"). */
int ww_emit_text_flow_live(FILE *out, unsigned *rows, bool color, const struct ww_flow_view *v,
			   bool start);
int ww_emit_text_alert(FILE *out, bool color, const struct ww_alert *a, const struct ww_flow_view *v);
int ww_emit_text_stats(FILE *out, const struct ww_stats *s);

#endif
