/*
 * stun.c - STUN (RFC 8489, RFC 5389; classic RFC 3489) and TURN (RFC 8656)
 * messages, over UDP and TCP.
 *
 * Header (RFC 8489 §5): the two top bits zero, a message type (method and
 * class), a length that is a multiple of 4 and counts the attributes after
 * the 20-byte header, the magic cookie 0x2112A442, a 96-bit transaction id.
 * The attributes are type-length-value, each padded to 4 bytes, and must
 * fill the length exactly (§14). Proof: top bits, a method we know
 * (Binding .. TURN's ConnectionAttempt, and RFC 3489's SharedSecret),
 * the cookie, the length matching the datagram (over TCP: fitting the
 * bytes) and the attribute walk ending on it. RFC 3489 messages have no
 * cookie; with a Binding or SharedSecret type, the length and an exact
 * attribute walk they are WEAK (12 bytes of the header are free).
 */
#include "proto.h"

#define STUN_HDR 20
#define STUN_COOKIE 0x2112a442u
#define STUN_METHOD_MAX 0x00c    /* ConnectionAttempt, RFC 6062 */

static uint16_t method_of(uint16_t t)
{
	return (uint16_t)((t & 0x000f) | ((t & 0x00e0) >> 1) | ((t & 0x3e00) >> 2));
}

/* The attributes at p[STUN_HDR .. STUN_HDR+len) walk to exactly its end. */
static bool attrs_ok(const uint8_t *p, uint32_t len)
{
	uint32_t i = STUN_HDR, end = STUN_HDR + len;
	while (i < end) {
		if (end - i < 4)
			return false;
		uint32_t al = ww_be16(p + i + 2);
		uint32_t step = 4 + ((al + 3) & ~3u);
		if (step > end - i)
			return false;
		i += step;
	}
	return true;
}

static enum ww_det one(const uint8_t *p, uint32_t n, bool tcp)
{
	if (n < STUN_HDR)
		return tcp && (n < 1 || (p[0] & 0xc0) == 0) ? WW_DET_NEED : WW_DET_NO;
	uint16_t t = ww_be16(p);
	uint32_t len = ww_be16(p + 2);
	if ((t & 0xc000) || (len & 3))
		return WW_DET_NO;
	if (tcp ? STUN_HDR + len > n : STUN_HDR + len != n) {
		if (tcp && STUN_HDR + len > n)
			return ww_be32(p + 4) == STUN_COOKIE ? WW_DET_NEED : WW_DET_NO;
		return WW_DET_NO;
	}
	if (!attrs_ok(p, len))
		return WW_DET_NO;
	uint16_t m = method_of(t);
	if (ww_be32(p + 4) == STUN_COOKIE)
		return m >= 1 && m <= STUN_METHOD_MAX ? WW_DET_YES : WW_DET_NO;
	/* RFC 3489: Binding and Shared Secret requests, responses, errors */
	switch (t) {
	case 0x0001: case 0x0101: case 0x0111:
	case 0x0002: case 0x0102: case 0x0112:
		return WW_DET_WEAK;
	default:
		return WW_DET_NO;
	}
}

enum ww_det ww_detect_stun(const struct ww_pview *v)
{
	bool tcp = v->ipproto == WW_IPPROTO_TCP;
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0], tcp) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1], tcp) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
