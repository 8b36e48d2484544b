/*
 * flows.c - the flow engine: orientation, counters, TCP state, timeouts,
 * eviction (the key is flowkey.c, the table flowtab.c).
 *
 * The engine keeps every live flow on exactly one of five LRU lists, one per
 * timeout class (TCP established, TCP not established, closed, UDP, other).
 * A packet moves its flow to the tail of its class's list, so each list is
 * ordered by last activity and both expiry and eviction are O(1): expiry
 * pops heads whose idle time exceeds the class timeout; eviction under the
 * --max-flows cap pops the head that was least recently active across the
 * five lists. Links are uint32 pool indexes (half the size of pointers).
 *
 * Moving a flow on every packet would touch its two list neighbours, two
 * cold cache lines per packet. So a flow is re-linked only when its class
 * changes or when it was last linked WW_RELINK_US or more ago; `lru_stamp`
 * records when. Lists stay sorted by stamp, and a flow's true last activity
 * is never older than its stamp, so expiry looks at heads whose stamp is
 * old, expires those whose last packet is old too, and re-links the rest.
 * Eviction takes the head that was least recently active: exact to within
 * WW_RELINK_US.
 *
 * Timeouts use packet time only. A flow's own timeout is checked when its
 * next packet arrives, so results are exact whatever the sweep cadence; the
 * periodic sweep (WW_SWEEP_INTERVAL_US of packet time) only decides *when*
 * idle flows are emitted, which keeps per-packet work to a compare.
 *
 * Orientation: whoever sends a SYN without ACK is the client; whoever sends
 * SYN+ACK is the server. Without a handshake (mid-stream TCP, UDP), the side
 * on a well-known port (< 1024) is the server; else the side not in the
 * ephemeral range (>= 32768, Linux's default) is; else the lower port; on a
 * tie the first packet's sender is the client. Before the port rules: a
 * broadcast or multicast address is never the client, port 0 is never the
 * server, a port whose standard role is the client's (DHCP 68, DHCPv6 546)
 * is the client's, and a port the port tables know (a protocol's standard
 * port, a services-database name) is the server's against one they do not. ICMP: the sender of a request
 * (or of a one-way message) is the client; a reply's receiver is.
 */
#include "wirewho/flows.h"
#include "wirewho/flowtab.h"
#include "wirewho/ports.h"

#include <stddef.h>
#include <stdlib.h>

#define WW_SWEEP_INTERVAL_US   (100 * 1000)  /* 0.1 s of packet time between expiry sweeps */
#define WW_RELINK_US           WW_USEC_PER_SEC  /* lazy LRU: re-link a busy flow at most once a second */
#define WW_EPHEMERAL_MIN       32768         /* Linux ip_local_port_range default start */
#define WW_WELL_KNOWN_MAX      1023
#define WW_PREFETCH_LINE       64            /* cache line: a victim's record is fetched line by line */

struct lru {
	uint32_t head, tail;
};

struct ww_flows {
	struct ww_flowtab *tab;
	struct lru lists[WW_TMO_NCLASSES];
	ww_time_t tmo_us[WW_TMO_NCLASSES];
	ww_time_t now;          /* latest packet time seen */
	ww_time_t next_sweep;   /* packet time of the next expiry sweep */
	uint64_t next_id;
	uint64_t evicted;
	ww_flow_end_cb on_end;
	void *ud;
};

/* --- LRU lists ------------------------------------------------------------ */

static void lru_unlink(struct ww_flows *fs, struct ww_flow *f)
{
	struct lru *l = &fs->lists[f->tmo_class];
	if (f->lru_prev != WW_FLOWTAB_NONE)
		ww_flowtab_at(fs->tab, f->lru_prev)->lru_next = f->lru_next;
	else
		l->head = f->lru_next;
	if (f->lru_next != WW_FLOWTAB_NONE)
		ww_flowtab_at(fs->tab, f->lru_next)->lru_prev = f->lru_prev;
	else
		l->tail = f->lru_prev;
}

static uint32_t stamp_of(ww_time_t t)
{
	return t <= 0 ? 0 : (uint32_t)(t / WW_USEC_PER_SEC);
}

