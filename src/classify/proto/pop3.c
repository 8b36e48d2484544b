/*
 * pop3.c - POP3 (RFC 1939) by its greeting and the client's commands.
 *
 * §4: the server greets with a positive response, "+OK" SP text CRLF
 * (every server we know puts text there; a bare "+OK\r\n" is also what Redis
 * answers, so without text it is only WEAK). §3: commands are a keyword of 3-4
 * letters, arguments, CRLF. CAPA (RFC 2449), STLS (RFC 2595), APOP, UIDL,
 * STAT, RETR and TOP exist only in POP3; USER/PASS/AUTH/QUIT also open FTP
 * and IMAP-less sessions, so they only confirm a POP3 greeting.
 */
#include "proto.h"

static const char *const pop3_only[] = { "CAPA", "STLS", "APOP", "UIDL", "STAT", "RETR", "TOP", NULL };
static const char *const pop3_shared[] = { "USER", "PASS", "AUTH", "QUIT", "LIST", "DELE", "NOOP", "RSET", NULL };

static enum ww_det client(const uint8_t *p, uint32_t n, bool greeted)
{
	char w[16];
	uint32_t nargs = 0;
	enum ww_det r = ww_cmd_line(p, n, w, &nargs);
	if (r != WW_DET_YES)
		return r;
	if (ww_word_in(w, pop3_only))
		return WW_DET_YES;
	if (ww_word_in(w, pop3_shared))
		return greeted ? WW_DET_YES : WW_DET_NEED;
	return WW_DET_NO;
}

static enum ww_det server(const uint8_t *p, uint32_t n)
{
	static const char ok[] = "+OK";
	for (uint32_t i = 0; i < 3; i++) {
		if (i >= n)
			return WW_DET_NEED;
		if (p[i] != (uint8_t)ok[i])
			return WW_DET_NO;
	}
	if (n < 4)
		return WW_DET_NEED;
	if (p[3] == '\r' || p[3] == '\n')
		return WW_DET_WEAK;   /* a bare "+OK": POP3 allows it, so does Redis */
	if (p[3] != ' ')
		return WW_DET_NO;
	uint32_t i = 4;
	while (i < n && p[i] != '\r' && p[i] != '\n') {
		if (!ww_is_text(p[i]) || i > 512)
			return WW_DET_NO;
		i++;
	}
	if (i == n)
		return WW_DET_NEED;
	return i > 4 ? WW_DET_YES : WW_DET_NO;
}

enum ww_det ww_detect_pop3(const struct ww_pview *v)
{
	enum ww_det b = v->n[1] ? server(v->d[1], v->n[1]) : WW_DET_NEED;
	enum ww_det a = v->n[0] ? client(v->d[0], v->n[0], b == WW_DET_YES) : WW_DET_NEED;
	if (a == WW_DET_NO)
		return WW_DET_NO;   /* a greeting answered by a non-POP3 command is not POP3 */
	return ww_det_merge(a, b);
}
