/*
 * attribute.c - who owns a flow, asked at its first packet.
 *
 * Short-lived connections are the hard case: a client that connects, talks
 * for a millisecond and exits is gone before any periodic poll of the
 * socket table sees it. So the lookup runs at the flow's first packet, in
 * the capture thread, in order of cost:
 *   1. the cached socket table (this module's, below) - no system call;
 *   2. an exact sock_diag query for the flow's 5-tuple (one netlink round
 *      trip, ~20 us) - it gives the socket's inode;
 *   3. the inode's owner from the process cache (procs.c); else the newest
 *      processes, found without listing /proc at all (procs.c reads the
 *      fd tables of the WW_ATTR_NEWEST_PIDS task ids below the kernel's
 *      last allocated pid) - a client that just started is almost always
 *      there, and this costs ~100 us where listing /proc costs several
 *      hundred, the difference between catching a DNS client and losing
 *      it; else procs.c's targeted scan, newest first, that stops at the
 *      first holder.
 * A full dump of the socket table and a refresh of the process cache run
 * only from ww_attr_periodic(), at most every WW_ATTR_REFRESH_US, never per
 * packet. Kernel lookups are also capped by a token bucket
 * (WW_ATTR_QUERY_RATE per second): a flood of new local flows degrades to
 * "unresolved" rather than stalling capture.
 *
 * The cached socket table maps (proto, local, remote) to the owner found,
 * with the time it was last confirmed. An entry younger than
 * WW_ATTR_FRESH_US is trusted as is (a 5-tuple is not reused that fast: TCP
 * keeps it in TIME_WAIT for a minute); an older one is re-checked with the
 * kernel, and when the kernel no longer has the socket the entry still
 * answers, as "cached", until WW_ATTR_KEEP_US - that is how a late packet of
 * a closed connection is still attributed. Listeners are cached under
 * (proto, local address, local port) with no remote, wildcard addresses
 * included, so inbound connections to a busy server cost no system call.
 * The table is bounded (WW_ATTR_CACHE_MAX): entries sit in a FIFO in
 * insertion order; when full, or when the head has not been confirmed for
 * WW_ATTR_KEEP_US, the head goes.
 *
 * A local port that nothing listens on is remembered too, for only
 * WW_ATTR_NOLISTEN_US (a direct-mapped table of NOLISTEN_SLOTS): a SYN
 * flood against a closed port made every new flow a netlink round trip
 * (up to WW_ATTR_QUERY_RATE a second, half of watch's CPU in a flood of
 * 100,000 SYNs/s); now a port costs two queries per window. A listener
 * that appears within the window is seen at its next one (the kernel
 * engine, asked first, sees it at once).
 *
 * Owners are copied once into reference-counted records shared by the cache
 * and the flows, because the process cache's pointers do not survive its
 * next refresh.
 *
 * An inbound TCP connection that is not yet accepted has a socket without
 * a file (a request socket, inode 0): its owner is the listener, found by
 * asking again without the remote end (the kernel's listener lookup).
 *
 * A socket held by several processes (a pre-forking server: nginx's master
 * and workers share the listener; sshd's master and the session child hold
 * an accepted connection for a moment) names one of them by a rule, not by
 * which lookup path got there first (#11.6, pick_holder()): the process
 * that holds the connected socket when the lookup finds one - its newest
 * holder, the worker or child it was handed to; else the listener's oldest
 * holder, the master. Every holder of a listener is known before choosing
 * (a full process scan the first time, once per listener); the residual
 * case is timing of the kernel's, not ours: a lookup made before accept()
 * finds the listener, one made after finds the connected socket.
 */
#include "wirewho/attribute.h"
#include "wirewho/meta.h"
#include "wirewho/judge_flow.h"
#include "wirewho/kattr.h"
#include "wirewho/netaddr.h"
#include "wirewho/netns.h"
#include "wirewho/conntrack.h"
#include "wirewho/netscope.h"
#include "wirewho/pipeline.h"
#include "wirewho/policy.h"
#include "wirewho/procs.h"
#include "wirewho/socktab.h"
#include "wirewho/timeline.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

enum attr_status { ST_EXACT = 0, ST_LISTENER, ST_CACHED, ST_RECORDED, ST_UNRESOLVED, ST_NOT_LOCAL, ST_NONE,
		   ST_KERNEL };
static const char *const status_names[] = {
	[ST_EXACT] = "exact", [ST_LISTENER] = "listener", [ST_CACHED] = "cached",
	[ST_RECORDED] = "recorded", [ST_UNRESOLVED] = "unresolved", [ST_NOT_LOCAL] = "not_local",
	[ST_NONE] = "none", [ST_KERNEL] = "kernel",
};

#define WW_ATTR_NEWEST_PIDS 48   /* pids (threads too) below the last allocated one, read first */
#define CACHE_BUCKETS (WW_ATTR_CACHE_MAX * 2)   /* chains of about half an entry */
#define NIL UINT32_MAX
#define REASON_LEN 160
#define LISTENERS_KNOWN 1024   /* listener inodes known complete (holders of a shared socket) */
#define NOLISTEN_SLOTS 4096    /* closed local ports remembered (direct-mapped, 48 bytes each):
				  a flood hits a few; a scan of more still has the query rate cap */
#define WW_ATTR_NOLISTEN_US (20 * 1000)   /* trust "nothing listens" this long: a flood to the port
					     costs 100 queries a second, not 20,000; a probe loop
					     (refused, sleep, retry) waits longer than this */
