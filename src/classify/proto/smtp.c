/*
 * smtp.c - SMTP by its greeting and the client's first command (RFC 5321).
 *
 * The server speaks first (§4.3.1): "220" SP/"-" text, a reply line
 * (§4.2). FTP greets with the very same "220 " line (RFC 959), so the
 * greeting alone proves nothing unless its text names the protocol ("ESMTP",
 * "SMTP" - §4.3.1 suggests it); otherwise it is WEAK and the client's first
 * command decides: EHLO/HELO SP domain CRLF (§4.1.1.1, LMTP's LHLO from
 * RFC 2033) proves SMTP, an FTP command (USER, AUTH TLS, FEAT...) refutes it.
 * STARTTLS (RFC 3207) comes after EHLO, so an upgraded session is already
 * SMTP by then and stays so.
 */
#include "proto.h"

static const char *const smtp_hello[] = { "EHLO", "HELO", "LHLO", NULL };
/* Commands that may open a session picked up mid-way (RFC 5321 §4.1). */
static const char *const smtp_cmds[] = {
	"MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "VRFY", "EXPN", "HELP",
	"STARTTLS", "AUTH", "BDAT", "ETRN", "XCLIENT", NULL };

static enum ww_det client(const uint8_t *p, uint32_t n)
{
	char w[16];
	uint32_t nargs = 0;
	enum ww_det r = ww_cmd_line(p, n, w, &nargs);
	if (r != WW_DET_YES)
		return r;
	if (ww_word_in(w, smtp_hello))
		return nargs >= 1 ? WW_DET_YES : WW_DET_NO;
	return ww_word_in(w, smtp_cmds) ? WW_DET_WEAK : WW_DET_NO;
}

static enum ww_det server(const uint8_t *p, uint32_t n)
{
	int code = 0;
	const uint8_t *t = NULL;
	uint32_t tl = 0;
	enum ww_det r = ww_reply_line(p, n, &code, &t, &tl);
	if (r != WW_DET_YES)
		return r;
	if (code != 220 && code != 421 && code != 554)  /* §3.1 greetings */
		return WW_DET_NO;
	if (ww_has_word(t, tl, "SMTP"))
		return WW_DET_YES;
	if (ww_has_word(t, tl, "FTP"))
		return WW_DET_NO;
	return WW_DET_WEAK;
}

enum ww_det ww_detect_smtp(const struct ww_pview *v)
{
	enum ww_det a = v->n[0] ? client(v->d[0], v->n[0]) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? server(v->d[1], v->n[1]) : WW_DET_NEED;
	/* the client's first command decides a bare greeting */
	if (a == WW_DET_YES || a == WW_DET_NO)
		return b == WW_DET_YES ? b : a;
	if (b == WW_DET_WEAK && a == WW_DET_NEED && v->n[0] == 0)
		return WW_DET_WEAK;   /* greeting only, so far */
	return ww_det_merge(a, b);
}
