/*
 * http.c - HTTP/1.x, by the message grammar of RFC 9112.
 *
 * Request (RFC 9112 §3): method SP request-target SP HTTP-version CRLF.
 * The method is a token (RFC 9110 §9.1); registered methods, WebDAV's
 * (RFC 4918) and CONNECT are all upper-case letters, '-' or '_', which is what
 * we accept, so "GET" followed by garbage fails at the first byte that breaks
 * the grammar. The request-target is any run of visible characters: its four
 * forms start with "/", a scheme, a host or "*", but scanners and attack
 * tools send "GET . HTTP/1.0" or ".servlets/x" and servers answer them, so
 * the proof is the version at the end of the line, not the target's shape.
 * Like servers (RFC 9112 §3: recipients MAY split the request line on
 * whitespace) we take runs of SP or HTAB between the three parts.
 * A bare LF ends the line too (RFC 9112 §2.2 allows that leniency).
 * HTTP/2 with prior knowledge starts with the fixed preface
 * "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" (RFC 9113 §3.4), also HTTP.
 * HTTP/0.9's Simple-Request (RFC 1945 §4.1, still what scanners and
 * health checks send) has no version: "GET" SP Request-URI CRLF. We take
 * it for GET with an absolute path ("/...") ended by the line's end, which
 * no other protocol's command line looks like (Redis' inline GET names a
 * key, memcached's get is lower case); its response is the bare body.
 * Response (RFC 9112 §4): HTTP-version SP 3DIGIT SP reason-phrase CRLF; we
 * prove it at the status code.
 */
#include "proto.h"

#define HTTP_METHOD_MAX 24   /* longest registered method is 17 ("BASELINE-CONTROL" is 16) */

/* Match the literal `lit` at p[i..]; NEED when p ends inside it. */
static enum ww_det lit_at(const uint8_t *p, uint32_t n, uint32_t i, const char *lit, uint32_t len)
{
	for (uint32_t k = 0; k < len; k++) {
		if (i + k >= n)
			return WW_DET_NEED;
		if (p[i + k] != (uint8_t)lit[k])
			return WW_DET_NO;
	}
	return WW_DET_YES;
}

/*
 * Clients that do not percent-encode spaces (scanners, malware, old
 * embedded stacks) send "GET /a b HTTP/1.1". Servers are told to reject
 * that (RFC 9112 §3.2), but it is still HTTP: accept a complete line of
 * text that ends in " HTTP/1.x".
 */
#define HTTP_LINE_MAX 8192   /* the common server limit on a request line */
static enum ww_det unencoded_spaces(const uint8_t *p, uint32_t n, uint32_t start)
{
	uint32_t i = start;
	while (i < n && i < HTTP_LINE_MAX && p[i] != '\r' && p[i] != '\n') {
		if (!ww_is_text(p[i]))
			return WW_DET_NO;
		i++;
	}
	if (i == n)
		return WW_DET_NEED;
	if (i >= HTTP_LINE_MAX || i - start < 10)
		return WW_DET_NO;
	const uint8_t *v = p + i - 9;   /* " HTTP/1.x" */
	return memcmp(v, " HTTP/1.", 8) == 0 && ww_is_digit(v[8]) ? WW_DET_YES : WW_DET_NO;
}

