/*
 * sshmeta.c - each side's SSH identification string (RFC 4253 §4.2):
 * "SSH-protoversion-softwareversion SP comments CR LF", kept whole as
 * Zeek's ssh.log shows it (client, server), without its line end. A
 * server may send other lines first (§4.2): up to SSH_META_PRE_LINES are
 * stepped over. Bounded to WW_META_STR_MAX bytes (the RFC's limit is 255).
 */
#include <errno.h>

#include "wirewho/meta.h"

#define SSH_META_PRE_LINES 4

int ww_sshmeta_banner(struct ww_meta_str *out, const uint8_t *p, uint32_t n)
{
	uint32_t i = 0;
	for (int k = 0; k <= SSH_META_PRE_LINES && i < n; k++) {
		const uint8_t *lf = memchr(p + i, '\n', n - i);
		uint32_t l = lf ? (uint32_t)(lf - (p + i)) : n - i;
		if (l >= 4 && memcmp(p + i, "SSH-", 4) == 0) {
			if (l && p[i + l - 1] == '\r')
				l--;
			uint32_t k2 = l < WW_META_STR_MAX ? l : WW_META_STR_MAX;
			memcpy(out->s, p + i, k2);
			out->len = (uint16_t)k2;
			out->cut = l > k2;
			out->set = 1;
			return 0;
		}
		if (!lf)
			break;
		i += l + 1;
	}
	return -EINVAL;
}
