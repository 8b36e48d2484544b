/*
 * pdns.c - passive DNS (pdns.h): addresses from DNS answers, each with
 * the name that was asked, for the flows that connect to them afterwards.
 *
 * Layout: a ring of entries in arrival order (the oldest is the next to
 * be overwritten, so forgetting the oldest is O(1)) and a chained hash
 * index over (family, address). An entry's name and asker are one
 * malloc()ed string of their size; the bytes cap counts entries and
 * strings. The ring and index are allocated at their capped size but
 * calloc()ed, so pages are resident only once used: an idle cache costs
 * nothing, a full one its cap.
 *
 * Hostile answers are bounded: names through ww_dnsmeta_name() (pointer
 * loops end, 255 bytes), at most PDNS_RRS records read per message, CNAME
 * chains followed at most WW_PDNS_CHAIN_MAX links, case-insensitively.
 * A flood of distinct answers (random subdomains, 1 M addresses) cycles
 * through the ring: the memory stays at the cap (test_pdns).
 */
#include <errno.h>
#include <stdlib.h>

#include "wirewho/meta.h"
#include "wirewho/pdns.h"

#define PDNS_RRS  64       /* records read in one message (answer + additional) */
#define PDNS_NAME 255      /* a name as text */

struct entry {
	struct ww_addr addr;
	uint8_t family;        /* 0: slot empty */
	uint8_t comm_len;
	uint16_t name_len;
	int32_t pid;
	uint32_t next;         /* hash chain: slot + 1, 0 = end */
	ww_time_t seen, expires;
	char *str;             /* name, then comm */
};

struct ww_pdns {
	struct entry *ring;
	uint32_t *bucket;      /* slot + 1, 0 = empty */
	uint32_t cap, mask;    /* ring slots; buckets - 1 */
	uint32_t head, count;  /* next slot to fill; slots in use (the oldest at head - count) */
	size_t bytes, max_bytes;
	bool oom;              /* an answer was not kept for want of memory */
};

static inline uint32_t hash_addr(uint8_t family, const struct ww_addr *a)
{
	uint64_t x, y;
	memcpy(&x, a->b, 8);
	memcpy(&y, a->b + 8, 8);
	/* every input bit into the low bits the mask keeps (a murmur3 finaliser):
	 * an IPv4 address is in the high half of y, an IPv6 prefix's variation
	 * in the high bytes of x */
	uint64_t h = x ^ (y << 32 | y >> 32) ^ family;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (uint32_t)h;
}

struct ww_pdns *ww_pdns_new(uint32_t max_entries, size_t max_bytes)
{
	if (!max_entries)
		return NULL;
	struct ww_pdns *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	uint32_t nb = 1;
	while (nb < max_entries && nb < (1u << 30))
		nb <<= 1;
	c->ring = calloc(max_entries, sizeof(*c->ring));
	c->bucket = calloc(nb, sizeof(*c->bucket));
	if (!c->ring || !c->bucket) {
		ww_pdns_free(c);
		return NULL;
	}
	c->cap = max_entries;
	c->mask = nb - 1;
	c->max_bytes = max_bytes;
	return c;
}

void ww_pdns_free(struct ww_pdns *c)
{
	if (!c)
		return;
	if (c->ring)
		for (uint32_t i = 0; i < c->cap; i++)
			free(c->ring[i].str);
	free(c->ring);
	free(c->bucket);
	free(c);
}

void ww_pdns_usage(const struct ww_pdns *c, uint32_t *entries, size_t *bytes)
{
	*entries = c ? c->count : 0;
	*bytes = c ? c->bytes : 0;
}

static size_t entry_bytes(const struct entry *e)
{
	return sizeof(*e) + e->name_len + e->comm_len;
}

/* Forget the oldest entry. */
static void evict_oldest(struct ww_pdns *c)
{
	uint32_t slot = (c->head + c->cap - c->count) % c->cap;
	struct entry *e = &c->ring[slot];
	uint32_t *link = &c->bucket[hash_addr(e->family, &e->addr) & c->mask];
	while (*link && *link != slot + 1)
		link = &c->ring[*link - 1].next;
	if (*link)
		*link = e->next;
	c->bytes -= entry_bytes(e);
	free(e->str);
	memset(e, 0, sizeof(*e));
	c->count--;
}