/* Past a run of SP / HTAB starting at p[i], within the request line. */
#define HTTP_WS_MAX 256   /* more blank than that is padding, not a separator */
static uint32_t skip_ws(const uint8_t *p, uint32_t n, uint32_t i)
{
	uint32_t lim = i + HTTP_WS_MAX < n ? i + HTTP_WS_MAX : n;
	while (i < lim && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i;
}

/*
 * RFC 9112 §2.2: a server SHOULD ignore at least one empty line before a
 * request-line (clients used to send a CRLF after a POST body). Up to
 * HTTP_LEAD_EMPTY of them are skipped; the view starts after them.
 */
#define HTTP_LEAD_EMPTY 2
static enum ww_det request(const uint8_t *p, uint32_t n, bool full)
{
	uint32_t i = 0;
	for (int k = 0; k < HTTP_LEAD_EMPTY && n > 0 && (p[0] == '\r' || p[0] == '\n'); k++) {
		uint32_t l = p[0] == '\r' ? 2 : 1;
		if (n < l)
			return WW_DET_NEED;
		if (l == 2 && p[1] != '\n')
			return WW_DET_NO;
		p += l;
		n -= l;
	}
	if (n == 0)
		return WW_DET_NEED;
	if (!ww_is_upper(p[0]))
		return WW_DET_NO;
	while (i < n && i < HTTP_METHOD_MAX && (ww_is_upper(p[i]) || p[i] == '-' || p[i] == '_'))
		i++;
	if (i == n)
		return WW_DET_NEED;
	if (i >= HTTP_METHOD_MAX || p[i] != ' ')
		return WW_DET_NO;
	bool pri = i == 3 && memcmp(p, "PRI", 3) == 0;
	bool get = i == 3 && memcmp(p, "GET", 3) == 0;
	i = skip_ws(p, n, i);
	if (i == n)
		return WW_DET_NEED;
	if (!ww_is_vchar(p[i]))
		return WW_DET_NO;
	uint32_t start = i;
	while (i < n && p[i] > 0x20 && p[i] != 0x7f)
		i++;
	if (i == n)  /* a very long target: plausible if the view is all we get */
		return full && i - start > 64 ? WW_DET_WEAK : WW_DET_NEED;
	bool simple = get && p[start] == '/';   /* an HTTP/0.9 Simple-Request, if the line ends here */
	if (simple && (p[i] == '\r' || p[i] == '\n'))
		return ww_eol_at(p, n, i);
	if (p[i] != ' ' && p[i] != '\t')
		return WW_DET_NO;
	i = skip_ws(p, n, i);
	if (i == n)
		return WW_DET_NEED;
	if (simple && (p[i] == '\r' || p[i] == '\n'))
		return ww_eol_at(p, n, i);
	enum ww_det r = lit_at(p, n, i, "HTTP/", 5);
	if (r == WW_DET_NO)
		return unencoded_spaces(p, n, start);
	if (r != WW_DET_YES)
		return r;
	i += 5;
	if (pri)
		return lit_at(p, n, i, "2.0\r\n\r\nSM\r\n\r\n", 13);
	if (i >= n)
		return WW_DET_NEED;
	if (p[i] != '1' && p[i] != '0')  /* HTTP/1.x; HTTP/0.9 had no version */
		return WW_DET_NO;
	if (i + 1 >= n)
		return WW_DET_NEED;
	if (p[i + 1] != '.')
		return WW_DET_NO;
	if (i + 2 >= n)
		return WW_DET_NEED;
	if (!ww_is_digit(p[i + 2]))
		return WW_DET_NO;
	return ww_eol_at(p, n, i + 3);
}

static enum ww_det response(const uint8_t *p, uint32_t n)
{
	enum ww_det r = lit_at(p, n, 0, "HTTP/1.", 7);
	if (r != WW_DET_YES)
		return r;
	for (uint32_t i = 7; i < 13; i++) {
		if (i >= n)
			return WW_DET_NEED;
		bool ok = i == 7 ? ww_is_digit(p[i]) : i == 8 ? p[i] == ' ' :
			  i < 12 ? ww_is_digit(p[i]) : (p[i] == ' ' || p[i] == '\r' || p[i] == '\n');
		if (!ok)
			return WW_DET_NO;
	}
	return p[9] >= '1' && p[9] <= '5' ? WW_DET_YES : WW_DET_NO;
}

enum ww_det ww_detect_http(const struct ww_pview *v)
{
	enum ww_det a = v->n[0] ? request(v->d[0], v->n[0], v->full[0]) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? response(v->d[1], v->n[1]) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