static void lru_append(struct ww_flows *fs, struct ww_flow *f, uint32_t idx)
{
	struct lru *l = &fs->lists[f->tmo_class];
	f->lru_stamp = stamp_of(fs->now);
	f->lru_next = WW_FLOWTAB_NONE;
	f->lru_prev = l->tail;
	if (l->tail != WW_FLOWTAB_NONE)
		ww_flowtab_at(fs->tab, l->tail)->lru_next = idx;
	else
		l->head = idx;
	l->tail = idx;
}

/* --- lifecycle -------------------------------------------------------------- */

static const uint32_t def_tmo[WW_TMO_NCLASSES] = {
	[WW_TMO_TCP_EST] = WW_DEFAULT_TMO_TCP_EST,
	[WW_TMO_TCP_NEW] = WW_DEFAULT_TMO_TCP_NEW,
	[WW_TMO_CLOSED] = WW_DEFAULT_TMO_CLOSED,
	[WW_TMO_UDP] = WW_DEFAULT_TMO_UDP,
	[WW_TMO_OTHER] = WW_DEFAULT_TMO_OTHER,
};


struct ww_flows *ww_flows_new(const struct ww_flow_cfg *cfg, uint64_t seed,
			      ww_flow_end_cb on_end, void *ud)
{
	struct ww_flows *fs = calloc(1, sizeof(*fs));
	uint32_t max = cfg && cfg->max_flows ? cfg->max_flows : WW_DEFAULT_MAX_FLOWS;

	if (!fs)
		return NULL;
	fs->tab = ww_flowtab_new(max, seed);
	if (!fs->tab) {
		free(fs);
		return NULL;
	}
	for (int i = 0; i < WW_TMO_NCLASSES; i++) {
		uint32_t s = cfg && cfg->timeout_s[i] ? cfg->timeout_s[i] : def_tmo[i];
		fs->tmo_us[i] = (ww_time_t)s * WW_USEC_PER_SEC;
		fs->lists[i].head = fs->lists[i].tail = WW_FLOWTAB_NONE;
	}
	fs->now = INT64_MIN;
	fs->next_sweep = INT64_MIN;
	fs->next_id = 1;
	fs->on_end = on_end;
	fs->ud = ud;
	return fs;
}

void ww_flows_free(struct ww_flows *fs)
{
	if (!fs)
		return;
	ww_flowtab_free(fs->tab);
	free(fs);
}

/* Emit a flow and give its slot back. */
static void end_flow(struct ww_flows *fs, struct ww_flow *f, enum ww_flow_end why)
{
	f->end_reason = (uint8_t)why;
	lru_unlink(fs, f);
	if (fs->on_end)
		fs->on_end(f, fs->ud);
	ww_flowtab_remove(fs->tab, f);
}

static void sweep(struct ww_flows *fs)
{
	for (int c = 0; c < WW_TMO_NCLASSES; c++) {
		while (fs->lists[c].head != WW_FLOWTAB_NONE) {
			struct ww_flow *f = ww_flowtab_at(fs->tab, fs->lists[c].head);
			/* The stamp (whole seconds, rounded down) is no later than
			 * the flow's last packet, and every flow behind it was
			 * linked later: nothing here can have expired yet. */
			if (fs->now - (ww_time_t)f->lru_stamp * WW_USEC_PER_SEC <= fs->tmo_us[c])
				break;
			if (fs->now - f->last > fs->tmo_us[c]) {
				end_flow(fs, f, f->tmo_class == WW_TMO_CLOSED ? WW_END_CLOSED : WW_END_TIMEOUT);
				continue;
			}
			/* An old stamp, a recent last packet: the flow had packets
			 * less than WW_RELINK_US after it was linked (a later one
			 * would have re-linked it), so it expires within that long,
			 * unless a packet re-links it first. Wait for it here.
			 * Re-linking it to the tail instead, as an earlier version
			 * did, put off its expiry by a whole timeout: flows closed
			 * in a capture's last twenty seconds were reported open at
			 * its end. Flows behind it wait at most WW_RELINK_US. */
			break;
		}
	}
}

/*
 * Under a flood of new flows every packet evicts one, and the victim was
 * cold: its record (the key and counters for its end, its stored hash) and
 * then, dependent on that hash, the table chunk that ww_flowtab_remove()
 * must find it in - two misses in a row, a fifth of a new flow's cost
 * (perf, replay of bench/flood_gen.c's 'new' capture). The next victims are
 * known in advance: the ones after this one on its list (the list is in
 * order of activity, and a flood appends behind them). So, one eviction
 * ahead: the chunk of the next victim (its record, and so its hash, came
 * in at the eviction before), and every line of the record of the one
 * after it. Prefetches only: nothing is read that the eviction would not
 * read, and a wrong guess (another list's head is older) costs nothing.
 */
