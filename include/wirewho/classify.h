/*
 * classify.h - what a flow really speaks, from its payload.
 *
 * The classifier keeps a small state per flow (struct ww_cls), allocated
 * only when the flow first carries payload. Each payload packet is offered
 * to the detectors still possible for the flow (one per protocol, in
 * src/classify/proto/); a detector that is contradicted is never asked again, and the
 * first one that proves its protocol makes the answer final. A flow is
 * inspected for at most WW_CLS_MAX_PKTS_DIR payload packets and
 * WW_CLS_MAX_BYTES_DIR bytes per direction, then its answer is final
 * whatever it is. Because a proven answer is final, a STARTTLS upgrade
 * (SMTP, IMAP, POP3, FTP AUTH TLS, PostgreSQL SSLRequest) stays the
 * plaintext protocol, and an HTTP CONNECT tunnel stays "http".
 *
 * Thread safety: a struct ww_cls belongs to one flow and one thread. The
 * functions keep no global state of their own (the port tables of ports.h
 * are read-only after start-up).
 */
#ifndef WIREWHO_CLASSIFY_H
#define WIREWHO_CLASSIFY_H

#include "wirewho/common.h"
#include "wirewho/flow.h"

enum ww_app_by { WW_APP_BY_NONE = 0, WW_APP_BY_PORT, WW_APP_BY_PAYLOAD };

/*
 * Bounds on the work per flow. Every detector decides within the first
 * message of each side, and banner protocols need the server's greeting
 * plus the client's first command (FTP vs SMTP): 3 packets each way would do
 * on a clean path; 6 leaves room for a retransmission, a TCP segment split
 * of the first line, and a NetBIOS session request before SMB.
 */
#define WW_CLS_MAX_PKTS_DIR  6
/*
 * A ClientHello with a post-quantum key share is ~1.8 KB and the longest
 * real ones (many extensions, padding) reach ~3 KB before SNI/ALPN have all
 * been read; 4 KB per direction holds that. Text grammars need far less.
 */
#define WW_CLS_MAX_BYTES_DIR 4096

struct ww_cls;  /* per-flow detection state; opaque */

/* Allocate detection state; called only when a flow first carries payload.
 * Returns NULL when out of memory. */
struct ww_cls *ww_cls_new(void);

/* Free the state and everything it holds. NULL is allowed. */
void ww_cls_free(struct ww_cls *c);

/*
 * A cache of freed states for the one thread that creates them at the
 * packet rate (a flow's first payload to its settlement, for every flow):
 * ww_cls_release() keeps up to WW_CLS_CACHE_MAX states (their buffers are
 * freed), ww_cls_new_cached() hands them out again, cleared. Use it from
 * one thread at a time; states from either function may also go to
 * ww_cls_free(). Zero-initialise; ww_cls_cache_clear() frees what it holds.
 */
#define WW_CLS_CACHE_MAX 1024
struct ww_cls_cache {
	struct ww_cls *head;
	uint32_t n;
};
struct ww_cls *ww_cls_new_cached(struct ww_cls_cache *cc);
void ww_cls_release(struct ww_cls_cache *cc, struct ww_cls *c);
void ww_cls_cache_clear(struct ww_cls_cache *cc);

/*
 * Feed one payload-bearing packet of flow `f` (its key, client_is_a and
 * server port are read). `dir` is WW_DIR_TOSERVER or WW_DIR_TOCLIENT;
 * `pkt_no` the 1-based number of the packet within the flow (evidence only).
 * Returns true when the answer is final and the flow can be judged
 * (ww_judge_port()); the caller may then stop feeding. When nothing
 * matched on a port where that matters (ww_ports_is_strict()), it returns
 * false until the other direction has carried payload too (or this one has
 * spent its packet budget), so the judge sees whether the server answered;
 * those packets are only counted. Packets of flows that are neither TCP nor
 * UDP are ignored (final at once).
 * This function can't fail: when memory for reassembly runs out the flow is
 * judged on what it already has, and ww_cls_out_of_memory() says so.
 */
bool ww_cls_feed(struct ww_cls *c, const struct ww_flow *f, enum ww_dir dir,
		 const uint8_t *payload, uint32_t len, uint64_t pkt_no);

/*
 * Whether memory ran out for this flow's state (reassembly, the TLS names):
 * its answer may then say less than the payload did, and the run must end
 * as out of memory (exit 1, #17.2) rather than pass it off as complete.
 * Returns false for NULL.
 */
bool ww_cls_out_of_memory(const struct ww_cls *c);

/*
 * Make the answer final, deciding on what was seen (a flow may end before
 * the per-flow budget is spent). Call it when the flow ends, before
 * ww_cls_result() and ww_judge_port(). Idempotent; NULL is allowed.
 */
