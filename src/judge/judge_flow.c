/*
 * judge_flow.c - policy judgement of flows, and folding of alert floods.
 *
 * A flow is matched against the policy as its local end sees it: the
 * owning process (comm, exe, user), the local and remote ports, the peer
 * address and the direction (dir=in when the local end is the server). A
 * rule's state= is read for a flow as policy.h says: a rule that explains a
 * listener (state=LISTEN) explains the flows it accepts, one that explains
 * an unconnected UDP socket (state=UNCONN) its flows, one that explains a
 * connection its flows - so what `sockets --learn` wrote explains the
 * same host's traffic in `watch`. `allow`
 * explains the flow; `ignore` silences every judgement of it; `review`
 * always alerts (high severity: someone wrote that rule to be told); a flow
 * with both ends on loopback is then ignored, as `sockets` ignores a
 * loopback-only socket; no matching rule alerts at medium severity.
 *
 * Folding. An "identity" of an alert - kind, program (comm, exe, uid),
 * protocol, direction, service port and peer address, deliberately not the
 * pid nor the client port, so a loop of short-lived clients is one flood
 * while a new peer is a new finding (a responder must see every host a
 * program reached, not "N more like this" a minute later) - is hashed to 64 bits (a collision would fold two floods together;
 * at 2^-64 that is accepted). A small open-addressing table maps identity to
 * a fold entry: the first alert of an identity is emitted and opens a
 * window; repeats inside the window are only counted; when the window
 * closes (ww_judge_flush, called about once a second) a single summary
 * alert carries the count and the first and last time. The table is bounded
 * (WW_JUDGE_FOLD_MAX): when full, alerts are emitted unfolded rather than
 * dropped, so folding can lose repetition but never a finding.
 */
#include "wirewho/judge_flow.h"
#include "wirewho/netscope.h"
#include "wirewho/policy.h"
#include "wirewho/procs.h"
#include "wirewho/socktab.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define FOLD_SLOTS (WW_JUDGE_FOLD_MAX * 2)   /* at most half full: short probes */
#define NO_ENTRY   UINT32_MAX

struct fold {
	uint64_t id;              /* identity hash */
	ww_time_t window_end;     /* repeats before this are folded */
	ww_time_t first, last;    /* of the folded repeats */
	uint64_t count;           /* folded repeats */
	uint32_t slot;            /* where the table points at us */
	uint32_t next_free;
	struct ww_alert tmpl;     /* the alert that opened the window */
};

struct ww_judge {
	struct ww_policy *policy;
	uint32_t slots[FOLD_SLOTS];   /* index into pool, NO_ENTRY when empty */
	uint64_t slot_id[FOLD_SLOTS];
	struct fold *pool;
	uint32_t n_pool, free_head, live;
	uint64_t folded;
};

struct ww_judge *ww_judge_new(void)
{
	struct ww_judge *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	for (size_t i = 0; i < FOLD_SLOTS; i++)
		j->slots[i] = NO_ENTRY;
	j->free_head = NO_ENTRY;
	return j;
}

void ww_judge_free(struct ww_judge *j)
{
	if (!j)
		return;
	ww_policy_free(j->policy);
	free(j->pool);
	free(j);
}

void ww_judge_set_policy(struct ww_judge *j, struct ww_policy *p)
{
	ww_policy_free(j->policy);
	j->policy = p;
}

bool ww_judge_has_policy(const struct ww_judge *j)
{
	return j->policy != NULL;
}

uint64_t ww_judge_folded(const struct ww_judge *j)
{
	return j->folded;
}

/* An alert message: one sentence, cut at the record's size by design. */
static void msgf(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void msgf(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst, n, fmt, ap);
	va_end(ap);
}

/* --- fold table --------------------------------------------------------- */

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t identity(enum ww_alert_kind k, const struct ww_judge_flow *in)
{
	const struct ww_flow *f = in->f;
	uint64_t h = 0xcbf29ce484222325ull;
	uint16_t port = ww_flow_server_port(f);
	uint8_t d = in->local_is_server;
	h = mix(h, &k, sizeof(k));
	if (in->owner) {
		const char *c = in->owner->comm ? in->owner->comm : "";
		const char *e = in->owner->exe ? in->owner->exe : "";
		h = mix(h, c, strlen(c) + 1);
		h = mix(h, e, strlen(e) + 1);
		h = mix(h, &in->owner->uid, sizeof(in->owner->uid));
	} else {
		/* Unknown owners fold by why they are unknown. */
		const char *r = in->reason ? in->reason : "";
		h = mix(h, r, strlen(r) + 1);
	}
	h = mix(h, &f->key.proto, 1);
	h = mix(h, &d, 1);
	h = mix(h, &port, sizeof(port));
	/* the peer: the far end as the local end sees it */
	const struct ww_addr *peer = in->local_is_server ? ww_flow_client_ip(f) : ww_flow_server_ip(f);
	h = mix(h, peer->b, sizeof(peer->b));
	return h;
}

