/*
 * smb.c - SMB over NetBIOS session service or direct TCP (port 445).
 *
 * RFC 1002 §4.3.1: a session message is type(1) 0x00, flags(1) (only the
 * length-extension bit 0x01 may be set), length(2); [MS-SMB2] §2.1 uses the
 * same 4-byte header on port 445 with a 24-bit length. The message then
 * starts with the protocol id: 0xFF "SMB" (SMB1, [MS-CIFS] §2.2.3.1),
 * 0xFE "SMB" (SMB2/3, [MS-SMB2] §2.2.1), 0xFD "SMB" (transform header,
 * §2.2.41) or 0xFC "SMB" (compression). The length must at least hold the
 * fixed header of that version. A NetBIOS session request (type 0x81,
 * length 68: two encoded names, §4.3.2) on port 139 comes before SMB and
 * is WEAK; the SMB that follows proves it.
 */
#include "proto.h"

#define SMB1_HDR 32
#define SMB2_HDR 64
#define SMB_TRANSFORM_HDR 52

static enum ww_det one(const uint8_t *p, uint32_t n)
{
	if (n < 1)
		return WW_DET_NEED;
	if (p[0] == 0x81 || p[0] == 0x82) {
		/* session request (68-byte body) / positive response (empty) */
		if (n < 4)
			return WW_DET_NEED;
		uint32_t l = ww_be16(p + 2);
		if (p[1] != 0)
			return WW_DET_NO;
		if (p[0] == 0x81)
			return l == 68 && (n < 5 || p[4] == 0x20) ? WW_DET_WEAK : WW_DET_NO;
		return l == 0 ? WW_DET_WEAK : WW_DET_NO;
	}
	if (p[0] != 0)
		return WW_DET_NO;
	if (n < 8)
		return WW_DET_NEED;
	uint32_t len = (uint32_t)(p[1]) << 16 | ww_be16(p + 2);
	if (p[5] != 'S' || p[6] != 'M' || p[7] != 'B')
		return WW_DET_NO;
	switch (p[4]) {
	case 0xff: return len >= SMB1_HDR ? WW_DET_YES : WW_DET_NO;
	case 0xfe: return len >= SMB2_HDR ? WW_DET_YES : WW_DET_NO;
	case 0xfd: return len >= SMB_TRANSFORM_HDR ? WW_DET_YES : WW_DET_NO;
	case 0xfc: return len >= 16 ? WW_DET_YES : WW_DET_NO;
	}
	return WW_DET_NO;
}

enum ww_det ww_detect_smb(const struct ww_pview *v)
{
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0]) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1]) : WW_DET_NEED;
	if (a == WW_DET_WEAK && v->n[0] > 72) {
		/* after the 72-byte session request, the client's SMB itself */
		enum ww_det c = one(v->d[0] + 72, v->n[0] - 72);
		if (c == WW_DET_YES)
			return c;
		if (c == WW_DET_NO)
			return WW_DET_NO;
	}
	if (b == WW_DET_WEAK && v->n[1] > 4) {
		enum ww_det c = one(v->d[1] + 4, v->n[1] - 4);
		if (c == WW_DET_YES)
			return c;
	}
	return ww_det_merge(a, b);
}
