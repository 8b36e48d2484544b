/*
 * flow.h - what a flow is: its canonical key, orientation, counters, TCP
 * state and idle timeouts, and the engine that turns packets into flows.
 *
 * Canonical key. A bidirectional flow has one key whichever way a packet
 * goes: the two endpoints (address, port) are compared as *pairs* and the
 * smaller pair is stored first. Ordering addresses and ports separately would
 * merge A:1->B:2 with A:2->B:1, two different conversations. The VLAN id is
 * part of the key (the same 5-tuple on two VLANs is two flows). IPv4 is kept
 * IPv4-mapped so one key type serves both families. The key is 40 bytes with
 * no implicit padding, so it is compared and hashed as plain bytes.
 *
 * ICMP/ICMPv6: a flow per (request type, identifier). An echo request and
 * its reply share a key: the addresses alone are ordered, port_a holds the
 * identifier and port_b the request type (a reply's type is mapped to its
 * request's). One-way messages (unreachable, time exceeded) key on their
 * own type with identifier 0.
 *
 * Orientation (client -> server): the client is who sent the first SYN
 * (or who received the first SYN+ACK). Without a SYN, the side on the
 * well-known or lower service port is the server (see flow.c for the rule).
 *
 * Timeouts are driven by packet time, never the wall clock, so a replay
 * gives the same output on every machine.
 */
#ifndef WIREWHO_FLOW_H
#define WIREWHO_FLOW_H

#include "wirewho/common.h"
#include "wirewho/decode.h"

struct ww_flowkey {
	struct ww_addr a;     /* the smaller (address, port) pair */
	struct ww_addr b;
	uint16_t port_a;
	uint16_t port_b;
	uint16_t vlan;
	uint8_t  proto;
	uint8_t  family;      /* 4 or 6; part of the key so v4 and mapped v6 never merge */
};
_Static_assert(sizeof(struct ww_flowkey) == 40, "flow key must be 40 bytes, no padding");

static inline bool ww_flowkey_eq(const struct ww_flowkey *x, const struct ww_flowkey *y)
{
	return memcmp(x, y, sizeof(*x)) == 0;
}

/* Timeout classes: each is an LRU list inside the engine. */
enum ww_tmo_class {
	WW_TMO_TCP_EST = 0,   /* TCP, handshake complete */
	WW_TMO_TCP_NEW,       /* TCP, not (yet) established */
	WW_TMO_CLOSED,        /* TCP after FIN+FIN or RST */
	WW_TMO_UDP,
	WW_TMO_OTHER,         /* ICMP and port-less protocols */
	WW_TMO_NCLASSES
};

/* Why a flow was emitted. */
enum ww_flow_end {
	WW_END_CLOSED = 0,    /* FIN+FIN or RST, then the closed timeout or the input's end */
	WW_END_TIMEOUT,       /* idle timeout */
	WW_END_REUSED,        /* a new SYN on a closed flow's 5-tuple */
	WW_END_EVICTED,       /* the table was full (--max-flows) */
	WW_END_EOF,           /* still open at the end of the input */
};

struct ww_cls;     /* classifier state, allocated when a flow first carries payload */
struct ww_attrib;  /* attribution result (process), owned by attribute.c */

/* TCP state bits (ww_flow.tcp). */
#define WW_TCPS_SYN_C     0x01  /* client sent SYN */
#define WW_TCPS_SYN_S     0x02  /* server sent SYN+ACK */
#define WW_TCPS_EST       0x04  /* handshake completed (or data both ways) */
#define WW_TCPS_FIN_C     0x08
#define WW_TCPS_FIN_S     0x10
#define WW_TCPS_RST       0x20
#define WW_TCPS_CLOSED    0x40  /* FIN+FIN or RST seen */

/*
 * A tracked flow. Layout: the key (what a lookup compares) and the times,
 * counters and state every packet updates fill the first 96 bytes; colder
 * per-flow data follows (see the comments inside). Keep the small fields
 * together to avoid padding holes.
 */
