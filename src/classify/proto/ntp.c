/*
 * ntp.c - NTP (RFC 5905 §7.3), SNTP (RFC 4330) and NTP control messages
 * (mode 6, RFC 9327; mode 7 is ntpd's private mode).
 *
 * First byte: LI(2) VN(3) Mode(3). We accept versions 1-4. Modes 1-5 carry a
 * 48-byte header, then optional extension fields and a MAC, all multiples of
 * 4 bytes; stratum is 0-16 (16 = unsynchronised) and poll at most 17
 * (MAXPOLL). A client (mode 3) talks
 * to the server, a server (mode 4) answers; symmetric (1, 2) and broadcast
 * (5) go either way. Mode 6 control messages have a 12-byte header with a
 * nonzero opcode and a count (<= 468) that fits the datagram; mode 7 names
 * its implementation (0, 2 or 3). Off port 123 (on either side) we do not
 * call anything NTP: the checks above leave roughly one random datagram in a
 * thousand, too many without the port.
 */
#include "proto.h"

#define NTP_PORT 123
#define NTP_HDR 48
#define NTP_MAX 1024   /* header + extension fields + MAC; real ones are <= 120 */
#define NTP_CTL_DATA 468     /* mode 6 data octets per message (RFC 1305 appendix B) */
#define NTP_CTL_TRAILER 28   /* padding (<= 3) + MAC (4-byte key id + up to 20) */
#define NTP_MAX_POLL 17      /* RFC 5905 MAXPOLL */

static enum ww_det one(const uint8_t *p, uint32_t n, bool toserver)
{
	if (n < 8)
		return WW_DET_NO;
	uint8_t vn = (p[0] >> 3) & 7, mode = p[0] & 7;
	if (vn < 1 || vn > 4)
		return WW_DET_NO;
	if (mode == 6) {
		/* R E M Opcode(5) | Sequence | Status | AssocID | Offset | Count,
		 * then up to 468 data octets, padding to 4 and an optional MAC */
		if (n < 12)
			return WW_DET_NO;
		uint32_t op = p[1] & 0x1f, off = ww_be16(p + 8), count = ww_be16(p + 10);
		if (op == 0 || op > 31 || count > NTP_CTL_DATA || off > 65000 ||
		    12 + count > n || n - 12 - count > NTP_CTL_TRAILER)
			return WW_DET_NO;
		return WW_DET_YES;
	}
	if (mode == 7) {
		/* ntpd's private mode: implementation 0 (universal), 2 or 3
		 * (xntpd), error code 0-5 in the high nibble of byte 4 */
		if (p[2] != 0 && p[2] != 2 && p[2] != 3)
			return WW_DET_NO;
		return (p[4] >> 4) <= 5 && n <= NTP_MAX ? WW_DET_YES : WW_DET_NO;
	}
	if (mode == 0 || n < NTP_HDR || n > NTP_MAX || (n - NTP_HDR) % 4)
		return WW_DET_NO;
	if (p[1] > 16)
		return WW_DET_NO;
	/* Poll: log2 seconds, 4-17 in practice; SNTP clients may send 0.
	 * Allow up to NTP_MAX_POLL and the negative values a few send. */
	int8_t poll = (int8_t)p[2];
	if (poll > NTP_MAX_POLL || poll < -8)
		return WW_DET_NO;
	if ((mode == 3 && !toserver) || (mode == 4 && toserver))
		return WW_DET_NO;
	return WW_DET_YES;
}

enum ww_det ww_detect_ntp(const struct ww_pview *v)
{
	if (v->sport != NTP_PORT && v->cport != NTP_PORT)
		return WW_DET_NO;
	bool sym = v->sport == v->cport;   /* symmetric peers: no client/server */
	/* The NTP server is the side on port 123. When that is the flow's
	 * "client" side (a server's reply to port 80 from a scan or a
	 * reflection, where the flow was oriented by the other port), the
	 * to-server direction carries the NTP server's messages. */
	bool flip = v->cport == NTP_PORT && v->sport != NTP_PORT;
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0], sym ? (v->d[0][0] & 7) != 4 : !flip) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1], sym ? (v->d[1][0] & 7) == 3 : flip) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