static uint32_t slot_of(const struct ww_judge *j, uint64_t id, bool *found)
{
	uint32_t s = (uint32_t)(id >> 40) & (FOLD_SLOTS - 1);
	while (j->slots[s] != NO_ENTRY) {
		if (j->slot_id[s] == id) {
			*found = true;
			return s;
		}
		s = (s + 1) & (FOLD_SLOTS - 1);
	}
	*found = false;
	return s;
}

/* Remove slot s with backward-shift deletion (linear probing, no tombstones). */
static void slot_remove(struct ww_judge *j, uint32_t s)
{
	uint32_t hole = s, i = s;
	for (;;) {
		i = (i + 1) & (FOLD_SLOTS - 1);
		if (j->slots[i] == NO_ENTRY)
			break;
		uint32_t home = (uint32_t)(j->slot_id[i] >> 40) & (FOLD_SLOTS - 1);
		/* Move i into the hole unless its home lies cyclically in (hole, i]. */
		bool in_between = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
		if (!in_between) {
			j->slots[hole] = j->slots[i];
			j->slot_id[hole] = j->slot_id[i];
			j->pool[j->slots[hole]].slot = hole;
			hole = i;
		}
	}
	j->slots[hole] = NO_ENTRY;
}

static struct fold *fold_new(struct ww_judge *j, uint32_t s, uint64_t id)
{
	uint32_t idx;
	if (j->live >= WW_JUDGE_FOLD_MAX)
		return NULL;
	if (j->free_head != NO_ENTRY) {
		idx = j->free_head;
		j->free_head = j->pool[idx].next_free;
	} else {
		if (!j->pool) {
			j->pool = malloc(WW_JUDGE_FOLD_MAX * sizeof(*j->pool));
			if (!j->pool)
				return NULL;
		}
		idx = j->n_pool++;
	}
	j->live++;
	j->slots[s] = idx;
	j->slot_id[s] = id;
	struct fold *fo = &j->pool[idx];
	memset(fo, 0, sizeof(*fo));
	fo->id = id;
	fo->slot = s;
	fo->next_free = NO_ENTRY;
	return fo;
}

static void fold_free(struct ww_judge *j, struct fold *fo)
{
	uint32_t idx = (uint32_t)(fo - j->pool);
	slot_remove(j, fo->slot);
	fo->id = 0;
	fo->window_end = 0;
	fo->next_free = j->free_head;
	j->free_head = idx;
	j->live--;
}

/*
 * Decide whether alert `a` is emitted (true) or folded into a running
 * window (false).
 */
static bool fold(struct ww_judge *j, uint64_t id, const struct ww_alert *a)
{
	bool found;
	uint32_t s = slot_of(j, id, &found);
	if (found) {
		struct fold *fo = &j->pool[j->slots[s]];
		if (a->ts < fo->window_end) {
			if (fo->count++ == 0)
				fo->first = a->ts;
			fo->last = a->ts;
			j->folded++;
			return false;
		}
		return true;   /* the window is over: flush will summarise and free it */
	}
	struct fold *fo = fold_new(j, s, id);
	if (fo) {
		fo->window_end = a->ts + WW_JUDGE_FOLD_WINDOW;
		fo->tmpl = *a;
		fo->tmpl.flow = NULL;   /* the flow will be gone by the summary */
	}
	return true;
}

int ww_judge_flush(struct ww_judge *j, ww_time_t now, bool all, struct ww_alert *out, int max)
{
	int n = 0;
	for (uint32_t i = 0; i < j->n_pool && n < max; i++) {
		struct fold *fo = &j->pool[i];
		if (!fo->window_end || (!all && now < fo->window_end))
			continue;
		if (fo->count > 0) {
			struct ww_alert *a = &out[n++];
			*a = fo->tmpl;
			a->ts = fo->last;
			a->ev.count = fo->count;
			a->ev.first_ts = fo->first;
			a->ev.last_ts = fo->last;
			msgf(a->message, sizeof(a->message),
				 "%" PRIu64 " more alert%s like this in %llds, folded: %s", fo->count,
				 fo->count == 1 ? "" : "s",
				 (long long)((fo->last - fo->tmpl.ts) / WW_USEC_PER_SEC + 1), fo->tmpl.message);
		}
		fold_free(j, fo);
	}
	return n;
}

