/*
 * judge_socket.c - verdicts and alerts for the socket table (rules in
 * judge_socket.h, prose in README.md, section 'wirewho sockets').
 *
 * Two facts need the whole table, not one socket: the direction of a
 * connection (is its local port one some socket listens on?) and the TCP
 * twin of a UDP port. Both come from one sorted array of "server" sockets
 * (TCP LISTEN and unconnected UDP) keyed by (namespace, port), searched per
 * socket — O(n log n) for the table, no per-port bitmap of 8 KiB per
 * namespace. Everything else is judged one socket at a time, so the live
 * monitor can judge a single socket with ww_judge_socket_judge().
 *
 * The policy is asked once per owner (a shared socket is explained when any
 * of its owners is); a socket with no known owner is asked once with the
 * process fields unknown, so only rules without comm/exe/user can explain it.
 */
#include "wirewho/judge_socket.h"
#include "wirewho/judge_flow.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct srv {
	uint64_t netns;
	uint16_t port;
	uint8_t kind;      /* 0 TCP LISTEN, 1 unconnected UDP */
	uint32_t idx;
};

static int cmp_srv(const void *a, const void *b)
{
	const struct srv *x = a, *y = b;
	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return (int)x->kind - (int)y->kind;
}

/* First entry with this (netns, port, kind), or NULL. */
static const struct srv *srv_find(const struct srv *v, size_t n, uint64_t ns, uint16_t port,
				  uint8_t kind)
{
	struct srv key = { ns, port, kind, 0 };
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cmp_srv(&v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && cmp_srv(&v[lo], &key) == 0 ? &v[lo] : NULL;
}

/* True for TCP states that have (or had) a peer: SYN_SENT ... CLOSING. Can't fail. */
static bool ww_judge_socket_is_active(const struct ww_sock *s)
{
	if (s->proto == WW_IPPROTO_UDP)
		return s->state == WW_SS_ESTABLISHED;
	if (s->proto != WW_IPPROTO_TCP)
		return false;
	switch (s->state) {
	case WW_SS_ESTABLISHED: case WW_SS_SYN_SENT: case WW_SS_SYN_RECV:
	case WW_SS_FIN_WAIT1: case WW_SS_FIN_WAIT2: case WW_SS_TIME_WAIT:
	case WW_SS_CLOSE_WAIT: case WW_SS_LAST_ACK: case WW_SS_CLOSING:
		return true;
	default:
		return false;
	}
}

static bool is_server(const struct ww_sock *s, uint8_t *kind)
{
	if (s->proto == WW_IPPROTO_TCP && s->state == WW_SS_LISTEN) {
		*kind = 0;
		return true;
	}
	if (s->proto == WW_IPPROTO_UDP && s->state == WW_SS_CLOSE) {
		*kind = 1;
		return true;
	}
	return false;
}

/*
 * Do two sockets belong to the same program? A process in common (one
 * daemon holding both, or a forked worker sharing them), the same known
 * executable (named's TCP and UDP sockets in two of its threads' processes,
 * nginx's workers), or one holder an ancestor of the other (a daemon's
 * helper whose executable differs, a wrapper; judge_socket.h says how far
 * up and through what). An unknown owner on either side proves nothing, so
 * it is never a twin: a port number alone must not explain a socket.
 * Returns the enum ww_twin_by and the linking process in *pid.
 */
static bool holds(const struct ww_sock_view *v, int pid)
{
	size_t n = v->n_owners < WW_SOCKVIEW_MAX_OWNERS ? v->n_owners : WW_SOCKVIEW_MAX_OWNERS;
	for (size_t i = 0; i < n; i++)
		if (v->owners[i]->owner.pid == pid)
			return true;
	return false;
}

/* An ancestor of `pid` (WW_TWIN_TREE_DEPTH up at most) that holds a socket of `other`, or 0. */
static int ancestor_holding(const struct ww_judge_tree *tree, int pid, const struct ww_sock_view *other)
{
	for (int d = 0; d < WW_TWIN_TREE_DEPTH; d++) {
		bool leader = false;
		int p = tree->parent(tree->ctx, pid, &leader);
		if (leader && d > 0)
			return 0;   /* `pid` (an ancestor, not the start) leads another session */
		if (p <= 2)
			return 0;   /* init, kthreadd, unknown */
		if (holds(other, p))
			return p;
		pid = p;
	}
	return 0;
}

static int same_program(const struct ww_sock_view *a, const struct ww_sock_view *b,
			const struct ww_judge_tree *tree, int *pid)
{
	size_t na = a->n_owners < WW_SOCKVIEW_MAX_OWNERS ? a->n_owners : WW_SOCKVIEW_MAX_OWNERS;
	size_t nb = b->n_owners < WW_SOCKVIEW_MAX_OWNERS ? b->n_owners : WW_SOCKVIEW_MAX_OWNERS;
	int by = WW_TWIN_NONE;
	for (size_t i = 0; i < na && by != WW_TWIN_PROCESS; i++) {
		const struct ww_owner *x = &a->owners[i]->owner;
		for (size_t j = 0; j < nb; j++) {
			const struct ww_owner *y = &b->owners[j]->owner;
			if (x->pid == y->pid) {
				by = WW_TWIN_PROCESS;
				*pid = x->pid;
				break;
			}
			if (!by && x->exe && y->exe && x->exe[0] && strcmp(x->exe, y->exe) == 0) {
				by = WW_TWIN_EXECUTABLE;
				*pid = y->pid;
			}
		}
	}
	if (by || !tree || !tree->parent)
		return by;
	for (size_t i = 0; i < na; i++)
		if ((*pid = ancestor_holding(tree, a->owners[i]->owner.pid, b)) > 0)
			return WW_TWIN_TREE;
	for (size_t j = 0; j < nb; j++)
		if ((*pid = ancestor_holding(tree, b->owners[j]->owner.pid, a)) > 0)
			return WW_TWIN_TREE;
	*pid = 0;
	return WW_TWIN_NONE;
}

const char *ww_twin_by_name(int by)
{
	switch (by) {
	case WW_TWIN_PROCESS: return "process";
	case WW_TWIN_EXECUTABLE: return "executable";
	case WW_TWIN_TREE: return "process_tree";
	default: return "";
	}
}

/* Does server socket `l` accept traffic for local address `a`? */
static bool covers(const struct ww_sock *l, const struct ww_addr *a)
{
	if (ww_netscope_is_unspecified(&l->local))
		return l->family == 6 || ww_addr_is_v4(a);   /* :: takes IPv4 too (dual stack) */
	return memcmp(l->local.b, a->b, 16) == 0;
}

void ww_judge_socket_prepare(struct ww_sock_view *v, size_t n, uint32_t lo_ifindex)
{
	ww_judge_socket_prepare_tree(v, n, lo_ifindex, NULL);
}

void ww_judge_socket_prepare_tree(struct ww_sock_view *v, size_t n, uint32_t lo_ifindex,
				  const struct ww_judge_tree *tree)
{
	struct srv *sv = malloc((n ? n : 1) * sizeof(*sv));
	size_t ns = 0;
	for (size_t i = 0; i < n; i++) {
		const struct ww_sock *s = v[i].s;
		uint8_t kind;
		v[i].bind = ww_netscope_bind(&s->local, s->ifindex, lo_ifindex);
		v[i].remote = s->rport == 0 && ww_netscope_is_unspecified(&s->remote)
			      ? WW_REMOTE_NONE : ww_netscope_remote(&s->remote);
		v[i].twin = -1;
		v[i].twin_of = NULL;
		v[i].twin_by = WW_TWIN_NONE;
		v[i].twin_pid = 0;
		v[i].udp_twins = 0;
		v[i].dir = WW_DIR_UNKNOWN;
		if (sv && is_server(s, &kind))
			sv[ns++] = (struct srv){ v[i].netns, s->lport, kind, (uint32_t)i };
	}
	if (sv)
		qsort(sv, ns, sizeof(*sv), cmp_srv);
	for (size_t i = 0; i < n; i++) {
		const struct ww_sock *s = v[i].s;
		uint8_t kind;
		if (is_server(s, &kind) || s->proto == WW_SOCK_PROTO_RAW) {
			v[i].dir = WW_DIR_IN;
		} else if (sv) {
			/* a connection on a port some socket serves was accepted here */
			uint8_t want = s->proto == WW_IPPROTO_TCP ? 0 : 1;
			v[i].dir = WW_DIR_OUT;
			for (const struct srv *f = srv_find(sv, ns, v[i].netns, s->lport, want);
			     f && f < sv + ns && f->netns == v[i].netns && f->port == s->lport &&
			     f->kind == want; f++) {
				if (covers(v[f->idx].s, &s->local)) {
					v[i].dir = WW_DIR_IN;
					break;
				}
			}
		}
		/* UDP twin: the same program's TCP listener on the same port,
		 * reachable beyond loopback */
		if (sv && s->proto == WW_IPPROTO_UDP && s->state == WW_SS_CLOSE &&
		    v[i].bind != WW_BIND_LOOPBACK) {
			for (const struct srv *f = srv_find(sv, ns, v[i].netns, s->lport, 0);
			     f && f < sv + ns && f->netns == v[i].netns && f->port == s->lport &&
			     f->kind == 0; f++) {
				const struct ww_sock *t = v[f->idx].s;
				int pid = 0, by;
				if (ww_netscope_bind(&t->local, t->ifindex, lo_ifindex) != WW_BIND_LOOPBACK &&
				    (by = same_program(&v[i], &v[f->idx], tree, &pid)) != WW_TWIN_NONE) {
					v[i].twin = (int)f->idx;
					v[i].twin_of = t;
					v[i].twin_by = by;
					v[i].twin_pid = pid;
					v[f->idx].udp_twins++;
					break;
				}
			}
		}
	}
	free(sv);
}

void ww_judge_socket_query(const struct ww_sock_view *v, size_t i, struct ww_policy_query *q)
{
	const struct ww_sock *s = v->s;
	memset(q, 0, sizeof(*q));
	q->uid = -1;
	if (i < v->n_owners && i < WW_SOCKVIEW_MAX_OWNERS) {
		const struct ww_owner *o = &v->owners[i]->owner;
		q->comm = o->comm;
		q->exe = o->exe;
		q->user = o->user;
		q->uid = o->uid;
		q->owner = o;
		q->indicators = o->indicators;
	}
	q->proto = s->proto;
	q->state = s->state;
	q->local_port = s->lport;
	q->remote = v->remote == WW_REMOTE_NONE ? NULL : &s->remote;
	q->remote_port = s->rport;
	q->dir = v->dir;
	q->bind_scope = (int)v->bind;
}

static bool policy_verdict(const struct ww_policy *pol, const struct ww_sock_view *v,
			   struct ww_policy_verdict *pv)
{
	struct ww_policy_query q;
	size_t n = v->n_owners < WW_SOCKVIEW_MAX_OWNERS ? v->n_owners : WW_SOCKVIEW_MAX_OWNERS;
	if (!pol)
		return false;
	for (size_t i = 0; i < n; i++) {
		ww_judge_socket_query(v, i, &q);
		if (ww_policy_match(pol, &q, pv))
			return true;
	}
	if (n == 0) {
		ww_judge_socket_query(v, 0, &q);
		return ww_policy_match(pol, &q, pv);
	}
	return false;
}

/* "sshd[812]", "nginx[10] +2", or "unknown owner (permission)". */
static void owner_str(const struct ww_sock_view *v, char *buf, size_t sz)
{
	if (v->n_owners == 0) {
		snprintf(buf, sz, "an unknown process (owner %s)", v->owner_reason ? v->owner_reason : "not_found");
		return;
	}
	const struct ww_owner *o = &v->owners[0]->owner;
	char comm[40];
	/* comm is untrusted: keep only printable ASCII in a message */
	size_t k = 0;
	for (const char *c = o->comm; c && *c && k + 1 < sizeof(comm); c++)
		comm[k++] = (*c >= 0x20 && *c < 0x7f) ? *c : '?';
	comm[k] = '\0';
	if (v->n_owners > 1)
		snprintf(buf, sz, "%s[%d] and %zu more", comm, o->pid, v->n_owners - 1);
	else
		snprintf(buf, sz, "%s[%d]", comm, o->pid);
}

static void endpoint(const struct ww_addr *a, uint8_t family, uint16_t port, char *buf, size_t sz)
{
	char as[WW_ADDRSTRLEN];
	bool v4 = ww_addr_is_v4(a);
	ww_addr_str(a, v4 ? 4 : 6, as);
	(void)family;
	snprintf(buf, sz, v4 ? "%s:%u" : "[%s]:%u", as, port);
}

/* Messages are cut to fit the record's fixed buffers; that is intended. */
__attribute__((format(printf, 3, 4)))
static void say(char *dst, size_t sz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst, sz, fmt, ap);
	va_end(ap);
}