static void prefetch_next_victims(struct ww_flows *fs, const struct ww_flow *victim)
{
	if (victim->lru_next == WW_FLOWTAB_NONE)
		return;
	const struct ww_flow *n1 = ww_flowtab_at(fs->tab, victim->lru_next);
	ww_flowtab_prefetch(fs->tab, n1->hash);
	if (n1->lru_next == WW_FLOWTAB_NONE)
		return;
	const char *n2 = (const char *)ww_flowtab_at(fs->tab, n1->lru_next);
	for (size_t off = 0; off < sizeof(struct ww_flow); off += WW_PREFETCH_LINE)
		__builtin_prefetch(n2 + off, 1);
	__builtin_prefetch(n2 + sizeof(struct ww_flow) - 1, 1);
}

static void evict_one(struct ww_flows *fs)
{
	struct ww_flow *oldest = NULL;
	for (int c = 0; c < WW_TMO_NCLASSES; c++) {
		if (fs->lists[c].head == WW_FLOWTAB_NONE)
			continue;
		struct ww_flow *f = ww_flowtab_at(fs->tab, fs->lists[c].head);
		if (!oldest || f->last < oldest->last)
			oldest = f;
	}
	if (oldest) {
		fs->evicted++;
		prefetch_next_victims(fs, oldest);
		end_flow(fs, oldest, WW_END_EVICTED);
	}
}

static bool port_is_server(uint16_t p, uint16_t other)
{
	bool wk = p <= WW_WELL_KNOWN_MAX, owk = other <= WW_WELL_KNOWN_MAX;
	if (wk != owk)
		return wk;
	bool eph = p >= WW_EPHEMERAL_MIN, oeph = other >= WW_EPHEMERAL_MIN;
	if (eph != oeph)
		return oeph;
	return p < other;
}

/* A group address (IPv4 limited broadcast or multicast, IPv6 multicast): never a client. */
static bool addr_is_group(const struct ww_addr *a, uint8_t family)
{
	if (family == 6)
		return a->b[0] == 0xff;
	const uint8_t *v4 = a->b + 12;
	return (v4[0] & 0xf0) == 0xe0 || (v4[0] == 255 && v4[1] == 255 && v4[2] == 255 && v4[3] == 255);
}

/*
 * Ports whose standard role is the client's, where the server's port is as
 * well known: DHCP's 68 (the server is 67) and DHCPv6's 546 (547). The
 * lower-port rule would make them the server.
 */
static bool port_is_client_role(uint16_t p, uint8_t proto)
{
	return proto == WW_IPPROTO_UDP && (p == 68 || p == 546);
}

/*
 * A port the port tables know: the standard port of a protocol the
 * classifier detects, or a port the services database names. A server's
 * port, against one they do not know (both known: the port rules decide).
 */
static bool port_is_known(uint16_t p, uint8_t proto)
{
	return ww_ports_protocol_of(p, proto) != NULL || ww_ports_service(p, proto) != NULL;
}

/* Decide whether the packet's source is the client of a new flow. */
static bool src_is_client(const struct ww_pkt *p)
{
	if (p->proto == WW_IPPROTO_TCP && (p->tcp_flags & WW_TCP_SYN))
		return !(p->tcp_flags & WW_TCP_ACK);
	if (ww_proto_is_icmp(p->proto)) {
		bool reply;
		ww_flowkey_icmp_request(p->proto, p->icmp_type, &reply);
		return !reply;
	}
	/* A broadcast or multicast address is never the client. */
	if (WW_UNLIKELY(addr_is_group(&p->src, p->family)))
		return false;
	if (addr_is_group(&p->dst, p->family))
		return true;
	if (p->has_ports && p->sport != p->dport) {
		/* Port 0 is never the server. */
		if (WW_UNLIKELY(p->dport == 0))
			return false;
		if (WW_UNLIKELY(p->sport == 0))
			return true;
		bool sc = port_is_client_role(p->sport, p->proto), dc = port_is_client_role(p->dport, p->proto);
		if (sc != dc)
			return sc;
		bool sk = port_is_known(p->sport, p->proto), dk = port_is_known(p->dport, p->proto);
		if (sk != dk)
			return dk;
		return !port_is_server(p->sport, p->dport);
	}
	return true;
}

