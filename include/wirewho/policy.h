/*
 * policy.h - the rules that say which processes, ports and peers are
 * expected, shared by `sockets`, `watch` and `replay`.
 *
 * The file is line-oriented; each line is one rule, first match wins:
 *
 *     # comment
 *     ACTION KEY=VALUE[,VALUE...] ...
 *
 *     allow  exe=/usr/sbin/sshd user=root proto=tcp state=LISTEN port=22
 *     allow  comm=chronyd proto=udp port=123
 *     allow  exe=/usr/lib/firefox/firefox* dir=out proto=tcp rport=80,443
 *     ignore proto=udp port=5353 bind=any
 *     review comm=nc,ncat,socat
 *
 * ACTION is `allow` (explained), `ignore` (not shown, no alert) or `review`
 * (always shown and alerted, even on loopback). Keys, all optional, all
 * ANDed; the values of one key are ORed:
 *   comm=GLOB     process name (/proc/PID/comm, 15 bytes), fnmatch(3) glob
 *   exe=GLOB      executable path, fnmatch(3) with FNM_PATHNAME
 *   user=NAME|UID owning process's user (name or number)
 *   proto=tcp|udp|raw|any
 *   port=N|N-M    local port (raw sockets: the IP protocol number)
 *   state=NAME    netstat state: LISTEN, ESTABLISHED, UNCONN, ... (for a flow:
 *                 see ww_policy_query.flow)
 *   remote=CIDR   peer address (a.b.c.d/n, x::/n, a bare address, or one of
 *                 the scopes none, loopback, private, link_local, internet)
 *   rport=N|N-M   peer port
 *   dir=in|out    in: the local end is the server (accepted connection,
 *                 listener); out: this host connected out
 *   bind=any|interface|loopback   the socket's bind scope
 *   parent=GLOB   the parent process: a glob with a '/' matches its exe
 *                 (FNM_PATHNAME), one without matches its comm
 *   container=GLOB  the process's container (container.h): its id, or
 *                 RUNTIME:ID (docker:3f2a*); `*` is any container. A
 *                 process in none never matches
 *   app=NAME      the protocol the classifier proved on a flow (http, tls,
 *                 ssh, ...). A rule with app= is only asked whether a
 *                 protocol off its standard port is expected there
 *                 (ww_policy_match_app): it silences that flow's
 *                 port_mismatch.nonstandard_port and explains nothing else,
 *                 so ww_policy_match() never returns it.
 * A value with spaces, commas, quotes or '#' is written in double quotes
 * with \" \\ and \xHH escapes; only a quoted value may be empty, and a
 * quoted number given to user= is a name. A line `home_net CIDR[,CIDR...]`
 * declares the site's networks (netscope.h) when the file is loaded. A rule that needs a process (comm, exe, user,
 * parent, container) never matches a socket whose owner is unknown.
 */
#ifndef WIREWHO_POLICY_H
#define WIREWHO_POLICY_H

#include <stdio.h>
#include "wirewho/common.h"

enum ww_policy_action { WW_POLICY_ALLOW = 0, WW_POLICY_IGNORE, WW_POLICY_REVIEW };
enum ww_policy_dir { WW_DIR_UNKNOWN = 0, WW_DIR_IN, WW_DIR_OUT };

/*
 * What a rule is matched against: one owner of one socket (sockets), or
 * the local end of one flow (watch/replay). Unknown strings are NULL,
 * unknown numbers -1; a rule constraining an unknown field does not match.
 */
struct ww_policy_query {
	const char *comm, *exe, *user;
	int64_t uid;                    /* -1 unknown */
	const struct ww_addr *remote;   /* NULL: no peer */
	int state;                      /* enum ww_sock_state; flows pass ESTABLISHED; -1 unknown */
	int bind_scope;                 /* enum ww_bind_scope, -1 unknown */
	enum ww_policy_dir dir;
	uint16_t local_port, remote_port;
	uint8_t proto;                  /* WW_IPPROTO_TCP, WW_IPPROTO_UDP, WW_SOCK_PROTO_RAW */
	bool flow;                      /* a flow, not a socket: `state` is read as below */
	const char *app;                /* the flow's proven protocol, for ww_policy_match_app; NULL otherwise */
	const struct ww_owner *owner;   /* parent= and container= read its parent and container;
					   NULL unknown */
	const char *host;               /* the flow's dst_name (host_len bytes), NULL unknown: host= rules
					   match only a query with one */
	size_t host_len;
	uint32_t indicators;            /* the owner's masquerading indicators (procs.h), 0 none:
					   never matched, but --learn will not whitelist such a process */
};

/*
 * What a socket rule means for a flow (q->flow): a rule explains the flows
 * of the sockets it explains. So a rule's state= matches a flow when it
 * names a state a connection is in (ESTABLISHED, SYN_SENT, ..., TIME_WAIT:
 * the flow is that connection); LISTEN when the flow is TCP and accepted
 * here (dir=in: the listener accepted it, on its port); UNCONN when the flow
 * is UDP or port-less (an unconnected socket receives and sends its flows
 * from its own port). q->state is not read for a flow. `bind=` never
 * matches a flow (a flow has no bind scope).
 */

