/*
 * test_tlsmeta.c - the TLS hellos read whole and their fingerprints.
 *
 * The published vector: a Chrome 143 ClientHello as a public fingerprinting
 * service printed it (ja4_ro: ciphers and extensions in the hello's order;
 * ja3_text; the JA4 and JA3 values). The hello is rebuilt here from those
 * lists, with GREASE values added where Chrome sends them (they must not
 * count), and must give the published JA4 and JA3. JA3S and the other
 * captures are checked against tshark's tls.handshake.ja3/ja3s in
 * tests/e2e_pcaps.py's metadata case.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wirewho/meta.h"

struct buf { uint8_t b[4096]; uint32_t n; };

static void u8(struct buf *b, unsigned v) { b->b[b->n++] = (uint8_t)v; }
static void u16(struct buf *b, unsigned v) { u8(b, v >> 8); u8(b, v & 0xff); }
static uint32_t mark16(struct buf *b) { uint32_t m = b->n; u16(b, 0); return m; }
static void fix16(struct buf *b, uint32_t m) { uint32_t l = b->n - m - 2; b->b[m] = (uint8_t)(l >> 8); b->b[m + 1] = (uint8_t)l; }

static const uint16_t chrome_ciphers[] = {
	0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
	0x009c, 0x009d, 0x002f, 0x0035,
};
static const uint16_t chrome_exts[] = {
	0x002d, 0x0033, 0x0010, 0xfe0d, 0x0017, 0x44cd, 0x0000, 0x000b, 0x000a, 0x002b, 0xff01,
	0x0023, 0x0012, 0x0005, 0x000d, 0x001b,
};
static const uint16_t chrome_sigalgs[] = { 0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601 };
static const uint16_t chrome_groups[] = { 0x3a3a, 0x11ec, 29, 23, 24 };   /* GREASE first */

/* The extension `ty`'s body as Chrome fills it (only what the fingerprints read matters). */
static void ext_body(struct buf *b, uint16_t ty, const char *alpn0)
{
	uint32_t m;
	switch (ty) {
	case 0x0000:
		m = mark16(b); u8(b, 0); u16(b, 11); memcpy(b->b + b->n, "example.com", 11); b->n += 11; fix16(b, m);
		break;
	case 0x0010:
		m = mark16(b);
		u8(b, (unsigned)strlen(alpn0)); memcpy(b->b + b->n, alpn0, strlen(alpn0)); b->n += (uint32_t)strlen(alpn0);
		u8(b, 8); memcpy(b->b + b->n, "http/1.1", 8); b->n += 8;
		fix16(b, m);
		break;
	case 0x000a:
		m = mark16(b);
		for (size_t i = 0; i < sizeof(chrome_groups) / 2; i++) u16(b, chrome_groups[i]);
		fix16(b, m);
		break;
	case 0x000b: u8(b, 1); u8(b, 0); break;
	case 0x000d:
		m = mark16(b);
		for (size_t i = 0; i < sizeof(chrome_sigalgs) / 2; i++) u16(b, chrome_sigalgs[i]);
		fix16(b, m);
		break;
	case 0x002b: u8(b, 6); u16(b, 0x7a7a); u16(b, 0x0304); u16(b, 0x0303); break;
	case 0x002d: u8(b, 1); u8(b, 1); break;
	default: break;
	}
}

/* A ClientHello record of Chrome's lists; `sni` false leaves the server name out. */
static uint32_t chrome_hello(uint8_t *out, bool sni, const char *alpn0)
{
	struct buf b = { .n = 0 };
	u8(&b, 22); u16(&b, 0x0301); uint32_t rec = mark16(&b);
	u8(&b, 1); u8(&b, 0); uint32_t hs = mark16(&b);
	u16(&b, 0x0303);
	for (int i = 0; i < 32; i++) u8(&b, (unsigned)i);
	u8(&b, 32);
	for (int i = 0; i < 32; i++) u8(&b, 0xee);
	uint32_t m = mark16(&b);
	u16(&b, 0x4a4a);   /* GREASE */
	for (size_t i = 0; i < sizeof(chrome_ciphers) / 2; i++) u16(&b, chrome_ciphers[i]);
	fix16(&b, m);
	u8(&b, 1); u8(&b, 0);
	uint32_t el = mark16(&b);
	u16(&b, 0x2a2a); u16(&b, 0);   /* GREASE extension, empty */
	for (size_t i = 0; i < sizeof(chrome_exts) / 2; i++) {
		if (!sni && chrome_exts[i] == 0)
			continue;
		u16(&b, chrome_exts[i]);
		uint32_t l = mark16(&b);
		ext_body(&b, chrome_exts[i], alpn0);
		fix16(&b, l);
	}
	u16(&b, 0xfafa); u16(&b, 1); u8(&b, 0);   /* GREASE last, as Chrome sends it */
	fix16(&b, el);
	fix16(&b, hs);   /* 24-bit length: its high byte stays 0 */
	fix16(&b, rec);
	memcpy(out, b.b, b.n);
	return b.n;
}