static enum ww_tmo_class class_of(const struct ww_flow *f)
{
	switch (f->key.proto) {
	case WW_IPPROTO_TCP:
		if (f->tcp & WW_TCPS_CLOSED)
			return WW_TMO_CLOSED;
		return (f->tcp & WW_TCPS_EST) ? WW_TMO_TCP_EST : WW_TMO_TCP_NEW;
	case WW_IPPROTO_UDP:
		return WW_TMO_UDP;
	default:
		return WW_TMO_OTHER;
	}
}

static void tcp_update(struct ww_flow *f, enum ww_dir dir, uint8_t fl)
{
	if (fl & WW_TCP_SYN) {
		if (!(fl & WW_TCP_ACK))
			f->tcp |= WW_TCPS_SYN_C;
		else
			f->tcp |= WW_TCPS_SYN_S;
	} else if (dir == WW_DIR_TOSERVER && (fl & WW_TCP_ACK) && (f->tcp & WW_TCPS_SYN_S)) {
		f->tcp |= WW_TCPS_EST;
	} else if (!(f->tcp & (WW_TCPS_SYN_C | WW_TCPS_SYN_S)) && f->pkts[0] && f->pkts[1]) {
		f->tcp |= WW_TCPS_EST;   /* picked up mid-stream, traffic both ways */
	}
	if (fl & WW_TCP_FIN)
		f->tcp |= dir == WW_DIR_TOSERVER ? WW_TCPS_FIN_C : WW_TCPS_FIN_S;
	if (fl & WW_TCP_RST)
		f->tcp |= WW_TCPS_RST;
	if ((f->tcp & WW_TCPS_RST) ||
	    (f->tcp & (WW_TCPS_FIN_C | WW_TCPS_FIN_S)) == (WW_TCPS_FIN_C | WW_TCPS_FIN_S))
		f->tcp |= WW_TCPS_CLOSED;
}

void ww_flows_prepare(struct ww_flows *fs, const struct ww_pkt *p, struct ww_flow_prep *pp)
{
	ww_flowkey_from_pkt(p, &pp->key, &pp->src_is_a);
	pp->hash = ww_flowtab_hash(fs->tab, &pp->key);
	ww_flowtab_prefetch(fs->tab, pp->hash);
}

void ww_flows_prepare_key(struct ww_flows *fs, struct ww_flow_prep *pp)
{
	pp->hash = ww_flowtab_hash(fs->tab, &pp->key);
	ww_flowtab_prefetch(fs->tab, pp->hash);
}

void ww_flows_prefetch_record(struct ww_flows *fs, const struct ww_flow_prep *pp)
{
	ww_flowtab_prefetch_record(fs->tab, pp->hash);
}

struct ww_flow *ww_flows_packet(struct ww_flows *fs, const struct ww_pkt *p,
				ww_time_t ts, enum ww_dir *dir)
{
	struct ww_flow_prep pp;
	ww_flowkey_from_pkt(p, &pp.key, &pp.src_is_a);
	pp.hash = ww_flowtab_hash(fs->tab, &pp.key);
	return ww_flows_packet_prepared(fs, p, ts, &pp, dir);
}

struct ww_flow *ww_flows_packet_prepared(struct ww_flows *fs, const struct ww_pkt *p,
					 ww_time_t ts, const struct ww_flow_prep *pp,
					 enum ww_dir *dir)
{
	const struct ww_flowkey *kp = &pp->key;
	const bool src_is_a = pp->src_is_a;
	const uint64_t h = pp->hash;
	struct ww_flow *f;

	if (ts > fs->now)
		fs->now = ts;
	if (fs->now >= fs->next_sweep) {
		sweep(fs);
		fs->next_sweep = fs->now + WW_SWEEP_INTERVAL_US;
	}

	f = ww_flowtab_lookup(fs->tab, kp, h);

