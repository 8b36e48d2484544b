/*
 * flow.h - what a flow is: its canonical key, the record the flow table
 * keeps (orientation, counters, TCP state, timeout class), and the views
 * of a record every stage reads. The engine that turns packets into flows
 * is flows.h; the table that stores them is flowtab.h.
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
 * Tunnels. An inner flow is keyed by its own 5-tuple (and VLAN), as Zeek
 * keys inner connections: the same inner conversation seen through two
 * tunnels (or once tunnelled, once not) is one flow. What carried it is
 * not in the key but out of line: `tunnel` numbers an interned list of
 * layers (decode.h's ww_tunnels), two bytes in what was padding.
 *
 * Layout: the key and the per-packet fields fill the record's first 96
 * bytes (see struct ww_flow), checked with _Static_assert.
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
struct ww_meta;    /* out-of-line metadata (meta.h), allocated only for flows that have some */

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
	uint8_t  app_idx;             /* the classifier's protocol id, once settled (ww_cls_app_id()) */
	uint8_t  meta_left;           /* the pipeline: client packets still offered to meta (in padding) */
	uint16_t tunnel;              /* interned tunnel path of its first packet (ww_tunnels_get()),
	                               * 0 = not tunnelled; in padding: no byte per flow added */
	struct ww_cls *cls;           /* 8: classifier state or NULL */
	struct ww_attrib *attr;       /* 8: attribution or NULL */
	struct ww_meta *meta;         /* 8: names and fingerprints (meta.h), NULL for a flow without */
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

/*
 * ICMP/ICMPv6: the request type a message keys on (a reply's type maps to
 * its request's, *is_reply set), or -1 for a one-way message. Can't fail.
 */
int ww_flowkey_icmp_request(uint8_t proto, uint8_t type, bool *is_reply);

/* True for ICMP and ICMPv6, the protocols keyed by type and identifier. */
static inline bool ww_proto_is_icmp(uint8_t proto)
{
	return proto == WW_IPPROTO_ICMP || proto == WW_IPPROTO_ICMPV6;
}

#endif
