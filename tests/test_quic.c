/*
 * test_quic.c - QUIC Initial packets opened (quic.c): RFC 9001 Appendix A's
 * sample client Initial (A.1's keys, A.2's protected packet: 1200 bytes,
 * a CRYPTO frame with a ClientHello for example.com) gives its keys, its
 * ClientHello and a tls object whose JA4 has QUIC's prefix 'q'; a packet
 * with one bit changed does not open; a hello cut short is not read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include <errno.h>

#include "wirewho/meta.h"

/* RFC 9001 A.2, the client's Initial as sent */
static const char a2_hex[] =
	"c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
	"d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
	"1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
	"8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
	"30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
	"457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
	"4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
	"4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
	"485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
	"059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
	"7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
	"9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
	"be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
	"68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
	"c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
	"f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
	"291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
	"25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
	"14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
	"ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
	"e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
	"c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
	"203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
	"cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
	"fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
	"a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
	"90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
	"162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
	"40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
	"6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
	"8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
	"be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
	"54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
	"760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
	"f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
	"056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
	"7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
	"e221af44860018ab0856972e194cd934";

static uint8_t pkt[1200];

static void unhex(const char *h, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static void test_rfc9001_client_initial_keys_are_derived_from_the_dcid(void **s)
{
	(void)s;
	uint8_t dcid[8], key[16], iv[12], hp[16];
	struct ww_quic_keys k;
	unhex("8394c8f03e515708", dcid, 8);
	unhex("1f369613dd76d5467730efcbe3b1a22d", key, 16);
	unhex("fa044b2f42a3fd3b46fb255c", iv, 12);
	unhex("9f50449e04a0e810283a1e9933adedd2", hp, 16);
	assert_int_equal(ww_quic_client_keys(1, dcid, 8, &k), 0);
	assert_memory_equal(k.key, key, 16);
	assert_memory_equal(k.iv, iv, 12);
	assert_memory_equal(k.hp, hp, 16);
	assert_int_equal(ww_quic_client_keys(0x51303436, dcid, 8, &k), -EINVAL);   /* gQUIC Q046: not read */
}

static void test_rfc9001_sample_initial_opens_to_its_client_hello(void **s)
{
	(void)s;
	static struct ww_quic_hello h;
	unhex(a2_hex, pkt, sizeof(pkt));
	memset(&h, 0, sizeof(h));
	assert_int_equal(ww_quic_client_initials(&h, pkt, sizeof(pkt)), 0);
	assert_int_equal(ww_quic_hello_len(&h), 4 + 0xed);   /* A.2: "060040f1 010000ed 0303ebf8..." */
	assert_int_equal(h.buf[0], 1);
	assert_int_equal(h.buf[4], 3);
	assert_int_equal(h.buf[5], 3);
	assert_int_equal(h.buf[6], 0xeb);
	struct ww_meta *m = ww_meta_open_quic(pkt, sizeof(pkt));
	assert_non_null(m);
	uint16_t l;
	const char *sni = ww_meta_get(m, WW_MT_SNI, &l);
	assert_non_null(sni);
	assert_int_equal(l, 11);
	assert_memory_equal(sni, "example.com", 11);
	const char *ja4 = ww_meta_get(m, WW_MT_JA4, &l);
	assert_non_null(ja4);
	assert_int_equal(l, 36);
	assert_memory_equal(ja4, "q13d", 4);   /* QUIC, TLS 1.3, a server name */
	assert_true(m->have & WW_MH_TLS_QUIC);
	assert_true(m->have & WW_MH_TLS_CLIENT);
	const char *by;
	size_t dl;
	assert_non_null(ww_meta_dst_name(m, &by, &dl));
	assert_string_equal(by, "sni");
	ww_meta_free(m);
}

static void test_a_changed_bit_or_a_cut_packet_opens_nothing(void **s)
{
	(void)s;
	static struct ww_quic_hello h;
	unhex(a2_hex, pkt, sizeof(pkt));
	pkt[600] ^= 0x10;   /* the AEAD tag no longer matches */
	memset(&h, 0, sizeof(h));
	assert_int_equal(ww_quic_client_initials(&h, pkt, sizeof(pkt)), -EINVAL);
	assert_null(ww_meta_open_quic(pkt, sizeof(pkt)));
	unhex(a2_hex, pkt, sizeof(pkt));
	for (uint32_t n = 0; n < sizeof(pkt); n += 37)   /* every cut: refused, never read past */
		assert_null(ww_meta_open_quic(pkt, n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc9001_client_initial_keys_are_derived_from_the_dcid),
		cmocka_unit_test(test_rfc9001_sample_initial_opens_to_its_client_hello),
		cmocka_unit_test(test_a_changed_bit_or_a_cut_packet_opens_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
