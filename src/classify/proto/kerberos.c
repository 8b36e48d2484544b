/*
 * kerberos.c - Kerberos V5 (RFC 4120 §5) messages, over UDP and TCP.
 *
 * Every message is an [APPLICATION n] of a SEQUENCE whose first two fields
 * are the protocol version pvno = 5 and msg-type = n: AS-REQ 10, AS-REP 11,
 * TGS-REQ 12, TGS-REP 13, AP-REQ 14, AP-REP 15, KRB-SAFE 20, KRB-PRIV 21,
 * KRB-CRED 22, KRB-ERROR 30. KDC-REQ numbers those fields [1] and [2]
 * (§5.4.1: [0] is unused), the others [0] and [1]. So a message is proven
 * by five fields: the application tag, the SEQUENCE, pvno 5, and a
 * msg-type equal to the application number, with lengths that fit. Over
 * TCP each message follows a 4-byte big-endian length whose high bit is
 * reserved and zero (§7.2.2); over UDP the datagram is the message.
 */
#include "proto.h"

#define KRB_PVNO 5
#define KRB_TCP_MAX (1u << 24)   /* a TCP record is at most a few tickets: 16 MB bounds it */

static bool app_ok(uint8_t n)
{
	return (n >= 10 && n <= 15) || (n >= 20 && n <= 22) || n == 30;
}

/* [ctx] INTEGER with value `want` (1 byte) at p[*i]. */
static enum ww_det small_int(const uint8_t *p, uint32_t n, uint32_t *i, uint8_t ctx, uint8_t want)
{
	uint8_t tag;
	uint32_t len;
	enum ww_det r = ww_ber_hdr(p, n, i, &tag, &len);
	if (r != WW_DET_YES)
		return r;
	if (tag != ctx || len < 3)
		return WW_DET_NO;
	if ((r = ww_ber_hdr(p, n, i, &tag, &len)) != WW_DET_YES)
		return r;
	if (tag != 0x02 || len != 1)
		return WW_DET_NO;
	if (*i >= n)
		return WW_DET_NEED;
	return p[(*i)++] == want ? WW_DET_YES : WW_DET_NO;
}

/* One message at p[0..n); `total` is its length when known (UDP, TCP record), else 0. */
static enum ww_det msg(const uint8_t *p, uint32_t n, uint32_t total)
{
	uint32_t i = 0, len;
	uint8_t tag;
	enum ww_det r = ww_ber_hdr(p, n, &i, &tag, &len);
	if (r != WW_DET_YES)
		return r;
	if ((tag & 0xe0) != 0x60 || !app_ok(tag & 0x1f))
		return WW_DET_NO;
	if (total && i + len != total)
		return WW_DET_NO;
	uint8_t app = tag & 0x1f;
	uint32_t outer = len;
	if ((r = ww_ber_hdr(p, n, &i, &tag, &len)) != WW_DET_YES)
		return r;
	if (tag != 0x30 || len > outer)
		return WW_DET_NO;
	bool kdc_req = app == 10 || app == 12;
	uint8_t c0 = kdc_req ? 0xa1 : 0xa0;
	if ((r = small_int(p, n, &i, c0, KRB_PVNO)) != WW_DET_YES)
		return r;
	return small_int(p, n, &i, (uint8_t)(c0 + 1), app);
}

static enum ww_det one(const uint8_t *p, uint32_t n, bool tcp)
{
	if (!tcp) {
		enum ww_det r = msg(p, n, n);
		return r == WW_DET_NEED ? WW_DET_NO : r;   /* a datagram is whole */
	}
	if (n < 4)
		return WW_DET_NEED;
	uint32_t l = ww_be32(p);
	if ((l & 0x80000000u) || l < 16 || l > KRB_TCP_MAX)
		return WW_DET_NO;
	return msg(p + 4, n - 4, l);
}

enum ww_det ww_detect_kerberos(const struct ww_pview *v)
{
	bool tcp = v->ipproto == WW_IPPROTO_TCP;
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0], tcp) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1], tcp) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
