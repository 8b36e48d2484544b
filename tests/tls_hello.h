/*
 * tls_hello.h - build a TLS 1.2/1.3 ClientHello record for the tests, with
 * a server name of any bytes (NULs included: the name's length travels
 * with it) and an optional ALPN list, so tests can craft the hellos real
 * clients send and the ones no client should (a name with a NUL in it).
 * One record, one handshake message: type(1) length(3) version(2)
 * random(32) session_id<0> cipher_suites<2> compression<1> extensions.
 */
#ifndef WIREWHO_TEST_TLS_HELLO_H
#define WIREWHO_TEST_TLS_HELLO_H

#include <stdint.h>
#include <string.h>

#define TLS_HELLO_BUF 1024

static inline void tls_put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * Write the record into out[TLS_HELLO_BUF]; `sni` of `sni_len` bytes (NULL:
 * no server_name extension), `alpn` a NUL-terminated list of ids separated
 * by commas (NULL: no ALPN extension). Returns the record's length.
 */
static inline size_t tls_client_hello(uint8_t *out, const char *sni, size_t sni_len, const char *alpn)
{
	uint8_t ext[512];
	size_t e = 0;
	if (sni) {
		tls_put16(ext + e, 0);                 /* server_name */
		tls_put16(ext + e + 2, sni_len + 5);
		tls_put16(ext + e + 4, sni_len + 3);   /* server_name_list */
		ext[e + 6] = 0;                        /* host_name */
		tls_put16(ext + e + 7, sni_len);
		memcpy(ext + e + 9, sni, sni_len);
		e += 9 + sni_len;
	}
	if (alpn) {
		uint8_t l[256];
		size_t ll = 0;
		for (const char *p = alpn; *p;) {
			const char *c = strchr(p, ',');
			size_t n = c ? (size_t)(c - p) : strlen(p);
			l[ll++] = (uint8_t)n;
			memcpy(l + ll, p, n);
			ll += n;
			p += n + (c ? 1 : 0);
		}
		tls_put16(ext + e, 16);                /* application_layer_protocol_negotiation */
		tls_put16(ext + e + 2, ll + 2);
		tls_put16(ext + e + 4, ll);
		memcpy(ext + e + 6, l, ll);
		e += 6 + ll;
	}
	uint8_t *h = out + 5;
	size_t i = 4;
	h[i++] = 3;
	h[i++] = 3;                                    /* legacy_version TLS 1.2 */
	memset(h + i, 'A', 32);
	i += 32;
	h[i++] = 0;                                    /* session id */
	tls_put16(h + i, 2);
	h[i + 2] = 0x13;
	h[i + 3] = 0x01;                               /* TLS_AES_128_GCM_SHA256 */
	i += 4;
	h[i++] = 1;
	h[i++] = 0;                                    /* compression: null */
	tls_put16(h + i, e);
	i += 2;
	memcpy(h + i, ext, e);
	i += e;
	h[0] = 1;                                      /* ClientHello */
	h[1] = (uint8_t)((i - 4) >> 16);
	tls_put16(h + 2, i - 4);
	out[0] = 22;
	out[1] = 3;
	out[2] = 1;
	tls_put16(out + 3, i);
	return i + 5;
}

#endif
