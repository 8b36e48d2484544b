/*
 * openvpn.c - OpenVPN's control channel (OpenVPN 2.x, ssl_pkt.h /
 * reliable.c; the protocol is documented in the sources and in
 * doc/doxygen/doc_protocol_overview.h), over UDP and TCP.
 *
 * A packet opens with one byte: opcode (high 5 bits) and key id (low 3).
 * A session starts with the client's P_CONTROL_HARD_RESET_CLIENT_V2 (7), or
 * V3 (10, tls-crypt-v2) or V1 (1), key id 0, answered by
 * P_CONTROL_HARD_RESET_SERVER_V2 (8) or V1 (2). After the opcode: the
 * 8-byte session id; with --tls-auth an HMAC (20, 32 or 64 bytes: SHA-1,
 * SHA-256, SHA-512), a 4-byte packet id and a 4-byte time; then the ack
 * array (a count, zero in the client's first packet) and the message's
 * packet id (zero for the first). With --tls-crypt all after the time is
 * encrypted. Over TCP every packet follows a 2-byte length.
 * Proof: the client's reset with key id 0 whose length fits one of the
 * clear layouts exactly and whose ack count and message id are zero (and,
 * with tls-auth, whose time is plausible), or a client reset answered by
 * the server's reset. A client reset whose contents we cannot read
 * (tls-crypt) alone waits for that answer.
 */
#include "proto.h"

#define OVPN_SID 8
#define OVPN_EARLY_NEG 6     /* 2.6's EARLY_NEG_FLAGS TLV after the message id */
#define OVPN_TIME_MIN 946684800u    /* 2000-01-01: a replay-protection time stamp after it */
#define OVPN_TIME_MAX 4102444800u   /* 2100-01-01 */

static bool client_reset(uint8_t b) { return b == (7 << 3) || b == (10 << 3) || b == (1 << 3); }
static bool server_reset(uint8_t b) { return b == (8 << 3) || b == (2 << 3); }

/* The clear layouts of a client reset: plain, then tls-auth with each HMAC size. */
static bool clear_layout(const uint8_t *p, uint32_t n)
{
	static const uint32_t hmacs[] = { 0, 20, 32, 64 };
	for (size_t k = 0; k < WW_ARRAY_SIZE(hmacs); k++) {
		uint32_t h = hmacs[k];
		uint32_t pre = 1 + OVPN_SID + (h ? h + 8 : 0);   /* up to the ack count */
		uint32_t base = pre + 1 + 4;
		if (n != base && n != base + OVPN_EARLY_NEG)
			continue;
		if (p[pre] != 0 || ww_be32(p + pre + 1) != 0)
			continue;
		if (h) {
			uint32_t t = ww_be32(p + 1 + OVPN_SID + h + 4);
			if (ww_be32(p + 1 + OVPN_SID + h) == 0 || t < OVPN_TIME_MIN || t > OVPN_TIME_MAX)
				continue;
		}
		return true;
	}
	return false;
}

/* One packet (framing removed) of direction d: YES, WEAK (a reset we
 * cannot read) or NO. */
static enum ww_det pkt(const uint8_t *p, uint32_t n, int d)
{
	if (n < 1 + OVPN_SID + 5)
		return WW_DET_NO;
	if (d == 0)
		return client_reset(p[0]) ? (clear_layout(p, n) ? WW_DET_YES : WW_DET_WEAK) : WW_DET_NO;
	return server_reset(p[0]) ? WW_DET_WEAK : WW_DET_NO;
}

static enum ww_det one(const uint8_t *p, uint32_t n, bool tcp, int d)
{
	if (!tcp)
		return pkt(p, n, d);
	if (n < 2)
		return WW_DET_NEED;
	uint32_t l = ww_be16(p);
	if (l < 1 + OVPN_SID + 5)
		return WW_DET_NO;
	if (n < 2 + l)
		return n >= 3 && !(d == 0 ? client_reset(p[2]) : server_reset(p[2])) ? WW_DET_NO : WW_DET_NEED;
	return pkt(p + 2, l, d);
}

enum ww_det ww_detect_openvpn(const struct ww_pview *v)
{
	bool tcp = v->ipproto == WW_IPPROTO_TCP;
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0], tcp, 0) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1], tcp, 1) : WW_DET_NEED;
	/* WEAK from pkt() is "a reset we cannot read": not a verdict alone
	 * (one random datagram in 85 starts with a reset opcode) */
	if (a == WW_DET_YES || (a == WW_DET_WEAK && b == WW_DET_WEAK))
		return WW_DET_YES;   /* a readable reset, or a reset answered by a reset */
	if (a == WW_DET_NO || b == WW_DET_NO)
		return WW_DET_NO;
	return WW_DET_NEED;
}
