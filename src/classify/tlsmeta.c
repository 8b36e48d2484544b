/*
 * tlsmeta.c - the TLS hellos read whole: cipher suites, extensions in
 * order, supported groups, EC point formats, signature algorithms,
 * supported versions and the ALPN list, and the fingerprints made of them.
 *
 * The classifier's TLS detector (proto/tls.c) only proves TLS and reads the
 * server name; this file runs once per TLS flow, on the bytes the
 * classifier already holds when it proved TLS (the client's stream) and on
 * the server's first payload packet after that, so the replay's hot path
 * pays for it only on those packets.
 *
 * Grammar (RFC 8446 §4.1.2-3, RFC 5246 §7.4.1): ClientHello body is
 * legacy_version(2) random(32) session_id<0..32> cipher_suites<2..2^16-2>
 * compression_methods<1..2^8-1> extensions<0..2^16-1>; ServerHello body is
 * legacy_version(2) random(32) session_id<0..32> cipher_suite(2)
 * compression_method(1) extensions<0..2^16-1>. The hello is gathered from
 * consecutive handshake records (a message may span several, §5.1) into a
 * bounded buffer. A hello whose fixed fields, cipher list or extension
 * block are cut short yields no fingerprint: a fingerprint of half a hello
 * would name a client that does not exist.
 *
 * Fingerprints. JA3 (Salesforce): the decimal values
 * "version,ciphers,extensions,groups,point_formats", each list '-'-joined
 * in the hello's order, GREASE values (RFC 8701) left out, MD5 in hex.
 * JA3S: "version,cipher,extensions" of the ServerHello, MD5. JA4 (FoxIO's
 * JA4 TLS client specification, BSD-licensed; the other JA4+ methods are
 * not implemented): "<t|q><version><d|i><ciphers:2><extensions:2><alpn:2>"
 * "_<sha256(sorted ciphers)[:12]>_<sha256(sorted extensions without SNI and
 * ALPN "_" signature algorithms in order)[:12]>", values as 4-digit
 * lowercase hex joined by ',', GREASE ignored everywhere, counts capped at
 * 99, an empty list hashed as twelve zeros. The version is the highest
 * non-GREASE supported_versions value, else the legacy version. The hashes
 * come from libcrypto's EVP interface, fed as the strings are produced (no
 * string buffer to bound).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <openssl/evp.h>

#include "wirewho/meta.h"

#define HELLO_MAX 16384   /* gathered hello bytes: one full record; the classifier keeps 4 KB */
#define LIST_MAX  4096    /* values of one list: a 16 KB hello cannot hold more (2 bytes each) */

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

const char *ww_tlsmeta_version_name(uint16_t v)
{
	switch (v) {
	case 0x0300: return "SSL 3.0";
	case 0x0301: return "TLS 1.0";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	default: return NULL;
	}
}

/* ---- libcrypto: a context of our own ------------------------------------- */

/*
 * OpenSSL 3.0 sets up its default library context lazily and does not
 * check that set-up's allocations: one that fails leaves a NULL lock that
 * a later digest dereferences (a crash, not an error). A context made by
 * OSSL_LIB_CTX_new() is checked (NULL when out of memory), so the digests
 * and ciphers are fetched from one of ours, once, and an object not made
 * is an error the caller reports.
 */
static struct {
	OSSL_LIB_CTX *lctx;
	EVP_MD *md5, *sha256;
	EVP_CIPHER *ecb, *gcm;
} cr;
static pthread_once_t cr_once = PTHREAD_ONCE_INIT;

static void cr_init(void)
{
	cr.lctx = OSSL_LIB_CTX_new();
	if (!cr.lctx)
		return;
	cr.md5 = EVP_MD_fetch(cr.lctx, "MD5", NULL);
	cr.sha256 = EVP_MD_fetch(cr.lctx, "SHA2-256", NULL);
	cr.ecb = EVP_CIPHER_fetch(cr.lctx, "AES-128-ECB", NULL);
	cr.gcm = EVP_CIPHER_fetch(cr.lctx, "AES-128-GCM", NULL);
}

const struct evp_md_st *ww_tlsmeta_md(int which)
{
	pthread_once(&cr_once, cr_init);
	return which == WW_CRYPTO_MD5 ? cr.md5 : cr.sha256;
}

