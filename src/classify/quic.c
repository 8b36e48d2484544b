/*
 * quic.c - the client's QUIC Initial packets opened (RFC 9001 §5 for
 * QUIC v1, RFC 9369 §3 for v2) and their CRYPTO frames put back together
 * into the TLS ClientHello they carry, for the tls object (meta.h).
 *
 * Versions: 1, 2, and the drafts captures still hold (23-34, mvfst's),
 * each with its salt; gQUIC (Q0xx, T0xx) is another protocol: not read.
 *
 * Keys: Initial packets are protected with keys anyone can derive from
 * the client's Destination Connection ID: HKDF-Extract(version salt, DCID),
 * then HKDF-Expand-Label "client in", and from that "quic key", "quic iv",
 * "quic hp" (v2: "quicv2 key", ...). Header protection: AES-128-ECB of a
 * 16-byte sample; the payload: AES-128-GCM with the header as associated
 * data. All through libcrypto (HMAC-SHA256, EVP ciphers).
 *
 * Bounded: at most QUIC_PACKETS_MAX packets read from the bytes given
 * (the client's first datagrams back to back, as the classifier keeps
 * them: each long-header packet says its length, zero bytes between are
 * a datagram's padding), CRYPTO data kept up to WW_QUIC_HELLO_MAX bytes
 * from offset 0, in any order (a bitmap of what arrived), and the hello is
 * read once its whole length is there. A packet that does not open
 * (another version, a server's, a corrupt one) is skipped.
 */
#include <errno.h>
#include <openssl/evp.h>

#include "wirewho/meta.h"

#define QUIC_PACKETS_MAX 8
#define QUIC_V1 0x00000001u
#define QUIC_V2 0x6b3343cfu

static const uint8_t salt_v1[20] = { 0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
				     0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a };
/* the drafts still seen in captures: draft-23..28 (and Facebook's mvfst
 * versions of them), and draft-29..32 */
static const uint8_t salt_d23[20] = { 0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
				      0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02 };
static const uint8_t salt_d29[20] = { 0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
				      0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99 };
static const uint8_t salt_v2[20] = { 0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
				     0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9 };

/* HMAC-SHA256 (RFC 2104) of m[0..n) under key[0..kl), kl <= 64, into out[32],
 * with the digest of ww_tlsmeta_md() (libcrypto's one-shot HMAC() would use
 * its default context; see tlsmeta.c). False when libcrypto failed. */
static bool hmac_sha256(const uint8_t *key, size_t kl, const uint8_t *m, size_t n, uint8_t out[32])
{
	const EVP_MD *md = ww_tlsmeta_md(WW_CRYPTO_SHA256);
	uint8_t pad[64], inner[32];
	unsigned l1 = 0, l2 = 0;
	EVP_MD_CTX *c = md && kl <= sizeof(pad) ? EVP_MD_CTX_new() : NULL;
	if (!c)
		return false;
	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < kl; i++)
		pad[i] ^= key[i];
	bool ok = EVP_DigestInit_ex(c, md, NULL) == 1 && EVP_DigestUpdate(c, pad, sizeof(pad)) == 1 &&
		  EVP_DigestUpdate(c, m, n) == 1 && EVP_DigestFinal_ex(c, inner, &l1) == 1 && l1 == 32;
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	ok = ok && EVP_DigestInit_ex(c, md, NULL) == 1 && EVP_DigestUpdate(c, pad, sizeof(pad)) == 1 &&
	     EVP_DigestUpdate(c, inner, sizeof(inner)) == 1 && EVP_DigestFinal_ex(c, out, &l2) == 1 && l2 == 32;
	EVP_MD_CTX_free(c);
	return ok;
}

/* HKDF-Expand-Label (RFC 8446 §7.1) with an empty context, out_len <= 32. */
static bool expand_label(const uint8_t secret[32], const char *label, uint8_t *out, size_t out_len)
{
	uint8_t info[2 + 1 + 6 + 32 + 1 + 1], md[32];
	size_t ll = strlen(label), n = 0;
	if (ll > 32 || out_len > 32)
		return false;
	info[n++] = 0;
	info[n++] = (uint8_t)out_len;
	info[n++] = (uint8_t)(6 + ll);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, ll);
	n += ll;
	info[n++] = 0;      /* context */
	info[n++] = 0x01;   /* HKDF-Expand's T(1) counter */
	if (!hmac_sha256(secret, 32, info, n, md))
		return false;
	memcpy(out, md, out_len);
	return true;
}

