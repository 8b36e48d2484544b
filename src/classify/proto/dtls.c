/*
 * dtls.c - DTLS 1.0, 1.2 and 1.3 (RFC 6347 §4.1, RFC 9147 §4) records.
 *
 * A datagram carries one or more whole records, each with a 13-byte
 * header: content type (20 change_cipher_spec, 21 alert, 22 handshake,
 * 23 application_data, 24 heartbeat, 25 ack), version 0xfeff (1.0) or
 * 0xfefd (1.2; DTLS 1.3 keeps it in plaintext records, RFC 9147 §5.3),
 * 16-bit epoch, 48-bit sequence number and 16-bit length. We require the
 * records to fill the datagram exactly. A handshake record of epoch 0
 * must also hold a consistent handshake header (§5.2 of RFC 6347: msg_type,
 * length, message_seq, fragment_offset, fragment_length, the fragment
 * inside the message and the record): that is proof, and every DTLS
 * connection starts with one (ClientHello, HelloVerifyRequest,
 * ServerHello). A valid chain of other records is WEAK: a flow whose
 * handshake the capture missed.
 */
#include "proto.h"

#define DTLS_REC_HDR 13
#define DTLS_HS_HDR 12
#define DTLS_MAX_RECORDS 16   /* a datagram holds a flight: a handful of records */

static bool hs_type_ok(uint8_t t)
{
	/* hello_request .. finished, and 1.3's new ones (RFC 8446 §4; RFC 9147 §5.2) */
	return t <= 4 || t == 8 || (t >= 11 && t <= 16) || t == 20 || t == 24;
}

static enum ww_det one(const uint8_t *p, uint32_t n)
{
	uint32_t i = 0;
	bool proof = false;
	int recs = 0;
	while (i < n) {
		if (n - i < DTLS_REC_HDR || ++recs > DTLS_MAX_RECORDS)
			return WW_DET_NO;
		const uint8_t *r = p + i;
		uint16_t ver = ww_be16(r + 1);
		uint32_t len = ww_be16(r + 11);
		if (r[0] < 20 || r[0] > 25 || (ver != 0xfeff && ver != 0xfefd) || len == 0 ||
		    len > n - i - DTLS_REC_HDR)
			return WW_DET_NO;
		uint16_t epoch = ww_be16(r + 3);
		if (r[0] == 22 && epoch == 0) {
			const uint8_t *h = r + DTLS_REC_HDR;
			if (len < DTLS_HS_HDR || !hs_type_ok(h[0]))
				return WW_DET_NO;
			uint32_t mlen = ww_be24(h + 1), off = ww_be24(h + 6), flen = ww_be24(h + 9);
			if (off > mlen || flen > mlen - off || flen > len - DTLS_HS_HDR)
				return WW_DET_NO;
			proof = true;
		}
		i += DTLS_REC_HDR + len;
	}
	return proof ? WW_DET_YES : WW_DET_WEAK;
}

enum ww_det ww_detect_dtls(const struct ww_pview *v)
{
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0]) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1]) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
