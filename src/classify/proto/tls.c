/*
 * tls.c - TLS 1.0-1.3 (and SSL 3.0) by the record and handshake headers.
 *
 * RFC 8446 §5.1: a record is type(1) legacy_version(2) length(2); the first
 * record of a connection is a handshake (22) with major version 3, minor 0-4
 * (TLS 1.3 still writes 0x0301/0x0303 there), length 1..2^14+2048 (the
 * ciphertext bound of RFC 5246 §6.2.3). §4: the handshake message is
 * type(1) length(3); the client opens with ClientHello (1), the server with
 * ServerHello (2). A handshake message may be split across records (§5.1:
 * "fragmented"), so its headers are read from the records' bodies gathered,
 * not at fixed offsets. ClientHello body (§4.1.2): legacy_version(2)
 * random(32) session_id<0..32> cipher_suites<2..2^16-2> (even)
 * compression<1..255> extensions<8..2^16-1>. We require the record header,
 * the handshake type, the hello's version and a session id length <= 32
 * before saying YES, and then read server_name (RFC 6066 §3) and ALPN
 * (RFC 7301 §3.1) from the extensions as evidence (a body that breaks its
 * grammar past those headers is a malformed hello: still TLS, without
 * evidence). A ClientHello may span several records and TCP segments
 * (post-quantum key shares make it ~1.8 KB), so while the message is cut
 * short we answer NEED and the classifier keeps accumulating, up to its
 * byte cap; at the cap we decide on what we have.
 *
 * A stream that opens with another record type (application data 23, alert
 * 21, ChangeCipherSpec 20) with a valid header was captured after its
 * handshake: WEAK, so it is TLS when nothing else matches.
 *
 * SSL 2.0-compatible ClientHello (RFC 5246 Appendix E.2): 2-byte header with
 * the high bit set, msg_type 1, version 3.x; old clients still send it.
 */
#include "proto.h"

#define TLS_MAX_RECORD (16384 + 2048)
#define TLS_HELLO_HEAD 39   /* hello header through the session id length */

static void copy_str(char *dst, size_t cap, size_t *pos, const uint8_t *s, uint32_t len)
{
	for (uint32_t i = 0; i < len && *pos + 1 < cap; i++)
		dst[(*pos)++] = (char)s[i];
	dst[*pos] = '\0';
}

/* Parse ClientHello extensions in e[0..n) for SNI and ALPN. */
static void client_exts(const uint8_t *e, uint32_t n, struct ww_tls_ev *ev)
{
	uint32_t i = 0;
	while (i + 4 <= n) {
		uint16_t type = ww_be16(e + i), len = ww_be16(e + i + 2);
		const uint8_t *b = e + i + 4;
		if (i + 4 + len > n)
			return;
		if (type == 0 && len >= 5 && !ev->sni_len) {
			/* server_name_list<1..2^16-1>: name_type(1) HostName<1..2^16-1> */
			uint32_t ll = ww_be16(b), j = 2;
			if (ll + 2 <= len) {
				while (j + 3 <= ll + 2) {
					uint16_t nl = ww_be16(b + j + 1);
					if (j + 3 + nl > ll + 2u)
						break;
					if (b[j] == 0) {
						/* the name's bytes as sent, NULs included (a name
						 * cut at its NUL would show a different host);
						 * the writers escape them */
						size_t pos = 0;
						copy_str(ev->sni, sizeof(ev->sni), &pos, b + j + 3, nl);
						ev->sni_len = (uint16_t)pos;
						break;
					}
					j += 3u + nl;
				}
			}
		} else if (type == 16 && len >= 3 && !ev->alpn[0]) {
			/* ProtocolNameList: protocol_name_list<2..2^16-1>, each <1..2^8-1> */
			uint32_t ll = ww_be16(b), j = 2;
			size_t pos = 0;
			if (ll + 2 <= len) {
				while (j < ll + 2u) {
					uint8_t pl = b[j];
					if (pl == 0 || j + 1 + pl > ll + 2u)
						break;
					if (pos && pos + 1 < sizeof(ev->alpn))
						ev->alpn[pos++] = ',';
					copy_str(ev->alpn, sizeof(ev->alpn), &pos, b + j + 1, pl);
					j += 1u + pl;
				}
			}
		}
		i += 4u + len;
	}
}

/*
 * Gather the handshake message bytes from consecutive handshake records
 * into a bounded buffer (records may split a message, RFC 8446 §5.1).
 * Returns the bytes gathered; *cut tells whether they end because the view
 * does (more may come) rather than at another kind of record.
 */
#define TLS_SCRATCH 4096
static uint32_t gather(const uint8_t *p, uint32_t n, uint8_t *out, uint32_t cap, bool *cut)
{
	uint32_t i = 0, o = 0;
	*cut = true;
	while (o < cap) {
		if (i + 5 > n)
			return o;
		if (p[i] != 22 || p[i + 1] != 3) {
			*cut = false;
			return o;
		}
		uint32_t rl = ww_be16(p + i + 3);
		uint32_t take = rl;
		if (i + 5 + take > n)
			take = n - i - 5;
		if (o + take > cap)
			take = cap - o;
		memcpy(out + o, p + i + 5, take);
		o += take;
		i += 5 + rl;
	}
	return o;
}