void ww_cls_finish(struct ww_cls *c, const struct ww_flow *f);


/*
 * Protocol ids: the classifier's own numbers for the answers it gives, 0
 * for "unknown", all below WW_CLS_PROTO_MAX, so a byte holds one (a settled
 * flow keeps its answer so). Every protocol a port is known for is one the
 * classifier detects (ports.h), so a port's guess has an id too.
 */
#define WW_CLS_PROTO_MAX 64
/* The static lowercase name of id `id` ("http", ...; "unknown" for 0 or
 * an id out of range). This function can't fail. */
const char *ww_cls_proto_name(uint8_t id);
/* The id of protocol `name`, 0 when the classifier does not detect it. Can't fail. */
uint8_t ww_cls_proto_id(const char *name);

/*
 * The answer for flow f, as an id (ww_cls_app_id()) or its static name
 * (ww_cls_app_proto(): "http", "tls", ... or "unknown"). `c` may be NULL
 * (the flow never carried payload): then the server port's protocol is
 * guessed (by = PORT) or "unknown" (NONE). When payload was seen but
 * proved nothing, the port's protocol is still guessed unless its detector
 * was contradicted. `by` may be NULL. These functions can't fail.
 */
uint8_t ww_cls_app_id(const struct ww_cls *c, const struct ww_flow *f, enum ww_app_by *by);
const char *ww_cls_app_proto(const struct ww_cls *c, const struct ww_flow *f, enum ww_app_by *by);

/*
 * TLS server name, "" when none (or `c` is NULL), and its length: the name
 * is the ww_cls_sni_len() bytes at ww_cls_sni(), which may include NULs (a
 * crafted ClientHello's; writers escape them). These functions can't fail.
 */
const char *ww_cls_sni(const struct ww_cls *c);
size_t ww_cls_sni_len(const struct ww_cls *c);

/*
 * The flow's metadata (struct ww_meta, meta.h: server name, TLS hellos and
 * fingerprints), NULL when none (or `c` is NULL). ww_cls_take_meta() hands
 * it over: the caller frees it with ww_meta_free() and the state no longer
 * holds it. These functions can't fail.
 */
struct ww_meta;
const struct ww_meta *ww_cls_meta(const struct ww_cls *c);
struct ww_meta *ww_cls_take_meta(struct ww_cls *c);

/*
 * The final answer and its evidence, as the port judge reads them, in one
 * piece (ww_cls_result(); valid after ww_cls_finish()). The pointers point
 * into the state: valid until it is fed again or freed.
 */
struct ww_cls_result {
	const uint8_t *first_bytes;  /* the first payload bytes of the packet that proved the
	                              * answer, else of the first payload packet; NULL without state */
	const char *sni;             /* TLS server name, "" when none: sni_len bytes, NULs included */
	const char *alpn;            /* TLS ALPN list ("h2,http/1.1"), "" when none */
	uint64_t match_pkt;          /* the packet that proved the answer, 0 when nothing matched */
	uint64_t first_pkt;          /* the flow's first payload packet, 0 when none */
	uint32_t payload_bytes[2];   /* payload bytes inspected, per direction (enum ww_dir) */
	uint64_t rejected;           /* 1ull << id of each detector the payload contradicted */
	uint16_t payload_pkts[2];    /* payload packets inspected, per direction */
	uint16_t sni_len;            /* bytes of sni (< WW_NAME_MAX), 0 when none */
	uint8_t first_len;           /* bytes at first_bytes, at most WW_FIRST_BYTES */
	uint8_t proto;               /* the answer's id, as ww_cls_app_id() gives it */
	uint8_t by;                  /* enum ww_app_by, likewise */
	int8_t match_dir;            /* direction of match_pkt, -1 when none */
	int8_t first_dir;            /* direction of first_pkt, -1 when none */
	bool undecided;              /* some detector still waited for more bytes when the
	                              * answer became final (a protocol we could not finish judging) */
	bool tls_first;              /* the answer is TLS, proven, and the flow's very first
	                              * payload bytes were already a TLS handshake record: no
	                              * plaintext came before it (no STARTTLS-style upgrade) */
};

/*
 * Fill `r` with the answer for flow f and its evidence. `c` may be NULL (no
 * payload): the answer is then the port's guess and the evidence empty.
 * This function can't fail.
 */
void ww_cls_result(const struct ww_cls *c, const struct ww_flow *f, struct ww_cls_result *r);

/* True when id `id`'s detector was contradicted (per a result's `rejected`). */
static inline bool ww_cls_result_rejected(const struct ww_cls_result *r, uint8_t id)
{
	return id && id < WW_CLS_PROTO_MAX && (r->rejected >> id & 1u);
}

/* True when `proto` names a protocol this classifier can detect. */
bool ww_cls_detects(const char *proto);

#endif
