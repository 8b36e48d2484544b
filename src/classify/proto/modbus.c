/*
 * modbus.c - Modbus/TCP (Modbus Messaging on TCP/IP Implementation Guide
 * V1.0b §3.1.3; Modbus Application Protocol V1.1b3 §6-7).
 *
 * Each ADU is the 7-byte MBAP header - transaction id, protocol id 0,
 * length (the unit id and the PDU: 2-254 bytes), unit id - and a PDU that
 * opens with a function code: a public one (1-8, 11, 12, 15-17, 20-24, 43)
 * or, in a reply, an exception (the code + 0x80, 3 bytes long with an
 * exception code 1-11). The reads and single writes (codes 1-6) are 5-byte
 * PDUs: a request of one of them, length 6, is proof; so is a reply with
 * the request's transaction id and function code. Any other consistent
 * ADU is WEAK.
 */
#include "proto.h"

#define MBAP_HDR 7
#define MB_LEN_MIN 2
#define MB_LEN_MAX 254
#define MB_FIXED_REQ_LEN 6   /* unit id + function + address (2) + count or value (2) */

static bool fc_public(uint8_t fc)
{
	return (fc >= 1 && fc <= 8) || fc == 11 || fc == 12 || (fc >= 15 && fc <= 17) || (fc >= 20 && fc <= 24) || fc == 43;
}

/* A consistent ADU at p[0..n): YES / NEED / NO; *fixed when it is a fixed-size read or write request. */
static enum ww_det adu(const uint8_t *p, uint32_t n, bool reply, bool *fixed)
{
	*fixed = false;
	if (n >= 4 && ww_be16(p + 2) != 0)
		return WW_DET_NO;
	if (n < MBAP_HDR + 1)
		return WW_DET_NEED;
	uint32_t len = ww_be16(p + 4);
	if (len < MB_LEN_MIN || len > MB_LEN_MAX)
		return WW_DET_NO;
	uint8_t fc = p[7];
	if (reply && (fc & 0x80)) {
		if (!fc_public(fc & 0x7f) || len != 3)
			return WW_DET_NO;
		if (n < 9)
			return WW_DET_NEED;
		if (p[8] < 1 || p[8] > 11)
			return WW_DET_NO;
	} else if (!fc_public(fc)) {
		return WW_DET_NO;
	}
	if (n < 6 + len)
		return WW_DET_NEED;
	if (n > 6 + len && n < 6 + len + 4)
		return WW_DET_NEED;           /* the next ADU's header */
	if (n > 6 + len && ww_be16(p + 6 + len + 2) != 0)
		return WW_DET_NO;             /* bytes after it that are no ADU */
	*fixed = !reply && fc <= 6 && len == MB_FIXED_REQ_LEN;
	return WW_DET_YES;
}

enum ww_det ww_detect_modbus(const struct ww_pview *v)
{
	bool fa = false, fb = false;
	enum ww_det a = v->n[0] ? adu(v->d[0], v->n[0], false, &fa) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? adu(v->d[1], v->n[1], true, &fb) : WW_DET_NEED;
	if (a == WW_DET_NO || b == WW_DET_NO)
		return WW_DET_NO;
	if (a == WW_DET_YES && fa)
		return WW_DET_YES;
	if (a == WW_DET_YES && b == WW_DET_YES)   /* the reply answers the request */
		return memcmp(v->d[0], v->d[1], 2) == 0 && (v->d[1][7] & 0x7f) == v->d[0][7] ? WW_DET_YES : WW_DET_NO;
	/* one whole ADU and nothing the other way: WEAK once no more comes */
	if ((a == WW_DET_YES && !v->n[1]) || (b == WW_DET_YES && !v->n[0]))
		return v->full[0] && v->full[1] ? WW_DET_WEAK : WW_DET_NEED;
	return WW_DET_NEED;
}