int ww_quic_client_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len, struct ww_quic_keys *k)
{
	uint8_t initial[32], client[32];
	bool v2 = version == QUIC_V2;
	const uint8_t *salt = v2 ? salt_v2 : version == QUIC_V1 ? salt_v1 : NULL;
	if ((version >= 0xff000017u && version <= 0xff00001cu) || version == 0xfaceb001u || version == 0xfaceb002u)
		salt = salt_d23;
	else if ((version >= 0xff00001du && version <= 0xff000020u) || version == 0xfaceb00eu)
		salt = salt_d29;
	else if (version >= 0xff000021u && version <= 0xff000022u)
		salt = salt_v1;   /* draft-33 and 34 are v1's */
	if (!salt)
		return -EINVAL;
	/* the inputs are valid here: a libcrypto failure is its memory */
	if (!hmac_sha256(salt, 20, dcid, dcid_len, initial))
		return -ENOMEM;
	if (!expand_label(initial, "client in", client, 32) ||
	    !expand_label(client, v2 ? "quicv2 key" : "quic key", k->key, 16) ||
	    !expand_label(client, v2 ? "quicv2 iv" : "quic iv", k->iv, 12) ||
	    !expand_label(client, v2 ? "quicv2 hp" : "quic hp", k->hp, 16))
		return -ENOMEM;
	return 0;
}

/* A QUIC variable-length integer (RFC 9000 §16) at p[*o..n): false when cut. */
static bool varint(const uint8_t *p, uint32_t n, uint32_t *o, uint64_t *v)
{
	if (*o >= n)
		return false;
	uint32_t len = 1u << (p[*o] >> 6);
	if (*o + len > n)
		return false;
	uint64_t x = p[*o] & 0x3f;
	for (uint32_t i = 1; i < len; i++)
		x = x << 8 | p[*o + i];
	*o += len;
	*v = x;
	return true;
}

