/*
 * llmnr.c - Link-Local Multicast Name Resolution (RFC 4795), on UDP and TCP
 * port 5355.
 *
 * LLMNR is the DNS message format (dns.c's ww_dns_message()) with its own
 * header rules (§2.1.1): opcode 0 only, exactly one question, and a query
 * carries no answer or authority records (§2.1.1: ANCOUNT and NSCOUNT are
 * zero in queries); the flag bits C and T replace AA and RA, and the four
 * Z bits (RFC 4795 reserves Z, AD and CD's positions) are zero. It always
 * runs on port 5355 (§2.5: the responder listens there, queries go to it),
 * which splits it from DNS the way 5353 splits mDNS. Over TCP a message
 * follows a 2-byte length, as DNS's does.
 */
#include "proto.h"

#define LLMNR_HDR 12

static enum ww_det msg(const uint8_t *p, uint32_t n)
{
	if (n < LLMNR_HDR)
		return WW_DET_NEED;
	uint16_t fl = ww_be16(p + 2);
	if ((fl & 0x7800) || (fl & 0x000f0))   /* opcode 0; the Z bits zero */
		return WW_DET_NO;
	if (ww_be16(p + 4) != 1)
		return WW_DET_NO;
	bool query = !(fl & 0x8000);
	if (query && (ww_be16(p + 6) || ww_be16(p + 8)))
		return WW_DET_NO;
	return ww_dns_message(p, n, false);
}

enum ww_det ww_detect_llmnr(const struct ww_pview *v)
{
	if (v->sport != WW_LLMNR_PORT && v->cport != WW_LLMNR_PORT)
		return WW_DET_NO;
	enum ww_det r[2] = { WW_DET_NEED, WW_DET_NEED };
	for (int d = 0; d < 2; d++) {
		const uint8_t *p = v->d[d];
		uint32_t n = v->n[d];
		if (!n)
			continue;
		if (v->ipproto == WW_IPPROTO_TCP) {
			if (n < 2)
				continue;
			uint32_t l = ww_be16(p);
			if (l < LLMNR_HDR)
				r[d] = WW_DET_NO;
			else
				r[d] = msg(p + 2, n - 2 < l ? n - 2 : l);
		} else {
			r[d] = msg(p, n);
			if (r[d] == WW_DET_NEED)
				r[d] = WW_DET_NO;   /* a datagram is whole */
		}
	}
	return ww_det_merge(r[0], r[1]);
}
