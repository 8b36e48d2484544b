/*
 * mdns.c - multicast DNS (RFC 6762): DNS messages (RFC 1035 §4.1, checked by
 * dns.c's ww_dns_message()) on UDP port 5353 or to the mDNS group
 * 224.0.0.251 / ff02::fb. RFC 6762 §18 relaxes the header: several
 * questions, responses without questions, and the top bit of QCLASS is the
 * unicast-response bit (§5.4). The port or group is required: that is what
 * separates mDNS from unicast DNS with the same format.
 */
#include "proto.h"

#define MDNS_PORT 5353

static enum ww_det one(const uint8_t *p, uint32_t n)
{
	enum ww_det r = ww_dns_message(p, n, true);
	return r == WW_DET_NEED ? WW_DET_NO : r;  /* a datagram is complete */
}

enum ww_det ww_detect_mdns(const struct ww_pview *v)
{
	if (v->ipproto != WW_IPPROTO_UDP)
		return WW_DET_NO;
	if (v->sport != MDNS_PORT && v->cport != MDNS_PORT && !v->mcast_mdns)
		return WW_DET_NO;
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0]) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1]) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
