/*
 * dhcp.c - DHCP (RFC 2131 §2) / BOOTP (RFC 951) messages.
 *
 * Fixed part: op (1 BOOTREQUEST, 2 BOOTREPLY), htype (ARP hardware type,
 * 1 Ethernet and a few others, RFC 1700), hlen (<= 16, the chaddr size;
 * 6 for Ethernet), hops (relay count, small), xid, secs, flags (only the
 * broadcast bit is defined), ciaddr..giaddr, chaddr(16), sname(64),
 * file(128): 236 bytes; then the magic cookie 99.130.83.99 (RFC 2131 §3,
 * RFC 1497) that starts the options. Requests go to the server, replies to
 * the client, except through relays, so direction is not checked.
 */
#include "proto.h"

#define DHCP_COOKIE_OFF 236
#define DHCP_MIN (DHCP_COOKIE_OFF + 4)
#define DHCP_MAX_HOPS 16   /* RFC 1542 §4.1.1: relays drop above a configured max, 16 by default */

static enum ww_det one(const uint8_t *p, uint32_t n)
{
	if (n < DHCP_MIN)
		return WW_DET_NO;
	if (p[0] != 1 && p[0] != 2)
		return WW_DET_NO;
	if (p[1] == 0 || p[1] > 40 || p[2] == 0 || p[2] > 16 || p[3] > DHCP_MAX_HOPS)
		return WW_DET_NO;
	if (p[1] == 1 && p[2] != 6)   /* Ethernet addresses are 6 bytes */
		return WW_DET_NO;
	if (p[10] & 0x7f)             /* flags: only the B bit is defined */
		return WW_DET_NO;
	if (ww_be32(p + DHCP_COOKIE_OFF) != 0x63825363u)
		return WW_DET_NO;
	return WW_DET_YES;
}

enum ww_det ww_detect_dhcp(const struct ww_pview *v)
{
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0]) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1]) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
