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
 * For a caller that writes JSON records itself (a replay's end-of-input
 * flush, on two threads): waits until every record handed over so far is
 * written and returns the stream to write to, NULL when the writer is not
 * JSON. `*quiet` tells whether flow records are wanted. Records handed
 * over afterwards come after the caller's. This function can't fail.
 */
FILE *ww_emit_json_direct(struct ww_emitter *e, bool *quiet);

/* Per-mode implementations: emit_json.c and emit_text.c. */
struct ww_jw;
int ww_emit_json_flow(struct ww_jw *w, FILE *out, const struct ww_flow_view *v);
int ww_emit_json_alert(struct ww_jw *w, FILE *out, const struct ww_alert *a,
		       const struct ww_flow_view *v);
int ww_emit_json_stats(struct ww_jw *w, FILE *out, const struct ww_stats *s, ww_time_t ts);
/* "process": {pid, comm, exe, uid, user} or null; shared with the socket writer. */
void ww_emit_json_owner(struct ww_jw *w, const struct ww_owner *o);
int ww_emit_text_flow(FILE *out, unsigned *rows, bool color, const struct ww_flow_view *v);
int ww_emit_text_alert(FILE *out, bool color, const struct ww_alert *a, const struct ww_flow_view *v);
int ww_emit_text_stats(FILE *out, const struct ww_stats *s);

#endif
