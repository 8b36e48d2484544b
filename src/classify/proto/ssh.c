/*
 * ssh.c - SSH by its identification string (RFC 4253 §4.2).
 *
 * Both sides send "SSH-protoversion-softwareversion SP comments CR LF";
 * protoversion is "2.0", or "1.99" for servers that also speak SSH-1
 * (RFC 4253 §5.1); SSH-1 peers send "1.5"/"1.3". softwareversion is
 * printable US-ASCII without spaces; we check it starts with a VCHAR, which
 * is enough after the fixed prefix. A server may send other lines first
 * (§4.2: "the server MAY send other lines of data before sending the
 * version string"), so server-side lines that do not start with "SSH-" are
 * skipped, a few at most. The server speaks first, so either direction
 * alone proves the protocol.
 */
#include "proto.h"

#define SSH_PRE_LINES 4   /* banner lines a server may send first; real ones send 0 */

static enum ww_det ident(const uint8_t *p, uint32_t n, bool server)
{
	uint32_t off = 0;
	for (int line = 0; line <= SSH_PRE_LINES; line++) {
		const uint8_t *q = p + off;
		uint32_t m = n - off;
		static const char pfx[] = "SSH-";
		for (uint32_t i = 0; i < 4; i++) {
			if (i >= m)
				return WW_DET_NEED;
			if (q[i] != (uint8_t)pfx[i])
				goto other_line;
		}
		{
			uint32_t i = 4;
			/* protoversion: digits '.' digits */
			uint32_t s = i;
			while (i < m && ww_is_digit(q[i]))
				i++;
			if (i == m)
				return WW_DET_NEED;
			if (i == s || q[i] != '.' || (q[s] != '1' && q[s] != '2'))
				return WW_DET_NO;
			s = ++i;
			while (i < m && ww_is_digit(q[i]))
				i++;
			if (i == m)
				return WW_DET_NEED;
			if (i == s || q[i] != '-')
				return WW_DET_NO;
			i++;
			if (i >= m)
				return WW_DET_NEED;
			if (!ww_is_vchar(q[i]))
				return WW_DET_NO;
			return WW_DET_YES;
		}
other_line:
		if (!server)
			return WW_DET_NO;
		{
			/* skip one text line; anything else is not a pre-banner line */
			uint32_t i = 0;
			while (i < m && q[i] != '\n') {
				if (!ww_is_text(q[i]) && q[i] != '\r')
					return WW_DET_NO;
				i++;
			}
			if (i == m)
				return WW_DET_NEED;
			off += i + 1;
			if (off >= n)
				return WW_DET_NEED;
		}
	}
	return WW_DET_NO;
}

enum ww_det ww_detect_ssh(const struct ww_pview *v)
{
	enum ww_det a = v->n[0] ? ident(v->d[0], v->n[0], false) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? ident(v->d[1], v->n[1], true) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