/* The rule that matched. `text` stays valid while the policy lives. */
struct ww_policy_verdict {
	enum ww_policy_action action;
	int line;                       /* 1-based line in the file */
	const char *text;               /* the rule as written, trimmed */
	const char *file;
};

struct ww_policy;

/*
 * Parse a policy file. Returns 0 and *out, -EINVAL on a malformed line, a
 * NUL byte or a line longer than 64 KiB (err holds "FILE:LINE[:COL]: what
 * is wrong"; checked while reading, so /dev/zero fails at once), -EFBIG
 * when the file is larger than 16 MiB (no policy is), -ENOMEM (err: "FILE:
 * out of memory"), or -errno when the file cannot be read (err says so
 * too). Callers exit 1 for -ENOMEM, 2 for the rest (bad input). On
 * success the policy's home_net lines are declared (netscope.h) unless
 * --home-net was.
 */
int ww_policy_load(const char *path, struct ww_policy **out, char *err, size_t errsz);
/* The same from a string; `name` is used in messages. */
int ww_policy_parse(const char *text, size_t len, const char *name, struct ww_policy **out,
		    char *err, size_t errsz);
void ww_policy_free(struct ww_policy *p);
/* Number of rules. Can't fail. */
size_t ww_policy_count(const struct ww_policy *p);

/*
 * The first rule matching q, into *v. Returns true when one matched. A NULL
 * policy matches nothing. Can't fail.
 */
bool ww_policy_match(const struct ww_policy *p, const struct ww_policy_query *q,
		     struct ww_policy_verdict *v);

/*
 * The first rule with an app= key that matches q (q->app set), into *v:
 * does the policy expect this protocol here? Returns true when one
 * matched. NULL policy or q->app NULL: false. Can't fail.
 */
bool ww_policy_match_app(const struct ww_policy *p, const struct ww_policy_query *q,
			 struct ww_policy_verdict *v);

/*
 * The names of the masquerading indicator bits set in `ind` (procs.h,
 * ww_procs_indicator_name), comma-separated ("temp_exe, comm_mismatch"; an
 * unnamed bit as 0xN), into buf, cut to fit. Can't fail.
 */
void ww_policy_indicator_list(char *buf, size_t bufsz, uint32_t ind);

/* Fields ww_policy_format_rule writes (a bit set). */
#define WW_PF_COMM   0x001
#define WW_PF_EXE    0x002
#define WW_PF_USER   0x004
#define WW_PF_PROTO  0x008
#define WW_PF_PORT   0x010
#define WW_PF_STATE  0x020
#define WW_PF_REMOTE 0x040   /* the exact peer address (/32 or /128) */
#define WW_PF_RPORT  0x080
#define WW_PF_DIR    0x100
#define WW_PF_BIND   0x200
#define WW_PF_HOST   0x400   /* the flow's dst_name (q->host), when known */

/*
 * Write the rule "ACTION key=value ..." that matches q on the selected
 * fields (fields q does not know are left out), quoting and glob-escaping
 * values so the rule matches exactly these strings. For --learn. Returns
 * the length written (without NUL) or -ENOSPC when buf is too small.
 */
int ww_policy_format_rule(char *buf, size_t bufsz, enum ww_policy_action a,
			  const struct ww_policy_query *q, unsigned fields);

/* --- learning (`sockets --learn`): a policy that explains what is there now --- */

/* Why a socket is learned; each asks for its own kind of rule. */
enum ww_policy_learn_why {
	WW_POLICY_LEARN_UNEXPLAINED = 0,  /* no rule explains it: allow its owner doing what it does
					     (listening on its port, serving on its local port, or
					     connecting to its remote port) */
	WW_POLICY_LEARN_ANOMALY,          /* a state anomaly: only an ignore rule on its exact state,
					     ports and peer hides it */
	WW_POLICY_LEARN_REVIEWED,         /* flagged by the analyst's own review rule: nothing is
					     learned, that rule stays in charge */
};

struct ww_policy_learn;

/* An empty set of learned rules. NULL when out of memory. */
struct ww_policy_learn *ww_policy_learn_new(void);
void ww_policy_learn_free(struct ww_policy_learn *l);

/*
 * Learn the rule for the socket (one owner) described by q, for the reason
 * `why`. An owner with masquerading indicators (q->indicators) is not
 * whitelisted silently: its rule is written commented out, with the reason.
 * Returns 0, also when nothing is learned (WW_POLICY_LEARN_REVIEWED, or a
 * rule that would be longer than 8 KiB), or -ENOMEM.
 */
int ww_policy_learn_add(struct ww_policy_learn *l, const struct ww_policy_query *q,
			enum ww_policy_learn_why why);

/*
 * Write the learned policy to `out`: a comment header naming the time
 * `now` and the `n_socks` sockets looked at, then the rules sorted, each
 * once. Returns 0, or -EIO when `out` is in error afterwards.
 */
int ww_policy_learn_write(struct ww_policy_learn *l, FILE *out, ww_time_t now, size_t n_socks);


#endif
