// fuzz-sources: src/flow/pdns.c src/classify/dnsmeta.c
/*
 * fuzz_pdns.c - libFuzzer target over passive DNS (pdns.c): byte 0 picks
 * UDP/TCP and unicast/mDNS, the rest is one DNS message, copied into a
 * heap buffer of exactly its length (ASan catches a read past it),
 * learned into a small cache (8 entries, 2 KB: the caps are hit) and
 * then every address it could have named is asked for; what a lookup
 * returns must stay within its bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "wirewho/pdns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ww_pdns *c;
	if (size < 1 || size > 70000)
		return 0;
	if (!c && !(c = ww_pdns_new(8, 2048)))
		return 0;
	uint8_t *m = malloc(size - 1 ? size - 1 : 1);
	if (!m)
		return 0;
	memcpy(m, data + 1, size - 1);
	struct ww_pdns_asker who = { 7, "fuzzer" };
	(void)ww_pdns_is_answer(m, (uint32_t)(size - 1), data[0] & 1);
	(void)ww_pdns_learn(c, m, (uint32_t)(size - 1), data[0] & 1, data[0] & 2, 1000000, data[0] & 4 ? &who : NULL);
	uint32_t entries;
	size_t bytes;
	ww_pdns_usage(c, &entries, &bytes);
	if (entries > 8 || bytes > 2048)
		abort();
	/* every 4- and 16-byte window of the message as an address */
	for (size_t i = 0; i + 16 <= size - 1 && i < 512; i++) {
		struct ww_addr a;
		struct ww_pdns_hit h;
		memcpy(a.b, m + i, 16);
		if (ww_pdns_lookup(c, 6, &a, 1000000, &h) && (h.len == 0 || h.len > 255 || h.comm_len > WW_PDNS_ASKER_MAX))
			abort();
		ww_addr_from_v4(&a, m + i);
		if (ww_pdns_lookup(c, 4, &a, 1000000, &h) && (h.len == 0 || h.len > 255))
			abort();
	}
	free(m);
	return 0;
}
