/*
 * wireguard.c - WireGuard (the protocol paper, §5.4; wireguard.com/protocol)
 * over UDP.
 *
 * Every message opens with a type byte and three reserved zero bytes:
 * 1 handshake initiation (148 bytes in all), 2 handshake response (92),
 * 3 cookie reply (64), 4 transport data (16-byte header and a 16-byte
 * Poly1305 tag around a payload padded to 16: at least 32 bytes, a
 * multiple of 16). Handshake messages have exactly one size each: type,
 * zeros and size prove them. A response names the initiator's sender index
 * as its receiver index (bytes 8-11 against 4-7), checked when both are
 * here. Transport data alone is WEAK: its shape is common.
 */
#include "proto.h"

#define WG_INIT_LEN 148
#define WG_RESP_LEN 92
#define WG_COOKIE_LEN 64
#define WG_DATA_MIN 32
#define WG_PAD 16

static enum ww_det one(const uint8_t *p, uint32_t n)
{
	if (n < 4 || p[1] || p[2] || p[3])
		return WW_DET_NO;
	switch (p[0]) {
	case 1: return n == WG_INIT_LEN ? WW_DET_YES : WW_DET_NO;
	case 2: return n == WG_RESP_LEN ? WW_DET_YES : WW_DET_NO;
	case 3: return n == WG_COOKIE_LEN ? WW_DET_YES : WW_DET_NO;
	case 4: return n >= WG_DATA_MIN && n % WG_PAD == 0 ? WW_DET_WEAK : WW_DET_NO;
	default: return WW_DET_NO;
	}
}

enum ww_det ww_detect_wireguard(const struct ww_pview *v)
{
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0]) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1]) : WW_DET_NEED;
	/* a response answers an initiation: its receiver index is the initiator's sender */
	for (int d = 0; d < 2; d++)
		if (v->n[d] == WG_INIT_LEN && v->n[!d] == WG_RESP_LEN && v->d[d][0] == 1 && v->d[!d][0] == 2 &&
		    memcmp(v->d[d] + 4, v->d[!d] + 8, 4) != 0)
			return WW_DET_NO;
	return ww_det_merge(a, b);
}