/* The owner and both endpoints as text: only formatted when an alert is raised. */
static void texts(const struct ww_sock_view *v, char own[80], char loc[64], char rem[64])
{
	const struct ww_sock *s = v->s;
	owner_str(v, own, 80);
	endpoint(&s->local, s->family, s->lport, loc, 64);
	endpoint(&s->remote, s->family, s->rport, rem, 64);
}

static bool state_anomaly(const struct ww_sock_view *v, const char **why)
{
	const struct ww_sock *s = v->s;
	bool peer = v->remote != WW_REMOTE_NONE || s->rport != 0;
	if (s->proto == WW_IPPROTO_TCP && s->state == WW_SS_LISTEN && peer) {
		*why = "a LISTEN socket has a remote address";
		return true;
	}
	if (ww_judge_socket_is_active(s) && (v->remote == WW_REMOTE_NONE || s->rport == 0)) {
		*why = "a connected socket has no remote address";
		return true;
	}
	if (s->proto == WW_IPPROTO_UDP && s->state == WW_SS_CLOSE && peer) {
		*why = "an unconnected UDP socket has a remote address";
		return true;
	}
	return false;
}

static void flag(struct ww_alert *a, bool *raised, struct ww_sock_view *v, enum ww_alert_kind k,
		  enum ww_severity sev, ww_time_t now, const char *rule)
{
	ww_alert_init(a, k, sev, now);
	a->sock = v->s;
	snprintf(a->ev.rule, sizeof(a->ev.rule), "%s", rule);
	a->ev.rule_line = v->rule_line;
	v->verdict = WW_VERDICT_REVIEW;
	v->alert_kind = (int)k;
	*raised = true;
}

