/*
 * quic.c - QUIC long-header packets (RFC 9000 §17.2, RFC 8999, RFC 9369).
 *
 * A long header is: first byte with Header Form (0x80) and, for versions 1
 * and 2, the Fixed Bit (0x40) set; Version (4); DCID Len (1, <= 20 in
 * v1/v2); DCID; SCID Len (1, <= 20); SCID. A version proves QUIC only when
 * it is one that was really deployed (the QUIC WG's version registry): 1,
 * 2 (0x6b3343cf) and its draft numbers (0xff020000, 0x709a50c4), the IETF
 * transport drafts 0xff0000xx, Facebook mvfst's 0xfaceb00x, and Google
 * QUIC's "Q0xx"/"T0xx". Drafts up to 21 and Google's Q043-Q047 carry both
 * CID lengths in one byte (4 bits each, non-zero values meaning len + 3);
 * later versions use one byte each.
 * A client may also offer a reserved "greasing" version 0x?a?a?a?a
 * (RFC 9000 §15, §6.1) precisely to draw a Version Negotiation; such a
 * datagram is taken only from the client, padded to 1200 bytes like any
 * first flight (§14.1), with sane CID lengths.
 * Version 0 is Version Negotiation (§17.2.1), whose first-byte bits are
 * random except the form bit: a list of 4-byte versions follows the CIDs.
 * A client's Initial must be padded to 1200 bytes (§14.1), which random
 * datagrams with a valid-looking header rarely are.
 * Google QUIC before Q046 used its own "public header": flags (version bit
 * 0x01, 8-byte CID bit 0x08), CID(8), version "Q0xx"; we accept that too.
 * Short-header packets (mid-connection) carry no version and prove nothing:
 * NEED, so a flow caught mid-way is not ruled out (its port still guesses),
 * unless the datagram is too short to be one (fewer than 21 bytes).
 */
#include "proto.h"

#define QUIC_MIN_INITIAL 1200   /* RFC 9000 §14.1 */
#define QUIC_MIN_SHORT 21       /* flags + pn/payload >= 20 (RFC 9001 §5.4.2); also a stateless reset's minimum */
#define QUIC_V1 0x00000001u
#define QUIC_V2 0x6b3343cfu
#define QUIC_V2_DRAFT00 0xff020000u   /* draft-ietf-quic-v2-00 */
#define QUIC_V2_DRAFT01 0x709a50c4u   /* draft-ietf-quic-v2-01 .. -10 */
#define QUIC_MVFST_MASK 0xfffffff0u
#define QUIC_MVFST 0xfaceb000u        /* 0xfaceb00[0-f], mvfst */
#define QUIC_LAST_NIBBLE_DRAFT 21     /* draft-22 split the CID-length byte */
#define QUIC_GREASE_MASK 0x0f0f0f0fu
#define QUIC_GREASE 0x0a0a0a0au
#define QUIC_MAX_CID 20               /* RFC 9000 §17.2, v1 and v2 */

static bool gquic_ver(const uint8_t *v)
{
	return (v[0] == 'Q' || v[0] == 'T') && v[1] == '0' && ww_is_digit(v[2]) && ww_is_digit(v[3]);
}

/* Google versions before 48 and IETF drafts before 22 pack both CID lengths
 * in one byte. */
static bool nibble_cids(uint32_t ver, const uint8_t *v)
{
	if ((ver >> 8) == 0xff0000u)
		return (ver & 0xff) <= QUIC_LAST_NIBBLE_DRAFT;
	return gquic_ver(v) && (v[2] - '0') * 10 + (v[3] - '0') < 48;
}

static bool v2_family(uint32_t ver)
{
	return ver == QUIC_V2 || ver == QUIC_V2_DRAFT00 || ver == QUIC_V2_DRAFT01;
}

static bool known_version(uint32_t ver, const uint8_t *v)
{
	return ver == QUIC_V1 || v2_family(ver) || (ver >> 8) == 0xff0000u ||
	       (ver & QUIC_MVFST_MASK) == QUIC_MVFST || gquic_ver(v);
}

static enum ww_det one(const uint8_t *p, uint32_t n, bool toserver)
{
	if (n < 7)
		return WW_DET_NO;
	if (!(p[0] & 0x80)) {
		/* Google QUIC public header (pre-Q046): version flag + 8-byte CID */
		if ((p[0] & 0x09) == 0x09 && !(p[0] & 0xc0) && n >= 13 && gquic_ver(p + 9))
			return toserver && n >= 1024 ? WW_DET_YES : WW_DET_NO;
		/* a short header (fixed bit set): mid-connection, wait for a long
		 * one; it holds a packet number and a payload of at least 20
		 * bytes between them for header protection (RFC 9001 §5.4.2) */
		return (p[0] & 0x40) && n >= QUIC_MIN_SHORT ? WW_DET_NEED : WW_DET_NO;
	}
	uint32_t ver = ww_be32(p + 1);
	bool grease = (ver & QUIC_GREASE_MASK) == QUIC_GREASE;
	if (ver != 0 && !grease && !known_version(ver, p + 1))
		return WW_DET_NO;
	if (ver != 0 && !grease && !(p[0] & 0x40))
		return WW_DET_NO;
	uint32_t dl, sl, hdr;
	if (ver != 0 && nibble_cids(ver, p + 1)) {
		dl = p[5] >> 4;
		sl = p[5] & 0x0f;
		dl = dl ? dl + 3 : 0;
		sl = sl ? sl + 3 : 0;
		hdr = 6 + dl + sl;
	} else {
		dl = p[5];
		if (dl > QUIC_MAX_CID || 6 + dl + 1 > n)
			return WW_DET_NO;
		sl = p[6 + dl];
		if (sl > QUIC_MAX_CID)
			return WW_DET_NO;
		hdr = 7 + dl + sl;
	}
	if (hdr > n)
		return WW_DET_NO;
	if (ver == 0) {
		/* Version Negotiation: a list of 4-byte versions follows */
		uint32_t rest = n - hdr;
		return !toserver && rest >= 4 && rest % 4 == 0 ? WW_DET_YES : WW_DET_NO;
	}
	if (grease)   /* only a client greases, and pads like a first flight */
		return toserver && n >= QUIC_MIN_INITIAL ? WW_DET_YES : WW_DET_NO;
	/* Initial: type 0 in v1, 1 in v2 (RFC 9369 §3.2) */
	uint8_t type = (p[0] >> 4) & 3;
	bool initial = v2_family(ver) ? type == 1 : type == 0;
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