const struct evp_cipher_st *ww_tlsmeta_cipher(int which)
{
	pthread_once(&cr_once, cr_init);
	return which == WW_CRYPTO_AES128_ECB ? cr.ecb : cr.gcm;
}

/* ---- hashing as the string is produced ------------------------------------ */

struct hs {
	EVP_MD_CTX *ctx;
	size_t n;
	bool bad;
	char buf[512];
};

static bool hs_init(struct hs *h, const EVP_MD *md)
{
	h->n = 0;
	h->bad = false;
	h->ctx = md ? EVP_MD_CTX_new() : NULL;
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, md, NULL) != 1) {
		EVP_MD_CTX_free(h->ctx);
		h->ctx = NULL;
		return false;
	}
	return true;
}

static void hs_flush(struct hs *h)
{
	if (h->n && EVP_DigestUpdate(h->ctx, h->buf, h->n) != 1)
		h->bad = true;
	h->n = 0;
}

static void hs_put(struct hs *h, const char *s, size_t n)
{
	if (h->n + n > sizeof(h->buf))
		hs_flush(h);
	memcpy(h->buf + h->n, s, n);   /* n is at most a few bytes */
	h->n += n;
}

static void hs_ch(struct hs *h, char c) { hs_put(h, &c, 1); }

static void hs_dec(struct hs *h, unsigned v)
{
	char t[8];
	int i = (int)sizeof(t);
	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	hs_put(h, t + i, sizeof(t) - (size_t)i);
}

static const char hexd[] = "0123456789abcdef";

static void hs_hex4(struct hs *h, uint16_t v)
{
	char t[4] = { hexd[v >> 12], hexd[(v >> 8) & 15], hexd[(v >> 4) & 15], hexd[v & 15] };
	hs_put(h, t, 4);
}

/* Finish into `out` as `nhex` hex digits (and a NUL). Returns false on a libcrypto failure. */
static bool hs_done(struct hs *h, char *out, size_t nhex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdl = 0;
	hs_flush(h);
	bool ok = !h->bad && EVP_DigestFinal_ex(h->ctx, md, &mdl) == 1 && mdl * 2 >= nhex;
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
	if (!ok)
		return false;
	for (size_t i = 0; i < nhex; i++)
		out[i] = hexd[(md[i / 2] >> (i % 2 ? 0 : 4)) & 15];
	out[nhex] = '\0';
	return true;
}

/* ---- gathering the hello ------------------------------------------------- */

/*
 * Copy the bodies of the handshake records at the start of p[0..n) into
 * out (at most cap); returns the bytes gathered. Alerts and
 * ChangeCipherSpec records before the first handshake record are stepped
 * over: a server may warn (unrecognized_name) before its ServerHello.
 */
#define SKIP_RECORDS 4   /* such records skipped at most */
static uint32_t gather(const uint8_t *p, uint32_t n, uint8_t *out, uint32_t cap)
{
	uint32_t i = 0, o = 0;
	for (int k = 0; k < SKIP_RECORDS && i + 5 <= n && (p[i] == 20 || p[i] == 21) && p[i + 1] == 3; k++)
		i += 5u + be16(p + i + 3);
	while (o < cap && i + 5 <= n && p[i] == 22 && p[i + 1] == 3) {
		uint32_t rl = be16(p + i + 3);
		uint32_t take = rl;
		if (take > n - i - 5)
			take = n - i - 5;
		if (take > cap - o)
			take = cap - o;
		memcpy(out + o, p + i + 5, take);
		o += take;
		i += 5 + rl;
	}
	return o;
}

