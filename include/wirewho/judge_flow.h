/*
 * judge_flow.h - the policy judgement of flows: `unexplained_process` when no
 * policy rule explains the process, its port and its peer (or a `review`
 * rule names it), `unattributed_traffic` when a local flow's owner stayed
 * unknown. Port mismatches are the classifier's (judge_port.h).
 *
 * One alert per flow and kind: the caller judges a flow once. A flood of
 * identical alerts is folded: the first is emitted at once; identical ones
 * (same kind, same program - comm, exe, uid, not pid, so a loop of
 * short-lived clients folds - same protocol, direction, service port and
 * peer address: a new peer is a new alert)
 * within WW_JUDGE_FOLD_WINDOW are counted; when the window closes one
 * summary alert says how many, and the first and last time
 * (evidence.count/first_seen/last_seen).
 */
#ifndef WIREWHO_JUDGE_H
#define WIREWHO_JUDGE_H

#include "wirewho/alert.h"
#include "wirewho/flow.h"

#define WW_JUDGE_FOLD_WINDOW (60 * WW_USEC_PER_SEC)  /* a minute: one line per minute per flood */
#define WW_JUDGE_FOLD_MAX    4096                     /* distinct floods tracked at once */

struct ww_owner;
struct ww_policy;
struct ww_judge;

/* What the judge needs to know about one flow. */
struct ww_judge_flow {
	const struct ww_flow *f;
	const struct ww_owner *owner;   /* NULL when unknown */
	const char *status;             /* attribution status ("exact", "unresolved"...) */
	const char *reason;             /* why unresolved, or "" */
	bool local;                     /* touches this host (status not not_local/none) */
	bool local_is_server;           /* the local end accepted it (dir=in) */
	bool kernel;                    /* sent by the kernel itself (ICMP errors, echo
					   replies, neighbour discovery): not judged */
	const char *host;               /* the flow's dst_name when known (host_len bytes), or NULL */
	size_t host_len;
};

/* A judge with no policy. Returns NULL when out of memory. */
struct ww_judge *ww_judge_new(void);
/* Free the judge and its policy. NULL is allowed. */
void ww_judge_free(struct ww_judge *j);

/*
 * Use policy `p` from now on (NULL: none), taking ownership and freeing the
 * previous one (SIGHUP reload). Without a policy nothing is explained, so
 * no `unexplained_process` alert is raised (every flow would be one);
 * `unattributed_traffic` still is. Can't fail.
 */
void ww_judge_set_policy(struct ww_judge *j, struct ww_policy *p);
bool ww_judge_has_policy(const struct ww_judge *j);

/*
 * Judge one flow at time `now`: up to `max` alerts into out[], returns how
 * many (folded repeats return none). Can't fail.
 */
int ww_judge_flow(struct ww_judge *j, const struct ww_judge_flow *in, ww_time_t now,
		  struct ww_alert *out, int max);

/*
 * Summaries of floods whose window closed by `now` (all of them when
 * `all`, at the end of a run): up to `max` into out[], returns how many.
 * Call again while it returns `max`. Can't fail.
 */
int ww_judge_flush(struct ww_judge *j, ww_time_t now, bool all, struct ww_alert *out, int max);

/*
 * Does a policy rule with app= expect protocol `app` (the classifier's
 * name, "http") on this flow - `allow app=http port=4444 exe=...`? Then its
 * port_mismatch.nonstandard_port is not raised; nothing else about the
 * flow changes. False without a policy, for a flow that is not local or is
 * the kernel's, or when the matching app rule is `review`. Can't fail.
 */
bool ww_judge_explains_app(const struct ww_judge *j, const struct ww_judge_flow *in, const char *app);

/*
 * An alert about a process that shows masquerading indicators (struct
 * ww_owner.indicators != 0, procs.h) is raised one severity level (low ->
 * medium -> high; high stays high) and its message says why, with the bits.
 * Nothing happens when `indicators` is 0. The socket audit and the flow
 * judge both call it, so a process gets the same raise in both. Can't fail.
 */
void ww_judge_raise_for_indicators(struct ww_alert *a, uint32_t indicators);

/* Alerts folded so far (not emitted individually). Can't fail. */
uint64_t ww_judge_folded(const struct ww_judge *j);

#endif
