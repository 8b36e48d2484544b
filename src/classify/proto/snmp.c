/*
 * snmp.c - SNMP v1/v2c/v3 messages (RFC 1157 §4, RFC 3416, RFC 3412 §6) by
 * their BER encoding (X.690).
 *
 * Message ::= SEQUENCE { version INTEGER, community OCTET STRING, data PDU }
 * for v1 (0) and v2c (1); v3 (3) has SEQUENCE { msgVersion, msgGlobalData
 * SEQUENCE, msgSecurityParameters OCTET STRING, msgData }. We check the outer
 * SEQUENCE tag (0x30) and a definite length that matches the datagram, the
 * INTEGER version 0, 1 or 3, then the community OCTET STRING (0x04) within the
 * message followed by a PDU tag 0xA0-0xA8 (GetRequest .. Report), or for v3
 * the msgGlobalData SEQUENCE.
 */
#include "proto.h"

/* Read a BER definite length at p[*i]; false when malformed or cut. */
static bool ber_len(const uint8_t *p, uint32_t n, uint32_t *i, uint32_t *len)
{
	if (*i >= n)
		return false;
	uint8_t b = p[(*i)++];
	if (b < 0x80) {
		*len = b;
		return true;
	}
	uint32_t k = b & 0x7f;
	if (k == 0 || k > 3 || *i + k > n)
		return false;
	uint32_t l = 0;
	for (uint32_t j = 0; j < k; j++)
		l = l << 8 | p[(*i)++];
	*len = l;
	return true;
}

static enum ww_det one(const uint8_t *p, uint32_t n)
{
	uint32_t i = 0, len;
	if (n < 16 || p[0] != 0x30)
		return WW_DET_NO;
	i = 1;
	if (!ber_len(p, n, &i, &len) || i + len != n)
		return WW_DET_NO;
	if (i + 3 > n || p[i] != 0x02 || p[i + 1] != 1)
		return WW_DET_NO;
	uint8_t ver = p[i + 2];
	i += 3;
	if (ver == 3) {
		return i < n && p[i] == 0x30 ? WW_DET_YES : WW_DET_NO;
	}
	if (ver > 1)
		return WW_DET_NO;
	if (i >= n || p[i] != 0x04)
		return WW_DET_NO;
	i++;
	if (!ber_len(p, n, &i, &len) || i + len >= n)
		return WW_DET_NO;
	i += len;
	return p[i] >= 0xa0 && p[i] <= 0xa8 ? WW_DET_YES : WW_DET_NO;
}

enum ww_det ww_detect_snmp(const struct ww_pview *v)
{
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0]) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1]) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
