/*
 * irc.c - IRC (RFC 1459 §2.3.1, RFC 2812 §2.3) by its message grammar.
 *
 * message = [":" prefix SPACE] command [params] CRLF, command = letters or
 * 3 digits. A client registers with NICK and USER (RFC 2812 §3.1.2-3; USER
 * has four parameters), optionally after PASS or "CAP LS" (IRCv3); so a
 * client's first lines that are PASS/CAP/NICK/USER in that grammar prove
 * IRC (PASS alone could be FTP or POP3, so it only passes on to the next
 * line). A server's lines carry a ":server" prefix and a numeric or a
 * command, or the prefix-less "NOTICE AUTH :" of older daemons.
 */
#include "proto.h"

#define IRC_LINES 3   /* PASS, CAP, NICK: the registration opens within 3 lines */

static enum ww_det client(const uint8_t *p, uint32_t n)
{
	uint32_t off = 0;
	for (int line = 0; line < IRC_LINES; line++) {
		char w[16];
		uint32_t nargs = 0;
		enum ww_det r = ww_cmd_line(p + off, n - off, w, &nargs);
		if (r != WW_DET_YES)
			return r;
		if (strcmp(w, "NICK") == 0)
			return nargs >= 1 ? WW_DET_YES : WW_DET_NO;
		if (strcmp(w, "USER") == 0)
			return nargs >= 4 ? WW_DET_YES : WW_DET_NO;
		if (strcmp(w, "CAP") == 0) {
			if (nargs < 1)
				return WW_DET_NO;
		} else if (strcmp(w, "PASS") != 0) {
			return WW_DET_NO;
		}
		const uint8_t *lf = memchr(p + off, '\n', n - off);
		if (!lf)
			return WW_DET_NEED;
		off = (uint32_t)(lf - p) + 1;
		if (off >= n)
			return WW_DET_NEED;
	}
	return WW_DET_NO;
}

static const char *const srv_cmds[] = { "NOTICE", "PING", "PRIVMSG", "MODE", "JOIN", "ERROR", "CAP", NULL };

static enum ww_det server(const uint8_t *p, uint32_t n)
{
	uint32_t i = 0;
	if (p[0] == ':') {
		i = 1;
		while (i < n && i < 256 && p[i] > 0x20 && p[i] != 0x7f)
			i++;
		if (i == n)
			return WW_DET_NEED;
		if (i == 1 || p[i] != ' ')
			return WW_DET_NO;
		i++;
	}
	uint32_t s = i;
	if (i >= n || (ww_is_digit(p[i]) && i + 4 > n))
		return WW_DET_NEED;
	if (i + 4 <= n && ww_is_digit(p[i]) && ww_is_digit(p[i + 1]) && ww_is_digit(p[i + 2]))
		return (s > 0 && p[i + 3] == ' ') ? WW_DET_YES : WW_DET_NO;
	char w[16];
	uint32_t k = 0;
	while (i < n && k < 15 && ww_is_upper(p[i]))
		w[k++] = (char)p[i++];
	if (i == n)
		return WW_DET_NEED;
	w[k] = '\0';
	if (k == 0 || p[i] != ' ' || !ww_word_in(w, srv_cmds))
		return WW_DET_NO;
	if (s == 0) {
		/* no prefix: only the classic "NOTICE AUTH :" / "NOTICE * :" / "PING :" */
		const uint8_t *q = p + i + 1;
		uint32_t m = n - i - 1;
		if (strcmp(w, "NOTICE") == 0) {
			if (m < 3)
				return WW_DET_NEED;
			return (memcmp(q, "* :", 3) == 0 || (m >= 6 && memcmp(q, "AUTH :", 6) == 0)) ? WW_DET_YES :
			       (m < 6 ? WW_DET_NEED : WW_DET_NO);
		}
		return WW_DET_NO;
	}
	return WW_DET_YES;
}

enum ww_det ww_detect_irc(const struct ww_pview *v)
{
	enum ww_det a = v->n[0] ? client(v->d[0], v->n[0]) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? server(v->d[1], v->n[1]) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
