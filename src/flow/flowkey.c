/*
 * flowkey.c - the canonical key of a decoded packet.
 *
 * A bidirectional flow has one key whichever way a packet goes: the two
 * endpoints (address, port) are compared as *pairs* and the smaller pair is
 * stored first. Ordering addresses and ports separately would merge
 * A:1->B:2 with A:2->B:1, two different conversations.
 *
 * ICMP and ICMPv6 key on (request type, identifier): a reply's type is
 * mapped to its request's, so an echo request and its reply share a flow;
 * one-way messages (unreachable, time exceeded) key on their own type with
 * identifier 0. Both families' addresses order the key alone there.
 */
#include "wirewho/flow.h"

#include <stddef.h>

_Static_assert(offsetof(struct ww_flowkey, family) - offsetof(struct ww_flowkey, port_a) == 7,
	       "the key's tail (ports, vlan, proto, family) must be 8 contiguous bytes");

int ww_flowkey_icmp_request(uint8_t proto, uint8_t type, bool *is_reply)
{
	*is_reply = false;
	if (proto == WW_IPPROTO_ICMP) {
		switch (type) {
		case 8: case 13: case 15: case 10: case 17: return type;
		case 0: *is_reply = true; return 8;
		case 14: *is_reply = true; return 13;
		case 16: *is_reply = true; return 15;
		case 9: *is_reply = true; return 10;
		case 18: *is_reply = true; return 17;
		}
	} else {
		switch (type) {
		case 128: case 130: case 133: case 135: case 139: case 144: return type;
		case 129: case 131: case 134: case 136: case 140: case 145:
			*is_reply = true;
			return type - 1;
		}
	}
	return -1;
}

/* memcmp order of two addresses, without a library call on the hot path. */
static inline int addr_cmp(const struct ww_addr *x, const struct ww_addr *y)
{
	uint64_t a0, a1, b0, b1;
	memcpy(&a0, x->b, 8); memcpy(&a1, x->b + 8, 8);
	memcpy(&b0, y->b, 8); memcpy(&b1, y->b + 8, 8);
	a0 = __builtin_bswap64(a0); b0 = __builtin_bswap64(b0);
	if (a0 != b0)
		return a0 < b0 ? -1 : 1;
	a1 = __builtin_bswap64(a1); b1 = __builtin_bswap64(b1);
	return a1 < b1 ? -1 : a1 > b1;
}

void ww_flowkey_from_pkt(const struct ww_pkt *p, struct ww_flowkey *k, bool *src_is_a)
{
	uint16_t sport = p->sport, dport = p->dport, pa, pb;
	int c = addr_cmp(&p->src, &p->dst);
	bool a;

	if (ww_proto_is_icmp(p->proto)) {
		/* Ports are (identifier, request type): the same both ways, so
		 * only the addresses decide the order. */
		bool reply;
		int req = ww_flowkey_icmp_request(p->proto, p->icmp_type, &reply);
		a = c <= 0;
		pa = req >= 0 ? p->sport : 0;   /* echo id only for request/reply pairs */
		pb = (uint16_t)(req >= 0 ? req : p->icmp_type);
	} else {
		a = c < 0 || (c == 0 && sport <= dport);
		pa = a ? sport : dport;
		pb = a ? dport : sport;
	}
	*src_is_a = a;
	k->a = a ? p->src : p->dst;
	k->b = a ? p->dst : p->src;
	/* The last 8 bytes go out as one store, assembled in registers: the
	 * hash reads the key back as 8-byte words at once, and a load that
	 * spans several narrower stores cannot be forwarded from the store
	 * buffer (a ~15-cycle stall on every packet). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t w = (uint64_t)pa | (uint64_t)pb << 16 | (uint64_t)p->vlan << 32 |
		     (uint64_t)p->proto << 48 | (uint64_t)p->family << 56;
	_Static_assert(offsetof(struct ww_flowkey, port_a) == 32 && offsetof(struct ww_flowkey, port_b) == 34 &&
		       offsetof(struct ww_flowkey, vlan) == 36 && offsetof(struct ww_flowkey, proto) == 38 &&
		       offsetof(struct ww_flowkey, family) == 39, "the key's last word, as assembled here");
	memcpy(&k->port_a, &w, 8);
#else
	k->port_a = pa;
	k->port_b = pb;
	k->vlan = p->vlan;
	k->proto = p->proto;
	k->family = p->family;
#endif
}
