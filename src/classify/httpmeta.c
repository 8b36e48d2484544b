/*
 * httpmeta.c - the first HTTP request's method, target, Host and
 * User-Agent, and the first response's status code (RFC 9112 §3, §4,
 * §5): read once from the bytes the classifier already holds (the
 * request) and from the server's first payload packet (the response).
 *
 * Bounds: each value is kept up to WW_META_STR_MAX bytes (`cut` set past
 * that) and only the header bytes present are read: a request whose
 * headers continue in a later segment gives what the first bytes hold.
 * Values are the raw bytes (obs-text, NULs and all); the writers escape.
 * Header names are matched case-insensitively; optional whitespace around
 * a value is dropped; the first Host and the first User-Agent count.
 */
#include <errno.h>

#include "wirewho/meta.h"

#define HTTP_HEADER_LINES 64   /* header lines read at most */

static void set(struct ww_meta_str *o, const uint8_t *p, uint32_t n)
{
	uint32_t k = n < WW_META_STR_MAX ? n : WW_META_STR_MAX;
	memcpy(o->s, p, k);
	o->len = (uint16_t)k;
	o->cut = n > k;
	o->set = 1;
}

static bool name_is(const uint8_t *p, uint32_t n, const char *lower)
{
	size_t l = strlen(lower);
	if (n != l)
		return false;
	for (size_t i = 0; i < l; i++) {
		uint8_t c = p[i];
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		if (c != (uint8_t)lower[i])
			return false;
	}
	return true;
}

/* The line at p[*i..n): its start and length without CR LF; false when no LF ends it. */
static bool line(const uint8_t *p, uint32_t n, uint32_t *i, const uint8_t **s, uint32_t *l)
{
	const uint8_t *lf = memchr(p + *i, '\n', n - *i);
	if (!lf)
		return false;
	*s = p + *i;
	*l = (uint32_t)(lf - *s);
	if (*l && (*s)[*l - 1] == '\r')
		(*l)--;
	*i = (uint32_t)(lf - p) + 1;
	return true;
}

int ww_httpmeta_request(struct ww_http_meta *h, const uint8_t *p, uint32_t n)
{
	uint32_t i = 0, l;
	const uint8_t *s;
	if (h->have_req)
		return 0;
	bool whole = line(p, n, &i, &s, &l);
	if (!whole) {   /* a request line cut by the view: what is here */
		s = p;
		l = n;
	}
	const uint8_t *sp = memchr(s, ' ', l);
	if (!sp || sp == s)
		return -EINVAL;
	set(&h->method, s, (uint32_t)(sp - s));
	const uint8_t *u = sp + 1, *e = s + l;
	const uint8_t *sp2 = memchr(u, ' ', (size_t)(e - u));
	set(&h->uri, u, (uint32_t)((sp2 ? sp2 : e) - u));
	h->have_req = 1;
	for (int k = 0; whole && k < HTTP_HEADER_LINES && line(p, n, &i, &s, &l) && l; k++) {
		const uint8_t *c = memchr(s, ':', l);
		if (!c)
			continue;
		uint32_t nl = (uint32_t)(c - s), vs = nl + 1, ve = l;
		while (vs < ve && (s[vs] == ' ' || s[vs] == '\t'))
			vs++;
		while (ve > vs && (s[ve - 1] == ' ' || s[ve - 1] == '\t'))
			ve--;
		if (!h->host.set && name_is(s, nl, "host"))
			set(&h->host, s + vs, ve - vs);
		else if (!h->user_agent.set && name_is(s, nl, "user-agent"))
			set(&h->user_agent, s + vs, ve - vs);
	}
	return 0;
}

int ww_httpmeta_response(struct ww_http_meta *h, const uint8_t *p, uint32_t n)
{
	/* HTTP-version SP 3DIGIT: "HTTP/1.1 200" */
	if (n < 12 || memcmp(p, "HTTP/", 5) != 0 || p[8] != ' ')
		return -EINVAL;
	for (int k = 9; k < 12; k++)
		if (p[k] < '0' || p[k] > '9')
			return -EINVAL;
	uint16_t st = (uint16_t)((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0'));
	if (st < 100 || st > 599)
		return -EINVAL;
	h->status = st;
	return 0;
}
