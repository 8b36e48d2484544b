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
 * The spec also has "inline commands": a bare line of text ("PING\r\n",
 * "set k 1\r\n", what telnet and redis-benchmark send). A text line alone
 * proves nothing, so an inline command is taken only once the server has
 * answered it with one whole RESP reply line (+PONG, -ERR ..., :1, $5, *2).
 * And a client whose RESP is broken (a count too long, "$0") is still
 * talking to Redis when the server answers with a RESP error line
 * ("-ERR Protocol error: ..."): an upper-case error kind, a space, text.
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

#define RESP_LINE_MAX 1024   /* an inline command or reply line we read to its end */

/* A whole line of text at p (CRLF or LF ended): its length, 0 when cut,
 * too long or not text. */
static uint32_t text_line(const uint8_t *p, uint32_t n)
{
	bool done;
	uint32_t l = ww_line_len(p, n, RESP_LINE_MAX, &done);
	if (!done || l == 0)
		return 0;
	for (uint32_t k = 0; k < l; k++)
		if (!ww_is_text(p[k]))
			return 0;
	return l;
}

/* One whole RESP2 reply line: + text, - text, : integer, $ / * length
 * (-1 for null). `err_only` wants "-KIND text" with an upper-case KIND. */
static bool reply_line(const uint8_t *p, uint32_t n, bool err_only)
{
	uint32_t l = text_line(p, n);
	if (l < 2)
		return false;
	if (err_only || p[0] == '-') {
		uint32_t k = 1;
		while (k < l && ww_is_upper(p[k]))
			k++;
		return p[0] == '-' && k >= 3 && (k == l || p[k] == ' ');
	}
	if (p[0] == '+')
		return true;
	if (p[0] != ':' && p[0] != '$' && p[0] != '*')
		return false;
	uint32_t k = 1 + (p[1] == '-');
	if (k >= l)
		return false;
	for (; k < l; k++)
		if (!ww_is_digit(p[k]))
			return false;
	return true;
}

enum ww_det ww_detect_redis(const struct ww_pview *v)
{
	if (v->first == 1)
		return WW_DET_NO;     /* the client speaks first in RESP */
	if (v->n[1] && !strchr("+-:$*_,#!=(%~>|", v->d[1][0]))
		return WW_DET_NO;
	if (!v->n[0])
		return WW_DET_NEED;
	enum ww_det r = request(v->d[0], v->n[0]);
	if (r != WW_DET_NO)
		return r;
	/* Not a clean RESP command: an inline command line, or broken RESP. */
	const uint8_t *p = v->d[0];
	bool inl = ww_is_alpha(p[0]), broken = p[0] == '*' || p[0] == '$';
	if (!inl && !broken)
		return WW_DET_NO;
	if (inl && !text_line(p, v->n[0]))
		return v->n[0] < RESP_LINE_MAX && !v->full[0] ? WW_DET_NEED : WW_DET_NO;
	if (!v->n[1])
		return v->full[1] ? WW_DET_NO : WW_DET_NEED;
	return reply_line(v->d[1], v->n[1], broken) ? WW_DET_YES : WW_DET_NO;
}
