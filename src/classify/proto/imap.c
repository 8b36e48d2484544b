/*
 * imap.c - IMAP4 (RFC 9051, RFC 3501) by its greeting and tagged commands.
 *
 * §7.1: the server greets with an untagged status, "* OK", "* PREAUTH" or
 * "* BYE", SP, optional [response-code], text, CRLF. The client sends
 * tag SP command [SP args] CRLF (§2.2.1), the tag being ATOM-CHARs other
 * than '+' (§9 grammar). We know the commands a session can open with
 * (CAPABILITY, LOGIN, AUTHENTICATE, STARTTLS, ID, NOOP, LOGOUT, ENABLE...) and
 * the common later ones, so a session picked up mid-way is still found.
 */
#include "proto.h"

static const char *const imap_cmds[] = {
	"CAPABILITY", "LOGIN", "AUTHENTICATE", "STARTTLS", "NOOP", "LOGOUT", "ID",
	"ENABLE", "SELECT", "EXAMINE", "LIST", "LSUB", "STATUS", "NAMESPACE",
	"FETCH", "UID", "IDLE", "CREATE", "DELETE", "APPEND", "SEARCH", "STORE",
	"CLOSE", "EXPUNGE", "CHECK", "GETQUOTAROOT", "COMPRESS", NULL };

static bool atom_char(uint8_t c)
{
	/* ATOM-CHAR: any CHAR except atom-specials; the tag also excludes '+' */
	return c > 0x20 && c < 0x7f && !strchr("(){%*\"\\]+", c);
}

static enum ww_det client(const uint8_t *p, uint32_t n)
{
	uint32_t i = 0;
	while (i < n && i < 32 && atom_char(p[i]))
		i++;
	if (i == n)
		return i < 32 ? WW_DET_NEED : WW_DET_NO;
	if (i == 0 || i >= 32 || p[i] != ' ')
		return WW_DET_NO;
	i++;
	char w[16];
	uint32_t nargs;
	enum ww_det r = ww_cmd_line(p + i, n - i, w, &nargs);
	if (r != WW_DET_YES)
		return r;
	return ww_word_in(w, imap_cmds) ? WW_DET_YES : WW_DET_NO;
}

static enum ww_det server(const uint8_t *p, uint32_t n)
{
	static const char *const g[] = { "* OK", "* PREAUTH", "* BYE" };
	for (size_t k = 0; k < WW_ARRAY_SIZE(g); k++) {
		uint32_t l = (uint32_t)strlen(g[k]);
		uint32_t m = n < l ? n : l;
		if (memcmp(p, g[k], m) != 0)
			continue;
		if (n <= l)
			return WW_DET_NEED;
		if (p[l] != ' ')
			return WW_DET_NO;
		uint32_t i = l + 1;
		while (i < n && p[i] != '\r' && p[i] != '\n') {
			if (!ww_is_text(p[i]) || i > 1024)
				return WW_DET_NO;
			i++;
		}
		return i == n ? WW_DET_NEED : WW_DET_YES;
	}
	return WW_DET_NO;
}

enum ww_det ww_detect_imap(const struct ww_pview *v)
{
	enum ww_det a = v->n[0] ? client(v->d[0], v->n[0]) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? server(v->d[1], v->n[1]) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
