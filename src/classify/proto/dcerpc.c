/*
 * dcerpc.c - DCE/RPC (DCE 1.1 RPC, C706; MS-RPCE) by its PDU header.
 *
 * Connection-oriented (TCP, §12.6.3.1): rpc_vers 5, rpc_vers_minor 0 or 1,
 * PTYPE 0-20 (request 0 .. bind 11, bind_ack 12, alter_context 14 ..),
 * pfc_flags, the 4-byte data representation (byte 0: integer order in the
 * high nibble 0 or 1, character set in the low one 0 or 1; byte 1: float
 * format 0-3; bytes 2-3 zero), frag_length (in that byte order) of at least
 * the 16-byte header plus the auth trailer, auth_length. Connectionless
 * (UDP, §12.5.3.1): rpc_vers 4, PTYPE 0-10, the same data representation
 * at byte 4, and the body length at byte 74 that with the 80-byte header
 * makes the datagram. Nine header fields, each constrained.
 */
#include "proto.h"

#define CO_HDR 16
#define CO_PTYPE_MAX 20     /* rts (MS-RPCH) is the last */
#define CL_HDR 80
#define CL_PTYPE_MAX 10
#define AUTH_VERIFIER_HDR 8 /* sec_trailer before the auth value (§13.2.6.1) */

static bool drep_ok(const uint8_t *d)
{
	return (d[0] & 0xee) == 0 && d[1] <= 3 && d[2] == 0 && d[3] == 0;
}

static enum ww_det co(const uint8_t *p, uint32_t n)
{
	if (n >= 1 && p[0] != 5)
		return WW_DET_NO;
	if (n >= 2 && p[1] > 1)
		return WW_DET_NO;
	if (n >= 3 && p[2] > CO_PTYPE_MAX)
		return WW_DET_NO;
	if (n < CO_HDR)
		return WW_DET_NEED;
	if (!drep_ok(p + 4))
		return WW_DET_NO;
	bool le = p[4] & 0x10;
	uint32_t frag = le ? (uint32_t)(p[8] | p[9] << 8) : ww_be16(p + 8);
	uint32_t auth = le ? (uint32_t)(p[10] | p[11] << 8) : ww_be16(p + 10);
	if (frag < CO_HDR || (auth && frag < CO_HDR + AUTH_VERIFIER_HDR + auth))
		return WW_DET_NO;
	return WW_DET_YES;
}

static enum ww_det cl(const uint8_t *p, uint32_t n)
{
	if (n < CL_HDR || p[0] != 4 || p[1] > CL_PTYPE_MAX)
		return WW_DET_NO;
	const uint8_t d[4] = { p[4], p[5], p[6], 0 };
	if (!drep_ok(d))
		return WW_DET_NO;
	bool le = p[4] & 0x10;
	uint32_t body = le ? (uint32_t)(p[74] | p[75] << 8) : ww_be16(p + 74);
	return CL_HDR + body == n ? WW_DET_YES : WW_DET_NO;
}

enum ww_det ww_detect_dcerpc(const struct ww_pview *v)
{
	enum ww_det (*f)(const uint8_t *, uint32_t) = v->ipproto == WW_IPPROTO_TCP ? co : cl;
	enum ww_det a = v->n[0] ? f(v->d[0], v->n[0]) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? f(v->d[1], v->n[1]) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