/* --- judgement ------------------------------------------------------------ */

void ww_judge_raise_for_indicators(struct ww_alert *a, uint32_t indicators)
{
	size_t l;
	if (!indicators)
		return;
	if (a->severity < WW_SEV_HIGH)
		a->severity = (enum ww_severity)(a->severity + 1);
	char names[160];
	ww_policy_indicator_list(names, sizeof(names), indicators);
	l = strnlen(a->message, sizeof(a->message));
	snprintf(a->message + l, sizeof(a->message) - l,
		 "%s The process shows masquerading indicators (%s): severity raised.",
		 l && a->message[l - 1] != '.' ? "." : "", names);
}


static void endpoints(const struct ww_judge_flow *in, const struct ww_addr **lip, uint16_t *lport,
		      const struct ww_addr **rip, uint16_t *rport)
{
	const struct ww_flow *f = in->f;
	if (in->local_is_server) {
		*lip = ww_flow_server_ip(f);
		*lport = ww_flow_server_port(f);
		*rip = ww_flow_client_ip(f);
		*rport = ww_flow_client_port(f);
	} else {
		*lip = ww_flow_client_ip(f);
		*lport = ww_flow_client_port(f);
		*rip = ww_flow_server_ip(f);
		*rport = ww_flow_server_port(f);
	}
}

static const char *proto_str(uint8_t p)
{
	return p == WW_IPPROTO_TCP ? "tcp" : p == WW_IPPROTO_UDP ? "udp"
	     : p == WW_IPPROTO_ICMP ? "icmp" : p == WW_IPPROTO_ICMPV6 ? "icmp6" : "ip";
}

static bool has_ports(uint8_t p)
{
	return p == WW_IPPROTO_TCP || p == WW_IPPROTO_UDP;
}

static void describe_peer(char *buf, size_t n, const struct ww_judge_flow *in)
{
	const struct ww_addr *lip, *rip;
	uint16_t lport, rport;
	char r[WW_ADDRSTRLEN];
	uint8_t proto = in->f->key.proto;

	endpoints(in, &lip, &lport, &rip, &rport);
	ww_addr_str(rip, in->f->key.family, r);
	if (!has_ports(proto))
		snprintf(buf, n, "%s %s %s", in->local_is_server ? "accepted" : "sent",
			 proto_str(proto), r);
	else if (in->local_is_server)
		snprintf(buf, n, "accepted %s from %s on local port %u", proto_str(proto), r, lport);
	else
		snprintf(buf, n, "connected to %s%s%s:%u/%s", in->f->key.family == 6 ? "[" : "", r,
			 in->f->key.family == 6 ? "]" : "", rport, proto_str(proto));
}

static void flow_query(const struct ww_judge_flow *in, struct ww_policy_query *qp)
{
	const struct ww_addr *lip, *rip;
	struct ww_policy_query q;
	uint8_t proto = in->f->key.proto;

	memset(&q, 0, sizeof(q));
	endpoints(in, &lip, &q.local_port, &rip, &q.remote_port);
	if (in->owner) {
		q.comm = in->owner->comm;
		q.exe = in->owner->exe;
		q.user = in->owner->user;
		q.uid = in->owner->uid;
		q.owner = in->owner;
	} else {
		q.uid = -1;
	}
	q.remote = rip;
	q.host = in->host;   /* host= rules (issue #13) */
	q.host_len = in->host_len;
	q.state = WW_SS_ESTABLISHED;
	q.flow = true;   /* a listener's rule explains the flows it accepts (policy.h) */
	q.bind_scope = -1;
	q.dir = in->local_is_server ? WW_DIR_IN : WW_DIR_OUT;
	if (has_ports(proto)) {
		q.proto = proto;
	} else {
		/* A port-less flow belongs to a raw (or ping) socket: the policy
		 * names its IP protocol as the port. */
		q.proto = WW_SOCK_PROTO_RAW;
		q.local_port = proto;
		q.remote_port = 0;
	}
	*qp = q;
}

static bool policy_match(const struct ww_judge *j, const struct ww_judge_flow *in,
			 struct ww_policy_verdict *v)
{
	struct ww_policy_query q;
	flow_query(in, &q);
	return ww_policy_match(j->policy, &q, v);
}

