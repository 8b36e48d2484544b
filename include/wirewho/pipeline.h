/*
 * pipeline.h - the stages wired together: decode -> flow table -> classify
 * -> attribute -> judge -> emit, shared by `replay` and `watch`.
 *
 * Attribution differs between the commands (a live socket table, a recorded
 * timeline, or nothing), so it plugs in through struct ww_attrib_ops; the
 * pipeline itself never touches sockets or /proc.
 */
#ifndef WIREWHO_PIPELINE_H
#define WIREWHO_PIPELINE_H

#include <stdio.h>
#include "wirewho/emit.h"
#include "wirewho/flows.h"

struct ww_attrib_ops {
	/* A flow's first packet was seen: look up its owner now. */
	void (*flow_new)(void *ud, struct ww_flow *f, const struct ww_pkt *p, ww_time_t ts);
	/* Fill owner, attr_status and attr_reason of a view. */
	void (*describe)(void *ud, const struct ww_flow *f, struct ww_flow_view *v);
	/* Policy judgement of a finished flow: up to `max` alerts, returns how many. */
	int (*judge)(void *ud, const struct ww_flow *f, const struct ww_flow_view *v,
		     struct ww_alert *out, int max);
	/* The flow is gone: release what flow_new attached (f->attr). */
	void (*flow_end)(void *ud, struct ww_flow *f);
	/*
	 * Optional. Judge a flow right after flow_new, so a live alert does not
	 * wait for the flow to end: up to `max` alerts, returns how many.
	 */
	int (*judge_new)(void *ud, const struct ww_flow *f, const struct ww_flow_view *v,
			 struct ww_alert *out, int max);
	/*
	 * Optional. Alerts not tied to a flow that are due by `now` (all of them
	 * when `final`), e.g. summaries of folded floods; called by
	 * ww_pipeline_tick() and by ww_pipeline_finish() before the stats.
	 */
	int (*pending)(void *ud, ww_time_t now, bool final, struct ww_alert *out, int max);
	/*
	 * Optional. Does the policy expect protocol `app` on this flow (a rule
	 * with app=)? Then the flow's port_mismatch.nonstandard_port is dropped.
	 */
	bool (*explains_app)(void *ud, const struct ww_flow *f, const char *app);
	/*
	 * Optional. Did memory run out for an attribution (a flow then shows
	 * "out of memory during lookup")? Asked after flow_new; true makes the
	 * run end as out of memory (exit 1, #17.2), not pass as complete.
	 */
	bool (*out_of_memory)(void *ud);
};

struct ww_pipeline_cfg {
	struct ww_flow_cfg flow;
	FILE *out;
	enum ww_emit_mode mode;
	bool quiet;
	bool color;
	const struct ww_attrib_ops *attrib;   /* NULL: status "none" */
	void *attrib_ud;
	const char *none_reason;              /* attribution reason without ops; must outlive the pipeline */
	bool no_classify;                     /* benchmarking: skip payload classification */
	bool live;                            /* live capture: never an analysis thread; in text,
						 a time column and a line when an attributed
						 flow starts */
	bool output_thread;                   /* JSON: format and write on a second thread */
	bool analysis_thread;                 /* replay: track flows on a thread of their own */
	const char *attr_engine;              /* watch: the attribution engine named in the stats
						 record, and why (both must outlive the pipeline);
						 NULL: not named */
	const char *attr_engine_reason;
	bool no_decap;                        /* do not take tunnels off (--no-decap) */
	const uint16_t *vxlan_ports;          /* more UDP ports read as VXLAN (--vxlan-port) */
	unsigned n_vxlan_ports;               /* at most WW_DECODE_MAX_VXLAN_PORTS */
};

struct ww_pipeline;

/* New pipeline. Returns NULL when out of memory. */
struct ww_pipeline *ww_pipeline_new(const struct ww_pipeline_cfg *cfg);
/* Free without flushing: flows still open are dropped, no record written,
 * what they hold released. NULL is allowed. */
void ww_pipeline_free(struct ww_pipeline *pl);

/*
 * One captured frame of link type `dlt`. Returns 0, or -EIO when writing
 * output failed (the caller should stop and exit 1).
 *
 * With cfg->analysis_thread, the caller's thread only decodes the frame,
 * keys it and copies what the classifier may read of its payload; a thread
 * of the pipeline's own does the rest, in packet order, and every other
 * function below first waits until it has caught up. An output error then
 * shows a few hundred packets late. Call all functions from one thread.
 */
int ww_pipeline_packet(struct ww_pipeline *pl, int dlt, const uint8_t *data,
		       uint32_t caplen, uint32_t wirelen, ww_time_t ts);


/* Count a packet that was not decoded (unsupported link type). Can't fail. */
void ww_pipeline_skip(struct ww_pipeline *pl, uint32_t wirelen);

/* Emit every open flow and the final stats record. 0 or -EIO. */
int ww_pipeline_finish(struct ww_pipeline *pl, ww_time_t now, double elapsed_s, uint64_t dropped);

/*
 * Live, --json: a stats record of the run so far (watch writes one every
 * --stats-interval); the text stream has its summary line instead, and
 * nothing is written there. 0 or -EIO.
 */
int ww_pipeline_stats_record(struct ww_pipeline *pl, ww_time_t now, double elapsed_s, uint64_t dropped);

/*
 * Live, before ww_pipeline_finish(): the capture's own counts for the final
 * stats record: `received` (what reached the capture) and `discarded` (of
 * it, neither analysed nor dropped). Can't fail.
 */
void ww_pipeline_capture_counts(struct ww_pipeline *pl, uint64_t received, uint64_t discarded);

/*
 * Live only: wall-clock time passed without packets; expire idle flows as of
 * `now`. Output errors surface on the next call that returns one. Can't fail.
 */
void ww_pipeline_tick(struct ww_pipeline *pl, ww_time_t now);

/* Running counters (flows, alerts...). Can't fail. */
const struct ww_stats *ww_pipeline_stats(struct ww_pipeline *pl);


/* Latest packet time seen, or 0. Can't fail. */
ww_time_t ww_pipeline_now(const struct ww_pipeline *pl);

#endif