/*
 * Judge one prepared view (rules 1-10); `twin` is its TCP twin's view when
 * already judged, or NULL. Writes at most one alert into *out when
 * *raised is set true. Can't fail.
 */
static void ww_judge_socket_judge(const struct ww_policy *pol, struct ww_sock_view *v,
			const struct ww_sock_view *twin, ww_time_t now,
			struct ww_alert *out, bool *raised)
{
	const struct ww_sock *s = v->s;
	struct ww_policy_verdict pv;
	bool matched = policy_verdict(pol, v, &pv);
	const char *why = NULL;
	char own[80], loc[64], rem[64], rule[160];
	const char *proto = ww_sock_proto_name(s->proto);
	const char *state = ww_sock_state_name(s->proto, s->state);
	const char *scope = v->bind == WW_BIND_ANY ? "every interface" : "one interface";

	*raised = false;
	v->alert_kind = -1;
	v->rule_line = matched ? pv.line : 0;

	/* 1. ignore */
	if (matched && pv.action == WW_POLICY_IGNORE) {
		v->verdict = WW_VERDICT_IGNORED;
		say(v->reason, sizeof(v->reason), "policy line %d: ignore", pv.line);
		return;
	}
	/* 2. state anomaly: structural, so an allow rule does not hide it */
	if (state_anomaly(v, &why)) {
		texts(v, own, loc, rem);
		flag(out, raised, v, WW_ALERT_STATE_ANOMALY, WW_SEV_HIGH, now, "state_anomaly");
		say(out->message, sizeof(out->message),
			 "%s %s %s -> %s owned by %s: %s, which the kernel does not normally produce.",
			 proto, state, loc, rem, own, why);
		say(v->reason, sizeof(v->reason), "state_anomaly: %s", why);
		return;
	}
	/* 3. allow */
	if (matched && pv.action == WW_POLICY_ALLOW) {
		v->verdict = WW_VERDICT_EXPLAINED;
		say(v->reason, sizeof(v->reason), "policy line %d", pv.line);
		return;
	}
	/* 4. review */
	if (matched && pv.action == WW_POLICY_REVIEW) {
		snprintf(rule, sizeof(rule), "policy %s:%d: %s", pv.file, pv.line, pv.text);
		texts(v, own, loc, rem);
		/* high, as for a flow: someone wrote that rule to be told */
		flag(out, raised, v, WW_ALERT_UNEXPLAINED_PROCESS, WW_SEV_HIGH, now, rule);
		if (v->remote != WW_REMOTE_NONE || s->rport != 0)
			say(out->message, sizeof(out->message),
				 "%s %s %s -> %s owned by %s matches review rule at line %d of the policy.",
				 proto, state, loc, rem, own, pv.line);
		else
			say(out->message, sizeof(out->message),
				 "%s %s %s owned by %s matches review rule at line %d of the policy.",
				 proto, state, loc, own, pv.line);
		say(v->reason, sizeof(v->reason), "policy line %d: review", pv.line);
		return;
	}
	/* 5. loopback only */
	if (v->bind == WW_BIND_LOOPBACK &&
	    (v->remote == WW_REMOTE_NONE || v->remote == WW_REMOTE_LOOPBACK)) {
		v->verdict = WW_VERDICT_IGNORED;
		say(v->reason, sizeof(v->reason), "loopback only");
		return;
	}
	/* 6. raw socket */
	if (s->proto == WW_SOCK_PROTO_RAW) {
		texts(v, own, loc, rem);
		flag(out, raised, v, WW_ALERT_UNEXPLAINED_PROCESS, WW_SEV_HIGH, now, "raw_socket");
		say(out->message, sizeof(out->message),
			 "%s holds a raw socket for IP protocol %u on %s: it sees every such packet "
			 "and can forge them; the policy does not explain it.",
			 own, s->raw_proto, loc);
		say(v->reason, sizeof(v->reason), "raw socket (IP protocol %u)", s->raw_proto);
		return;
	}
	/* 7. listener */
	if (s->proto == WW_IPPROTO_TCP && s->state == WW_SS_LISTEN) {
		texts(v, own, loc, rem);
		flag(out, raised, v, WW_ALERT_UNEXPLAINED_LISTENER,
		      v->bind == WW_BIND_ANY ? WW_SEV_MEDIUM : WW_SEV_LOW, now, "unexplained_listener");
		say(out->message, sizeof(out->message),
			 "%s listens on TCP %s, reachable from %s%s; no policy rule explains it.",
			 own, loc, scope, v->udp_twins ? " (with a UDP twin on the same port)" : "");
		say(v->reason, sizeof(v->reason), "unexplained_listener on %s%s", scope,
			 v->udp_twins ? " (+udp twin)" : "");
		return;
	}
	/* 8. UDP port */
	if (s->proto == WW_IPPROTO_UDP && s->state == WW_SS_CLOSE) {
		if (twin) {
			char town[80];
			owner_str(twin, town, sizeof(town));
			v->verdict = twin->verdict;
			v->rule_line = twin->rule_line;
			say(v->reason, sizeof(v->reason), "udp twin of %s's TCP listener on port %u (%s)",
				 town, s->lport, ww_verdict_name(twin->verdict));
			return;
		}
		texts(v, own, loc, rem);
		flag(out, raised, v, WW_ALERT_UNEXPLAINED_UDP,
		      v->bind == WW_BIND_ANY ? WW_SEV_MEDIUM : WW_SEV_LOW, now, "unexplained_udp");
		say(out->message, sizeof(out->message),
			 "%s has UDP port %s open on %s with no TCP service of the same program on "
			 "the same port; no policy rule explains it.", own, loc, scope);
		say(v->reason, sizeof(v->reason), "unexplained_udp on %s, no tcp twin", scope);
		return;
	}
	/* 9. connection to the internet */
	if (ww_judge_socket_is_active(s) && s->state != WW_SS_TIME_WAIT &&
	    v->remote == WW_REMOTE_INTERNET) {
		texts(v, own, loc, rem);
		flag(out, raised, v, WW_ALERT_UNEXPLAINED_EST, WW_SEV_MEDIUM, now,
		      "unexplained_established");
		say(out->message, sizeof(out->message),
			 "%s has a %s %s %s connection %s %s, an internet address; "
			 "no policy rule explains it.", own, proto, state,
			 v->dir == WW_DIR_IN ? "inbound" : "outbound",
			 v->dir == WW_DIR_IN ? "from" : "to", rem);
		say(v->reason, sizeof(v->reason), "unexplained_established %s internet",
			 v->dir == WW_DIR_IN ? "from" : "to");
		return;
	}
	/* 10. nothing to review */
	v->verdict = WW_VERDICT_IGNORED;
	if (s->state == WW_SS_TIME_WAIT)
		say(v->reason, sizeof(v->reason), "closed, in TIME_WAIT");
	else if (ww_judge_socket_is_active(s))
		say(v->reason, sizeof(v->reason), "peer is %s", ww_netscope_remote_name(v->remote));
	else
		say(v->reason, sizeof(v->reason), "%s %s: not listening, no peer", proto, state);
}