bool ww_judge_explains_app(const struct ww_judge *j, const struct ww_judge_flow *in, const char *app)
{
	struct ww_policy_query q;
	struct ww_policy_verdict v;
	if (!j || !j->policy || !app || !in->local || in->kernel)
		return false;
	flow_query(in, &q);
	q.app = app;
	return ww_policy_match_app(j->policy, &q, &v) && v.action != WW_POLICY_REVIEW;
}

/*
 * Both ends on loopback (127.0.0.0/8, ::1, IPv4-mapped 127/8): the flow of
 * a socket that `sockets` calls "loopback only" (its rule 5: bound to
 * loopback, peer none or loopback) and ignores unless a policy ignore,
 * allow or review rule decided first. Under `watch -i any` such flows are
 * captured on lo; they get the same verdict, so the two commands agree.
 */
static bool loopback_only(const struct ww_flow *f)
{
	return ww_netscope_remote(ww_flow_client_ip(f)) == WW_REMOTE_LOOPBACK &&
	       ww_netscope_remote(ww_flow_server_ip(f)) == WW_REMOTE_LOOPBACK;
}

int ww_judge_flow(struct ww_judge *j, const struct ww_judge_flow *in, ww_time_t now,
		  struct ww_alert *out, int max)
{
	struct ww_policy_verdict v;
	char peer[160];
	int n = 0;

	if (!in->local || in->kernel || max <= 0)
		return 0;   /* forwarded traffic, or the kernel's own: no process to judge */
	bool matched = j->policy && policy_match(j, in, &v);
	if (matched && v.action == WW_POLICY_IGNORE)
		return 0;
	if (!(matched && v.action == WW_POLICY_REVIEW) && loopback_only(in->f))
		return 0;   /* "loopback only", as sockets judges the same socket */
	describe_peer(peer, sizeof(peer), in);

	if (in->owner) {
		if (!j->policy || (matched && v.action == WW_POLICY_ALLOW))
			return 0;
		struct ww_alert *a = &out[n];
		char comm[64];
		/* comm is untrusted: the writers escape the message as a whole, so
		 * it is copied as is here, bounded. */
		snprintf(comm, sizeof(comm), "%s", in->owner->comm ? in->owner->comm : "?");
		if (matched) {
			ww_alert_init(a, WW_ALERT_UNEXPLAINED_PROCESS, WW_SEV_HIGH, now);
			msgf(a->message, sizeof(a->message),
				 "%s[%d] (uid %d) %s, which policy line %d marks for review",
				 comm, in->owner->pid, in->owner->uid, peer, v.line);
			snprintf(a->ev.rule, sizeof(a->ev.rule), "%s", v.text ? v.text : "");
			a->ev.rule_line = v.line;
		} else {
			ww_alert_init(a, WW_ALERT_UNEXPLAINED_PROCESS, WW_SEV_MEDIUM, now);
			msgf(a->message, sizeof(a->message),
				 "%s[%d] (uid %d) %s, and no policy rule explains this process on this port and peer",
				 comm, in->owner->pid, in->owner->uid, peer);
			snprintf(a->ev.rule, sizeof(a->ev.rule), "no rule matched");
		}
		a->flow = in->f;
		a->ev.direction = -1;
		ww_judge_raise_for_indicators(a, in->owner->indicators);
		if (fold(j, identity(a->kind, in), a))
			n++;
		return n;
	}

	/* Local, owner unknown. */
	struct ww_alert *a = &out[n];
	/* A socket that closed first, or a port nobody listens on (the kernel
	 * refused it), is a race or a probe rather than a hidden owner. */
	bool benign = in->reason && (strstr(in->reason, "closed before") || strstr(in->reason, "TIME_WAIT") ||
				     strstr(in->reason, "nothing listens"));
	ww_alert_init(a, WW_ALERT_UNATTRIBUTED, benign ? WW_SEV_LOW : WW_SEV_MEDIUM, now);
	msgf(a->message, sizeof(a->message), "a local flow that %s has no known owner: %s", peer,
		 in->reason && *in->reason ? in->reason : "no socket found");
	if (matched) {
		snprintf(a->ev.rule, sizeof(a->ev.rule), "%s", v.text ? v.text : "");
		a->ev.rule_line = v.line;
	}
	a->flow = in->f;
	a->ev.direction = -1;
	if (fold(j, identity(a->kind, in), a))
		n++;
	return n;
}