static bool aes_ecb_block(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
	const EVP_CIPHER *ecb = ww_tlsmeta_cipher(WW_CRYPTO_AES128_ECB);
	EVP_CIPHER_CTX *c = ecb ? EVP_CIPHER_CTX_new() : NULL;
	int l = 0;
	bool ok = c && EVP_EncryptInit_ex(c, ecb, NULL, key, NULL) == 1 &&
		  EVP_CIPHER_CTX_set_padding(c, 0) == 1 && EVP_EncryptUpdate(c, out, &l, in, 16) == 1 && l == 16;
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* 0, -EINVAL when the tag does not match (not an Initial of these keys),
 * -ENOMEM when libcrypto could not set up (its memory: the inputs are valid). */
static int aes_gcm_open(const struct ww_quic_keys *k, uint64_t pn, const uint8_t *aad, size_t aad_len,
			const uint8_t *ct, size_t ct_len, const uint8_t tag[16], uint8_t *out)
{
	uint8_t nonce[12];
	memcpy(nonce, k->iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
	const EVP_CIPHER *gcm = ww_tlsmeta_cipher(WW_CRYPTO_AES128_GCM);
	EVP_CIPHER_CTX *c = gcm ? EVP_CIPHER_CTX_new() : NULL;
	int l = 0, l2 = 0;
	bool ok = c && EVP_DecryptInit_ex(c, gcm, NULL, NULL, NULL) == 1 &&
		  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1 &&
		  EVP_DecryptInit_ex(c, NULL, NULL, k->key, nonce) == 1 &&
		  EVP_DecryptUpdate(c, NULL, &l, aad, (int)aad_len) == 1 &&
		  EVP_DecryptUpdate(c, out, &l, ct, (int)ct_len) == 1 &&
		  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(uintptr_t)tag) == 1;
	int rc = !ok ? -ENOMEM : EVP_DecryptFinal_ex(c, out + l, &l2) == 1 ? 0 : -EINVAL;
	EVP_CIPHER_CTX_free(c);
	return rc;
}

/* The CRYPTO frames of a decrypted Initial payload into h. */
static void frames(struct ww_quic_hello *h, const uint8_t *p, uint32_t n)
{
	uint32_t o = 0;
	while (o < n) {
		uint64_t t, off, len, x, ranges;
		if (!varint(p, n, &o, &t))
			return;
		switch (t) {
		case 0x00: case 0x01:   /* PADDING, PING */
			break;
		case 0x02: case 0x03:   /* ACK: largest, delay, range count, first range, ranges [, ECN] */
			if (!varint(p, n, &o, &x) || !varint(p, n, &o, &x) || !varint(p, n, &o, &ranges) ||
			    !varint(p, n, &o, &x) || ranges > 64)
				return;
			for (uint64_t i = 0; i < 2 * ranges + (t == 3 ? 3 : 0); i++)
				if (!varint(p, n, &o, &x))
					return;
			break;
		case 0x06:   /* CRYPTO: offset, length, data */
			if (!varint(p, n, &o, &off) || !varint(p, n, &o, &len) || len > n - o)
				return;
			for (uint64_t i = 0; i < len && off + i < WW_QUIC_HELLO_MAX; i++) {
				uint32_t at = (uint32_t)(off + i);
				h->buf[at] = p[o + i];
				h->got[at >> 3] |= (uint8_t)(1u << (at & 7));
			}
			o += (uint32_t)len;
			break;
		default:
			return;   /* no other frame belongs in a client's Initial before its hello */
		}
	}
}

/* Open one long-header packet at p[0..n) (a copy in scratch); its length in *plen. */
static int open_packet(struct ww_quic_hello *h, const uint8_t *p, uint32_t n, uint32_t *plen)
{
	static _Thread_local uint8_t pkt[2048], plain[2048];
	uint32_t o = 5;
	uint64_t tl, len;
	if (n < 7 || !(p[0] & 0x80))
		return -EINVAL;
	uint32_t version = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
	uint8_t dl = p[o++];
	if (dl > 20 || o + dl + 1 > n)
		return -EINVAL;
	const uint8_t *dcid = p + o;
	o += dl;
	uint8_t sl = p[o++];
	if (sl > 20 || o + sl > n)
		return -EINVAL;
	o += sl;
	if (!varint(p, n, &o, &tl) || tl > n - o)
		return -EINVAL;
	o += (uint32_t)tl;
	if (!varint(p, n, &o, &len) || len > n - o || len < 20)
		return -EINVAL;
	*plen = o + (uint32_t)len;
	uint8_t type = (p[0] >> 4) & 3;
	if (type != (version == QUIC_V2 ? 1 : 0) || *plen > sizeof(pkt))
		return -EINVAL;   /* not an Initial (or too large for one) */
	struct ww_quic_keys k;
	int rc = ww_quic_client_keys(version, dcid, dl, &k);
	if (rc != 0)
		return rc;
	uint32_t pn_off = o;
	uint8_t mask[16];
	if (!aes_ecb_block(k.hp, p + pn_off + 4, mask))
		return -ENOMEM;   /* valid key and block: libcrypto's memory */
	memcpy(pkt, p, *plen);
	pkt[0] ^= mask[0] & 0x0f;
	uint32_t pnl = (pkt[0] & 3) + 1;
	uint64_t pn = 0;
	for (uint32_t i = 0; i < pnl; i++) {
		pkt[pn_off + i] ^= mask[1 + i];
		pn = pn << 8 | pkt[pn_off + i];
	}
	uint32_t hdr = pn_off + pnl;
	if (hdr + 16 > *plen)
		return -EINVAL;
	uint32_t ct = *plen - hdr - 16;
	rc = aes_gcm_open(&k, pn, pkt, hdr, pkt + hdr, ct, pkt + *plen - 16, plain);
	if (rc != 0)
		return rc;
	h->version = version;
	frames(h, plain, ct);
	return 0;
}

int ww_quic_client_initials(struct ww_quic_hello *h, const uint8_t *p, uint32_t n)
{
	uint32_t o = 0;
	int opened = 0, rc;
	for (int k = 0; k < QUIC_PACKETS_MAX && o < n; k++) {
		while (o < n && p[o] == 0)
			o++;   /* a datagram's padding after its packets */
		uint32_t plen = 0;
		if (o >= n)
			break;
		rc = open_packet(h, p + o, n - o, &plen);
		if (rc == -ENOMEM)
			return rc;   /* a packet that could have been read was not: the hello is lost */
		if (rc == 0)
			opened++;
		if (!plen)
			break;   /* not a long header whose length can be read: the rest is unknown */
		o += plen;
	}
	return opened ? 0 : -EINVAL;
}

int ww_quic_hello_len(const struct ww_quic_hello *h)
{
	uint32_t have = 0;
	while (have < WW_QUIC_HELLO_MAX && (h->got[have >> 3] & (1u << (have & 7))))
		have++;
	if (have < 4 || h->buf[0] != 1)
		return -EINVAL;
	uint32_t len = 4 + ((uint32_t)h->buf[1] << 16 | (uint32_t)h->buf[2] << 8 | h->buf[3]);
	return len <= have ? (int)len : -EAGAIN;
}

int ww_quic_prepare(void)
{
	static const uint8_t dcid[8], block[16];
	struct ww_quic_keys k;
	uint8_t mask[16], out[16];
	if (ww_quic_client_keys(QUIC_V1, dcid, sizeof(dcid), &k) != 0 || !aes_ecb_block(k.hp, block, mask))
		return -ENOMEM;
	/* a zero tag does not match: -EINVAL is the set-up having worked */
	return aes_gcm_open(&k, 0, block, sizeof(block), block, sizeof(block), block, out) == -ENOMEM ? -ENOMEM : 0;
}