/* The masquerading indicators of a view's owners, ORed. */
static uint32_t owner_indicators(const struct ww_sock_view *v)
{
	uint32_t ind = 0;
	size_t n = v->n_owners < WW_SOCKVIEW_MAX_OWNERS ? v->n_owners : WW_SOCKVIEW_MAX_OWNERS;
	for (size_t i = 0; i < n; i++)
		ind |= v->owners[i]->owner.indicators;
	return ind;
}

int ww_judge_socket_run(const struct ww_policy *pol, struct ww_sock_view *v, size_t n,
		     ww_time_t now, struct ww_alert **alerts, size_t *n_alerts)
{
	/* pass 0: TCP listeners (UDP twins read their verdict); pass 1: the rest */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			bool listener = v[i].s->proto == WW_IPPROTO_TCP && v[i].s->state == WW_SS_LISTEN;
			if (listener != (pass == 0))
				continue;
			struct ww_alert a;
			bool raised;
			const struct ww_sock_view *twin = v[i].twin >= 0 ? &v[v[i].twin] : NULL;
			ww_judge_socket_judge(pol, &v[i], twin, now, &a, &raised);
			if (!raised)
				continue;
			ww_judge_raise_for_indicators(&a, owner_indicators(&v[i]));
			size_t k = *n_alerts;
			if (k == 0 || (k & (k - 1)) == 0) {   /* grow at powers of two */
				struct ww_alert *na = realloc(*alerts, (k ? 2 * k : 8) * sizeof(*na));
				if (!na)
					return -ENOMEM;
				*alerts = na;
			}
			(*alerts)[(*n_alerts)++] = a;
		}
	}
	return 0;
}

const char *ww_verdict_name(enum ww_verdict v)
{
	switch (v) {
	case WW_VERDICT_IGNORED: return "ignored";
	case WW_VERDICT_EXPLAINED: return "explained";
	case WW_VERDICT_REVIEW: return "review";
	}
	return "review";
}
