/*
 * syslog.c - syslog messages: RFC 5424 and the BSD format of RFC 3164,
 * over UDP (RFC 5426) and TCP (RFC 6587).
 *
 * Both formats open with PRI, "<" 1*3DIGIT ">", a value 0-191 (facility
 * x 8 + severity) without leading zeros (RFC 5424 §6.2.1). RFC 5424 goes on
 * with VERSION "1" SP and a TIMESTAMP that is "-" or a full-date
 * (YYYY-MM-DD "T"); RFC 3164 §4.1.2 with a TIMESTAMP "Mmm dd hh:mm:ss"
 * (the day space-padded). PRI and either timestamp prove it. RFC 3164 §4.3
 * also allows what relays make of anything else: a PRI and free text; that
 * is WEAK, and wins only if nothing proves better (on port 514 it is the
 * port's protocol). Over TCP a message is framed by octet counting
 * (MSG-LEN SP, RFC 6587 §3.4.1) or ends with LF (§3.4.2): the count, when
 * there, must be followed by the PRI.
 */
#include "proto.h"

#define SYSLOG_PRI_MAX 191          /* facility 23 x 8 + severity 7 */
#define SYSLOG_COUNT_DIGITS 9       /* an octet count below 10^9 */

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

static bool bsd_ts(const uint8_t *p, uint32_t n)
{
	/* "Mmm dd hh:mm:ss" : 15 bytes */
	if (n < 15)
		return false;
	bool mon = false;
	for (int m = 0; m < 12 && !mon; m++)
		mon = memcmp(p, months + 3 * m, 3) == 0;
	return mon && p[3] == ' ' && (p[4] == ' ' || ww_is_digit(p[4])) && ww_is_digit(p[5]) && p[6] == ' ' &&
	       ww_is_digit(p[7]) && ww_is_digit(p[8]) && p[9] == ':' && ww_is_digit(p[10]) &&
	       ww_is_digit(p[11]) && p[12] == ':' && ww_is_digit(p[13]) && ww_is_digit(p[14]);
}

static bool v1_ts(const uint8_t *p, uint32_t n)
{
	if (n >= 2 && p[0] == '-' && p[1] == ' ')
		return true;
	/* YYYY-MM-DDT */
	if (n < 11)
		return false;
	for (int k = 0; k < 10; k++)
		if (k == 4 || k == 7 ? p[k] != '-' : !ww_is_digit(p[k]))
			return false;
	return p[10] == 'T';
}

static enum ww_det one(const uint8_t *p, uint32_t n, bool tcp)
{
	uint32_t i = 0;
	if (tcp && n > 0 && p[0] >= '1' && p[0] <= '9') {   /* octet counting */
		while (i < n && i < SYSLOG_COUNT_DIGITS && ww_is_digit(p[i]))
			i++;
		if (i >= n)
			return WW_DET_NEED;
		if (p[i] != ' ')
			return WW_DET_NO;
		i++;
	}
	if (i >= n)
		return WW_DET_NEED;
	if (p[i] != '<')
		return WW_DET_NO;
	i++;
	uint32_t pri = 0, d = 0;
	while (i < n && d < 4 && ww_is_digit(p[i])) {
		pri = pri * 10 + (uint32_t)(p[i] - '0');
		i++;
		d++;
	}
	if (i >= n)
		return tcp ? WW_DET_NEED : WW_DET_NO;
	if (d == 0 || d > 3 || p[i] != '>' || pri > SYSLOG_PRI_MAX || (d > 1 && p[i - d] == '0'))
		return WW_DET_NO;
	i++;
	const uint8_t *m = p + i;
	uint32_t ml = n - i;
	if (ml >= 2 && m[0] == '1' && m[1] == ' ' && v1_ts(m + 2, ml - 2))
		return WW_DET_YES;
	if (bsd_ts(m, ml))
		return WW_DET_YES;
	if (tcp && ml < 16)
		return WW_DET_NEED;
	/* free text (RFC 3164 §4.3.3): at least a few printable bytes */
	uint32_t k = 0;
	while (k < ml && k < 16 && ww_is_text(m[k]))
		k++;
	return k >= (ml < 16 ? ml : 16) && k > 0 ? WW_DET_WEAK : WW_DET_NO;
}

enum ww_det ww_detect_syslog(const struct ww_pview *v)
{
	bool tcp = v->ipproto == WW_IPPROTO_TCP;
	/* a sender speaks, the collector does not answer */
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0], tcp) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1], tcp) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
