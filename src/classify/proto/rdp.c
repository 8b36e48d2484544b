/*
 * rdp.c - RDP connection setup: TPKT (RFC 1006 §6) carrying an X.224
 * (ISO 8073) Connection Request / Confirm, as [MS-RDPBCGR] §2.2.1.1-2 lays
 * them out.
 *
 * TPKT: version 3, reserved 0, length (2, whole packet, >= 11). X.224: LI
 * (length of the header after LI: TPKT length - 5), code 0xE0 (CR, client)
 * or 0xD0 (CC, server), DST-REF 0, SRC-REF, class 0. ISO-TSAP users such as
 * S7comm (port 102) send the same CR with TSAP parameters (0xC0-0xC2); RDP's
 * variable part is empty, a "Cookie: mstshash=" routing token, or an
 * 8-byte RDP_NEG_REQ (type 1) / RDP_NEG_RSP (2) / RDP_NEG_FAILURE (3), so we
 * check that too.
 */
#include "proto.h"

static enum ww_det one(const uint8_t *p, uint32_t n, uint8_t code)
{
	if (n < 1)
		return WW_DET_NEED;
	if (p[0] != 3)
		return WW_DET_NO;
	if (n < 2)
		return WW_DET_NEED;
	if (p[1] != 0)
		return WW_DET_NO;
	if (n < 11)
		return WW_DET_NEED;
	uint32_t tl = ww_be16(p + 2);
	if (tl < 11 || p[4] != tl - 5 || (p[5] & 0xf0) != code || ww_be16(p + 6) != 0)
		return WW_DET_NO;
	if (p[10] != 0 && (p[10] & 0xf0) != 0)   /* class 0, options */
		return WW_DET_NO;
	uint32_t var = tl - 11;
	if (var == 0)
		return WW_DET_YES;
	if (n < 12)
		return WW_DET_NEED;
	const uint8_t *q = p + 11;
	uint32_t m = n - 11;
	if (q[0] == 'C') {
		static const char ck[] = "Cookie: ";
		for (uint32_t i = 0; i < 8; i++) {
			if (i >= m)
				return WW_DET_NEED;
			if (q[i] != (uint8_t)ck[i])
				return WW_DET_NO;
		}
		return WW_DET_YES;
	}
	/* RDP_NEG_*: type(1) flags(1) length(2, little endian, = 8) */
	if (q[0] >= 1 && q[0] <= 3 && var >= 8) {
		if (m < 4)
			return WW_DET_NEED;
		return q[2] == 8 && q[3] == 0 ? WW_DET_YES : WW_DET_NO;
	}
	return WW_DET_NO;
}

enum ww_det ww_detect_rdp(const struct ww_pview *v)
{
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0], 0xe0) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1], 0xd0) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
