/*
 * quic.c - QUIC long-header packets (RFC 9000 §17.2, RFC 8999, RFC 9369).
 *
 * A long header is: first byte with Header Form (0x80) and, for versions 1
 * and 2, the Fixed Bit (0x40) set; Version (4); DCID Len (1, <= 20 in
 * v1/v2); DCID; SCID Len (1, <= 20); SCID. Versions we know: 1, 2
 * (0x6b3343cf), the IETF drafts 0xff0000xx, and Google QUIC's "Q046"-"Q050"
 * and "T05x" (same invariant header, RFC 8999). Version 0 is Version
 * Negotiation (§17.2.1), whose first-byte bits are random except the form
 * bit. A client's Initial must be padded to 1200 bytes (§14.1), which
 * random datagrams with a valid-looking header rarely are.
 * Google QUIC before Q046 used its own "public header": flags (version bit
 * 0x01, 8-byte CID bit 0x08), CID(8), version "Q0xx"; we accept that too.
 * Short-header packets (mid-connection) carry no version and prove nothing:
 * NEED, so a flow caught mid-way is not ruled out (its port still guesses).
 */
#include "proto.h"

#define QUIC_MIN_INITIAL 1200   /* RFC 9000 §14.1 */
#define QUIC_V1 0x00000001u
#define QUIC_V2 0x6b3343cfu

static bool gquic_ver(const uint8_t *v)
{
	return (v[0] == 'Q' || v[0] == 'T') && v[1] == '0' && ww_is_digit(v[2]) && ww_is_digit(v[3]);
}

static enum ww_det one(const uint8_t *p, uint32_t n, bool toserver)
{
	if (n < 7)
		return WW_DET_NO;
	if (!(p[0] & 0x80)) {
		/* Google QUIC public header (pre-Q046): version flag + 8-byte CID */
		if ((p[0] & 0x09) == 0x09 && !(p[0] & 0xc0) && n >= 13 && gquic_ver(p + 9))
			return toserver && n >= 1024 ? WW_DET_YES : WW_DET_NO;
		/* a short header (fixed bit set): mid-connection, wait for a long one */
		return (p[0] & 0x40) ? WW_DET_NEED : WW_DET_NO;
	}
	uint32_t ver = ww_be32(p + 1);
	bool v12 = ver == QUIC_V1 || ver == QUIC_V2 || (ver >> 8) == 0xff0000u;
	if (ver != 0 && !v12 && !gquic_ver(p + 1))
		return WW_DET_NO;
	if (ver != 0 && !(p[0] & 0x40))
		return WW_DET_NO;
	uint32_t dl = p[5];
	if (dl > 20 || 6 + dl + 1 > n)
		return WW_DET_NO;
	uint32_t sl = p[6 + dl];
	if (sl > 20 || 7 + dl + sl > n)
		return WW_DET_NO;
	if (ver == 0) {
		/* Version Negotiation: a list of 4-byte versions follows */
		uint32_t rest = n - 7 - dl - sl;
		return !toserver && rest >= 4 && rest % 4 == 0 ? WW_DET_YES : WW_DET_NO;
	}
	/* Initial: type 0 in v1, 1 in v2 (RFC 9369 §3.2) */
	uint8_t type = (p[0] >> 4) & 3;
	bool initial = ver == QUIC_V2 ? type == 1 : type == 0;
	if (toserver && initial && n < QUIC_MIN_INITIAL)
		return WW_DET_NO;
	return WW_DET_YES;
}

enum ww_det ww_detect_quic(const struct ww_pview *v)
{
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0], true) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1], false) : WW_DET_NEED;
	/* a short-header datagram after a proven long header is fine; the
	 * classifier stops at the first YES, so merging is enough */
	return ww_det_merge(a, b);
}
