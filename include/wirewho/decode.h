/*
 * decode.h - link layer, IPv4/IPv6 and TCP/UDP/ICMP into a small packet view.
 *
 * The decoder never reads past `caplen`: every header length is checked
 * against what was captured before it is used, and a header that lies (an IP
 * total length shorter than its own header, a TCP data offset past the end of
 * the segment, an extension-header chain that runs off the packet) makes the
 * packet a counted decode error rather than a read out of bounds.
 *
 * The view points into the caller's packet buffer (no copies on the hot
 * path); it is valid only as long as that buffer is.
 *
 * Fragments: the first fragment of a datagram carries the transport ports and
 * is decoded as usual; the decoder remembers (src, dst, proto, IP id) -> ports
 * in a small bounded table so later fragments of the same datagram join the
 * same flow. A later fragment whose first was not seen is reported as
 * WW_DECODE_FRAG_ORPHAN and counted by the caller.
 *
 * Tunnels. A packet that carries another (GRE with its keys, sequence
 * numbers and transparent Ethernet bridging, ERSPAN I/II/III, VXLAN, Geneve,
 * IP-in-IP in all four combinations, Teredo, GTP-U, AYIYA) is decapsulated:
 * `out` is the innermost packet, out->tunnel_depth says how many layers were
 * around it, ww_decode_layer() describes each (outermost first) and
 * ww_decode_carrier() is the packet view of each carrier, so the carrier's
 * own flow can still be accounted. At most WW_TUNNEL_MAX_DEPTH layers are
 * taken off; a packet nested deeper is reported as the deepest carrier. A
 * tunnel header that is well formed but whose inner packet is truncated or
 * malformed leaves `out` the carrier, with out->inner_error set (a counted
 * decode error for the caller), never a read out of bounds.
 *
 * Link layers beside Ethernet's VLAN/QinQ/PPPoE: MPLS label stacks (unicast
 * and multicast, with the pseudowire control word before an Ethernet
 * pseudowire), 802.1ah PBB I-tags, VN-Tag and Cisco FabricPath.
 *
 * Offloaded packets: an IPv4 total length of 0 (what a host captures of its
 * own TCP segmentation offload) takes the length from what was captured.
 */
#ifndef WIREWHO_DECODE_H
#define WIREWHO_DECODE_H

#include "wirewho/common.h"

/*
 * Link types, numbered as libpcap's DLT_* values (what pcap_datalink()
 * returns), so the caller passes pcap_datalink() straight through.
 */
#define WW_DLT_NULL        0    /* BSD loopback: 4-byte host-order family */
#define WW_DLT_EN10MB      1    /* Ethernet, with 802.1Q/802.1ad tags, PPPoE */
#define WW_DLT_PPP         9    /* PPP (RFC 1661), HDLC-like framing optional */
#define WW_DLT_RAW         12   /* raw IP (DLT_RAW on Linux/most BSDs) */
#define WW_DLT_RAW_OBSD    14   /* raw IP as OpenBSD numbers DLT_RAW */
#define WW_DLT_PPP_SERIAL  50   /* PPP in HDLC-like framing (RFC 1662), or Cisco HDLC */
#define WW_DLT_C_HDLC      104  /* Cisco HDLC: address, control, ethertype */
#define WW_DLT_IEEE802_11  105  /* 802.11 frames; data frames with LLC/SNAP carry IP */
#define WW_DLT_LOOP        108  /* OpenBSD loopback: 4-byte network-order family */
#define WW_DLT_RADIOTAP    127  /* radiotap header, then an 802.11 frame */
#define WW_DLT_LINUX_SLL   113  /* Linux cooked v1 */
#define WW_DLT_RAW_LT      101  /* LINKTYPE_RAW as found in files */
#define WW_DLT_IPV4        228  /* LINKTYPE_IPV4 */
#define WW_DLT_IPV6        229  /* LINKTYPE_IPV6 */
#define WW_DLT_NFLOG       239  /* Linux netfilter log: TLVs, one holding the IP packet */
#define WW_DLT_LINUX_SLL2  276  /* Linux cooked v2 */

enum ww_decode_result {
	WW_DECODE_OK = 0,         /* an IP packet; `out` is filled */
	WW_DECODE_NOT_IP,         /* a well-formed frame that is not IP (ARP, LLDP...) */
	WW_DECODE_FRAG_ORPHAN,    /* a later IP fragment whose first fragment we never saw */
	WW_DECODE_ERROR,          /* truncated or lying header: a decode error */
	WW_DECODE_BAD_LINKTYPE,   /* link type this decoder does not know */
};

/* The small packet view filled by ww_decode(). */
struct ww_pkt {
	struct ww_addr src, dst;  /* IPv4 as ::ffff:a.b.c.d */
	const uint8_t *payload;   /* L4 payload as captured (NULL when none) */
	uint32_t payload_len;     /* captured payload bytes (<= on-wire payload) */
	uint32_t ip_len;          /* IP bytes on the wire: v4 total length, v6 40 + payload length */
	uint16_t sport, dport;    /* TCP/UDP ports; ICMP: see below; 0 for others */
	uint16_t vlan;            /* innermost 802.1Q VLAN id, 0 when untagged */
	uint8_t  family;          /* 4 or 6 */
	uint8_t  proto;           /* IP protocol number (after v6 extension headers) */
	uint8_t  tcp_flags;       /* TCP flags byte, 0 for non-TCP */
	uint8_t  icmp_type;       /* ICMP/ICMPv6 type and code, 0 for others */
	uint8_t  icmp_code;
	bool     is_fragment;     /* part of a fragmented datagram (first or later) */
	bool     has_ports;       /* sport/dport are meaningful */
	uint8_t  tunnel_depth;    /* tunnel layers taken off around this packet */
	bool     inner_error;     /* a tunnel's inner packet was malformed: this is its carrier */
	uint32_t tcp_seq;         /* TCP sequence number (host order), 0 otherwise */
	uint16_t tunnel;          /* interned tunnel path (ww_tunnels_intern()), 0 = none;
	                           * set by the caller, not by ww_decode() */
};
/*
 * ICMP and ICMPv6: sport is the echo/request identifier where the message
 * type has one (else 0); dport is the message type. The flow layer pairs
 * request and reply types itself.
 */

