/*
 * record.h - what a flow record and a stats record show, gathered by the
 * stages and handed to the writers (emit.h) as plain values.
 *
 * A writer never calls back into the analysis: everything a flow record
 * shows beyond the flow itself (its protocol answer, service name, owner and
 * attribution) is collected by the pipeline into a struct ww_flow_view. The
 * run's counters are a struct ww_stats. Neither type knows how it is
 * formatted.
 */
#ifndef WIREWHO_RECORD_H
#define WIREWHO_RECORD_H

#include "wirewho/common.h"

struct ww_flow;
struct ww_owner;   /* procs.h */
struct ww_tunnel_path;   /* decode.h */
struct ww_meta;    /* meta.h */

struct ww_flow_view {
	const struct ww_flow *f;
	const char *app_proto;     /* "http", ..., "unknown" */
	const char *app_by;        /* "payload", "port", "none" */
	const char *service;       /* services-database name of dst port, or NULL */
	const char *sni;           /* TLS server name, or NULL (an addition to the spec) */
	size_t sni_len;            /* its bytes, NULs included; 0 with a non-NULL sni: strlen() */
	const struct ww_meta *meta;    /* names and fingerprints (meta.h), or NULL */
	const struct ww_owner *owner;  /* NULL when unknown */
	const char *attr_status;   /* "exact", "listener", ..., "none" */
	const char *attr_reason;
	const struct ww_tunnel_path *tunnel;  /* what carried the flow (outermost first), or NULL;
					       * lives as long as the pipeline */
	/* Every string above but `sni` (and `meta`) lives as long as the program (static
	 * text or the port table) and `owner` is NULL: the output thread may
	 * write the record later from a copy of the flow. */
	bool stable;
};

struct ww_stats {
	uint64_t packets, bytes, flows, alerts, dropped, decode_errors, evicted;
	uint64_t non_ip;            /* well-formed frames that were not IP (ARP...) */
	uint64_t orphan_fragments;  /* later IP fragments whose first was never seen */
	uint64_t skipped_packets;   /* packets of link types we cannot decode */
	/* watch's final record only (`capture_counts`): what reached the
	 * capture, and what of it was neither analysed nor dropped. */
	uint64_t received, discarded;
	bool capture_counts;
	double elapsed_s;
	const char *attribution_engine;         /* watch: "bpf" or "proc"; NULL: not written */
	const char *attribution_engine_reason;  /* why that engine runs (static text) */
};

#endif