static enum ww_det hello(const uint8_t *p, uint32_t n, bool full, uint8_t want, struct ww_tls_ev *ev)
{
	if (n < 1)
		return WW_DET_NEED;
	if (p[0] & 0x80) {
		/* SSLv2-compatible ClientHello: len(2, high bit) type(1)=1 version(2)=3.x
		 * cipher_spec_length(2, multiple of 3). */
		if (want != 1)
			return WW_DET_NO;
		if (n < 7)
			return WW_DET_NEED;
		uint32_t len = (uint32_t)(p[0] & 0x7f) << 8 | p[1];
		if (p[2] != 1 || p[3] != 3 || p[4] > 4 || len < 9 || ww_be16(p + 5) % 3 != 0)
			return WW_DET_NO;
		return WW_DET_YES;
	}
	if (p[0] == 20 || p[0] == 21 || p[0] == 23) {
		/* ChangeCipherSpec, Alert or application data first: a capture that
		 * began after the handshake. Plausible, not proof. */
		if (n < 5)
			return WW_DET_NEED;
		uint32_t l = ww_be16(p + 3);
		return p[1] == 3 && p[2] >= 1 && p[2] <= 4 && l >= 1 && l <= TLS_MAX_RECORD ? WW_DET_WEAK : WW_DET_NO;
	}
	if (p[0] != 22)
		return WW_DET_NO;
	if (n < 3)
		return WW_DET_NEED;
	if (p[1] != 3 || p[2] > 4)
		return WW_DET_NO;
	if (n < 5)
		return WW_DET_NEED;
	uint32_t rl = ww_be16(p + 3);
	if (rl < 1 || rl > TLS_MAX_RECORD)
		return WW_DET_NO;
	/* The hello's own header, read across records: type(1) length(3)
	 * version(2) random(32) session_id length(1). */
	uint8_t h[TLS_HELLO_HEAD];
	bool cut;
	uint32_t g = gather(p, n, h, sizeof(h), &cut);
	if (g < 1)
		return cut ? WW_DET_NEED : WW_DET_NO;
	if (h[0] != want)
		return WW_DET_NO;
	if (g < 4)
		return cut ? WW_DET_NEED : WW_DET_NO;
	uint32_t hl = ww_be24(h + 1);
	if (hl < 38 || hl > 0xffff)  /* version + random + sid len at least */
		return WW_DET_NO;
	if (g < 6)
		return cut ? WW_DET_NEED : WW_DET_NO;
	if (h[4] != 3 || h[5] > 4)
		return WW_DET_NO;
	if (g < TLS_HELLO_HEAD)
		return cut ? WW_DET_NEED : WW_DET_NO;
	if (h[38] > 32)  /* session id length, after version(2) random(32) */
		return WW_DET_NO;
	if (want != 1 || !ev)
		return WW_DET_YES;
	/* ClientHello: walk to the extensions once the whole message is here. */
	uint8_t buf[TLS_SCRATCH];
	uint32_t m = gather(p, n, buf, sizeof(buf), &cut);
	if (m < 4 + hl && m < sizeof(buf) && !full)
		return WW_DET_NEED;   /* wait for the rest; at the cap, read what is here */
	uint32_t end = 4 + hl < m ? 4 + hl : m;
	uint32_t i = 4 + 2 + 32;
	i += 1u + buf[i];
	if (i + 2 > end)
		return WW_DET_YES;
	/* The headers above already proved TLS. A body that breaks its own
	 * grammar (an odd cipher_suites length, no compression method) is a
	 * malformed ClientHello, as Wireshark shows it and as servers answer
	 * it with an alert or even a ServerHello: still TLS, but no
	 * extensions are read from it. */
	uint32_t cs = ww_be16(buf + i);
	if (cs < 2 || cs % 2)
		return WW_DET_YES;
	i += 2 + cs;
	if (i + 1 > end)
		return WW_DET_YES;
	if (buf[i] < 1)
		return WW_DET_YES;
	i += 1u + buf[i];
	if (i + 2 > end)
		return WW_DET_YES;
	uint32_t el = ww_be16(buf + i);
	i += 2;
	client_exts(buf + i, (i + el <= end ? el : end - i), ev);
	return WW_DET_YES;
}

enum ww_det ww_detect_tls(const struct ww_pview *v)
{
	enum ww_det a = v->n[0] ? hello(v->d[0], v->n[0], v->full[0], 1, v->tls) : WW_DET_NEED;
	if (a == WW_DET_YES)
		return a;
	enum ww_det b = v->n[1] ? hello(v->d[1], v->n[1], v->full[1], 2, NULL) : WW_DET_NEED;
	/* A ClientHello still being gathered must not be cut short by the
	 * ServerHello: wait for the client's bytes (or the cap). */
	if (a == WW_DET_NEED && b == WW_DET_YES && v->n[0] && !v->full[0])
		return WW_DET_NEED;
	return ww_det_merge(a, b);
}
