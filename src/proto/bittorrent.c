/*
 * bittorrent.c - BitTorrent peer wire handshake (BEP 3) and DHT (BEP 5).
 *
 * The handshake opens with the byte 19 and "BitTorrent protocol", then 8
 * reserved bytes, the 20-byte info_hash and the peer id: the 20-byte prefix
 * alone is a fixed string no other protocol starts with. The Mainline DHT
 * speaks KRPC over UDP: bencoded dictionaries that start
 * "d1:ad2:id20:" (queries) or "d1:rd2:id20:" (responses), or errors
 * "d1:eli"; we take the first two forms.
 */
#include "proto.h"

static const char bt_hs[] = "\x13" "BitTorrent protocol";

static enum ww_det one(const uint8_t *p, uint32_t n, bool udp)
{
	if (udp) {
		if (n < 12)
			return WW_DET_NO;
		return (memcmp(p, "d1:ad2:id20:", 12) == 0 || memcmp(p, "d1:rd2:id20:", 12) == 0) &&
		       p[n - 1] == 'e' ? WW_DET_YES : WW_DET_NO;
	}
	uint32_t m = n < 20 ? n : 20;
	if (memcmp(p, bt_hs, m) != 0)
		return WW_DET_NO;
	return n >= 20 ? WW_DET_YES : WW_DET_NEED;
}

enum ww_det ww_detect_bittorrent(const struct ww_pview *v)
{
	bool udp = v->ipproto == WW_IPPROTO_UDP;
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0], udp) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1], udp) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