	if (f) {
		bool syn_only = p->proto == WW_IPPROTO_TCP &&
				(p->tcp_flags & (WW_TCP_SYN | WW_TCP_ACK)) == WW_TCP_SYN;
		if (ts - f->last > fs->tmo_us[f->tmo_class]) {
			end_flow(fs, f, f->tmo_class == WW_TMO_CLOSED ? WW_END_CLOSED : WW_END_TIMEOUT);
			f = NULL;
		} else if (syn_only && (f->tcp & WW_TCPS_CLOSED)) {
			end_flow(fs, f, WW_END_REUSED);   /* port reuse: a new connection */
			f = NULL;
		}
	}

	if (!f) {
		if (ww_flowtab_count(fs->tab) >= ww_flowtab_capacity(fs->tab))
			evict_one(fs);
		f = ww_flowtab_insert(fs->tab, kp, h);
		if (WW_UNLIKELY(!f))
			return NULL;   /* cannot happen: we just made room */
		f->id = fs->next_id++;
		f->first = f->last = ts;
		f->tunnel = p->tunnel;
		bool src_client = src_is_client(p);
		f->client_is_a = src_client == src_is_a;
		f->icmp_type = p->icmp_type;
		f->icmp_code = p->icmp_code;
		if (ww_proto_is_icmp(p->proto) && !src_client) {
			/* The first message is a reply: record the request the
			 * client would have sent, for the Community ID. */
			bool reply;
			f->icmp_type = (uint8_t)ww_flowkey_icmp_request(p->proto, p->icmp_type, &reply);
			f->icmp_code = 0;
		}
	} else {
		if (ts > f->last)
			f->last = ts;
		else if (WW_UNLIKELY(ts < f->last) && ts < f->first)
			f->first = ts;   /* out of order: the only per-packet read of `first` (cold) */
	}

	enum ww_dir d = (src_is_a == (bool)f->client_is_a) ? WW_DIR_TOSERVER : WW_DIR_TOCLIENT;
	f->pkts[d]++;
	f->bytes[d] += p->ip_len;
	if (p->payload_len)
		f->payload_pkts[d]++;
	if (p->proto == WW_IPPROTO_TCP)
		tcp_update(f, d, p->tcp_flags);

	uint8_t cls = (uint8_t)class_of(f);
	uint32_t idx = ww_flowtab_index(fs->tab, f);
	if (f->pkts[0] + f->pkts[1] == 1) {
		f->tmo_class = cls;              /* new flow: link it */
		lru_append(fs, f, idx);
	} else if (cls != f->tmo_class ||
		   fs->now - (ww_time_t)f->lru_stamp * WW_USEC_PER_SEC >= WW_RELINK_US) {
		lru_unlink(fs, f);
		f->tmo_class = cls;
		lru_append(fs, f, idx);
	}
	*dir = d;
	return f;
}

void ww_flows_expire(struct ww_flows *fs, ww_time_t now)
{
	/* Live capture on a quiet wire: the clock moves although no packet
	 * does. Only ever moves time forward, so a replay is unaffected. */
	if (now > fs->now)
		fs->now = now;
	sweep(fs);
	fs->next_sweep = fs->now + WW_SWEEP_INTERVAL_US;
}