#define CGROUP_CACHE 256       /* cgroups whose container is remembered: a host runs tens of
				  containers, each one cgroup (plus its services') */

/* An owner copied out of the process cache, shared by cache entries and flows. */
struct oref {
	uint32_t refs;
	struct ww_owner o;
	char comm[32];
	char *exe, *user, *script;
	char *parent_comm, *parent_exe, *cmdline;
	char sha[WW_SHA256_HEX];
	struct ww_container ctr;
	char pod_uid[WW_POD_UID_LEN];
	char *unit;
	int others[WW_OWNER_OTHERS_MAX];
};

/* Per flow (struct ww_flow.attr). */
struct ww_attrib {
	const struct ww_owner *owner;   /* &ref->o, a timeline record's owner, or NULL */
	struct oref *ref;
	uint64_t inode;
	const char *reason;             /* static text, or reason_buf */
	uint8_t status;                 /* enum attr_status */
	bool local_is_server;
	bool judged;
	bool kernel;                    /* the kernel's own traffic: nobody to blame */
	bool has_kev;                   /* named by the kernel engine: kev is its record */
	struct ww_tl_kernel kev;        /* recorded with --record (#12.5) */
	char reason_buf[REASON_LEN];
};

static const char REASON_NOT_LOCAL[] =
	"neither end is an address of this host (forwarded or bridged traffic, or another network namespace)";
static struct ww_attrib not_local_attr = { .status = ST_NOT_LOCAL, .reason = REASON_NOT_LOCAL };

struct ckey {
	struct ww_addr l, r;
	uint16_t lport, rport;
	uint8_t proto;
	uint8_t listener;     /* 1: a listener/bound entry, r and rport are zero */
	uint16_t zero;
};
_Static_assert(sizeof(struct ckey) == 40, "cache key is hashed and compared as 40 plain bytes");

struct cent {
	struct ckey k;
	struct oref *own;
	uint64_t inode;
	ww_time_t confirmed;
	uint32_t next;        /* bucket chain */
	uint8_t status;
};

/* A local port nothing listened on when the kernel was last asked. */
struct nolisten {
	struct ckey k;        /* a listener key: (proto, local address, local port) */
	ww_time_t asked;      /* 0: an empty slot */
};

struct ww_attributor {
	/* live */
	struct nolisten *nolisten;   /* NOLISTEN_SLOTS, indexed by ckey_hash() */
	struct ww_netaddr *na;
	struct ww_socktab *st;
	struct ww_procs *procs;
	uint32_t *buckets;
	struct cent *pool;
	uint32_t *fifo;       /* pool indexes in insertion order (a ring) */
	uint32_t fifo_head, count, free_head, n_pool;
	double tokens;
	ww_time_t token_time, last_refresh;
	uint64_t flows_at_refresh;
	struct ww_kattr *kattr;   /* the kernel engine, asked first; NULL: /proc + sock_diag only */
	struct ww_netns_set *nsset;   /* the other network namespaces (netns.h); NULL: ours only */
	struct ww_ct *ct;             /* NAT seen backwards (conntrack.h); NULL: none */
	/* replay */
	const struct ww_timeline *tl;
	/* both */
	struct ww_judge *judge;
	struct ww_tl_writer *rec;
	struct ww_attr_stats stats;
	bool oom;             /* a flow's attribution was lost to memory (op_out_of_memory) */
	/* listener inodes whose holders a full process refresh has seen (a set,
	 * emptied when full): the lookups that stop at the first holder leave
	 * the process cache knowing only some holders of a shared listener */
	uint64_t complete[LISTENERS_KNOWN];
	size_t n_complete;
	struct cgcache {              /* cgroup v2 id -> container (kernel_container()) */
		uint64_t id;
		bool found;
		struct ww_cgroup_ident c;
	} cg[CGROUP_CACHE];
};

/* --- owners ------------------------------------------------------------------ */

static struct oref *oref_new(const struct ww_owner *src)
{
	struct oref *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->refs = 1;
	r->o = *src;
	snprintf(r->comm, sizeof(r->comm), "%s", src->comm ? src->comm : "");
	r->o.comm = r->comm;
	r->exe = src->exe ? strdup(src->exe) : NULL;
	r->user = src->user ? strdup(src->user) : NULL;
	r->script = src->script ? strdup(src->script) : NULL;
	r->o.exe = r->exe;
	r->o.user = r->user;
	r->o.script = r->script;
	r->parent_comm = src->parent_comm ? strdup(src->parent_comm) : NULL;
	r->parent_exe = src->parent_exe ? strdup(src->parent_exe) : NULL;
	r->cmdline = src->cmdline ? strndup(src->cmdline, WW_OWNER_CMDLINE_MAX) : NULL;
	r->o.parent_comm = r->parent_comm;
	r->o.parent_exe = r->parent_exe;
	r->o.cmdline = r->cmdline;
	if (src->exe_sha256) {
		snprintf(r->sha, sizeof(r->sha), "%s", src->exe_sha256);
		r->o.exe_sha256 = r->sha;
	}
	if (src->container) {
		r->ctr = *src->container;
		r->o.container = &r->ctr;
	}
	if (src->pod_uid) {
		snprintf(r->pod_uid, sizeof(r->pod_uid), "%s", src->pod_uid);
		r->o.pod_uid = r->pod_uid;
	}
	r->unit = src->unit ? strdup(src->unit) : NULL;
	r->o.unit = r->unit;
	r->o.n_others = src->n_others < WW_OWNER_OTHERS_MAX ? src->n_others : WW_OWNER_OTHERS_MAX;
	if (r->o.n_others && src->others)
		memcpy(r->others, src->others, r->o.n_others * sizeof(int));
	else
		r->o.n_others = 0;
	r->o.others = r->others;
	return r;
}

static struct oref *oref_get(struct oref *r)
{
	if (r)
		r->refs++;
	return r;
}

static void oref_put(struct oref *r)
{
	if (r && --r->refs == 0) {
		free(r->exe);
		free(r->user);
		free(r->script);
		free(r->parent_comm);
		free(r->parent_exe);
		free(r->cmdline);
		free(r->unit);
		free(r);
	}
}

/* --- the cached socket table ------------------------------------------------- */

static uint32_t ckey_hash(const struct ckey *k)
{
	uint64_t w[5];
	memcpy(w, k, sizeof(w));
	uint64_t h = w[0] * 0x9E3779B97F4A7C15ull;
	for (int i = 1; i < 5; i++)
		h = (h ^ (h >> 29) ^ w[i]) * 0xBF58476D1CE4E5B9ull;
	return (uint32_t)(h >> 32) % CACHE_BUCKETS;
}

static struct ckey mkkey(uint8_t proto, const struct ww_addr *l, uint16_t lport,
			 const struct ww_addr *r, uint16_t rport, bool listener)
{
	struct ckey k;
	memset(&k, 0, sizeof(k));
	k.proto = proto;
	k.l = *l;
	k.lport = lport;
	k.listener = listener;
	if (!listener) {
		k.r = *r;
		k.rport = rport;
	}
	return k;
}

static struct cent *cache_find(struct ww_attributor *a, const struct ckey *k)
{
	if (!a->buckets)
		return NULL;
	for (uint32_t i = a->buckets[ckey_hash(k)]; i != NIL; i = a->pool[i].next)
		if (memcmp(&a->pool[i].k, k, sizeof(*k)) == 0)
			return &a->pool[i];
	return NULL;
}

static void cache_unlink(struct ww_attributor *a, uint32_t idx)
{
	uint32_t *p = &a->buckets[ckey_hash(&a->pool[idx].k)];
	while (*p != idx)
		p = &a->pool[*p].next;
	*p = a->pool[idx].next;
	oref_put(a->pool[idx].own);
	a->pool[idx].own = NULL;
	a->pool[idx].next = a->free_head;
	a->free_head = idx;
	a->count--;
}

/* Drop the FIFO head. */
static void cache_pop(struct ww_attributor *a)
{
	uint32_t idx = a->fifo[a->fifo_head];
	a->fifo_head = (a->fifo_head + 1) % WW_ATTR_CACHE_MAX;
	cache_unlink(a, idx);
}

static void cache_put(struct ww_attributor *a, const struct ckey *k, struct oref *own,
		      uint64_t inode, uint8_t status, ww_time_t now)
{
	struct cent *e = cache_find(a, k);
	if (!e) {
		uint32_t idx;
		if (a->count == WW_ATTR_CACHE_MAX)
			cache_pop(a);
		if (a->free_head != NIL) {
			idx = a->free_head;
			a->free_head = a->pool[idx].next;
		} else {
			idx = a->n_pool++;
		}
		e = &a->pool[idx];
		memset(e, 0, sizeof(*e));
		e->k = *k;
		uint32_t h = ckey_hash(k);
		e->next = a->buckets[h];
		a->buckets[h] = idx;
		a->fifo[(a->fifo_head + a->count) % WW_ATTR_CACHE_MAX] = idx;
		a->count++;
	}
	if (e->own != own) {
		oref_put(e->own);
		e->own = oref_get(own);
	}
	e->inode = inode;
	e->status = status;
	e->confirmed = now;
}

static void cache_expire(struct ww_attributor *a, ww_time_t now)
{
	while (a->count) {
		struct cent *e = &a->pool[a->fifo[a->fifo_head]];
		if (now - e->confirmed <= WW_ATTR_KEEP_US)
			break;   /* the head is still good; younger ones behind it wait their turn */
		cache_pop(a);
	}
}

/* --- construction ----------------------------------------------------------- */

struct ww_attributor *ww_attr_new_live(struct ww_netaddr *na, struct ww_socktab *st,
				       struct ww_procs *procs, struct ww_judge *judge)
{
	struct ww_attributor *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->na = na;
	a->st = st;
	a->procs = procs;
	a->judge = judge;
	a->buckets = malloc(CACHE_BUCKETS * sizeof(*a->buckets));
	a->pool = malloc(WW_ATTR_CACHE_MAX * sizeof(*a->pool));
	a->fifo = malloc(WW_ATTR_CACHE_MAX * sizeof(*a->fifo));
	a->nolisten = calloc(NOLISTEN_SLOTS, sizeof(*a->nolisten));
	if (!a->buckets || !a->pool || !a->fifo || !a->nolisten)
		goto err;
	for (uint32_t i = 0; i < CACHE_BUCKETS; i++)
		a->buckets[i] = NIL;
	a->free_head = NIL;
	a->tokens = WW_ATTR_QUERY_RATE;
	return a;
err:
	ww_attr_free(a);
	return NULL;
}

struct ww_attributor *ww_attr_new_recorded(const struct ww_timeline *tl, struct ww_judge *judge)
{
	struct ww_attributor *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->tl = tl;
	a->judge = judge;
	a->free_head = NIL;
	return a;
}

void ww_attr_set_recorder(struct ww_attributor *a, struct ww_tl_writer *w)
{
	a->rec = w;
}

void ww_attr_free(struct ww_attributor *a)
{
	if (!a)
		return;
	while (a->pool && a->count)
		cache_pop(a);
	free(a->buckets);
	free(a->pool);
	free(a->fifo);
	free(a->nolisten);
	free(a);
}


/* --- live lookup -------------------------------------------------------------- */

static bool take_token(struct ww_attributor *a, ww_time_t now)
{
	if (now > a->token_time) {
		a->tokens += (double)(now - a->token_time) * WW_ATTR_QUERY_RATE / WW_USEC_PER_SEC;
		if (a->tokens > WW_ATTR_QUERY_RATE)
			a->tokens = WW_ATTR_QUERY_RATE;
		a->token_time = now;
	}
	if (a->tokens < 1)
		return false;
	a->tokens -= 1;
	return true;
}

static void set_reason(struct ww_attrib *at, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_reason(struct ww_attrib *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(at->reason_buf, sizeof(at->reason_buf), fmt, ap);
	va_end(ap);
	at->reason = at->reason_buf;
}

static void attach(struct ww_attrib *at, struct oref *own, uint64_t inode, uint8_t status)
{
	oref_put(at->ref);
	at->ref = oref_get(own);
	at->owner = own ? &own->o : NULL;
	at->inode = inode;
	at->status = status;
	at->reason = "";
}

/*
 * Of several processes holding one socket, which one a flow names (#11.6),
 * so that the answer does not depend on which lookup path found it: for a
 * listening socket the oldest holder (earliest start, then lowest pid): the
 * master of a pre-forking server, which opened it, not whichever worker is
 * newest; for a connected socket the newest holder: the worker or session
 * child it was handed to, not the master that forked it and is about to
 * close its copy.
 */
static const struct ww_proc *pick_holder(const struct ww_proc *const *pp, size_t n, bool listener)
{
	const struct ww_proc *best = pp[0];
	for (size_t i = 1; i < n; i++) {
		const struct ww_proc *x = pp[i];
		bool older = x->start_time < best->start_time ||
			     (x->start_time == best->start_time && x->owner.pid < best->owner.pid);
		if (older == listener)
			best = x;
	}
	return best;
}

static bool listener_complete(const struct ww_attributor *a, uint64_t inode)
{
	for (size_t i = 0; i < a->n_complete; i++)
		if (a->complete[i] == inode)
			return true;
	return false;
}

static void listener_mark_complete(struct ww_attributor *a, uint64_t inode)
{
	if (a->n_complete == LISTENERS_KNOWN)
		a->n_complete = 0;   /* rare: more listeners than this; start over */
	a->complete[a->n_complete++] = inode;
}

#define OWNERS_MAX 64

/* The chosen holder, with every other holder of the socket listed (#11.6). */
static struct oref *oref_with_others(const struct ww_proc *const *pp, size_t n,
				     const struct ww_proc *chosen)
{
	int others[WW_OWNER_OTHERS_MAX];
	unsigned k = 0;
	for (size_t i = 0; i < n && k < WW_OWNER_OTHERS_MAX; i++)
		if (pp[i] != chosen)
			others[k++] = pp[i]->owner.pid;
	struct ww_owner o = chosen->owner;
	o.others = others;
	o.n_others = k;
	return oref_new(&o);
}   /* holders of one socket considered (nginx: a master and its workers) */

/* The owner of a socket inode, or NULL with a reason in `why`. */
static struct oref *owner_of(struct ww_attributor *a, uint64_t inode, uint32_t sock_uid,
			     bool listener, char *why, size_t whysz)
{
	const struct ww_proc *pp[OWNERS_MAX];
	size_t n = ww_procs_owners(a->procs, inode, pp, OWNERS_MAX);
	unsigned denied = 0;
	if (n > OWNERS_MAX)
		n = OWNERS_MAX;
	if (listener && !listener_complete(a, inode)) {
		/* A listener may be shared: only a full scan knows all its holders
		 * (the newest-first searches stop at the first, and the cache may
		 * hold a worker they found and not its master). Listeners live
		 * long, so this happens once per listener. */
		a->stats.proc_scans++;
		if (ww_procs_refresh(a->procs, &inode, 1) == 0) {
			n = ww_procs_owners(a->procs, inode, pp, OWNERS_MAX);
			if (n > OWNERS_MAX)
				n = OWNERS_MAX;
			if (n)
				listener_mark_complete(a, inode);
		}
	}
	if (n == 0) {
		struct ww_owner newest;
		struct oref *o = NULL;
		if (ww_procs_find_newest(a->procs, inode, WW_ATTR_NEWEST_PIDS, &newest, &denied) > 0)
			o = oref_new(&newest);
		if (o) {
			a->stats.newest_hits++;
			return o;
		}
		a->stats.proc_scans++;
		int k = ww_procs_find_inode(a->procs, inode, pp, OWNERS_MAX);
		if (k > 0)
			n = (size_t)k < OWNERS_MAX ? (size_t)k : OWNERS_MAX;
	}
	if (n)
		return oref_with_others(pp, n, pick_holder(pp, n, listener));
	enum ww_unowned u = ww_procs_why_unowned(a->procs, inode, sock_uid, why, whysz);
	if (denied && u != WW_UNOWNED_PERMISSION)
		snprintf(why, whysz, "permission: %u recent processes unreadable "
			 "(needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH)", denied);
	return NULL;
}

static const struct ww_addr any4 = { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0 } };
static const struct ww_addr any6 = { { 0 } };

/* A cached listener for (proto, lip, lport): the exact address or a wildcard. */
static struct cent *find_listener(struct ww_attributor *a, uint8_t proto, const struct ww_addr *lip,
				  uint16_t lport)
{
	struct ckey k = mkkey(proto, lip, lport, NULL, 0, true);
	struct cent *e = cache_find(a, &k);
	if (!e && ww_addr_is_v4(lip)) {
		k.l = any4;
		e = cache_find(a, &k);
	}
	if (!e) {
		k.l = any6;   /* a dual-stack [::] listener takes IPv4 too */
		e = cache_find(a, &k);
	}
	return e;
}

static struct nolisten *nolisten_slot(struct ww_attributor *a, const struct ckey *k)
{
	return &a->nolisten[ckey_hash(k) % NOLISTEN_SLOTS];
}

/* Did the kernel say, less than WW_ATTR_NOLISTEN_US ago, that nothing listens on k? */
static bool nolisten_fresh(struct ww_attributor *a, const struct ckey *k, ww_time_t now)
{
	const struct nolisten *n = nolisten_slot(a, k);
	return n->asked && now - n->asked <= WW_ATTR_NOLISTEN_US && memcmp(&n->k, k, sizeof(*k)) == 0;
}

/*
 * Resolve the local end lip:lport of a flow whose peer is rip:rport.
 * Returns true with `at` filled when an owner was found; false with a
 * reason (and possibly a "cached" owner) otherwise.
 */
static bool resolve(struct ww_attributor *a, struct ww_attrib *at, const struct ww_flow *f,
		    bool server_side, ww_time_t now)
{
	uint8_t proto = f->key.proto;
	const struct ww_addr *lip = server_side ? ww_flow_server_ip(f) : ww_flow_client_ip(f);
	const struct ww_addr *rip = server_side ? ww_flow_client_ip(f) : ww_flow_server_ip(f);
	uint16_t lport = server_side ? ww_flow_server_port(f) : ww_flow_client_port(f);
	uint16_t rport = server_side ? ww_flow_client_port(f) : ww_flow_server_port(f);
	struct ckey k = mkkey(proto, lip, lport, rip, rport, false);
	struct cent *e = cache_find(a, &k), *le = NULL;
	struct ww_sock s;
	int q;

	at->local_is_server = server_side;
	if (e && now - e->confirmed <= WW_ATTR_FRESH_US) {
		a->stats.cache_hits++;
		attach(at, e->own, e->inode, e->status);
		return true;
	}
	if (server_side || proto == WW_IPPROTO_UDP) {
		le = find_listener(a, proto, lip, lport);
		if (le && now - le->confirmed <= WW_ATTR_FRESH_US) {
			a->stats.cache_hits++;
			attach(at, le->own, le->inode, ST_LISTENER);
			return true;
		}
	}
	struct ckey nk = mkkey(proto, lip, lport, NULL, 0, true);
	bool inbound_tcp = server_side && proto == WW_IPPROTO_TCP;
	if (inbound_tcp && !e && !le && nolisten_fresh(a, &nk, now)) {
		a->stats.cache_hits++;
		set_reason(at, "no socket on local port %u: nothing listens there (the kernel refused or dropped it)",
			   lport);
		return false;
	}
	if (!take_token(a, now)) {
		a->stats.rate_limited++;
		if (e || le)
			goto cached;
		set_reason(at, "not looked up: more than %d new local flows per second (flood)",
			   WW_ATTR_QUERY_RATE);
		return false;
	}
	a->stats.queries++;
	q = ww_socktab_query_exact(a->st, proto, f->key.family, lip, lport, rip, rport, &s);
	if (q == 0 && s.inode == 0 && server_side && proto == WW_IPPROTO_TCP) {
		/* Not yet accepted (request socket, or established without a
		 * file): the listener that will accept it owns it. */
		a->stats.queries++;
		q = ww_socktab_query_exact(a->st, proto, f->key.family, lip, lport,
					   ww_addr_is_v4(lip) ? &any4 : &any6, 0, &s);
		if (q == 0 && s.state != WW_SS_LISTEN)
			q = -ENOENT;
	} else if (q == -ENOENT && inbound_tcp && !e && !le && take_token(a, now)) {
		/* No socket for the 5-tuple: remembered as "nothing listens"
		 * only when the listener lookup says so too (the SYN may be in
		 * the capture before the kernel made its request socket). */
		struct ww_sock ls;
		a->stats.queries++;
		int lq = ww_socktab_query_exact(a->st, proto, f->key.family, lip, lport,
						ww_addr_is_v4(lip) ? &any4 : &any6, 0, &ls);
		if (lq == -ENOENT || (lq == 0 && ls.state != WW_SS_LISTEN)) {
			struct nolisten *n = nolisten_slot(a, &nk);
			n->k = nk;
			n->asked = now;
		}
	}
	if (q == 0 && s.inode) {
		bool listener = s.state == WW_SS_LISTEN ||
				(proto == WW_IPPROTO_UDP && ww_netscope_is_unspecified(&s.remote));
		uint8_t status = listener ? ST_LISTENER : ST_EXACT;
		char why[REASON_LEN];
		struct oref *own = owner_of(a, s.inode, s.uid, listener, why, sizeof(why));
		if (own) {
			cache_put(a, &k, own, s.inode, status, now);
			if (listener) {
				struct ckey lk = mkkey(proto, &s.local, lport, NULL, 0, true);
				cache_put(a, &lk, own, s.inode, ST_LISTENER, now);
			}
			attach(at, own, s.inode, status);
			oref_put(own);
			return true;
		}
		if (e && e->inode == s.inode) {
			/* The process cache lost it but we knew it: still the same socket. */
			e->confirmed = now;
			attach(at, e->own, e->inode, e->status);
			return true;
		}
		at->inode = s.inode;
		set_reason(at, "%s", why);
		return false;
	}
	if (q == 0 || q == -ENOENT || q == -EOPNOTSUPP) {
		if (e || le)
			goto cached;
		if (q == -EOPNOTSUPP)
			set_reason(at, "sock_diag unavailable: the socket was not in the last table dump");
		else if (q == 0)
			set_reason(at, "socket closed before lookup (already in TIME_WAIT)");
		else if (server_side)
			set_reason(at, "no socket on local port %u: nothing listens there (the kernel refused or dropped it)",
				   lport);
		else
			set_reason(at, "socket closed before lookup");
		return false;
	}
	set_reason(at, "socket lookup failed: %s", strerror(-q));
	return false;
cached:
	{
		struct cent *c = e ? e : le;
		attach(at, c->own, c->inode, ST_CACHED);
		return true;
	}
}

/*
 * ICMP the kernel sends on its own: errors, neighbour discovery and
 * multicast listener messages, and every answer to a request from afar
 * (echo replies). `local_client`: this host sent the flow's first message.
 */
static bool kernel_icmp(const struct ww_flow *f, bool local_client)
{
	uint8_t t = f->icmp_type;
	if (!local_client)
		return true;   /* a remote request: the kernel answers it */
	if (f->key.proto == WW_IPPROTO_ICMP)
		return t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
	if (f->key.proto == WW_IPPROTO_ICMPV6)
		return t < 128 || (t >= 130 && t <= 143);   /* errors, MLD, NDP */
	return false;
}

/*
 * A local echo request (ping): its owner is the ICMP datagram socket whose
 * port is the echo identifier, else a raw ICMP socket (socktab.h). A ping
 * socket is the exact owner; a raw one is matched by protocol only, so it
 * is exact when it is the only raw ICMP socket and "cached" (a best guess:
 * the newest) when there are several, with the count in the reason.
 */
static bool resolve_icmp_echo(struct ww_attributor *a, struct ww_attrib *at,
			      const struct ww_flow *f, ww_time_t now)
{
	struct ww_sock s;
	unsigned n_raw = 0;
	char why[REASON_LEN];

	if (!take_token(a, now)) {
		a->stats.rate_limited++;
		set_reason(at, "not looked up: more than %d new local flows per second (flood)",
			   WW_ATTR_QUERY_RATE);
		return false;
	}
	a->stats.queries++;
	int q = ww_socktab_find_icmp(a->st, f->key.family, ww_flow_client_ip(f), f->key.port_a,
				     &s, &n_raw);
	if (q < 0) {
		set_reason(at, q == -ENOENT ? "no ping socket with echo id %u and no raw ICMP socket "
			   "(closed before lookup)" : "ICMP socket lookup failed (id %u)", f->key.port_a);
		return false;
	}
	struct oref *own = owner_of(a, s.inode, s.uid, false, why, sizeof(why));
	if (!own) {
		at->inode = s.inode;
		set_reason(at, "%s", why);
		return false;
	}
	attach(at, own, s.inode, n_raw > 1 ? ST_CACHED : ST_EXACT);
	oref_put(own);
	if (n_raw > 1)
		set_reason(at, "one of %u raw ICMP sockets (raw sockets match by protocol, not "
			   "echo id): the newest", n_raw);
	return true;
}

/* --- the kernel engine (kattr.h) ------------------------------------------------------
 *
 * Asked before everything above: its record of a socket's first packet was
 * written before the packet reached the capture, so it names the process
 * even when the process has exited since. A flow it did not see (a socket
 * opened before wirewho started, another namespace, a lost record) goes on
 * to the /proc + sock_diag path below. The initiator first, as there.
 */
void ww_attr_set_kernel(struct ww_attributor *a, struct ww_kattr *k)
{
	a->kattr = k;
}

/*
 * The container of a process the kernel named: from /proc/PID/cgroup while
 * it lives, else from what an earlier process of the same cgroup (by its
 * cgroup v2 id) showed: a container's processes share its cgroup, so the
 * short-lived client of a container that ran anything before is still
 * placed. A small direct-mapped cache; a collision costs a lookup, never a
 * wrong answer (the id is compared).
 */
static bool kernel_container(struct ww_attributor *a, const struct ww_kattr_hit *hit,
			     struct ww_cgroup_ident *out)
{
	struct cgcache *c = &a->cg[hit->cgroup_id % CGROUP_CACHE];
	if (!hit->exited) {
		int r = ww_procs_container(a->procs, hit->owner.pid, out);
		if (r >= 0 && hit->cgroup_id) {
			c->id = hit->cgroup_id;
			c->found = r > 0;
			c->c = *out;
		}
		if (r >= 0)
			return r > 0;
	}
	if (hit->cgroup_id && c->id == hit->cgroup_id && c->found) {
		*out = c->c;
		return true;
	}
	return false;
}

static bool kernel_attach(struct ww_attributor *a, struct ww_attrib *at, struct ww_kattr_hit *hitp,
			  bool server_side, uint16_t lport);

static bool kernel_resolve(struct ww_attributor *a, struct ww_attrib *at, const struct ww_flow *f,
			   bool lc, bool ls, ww_time_t now)
{
	for (int side = 0; side < 2; side++) {
		bool server_side = side == 1;
		if (!(server_side ? ls : lc))
			continue;
		const struct ww_addr *lip = server_side ? ww_flow_server_ip(f) : ww_flow_client_ip(f);
		const struct ww_addr *rip = server_side ? ww_flow_client_ip(f) : ww_flow_server_ip(f);
		uint16_t lport = server_side ? ww_flow_server_port(f) : ww_flow_client_port(f);
		uint16_t rport = server_side ? ww_flow_client_port(f) : ww_flow_server_port(f);
		struct ww_kattr_hit hit;
		if (ww_kattr_lookup(a->kattr, f->key.proto, lip, lport, rip, rport, server_side, now, &hit) < 0)
			continue;
		return kernel_attach(a, at, &hit, server_side, lport);
	}
	return false;
}

/*
 * Attach the process the kernel named, with who it is; status "kernel".
 * False when out of memory.
 */
static bool kernel_attach(struct ww_attributor *a, struct ww_attrib *at, struct ww_kattr_hit *hitp,
			  bool server_side, uint16_t lport)
{
	{
		struct ww_kattr_hit hit = *hitp;
		/* The kernel names the process; what it looks like is judged
		 * here as for every other owner (masquerading indicators). */
		char script[WW_PROCS_SCRIPT_MAX];
		hit.owner.indicators = ww_procs_indicators(a->procs, hit.owner.pid, hit.owner.comm,
							   hit.owner.exe, script, sizeof(script));
		hit.owner.script = script[0] ? script : NULL;
		/* Who it is: the command line while it lives (else what its exec
		 * record carried), the parent from the kernel's process table
		 * (else /proc), the program's digest when asked. */
		char cmdline[WW_OWNER_CMDLINE_MAX], pcomm[32], pexe[4096], sha[WW_SHA256_HEX];
		if (!hit.exited && ww_procs_cmdline(a->procs, hit.owner.pid, cmdline, sizeof(cmdline)) > 0)
			hit.owner.cmdline = cmdline;
		if (!hit.exited && hit.owner.ppid > 0 && (!hit.owner.parent_comm || !hit.owner.parent_exe) &&
		    ww_procs_parent(a->procs, hit.owner.pid, pcomm, sizeof(pcomm), pexe, sizeof(pexe)) ==
			    hit.owner.ppid) {
			if (!hit.owner.parent_comm && pcomm[0])
				hit.owner.parent_comm = pcomm;
			if (!hit.owner.parent_exe && pexe[0])
				hit.owner.parent_exe = pexe;
		}
		if (ww_procs_exe_sha256(a->procs, hit.exited ? -1 : hit.owner.pid, hit.owner.exe,
					sha, sizeof(sha)) == 0)
			hit.owner.exe_sha256 = sha;
		struct ww_cgroup_ident ctr;
		if (kernel_container(a, &hit, &ctr)) {
			hit.owner.container = ctr.has_container ? &ctr.c : NULL;
			hit.owner.pod_uid = ctr.has_container && ctr.pod_uid[0] ? ctr.pod_uid : NULL;
			hit.owner.unit = ctr.unit[0] ? ctr.unit : NULL;
		}
		struct oref *own = oref_new(&hit.owner);
		if (!own)
			return false;
		attach(at, own, 0, ST_KERNEL);
		oref_put(own);
		at->local_is_server = server_side;
		at->has_kev = true;
		at->kev = (struct ww_tl_kernel){ .tid = hit.tid, .cgroup_id = hit.cgroup_id,
						 .listener = hit.listener, .exited = hit.exited };
		if (hit.listener)
			set_reason(at, "listening on local port %u%s", lport,
				   hit.exited ? "; the process has exited" : "");
		else if (hit.exited)
			set_reason(at, "the process exited before this flow's first packet was read");
		a->stats.kernel_hits++;
		return true;
	}
}

/* --- other network namespaces (#12.3) ------------------------------------------------
 *
 * A flow neither of whose ends is ours may be a container's, seen on the
 * host side of its veth. The kernel engine first (its records of other
 * namespaces, by 5-tuple, taken only when one namespace alone reported it);
 * then the sock_diag tables of the namespaces that have the flow's
 * addresses (netns.h), the initiator first; the socket counts only when
 * exactly one namespace holds that 5-tuple, so namespaces that reuse
 * addresses never lend each other their sockets. The owner comes from the
 * process cache as for our own sockets (socket inodes and pids are the
 * host's, whatever the network namespace).
 */
void ww_attr_set_netns(struct ww_attributor *a, struct ww_netns_set *s)
{
	a->nsset = s;
}

#define NS_CANDIDATES 8   /* namespaces asked per address: more that share it is a lab, not a host */

/* A flow's 5-tuple, client -> server: the flow's own, or the inside one behind a NAT. */
struct tup {
	uint8_t proto;
	int family;
	struct ww_addr cip, sip;
	uint16_t cport, sport;
};

static struct tup flow_tup(const struct ww_flow *f)
{
	struct tup t = { .proto = f->key.proto, .family = f->key.family, .cip = *ww_flow_client_ip(f),
			 .sip = *ww_flow_server_ip(f), .cport = ww_flow_client_port(f),
			 .sport = ww_flow_server_port(f) };
	return t;
}

static bool netns_resolve(struct ww_attributor *a, struct ww_attrib *at, const struct tup *t,
			  ww_time_t now)
{
	uint8_t proto = t->proto;
	char why[REASON_LEN] = "";
	for (int side = 0; side < 2; side++) {
		bool server_side = side == 1;
		const struct ww_addr *lip = server_side ? &t->sip : &t->cip;
		const struct ww_addr *rip = server_side ? &t->cip : &t->sip;
		uint16_t lport = server_side ? t->sport : t->cport;
		uint16_t rport = server_side ? t->cport : t->sport;
		size_t cand[NS_CANDIDATES];
		size_t nc = ww_netns_with_addr(a->nsset, lip, cand, NS_CANDIDATES);
		if (nc > NS_CANDIDATES)
			nc = NS_CANDIDATES;
		struct ww_sock found;
		size_t holders = 0, which = 0;
		for (size_t i = 0; i < nc; i++) {
			struct ww_sock s;
			if (!take_token(a, now)) {
				a->stats.rate_limited++;
				break;
			}
			a->stats.queries++;
			struct ww_socktab *tab = ww_netns_socktab(a->nsset, cand[i]);
			int q = ww_socktab_query_exact(tab, proto, t->family, lip, lport, rip, rport, &s);
			if (q == 0 && s.inode == 0 && server_side && proto == WW_IPPROTO_TCP) {
				a->stats.queries++;
				q = ww_socktab_query_exact(tab, proto, t->family, lip, lport,
							   ww_addr_is_v4(lip) ? &any4 : &any6, 0, &s);
				if (q == 0 && s.state != WW_SS_LISTEN)
					q = -ENOENT;
			}
			if (q == 0 && s.inode) {
				if (holders++ == 0) {
					found = s;
					which = cand[i];
				}
			}
		}
		if (holders > 1) {
			snprintf(why, sizeof(why), "%zu network namespaces hold this %s socket: not attributed",
				 holders, server_side ? "server's" : "client's");
			continue;
		}
		if (holders == 0)
			continue;
		bool listener = found.state == WW_SS_LISTEN ||
				(proto == WW_IPPROTO_UDP && ww_netscope_is_unspecified(&found.remote));
		struct oref *own = owner_of(a, found.inode, found.uid, listener, why, sizeof(why));
		if (!own) {
			at->inode = found.inode;
			continue;
		}
		attach(at, own, found.inode, listener ? ST_LISTENER : ST_EXACT);
		oref_put(own);
		at->local_is_server = server_side;
		const char *name = ww_netns_name(a->nsset, which);
		set_reason(at, "in network namespace %s%snet:[%llu]%s", name, name[0] ? " (" : "",
			   (unsigned long long)ww_netns_ino(a->nsset, which), name[0] ? ")" : "");
		a->stats.netns_hits++;
		return true;
	}
	if (why[0])
		set_reason(at, "%s", why);
	return false;
}

/* The kernel engine's records of other namespaces (kattr.h, ww_kattr_lookup_foreign()). */
static bool kernel_foreign_resolve(struct ww_attributor *a, struct ww_attrib *at, const struct tup *t,
				   ww_time_t now)
{
	for (int side = 0; side < 2; side++) {
		bool server_side = side == 1;
		const struct ww_addr *lip = server_side ? &t->sip : &t->cip;
		const struct ww_addr *rip = server_side ? &t->cip : &t->sip;
		uint16_t lport = server_side ? t->sport : t->cport;
		uint16_t rport = server_side ? t->cport : t->sport;
		struct ww_kattr_hit hit;
		uint64_t cookie = 0;
		if (ww_kattr_lookup_foreign(a->kattr, t->proto, lip, lport, rip, rport, server_side, now,
					    &hit, &cookie) < 0)
			continue;
		if (!kernel_attach(a, at, &hit, server_side, lport))
			return false;
		set_reason(at, "in another network namespace (cookie %llu)%s", (unsigned long long)cookie,
			   hit.exited ? "; the process has exited" : "");
		return true;
	}
	return false;
}

/*
 * A flow captured after a NAT (conntrack.h): its inside 5-tuple, then the
 * owner of that, in whichever namespace (the masqueraded network is
 * usually the router's containers or namespaces). False when the flow was
 * not translated or its inside owner was not found: then the flow goes the
 * usual way.
 */
void ww_attr_set_conntrack(struct ww_attributor *a, struct ww_ct *c)
{
	a->ct = c;
}

static bool nat_resolve(struct ww_attributor *a, struct ww_flow *f, ww_time_t now)
{
	struct tup in = flow_tup(f), t = in;
	if (ww_ct_lookup(a->ct, in.proto, &in.cip, in.cport, &in.sip, in.sport, now, &t.cip, &t.cport,
			 &t.sip, &t.sport) < 0)
		return false;
	struct ww_attrib *at = calloc(1, sizeof(*at));
	if (!at)
		return false;
	at->status = ST_UNRESOLVED;
	bool ok = (a->kattr && kernel_foreign_resolve(a, at, &t, now)) ||
		  (ww_netns_count(a->nsset) && netns_resolve(a, at, &t, now));
	if (!ok) {
		oref_put(at->ref);
		free(at);
		return false;
	}
	char inside[2 * WW_ADDRSTRLEN + 32], c[WW_ADDRSTRLEN];
	snprintf(inside, sizeof(inside), "%s:%u", ww_addr_str(&t.cip, t.family, c), t.cport);
	char prev[REASON_LEN];
	snprintf(prev, sizeof(prev), "%s", at->reason ? at->reason : "");
	set_reason(at, "through NAT from %s; %s", inside, prev);
	a->stats.nat_hits++;
	f->attr = at;
	return true;
}

static void live_flow_new(struct ww_attributor *a, struct ww_flow *f, ww_time_t ts)
{
	bool lc = ww_netaddr_is_local(a->na, ww_flow_client_ip(f));
	bool ls = ww_netaddr_is_local(a->na, ww_flow_server_ip(f));
	uint8_t proto = f->key.proto;

	if (a->ct && (proto == WW_IPPROTO_TCP || proto == WW_IPPROTO_UDP) && nat_resolve(a, f, ts))
		return;
	if (!lc && !ls) {
		if ((a->kattr || ww_netns_count(a->nsset)) &&
		    (f->key.proto == WW_IPPROTO_TCP || f->key.proto == WW_IPPROTO_UDP)) {
			struct ww_attrib *at = calloc(1, sizeof(*at));
			struct tup t = flow_tup(f);
			if (at) {
				at->status = ST_UNRESOLVED;
				if ((a->kattr && kernel_foreign_resolve(a, at, &t, ts)) ||
				    (ww_netns_count(a->nsset) && netns_resolve(a, at, &t, ts))) {
					f->attr = at;
					return;
				}
				oref_put(at->ref);
				free(at);
			}
		}
		a->stats.not_local++;
		f->attr = &not_local_attr;
		return;
	}
	struct ww_attrib *at = calloc(1, sizeof(*at));
	if (!at) {
		f->attr = NULL;   /* described as unresolved: out of memory */
		a->oom = true;    /* and the run ends with exit 1 (#17.2) */
		return;
	}
	f->attr = at;
	at->status = ST_UNRESOLVED;
	at->local_is_server = !lc;
	if (proto != WW_IPPROTO_TCP && proto != WW_IPPROTO_UDP) {
		if (a->st && lc && ((proto == WW_IPPROTO_ICMP && f->key.port_b == 8) ||
				    (proto == WW_IPPROTO_ICMPV6 && f->key.port_b == 128))) {
			if (!resolve_icmp_echo(a, at, f, ts))
				a->stats.unresolved++;
			return;
		}
		a->stats.unresolved++;
		if (kernel_icmp(f, lc)) {
			at->kernel = true;
			set_reason(at, "sent by the kernel (ICMP error, echo reply or neighbour discovery), "
				   "not by a process");
			return;
		}
		set_reason(at, "%s from a raw or ping socket: these have no ports to look up per flow",
			   proto == WW_IPPROTO_ICMP ? "ICMP" : proto == WW_IPPROTO_ICMPV6 ? "ICMPv6"
										    : "this IP protocol");
		return;
	}
	if (a->kattr && kernel_resolve(a, at, f, lc, ls, ts))
		return;
	/* The initiator first: on loopback both ends are ours, and the client
	 * is the one that chose to talk. */
	if (lc && resolve(a, at, f, false, ts))
		return;
	if (ls) {
		char first[REASON_LEN];
		memcpy(first, at->reason_buf, sizeof(first));
		if (resolve(a, at, f, true, ts))
			return;
		if (lc) {   /* keep the client side's reason: it was asked first */
			memcpy(at->reason_buf, first, sizeof(first));
			at->reason = at->reason_buf;
			at->local_is_server = false;
		}
	}
	a->stats.unresolved++;
}

int ww_attr_periodic(struct ww_attributor *a, ww_time_t now)
{
	const struct ww_sock *socks;
	size_t n;
	int rc;

	if (!a->st)
		return 0;
	if (a->kattr)
		ww_kattr_poll(a->kattr, now);   /* between flows too: exec storms must not fill the ring */
	(void)ww_netns_refresh(a->nsset, now);   /* a failed dump keeps the old addresses */
	cache_expire(a, now);
	/* Refresh only when flows arrived: an idle host costs nothing. */
	if (a->last_refresh && (now - a->last_refresh < WW_ATTR_REFRESH_US ||
				a->stats.flows == a->flows_at_refresh))
		return 0;
	a->last_refresh = now;
	a->flows_at_refresh = a->stats.flows;
	a->stats.refreshes++;
	if ((rc = ww_socktab_dump(a->st, WW_SOCKTAB_TCP | WW_SOCKTAB_UDP)) < 0)
		return rc;
	socks = ww_socktab_socks(a->st, &n);
	uint64_t *want = malloc((n ? n : 1) * sizeof(*want));
	if (!want)
		return -ENOMEM;
	size_t nw = 0;
	for (size_t i = 0; i < n; i++)
		if (socks[i].inode)
			want[nw++] = socks[i].inode;
	rc = ww_procs_refresh(a->procs, want, nw);
	free(want);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const struct ww_sock *s = &socks[i];
		const struct ww_proc *pp[OWNERS_MAX];
		size_t no;
		if (!s->inode || (no = ww_procs_owners(a->procs, s->inode, pp, OWNERS_MAX)) == 0)
			continue;
		if (s->proto != WW_IPPROTO_TCP && s->proto != WW_IPPROTO_UDP)
			continue;
		bool listener = s->state == WW_SS_LISTEN ||
				(s->proto == WW_IPPROTO_UDP && ww_netscope_is_unspecified(&s->remote));
		if (no > OWNERS_MAX)
			no = OWNERS_MAX;
		if (listener && !listener_complete(a, s->inode))
			listener_mark_complete(a, s->inode);   /* a full refresh just ran */
		struct ckey k = mkkey(s->proto, &s->local, s->lport, &s->remote, s->rport, listener);
		struct cent *e = cache_find(a, &k);
		if (e && e->inode == s->inode) {
			e->confirmed = now;   /* same socket, same owner: nothing to copy */
			continue;
		}
		struct oref *own = oref_with_others(pp, no, pick_holder(pp, no, listener));
		if (!own)
			return -ENOMEM;
		cache_put(a, &k, own, s->inode, listener ? ST_LISTENER : ST_EXACT, now);
		oref_put(own);
	}
	return 0;
}

