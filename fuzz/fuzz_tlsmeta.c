// fuzz-sources: src/classify/tlsmeta.c
/*
 * fuzz_tlsmeta.c - libFuzzer target over the TLS hello parsers
 * (tlsmeta.c): the client's stream, the server's stream and a bare
 * handshake message (as QUIC carries it), all on the same bytes copied
 * into a heap buffer of exactly their length so ASan catches a read past
 * it. What a success leaves must be well formed: a JA4 of 36 characters in
 * its alphabet, JA3/JA3S of 32 hex digits, ALPN values inside their buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "wirewho/meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* s starts with n lowercase hex digits; `whole`: and ends there */
static void check_hex(const char *s, size_t n, bool whole)
{
	if (strnlen(s, n) != n || (whole && s[n]))
		abort();
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			abort();
}

static void check(const struct ww_tls_meta *t)
{
	if (t->have & WW_TLSMETA_CLIENT) {
		if (strlen(t->ja4) != WW_JA4_LEN || t->ja4[10] != '_' || t->ja4[23] != '_')
			abort();
		check_hex(t->ja4 + 11, 12, false);
		check_hex(t->ja4 + 24, 12, true);
		check_hex(t->ja3, WW_JA3_LEN, true);
		unsigned sum = 0;
		if (t->alpn_n > WW_TLSMETA_ALPN_MAX)
			abort();
		for (unsigned i = 0; i < t->alpn_n; i++)
			sum += t->alpn_len[i];
		if (sum > sizeof(t->alpn))
			abort();
	}
	if (t->have & WW_TLSMETA_SERVER)
		check_hex(t->ja3s, WW_JA3_LEN, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 20000)
		return 0;
	uint8_t *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	struct ww_tls_meta t;
	memset(&t, 0, sizeof(t));
	(void)ww_tlsmeta_client_stream(&t, p, (uint32_t)size);
	(void)ww_tlsmeta_server_stream(&t, p, (uint32_t)size);
	check(&t);
	memset(&t, 0, sizeof(t));
	(void)ww_tlsmeta_client_hello(&t, p, (uint32_t)size, 'q');
	check(&t);
	free(p);
	return 0;
}