static struct entry *find(const struct ww_pdns *c, uint8_t family, const struct ww_addr *a)
{
	for (uint32_t i = c->bucket[hash_addr(family, a) & c->mask]; i; i = c->ring[i - 1].next) {
		struct entry *e = &c->ring[i - 1];
		if (e->family == family && memcmp(e->addr.b, a->b, 16) == 0)
			return e;
	}
	return NULL;
}

static void put(struct ww_pdns *c, uint8_t family, const struct ww_addr *a, const char *name, uint16_t nl,
		uint32_t ttl, ww_time_t now, const struct ww_pdns_asker *who)
{
	uint8_t cl = 0;
	if (who && who->pid && who->comm) {
		size_t l = strnlen(who->comm, WW_PDNS_ASKER_MAX);
		cl = (uint8_t)l;
	}
	if (ttl < WW_PDNS_TTL_FLOOR)
		ttl = WW_PDNS_TTL_FLOOR;
	if (ttl > WW_PDNS_TTL_CEIL)
		ttl = WW_PDNS_TTL_CEIL;
	struct entry *e = find(c, family, a);
	if (e && e->name_len == nl && e->comm_len == cl && memcmp(e->str, name, nl) == 0 &&
	    (!cl || (e->pid == who->pid && memcmp(e->str + nl, who->comm, cl) == 0))) {
		e->seen = now;   /* the same answer again (a name asked often): its time only */
		e->expires = now + (ww_time_t)ttl * WW_USEC_PER_SEC;
		return;
	}
	char *str = malloc((size_t)nl + cl + 1);
	if (!str) {
		c->oom = true;   /* this answer is not remembered: the run says so (#17.2) */
		return;
	}
	memcpy(str, name, nl);
	if (cl)
		memcpy(str + nl, who->comm, cl);
	if (e) {   /* the address again: the newer answer names it, in its old place */
		c->bytes -= entry_bytes(e);
		free(e->str);
	} else {
		size_t need = sizeof(*e) + nl + cl;
		while (c->count && (c->count >= c->cap || c->bytes + need > c->max_bytes))
			evict_oldest(c);
		if (need > c->max_bytes) {
			free(str);
			return;
		}
		uint32_t slot = c->head;
		c->head = (c->head + 1) % c->cap;
		c->count++;
		e = &c->ring[slot];
		e->addr = *a;
		e->family = family;
		uint32_t *b = &c->bucket[hash_addr(family, a) & c->mask];
		e->next = *b;
		*b = slot + 1;
	}
	e->str = str;
	e->name_len = nl;
	e->comm_len = cl;
	e->pid = cl ? who->pid : 0;
	e->seen = now;
	e->expires = now + (ww_time_t)ttl * WW_USEC_PER_SEC;
	c->bytes += entry_bytes(e);
}

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static bool name_eq(const char *a, int al, const char *b, int bl)
{
	if (al != bl)
		return false;
	for (int i = 0; i < al; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}

bool ww_pdns_is_answer(const uint8_t *p, uint32_t n, bool tcp)
{
	if (tcp) {
		if (n < 2)
			return false;
		p += 2;
		n -= 2;
	}
	return n >= 12 && (p[2] & 0x80) && (p[3] & 0x0f) == 0 && (be16(p + 6) || be16(p + 10));
}

/* One record read from a response. */
struct rr {
	uint16_t type;
	int owner_len;
	uint32_t ttl;
	uint32_t rd, rdl;     /* its data in the message */
	char owner[PDNS_NAME];
};

int ww_pdns_learn(struct ww_pdns *c, const uint8_t *p, uint32_t n, bool tcp, bool mdns, ww_time_t now,
		  const struct ww_pdns_asker *who)
{
	static _Thread_local struct rr rrs[PDNS_RRS];   /* 16 KB: off the stack, one analysis thread */
	char q[PDNS_NAME], tgt[PDNS_NAME];
	int ql = -1;
	uint32_t nr = 0, off = 12, next;
	bool cut;

	if (!c)
		return -EINVAL;
	if (tcp) {
		if (n < 2)
			return -EINVAL;
		uint32_t l = be16(p);
		p += 2;
		n = l < n - 2 ? l : n - 2;
	}
	if (n < 12 || !(p[2] & 0x80) || (p[3] & 0x0f) != 0)
		return -EINVAL;   /* a query, or an error answer: nothing named */
	uint32_t qd = be16(p + 4), an = be16(p + 6), ns = be16(p + 8), ar = be16(p + 10);
	for (uint32_t i = 0; i < qd && i < PDNS_RRS; i++) {
		int l = ww_dnsmeta_name(p, n, off, q, sizeof(q), &next, &cut);
		if (l < 0 || next + 4 > n)
			return -EINVAL;
		if (i == 0)
			ql = cut ? -1 : l;   /* a cut name does not match its records */
		off = next + 4;
	}
	if (qd > 1 && !mdns)
		ql = -1;   /* several questions: which one an answer is for is not sure */
	uint32_t total = an + (mdns ? ns + ar : 0);
	for (uint32_t i = 0; i < total && nr < PDNS_RRS; i++) {
		struct rr *r = &rrs[nr];
		int l = ww_dnsmeta_name(p, n, off, r->owner, sizeof(r->owner), &next, &cut);
		if (l < 0 || next + 10 > n)
			break;
		r->owner_len = l;
		r->type = be16(p + next);
		memcpy(&r->ttl, p + next + 4, 4);
		r->ttl = __builtin_bswap32(r->ttl);
		r->rdl = be16(p + next + 8);
		r->rd = next + 10;
		if (r->rd + r->rdl > n)
			break;
		off = r->rd + r->rdl;
		if (i >= an && i < an + ns)
			continue;   /* mDNS authority records: not answers */
		if (r->type == 1 || r->type == 28 || r->type == 5)
			nr++;
	}
	int learned = 0;
	for (uint32_t i = 0; i < nr; i++) {
		struct rr *r = &rrs[i];
		struct ww_addr a;
		uint8_t fam;
		if (r->type == 1 && r->rdl == 4) {
			ww_addr_from_v4(&a, p + r->rd);
			fam = 4;
		} else if (r->type == 28 && r->rdl == 16) {
			memcpy(a.b, p + r->rd, 16);
			fam = 6;
		} else {
			continue;
		}
		/* the owner back through the CNAMEs to the asked name */
		const char *name = r->owner;
		int nl = r->owner_len;
		for (int hop = 0; ql >= 0 && hop <= WW_PDNS_CHAIN_MAX; hop++) {
			if (name_eq(name, nl, q, ql))
				break;
			bool found = false;
			for (uint32_t k = 0; k < nr && !found; k++) {
				if (rrs[k].type != 5)
					continue;
				uint32_t nx;
				int tl = ww_dnsmeta_name(p, rrs[k].rd + rrs[k].rdl, rrs[k].rd, tgt, sizeof(tgt), &nx, &cut);
				if (tl > 0 && name_eq(tgt, tl, name, nl) && !name_eq(rrs[k].owner, rrs[k].owner_len, name, nl)) {
					name = rrs[k].owner;
					nl = rrs[k].owner_len;
					found = true;
				}
			}
			if (!found)
				break;
		}
		if (ql >= 0 && name_eq(name, nl, q, ql)) {
			name = q;   /* the name as asked, its case kept */
			nl = ql;
		} else {
			name = r->owner;   /* not reached from the question (mDNS): its own name */
			nl = r->owner_len;
		}
		if (nl <= 0)
			continue;
		put(c, fam, &a, name, (uint16_t)nl, r->ttl, now, who);
		learned++;
	}
	return learned;
}

bool ww_pdns_lookup(const struct ww_pdns *c, uint8_t family, const struct ww_addr *a, ww_time_t now,
		    struct ww_pdns_hit *hit)
{
	if (!c || !c->count)
		return false;
	const struct entry *e = find(c, family, a);
	if (!e || e->seen > now || e->expires < now)
		return false;
	hit->name = e->str;
	hit->len = e->name_len;
	hit->pid = e->pid;
	hit->comm = e->comm_len ? e->str + e->name_len : NULL;
	hit->comm_len = e->comm_len;
	return true;
}

bool ww_pdns_out_of_memory(const struct ww_pdns *c)
{
	return c && c->oom;
}