static int by_id(const void *x, const void *y)
{
	const struct ww_flow *a = *(struct ww_flow *const *)x, *b = *(struct ww_flow *const *)y;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Flush by id through a direct-indexed array when ids are dense enough. */
#define WW_FLUSH_DENSE_FACTOR 4   /* array of up to 4 slots per open flow beats a sort */
#define WW_FLUSH_PREFETCH     16  /* records fetched ahead of the one being read */

/*
 * Why a flow open at the end of the input ends: a connection already closed
 * by FIN+FIN or RST, kept only to absorb its last ACKs, ended "closed", as
 * it would have after its closed timeout; any other is still open.
 */
static enum ww_flow_end eof_reason(const struct ww_flow *f)
{
	return f->tmo_class == WW_TMO_CLOSED ? WW_END_CLOSED : WW_END_EOF;
}

/* Put all[0..n) in flow_id order (ids[j] is all[j]->id), in place. */
static void sort_by_id(struct ww_flows *fs, struct ww_flow **all, const uint64_t *ids, uint32_t n)
{
	uint64_t lo = UINT64_MAX;
	for (uint32_t j = 0; j < n; j++)
		if (ids[j] < lo)
			lo = ids[j];
	uint64_t span = fs->next_id - lo;
	struct ww_flow **byid = NULL;
	if (span <= (uint64_t)n * WW_FLUSH_DENSE_FACTOR + 1024)
		byid = calloc(span, sizeof(*byid));
	if (!byid) {
		qsort(all, n, sizeof(*all), by_id);
		return;
	}
	for (uint32_t j = 0; j < n; j++)
		byid[ids[j] - lo] = all[j];
	uint32_t k = 0;
	for (uint64_t j = 0; j < span; j++)
		if (byid[j])
			all[k++] = byid[j];
	free(byid);
}

/* The open flows in flow_id order, each marked with its eof_reason(), in a
 * new array of *np; NULL when there are none or no memory. */
static struct ww_flow **open_by_id(struct ww_flows *fs, uint32_t *np)
{
	uint32_t n = ww_flowtab_count(fs->tab);
	struct ww_flow **all;
	uint32_t *idx;
	uint64_t *ids;

	*np = 0;
	if (n == 0)
		return NULL;
	all = malloc(sizeof(*all) * n);
	idx = malloc(sizeof(*idx) * n);
	ids = malloc(sizeof(*ids) * n);
	if (!all || !idx || !ids) {
		free(all);
		free(idx);
		free(ids);
		return NULL;
	}
	/* Table order is cheap to list; reading each id (and the class, on the
	 * hot line) is a cache miss, so fetch ahead, and mark the flow while
	 * it is there. */
	n = ww_flowtab_live(fs->tab, idx);
	for (uint32_t j = 0; j < n; j++) {
		if (j + WW_FLUSH_PREFETCH < n) {
			const struct ww_flow *g = ww_flowtab_at(fs->tab, idx[j + WW_FLUSH_PREFETCH]);
			__builtin_prefetch(&g->tmo_class);
			__builtin_prefetch(&g->id, 1);
		}
		all[j] = ww_flowtab_at(fs->tab, idx[j]);
		ids[j] = all[j]->id;
		all[j]->end_reason = (uint8_t)eof_reason(all[j]);
	}
	free(idx);
	sort_by_id(fs, all, ids, n);
	free(ids);
	*np = n;
	return all;
}

void ww_flows_clear(struct ww_flows *fs)
{
	ww_flowtab_clear(fs->tab);
	for (int c = 0; c < WW_TMO_NCLASSES; c++)
		fs->lists[c].head = fs->lists[c].tail = WW_FLOWTAB_NONE;
}

struct ww_flow **ww_flows_open_by_id(struct ww_flows *fs, size_t *n)
{
	uint32_t m;
	struct ww_flow **all = open_by_id(fs, &m);
	*n = m;
	return all;
}

void ww_flows_flush(struct ww_flows *fs)
{
	uint32_t n;
	struct ww_flow **all = open_by_id(fs, &n);

	if (!all) {
		/* None, or no memory to sort: emit in list order rather than lose flows. */
		for (int c = 0; c < WW_TMO_NCLASSES; c++)
			while (fs->lists[c].head != WW_FLOWTAB_NONE) {
				struct ww_flow *f = ww_flowtab_at(fs->tab, fs->lists[c].head);
				end_flow(fs, f, eof_reason(f));
			}
		return;
	}
	/* Marked by open_by_id(); the table and lists are cleared as a whole
	 * afterwards, so no flow is unlinked or removed one by one (two cold
	 * neighbours and a probe saved per flow). */
	for (uint32_t j = 0; j < n; j++) {
		if (j + WW_FLUSH_PREFETCH < n)
			ww_flow_prefetch(all[j + WW_FLUSH_PREFETCH]);
		if (fs->on_end)
			fs->on_end(all[j], fs->ud);
	}
	free(all);
	ww_flows_clear(fs);
}

uint32_t ww_flows_records_used(const struct ww_flows *fs) { return ww_flowtab_used(fs->tab); }

int ww_flows_populate(const struct ww_flows *fs, bool index, uint32_t from, uint32_t to)
{
	return ww_flowtab_populate(fs->tab, index, from, to);
}

uint64_t ww_flows_created(const struct ww_flows *fs) { return fs->next_id - 1; }
uint64_t ww_flows_evicted(const struct ww_flows *fs) { return fs->evicted; }
uint32_t ww_flows_active(const struct ww_flows *fs) { return ww_flowtab_count(fs->tab); }