struct ww_flow {
	/* Hot: what every packet reads or writes, in the first 96 bytes. At
	 * the pool's 160-byte stride a record starts on a multiple of 32, so
	 * these bytes are always within two cache lines; the lookup fetches
	 * only those two. */
	struct ww_flowkey key;        /* 40: compared on lookup */
	ww_time_t last;               /* 8: last packet time */
	uint64_t bytes[2];            /* 16: IP bytes, [0] to server, [1] to client */
	uint64_t pkts[2];             /* 16: packets, [0] to server, [1] to client */
	uint32_t payload_pkts[2];     /* 8: packets with payload, per direction */
	uint32_t lru_stamp;           /* 4: packet time (s) when put on its list; see flow.c */
	uint8_t  client_is_a;         /* the client is key.a (else key.b) */
	uint8_t  tcp;                 /* WW_TCPS_* bits */
	uint8_t  tmo_class;           /* enum ww_tmo_class */
	uint8_t  flags;               /* pipeline bits */
	/* Cold: the flow's start and end, classification, attribution. */
	ww_time_t first;              /* 8: first packet time (read per packet only when
	                               * one arrives out of order) */
	uint64_t hash;                /* 8: full hash, kept for removal */
	uint64_t id;                  /* 8: flow_id, unique within a run */
	uint8_t  end_reason;          /* enum ww_flow_end, set when emitted (on id's line) */
	uint8_t  icmp_type, icmp_code;/* first ICMP message (client's), for Community ID */
	uint8_t  app_by;              /* enum ww_app_by, once settled */
	uint8_t  app_idx;             /* interned app_proto name, once settled (pipeline.c) */
	struct ww_cls *cls;           /* 8: classifier state or NULL */
	struct ww_attrib *attr;       /* 8: attribution or NULL */
	char *sni;                    /* 8: TLS server name kept after the classifier state is freed */
	uint32_t lru_prev, lru_next;  /* 8: indexes in the engine's timeout lists */
};
#define WW_FLOW_HOT_BYTES 96
_Static_assert(offsetof(struct ww_flow, first) == WW_FLOW_HOT_BYTES,
	       "the per-packet fields must fill exactly the first 96 bytes");
_Static_assert(sizeof(struct ww_flow) <= 160, "struct ww_flow grew: check memory per flow (<= 192 B with table)");

/* Fetch a whole flow record ahead of reading it (an emitter walking many). */
static inline void ww_flow_prefetch(const struct ww_flow *f)
{
	__builtin_prefetch(f);
	__builtin_prefetch((const char *)f + 64);
	__builtin_prefetch((const char *)f + sizeof(*f) - 1);
}

/* Direction of a packet within its flow. */
enum ww_dir { WW_DIR_TOSERVER = 0, WW_DIR_TOCLIENT = 1 };

/* Client/server view of a flow's key. This function can't fail. */
static inline const struct ww_addr *ww_flow_client_ip(const struct ww_flow *f)
{ return f->client_is_a ? &f->key.a : &f->key.b; }
static inline const struct ww_addr *ww_flow_server_ip(const struct ww_flow *f)
{ return f->client_is_a ? &f->key.b : &f->key.a; }
static inline uint16_t ww_flow_client_port(const struct ww_flow *f)
{ return f->client_is_a ? f->key.port_a : f->key.port_b; }
static inline uint16_t ww_flow_server_port(const struct ww_flow *f)
{ return f->client_is_a ? f->key.port_b : f->key.port_a; }

/*
 * Build the canonical key of a decoded packet. `*src_is_a` tells whether the
 * packet's source is key.a. This function can't fail.
 */
void ww_flowkey_from_pkt(const struct ww_pkt *p, struct ww_flowkey *k, bool *src_is_a);

/* Engine configuration; zeros mean the defaults below. */
struct ww_flow_cfg {
	uint32_t max_flows;                      /* --max-flows */
	uint32_t timeout_s[WW_TMO_NCLASSES];     /* idle timeout per class, seconds */
};
#define WW_DEFAULT_MAX_FLOWS   1000000u   /* issue #2: 1M flows in <= 192 MB */
#define WW_DEFAULT_TMO_TCP_EST 300        /* seconds, as Zeek/Suricata's established TCP */
#define WW_DEFAULT_TMO_TCP_NEW 30
#define WW_DEFAULT_TMO_CLOSED  10         /* absorb the last ACKs after FIN/RST */
#define WW_DEFAULT_TMO_UDP     60
#define WW_DEFAULT_TMO_OTHER   30