/* --- recorded (replay) ---------------------------------------------------------- */

static void recorded_flow_new(struct ww_attributor *a, struct ww_flow *f)
{
	const struct ww_tl_rec *r = ww_timeline_find(a->tl, &f->key, f->first);
	struct ww_attrib *at;

	if (r && strcmp(r->status, "not_local") == 0) {
		a->stats.not_local++;
		f->attr = &not_local_attr;
		return;
	}
	at = calloc(1, sizeof(*at));
	f->attr = at;
	if (!at) {
		a->oom = true;   /* described as out of memory; the run ends with exit 1 */
		return;
	}
	at->status = ST_UNRESOLVED;
	if (!r) {
		a->stats.unresolved++;
		set_reason(at, "not in the recorded timeline");
		return;
	}
	at->local_is_server = r->local_is_server;
	at->inode = r->inode;
	if (r->has_owner) {
		at->status = ST_RECORDED;
		at->owner = &r->owner;
		set_reason(at, "live: %s", r->status);
	} else {
		a->stats.unresolved++;
		set_reason(at, "%s", r->reason);
		/* The live run judged the kernel's own ICMP as nobody's (no alert):
		 * the same flow from the recording is the kernel's too (#11.7). */
		if (f->key.proto != WW_IPPROTO_TCP && f->key.proto != WW_IPPROTO_UDP)
			at->kernel = kernel_icmp(f, !r->local_is_server);
	}
}

