/*
 * telnet.c - Telnet (RFC 854) by its option negotiation.
 *
 * A session opens with IAC (255) followed by WILL (251), WONT (252), DO (253)
 * or DONT (254) and an option code (RFC 855; assigned options are 0-49 plus
 * 138-140 and 255 EXOPL), or a subnegotiation IAC SB option ... IAC SE. We
 * parse the commands at the start of a direction: two or more well-formed
 * commands, or one that is all the data, prove Telnet. Servers that print a
 * login prompt without negotiating cannot be told from other text; on a
 * port Telnet owns (ports.h: 23) a start of plain NVT text (RFC 854: printable
 * ASCII, CR, LF, HT, BS, BEL, FF, NUL) is WEAK Telnet - taken only when no
 * other protocol proves itself - rather than a contradiction.
 */
#include "wirewho/ports.h"
#include "proto.h"

#define IAC  255
#define SE   240
#define SB   250
#define WILL 251
#define DONT 254
#define TELNET_SB_MAX 64   /* NAWS, TTYPE, TSPEED subnegotiations are a few bytes */

static bool opt_ok(uint8_t o)
{
	return o <= 49 || (o >= 138 && o <= 140) || o == 255;
}

static enum ww_det one(const uint8_t *p, uint32_t n)
{
	uint32_t i = 0, cmds = 0;
	while (i < n) {
		if (p[i] != IAC)
			return cmds >= 1 ? WW_DET_YES : WW_DET_NO;
		if (i + 1 >= n)
			return WW_DET_NEED;
		uint8_t c = p[i + 1];
		if (c >= WILL && c <= DONT) {
			if (i + 2 >= n)
				return WW_DET_NEED;
			if (!opt_ok(p[i + 2]))
				return WW_DET_NO;
			i += 3;
		} else if (c == SB) {
			if (i + 2 >= n)
				return WW_DET_NEED;
			if (!opt_ok(p[i + 2]))
				return WW_DET_NO;
			uint32_t j = i + 3;
			while (j + 1 < n && !(p[j] == IAC && p[j + 1] == SE) && j - i < TELNET_SB_MAX)
				j++;
			if (j - i >= TELNET_SB_MAX)
				return WW_DET_NO;
			if (j + 1 >= n)
				return WW_DET_NEED;
			i = j + 2;
		} else {
			return WW_DET_NO;
		}
		if (++cmds >= 2)
			return WW_DET_YES;
	}
	return cmds >= 1 ? WW_DET_YES : WW_DET_NEED;
}

#define TELNET_TEXT_CHECK 64   /* the first bytes of a prompt or banner */

/* NVT text (RFC 854 "The NVT printer and keyboard"), with IAC commands
 * allowed after the first byte. */
static bool nvt_text(const uint8_t *p, uint32_t n)
{
	uint32_t lim = n < TELNET_TEXT_CHECK ? n : TELNET_TEXT_CHECK;
	for (uint32_t i = 0; i < lim; i++) {
		uint8_t c = p[i];
		if (c == IAC && i > 0)
			break;
		if (!(ww_is_text(c) || c == '\r' || c == '\n' || c == '\b' || c == '\a' || c == '\f' || c == 0) ||
		    c >= 0x80)
			return false;
	}
	return true;
}

enum ww_det ww_detect_telnet(const struct ww_pview *v)
{
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0]) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1]) : WW_DET_NEED;
	enum ww_det r = ww_det_merge(a, b);
	if (r != WW_DET_NO)
		return r;
	const char *owner = ww_ports_protocol_of(v->sport, v->ipproto);   /* O(1), unlike by name */
	if (!owner || strcmp(owner, "telnet") != 0)
		return r;
	for (int d = 0; d < 2; d++)
		if (v->n[d] && (v->d[d][0] != IAC ? !nvt_text(v->d[d], v->n[d]) : one(v->d[d], v->n[d]) == WW_DET_NO))
			return WW_DET_NO;
	return WW_DET_WEAK;
}
