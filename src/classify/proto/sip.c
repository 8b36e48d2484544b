/*
 * sip.c - SIP (RFC 3261 §7.1, §25.1) by its start line.
 *
 * Request-Line = Method SP Request-URI SP SIP-Version CRLF, the URI being a
 * sip:/sips: (or tel:, RFC 3966) URI; Status-Line = SIP-Version SP
 * 3DIGIT SP Reason-Phrase CRLF. Methods are tokens; the registered ones
 * (INVITE, REGISTER, OPTIONS, ...) are upper-case letters. Over UDP a
 * keep-alive is a bare CRLF pair (RFC 5626 §4.4.1): NEED, not a verdict.
 */
#include "proto.h"

static enum ww_det one(const uint8_t *p, uint32_t n)
{
	if (n >= 2 && p[0] == '\r' && p[1] == '\n')
		return WW_DET_NEED;   /* keep-alive */
	static const char ver[] = "SIP/2.0 ";
	if (n >= 1 && p[0] == 'S' && (n < 2 || p[1] == 'I')) {
		for (uint32_t i = 0; i < 8; i++) {
			if (i >= n)
				return WW_DET_NEED;
			if (p[i] != (uint8_t)ver[i])
				return WW_DET_NO;
		}
		for (uint32_t i = 8; i < 12; i++) {
			if (i >= n)
				return WW_DET_NEED;
			if (i < 11 ? !ww_is_digit(p[i]) : p[i] != ' ')
				return WW_DET_NO;
		}
		return p[8] >= '1' && p[8] <= '6' ? WW_DET_YES : WW_DET_NO;
	}
	uint32_t i = 0;
	while (i < n && i < 16 && ww_is_upper(p[i]))
		i++;
	if (i == n)
		return WW_DET_NEED;
	if (i == 0 || i >= 16 || p[i] != ' ')
		return WW_DET_NO;
	i++;
	static const char *const schemes[] = { "sip:", "sips:", "tel:" };
	bool ok = false;
	for (size_t k = 0; k < WW_ARRAY_SIZE(schemes) && !ok; k++) {
		uint32_t l = (uint32_t)strlen(schemes[k]);
		if (n - i < l) {
			if (memcmp(p + i, schemes[k], n - i) == 0)
				return WW_DET_NEED;
			continue;
		}
		if (ww_word_eq(p + i, k == 0 ? "SIP:" : k == 1 ? "SIPS:" : "TEL:", l))
			ok = true;
	}
	if (!ok)
		return WW_DET_NO;
	while (i < n && p[i] > 0x20 && p[i] != 0x7f)
		i++;
	if (i == n)
		return WW_DET_NEED;
	if (p[i] != ' ')
		return WW_DET_NO;
	i++;
	for (uint32_t k = 0; k < 7; k++) {
		if (i + k >= n)
			return WW_DET_NEED;
		if (p[i + k] != (uint8_t)ver[k])
			return WW_DET_NO;
	}
	i += 7;
	if (i >= n)
		return WW_DET_NEED;
	return p[i] == '\r' || p[i] == '\n' ? WW_DET_YES : WW_DET_NO;
}

enum ww_det ww_detect_sip(const struct ww_pview *v)
{
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0]) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1]) : WW_DET_NEED;
	if (v->ipproto == WW_IPPROTO_UDP) {
		/* a datagram is complete: a cut line is not SIP (keep-alives excepted) */
		if (a == WW_DET_NEED && v->n[0] > 4)
			a = WW_DET_NO;
		if (b == WW_DET_NEED && v->n[1] > 4)
			b = WW_DET_NO;
	}
	return ww_det_merge(a, b);
}
