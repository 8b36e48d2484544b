/*
 * fuzz_decode.c - libFuzzer target over ww_decode().
 *
 * fuzz-sources: src/capture/decode.c src/common/common.c
 *
 * Input layout: byte 0 picks the link type from the supported list; the rest
 * is a sequence of packets, each a 2-byte big-endian length and that many
 * bytes (the last packet takes whatever is left when the length runs past the
 * end). Several packets per input let the fuzzer reach the fragment table: a
 * first fragment followed by later ones, repeats, and entries that age out
 * (packet time advances FUZZ_TIME_STEP_US per packet, so the third packet
 * after a first fragment no longer finds it).
 *
 * Each packet is copied into a heap buffer of exactly its length, so ASan
 * reports any read past caplen; an OK result whose payload points outside
 * the packet, or claims more bytes than were captured, aborts.
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
	int dlt = dlts[data[0] % WW_ARRAY_SIZE(dlts)];
	data++;
	size--;

	/* A fresh decoder per input keeps every run reproducible from its input alone. */
	struct ww_decoder *d = ww_decoder_new();
	if (!d)
		return 0;
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
		} else if (r == WW_DECODE_BAD_LINKTYPE) {
			abort();     /* every link type in the list is supported */
		}
		free(pkt);
		data += len;
		size -= len;
		now += FUZZ_TIME_STEP_US;
	}
	ww_decoder_free(d);
	return 0;
}
