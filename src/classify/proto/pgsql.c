/*
 * pgsql.c - PostgreSQL frontend/backend protocol 3.0 (PostgreSQL docs,
 * "Message Formats"), by the client's first message.
 *
 * The first message has no type byte: Int32 length (including itself), then
 * Int32 code. StartupMessage: code 196608 (3.0), then name/value pairs of
 * NUL-terminated strings and a final NUL; SSLRequest: length 8, code
 * 80877103; GSSENCRequest: 80877104; CancelRequest: length 16, code
 * 80877102. A fixed 32-bit code in a message of fixed length is enough; for a
 * startup message we also check the first parameter name is printable and
 * NUL-terminated. After SSLRequest the server answers 'S' or 'N' and TLS may
 * follow: the flow stays PostgreSQL.
 */
#include "proto.h"

#define PG_STARTUP_MAX 10000   /* the server's own limit (MAX_STARTUP_PACKET_LENGTH) */

static enum ww_det first(const uint8_t *p, uint32_t n)
{
	if (n < 8)
		return n >= 4 && ww_be32(p) > PG_STARTUP_MAX ? WW_DET_NO : WW_DET_NEED;
	uint32_t len = ww_be32(p), code = ww_be32(p + 4);
	switch (code) {
	case 80877103:
	case 80877104:
		return len == 8 ? WW_DET_YES : WW_DET_NO;
	case 80877102:
		return len == 16 ? WW_DET_YES : WW_DET_NO;
	case 196608:
		break;
	default:
		return WW_DET_NO;
	}
	if (len < 10 || len > PG_STARTUP_MAX)
		return WW_DET_NO;
	uint32_t i = 8;
	while (i < n && p[i] != 0) {
		if (!ww_is_vchar(p[i]) || i - 8 > 64)
			return WW_DET_NO;
		i++;
	}
	if (i == n)
		return WW_DET_NEED;
	return i > 8 ? WW_DET_YES : WW_DET_NO;
}

enum ww_det ww_detect_pgsql(const struct ww_pview *v)
{
	if (v->first == 1)
		return WW_DET_NO;     /* the server spoke first: not a session start */
	if (!v->n[0])
		return WW_DET_NEED;
	return first(v->d[0], v->n[0]);
}