/*
 * Tunnels are taken off at most this deep. Real overlays nest two (VXLAN in
 * an IPsec-less GRE mirror, Teredo over a GTP bearer); four leaves room and
 * bounds a packet built of nothing but tunnel headers.
 */
#define WW_TUNNEL_MAX_DEPTH 4

enum ww_tunnel_type {
	WW_TUN_NONE = 0,
	WW_TUN_GRE,          /* GRE (RFC 2784/2890), also PPTP's enhanced GRE (RFC 2637) */
	WW_TUN_ERSPAN1,      /* ERSPAN type I: GRE 0x88be without a sequence number */
	WW_TUN_ERSPAN2,      /* ERSPAN type II */
	WW_TUN_ERSPAN3,      /* ERSPAN type III (GRE 0x22eb) */
	WW_TUN_VXLAN,        /* RFC 7348 */
	WW_TUN_GENEVE,       /* RFC 8926 */
	WW_TUN_IPIP,         /* IP-in-IP: 4in4, 6in4, 4in6, 6in6 */
	WW_TUN_TEREDO,       /* RFC 4380 */
	WW_TUN_GTPU,         /* 3GPP TS 29.281 */
	WW_TUN_AYIYA,        /* draft-massar-v6ops-ayiya */
	WW_TUN_NTYPES
};

/* One tunnel layer: what carried a packet. */
struct ww_tunnel_layer {
	struct ww_addr src, dst;  /* the carrier's outer addresses (IPv4 mapped) */
	uint32_t id;              /* VNI, GRE key (PPTP: call id), TEID, ERSPAN session id */
	uint8_t type;             /* enum ww_tunnel_type */
	uint8_t family;           /* outer IP version, 4 or 6 */
	bool has_id;              /* `id` is meaningful */
};

/* The name of a tunnel type as the records spell it ("vxlan"). Can't fail. */
const char *ww_tunnel_type_name(unsigned type);

struct ww_decoder;

/* New decoder with an empty fragment table. Returns NULL when out of memory. */
struct ww_decoder *ww_decoder_new(void);

/* Free a decoder. NULL is allowed. This function can't fail. */
void ww_decoder_free(struct ww_decoder *d);

/*
 * Decode one captured frame of link type `dlt` (a DLT_* value) and length
 * `caplen` into `out`. `now` is the packet time, used to age out fragment
 * table entries. Returns one of enum ww_decode_result; `out` is meaningful
 * only for WW_DECODE_OK. Never reads past data + caplen.
 */
enum ww_decode_result ww_decode(struct ww_decoder *d, int dlt, const uint8_t *data,
				uint32_t caplen, ww_time_t now, struct ww_pkt *out);

/*
 * After a WW_DECODE_OK with out->tunnel_depth = n: layer i (0 outermost,
 * i < n) and the packet view of its carrier, both valid until the next
 * ww_decode(). NULL for i >= n. These functions can't fail.
 */
const struct ww_tunnel_layer *ww_decode_layer(const struct ww_decoder *d, unsigned i);
const struct ww_pkt *ww_decode_carrier(const struct ww_decoder *d, unsigned i);

/* Decapsulation on (the default) or off. This function can't fail. */
void ww_decoder_set_decap(struct ww_decoder *d, bool on);

/*
 * Also read UDP port `port` as VXLAN (4789 always is). Returns 0, or
 * -EINVAL for port 0, -ENOSPC past WW_DECODE_MAX_VXLAN_PORTS.
 */
#define WW_DECODE_MAX_VXLAN_PORTS 8
int ww_decoder_add_vxlan_port(struct ww_decoder *d, uint16_t port);

/*
 * Interned tunnel paths: each distinct list of layers (outermost first) gets
 * a small number, so a flow keeps two bytes rather than the list. The table
 * is fixed in size and append-only: an entry, once returned, never moves or
 * changes, so a thread that got its number through a release/acquire
 * hand-off may read it while the interning thread adds others.
 */
#define WW_TUNNELS_MAX 4095   /* distinct paths per run; later ones lose their description */
struct ww_tunnel_path {
	uint8_t depth;
	struct ww_tunnel_layer layer[WW_TUNNEL_MAX_DEPTH];
};
struct ww_tunnels;
/* An empty table. Returns NULL when out of memory. */
struct ww_tunnels *ww_tunnels_new(void);
/* Free a table. NULL is allowed. */
void ww_tunnels_free(struct ww_tunnels *t);
/*
 * The number of the path made of layers[0..n), n in 1..WW_TUNNEL_MAX_DEPTH,
 * added when new. Returns 0 when the table is full or n is out of range
 * (the flow then has no tunnel description).
 */
uint16_t ww_tunnels_intern(struct ww_tunnels *t, const struct ww_tunnel_layer *layers, unsigned n);
/* The path numbered `idx`, or NULL for 0 or a number never returned. Can't fail. */
const struct ww_tunnel_path *ww_tunnels_get(const struct ww_tunnels *t, uint16_t idx);

/* True when ww_decode() knows the link type `dlt`. This function can't fail. */
bool ww_decode_linktype_supported(int dlt);

#endif