/* The handshake message of type `want` at m[0..n): its body and length, or NULL when cut. */
static const uint8_t *hs_body(const uint8_t *m, uint32_t n, uint8_t want, uint32_t *bl)
{
	if (n < 4 || m[0] != want)
		return NULL;
	uint32_t l = (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
	if (l > n - 4)
		return NULL;
	*bl = l;
	return m + 4;
}

/* ---- ClientHello ----------------------------------------------------------- */

static int cmp_u16(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
	return (x > y) - (x < y);
}

static bool is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Hash the sorted values v[0..n) as 4-hex ',' joined; sha256[:12], "0"*12 when n == 0. */
static bool ja4_list(struct hs *h, uint16_t *v, uint32_t n, const uint8_t *sig, uint32_t nsig, char out[13])
{
	if (n == 0 && nsig == 0) {
		memset(out, '0', 12);
		out[12] = '\0';
		return true;
	}
	if (!hs_init(h, ww_tlsmeta_md(WW_CRYPTO_SHA256)))
		return false;
	qsort(v, n, sizeof(*v), cmp_u16);
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			hs_ch(h, ',');
		hs_hex4(h, v[i]);
	}
	if (nsig) {
		hs_ch(h, '_');
		for (uint32_t i = 0, k = 0; i + 1 < nsig; i += 2) {
			uint16_t s = be16(sig + i);
			if (ww_tls_is_grease(s))
				continue;
			if (k++)
				hs_ch(h, ',');
			hs_hex4(h, s);
		}
	}
	return hs_done(h, out, 12);
}

/* A list of the client's values in its order, non-GREASE, '-' joined, decimal. */
static void ja3_u16s(struct hs *h, const uint8_t *p, uint32_t bytes)
{
	bool first = true;
	for (uint32_t i = 0; i + 1 < bytes; i += 2) {
		uint16_t v = be16(p + i);
		if (ww_tls_is_grease(v))
			continue;
		if (!first)
			hs_ch(h, '-');
		hs_dec(h, v);
		first = false;
	}
}

static char version_code(uint16_t v, char out[2])
{
	switch (v) {
	case 0x0304: out[0] = '1'; out[1] = '3'; break;
	case 0x0303: out[0] = '1'; out[1] = '2'; break;
	case 0x0302: out[0] = '1'; out[1] = '1'; break;
	case 0x0301: out[0] = '1'; out[1] = '0'; break;
	case 0x0300: out[0] = 's'; out[1] = '3'; break;
	case 0x0002: out[0] = 's'; out[1] = '2'; break;
	case 0xfeff: out[0] = 'd'; out[1] = '1'; break;
	case 0xfefd: out[0] = 'd'; out[1] = '2'; break;
	case 0xfefc: out[0] = 'd'; out[1] = '3'; break;
	default:     out[0] = '0'; out[1] = '0'; break;
	}
	return out[0];
}

