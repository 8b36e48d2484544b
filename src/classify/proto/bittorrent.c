/*
 * bittorrent.c - BitTorrent peer wire handshake (BEP 3) and DHT (BEP 5).
 *
 * The handshake opens with the byte 19 and "BitTorrent protocol", then 8
 * reserved bytes, the 20-byte info_hash and the peer id: the 20-byte prefix
 * alone is a fixed string no other protocol starts with. The Mainline DHT
 * speaks KRPC over UDP: bencoded dictionaries that start
 * "d1:ad2:id20:" (queries) or "d1:rd2:id20:" (responses), or errors
 * "d1:eli"; we take the first two forms, and responses that lead with the
 * requester's address (BEP 42: "d2:ip6:<6 bytes>1:rd2:id20:", keys sorted).
 * On UDP too: Local Service Discovery (BEP 14) multicasts
 * "BT-SEARCH * HTTP/1.1" CRLF announcements, and a UDP tracker (BEP 15) is
 * first sent a 16-byte connect request that opens with the fixed
 * protocol id 0x41727101980 and action 0.
 */
#include "proto.h"

static const char bt_hs[] = "\x13" "BitTorrent protocol";
static const char bt_lsd[] = "BT-SEARCH * HTTP/1.1\r\n";   /* BEP 14 */
/* BEP 15 connect request: protocol_id 0x41727101980, action 0 (connect) */
static const uint8_t bt_udpt_connect[12] = { 0x00, 0x00, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80, 0, 0, 0, 0 };
#define BT_UDPT_CONNECT_LEN 16   /* + transaction_id(4) */

static enum ww_det one(const uint8_t *p, uint32_t n, bool udp)
{
	if (udp) {
		if (n == BT_UDPT_CONNECT_LEN && memcmp(p, bt_udpt_connect, sizeof(bt_udpt_connect)) == 0)
			return WW_DET_YES;
		if (n >= sizeof(bt_lsd) - 1 && memcmp(p, bt_lsd, sizeof(bt_lsd) - 1) == 0)
			return WW_DET_YES;
		if (n < 12 || p[n - 1] != 'e')
			return WW_DET_NO;
		if (n > 25 && memcmp(p, "d2:ip6:", 7) == 0)
			return memcmp(p + 13, "1:rd2:id20:", 11) == 0 ? WW_DET_YES : WW_DET_NO;
		return memcmp(p, "d1:ad2:id20:", 12) == 0 || memcmp(p, "d1:rd2:id20:", 12) == 0 ? WW_DET_YES : WW_DET_NO;
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