/* --- pipeline hooks ----------------------------------------------------------------- */

static void op_flow_new(void *ud, struct ww_flow *f, const struct ww_pkt *p, ww_time_t ts)
{
	struct ww_attributor *a = ud;
	(void)p;
	a->stats.flows++;
	if (a->tl)
		recorded_flow_new(a, f);
	else
		live_flow_new(a, f, ts);
}

static void op_describe(void *ud, const struct ww_flow *f, struct ww_flow_view *v)
{
	const struct ww_attrib *at = f->attr;
	(void)ud;
	if (!at) {
		v->attr_status = status_names[ST_UNRESOLVED];
		v->attr_reason = "out of memory during lookup";
		return;
	}
	v->owner = at->owner;
	v->attr_status = status_names[at->status];
	v->attr_reason = at->reason ? at->reason : "";
}

static int judge_flow(struct ww_attributor *a, const struct ww_flow *f, const struct ww_flow_view *v,
		      struct ww_alert *out, int max)
{
	struct ww_attrib *at = f->attr;
	if (!a->judge || !at || at == &not_local_attr || at->judged)
		return 0;
	at->judged = true;
	struct ww_judge_flow in = {
		.f = f,
		.owner = at->owner,
		.status = status_names[at->status],
		.reason = at->reason,
		.local = at->status != ST_NOT_LOCAL && at->status != ST_NONE,
		.local_is_server = at->local_is_server,
		.kernel = at->kernel,
	};
	const char *by;
	in.host = v ? ww_meta_dst_name(v->meta, &by, &in.host_len) : NULL;   /* host= rules */
	return ww_judge_flow(a->judge, &in, f->first, out, max);
}

