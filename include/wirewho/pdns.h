/*
 * pdns.h - passive DNS: the names DNS answers gave addresses, remembered
 * so that a later flow to one of those addresses is named by the name
 * that was asked (issue #13: dst_name_by "dns").
 *
 * A bounded cache: at most `max_entries` addresses and `max_bytes` of
 * entries and names together; when either is reached the oldest answer
 * is forgotten first (a ring in arrival order). An entry lives for the
 * answer's TTL clamped to [WW_PDNS_TTL_FLOOR, WW_PDNS_TTL_CEIL] seconds.
 * A flow asks at its first packet, so an answer names only flows that
 * start after it. Not thread-safe: one analysis thread learns and asks.
 */
#ifndef WIREWHO_PDNS_H
#define WIREWHO_PDNS_H

#include "wirewho/common.h"

/*
 * TTL floor: answers with TTL 0-59 s (CDNs, load balancers) still name the
 * connection a program opens right after resolving, which can be a few
 * seconds later under load. Ceiling: a day, as resolvers cap (unbound's
 * cache-max-ttl default); past it the program has asked again.
 */
#define WW_PDNS_TTL_FLOOR 60
#define WW_PDNS_TTL_CEIL  86400
/* Defaults: 64 Ki addresses (a busy host resolves a few thousand names an
 * hour) and 16 MiB together. */
#define WW_PDNS_ENTRIES_DEFAULT 65536u
#define WW_PDNS_BYTES_DEFAULT   (16u << 20)
#define WW_PDNS_MDNS_PORT 5353
#define WW_PDNS_CHAIN_MAX 8      /* CNAME links followed back to the asked name */
#define WW_PDNS_ASKER_MAX 16     /* bytes of the asking process's name kept (a comm is <= 15) */

struct ww_pdns;

/* Who asked: the DNS flow's owner, when known. */
struct ww_pdns_asker {
	int pid;             /* 0: unknown */
	const char *comm;    /* NUL-terminated; NULL with pid 0 */
};

/* What a lookup found: valid until the next ww_pdns_learn(). */
struct ww_pdns_hit {
	const char *name;    /* the name asked (raw bytes: the writers escape) */
	uint16_t len;
	int pid;             /* the asker, 0: unknown */
	const char *comm;    /* its name (comm_len bytes), or NULL */
	uint8_t comm_len;
};

/* A cache of at most max_entries (>= 1) and max_bytes; NULL when out of memory. */
struct ww_pdns *ww_pdns_new(uint32_t max_entries, size_t max_bytes);

/* Whether an answer was not kept for want of memory (sticky; NULL: false). Can't fail. */
bool ww_pdns_out_of_memory(const struct ww_pdns *c);
/* Free c (NULL is fine). Can't fail. */
void ww_pdns_free(struct ww_pdns *c);

/*
 * Whether p[0..n) (with a 2-byte length first over TCP) is a DNS response
 * with answers: cheap, to decide whether to read it and look up its asker.
 */
bool ww_pdns_is_answer(const uint8_t *p, uint32_t n, bool tcp);

/*
 * Learn the A and AAAA answers of the DNS response p[0..n) seen at `now`
 * (`tcp`: RFC 1035 §4.2.2 length first; `mdns`: an mDNS response, whose
 * records name themselves and whose additional records count too). Each
 * address is named by the question's name when the record's owner is it
 * or is reached from it through CNAME records, else by the owner. `who`
 * may be NULL. Returns the number of addresses learned (0 or more), or
 * -EINVAL when the message is not a response that parses.
 */
int ww_pdns_learn(struct ww_pdns *c, const uint8_t *p, uint32_t n, bool tcp, bool mdns, ww_time_t now,
		  const struct ww_pdns_asker *who);

/*
 * The name for address `a` (family 4 or 6) at time `now`: true and *hit
 * when an answer seen at or before `now` named it and has not expired.
 */
bool ww_pdns_lookup(const struct ww_pdns *c, uint8_t family, const struct ww_addr *a, ww_time_t now,
		    struct ww_pdns_hit *hit);

/* Entries held and bytes used (entries and names). Can't fail. */
void ww_pdns_usage(const struct ww_pdns *c, uint32_t *entries, size_t *bytes);

#endif
