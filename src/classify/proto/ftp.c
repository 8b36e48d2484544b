/*
 * ftp.c - FTP control connections (RFC 959, RFC 2228 security extensions).
 *
 * The server greets with a reply line (§4.2): "220" (ready) or "120"
 * (ready in n minutes), or "421" when refusing. SMTP greets the same way, so
 * a bare greeting is WEAK unless its text says "FTP" (vsFTPd, ProFTPD,
 * FileZilla Server and most others do). The client's first command decides:
 * USER, AUTH TLS/SSL (RFC 4217 §4), FEAT (RFC 2389), SYST, OPTS UTF8 and the
 * other RFC 959 verbs prove FTP; EHLO/HELO refute it. "AUTH TLS" upgrades
 * keep the session FTP.
 */
#include "proto.h"

static const char *const ftp_cmds[] = {
	"USER", "PASS", "ACCT", "AUTH", "FEAT", "SYST", "OPTS", "CWD", "XPWD",
	"PWD", "PASV", "EPSV", "PORT", "EPRT", "TYPE", "LIST", "NLST", "MLSD",
	"RETR", "STOR", "HOST", "CLNT", "SITE", "MODE", "STRU", "PBSZ", "PROT",
	"SIZE", "MDTM", "REST", "CDUP", NULL };

static enum ww_det client(const uint8_t *p, uint32_t n)
{
	char w[16];
	uint32_t nargs = 0;
	enum ww_det r = ww_cmd_line(p, n, w, &nargs);
	if (r != WW_DET_YES)
		return r;
	return ww_word_in(w, ftp_cmds) ? WW_DET_YES : WW_DET_NO;
}

static enum ww_det server(const uint8_t *p, uint32_t n)
{
	int code = 0;
	const uint8_t *t = NULL;
	uint32_t tl = 0;
	enum ww_det r = ww_reply_line(p, n, &code, &t, &tl);
	if (r != WW_DET_YES)
		return r;
	if (code != 220 && code != 120 && code != 421)
		return WW_DET_NO;
	if (ww_has_word(t, tl, "SMTP"))
		return WW_DET_NO;
	if (ww_has_word(t, tl, "FTP"))
		return WW_DET_YES;
	return WW_DET_WEAK;
}

enum ww_det ww_detect_ftp(const struct ww_pview *v)
{
	enum ww_det a = v->n[0] ? client(v->d[0], v->n[0]) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? server(v->d[1], v->n[1]) : WW_DET_NEED;
	if (b == WW_DET_NO)
		return WW_DET_NO;   /* not an FTP greeting: the client's verbs alone are too common */
	if (a == WW_DET_YES || a == WW_DET_NO)
		return b == WW_DET_YES ? b : (a == WW_DET_YES && b == WW_DET_NEED && v->n[1] == 0 ? WW_DET_WEAK : a);
	if (b == WW_DET_WEAK && v->n[0] == 0)
		return WW_DET_WEAK;
	return ww_det_merge(a, b);
}