int ww_tlsmeta_client_hello(struct ww_tls_meta *t, const uint8_t *m, uint32_t n, char proto)
{
	uint32_t bl;
	const uint8_t *b = hs_body(m, n, 1, &bl);
	if (!b || bl < 2 + 32 + 1)
		return -EINVAL;
	uint16_t legacy = be16(b);
	uint32_t i = 34;
	i += 1u + b[i];                                   /* session_id */
	if (b[34] > 32 || i + 2 > bl)
		return -EINVAL;
	uint32_t csl = be16(b + i);
	const uint8_t *cs = b + i + 2;
	if (csl % 2 || i + 2 + csl > bl)
		return -EINVAL;
	i += 2 + csl;
	if (i + 1 > bl || i + 1 + b[i] > bl)
		return -EINVAL;
	const uint8_t *pf = NULL, *groups = NULL, *sig = NULL, *alpn = NULL, *sv = NULL;
	uint32_t npf = 0, ngroups = 0, nsig = 0, nalpn = 0, nsv = 0;
	i += 1u + b[i];                                   /* compression_methods */
	uint32_t el = 0;
	const uint8_t *e = NULL;
	if (i + 2 <= bl) {                                /* extensions may be absent (TLS 1.0) */
		el = be16(b + i);
		e = b + i + 2;
		if (i + 2 + el > bl)
			return -EINVAL;
	}
	/* one walk: check the block is whole and find the lists */
	bool sni = false;
	uint32_t next = 0;
	for (uint32_t j = 0; j + 4 <= el; j = next) {
		uint16_t ty = be16(e + j), l = be16(e + j + 2);
		const uint8_t *x = e + j + 4;
		if (j + 4 + l > el)
			return -EINVAL;
		next = j + 4 + l;
		switch (ty) {
		case 0: sni = true; break;
		case 10: if (l >= 2 && be16(x) <= l - 2u) { groups = x + 2; ngroups = be16(x); } break;
		case 11: if (l >= 1 && x[0] <= l - 1u) { pf = x + 1; npf = x[0]; } break;
		case 13: if (l >= 2 && be16(x) <= l - 2u) { sig = x + 2; nsig = be16(x); } break;
		case 16: if (l >= 2 && be16(x) <= l - 2u) { alpn = x + 2; nalpn = be16(x); } break;
		case 43: if (l >= 1 && x[0] <= l - 1u) { sv = x + 1; nsv = x[0]; } break;
		default: break;
		}
	}
	if (el && next != el)
		return -EINVAL;

	/* JA3 */
	struct hs h;
	char ja3[WW_JA3_LEN + 1];
	if (!hs_init(&h, ww_tlsmeta_md(WW_CRYPTO_MD5)))
		return -ENOMEM;
	hs_dec(&h, legacy);
	hs_ch(&h, ',');
	ja3_u16s(&h, cs, csl);
	hs_ch(&h, ',');
	bool first = true;
	for (uint32_t j = 0; j + 4 <= el; j += 4u + be16(e + j + 2)) {
		uint16_t ty = be16(e + j);
		if (ww_tls_is_grease(ty))
			continue;
		if (!first)
			hs_ch(&h, '-');
		hs_dec(&h, ty);
		first = false;
	}
	hs_ch(&h, ',');
	ja3_u16s(&h, groups, ngroups);
	hs_ch(&h, ',');
	for (uint32_t j = 0; j < npf; j++) {
		if (j)
			hs_ch(&h, '-');
		hs_dec(&h, pf[j]);
	}
	if (!hs_done(&h, ja3, WW_JA3_LEN))
		return -ENOMEM;

	/* JA4 */
	static _Thread_local uint16_t vals[LIST_MAX];
	uint32_t nc = 0, ne = 0, ne_all = 0;
	for (uint32_t j = 0; j + 1 < csl && nc < LIST_MAX; j += 2)
		if (!ww_tls_is_grease(be16(cs + j)))
			vals[nc++] = be16(cs + j);
	uint16_t ver = legacy;
	if (sv) {
		uint16_t best = 0;
		for (uint32_t j = 0; j + 1 < nsv; j += 2) {
			uint16_t v = be16(sv + j);
			if (!ww_tls_is_grease(v) && v > best && (v >> 8) == 3)
				best = v;
			else if (!ww_tls_is_grease(v) && (v >> 8) == 0xfe && (best == 0 || ((best >> 8) == 0xfe && v < best)))
				best = v;   /* DTLS counts down: 0xfefc (1.3) is the highest */
		}
		if (best)
			ver = best;
	}
	char a[11], cb[13], eb[13];
	a[0] = proto;
	version_code(ver, a + 1);
	a[3] = sni ? 'd' : 'i';
	char cipher_hash[13];
	if (!ja4_list(&h, vals, nc, NULL, 0, cipher_hash))
		return -ENOMEM;
	memcpy(cb, cipher_hash, sizeof(cb));
	for (uint32_t j = 0; j + 4 <= el; j += 4u + be16(e + j + 2)) {
		uint16_t ty = be16(e + j);
		if (ww_tls_is_grease(ty))
			continue;
		ne_all++;
		if (ty != 0 && ty != 16 && ne < LIST_MAX)
			vals[ne++] = ty;
	}
	uint32_t ncap = nc > 99 ? 99 : nc, ecap = ne_all > 99 ? 99 : ne_all;
	a[4] = (char)('0' + ncap / 10);
	a[5] = (char)('0' + ncap % 10);
	a[6] = (char)('0' + ecap / 10);
	a[7] = (char)('0' + ecap % 10);
	/* ALPN: the first value's first and last characters; either not
	 * alphanumeric: the first and last hex digits of its bytes */
	a[8] = a[9] = '0';
	uint8_t fl = alpn && nalpn >= 1 ? alpn[0] : 0;
	if (fl && 1u + fl <= nalpn) {
		uint8_t c0 = alpn[1], c1 = alpn[fl];
		if (is_alnum(c0) && is_alnum(c1)) {
			a[8] = (char)c0;
			a[9] = (char)c1;
		} else {
			a[8] = hexd[c0 >> 4];
			a[9] = hexd[c1 & 15];
		}
	}
	a[10] = '\0';
	if (!ja4_list(&h, vals, ne, sig, nsig, eb))
		return -ENOMEM;

	/* all computed: fill t */
	memcpy(t->ja3, ja3, sizeof(ja3));
	snprintf(t->ja4, sizeof(t->ja4), "%s_%s_%s", a, cb, eb);
	t->client_version = ver;
	t->alpn_n = 0;
	uint32_t used = 0;
	for (uint32_t j = 0; alpn && j < nalpn && t->alpn_n < WW_TLSMETA_ALPN_MAX;) {
		uint8_t l = alpn[j];
		if (l == 0 || j + 1 + l > nalpn || used + l > sizeof(t->alpn))
			break;
		memcpy(t->alpn + used, alpn + j + 1, l);
		t->alpn_len[t->alpn_n++] = l;
		used += l;
		j += 1u + l;
	}
	t->have |= WW_TLSMETA_CLIENT;
	return 0;
}