static void test_chrome_hello_gives_the_published_ja4_and_ja3(void **s)
{
	(void)s;
	uint8_t h[4096];
	uint32_t n = chrome_hello(h, true, "h2");
	struct ww_tls_meta t;
	memset(&t, 0, sizeof(t));
	assert_int_equal(ww_tlsmeta_client_stream(&t, h, n), 0);
	assert_string_equal(t.ja4, "t13d1516h2_8daaf6152771_d8a2da3f94cd");
	assert_string_equal(t.ja3, "98487aa16281980e7d1120d399efb6a4");
	assert_int_equal(t.client_version, 0x0304);
	assert_int_equal(t.alpn_n, 2);
	assert_memory_equal(t.alpn, "h2http/1.1", 10);
}

static void test_hello_without_server_name_is_marked_i_and_counts_one_extension_less(void **s)
{
	(void)s;
	uint8_t h[4096];
	uint32_t n = chrome_hello(h, false, "h2");
	struct ww_tls_meta t;
	memset(&t, 0, sizeof(t));
	assert_int_equal(ww_tlsmeta_client_stream(&t, h, n), 0);
	/* the SNI and ALPN extensions are not hashed: the hash stays */
	assert_string_equal(t.ja4, "t13i1515h2_8daaf6152771_d8a2da3f94cd");
}

static void test_alpn_not_alphanumeric_is_shown_as_hex_digits(void **s)
{
	(void)s;
	uint8_t h[4096];
	uint32_t n = chrome_hello(h, true, "\xab\x01\xcd");
	struct ww_tls_meta t;
	memset(&t, 0, sizeof(t));
	assert_int_equal(ww_tlsmeta_client_stream(&t, h, n), 0);
	assert_memory_equal(t.ja4, "t13d1516ad_", 11);
}

static void test_hello_split_across_two_records_gives_the_same_fingerprints(void **s)
{
	(void)s;
	uint8_t h[4096], two[4200];
	uint32_t n = chrome_hello(h, true, "h2");
	uint32_t body = n - 5, cut = 100;
	/* record 1: the first 100 bytes of the message, record 2: the rest */
	memcpy(two, h, 5);
	two[3] = 0; two[4] = (uint8_t)cut;
	memcpy(two + 5, h + 5, cut);
	two[5 + cut] = 22; two[6 + cut] = 3; two[7 + cut] = 1;
	two[8 + cut] = (uint8_t)((body - cut) >> 8); two[9 + cut] = (uint8_t)(body - cut);
	memcpy(two + 10 + cut, h + 5 + cut, body - cut);
	struct ww_tls_meta t;
	memset(&t, 0, sizeof(t));
	assert_int_equal(ww_tlsmeta_client_stream(&t, two, n + 5), 0);
	assert_string_equal(t.ja4, "t13d1516h2_8daaf6152771_d8a2da3f94cd");
}

static void test_truncated_hello_gives_no_fingerprint_at_all(void **s)
{
	(void)s;
	uint8_t h[4096];
	uint32_t n = chrome_hello(h, true, "h2");
	for (uint32_t cut = 0; cut < n; cut++) {
		struct ww_tls_meta t;
		memset(&t, 0, sizeof(t));
		assert_int_not_equal(ww_tlsmeta_client_stream(&t, h, cut), 0);
		assert_int_equal(t.have, 0);
		assert_int_equal(t.ja4[0], '\0');
	}
}

static void test_server_hello_gives_ja3s_and_the_chosen_version(void **s)
{
	(void)s;
	struct buf b = { .n = 0 };
	u8(&b, 22); u16(&b, 0x0303); uint32_t rec = mark16(&b);
	u8(&b, 2); u8(&b, 0); uint32_t hs = mark16(&b);
	u16(&b, 0x0303);
	for (int i = 0; i < 32; i++) u8(&b, 7);
	u8(&b, 0);
	u16(&b, 0x1301); u8(&b, 0);
	uint32_t el = mark16(&b);
	u16(&b, 0x002b); u16(&b, 2); u16(&b, 0x0304);
	u16(&b, 0x0033); u16(&b, 0);
	fix16(&b, el); fix16(&b, hs); fix16(&b, rec);
	struct ww_tls_meta t;
	memset(&t, 0, sizeof(t));
	assert_int_equal(ww_tlsmeta_server_stream(&t, b.b, b.n), 0);
	/* md5("771,4865,43-51") */
	assert_string_equal(t.ja3s, "f4febc55ea12b31ae17cfb7e614afda8");
	assert_int_equal(t.server_version, 0x0304);
	assert_string_equal(ww_tlsmeta_version_name(t.server_version), "TLS 1.3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chrome_hello_gives_the_published_ja4_and_ja3),
		cmocka_unit_test(test_hello_without_server_name_is_marked_i_and_counts_one_extension_less),
		cmocka_unit_test(test_alpn_not_alphanumeric_is_shown_as_hex_digits),
		cmocka_unit_test(test_hello_split_across_two_records_gives_the_same_fingerprints),
		cmocka_unit_test(test_truncated_hello_gives_no_fingerprint_at_all),
		cmocka_unit_test(test_server_hello_gives_ja3s_and_the_chosen_version),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
