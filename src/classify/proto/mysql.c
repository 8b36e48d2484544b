/*
 * mysql.c - MySQL / MariaDB client/server protocol, by the server's initial
 * handshake packet (MySQL "Protocol::HandshakeV10").
 *
 * Every packet has a 3-byte little-endian payload length and a sequence id;
 * the greeting is sequence 0 and its payload starts with protocol version 10,
 * then the server version as a NUL-terminated string (printable, starting
 * with a digit: "8.0.36", "5.5.5-10.11.6-MariaDB"), a 4-byte connection id,
 * 8 bytes of auth-plugin data and a 0x00 filler. A refusing server sends an
 * ERR packet (0xFF, 2-byte error code, text) as sequence 0 instead: WEAK.
 * The server speaks first; the client side is never the proof.
 */
#include "proto.h"

#define MYSQL_VER_MAX 64       /* server version strings are ~30 bytes */
#define MYSQL_GREETING_MAX 1024

static enum ww_det greeting(const uint8_t *p, uint32_t n)
{
	if (n < 5)
		return n >= 4 && p[3] != 0 ? WW_DET_NO : WW_DET_NEED;
	uint32_t len = ww_le24(p);
	if (p[3] != 0 || len < 3 || len > MYSQL_GREETING_MAX)
		return WW_DET_NO;
	if (p[4] == 0xff) {
		/* ERR_Packet: error code (2, LE, 1000-2999 server/client errors) then text */
		if (n < 7)
			return WW_DET_NEED;
		uint32_t code = (uint32_t)p[5] | (uint32_t)p[6] << 8;
		return code >= 1000 && code < 3000 ? WW_DET_WEAK : WW_DET_NO;
	}
	if (p[4] != 10)
		return WW_DET_NO;
	if (n < 6)
		return WW_DET_NEED;
	if (!ww_is_digit(p[5]))
		return WW_DET_NO;
	uint32_t i = 5;
	while (i < n && p[i] != 0) {
		if (!ww_is_vchar(p[i]) || i - 5 > MYSQL_VER_MAX)
			return WW_DET_NO;
		i++;
	}
	if (i == n)
		return WW_DET_NEED;
	uint32_t filler = i + 1 + 4 + 8;
	if (filler >= 4 + len)
		return WW_DET_NO;
	if (filler >= n)
		return WW_DET_NEED;
	return p[filler] == 0 ? WW_DET_YES : WW_DET_NO;
}

enum ww_det ww_detect_mysql(const struct ww_pview *v)
{
	if (v->first == 0)
		return WW_DET_NO;     /* the client spoke first: not a MySQL session start */
	if (!v->n[1])
		return WW_DET_NEED;
	return greeting(v->d[1], v->n[1]);
}
