/*
 * socks.c - SOCKS4/4a (the NEC protocol note, "SOCKS 4A") and SOCKS5
 * (RFC 1928), each proven by the client's request and the server's reply.
 *
 * SOCKS5 (§3): the client greets with VER=5, NMETHODS (1-255, real clients
 * 1-9), METHODS; the server replies VER=5, METHOD (one it offered, or 0xFF
 * "no acceptable"). §4: the request that follows is VER=5 CMD (1-3) RSV=0
 * ATYP (1, 3, 4). SOCKS4: VN=4 CD (1 CONNECT, 2 BIND) DSTPORT DSTIP USERID
 * NUL; 4a puts 0.0.0.x (x != 0) in DSTIP and a NUL-terminated host after the
 * user id. The reply is VN=0, CD 90-93, port, ip: 8 bytes. A request alone
 * is a few generic bytes, so it is WEAK; with a fitting reply it is YES.
 */
#include "proto.h"

#define SOCKS5_MAX_METHODS 16   /* real clients offer 1-3; anything beyond 16 is not a greeting */
#define SOCKS4_MAX_ID 255

static enum ww_det v5_client(const uint8_t *p, uint32_t n)
{
	if (n < 2)
		return WW_DET_NEED;
	uint32_t nm = p[1];
	if (nm == 0 || nm > SOCKS5_MAX_METHODS)
		return WW_DET_NO;
	if (n < 2 + nm)
		return WW_DET_NEED;
	for (uint32_t i = 0; i < nm; i++)
		if (p[2 + i] == 0xff)
			return WW_DET_NO;
	uint32_t r = 2 + nm;
	if (n > r) {
		/* the request, or a user/pass sub-negotiation (RFC 1929, version 1) */
		if (p[r] == 1)
			return WW_DET_WEAK;
		if (p[r] != 5)
			return WW_DET_NO;
		if (n >= r + 4 && (p[r + 1] < 1 || p[r + 1] > 3 || p[r + 2] != 0 ||
				   (p[r + 3] != 1 && p[r + 3] != 3 && p[r + 3] != 4)))
			return WW_DET_NO;
	}
	return WW_DET_WEAK;
}

static enum ww_det v4_client(const uint8_t *p, uint32_t n)
{
	if (n < 2)
		return WW_DET_NEED;
	if (p[1] != 1 && p[1] != 2)
		return WW_DET_NO;
	if (n < 9)
		return WW_DET_NEED;
	bool v4a = p[4] == 0 && p[5] == 0 && p[6] == 0 && p[7] != 0;
	uint32_t i = 8;
	for (int s = 0; s < (v4a ? 2 : 1); s++) {
		uint32_t st = i;
		while (i < n && p[i] != 0) {
			if (!ww_is_vchar(p[i]) || i - st > SOCKS4_MAX_ID)
				return WW_DET_NO;
			i++;
		}
		if (i == n)
			return WW_DET_NEED;
		if (s == 1 && i == st)
			return WW_DET_NO;   /* 4a needs a host name */
		i++;
	}
	return WW_DET_WEAK;
}

enum ww_det ww_detect_socks(const struct ww_pview *v)
{
	if (!v->n[0])
		return v->n[1] ? WW_DET_NO : WW_DET_NEED;   /* the client speaks first */
	const uint8_t *c = v->d[0], *s = v->d[1];
	uint32_t cn = v->n[0], sn = v->n[1];
	enum ww_det a;
	if (c[0] == 5)
		a = v5_client(c, cn);
	else if (c[0] == 4)
		a = v4_client(c, cn);
	else
		return WW_DET_NO;
	if (a != WW_DET_WEAK || !sn)
		return a;
	if (c[0] == 5) {
		if (sn < 2)
			return WW_DET_NEED;
		if (s[0] != 5)
			return WW_DET_NO;
		if (s[1] == 0xff)
			return WW_DET_YES;
		return memchr(c + 2, s[1], c[1]) ? WW_DET_YES : WW_DET_NO;
	}
	if (sn < 8)
		return WW_DET_NEED;
	return s[0] == 0 && s[1] >= 90 && s[1] <= 93 ? WW_DET_YES : WW_DET_NO;
}