struct ww_flows;

/* Called for every flow that ends; the flow is freed when it returns. */
typedef void (*ww_flow_end_cb)(struct ww_flow *f, void *ud);

/*
 * New engine with a flow table for cfg->max_flows flows, hash seeded from
 * `seed`. Returns NULL when out of memory.
 */
struct ww_flows *ww_flows_new(const struct ww_flow_cfg *cfg, uint64_t seed,
			      ww_flow_end_cb on_end, void *ud);

/* Free the engine without emitting open flows. NULL is allowed. */
void ww_flows_free(struct ww_flows *fs);

/*
 * Account one decoded packet: expire idle flows (packet time), find or create
 * its flow, update counters and TCP state. Returns the flow and sets `*dir`;
 * the flow stays valid until the next call. This function can't fail: when
 * the table is full the least recently active flow is evicted (emitted).
 */
struct ww_flow *ww_flows_packet(struct ww_flows *fs, const struct ww_pkt *p,
				ww_time_t ts, enum ww_dir *dir);

/*
 * The same in two steps, so a caller holding several packets can overlap
 * their table misses: ww_flows_prepare() computes the key and hash and
 * prefetches the home chunk; ww_flows_prefetch_record() (a few packets
 * later) prefetches the candidate record; ww_flows_packet_prepared() (later
 * still) does the work of ww_flows_packet(). These functions can't fail.
 */
struct ww_flow_prep {
	struct ww_flowkey key;
	uint64_t hash;
	bool src_is_a;
};
void ww_flows_prepare(struct ww_flows *fs, const struct ww_pkt *p, struct ww_flow_prep *pp);
/*
 * The same when pp->key and pp->src_is_a are already set (a reader thread
 * built the key; see pipeline.c): compute the hash and prefetch.
 */
void ww_flows_prepare_key(struct ww_flows *fs, struct ww_flow_prep *pp);
void ww_flows_prefetch_record(struct ww_flows *fs, const struct ww_flow_prep *pp);
struct ww_flow *ww_flows_packet_prepared(struct ww_flows *fs, const struct ww_pkt *p,
					 ww_time_t ts, const struct ww_flow_prep *pp,
					 enum ww_dir *dir);

/*
 * Advance the engine's clock to `now` (never backwards) and emit every flow
 * idle for longer than its timeout. For live capture, where time passes on a
 * quiet wire; replay never needs it. This function can't fail.
 */
void ww_flows_expire(struct ww_flows *fs, ww_time_t now);

/* Emit every open flow (in flow_id order) and empty the table. */
void ww_flows_flush(struct ww_flows *fs);

/*
 * The same for a caller that emits the flows itself, on several threads:
 * the open flows in flow_id order, each marked as it ends (WW_END_EOF, or
 * WW_END_CLOSED for one already closed by FIN+FIN or RST), in a new array
 * of *n (the caller frees it); NULL when there are none or no memory (then
 * use ww_flows_flush()). The engine's end callback is not called. When
 * the caller is done with them, ww_flows_clear() empties the table.
 */
struct ww_flow **ww_flows_open_by_id(struct ww_flows *fs, size_t *n);
void ww_flows_clear(struct ww_flows *fs);

/* The default idle timeout of a class, seconds. This function can't fail. */
uint32_t ww_flows_default_timeout(enum ww_tmo_class c);

/*
 * For a thread that prepares memory ahead of the engine's inserts (a
 * replay's reader, see pipeline.c): the table's ww_flowtab_used(), read on
 * the engine's thread, and ww_flowtab_populate(), callable from any thread.
 */
uint32_t ww_flows_records_used(const struct ww_flows *fs);
int ww_flows_populate(const struct ww_flows *fs, bool index, uint32_t from, uint32_t to);

/* Counters. These functions can't fail. */
uint64_t ww_flows_created(const struct ww_flows *fs);
uint64_t ww_flows_evicted(const struct ww_flows *fs);
uint32_t ww_flows_active(const struct ww_flows *fs);

#endif
