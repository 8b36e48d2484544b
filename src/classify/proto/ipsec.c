/*
 * ipsec.c - IPsec's key exchange and its NAT traversal: IKEv1 (RFC 2408
 * §3.1) and IKEv2 (RFC 7296 §3.1) on UDP 500 and 4500, and ESP in UDP
 * (RFC 3948) on 4500.
 *
 * The IKE header is 28 bytes: initiator SPI (never zero), responder SPI
 * (zero in the first request), next payload, version (major 1 or 2 in the
 * high nibble, minor 0), exchange type, flags, message id, and the length
 * of the whole message, which is the datagram's. The next payload and the
 * exchange type must be ones the version defines (IKEv1: payloads 1-13 and
 * NAT-D/NAT-OA 20-21 (RFC 3947) and the drafts' 130-132, exchanges 0-5 and
 * 32-33 (Quick Mode, New Group); IKEv2: payloads 33-54 or 0, exchanges
 * 34-37 and 43 (RFC 7383's IKE_INTERMEDIATE)), and the flags only the bits
 * that version uses. Eight constrained fields: proof. On port 4500 an IKE
 * message follows a 4-byte zero non-ESP marker (RFC 3948 §2.2); a datagram
 * without it is ESP (§2.1): an SPI above 255 (RFC 4303 §2.1: 1-255 are
 * reserved) and a sequence number, which is all ESP shows in clear: WEAK.
 * A lone 0xff byte is a NAT keep-alive (§2.3): nothing to judge yet.
 */
#include "proto.h"

#define IKE_HDR 28
#define NATT_PORT 4500
#define ESP_MIN 24      /* SPI, sequence number, an IV or a 16-byte ICV at least */
#define ESP_SPI_MIN 256

static bool v1_payload(uint8_t np) { return (np >= 1 && np <= 13) || np == 20 || np == 21 || (np >= 130 && np <= 132); }
static bool v2_payload(uint8_t np) { return np == 0 || (np >= 33 && np <= 54); }

static enum ww_det ike(const uint8_t *p, uint32_t n)
{
	if (n < IKE_HDR || ww_be32(p + 24) != n)
		return WW_DET_NO;
	static const uint8_t zero[8];
	if (memcmp(p, zero, 8) == 0)
		return WW_DET_NO;
	uint8_t np = p[16], ver = p[17], ex = p[18], fl = p[19];
	if (ver == 0x10)
		return v1_payload(np) && (ex <= 5 || ex == 32 || ex == 33) && !(fl & 0xf8) ? WW_DET_YES : WW_DET_NO;
	if (ver == 0x20)
		return v2_payload(np) && ((ex >= 34 && ex <= 37) || ex == 43) && !(fl & 0xc7) ? WW_DET_YES : WW_DET_NO;
	return WW_DET_NO;
}

static enum ww_det one(const uint8_t *p, uint32_t n, bool natt)
{
	if (!natt)
		return ike(p, n);
	if (n == 1 && p[0] == 0xff)
		return WW_DET_NEED;                     /* NAT keep-alive */
	if (n >= 4 && ww_be32(p) == 0)
		return ike(p + 4, n - 4);
	if (n >= ESP_MIN && ww_be32(p) >= ESP_SPI_MIN && ww_be32(p + 4) != 0)
		return WW_DET_WEAK;
	return WW_DET_NO;
}

enum ww_det ww_detect_ipsec(const struct ww_pview *v)
{
	bool natt = v->sport == NATT_PORT || v->cport == NATT_PORT;
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0], natt) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1], natt) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