int ww_tlsmeta_client_stream(struct ww_tls_meta *t, const uint8_t *p, uint32_t n)
{
	static _Thread_local uint8_t buf[HELLO_MAX];   /* per analysis thread: no allocation per flow */
	uint32_t g = gather(p, n, buf, HELLO_MAX);
	return ww_tlsmeta_client_hello(t, buf, g, 't');
}

/* ---- ServerHello ----------------------------------------------------------- */

int ww_tlsmeta_server_stream(struct ww_tls_meta *t, const uint8_t *p, uint32_t n)
{
	uint8_t buf[2048];   /* a ServerHello is ~100 bytes; with a PQ key share ~1.2 KB */
	uint32_t g = gather(p, n, buf, sizeof(buf)), bl;
	const uint8_t *b = hs_body(buf, g, 2, &bl);
	if (!b || bl < 2 + 32 + 1)
		return -EINVAL;
	uint16_t legacy = be16(b);
	uint32_t i = 34;
	if (b[i] > 32)
		return -EINVAL;
	i += 1u + b[i];
	if (i + 3 > bl)
		return -EINVAL;
	uint16_t cipher = be16(b + i);
	i += 3;
	uint32_t el = 0;
	const uint8_t *e = NULL;
	if (i + 2 <= bl) {
		el = be16(b + i);
		e = b + i + 2;
		if (i + 2 + el > bl)
			return -EINVAL;
	}
	uint16_t ver = legacy;
	uint32_t next = 0;
	for (uint32_t j = 0; j + 4 <= el; j = next) {
		uint16_t l = be16(e + j + 2);
		if (j + 4 + l > el)
			return -EINVAL;
		if (be16(e + j) == 43 && l == 2)
			ver = be16(e + j + 4);
		next = j + 4 + l;
	}
	if (el && next != el)
		return -EINVAL;
	struct hs h;
	if (!hs_init(&h, ww_tlsmeta_md(WW_CRYPTO_MD5)))
		return -ENOMEM;
	hs_dec(&h, legacy);
	hs_ch(&h, ',');
	hs_dec(&h, cipher);
	hs_ch(&h, ',');
	bool first = true;
	for (uint32_t j = 0; j + 4 <= el; j += 4u + be16(e + j + 2)) {
		uint16_t ty = be16(e + j);
		if (ww_tls_is_grease(ty))
			continue;
		if (!first)
			hs_ch(&h, '-');
		hs_dec(&h, ty);
		first = false;
	}
	if (!hs_done(&h, t->ja3s, WW_JA3_LEN))
		return -ENOMEM;
	t->server_version = ver;
	t->have |= WW_TLSMETA_SERVER;
	return 0;
}

int ww_tlsmeta_prepare(void)
{
	struct hs h;
	char out[WW_JA3_LEN + 1];
	if (!hs_init(&h, ww_tlsmeta_md(WW_CRYPTO_MD5)) || !hs_done(&h, out, WW_JA3_LEN) || !hs_init(&h, ww_tlsmeta_md(WW_CRYPTO_SHA256)) ||
	    !hs_done(&h, out, 12))
		return -ENOMEM;
	return 0;
}
