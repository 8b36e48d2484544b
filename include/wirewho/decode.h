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
	uint32_t tcp_seq;         /* TCP sequence number (host order), 0 otherwise */
};
/*
 * ICMP and ICMPv6: sport is the echo/request identifier where the message
 * type has one (else 0); dport is the message type. The flow layer pairs
 * request and reply types itself.
 */

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

/* True when ww_decode() knows the link type `dlt`. This function can't fail. */
bool ww_decode_linktype_supported(int dlt);

#endif
