/*
 * netbios.c - the NetBIOS name service (UDP 137) and datagram service
 * (UDP 138) of RFC 1002.
 *
 * Name service (§4.2.1): the DNS-shaped header (§4.2.1.1: an opcode of 0
 * query, 5 registration, 6 release, 7 WACK, 8 refresh or 9 multi-homed
 * registration; the reserved bit between RCODE's flags zero), one
 * question or one answer, and the name in NetBIOS first-level encoding
 * (§4.1, RFC 1001 §14.1): a 32-byte label of letters 'A'-'P' (each two
 * encode a byte of the 16-byte name), then the scope's labels, then type
 * NB (0x20) or NBSTAT (0x21) and class IN. Datagram service (§4.4.1): a
 * message type 0x10-0x16, flags with the top four bits zero, the source
 * port, and for the three datagram types the datagram length that with the
 * 14-byte header makes the message, and the source name in the same
 * encoding. The encoded name is the proof in both.
 */
#include "proto.h"

#define NB_HDR 12
#define NB_NAME_LABEL 32
#define NB_SCOPE_MAX 255
#define NBDS_HDR 14

/* A first-level encoded name at p[*i]: 0x20, 32 x 'A'-'P', scope labels, 0. */
static bool enc_name(const uint8_t *p, uint32_t n, uint32_t *i)
{
	uint32_t j = *i;
	if (j + 1 + NB_NAME_LABEL > n || p[j] != NB_NAME_LABEL)
		return false;
	for (uint32_t k = 1; k <= NB_NAME_LABEL; k++)
		if (p[j + k] < 'A' || p[j + k] > 'P')
			return false;
	j += 1 + NB_NAME_LABEL;
	uint32_t start = j;
	while (j < n && p[j] != 0) {
		if (p[j] > 63 || j - start > NB_SCOPE_MAX)
			return false;
		j += 1 + p[j];
	}
	if (j >= n)
		return false;
	*i = j + 1;
	return true;
}

static enum ww_det ns(const uint8_t *p, uint32_t n)
{
	if (n < NB_HDR + 1 + NB_NAME_LABEL + 1 + 4)
		return WW_DET_NO;
	uint16_t fl = ww_be16(p + 2);
	uint8_t op = (fl >> 11) & 0xf;
	if (!(op == 0 || (op >= 5 && op <= 9)) || (fl & 0x0060))
		return WW_DET_NO;
	uint16_t qd = ww_be16(p + 4), an = ww_be16(p + 6);
	if (qd + an != 1)
		return WW_DET_NO;
	uint32_t i = NB_HDR;
	if (!enc_name(p, n, &i) || i + 4 > n)
		return WW_DET_NO;
	uint16_t type = ww_be16(p + i), cls = ww_be16(p + i + 2);
	return (type == 0x20 || type == 0x21) && cls == 1 ? WW_DET_YES : WW_DET_NO;
}

static enum ww_det ds(const uint8_t *p, uint32_t n)
{
	if (n < NBDS_HDR + 1 + NB_NAME_LABEL + 1 || p[0] < 0x10 || p[0] > 0x16 || (p[1] & 0xf0))
		return WW_DET_NO;
	if (p[0] > 0x12)
		return WW_DET_NO;   /* the error and query types carry no source name to check */
	uint32_t dlen = ww_be16(p + 10);
	if (NBDS_HDR + dlen != n)
		return WW_DET_NO;
	uint32_t i = NBDS_HDR;
	return enc_name(p, n, &i) ? WW_DET_YES : WW_DET_NO;
}

enum ww_det ww_detect_netbios(const struct ww_pview *v)
{
	enum ww_det (*f)(const uint8_t *, uint32_t);
	if (v->sport == WW_NBNS_PORT || v->cport == WW_NBNS_PORT)
		f = ns;
	else if (v->sport == WW_NBDS_PORT || v->cport == WW_NBDS_PORT)
		f = ds;
	else
		f = ns;   /* a name query from an odd port still carries the encoded name */
	enum ww_det a = v->n[0] ? f(v->d[0], v->n[0]) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? f(v->d[1], v->n[1]) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