static int op_judge_new(void *ud, const struct ww_flow *f, const struct ww_flow_view *v,
			struct ww_alert *out, int max)
{
	return judge_flow(ud, f, v, out, max);
}

static int op_judge(void *ud, const struct ww_flow *f, const struct ww_flow_view *v,
		    struct ww_alert *out, int max)
{
	return judge_flow(ud, f, v, out, max);   /* no-op when judged at the first packet */
}

/* A policy app= rule for this flow's proven protocol (pipeline.h). */
static bool op_explains_app(void *ud, const struct ww_flow *f, const char *app)
{
	struct ww_attributor *a = ud;
	struct ww_attrib *at = f->attr;
	if (!a->judge || !at || at == &not_local_attr)
		return false;
	struct ww_judge_flow in = {
		.f = f, .owner = at->owner, .status = status_names[at->status], .reason = at->reason,
		.local = at->status != ST_NOT_LOCAL && at->status != ST_NONE,
		.local_is_server = at->local_is_server, .kernel = at->kernel,
	};
	return ww_judge_explains_app(a->judge, &in, app);
}

static int op_pending(void *ud, ww_time_t now, bool final, struct ww_alert *out, int max)
{
	struct ww_attributor *a = ud;
	return a->judge ? ww_judge_flush(a->judge, now, final, out, max) : 0;
}

static void op_flow_end(void *ud, struct ww_flow *f)
{
	struct ww_attributor *a = ud;
	struct ww_attrib *at = f->attr;
	if (a->rec) {
		if (at)
			ww_timeline_binding_kernel(a->rec, f, at->owner, at->inode, status_names[at->status],
						   at->reason, at->local_is_server,
						   at->has_kev ? &at->kev : NULL);
		else
			ww_timeline_binding(a->rec, f, NULL, 0, "unresolved", "out of memory during lookup", false);
	}
	if (at && at != &not_local_attr) {
		oref_put(at->ref);
		free(at);
	}
	f->attr = NULL;
}

static bool op_out_of_memory(void *ud)
{
	return ((const struct ww_attributor *)ud)->oom;
}

const struct ww_attrib_ops ww_attr_ops = {
	.flow_new = op_flow_new,
	.describe = op_describe,
	.judge = op_judge,
	.flow_end = op_flow_end,
	.judge_new = op_judge_new,
	.pending = op_pending,
	.explains_app = op_explains_app,
	.out_of_memory = op_out_of_memory,
};
