/*
 * judge_socket.h - the analyst's reading of the socket table, made exact.
 *
 * For every socket: its bind and remote scopes, its direction (in: the local
 * end is a server port, out: this host connected out), whether its state
 * fits its addresses, and what the policy says. The rules, in order
 * (first that applies decides; README.md, section 'wirewho sockets' has the prose):
 *
 *   1. policy `ignore`                      -> ignored
 *   2. state_anomaly (LISTEN with a peer, an active state without one, an
 *      unconnected UDP socket with a peer)  -> review + state_anomaly (high)
 *   3. policy `allow`                       -> explained
 *   4. policy `review`                      -> review + unexplained_process
 *   5. loopback only (bound to loopback, peer none or loopback) -> ignored
 *   6. RAW socket                           -> review + unexplained_process (high)
 *   7. TCP LISTEN beyond loopback           -> review + unexplained_listener
 *   8. UDP unconnected beyond loopback: with a TCP listener on the same port
 *      (same namespace, beyond loopback) owned by the same program (a
 *      process in common, or the same executable) it is that listener's
 *      twin: it takes the listener's verdict and its alert is folded into
 *      the listener's; else (no listener, or another program's: a renamed
 *      socat on UDP 22 next to sshd is not sshd's twin)
 *                                           -> review + unexplained_udp
 *   9. an active TCP state or connected UDP with an internet peer
 *                                           -> review + unexplained_established
 *  10. anything else (peer on a private/link-local network, TIME_WAIT
 *      leftovers, a bound TCP socket that is not listening) -> ignored,
 *      with the reason saying which.
 * Severity: state_anomaly, raw sockets and a policy `review` rule high (the
 * same rule gives the same severity for a flow); a listener or UDP port on
 * every interface medium, on one interface low; established medium.
 */
#ifndef WIREWHO_SOCKAUDIT_H
#define WIREWHO_SOCKAUDIT_H

#include "wirewho/alert.h"
#include "wirewho/container.h"
#include "wirewho/netscope.h"
#include "wirewho/policy.h"
#include "wirewho/procs.h"
#include "wirewho/socktab.h"

enum ww_verdict { WW_VERDICT_IGNORED = 0, WW_VERDICT_EXPLAINED, WW_VERDICT_REVIEW };

#define WW_SOCKVIEW_MAX_OWNERS 8   /* owners shown per socket; `n_owners` counts all */

/* One socket with what the audit found and what the writers print. */
struct ww_sock_view {
	const struct ww_sock *s;
	const struct ww_proc *owners[WW_SOCKVIEW_MAX_OWNERS];  /* ordered by pid */
	size_t n_owners;              /* all owners (may exceed the array) */
	const char *owner_reason;     /* when no owner: "permission", "no_inode", "not_found" */
	char owner_note[128];         /* when no owner: a sentence */
	const char *service;          /* services-database name of the local/remote port, or NULL */
	uint64_t netns;               /* namespace inode */
	const char *netns_name;       /* its `ip netns` name (/run/netns), NULL when none */
	const struct ww_container *container;  /* the namespace's container (container.h), NULL none */
	int ns_pid[WW_SOCKVIEW_MAX_OWNERS];    /* owners[i]'s pid in its own PID namespace when
						  that is not ours (what `ps` there shows), 0 else */
	/* filled by ww_judge_socket_prepare */
	enum ww_bind_scope bind;
	enum ww_remote_scope remote;
	enum ww_policy_dir dir;
	int twin;                     /* UDP: index of its TCP listener twin, -1 none */
	const struct ww_sock *twin_of;   /* UDP: that twin's socket (record field twin_of), or NULL */
	int twin_by;                  /* UDP with a twin: enum ww_twin_by, how the program is the same */
	int twin_pid;                 /* UDP with a twin: the process that links them (see ww_twin_by) */
	unsigned udp_twins;           /* TCP listener: UDP sockets folded into it */
	/* filled by the judge */
	enum ww_verdict verdict;
	int alert_kind;               /* enum ww_alert_kind raised, -1 none */
	int rule_line;                /* policy line that decided, 0 none */
	char reason[112];             /* short, for the table */
};

/*
 * How a UDP socket and a TCP listener are found to be one program's (the
 * twin_of record's "by"). Tried in this order; twin_pid names the process:
 *   PROCESS     a process holds both (twin_pid: it);
 *   EXECUTABLE  their holders run the same executable (twin_pid: the listener's holder);
 *   TREE        one's holder is a parent or ancestor of the other's, at most
 *               WW_TWIN_TREE_DEPTH generations up, through no other login
 *               session (twin_pid: the ancestor).
 */
enum ww_twin_by { WW_TWIN_NONE = 0, WW_TWIN_PROCESS, WW_TWIN_EXECUTABLE, WW_TWIN_TREE };

/* "process", "executable", "process_tree"; "" for NONE. Can't fail. */
const char *ww_twin_by_name(int by);

/*
 * A daemon's helpers are its children or grandchildren (master -> worker ->
 * helper, a wrapper script -> the daemon); an ancestor further up is
 * another program's business (a supervisor, a shell, init).
 */
#define WW_TWIN_TREE_DEPTH 4

/*
 * The process tree, for twins by ancestry: parent(ctx, pid, &leader)
 * returns the parent pid of `pid` (<= 0 when unknown or gone) and sets
 * *leader when `pid` leads its own session (setsid(): a login shell, an
 * sshd session, a daemon). The walk up never passes pid 1 or 2 (every
 * process descends from them: systemd's socket-activation listeners must
 * not make every service a twin) nor a session leader that holds neither
 * socket (a rogue started from an ssh login descends from sshd's master
 * through the session's shell).
 */
struct ww_judge_tree {
	int (*parent)(void *ctx, int pid, bool *leader);
	void *ctx;
};

/*
 * Fill scopes, direction and UDP twins for views[0..n) (each with `s`,
 * `netns` set). `lo_ifindex` is the loopback index (1 on Linux). `tree`
 * (NULL: none) finds twins by process tree. Can't fail.
 */
void ww_judge_socket_prepare_tree(struct ww_sock_view *v, size_t n, uint32_t lo_ifindex,
				  const struct ww_judge_tree *tree);
/* ww_judge_socket_prepare_tree() without a process tree. Can't fail. */
void ww_judge_socket_prepare(struct ww_sock_view *v, size_t n, uint32_t lo_ifindex);

/*
 * Judge every view (TCP listeners first, so UDP twins can take their
 * verdict) and append the alerts to `*alerts` (realloc'd; `*n_alerts`
 * counts them). Each alert's `sock` points to the view's socket and
 * ev.rule names the rule or policy line. Returns 0 or -ENOMEM.
 */
int ww_judge_socket_run(const struct ww_policy *pol, struct ww_sock_view *v, size_t n,
		     ww_time_t now, struct ww_alert **alerts, size_t *n_alerts);


/*
 * The policy query for owner `i` of a view (i >= n_owners: no owner).
 * Pointers in q refer to the view. Can't fail.
 */
void ww_judge_socket_query(const struct ww_sock_view *v, size_t i, struct ww_policy_query *q);


/* "ignored", "explained", "review". Can't fail. */
const char *ww_verdict_name(enum ww_verdict v);

#endif
