/*
 * redis.c - Redis serialization protocol (RESP2/RESP3, redis.io "Redis
 * serialization protocol specification").
 *
 * Clients send commands as an array of bulk strings: "*" count CRLF, then
 * per element "$" length CRLF bytes CRLF. We prove it on the first element:
 * a count of 1..1M, a length of 1..64 whose bytes are the command name
 * (letters, and '-'/'_' as in some module commands), then CRLF. Replies start
 * with a type byte (+ - : $ * and RESP3's _ , # ! = ( % ~ > |), which the
 * server side must show if present.
 */
#include "proto.h"

#define RESP_MAX_ARGS 1048576  /* redis.conf's default proto-max-bulk-len-ish bound on args */

/* Parse "<c><digits>\r\n" at p[*i]; NEED when cut. */
static enum ww_det num_line(const uint8_t *p, uint32_t n, uint32_t *i, uint8_t c, uint32_t *val)
{
	if (*i >= n)
		return WW_DET_NEED;
	if (p[*i] != c)
		return WW_DET_NO;
	uint32_t j = *i + 1, v = 0, d = 0;
	while (j < n && ww_is_digit(p[j]) && d < 8) {
		v = v * 10 + (uint32_t)(p[j] - '0');
		j++;
		d++;
	}
	if (j == n)
		return WW_DET_NEED;
	if (d == 0 || d >= 8 || p[j] != '\r')
		return WW_DET_NO;
	if (j + 1 >= n)
		return WW_DET_NEED;
	if (p[j + 1] != '\n')
		return WW_DET_NO;
	*i = j + 2;
	*val = v;
	return WW_DET_YES;
}

static enum ww_det request(const uint8_t *p, uint32_t n)
{
	uint32_t i = 0, cnt = 0, len = 0;
	enum ww_det r = num_line(p, n, &i, '*', &cnt);
	if (r != WW_DET_YES)
		return r;
	if (cnt < 1 || cnt > RESP_MAX_ARGS)
		return WW_DET_NO;
	r = num_line(p, n, &i, '$', &len);
	if (r != WW_DET_YES)
		return r;
	if (len < 1 || len > 64)
		return WW_DET_NO;
	for (uint32_t k = 0; k < len + 2; k++) {
		if (i + k >= n)
			return WW_DET_NEED;
		uint8_t ch = p[i + k];
		bool ok = k < len ? (ww_is_alpha(ch) || ch == '-' || ch == '_' || ch == '.' || (k > 0 && ww_is_digit(ch)))
				  : (k == len ? ch == '\r' : ch == '\n');
		if (!ok)
			return WW_DET_NO;
	}
	return WW_DET_YES;
}

enum ww_det ww_detect_redis(const struct ww_pview *v)
{
	if (v->first == 1)
		return WW_DET_NO;     /* the client speaks first in RESP */
	if (v->n[1] && !strchr("+-:$*_,#!=(%~>|", v->d[1][0]))
		return WW_DET_NO;
	return v->n[0] ? request(v->d[0], v->n[0]) : WW_DET_NEED;
}
