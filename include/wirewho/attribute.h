/*
 * attribute.h - join a flow with the socket and the process that own it,
 * at the flow's first packet (live), or from a recorded timeline (replay).
 *
 * Both plug into the pipeline through ww_attr_ops (struct ww_attrib_ops)
 * with a struct ww_attributor as `attrib_ud`. Attribution statuses and
 * reasons are those of the flow record (docs/records.md):
 *   exact       the socket with this 5-tuple
 *   listener    a listening or bound socket on the local port
 *   cached      a socket seen earlier that has closed since
 *   recorded    from a `watch --record` timeline
 *   unresolved  a local flow whose owner was not found; `reason` says why
 *   not_local   neither end is an address of this host
 *   kernel      from the kernel engine's record of the socket (kattr.h), or of
 *               the listener on the local port; the process may have exited
 * Each flow is judged (judge_flow.h) once, at its first packet; `--record` gets
 * one binding per flow when the flow ends.
 */
#ifndef WIREWHO_ATTRIBUTE_H
#define WIREWHO_ATTRIBUTE_H

#include "wirewho/common.h"

/* Tunables, with their reasons. */
#define WW_ATTR_FRESH_US       (2 * WW_USEC_PER_SEC)    /* trust a cached socket this long without asking the kernel */
#define WW_ATTR_KEEP_US        (120 * WW_USEC_PER_SEC)  /* closed sockets stay known: covers TIME_WAIT (60 s) twice */
#define WW_ATTR_CACHE_MAX      65536                    /* sockets remembered; beyond, the oldest go first */
#define WW_ATTR_REFRESH_US     (10 * WW_USEC_PER_SEC)   /* full table + process refresh at most this often */
#define WW_ATTR_QUERY_RATE     20000                    /* kernel lookups per second, at most: a flood of new
							   local flows degrades to "unresolved", not to a stall */

struct ww_attrib_ops;   /* pipeline.h */
struct ww_netaddr;
struct ww_socktab;
struct ww_procs;
struct ww_judge;
struct ww_timeline;
struct ww_tl_writer;
struct ww_attributor;
struct ww_kattr;

/*
 * Live attribution over this namespace's addresses, socket table and
 * process cache (all borrowed: the caller frees them after the
 * attributor). `judge` may be NULL (no policy alerts). Returns NULL when out
 * of memory.
 */
struct ww_attributor *ww_attr_new_live(struct ww_netaddr *na, struct ww_socktab *st,
				       struct ww_procs *procs, struct ww_judge *judge);

/* Offline attribution from a recorded timeline (borrowed). NULL when out of memory. */
struct ww_attributor *ww_attr_new_recorded(const struct ww_timeline *tl, struct ww_judge *judge);

/*
 * Ask the kernel engine `k` (borrowed; NULL: none) before the /proc +
 * sock_diag path, which stays the fallback. Live only. Can't fail.
 */
void ww_attr_set_kernel(struct ww_attributor *a, struct ww_kattr *k);

/*
 * Look for the owners of flows that are not ours in the other network
 * namespaces `s` (borrowed; NULL: none; netns.h). Live only. Can't fail.
 */
struct ww_netns_set;
void ww_attr_set_netns(struct ww_attributor *a, struct ww_netns_set *s);

/*
 * Map flows captured after a NAT back to their inside 5-tuple through `c`
 * (borrowed; NULL: none; conntrack.h) before anything else. Live only.
 * Can't fail.
 */
struct ww_ct;
void ww_attr_set_conntrack(struct ww_attributor *a, struct ww_ct *c);

/* Write a binding per ended flow to `w` (borrowed; NULL stops). Can't fail. */
void ww_attr_set_recorder(struct ww_attributor *a, struct ww_tl_writer *w);

/* Free. NULL is allowed. Flows still holding attributions must be gone. */
void ww_attr_free(struct ww_attributor *a);

/* The pipeline hooks; `attrib_ud` is the attributor. */
extern const struct ww_attrib_ops ww_attr_ops;

/*
 * Live housekeeping, about once a second of wall time `now`: a
 * rate-limited full refresh of the socket table and process cache (so
 * later lookups hit the cache), forgetting long-closed sockets. 0, or
 * -errno of a failed refresh (not fatal: lookups go on per flow).
 */
int ww_attr_periodic(struct ww_attributor *a, ww_time_t now);

struct ww_attr_stats {
	uint64_t flows;          /* flows seen */
	uint64_t not_local;
	uint64_t cache_hits;     /* answered from the cached socket table */
	uint64_t queries;        /* exact sock_diag queries */
	uint64_t newest_hits;    /* owners found among the newest pids */
	uint64_t proc_scans;     /* targeted /proc scans (owner not in the process cache) */
	uint64_t refreshes;      /* full refreshes */
	uint64_t unresolved;
	uint64_t rate_limited;   /* lookups skipped by WW_ATTR_QUERY_RATE */
	uint64_t kernel_hits;    /* owners named by the kernel engine */
	uint64_t netns_hits;     /* owners found in another network namespace's socket table */
	uint64_t nat_hits;       /* flows named through a NAT's inside 5-tuple (conntrack.h) */
};

#endif
