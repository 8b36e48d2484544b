/*
 * fuzz_decode.c - libFuzzer target over ww_decode().
 *
 * fuzz-sources: src/capture/decode.c src/common/common.c
 *
 * Input layout: byte 0 picks the link type from the supported list (its
 * value modulo the list's length) and, in its top bit, turns
 * decapsulation off; the rest
 * is a sequence of packets, each a 2-byte big-endian length and that many
 * bytes (the last packet takes whatever is left when the length runs past the
 * end). Several packets per input let the fuzzer reach the fragment table: a
 * first fragment followed by later ones, repeats, and entries that age out
 * (packet time advances FUZZ_TIME_STEP_US per packet, so the third packet
 * after a first fragment no longer finds it).
 *
 * Each packet is copied into a heap buffer of exactly its length, so ASan
 * reports any read past caplen; an OK result whose payload points outside
 * the packet, or claims more bytes than were captured, aborts; so does a
 * tunnel layer past WW_TUNNEL_MAX_DEPTH, or a carrier view (ww_decode_carrier())
 * whose payload lies outside the packet. Every tunnel decoder (GRE, ERSPAN,
 * VXLAN on 4789 and on 8472, added here, Geneve, IP-in-IP, Teredo, GTP-U,
 * AYIYA) and every link label (MPLS, PBB, VN-Tag, FabricPath) is reached
 * through Ethernet and the raw-IP link types; the seeds from
 * scripts/mk_tunnel_pcaps.py --corpus start there. Each OK packet's tunnel
 * path is also interned, so the table is fuzzed too.
 */
#include <stdlib.h>

#include "wirewho/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int dlts[] = {
	WW_DLT_NULL, WW_DLT_EN10MB, WW_DLT_RAW, WW_DLT_RAW_OBSD, WW_DLT_RAW_LT,
	WW_DLT_LOOP, WW_DLT_LINUX_SLL, WW_DLT_IPV4, WW_DLT_IPV6, WW_DLT_LINUX_SLL2,
	WW_DLT_PPP, WW_DLT_PPP_SERIAL, WW_DLT_C_HDLC, WW_DLT_IEEE802_11, WW_DLT_RADIOTAP,
	WW_DLT_NFLOG,
};

/* 12 s: two steps stay inside the decoder's 30 s fragment lifetime, three do not. */
#define FUZZ_TIME_STEP_US (12 * WW_USEC_PER_SEC)

/* Bound the packets per input so one input cannot run long. */
#define FUZZ_MAX_PACKETS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int dlt = dlts[(data[0] & 0x7f) % WW_ARRAY_SIZE(dlts)];
	bool decap = !(data[0] & 0x80);
	data++;
	size--;

	/* A fresh decoder per input keeps every run reproducible from its input alone. */
	struct ww_decoder *d = ww_decoder_new();
	struct ww_tunnels *tun = ww_tunnels_new();
	if (!d || !tun) {
		ww_decoder_free(d);
		ww_tunnels_free(tun);
		return 0;
	}
	ww_decoder_set_decap(d, decap);
	if (ww_decoder_add_vxlan_port(d, 8472) != 0)
		abort();
	ww_time_t now = 1767225600 * WW_USEC_PER_SEC;
	for (int n = 0; n < FUZZ_MAX_PACKETS && size > 0; n++) {
		size_t len;
		if (size >= 2) {
			len = (size_t)data[0] << 8 | data[1];
			data += 2;
			size -= 2;
			if (len > size)
				len = size;
		} else {
			len = size;
		}
		uint8_t *pkt = malloc(len ? len : 1);
		if (!pkt)
			break;
		if (len)
			memcpy(pkt, data, len);
		struct ww_pkt out;
		enum ww_decode_result r = ww_decode(d, dlt, pkt, (uint32_t)len, now, &out);
		if (r == WW_DECODE_OK) {
			if (out.payload && (out.payload < pkt || out.payload + out.payload_len > pkt + len))
				abort();
			if (!out.payload && out.payload_len)
				abort();
			if (out.family != 4 && out.family != 6)
				abort();
			if (out.tunnel_depth > WW_TUNNEL_MAX_DEPTH || (!decap && out.tunnel_depth))
				abort();
			for (unsigned i = 0; i < out.tunnel_depth; i++) {
				const struct ww_pkt *c = ww_decode_carrier(d, i);
				if (c->payload && (c->payload < pkt || c->payload + c->payload_len > pkt + len))
					abort();
				if (c->tunnel_depth != i || ww_decode_layer(d, i)->type == WW_TUN_NONE)
					abort();
			}
			if (out.tunnel_depth) {
				uint16_t ti = ww_tunnels_intern(tun, ww_decode_layer(d, 0), out.tunnel_depth);
				const struct ww_tunnel_path *tp = ww_tunnels_get(tun, ti);
				if (ti && (!tp || tp->depth != out.tunnel_depth))
					abort();
			}
		} else if (r == WW_DECODE_BAD_LINKTYPE) {
			abort();     /* every link type in the list is supported */
		}
		free(pkt);
		data += len;
		size -= len;
		now += FUZZ_TIME_STEP_US;
	}
	ww_decoder_free(d);
	ww_tunnels_free(tun);
	return 0;
}
