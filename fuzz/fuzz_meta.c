// fuzz-sources: src/classify/meta.c src/classify/httpmeta.c src/classify/dnsmeta.c src/classify/sshmeta.c src/classify/tlsmeta.c src/classify/quic.c
/*
 * fuzz_meta.c - libFuzzer target over the HTTP, DNS and SSH metadata
 * parsers (httpmeta.c, dnsmeta.c, sshmeta.c) through meta.c, and QUIC's
 * Initial packet reader (quic.c, kind 3: the client's part as datagrams;
 * random bytes rarely pass the AEAD, so this covers the headers, keys and
 * lengths): byte 0 picks the kind and UDP/TCP, the rest is split at byte 1's offset into the
 * client's and the server's first bytes, then fed again as later packets.
 * Each part is copied into a heap buffer of exactly its length so ASan
 * catches any read past it; what the object holds must stay in its bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "wirewho/meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *dup(const uint8_t *p, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);
	if (b && n)
		memcpy(b, p, n);
	return b;
}

static void check(const struct ww_meta *m)
{
	const char *by, *v;
	size_t len;
	uint16_t l;
	uint32_t off = 0, answers = 0;
	unsigned t;
	const char *d = ww_meta_dst_name(m, &by, &len);
	if (d && (len == 0 || len > WW_META_STR_MAX))
		abort();
	if (m->len > WW_META_DATA_MAX)
		abort();
	while ((t = ww_meta_next(m, &off, &v, &l))) {
		if (t == 0 || t >= WW_MT_COUNT || l > WW_META_STR_MAX || v + l > (const char *)m->data + m->len)
			abort();
		if (t == WW_MT_ANSWER && (++answers > WW_DNSMETA_ANSWERS || l > WW_DNSMETA_ANSWER_MAX))
			abort();
	}
	if (off != m->len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > 20000)
		return 0;
	static const enum ww_meta_kind kinds[] = { WW_META_HTTP, WW_META_DNS, WW_META_SSH };
	enum ww_meta_kind k = kinds[(data[0] & 3) % 3];
	bool tcp = data[0] & 4;
	size_t split = (size_t)data[1] * (size - 2) / 255;
	uint8_t *a = dup(data + 2, split), *b = dup(data + 2 + split, size - 2 - split);
	if (!a || !b)
		goto out;
	if ((data[0] & 3) == 3) {   /* QUIC: the client's datagrams, opened (quic.c) */
		struct ww_meta *q = ww_meta_open_quic(a, (uint32_t)split);
		if (q) {
			check(q);
			ww_meta_free(q);
		}
	}
	const uint8_t *d[2] = { a, b };
	uint32_t n[2] = { (uint32_t)split, (uint32_t)(size - 2 - split) };
	struct ww_meta *m = ww_meta_open(k, d, n, tcp);
	if (m) {
		check(m);
		for (int i = 0; i < 8 && !ww_meta_feed(&m, i & 1, i & 1 ? b : a, n[i & 1]); i++)
			check(m);
		check(m);
		ww_meta_free(m);
	}
out:
	free(a);
	free(b);
	return 0;
}
